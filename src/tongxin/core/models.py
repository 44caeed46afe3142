from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongxin.core.crypto import EncryptedTextField


class BaseModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyError(Exception):
    """Raised when application code tries to change or delete an audit entry."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit entries cannot be updated")

    def delete(self):
        raise AppendOnlyError("audit entries cannot be deleted; use `tongxin purge_audit`")

    def _purge(self):
        """Only for the purge command, which enforces the retention period first."""
        return super().delete()


class AuditEntry(models.Model):
    """One write (or sensitive read) made through the platform. Append-only.

    DOMAIN.md §9.2; 网络安全法 第二十一条 (logs kept ≥ 6 months).
    """

    class Result(models.TextChoices):
        OK = "ok", _("succeeded")
        DENIED = "denied", _("denied")
        FAILED = "failed", _("failed")

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    actor_name = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=40, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changed fields"), default=dict, blank=True)
    result = models.CharField(_("result"), max_length=10, choices=Result, default=Result.OK)
    ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit entries cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit entries cannot be deleted")


class BackgroundJob(BaseModel):
    """A long piece of work run by the task worker (`tongxin db_worker`), with its progress.

    Generic: `kind` names the work (e.g. "member_import"); `done`/`total` drive a progress
    bar; `errors` and `result` hold what the person is shown at the end. A job is visible to
    the user who started it (and district admins): see `core.jobs.visible_jobs`.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=40, db_index=True)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.QUEUED)
    phase = models.CharField(_("phase"), max_length=20, blank=True)
    total = models.PositiveIntegerField(_("total"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    # the stored upload, relative to DATA_DIR (a private folder, never served)
    file_path = models.CharField(max_length=300, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-id"]
        indexes = [models.Index(fields=["created_by", "kind", "-id"], name="job_owner_kind")]

    def __str__(self):
        return f"{self.kind} #{self.pk} {self.state}"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.SUCCEEDED, self.State.FAILED)

    @property
    def percent(self) -> int:
        if self.state == self.State.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, self.done * 100 // self.total)


class CalendarDay(BaseModel):
    """One day of the official calendar that differs from plain Monday-to-Friday: a
    statutory holiday, or a Saturday/Sunday made a working day (调休上班).

    DOMAIN.md §8.4; published yearly by the General Office of the State Council
    (《国务院办公厅关于XXXX年部分节假日安排的通知》). Read through
    `core.calendar.load_calendar`; arithmetic in `core.workdays`.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("holiday")
        WORKDAY = "workday", _("adjusted workday")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["holiday", "workday"]), name="calendarday_kind"
            )
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.kind} {self.name}"


class CalendarYear(BaseModel):
    """A year whose holiday arrangement is loaded; a year without a row falls back to
    Monday-to-Friday and administrators are warned (DOMAIN.md §8.4)."""

    class Source(models.TextChoices):
        PACKAGE = "package", _("chinese-calendar package")
        IMPORT = "import", _("imported file")
        MANUAL = "manual", _("entered by hand")

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=10, choices=Source)
    loaded_at = models.DateTimeField(_("loaded at"))

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self):
        return f"{self.year} ({self.source})"


class Notification(models.Model):
    """An in-app notice to a staff member (core.notify). `key` makes a repeated notice of
    the same fact (e.g. one overdue item checked every day) arrive only once."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=40)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"],
                condition=~models.Q(key=""),
                name="notification_once_per_key",
            )
        ]

    def __str__(self):
        return self.subject


class OutboundMessage(models.Model):
    """A text message (SMS) to a resident or staff member, as recorded by the outbound
    channel's database backend (core.outbound): what would be sent, to whom, about what.

    The number is encrypted at rest (DOMAIN.md §9.4); `to_masked` (138****5678) is what
    pages show. `related` names the object the message is about, e.g. "demands.demand:42".
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    to = EncryptedTextField(_("mobile number"))
    to_masked = models.CharField(_("mobile number (masked)"), max_length=20)
    body = models.TextField(_("text"))
    segments = models.PositiveSmallIntegerField(_("segments"), default=1)
    kind = models.CharField(_("kind"), max_length=40, blank=True, db_index=True)
    related = models.CharField(_("about"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.QUEUED)
    backend = models.CharField(_("backend"), max_length=200, blank=True)
    error = models.CharField(_("error"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        ordering = ["-id"]
        indexes = [models.Index(fields=["related"], name="outbound_related")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "sent", "failed"]),
                name="outbound_status",
            )
        ]

    def __str__(self):
        return f"{self.to_masked} {self.kind} {self.status}"
