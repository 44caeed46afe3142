from django.db import models
from django.utils.translation import gettext_lazy as _

from tongxin.core.models import BaseModel
from tongxin.core.scoping import ScopedQuerySet
from tongxin.orgs import rules

PATH_SEGMENT = 8  # digits of one id in the materialised path ("00000001/00000042/")


def path_segment(pk: int) -> str:
    return f"{pk:0{PATH_SEGMENT}d}/"


class OrgType(models.TextChoices):
    DISTRICT = rules.DISTRICT, _("District committee")
    STREET = rules.STREET, _("Street working committee")
    COMMUNITY = rules.COMMUNITY, _("Community committee")
    COMMITTEE = rules.COMMITTEE, _("Primary committee")
    GENERAL_BRANCH = rules.GENERAL_BRANCH, _("General branch")
    BRANCH = rules.BRANCH, _("Branch")
    JOINT_BRANCH = rules.JOINT_BRANCH, _("Joint branch")
    PARTY_GROUP = rules.PARTY_GROUP, _("Party group")


class Sector(models.TextChoices):
    COMMUNITY = "community", _("Community")
    ORGAN = "organ", _("Government organ")
    INSTITUTION = "institution", _("Public institution")
    SOE = "soe", _("State-owned enterprise")
    NON_PUBLIC_ENTERPRISE = "non_public_enterprise", _("Non-public enterprise")
    SOCIAL_ORGANISATION = "social_organisation", _("Social organisation")
    COMMERCIAL_BUILDING = "commercial_building", _("Commercial building")
    PARK = "park", _("Industrial park")
    MARKET = "market", _("Business district or market")
    OTHER = "other", _("Other")


class OrgQuerySet(ScopedQuerySet):
    scope_lookups = ("path",)

    def subtree(self, org: "Org", include_self: bool = True):
        qs = self.filter(path__startswith=org.path)
        return qs if include_self else qs.exclude(pk=org.pk)


class Org(BaseModel):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    type = models.CharField(_("type"), max_length=24, choices=OrgType)
    sector = models.CharField(_("sector"), max_length=24, choices=Sector, default=Sector.COMMUNITY)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    founded_on = models.DateField(_("founding date"), null=True, blank=True)
    secretary_name = models.CharField(_("secretary"), max_length=50, blank=True)
    has_committee = models.BooleanField(_("has a branch committee"), default=False)
    term_started_on = models.DateField(_("term start"), null=True, blank=True)
    term_ends_on = models.DateField(_("term end"), null=True, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # Recorded figures until the members module computes them from the registry.
    member_count = models.PositiveIntegerField(_("members"), default=0)
    full_member_count = models.PositiveIntegerField(_("full members"), default=0)
    active = models.BooleanField(_("active"), default=True)
    search_key = models.CharField(max_length=600, blank=True, editable=False)

    objects = OrgQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["path"]
        indexes = [
            models.Index(
                fields=["path"], name="org_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["type", "path"], name="org_type_path"),
            models.Index(fields=["term_ends_on"], name="org_term_end"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(full_member_count__lte=models.F("member_count")),
                name="org_full_members_lte_members",
                violation_error_message=_("full members cannot exceed members"),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_branch(self) -> bool:
        return self.type in rules.BRANCH_TYPES

    def ancestor_paths(self) -> list[str]:
        step = PATH_SEGMENT + 1
        return [self.path[:i] for i in range(step, len(self.path), step)]


class UnitCategory(models.TextChoices):
    ORGAN = "organ", _("Government organ")
    INSTITUTION = "institution", _("Public institution")
    SOE = "soe", _("State-owned enterprise")
    NON_PUBLIC_ENTERPRISE = "non_public_enterprise", _("Non-public enterprise")
    SOCIAL_ORGANISATION = "social_organisation", _("Social organisation")
    COMMERCIAL_BUILDING = "commercial_building", _("Commercial building")
    PARK = "park", _("Industrial park")
    MARKET = "market", _("Business district or market")
    OTHER = "other", _("Other")


class Coverage(models.TextChoices):
    OWN_ORG = rules.OWN_ORG, _("Own organisation")
    JOINT_BRANCH = rules.JOINT, _("Joint branch")
    INSTRUCTOR = rules.INSTRUCTOR, _("Party-building instructor")
    NONE = rules.NONE, _("Not covered")


class UnitQuerySet(ScopedQuerySet):
    # A unit is seen by whoever's subtree holds its community or street, or its covering org.
    scope_lookups = ("community__path", "street__path", "org__path")


class Unit(BaseModel):
    name = models.CharField(_("name"), max_length=120)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, null=True, blank=True
    )
    category = models.CharField(_("category"), max_length=24, choices=UnitCategory)
    street = models.ForeignKey(
        Org,
        verbose_name=_("street"),
        on_delete=models.PROTECT,
        related_name="street_units",
        limit_choices_to={"type": rules.STREET},
    )
    community = models.ForeignKey(
        Org,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="community_units",
        limit_choices_to={"type": rules.COMMUNITY},
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    employee_count = models.PositiveIntegerField(_("employees"), default=0)
    party_member_count = models.PositiveIntegerField(_("party members"), default=0)
    coverage = models.CharField(
        _("how covered"), max_length=16, choices=Coverage, default=Coverage.NONE
    )
    org = models.ForeignKey(
        Org,
        verbose_name=_("covering organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="host_units",
    )
    instructor_name = models.CharField(_("party-building instructor"), max_length=50, blank=True)
    active = models.BooleanField(_("active"), default=True)
    search_key = models.CharField(max_length=600, blank=True, editable=False)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["id"]
        indexes = [
            # (area, id): keyset pages inside one street/community are index range scans
            # (benchmarks/RESULTS.md: 17-33 ms -> 2 ms at city scale).
            models.Index(fields=["street", "id"], name="unit_street_id"),
            models.Index(fields=["community", "id"], name="unit_community_id"),
            models.Index(fields=["coverage"], name="unit_coverage"),
        ]

    def __str__(self):
        return self.name

    @property
    def should_have_own_org(self) -> bool:
        return rules.unit_should_have_own_org(self.party_member_count, self.coverage)
