"""Reads of compliance (issue 5 §2): one branch live, higher orgs from snapshots.

Who may look: keepers of the member registry (members.access: district, street, community
administrators and branch secretaries) for the orgs of their subtrees. An org outside the
caller's scope is not found (404); a user who keeps nothing is refused (403).

* `branch_compliance` computes one branch exactly from its meetings (current to the second).
* `rollup` sums the snapshots of an org's subtree per child org in ONE grouped query (the
  child is the path prefix one level below the org).
* `behind_list` pages the branches behind, with what they miss, keyset on the branch path.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction

from django.db import connection, transaction
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Substr
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongxin.meetings.models import ComplianceSnapshot, Kind, Meeting
from tongxin.meetings.rules import compliance as rules
from tongxin.meetings.rules.periods import Period
from tongxin.meetings.services import compliance as service
from tongxin.members.access import require_keeper
from tongxin.members.models import MEMBER_KEEPERS
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import PATH_SEGMENT, Org

KEEPERS_ONLY = _("Only keepers of the member registry see compliance.")
BEHIND_PAGE = 20
MAX_BEHIND_PAGE = 100
_CURSOR = re.compile(r"^(\d{8}/){1,12}$", re.ASCII)


def orgs_for(user):
    """Orgs whose compliance the user may see (403 for users who keep nothing)."""
    require_keeper(user, KEEPERS_ONLY)
    return Org.objects.visible_to(user, MEMBER_KEEPERS)


def org_for(user, org_id: int | None) -> Org:
    """The org of ``org_id`` within the user's scope (404 outside), default the top of it."""
    visible = orgs_for(user)
    if org_id is None:
        org = visible.order_by("path").first()
        if org is None:
            raise Http404
        return org
    return get_object_or_404(visible, pk=org_id)


def is_branch(org: Org) -> bool:
    return org.type in org_rules.BRANCH_TYPES


def kind_name(code: str) -> str:
    return str(Kind(code).label)


# --- one branch, live ------------------------------------------------------------------------


def branch_compliance(
    user, org: Org, period: Period, today: date | None = None
) -> rules.BranchCompliance:
    """The exact, current compliance of one branch (three queries: settings, party groups,
    meetings). ``org`` must come from `org_for` (already scoped)."""
    if not org.path.startswith(tuple(_keeper_paths(user))):
        raise Http404
    today = today or timezone.localdate()
    rows = (
        Meeting.objects.filter(
            org_id=org.pk, on__range=(period.start, period.end), state__in=rules.HELD_STATES
        )
        .order_by()
        .values_list(*service.MEETING_FIELDS)
    )
    return rules.meeting_compliance_for_branch(
        period=period,
        created_on=service.created_on(org.founded_on, org.created_at),
        has_committee=org.has_committee,
        has_groups=bool(service.has_groups_of([org.pk])),
        meetings=[service.record(*r[1:]) for r in rows],
        policy=service.policy(),
        today=today,
    )


def _keeper_paths(user) -> list[str]:
    from tongxin.members.access import keeper_paths

    return keeper_paths(user)


# --- roll-ups from snapshots ---------------------------------------------------------------


@dataclass
class Counts:
    total: int = 0
    met: int = 0
    open: int = 0
    behind: int = 0
    due: int = 0
    met_items: int = 0
    held: int = 0
    approved: int = 0
    should_attend: int = 0
    attended: int = 0
    on_leave: int = 0

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.attended, self.should_attend) if self.should_attend else None

    @property
    def attendance_percent(self):
        return rules.percent(self.rate)

    @property
    def status(self) -> str:
        if self.behind:
            return rules.BEHIND
        if self.total and self.met == self.total:
            return rules.MET
        return rules.OPEN

    def branches(self) -> dict:
        return {"total": self.total, "met": self.met, "open": self.open, "behind": self.behind}


@dataclass
class Child:
    org: Org
    counts: Counts


@dataclass
class Rollup:
    org: Org
    period: Period
    counts: Counts
    children: list[Child] = field(default_factory=list)
    computed_at: datetime | None = None


_SUMS = {
    "total": Count("id"),
    "met_n": Count("id", filter=Q(status=rules.MET)),
    "open_n": Count("id", filter=Q(status=rules.OPEN)),
    "behind_n": Count("id", filter=Q(status=rules.BEHIND)),
    "due_sum": Sum("due"),
    "met_sum": Sum("met"),
    "held_sum": Sum("held"),
    "approved_sum": Sum("approved"),
    "should_sum": Sum("should_attend"),
    "attended_sum": Sum("attended"),
    "leave_sum": Sum("on_leave"),
    "computed": Max("computed_at"),
}


def _counts(row: dict) -> Counts:
    return Counts(
        total=row["total"] or 0,
        met=row["met_n"] or 0,
        open=row["open_n"] or 0,
        behind=row["behind_n"] or 0,
        due=row["due_sum"] or 0,
        met_items=row["met_sum"] or 0,
        held=row["held_sum"] or 0,
        approved=row["approved_sum"] or 0,
        should_attend=row["should_sum"] or 0,
        attended=row["attended_sum"] or 0,
        on_leave=row["leave_sum"] or 0,
    )


def _snapshots(org: Org, period: Period):
    qs = ComplianceSnapshot.objects.filter(period=period.label)
    if org.path.count("/") > 1:  # the root holds everything: no join
        qs = qs.filter(org__path__startswith=org.path)
    return qs.order_by()


def rollup(user, org: Org, period: Period) -> Rollup:
    """Counts of the org's subtree and of each child org, from the snapshots: two queries
    (children, one GROUP BY the child's path prefix). ``org`` must come from `org_for`."""
    if not org.path.startswith(tuple(_keeper_paths(user))):
        raise Http404
    children = list(
        Org.objects.filter(parent=org, active=True)
        .exclude(type=org_rules.PARTY_GROUP)
        .order_by("path")
        .only("id", "name", "type", "path")
    )
    prefix_len = len(org.path) + PATH_SEGMENT + 1
    grouped = (
        _snapshots(org, period)
        .annotate(
            prefix=Substr("org__path", 1, prefix_len),
        )
        .values("prefix")
        .annotate(**_SUMS)
    )
    by_prefix = {row["prefix"]: row for row in grouped}
    total = Counts()
    computed = None
    kids = []
    for row in by_prefix.values():
        c = _counts(row)
        for name in total.__dataclass_fields__:
            setattr(total, name, getattr(total, name) + getattr(c, name))
        if row["computed"] and (computed is None or row["computed"] > computed):
            computed = row["computed"]
    for child in children:
        row = by_prefix.get(child.path)
        kids.append(Child(child, _counts(row) if row else Counts()))
    return Rollup(org, period, total, kids, computed)


def kinds_summed(user, org: Org, period: Period) -> tuple[list[dict], list[dict]]:
    """Per kind due/held/approved/met with the missing and open periods summed over the
    subtree's snapshots, and the missing items with the number of branches missing each.
    On PostgreSQL summed in SQL (one grouped query over the JSON arrays); elsewhere
    read and summed in Python (one query)."""
    if not org.path.startswith(tuple(_keeper_paths(user))):
        raise Http404
    if connection.vendor == "postgresql":
        sums, missing, opened = _sums_sql(org, period)
    else:
        sums, missing, opened = _sums_python(org, period)
    order = {c: i for i, c in enumerate(Kind.values)}
    per_kind_missing: dict[str, list[str]] = defaultdict(list)
    for (code, label), _n in sorted(missing.items()):
        per_kind_missing[code].append(label)
    per_kind_open: dict[str, list[str]] = defaultdict(list)
    for code, label in sorted(opened):
        per_kind_open[code].append(label)
    out = []
    for code in sorted(sums, key=lambda c: order.get(c, 99)):
        s = sums[code]
        rate = Fraction(s["attended"], s["should_attend"]) if s["should_attend"] else None
        out.append(
            {
                "kind": code,
                "name": kind_name(code),
                "due": s["due"],
                "held": s["held"],
                "approved": s["approved"],
                "met": s["met"],
                "missing": per_kind_missing.get(code, []),
                "open": per_kind_open.get(code, []),
                "reason": "",
                "attendance_rate": _float(rules.percent(rate)),
            }
        )

    def place(item):
        (code, label), _n = item
        return order.get(code, 99), label

    items = [
        {"kind": k, "name": kind_name(k), "period": label, "branches": n}
        for (k, label), n in sorted(missing.items(), key=place)
    ]
    return out, items


SUMMED = ("due", "held", "approved", "met", "should_attend", "attended")


def _sums_python(org: Org, period: Period):
    sums: dict[str, dict] = {}
    missing: dict[tuple[str, str], int] = defaultdict(int)
    opened: set[tuple[str, str]] = set()
    for kinds, miss in _snapshots(org, period).values_list("kinds", "missing"):
        for k in kinds:
            s = sums.setdefault(k["kind"], dict.fromkeys(SUMMED, 0))
            for name in SUMMED:
                s[name] += k.get(name, 0)
            opened.update((k["kind"], label) for label in k.get("open", ()))
        for kind, label in miss:
            missing[(kind, label)] += 1
    return sums, missing, opened


# The kinds of a snapshot as typed columns: jsonb_to_recordset reads each array element once
# (``k->>'due'`` per column re-parsed it) — about half the time of the lookups.
_KIND_COLUMNS = (
    "kind text, due int, held int, approved int, met int, should_attend int, attended int, "
    "open jsonb, missing jsonb"
)


def _json(value):
    return json.loads(value) if isinstance(value, str) else value  # a driver without jsonb


def _sums_sql(org: Org, period: Period):
    """One pass over the subtree's snapshots, grouped first by (kind, open periods, missing
    periods) — a hash aggregate with few groups per kind, so each distinct list comes back
    once with its count rather than once per branch — then by kind. The missing items are
    counted from each kind's own ``missing`` list: the snapshot's top-level ``missing`` is
    exactly those lists (services.compliance.snapshot_row), and the Python path reads that.

    JIT is off for it: the planner prices a set-returning function at 100 rows a call, so
    ~11,000 snapshots look like a million rows and PostgreSQL spent ~0.8 s compiling a plan
    that runs in ~100 ms."""
    snap = ComplianceSnapshot._meta.db_table
    orgs = Org._meta.db_table
    where = "s.period = %s"
    params: list = [period.label]
    if org.path.count("/") > 1:
        where += f" AND s.org_id IN (SELECT id FROM {orgs} WHERE path LIKE %s)"  # noqa: S608
        params.append(org.path + "%")  # paths are digits and "/"
    inner = ", ".join(f"SUM(k.{name}) AS {name}" for name in SUMMED)
    outer = ", ".join(f"SUM(g.{name})" for name in SUMMED)
    sql = (
        f"SELECT g.kind, {outer}, "  # noqa: S608 (constants)
        "array_agg(g.open) FILTER (WHERE g.open <> '[]'::jsonb), "
        "array_agg(jsonb_build_array(g.missing, g.n)) FILTER (WHERE g.missing <> '[]'::jsonb) "
        f"FROM (SELECT k.kind, k.open, k.missing, COUNT(*) AS n, {inner} "
        f"FROM {snap} s, jsonb_to_recordset(s.kinds) AS k({_KIND_COLUMNS}) "
        f"WHERE {where} GROUP BY 1, 2, 3) g GROUP BY 1"
    )
    sums: dict[str, dict] = {}
    missing: dict[tuple[str, str], int] = defaultdict(int)
    opened: set[tuple[str, str]] = set()
    # SET LOCAL lasts to the end of the transaction: one of its own when there is none (no
    # savepoint inside an outer one — the setting is harmless there and it costs no query)
    with transaction.atomic(savepoint=False), connection.cursor() as c:
        c.execute("SET LOCAL jit = off")
        c.execute(sql, params)
        rows = c.fetchall()
    for code, *values, open_lists, missing_lists in rows:
        sums[code] = dict(zip(SUMMED, (int(v or 0) for v in values), strict=True))
        for labels in open_lists or ():
            opened.update((code, label) for label in _json(labels))
        for pair in missing_lists or ():
            labels, n = _json(pair)
            for label in labels:
                missing[(code, label)] += n
    return sums, dict(missing), opened


def _float(value):
    return float(value) if value is not None else None


def behind_list(
    user, org: Org, period: Period, limit: int = BEHIND_PAGE, after: str | None = None
) -> tuple[list[ComplianceSnapshot], str | None]:
    """Branches of the subtree behind in ``period`` with what they miss, ordered by their
    place in the tree; ``after`` is the last branch path of the previous page (an invalid
    cursor starts from the beginning)."""
    if not org.path.startswith(tuple(_keeper_paths(user))):
        raise Http404
    limit = max(1, min(limit, MAX_BEHIND_PAGE))
    qs = (
        _snapshots(org, period)
        .filter(status=rules.BEHIND)
        .select_related("org")
        .only("id", "missing", "due", "met", "org__id", "org__name", "org__path", "org__type")
        .order_by("org__path")
    )
    if after and _CURSOR.match(after):
        qs = qs.filter(org__path__gt=after)
    rows = list(qs[: limit + 1])
    next_cursor = rows[limit - 1].org.path if len(rows) > limit else None
    return rows[:limit], next_cursor


def missing_out(snapshot: ComplianceSnapshot) -> list[dict]:
    return [
        {"kind": kind, "name": kind_name(kind), "period": label} for kind, label in snapshot.missing
    ]
