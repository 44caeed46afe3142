"""Forms of the education pages: they parse types; the services apply the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tongxin.education import selectors
from tongxin.education.models import SELF_WAYS, CampaignKind, Way
from tongxin.members.models import Member

DATE = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
HOURS = {"max_digits": 5, "decimal_places": 1, "min_value": 0}


class OrgChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class CampaignForm(forms.Form):
    org = OrgChoiceField(label=_("Launched by"), queryset=None)
    title = forms.CharField(label=_("Title"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=CampaignKind.choices)
    starts_on = forms.DateField(label=_("Starts on"), **DATE)
    ends_on = forms.DateField(label=_("Ends on"), **DATE)
    required_hours = forms.DecimalField(
        label=_("Required hours per member"),
        help_text=_("Plain hours of study each member is asked for; 0: none."),
        **HOURS,
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = selectors.kept_orgs(user).order_by("path")


class MaterialForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(
        label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    link = forms.URLField(label=_("Link"), required=False, assume_scheme="https")
    file = forms.FileField(label=_("File"), required=False)
    suggested_hours = forms.DecimalField(label=_("Suggested hours"), initial=0, **HOURS)


def _campaign_choices(user, org):
    qs = selectors.campaigns_for(user)
    if org is not None:
        from tongxin.education.access import ancestors

        qs = qs.filter(org__path__in=ancestors(org.path))
    return qs


class RecordForm(forms.Form):
    member = MemberChoiceField(label=_("Member"), queryset=None)
    on = forms.DateField(label=_("Date"), **DATE)
    hours = forms.DecimalField(label=_("Hours"), **HOURS)
    way = forms.ChoiceField(label=_("Way"), choices=Way.choices)
    topic = forms.CharField(label=_("Topic"), max_length=200)
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=None, required=False)

    def __init__(self, *args, user, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = Member.objects.in_roll().filter(org=org).order_by("name")
        self.fields["campaign"].queryset = _campaign_choices(user, org)


class SelfRecordForm(forms.Form):
    on = forms.DateField(label=_("Date"), **DATE)
    hours = forms.DecimalField(label=_("Hours"), **HOURS)
    way = forms.ChoiceField(label=_("Way"), choices=[(w.value, w.label) for w in SELF_WAYS])
    topic = forms.CharField(label=_("Topic"), max_length=200)
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=None, required=False)

    def __init__(self, *args, user, member, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = _campaign_choices(user, member.org)


class BaseForm(forms.Form):
    org = OrgChoiceField(label=_("Registered by"), queryset=None)
    name = forms.CharField(label=_("Name"), max_length=100)
    address = forms.CharField(label=_("Address"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    contact = forms.CharField(label=_("Contact"), max_length=100, required=False)
    opening_info = forms.CharField(label=_("Opening hours"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = selectors.kept_orgs(user).order_by("path")


class VisitForm(forms.Form):
    on = forms.DateField(label=_("Date"), **DATE)
    topic = forms.CharField(label=_("Topic"), max_length=200)
    participants = forms.ModelMultipleChoiceField(
        label=_("Participants"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    participant_count = forms.IntegerField(
        label=_("Number of participants"),
        required=False,
        min_value=1,
        max_value=10000,
        help_text=_("Leave empty to count the participants ticked above."),
    )
    hours = forms.DecimalField(
        label=_("Study hours for each participant"),
        required=False,
        help_text=_("If given, each participant ticked gets a study record of these hours."),
        **HOURS,
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        qs = (
            Member.objects.in_roll().filter(org=org).order_by("name")
            if org
            else Member.objects.none()
        )
        self.fields["participants"].queryset = qs
        self.fields["participants"].label_from_instance = lambda m: m.name


class TrainingForm(forms.Form):
    member = forms.ModelChoiceField(label=_("Secretary"), queryset=None)
    course = forms.CharField(label=_("Course"), max_length=120)
    organiser = forms.CharField(label=_("Organiser"), max_length=100)
    starts_on = forms.DateField(label=_("Starts on"), **DATE)
    ends_on = forms.DateField(label=_("Ends on"), **DATE)
    hours = forms.DecimalField(label=_("Hours"), **HOURS)
    concentrated = forms.BooleanField(
        label=_("Concentrated training"), required=False, initial=True
    )
    certificate_note = forms.CharField(label=_("Certificate"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = selectors.training_members(user).order_by(
            "org__path", "name"
        )
        self.fields["member"].label_from_instance = lambda m: f"{m.name} · {m.org.name}"
