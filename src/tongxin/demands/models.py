"""Residents' demands (诉求): one closed loop for every channel — DOMAIN.md §8, issue 6.

Rules (the state machine, time limits, routing, measures' arithmetic) live in `rules.py`
(pure); every write goes through `services/` (one transaction, select_for_update, an
event on the timeline, an audit row); reads through `selectors/` with the scoping of
`access.py`.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongxin.core.crypto import EncryptedTextField
from tongxin.core.models import BaseModel
from tongxin.core.scoping import ScopedQuerySet


class Channel(models.TextChoices):
    PORTAL = "portal", _("Resident portal")
    HOTLINE = "hotline", _("Hotline")
    PATROL = "patrol", _("Grid patrol")
    VISIT = "visit", _("Household visit")
    RECEPTION = "reception", _("Representative reception")
    ALLIANCE = "alliance", _("Alliance unit")
    OPEN311 = "open311", _("Open311 client")
    STAFF = "staff", _("Staff entry")


class State(models.TextChoices):
    """Default states (DOMAIN.md §8.2); display names are configurable (StateLabel), the
    open/closed type of each is rules.OPEN_STATES."""

    PENDING = "pending", _("Waiting for acceptance")
    ACCEPTED = "accepted", pgettext_lazy("demand state", "Accepted")
    DISPATCHED = "dispatched", _("Dispatched")
    HANDLING = "handling", _("Being handled")
    RETURNED = "returned", _("Returned for re-dispatch")
    ESCALATED = "escalated", _("Escalated to the street")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")
    RATED = "rated", _("Rated")
    VISITED = "visited", _("Return visit done")
    ARCHIVED = "archived", _("Archived")
    REFUSED = "refused", _("Not accepted")
    DUPLICATE = "duplicate", _("Duplicate")
    REOPENED = "reopened", _("Reopened")


class LimitUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    HOURS = "hours", _("hours")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class Category(BaseModel):
    """Two-level catalogue: a top-level category (parent None) and its subcategories; a
    demand is filed under a subcategory or a top level without children."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    limit_value = models.PositiveSmallIntegerField(_("time limit"), default=5)
    limit_unit = models.CharField(
        _("time limit unit"), max_length=16, choices=LimitUnit, default=LimitUnit.WORKING_DAYS
    )
    urgent = models.BooleanField(_("urgent"), default=False)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("demand category")
        verbose_name_plural = _("demand categories")
        ordering = ["order", "id"]

    def __str__(self):
        return self.name


class Department(BaseModel):
    """A handling department (职能部门: a district bureau, a street office, a utility),
    with the staff who handle its demands."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # the org level it belongs to (district or a street): who supervises it, whose measures
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("belongs to"), on_delete=models.PROTECT, related_name="+"
    )
    handlers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handlers"),
        blank=True,
        related_name="demand_departments",
    )
    phone = models.CharField(_("office phone"), max_length=30, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["id"]

    def __str__(self):
        return self.name


class RoutingRule(BaseModel):
    """Category × area → handling department; no department: the community handles it
    itself. The most specific area wins (community, then street, then the whole district)."""

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="routes"
    )
    area = models.ForeignKey(
        "orgs.Org",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="routes",
    )

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["category", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "area"], name="route_once_per_area")
        ]


class StateLabel(models.Model):
    """A district's own display name for a state (DOMAIN.md §8.2: names configurable)."""

    state = models.CharField(_("state"), max_length=16, choices=State, unique=True)
    label = models.CharField(_("display name"), max_length=30)

    class Meta:
        verbose_name = _("state name")
        verbose_name_plural = _("state names")

    def __str__(self):
        return self.label


class DemandQuerySet(ScopedQuerySet):
    scope_lookups = ("community__path",)

    def visible_to(self, user, roles=None):
        """Org scope, plus department handlers' own department's demands (access.py)."""
        from tongxin.demands.access import demand_scope_q

        q = demand_scope_q(user)
        return self if q is None else self.filter(q)


class Demand(BaseModel):
    code = models.CharField(_("tracking code"), max_length=16, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="demands"
    )
    title = models.CharField(_("title"), max_length=100, blank=True)
    description = models.TextField(_("description"))
    # where: the problem's location (not the resident's home): address and/or a map point
    address = models.CharField(_("location"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    street = models.ForeignKey(
        "orgs.Org", verbose_name=_("street"), on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        "orgs.Org",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="demands",
    )
    grid = models.ForeignKey(
        "grid.Grid",
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="demands",
    )
    # who: encrypted, masked on screen; the tail checks the portal's tracking page
    contact_name = EncryptedTextField(_("contact name"), blank=True, default="")
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    phone_tail = models.CharField(max_length=4, blank=True, editable=False)
    confidential = models.BooleanField(_("keep the caller's details confidential"), default=False)
    # links to where it came from
    visit = models.ForeignKey(
        "grid.Visit",
        verbose_name=_("household visit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="demands",
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    external_id = models.CharField(_("client's request id"), max_length=64, blank=True)
    open311_client = models.ForeignKey(
        "demands.Open311Client",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="demands",
    )
    # workflow
    state = models.CharField(_("state"), max_length=16, choices=State, default=State.PENDING)
    version = models.PositiveIntegerField(default=0)  # +1 on every action (optimistic check)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="demands",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answer = models.TextField(_("answer"), blank=True)  # shown to the resident
    refuse_reason = models.CharField(_("reason for not accepting"), max_length=300, blank=True)
    rating = models.CharField(_("rating"), max_length=12, choices=Rating, blank=True)
    rating_comment = models.CharField(_("comment"), max_length=300, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    supervised = models.BooleanField(_("under supervision"), default=False)
    escalated = models.BooleanField(_("escalated"), default=False)
    # clock (aware datetimes, UTC in the database; limits in working days/hours, rules.py)
    accept_due_at = models.DateTimeField(_("acceptance due"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    visit_due_at = models.DateTimeField(_("return visit due"), null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False)
    overdue_since = models.DateTimeField(_("overdue since"), null=True, blank=True)
    handling_minutes = models.PositiveIntegerField(
        _("handling time (working minutes)"), null=True, blank=True
    )

    objects = DemandQuerySet.as_manager()

    class Meta:
        verbose_name = _("demand")
        verbose_name_plural = _("demands")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["community", "id"], name="demand_community_id"),
            models.Index(fields=["street", "id"], name="demand_street_id"),
            models.Index(fields=["department", "id"], name="demand_department_id"),
            models.Index(fields=["state", "due_at"], name="demand_state_due"),
            models.Index(fields=["overdue", "state"], name="demand_overdue_state"),
            models.Index(fields=["created_at"], name="demand_created_at"),
            models.Index(fields=["category", "created_at"], name="demand_category_created"),
            # the overdue check's three clocks (services/overdue.py): small partial indexes
            # over the rows whose clock runs and that are not flagged yet
            models.Index(
                fields=["accept_due_at"],
                condition=models.Q(overdue=False, state="pending"),
                name="demand_accept_clock",
            ),
            models.Index(
                fields=["due_at"],
                condition=models.Q(
                    overdue=False,
                    state__in=[
                        "accepted",
                        "dispatched",
                        "escalated",
                        "handling",
                        "reopened",
                        "returned",
                    ],
                ),
                name="demand_handle_clock",
            ),
            models.Index(
                fields=["visit_due_at"],
                condition=models.Q(overdue=False, state__in=["closed", "rated"]),
                name="demand_visit_clock",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["open311_client", "external_id"],
                condition=~models.Q(external_id=""),
                name="demand_external_id_once",
            )
        ]

    def __str__(self):
        return self.code


class DemandEvent(models.Model):
    """The timeline: every action, with actor, time, from/to state, note and payload.
    `public` events (and their notes) are what the resident sees on the tracking page."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=24)
    from_state = models.CharField(_("from"), max_length=16, blank=True)
    to_state = models.CharField(_("to"), max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)
    public = models.BooleanField(_("shown to the resident"), default=False)
    payload = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=100, blank=True)  # "resident", a client, …
    # set by the service to the action's `now` (the timeline is the clock)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("demand event")
        verbose_name_plural = _("demand events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["demand", "id"], name="demand_event_demand_id")]

    def __str__(self):
        return f"{self.action} {self.from_state}→{self.to_state}"


class Photo(models.Model):
    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to="demands/%Y/%m/")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    event = models.ForeignKey(
        DemandEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["id"]

    def __str__(self):
        return self.image.name


class ExtensionRequest(BaseModel):
    """A handler asks for more time; one level up approves (DOMAIN.md §8.2)."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Waiting")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="extensions")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    limit_value = models.PositiveSmallIntegerField(_("extra time"))
    limit_unit = models.CharField(_("time unit"), max_length=16, choices=LimitUnit)
    reason = models.CharField(_("reason"), max_length=300)
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision, default=Decision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    old_due_at = models.DateTimeField(null=True, blank=True)
    new_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["id"]

    def __str__(self):
        return f"{self.limit_value} {self.limit_unit} ({self.decision})"


class Supervision(BaseModel):
    """督办: the street or the district puts a demand under supervision."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="supervisions")
    org = models.ForeignKey(
        "orgs.Org", verbose_name=_("supervising body"), on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("instruction"), max_length=300)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("supervision")
        verbose_name_plural = _("supervisions")
        ordering = ["id"]

    def __str__(self):
        return self.note


class Escalation(BaseModel):
    """吹哨: the community escalates to the street (who, when, why)."""

    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="escalations")
    from_org = models.ForeignKey(
        "orgs.Org", verbose_name=_("escalated by"), on_delete=models.PROTECT, related_name="+"
    )
    to_org = models.ForeignKey(
        "orgs.Org", verbose_name=_("escalated to"), on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["id"]

    def __str__(self):
        return self.reason


class Summons(BaseModel):
    """报到: a department summoned by the street on an escalation, tracked to its own answer."""

    class State(models.TextChoices):
        SUMMONED = "summoned", _("Summoned")
        ANSWERED = "answered", pgettext_lazy("summons state", "Answered")

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="summonses")
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.SUMMONED)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("summons")
        verbose_name_plural = _("summonses")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["escalation", "department"], name="summons_once_per_department"
            )
        ]

    def __str__(self):
        return f"{self.department} ({self.state})"


class Open311Client(BaseModel):
    """An Open311 GeoReport v2 client allowed to POST requests with its `api_key`."""

    name = models.CharField(_("name"), max_length=100)
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    key_hint = models.CharField(max_length=8, blank=True, editable=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")
        ordering = ["id"]

    def __str__(self):
        return self.name
