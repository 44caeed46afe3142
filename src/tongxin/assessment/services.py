"""Computing ratings and changing the rating settings (every write of the assessment app).

`compute_ratings(year=…)` measures each indicator for ALL branches with one grouped query per
indicator (no per-branch queries), rates each branch with `meetings.rules.rating.rate` and
writes the BranchRating rows in bulk (insert or update on (org, year)), with one summary audit
row. Each indicator's value is a share from 0 to 1 measured ONLY from recorded data; a value
that cannot be measured (nothing was due, the module is not in use, the branch is not under a
community …) is None — listed as missing in the breakdown, never counted as 0.

Measured period: the calendar year, or for the running year the months ended before today's
month (`measured_to` = the last day of the last ended month; in January of the running year
nothing has ended and every indicator but the compliance snapshot is missing).

Indicators (codes of models.Indicator):

* meeting_compliance — met / due of the branch's yearly ComplianceSnapshot (period "2026",
  kept by meetings.services.compliance); no snapshot or nothing due → missing.
* attendance — attended / should attend of the same snapshot; nobody should have attended
  → missing.
* dues_on_time — members.DuesRecord rows of the branch for the measured months with an amount
  due above 0: the share paid by the last day of their month (members.rules.lapse: a month's
  dues may be paid until its last day). Exempted months (amount 0) do not count.
* admission_work — development.Applicant files of the branch open at some time in the period
  (applied on or before its end, not closed before its start): the share that was not
  overdue at the end of the period (not overdue now, or overdue only since after the end).
  No files → missing (a branch without applicants is not punished).
* study_hours — education.selectors.study_hours_by_branch: the branch's study hours per
  member of its roll against the yearly requirement (RatingSettings, default 32 hours),
  capped at 1. Missing for all when the education module holds no record of the year.
* demand_handling — residents' demands of the branch's community closed in the period: the
  share closed on time (answered — or closed — by the due time; no due time: on time). Only
  for branches under a community; missing otherwise or when none was closed.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.assessment import access
from tongxin.assessment import models as m
from tongxin.assessment.models import DEFAULT_WEIGHTS, BranchRating, IndicatorWeight, RatingSettings
from tongxin.core import audit
from tongxin.core.errors import raise_if
from tongxin.meetings.rules import rating as rrules
from tongxin.meetings.rules.rating import round_points
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import PATH_SEGMENT, Org

log = logging.getLogger(__name__)

BATCH = 2000
FIRST_YEAR = 2000

Measure = dict[int, tuple[Fraction | None, dict[str, Any]]]


# --- the measured period --------------------------------------------------------------------


def measured_to(year: int, today: date) -> date | None:
    """The last day measured: 31 December of a past year; for the running year the last day
    of the last ended month (None in January: nothing has ended yet)."""
    if year < today.year:
        return date(year, 12, 31)
    if today.month == 1:
        return None
    last = today.month - 1
    return date(year, last, calendar.monthrange(year, last)[1])


def _aware(day: date, end: bool = False) -> datetime:
    tz = timezone.get_current_timezone()
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min), tz)


# --- indicators ------------------------------------------------------------------------------


def measure_compliance(branch_ids: list[int], year: int) -> tuple[Measure, Measure]:
    """(meeting_compliance, attendance) from the yearly snapshots: one query."""
    from tongxin.meetings.models import ComplianceSnapshot

    compliance: Measure = {}
    attendance: Measure = {}
    rows = ComplianceSnapshot.objects.filter(org_id__in=branch_ids, period=str(year)).values_list(
        "org_id", "due", "met", "should_attend", "attended", "on_leave"
    )
    for org_id, due, met, should, attended, leave in rows:
        if due:
            compliance[org_id] = (Fraction(min(met, due), due), {"met": met, "due": due})
        if should:
            attendance[org_id] = (
                Fraction(min(attended, should), should),
                {"attended": attended, "should": should, "leave": leave},
            )
    return compliance, attendance


def measure_dues(branch_ids: list[int], year: int, until: date | None) -> Measure:
    """Share of due rows paid by the end of their month: one grouped query."""
    from tongxin.members.models import DuesRecord

    if until is None:
        return {}
    month_index = ExtractYear("month") * 12 + ExtractMonth("month")
    paid_index = ExtractYear("paid_on") * 12 + ExtractMonth("paid_on")
    rows = (
        DuesRecord.objects.filter(
            org_id__in=branch_ids,
            month__gte=date(year, 1, 1),
            month__lte=until,
            amount_due__gt=0,
        )
        .annotate(month_index=month_index, paid_index=paid_index)
        .values("org_id")
        .annotate(
            due=Count("id"),
            on_time=Count("id", filter=Q(paid_on__isnull=False, paid_index__lte=F("month_index"))),
        )
        .order_by()
    )
    return {
        r["org_id"]: (Fraction(r["on_time"], r["due"]), {"on_time": r["on_time"], "due": r["due"]})
        for r in rows
        if r["due"]
    }


def measure_admissions(branch_ids: list[int], year: int, until: date | None) -> Measure:
    """Share of the branch's files of the period not overdue at its end: one grouped query."""
    from tongxin.development.models import Applicant

    if until is None:
        return {}
    start = date(year, 1, 1)
    rows = (
        Applicant.objects.filter(org_id__in=branch_ids)
        .filter(
            Q(applied_on__lte=until)
            | Q(applied_on__isnull=True, created_at__lte=_aware(until, True))
        )
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=start))
        .values("org_id")
        .annotate(
            files=Count("id"),
            on_schedule=Count("id", filter=Q(overdue=False) | Q(overdue_since__gt=until)),
        )
        .order_by()
    )
    return {
        r["org_id"]: (
            Fraction(r["on_schedule"], r["files"]),
            {"on_schedule": r["on_schedule"], "files": r["files"]},
        )
        for r in rows
        if r["files"]
    }


def measure_study(branch_ids: list[int], year: int, required: int) -> tuple[Measure, bool]:
    """Hours studied per member of the roll against the yearly requirement (settings,
    default 32 — 党员每年集中学习培训时间一般不少于32学时), capped at 1: two grouped queries.

    education.selectors.study_hours_by_branch answers {branch: (total hours, members with a
    record)}; the average is over the branch's whole roll (members.in_roll), so one keen
    member does not stand for the branch. When the education module is not in use (no study
    record at all that year, or it does not answer) the indicator is missing for every
    branch; when it is in use, a branch with no record is measured at 0 hours."""
    from tongxin.members.models import Member

    try:
        from tongxin.education.selectors import study_hours_by_branch
    except ImportError:
        return {}, False
    if not required:
        return {}, False
    try:
        answer = dict(study_hours_by_branch(year=year, org_ids=branch_ids) or {})
    except Exception:  # the module is not ready: the indicator is missing, not zero
        log.exception("study_hours_by_branch failed; study hours left unmeasured")
        return {}, False
    if not answer:
        return {}, False
    roll = dict(
        Member.objects.in_roll()
        .filter(org_id__in=branch_ids)
        .values("org_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("org_id", "n")
    )
    out: Measure = {}
    for org_id, members in roll.items():
        if not members:
            continue
        total = answer.get(org_id, (0, 0))[0] or 0
        hours = Fraction(Decimal(str(total)))
        average = hours / members
        value = min(average / required, Fraction(1))
        out[org_id] = (
            value,
            {
                "average": str(round_points(average)),
                "required": required,
                "members": members,
            },
        )
    return out, True


def community_of(paths: Iterable[tuple[int, str]]) -> dict[int, int]:
    """branch id → the id of the community committee above it (one query)."""
    pairs = list(paths)
    step = PATH_SEGMENT + 1
    ancestors = {p[:i] for _pk, p in pairs for i in range(step, len(p), step)}
    communities = dict(
        Org.objects.filter(type=org_rules.COMMUNITY, path__in=ancestors).values_list("path", "id")
    )
    out = {}
    for pk, path in pairs:
        for i in range(len(path) - step, 0, -step):
            found = communities.get(path[:i])
            if found:
                out[pk] = found
                break
    return out


def measure_demands(branches: list[tuple[int, str]], year: int, until: date | None) -> Measure:
    """Share of the community's demands closed in the period that were on time."""
    from tongxin.demands.models import Demand

    if until is None:
        return {}
    community = community_of(branches)
    if not community:
        return {}
    on_time = Q(due_at__isnull=True) | Q(done_at__lte=F("due_at"))
    rows = (
        Demand.objects.filter(
            community_id__in=set(community.values()),
            closed_at__gte=_aware(date(year, 1, 1)),
            closed_at__lte=_aware(until, True),
        )
        .annotate(done_at=Coalesce("answered_at", "closed_at"))
        .values("community_id")
        .annotate(closed=Count("id"), on_time=Count("id", filter=on_time))
        .order_by()
    )
    by_community = {
        r["community_id"]: (
            Fraction(r["on_time"], r["closed"]),
            {"on_time": r["on_time"], "closed": r["closed"]},
        )
        for r in rows
        if r["closed"]
    }
    return {pk: by_community[c] for pk, c in community.items() if c in by_community}


# --- computing ------------------------------------------------------------------------------


def ensure_default_weights() -> None:
    """The default indicators (models.DEFAULT_WEIGHTS, as migration 0002 writes them) when the
    table is empty — e.g. a database flushed after the migrations ran. Never overrides a
    district's own configuration."""
    if not IndicatorWeight.objects.exists():
        IndicatorWeight.objects.bulk_create(
            [
                IndicatorWeight(code=code, weight=weight, sort=sort, active=True)
                for sort, (code, weight) in enumerate(DEFAULT_WEIGHTS.items(), start=1)
            ],
            ignore_conflicts=True,
        )


def active_weights() -> list[IndicatorWeight]:
    ensure_default_weights()
    weights = list(IndicatorWeight.objects.filter(active=True).order_by("sort", "code"))
    errors = rrules.weights_errors({w.code: w.weight for w in weights})
    if errors:
        raise ValidationError({"weights": errors})
    return weights


def _line_dict(line: rrules.BreakdownLine, figures: dict[str, Any]) -> dict[str, Any]:
    data = line.as_dict()
    data["figures"] = figures
    return data


def compute_ratings(
    *,
    year: int,
    today: date | None = None,
    org: Org | None = None,
    actor=None,
    audited: bool = True,
) -> dict[str, Any]:
    """Rate every active branch (of `org`'s subtree, if given) for `year`; returns counts
    {"year", "branches", "rated", "stars": {5: n, …}, "measured_to", "study_measured"}."""
    today = today or timezone.localdate()
    if not FIRST_YEAR <= year <= today.year:
        raise ValidationError(
            {
                "year": [
                    _("Enter a year from %(first)s to %(last)s.")
                    % {"first": FIRST_YEAR, "last": today.year}
                ]
            }
        )
    ensure_default_weights()
    if not IndicatorWeight.objects.filter(active=True).exists():
        # nothing to rate with (every indicator switched off): the daily run goes on
        return {"year": year, "branches": 0, "rated": 0, "skipped": "no active indicators"}
    weights = active_weights()
    settings_row = RatingSettings.current()
    thresholds = settings_row.thresholds()
    until = measured_to(year, today)
    branches_qs = Org.objects.filter(type__in=org_rules.BRANCH_TYPES, active=True)
    if org is not None:
        branches_qs = branches_qs.filter(path__startswith=org.path)
    branches = list(branches_qs.values_list("id", "path"))
    ids = [pk for pk, _p in branches]
    codes = {w.code for w in weights}
    measures: dict[str, Measure] = {}
    study_measured = False
    if codes & {m.MEETING_COMPLIANCE, m.ATTENDANCE}:
        measures[m.MEETING_COMPLIANCE], measures[m.ATTENDANCE] = measure_compliance(ids, year)
    if m.DUES_ON_TIME in codes:
        measures[m.DUES_ON_TIME] = measure_dues(ids, year, until)
    if m.ADMISSION_WORK in codes:
        measures[m.ADMISSION_WORK] = measure_admissions(ids, year, until)
    if m.STUDY_HOURS in codes:
        measures[m.STUDY_HOURS], study_measured = measure_study(
            ids, year, settings_row.study_hours_per_member
        )
    if m.DEMAND_HANDLING in codes:
        measures[m.DEMAND_HANDLING] = measure_demands(branches, year, until)
    now = timezone.now()
    rows = []
    stars: dict[int, int] = {}
    for pk in ids:
        figures = {}
        indicators = []
        for w in weights:
            value, fig = measures.get(w.code, {}).get(pk, (None, {}))
            figures[w.code] = fig
            indicators.append(rrules.Indicator(w.code, w.weight, value))
        result = rrules.rate(indicators, thresholds)
        if result.stars:
            stars[result.stars] = stars.get(result.stars, 0) + 1
        rows.append(
            BranchRating(
                org_id=pk,
                year=year,
                score=result.score,
                stars=result.stars,
                rated=result.rated,
                measured_weight=rrules.round_points(result.measured_weight),
                measured_to=until or date(year, 1, 1),
                breakdown=[_line_dict(line, figures[line.code]) for line in result.breakdown],
                computed_at=now,
            )
        )
    with transaction.atomic():
        BranchRating.objects.bulk_create(
            rows,
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["org", "year"],
            update_fields=[
                "score",
                "stars",
                "rated",
                "measured_weight",
                "measured_to",
                "breakdown",
                "computed_at",
            ],
        )
        summary = {
            "year": year,
            "branches": len(rows),
            "rated": sum(stars.values()),
            "stars": dict(sorted(stars.items(), reverse=True)),
            "measured_to": until.isoformat() if until else None,
            "study_measured": study_measured,
        }
        if audited:  # the seed command writes one summary entry for the whole run
            audit.record(
                actor=actor,
                action="compute_ratings",
                object_type="assessment.branchrating",
                object_id=str(year),
                object_repr=(org.name if org is not None else "all")[:200],
                changes={"branches": [None, len(rows)], "rated": [None, summary["rated"]]},
            )
    return summary


# --- settings -------------------------------------------------------------------------------

THRESHOLD_FIELDS = ("star_5", "star_4", "star_3", "star_2", "min_measured_weight")
SETTINGS_FIELDS = (*THRESHOLD_FIELDS, "study_hours_per_member")
MAX_STUDY_HOURS = 500


@transaction.atomic
def update_settings(
    *, actor, weights: dict[str, int], thresholds: dict[str, int]
) -> RatingSettings:
    """Change the weights (code → points; they must add up to 100), the thresholds and the
    yearly study hours per member (`thresholds` holds any of SETTINGS_FIELDS). Errors are
    named by field ("weight_<code>", "weights", a settings field)."""
    access.require_configurer(actor)
    rows = {w.code: w for w in IndicatorWeight.objects.select_for_update().order_by("sort")}
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(weights) - set(rows))
    for code in unknown:
        errors.setdefault(f"weight_{code}", []).append(_("Unknown indicator."))
    for code, value in weights.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
            errors.setdefault(f"weight_{code}", []).append(_("Enter a whole number from 0 to 100."))
    active = {c: weights.get(c, w.weight) for c, w in rows.items() if w.active}
    if not errors:
        errors_sum = rrules.weights_errors(active)
        if errors_sum:
            errors["weights"] = errors_sum
    current = RatingSettings.objects.select_for_update().filter(pk=1).first() or RatingSettings(
        pk=1
    )
    values = {name: thresholds.get(name, getattr(current, name)) for name in SETTINGS_FIELDS}
    for name, value in values.items():
        low, high = (1, MAX_STUDY_HOURS) if name == "study_hours_per_member" else (0, 100)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            errors.setdefault(name, []).append(
                _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
            )
    if not any(k in errors for k in THRESHOLD_FIELDS):
        if not values["star_5"] > values["star_4"] > values["star_3"] > values["star_2"]:
            errors.setdefault("star_5", []).append(
                _("The thresholds must fall strictly from 5 stars to 2 stars.")
            )
    raise_if(errors)
    before = {
        **{f"weight_{c}": w.weight for c, w in rows.items()},
        **{n: getattr(current, n) for n in SETTINGS_FIELDS},
    }
    changed = []
    for code, value in weights.items():
        if rows[code].weight != value:
            rows[code].weight = value
            changed.append(rows[code])
    IndicatorWeight.objects.bulk_update(changed, ["weight"])
    for name, value in values.items():
        setattr(current, name, value)
    current.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    current.save()
    after = {**{f"weight_{c}": w.weight for c, w in rows.items()}, **values}
    diff = audit.diff(before, after)
    if diff:
        audit.record(actor=actor, action="update", obj=current, changes=diff)
    return current
