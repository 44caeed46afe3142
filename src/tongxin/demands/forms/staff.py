"""Staff-side forms: the list filters, hotline/staff entry, the grid patrol report, and a
demand from a household visit (one step)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tongxin.demands.forms.common import CategoryChoiceField, PhotosField
from tongxin.demands.models import Channel, Department, State
from tongxin.demands.selectors import demands as sel
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import Org

YES_NO = [("", "—"), ("1", _("Yes")), ("0", _("No"))]

# channels a member of staff enters by hand (the portal, Open311, patrols and visits have
# their own forms)
STAFF_CHANNELS = [
    (c.value, c.label)
    for c in (Channel.HOTLINE, Channel.RECEPTION, Channel.ALLIANCE, Channel.STAFF)
]


def visible_communities(user):
    return (
        Org.objects.visible_to(user).filter(type=org_rules.COMMUNITY, active=True).order_by("path")
    )


def visible_streets(user):
    """Streets the user may filter by: visible ones, and the streets above their communities."""
    communities = visible_communities(user)
    return Org.objects.filter(type=org_rules.STREET).filter(
        pk__in=Org.objects.visible_to(user).filter(type=org_rules.STREET).values("pk")
    ) | Org.objects.filter(pk__in=communities.values("parent_id"))


class DemandFilterForm(forms.Form):
    """The list's filters; `filters()` gives `selectors.demands_for` keyword arguments."""

    q = forms.CharField(label=_("Code or words"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("State"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    street = forms.ChoiceField(label=_("Street"), required=False)
    community = forms.ChoiceField(label=_("Community"), required=False)
    department = forms.ChoiceField(label=_("Department"), required=False)
    overdue = forms.ChoiceField(label=_("Overdue"), required=False, choices=YES_NO)
    supervised = forms.ChoiceField(label=_("Under supervision"), required=False, choices=YES_NO)
    escalated = forms.ChoiceField(label=_("Escalated"), required=False, choices=YES_NO)

    def __init__(self, data=None, *, user, labels=None):
        super().__init__(data)
        labels = labels or sel.state_labels()
        self.fields["state"].choices = [
            ("", _("Every state")),
            (sel.OPEN, _("Open (not answered yet)")),
            (sel.CLOSED, _("Answered or ended")),
        ] + [(value, labels.get(value, value)) for value in State.values]
        self.fields["channel"].choices = [("", "—"), *list(Channel.choices)]
        from tongxin.demands.models import Category

        self.fields["category"].choices = [("", "—")] + [
            (c.pk, f"{c.parent.name} / {c.name}" if c.parent_id else c.name)
            for c in Category.objects.select_related("parent").order_by(
                "parent__order", "parent_id", "order", "id"
            )
        ]
        communities = list(visible_communities(user).values_list("pk", "name")[:300])
        streets = list(visible_streets(user).order_by("path").values_list("pk", "name")[:100])
        self.fields["community"].choices = [("", "—"), *communities]
        self.fields["street"].choices = [("", "—"), *streets]
        if len(streets) <= 1:
            del self.fields["street"]
        self.fields["department"].choices = [
            ("", "—"),
            *list(Department.objects.filter(active=True).values_list("pk", "name")[:300]),
        ]

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None)}


class _Location(forms.Form):
    address = forms.CharField(label=_("Location (address)"), required=False, max_length=200)
    latitude = forms.DecimalField(
        label=_("Latitude"),
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        widget=forms.HiddenInput,
    )
    longitude = forms.DecimalField(
        label=_("Longitude"),
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        widget=forms.HiddenInput,
    )

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("latitude", _("Give both latitude and longitude, or neither."))
        return data


class StaffEntryForm(_Location):
    """A demand entered by staff: a hotline call, a reception, an alliance unit's report."""

    channel = forms.ChoiceField(label=_("Channel"), choices=STAFF_CHANNELS, initial="hotline")
    category = CategoryChoiceField()
    title = forms.CharField(label=_("Title"), required=False, max_length=100)
    description = forms.CharField(
        label=_("What the resident asks"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5})
    )
    community = forms.ModelChoiceField(label=_("Community"), queryset=Org.objects.none())
    contact_name = forms.CharField(label=_("Caller's name"), required=False, max_length=50)
    phone = forms.CharField(
        label=_("Caller's phone"),
        required=False,
        max_length=20,
        help_text=_("The tracking code is texted to this number."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    confidential = forms.BooleanField(
        label=_("Keep the caller's details confidential"),
        required=False,
        help_text=_("The handling department never sees the caller's name or phone."),
    )
    photos = PhotosField()

    field_order = [
        "channel",
        "category",
        "title",
        "description",
        "community",
        "address",
        "latitude",
        "longitude",
        "contact_name",
        "phone",
        "confidential",
        "photos",
    ]

    def __init__(self, data=None, files=None, *, user, **kwargs):
        super().__init__(data, files, **kwargs)
        self.fields["category"].load()
        self.fields["community"].queryset = visible_communities(user)
        self.fields["community"].label_from_instance = lambda o: o.name

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "channel": d["channel"],
            "category": d["category"],
            "title": d.get("title", ""),
            "description": d["description"],
            "community": d["community"],
            "address": d.get("address", ""),
            "latitude": d.get("latitude"),
            "longitude": d.get("longitude"),
            "contact_name": d.get("contact_name", ""),
            "phone": d.get("phone", ""),
            "confidential": d.get("confidential", False),
            "photos": d.get("photos") or [],
        }


class PatrolForm(_Location):
    """A grid worker's patrol report from a phone: short on purpose."""

    category = CategoryChoiceField()
    description = forms.CharField(
        label=_("What you found"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    photos = PhotosField(label=_("Photo"))
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=None)

    field_order = ["category", "description", "photos", "grid", "address", "latitude", "longitude"]

    def __init__(self, data=None, files=None, *, user, **kwargs):
        from tongxin.grid.access import visible_grids

        super().__init__(data, files, **kwargs)
        self.fields["category"].load()
        grids = visible_grids(user).select_related("community").order_by("community__path", "code")
        self.fields["grid"].queryset = grids
        self.fields["grid"].label_from_instance = lambda g: f"{g.name}（{g.community.name}）"
        if grids.count() == 1:
            self.fields["grid"].initial = grids.first().pk

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        grid = d["grid"]
        return {
            "channel": Channel.PATROL,
            "category": d["category"],
            "description": d["description"],
            "community": grid.community,
            "grid": grid,
            "address": d.get("address", ""),
            "latitude": d.get("latitude"),
            "longitude": d.get("longitude"),
            "photos": d.get("photos") or [],
        }


class VisitDemandForm(forms.Form):
    """A problem found on a household visit becomes a demand in one step."""

    category = CategoryChoiceField()
    description = forms.CharField(
        label=_("The problem"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    text_household = forms.BooleanField(
        label=_("Text the tracking code to the household's phone"), required=False, initial=True
    )
    confidential = forms.BooleanField(
        label=_("Keep the household's details confidential"), required=False
    )
    photos = PhotosField()

    def __init__(self, data=None, files=None, *, visit, **kwargs):
        super().__init__(data, files, **kwargs)
        self.visit = visit
        self.fields["category"].load()
        if not self.is_bound:
            self.initial["description"] = visit.problem_found or ""

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        household = self.visit.household
        grid = self.visit.grid
        return {
            "channel": Channel.VISIT,
            "category": d["category"],
            "description": d["description"],
            "community": grid.community,
            "grid": grid,
            "address": household.address or "",
            "contact_name": household.head_name or "",
            "phone": (household.phone or "") if d.get("text_household") else "",
            "confidential": d.get("confidential", False),
            "photos": d.get("photos") or [],
            "visit": self.visit,
        }
