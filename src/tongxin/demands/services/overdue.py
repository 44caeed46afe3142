"""The overdue check (issue 6 item 6): runs every few minutes (`tongxin check_overdue --loop`).

Three clocks on the demand, each against its own due time:
- "accept": waiting for acceptance (PENDING) past `accept_due_at`;
- "handle": accepted and not yet answered (rules.HANDLING_CLOCK_STATES) past `due_at`;
- "visit": closed or rated and not yet visited (rules.VISIT_CLOCK_STATES) past `visit_due_at`;
and a fourth on each summons (报到, issue 6 item 5: "each summons is tracked to its own
answer"): "summons", a Summons still SUMMONED past its `due_at`.

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
administrators of the demand's street; on the handle clock of a demand dispatched to a
district-level department (its `org` is the district root), also the district
administrators of that root — who approve that department's extensions
(access.may_decide_extension).

A summons past due is not a flag on the demand (the demand keeps its own clocks): it gets an
"overdue" event on the demand's timeline (not public, payload {"clock": "summons",
"summons", "department", "due_at"}) and a notice keyed "summons-overdue:<summons id>" to the
summoned department's handlers and the street administrators of the demand's street. There
is no flag column: "already flagged" is the existence of that event, so the candidates'
query excludes summonses with one (and the batch re-checks under its row locks, so two
checks at once write one event per summons).

Work is set-based: per clock one SELECT … FOR UPDATE SKIP LOCKED of a bounded batch of ids
(an index on (state, due_at) serves it), one UPDATE by id (summonses: one re-check of their
events instead), one bulk INSERT of events and one of notifications; no per-row queries.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import CharField, Exists, F, OuterRef, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from tongxin.core.models import Notification
from tongxin.demands import rules
from tongxin.demands.models import Demand, DemandEvent, Department, Summons
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


def _district_departments(dept_ids: set[int]) -> dict[int, int]:
    """{department id: its org id} for the departments that belong to the district root."""
    if not dept_ids:
        return {}
    return dict(
        Department.objects.filter(pk__in=dept_ids, org__parent__isnull=True).values_list(
            "pk", "org_id"
        )
    )


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
    # a district-level department (its org is the district root) is supervised by the
    # district's administrators as well (access.may_decide_extension)
    district_of = _district_departments(depts) if clock == "handle" else {}
    district_admins = _role_users("district_admin", set(district_of.values()))
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
        if dept in district_of:
            recipients |= set(district_admins.get(district_of[dept], []))
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


# --- summonses (报到) ---------------------------------------------------------------------


def _summons_events(demand_ids):
    return DemandEvent.objects.filter(
        demand_id__in=demand_ids, action="overdue", payload__clock="summons"
    )


def _summons_batch(now: datetime) -> list[tuple]:
    """Summonses still SUMMONED past their due time without their "overdue" event: one query
    (an anti-join on the demand's timeline), a bounded batch, locked."""
    flagged = (
        DemandEvent.objects.filter(
            demand_id=OuterRef("escalation__demand_id"), action="overdue", payload__clock="summons"
        )
        .annotate(summons_id=KeyTextTransform("summons", "payload"))
        .filter(summons_id=Cast(OuterRef("pk"), CharField()))
    )
    qs = Summons.objects.filter(state=Summons.State.SUMMONED, due_at__lt=now).exclude(
        Exists(flagged)
    )
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(
        qs.order_by()[:BATCH].values_list(
            "id",
            "due_at",
            "department_id",
            "department__name",
            "escalation__demand_id",
            "escalation__demand__code",
            "escalation__demand__state",
            "escalation__demand__street_id",
        )
    )


def _summons_pass(now: datetime) -> tuple[int, int]:
    """The fourth clock: (summonses newly flagged, notices attempted)."""
    flagged = notified = 0
    while True:
        with transaction.atomic():
            rows = _summons_batch(now)
            if not rows:
                break
            # under the rows' locks: a concurrent check may have flagged some since our
            # snapshot (no column changes on the summons, so the lock does not re-check)
            done = {
                int(sid)
                for sid in _summons_events({r[4] for r in rows})
                .filter(payload__summons__in=[r[0] for r in rows])
                .values_list("payload__summons", flat=True)
            }
            fresh = [r for r in rows if r[0] not in done]
            DemandEvent.objects.bulk_create(
                [
                    DemandEvent(
                        demand_id=demand_id,
                        action="overdue",
                        from_state=state,
                        to_state=state,
                        public=False,
                        payload={
                            "clock": "summons",
                            "summons": sid,
                            "department": dept,
                            "due_at": due.isoformat(),
                        },
                        actor_label="system",
                        at=now,
                    )
                    for sid, due, dept, _name, demand_id, _code, state, _street in fresh
                ],
                batch_size=2000,
            )
            flagged += len(fresh)
            notified += _notify_summonses(fresh)
        if len(rows) < BATCH:
            break
    return flagged, notified


def _notify_summonses(rows: list[tuple]) -> int:
    handlers = _handlers({r[2] for r in rows})
    supervisors = _role_users("street_admin", {r[7] for r in rows})
    notices = []
    for sid, _due, dept, name, demand_id, code, _state, street in rows:
        subject = _("Overdue: %(department)s has not answered its summons on demand %(code)s") % {
            "department": name,
            "code": code,
        }
        for uid in set(handlers.get(dept, [])) | set(supervisors.get(street, [])):
            notices.append(
                Notification(
                    recipient_id=uid,
                    kind="summons_overdue",
                    subject=subject[:200],
                    link=f"/demands/{demand_id}/",
                    key=f"summons-overdue:{sid}",
                )
            )
    Notification.objects.bulk_create(notices, ignore_conflicts=True, batch_size=2000)
    return len(notices)


def check_overdue(*, now: datetime | None = None) -> dict[str, int]:
    """See services.workflow.check_overdue. Returns {"accept", "handle", "visit": demands
    newly marked, "summons": summonses newly flagged, "notified": notices attempted}."""
    now = now_or(now)
    counts = {"accept": 0, "handle": 0, "visit": 0, "summons": 0, "notified": 0}
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
    flagged, notified = _summons_pass(now)
    counts["summons"] += flagged
    counts["notified"] += notified
    return counts
