"""Pure rules of study and education: bounds day before / on / after each limit."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.test import override_settings
from django.utils import translation

from tongxin.education import rules
from tongxin.education.access import ancestors

TODAY = date(2026, 7, 15)


@pytest.mark.parametrize(
    ("hours", "ok"),
    [
        (D("0"), False),
        (D("0.4"), False),
        (D("0.5"), True),
        (D("1.5"), True),
        (D("1.25"), False),
        (D("24"), True),
        (D("24.5"), False),
        (D("-1"), False),
        (None, False),
    ],
)
def test_record_hours_bounds(hours, ok):
    assert (rules.record_hours_errors(hours) == []) is ok


@pytest.mark.parametrize(
    ("hours", "ok"),
    [(D("-0.5"), False), (D("0"), True), (D("12"), True), (D("1000"), True), (D("1000.5"), False)],
)
def test_required_hours_bounds(hours, ok):
    assert (rules.required_hours_errors(hours) == []) is ok


@pytest.mark.parametrize(
    ("on", "ok"),
    [
        (date(2026, 7, 14), True),
        (date(2026, 7, 15), True),
        (date(2026, 7, 16), False),
        (None, False),
    ],
)
def test_no_future_records(on, ok):
    assert (rules.past_date_errors(on, TODAY) == []) is ok


def test_period_end_before_start():
    translation.activate("en")
    assert rules.period_errors(date(2026, 1, 2), date(2026, 1, 1)) == {
        "ends_on": ["The end date is before the start date."]
    }
    assert rules.period_errors(date(2026, 1, 1), date(2026, 1, 1)) == {}


@pytest.mark.parametrize(
    ("hours", "required", "expected"),
    [
        (D("0"), D("12"), D("0")),
        (D("6"), D("12"), D("0.5")),
        (D("11.5"), D("12"), D("11.5") / D("12")),
        (D("12"), D("12"), D("1")),
        (D("30"), D("12"), D("1")),
        (D("0"), D("0"), D("1")),
    ],
)
def test_progress_is_hours_over_required_capped(hours, required, expected):
    assert rules.progress(hours, required) == expected


def test_percent_rounds_down():
    assert rules.percent(D("11.5") / D("12")) == 95
    assert rules.percent(D("0.999")) == 99
    assert rules.percent(D("1")) == 100


POLICY = rules.TrainingPolicy()


@pytest.mark.parametrize(
    ("hours", "trainings", "due"),
    [
        (D("55.5"), 1, True),
        (D("56"), 1, False),
        (D("56.5"), 1, False),
        (D("80"), 0, True),
        (D("0"), 0, True),
    ],
)
def test_secretary_training_due(hours, trainings, due):
    reasons = rules.secretary_training_due(hours=hours, trainings=trainings, policy=POLICY)
    assert bool(reasons) is due


def test_due_reasons_name_both_shortfalls():
    translation.activate("en")
    reasons = rules.secretary_training_due(hours=D("8"), trainings=0, policy=POLICY)
    assert len(reasons) == 2
    assert "8" in reasons[0] and "56" in reasons[0]


def test_policy_defaults_are_the_plan_figures():
    policy = rules.policy_from_settings()
    assert policy.member_hours == D("32")
    assert policy.secretary_hours == D("56")
    assert policy.secretary_trainings == 1


def test_policy_is_configurable():
    with override_settings(
        TONGXIN={"EDUCATION_SECRETARY_HOURS": 40, "EDUCATION_MEMBER_HOURS": "24"}
    ):
        policy = rules.policy_from_settings()
    assert policy.secretary_hours == D("40")
    assert policy.member_hours == D("24")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1.5", D("1.5")), (2, D("2")), (1.5, D("1.5")), ("x", None), ("NaN", None), (True, None)],
)
def test_parse_hours(raw, expected):
    assert rules.parse_hours(raw) == expected


def test_ancestors():
    assert ancestors("00000001/00000042/00000100/") == [
        "00000001/",
        "00000001/00000042/",
        "00000001/00000042/00000100/",
    ]
