"""Floating members (§4.5): the branch records time away; the host sees them and records
their attendance; they never count as voters at the host."""

from datetime import date, timedelta

import pytest

from tests.factories import make_org, make_user
from tests.member_factories import make_floating, make_member
from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.core.models import AuditEntry
from tongxin.members.models import MEMBER_KEEPERS, FloatingRecord, HostAttendance
from tongxin.members.selectors import floating as selectors
from tongxin.members.services import floating as services

TODAY = date(2026, 6, 10)


@pytest.fixture
def w(district):
    d = district
    d.member = make_member(d.branch_a1, name="林觉民")
    d.b1_secretary = make_user("secretary_b1", role="branch_secretary", org=d.branch_b1)
    d.outsider = make_user("comm_a2", role="community_admin", org=d.comm_a2)
    return d


def start(w, **over):
    fields = dict(
        actor=w.secretary,
        member=w.member,
        destination="温泉街道",
        left_on=TODAY - timedelta(days=30),
        host_org=w.branch_b1,
        certificate_no="LD-001",
        today=TODAY,
    )
    fields.update(over)
    return services.start_floating(**fields)


def test_start_and_host_sees_the_member(w):
    record = start(w)
    assert AuditEntry.objects.filter(action="floating_start", object_id=str(record.pk)).exists()
    # the host keeper sees the record although the member's branch is outside their scope
    hosted, _ = selectors.floating_list(w.b1_secretary, tab="hosted", today=TODAY)
    assert [r.pk for r in hosted] == [record.pk]
    away, _ = selectors.floating_list(w.b1_secretary, tab="away", today=TODAY)
    assert away == []
    own, _ = selectors.floating_list(w.secretary, tab="away", today=TODAY)
    assert [r.pk for r in own] == [record.pk]
    assert selectors.floating_list(w.secretary, tab="hosted", today=TODAY)[0] == []
    assert not FloatingRecord.objects.visible_to(w.outsider, MEMBER_KEEPERS).exists()
    from tongxin.members.models import Member

    # … but not the member's registry record
    assert (
        not Member.objects.visible_to(w.b1_secretary, MEMBER_KEEPERS)
        .filter(pk=w.member.pk)
        .exists()
    )


def test_host_records_attendance_but_member_never_votes_there(w):
    record = start(w)
    make_member(w.branch_b1, name="温泉支部党员")
    row = services.record_host_attendance(
        actor=w.b1_secretary,
        record=record,
        attended_on=TODAY - timedelta(days=2),
        activity="主题党日",
        today=TODAY,
    )
    assert row.recorded_by == w.b1_secretary
    assert AuditEntry.objects.filter(action="floating_attendance").count() == 1
    voters = list(selectors.voters_of(w.branch_b1, TODAY))
    assert w.member not in voters and len(voters) == 1
    assert w.member in selectors.voters_of(w.branch_a1, TODAY)  # votes at home


def test_attendance_only_by_the_host(w):
    record = start(w)
    for actor in (w.secretary, w.outsider):  # the home branch is not the host
        with pytest.raises(PermissionDenied):
            services.record_host_attendance(
                actor=actor, record=record, attended_on=TODAY, activity="x", today=TODAY
            )
    no_host = start(w, member=make_member(w.branch_a1), host_org=None)
    with pytest.raises(PermissionDenied):
        services.record_host_attendance(
            actor=w.b1_secretary, record=no_host, attended_on=TODAY, activity="x", today=TODAY
        )
    assert not HostAttendance.objects.exists()


@pytest.mark.parametrize(
    "offset,activity,field",
    [
        (1, "党课", "attended_on"),  # tomorrow
        (-31, "党课", "attended_on"),  # the day before leaving
        (0, "", "activity"),
    ],
)
def test_attendance_dates(w, offset, activity, field):
    record = start(w)  # left 30 days ago
    with pytest.raises(ValidationError) as exc:
        services.record_host_attendance(
            actor=w.b1_secretary,
            record=record,
            attended_on=TODAY + timedelta(days=offset),
            activity=activity,
            today=TODAY,
        )
    assert field in exc.value.message_dict
    assert not HostAttendance.objects.exists()


def test_attendance_on_the_day_of_leaving_is_fine(w):
    record = start(w)
    services.record_host_attendance(
        actor=w.b1_secretary, record=record, attended_on=record.left_on, activity="x", today=TODAY
    )


@pytest.mark.parametrize(
    "over,field",
    [
        ({"left_on": TODAY + timedelta(days=1)}, "left_on"),
        ({"left_on": None}, "left_on"),
        ({"destination": " "}, "destination"),
        ({"expected_return_on": TODAY - timedelta(days=30)}, "expected_return_on"),
        ({"host_org": "own"}, "host_org"),
    ],
)
def test_start_validation(w, over, field):
    if over.get("host_org") == "own":
        over["host_org"] = w.branch_a1
    with pytest.raises(ValidationError) as exc:
        start(w, **over)
    assert field in exc.value.message_dict
    assert not FloatingRecord.objects.exists()


def test_leaving_today_is_fine_and_only_one_open_record(w):
    start(w, left_on=TODAY)
    with pytest.raises(ValidationError) as exc:
        start(w)
    assert "member" in exc.value.message_dict
    assert FloatingRecord.objects.count() == 1


def test_only_the_members_branch_starts_or_ends(w):
    with pytest.raises(PermissionDenied):
        start(w, actor=w.b1_secretary)
    record = start(w)
    with pytest.raises(PermissionDenied):
        services.end_floating(actor=w.b1_secretary, record=record, returned_on=TODAY)


def test_end_floating_dates(w):
    record = start(w)
    for returned, field in (
        (TODAY + timedelta(days=1), "returned_on"),
        (record.left_on - timedelta(days=1), "returned_on"),
        (None, "returned_on"),
    ):
        with pytest.raises(ValidationError) as exc:
            services.end_floating(
                actor=w.secretary, record=record, returned_on=returned, today=TODAY
            )
        assert field in exc.value.message_dict
    services.end_floating(actor=w.secretary, record=record, returned_on=record.left_on, today=TODAY)
    record.refresh_from_db()
    assert record.returned_on == record.left_on
    with pytest.raises(ValidationError):
        services.end_floating(actor=w.secretary, record=record, returned_on=TODAY, today=TODAY)


@pytest.mark.parametrize("days,advised", [(-1, False), (0, True)])
def test_six_months_away_prompts_a_transfer(w, days, advised):
    record = make_floating(w.member, left_on=date(2026, 1, 15))
    today = date(2026, 7, 15) + timedelta(days=days)
    items, _ = selectors.floating_list(w.secretary, tab="away", today=today)
    assert (items[0].advisory is not None) == advised
    assert (
        selectors.floating_detail(w.secretary, record.pk, today=today).advisory is not None
    ) == (advised)


def test_voters_of(w):
    full = make_member(w.branch_b1)
    make_member(w.branch_b1, category="probationary", full_on=None)
    make_member(w.branch_b1, status="suspended")
    make_member(w.branch_b1, status="transferred_out")
    late = make_member(w.branch_b1, full_on=TODAY + timedelta(days=1))
    joint = make_org(w.admin, w.comm_b1, type="joint_branch")
    make_member(joint)
    assert list(selectors.voters_of(w.branch_b1, TODAY)) == [full]
    assert late in selectors.voters_of(w.branch_b1, TODAY + timedelta(days=1))


def test_whereabouts_are_encrypted_at_rest_and_kept_out_of_the_audit(w):
    from django.db import connection

    record = start(w, destination="厦门市思明区软件园")
    with connection.cursor() as cursor:
        cursor.execute("SELECT destination FROM members_floatingrecord WHERE id = %s", [record.pk])
        (stored,) = cursor.fetchone()
    assert stored.startswith(("a1:", "s1:")) and "厦门" not in stored
    assert FloatingRecord.objects.get(pk=record.pk).destination == "厦门市思明区软件园"
    entry = AuditEntry.objects.get(action="floating_start", object_id=str(record.pk))
    assert entry.changes["destination"] == ["***", "***"]
