from django import forms
from django.utils.translation import gettext_lazy as _

from tongxin.core.errors import ValidationError
from tongxin.members.models import LapseFlag
from tongxin.members.services.lapse import OUTCOMES


class DateInput(forms.DateInput):
    input_type = "date"


class FlagFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *LapseFlag.Kind.choices]
    )
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All states")), *LapseFlag.State.choices]
    )


class RunForm(forms.Form):
    org_code = forms.CharField(
        label=_("Organisation code"),
        max_length=32,
        required=False,
        help_text=_("Empty: every organisation you keep."),
    )

    def __init__(self, *args, scope_qs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope_qs = scope_qs

    def clean_org_code(self):
        code = self.cleaned_data["org_code"].strip()
        if not code:
            return None
        org = self.scope_qs.filter(code=code).first() if self.scope_qs is not None else None
        if org is None:
            raise ValidationError(_("no organisation with this code in your scope"))
        return org


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for dismissing"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


OUTCOME_LABELS = {
    "none": _("No change of standing"),
    "lapsed": _("Treated as lapsed"),
    "suspended": _("Standing suspended"),
}


class DecideForm(forms.Form):
    decision = forms.CharField(label=_("Decision"), max_length=200)
    decided_by = forms.CharField(
        label=_("Decided by"),
        max_length=100,
        help_text=_("The branch meeting that decided, and the committee that approved."),
    )
    outcome = forms.ChoiceField(label=_("Outcome"))
    effective_on = forms.DateField(label=_("Effective date"), required=False, widget=DateInput)

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [(o, OUTCOME_LABELS[o]) for o in OUTCOMES[kind]]
