"""Admission (发展党员) rules as pure code — DOMAIN.md §6.

No ORM, no I/O. A later services layer loads the applicant's file into :class:`File`,
calls :func:`check_step` and refuses the step when the list of violations is not empty.

Decisions (see also the tests):

* Step order is strictly sequential: the only step that may be recorded is the one after
  the highest step done (no parallel steps). Recording an out-of-order or repeated step
  returns only ``step_order``; other checks are skipped because they depend on earlier
  steps.
* A date before the previous step returns ``date_order``; a date after ``today`` returns
  ``date_future``. The two are reported alone (the other checks are skipped).
* Lateness (talk after one month, half-year reviews, approval and conversion overdue) is
  never a refusal; :func:`overdue_items` reports it.
* Counting convention: 以上/以下/以内/不少于/不超过 include the number (``>=``/``<=``),
  超过/不足/少于 do not (``>``/``<``). "One year" ends on the same calendar date a year
  later; 29 February → 28 February (end-of-month clamping).
* Who counts in ``should_attend`` of a vote (full members with voting rights; not
  probationary members, not those under 留党察看, not floating members from elsewhere)
  is the caller's job: :func:`vote_result` only does the arithmetic.
* A probation-extension decision at the conversion meeting (step 23 with
  ``outcome="extend"``) is checked by :func:`check_probation_extension`; the service then
  stores ``File.probation_extended_to`` and does NOT mark step 23 done.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

# --- citations ---------------------------------------------------------------------
# Article numbers of 《中国共产党发展党员工作细则》(2014) below were checked against public
# copies of the text (第五、七、八条: full text; 第九、十一、十三、十四、二十、二十一、三十二、
# 三十三条: quoted with their numbers by secondary pages). Numbers not checked are left out:
# DOMAIN.md is cited instead — do not fill them in without checking the official text.
_XZ = "《中国共产党发展党员工作细则》"
ART_AGE = _XZ + "第五条"
ART_TALK = _XZ + "第七条"
ART_ACTIVIST = _XZ + "第八条"
ART_CONTACTS = _XZ + "第九条"
ART_REVIEW = _XZ + "第十一条"
ART_ONE_YEAR = _XZ + "第十三条"
ART_INTRODUCERS = _XZ + "第十四条"
ART_TRAINING = "细则 / DOMAIN.md §6 rule 7"
ART_QUORUM = _XZ + "第二十条"
ART_VOTE = _XZ + "第二十一条"
ART_APPROVAL = "细则 / DOMAIN.md §6 rule 9"
ART_PROBATION = _XZ + "第三十二条"
ART_CONVERSION = _XZ + "第三十三条"
ART_ORDER = "细则 / DOMAIN.md §6 rule 12"
ART_LOCAL = "DOMAIN.md §6 rule 12 (local rule)"


# --- steps and phases ----------------------------------------------------------------
@dataclass(frozen=True)
class Phase:
    number: int
    name_zh: str
    code: str


@dataclass(frozen=True)
class Step:
    number: int
    phase: int
    name_zh: str
    code: str


PHASES: tuple[Phase, ...] = (
    Phase(1, "申请入党", "application"),
    Phase(2, "积极分子", "activist"),
    Phase(3, "发展对象", "development_target"),
    Phase(4, "预备党员接收", "admission"),
    Phase(5, "转正", "conversion"),
)

STEPS: tuple[Step, ...] = (
    Step(1, 1, "递交入党申请书", "application_submitted"),
    Step(2, 1, "党组织派人谈话", "application_talk"),
    Step(3, 2, "推荐和确定入党积极分子", "activist_chosen"),
    Step(4, 2, "上级党委备案", "activist_filed"),
    Step(5, 2, "指定培养联系人", "training_contacts_named"),
    Step(6, 2, "培养教育考察", "activist_training"),
    Step(7, 3, "确定发展对象", "development_target_chosen"),
    Step(8, 3, "报上级党委备案", "development_target_filed"),
    Step(9, 3, "确定入党介绍人", "introducers_named"),
    Step(10, 3, "政治审查", "political_review"),
    Step(11, 3, "集中培训", "concentrated_training"),
    Step(12, 4, "支委会审查", "branch_committee_review"),
    Step(13, 4, "上级党委预审", "higher_committee_prereview"),
    Step(14, 4, "填写入党志愿书", "admission_form"),
    Step(15, 4, "支部大会讨论", "admission_meeting"),
    Step(16, 4, "上级党委派人谈话", "higher_committee_talk"),
    Step(17, 4, "上级党委审批", "admission_approval"),
    Step(18, 4, "再上一级党委组织部门备案", "admission_filed"),
    Step(19, 5, "编入党支部和党小组", "assigned_to_branch"),
    Step(20, 5, "入党宣誓", "oath"),
    Step(21, 5, "继续教育考察", "probation_training"),
    Step(22, 5, "提出转正申请", "conversion_application"),
    Step(23, 5, "支部大会讨论", "conversion_meeting"),
    Step(24, 5, "上级党委审批", "conversion_approval"),
    Step(25, 5, "材料归档", "archived"),
)
STEP_BY_NUMBER: dict[int, Step] = {s.number: s for s in STEPS}
LAST_STEP = 25

ACTIVIST_METHODS = frozenset({"member_recommendation", "mass_organisation_recommendation"})
# Bodies that cannot approve admissions or conversions (DOMAIN §6 rule 9).
NON_APPROVING_BODIES = frozenset(
    {"general_branch", "temporary_organisation", "community_committee", "branch"}
)
# The org types (orgs.OrgType values) as approving bodies: a branch never approves itself.
APPROVER_TYPE_OF_ORG = {
    "district": "district_committee",
    "street": "street_committee",
    "committee": "primary_committee",
    "community": "community_committee",
    "general_branch": "general_branch",
    "branch": "branch",
    "joint_branch": "branch",
    "party_group": "branch",
    # the org types as orgs.rules spells them (added with the services; the short keys
    # above are kept for existing callers)
    "district_committee": "district_committee",
    "street_committee": "street_committee",
    "community_committee": "community_committee",
}
# Steps the higher committee performs (a branch secretary cannot record them).
HIGHER_COMMITTEE_STEPS = frozenset({4, 8, 13, 16, 17, 18, 24})


# --- dates -------------------------------------------------------------------------
def add_months(d: date, n: int) -> date:
    """``d`` plus ``n`` calendar months, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    index = d.year * 12 + (d.month - 1) + n
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def add_years(d: date, n: int) -> date:
    """Same calendar date ``n`` years later; 29 February → 28 February."""
    return add_months(d, 12 * n)


def one_year_after(d: date) -> date:
    return add_years(d, 1)


# --- results -----------------------------------------------------------------------
@dataclass(frozen=True)
class Violation:
    """A broken rule. ``message`` is a lazy msgid; render with :attr:`text`."""

    rule: str
    article: str
    message: Any
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return str(self.message) % dict(self.params) if self.params else str(self.message)

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "article": self.article, "message": self.text}


@dataclass(frozen=True)
class OverdueItem:
    rule: str
    article: str
    message: Any
    due: date
    done_on: date | None = None

    @property
    def text(self) -> str:
        return str(self.message) % {"due": self.due.isoformat()}


# --- the file ----------------------------------------------------------------------
@dataclass(frozen=True)
class Person:
    """A training contact or introducer as the rules need them."""

    name: str = ""
    full_member: bool = True
    under_party_probation: bool = False  # 留党察看, rights not yet restored


@dataclass
class StepRecord:
    date: date
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class File:
    """The applicant's file as the rules see it."""

    birth_date: date | None = None
    steps: dict[int, StepRecord] = field(default_factory=dict)
    activist_reviews: list[date] = field(default_factory=list)
    probation_extended_to: date | None = None

    def done(self, step: int) -> date | None:
        rec = self.steps.get(step)
        return rec.date if rec else None

    @property
    def last_step(self) -> int:
        return max(self.steps, default=0)

    @property
    def next_step(self) -> int | None:
        return self.last_step + 1 if self.last_step < LAST_STEP else None

    @property
    def application_on(self) -> date | None:
        return self.done(1)

    @property
    def activist_on(self) -> date | None:
        return self.done(3)

    @property
    def target_on(self) -> date | None:
        return self.done(7)

    @property
    def admission_meeting_on(self) -> date | None:
        return self.done(15)

    @property
    def probation_end(self) -> date | None:
        if self.probation_extended_to is not None:
            return self.probation_extended_to
        meeting = self.admission_meeting_on
        return probation_end(meeting) if meeting else None


def probation_end(meeting_on: date) -> date:
    """Probation is one year from the day the branch meeting passed the resolution."""
    return one_year_after(meeting_on)


@dataclass(frozen=True)
class LocalRules:
    """Configurable local extra rules, all off by default (DOMAIN §6 rule 12)."""

    min_months_application_to_activist: int | None = None


# --- vote (rule 8) -----------------------------------------------------------------
def _half(n: int) -> str:
    return str(n // 2) if n % 2 == 0 else f"{n // 2}.5"


@dataclass(frozen=True)
class VoteResult:
    should_attend: int
    attended: int
    yes_total: int
    written_yes: int
    quorum_met: bool
    passed: bool
    violations: tuple[Violation, ...] = ()

    def __str__(self) -> str:
        return self.arithmetic

    @property
    def arithmetic(self) -> str:
        """The computation in plain words, in the active language."""
        if self.violations:
            return "; ".join(v.text for v in self.violations)
        p = {
            "attended": self.attended,
            "should": self.should_attend,
            "half": _half(self.should_attend),
            "yes": self.yes_total,
            "written": self.written_yes,
        }
        if self.quorum_met:
            quorum = _(
                "%(attended)s present, more than half (%(half)s) of the %(should)s "
                "who should attend: quorum met"
            )
        else:
            quorum = _(
                "%(attended)s present, not more than half (%(half)s) of the %(should)s "
                "who should attend: quorum not met"
            )
        if self.passed:
            result = _(
                "%(yes)s in favour (including %(written)s written), more than half of the "
                "%(should)s who should attend: passed"
            )
        elif self.yes_total * 2 > self.should_attend:
            result = _(
                "%(yes)s in favour (including %(written)s written), but without a quorum: "
                "not passed"
            )
        else:
            result = _(
                "%(yes)s in favour (including %(written)s written), not more than half of "
                "the %(should)s who should attend: not passed"
            )
        return str(_("%(quorum)s; %(result)s")) % {
            "quorum": str(quorum) % p,
            "result": str(result) % p,
        }


def _v(rule: str, article: str, message: Any, **params: Any) -> Violation:
    return Violation(rule, article, message, params)


# Messages: English msgids, translated through the zh_Hans catalogue.
MSG = {
    "vote_negative": _("Vote figures cannot be negative."),
    "vote_nobody": _("Nobody with voting rights should attend."),
    "vote_attended": _("%(attended)s present is more than the %(should)s who should attend."),
    "vote_ballots": _("%(votes)s votes cast by %(attended)s members present."),
    "vote_written": _("%(written)s written opinions but only %(absent)s members absent."),
    "vote_missing": _("The vote figures are missing."),
    "vote_quorum": _("No quorum: %(arithmetic)s."),
    "vote_passed": _("The resolution did not pass: %(arithmetic)s."),
    "birth_missing": _("The applicant's date of birth is missing."),
    "age": _("The applicant is under 18 on the application date; 18 on %(date)s."),
    "activist_method": _(
        "An activist is chosen by recommendation of members or of the mass organisations."
    ),
    "activist_decision": _(
        "An activist is decided by the branch committee, or by the branch general meeting "
        "where the branch has no committee."
    ),
    "local_application_age": _(
        "Local rule: the application must be at least %(months)s months old (from %(date)s)."
    ),
    "contacts": _("Name one or two full members as training contacts."),
    "one_year": _("A development target needs one year or more as activist: not before %(date)s."),
    "introducers": _(
        "Two full members are needed as introducers; a probationary member or a member "
        "under probation within the party cannot be one."
    ),
    "training": _("Concentrated training must last at least 3 days or at least 24 class hours."),
    "authority": _(
        "This body cannot approve: general branches, temporary organisations and community "
        "committees pass the approval to the street or district."
    ),
    "approval_limit": _(
        "Approval is due within %(months)s months of the branch meeting, by %(date)s."
    ),
    "extension_once": _("Probation can be extended only once."),
    "extension_length": _("An extension lasts at least 6 months and at most one year."),
    "probation_not_ended": _("Probation ends on %(date)s; conversion cannot be decided before."),
    "no_such_step": _("There is no step %(step)s."),
    "step_order": _("Step %(step)s cannot be recorded now; the next step is %(next)s."),
    "date_order": _("The date is before the previous step's date (%(date)s)."),
    "date_future": _("The date is in the future."),
    "talk_overdue": _("The talk with the applicant was due by %(due)s."),
    "review_overdue": _("The half-year review of the activist was due by %(due)s."),
    "approval_overdue": _("Approval of the admission was due by %(due)s."),
    "conversion_due": _("Probation ended on %(due)s; the conversion meeting is due."),
    "conversion_approval_overdue": _("Approval of the conversion was due by %(due)s."),
}


def vote_result(
    should_attend: int,
    attended: int,
    yes: int,
    no: int,
    abstain: int,
    written_yes: int = 0,
    written_no: int = 0,
) -> VoteResult:
    """Quorum: attended > half of should_attend. Passed: quorum and (yes + written_yes)
    > half of should_attend (NOT of those present). Impossible figures → violations."""
    v: list[Violation] = []
    absent = max(should_attend - attended, 0)
    if min(should_attend, attended, yes, no, abstain, written_yes, written_no) < 0:
        v.append(_v("vote_figures", ART_QUORUM, MSG["vote_negative"]))
    else:
        if should_attend == 0:
            v.append(_v("vote_figures", ART_QUORUM, MSG["vote_nobody"]))
        if attended > should_attend:
            v.append(
                _v(
                    "vote_figures",
                    ART_QUORUM,
                    MSG["vote_attended"],
                    attended=attended,
                    should=should_attend,
                )
            )
        if yes + no + abstain > attended:
            v.append(
                _v(
                    "vote_figures",
                    ART_VOTE,
                    MSG["vote_ballots"],
                    votes=yes + no + abstain,
                    attended=attended,
                )
            )
        if written_yes + written_no > absent:
            v.append(
                _v(
                    "vote_figures",
                    ART_VOTE,
                    MSG["vote_written"],
                    written=written_yes + written_no,
                    absent=absent,
                )
            )
    yes_total = yes + written_yes
    quorum = not v and attended * 2 > should_attend
    passed = quorum and yes_total * 2 > should_attend
    return VoteResult(should_attend, attended, yes_total, written_yes, quorum, passed, tuple(v))


def _vote_violations(data: Mapping[str, Any]) -> list[Violation]:
    figures = data.get("vote")
    if not isinstance(figures, Mapping):
        return [_v("vote_figures", ART_QUORUM, MSG["vote_missing"])]
    keys = ("should_attend", "attended", "yes", "no", "abstain", "written_yes", "written_no")
    result = vote_result(**{k: int(figures.get(k, 0)) for k in keys})
    if result.violations:
        return list(result.violations)
    if not result.quorum_met:
        return [_v("vote_quorum", ART_QUORUM, MSG["vote_quorum"], arithmetic=result)]
    if not result.passed:
        return [_v("vote_passed", ART_VOTE, MSG["vote_passed"], arithmetic=result)]
    return []


# --- per-step checks ---------------------------------------------------------------
def _people(raw: Any) -> list[Person]:
    return [p if isinstance(p, Person) else Person(**dict(p)) for p in raw or ()]


def _check_age(file: File, on: date) -> list[Violation]:
    if file.birth_date is None:
        return [_v("applicant_age", ART_AGE, MSG["birth_missing"])]
    adult_on = add_years(file.birth_date, 18)
    if on < adult_on:
        return [_v("applicant_age", ART_AGE, MSG["age"], date=adult_on.isoformat())]
    return []


def _check_activist(
    file: File, on: date, data: Mapping[str, Any], options: LocalRules
) -> list[Violation]:
    v = []
    if data.get("method") not in ACTIVIST_METHODS:
        v.append(_v("activist_selection", ART_ACTIVIST, MSG["activist_method"]))
    expected = "branch_committee" if data.get("branch_has_committee", True) else "branch_meeting"
    if data.get("decided_by") != expected:
        v.append(_v("activist_decision", ART_ACTIVIST, MSG["activist_decision"]))
    n, app = options.min_months_application_to_activist, file.application_on
    if n is not None and app is not None and on < add_months(app, n):
        v.append(
            _v(
                "local_application_age",
                ART_LOCAL,
                MSG["local_application_age"],
                months=n,
                date=add_months(app, n).isoformat(),
            )
        )
    return v


def _check_contacts(data: Mapping[str, Any]) -> list[Violation]:
    people = _people(data.get("contacts"))
    if 1 <= len(people) <= 2 and all(p.full_member for p in people):
        return []
    return [_v("training_contacts", ART_CONTACTS, MSG["contacts"])]


def _check_target(file: File, on: date) -> list[Violation]:
    activist = file.activist_on
    if activist is not None and on < one_year_after(activist):
        due = one_year_after(activist).isoformat()
        return [_v("activist_one_year", ART_ONE_YEAR, MSG["one_year"], date=due)]
    return []


def _check_introducers(data: Mapping[str, Any]) -> list[Violation]:
    people = _people(data.get("introducers"))
    if len(people) == 2 and all(p.full_member and not p.under_party_probation for p in people):
        return []
    return [_v("introducers_two_full", ART_INTRODUCERS, MSG["introducers"])]


def _check_training(data: Mapping[str, Any]) -> list[Violation]:
    # 不少于 includes the number: 3 days or 24 class hours are enough.
    if (data.get("days") or 0) >= 3 or (data.get("hours") or 0) >= 24:
        return []
    return [_v("training_hours", ART_TRAINING, MSG["training"])]


def _check_approval(
    on: date, meeting: date | None, data: Mapping[str, Any], extendable: bool, article: str
) -> list[Violation]:
    v = []
    body = data.get("approver_type")
    if not body or body in NON_APPROVING_BODIES:
        v.append(_v("approval_authority", ART_APPROVAL, MSG["authority"]))
    if meeting is not None:
        months = 6 if extendable and data.get("limit_extended") else 3
        due = add_months(meeting, months)
        if on > due:  # 以内 includes the last day
            v.append(
                _v(
                    "approval_limit",
                    article,
                    MSG["approval_limit"],
                    months=months,
                    date=due.isoformat(),
                )
            )
    return v


def check_probation_extension(file: File, on: date, extended_to: date | None) -> list[Violation]:
    """One extension only, of at least 6 months and at most one year from the probation end."""
    if file.probation_extended_to is not None:
        return [_v("probation_extension", ART_PROBATION, MSG["extension_once"])]
    end = file.probation_end
    if (
        end is None
        or extended_to is None
        or not (add_months(end, 6) <= extended_to <= one_year_after(end))
    ):
        return [_v("probation_extension", ART_PROBATION, MSG["extension_length"])]
    return []


def _check_conversion_meeting(file: File, on: date, data: Mapping[str, Any]) -> list[Violation]:
    v = _vote_violations(data)
    outcome = data.get("outcome", "convert")
    if outcome == "extend":
        return v + check_probation_extension(file, on, data.get("extended_to"))
    end = file.probation_end
    if outcome == "convert" and end is not None and on < end:
        v.append(
            _v(
                "probation_not_ended",
                ART_PROBATION,
                MSG["probation_not_ended"],
                date=end.isoformat(),
            )
        )
    return v


def check_step(
    file: File,
    step: int,
    on: date,
    data: Mapping[str, Any] | None = None,
    *,
    today: date,
    options: LocalRules = LocalRules(),  # frozen, immutable default
) -> list[Violation]:
    """Violations of recording ``step`` on date ``on`` with ``data``; empty means allowed."""
    data = data or {}
    if step not in STEP_BY_NUMBER:
        return [_v("step_order", ART_ORDER, MSG["no_such_step"], step=step)]
    if step != file.next_step:
        return [
            _v("step_order", ART_ORDER, MSG["step_order"], step=step, next=file.next_step or "-")
        ]
    previous = file.done(file.last_step)
    if previous is not None and on < previous:
        return [_v("date_order", ART_ORDER, MSG["date_order"], date=previous.isoformat())]
    if on > today:
        return [_v("date_future", ART_ORDER, MSG["date_future"])]
    if step == 1:
        return _check_age(file, on)
    if step == 3:
        return _check_activist(file, on, data, options)
    if step == 5:
        return _check_contacts(data)
    if step == 7:
        return _check_target(file, on)
    if step == 9:
        return _check_introducers(data)
    if step == 11:
        return _check_training(data)
    if step == 15:
        return _vote_violations(data)
    if step == 17:
        return _check_approval(on, file.done(15), data, True, ART_APPROVAL)
    if step == 23:
        return _check_conversion_meeting(file, on, data)
    if step == 24:
        return _check_approval(on, file.done(23), data, False, ART_CONVERSION)
    return []


# --- deadlines (flags, never refusals) ------------------------------------------------
def overdue_items(file: File, today: date) -> list[OverdueItem]:
    """Deadlines passed (``today`` after the due date) or met late."""
    items: list[OverdueItem] = []
    app, talk = file.done(1), file.done(2)
    if app is not None:
        due = add_months(app, 1)  # 一个月内 includes the last day
        if (talk is None and today > due) or (talk is not None and talk > due):
            items.append(
                OverdueItem("talk_within_one_month", ART_TALK, MSG["talk_overdue"], due, talk)
            )
    activist = file.activist_on
    if activist is not None and file.target_on is None:
        due = add_months(max([activist, *file.activist_reviews]), 6)
        if today > due:
            items.append(OverdueItem("half_year_review", ART_REVIEW, MSG["review_overdue"], due))
    meeting, approved = file.done(15), file.done(17)
    if meeting is not None and approved is None and today > add_months(meeting, 3):
        items.append(
            OverdueItem(
                "approval_limit", ART_APPROVAL, MSG["approval_overdue"], add_months(meeting, 3)
            )
        )
    end, conv = file.probation_end, file.done(23)
    if end is not None and approved is not None and conv is None and today > end:
        items.append(OverdueItem("conversion_due", ART_PROBATION, MSG["conversion_due"], end))
    if conv is not None and file.done(24) is None and today > add_months(conv, 3):
        items.append(
            OverdueItem(
                "approval_limit",
                ART_CONVERSION,
                MSG["conversion_approval_overdue"],
                add_months(conv, 3),
            )
        )
    return items


# --- what is next, and by when -------------------------------------------------------
@dataclass(frozen=True)
class Deadline:
    """The next step's date window: ``due`` (by then at the latest) and/or ``not_before``."""

    step: int
    due: date | None = None
    not_before: date | None = None


def next_deadline(file: File) -> Deadline | None:
    """The window of the file's next step, from the rules above (None: nothing left)."""
    step = file.next_step
    if step is None:
        return None
    if step == 2 and file.application_on is not None:
        return Deadline(step, due=add_months(file.application_on, 1))
    if 4 <= step <= 7 and file.activist_on is not None:
        review = add_months(max([file.activist_on, *file.activist_reviews]), 6)
        earliest = one_year_after(file.activist_on)
        if step == 7:
            return Deadline(step, due=review if review < earliest else None, not_before=earliest)
        return Deadline(step, due=review)
    meeting = file.admission_meeting_on
    if 16 <= step <= 17 and meeting is not None:
        return Deadline(step, due=add_months(meeting, 3))
    if 18 <= step <= 23 and file.probation_end is not None:
        if step == 23:  # conversion is decided when probation has ended, on time
            return Deadline(step, due=file.probation_end, not_before=file.probation_end)
        # 18–22 (filing, assignment, oath, continued education, the written application)
        # all fall within probation: its end is their latest date, so the end of probation
        # is on the to-do list whatever step the file is at (issue 4 item 4)
        return Deadline(step, due=file.probation_end)
    if step == 24 and file.done(23) is not None:
        return Deadline(step, due=add_months(file.done(23), 3))
    return Deadline(step)


# --- where the file stands --------------------------------------------------------------
@dataclass(frozen=True)
class Standing:
    """Where a file stands on ``today`` (what services.refresh_file stores on Applicant).

    * ``last_step``: the highest step done (0: none).
    * ``phase``: the phase of the last step done (1 before any step).
    * ``next_due``: the next step's due date from :func:`next_deadline` (None: no limit).
    * ``overdue``: a deadline has passed with its step still not done (a step done late is
      history, not overdue).
    * ``overdue_since``: the first day overdue — the day after the earliest open due date.
    """

    last_step: int
    phase: int
    next_due: date | None
    overdue: bool
    overdue_since: date | None


def standing(file: File, today: date) -> Standing:
    """The file's standing on ``today``, built on :func:`next_deadline` and
    :func:`overdue_items` (only items still open count as overdue)."""
    last = file.last_step
    phase = STEP_BY_NUMBER[last].phase if last else 1
    deadline = next_deadline(file)
    open_items = [i for i in overdue_items(file, today) if i.done_on is None]
    since = min(i.due for i in open_items) + timedelta(days=1) if open_items else None
    return Standing(
        last_step=last,
        phase=phase,
        next_due=deadline.due if deadline else None,
        overdue=bool(open_items),
        overdue_since=since,
    )
