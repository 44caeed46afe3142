"""Forms of the grid pages: they parse; the services validate and decide."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongxin.core.errors import ValidationError
from tongxin.core.scoping import MANAGER_ROLES, scope_paths
from tongxin.grid import rules
from tongxin.grid.access import WORKER_ROLES
from tongxin.grid.models import Building, CareGroup, Gender, Relation, Resident
from tongxin.grid.selectors.people import eligible_workers_in
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import Org


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError onto the form's fields (others: non-field)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, messages in exc.message_dict.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message if target else f"{field}: {message}")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} ({obj.username})" if obj.display_name else obj.username


class IdsChoiceField(forms.ModelMultipleChoiceField):
    """A multiple choice of rows by id that refuses ids beyond the database's integer range
    as invalid choices (SQLite raises OverflowError on them in the `IN` query)."""

    def _check_values(self, value):
        for pk in value or ():
            text = str(pk).strip()
            if text.isascii() and text.isdigit() and len(text) > 18:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": text[:20]},
                )
        return super()._check_values(value)


class UsersChoiceField(IdsChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} ({obj.username})" if obj.display_name else obj.username


class GridForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=Org.objects.none())
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    boundary = forms.CharField(
        label=_("Boundary (GeoJSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        help_text=_(
            "A GeoJSON Polygon or MultiPolygon in longitude/latitude (WGS84), as exported by a "
            "map tool; leave empty if not yet drawn."
        ),
    )
    leader = UserChoiceField(label=_("Grid leader"), required=False, queryset=Org.objects.none())
    workers = UsersChoiceField(
        label=_("Grid workers"),
        required=False,
        queryset=Org.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    party_org = forms.ModelChoiceField(
        label=_("Party branch or group of the grid"), required=False, queryset=Org.objects.none()
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, user, grid=None, **kwargs):
        if grid is not None and "initial" not in kwargs:
            import json

            kwargs["initial"] = {
                "community": grid.community_id,
                "code": grid.code,
                "name": grid.name,
                "boundary": json.dumps(grid.boundary, ensure_ascii=False) if grid.boundary else "",
                "leader": grid.leader_id,
                "workers": [w.pk for w in grid.workers.all()],
                "party_org": grid.party_org_id,
                "description": grid.description,
            }
        super().__init__(*args, **kwargs)
        paths = scope_paths(user, MANAGER_ROLES)
        self.fields["community"].queryset = Org.objects.manageable_by(user).filter(
            type=org_rules.COMMUNITY
        )
        if grid is not None:
            self.fields["community"].disabled = True
        self.fields["workers"].queryset = eligible_workers_in(paths).order_by("username")
        self.fields["leader"].queryset = eligible_workers_in(
            paths, WORKER_ROLES | MANAGER_ROLES
        ).order_by("username")
        self.fields["party_org"].queryset = Org.objects.manageable_by(user).filter(
            type__in=[*org_rules.BRANCH_TYPES, org_rules.PARTY_GROUP]
        )

    def clean_boundary(self):
        geometry, errors = rules.parse_boundary(self.cleaned_data.get("boundary", ""))
        if errors:
            raise forms.ValidationError(errors)
        return geometry

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["workers"] = list(data["workers"])
        if self.fields["community"].disabled:
            data.pop("community")
        return data


class BuildingForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60, help_text=_("e.g. 3号楼"))
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    floors = forms.IntegerField(label=_("Floors"), required=False, min_value=1, max_value=200)


class HouseholdForm(forms.Form):
    building = forms.ModelChoiceField(
        label=_("Building"), required=False, queryset=Building.objects.none()
    )
    room = forms.CharField(label=_("Unit and room"), max_length=30, required=False)
    head_name = forms.CharField(label=_("Head of household"), max_length=50)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    address = forms.CharField(
        label=_("Address"),
        max_length=200,
        required=False,
        help_text=_("Stored encrypted; shown masked."),
    )

    def __init__(self, *args, grid, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = Building.objects.filter(grid=grid).order_by("name")


class ResidentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices)
    relation = forms.ChoiceField(label=_("Relation to the head"), choices=Relation.choices)
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=DateInput)
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=18,
        required=False,
        help_text=_("Optional. Stored encrypted; a party member is linked to their record."),
    )
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)


class CareNeedForm(forms.Form):
    group = forms.ChoiceField(label=_("Care group"), choices=CareGroup.choices)
    resident = forms.ModelChoiceField(
        label=_("Resident"),
        required=False,
        queryset=Resident.objects.none(),
        help_text=_("For a person's need; leave empty for the whole household."),
    )
    since = forms.DateField(label=_("Since"), required=False, widget=DateInput)
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Stored encrypted, shown only on request."),
    )

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].queryset = Resident.objects.filter(household=household)


class VisitForm(forms.Form):
    """The mobile visit log: three fields, native date picker, large text areas."""

    visited_on = forms.DateField(label=_("Date of the visit"), widget=DateInput)
    learned = forms.CharField(
        label=_("What was learned"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The family's situation, opinions and wishes."),
    )
    problem_found = forms.CharField(
        label=_("Problem found"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional: a problem the family needs solved."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"visited_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
