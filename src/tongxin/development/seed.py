"""Demo and benchmark admission files for `tongxin seed` (issue 4 item 9).

Applicants at every phase and step of the 25-step pipeline (DOMAIN.md §6), drawn only from
`rng` and `REFERENCE_DATE` (the seeded world's "today"), never the clock:

* demo: 38 files in hand-picked situations — every step from 1 to 25 is some file's last
  step; overdue ones (talk not held within a month, half-year review missed, approval past
  three months, conversion meeting due), one extended probation, one archived, one
  cancelled, one withdrawn, one not admitted. Eight of them are in the demo branch
  secretary's branch, at several phases with something due, so the to-do list has work.
* district / city: about 1.5 files per 10 branches per phase (city ≈ 11,000 files), the
  same situations in proportion.

Every file is consistent with the rules: each step passes `rules.check_step` on its date
(age, one-month talk, one year as activist, two full-member introducers from the branch
roster on that date, ≥3 days of training, a passed vote whose roster is the branch's voters
on the meeting date, approval within 3 months, probation one year from the meeting …), and
its denormalised standing (last step, phase, next due, overdue, overdue since) is
`rules.standing(file, REFERENCE_DATE)` — what `services.refresh_file` stores.

Files past step 17 have their member record (probationary from the step 15 date; full after
conversion), with the status history, dues base and dues ledger the members seeder would
give them (its helpers are reused: names, phones, addresses, occupations, dues quotes).

Writing follows members/seed.py: rows buffered per table, `COPY` on PostgreSQL and
`bulk_create` elsewhere, ids allocated up front and the sequences reset afterwards.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import perf_counter

from django.contrib.auth import get_user_model
from django.db import connection

from tongxin.core import crypto
from tongxin.core.codes import id_check_char
from tongxin.development import rules
from tongxin.development.models import (
    ActivistReview,
    Applicant,
    Document,
    FileEvent,
    StepRecord,
    Vote,
)
from tongxin.members import seed as member_seed
from tongxin.members.models import Member, StatusChange
from tongxin.members.rules.registry import under_party_probation
from tongxin.members.services.registry import refresh_org_counts
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import Org
from tongxin.orgs.seed import REFERENCE_DATE

TODAY = REFERENCE_DATE
# files per branch and phase at the district and city scales (≈ 1.5 per 10 branches)
P_ONE, P_TWO = 0.13, 0.01
# members/seed's tests hold every probationary member to at most 366 days since admission;
# overdue conversions are therefore placed one day past the end of probation.
LATEST_ADMISSION = TODAY - timedelta(days=366)

# (last step done, situation); situations: "" on time, "talk_late", "review_missed",
# "approval_late", "conversion_due", "extended", "archived", "cancelled", "withdrawn",
# "not_admitted"
SHOWCASE_CASES = (
    (1, ""), (1, "talk_late"), (2, ""), (4, ""), (6, "review_missed"), (11, ""),
    (15, ""), (22, ""),
)  # fmt: skip
DEMO_CASES = (
    (1, ""), (2, ""), (3, ""), (3, "review_missed"), (5, ""), (5, "withdrawn"), (6, ""),
    (7, ""), (8, ""), (9, ""), (10, ""), (12, ""), (13, ""), (14, ""), (14, "not_admitted"),
    (15, "approval_late"), (16, ""), (16, "approval_late"), (17, ""), (18, ""), (19, ""),
    (20, ""), (21, ""), (22, "conversion_due"), (22, "extended"), (23, ""), (24, ""),
    (24, "cancelled"), (25, "archived"), (1, "talk_late"),
)  # fmt: skip
OVERDUE = {"talk_late", "review_missed", "approval_late", "conversion_due"}
CLOSED_STATE = {
    "archived": Applicant.State.ARCHIVED,
    "cancelled": Applicant.State.CANCELLED,
    "withdrawn": Applicant.State.WITHDRAWN,
    "not_admitted": Applicant.State.NOT_ADMITTED,
}
PHASE_STEPS = {
    p.number: [s.number for s in rules.STEPS if s.phase == p.number] for p in rules.PHASES
}

# step gaps in days (from the previous step), when no rule fixes the date
GAPS = {
    2: (6, 26), 3: (30, 150), 4: (5, 20), 5: (1, 10), 6: (20, 60), 8: (3, 15), 9: (3, 20),
    10: (10, 40), 11: (5, 30), 12: (5, 20), 13: (5, 20), 14: (3, 15), 15: (5, 25),
    16: (7, 35), 17: (3, 20), 18: (5, 30), 19: (1, 10), 20: (5, 40), 24: (15, 70), 25: (5, 40),
}  # fmt: skip
WITHDRAW_REASONS = ("本人申请撤回入党申请", "工作调动，离开本区", "随家庭迁居外地")
NOT_ADMITTED_REASON = "支部党员大会表决未通过"
CANCELLED_REASON = "取消预备党员资格"
CONCLUSIONS = (
    "政治历史清楚，现实表现良好，符合发展条件",
    "经函调和外调，本人及直系亲属政治审查合格",
)
REVIEW_SUMMARIES = (
    "学习态度端正，按时提交思想汇报，积极参加支部活动",
    "工作认真负责，群众评价较好，需进一步加强理论学习",
    "能够主动向党组织靠拢，在志愿服务中发挥带头作用",
)
THOUGHT_REPORTS = ("第一季度思想汇报", "学习党的二十大精神体会", "参加志愿服务的思想汇报")
STEP_NOTES = {
    2: "了解入党动机和基本情况", 6: "每季度提交思想汇报，参加主题党日", 12: "支委会审查合格",
    13: "预审合格，同意发放入党志愿书", 19: "编入党小组", 20: "在主题党日面向党旗宣誓",
    21: "按时参加组织生活，定期汇报思想", 25: "入党材料归入个人档案",
}  # fmt: skip
NOT_APPLICANT_FIELDS = ("dues_category", "dues_base", "applicant_id")
SALARIED = ("salaried", "annual_salary")
# step data that passes the rules whatever the dates (to check a timeline's dates alone)
_VOTE = {"vote": {"should_attend": 3, "attended": 3, "yes": 3, "no": 0, "abstain": 0}}
PASSING = {
    3: {"method": "member_recommendation", "decided_by": "branch_committee"},
    5: {"contacts": [rules.Person()]},
    9: {"introducers": [rules.Person(), rules.Person()]},
    11: {"days": 3},
    15: _VOTE,
    17: {"approver_type": "street_committee"},
    23: _VOTE,
    24: {"approver_type": "street_committee"},
}
# application ages (at the application date): young working people, a few students
AGES = ((18, 22, 15), (23, 30, 50), (31, 40, 28), (41, 48, 7))


@dataclass
class Voter:
    id: int
    name: str
    category: str
    status: str
    admitted_on: date
    full_on: date | None
    probation_from: date | None = None
    probation_until: date | None = None

    def votes_on(self, on: date) -> bool:
        """members.selectors.floating.voters_of: full, in good standing, not under 留党察看."""
        return (
            self.category == "full"
            and self.status == "normal"
            and self.admitted_on <= on
            and (self.full_on is None or self.full_on <= on)
            and not under_party_probation(self.probation_from, self.probation_until, on)
        )

    can_introduce = votes_on  # a full member not under 留党察看 on that date


@dataclass
class BranchInfo:
    id: int
    name: str
    code: str
    path: str
    has_committee: bool
    secretary: str
    approver: tuple[int, str, str]  # (org id, name, approver type) for steps 4, 8, 13, 16, 17, 24
    filing: tuple[int, str]  # the org above the approver (step 18)
    base: member_seed.Branch
    roster: list[Voter] = field(default_factory=list)

    def voters(self, on: date) -> list[Voter]:
        return [v for v in self.roster if v.votes_on(on)]


@dataclass
class Plan:
    """One applicant's file as generated."""

    branch: BranchInfo
    last: int
    situation: str
    dates: dict[int, date]
    reviews: list[date] = field(default_factory=list)
    extension_meeting: date | None = None
    extended_to: date | None = None
    closed_on: date | None = None
    identity: dict = field(default_factory=dict)
    contacts: list[Voter] = field(default_factory=list)
    introducers: list[Voter] = field(default_factory=list)
    member: dict | None = None

    @property
    def state(self) -> str:
        return CLOSED_STATE.get(self.situation, Applicant.State.OPEN)


class _Generator:
    def __init__(self, scale: str, rng: random.Random, out, context: dict):
        self.scale = scale
        self.rng = rng
        self.out = out
        self.context = context
        # the members seeder's helpers: names, phones, addresses, occupations, dues, tables
        self.s = member_seed._Seeder(scale, rng, out)
        stamp = self.s.stamp
        copy = self.s.copy
        self.tz = self.s.tz
        self.applicants = member_seed._Table(Applicant, copy=copy, stamp=stamp)
        self.steps = member_seed._Table(StepRecord, copy=copy, stamp=stamp)
        self.documents = member_seed._Table(Document, copy=copy, stamp=stamp)
        self.reviews = member_seed._Table(ActivistReview, copy=copy, stamp=stamp)
        self.votes = member_seed._Table(Vote, copy=copy, stamp=stamp)
        self.events = member_seed._Table(FileEvent, copy=copy, stamp=stamp)
        self.ids: set[str] = set()
        self.counts = {"overdue": 0, "members_admitted": 0}

    # --- loading ---------------------------------------------------------------------------
    def load(self) -> list[BranchInfo]:
        orgs = {
            o["id"]: o
            for o in Org.objects.values(
                "id", "parent_id", "type", "name", "code", "path", "has_committee"
            )
        }
        bases = {b.id: b for b in member_seed._branches(self.scale, random.Random(0))}
        approvers: dict[int, tuple] = {}

        def approver_of(org_id: int) -> tuple[tuple, tuple]:
            parent = orgs[org_id]["parent_id"]
            while parent is not None:
                o = orgs[parent]
                kind = rules.APPROVER_TYPE_OF_ORG.get(o["type"], "branch")
                if kind not in rules.NON_APPROVING_BODIES:
                    above = orgs.get(o["parent_id"]) or o
                    return (o["id"], o["name"], kind), (above["id"], above["name"])
                parent = o["parent_id"]
            raise RuntimeError(f"no approving committee above org {org_id}")

        branches = []
        for o in sorted(orgs.values(), key=lambda o: o["id"]):
            if o["type"] not in org_rules.BRANCH_TYPES or o["id"] not in bases:
                continue
            base = bases[o["id"]]
            if base.retirees:  # retirees do not apply
                continue
            if o["parent_id"] not in approvers:
                approvers[o["parent_id"]] = approver_of(o["id"])
            approver, filing = approvers[o["parent_id"]]
            branches.append(
                BranchInfo(
                    id=o["id"], name=o["name"], path=o["path"],
                    code=o["code"], has_committee=o["has_committee"], secretary=base.secretary,
                    approver=approver, filing=filing, base=base,
                )
            )  # fmt: skip
        by_id = {b.id: b for b in branches}
        rows = (
            Member.objects.filter(org_id__in=list(by_id))
            .order_by("id")
            .values_list(
                "id", "org_id", "name", "category", "status", "admitted_on", "full_on",
                "party_probation_from", "party_probation_until",
            )
        )  # fmt: skip
        for pk, org_id, *rest in rows.iterator(chunk_size=20_000):
            by_id[org_id].roster.append(Voter(pk, *rest))
        return branches

    # --- dates -----------------------------------------------------------------------------
    def day(self, start: date, lo: int, hi: int) -> date:
        return start + timedelta(days=self.rng.randint(lo, hi))

    def forward(self, d1: date, last: int, situation: str) -> Plan | None:
        """Dates of steps 1..last from the application date, by typical gaps and the rules."""
        rng = self.rng
        d = {1: d1}
        plan = Plan(branch=None, last=last, situation=situation, dates=d)  # type: ignore[arg-type]
        for step in range(2, last + 1):
            prev = d[step - 1]
            if step == 7:
                d[7] = max(self.day(prev, 3, 30), self.day(rules.one_year_after(d[3]), 0, 90))
            elif step == 17:
                limit = rules.add_months(d[15], 3)
                d[17] = min(max(self.day(d[15], 25, 80), self.day(prev, 3, 20)), limit)
                if d[17] < prev:
                    return None
            elif situation == "cancelled" and step in (21, 22, 23):  # during probation
                d[step] = self.day(prev, *((30, 120) if step == 21 else (5, 30)))
            elif step == 21:
                end = rules.probation_end(d[15])
                d[21] = self.day(prev, 30, max(30, (end - prev).days - 50))
            elif step == 22:
                end = rules.probation_end(d[15])
                d[22] = max(prev, end - timedelta(days=rng.randint(5, 30)))
            elif step == 23:  # conversion is decided when probation has ended
                d[23] = self.day(rules.probation_end(d[15]), 0, 10)
            else:
                d[step] = self.day(prev, *GAPS[step])
        return plan

    def timeline(self, last: int, situation: str) -> Plan:
        """A plan whose last step and standing on TODAY fit the situation (retries draws)."""
        for _attempt in range(200):
            plan = self._draw(last, situation)
            if plan is not None and self._fits(plan):
                return plan
        raise RuntimeError(f"no timeline for step {last} {situation!r}")  # pragma: no cover

    def _draw(self, last: int, situation: str) -> Plan | None:
        rng = self.rng
        # a first guess of the application date, then shift the whole file to its anchor
        plan = self.forward(date(2020, 1, 1), last, situation)
        if plan is None:
            return None
        d = plan.dates
        if situation == "extended":
            anchor_step, anchor = 15, LATEST_ADMISSION + timedelta(days=rng.randint(0, 1))
        elif situation == "cancelled":
            anchor_step, anchor = 15, TODAY - timedelta(days=rng.randint(200, 340))
        elif situation == "conversion_due" or last == 23:
            anchor_step, anchor = 15, LATEST_ADMISSION
        elif last == 1:
            lo, hi = (33, 80) if situation == "talk_late" else (2, 28)
            anchor_step, anchor = 1, TODAY - timedelta(days=rng.randint(lo, hi))
        elif 3 <= last <= 6 and situation == "review_missed":
            anchor_step, anchor = 3, TODAY - timedelta(days=rng.randint(200, 340))
        elif 3 <= last <= 6:
            anchor_step, anchor = 3, TODAY - timedelta(days=rng.randint(20, 350))
        elif last in (15, 16) and situation == "approval_late":
            anchor_step, anchor = 15, TODAY - timedelta(days=rng.randint(95, 150))
        elif last in (15, 16):
            anchor_step, anchor = 15, TODAY - timedelta(days=rng.randint(5, 85))
        elif 17 <= last <= 21:
            anchor_step, anchor = 15, TODAY - timedelta(days=rng.randint(90, 340))
        elif last == 22:
            anchor_step, anchor = 15, TODAY - timedelta(days=rng.randint(340, 364))
        elif last >= 24:
            anchor_step, anchor = last, TODAY - timedelta(days=rng.randint(3, 400))
        elif situation == "withdrawn":
            anchor_step, anchor = last, TODAY - timedelta(days=rng.randint(30, 300))
        else:
            anchor_step, anchor = last, TODAY - timedelta(days=rng.randint(2, 90))
        shift = anchor - d[anchor_step]
        for k in d:
            d[k] += shift
        if situation == "extended":
            end = rules.probation_end(d[15])
            plan.extension_meeting = end
            plan.extended_to = rules.add_months(end, rng.randint(6, 12))
            if d[last] > end:
                return None
        if max(d.values()) > TODAY:
            return None
        if situation == "withdrawn":
            plan.closed_on = self.day(d[last], 10, 60)
        elif situation == "not_admitted":  # the branch meeting voted against
            plan.closed_on = self.day(d[last], 5, 25)
        if plan.closed_on and plan.closed_on > TODAY:
            return None
        # half-year reviews of the activist, from step 3 until step 7 (or today)
        if last >= 3:
            until = d.get(7, plan.closed_on or TODAY)
            if situation == "review_missed":
                until = min(until, TODAY - timedelta(days=rng.randint(190, 260)))
            review = self.day(d[3], 150, 178)
            while review <= until and (7 not in d or review < d[7]):
                plan.reviews.append(review)
                review = self.day(review, 150, 178)
        return plan

    def file_of(self, plan: Plan) -> rules.File:
        return rules.File(
            birth_date=plan.identity.get("birth_date"),
            steps={k: rules.StepRecord(v) for k, v in plan.dates.items()},
            activist_reviews=list(plan.reviews),
            probation_extended_to=plan.extended_to,
        )

    def _fits(self, plan: Plan) -> bool:
        """The dates pass the rules (shifting a file across a 29 February can move a date
        past a limit) and the standing on TODAY is the situation's."""
        file = rules.File(birth_date=date(1900, 1, 1))  # the age is drawn afterwards
        for step, on in sorted(plan.dates.items()):
            data = dict(PASSING.get(step, {}))
            if step == 23:
                data["outcome"] = "cancel" if plan.situation == "cancelled" else "convert"
            if rules.check_step(file, step, on, data, today=TODAY):
                return False
            file.steps[step] = rules.StepRecord(on, data)
        if plan.extended_to is not None:
            data = {**PASSING[23], "outcome": "extend", "extended_to": plan.extended_to}
            if rules.check_step(file, 23, plan.extension_meeting, data, today=TODAY):
                return False
        standing = rules.standing(self.file_of(plan), TODAY)
        if plan.state != Applicant.State.OPEN:
            return True
        return standing.overdue == (plan.situation in OVERDUE)

    # --- people ------------------------------------------------------------------------------
    def identity(self, plan: Plan) -> None:
        rng, s = self.rng, self.s
        d1 = plan.dates[1]
        lo, hi = _pick_age(rng)
        male = rng.random() < 0.55
        birth = s.day_between(
            date(d1.year - hi - 1, d1.month, 1) + timedelta(days=1),
            date(d1.year - lo, d1.month, 1) - timedelta(days=1),
        )
        birth = min(birth, member_seed.add_years(d1, -18))
        if plan.last >= 17:  # the member registry's demo range of birth dates
            birth = min(birth, date(2004, 12, 31))
        age = TODAY.year - birth.year
        occupation, education, category, base, work_unit = s.work(plan.branch.base, age, birth)
        if occupation == "retired":  # an applicant of working age
            occupation, category = "enterprise_staff", "salaried"
        name = s.name(male)
        phone = s.phone()
        number = self.id_number(birth, male)
        plan.identity = {
            "name": name,
            "gender": "male" if male else "female",
            "ethnicity": member_seed._pick(rng, member_seed.ETHNICITY_TABLE),
            "birth_date": birth,
            "id_number": number,
            "phone": phone,
            "education": education,
            "occupation": occupation,
            "is_high_knowledge": education in ("master", "doctor")
            or (occupation == "professional" and education == "bachelor" and rng.random() < 0.5),
            "is_migrant_worker": occupation in ("worker", "self_employed")
            and plan.branch.base.sector in ("community", "non_public_enterprise", "market")
            and rng.random() < 0.3,
            "is_soe": plan.branch.base.sector == "soe",
            "is_two_new": plan.branch.base.sector
            in ("non_public_enterprise", "social_organisation", "park", "commercial_building"),
            "work_unit": work_unit or "",
            "dues_category": category,
            "dues_base": base,
        }

    def id_number(self, birth: date, male: bool) -> str:
        rng = self.rng
        while True:
            order = rng.randrange(0, 500) * 2 + (1 if male else 0)
            body = f"{rng.choice(member_seed.REGIONS)}{birth:%Y%m%d}{order:03d}"
            if body not in self.ids:
                self.ids.add(body)
                return body + id_check_char(body)

    def unique_ids(self, plans: list[Plan]) -> None:
        """No ID number of an existing member (id_digest is unique in the registry)."""
        while True:
            by_digest = {crypto.digest(p.identity["id_number"]): p for p in plans}
            taken: set[str] = set()
            digests = list(by_digest)
            for i in range(0, len(digests), 1000):
                taken.update(
                    Member.objects.filter(id_digest__in=digests[i : i + 1000]).values_list(
                        "id_digest", flat=True
                    )
                )
            if not taken:
                for digest, p in by_digest.items():
                    p.identity["id_digest"] = digest
                return
            for digest in sorted(taken):
                p = by_digest[digest]
                male = p.identity["gender"] == "male"
                p.identity["id_number"] = self.id_number(p.identity["birth_date"], male)

    def people(self, plan: Plan) -> bool:
        """Training contacts (step 5) and introducers (step 9) from the branch roster."""
        rng, d = self.rng, plan.dates
        if plan.last >= 5:
            pool = plan.branch.voters(d[5])
            if not pool:
                return False
            plan.contacts = rng.sample(pool, min(len(pool), rng.choice((1, 2, 2))))
        if plan.last >= 9:
            pool = [v for v in plan.branch.roster if v.can_introduce(d[9])]
            if len(pool) < 2:
                return False
            keep = [v for v in plan.contacts if v in pool]  # a contact often introduces
            rest = [v for v in pool if v not in keep]
            plan.introducers = (keep + rng.sample(rest, max(0, 2 - len(keep))))[:2]
        return True

    # --- planning ----------------------------------------------------------------------------
    def plans(self, branches: list[BranchInfo], showcase_id: int | None) -> list[Plan]:
        rng = self.rng
        cases: list[tuple[list[BranchInfo], int, str]] = []  # (branches to try, …)
        if self.scale == "demo":
            showcase = next((b for b in branches if b.id == showcase_id), None)
            big = [b for b in branches if len(b.voters(TODAY - timedelta(days=3 * 365))) >= 3]
            others = [b for b in big if b.id != showcase_id] or branches
            if showcase is not None:
                cases += [([showcase], last, sit) for last, sit in SHOWCASE_CASES]
            for i, (last, sit) in enumerate(DEMO_CASES):
                start = (i * 7) % len(others)
                cases.append((others[start:] + others[:start], last, sit))
        else:
            for b in branches:
                for phase in (1, 2, 3, 4, 5):
                    r = rng.random()
                    n = 2 if r < P_TWO else 1 if r < P_ONE + P_TWO else 0
                    for _ in range(n):
                        last = rng.choice(PHASE_STEPS[phase])
                        cases.append(([b], last, _situation(rng, last)))
        plans = []
        for candidates, last, situation in cases:
            plan = self.timeline(last, situation)
            # a branch with full members to be contacts and introducers on those dates
            # (scale: a small branch without them simply gets no such file)
            for branch in candidates:
                plan.branch = branch
                if self.people(plan):
                    self.identity(plan)
                    plans.append(plan)
                    break
        return plans

    def admit(self, plan: Plan) -> None:
        """The member record created at step 17 (and converted at step 24)."""
        idt, d, b = plan.identity, plan.dates, plan.branch
        if plan.last < 17 or plan.situation in ("not_admitted", "withdrawn"):
            return
        converted = plan.last >= 24 and plan.situation != "cancelled"
        full_on = (plan.extended_to or rules.probation_end(d[15])) if converted else None
        status = "removed" if plan.situation == "cancelled" and plan.last >= 24 else "normal"
        row = {
            "id": self.s.members.new_id(),
            **{k: idt[k] for k in (
                "name", "gender", "ethnicity", "birth_date", "id_number", "id_digest", "phone",
                "education",
                "occupation", "is_high_knowledge", "is_migrant_worker", "is_soe", "is_two_new",
                "work_unit", "dues_category", "dues_base",
            )},
            "id_tail": idt["id_number"][-4:],
            "phone_tail": idt["phone"][-4:],
            "address": self.s.address(),
            "org_id": b.id,
            "party_group_id": self.rng.choice(b.base.groups) if b.base.groups else None,
            "category": "full" if converted else "probationary",
            "status": status,
            "applied_on": d[1],
            "admitted_on": d[15],
            "full_on": full_on,
            "introducers": "、".join(v.name for v in plan.introducers),
            "search_key": self.s.search_key(idt["name"]),
            "created_at": self._at(d[17], 10),
            "updated_at": self._at(d[max(k for k in d if k >= 17)], 10),
        }  # fmt: skip
        plan.member = row
        b.roster.append(Voter(row["id"], row["name"], row["category"], status, d[15], full_on))
        self.counts["members_admitted"] += 1

    # --- rows --------------------------------------------------------------------------------
    def _at(self, on: date, hour: int = 9) -> datetime:
        return datetime.combine(on, time(hour), self.tz)

    def vote(self, plan: Plan, step: int, on: date, *, passes: bool = True) -> tuple[dict, int]:
        """A branch meeting's vote (services.record_vote): (figures for the rules, vote id)."""
        rng = self.rng
        roster = [v.id for v in plan.branch.voters(on)]
        n = len(roster)
        if n == 0:
            raise RuntimeError(f"nobody votes in branch {plan.branch.id} on {on}")
        if passes:
            attended = max(n // 2 + 1, n - rng.randint(0, max(0, n // 5)))
        else:
            attended = n // 2 + 1
        present = sorted(rng.sample(roster, attended))
        absent = [m for m in roster if m not in present]
        written = [{"member": m, "vote": "yes"} for m in absent if passes and rng.random() < 0.4]
        if passes:
            no = 1 if attended >= 5 and rng.random() < 0.2 else 0
            abstain = 1 if attended - no >= 6 and rng.random() < 0.15 else 0
            yes = attended - no - abstain
        else:
            yes = min(attended, n // 2)
            no, abstain = attended - yes, 0
        written_yes = len(written)
        result = rules.vote_result(n, attended, yes, no, abstain, written_yes, 0)
        assert result.passed == passes and not result.violations, result
        row = self.votes.add({
            "applicant_id": plan.identity["applicant_id"], "step": step, "meeting_on": on,
            "roster": roster, "present": present, "written": written, "should_attend": n,
            "attended": attended, "yes": yes, "no": no, "abstain": abstain,
            "written_yes": written_yes, "written_no": 0, "quorum_met": result.quorum_met,
            "passed": result.passed, "created_at": self._at(on, 16), "updated_at": self._at(on, 16),
        })  # fmt: skip
        self.event(plan, FileEvent.Kind.VOTE, on, step=step, note=str(result.arithmetic),
                   payload={"vote": row["id"], "meeting_on": on.isoformat(),
                            "passed": passes}, hour=16)  # fmt: skip
        figures = {
            "should_attend": n, "attended": attended, "yes": yes, "no": no,
            "abstain": abstain, "written_yes": written_yes, "written_no": 0,
        }  # fmt: skip
        return {"vote": figures}, row["id"]

    def event(self, plan: Plan, kind: str, on: date, *, step=None, note="", payload=None, hour=9):
        self.events.add({
            "applicant_id": plan.identity["applicant_id"], "kind": kind, "step": step,
            "note": note, "payload": payload or {}, "actor_id": None, "at": self._at(on, hour),
        })  # fmt: skip

    def document(self, plan: Plan, kind: str, on: date, *, step=None, title="", number=""):
        self.documents.add({
            "applicant_id": plan.identity["applicant_id"], "step": step, "kind": kind,
            "title": title, "number": number, "on": on, "file": "", "recorded_by_id": None,
            "created_at": self._at(on, 11), "updated_at": self._at(on, 11),
        })  # fmt: skip

    def rows(self, plan: Plan, secretary_user: int | None) -> None:
        rng, d, b, idt = self.rng, plan.dates, plan.branch, plan.identity
        file = rules.File(birth_date=idt["birth_date"])
        applicant_id = idt["applicant_id"]
        approver_id, approver_name, approver_type = b.approver
        branch_body = "支部委员会" if b.has_committee else "支部党员大会"
        recorder = secretary_user if secretary_user else None
        self.event(plan, FileEvent.Kind.OPENED, d[1], step=1)
        for step in range(1, plan.last + 1):
            on = d[step]
            data: dict = {}
            check: dict = {}
            people: list[dict] = []
            body, body_org, note = "", None, STEP_NOTES.get(step, "")
            if step == 2:
                talker = b.roster[0] if b.roster else None
                people = [{"role": "talker", "name": talker.name if talker else b.secretary,
                           "member": talker.id if talker else None}]  # fmt: skip
            elif step == 3:
                data = {
                    "method": rng.choice(sorted(rules.ACTIVIST_METHODS)),
                    "decided_by": "branch_committee" if b.has_committee else "branch_meeting",
                }
                check = {**data, "branch_has_committee": b.has_committee}
                body = branch_body
            elif step == 5:
                data = {"contacts": [v.id for v in plan.contacts]}
                check = {"contacts": [rules.Person(v.name) for v in plan.contacts]}
                people = [
                    {"role": "contact", "name": v.name, "member": v.id} for v in plan.contacts
                ]
            elif step == 7:
                body = branch_body
            elif step == 9:
                data = {"introducers": [v.id for v in plan.introducers]}
                check = {"introducers": [rules.Person(v.name) for v in plan.introducers]}
                people = [
                    {"role": "introducer", "name": v.name, "member": v.id} for v in plan.introducers
                ]
            elif step == 10:
                data = {"conclusion": rng.choice(CONCLUSIONS)}
            elif step == 11:
                days = rng.choice((3, 3, 4, 5))
                certificate = f"榕党校培字〔{on:%Y}〕{rng.randint(1, 999):03d}号"
                data = {"days": days, "hours": days * 8, "certificate": certificate}
                check = data
            elif step == 12:
                body = branch_body
            elif step == 14:
                data = {"form_number": f"{on:%Y}{b.id % 10000:04d}{rng.randint(1, 999):03d}"}
            elif step == 15:
                check, vote_id = self.vote(plan, 15, on)
                data, body = {"vote": vote_id}, "支部党员大会"
            elif step in (17, 24):
                data = {"approver": approver_id}
                check = {"approver_type": approver_type}
                if step == 17:
                    data["limit_extended"] = check["limit_extended"] = False
            elif step == 23:
                outcome = "cancel" if plan.situation == "cancelled" else "convert"
                check, vote_id = self.vote(plan, 23, on)
                check["outcome"] = outcome
                data, body = {"vote": vote_id, "outcome": outcome}, "支部党员大会"
            if step in rules.HIGHER_COMMITTEE_STEPS:
                body_org = approver_id
                body = approver_name
                if step == 18:
                    body_org, body = b.filing
                if step == 16:
                    people = [{"role": "talker", "name": self.s.name(rng.random() < 0.6),
                               "member": None}]  # fmt: skip
            violations = rules.check_step(file, step, on, check, today=TODAY)
            _refuse_on(violations, plan, step)
            file.steps[step] = rules.StepRecord(on, check)
            self.steps.add({
                "applicant_id": applicant_id, "step": step, "on": on, "people": people,
                "body": body[:100], "body_org_id": body_org, "data": data, "note": note,
                "recorded_by_id": None if step in rules.HIGHER_COMMITTEE_STEPS else recorder,
                "created_at": self._at(on, 10), "updated_at": self._at(on, 10),
            })  # fmt: skip
            self.event(plan, FileEvent.Kind.STEP, on, step=step, note=note, hour=10,
                       payload={"on": on.isoformat(), **data})  # fmt: skip
            self.step_documents(plan, step, on, data)
        if plan.extension_meeting is not None:  # decided at the conversion meeting (no step)
            meeting = plan.extension_meeting
            check, _vote_id = self.vote(plan, 23, meeting)
            check.update(outcome="extend", extended_to=plan.extended_to)
            _refuse_on(rules.check_step(file, 23, meeting, check, today=TODAY), plan, 23)
            self.event(plan, FileEvent.Kind.EXTENDED, meeting, step=23,
                       payload={"on": meeting.isoformat(), "outcome": "extend",
                                "extended_to": plan.extended_to.isoformat()})  # fmt: skip
        for review in plan.reviews:
            reviewer = "、".join(v.name for v in plan.contacts) or b.secretary or "支部委员会"
            self.reviews.add({
                "applicant_id": applicant_id, "on": review, "reviewer": reviewer[:100],
                "summary": rng.choice(REVIEW_SUMMARIES), "recorded_by_id": recorder,
                "created_at": self._at(review, 15), "updated_at": self._at(review, 15),
            })  # fmt: skip
            self.event(plan, FileEvent.Kind.REVIEW, review, hour=15)
        if plan.situation == "not_admitted":
            self.vote(plan, 15, plan.closed_on, passes=False)
        if plan.member is not None:
            self.member_rows(plan)
        closed = plan.closed_on
        if plan.situation in ("withdrawn", "not_admitted"):
            self.event(plan, FileEvent.Kind.CLOSED, closed, note=self.close_reason(plan),
                       payload={"state": plan.state}, hour=17)  # fmt: skip
        elif plan.situation == "archived":
            self.event(plan, FileEvent.Kind.CLOSED, d[25], step=25, note="已归档", hour=17)
        # the standing services.refresh_file would store
        standing = rules.standing(self.file_of(plan), TODAY)
        is_open = plan.state == Applicant.State.OPEN
        if is_open and standing.overdue:
            self.counts["overdue"] += 1
        if plan.situation == "archived":
            closed = d[25]
        elif plan.situation == "cancelled":
            closed = d[24]
        self.applicants.add({
            "id": applicant_id,
            **{k: v for k, v in idt.items() if k not in NOT_APPLICANT_FIELDS},
            "id_tail": idt["id_number"][-4:],
            "phone_tail": idt["phone"][-4:],
            "org_id": b.id,
            "state": plan.state,
            "last_step": standing.last_step,
            "phase": standing.phase,
            "next_due": standing.next_due if is_open else None,
            "overdue": standing.overdue if is_open else False,
            "overdue_since": standing.overdue_since if is_open else None,
            "applied_on": d.get(1),
            "activist_on": d.get(3),
            "target_on": d.get(7),
            "admitted_on": d.get(15),
            "approved_on": d.get(17),
            "converted_on": plan.member["full_on"] if plan.member else None,
            "probation_extended_to": plan.extended_to,
            "closed_on": closed,
            "close_reason": self.close_reason(plan),
            "member_id": plan.member["id"] if plan.member else None,
            "search_key": self.s.search_key(idt["name"]),
            "created_at": self._at(d[1], 9),
            "updated_at": self._at(max([*d.values(), closed or d[1]]), 17),
        })  # fmt: skip

    def close_reason(self, plan: Plan) -> str:
        if plan.situation == "withdrawn":
            return WITHDRAW_REASONS[plan.identity["applicant_id"] % len(WITHDRAW_REASONS)]
        if plan.situation == "not_admitted":
            return NOT_ADMITTED_REASON
        if plan.situation == "cancelled":
            return CANCELLED_REASON
        return ""

    def step_documents(self, plan: Plan, step: int, on: date, data: dict) -> None:
        Kind = Document.Kind
        if step == 1:
            self.document(plan, Kind.APPLICATION, on, step=1, title="入党申请书")
        elif step == 2:
            self.document(plan, Kind.TALK_RECORD, on, step=2, title="谈话记录")
        elif step == 3:
            self.document(plan, Kind.RECOMMENDATION, on, step=3, title="推荐入党积极分子登记表")
        elif step in (4, 8, 18):
            self.document(plan, Kind.FILING, on, step=step, title="备案回执")
        elif step == 6:
            for i, title in enumerate(THOUGHT_REPORTS[: self.rng.randint(1, 3)]):
                self.document(plan, Kind.THOUGHT_REPORT, on - timedelta(days=20 * (i + 1)),
                              step=6, title=title)  # fmt: skip
        elif step == 10:
            self.document(plan, Kind.POLITICAL_REVIEW, on, step=10, title="政治审查综合报告")
        elif step == 11:
            self.document(plan, Kind.TRAINING_CERTIFICATE, on, step=11, title="结业证书",
                          number=data["certificate"])  # fmt: skip
        elif step == 14:
            self.document(plan, Kind.ADMISSION_FORM, on, step=14, title="入党志愿书",
                          number=data["form_number"])  # fmt: skip
        elif step in (15, 23):
            self.document(plan, Kind.MEETING_RESOLUTION, on, step=step, title="支部大会决议")
        elif step in (17, 24):
            number = f"{plan.branch.approver[1][:2]}委组〔{on:%Y}〕{self.rng.randint(1, 300)}号"
            self.document(plan, Kind.APPROVAL, on, step=step, title="审批意见", number=number)
        elif step == 22:
            self.document(plan, Kind.CONVERSION_APPLICATION, on, step=22, title="转正申请书")

    def member_rows(self, plan: Plan) -> None:
        s, row, d = self.s, plan.member, plan.dates
        history = s.history
        mid = row["id"]
        approver = plan.branch.approver[1][:100]
        branch = plan.branch.name[:100]

        def decision(step: int, on: date, body: str) -> str:  # services.steps._decision
            return f"{body} {rules.STEP_BY_NUMBER[step].name_zh} {on.isoformat()}"[:200]

        def change(kind, on, at, *, decided_by=approver, from_value="", to_value="", note="",
                   step=17):  # fmt: skip
            history.add({
                "member_id": mid, "kind": kind, "effective_on": on, "from_value": from_value,
                "to_value": to_value, "decision": decision(step, at, decided_by),
                "decided_by": decided_by, "note": note, "actor_id": None,
                "at": self._at(at, 12),
            })  # fmt: skip

        # registry.create_member(admitted=True) at step 17, the change_status calls after
        change(StatusChange.Kind.ADMITTED, d[15], d[17], to_value="probationary",
               note=plan.branch.name)  # fmt: skip
        self.event(plan, FileEvent.Kind.ADMITTED, d[17], step=17, hour=11,
                   payload={"member": mid, "admitted_on": d[15].isoformat()})  # fmt: skip
        if plan.extended_to is not None:
            meeting = plan.extension_meeting
            change(StatusChange.Kind.PROBATION_EXTENDED, meeting, meeting, decided_by=branch,
                   from_value=rules.probation_end(d[15]).isoformat(),
                   to_value=plan.extended_to.isoformat(), step=23)  # fmt: skip
        if plan.last >= 24 and plan.situation == "cancelled":
            change(StatusChange.Kind.PROBATION_CANCELLED, d[24], d[24], from_value="normal",
                   to_value="removed", step=24)  # fmt: skip
        elif row["full_on"] is not None:
            change(StatusChange.Kind.CONVERTED, row["full_on"], d[24], from_value="probationary",
                   to_value="full", step=24)  # fmt: skip
            self.event(plan, FileEvent.Kind.CONVERTED, d[24], step=24, hour=11,
                       payload={"member": mid, "full_on": row["full_on"].isoformat()})  # fmt: skip
        # dues from the month of admission (DOMAIN.md §5), paid within the month
        first = row["admitted_on"].replace(day=1)
        category, base = row["dues_category"], row["dues_base"]
        person = member_seed.Person(
            row=row,
            quote_segments=[(first, category, base, s.quote(category, base))],
            no_rows_before=max(member_seed.FIRST_MONTH, first),
        )
        if row["status"] != "normal":  # cancelled: no dues after the cancellation
            person.no_rows_after = d[24].replace(day=1)
        s.bases.add({
            "member_id": mid, "from_month": first, "category": category, "base": base,
            "gross": member_seed._gross(base) if category in SALARIED else None,
            "note": "",
        })  # fmt: skip
        s.members.add(row)
        s.ledger(person, None)


def _refuse_on(violations, plan: Plan, step: int) -> None:
    if violations:  # a bug of this seeder: every seeded step must pass the rules
        raise RuntimeError(
            f"seeded step {step} of {plan.situation or 'on time'} file ending at {plan.last} "
            f"({plan.dates}) breaks {[v.rule for v in violations]}"
        )


def _pick_age(rng: random.Random) -> tuple[int, int]:
    r = rng.random() * 100
    for lo, hi, weight in AGES:
        if r < weight:
            return lo, hi
        r -= weight
    return AGES[-1][:2]


def _situation(rng: random.Random, last: int) -> str:
    r = rng.random()
    if last == 1:
        return "talk_late" if r < 0.25 else ""
    if 2 <= last <= 9 and r < 0.04:
        return "withdrawn"
    if 3 <= last <= 6:
        return "review_missed" if r < 0.2 else ""
    if last == 14:
        return "not_admitted" if r < 0.05 else ""
    if last in (15, 16):
        return "approval_late" if r < 0.2 else ""
    if last == 22:
        return "conversion_due" if r < 0.3 else "extended" if r < 0.4 else ""
    if last == 24:
        return "cancelled" if r < 0.05 else ""
    if last == 25:
        return "archived"
    return ""


def seed(*, scale: str, rng: random.Random, out, context: dict) -> dict:
    """The admissions seeder of `tongxin seed` (runs after orgs, accounts and members)."""
    out.write(f"Admission files ({scale}) …")
    started = perf_counter()
    showcase = context.get("orgs", {}).get("showcase", {}).get("branch")
    g = _Generator(scale, rng, out, context)
    branches = g.load()
    if not branches:
        return {"applicants": 0}
    plans = g.plans(branches, showcase.id if showcase is not None else None)
    g.unique_ids(plans)
    for plan in plans:  # every member before any vote: rosters include the converted ones
        g.admit(plan)
    planned = perf_counter()
    User = get_user_model()
    secretary = User.objects.filter(username="branch_secretary").values_list("id", flat=True)
    secretary_user = secretary.first() if showcase is not None else None
    for plan in plans:
        plan.identity["applicant_id"] = g.applicants.new_id()
    for plan in plans:
        recorder = (
            secretary_user if showcase is not None and plan.branch.id == showcase.id else None
        )
        g.rows(plan, recorder)
    built = perf_counter()
    s = g.s
    tables = [s.members, s.bases, s.dues, s.history, g.applicants, g.steps, g.documents,
              g.reviews, g.votes, g.events]  # fmt: skip
    for table in tables:
        table.write(table.rows)
        table.rows = []
    member_seed._reset_sequences([t.model for t in tables])
    refresh_org_counts(sorted({p.branch.id for p in plans if p.member is not None}))
    done = perf_counter()
    states = {}
    for p in plans:
        states[p.state] = states.get(p.state, 0) + 1
    out.write(
        f"  {done - started:.1f} s: planning {planned - started:.1f} s, rows "
        f"{built - planned:.1f} s, {'COPY' if connection.vendor == 'postgresql' else 'bulk_create'}"
        f" {done - built:.1f} s"
    )
    counts = {
        "applicants": g.applicants.written,
        "steps": g.steps.written,
        "votes": g.votes.written,
        "reviews": g.reviews.written,
        "documents": g.documents.written,
        "events": g.events.written,
        "dues_records": s.dues.written,
        **g.counts,
        **{f"state_{k}": v for k, v in sorted(states.items())},
    }
    out.write("  " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts
