"""Compliance snapshots: due vs held/approved per branch and period (issue 5 §2; DOMAIN.md §7).

The rules are pure (`rules.compliance.meeting_compliance_for_branch`); this module feeds them
from the database and keeps `ComplianceSnapshot` rows — one per branch and month, quarter
and year — that the roll-ups read:

* `refresh_branch` recomputes one branch for the month, quarter and year of a day (the
  meeting services call it on commit after every approval): a handful of queries.
* `recompute_all` recomputes every branch of a subtree for a year, set-based: one query of
  meetings, one of branches, one of party groups, then per chunk of branches one DELETE and
  one bulk INSERT. Nothing is read per branch.
* `update_settings` writes the district's frequencies, the whole months a new branch must
  have existed to owe a period and the sign-in grace (ComplianceSettings pk=1).

A snapshot is written only for periods that started on or before ``today`` and that the
branch existed in (created on or before the period's last day); ``kinds`` keeps only the
kinds with something due, held or approved (the others add nothing to a sum).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core import audit
from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.core.scoping import roles_of
from tongxin.meetings.models import ComplianceSettings, ComplianceSnapshot, Meeting
from tongxin.meetings.rules import compliance as rules
from tongxin.meetings.rules.common import RuleError
from tongxin.meetings.rules.kinds import KINDS, kind, parse_frequency
from tongxin.meetings.rules.periods import MONTH, QUARTER, YEAR, Period, period_of
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import Org

CHUNK = 1000  # branches per DELETE + INSERT
BATCH = 5000  # rows per INSERT statement

MIN_MONTHS_MAX = 12
GRACE_MAX = 240  # minutes


# --- settings ---------------------------------------------------------------------------------


def settings_row() -> ComplianceSettings:
    """The settings row (unsaved defaults when the district never saved any)."""
    return ComplianceSettings.objects.filter(pk=1).first() or ComplianceSettings(pk=1)


def policy(row: ComplianceSettings | None = None) -> rules.CompliancePolicy:
    """The district's policy; defaults when absent. A stored value the rules refuse (edited
    by hand) falls back to the default of that kind rather than breaking every page."""
    row = row or settings_row()
    overrides = {}
    for code, text in (row.frequencies or {}).items():
        try:
            kind(code)
            overrides[code] = parse_frequency(text)
        except RuleError:
            continue
    return rules.CompliancePolicy(overrides, max(1, row.min_whole_months or 1))


def frequency_texts(row: ComplianceSettings | None = None) -> dict[str, str]:
    """code → "1/month" ("" = not required) for every kind, as the settings form shows it."""
    freqs = policy(row).frequencies
    return {k.code: str(freqs[k.code]) if freqs[k.code] else "" for k in KINDS}


@transaction.atomic
def update_settings(
    *,
    actor,
    frequencies: Mapping[str, str | None],
    min_whole_months,
    signin_before,
    signin_after,
) -> ComplianceSettings:
    """District administrators only. Errors name the field: ``frequencies.<kind>``,
    ``min_whole_months``, ``signin_before``, ``signin_after``. Nothing is written when any
    value is refused."""
    if "district_admin" not in roles_of(actor):
        raise PermissionDenied(_("Only district administrators change the compliance settings."))
    errors: dict[str, list[str]] = {}
    known = {k.code for k in KINDS}
    cleaned: dict[str, str] = {}
    for code, text in (frequencies or {}).items():
        field = f"frequencies.{code}"
        if code not in known:
            errors[field] = [_('"%(kind)s" is not a kind of organisational life.') % {"kind": code}]
            continue
        text = (text or "").strip() if isinstance(text, str) or text is None else text
        try:
            freq = parse_frequency(text)
        except RuleError as exc:
            errors[field] = [exc.text]
            continue
        cleaned[code] = str(freq) if freq else ""

    def whole(field: str, value, low: int, high: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[field] = [
                _("Enter a whole number from %(min)s to %(max)s.") % {"min": low, "max": high}
            ]
            return None
        return value

    months = whole("min_whole_months", min_whole_months, 1, MIN_MONTHS_MAX)
    before = whole("signin_before", signin_before, 0, GRACE_MAX)
    after = whole("signin_after", signin_after, 0, GRACE_MAX)
    if errors:
        raise ValidationError(errors)
    row = ComplianceSettings.objects.select_for_update().filter(pk=1).first()
    if row is None:
        row = ComplianceSettings(pk=1)
    before_values = {
        "frequencies": frequency_texts(row),
        "min_whole_months": row.min_whole_months,
        "signin_before_minutes": row.signin_before_minutes,
        "signin_after_minutes": row.signin_after_minutes,
    }
    row.frequencies = {**frequency_texts(row), **cleaned}
    row.min_whole_months = months
    row.signin_before_minutes = before
    row.signin_after_minutes = after
    row.save()
    after_values = {
        "frequencies": row.frequencies,
        "min_whole_months": months,
        "signin_before_minutes": before,
        "signin_after_minutes": after,
    }
    audit.record(
        actor=actor,
        action="compliance_settings",
        obj=row,
        changes=audit.diff(before_values, after_values),
    )
    return row


# --- computing one branch ------------------------------------------------------------------------


def created_on(founded_on: date | None, created_at) -> date:
    """The day a branch counts from: its founding date, else the day it was registered."""
    return founded_on or timezone.localdate(created_at)


def record(kind: str, on: date, state: str, should: int, attended: int, leave: int):
    """A meeting row as the rules read it. Figures the services would have refused
    (attended + on leave above the roster: only possible through hand-edited data) are left
    out of the attendance rate rather than stopping the whole computation."""
    figures = None
    if should and attended + leave <= should:
        figures = rules.Attendance(should, attended, leave)
    return rules.MeetingRecord(kind, on, state, figures)


MEETING_FIELDS = ("org_id", "kind", "on", "state", "should_attend", "attended", "on_leave")


def periods_of_year(year: int, today: date) -> list[Period]:
    """Every month, quarter and the year itself of ``year`` that started on or before today."""
    year_period = Period(date(year, 1, 1), YEAR)
    out = [year_period]
    for unit in (QUARTER, MONTH):
        p = Period(date(year, 1, 1), unit)
        while p.start <= year_period.end:
            out.append(p)
            p = p.next()
    return [p for p in out if p.start <= today]


def kinds_json(kinds: list[tuple]) -> list[dict]:
    out = []
    for k, due, met in kinds:
        if not (due or k.held or k.approved):
            continue
        a = k.attendance
        out.append(
            {
                "kind": k.kind,
                "due": due,
                "met": met,
                "held": k.held,
                "approved": k.approved,
                "reason": k.reason,
                "missing": [p.label for p in k.missing],
                "open": [p.label for p in k.open],
                "should_attend": a.should_attend,
                "attended": a.attended,
                "on_leave": a.on_leave,
            }
        )
    return out


# ComplianceSnapshot columns in the order `snapshot_row` gives them
FIELDS = (
    "org_id",
    "period",
    "unit",
    "status",
    "due",
    "met",
    "held",
    "approved",
    "should_attend",
    "attended",
    "on_leave",
    "kinds",
    "missing",
    "computed_at",
)


def snapshot_row(org_id: int, result: rules.BranchCompliance, now) -> tuple:
    """One snapshot as a tuple of FIELDS (each kind's due/met computed once)."""
    kinds = [(k, k.due, k.met) for k in result.kinds]
    a = result.attendance
    missing = [[k.kind, p.label] for k, _due, _met in kinds for p in k.missing]
    if missing:
        status = rules.BEHIND
    elif all(k.compliant for k, _due, _met in kinds):
        status = rules.MET
    else:
        status = rules.OPEN
    return (
        org_id,
        result.period.label,
        result.period.unit,
        status,
        sum(due for _k, due, _m in kinds),
        sum(met for _k, _d, met in kinds),
        sum(k.held for k, _d, _m in kinds),
        sum(k.approved for k, _d, _m in kinds),
        a.should_attend,
        a.attended,
        a.on_leave,
        kinds_json(kinds),
        missing,
        now,
    )


def _write(rows: list[tuple]) -> None:
    """Insert snapshot rows: COPY on PostgreSQL (bulk INSERT of 250,000 rows with two JSON
    columns spent most of its time quoting arrays on the client), bulk_create elsewhere."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        table = ComplianceSnapshot._meta.db_table
        columns = ", ".join(ComplianceSnapshot._meta.get_field(f).column for f in FIELDS)
        dumps = json.dumps
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row((*row[:11], dumps(row[11]), dumps(row[12]), row[13]))
        return
    ComplianceSnapshot.objects.bulk_create(
        [ComplianceSnapshot(**dict(zip(FIELDS, row, strict=True))) for row in rows],
        batch_size=BATCH,
    )


def _compute(
    *,
    org_id: int,
    created: date,
    has_committee: bool,
    has_groups: bool,
    meetings: Iterable,
    periods: Iterable[Period],
    policy: rules.CompliancePolicy,
    today: date,
    now,
) -> list[tuple]:
    """Snapshot rows of one branch. ``meetings`` are MeetingRecords; each period is given
    only the meetings dated inside it (bucketed by month, so a month sees one bucket)."""
    by_month: dict[tuple[int, int], list] = defaultdict(list)
    for m in meetings:
        by_month[(m.on.year, m.on.month)].append(m)
    out = []
    for p in periods:
        if created > p.end:
            continue  # the branch did not exist in this period
        inside = []
        for i in range(p.months):
            month = p.start.month + i
            inside.extend(by_month.get((p.start.year, month), ()))
        result = rules.meeting_compliance_for_branch(
            period=p,
            created_on=created,
            has_committee=has_committee,
            has_groups=has_groups,
            meetings=inside,
            policy=policy,
            today=today,
        )
        out.append(snapshot_row(org_id, result, now))
    return out


def has_groups_of(org_ids: Iterable[int] | None = None, path: str | None = None) -> set[int]:
    """Ids of branches with at least one active party group (one query)."""
    qs = Org.objects.filter(type=org_rules.PARTY_GROUP, active=True)
    if org_ids is not None:
        qs = qs.filter(parent_id__in=list(org_ids))
    if path is not None:
        qs = qs.filter(path__startswith=path)
    return set(qs.order_by().values_list("parent_id", flat=True).distinct())


def refresh_branch(*, org_id: int, on: date | None = None, today: date | None = None) -> None:
    """Recompute and upsert the branch's snapshots for the month, quarter and year of ``on``
    (default today). Called on commit after an approval; safe to call for any org (not a
    branch: nothing happens)."""
    today = today or timezone.localdate()
    on = on or today
    org = (
        Org.objects.filter(pk=org_id, type__in=org_rules.BRANCH_TYPES)
        .values("id", "founded_on", "created_at", "has_committee")
        .first()
    )
    if org is None:
        return
    periods = [p for p in (period_of(on, u) for u in (MONTH, QUARTER, YEAR)) if p.start <= today]
    year = period_of(on, YEAR)
    rows = (
        Meeting.objects.filter(
            org_id=org_id, on__range=(year.start, year.end), state__in=rules.HELD_STATES
        )
        .order_by()
        .values_list(*MEETING_FIELDS)
    )
    meetings = [record(*r[1:]) for r in rows]
    snaps = _compute(
        org_id=org_id,
        created=created_on(org["founded_on"], org["created_at"]),
        has_committee=org["has_committee"],
        has_groups=bool(has_groups_of([org_id])),
        meetings=meetings,
        periods=periods,
        policy=policy(),
        today=today,
        now=timezone.now(),
    )
    with transaction.atomic():
        ComplianceSnapshot.objects.filter(
            org_id=org_id, period__in=[p.label for p in periods]
        ).delete()
        _write(snaps)


def recompute_all(
    *,
    today: date | None = None,
    year: int | None = None,
    org: Org | None = None,
    actor=None,
    audited: bool = True,
) -> dict:
    """Every active branch of ``org``'s subtree (default: all) for every month, quarter and
    the year ``year`` (default: this year) up to today. Returns the counts and the seconds."""
    started = time.monotonic()
    today = today or timezone.localdate()
    year = year or today.year
    periods = periods_of_year(year, today)
    labels = [p.label for p in periods]
    path = org.path if org is not None and org.path.count("/") > 1 else None
    branches = Org.objects.filter(type__in=org_rules.BRANCH_TYPES, active=True)
    meetings_qs = Meeting.objects.filter(
        on__range=(date(year, 1, 1), min(today, date(year, 12, 31))),
        state__in=rules.HELD_STATES,
    )
    if path is not None:
        branches = branches.filter(path__startswith=path)
        meetings_qs = meetings_qs.filter(org__path__startswith=path)
    branch_rows = list(
        branches.order_by("id").values_list("id", "founded_on", "created_at", "has_committee")
    )
    grouped = has_groups_of(path=path) if path else has_groups_of()
    by_branch: dict[int, list] = defaultdict(list)
    n_meetings = 0
    for row in meetings_qs.order_by().values_list(*MEETING_FIELDS).iterator(chunk_size=20_000):
        by_branch[row[0]].append(record(*row[1:]))
        n_meetings += 1
    pol = policy()
    now = timezone.now()
    written = 0
    deleted = 0
    for i in range(0, len(branch_rows), CHUNK):
        chunk = branch_rows[i : i + CHUNK]
        snaps: list[tuple] = []
        for org_id, founded_on, created_at, has_committee in chunk:
            snaps.extend(
                _compute(
                    org_id=org_id,
                    created=created_on(founded_on, created_at),
                    has_committee=has_committee,
                    has_groups=org_id in grouped,
                    meetings=by_branch.get(org_id, ()),
                    periods=periods,
                    policy=pol,
                    today=today,
                    now=now,
                )
            )
        # written period by period: the roll-ups read one period of every branch, and rows
        # of a period kept together fill ~150 heap pages per chunk instead of one page each
        snaps.sort(key=lambda row: row[1])
        with transaction.atomic():
            deleted += ComplianceSnapshot.objects.filter(
                org_id__in=[r[0] for r in chunk], period__in=labels
            ).delete()[0]
            _write(snaps)
        written += len(snaps)
    if connection.vendor == "postgresql":
        # the table was rewritten: fresh statistics (and, outside a transaction, the dead
        # rows reclaimed) keep the roll-up plans on their indexes
        table = ComplianceSnapshot._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"ANALYZE {table}" if connection.in_atomic_block else f"VACUUM (ANALYZE) {table}"
            )
    result = {
        "year": year,
        "today": today.isoformat(),
        "branches": len(branch_rows),
        "meetings": n_meetings,
        "periods": len(periods),
        "snapshots": written,
        "replaced": deleted,
        "seconds": round(time.monotonic() - started, 2),
    }
    if not audited:  # the seed command writes one summary entry for the whole run
        return result
    with transaction.atomic():
        audit.record(
            actor=actor or "system",
            action="compliance_recompute",
            object_type="meetings.compliancesnapshot",
            object_repr=(org.name if org is not None else "*")[:200],
            changes={k: [None, v] for k, v in result.items() if k != "today"},
        )
    return result
