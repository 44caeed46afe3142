from django import forms
from django.utils.translation import gettext_lazy as _

from tongxin.members.excel import XLSX_CONTENT_TYPE


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX_CONTENT_TYPE}),
    )
