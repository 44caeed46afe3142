"""Members, their standing and its history, transfers, floating records, dues, care.

DOMAIN.md §4 (members) and §5 (dues). Rules live in `rules.py`; every write goes through
`services/`; reads through `selectors/`.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongxin.core.crypto import EncryptedTextField
from tongxin.core.models import BaseModel
from tongxin.core.scoping import MANAGER_ROLES, ScopedQuerySet

MONEY = {"max_digits": 12, "decimal_places": 2}

# Roles that keep the member registry of their subtree (a party member sees only their own
# record, through /me/): `Member.objects.visible_to(user, MEMBER_KEEPERS)`.
MEMBER_KEEPERS = MANAGER_ROLES | {"branch_secretary"}


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Education(models.TextChoices):
    PRIMARY = "primary", _("Primary school or below")
    JUNIOR = "junior", _("Junior secondary")
    SENIOR = "senior", _("Senior secondary or vocational")
    COLLEGE = "college", _("Junior college")
    BACHELOR = "bachelor", _("Bachelor's degree")
    MASTER = "master", _("Master's degree")
    DOCTOR = "doctor", _("Doctorate")


class Occupation(models.TextChoices):
    """Occupation category as the district reports it (党内统计 occupation classes)."""

    WORKER = "worker", _("Worker")
    FARMER = "farmer", _("Farmer")
    CIVIL_SERVANT = "civil_servant", _("Civil servant or organ staff")
    INSTITUTION_STAFF = "institution_staff", _("Public institution staff")
    ENTERPRISE_STAFF = "enterprise_staff", _("Enterprise staff")
    PROFESSIONAL = "professional", _("Professional or technical staff")
    SELF_EMPLOYED = "self_employed", _("Self-employed")
    STUDENT = "student", _("Student")
    RETIRED = "retired", _("Retired")
    UNEMPLOYED = "unemployed", _("Unemployed")
    OTHER = "other", _("Other")


class Category(models.TextChoices):
    FULL = "full", _("Full member")
    PROBATIONARY = "probationary", _("Probationary member")


class Status(models.TextChoices):
    """Party standing (党籍), DOMAIN.md §4.1. Only NORMAL members are in the active roll."""

    NORMAL = "normal", _("In good standing")
    SUSPENDED = "suspended", _("Standing suspended")
    RETAINED = "retained", _("Standing retained")
    REMOVED = "removed", _("Removed from the party")
    EXPELLED = "expelled", _("Expelled")
    LAPSED = "lapsed", _("Lapsed")
    DECEASED = "deceased", _("Deceased")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out of the district")


class DuesCategory(models.TextChoices):
    """The API contract of POST /api/v1/dues/quote (issue 3)."""

    SALARIED = "salaried", _("Salaried")
    ANNUAL_SALARY = "annual_salary", _("Annual salary")
    SELF_EMPLOYED = "self_employed", _("Self-employed")
    RETIRED = "retired", _("Retired")
    FARMER = "farmer", _("Farmer")
    STUDENT = "student", _("Student")
    UNEMPLOYED = "unemployed", _("Unemployed")
    RELIEF = "relief", _("On relief or minimum living allowance")


class TrigramIndex(models.Index):
    """`LIKE '%text%'` without a table scan: a GIN trigram index (pg_trgm, created if missing)
    on PostgreSQL; elsewhere (SQLite) a plain index, which costs little and is not used."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        statement = super().create_sql(model, schema_editor, using=" USING gin", **kwargs)
        statement.template = "CREATE EXTENSION IF NOT EXISTS pg_trgm; " + statement.template
        return statement


class MemberQuerySet(ScopedQuerySet):
    scope_lookups = ("org__path",)

    def in_roll(self):
        """Members the branch keeps: in good standing or with standing suspended/retained."""
        return self.filter(status__in=[Status.NORMAL, Status.SUSPENDED, Status.RETAINED])


class Member(BaseModel):
    # identity
    name = models.CharField(_("name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, default="汉族")
    birth_date = models.DateField(_("birth date"))
    id_number = EncryptedTextField(_("ID number"))
    # HMAC of the ID number: uniqueness and exact lookup without decrypting (core.crypto.digest)
    id_digest = models.CharField(max_length=64, unique=True, editable=False)
    id_tail = models.CharField(max_length=4, editable=False, db_index=True)
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    phone_tail = models.CharField(max_length=4, blank=True, editable=False, db_index=True)
    address = EncryptedTextField(_("residence address"), blank=True, default="")
    education = models.CharField(_("education"), max_length=16, choices=Education)
    occupation = models.CharField(_("occupation"), max_length=24, choices=Occupation)
    is_high_knowledge = models.BooleanField(_("high-knowledge group"), default=False)
    is_migrant_worker = models.BooleanField(_("migrant worker"), default=False)
    is_soe = models.BooleanField(_("state-owned enterprise"), default=False)
    is_two_new = models.BooleanField(_("new economic or social organisation"), default=False)
    work_unit = models.CharField(_("work unit"), max_length=100, blank=True)
    # party data
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("branch"), on_delete=models.PROTECT, related_name="members"
    )
    party_group = models.ForeignKey(
        "orgs.Org",
        verbose_name=_("party group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="group_members",
    )
    category = models.CharField(_("category"), max_length=16, choices=Category)
    status = models.CharField(
        _("party standing"), max_length=16, choices=Status, default=Status.NORMAL
    )
    applied_on = models.DateField(_("application date"), null=True, blank=True)
    admitted_on = models.DateField(_("admission date"))
    full_on = models.DateField(_("full membership date"), null=True, blank=True)
    introducers = models.CharField(_("introducers"), max_length=100, blank=True)
    post = models.CharField(_("post in the branch"), max_length=50, blank=True)
    # flags (DOMAIN.md §4.1)
    lost_contact_since = models.DateField(_("lost contact since"), null=True, blank=True)
    is_abroad = models.BooleanField(_("abroad"), default=False)
    # 留党察看 (党章 第四十条): no right to vote, elect, stand or introduce until restored
    party_probation_from = models.DateField(
        _("on probation within the party from"), null=True, blank=True
    )
    party_probation_until = models.DateField(
        _("on probation within the party until"), null=True, blank=True
    )
    # dues (DOMAIN.md §5)
    dues_category = models.CharField(
        _("dues category"), max_length=16, choices=DuesCategory, default=DuesCategory.SALARIED
    )
    dues_base = models.DecimalField(_("dues base"), default=0, **MONEY)
    # the member's own account, for "my page"
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member",
    )
    search_key = models.CharField(max_length=400, blank=True, editable=False)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["org", "id"], name="member_org_id"),
            models.Index(fields=["status", "org"], name="member_status_org"),
            models.Index(fields=["admitted_on"], name="member_admitted_on"),
            # search (selectors/registry.py): names by prefix, search_key by substring
            models.Index(
                fields=["name"], name="member_name_prefix", opclasses=["varchar_pattern_ops"]
            ),
            TrigramIndex(
                fields=["search_key"], name="member_search_trgm", opclasses=["gin_trgm_ops"]
            ),
        ]

    def __str__(self):
        return self.name


class StatusChange(models.Model):
    """One entry of a member's history: standing, category or flag, with the decision."""

    class Kind(models.TextChoices):
        ADMITTED = "admitted", _("Admitted as probationary member")
        CONVERTED = "converted", _("Converted to full member")
        PROBATION_EXTENDED = "probation_extended", _("Probation extended")
        PROBATION_CANCELLED = "probation_cancelled", _("Probationary membership cancelled")
        STANDING = "standing", _("Change of party standing")
        LOST_CONTACT = "lost_contact", _("Lost contact")
        CONTACT_RESTORED = "contact_restored", _("Contact restored")
        TRANSFERRED_IN = "transferred_in", _("Transferred in")
        TRANSFERRED_OUT = "transferred_out", _("Transferred out")
        BRANCH_CHANGED = "branch_changed", _("Moved to another branch")
        REGISTERED = "registered", _("Entered in the registry")
        ABROAD = "abroad", _("Went abroad")
        BACK_FROM_ABROAD = "back_from_abroad", _("Back from abroad")
        PARTY_PROBATION = "party_probation", _("Placed on probation within the party")
        PARTY_PROBATION_ENDED = "party_probation_ended", _("Rights restored after probation")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="history")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind)
    effective_on = models.DateField(_("effective date"))
    from_value = models.CharField(_("from"), max_length=40, blank=True)
    to_value = models.CharField(_("to"), max_length=40, blank=True)
    decision = models.CharField(_("decision"), max_length=200, blank=True)
    decided_by = models.CharField(_("decided by"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["effective_on", "id"]

    def __str__(self):
        return f"{self.effective_on} {self.get_kind_display()}"


class CorrectionRequest(BaseModel):
    """A member asks the branch to correct their own data (个人信息保护法 第四十六条)."""

    class State(models.TextChoices):
        OPEN = "open", _("Waiting")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="corrections")
    field = models.CharField(_("field"), max_length=40)
    requested_value = EncryptedTextField(_("requested value"))  # may be an ID number (§4.6)
    reason = models.TextField(_("reason"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.OPEN)
    reply = models.TextField(_("reply"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("correction request")
        verbose_name_plural = _("correction requests")
        ordering = ["-created_at"]


# ---------------------------------------------------------------- transfers (§4.4)


class TransferQuerySet(ScopedQuerySet):
    # both sides see a transfer: the sending side stays responsible until receipt
    scope_lookups = ("from_org__path", "to_org__path")


class Transfer(BaseModel):
    class Kind(models.TextChoices):
        WITHIN = "within", _("Within the district")
        OUTWARD = "outward", _("To an organisation outside the district")
        INWARD = "inward", _("From an organisation outside the district")

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved by the sending side")
        RECEIVED = "received", _("Received")
        RETURNED = "returned", _("Returned")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Letter expired")
        REJECTED = "rejected", _("Refused by the sending side")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="transfers")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    state = models.CharField(_("state"), max_length=12, choices=State, default=State.REQUESTED)
    from_org = models.ForeignKey(
        "orgs.Org",
        verbose_name=_("sending organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_out",
    )
    to_org = models.ForeignKey(
        "orgs.Org",
        verbose_name=_("receiving organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers_in",
    )
    outside_org_name = models.CharField(_("outside organisation"), max_length=150, blank=True)
    reason = models.CharField(_("reason"), max_length=200)
    letter_no = models.CharField(_("letter number"), max_length=40, blank=True)
    letter_issued_on = models.DateField(_("letter issued on"), null=True, blank=True)
    valid_days = models.PositiveSmallIntegerField(_("validity (days)"), default=90)
    expires_on = models.DateField(_("letter expires on"), null=True, blank=True)
    dues_paid_to = models.DateField(_("dues paid up to (month)"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-id"]
        indexes = [models.Index(fields=["state", "expires_on"], name="transfer_state_expiry")]

    def __str__(self):
        return f"{self.member} · {self.get_state_display()}"


class TransferEvent(models.Model):
    """The transfer's timeline (ARCHITECTURE.md principle 3)."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("action"), max_length=20)
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

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"


# ---------------------------------------------------------------- floating members (§4.5)


class FloatingQuerySet(ScopedQuerySet):
    scope_lookups = ("member__org__path", "host_org__path")


class FloatingRecord(BaseModel):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="floating")
    destination = EncryptedTextField(_("destination"))  # whereabouts (DOMAIN.md §9.4)
    host_org = models.ForeignKey(
        "orgs.Org",
        verbose_name=_("host organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hosted_floating",
    )
    certificate_no = models.CharField(_("floating member certificate"), max_length=40, blank=True)
    left_on = models.DateField(_("away since"))
    expected_return_on = models.DateField(_("expected return"), null=True, blank=True)
    returned_on = models.DateField(_("returned on"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    objects = FloatingQuerySet.as_manager()

    class Meta:
        verbose_name = _("floating record")
        verbose_name_plural = _("floating records")
        ordering = ["-left_on", "-id"]


class HostAttendance(models.Model):
    """A floating member's organisational life at the host (never a vote there, §4.5)."""

    record = models.ForeignKey(FloatingRecord, on_delete=models.CASCADE, related_name="attendance")
    attended_on = models.DateField(_("date"))
    activity = models.CharField(_("activity"), max_length=150)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-attended_on"]

    def __str__(self):
        return f"{self.attended_on} {self.activity}"


# ---------------------------------------------------------------- dues (§5)


class DuesPolicy(BaseModel):
    """The configurable parts of §5, effective from a month. The newest effective row applies."""

    effective_from = models.DateField(_("effective from"), unique=True)
    salaried_tiers = models.JSONField(_("salaried tiers"))  # [[upper or null, rate], ...]
    retired_tiers = models.JSONField(_("retired tiers"))
    farmer_amount = models.DecimalField(_("farmer monthly amount"), default="0.50", **MONEY)
    flat_amount = models.DecimalField(_("flat monthly amount"), default="0.20", **MONEY)
    rounding_unit = models.DecimalField(
        _("rounding unit"), max_digits=6, decimal_places=2, default="0.01"
    )
    after_tax_deductions = models.JSONField(_("deducted from gross pay"), default=list)
    back_pay_months = models.PositiveSmallIntegerField(_("back payments (months)"), default=6)
    large_voluntary_amount = models.DecimalField(
        _("voluntary payment flagged from"), default="1000.00", **MONEY
    )

    class Meta:
        verbose_name = _("dues policy")
        verbose_name_plural = _("dues policies")
        ordering = ["-effective_from"]


class DuesBase(BaseModel):
    """A member's dues category and base from a month on (§5.9: a change of pay applies from
    the month it is first received). Member.dues_category/dues_base mirror the newest row."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="dues_bases")
    from_month = models.DateField(_("from month"))
    category = models.CharField(_("dues category"), max_length=16, choices=DuesCategory)
    base = models.DecimalField(_("base"), **MONEY)
    gross = models.DecimalField(_("gross pay"), null=True, blank=True, **MONEY)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("dues base")
        verbose_name_plural = _("dues bases")
        ordering = ["member", "-from_month"]
        constraints = [
            models.UniqueConstraint(fields=["member", "from_month"], name="uniq_dues_base_month")
        ]

    def __str__(self):
        return f"{self.member} {self.from_month:%Y-%m} {self.base}"


class DuesQuerySet(ScopedQuerySet):
    scope_lookups = ("org__path",)


class DuesRecord(BaseModel):
    """One member-month of the ledger. `org` is the branch responsible that month."""

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        BANK = "bank", _("Bank transfer")
        WECHAT = "wechat", _("WeChat Pay")
        ALIPAY = "alipay", _("Alipay")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="dues")
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("branch"), on_delete=models.PROTECT, related_name="dues"
    )
    month = models.DateField(_("month"))  # first day of the month
    category = models.CharField(_("dues category"), max_length=16, choices=DuesCategory)
    base = models.DecimalField(_("base"), **MONEY)
    rate = models.DecimalField(_("rate"), max_digits=6, decimal_places=4)
    rule = models.CharField(_("rule applied"), max_length=40)
    amount_due = models.DecimalField(_("amount due"), **MONEY)
    amount_paid = models.DecimalField(_("amount paid"), null=True, blank=True, **MONEY)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    method = models.CharField(_("method"), max_length=10, choices=Method, blank=True)
    paid_by_proxy = models.BooleanField(_("paid on the member's behalf"), default=False)
    proxy_name = models.CharField(_("paid by"), max_length=50, blank=True)
    proxy_consent = models.BooleanField(_("member consented"), default=False)
    reduction = models.ForeignKey(
        "DuesReduction", null=True, blank=True, on_delete=models.SET_NULL, related_name="records"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = DuesQuerySet.as_manager()

    class Meta:
        verbose_name = _("dues record")
        verbose_name_plural = _("dues records")
        ordering = ["-month", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "month"], name="uniq_dues_member_month")
        ]
        indexes = [
            models.Index(fields=["org", "month"], name="dues_org_month"),
            models.Index(fields=["month", "paid_on"], name="dues_month_paid"),
        ]

    @property
    def is_paid(self) -> bool:
        return self.paid_on is not None


class DuesReduction(BaseModel):
    """Reduction or exemption (§5.6): branch proposes, next-higher committee approves."""

    class Kind(models.TextChoices):
        REDUCE = "reduce", _("Reduction")
        EXEMPT = "exempt", _("Exemption")

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed by the branch")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="reductions")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind)
    amount = models.DecimalField(_("monthly amount after reduction"), default=0, **MONEY)
    reason = models.TextField(_("reason"))
    start_month = models.DateField(_("from month"))
    end_month = models.DateField(_("to month"))
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.PROPOSED)
    approving_org = models.ForeignKey(
        "orgs.Org",
        verbose_name=_("approving committee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("dues reduction")
        verbose_name_plural = _("dues reductions")
        ordering = ["-start_month"]


class VoluntaryPayment(BaseModel):
    """Voluntary extra dues (§5.8); a single one ≥ 1000 yuan goes wholly to the centre."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="voluntary")
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount"), **MONEY)
    paid_on = models.DateField(_("paid on"))
    to_centre = models.BooleanField(_("remitted wholly to the centre"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("voluntary payment")
        verbose_name_plural = _("voluntary payments")
        ordering = ["-paid_on"]


# ---------------------------------------------------------------- lapse flags (§4.2–4.3)


class MemberScopedQuerySet(ScopedQuerySet):
    """Rows placed in the tree by their member's branch (lapse flags, care cases, visits)."""

    scope_lookups = ("member__org__path",)


class LapseFlag(BaseModel):
    """Detected, with evidence; people decide (党章 第九条; 党员教育管理工作条例 第二十四条)."""

    class Kind(models.TextChoices):
        DUES = "dues", _("Six consecutive months of dues unpaid")
        LIFE = "life", _("Six consecutive months without organisational life")
        LOST_6M = "lost_6m", _("Lost contact for six months or more")
        LOST_2Y = "lost_2y", _("Lost contact for two years or more")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        DISMISSED = "dismissed", _("Dismissed with a reason")
        DECIDED = "decided", _("Decided")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="lapse_flags")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    evidence = models.JSONField(_("evidence"), default=dict)  # {"months": ["2026-01", ...]}
    detected_on = models.DateField(_("detected on"))
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.OPEN)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = MemberScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("lapse flag")
        verbose_name_plural = _("lapse flags")
        ordering = ["-detected_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "kind"],
                condition=models.Q(state="open"),
                name="uniq_open_lapse_flag",
            )
        ]


# ---------------------------------------------------------------- care (关怀帮扶)


class CareCase(BaseModel):
    class Kind(models.TextChoices):
        ILLNESS = "illness", _("Serious illness")
        DISABILITY = "disability", _("Disability")
        POVERTY = "poverty", _("Financial hardship")
        ELDERLY_ALONE = "elderly_alone", _("Elderly living alone")
        DISASTER = "disaster", _("Accident or disaster")
        OTHER = "other", _("Other")

    class Level(models.TextChoices):
        GENERAL = "general", _("General")
        SERIOUS = "serious", _("Serious")
        URGENT = "urgent", _("Urgent")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="care_cases")
    kind = models.CharField(_("kind of difficulty"), max_length=16, choices=Kind)
    level = models.CharField(_("level"), max_length=10, choices=Level, default=Level.GENERAL)
    details = EncryptedTextField(_("details"), blank=True, default="")  # health data (§4.6)
    help_given = models.TextField(_("help given"), blank=True)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    objects = MemberScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("care case")
        verbose_name_plural = _("care cases")
        ordering = ["-opened_on"]


class CareVisit(BaseModel):
    class Kind(models.TextChoices):
        VISIT = "visit", _("Care visit")
        HOLIDAY = "holiday", _("Holiday visit")
        CONDOLENCE = "condolence", _("Condolence")
        HOSPITAL = "hospital", _("Hospital visit")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="care_visits")
    case = models.ForeignKey(
        CareCase, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind)
    visited_on = models.DateField(_("date"))
    visitors = models.CharField(_("visitors"), max_length=150)
    amount = models.DecimalField(_("money or goods (yuan)"), default=0, **MONEY)
    note = models.TextField(_("note"), blank=True)

    objects = MemberScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("care visit")
        verbose_name_plural = _("care visits")
        ordering = ["-visited_on"]
