from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from tongxin.core.errors import ValidationError
from tongxin.members.models import CareCase, CareVisit
from tongxin.members.rules.dues import parse_month as month_from_text


class DateInput(forms.DateInput):
    input_type = "date"


class CaseForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of difficulty"), choices=CareCase.Kind.choices)
    level = forms.ChoiceField(label=_("Level"), choices=CareCase.Level.choices)
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Health or family circumstances: stored encrypted, shown only on request."),
    )
    help_given = forms.CharField(
        label=_("Help given"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    opened_on = forms.DateField(label=_("Opened on"), required=False, widget=DateInput)


class CaseUpdateForm(forms.Form):
    level = forms.ChoiceField(label=_("Level"), choices=CareCase.Level.choices)
    help_given = forms.CharField(
        label=_("Help given"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CloseForm(forms.Form):
    closed_on = forms.DateField(label=_("Closed on"), required=False, widget=DateInput)
    help_given = forms.CharField(
        label=_("Help given"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class VisitForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CareVisit.Kind.choices)
    visited_on = forms.DateField(label=_("Date"), widget=DateInput)
    visitors = forms.CharField(label=_("Visitors"), max_length=150)
    amount = forms.DecimalField(
        label=_("Money or goods (yuan)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        initial="0.00",
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class MonthForm(forms.Form):
    month = forms.CharField(
        label=_("Month"),
        max_length=7,
        required=False,
        widget=forms.TextInput(attrs={"type": "month"}),
    )

    def clean_month(self):
        value = self.cleaned_data["month"].strip()
        if not value:
            return None
        return parse_month(value)


def parse_month(value: str) -> date:
    """YYYY-MM → the first day of that month, or ValidationError naming the format."""
    month = month_from_text(value)
    if month is None:
        raise ValidationError(_("write the month as YYYY-MM"))
    return month
