from django import forms
from django.utils.translation import gettext_lazy as _

from tongxin.core.errors import ValidationError
from tongxin.orgs.models import Coverage, Org, OrgType, Sector, Unit, UnitCategory


class DateInput(forms.DateInput):
    input_type = "date"


class OrgForm(forms.ModelForm):
    parent_code = forms.CharField(
        label=_("Parent organisation code"),
        max_length=32,
        required=False,
        help_text=_("Code of the organisation this one sits under."),
    )

    class Meta:
        model = Org
        fields = [
            "code",
            "name",
            "type",
            "sector",
            "founded_on",
            "secretary_name",
            "has_committee",
            "term_started_on",
            "term_ends_on",
            "contact_name",
            "contact_phone",
            "address",
            "member_count",
            "full_member_count",
            "active",
        ]
        widgets = {"founded_on": DateInput, "term_started_on": DateInput, "term_ends_on": DateInput}
        help_texts = {"term_ends_on": _("Left empty, it is computed from the term length.")}

    def __init__(self, *args, scope_qs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope_qs = scope_qs
        self.fields["type"].choices = OrgType.choices
        self.fields["sector"].choices = Sector.choices
        if self.instance.pk and self.instance.parent_id:
            self.fields["parent_code"].initial = self.instance.parent.code

    def clean_parent_code(self):
        code = self.cleaned_data["parent_code"].strip()
        if not code:
            return None
        parent = self.scope_qs.filter(code=code).first() if self.scope_qs is not None else None
        if parent is None:
            raise ValidationError(_("no organisation with this code in your scope"))
        return parent

    def validate_unique(self):
        """Uniqueness is checked by the service, which reports it on the field."""

    def service_fields(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "parent_code"}
        data["parent"] = self.cleaned_data.get("parent_code")
        return data


class UnitForm(forms.ModelForm):
    org_code = forms.CharField(
        label=_("Covering organisation code"),
        max_length=32,
        required=False,
        help_text=_("For own organisation or joint branch coverage."),
    )

    class Meta:
        model = Unit
        fields = [
            "name",
            "credit_code",
            "category",
            "street",
            "community",
            "address",
            "employee_count",
            "party_member_count",
            "coverage",
            "instructor_name",
            "active",
        ]

    def __init__(self, *args, street_qs=None, community_qs=None, org_qs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.org_qs = org_qs
        self.fields["street"].queryset = street_qs
        self.fields["street"].required = False
        self.fields["street"].help_text = _("Left empty, the community's street is used.")
        self.fields["community"].queryset = community_qs
        self.fields["category"].choices = UnitCategory.choices
        self.fields["coverage"].choices = Coverage.choices
        if self.instance.pk and self.instance.org_id:
            self.fields["org_code"].initial = self.instance.org.code

    def clean_org_code(self):
        code = self.cleaned_data["org_code"].strip()
        if not code:
            return None
        org = self.org_qs.filter(code=code).first()
        if org is None:
            raise ValidationError(_("no organisation with this code in your scope"))
        return org

    def validate_unique(self):
        """Checked by the service."""

    def service_fields(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "org_code"}
        data["org"] = self.cleaned_data.get("org_code")
        return data


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError onto the form's fields (others: non-field)."""
    aliases = {"parent": "parent_code", "org": "org_code"}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, messages in exc.message_dict.items():
        name = aliases.get(field, field)
        target = name if name in form.fields else None
        for message in messages:
            prefix = "" if target else f"{field}: "
            form.add_error(target, prefix + message)


class UnitFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("name, pinyin initials or credit code")}),
    )
    street = forms.ModelChoiceField(label=_("Street"), queryset=Org.objects.none(), required=False)
    community = forms.ModelChoiceField(
        label=_("Community"),
        queryset=Org.objects.none(),
        required=False,
        help_text=_("Choose a street first."),
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All")), *UnitCategory.choices]
    )
    coverage = forms.ChoiceField(
        label=_("Coverage"),
        required=False,
        choices=[("", _("All")), ("covered", _("Covered")), *Coverage.choices],
    )
    flagged = forms.BooleanField(
        label=_("Only units with 3 or more members and no own organisation"), required=False
    )

    def __init__(self, *args, street_qs=None, community_qs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = street_qs
        self.fields["community"].queryset = community_qs
