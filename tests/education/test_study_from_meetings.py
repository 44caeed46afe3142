"""Study hours from approved study sessions and party lectures (education.services.
record_study_from_meeting, called by meetings.services.review_meeting on approval)."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from tests.meetings.factories import Branch, at, planned
from tongxin.core.models import AuditEntry
from tongxin.education import services as education
from tongxin.education.models import StudyCampaign, StudyRecord, Way
from tongxin.meetings import services
from tongxin.meetings.models import Attendance, AttendanceStatus, Kind, State

pytestmark = pytest.mark.django_db

DAY = date(2026, 7, 15)
T = at(DAY)  # 19:00 Shanghai
AFTER = T + timedelta(hours=3)
TOPIC = "学习党的二十大精神"


@pytest.fixture
def b():
    return Branch()


def held(b, *, kind=Kind.STUDY, ends_at=None, topic=TOPIC, marks=None):
    """Planned, attendance marked (0–2 attended, 3 on leave, 4 absent), recorded held."""
    m = planned(b, kind=kind, starts_at=T, ends_at=ends_at or at(DAY, 21, 10), topic=topic)
    if marks is None:
        people = b.members
        marks = {p.pk: ("attended", "") for p in people[:3]}
        marks[people[3].pk] = ("leave", "出差")
        marks[people[4].pk] = ("absent", "")
    m = services.mark_attendance(actor=b.secretary, meeting=m, marks=marks, now=T)
    return services.record_held(actor=b.secretary, meeting=m, minutes="会议记录", now=AFTER)


def approve(b, m, reviewer=None):
    m = services.submit_meeting(actor=b.secretary, meeting=m)
    return services.review_meeting(actor=reviewer or b.community_admin, meeting=m, approve=True)


def records(m):
    return StudyRecord.objects.filter(meeting=m).order_by("member_id")


def campaign(
    b, org=None, *, starts_on=date(2026, 7, 1), ends_on=date(2026, 7, 31), title="主题教育"
):
    return StudyCampaign.objects.create(
        org=org or b.community,
        title=title,
        kind="theme",
        starts_on=starts_on,
        ends_on=ends_on,
    )


# --- who gets hours ------------------------------------------------------------------------
def test_approved_study_session_gives_attendees_their_hours(b):
    m = approve(b, held(b), reviewer=b.street_admin)
    assert m.state == State.APPROVED
    rows = list(records(m))
    assert [r.member_id for r in rows] == sorted(p.pk for p in b.members[:3])
    for r in rows:
        assert r.hours == Decimal("2.0")  # 19:00–21:10
        assert r.way == Way.MEETING
        assert r.on == DAY
        assert r.topic == TOPIC
        assert r.meeting_id == m.pk
        assert r.recorded_by == b.street_admin
        assert r.campaign is None
        assert not r.self_entered


def test_leave_absent_and_unmarked_get_none(b):
    m = approve(b, held(b))
    statuses = dict(Attendance.objects.filter(meeting=m).values_list("member_id", "status"))
    with_records = set(records(m).values_list("member_id", flat=True))
    assert statuses[b.members[3].pk] == AttendanceStatus.LEAVE
    assert statuses[b.members[4].pk] == AttendanceStatus.ABSENT
    assert statuses[b.members[5].pk] != AttendanceStatus.ATTENDED
    assert with_records == {p.pk for p in b.members[:3]}
    assert not StudyRecord.objects.filter(member__in=b.members[3:]).exists()


def test_party_lecture_gives_hours_too(b):
    m = approve(b, held(b, kind=Kind.PARTY_LECTURE, ends_at=at(DAY, 20, 30)))
    assert list(records(m).values_list("hours", flat=True)) == [Decimal("1.5")] * 3


@pytest.mark.parametrize("kind", [Kind.THEME_DAY, Kind.GENERAL_MEETING])
def test_other_kinds_give_no_hours(b, kind):
    m = approve(b, held(b, kind=kind))
    assert m.state == State.APPROVED
    assert not StudyRecord.objects.exists()
    assert not AuditEntry.objects.filter(action="study_from_meeting").exists()


def test_no_hours_before_approval_nor_on_return(b):
    m = held(b)
    assert not StudyRecord.objects.exists()
    m = services.submit_meeting(actor=b.secretary, meeting=m)
    assert not StudyRecord.objects.exists()
    services.review_meeting(actor=b.community_admin, meeting=m, approve=False, opinion="补充")
    assert not StudyRecord.objects.exists()


def test_not_approved_meeting_is_left_alone(b):
    m = held(b)
    assert education.record_study_from_meeting(meeting=m, actor=b.community_admin) == 0
    assert not StudyRecord.objects.exists()


def test_nobody_attended_writes_nothing(b):
    m = approve(b, held(b, marks={b.members[0].pk: ("absent", "")}))
    assert m.state == State.APPROVED
    assert not StudyRecord.objects.exists()
    assert not AuditEntry.objects.filter(action="study_from_meeting").exists()


# --- hours from the duration -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("minutes", "hours"),
    [
        (1, "0.5"),  # clamped up to the smallest record
        (29, "0.5"),
        (30, "0.5"),
        (59, "0.5"),
        (60, "1.0"),
        (89, "1.0"),
        (90, "1.5"),
        (91, "1.5"),
        (130, "2.0"),  # 19:00–21:10
        (24 * 60 - 1, "23.5"),
        (24 * 60, "24.0"),
        (30 * 60, "24.0"),  # clamped down to one day
    ],
)
def test_meeting_hours_rounded_down_to_the_half_hour(minutes, hours):
    starts = datetime(2026, 7, 15, 11, 0)
    assert education.meeting_hours(starts, starts + timedelta(minutes=minutes)) == Decimal(hours)


def test_short_session_counts_half_an_hour(b):
    m = approve(b, held(b, ends_at=at(DAY, 19, 20)))
    assert set(records(m).values_list("hours", flat=True)) == {Decimal("0.5")}


# --- idempotent ------------------------------------------------------------------------------
def test_return_resubmit_approve_writes_once(b):
    m = services.submit_meeting(actor=b.secretary, meeting=held(b))
    m = services.review_meeting(actor=b.community_admin, meeting=m, approve=False, opinion="补充")
    m = services.record_held(actor=b.secretary, meeting=m, minutes="补充后的记录", now=AFTER)
    m = services.submit_meeting(actor=b.secretary, meeting=m)
    m = services.review_meeting(actor=b.community_admin, meeting=m, approve=True)
    assert records(m).count() == 3
    assert AuditEntry.objects.filter(action="study_from_meeting").count() == 1
    # calling it again (a retry) writes nothing and audits nothing
    assert education.record_study_from_meeting(meeting=m, actor=b.community_admin) == 0
    assert records(m).count() == 3
    assert AuditEntry.objects.filter(action="study_from_meeting").count() == 1


def test_member_already_recorded_by_hand_is_skipped(b):
    m = held(b)
    first = b.members[0]
    education.record_study(
        actor=b.secretary,
        member=first,
        on=DAY,
        hours=Decimal("1.0"),
        way=Way.MEETING,
        topic="手工录入",
        meeting=m,
    )
    m = approve(b, m)
    assert records(m).count() == 3
    assert records(m).get(member=first).hours == Decimal("1.0")  # the hand entry stays
    entry = AuditEntry.objects.get(action="study_from_meeting")
    assert entry.changes["study_records"] == [None, 2]


def test_second_hand_record_for_the_same_meeting_is_refused(b):
    m = held(b)
    kwargs = {
        "actor": b.secretary,
        "member": b.members[0],
        "on": DAY,
        "hours": Decimal("1.0"),
        "way": Way.MEETING,
        "topic": "手工录入",
        "meeting": m,
    }
    education.record_study(**kwargs)
    with pytest.raises(ValidationError) as e:
        education.record_study(**kwargs)
    assert "meeting" in e.value.message_dict
    assert StudyRecord.objects.filter(meeting=m).count() == 1
    # without the meeting, a second record of the same day is fine
    education.record_study(**{**kwargs, "meeting": None})
    assert StudyRecord.objects.filter(member=b.members[0]).count() == 2


def test_database_keeps_one_record_per_member_and_meeting(b):
    m = approve(b, held(b))
    row = records(m).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        StudyRecord.objects.create(
            member_id=row.member_id, meeting=m, on=DAY, hours=Decimal("1"), way="meeting", topic="x"
        )
    # records without a meeting are not constrained
    for _ in range(2):
        StudyRecord.objects.create(
            member_id=row.member_id, on=DAY, hours=Decimal("1"), way="self_study", topic="x"
        )


# --- campaign --------------------------------------------------------------------------------
def test_one_covering_campaign_is_linked(b):
    c = campaign(b)
    m = approve(b, held(b))
    assert set(records(m).values_list("campaign_id", flat=True)) == {c.pk}


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "linked"),
    [
        (date(2026, 7, 1), DAY - timedelta(days=1), False),  # ended the day before
        (date(2026, 7, 1), DAY, True),  # ends on the day
        (DAY, date(2026, 7, 31), True),  # starts on the day
        (DAY + timedelta(days=1), date(2026, 7, 31), False),  # starts the day after
    ],
)
def test_campaign_must_cover_the_meeting_day(b, starts_on, ends_on, linked):
    c = campaign(b, starts_on=starts_on, ends_on=ends_on)
    m = approve(b, held(b))
    expected = {c.pk if linked else None}
    assert set(records(m).values_list("campaign_id", flat=True)) == expected


def test_campaigns_of_the_branch_and_above_count(b):
    c = campaign(b, b.org)  # launched by the branch itself
    m = approve(b, held(b))
    assert set(records(m).values_list("campaign_id", flat=True)) == {c.pk}


def test_two_covering_campaigns_link_none(b):
    campaign(b, b.district.root, title="党史学习教育")
    campaign(b, b.community)
    m = approve(b, held(b))
    assert set(records(m).values_list("campaign_id", flat=True)) == {None}


def test_campaigns_not_visible_to_the_branch_are_ignored(b):
    campaign(b, b.district.branch_b1, title="别的支部")
    campaign(b, b.district.street_b, title="别的街道")
    mine = campaign(b, b.street)
    m = approve(b, held(b))
    assert set(records(m).values_list("campaign_id", flat=True)) == {mine.pk}


def test_campaign_of_an_inactive_org_is_ignored(b):
    c = campaign(b, b.community)
    c.org.active = False
    c.org.save(update_fields=["active"])
    m = approve(b, held(b))
    assert set(records(m).values_list("campaign_id", flat=True)) == {None}


# --- audit, queries ----------------------------------------------------------------------------
def test_one_audit_summary_row(b):
    c = campaign(b)
    m = approve(b, held(b), reviewer=b.street_admin)
    entry = AuditEntry.objects.get(action="study_from_meeting")
    assert entry.actor == b.street_admin
    assert (entry.object_type, entry.object_id) == ("meetings.meeting", str(m.pk))
    assert entry.changes == {
        "study_records": [None, 3],
        "members": [None, sorted(p.pk for p in b.members[:3])],
        "hours": [None, "2.0"],
        "on": [None, DAY.isoformat()],
        "campaign": [None, c.pk],
    }


def test_queries_do_not_grow_with_attendees(django_assert_max_num_queries):
    b = Branch(members=12)
    m = approve(b, held(b, marks={p.pk: ("attended", "") for p in b.members}))
    assert records(m).count() == 12
    records(m).delete()  # run the hook again on the approved meeting, under a query count
    with django_assert_max_num_queries(8):
        assert education.record_study_from_meeting(meeting=m, actor=b.community_admin) == 12


# --- the member sees it ----------------------------------------------------------------------
def test_member_sees_the_record_on_my_study(b, client):
    m = approve(b, held(b))
    assert b.member in b.members[:3]
    client.force_login(b.member_user)
    response = client.get(reverse("education:my"), {"year": 2026}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert m.pk in [r.meeting_id for r in response.context["records"]]
    body = response.content.decode()
    assert TOPIC in body
    assert "Study session of the branch" in body
    assert response.context["total"] == Decimal("2.0")


def test_member_on_leave_sees_nothing(b, client):
    approve(b, held(b))
    user = b.add_member_user(b.members[3])
    client.force_login(user)
    response = client.get(reverse("education:my"), {"year": 2026}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert TOPIC not in response.content.decode()
    assert response.context["total"] == 0
