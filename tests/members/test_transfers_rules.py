"""The transfer state machine table and the letter/dues/floating rules (pure, DOMAIN.md §4.4)."""

from datetime import date

import pytest
from django.utils import translation

from tongxin.members.rules import transfers as rules

EXPECTED = {
    ("requested", "approve"): ("approved", {"sending"}),
    ("requested", "reject"): ("rejected", {"sending"}),
    ("requested", "withdraw"): ("withdrawn", {"member", "sending"}),
    ("approved", "receive"): ("received", {"receiving"}),
    ("approved", "return"): ("returned", {"receiving"}),
    ("approved", "withdraw"): ("withdrawn", {"member", "sending"}),
    ("approved", "expire"): ("expired", {"system"}),
    ("returned", "approve"): ("approved", {"sending"}),
    ("returned", "withdraw"): ("withdrawn", {"sending"}),
}


@pytest.mark.parametrize("state", rules.STATES)
@pytest.mark.parametrize("action", rules.ACTIONS)
def test_every_state_and_action(state, action):
    expected = EXPECTED.get((state, action))
    if expected:
        assert rules.next_state(state, action) == expected[0]
        assert rules.TRANSITIONS[(state, action)][1] == expected[1]
        assert rules.transition_error(state, action) is None
    else:
        assert rules.next_state(state, action) is None
        message = rules.transition_error(state, action)
        assert message and str(rules.STATE_LABELS[state]) in message
        assert str(rules.PAST[action]) in message


def test_terminal_states_allow_nothing():
    for state in ("received", "rejected", "withdrawn", "expired"):
        assert state in rules.TERMINAL
        assert all(rules.next_state(state, a) is None for a in rules.ACTIONS)
    assert rules.OPEN == {"requested", "approved", "returned"}


@pytest.mark.parametrize(
    "state,kind,sides,allowed",
    [
        ("requested", "within", {"member"}, ["withdraw"]),
        ("requested", "within", {"sending"}, ["approve", "reject", "withdraw"]),
        ("requested", "within", {"receiving"}, []),
        ("approved", "within", {"receiving"}, ["return", "receive"]),
        ("approved", "within", {"sending"}, ["withdraw"]),
        ("approved", "within", {"member"}, ["withdraw"]),
        # outward: the receiving side is outside, the sending side records its answer
        ("approved", "outward", {"sending"}, ["withdraw", "return", "receive"]),
        ("returned", "within", {"member"}, []),
        ("returned", "within", {"sending"}, ["approve", "withdraw"]),
        ("received", "within", {"member", "sending", "receiving"}, []),
        ("approved", "within", set(), []),
    ],
)
def test_allowed_actions_by_side(state, kind, sides, allowed):
    assert rules.allowed_actions(state, kind, sides) == allowed


def test_letter_validity_boundaries():
    issued = date(2026, 1, 1)
    expires = rules.letter_expires_on(issued, 90)
    assert expires == date(2026, 3, 31)  # the issue day is day 1
    assert not rules.is_expired(expires, date(2026, 3, 30))  # day before
    assert not rules.is_expired(expires, date(2026, 3, 31))  # the expiry day itself
    assert rules.is_expired(expires, date(2026, 4, 1))  # the day after
    assert rules.letter_expires_on(issued, 1) == issued
    assert not rules.is_expired(None, date(2030, 1, 1))
    with pytest.raises(ValueError):
        rules.letter_expires_on(issued, 0)


def test_valid_days_bounds():
    assert rules.valid_days_error(1) is None and rules.valid_days_error(365) is None
    assert rules.valid_days_error(0) and rules.valid_days_error(366)


def test_unpaid_months_named_up_to_the_letter_month():
    ledger = [
        (date(2026, 1, 1), True),
        (date(2026, 2, 1), False),
        (date(2026, 3, 1), False),
        (date(2026, 4, 1), False),  # after the month on the letter: not checked
    ]
    unpaid = rules.unpaid_months(ledger, date(2026, 3, 17))
    assert unpaid == [date(2026, 2, 1), date(2026, 3, 1)]
    message = rules.dues_error(unpaid, date(2026, 3, 1))
    assert "2026-02" in message and "2026-03" in message and "2026-04" not in message
    assert rules.unpaid_months(ledger, date(2026, 1, 1)) == []
    assert rules.dues_error([], date(2026, 1, 1)) is None


def base_request(**over):
    fields = dict(
        kind="within",
        from_org_id=1,
        to_org_id=2,
        to_org_is_branch=True,
        outside_org_name="",
        reason="搬家",
        member_in_good_standing=True,
        has_open_transfer=False,
    )
    fields.update(over)
    return rules.request_errors(**fields)


def test_request_validation():
    assert base_request() == {}
    assert "to_org" in base_request(to_org_id=1)  # same branch
    with translation.override("en"):
        assert "own branch" in base_request(to_org_id=1)["to_org"][0]
    assert "to_org" in base_request(to_org_id=None)
    assert "to_org" in base_request(to_org_is_branch=False)
    assert "outside_org_name" in base_request(outside_org_name="外地")
    assert base_request(kind="outward", to_org_id=None, outside_org_name="厦门某支部") == {}
    assert "outside_org_name" in base_request(kind="outward", to_org_id=None)
    assert "to_org" in base_request(kind="outward", outside_org_name="厦门某支部")
    assert "kind" in base_request(kind="inward")
    assert "reason" in base_request(reason="  ")
    assert "member" in base_request(member_in_good_standing=False)
    assert "member" in base_request(has_open_transfer=True)


@pytest.mark.parametrize(
    "today,advised",
    [
        (date(2026, 7, 14), False),  # day before six months
        (date(2026, 7, 15), True),  # six months to the day
        (date(2026, 7, 16), True),
    ],
)
def test_floating_advisory_at_six_months(today, advised):
    left = date(2026, 1, 15)
    advisory = rules.floating_advisory(left_on=left, returned_on=None, today=today)
    assert (advisory is not None) == advised
    assert rules.floating_advisory(left_on=left, returned_on=today, today=today) is None


def test_six_months_from_a_month_end():
    assert rules.add_months_same_day(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert rules.add_months_same_day(date(2023, 8, 31), 6) == date(2024, 2, 29)
