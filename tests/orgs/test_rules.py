from datetime import date, timedelta

import pytest

from tongxin.orgs import rules

TODAY = date(2026, 11, 26)


def advisories(**kw):
    base = dict(
        org_type="branch",
        member_count=10,
        full_member_count=5,
        has_committee=False,
        term_ends_on=None,
        host_unit_count=0,
        today=TODAY,
        lead_days=90,
    )
    base.update(kw)
    return {a.code for a in rules.org_advisories(**base)}


@pytest.mark.parametrize(
    ("full", "committee", "flagged"),
    [(6, False, False), (7, False, True), (8, False, True), (7, True, False)],
)
def test_committee_needed_from_seven_full_members(full, committee, flagged):
    got = advisories(member_count=full, full_member_count=full, has_committee=committee)
    assert ("needs_committee" in got) is flagged


@pytest.mark.parametrize(("members", "flagged"), [(49, False), (50, False), (51, True)])
def test_branch_over_fifty_members(members, flagged):
    assert ("branch_too_large" in advisories(member_count=members)) is flagged


def test_branch_size_rules_do_not_apply_to_committees():
    assert advisories(org_type="committee", member_count=80, full_member_count=80) == set()


@pytest.mark.parametrize(("units", "flagged"), [(5, False), (6, True)])
def test_joint_branch_covers_at_most_five_units(units, flagged):
    got = advisories(org_type="joint_branch", host_unit_count=units)
    assert ("joint_branch_too_wide" in got) is flagged


@pytest.mark.parametrize(
    ("days_left", "code"),
    [
        (91, None),
        (90, "term_expiring"),
        (1, "term_expiring"),
        (0, "term_expiring"),
        (-1, "term_overdue"),
    ],
)
def test_term_reminder_lead_time_boundaries(days_left, code):
    got = advisories(term_ends_on=TODAY + timedelta(days=days_left))
    assert got == ({code} if code else set())


@pytest.mark.parametrize(
    ("org_type", "sector", "years"),
    [
        ("committee", "soe", 5),
        ("general_branch", "organ", 3),
        ("branch", "organ", 3),
        ("branch", "community", 5),
        ("general_branch", "community", 5),
        ("street_committee", "community", 5),
        ("party_group", "community", None),
    ],
)
def test_term_years(org_type, sector, years):
    assert rules.term_years(org_type, sector) == years


def test_term_end_same_calendar_date_and_feb_29():
    assert rules.term_end(date(2023, 5, 10), "branch", "organ") == date(2026, 5, 10)
    assert rules.term_end(date(2024, 2, 29), "branch", "organ") == date(2027, 2, 28)
    assert rules.term_end(date(2024, 2, 29), "committee", "soe") == date(2029, 2, 28)
    assert rules.term_end(date(2024, 2, 28), "committee", "soe") == date(2029, 2, 28)


@pytest.mark.parametrize(
    ("child", "parent", "ok"),
    [
        ("district_committee", None, True),
        ("street_committee", None, False),
        ("street_committee", "district_committee", True),
        ("community_committee", "street_committee", True),
        ("community_committee", "district_committee", False),
        ("branch", "community_committee", True),
        ("branch", "general_branch", True),
        ("branch", "branch", False),
        ("party_group", "branch", True),
        ("party_group", "joint_branch", True),
        ("party_group", "community_committee", False),
        ("general_branch", "general_branch", False),
        ("committee", "committee", True),
    ],
)
def test_allowed_parents(child, parent, ok):
    assert (rules.parent_error(child, parent) is None) is ok


@pytest.mark.parametrize(
    ("members", "coverage", "flagged"),
    [
        (2, "none", False),
        (3, "none", True),
        (3, "joint_branch", True),
        (3, "instructor", True),
        (3, "own_org", False),
        (10, "own_org", False),
    ],
)
def test_unit_with_three_members_should_have_own_org(members, coverage, flagged):
    assert rules.unit_should_have_own_org(members, coverage) is flagged


@pytest.mark.parametrize(
    ("coverage", "has_org", "instructor", "ok"),
    [
        ("own_org", True, "", True),
        ("own_org", False, "", False),
        ("joint_branch", False, "", False),
        ("instructor", False, "王强", True),
        ("instructor", False, "  ", False),
        ("none", False, "", True),
        ("none", True, "", False),
    ],
)
def test_coverage_consistency(coverage, has_org, instructor, ok):
    assert (
        rules.coverage_error(coverage, has_org=has_org, instructor_name=instructor) is None
    ) is ok


def test_coverage_rate():
    assert rules.coverage_rate(0, 0) == 0.0
    assert rules.coverage_rate(2, 3) == 66.7
    assert rules.coverage_rate(3, 3) == 100.0
