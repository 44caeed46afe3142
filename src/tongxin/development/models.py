"""Admission of new members (发展党员): one file per applicant through 5 phases, 25 steps.

DOMAIN.md §6. Rules live in `rules.py` (pure); every write goes through `services/`; reads
through `selectors/`. A file is kept by the applicant's branch and seen by its subtree's
keepers (members.access).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongxin.core.crypto import EncryptedTextField
from tongxin.core.models import BaseModel
from tongxin.core.scoping import ScopedQuerySet
from tongxin.members.models import Education, Gender, Member, Occupation


class ApplicantQuerySet(ScopedQuerySet):
    scope_lookups = ("org__path",)

    def open(self):
        return self.filter(state=Applicant.State.OPEN)


class Applicant(BaseModel):
    """The applicant's file (入党材料): identity, where they stand, what is due next."""

    class State(models.TextChoices):
        OPEN = "open", _("In progress")
        ARCHIVED = "archived", _("Archived")  # step 25 done
        CANCELLED = "cancelled", _("Probationary membership cancelled")
        NOT_ADMITTED = "not_admitted", _("Not admitted")  # meeting or approval said no
        WITHDRAWN = "withdrawn", _("Withdrawn")  # the applicant stopped, or moved away

    # identity (as the member registry will need it at admission)
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, default="汉族")
    birth_date = models.DateField(_("birth date"))
    id_number = EncryptedTextField(_("ID number"))
    id_digest = models.CharField(max_length=64, editable=False, db_index=True)
    id_tail = models.CharField(max_length=4, editable=False, db_index=True)
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    phone_tail = models.CharField(max_length=4, blank=True, editable=False)
    education = models.CharField(_("education"), max_length=16, choices=Education)
    occupation = models.CharField(_("occupation"), max_length=24, choices=Occupation)
    is_high_knowledge = models.BooleanField(_("high-knowledge group"), default=False)
    is_migrant_worker = models.BooleanField(_("migrant worker"), default=False)
    is_soe = models.BooleanField(_("state-owned enterprise"), default=False)
    is_two_new = models.BooleanField(_("new economic or social organisation"), default=False)
    work_unit = models.CharField(_("work unit"), max_length=100, blank=True)
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("branch"), on_delete=models.PROTECT, related_name="applicants"
    )
    # where the file stands (kept by services.refresh_file after every write)
    state = models.CharField(_("state"), max_length=16, choices=State, default=State.OPEN)
    last_step = models.PositiveSmallIntegerField(_("last step done"), default=0)
    phase = models.PositiveSmallIntegerField(_("phase"), default=1)
    next_due = models.DateField(_("next due date"), null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False)
    overdue_since = models.DateField(_("overdue since"), null=True, blank=True)
    # key dates, denormalised from the steps for reports
    applied_on = models.DateField(_("application date"), null=True, blank=True)
    activist_on = models.DateField(_("activist since"), null=True, blank=True)
    target_on = models.DateField(_("development target since"), null=True, blank=True)
    admitted_on = models.DateField(_("admission date"), null=True, blank=True)  # step 15 date
    approved_on = models.DateField(_("admission approved on"), null=True, blank=True)
    converted_on = models.DateField(_("full membership date"), null=True, blank=True)
    probation_extended_to = models.DateField(_("probation extended to"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    close_reason = models.CharField(_("reason"), max_length=200, blank=True)
    # the member record created at admission (step 17)
    member = models.OneToOneField(
        Member,
        verbose_name=_("member record"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="admission_file",
    )
    search_key = models.CharField(max_length=400, blank=True, editable=False)

    objects = ApplicantQuerySet.as_manager()

    class Meta:
        verbose_name = _("applicant")
        verbose_name_plural = _("applicants")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["org", "id"], name="applicant_org_id"),
            models.Index(fields=["state", "phase"], name="applicant_state_phase"),
            models.Index(fields=["overdue", "org"], name="applicant_overdue_org"),
            models.Index(fields=["admitted_on"], name="applicant_admitted_on"),
        ]

    def __str__(self):
        return self.name


class StepRecord(BaseModel):
    """One step done: its date, the people involved, the deciding body, data and notes."""

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="steps")
    step = models.PositiveSmallIntegerField(_("step"))
    on = models.DateField(_("date"))
    # [{"role": "talker|contact|introducer|reviewer|trainer|...", "name": str, "member": id|None}]
    people = models.JSONField(_("people involved"), default=list, blank=True)
    body = models.CharField(_("deciding body"), max_length=100, blank=True)
    body_org = models.ForeignKey(
        "orgs.Org",
        verbose_name=_("deciding organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # step-specific data the rules read (method, decided_by, days, hours, outcome, …)
    data = models.JSONField(_("step data"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("step record")
        verbose_name_plural = _("step records")
        ordering = ["step"]
        constraints = [
            models.UniqueConstraint(fields=["applicant", "step"], name="step_once_per_file")
        ]

    def __str__(self):
        return f"{self.step} {self.on}"


class Document(BaseModel):
    """A paper of the file: application, thought report, review conclusion, certificate, …"""

    class Kind(models.TextChoices):
        APPLICATION = "application", _("Application for party membership")
        THOUGHT_REPORT = "thought_report", _("Thought report")
        TALK_RECORD = "talk_record", _("Record of talk")
        RECOMMENDATION = "recommendation", _("Recommendation")
        REVIEW = "review", _("Review of the activist")
        POLITICAL_REVIEW = "political_review", _("Political review conclusion")
        TRAINING_CERTIFICATE = "training_certificate", _("Training certificate")
        ADMISSION_FORM = "admission_form", _("Volunteer form for party membership")
        MEETING_RESOLUTION = "meeting_resolution", _("Branch meeting resolution")
        APPROVAL = "approval", _("Approval")
        FILING = "filing", _("Filing notice")
        CONVERSION_APPLICATION = "conversion_application", _("Application for full membership")
        OTHER = "other", _("Other")

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="documents")
    step = models.PositiveSmallIntegerField(_("step"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind)
    title = models.CharField(_("title"), max_length=120, blank=True)
    number = models.CharField(_("number"), max_length=60, blank=True)
    on = models.DateField(_("date"))
    file = models.FileField(_("file"), upload_to="development/%Y/%m/", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["on", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.on}"


class ActivistReview(BaseModel):
    """The half-year review of an activist by the branch (DOMAIN.md §6 rule 4)."""

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="reviews")
    on = models.DateField(_("date"))
    reviewer = models.CharField(_("reviewer"), max_length=100)
    summary = models.TextField(_("summary"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("activist review")
        verbose_name_plural = _("activist reviews")
        ordering = ["on", "id"]


class Vote(BaseModel):
    """A branch general meeting's vote on admission (step 15) or conversion (step 23).

    `roster` is who should attend, computed from the branch roster on the meeting date
    (members.selectors.floating.voters_of); `present` and `written` are member ids of it.
    """

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="votes")
    step = models.PositiveSmallIntegerField(_("step"))
    meeting_on = models.DateField(_("meeting date"))
    roster = models.JSONField(_("should attend"), default=list)
    present = models.JSONField(_("attended"), default=list)
    # [{"member": id, "vote": "yes|no|abstain"}] — written opinions of absent members
    written = models.JSONField(_("written opinions"), default=list, blank=True)
    should_attend = models.PositiveIntegerField(_("should attend"))
    attended = models.PositiveIntegerField(_("attended"))
    yes = models.PositiveIntegerField(_("in favour"))
    no = models.PositiveIntegerField(_("against"))
    abstain = models.PositiveIntegerField(_("abstaining"))
    written_yes = models.PositiveIntegerField(_("written in favour"), default=0)
    written_no = models.PositiveIntegerField(_("written against"), default=0)
    quorum_met = models.BooleanField(_("quorum met"))
    passed = models.BooleanField(_("passed"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("branch meeting vote")
        verbose_name_plural = _("branch meeting votes")
        ordering = ["meeting_on", "id"]


class AdmissionSettings(models.Model):
    """The district's local extra rules (DOMAIN.md §6 rule 12): all off by default.

    One row (pk=1), edited by district administrators; `services.local_rules()` reads it.
    """

    min_months_application_to_activist = models.PositiveSmallIntegerField(
        _("months from application to activist (local rule)"), null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("admission settings")
        verbose_name_plural = _("admission settings")

    def __str__(self):
        return str(self._meta.verbose_name)


class FileEvent(models.Model):
    """The file's timeline: every write of `services` adds one (step, review, document,
    vote, extension, close), with its actor — what the file page shows as history."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("File opened")
        STEP = "step", _("Step recorded")
        REFUSED = "refused", _("Step refused")
        REVIEW = "review", _("Half-year review")
        DOCUMENT = "document", _("Document added")
        VOTE = "vote", _("Branch meeting vote")
        EXTENDED = "extended", _("Probation extended")
        CLOSED = "closed", _("File closed")
        ADMITTED = "admitted", _("Entered in the member registry")
        CONVERTED = "converted", _("Converted to full member")

    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    step = models.PositiveSmallIntegerField(_("step"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    payload = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("file event")
        verbose_name_plural = _("file events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d} {self.get_kind_display()}"
