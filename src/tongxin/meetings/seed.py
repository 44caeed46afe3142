"""Demo and benchmark meetings for `tongxin seed` (issue 5 item 10: 12 months with gaps).

Reads the branches, their party groups and their members from the database (works in the
full `tongxin seed` and alone with `--only meetings` on a seeded database; `context` is not
used). Dates hang off `orgs.seed.REFERENCE_DATE` (the seeded world's "today", 2026-11-01),
never the clock: the twelve months before the reference month are history, the reference
month holds a few planned meetings.

Per branch and by the default frequencies (rules.kinds): a theme day every month, a
committee meeting every month where the branch has a committee, a party group meeting every
month where it has groups, a general meeting and a party lecture every quarter, the
organisational life meeting and the democratic appraisal in December of last year (with
the appraisal results of every member on the roster), heart-to-heart talks. Realistic gaps:

* most branches (≈ 75 %) hold 96–100 % of what is due, ≈ 17 % are fair (75–90 %), a tail of
  ≈ 8 % weak branches miss many meetings;
* older meetings are approved (a few returned with an opinion and not resubmitted); of the
  last month ≈ 45 % are still submitted and waiting for review or held and not submitted,
  of the month before ≈ 10 %;
* the reference month holds planned meetings (future);
* a few members in every scale are chronic absentees (absent from every theme day) so the
  six-month lapse feed has something to find.

Attendance rows (`Attendance`): at the demo and district scales one row per roster member
of every meeting. At the city scale (≈ 11,000 branches, 600,000 members) only the theme
days of the last `CITY_ROW_MONTHS` months get rows (the lapse feed's six-month window plus
the current month; ≈ 4 million rows) — writing a row for every meeting would be ≈ 15
million rows, beyond the seed's time budget, and nothing else reads per-member rows of old
meetings. The counts (should attend / attended / on leave) are filled on every meeting.

Timeline (`MeetingEvent`): at the demo scale every meeting gets the events of its path
(planned, held, submitted, approved/returned); none at the larger scales.

Elections: a draft re-election (candidates with the 20 % surplus) for a few branches whose
term has ended, dated in the reference month.

Writing follows members/seed.py (its `_Table` writer: COPY on PostgreSQL, bulk_create
elsewhere; secondary indexes and foreign keys of the big tables rebuilt after the load).
At the end `services.compliance.recompute_all(today=REFERENCE_DATE)` writes the snapshots.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter

from django.db import connection

from tongxin.meetings.models import (
    AppraisalResult,
    Attendance,
    Candidate,
    Election,
    Grade,
    Meeting,
    MeetingEvent,
)
from tongxin.meetings.rules import compliance as crules
from tongxin.meetings.rules import kinds as K
from tongxin.members import seed as member_seed
from tongxin.members.models import Member, Status
from tongxin.orgs.models import Org
from tongxin.orgs.seed import REFERENCE_DATE

TODAY = REFERENCE_DATE
CITY_ROW_MONTHS = 7
SHANGHAI = timedelta(hours=8)  # Asia/Shanghai has no DST: local = UTC + 8 h
# share of branches by quality: (share, low, high) probability of holding what is due
QUALITY = ((0.75, 0.96, 1.0), (0.17, 0.75, 0.90), (0.08, 0.30, 0.60))
GRADES = (
    (Grade.EXCELLENT, 0.15),
    (Grade.QUALIFIED, 0.815),
    (Grade.BASIC, 0.03),
    (Grade.UNQUALIFIED, 0.005),
)
TOPICS = {
    K.THEME_DAY: ("学习贯彻党的二十大精神", "走进社区志愿服务", "重温入党誓词", "红色教育基地参观"),
    K.COMMITTEE_MEETING: ("研究本月工作安排", "讨论发展党员工作", "研究党费收缴情况"),
    K.GROUP_MEETING: ("党小组学习交流", "党小组工作汇报"),
    K.GENERAL_MEETING: ("支部党员大会：通报季度工作", "支部党员大会：讨论接收预备党员"),
    K.PARTY_LECTURE: ("书记讲党课：坚定理想信念", "党课：基层治理与为民服务"),
    K.LIFE_MEETING: ("年度组织生活会",),
    K.APPRAISAL: ("年度民主评议党员",),
    K.HEART_TALK: ("书记与委员谈心谈话", "书记与党员谈心谈话"),
}
VIA = ("code", "qr", "host")
PLACES = ("党群服务中心会议室", "支部活动室", "社区党建阵地", "线上会议")
OPINIONS = ("会议记录不完整，请补充参会人员发言要点。", "附件缺少签到表，请补充后重新提交。")


def _months() -> list[date]:
    """The twelve months before the reference month, oldest first."""
    first = TODAY.replace(day=1)
    out = []
    for back in range(12, 0, -1):
        y, m = divmod(first.year * 12 + first.month - 1 - back, 12)
        out.append(date(y, m + 1, 1))
    return out


def _quarter(d: date) -> tuple[int, int]:
    return d.year, (d.month - 1) // 3


@dataclass
class Branch:
    id: int
    has_committee: bool
    groups: list[int]
    members: list[int] = field(default_factory=list)
    committee: list[int] = field(default_factory=list)
    by_group: dict = field(default_factory=lambda: defaultdict(list))
    secretary: int | None = None
    p: float = 0.95
    showcase: bool = False
    term_ends_on: date | None = None


def _branches() -> list[Branch]:
    rows = Org.objects.filter(type__in=("branch", "joint_branch"), active=True).values_list(
        "id", "has_committee", "term_ends_on"
    )
    branches = {pk: Branch(pk, has, [], term_ends_on=ends) for pk, has, ends in rows}
    for pk, parent in Org.objects.filter(type="party_group", active=True).values_list(
        "id", "parent_id"
    ):
        if parent in branches:
            branches[parent].groups.append(pk)
    members = (
        Member.objects.filter(status=Status.NORMAL, org_id__in=list(branches))
        .order_by("id")
        .values_list("id", "org_id", "party_group_id", "post")
    )
    for pk, org_id, group, post in members.iterator(chunk_size=20000):
        b = branches[org_id]
        b.members.append(pk)
        if post:
            b.committee.append(pk)
            if post == "书记" and b.secretary is None:
                b.secretary = pk
        if group:
            b.by_group[group].append(pk)
    return [b for b in branches.values() if b.members]


def _showcase_branch_id() -> int | None:
    from tongxin.accounts.models import RoleAssignment

    row = (
        RoleAssignment.objects.filter(user__username="branch_secretary", active=True)
        .exclude(org=None)
        .values_list("org_id", flat=True)
        .first()
    )
    return row


class _Writer:
    def __init__(self, copy: bool):
        stamp = datetime.combine(TODAY, time(2, 0), tzinfo=UTC)
        self.copy = copy
        self.meetings = member_seed._Table(Meeting, copy=copy, stamp=stamp)
        self.attendance = member_seed._Table(Attendance, copy=copy, stamp=stamp)
        self.events = member_seed._Table(MeetingEvent, copy=copy, stamp=stamp)
        self.appraisals = member_seed._Table(AppraisalResult, copy=copy, stamp=stamp)
        self.elections = member_seed._Table(Election, copy=copy, stamp=stamp)
        self.candidates = member_seed._Table(Candidate, copy=copy, stamp=stamp)
        self.tables = (
            self.meetings,
            self.attendance,
            self.events,
            self.appraisals,
            self.elections,
            self.candidates,
        )

    def flush(self, final: bool = False) -> None:
        # parents before children (foreign keys are dropped during the load on PostgreSQL)
        for table in self.tables:
            if table.rows and (final or len(table.rows) >= 50000):
                rows, table.rows = table.rows, []
                table.write(rows)


class _Seeder:
    def __init__(self, scale: str, rng: random.Random, writer: _Writer):
        self.scale = scale
        self.rng = rng
        self.w = writer
        self.months = _months()
        self.row_months = set(self.months[-CITY_ROW_MONTHS:]) if scale == "city" else None
        self.tokens: set[str] = set()
        self.absentees: set[int] = set()

    # -- one meeting -------------------------------------------------------------------
    def token(self) -> str:
        while True:
            t = f"{self.rng.getrandbits(128):032x}"
            if t not in self.tokens:
                self.tokens.add(t)
                return t

    def state_for(self, b: Branch, on: date) -> tuple[str, str]:
        """(state, review opinion) of a held meeting on `on`."""
        r = self.rng.random()
        if on >= TODAY:
            return crules.PLANNED, ""
        if b.showcase:
            return crules.APPROVED, ""
        if on >= self.months[-1]:  # last month: much still waiting for review
            if r < 0.55:
                return crules.APPROVED, ""
            if r < 0.85:
                return crules.SUBMITTED, ""
            return crules.HELD, ""
        if on >= self.months[-2]:  # the month before: a few stragglers
            if r < 0.9:
                return crules.APPROVED, ""
            if r < 0.97:
                return crules.SUBMITTED, ""
            return crules.HELD, ""
        if r < 0.012:
            return crules.RETURNED, self.rng.choice(OPINIONS)
        if b.p < 0.7 and r < 0.15:
            return crules.HELD, ""  # weak branches leave records unsubmitted
        return crules.APPROVED, ""

    def meeting(
        self,
        b: Branch,
        kind: str,
        on: date,
        roster: list[int],
        *,
        hour: int = 9,
        state: str | None = None,
        opinion: str = "",
        group: int | None = None,
        talk_pair: str = "",
    ) -> dict:
        rng = self.rng
        if state is None:
            state, opinion = self.state_for(b, on)
        starts = datetime.combine(on, time(hour, 0), tzinfo=UTC) - SHANGHAI
        ends = starts + timedelta(minutes=rng.choice((60, 90, 120)))
        held = state in crules.HELD_STATES
        row = {
            "org_id": b.id,
            "party_group_id": group,
            "kind": kind,
            "state": state,
            "topic": rng.choice(TOPICS[kind]),
            "place": rng.choice(PLACES),
            "starts_at": starts,
            "ends_at": ends,
            "on": on,
            "host_id": b.secretary,
            "recorder_id": b.committee[1] if len(b.committee) > 1 else b.secretary,
            "agenda": "1. 学习传达上级精神\n2. 讨论研究支部工作\n3. 其他事项",
            "minutes": "会议由支部书记主持，传达学习了上级有关文件精神，与会党员结合实际交流发言。"
            if held
            else "",
            "talk_pair": talk_pair,
            "signin_code": f"{rng.randrange(10**6):06d}",
            "signin_token": self.token(),
            "should_attend": len(roster),
        }
        if state in (crules.SUBMITTED, crules.APPROVED, crules.RETURNED):
            row["submitted_at"] = ends + timedelta(days=rng.randint(1, 5))
        if state in (crules.APPROVED, crules.RETURNED):
            row["reviewed_at"] = row["submitted_at"] + timedelta(days=rng.randint(1, 7))
            row["review_opinion"] = opinion
        m = self.w.meetings.add(row)
        rows = self.scale != "city" or (
            kind == K.THEME_DAY and on.replace(day=1) in self.row_months
        )
        attended = leave = 0
        if held:
            if rows:
                for member in roster:
                    r = rng.random()
                    if member in self.absentees:
                        status = "absent"
                    elif r < 0.88:
                        status = "attended"
                    elif r < 0.95:
                        status = "leave"
                    else:
                        status = "absent"
                    attended += status == "attended"
                    leave += status == "leave"
                    self.w.attendance.add(
                        {
                            "meeting_id": m["id"],
                            "member_id": member,
                            "status": status,
                            "leave_reason": "工作原因" if status == "leave" else "",
                            "signed_in_at": starts + timedelta(minutes=rng.randint(-15, 10))
                            if status == "attended"
                            else None,
                            "via": rng.choice(("code", "qr", "host"))
                            if status == "attended"
                            else "",
                        }
                    )
            else:
                n = len(roster)
                attended = min(n, round(n * rng.uniform(0.78, 0.97)))
                leave = min(n - attended, round(n * rng.uniform(0.0, 0.08)))
        elif rows:
            for member in roster:
                self.w.attendance.add(
                    {"meeting_id": m["id"], "member_id": member, "status": "expected"}
                )
        m["attended"], m["on_leave"] = attended, leave
        if self.scale == "demo":
            self.events_of(m, state)
        return m

    def events_of(self, m: dict, state: str) -> None:
        steps = [("planned", "", crules.PLANNED, m["starts_at"] - timedelta(days=7))]
        if state in crules.HELD_STATES:
            steps.append(("held", crules.PLANNED, crules.HELD, m["ends_at"]))
        if "submitted_at" in m:
            steps.append(("submitted", crules.HELD, crules.SUBMITTED, m["submitted_at"]))
        if state in (crules.APPROVED, crules.RETURNED):
            steps.append((state, crules.SUBMITTED, state, m["reviewed_at"]))
        for kind, frm, to, at in steps:
            self.w.events.add(
                {
                    "meeting_id": m["id"],
                    "kind": kind,
                    "from_state": frm,
                    "to_state": to,
                    "note": m.get("review_opinion", "") if kind == "returned" else "",
                    "payload": {"seeded": True},
                    "at": at,
                }
            )

    # -- one branch --------------------------------------------------------------------
    def branch(self, b: Branch) -> None:
        rng = self.rng
        roll = rng.random()
        acc = 0.0
        for share, lo, hi in QUALITY:
            acc += share
            if roll < acc:
                b.p = rng.uniform(lo, hi)
                break
        for member in b.members:
            if rng.random() < 0.003:
                self.absentees.add(member)
        gap = None
        if b.showcase:  # one deliberate gap in the fifth month (2026-03)
            missed = K.COMMITTEE_MEETING if b.has_committee and b.committee else K.THEME_DAY
            b.p, gap = 1.0, (missed, self.months[4])
        due = rng.random
        for month in self.months:

            def day(lo, hi, month=month):
                return month.replace(day=rng.randint(lo, hi))

            if due() < b.p and gap != (K.THEME_DAY, month):
                self.meeting(b, K.THEME_DAY, day(1, 12), b.members, hour=9)
            skip = gap == (K.COMMITTEE_MEETING, month)
            if b.has_committee and b.committee and due() < b.p and not skip:
                self.meeting(b, K.COMMITTEE_MEETING, day(1, 8), b.committee, hour=15)
            if b.groups and due() < b.p:
                group = b.groups[month.month % len(b.groups)]
                roster = b.by_group.get(group) or b.members
                self.meeting(b, K.GROUP_MEETING, day(13, 20), roster, hour=19, group=group)
            if month.month % 3 == 2 or month == self.months[0]:  # quarter's middle month
                if due() < b.p:
                    self.meeting(b, K.GENERAL_MEETING, day(14, 25), b.members, hour=14)
                if due() < b.p:
                    self.meeting(b, K.PARTY_LECTURE, day(21, 28), b.members, hour=14)
            if month.month == 12:
                if due() < min(1.0, b.p + 0.05):
                    self.meeting(b, K.LIFE_MEETING, day(15, 25), b.members, hour=14)
                if due() < min(1.0, b.p + 0.05):
                    m = self.meeting(b, K.APPRAISAL, day(26, 30), b.members, hour=14)
                    if m["state"] in crules.HELD_STATES:
                        self.appraisal(m, b.members, month.year)
        if b.secretary and len(b.members) > 1:
            for month in (self.months[3], self.months[9]):
                if due() < b.p:
                    other = rng.choice([x for x in b.members[:50] if x != b.secretary])
                    pair = "secretary_committee" if other in b.committee else "secretary_member"
                    self.meeting(
                        b, K.HEART_TALK, month.replace(day=rng.randint(1, 28)),
                        [b.secretary, other], hour=16, talk_pair=pair,
                    )  # fmt: skip
        # the reference month: planned meetings (future)
        if rng.random() < 0.6:
            self.meeting(
                b, K.THEME_DAY, TODAY + timedelta(days=rng.randint(3, 20)), b.members,
                state=crules.PLANNED,
            )  # fmt: skip
        if b.term_ends_on and b.term_ends_on < TODAY and rng.random() < 0.35:
            self.election(b)

    def showcase(self, b: Branch) -> None:
        """The demo branch secretary's branch: green except one gap, a submitted meeting
        waiting for the community, a meeting today and one planned."""
        b.showcase = True
        self.branch(b)
        last = self.months[-1]
        self.meeting(
            b, K.PARTY_LECTURE, last.replace(day=28), b.members, hour=14,
            state=crules.SUBMITTED,
        )  # fmt: skip
        self.meeting(b, K.THEME_DAY, TODAY, b.members, hour=14, state=crules.PLANNED)
        if b.has_committee and b.committee:
            self.meeting(
                b, K.COMMITTEE_MEETING, TODAY + timedelta(days=9), b.committee, hour=15,
                state=crules.PLANNED,
            )  # fmt: skip

    def appraisal(self, meeting: dict, roster: list[int], year: int) -> None:
        for member in roster:
            r, acc, grade = self.rng.random(), 0.0, Grade.QUALIFIED
            for g, share in GRADES:
                acc += share
                if r < acc:
                    grade = g
                    break
            self.w.appraisals.add(
                {
                    "meeting_id": meeting["id"],
                    "member_id": member,
                    "year": year,
                    "grade": grade,
                    "at": meeting["reviewed_at"]
                    if "reviewed_at" in meeting
                    else meeting["ends_at"],
                }
            )

    def election(self, b: Branch) -> None:
        """A draft re-election with candidates ≥ 120 % of the seats (差额 at least 20 %)."""
        rng = self.rng
        seats = 5 if len(b.committee) >= 5 and len(b.members) >= 6 else 3
        need = -(-seats * 6 // 5)
        if len(b.members) < need:
            return
        e = self.w.elections.add(
            {
                "org_id": b.id,
                "held_on": TODAY + timedelta(days=rng.randint(5, 40)),
                "seats": seats,
                "entitled": len(b.members),
                "present": 0,
                "state": "draft",
                "note": "换届选举筹备中",
            }
        )
        pool = b.committee + [m for m in b.members if m not in b.committee]
        for i, member in enumerate(pool[:need]):
            self.w.candidates.add(
                {"election_id": e["id"], "member_id": member, "name": f"候选人{i + 1}"}
            )


def seed(*, scale: str, rng: random.Random, out, context: dict) -> dict:
    started = perf_counter()
    copy = connection.vendor == "postgresql"
    branches = _branches()
    showcase_id = _showcase_branch_id() if scale == "demo" else None
    read = perf_counter() - started
    writer = _Writer(copy)
    s = _Seeder(scale, rng, writer)
    big = (Attendance, Meeting, AppraisalResult)
    load = member_seed._bulk_load(big) if copy and scale != "demo" else member_seed._nothing()
    with load:
        for i, b in enumerate(branches):
            if b.id == showcase_id:
                s.showcase(b)
            else:
                s.branch(b)
            if i % 500 == 499:
                writer.flush()
        writer.flush(final=True)
    member_seed._reset_sequences([t.model for t in writer.tables])
    written = perf_counter() - started
    result = {
        "meetings": writer.meetings.written,
        "attendance": writer.attendance.written,
        "appraisals": writer.appraisals.written,
        "elections": writer.elections.written,
        "events": writer.events.written,
    }
    snapshots = _recompute(out)
    if snapshots is not None:
        result["snapshots"] = snapshots
    out.write(
        f"meetings: {result['meetings']} meetings, {result['attendance']} attendance rows, "
        f"{result['appraisals']} appraisal results of {len(branches)} branches "
        f"(read {read:.1f} s, written {written:.1f} s, total {perf_counter() - started:.1f} s)"
    )
    return result


def _recompute(out) -> int | None:
    try:
        from tongxin.meetings.services.compliance import recompute_all
    except ImportError:
        out.write("meetings: services.compliance.recompute_all not available; no snapshots")
        return None
    started = perf_counter()
    counts = recompute_all(today=TODAY, audited=False) or {}
    out.write(f"meetings: compliance recomputed in {perf_counter() - started:.1f} s: {counts}")
    total = counts.get("snapshots") if isinstance(counts, dict) else None
    return total if isinstance(total, int) else None
