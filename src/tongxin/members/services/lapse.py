"""Lapse and lost-contact detection and the people's decisions on the flags.

DOMAIN.md §4.2, §4.3, §5.11 — the rules are in `members/rules/lapse.py`; this module reads
the ledger set-based (one ordered query of unpaid member-months, never a query per member),
keeps at most one OPEN flag per member and kind, and audits each run with its counts.

Flags whose condition no longer holds (the months were paid, contact was restored, the
member left the roll) are closed by the scan as DISMISSED with a resolution saying so and
`evidence["auto_closed"]` set to the day: the flag, its evidence and why it went away stay
visible in the history. A flag a person dismissed or decided is not raised again for the
same facts (`rules.lapse.is_new_evidence`): only a further missed month or a new date of
lost contact raises a new one.
"""

import json
from collections import defaultdict
from datetime import date

from django.db import models, transaction
from django.db.models import F, Func, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core import audit
from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.core.scoping import path_q
from tongxin.members.access import keeper_paths, keeps_path
from tongxin.members.models import (
    DuesRecord,
    LapseFlag,
    Member,
    Status,
    StatusChange,
)
from tongxin.members.rules import lapse as rules
from tongxin.members.services import registry

# The kinds the daily scan detects. LIFE is fed from the meetings app's attendance
# (`_desired_life`).
DETECTED_KINDS = (rules.DUES, rules.LIFE, rules.LOST_6M, rules.LOST_2Y)

# What a decision on a flag may do to the member's standing (the registry records it).
OUTCOMES = {
    rules.DUES: ("none", Status.LAPSED),  # 党章 第九条: 按自行脱党处理
    rules.LIFE: ("none", Status.LAPSED),
    rules.LOST_6M: ("none", Status.SUSPENDED),  # 条例 第二十四条: 停止党籍
    rules.LOST_2Y: ("none", Status.LAPSED),  # 同条: 按照自行脱党予以除名
}

CHUNK = 20_000


def _paths_for(org) -> list[str] | None:
    """None = the whole tree (no path filter, no join)."""
    if org is None or org.path.count("/") == 1:
        return None
    return [org.path]


def _in_scope(qs, paths: list[str] | None, lookup: str):
    return qs if paths is None else qs.filter(path_q(paths, (lookup,)))


def _desired_dues(paths, today: date) -> tuple[dict, int]:
    """{(member_id, "dues"): evidence} from one query of unpaid member-months.

    The rows are streamed unordered (an ORDER BY makes PostgreSQL pick a slow fast-start
    index plan for the cursor) and grouped per member in memory: only unpaid months are
    read, a few percent of the ledger. Members with fewer than six unpaid months in the
    window cannot have a run and skip the rule."""
    rows = _in_scope(
        DuesRecord.objects.filter(
            month__gte=rules.window_start(today),
            month__lt=today.replace(day=1),
            paid_on__isnull=True,
            amount_due__gt=0,
            member__status=Status.NORMAL,
        ),
        paths,
        "member__org__path",
    ).values_list("member_id", "month", "member__admitted_on")
    months: dict[int, list[date]] = defaultdict(list)
    admitted: dict[int, date] = {}
    count = 0
    for member_id, month, admitted_on in rows.order_by().iterator(chunk_size=CHUNK):
        months[member_id].append(month)
        admitted[member_id] = admitted_on
        count += 1
    desired = {}
    for member_id, unpaid in months.items():
        if len(unpaid) < rules.LAPSE_MONTHS:
            continue
        run = rules.dues_lapse(unpaid, today=today, admitted_on=admitted[member_id])
        if run:
            desired[(member_id, rules.DUES)] = rules.months_evidence(run)
    return desired, count


def _desired_life(paths, today: date) -> tuple[dict, int]:
    """{(member_id, "life"): evidence} from one query of roster rows of held meetings.

    A member is expected in a month when they were on the roster of a meeting held that
    month whose attendance was recorded (attended, leave or absent; a row still "expected"
    is missing data and is not held against anyone); they attended or were excused (leave
    with a reason) or missed it (`meetings.rules.lapse_feed.missed_months`: a month in which
    nothing was expected breaks a run, as an exempted dues month does). Only ended months of
    the scan window count; months before admission are not judged."""
    from tongxin.meetings.models import Attendance, AttendanceStatus
    from tongxin.meetings.rules.compliance import HELD_STATES
    from tongxin.meetings.rules.lapse_feed import missed_months

    last = rules.last_ended_month(today)
    rows = _in_scope(
        Attendance.objects.filter(
            meeting__on__gte=rules.window_start(today),
            meeting__on__lt=today.replace(day=1),
            meeting__state__in=HELD_STATES,
            status__in=[AttendanceStatus.ATTENDED, AttendanceStatus.LEAVE, AttendanceStatus.ABSENT],
            member__status=Status.NORMAL,
        ),
        paths,
        "member__org__path",
    ).values_list("member_id", "meeting__on", "status", "member__admitted_on")
    expected: dict[int, set[date]] = defaultdict(set)
    attended: dict[int, set[date]] = defaultdict(set)
    excused: dict[int, set[date]] = defaultdict(set)
    admitted: dict[int, date | None] = {}
    count = 0
    for member_id, on, status, admitted_on in rows.order_by().iterator(chunk_size=CHUNK):
        month = on.replace(day=1)
        expected[member_id].add(month)
        if status == AttendanceStatus.ATTENDED:
            attended[member_id].add(month)
        elif status == AttendanceStatus.LEAVE:
            excused[member_id].add(month)
        admitted[member_id] = admitted_on
        count += 1
    desired = {}
    for member_id, months in expected.items():
        if len(months) - len(attended[member_id]) < rules.LAPSE_MONTHS:
            continue
        missed = missed_months(
            expected=months,
            attended=attended[member_id],
            excused=excused[member_id],
            first_month=admitted[member_id],
            last_month=last,
        )
        runs = rules.consecutive_runs(missed, today=today)
        if runs:
            desired[(member_id, rules.LIFE)] = rules.months_evidence(runs[-1])
    return desired, count


def _desired_lost_contact(paths, today: date) -> dict:
    """Lost contact ≥ 6 months for members in good standing; ≥ 2 years also for those whose
    standing was suspended for it (the removal step of 条例 第二十四条)."""
    rows = _in_scope(
        Member.objects.filter(
            lost_contact_since__isnull=False,
            lost_contact_since__lte=today,
            status__in=[Status.NORMAL, Status.SUSPENDED],
        ),
        paths,
        "org__path",
    ).values_list("id", "status", "lost_contact_since")
    desired = {}
    for member_id, status, since in rows.order_by().iterator(chunk_size=CHUNK):
        kind = rules.lost_contact_kind(since, today=today)
        if kind is None or (status == Status.SUSPENDED and kind != rules.LOST_2Y):
            continue
        desired[(member_id, kind)] = rules.since_evidence(since)
    return desired


def _drop_already_resolved(desired: dict, paths) -> int:
    """Remove conditions a person already dismissed or decided on the same facts."""
    if not desired:
        return 0
    resolved = (
        _in_scope(
            LapseFlag.objects.filter(
                state__in=[LapseFlag.State.DISMISSED, LapseFlag.State.DECIDED],
                kind__in=DETECTED_KINDS,
            ),
            paths,
            "member__org__path",
        )
        .order_by()
        .values_list("id", "member_id", "kind", "evidence")
    )
    latest: dict[tuple[int, str], tuple[int, dict]] = {}
    for flag_id, member_id, kind, evidence in resolved.iterator(chunk_size=CHUNK):
        key = (member_id, kind)
        if key in desired and not evidence.get("auto_closed"):
            if key not in latest or latest[key][0] < flag_id:
                latest[key] = (flag_id, evidence)
    dropped = 0
    for key, (_flag_id, evidence) in latest.items():
        if not rules.is_new_evidence(key[1], desired[key], evidence):
            del desired[key]
            dropped += 1
    return dropped


def _detect(paths: list[str] | None, today: date, actor, scope_label: str) -> dict:
    desired, unpaid_rows = _desired_dues(paths, today)
    life, roster_rows = _desired_life(paths, today)
    desired.update(life)
    desired.update(_desired_lost_contact(paths, today))
    suppressed = _drop_already_resolved(desired, paths)
    with transaction.atomic():
        open_flags = (
            _in_scope(
                LapseFlag.objects.select_for_update(of=("self",)).filter(
                    state=LapseFlag.State.OPEN, kind__in=DETECTED_KINDS
                ),
                paths,
                "member__org__path",
            )
            .order_by()
            .only("id", "member_id", "kind", "evidence")
        )
        existing = {(f.member_id, f.kind): f for f in open_flags.iterator(chunk_size=CHUNK)}
        now = timezone.now()
        new = [
            LapseFlag(member_id=m, kind=k, evidence=ev, detected_on=today)
            for (m, k), ev in desired.items()
            if (m, k) not in existing
        ]
        changed = []
        for key, flag in existing.items():
            if key in desired and flag.evidence != desired[key]:
                flag.evidence, flag.updated_at = desired[key], now
                changed.append(flag)
        stale = [flag for key, flag in existing.items() if key not in desired]
        LapseFlag.objects.bulk_create(new, batch_size=5000, ignore_conflicts=True)
        _update_evidence(changed, now)
        _close_stale(stale, today, now)
        result = {
            "today": today.isoformat(),
            "scope": scope_label,
            "unpaid_rows": unpaid_rows,
            "roster_rows": roster_rows,
            "created": len(new),
            "updated": len(changed),
            "closed": len(stale),
            "suppressed": suppressed,
            "flagged": len(desired),
        }
        audit.record(
            actor=actor or "system",
            action="lapse_detection",
            object_type="members.lapseflag",
            object_repr=scope_label,
            changes={k: [None, v] for k, v in result.items() if k not in ("today", "scope")},
        )
    return result


def _update_evidence(changed: list[LapseFlag], now) -> None:
    """One UPDATE per distinct evidence (runs share their months: at most a few dozen
    distinct values), chunked; bulk_update's CASE per row is quadratic."""
    by_evidence: dict[str, list[int]] = defaultdict(list)
    for flag in changed:
        by_evidence[json.dumps(flag.evidence, sort_keys=True)].append(flag.pk)
    for evidence, flag_ids in by_evidence.items():
        for i in range(0, len(flag_ids), CHUNK):
            LapseFlag.objects.filter(pk__in=flag_ids[i : i + CHUNK]).update(
                evidence=json.loads(evidence), updated_at=now
            )


class _WithAutoClosed(Func):
    """`evidence` with `auto_closed` set to a day, computed in the database (one UPDATE per
    chunk instead of a CASE per row — bulk_update of 15,000 rows took 80 s)."""

    output_field = models.JSONField()

    def __init__(self, day: str):
        super().__init__(F("evidence"), Value(day))

    def _parts(self, compiler):
        evidence, p1 = compiler.compile(self.source_expressions[0])
        day, p2 = compiler.compile(self.source_expressions[1])
        return evidence, day, (*p1, *p2)

    def as_sql(self, compiler, connection, **extra):  # SQLite, MySQL
        evidence, day, params = self._parts(compiler)
        return f"JSON_SET({evidence}, '$.auto_closed', {day})", params

    def as_postgresql(self, compiler, connection, **extra):
        evidence, day, params = self._parts(compiler)
        return f"jsonb_set({evidence}, '{{auto_closed}}', to_jsonb({day}::text))", params


def _close_stale(stale: list[LapseFlag], today: date, now) -> None:
    """Close flags whose condition no longer holds: DISMISSED with a resolution saying why
    and `evidence["auto_closed"]`; a chunked UPDATE per resolution, not a query per flag."""
    if not stale:
        return
    member_ids = {f.member_id for f in stale}
    in_roll = set()
    ids = sorted(member_ids)
    for i in range(0, len(ids), CHUNK):
        in_roll.update(
            Member.objects.filter(
                pk__in=ids[i : i + CHUNK], status__in=[Status.NORMAL, Status.SUSPENDED]
            ).values_list("pk", flat=True)
        )
    groups = {
        _("condition no longer holds (paid or contact restored)"): [
            f.pk for f in stale if f.member_id in in_roll
        ],
        _("member no longer in good standing"): [f.pk for f in stale if f.member_id not in in_roll],
    }
    for resolution, flag_ids in groups.items():
        for i in range(0, len(flag_ids), CHUNK):
            LapseFlag.objects.filter(pk__in=flag_ids[i : i + CHUNK]).update(
                state=LapseFlag.State.DISMISSED,
                resolution=resolution,
                evidence=_WithAutoClosed(today.isoformat()),
                updated_at=now,
            )


def run_detection(*, today: date | None = None, org=None, actor=None) -> dict:
    """Scan members in good standing (the whole district, or `org`'s subtree) and keep the
    open flags in line with the ledger and the lost-contact dates. Returns the counts.

    With `actor`, the scan is limited to what the actor keeps: `org` must lie in their
    scope, and without `org` each of their subtrees is scanned."""
    today = today or timezone.localdate()
    if actor is None:
        return _detect(_paths_for(org), today, None, org.name if org else "*")
    paths = keeper_paths(actor)
    if org is not None:
        if not any(org.path.startswith(p) for p in paths):
            raise PermissionDenied(_("You may not check members outside your scope."))
        return _detect(_paths_for(org), today, actor, org.name)
    if not paths:
        raise PermissionDenied(_("You may not check members outside your scope."))
    if any(p.count("/") == 1 for p in paths):
        return _detect(None, today, actor, "*")
    return _detect(paths, today, actor, ",".join(paths))


# --- decisions by people --------------------------------------------------------------------


def _open_flag_for(actor, flag: LapseFlag) -> LapseFlag:
    flag = (
        LapseFlag.objects.select_for_update(of=("self",))
        .select_related("member", "member__org")
        .get(pk=flag.pk)
    )
    if not keeps_path(actor, flag.member.org.path):
        raise PermissionDenied(_("You may not decide on members outside your scope."))
    if flag.state != LapseFlag.State.OPEN:
        raise ValidationError({"state": [_("this flag is already closed")]})
    return flag


@transaction.atomic
def dismiss_flag(*, actor, flag: LapseFlag, reason: str) -> LapseFlag:
    """Close a flag with a reason (e.g. a proper reason under 党章 第九条, or data to fix)."""
    flag = _open_flag_for(actor, flag)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("give the reason for dismissing the flag")]})
    flag.state = LapseFlag.State.DISMISSED
    flag.resolution = reason[:2000]
    flag.resolved_by = actor
    flag.save(update_fields=["state", "resolution", "resolved_by", "updated_at"])
    audit.record(
        actor=actor,
        action="dismiss_lapse_flag",
        obj=flag,
        object_repr=f"{flag.member} · {flag.get_kind_display()}",
        changes={"state": ["open", flag.state], "resolution": ["", flag.resolution]},
    )
    return flag


@transaction.atomic
def decide_flag(
    *,
    actor,
    flag: LapseFlag,
    decision: str,
    decided_by: str,
    outcome: str = "none",
    effective_on: date | None = None,
    today: date | None = None,
) -> LapseFlag:
    """Record the decision people took on a flag (党章 第九条: the branch meeting decides, the
    higher committee approves; 条例 第二十四条 for lost contact).

    `outcome` "none" keeps the member's standing; "lapsed" (dues, life, two years lost) or
    "suspended" (six months lost) changes it through the registry's `change_status`."""
    flag = _open_flag_for(actor, flag)
    errors: dict[str, list[str]] = {}
    decision = (decision or "").strip()
    decided_by = (decided_by or "").strip()
    if not decision:
        errors["decision"] = [_("write the decision taken")]
    elif len(decision) > 200:
        errors["decision"] = [_("at most 200 characters")]
    if not decided_by:
        errors["decided_by"] = [_("name the meeting or committee that decided")]
    elif len(decided_by) > 100:
        errors["decided_by"] = [_("at most 100 characters")]
    if outcome not in OUTCOMES[flag.kind]:
        errors["outcome"] = [_("this outcome does not follow from this kind of flag")]
    today = today or timezone.localdate()
    effective_on = effective_on or today
    if effective_on > today:
        errors["effective_on"] = [_("cannot be in the future")]
    if errors:
        raise ValidationError(errors)
    if outcome != "none":
        _change_standing(actor, flag, outcome, effective_on, decision, decided_by, today)
    flag.state = LapseFlag.State.DECIDED
    flag.resolution = f"{decided_by}: {decision}"
    flag.resolved_by = actor
    flag.evidence = {**flag.evidence, "outcome": outcome, "effective_on": effective_on.isoformat()}
    flag.save(update_fields=["state", "resolution", "resolved_by", "evidence", "updated_at"])
    audit.record(
        actor=actor,
        action="decide_lapse_flag",
        obj=flag,
        object_repr=f"{flag.member} · {flag.get_kind_display()}",
        changes={
            "state": ["open", flag.state],
            "resolution": ["", flag.resolution],
            "outcome": [None, outcome],
        },
    )
    return flag


def _change_standing(actor, flag, outcome, effective_on, decision, decided_by, today) -> None:
    """The registry records the change of standing and its history (same transaction)."""
    try:
        registry.change_status(
            actor=actor,
            member=flag.member,
            kind=StatusChange.Kind.STANDING,
            to_value=outcome,
            effective_on=effective_on,
            decision=decision,
            decided_by=decided_by,
            note=_("Decided on lapse flag %(id)s") % {"id": flag.pk},
            today=today,
        )
    except ValidationError as exc:  # name our field, not the registry's
        renamed = {
            ("outcome" if field == "to_value" else field): messages
            for field, messages in exc.message_dict.items()
        }
        raise ValidationError(renamed) from exc
