"""Every read of study and education: scoped through education.access, bounded queries.

Hours shown anywhere are the plain sum of the records listed beside them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Sum
from django.shortcuts import get_object_or_404

from tongxin.education import access, rules
from tongxin.education.models import (
    BaseVisit,
    EducationBase,
    SecretaryTraining,
    StudyCampaign,
    StudyRecord,
)
from tongxin.members.models import MEMBER_KEEPERS, Member, Status
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import Org

ZERO = Decimal("0")
_ROLL_STATUSES = [Status.NORMAL, Status.SUSPENDED, Status.RETAINED]
SECRETARY_POST = "书记"
MAX_ROWS = 500


# --- campaigns -----------------------------------------------------------------------------
def campaigns_for(user):
    """Campaigns launched by orgs above or within the user's scope."""
    return StudyCampaign.objects.filter(access.top_down_q(user)).select_related("org")


def get_campaign(user, pk) -> StudyCampaign:
    return get_object_or_404(campaigns_for(user), pk=pk)


@dataclass
class BranchProgress:
    org: Org
    members: int = 0
    studied: int = 0  # members with any hours in the campaign
    completed: int = 0  # members at or above the required hours
    hours: Decimal = ZERO
    progress: Decimal = ZERO  # mean of min(hours / required, 1) over the roll

    @property
    def percent(self) -> int:
        return rules.percent(self.progress)


def campaign_progress(user, campaign: StudyCampaign) -> list[BranchProgress]:
    """Per branch of the campaign's subtree that the user keeps: members, hours, progress.

    Two grouped queries (roll per branch; hours per member) and the branches themselves."""
    paths = access.keeper_paths(user)
    if not paths:
        return []
    branches = (
        Org.objects.visible_to(user, MEMBER_KEEPERS)
        .filter(
            path__startswith=campaign.org.path,
            type__in=org_rules.BRANCH_TYPES,
            active=True,
        )
        .order_by("path")[:MAX_ROWS]
    )
    rows = {b.pk: BranchProgress(org=b) for b in branches}
    if not rows:
        return []
    roll = Member.objects.in_roll().filter(org_id__in=rows).values("org_id").annotate(n=Count("id"))
    for r in roll:
        rows[r["org_id"]].members = r["n"]
    per_member = (
        StudyRecord.objects.filter(
            campaign=campaign, member__org_id__in=rows, member__status__in=_ROLL_STATUSES
        )
        .values("member__org_id", "member_id")
        .annotate(h=Sum("hours"))
    )
    sums: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for r in per_member:
        row = rows[r["member__org_id"]]
        row.studied += 1
        row.hours += r["h"]
        if r["h"] >= campaign.required_hours:
            row.completed += 1
        sums[row.org.pk] += rules.progress(r["h"], campaign.required_hours)
    for row in rows.values():
        if row.members:
            row.progress = min(sums[row.org.pk] / row.members, Decimal(1))
    return list(rows.values())


# --- records -------------------------------------------------------------------------------
def records_in(user, *, org: Org, year: int, member_id: int | None = None):
    """A branch's study records of the year (the user must keep the branch)."""
    qs = StudyRecord.objects.visible_to(user, MEMBER_KEEPERS).filter(member__org=org, on__year=year)
    if member_id:
        qs = qs.filter(member_id=member_id)
    return qs.select_related("member", "campaign", "recorded_by").order_by("-on", "-id")


def member_hours(*, org: Org, year: int) -> list[dict]:
    """Each member of the branch's roll with their hours of the year and record count."""
    sums = {
        r["member_id"]: (r["h"], r["n"])
        for r in StudyRecord.objects.filter(member__org=org, on__year=year)
        .values("member_id")
        .annotate(h=Sum("hours"), n=Count("id"))
    }
    out = []
    for m in Member.objects.in_roll().filter(org=org).order_by("name", "id").only("id", "name"):
        hours, n = sums.get(m.pk, (ZERO, 0))
        out.append({"member": m, "hours": hours, "records": n})
    return out


def own_records(member: Member, *, year: int):
    return (
        StudyRecord.objects.filter(member=member, on__year=year)
        .select_related("campaign", "recorded_by")
        .order_by("-on", "-id")
    )


def total_hours(records) -> Decimal:
    return sum((r.hours for r in records), ZERO)


def study_hours_by_branch(
    *, year: int, org_ids: list[int] | None = None
) -> dict[int, tuple[Decimal, int]]:
    """{branch id: (total hours of the year, members with any record)} — one grouped query.

    Used by the rating's study-hours indicator (assessment). Branches without records are
    absent (read them as (0, 0))."""
    qs = StudyRecord.objects.filter(on__year=year)
    if org_ids is not None:
        qs = qs.filter(member__org_id__in=list(org_ids))
    rows = qs.values("member__org_id").annotate(h=Sum("hours"), n=Count("member_id", distinct=True))
    return {r["member__org_id"]: (r["h"] or ZERO, r["n"]) for r in rows}


# --- bases ---------------------------------------------------------------------------------
def bases_for(user, *, active_only: bool = False):
    qs = EducationBase.objects.filter(access.top_down_q(user)).select_related("org")
    if active_only:
        qs = qs.filter(active=True)
    return qs


def get_base(user, pk) -> EducationBase:
    return get_object_or_404(bases_for(user), pk=pk)


def visits_of(user, base: EducationBase):
    """Visits to the base by branches the user sees."""
    return (
        BaseVisit.objects.visible_to(user)
        .filter(base=base)
        .select_related("org")
        .annotate(listed=Count("participants"))[:MAX_ROWS]
    )


# --- secretaries ---------------------------------------------------------------------------
@dataclass
class SecretaryRow:
    member: Member
    branch: Org
    hours: Decimal = ZERO
    trainings: int = 0  # concentrated trainings this year
    due: list[str] = field(default_factory=list)
    behind: bool = False
    behind_period: str = ""
    records: list[SecretaryTraining] = field(default_factory=list)

    @property
    def needs_attention(self) -> bool:
        return bool(self.due) or self.behind


def last_ended_month(today: date) -> str:
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def secretary_roster(
    user,
    *,
    year: int,
    today: date,
    attention_only: bool = False,
    within: Org | None = None,
    policy: rules.TrainingPolicy | None = None,
) -> list[SecretaryRow]:
    """Branch secretaries (post 书记 in a branch) the user keeps, with training hours of
    `year`, the due-for-training reasons and whether the branch is behind in the last ended
    month (meetings.ComplianceSnapshot); `within` narrows to one subtree. Four queries
    whatever the size; at most 2,000 secretaries (narrow with `within` beyond)."""
    from tongxin.meetings.models import ComplianceSnapshot

    policy = policy or rules.policy_from_settings()
    qs = Member.objects.visible_to(user, MEMBER_KEEPERS).in_roll()
    if within is not None:
        qs = qs.filter(org__path__startswith=within.path)
    secretaries = list(
        qs.filter(post=SECRETARY_POST, org__type__in=org_rules.BRANCH_TYPES)
        .select_related("org")
        .order_by("org__path", "name")[: MAX_ROWS * 4]
    )
    rows = {m.pk: SecretaryRow(member=m, branch=m.org) for m in secretaries}
    for t in SecretaryTraining.objects.filter(member_id__in=rows, ends_on__year=year).order_by(
        "ends_on"
    ):
        row = rows[t.member_id]
        row.records.append(t)
        row.hours += t.hours
        if t.concentrated:
            row.trainings += 1
    period = last_ended_month(today)
    behind = set(
        ComplianceSnapshot.objects.filter(
            org_id__in={m.org_id for m in secretaries}, period=period, status="behind"
        ).values_list("org_id", flat=True)
    )
    for row in rows.values():
        row.due = rules.secretary_training_due(
            hours=row.hours, trainings=row.trainings, policy=policy
        )
        row.behind = row.branch.pk in behind
        row.behind_period = period
    out = list(rows.values())
    if attention_only:
        out = [r for r in out if r.needs_attention]
    return out


def training_members(user):
    """Secretaries the user may record a training for."""
    return (
        Member.objects.visible_to(user, MEMBER_KEEPERS)
        .in_roll()
        .filter(post__contains=SECRETARY_POST)
        .select_related("org")
    )


def kept_orgs(user):
    """Orgs the user keeps (campaign/base owners), top first."""
    return Org.objects.visible_to(user, MEMBER_KEEPERS).exclude(type=org_rules.PARTY_GROUP)


def kept_branches(user):
    return Org.objects.visible_to(user, MEMBER_KEEPERS).filter(
        type__in=org_rules.BRANCH_TYPES, active=True
    )
