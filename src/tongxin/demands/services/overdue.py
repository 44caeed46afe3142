"""The overdue check (issue 6 item 6): runs every few minutes (`tongxin check_overdue --loop`).

Three clocks, each against its own due time:
- "accept": waiting for acceptance (PENDING) past `accept_due_at`;
- "handle": accepted and not yet answered (rules.HANDLING_CLOCK_STATES) past `due_at`;
- "visit": closed or rated and not yet visited (rules.VISIT_CLOCK_STATES) past `visit_due_at`.

A demand found past due is marked `overdue = True` with `overdue_since` = the due time it
missed, gets an "overdue" event on its timeline (actor "system", not public) and its
handlers and their supervisors are notified — once per clock: a clock flags only rows it
has not flagged (`overdue` False, or `overdue_since` before this clock's due time: flagged by
an earlier clock), and each notice has the key "demand-overdue:<id>:<clock>" (core.notify
semantics), so a second run writes nothing new, and a demand accepted late is still
flagged again when it misses its handling due time. The flag stays set when the demand is
later answered (it is the input to accountability, 反向问责); an approved extension that
moves the due time into the future clears it.

Recipients: accept and visit clocks — the community's administrators; handle clock — the
handler who claimed it, else the department's handlers, else (the community handles it,
or it waits for dispatch) the community's administrators. Supervisors: the street
administrators of the demand's street.

Work is set-based: per clock one SELECT … FOR UPDATE SKIP LOCKED of a bounded batch of ids
(an index on (state, due_at) serves it), one UPDATE by id, one bulk INSERT of events and
one of notifications; no per-row queries.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from tongxin.core.models import Notification
from tongxin.demands import rules
from tongxin.demands.models import Demand, DemandEvent, Department
from tongxin.demands.services.common import now_or

BATCH = 5000

CLOCKS = (
    ("accept", "accept_due_at", Q(state=rules.PENDING)),
    ("handle", "due_at", Q(state__in=sorted(rules.HANDLING_CLOCK_STATES))),
    ("visit", "visit_due_at", Q(state__in=sorted(rules.VISIT_CLOCK_STATES))),
)


def _role_users(role: str, org_ids: set[int]) -> dict[int, list[int]]:
    if not org_ids:
        return {}
    User = get_user_model()
    out: dict[int, list[int]] = defaultdict(list)
    rows = (
        User.objects.filter(
            is_active=True,
            role_assignments__active=True,
            role_assignments__role=role,
            role_assignments__org_id__in=org_ids,
        )
        .values_list("role_assignments__org_id", "id")
        .distinct()
    )
    for org_id, uid in rows:
        out[org_id].append(uid)
    return out


def _handlers(dept_ids: set[int]) -> dict[int, list[int]]:
    if not dept_ids:
        return {}
    out: dict[int, list[int]] = defaultdict(list)
    through = Department.handlers.through
    rows = through.objects.filter(department_id__in=dept_ids, user__is_active=True).values_list(
        "department_id", "user_id"
    )
    for dept, uid in rows:
        out[dept].append(uid)
    return out


def _not_yet_flagged(clock: str, field: str) -> Q:
    """Rows this clock has not flagged: never flagged, or flagged by an earlier clock (a
    demand accepted late is flagged again when it also misses its handling due time)."""
    if clock == "accept":
        return Q(overdue=False)
    return Q(overdue=False) | Q(overdue_since__lt=F(field))


def _batch(clock: str, field: str, q: Q, now: datetime) -> list[tuple]:
    qs = Demand.objects.filter(q, _not_yet_flagged(clock, field), **{f"{field}__lt": now})
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(
        qs.order_by()[:BATCH].values_list(
            "id",
            "code",
            "state",
            field,
            "community_id",
            "street_id",
            "department_id",
            "handler_id",
        )
    )


def _notify(rows: list[tuple], clock: str) -> int:
    communities = {r[4] for r in rows}
    streets = {r[5] for r in rows}
    depts = {r[6] for r in rows if r[6]}
    dispatchers = _role_users("community_admin", communities)
    supervisors = _role_users("street_admin", streets)
    handlers = _handlers(depts) if clock == "handle" else {}
    active = set(
        get_user_model()
        .objects.filter(is_active=True, pk__in={r[7] for r in rows if r[7]})
        .values_list("pk", flat=True)
    )
    subjects = {
        "accept": _("Overdue: demand %(code)s is waiting for acceptance"),
        "handle": _("Overdue: demand %(code)s is past its due time"),
        "visit": _("Overdue: the return visit of demand %(code)s"),
    }
    notices = []
    for pk, code, _state, _due, comm, street, dept, handler in rows:
        if clock == "handle":
            if handler and handler in active:
                people = [handler]
            elif dept:
                people = handlers.get(dept, [])
            else:
                people = dispatchers.get(comm, [])
        else:
            people = dispatchers.get(comm, [])
        recipients = set(people) | set(supervisors.get(street, []))
        subject = subjects[clock] % {"code": code}
        for uid in recipients:
            notices.append(
                Notification(
                    recipient_id=uid,
                    kind="demand_overdue",
                    subject=subject[:200],
                    link=f"/demands/{pk}/",
                    key=f"demand-overdue:{pk}:{clock}",
                )
            )
    Notification.objects.bulk_create(notices, ignore_conflicts=True, batch_size=2000)
    return len(notices)


def check_overdue(*, now: datetime | None = None) -> dict[str, int]:
    """See services.workflow.check_overdue. Returns {"accept", "handle", "visit": rows newly
    marked, "notified": notices attempted}."""
    now = now_or(now)
    counts = {"accept": 0, "handle": 0, "visit": 0, "notified": 0}
    for clock, field, q in CLOCKS:
        while True:
            with transaction.atomic():
                rows = _batch(clock, field, q, now)
                if not rows:
                    break
                ids = [r[0] for r in rows]
                marked = Demand.objects.filter(_not_yet_flagged(clock, field), pk__in=ids).update(
                    overdue=True, overdue_since=F(field)
                )
                DemandEvent.objects.bulk_create(
                    [
                        DemandEvent(
                            demand_id=r[0],
                            action="overdue",
                            from_state=r[2],
                            to_state=r[2],
                            public=False,
                            payload={"clock": clock, "due_at": r[3].isoformat()},
                            actor_label="system",
                            at=now,
                        )
                        for r in rows
                    ],
                    batch_size=2000,
                )
                counts[clock] += marked
                counts["notified"] += _notify(rows, clock)
            if len(rows) < BATCH:
                break
    return counts
