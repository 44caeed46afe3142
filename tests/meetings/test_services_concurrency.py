"""Two reviewers approve the same meeting at the same moment: one wins, the other is refused
with not_submitted (the meeting is locked with SELECT … FOR UPDATE). Likewise two sign-ins of
the same member count once. PostgreSQL only (helper H1)."""

import threading
from datetime import date, timedelta

import pytest
from django.db import connection, connections

from tests.meetings.factories import Branch, at, planned
from tongxin.meetings import services
from tongxin.meetings.models import Meeting, MeetingEvent
from tongxin.meetings.services import MeetingRefused

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

T = at(date(2026, 7, 15))


def race(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes: list = []

    def run(call):
        try:
            barrier.wait()
            call()
            outcomes.append("ok")
        except MeetingRefused as exc:
            outcomes.append(exc.rules)
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


def test_two_reviewers_approve_at_once():
    b = Branch(members=3)
    m = planned(b, starts_at=T)
    services.record_held(actor=b.secretary, meeting=m, minutes="x", now=T + timedelta(hours=3))
    services.submit_meeting(actor=b.secretary, meeting=m)

    def approve(user):
        return lambda: services.review_meeting(
            actor=user, meeting=Meeting.objects.get(pk=m.pk), approve=True
        )

    outcomes = race(approve(b.community_admin), approve(b.street_admin))
    assert sorted(outcomes, key=str) == sorted(["ok", ["not_submitted"]], key=str)
    assert MeetingEvent.objects.filter(meeting=m, kind="approved").count() == 1


def test_same_member_signs_in_twice_at_once():
    b = Branch(members=3)
    m = planned(b, starts_at=T)

    def sign():
        row = services.sign_in(user=b.member_user, token=m.signin_token, now=T)
        assert row.status == "attended"

    outcomes = race(sign, sign)
    assert outcomes == ["ok", "ok"]
    m.refresh_from_db()
    assert m.attended == 1
    assert MeetingEvent.objects.filter(meeting=m, kind="signed_in").count() == 1
