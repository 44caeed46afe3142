"""Selectors: scoping of campaigns and bases, grouped hours, progress, secretary roster."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from tests.factories import make_user
from tongxin.education import selectors
from tongxin.education.models import (
    EducationBase,
    SecretaryTraining,
    StudyCampaign,
    StudyRecord,
    Way,
)
from tongxin.meetings.models import ComplianceSnapshot

pytestmark = pytest.mark.django_db


def camp(org, required="12", title=None):
    return StudyCampaign.objects.create(
        org=org,
        title=title or f"c{org.pk}",
        kind="theme",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        required_hours=D(required),
    )


def rec(member, hours, on=date(2026, 7, 1), campaign=None):
    return StudyRecord.objects.create(
        member=member, hours=D(hours), on=on, way=Way.MEETING, topic="t", campaign=campaign
    )


def test_campaigns_above_and_within_scope(b):
    d = b.district
    top = camp(d.root, title="top")
    street = camp(d.street_a, title="street")
    own = camp(b.org, title="own")
    other_street = camp(d.street_b, title="other street")
    other_branch = camp(d.branch_b1, title="other branch")

    def titles(user):
        return {c.title for c in selectors.campaigns_for(user)}

    assert titles(b.secretary) == {"top", "street", "own"}
    assert titles(b.member_user) == {"top", "street", "own"}
    assert titles(b.community_admin) == {"top", "street", "own"}
    assert titles(d.admin) == {"top", "street", "own", "other street", "other branch"}
    assert titles(b.outsider) == {"top", "other street", "other branch"}
    assert titles(make_user()) == set()
    assert top and street and own and other_street and other_branch


def test_bases_above_and_within_scope(b):
    d = b.district
    EducationBase.objects.create(org=d.root, name="区", address="a")
    EducationBase.objects.create(org=d.comm_b1, name="温泉", address="a")
    assert {x.name for x in selectors.bases_for(b.secretary)} == {"区"}
    assert {x.name for x in selectors.bases_for(b.outsider)} == {"区", "温泉"}


def test_study_hours_by_branch_counts_the_year_only(b):
    m0, m1 = b.members[0], b.members[1]
    rec(m0, "2", on=date(2025, 12, 31))
    rec(m0, "1.5", on=date(2026, 1, 1))
    rec(m0, "2", on=date(2026, 12, 31))
    rec(m1, "1", on=date(2027, 1, 1))
    other = rec(b.outsider_member, "3", on=date(2026, 6, 1))
    result = selectors.study_hours_by_branch(year=2026)
    assert result[b.org.pk] == (D("3.5"), 1)
    assert result[b.district.branch_b1.pk] == (D("3"), 1)
    only = selectors.study_hours_by_branch(year=2026, org_ids=[b.org.pk])
    assert set(only) == {b.org.pk}
    assert selectors.study_hours_by_branch(year=2027)[b.org.pk] == (D("1"), 1)
    assert other


def test_study_hours_by_branch_is_one_query(b, django_assert_num_queries):
    rec(b.members[0], "2")
    with django_assert_num_queries(1):
        selectors.study_hours_by_branch(year=2026)


def test_campaign_progress_arithmetic(b):
    c = camp(b.root, required="12")
    rec(b.members[0], "12", campaign=c)  # 1
    rec(b.members[1], "4", campaign=c)  # 1/3
    rec(b.members[1], "2", campaign=c)  # → 6/12 = 1/2
    rec(b.members[2], "20", campaign=c)
    rec(b.members[2], "10", campaign=c)  # 30 hours: capped at 1
    rec(b.members[3], "5")  # not in the campaign
    rows = {r.org.pk: r for r in selectors.campaign_progress(b.community_admin, c)}
    row = rows[b.org.pk]
    assert row.members == 6
    assert row.studied == 3
    assert row.completed == 2
    assert row.hours == D("48")  # 12 + 6 + 30
    assert row.progress == (D(1) + D("0.5") + D(1)) / 6
    assert row.percent == 41
    assert b.district.branch_b1.pk not in rows  # not in the community admin's scope


def test_campaign_progress_query_count(b, django_assert_max_num_queries):
    c = camp(b.root)
    for m in b.members:
        rec(m, "2", campaign=c)
    with django_assert_max_num_queries(5):
        rows = selectors.campaign_progress(b.district_admin, c)
    assert len(rows) >= 3


def test_secretary_roster_flags(b):
    sec = b.members[0]
    TODAY = date(2026, 8, 10)
    SecretaryTraining.objects.create(
        member=sec,
        course="c",
        organiser="o",
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 7),
        hours=D("55.5"),
    )
    roster = selectors.secretary_roster(b.community_admin, year=2026, today=TODAY)
    row = {r.member.pk: r for r in roster}[sec.pk]
    assert row.hours == D("55.5") and row.trainings == 1
    assert row.due and not row.behind
    SecretaryTraining.objects.create(
        member=sec,
        course="c2",
        organiser="o",
        starts_on=date(2026, 5, 1),
        ends_on=date(2026, 5, 1),
        hours=D("0.5"),
        concentrated=False,
    )
    ComplianceSnapshot.objects.create(
        org=b.org,
        period="2026-07",
        unit="month",
        status="behind",
        computed_at=datetime(2026, 8, 1, tzinfo=UTC),
    )
    roster = selectors.secretary_roster(b.community_admin, year=2026, today=TODAY)
    row = {r.member.pk: r for r in roster}[sec.pk]
    assert row.hours == D("56") and row.due == []
    assert row.behind and row.behind_period == "2026-07"
    # the roster of another community does not show the secretary
    assert sec.pk not in {
        r.member.pk for r in selectors.secretary_roster(b.outsider, year=2026, today=TODAY)
    }


def test_roster_attention_filter_and_queries(b, django_assert_max_num_queries):
    TODAY = date(2026, 8, 10)
    SecretaryTraining.objects.create(
        member=b.members[0],
        course="c",
        organiser="o",
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 3, 7),
        hours=D("60"),
    )
    with django_assert_max_num_queries(5):
        rows = selectors.secretary_roster(b.district_admin, year=2026, today=TODAY)
    assert b.members[0].pk in {r.member.pk for r in rows}
    attention = selectors.secretary_roster(
        b.district_admin, year=2026, today=TODAY, attention_only=True
    )
    assert b.members[0].pk not in {r.member.pk for r in attention}
    # a year without training: due again
    last_year = selectors.secretary_roster(b.district_admin, year=2025, today=TODAY)
    assert {r.member.pk: r for r in last_year}[b.members[0].pk].due


@pytest.mark.parametrize(
    ("today", "period"),
    [(date(2026, 1, 1), "2025-12"), (date(2026, 1, 31), "2025-12"), (date(2026, 2, 1), "2026-01")],
)
def test_last_ended_month(today, period):
    assert selectors.last_ended_month(today) == period
