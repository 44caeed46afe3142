"""Branch vitality (党支部活力提升工程) and the yearly 1–5 star rating (issue 5 §6).

The arithmetic is pure in `tongxin.meetings.rules.rating`; this app stores the configuration
(indicator weights, star thresholds) and the computed ratings. A rating is computed ONLY from
recorded data (services.compute_ratings) and keeps its breakdown — each indicator's weight,
effective weight, measured value, points and the figures behind it — so a branch sees
exactly why it has its rating.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongxin.core.scoping import ScopedQuerySet
from tongxin.education.rules import MEMBER_YEARLY_HOURS
from tongxin.meetings.rules import rating as rrules

# indicator codes, in display order, with their default weights (sum 100; see the data
# migration 0002 and the report for why)
MEETING_COMPLIANCE = "meeting_compliance"
ATTENDANCE = "attendance"
DUES_ON_TIME = "dues_on_time"
ADMISSION_WORK = "admission_work"
STUDY_HOURS = "study_hours"
DEMAND_HANDLING = "demand_handling"

DEFAULT_WEIGHTS = {
    MEETING_COMPLIANCE: 30,
    ATTENDANCE: 20,
    DUES_ON_TIME: 20,
    ADMISSION_WORK: 10,
    STUDY_HOURS: 10,
    DEMAND_HANDLING: 10,
}

# one figure with the education app: 党员每年集中学习培训一般不少于32学时
DEFAULT_STUDY_HOURS = int(MEMBER_YEARLY_HOURS)


class Indicator(models.TextChoices):
    MEETING_COMPLIANCE = MEETING_COMPLIANCE, _("Meetings held as required")
    ATTENDANCE = ATTENDANCE, _("Attendance at meetings")
    DUES_ON_TIME = DUES_ON_TIME, _("Dues paid on time")
    ADMISSION_WORK = ADMISSION_WORK, _("Admission work on schedule")
    STUDY_HOURS = STUDY_HOURS, _("Study hours")
    DEMAND_HANDLING = DEMAND_HANDLING, _("Residents' demands closed on time")


class IndicatorWeight(models.Model):
    """One indicator's weight in points of 100 (all active weights must add up to 100).
    A weight of 0 shows the indicator in the breakdown without scoring it; an inactive
    indicator is not measured at all."""

    code = models.CharField(_("indicator"), max_length=32, unique=True, choices=Indicator)
    weight = models.PositiveSmallIntegerField(_("weight"))
    active = models.BooleanField(_("in use"), default=True)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("indicator weight")
        verbose_name_plural = _("indicator weights")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return f"{self.code}={self.weight}"


class RatingSettings(models.Model):
    """The district's star thresholds (score at or above → stars) and the minimum measured
    weight below which no stars are given (one row, pk=1)."""

    star_5 = models.PositiveSmallIntegerField(
        _("5 stars from"), default=rrules.DEFAULT_STAR_THRESHOLDS[5]
    )
    star_4 = models.PositiveSmallIntegerField(
        _("4 stars from"), default=rrules.DEFAULT_STAR_THRESHOLDS[4]
    )
    star_3 = models.PositiveSmallIntegerField(
        _("3 stars from"), default=rrules.DEFAULT_STAR_THRESHOLDS[3]
    )
    star_2 = models.PositiveSmallIntegerField(
        _("2 stars from"), default=rrules.DEFAULT_STAR_THRESHOLDS[2]
    )
    min_measured_weight = models.PositiveSmallIntegerField(
        _("minimum measured weight"), default=rrules.DEFAULT_MIN_MEASURED_WEIGHT
    )
    # 《全国党员教育培训工作规划》: 党员每年集中学习培训时间一般不少于32学时
    study_hours_per_member = models.PositiveSmallIntegerField(
        _("yearly study hours per member"), default=DEFAULT_STUDY_HOURS
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("rating settings")
        verbose_name_plural = _("rating settings")

    def __str__(self) -> str:
        return "rating settings"

    @classmethod
    def current(cls) -> "RatingSettings":
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    def thresholds(self) -> rrules.Thresholds:
        return rrules.Thresholds(
            stars={5: self.star_5, 4: self.star_4, 3: self.star_3, 2: self.star_2},
            min_measured_weight=self.min_measured_weight,
        )


class RatingQuerySet(ScopedQuerySet):
    scope_lookups = ("org__path",)


class BranchRating(models.Model):
    """A branch's rating for one year (for the running year: measured up to `measured_to`).

    breakdown: [{"code", "weight", "effective_weight", "value" (percent or null), "points",
    "missing", "detail", "figures": {...}}] — `figures` are the counts behind the value
    (e.g. {"met": 10, "due": 12}), put into words in the reader's language when shown."""

    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("branch"), on_delete=models.CASCADE, related_name="ratings"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    stars = models.PositiveSmallIntegerField(_("stars"), null=True, blank=True)
    rated = models.BooleanField(_("rated"), default=False)
    measured_weight = models.DecimalField(
        _("measured weight"), max_digits=5, decimal_places=2, default=0
    )
    measured_to = models.DateField(_("measured up to"))
    breakdown = models.JSONField(default=list)
    computed_at = models.DateTimeField(_("computed at"))

    objects = RatingQuerySet.as_manager()

    class Meta:
        verbose_name = _("branch rating")
        verbose_name_plural = _("branch ratings")
        ordering = ["-year", "-score", "org_id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "year"], name="uniq_rating_org_year"),
        ]
        indexes = [models.Index(fields=["year", "score", "org"], name="rating_year_score")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.year} {self.score}"
