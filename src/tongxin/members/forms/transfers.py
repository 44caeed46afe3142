from django import forms
from django.utils.translation import gettext_lazy as _

from tongxin.core.errors import ValidationError
from tongxin.members.rules import transfers as rules
from tongxin.orgs.models import Org
from tongxin.orgs.rules import BRANCH_TYPES


class DateInput(forms.DateInput):
    input_type = "date"


class MonthInput(forms.DateInput):
    input_type = "month"

    def format_value(self, value):
        if hasattr(value, "strftime"):
            return value.strftime("%Y-%m")
        return value


class MonthField(forms.DateField):
    """A month (`2026-05`, or any date of it) → the first day of that month."""

    widget = MonthInput
    input_formats = ["%Y-%m", "%Y-%m-%d"]

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace(day=1) if value else value


def apply_service_errors(form: forms.Form, exc: ValidationError, aliases=None) -> None:
    """A service's ValidationError onto the form's fields (unknown fields: non-field)."""
    aliases = aliases or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, messages in exc.message_dict.items():
        name = aliases.get(field, field)
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message if target else f"{form_label(form, field)}: {message}")


def form_label(form, field: str) -> str:
    labels = {
        "member": _("Member"),
        "state": _("State"),
        "expires_on": _("Letter"),
        "to_org": _("Receiving branch"),
        "host_org": _("Host organisation"),
    }
    return str(labels.get(field, field))


def org_by_code(code: str, *, branch_only: bool) -> Org | None:
    qs = Org.objects.filter(code=code.strip(), active=True)
    if branch_only:
        qs = qs.filter(type__in=BRANCH_TYPES)
    return qs.first()


class TransferRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of transfer"),
        choices=[
            (rules.WITHIN, _("Within the district")),
            (rules.OUTWARD, _("To an organisation outside the district")),
        ],
    )
    to_org_code = forms.CharField(
        label=_("Receiving branch code"),
        max_length=32,
        required=False,
        help_text=_("For a transfer within the district: the code of the receiving branch."),
    )
    outside_org_name = forms.CharField(
        label=_("Outside organisation"),
        max_length=150,
        required=False,
        help_text=_("For a transfer out of the district: the receiving organisation's name."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def clean_to_org_code(self):
        code = self.cleaned_data["to_org_code"].strip()
        if not code:
            return None
        org = org_by_code(code, branch_only=True)
        if org is None:
            raise ValidationError(_("no active branch with this code in the district"))
        return org

    def service_fields(self) -> dict:
        d = self.cleaned_data
        return {
            "kind": d["kind"],
            "to_org": d["to_org_code"],
            "outside_org_name": d["outside_org_name"],
            "reason": d["reason"],
        }


ALIASES = {"to_org": "to_org_code"}


class ApproveForm(forms.Form):
    letter_no = forms.CharField(label=_("Letter number"), max_length=40)
    dues_paid_to = MonthField(
        label=_("Dues paid up to (month)"),
        help_text=_("Written on the letter; every month up to it must be paid."),
    )
    valid_days = forms.IntegerField(
        label=_("Validity (days)"),
        required=False,
        min_value=rules.MIN_VALID_DAYS,
        max_value=rules.MAX_VALID_DAYS,
        help_text=_("Left empty, the district's default validity applies."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=200, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, required=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required


class EmptyForm(forms.Form):
    pass


def action_form(action: str, data=None, prefix=None):
    if action == rules.APPROVE:
        return ApproveForm(data, prefix=prefix)
    if action in rules.NEEDS_REASON:
        return ReasonForm(data, prefix=prefix)
    if action == rules.WITHDRAW:
        return ReasonForm(data, prefix=prefix, required=False)
    return EmptyForm(data, prefix=prefix)
