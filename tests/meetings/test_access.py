"""meetings.access and the read selectors: who sees, manages and reviews which meetings."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from tests.factories import make_user
from tests.meetings.factories import Branch, at, meeting, planned
from tongxin.meetings import access
from tongxin.meetings.models import State
from tongxin.meetings.selectors import meetings as sel

pytestmark = pytest.mark.django_db


@pytest.fixture
def b():
    return Branch(groups=2, probationary=1)


def test_factory_builds_what_it_says(b):
    assert b.org.type == "branch" and b.org.has_committee and b.org.founded_on == date(2020, 1, 1)
    assert len(b.members) == 6 and len(b.roll) == 7 and len(b.committee) == 2
    assert all(g.parent_id == b.org.pk for g in b.groups)
    assert b.member.user == b.member_user
    m = meeting(b, roster=True, attended=4, on_leave=1)
    assert (m.should_attend, m.attended, m.on_leave) == (7, 4, 1)
    planned_row = meeting(b, state=State.PLANNED)
    assert (planned_row.attended, planned_row.minutes) == (0, "")


def test_visible_to(b):
    mine = planned(b, starts_at=at(date(2026, 7, 15)))
    committee = planned(b, starts_at=at(date(2026, 7, 16)), kind="committee_meeting")
    foreign = meeting(b.district.branch_b1)
    ids = lambda u: set(access.meetings_visible_to(u).values_list("pk", flat=True))  # noqa: E731
    assert ids(b.secretary) == {mine.pk, committee.pk}
    assert ids(b.community_admin) == {mine.pk, committee.pk}
    assert ids(b.street_admin) == {mine.pk, committee.pk}
    assert ids(b.district_admin) == {mine.pk, committee.pk, foreign.pk}
    assert ids(b.member_user) == {mine.pk}  # not on the committee's roster
    assert ids(b.outsider) == {foreign.pk}
    assert ids(b.outsider_member_user) == set()
    assert ids(make_user()) == set()
    nobody = make_user()
    nobody.is_active = False
    assert ids(nobody) == set()


def test_manage_and_review(b):
    m = meeting(b, state=State.SUBMITTED)
    assert access.may_manage(b.secretary, m) and access.may_manage(b.community_admin, m)
    assert access.may_manage(b.secretary, b.org)
    assert not access.may_manage(b.member_user, m) and not access.may_manage(b.outsider, m)
    assert not access.may_review(b.secretary, m)  # never their own branch
    assert access.may_review(b.community_admin, m)
    assert access.may_review(b.street_admin, m) and access.may_review(b.district_admin, m)
    assert not access.may_review(b.outsider, m) and not access.may_review(b.member_user, m)
    with pytest.raises(PermissionDenied):
        access.require_review(b.secretary, m)
    with pytest.raises(PermissionDenied):
        access.require_manage(b.member_user, m)
    access.require_manage(b.secretary, m)
    access.require_review(b.community_admin, m)


def test_meeting_for_404s(b):
    m = meeting(b)
    assert access.meeting_for(b.secretary, m.pk) == m
    assert access.meeting_for(b.secretary, str(m.pk)) == m
    for user, pk in (
        (b.outsider, m.pk),
        (b.secretary, "x"),
        (b.secretary, -1),
        (b.secretary, 2**70),
    ):
        with pytest.raises(Http404):
            access.meeting_for(user, pk)


def test_reviewers_and_secretaries(b):
    m = meeting(b)
    assert {u.pk for u in access.reviewers_of(m)} == {
        b.community_admin.pk,
        b.district.community_admin.pk,
    }
    assert [u.pk for u in access.secretaries_of(b.org)] == [b.secretary.pk]


def test_review_queue(b):
    sub = meeting(b, state=State.SUBMITTED)
    meeting(b, state=State.HELD)
    foreign = meeting(b.district.branch_b1, state=State.SUBMITTED)
    assert list(sel.review_queue(b.community_admin)) == [sub]
    assert list(sel.review_queue(b.secretary)) == []  # only branches strictly below
    assert set(sel.review_queue(b.district_admin)) == {sub, foreign}
    assert list(sel.review_queue(b.member_user)) == []


def test_my_meetings(b):
    now = timezone.now()
    up = planned(b, starts_at=now + timedelta(days=1))
    past = planned(b, starts_at=now - timedelta(days=3))
    old = planned(b, starts_at=now - timedelta(days=200))
    gone = planned(b, starts_at=now + timedelta(days=2))
    from tongxin.meetings import services

    services.cancel_meeting(actor=b.secretary, meeting=gone, reason="x")
    mine = sel.my_meetings(b.member_user, now=now)
    assert [a.meeting_id for a in mine["upcoming"]] == [up.pk]
    assert [a.meeting_id for a in mine["recent"]] == [past.pk]
    assert old.pk not in [a.meeting_id for a in mine["recent"]]
    assert sel.my_meetings(b.secretary) == {"upcoming": [], "recent": []}


def test_meeting_detail_prefetches(b, django_assert_max_num_queries):
    m = planned(b, starts_at=at(date(2026, 7, 15)))
    b.secretary._tongxin_assignments = None
    with django_assert_max_num_queries(10):
        d = sel.meeting_detail(b.secretary, m.pk)
        names = [a.member.name for a in d.attendance.all()]
        kinds = [e.kind for e in d.events.all()]
    assert len(names) == 7 and kinds == ["planned"]
    with pytest.raises(Http404):
        sel.meeting_detail(b.outsider, m.pk)


def test_list_keyset_and_period(b):
    from tongxin.meetings.rules.periods import Period

    rows = [meeting(b, on=date(2026, 7, d)) for d in (1, 2, 3)]
    page, nxt = sel.meeting_list(b.secretary, limit=2)
    assert page == [rows[2], rows[1]] and nxt == (rows[1].starts_at, rows[1].pk)
    page, nxt = sel.meeting_list(b.secretary, limit=2, after=nxt)
    assert page == [rows[0]] and nxt is None
    assert sel.meeting_list(b.secretary, period=Period.parse("2026-06"))[0] == []
    assert len(sel.meeting_list(b.community_admin, org=b.org)[0]) == 3
    assert sel.meeting_list(b.community_admin, org=b.district.branch_b1)[0] == []
