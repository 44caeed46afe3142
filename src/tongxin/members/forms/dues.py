"""Forms of the dues pages. Amounts are taken as text so that the service names the rule
(negative, more than two decimals, below the amount due); forms check shape only."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from tongxin.core.errors import ValidationError
from tongxin.members.models import DuesRecord, DuesReduction, Member
from tongxin.members.rules import dues as rules
from tongxin.members.rules.dues import parse_month


class DateInput(forms.DateInput):
    input_type = "date"


class MonthInput(forms.TextInput):
    input_type = "month"

    def format_value(self, value):
        if isinstance(value, date):
            return f"{value:%Y-%m}"
        return super().format_value(value)


class MonthField(forms.CharField):
    widget = MonthInput

    def to_python(self, value):
        if isinstance(value, date):
            return rules.month_start(value)
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        month = parse_month(value)
        if month is None:
            raise ValidationError(_("enter a month as YYYY-MM"))
        return month


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class PaymentForm(forms.Form):
    amount = forms.CharField(label=_("Amount paid (yuan)"), max_length=20)
    paid_on = forms.DateField(label=_("Paid on"), widget=DateInput)
    method = forms.ChoiceField(label=_("Method"), choices=DuesRecord.Method.choices)
    proxy_name = forms.CharField(
        label=_("Paid on the member's behalf by"),
        max_length=50,
        required=False,
        help_text=_("Leave empty when the member paid in person."),
    )
    proxy_consent = forms.BooleanField(
        label=_("The member consented to payment on their behalf"), required=False
    )


class ReductionForm(forms.Form):
    member = MemberChoiceField(label=_("Member"), queryset=Member.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=DuesReduction.Kind.choices)
    amount = forms.CharField(
        label=_("Monthly amount after reduction (yuan)"),
        max_length=20,
        required=False,
        help_text=_("Leave empty for an exemption."),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    start_month = MonthField(label=_("From month"))
    end_month = MonthField(label=_("To month"))

    def __init__(self, *args, member_qs=None, **kwargs):
        super().__init__(*args, **kwargs)
        if member_qs is not None:
            self.fields["member"].queryset = member_qs


class VoluntaryForm(forms.Form):
    member = MemberChoiceField(label=_("Member"), queryset=Member.objects.none())
    amount = forms.CharField(label=_("Amount (yuan)"), max_length=20)
    paid_on = forms.DateField(label=_("Paid on"), widget=DateInput)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, member_qs=None, **kwargs):
        super().__init__(*args, **kwargs)
        if member_qs is not None:
            self.fields["member"].queryset = member_qs


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise ValidationError(_("not a number: %(text)s") % {"text": text}) from None
    if not value.is_finite():
        raise ValidationError(_("not a number: %(text)s") % {"text": text})
    return value


def parse_tiers(text: str) -> tuple:
    """Lines "upper rate" (e.g. "3000 0.005"); the last line "- rate" is open-ended."""
    tiers = []
    for number, line in enumerate(text.strip().splitlines(), start=1):
        parts = line.replace(",", " ").replace("，", " ").split()
        if not parts:
            continue
        if len(parts) != 2:
            raise ValidationError(
                _("line %(n)d: write the upper bound and the rate, e.g. 3000 0.005") % {"n": number}
            )
        upper = None if parts[0] in ("-", "*", "∞") else _decimal(parts[0])
        tiers.append((upper, _decimal(parts[1])))
    if not tiers:
        raise ValidationError(_("enter at least one tier"))
    return tuple(tiers)


def tiers_text(tiers) -> str:
    return "\n".join(
        f"{'-' if upper is None else format(upper.normalize(), 'f')} {format(rate, 'f')}"
        for upper, rate in tiers
    )


class PolicyForm(forms.Form):
    effective_from = MonthField(label=_("Effective from month"))
    salaried_tiers = forms.CharField(
        label=_("Salaried tiers"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "One tier a line: upper bound of the monthly base (inclusive) and rate; "
            'the last line starts with "-" (no upper bound). The rate applies to the whole base.'
        ),
    )
    retired_tiers = forms.CharField(
        label=_("Retired members' tiers"), widget=forms.Textarea(attrs={"rows": 3})
    )
    farmer_amount = forms.DecimalField(
        label=_("Farmers' monthly amount (yuan)"),
        max_digits=4,
        decimal_places=2,
        help_text=_("Between 0.20 and 1.00 yuan."),
    )
    flat_amount = forms.DecimalField(
        label=_("Students, unemployed and members on relief (yuan a month)"),
        max_digits=4,
        decimal_places=2,
    )
    rounding_unit = forms.DecimalField(
        label=_("Rounding unit (yuan)"),
        max_digits=4,
        decimal_places=2,
        help_text=_("Amounts are rounded half-up to this unit; 0.01 is the fen."),
    )
    back_pay_months = forms.IntegerField(
        label=_("Back payments allowed (months)"), min_value=0, max_value=120
    )
    large_voluntary_amount = forms.DecimalField(
        label=_("Voluntary payment flagged from (yuan)"), max_digits=12, decimal_places=2
    )
    after_tax_deductions = forms.CharField(
        label=_("Deducted from gross pay for the base"),
        required=False,
        help_text=_("Comma-separated, e.g. income tax, pension insurance."),
    )

    def clean_salaried_tiers(self):
        return parse_tiers(self.cleaned_data["salaried_tiers"])

    def clean_retired_tiers(self):
        return parse_tiers(self.cleaned_data["retired_tiers"])

    def clean_after_tax_deductions(self):
        text = self.cleaned_data["after_tax_deductions"].replace("，", ",")
        return [part.strip() for part in text.split(",") if part.strip()]

    def policy(self) -> rules.Policy:
        data = self.cleaned_data
        return rules.Policy(
            salaried_tiers=data["salaried_tiers"],
            retired_tiers=data["retired_tiers"],
            farmer_amount=data["farmer_amount"],
            flat_amount=data["flat_amount"],
            rounding_unit=data["rounding_unit"],
            back_pay_months=data["back_pay_months"],
            large_voluntary_amount=data["large_voluntary_amount"],
        )


def policy_initial(policy: rules.Policy, month: date, deductions=()) -> dict:
    return {
        "effective_from": month,
        "salaried_tiers": tiers_text(policy.salaried_tiers),
        "retired_tiers": tiers_text(policy.retired_tiers),
        "farmer_amount": policy.farmer_amount,
        "flat_amount": policy.flat_amount,
        "rounding_unit": policy.rounding_unit,
        "back_pay_months": policy.back_pay_months,
        "large_voluntary_amount": policy.large_voluntary_amount,
        "after_tax_deductions": ", ".join(deductions),
    }


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (others: non-field)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, messages in exc.message_dict.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message if target else f"{field}: {message}")
