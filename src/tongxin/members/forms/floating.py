from django import forms
from django.utils.translation import gettext_lazy as _

from tongxin.core.errors import ValidationError
from tongxin.members.forms.transfers import DateInput, org_by_code


class FloatingForm(forms.Form):
    destination = forms.CharField(label=_("Destination"), max_length=150)
    host_org_code = forms.CharField(
        label=_("Host organisation code"),
        max_length=32,
        required=False,
        help_text=_("The organisation in the district where the member takes part, if any."),
    )
    certificate_no = forms.CharField(
        label=_("Floating member certificate"), max_length=40, required=False
    )
    left_on = forms.DateField(label=_("Away since"), widget=DateInput)
    expected_return_on = forms.DateField(
        label=_("Expected return"), required=False, widget=DateInput
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def clean_host_org_code(self):
        code = self.cleaned_data["host_org_code"].strip()
        if not code:
            return None
        org = org_by_code(code, branch_only=False)
        if org is None:
            raise ValidationError(_("no active organisation with this code in the district"))
        return org

    def service_fields(self) -> dict:
        d = dict(self.cleaned_data)
        d["host_org"] = d.pop("host_org_code")
        return d


ALIASES = {"host_org": "host_org_code"}


class EndForm(forms.Form):
    returned_on = forms.DateField(label=_("Returned on"), widget=DateInput)


class AttendanceForm(forms.Form):
    attended_on = forms.DateField(label=_("Date"), widget=DateInput)
    activity = forms.CharField(label=_("Meeting or activity"), max_length=150)
