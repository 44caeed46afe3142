"""Study and education (学习教育): campaigns, materials, study records, education bases and
their visits, branch secretaries' training (issue 5 §3 and §7).

Hours are plain hours (学时) kept per record; a member's or a branch's hours are the sum of
the records shown beside them — no points, no weights, no ranking of members.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongxin.core.models import BaseModel
from tongxin.core.scoping import ScopedQuerySet

HOURS = {"max_digits": 5, "decimal_places": 1}


class CampaignKind(models.TextChoices):
    TWO_STUDIES = "two_studies", _("Two Studies, One Action")  # 两学一做
    THEME = "theme", _("Theme education")  # 主题教育
    PARTY_HISTORY = "party_history", _("Party history education")  # 党史学习教育
    REGULAR = "regular", _("Regular study")  # 日常学习
    OTHER = "other", pgettext_lazy("campaign kind", "Other")


class Way(models.TextChoices):
    MEETING = "meeting", _("Study session of the branch")
    SELF_STUDY = "self_study", _("Self-study")
    ONLINE = "online", _("Online study")
    BASE_VISIT = "base_visit", _("Visit to an education base")
    TRAINING = "training", _("Training course")


# ways a member may record on their own ("my study"); the others are the branch's entries
SELF_WAYS = (Way.SELF_STUDY, Way.ONLINE)


class CampaignQuerySet(ScopedQuerySet):
    scope_lookups = ("org__path",)


class StudyCampaign(BaseModel):
    """A study campaign launched by an org for its whole subtree (两学一做, 主题教育 …)."""

    org = models.ForeignKey(
        "orgs.Org",
        verbose_name=_("launched by"),
        on_delete=models.PROTECT,
        related_name="study_campaigns",
    )
    title = models.CharField(_("title"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=CampaignKind)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    required_hours = models.DecimalField(
        _("required hours per member"),
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        **HOURS,
    )
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("study campaign")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="campaign_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(required_hours__gte=0), name="campaign_hours_nonnegative"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class StudyMaterial(BaseModel):
    campaign = models.ForeignKey(StudyCampaign, on_delete=models.CASCADE, related_name="materials")
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"), blank=True)
    file = models.FileField(_("file"), upload_to="education/materials/%Y/", blank=True)
    link = models.URLField(_("link"), blank=True)
    suggested_hours = models.DecimalField(_("suggested hours"), default=Decimal("0"), **HOURS)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title


class RecordQuerySet(ScopedQuerySet):
    scope_lookups = ("member__org__path",)


class StudyRecord(models.Model):
    """Hours one member studied on one day, entered by the branch or by the member."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="study_records"
    )
    campaign = models.ForeignKey(
        StudyCampaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="records"
    )
    meeting = models.ForeignKey(
        "meetings.Meeting",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="study_records",
    )
    visit = models.ForeignKey(
        "education.BaseVisit",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="records",
    )
    on = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), **HOURS)
    way = models.CharField(_("way"), max_length=16, choices=Way)
    topic = models.CharField(_("topic"), max_length=200)
    self_entered = models.BooleanField(_("entered by the member"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["-on", "-id"]
        indexes = [
            models.Index(fields=["member", "on"], name="study_member_on"),
            models.Index(fields=["campaign", "member"], name="study_campaign_member"),
            models.Index(fields=["on"], name="study_on"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gte=Decimal("0.5"), hours__lte=24),
                name="study_hours_bounds",
            ),
            # one record per member and meeting (services.record_study_from_meeting)
            models.UniqueConstraint(
                fields=["member", "meeting"],
                condition=models.Q(meeting__isnull=False),
                name="study_member_meeting_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.on} {self.hours}"


class BaseQuerySet(ScopedQuerySet):
    scope_lookups = ("org__path",)


class EducationBase(BaseModel):
    """A place for party education (红色教育基地): museum, former residence, memorial …"""

    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    org = models.ForeignKey(
        "orgs.Org",
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        related_name="education_bases",
    )
    contact = models.CharField(_("contact"), max_length=100, blank=True)
    opening_info = models.CharField(_("opening hours"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    objects = BaseQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class VisitQuerySet(ScopedQuerySet):
    scope_lookups = ("org__path",)


class BaseVisit(BaseModel):
    """A branch's visit to an education base; participants get study records of `hours`."""

    base = models.ForeignKey(EducationBase, on_delete=models.PROTECT, related_name="visits")
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("branch"), on_delete=models.PROTECT, related_name="+"
    )
    on = models.DateField(_("date"))
    participants = models.ManyToManyField("members.Member", blank=True, related_name="base_visits")
    participant_count = models.PositiveIntegerField(_("participants"), default=0)
    hours = models.DecimalField(_("hours"), null=True, blank=True, **HOURS)
    topic = models.CharField(_("topic"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.base_id} {self.on}"


class TrainingQuerySet(ScopedQuerySet):
    scope_lookups = ("member__org__path",)


class SecretaryTraining(BaseModel):
    """A training course a branch secretary attended (书记培训)."""

    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("secretary"),
        on_delete=models.CASCADE,
        related_name="trainings",
    )
    course = models.CharField(_("course"), max_length=120)
    organiser = models.CharField(_("organiser"), max_length=100)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    hours = models.DecimalField(_("hours"), **HOURS)
    concentrated = models.BooleanField(_("concentrated training"), default=True)
    certificate_note = models.CharField(_("certificate"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = TrainingQuerySet.as_manager()

    class Meta:
        ordering = ["-ends_on", "-id"]
        indexes = [models.Index(fields=["member", "ends_on"], name="training_member_end")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.course}"
