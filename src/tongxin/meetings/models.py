"""Organisational life (组织生活): meetings, attendance, review, appraisal, compliance, elections.

DOMAIN.md §3.5–3.6 and §7; issue 5. Rules are pure in `rules/`; every write goes through
`services/`, every read through `selectors/`. A meeting belongs to a branch (``org``: a
branch or joint branch); a party group meeting also names its group. Its place in the tree
is its branch's path (``org__path``): the branch secretary keeps it, the keepers above see
it, and the next level above reviews it (`access.py`).

Elections live here rather than in orgs because an election is held at a branch (or
committee) members' meeting and reuses its roster and attendance; the org's term is
updated from a valid election by the election service.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongxin.core.models import BaseModel
from tongxin.core.scoping import ScopedQuerySet
from tongxin.meetings.rules import compliance as crules
from tongxin.meetings.rules import kinds as krules


class Kind(models.TextChoices):
    GENERAL_MEETING = krules.GENERAL_MEETING, _("Branch members' meeting")  # 支部党员大会
    COMMITTEE_MEETING = krules.COMMITTEE_MEETING, _("Branch committee meeting")  # 支委会
    GROUP_MEETING = krules.GROUP_MEETING, _("Party group meeting")  # 党小组会
    PARTY_LECTURE = krules.PARTY_LECTURE, _("Party lecture")  # 党课
    THEME_DAY = krules.THEME_DAY, _("Theme party day")  # 主题党日
    LIFE_MEETING = krules.LIFE_MEETING, _("Organisational life meeting")  # 组织生活会
    APPRAISAL = krules.APPRAISAL, _("Democratic appraisal of members")  # 民主评议党员
    HEART_TALK = krules.HEART_TALK, _("Heart-to-heart talk")  # 谈心谈话
    STUDY = krules.STUDY, _("Study session")  # 学习


class State(models.TextChoices):
    PLANNED = crules.PLANNED, pgettext_lazy("meeting state", "Planned")
    HELD = crules.HELD, pgettext_lazy("meeting state", "Held, not submitted")
    SUBMITTED = crules.SUBMITTED, pgettext_lazy("meeting state", "Submitted for review")
    RETURNED = crules.RETURNED, pgettext_lazy("meeting state", "Returned")
    APPROVED = crules.APPROVED, pgettext_lazy("meeting state", "Approved")
    CANCELLED = crules.CANCELLED, pgettext_lazy("meeting state", "Cancelled")


class TalkPair(models.TextChoices):
    """谈心谈话 pair kinds (DOMAIN.md §7: at least once a year between each pair kind)."""

    SECRETARY_COMMITTEE = "secretary_committee", _("Secretary and committee member")
    SECRETARY_MEMBER = "secretary_member", _("Secretary and member")
    COMMITTEE_MEMBER = "committee_member", _("Committee member and member")
    MEMBER_MEMBER = "member_member", _("Member and member")


class MeetingQuerySet(ScopedQuerySet):
    scope_lookups = ("org__path",)


class Meeting(BaseModel):
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("branch"), on_delete=models.PROTECT, related_name="meetings"
    )
    party_group = models.ForeignKey(
        "orgs.Org",
        verbose_name=_("party group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="group_meetings",
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind)
    state = models.CharField(_("state"), max_length=12, choices=State, default=State.PLANNED)
    topic = models.CharField(_("topic"), max_length=200)
    place = models.CharField(_("place"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    # the local (Asia/Shanghai) date of starts_at: the day compliance counts it for
    on = models.DateField(_("date"), editable=False)
    host = models.ForeignKey(
        "members.Member",
        verbose_name=_("host"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorder = models.ForeignKey(
        "members.Member",
        verbose_name=_("recorder"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    talk_pair = models.CharField(_("talk pair"), max_length=24, choices=TalkPair, blank=True)
    # sign-in: a 6-digit code members type, and a token in the QR code's URL
    signin_code = models.CharField(_("sign-in code"), max_length=6, editable=False)
    signin_token = models.CharField(max_length=32, unique=True, editable=False)
    # attendance figures, kept by the services from the Attendance rows
    should_attend = models.PositiveIntegerField(_("should attend"), default=0)
    attended = models.PositiveIntegerField(_("attended"), default=0)
    on_leave = models.PositiveIntegerField(_("on leave"), default=0)
    # review chain
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    review_opinion = models.TextField(_("review opinion"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["org", "on"], name="meeting_org_on"),
            models.Index(fields=["on", "state"], name="meeting_on_state"),
            models.Index(fields=["state", "submitted_at"], name="meeting_state_submitted"),
            models.Index(fields=["signin_code"], name="meeting_signin_code"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on:%Y-%m-%d} {self.topic}"

    @property
    def is_held(self) -> bool:
        return self.state in crules.HELD_STATES


class AttendanceStatus(models.TextChoices):
    EXPECTED = "expected", _("Expected")  # on the roster, meeting not yet held
    ATTENDED = "attended", _("Attended")
    LEAVE = "leave", _("On leave")
    ABSENT = "absent", _("Absent")


class SigninVia(models.TextChoices):
    CODE = "code", _("Sign-in code")
    QR = "qr", _("QR code")
    HOST = "host", _("Marked by the host")


class Attendance(models.Model):
    """One member on one meeting's roster (who should attend) and what they did."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="meeting_attendance"
    )
    status = models.CharField(
        _("attendance"), max_length=10, choices=AttendanceStatus, default=AttendanceStatus.EXPECTED
    )
    leave_reason = models.CharField(_("reason for leave"), max_length=200, blank=True)
    signed_in_at = models.DateTimeField(_("signed in at"), null=True, blank=True)
    via = models.CharField(_("signed in by"), max_length=8, choices=SigninVia, blank=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="uniq_meeting_member"),
        ]
        indexes = [models.Index(fields=["member", "status"], name="attendance_member_status")]

    def __str__(self) -> str:
        return f"{self.member_id}@{self.meeting_id}: {self.status}"


class MeetingEvent(models.Model):
    """The meeting's timeline: planned, notified, signed in, held, submitted, returned …"""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("action"), max_length=24)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    note = models.TextField(_("note"), blank=True)
    payload = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["meeting", "at"], name="meeting_event_at")]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.kind}"


class Attachment(models.Model):
    """Minutes' attachments (photos, scans, slides): checked by content, served only through
    a scoped view (MEDIA_ROOT is never served)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="meetings/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.name


class Grade(models.TextChoices):
    """民主评议党员 outcomes."""

    EXCELLENT = "excellent", _("Excellent")  # 优秀
    QUALIFIED = "qualified", _("Qualified")  # 合格
    BASIC = "basic", _("Basically qualified")  # 基本合格
    UNQUALIFIED = "unqualified", _("Unqualified")  # 不合格


class AppraisalQuerySet(ScopedQuerySet):
    scope_lookups = ("meeting__org__path",)


class AppraisalResult(models.Model):
    """A member's yearly rating, recorded from the branch meeting of the appraisal."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="appraisals")
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="appraisals"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    grade = models.CharField(_("rating"), max_length=12, choices=Grade)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    objects = AppraisalQuerySet.as_manager()

    class Meta:
        verbose_name = _("appraisal result")
        verbose_name_plural = _("appraisal results")
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="uniq_member_appraisal_year"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.year} {self.grade}"


class ComplianceSettings(models.Model):
    """The district's configuration (one row, pk=1): frequencies per kind ("1/month",
    "2/quarter", "" = not required), the whole months a new branch must have existed to
    owe a period, and the sign-in grace minutes."""

    frequencies = models.JSONField(_("frequencies"), default=dict, blank=True)
    min_whole_months = models.PositiveSmallIntegerField(_("whole months owed"), default=1)
    signin_before_minutes = models.PositiveSmallIntegerField(
        _("sign-in opens minutes before"), default=30
    )
    signin_after_minutes = models.PositiveSmallIntegerField(
        _("sign-in closes minutes after"), default=30
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("compliance settings")
        verbose_name_plural = _("compliance settings")

    def __str__(self) -> str:
        return "compliance settings"


class ComplianceQuerySet(ScopedQuerySet):
    scope_lookups = ("org__path",)


class ComplianceSnapshot(models.Model):
    """One branch's computed compliance for one period (month, quarter or year), kept by
    services.compliance (full recompute daily, one branch on each approval)."""

    org = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="compliance")
    period = models.CharField(max_length=7)  # "2026", "2026-Q3", "2026-07"
    unit = models.CharField(max_length=8)  # month | quarter | year
    status = models.CharField(max_length=8)  # met | open | behind (rules.compliance)
    due = models.PositiveIntegerField(default=0)
    met = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0)
    approved = models.PositiveIntegerField(default=0)
    should_attend = models.PositiveIntegerField(default=0)
    attended = models.PositiveIntegerField(default=0)
    on_leave = models.PositiveIntegerField(default=0)
    # [{"kind": ..., "due": n, "met": n, "held": n, "approved": n, "reason": "",
    #   "missing": ["2026-07", ...], "open": [...]}, ...]
    kinds = models.JSONField(default=list)
    missing = models.JSONField(default=list)  # [[kind, period label], ...]
    computed_at = models.DateTimeField()

    objects = ComplianceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "period"], name="uniq_compliance_org_period"),
        ]
        indexes = [
            models.Index(fields=["period", "status"], name="compliance_period_status"),
            # the roll-ups read these columns of one period's ~11,000 snapshots: covering
            # them (PostgreSQL INCLUDE; other databases get the plain index) makes the read
            # an index-only scan instead of one heap block per wide row
            models.Index(
                fields=["period"],
                include=[
                    "id",
                    "org_id",
                    "status",
                    "due",
                    "met",
                    "held",
                    "approved",
                    "should_attend",
                    "attended",
                    "on_leave",
                    "computed_at",
                ],
                name="compliance_period_rollup",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org_id} {self.period} {self.status}"


class ElectionState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("election state", "Draft")
    VALID = "valid", pgettext_lazy("election state", "Valid")
    INVALID = "invalid", pgettext_lazy("election state", "Invalid")


class ElectionQuerySet(ScopedQuerySet):
    scope_lookups = ("org__path",)


class Election(BaseModel):
    """A (re-)election of an org's committee or secretary (《基层组织选举工作条例》2020)."""

    org = models.ForeignKey(
        "orgs.Org",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="elections",
    )
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="elections",
    )
    held_on = models.DateField(_("election date"))
    seats = models.PositiveSmallIntegerField(_("seats"))
    entitled = models.PositiveIntegerField(_("members entitled to vote"))
    present = models.PositiveIntegerField(_("voters present"))
    state = models.CharField(
        _("state"), max_length=8, choices=ElectionState, default=ElectionState.DRAFT
    )
    result = models.JSONField(default=dict, blank=True)  # the checks' arithmetic, as recorded
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ElectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("election")
        verbose_name_plural = _("elections")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.org_id} {self.held_on}"


class Candidate(models.Model):
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="candidates")
    member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("name"), max_length=50)
    votes = models.PositiveIntegerField(_("votes"), default=0)
    elected = models.BooleanField(_("elected"), default=False)

    class Meta:
        ordering = ["-votes", "id"]

    def __str__(self) -> str:
        return self.name
