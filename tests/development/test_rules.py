"""Pure tests of the admission rules (DOMAIN.md §6) — no database."""

from datetime import date, timedelta

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from tongxin.development.rules import (
    LAST_STEP,
    NON_APPROVING_BODIES,
    PHASES,
    STEPS,
    File,
    LocalRules,
    Person,
    StepRecord,
    add_months,
    add_years,
    check_probation_extension,
    check_step,
    one_year_after,
    overdue_items,
    probation_end,
    vote_result,
)

D = date
DAY = timedelta(days=1)
TODAY = D(2030, 1, 1)
FULL = Person("full")
PROBATIONARY = Person("probationary", full_member=False)
DISCIPLINED = Person("discipline", under_party_probation=True)
GOOD_VOTE = {"should_attend": 12, "attended": 9, "yes": 8, "no": 1, "abstain": 0}

HAPPY = {
    1: (D(2022, 1, 10), {}),
    2: (D(2022, 1, 20), {}),
    3: (
        D(2022, 3, 1),
        {"method": "member_recommendation", "decided_by": "branch_committee"},
    ),
    4: (D(2022, 3, 5), {}),
    5: (D(2022, 3, 6), {"contacts": [FULL]}),
    6: (D(2022, 9, 1), {}),
    7: (D(2023, 3, 1), {}),
    8: (D(2023, 3, 5), {}),
    9: (D(2023, 3, 10), {"introducers": [FULL, FULL]}),
    10: (D(2023, 4, 1), {}),
    11: (D(2023, 4, 10), {"days": 3}),
    12: (D(2023, 5, 1), {}),
    13: (D(2023, 5, 10), {}),
    14: (D(2023, 5, 15), {}),
    15: (D(2023, 6, 1), {"vote": GOOD_VOTE}),
    16: (D(2023, 6, 10), {}),
    17: (D(2023, 7, 1), {"approver_type": "street_working_committee"}),
    18: (D(2023, 7, 10), {}),
    19: (D(2023, 7, 15), {}),
    20: (D(2023, 7, 20), {}),
    21: (D(2023, 12, 1), {}),
    22: (D(2024, 5, 20), {}),
    23: (D(2024, 6, 1), {"vote": GOOD_VOTE, "outcome": "convert"}),
    24: (D(2024, 7, 1), {"approver_type": "street_working_committee"}),
    25: (D(2024, 7, 10), {}),
}


def file_upto(n: int, birth=D(2000, 1, 1), **dates) -> File:
    """A file with steps 1..n done on the happy-path dates (override with s3=date...)."""
    steps = {}
    for k in range(1, n + 1):
        on, data = HAPPY[k]
        steps[k] = StepRecord(dates.get(f"s{k}", on), data)
    return File(birth_date=birth, steps=steps)


def codes(violations) -> list[str]:
    return [v.rule for v in violations]


def check(file, step, on, data=None, **kw):
    return codes(check_step(file, step, on, data or {}, today=kw.pop("today", TODAY), **kw))


# --- tables and dates ------------------------------------------------------------------
def test_steps_table():
    assert [s.number for s in STEPS] == list(range(1, 26)) and LAST_STEP == 25
    assert [p.number for p in PHASES] == [1, 2, 3, 4, 5]
    assert [len([s for s in STEPS if s.phase == p.number]) for p in PHASES] == [2, 4, 5, 7, 7]
    assert len({s.code for s in STEPS}) == 25
    assert STEPS[14].name_zh == "支部大会讨论" and STEPS[22].name_zh == "支部大会讨论"


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2024, 1, 15), 1, D(2024, 2, 15)),
        (D(2024, 11, 30), 3, D(2025, 2, 28)),
        (D(2024, 3, 31), -1, D(2024, 2, 29)),
        (D(2024, 12, 31), 12, D(2025, 12, 31)),
    ],
)
def test_add_months(start, n, expected):
    assert add_months(start, n) == expected


def test_add_years_and_leap_day():
    assert add_years(D(2024, 2, 29), 1) == D(2025, 2, 28)
    assert add_years(D(2024, 2, 29), 4) == D(2028, 2, 29)
    assert one_year_after(D(2023, 3, 10)) == D(2024, 3, 10)
    assert probation_end(D(2024, 2, 29)) == D(2025, 2, 28)


# --- rule 1: age ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("birth", "on", "ok"),
    [
        (D(2006, 5, 10), D(2024, 5, 9), False),
        (D(2006, 5, 10), D(2024, 5, 10), True),
        (D(2006, 5, 10), D(2024, 5, 11), True),
        (D(2004, 2, 29), D(2022, 2, 27), False),
        (D(2004, 2, 29), D(2022, 2, 28), True),
        (D(2004, 2, 29), D(2022, 3, 1), True),
    ],
)
def test_age_18_on_application_date(birth, on, ok):
    assert check(File(birth_date=birth), 1, on) == ([] if ok else ["applicant_age"])


def test_age_missing_birth_date():
    assert check(File(), 1, D(2024, 1, 1)) == ["applicant_age"]


# --- rule 12: order and dates --------------------------------------------------------
@pytest.mark.parametrize(("done", "step"), [(0, 2), (1, 3), (1, 1), (6, 8), (6, 5), (25, 25)])
def test_step_out_of_order_is_step_order_only(done, step):
    assert check(file_upto(done), step, D(2029, 1, 1)) == ["step_order"]


@pytest.mark.parametrize("step", [0, 26, -1])
def test_unknown_step(step):
    assert check(file_upto(3), step, D(2029, 1, 1)) == ["step_order"]


@pytest.mark.parametrize(("delta", "expected"), [(-1, ["date_order"]), (0, []), (1, [])])
def test_date_not_before_previous_step(delta, expected):
    f = file_upto(3)
    assert check(f, 4, HAPPY[3][0] + delta * DAY) == expected


@pytest.mark.parametrize(("delta", "expected"), [(-1, []), (0, []), (1, ["date_future"])])
def test_date_not_in_future(delta, expected):
    today = D(2022, 3, 10)
    assert check(file_upto(3), 4, today + delta * DAY, today=today) == expected


# --- rule 2: talk within one month (a flag, not a refusal) ------------------------------
def test_late_talk_is_allowed():
    assert check(file_upto(1), 2, D(2023, 1, 1)) == []


@pytest.mark.parametrize(
    ("today", "flagged"), [(D(2024, 2, 28), False), (D(2024, 2, 29), False), (D(2024, 3, 1), True)]
)
def test_talk_overdue_when_not_done(today, flagged):
    f = File(birth_date=D(2000, 1, 1), steps={1: StepRecord(D(2024, 1, 31))})
    items = [i for i in overdue_items(f, today) if i.rule == "talk_within_one_month"]
    assert bool(items) == flagged
    if items:
        assert items[0].due == D(2024, 2, 29) and items[0].done_on is None


@pytest.mark.parametrize(
    ("talk", "flagged"), [(D(2024, 2, 28), False), (D(2024, 2, 29), False), (D(2024, 3, 1), True)]
)
def test_talk_done_late_stays_flagged(talk, flagged):
    f = File(steps={1: StepRecord(D(2024, 1, 31)), 2: StepRecord(talk)})
    items = [i for i in overdue_items(f, D(2025, 1, 1)) if i.rule == "talk_within_one_month"]
    assert bool(items) == flagged
    if items:
        assert items[0].done_on == talk


# --- rule 3: activist ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"method": "member_recommendation", "decided_by": "branch_committee"}, []),
        ({"method": "mass_organisation_recommendation", "decided_by": "branch_committee"}, []),
        ({"method": "self", "decided_by": "branch_committee"}, ["activist_selection"]),
        ({"decided_by": "branch_committee"}, ["activist_selection"]),
        (
            {"method": "member_recommendation", "decided_by": "branch_meeting"},
            ["activist_decision"],
        ),
        (
            {
                "method": "member_recommendation",
                "decided_by": "branch_meeting",
                "branch_has_committee": False,
            },
            [],
        ),
        (
            {
                "method": "member_recommendation",
                "decided_by": "branch_committee",
                "branch_has_committee": False,
            },
            ["activist_decision"],
        ),
    ],
)
def test_activist_selection_and_decision(data, expected):
    assert check(file_upto(2), 3, D(2022, 3, 1), data) == expected


@pytest.mark.parametrize(
    ("on", "ok"), [(D(2022, 7, 9), False), (D(2022, 7, 10), True), (D(2022, 7, 11), True)]
)
def test_local_rule_application_six_months_old(on, ok):
    data = HAPPY[3][1]
    assert check(file_upto(2), 3, on, data) == []  # off by default
    local = LocalRules(min_months_application_to_activist=6)
    assert check(file_upto(2), 3, on, data, options=local) == (
        [] if ok else ["local_application_age"]
    )


# --- rule 4: training contacts and half-year reviews ----------------------------------------
@pytest.mark.parametrize(
    ("contacts", "ok"),
    [
        ([], False),
        ([FULL], True),
        ([FULL, FULL], True),
        ([FULL, FULL, FULL], False),
        ([FULL, PROBATIONARY], False),
        ([{"name": "x", "full_member": True}], True),
    ],
)
def test_training_contacts(contacts, ok):
    assert check(file_upto(4), 5, D(2022, 3, 6), {"contacts": contacts}) == (
        [] if ok else ["training_contacts"]
    )


@pytest.mark.parametrize(
    ("today", "flagged"), [(D(2022, 8, 31), False), (D(2022, 9, 1), False), (D(2022, 9, 2), True)]
)
def test_half_year_review_overdue(today, flagged):
    f = file_upto(5)  # activist on 2022-03-01
    f.activist_reviews = [D(2022, 3, 1)]
    assert ("half_year_review" in codes(overdue_items(f, today))) == flagged
    f.activist_reviews.append(D(2022, 8, 1))
    assert "half_year_review" not in codes(overdue_items(f, D(2022, 9, 2)))


# --- rule 5: one year or more as activist ------------------------------------------------
@pytest.mark.parametrize(
    ("activist", "target", "ok"),
    [
        (D(2022, 3, 10), D(2023, 3, 9), False),
        (D(2022, 3, 10), D(2023, 3, 10), True),
        (D(2022, 3, 10), D(2023, 3, 11), True),
        (D(2024, 2, 29), D(2025, 2, 27), False),
        (D(2024, 2, 29), D(2025, 2, 28), True),
        (D(2024, 2, 29), D(2025, 3, 1), True),
    ],
)
def test_development_target_after_one_year(activist, target, ok):
    f = file_upto(6, s3=activist, s4=activist, s5=activist, s6=activist)
    assert check(f, 7, target) == ([] if ok else ["activist_one_year"])


# --- rule 6: introducers ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("introducers", "ok"),
    [
        ([FULL], False),
        ([FULL, FULL], True),
        ([FULL, FULL, FULL], False),
        ([FULL, PROBATIONARY], False),
        ([FULL, DISCIPLINED], False),
        ([], False),
    ],
)
def test_two_full_member_introducers(introducers, ok):
    assert check(file_upto(8), 9, D(2023, 3, 10), {"introducers": introducers}) == (
        [] if ok else ["introducers_two_full"]
    )


# --- rule 7: concentrated training ------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "ok"),
    [
        ({"days": 2}, False),
        ({"days": 3}, True),
        ({"days": 4}, True),
        ({"hours": 23}, False),
        ({"hours": 24}, True),
        ({"hours": 25}, True),
        ({"days": 2, "hours": 23}, False),
        ({}, False),
    ],
)
def test_training_three_days_or_24_hours(data, ok):
    assert check(file_upto(10), 11, D(2023, 4, 10), data) == ([] if ok else ["training_hours"])


# --- rule 8: the vote -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("attended", "yes", "written_yes", "quorum", "passed"),
    [
        (6, 6, 0, False, False),  # 6 of 12 is not more than half
        (7, 6, 0, True, False),  # quorum, 6 yes = exactly half → fails
        (7, 7, 0, True, True),
        (8, 6, 1, True, True),  # a written opinion of an absentee counts
        (8, 5, 1, True, False),
        (12, 6, 0, True, False),  # majority of those present is not enough
        (6, 5, 2, False, False),  # 7 yes with written opinions, but no quorum
    ],
)
def test_vote_table_twelve_should_attend(attended, yes, written_yes, quorum, passed):
    r = vote_result(12, attended, yes, attended - yes, 0, written_yes=written_yes)
    assert (r.quorum_met, r.passed, r.violations) == (quorum, passed, ())


def test_vote_odd_roster():
    assert not vote_result(11, 5, 5, 0, 0).quorum_met
    r = vote_result(11, 6, 6, 0, 0)
    assert r.quorum_met and r.passed
    assert not vote_result(11, 6, 5, 1, 0).passed


@pytest.mark.parametrize(
    "figures",
    [
        (12, 13, 7, 0, 0, 0, 0),  # attended more than should attend
        (12, 7, 7, 1, 0, 0, 0),  # more votes than voters
        (12, 7, 5, 0, 0, 6, 0),  # written opinions from more than the absentees
        (12, 7, -1, 0, 0, 0, 0),
        (0, 0, 0, 0, 0, 0, 0),
    ],
)
def test_vote_impossible_figures(figures):
    r = vote_result(*figures)
    assert r.violations and {v.rule for v in r.violations} == {"vote_figures"}
    assert not r.quorum_met and not r.passed


def test_vote_arithmetic_in_plain_words():
    with translation.override("en"):
        text = vote_result(12, 7, 6, 0, 0, written_yes=1).arithmetic
    assert text == (
        "7 present, more than half (6) of the 12 who should attend: quorum met; "
        "7 in favour (including 1 written), more than half of the 12 who should attend: passed"
    )
    with translation.override("en"):
        assert "quorum not met" in vote_result(12, 6, 6, 0, 0).arithmetic
        assert "(5.5)" in vote_result(11, 6, 6, 0, 0).arithmetic
        assert "without a quorum" in vote_result(12, 6, 5, 0, 0, written_yes=2).arithmetic


@st.composite
def valid_votes(draw):
    should = draw(st.integers(1, 200))
    attended = draw(st.integers(0, should))
    yes = draw(st.integers(0, attended))
    no = draw(st.integers(0, attended - yes))
    abstain = draw(st.integers(0, attended - yes - no))
    written_yes = draw(st.integers(0, should - attended))
    written_no = draw(st.integers(0, should - attended - written_yes))
    return should, attended, yes, no, abstain, written_yes, written_no


@given(valid_votes())
def test_vote_properties(figures):
    should, attended, yes, _no, _abstain, written_yes, _wn = figures
    r = vote_result(*figures)
    assert r.violations == ()
    assert r.quorum_met == (2 * attended > should)
    assert r.passed == (r.quorum_met and 2 * (yes + written_yes) > should)
    # passed implies quorum only because quorum is required: written opinions alone can
    # give a yes majority without a quorum (tested in the table). Present yes votes alone
    # over half of should_attend do imply the quorum, since yes <= attended.
    if 2 * yes > should:
        assert r.quorum_met and r.passed
    assert r.arithmetic


@pytest.mark.parametrize(
    ("vote", "expected"),
    [
        (GOOD_VOTE, []),
        ({"should_attend": 12, "attended": 6, "yes": 6}, ["vote_quorum"]),
        ({"should_attend": 12, "attended": 7, "yes": 6, "no": 1}, ["vote_passed"]),
        ({"should_attend": 12, "attended": 13, "yes": 7}, ["vote_figures"]),
        (None, ["vote_figures"]),
    ],
)
def test_admission_meeting_step_uses_the_vote(vote, expected):
    assert check(file_upto(14), 15, D(2023, 6, 1), {"vote": vote}) == expected


# --- rule 9: approval ------------------------------------------------------------------
@pytest.mark.parametrize("body", [*sorted(NON_APPROVING_BODIES), None])
def test_approval_authority(body):
    assert check(file_upto(16), 17, D(2023, 7, 1), {"approver_type": body}) == [
        "approval_authority"
    ]


@pytest.mark.parametrize(
    ("on", "extended", "ok"),
    [
        (D(2023, 8, 31), False, True),
        (D(2023, 9, 1), False, True),  # meeting 2023-06-01 + 3 months
        (D(2023, 9, 2), False, False),
        (D(2023, 9, 2), True, True),
        (D(2023, 12, 1), True, True),  # + 6 months
        (D(2023, 12, 2), True, False),
    ],
)
def test_approval_within_three_months_extendable_to_six(on, extended, ok):
    f = file_upto(16, s16=D(2023, 6, 10))
    data = {"approver_type": "district_committee", "limit_extended": extended}
    assert check(f, 17, on, data) == ([] if ok else ["approval_limit"])


@pytest.mark.parametrize(("today", "flagged"), [(D(2023, 9, 1), False), (D(2023, 9, 2), True)])
def test_approval_overdue_flag(today, flagged):
    assert ("approval_limit" in codes(overdue_items(file_upto(16), today))) == flagged


# --- rules 10 and 11: probation, extension, conversion -------------------------------------
@pytest.mark.parametrize(
    ("meeting", "conversion", "ok"),
    [
        (D(2023, 6, 1), D(2024, 5, 31), False),
        (D(2023, 6, 1), D(2024, 6, 1), True),
        (D(2023, 6, 1), D(2024, 6, 2), True),
        (D(2024, 2, 29), D(2025, 2, 27), False),
        (D(2024, 2, 29), D(2025, 2, 28), True),
    ],
)
def test_conversion_not_before_probation_end(meeting, conversion, ok):
    early = {f"s{k}": meeting for k in range(15, 23)}
    f = file_upto(22, **early)
    data = {"vote": GOOD_VOTE, "outcome": "convert"}
    assert check(f, 23, conversion, data) == ([] if ok else ["probation_not_ended"])


@pytest.mark.parametrize(
    ("extended_to", "ok"),
    [
        (D(2024, 11, 30), False),
        (D(2024, 12, 1), True),  # end 2024-06-01 + 6 months
        (D(2024, 12, 2), True),
        (D(2025, 5, 31), True),
        (D(2025, 6, 1), True),  # + one year
        (D(2025, 6, 2), False),
        (None, False),
    ],
)
def test_one_extension_of_six_to_twelve_months(extended_to, ok):
    f = file_upto(22)
    data = {"vote": GOOD_VOTE, "outcome": "extend", "extended_to": extended_to}
    assert check(f, 23, D(2024, 6, 1), data) == ([] if ok else ["probation_extension"])


def test_extension_only_once_and_moves_probation_end():
    f = file_upto(22)
    assert check_probation_extension(f, D(2024, 6, 1), D(2025, 1, 1)) == []
    f.probation_extended_to = D(2025, 1, 1)
    assert f.probation_end == D(2025, 1, 1)
    assert codes(check_probation_extension(f, D(2025, 1, 1), D(2025, 7, 1))) == [
        "probation_extension"
    ]
    data = {"vote": GOOD_VOTE, "outcome": "convert"}
    assert check(f, 23, D(2024, 12, 31), data) == ["probation_not_ended"]
    assert check(f, 23, D(2025, 1, 1), data) == []


def test_conversion_meeting_same_vote_thresholds():
    data = {"vote": {"should_attend": 12, "attended": 7, "yes": 6, "no": 1}}
    assert check(file_upto(22), 23, D(2024, 6, 1), data) == ["vote_passed"]


@pytest.mark.parametrize(
    ("on", "ok"), [(D(2024, 8, 31), True), (D(2024, 9, 1), True), (D(2024, 9, 2), False)]
)
def test_conversion_approval_within_three_months(on, ok):
    data = {"approver_type": "street_working_committee", "limit_extended": True}
    assert check(file_upto(23), 24, on, data) == ([] if ok else ["approval_limit"])
    assert check(file_upto(23), 24, on, {"approver_type": "general_branch"})[0] == (
        "approval_authority"
    )


@pytest.mark.parametrize(("today", "flagged"), [(D(2024, 6, 1), False), (D(2024, 6, 2), True)])
def test_conversion_due_flag(today, flagged):
    assert ("conversion_due" in codes(overdue_items(file_upto(22), today))) == flagged


# --- the whole path --------------------------------------------------------------------
def test_happy_path_application_to_archive():
    f = File(birth_date=D(2000, 1, 1))
    for step in range(1, 26):
        on, data = HAPPY[step]
        assert check_step(f, step, on, data, today=TODAY) == [], step
        f.steps[step] = StepRecord(on, data)
    assert f.next_step is None
    assert overdue_items(f, TODAY) == []


def test_violation_renders_message_and_article():
    v = check_step(file_upto(6), 7, D(2022, 12, 1), {}, today=TODAY)[0]
    with translation.override("en"):
        assert v.as_dict() == {
            "rule": "activist_one_year",
            "article": v.article,
            "message": "A development target needs one year or more as activist: "
            "not before 2023-03-01.",
        }
    assert check_step(file_upto(0), 1, D(2010, 1, 1), {}, today=TODAY)[0].article == (
        "《中国共产党发展党员工作细则》第五条"
    )


def test_vote_messages_render_the_arithmetic_lazily():
    data = {"vote": {"should_attend": 12, "attended": 6, "yes": 6}}
    (v,) = check_step(file_upto(14), 15, D(2023, 6, 1), data, today=TODAY)
    with translation.override("en"):
        assert v.text.startswith("No quorum: 6 present, not more than half (6) of the 12")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_message_renders(language):
    found = []
    found += check_step(File(), 1, D(2020, 1, 1), {}, today=TODAY)
    found += check_step(file_upto(2), 3, D(2022, 3, 1), {}, today=TODAY)
    found += check_step(file_upto(3), 7, D(2022, 3, 1), {}, today=TODAY)
    found += check_step(file_upto(3), 4, D(2022, 2, 1), {}, today=TODAY)
    found += check_step(file_upto(16), 17, D(2024, 1, 1), {}, today=TODAY)
    found += check_step(file_upto(22), 23, D(2024, 1, 1), {"vote": GOOD_VOTE}, today=TODAY)
    found += list(vote_result(12, 13, 14, 0, 0, 1, 0).violations)
    with translation.override(language):
        assert all(v.text and v.article for v in found)
        assert all(i.text for i in overdue_items(file_upto(16), TODAY))
        assert str(vote_result(12, 7, 7, 0, 0))


# --- standing() (helper H1) ---------------------------------------------------------------
from tongxin.development.rules import Standing, standing  # noqa: E402


def _file(steps: dict[int, date], **kw) -> File:
    return File(birth_date=D(1990, 1, 1), steps={n: StepRecord(d) for n, d in steps.items()}, **kw)


def test_standing_of_an_empty_file():
    assert standing(File(), D(2024, 1, 1)) == Standing(0, 1, None, False, None)


@pytest.mark.parametrize(
    "today, overdue, since",
    [
        (D(2024, 2, 9), False, None),  # the day before the talk is due
        (D(2024, 2, 10), False, None),  # the due day itself (一个月内 includes it)
        (D(2024, 2, 11), True, D(2024, 2, 11)),  # the day after
    ],
)
def test_standing_talk_due_boundaries(today, overdue, since):
    now = standing(_file({1: D(2024, 1, 10)}), today)
    assert now == Standing(1, 1, D(2024, 2, 10), overdue, since)


def test_standing_a_late_talk_is_history_not_overdue():
    now = standing(_file({1: D(2024, 1, 10), 2: D(2024, 3, 1)}), D(2024, 3, 2))
    assert (now.last_step, now.overdue, now.overdue_since) == (2, False, None)
    assert now.phase == 1


def test_standing_phase_is_that_of_the_last_step_done():
    steps = {n: D(2020, 1, 1) + timedelta(days=n) for n in range(1, 8)}
    now = standing(_file(steps), D(2020, 2, 1))
    assert (now.last_step, now.phase) == (7, 3)
    steps = {n: D(2020, 1, 1) + timedelta(days=n) for n in range(1, 20)}
    assert standing(_file(steps), D(2020, 2, 1)).phase == 5


def test_standing_approval_overdue_since_the_day_after_three_months():
    steps = {n: D(2023, 1, 1) + timedelta(days=n) for n in range(1, 16)}
    meeting = steps[15]
    due = add_months(meeting, 3)
    assert standing(_file(steps), due) == Standing(15, 4, due, False, None)
    assert standing(_file(steps), due + DAY) == Standing(15, 4, due, True, due + DAY)


def test_standing_earliest_open_item_gives_overdue_since():
    # talk never held and the activist review overdue: the talk is the earlier item
    file = _file({1: D(2024, 1, 10)})
    assert standing(file, D(2025, 1, 1)).overdue_since == D(2024, 2, 11)


def test_standing_conversion_due_after_extension():
    steps = {n: D(2023, 1, 1) + timedelta(days=n) for n in range(1, 23)}
    end = one_year_after(steps[15])
    extended = add_months(end, 6)
    file = _file(steps, probation_extended_to=extended)
    now = standing(file, extended)
    assert (now.next_due, now.overdue) == (extended, False)
    assert standing(file, extended + DAY).overdue_since == extended + DAY


def test_standing_finished_file_has_nothing_due():
    steps = {n: D(2020, 1, 1) + timedelta(days=n) for n in range(1, 26)}
    assert standing(_file(steps), D(2030, 1, 1)) == Standing(25, 5, None, False, None)
