"""Forms of the member registry: the record, its filters, status changes, corrections."""

import re
from datetime import date

from django import forms
from django.db.models import Min
from django.utils.translation import gettext_lazy as _

from tongxin.core.errors import ValidationError
from tongxin.members.models import Category, Member, Status, StatusChange
from tongxin.members.selectors import registry as selectors
from tongxin.members.services import registry as services
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import Org


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


SELECT_LIMIT = 200  # above this many choices, an organisation is entered by its code


class OrgCodeField(forms.CharField):
    """An organisation of `queryset` given by its code (instead of a select of thousands)."""

    def __init__(self, queryset, **kwargs):
        super().__init__(max_length=32, **kwargs)
        self.queryset = queryset

    def clean(self, value):
        code = super().clean(value).strip()
        if not code:
            return None
        org = self.queryset.filter(code=code).first()
        if org is None:
            raise ValidationError(_("no organisation with this code in your scope"))
        return org


MEMBER_FORM_FIELDS = [
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "id_number",
    "phone",
    "address",
    "education",
    "occupation",
    "work_unit",
    "is_high_knowledge",
    "is_migrant_worker",
    "is_soe",
    "is_two_new",
    "org",
    "party_group",
    "category",
    "applied_on",
    "admitted_on",
    "full_on",
    "introducers",
    "post",
    "dues_category",
    "dues_base",
]


class MemberForm(forms.ModelForm):
    """Create or edit a record. On edit the sensitive fields start empty (their clear values
    are never put into a page without an audited reveal): left empty, they are kept."""

    dues_from_month = forms.CharField(
        label=_("Dues base applies from (month)"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month"}),
        help_text=_("A change of pay applies from the month it is first received."),
    )

    class Meta:
        model = Member
        fields = MEMBER_FORM_FIELDS
        widgets = {
            "birth_date": DateInput,
            "applied_on": DateInput,
            "admitted_on": DateInput,
            "full_on": DateInput,
            "id_number": forms.TextInput(attrs={"autocomplete": "off", "maxlength": 18}),
            "phone": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
            "address": forms.TextInput(attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        orgs = selectors.keeper_orgs(user)
        groups = Org.objects.filter(type=org_rules.PARTY_GROUP, parent__in=orgs).order_by("path")
        for name, qs in (("org", orgs), ("party_group", groups)):
            model_field = self.fields[name]
            if qs.count() > SELECT_LIMIT:  # a district keeps thousands of branches
                self.fields[name] = OrgCodeField(
                    qs,
                    label=model_field.label,
                    required=model_field.required,
                    help_text=_("Code of the organisation."),
                )
                current = getattr(self.instance, name, None) if self.instance.pk else None
                self.initial[name] = current.code if current else ""
            else:
                model_field.queryset = qs
        self.editing = self.instance.pk is not None
        if self.editing:
            del self.fields["category"]
            for name in services.SENSITIVE_FIELDS:
                field = self.fields[name]
                field.required = False
                field.initial = ""
                masked = getattr(self.instance, f"{name}_masked", "")
                field.widget.attrs["placeholder"] = masked
                field.help_text = _("Left empty, the recorded value is kept.")
            for name in services.SENSITIVE_FIELDS:
                self.initial[name] = ""
        else:
            del self.fields["dues_from_month"]
            self.fields["category"].choices = Category.choices

    def clean_dues_from_month(self):
        text = self.cleaned_data.get("dues_from_month", "").strip()
        if not text:
            return None
        if not re.match(r"^\d{4}-\d{2}$", text):
            raise ValidationError(_("Enter a month as YYYY-MM."))
        year, month = (int(p) for p in text.split("-"))
        if not 1 <= month <= 12:
            raise ValidationError(_("Enter a month as YYYY-MM."))
        return date(year, month, 1)

    def _post_clean(self):
        """Model validation is the service's job (it reports every rule on its field)."""

    def service_fields(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "dues_from_month"}
        if self.editing:
            for name in services.SENSITIVE_FIELDS:
                if not data.get(name):
                    data.pop(name, None)
            if self.cleaned_data.get("dues_from_month"):
                data["dues_from_month"] = self.cleaned_data["dues_from_month"]
        return data


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError onto the form's fields (others: non-field)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, messages in exc.message_dict.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message if target else f"{field}: {message}")


def org_filter_queryset(user):
    """Organisations a member list may be filtered by: the user's whole scope (for links such
    as ?org=<branch>), though the select shows only `org_filter_options`."""
    return Org.objects.visible_to(user, selectors.MEMBER_KEEPERS).exclude(
        type=org_rules.PARTY_GROUP
    )


def org_filter_options(user, selected: str | None = None) -> list[tuple]:
    """The top of the user's scope and one level below: streets for a district admin,
    branches for a community admin — a short select even at city scale (benchmarks/FINDINGS.md)."""
    visible = org_filter_queryset(user)
    top = visible.aggregate(d=Min("depth"))["d"]
    shown = visible.filter(depth__lte=(top or 0) + 1)
    if selected and str(selected).isdigit():
        shown = shown | visible.filter(pk=int(selected))
    return [("", "---------")] + [(o.pk, str(o)) for o in shown.order_by("path")]


class MemberFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={"placeholder": _("name, pinyin, initials, last 4 of ID or phone")}
        ),
    )
    org = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Org.objects.none(), required=False
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All")), *Category.choices]
    )
    status = forms.ChoiceField(
        label=_("Party standing"),
        required=False,
        choices=[
            (selectors.IN_ROLL, _("In the roll")),
            (selectors.ALL, _("All")),
            *Status.choices,
        ],
    )
    flags = forms.MultipleChoiceField(
        label=_("Flags"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            ("lost_contact", _("Lost contact")),
            ("floating", _("Floating")),
            ("abroad", _("Abroad")),
            ("high_knowledge", _("High-knowledge group")),
            ("migrant", _("Migrant worker")),
            ("soe", _("State-owned enterprise")),
            ("two_new", _("New economic or social organisation")),
        ],
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = org_filter_queryset(user)
        self.fields["org"].choices = org_filter_options(user, self.data.get("org"))

    def filters(self) -> selectors.MemberFilters:
        if not self.is_valid():
            return selectors.MemberFilters()
        data = self.cleaned_data
        return selectors.MemberFilters(
            q=data["q"],
            org=data["org"].pk if data["org"] else None,
            category=data["category"],
            status=data["status"],
            flags=list(data["flags"]),
        )


STATUS_FORM_KINDS = [
    (k.value, k.label)
    for k in (
        StatusChange.Kind.STANDING,
        StatusChange.Kind.CONVERTED,
        StatusChange.Kind.PROBATION_EXTENDED,
        StatusChange.Kind.PROBATION_CANCELLED,
        StatusChange.Kind.LOST_CONTACT,
        StatusChange.Kind.CONTACT_RESTORED,
        StatusChange.Kind.ABROAD,
        StatusChange.Kind.BACK_FROM_ABROAD,
    )
]


class StatusForm(forms.Form):
    kind = forms.ChoiceField(label=_("Change"), choices=STATUS_FORM_KINDS)
    to_value = forms.ChoiceField(
        label=_("New party standing"),
        required=False,
        choices=[("", "—"), *Status.choices],
        help_text=_("Only for a change of party standing."),
    )
    new_probation_end = forms.DateField(
        label=_("New end of probation"),
        required=False,
        widget=DateInput,
        help_text=_("Only for an extension; left empty, two years after admission."),
    )
    effective_on = forms.DateField(label=_("Effective date"), widget=DateInput)
    decision = forms.CharField(
        label=_("Decision"),
        required=False,
        max_length=200,
        help_text=_("Body, date and document of the decision."),
    )
    decided_by = forms.CharField(label=_("Decided by"), required=False, max_length=100)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        end = data.pop("new_probation_end")
        if data["kind"] == StatusChange.Kind.PROBATION_EXTENDED:
            data["to_value"] = end.isoformat() if end else ""
        elif data["kind"] != StatusChange.Kind.STANDING:
            data["to_value"] = ""
        return data


def correctable_choices():
    return [
        (name, Member._meta.get_field(name).verbose_name) for name in services.CORRECTABLE_FIELDS
    ]


class CorrectionForm(forms.Form):
    field = forms.ChoiceField(label=_("What is wrong"), choices=correctable_choices)
    requested_value = forms.CharField(label=_("Correct value"), max_length=200)
    reason = forms.CharField(
        label=_("Reason or evidence"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CorrectionDecisionForm(forms.Form):
    accept = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Accept and correct the record")), ("no", _("Refuse"))],
        coerce=lambda v: v == "yes",
    )
    reply = forms.CharField(
        label=_("Reply to the member"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
