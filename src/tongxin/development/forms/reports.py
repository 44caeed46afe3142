"""Forms of the admission reports (funnel, overdue, admissions by group) and local rules."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongxin.core.errors import ValidationError
from tongxin.members.forms.registry import DateInput, org_filter_options, org_filter_queryset
from tongxin.orgs.models import Org


class OrgPickerForm(forms.Form):
    """An organisation of the user's scope (the select shows the top and one level down)."""

    org = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Org.objects.none(), required=False
    )

    def __init__(self, *args, user=None, selected=None, **kwargs):
        super().__init__(*args, **kwargs)
        if selected is not None:
            self.initial["org"] = selected
        self.fields["org"].queryset = org_filter_queryset(user)
        self.fields["org"].choices = org_filter_options(user, self.data.get("org") or selected)


class PeriodForm(OrgPickerForm):
    since = forms.DateField(label=_("From"), widget=DateInput)
    until = forms.DateField(label=_("To"), widget=DateInput)

    def __init__(self, *args, **kwargs):
        today = timezone.localdate()
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("since", date(today.year, 1, 1))
        kwargs["initial"].setdefault("until", date(today.year, 12, 31))
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end of the period is before its start."))
        return data


class LocalRulesForm(forms.Form):
    min_months_application_to_activist = forms.IntegerField(
        label=_("Months from application to activist (local rule)"),
        required=False,
        min_value=1,
        max_value=60,
        help_text=_(
            "Left empty, the rule is off (the default): an activist may be chosen at any "
            "time after the talk."
        ),
    )

    def clean_min_months_application_to_activist(self):
        value = self.cleaned_data.get("min_months_application_to_activist")
        if value is not None and value < 1:
            raise ValidationError(_("Enter at least one month, or leave empty."))
        return value
