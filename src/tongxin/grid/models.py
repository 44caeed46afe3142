"""Grids, buildings, households, residents, care needs and household visits.

DOMAIN.md §1 (网格化管理; 入民户、访民情、交朋友、解难题), §2 (the grid worker), §9 (personal
data). Each community is divided into grids; a grid has a GeoJSON boundary (validated by
`rules.boundary_errors`), a leader, workers and the party branch or group built on it
("支部建在网格上"). Households live in a grid (optionally in one of its buildings); residents
belong to a household. Sensitive fields (addresses, phones, ID numbers, care details, visit
notes) are encrypted at rest (core.crypto) and masked on screen; `services.reveal` unmasks
one value for a role that needs it, with an audit entry.

Scoping: every model here is seen through `access.grid_scope_q` — the one rule (managers see
their subtree's grids; a grid worker sees the grids they lead or work in). The querysets'
`visible_to` applies it; `scope_lookups` name the path of the grid's community.

A later `demands.Demand` links to the visit it came from (`Demand.visit → Visit`), carrying
`Visit.problem_found` as its description; nothing here depends on the demands app.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tongxin.core.crypto import EncryptedTextField
from tongxin.core.models import BaseModel
from tongxin.core.scoping import ScopedQuerySet
from tongxin.grid import rules


class CareGroup(models.TextChoices):
    """Groups that need care. Personal groups name a resident; family groups the household."""

    ELDERLY_ALONE = rules.ELDERLY_ALONE, _("Elderly living alone")
    DISABLED = rules.DISABLED, _("Person with a disability")
    SERIOUS_ILLNESS = rules.SERIOUS_ILLNESS, _("Serious illness")
    FAMILY_IN_DIFFICULTY = rules.FAMILY_IN_DIFFICULTY, _("Family in difficulty")
    LOW_INCOME = rules.LOW_INCOME, _("Minimum living allowance")
    SPECIAL_CARE = rules.SPECIAL_CARE, _("Entitled to special care (veterans' families)")


class Relation(models.TextChoices):
    """Relation to the head of the household."""

    HEAD = rules.HEAD, _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    GRANDPARENT = "grandparent", _("Grandparent")
    SIBLING = "sibling", _("Brother or sister")
    RELATIVE = "relative", _("Other relative")
    TENANT = "tenant", _("Tenant or lodger")
    OTHER = "other", _("Other")


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class GridScopedQuerySet(ScopedQuerySet):
    """`visible_to(user)` through `access.grid_scope_q`; `grid_lookup` is how the model reaches
    its grid ("" for Grid itself)."""

    grid_lookup = "grid__"
    scope_lookups = ("grid__community__path",)

    def visible_to(self, user, roles=None):
        from tongxin.grid.access import grid_scope_q

        q = grid_scope_q(user, self.grid_lookup)
        return self if q is None else self.filter(q)

    def manageable_by(self, user):
        from tongxin.grid.access import grid_scope_q

        q = grid_scope_q(user, self.grid_lookup, managers_only=True)
        return self if q is None else self.filter(q)


class GridQuerySet(GridScopedQuerySet):
    grid_lookup = ""
    scope_lookups = ("community__path",)


class Grid(BaseModel):
    community = models.ForeignKey(
        "orgs.Org",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="grids",
        limit_choices_to={"type": "community_committee"},
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # A GeoJSON geometry (Polygon or MultiPolygon, WGS84 [longitude, latitude]).
    boundary = models.JSONField(_("boundary"), null=True, blank=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("grid leader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_grids",
    )
    workers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("grid workers"),
        blank=True,
        related_name="worker_grids",
    )
    # the branch or party group built on the grid ("支部建在网格上"), inside the community
    party_org = models.ForeignKey(
        "orgs.Org",
        verbose_name=_("party branch or group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="party_grids",
    )
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    search_key = models.CharField(max_length=400, blank=True, editable=False)

    objects = GridQuerySet.as_manager()

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["id"]
        indexes = [models.Index(fields=["community", "id"], name="grid_community_id")]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="grid_name_in_community")
        ]

    def __str__(self):
        return self.name


class Building(BaseModel):
    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="buildings"
    )
    name = models.CharField(_("name"), max_length=60)
    # the building's street address (a public place, not personal data)
    address = models.CharField(_("address"), max_length=200, blank=True)
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)

    objects = GridScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "name"], name="building_name_in_grid")
        ]

    def __str__(self):
        return self.name


class Household(BaseModel):
    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="households"
    )
    building = models.ForeignKey(
        Building,
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="households",
    )
    # "2单元301": where in the building (shown); the full address is personal data (encrypted)
    room = models.CharField(_("unit and room"), max_length=30, blank=True)
    address = EncryptedTextField(_("address"), blank=True, default="")
    head_name = models.CharField(_("head of household"), max_length=50)
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    phone_tail = models.CharField(max_length=4, blank=True, editable=False, db_index=True)
    search_key = models.CharField(max_length=200, blank=True, editable=False)

    objects = GridScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["id"]
        indexes = [models.Index(fields=["grid", "id"], name="household_grid_id")]

    def __str__(self):
        where = f"{self.building.name} {self.room}".strip() if self.building_id else self.room
        return f"{self.head_name} · {where}" if where else self.head_name


class ResidentQuerySet(GridScopedQuerySet):
    grid_lookup = "household__grid__"
    scope_lookups = ("household__grid__community__path",)


class Resident(BaseModel):
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="residents"
    )
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    # optional (minimum necessary, PIPL art. 6); when given: GB 11643, unique among residents
    id_number = EncryptedTextField(_("ID number"), blank=True, default="")
    id_digest = models.CharField(max_length=64, blank=True, default="", editable=False)
    id_tail = models.CharField(max_length=4, blank=True, default="", editable=False)
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    phone_tail = models.CharField(max_length=4, blank=True, editable=False, db_index=True)
    relation = models.CharField(
        _("relation to the head"), max_length=12, choices=Relation, default=Relation.OTHER
    )
    # the resident's record in the member registry, when they are a party member
    member = models.OneToOneField(
        "members.Member",
        verbose_name=_("party member record"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resident",
    )
    search_key = models.CharField(max_length=200, blank=True, editable=False)

    objects = ResidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["id"]
        indexes = [models.Index(fields=["household", "id"], name="resident_household_id")]
        constraints = [
            models.UniqueConstraint(
                fields=["id_digest"], condition=~Q(id_digest=""), name="resident_id_unique"
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(relation=rules.HEAD),
                name="one_head_per_household",
            ),
        ]

    def __str__(self):
        return self.name


class CareNeedQuerySet(GridScopedQuerySet):
    grid_lookup = "household__grid__"
    scope_lookups = ("household__grid__community__path",)


class CareNeed(BaseModel):
    """A household (family groups) or one of its residents (personal groups) in a care group."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="care_needs"
    )
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="care_needs",
    )
    group = models.CharField(_("care group"), max_length=24, choices=CareGroup)
    since = models.DateField(_("since"))
    # health or difficulty details: sensitive (DOMAIN.md §9.4), encrypted, shown on request
    details = EncryptedTextField(_("details"), blank=True, default="")
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    objects = CareNeedQuerySet.as_manager()

    class Meta:
        verbose_name = _("care need")
        verbose_name_plural = _("care needs")
        ordering = ["id"]
        indexes = [models.Index(fields=["group", "household"], name="careneed_group_household")]

    def __str__(self):
        return self.get_group_display()


class Visit(BaseModel):
    """One household visit (入民户、访民情、交朋友、解难题). `problem_found`, when given, is what
    a later demand (demands.Demand.visit) takes up; `has_problem` lets lists find them
    without decrypting."""

    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="visits"
    )
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField(_("date of the visit"))
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visitor"),
        on_delete=models.PROTECT,
        related_name="household_visits",
    )
    learned = EncryptedTextField(_("what was learned"))
    problem_found = EncryptedTextField(_("problem found"), blank=True, default="")
    has_problem = models.BooleanField(_("problem found"), default=False, editable=False)

    objects = GridScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("household visit")
        verbose_name_plural = _("household visits")
        ordering = ["-visited_on", "-id"]
        indexes = [
            models.Index(fields=["grid", "-visited_on"], name="visit_grid_date"),
            models.Index(fields=["household", "-visited_on"], name="visit_household_date"),
        ]

    def __str__(self):
        return f"{self.household.head_name} · {self.visited_on}"
