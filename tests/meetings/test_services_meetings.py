"""Meeting services: plan, roster, attendance, held, submit, review chain, appraisal (H1)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.meetings.factories import Branch, at, planned
from tongxin.core.models import AuditEntry, Notification
from tongxin.meetings import services
from tongxin.meetings.models import (
    AppraisalResult,
    Attendance,
    AttendanceStatus,
    ComplianceSnapshot,
    Kind,
    MeetingEvent,
    State,
)
from tongxin.meetings.services import Conflict, MeetingRefused
from tongxin.members.models import Status

pytestmark = pytest.mark.django_db

DAY = date(2026, 7, 15)
T = at(DAY)  # 19:00 Shanghai
AFTER = T + timedelta(hours=3)


@pytest.fixture
def b():
    return Branch(groups=2, probationary=1)


def held(b, **kw):
    m = planned(b, starts_at=T, **kw)
    return services.record_held(actor=b.secretary, meeting=m, minutes="记录", now=AFTER)


def submitted(b, **kw):
    m = held(b, **kw)
    return services.submit_meeting(actor=b.secretary, meeting=m)


def refused(exc_info) -> list[str]:
    return exc_info.value.rules


# --- plan and roster ---------------------------------------------------------------------
def test_plan_writes_roster_event_audit(b):
    m = planned(b, starts_at=T)
    assert m.state == State.PLANNED and m.on == DAY and m.version == 1
    assert m.should_attend == 7  # 6 full + 1 probationary
    assert Attendance.objects.filter(meeting=m, status=AttendanceStatus.EXPECTED).count() == 7
    assert len(m.signin_code) == 6 and m.signin_code.isdigit() and len(m.signin_token) == 32
    assert MeetingEvent.objects.filter(meeting=m, kind="planned").exists()
    assert AuditEntry.objects.filter(action="meeting.create", object_id=str(m.pk)).exists()


def test_on_is_the_shanghai_day():
    b = Branch(members=3)
    m = planned(b, starts_at=at(DAY, 0, 30))  # 16:30 UTC the day before
    assert m.on == DAY


def test_roster_excludes_members_not_in_good_standing(b):
    b.members[5].status = Status.SUSPENDED
    b.members[5].save(update_fields=["status"])
    m = planned(b, starts_at=T)
    assert m.should_attend == 6
    assert not Attendance.objects.filter(meeting=m, member=b.members[5]).exists()


def test_roster_leaves_out_members_admitted_after_the_day(b):
    p = b.probationary[0]
    p.admitted_on = DAY + timedelta(days=1)
    p.save(update_fields=["admitted_on"])
    assert planned(b, starts_at=T).should_attend == 6
    p.admitted_on = DAY
    p.save(update_fields=["admitted_on"])
    assert planned(b, starts_at=T).should_attend == 7


def test_committee_meeting_roster_is_members_with_a_post(b):
    m = planned(b, starts_at=T, kind=Kind.COMMITTEE_MEETING)
    assert m.should_attend == 2


def test_committee_meeting_refused_without_committee():
    b = Branch(has_committee=False, members=3)
    with pytest.raises(MeetingRefused) as e:
        planned(b, starts_at=T, kind=Kind.COMMITTEE_MEETING)
    assert refused(e) == ["no_committee"]
    assert e.value.violations[0].article.endswith("第十二条")


def test_group_meeting_needs_a_group_of_the_branch(b):
    m = planned(b, starts_at=T, kind=Kind.GROUP_MEETING, party_group=b.groups[0])
    assert m.should_attend == 3  # members 0, 2, 4
    with pytest.raises(MeetingRefused) as e:
        planned(b, starts_at=T, kind=Kind.GROUP_MEETING)
    assert refused(e) == ["party_group"]
    other = Branch(b.district, groups=1, members=2)
    with pytest.raises(MeetingRefused) as e:
        planned(b, starts_at=T, kind=Kind.GROUP_MEETING, party_group=other.groups[0])
    assert refused(e) == ["party_group"]


def test_heart_talk_needs_two_distinct_participants_and_a_pair(b):
    two = [b.members[0], b.members[3]]
    m = planned(
        b, starts_at=T, kind=Kind.HEART_TALK, participants=two, talk_pair="secretary_member"
    )
    assert m.should_attend == 2
    for bad in (
        {"participants": [b.members[0]], "talk_pair": "secretary_member"},
        {"participants": [b.members[0], b.members[0]], "talk_pair": "secretary_member"},
        {"participants": [b.members[0], b.outsider_member], "talk_pair": "secretary_member"},
        {"participants": two, "talk_pair": ""},
        {"participants": two, "talk_pair": "nonsense"},
    ):
        with pytest.raises(MeetingRefused) as e:
            planned(b, starts_at=T, kind=Kind.HEART_TALK, **bad)
        assert refused(e) == ["heart_talk"], bad


def test_ends_after_starts(b):
    with pytest.raises(MeetingRefused) as e:
        planned(b, starts_at=T, ends_at=T)
    assert refused(e) == ["meeting_order"]
    assert planned(b, starts_at=T, ends_at=T + timedelta(seconds=1)).pk


def test_plan_refuses_a_non_branch_and_unknown_kind(b):
    with pytest.raises(MeetingRefused) as e:
        planned(b, starts_at=T, org=b.community, actor=b.community_admin)
    assert refused(e) == ["not_branch"]
    with pytest.raises(ValidationError) as e:
        planned(b, starts_at=T, kind="party")
    assert "kind" in e.value.message_dict


def test_plan_field_errors(b):
    with pytest.raises(ValidationError) as e:
        planned(b, starts_at=T, topic="  ")
    assert "topic" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        planned(b, starts_at=T.replace(tzinfo=None))
    assert "starts_at" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        planned(b, starts_at=T, host=b.outsider_member)
    assert "host" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        planned(b, starts_at=T, participants=[b.members[0]])
    assert "participants" in e.value.message_dict


def test_plan_scoping(b):
    with pytest.raises(PermissionDenied):
        planned(b, starts_at=T, actor=b.outsider)
    with pytest.raises(PermissionDenied):
        planned(b, starts_at=T, actor=b.member_user)
    assert planned(b, starts_at=T, actor=b.street_admin).pk


def test_plan_notifies_roster_members_with_accounts(b, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        m = planned(b, starts_at=T, notify=True)
    notes = Notification.objects.filter(kind="meeting_planned")
    assert [n.recipient for n in notes] == [b.member_user]
    assert str(m.pk) in notes[0].link


# --- update / cancel -----------------------------------------------------------------------
def test_update_while_planned_and_stale_version(b):
    m = planned(b, starts_at=T)
    m = services.update_meeting(
        actor=b.secretary,
        meeting=m,
        version=1,
        topic="新主题",
        starts_at=T + timedelta(days=1),
        ends_at=T + timedelta(days=1, hours=2),
    )
    assert m.version == 2 and m.topic == "新主题" and m.on == DAY + timedelta(days=1)
    with pytest.raises(Conflict):
        services.update_meeting(actor=b.secretary, meeting=m, version=1, topic="x")
    with pytest.raises(ValidationError):
        services.update_meeting(actor=b.secretary, meeting=m, kind=Kind.STUDY)
    with pytest.raises(MeetingRefused) as e:
        services.update_meeting(actor=b.secretary, meeting=m, ends_at=m.starts_at)
    assert refused(e) == ["meeting_order"]


def test_update_refused_once_held(b):
    m = held(b)
    with pytest.raises(MeetingRefused) as e:
        services.update_meeting(actor=b.secretary, meeting=m, topic="x")
    assert refused(e) == ["meeting_state"]


def test_cancel(b):
    m = planned(b, starts_at=T)
    with pytest.raises(ValidationError):
        services.cancel_meeting(actor=b.secretary, meeting=m, reason=" ")
    m = services.cancel_meeting(actor=b.secretary, meeting=m, reason="台风")
    assert m.state == State.CANCELLED
    with pytest.raises(MeetingRefused):
        services.cancel_meeting(actor=b.secretary, meeting=m, reason="again")


# --- attendance ----------------------------------------------------------------------------
def test_mark_attendance_counts_and_leave_reason(b):
    m = planned(b, starts_at=T)
    ids = [x.pk for x in b.roll]
    m = services.mark_attendance(
        actor=b.secretary,
        meeting=m,
        marks={ids[0]: ("attended", ""), ids[1]: ("leave", "出差"), ids[2]: ("absent", "")},
        now=T,
    )
    assert (m.should_attend, m.attended, m.on_leave) == (7, 1, 1)
    assert m.version == 2
    with pytest.raises(ValidationError) as e:
        services.mark_attendance(actor=b.secretary, meeting=m, marks={ids[3]: ("leave", "")}, now=T)
    assert f"marks.{ids[3]}" in e.value.message_dict
    with pytest.raises(ValidationError):
        services.mark_attendance(actor=b.secretary, meeting=m, marks={ids[3]: ("late", "")}, now=T)


def test_attendance_above_the_roster_is_refused(b):
    m = planned(b, starts_at=T)
    with pytest.raises(MeetingRefused) as e:
        services.mark_attendance(
            actor=b.secretary, meeting=m, marks={b.outsider_member.pk: ("attended", "")}, now=T
        )
    assert refused(e) == ["attendance_above_roster"]
    m.refresh_from_db()
    assert m.attended == 0


def test_attendance_marked_from_the_window_opening(b):
    m = planned(b, starts_at=T)
    marks = {b.members[0].pk: ("attended", "")}
    opens = T - timedelta(minutes=30)
    with pytest.raises(MeetingRefused) as e:
        services.mark_attendance(
            actor=b.secretary, meeting=m, marks=marks, now=opens - timedelta(seconds=1)
        )
    assert refused(e) == ["attendance_not_started"]
    assert (
        services.mark_attendance(actor=b.secretary, meeting=m, marks=marks, now=opens).attended == 1
    )


# --- held ----------------------------------------------------------------------------------
def test_future_meeting_cannot_be_recorded_held(b):
    m = planned(b, starts_at=T)
    with pytest.raises(MeetingRefused) as e:
        services.record_held(
            actor=b.secretary, meeting=m, minutes="x", now=T - timedelta(seconds=1)
        )
    assert refused(e) == ["future_held"]
    m = services.record_held(actor=b.secretary, meeting=m, minutes="x", now=T)
    assert m.state == State.HELD


def test_future_held_day_before_of_after(b):
    for now, ok in ((T - timedelta(days=1), False), (T, True), (T + timedelta(days=1), True)):
        m = planned(b, starts_at=T)
        if ok:
            assert services.record_held(actor=b.secretary, meeting=m, minutes="x", now=now).is_held
        else:
            with pytest.raises(MeetingRefused):
                services.record_held(actor=b.secretary, meeting=m, minutes="x", now=now)


def test_held_needs_minutes_and_turns_expected_into_absent(b):
    m = planned(b, starts_at=T)
    with pytest.raises(MeetingRefused) as e:
        services.record_held(actor=b.secretary, meeting=m, minutes="  ", now=AFTER)
    assert refused(e) == ["minutes_required"]
    services.mark_attendance(
        actor=b.secretary, meeting=m, marks={b.members[0].pk: ("attended", "")}, now=T
    )
    m = services.record_held(actor=b.secretary, meeting=m, minutes="记录", now=AFTER)
    assert not Attendance.objects.filter(meeting=m, status=AttendanceStatus.EXPECTED).exists()
    assert Attendance.objects.filter(meeting=m, status=AttendanceStatus.ABSENT).count() == 6
    assert (m.should_attend, m.attended) == (7, 1)


def test_cancelled_cannot_be_held(b):
    m = planned(b, starts_at=T)
    services.cancel_meeting(actor=b.secretary, meeting=m, reason="x")
    with pytest.raises(MeetingRefused) as e:
        services.record_held(actor=b.secretary, meeting=m, minutes="x", now=AFTER)
    assert refused(e) == ["meeting_state"]


# --- review chain ------------------------------------------------------------------------------
def test_submit_from_planned_is_refused(b):
    m = planned(b, starts_at=T)
    with pytest.raises(MeetingRefused) as e:
        services.submit_meeting(actor=b.secretary, meeting=m)
    assert refused(e) == ["not_held"]


def test_duplicate_submission_is_refused(b, django_capture_on_commit_callbacks):
    m = submitted(b)
    with pytest.raises(MeetingRefused) as e:
        services.submit_meeting(actor=b.secretary, meeting=m)
    assert refused(e) == ["already_submitted"]
    assert MeetingEvent.objects.filter(meeting=m, kind="submitted").count() == 1


def test_submit_notifies_reviewers_of_the_parent(django_capture_on_commit_callbacks):
    b = Branch(members=3)
    m = held(b)
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_meeting(actor=b.secretary, meeting=m)
    notified = set(
        Notification.objects.filter(kind="meeting_submitted").values_list(
            "recipient__username", flat=True
        )
    )
    assert b.community_admin.username in notified
    assert b.secretary.username not in notified and b.street_admin.username not in notified


def test_review_chain_return_resubmit_approve(b, django_capture_on_commit_callbacks):
    m = submitted(b)
    with pytest.raises(PermissionDenied):
        services.review_meeting(actor=b.secretary, meeting=m, approve=True)
    with pytest.raises(PermissionDenied):
        services.review_meeting(actor=b.outsider, meeting=m, approve=True)
    with pytest.raises(MeetingRefused) as e:
        services.review_meeting(actor=b.community_admin, meeting=m, approve=False, opinion=" ")
    assert refused(e) == ["opinion_required"]
    with django_capture_on_commit_callbacks(execute=True):
        m = services.review_meeting(
            actor=b.community_admin, meeting=m, approve=False, opinion="补充会议记录"
        )
    assert m.state == State.RETURNED and m.review_opinion == "补充会议记录"
    assert Notification.objects.filter(recipient=b.secretary, kind="meeting_returned").exists()
    with pytest.raises(MeetingRefused) as e:
        services.review_meeting(actor=b.community_admin, meeting=m, approve=True)
    assert refused(e) == ["not_submitted"]
    m = services.record_held(actor=b.secretary, meeting=m, minutes="补充后的记录", now=AFTER)
    m = services.submit_meeting(actor=b.secretary, meeting=m)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        m = services.review_meeting(actor=b.street_admin, meeting=m, approve=True)
    assert m.state == State.APPROVED and m.reviewed_by == b.street_admin
    assert len(callbacks) == 2  # the notice and the compliance refresh
    assert ComplianceSnapshot.objects.filter(org=b.org, period="2026-07").exists()
    assert Notification.objects.filter(recipient=b.secretary, kind="meeting_approved").exists()
    actions = set(
        AuditEntry.objects.filter(object_id=str(m.pk), object_type="meetings.meeting").values_list(
            "action", flat=True
        )
    )
    assert actions == {
        "meeting.create",
        "meeting.held",
        "meeting.submit",
        "meeting.review",
    }
    kinds = list(MeetingEvent.objects.filter(meeting=m).values_list("kind", flat=True))
    assert kinds == ["planned", "held", "submitted", "returned", "held", "submitted", "approved"]
    with pytest.raises(MeetingRefused) as e:
        services.submit_meeting(actor=b.secretary, meeting=m)
    assert refused(e) == ["already_submitted"]


def test_resubmit_directly_after_return(b):
    m = submitted(b)
    m = services.review_meeting(actor=b.community_admin, meeting=m, approve=False, opinion="x")
    assert services.submit_meeting(actor=b.secretary, meeting=m).state == State.SUBMITTED


def test_review_with_stale_version(b):
    m = submitted(b)
    with pytest.raises(Conflict):
        services.review_meeting(
            actor=b.community_admin, meeting=m, approve=True, version=m.version - 1
        )
    m = services.review_meeting(actor=b.community_admin, meeting=m, approve=True, version=m.version)
    assert m.state == State.APPROVED


def test_attachment_content_is_checked(b, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    m = planned(b, starts_at=T)
    pdf = SimpleUploadedFile("纪要.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    a = services.add_attachment(actor=b.secretary, meeting=m, upload=pdf)
    assert a.content_type == "application/pdf" and a.size == 13
    assert a.file.path.startswith(str(tmp_path))
    fake = SimpleUploadedFile("x.pdf", b"MZ\x90\x00", content_type="application/pdf")
    with pytest.raises(ValidationError) as e:
        services.add_attachment(actor=b.secretary, meeting=m, upload=fake)
    assert "file" in e.value.message_dict
    big = SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * (10 * 1024 * 1024))
    with pytest.raises(ValidationError):
        services.add_attachment(actor=b.secretary, meeting=m, upload=big)
    with pytest.raises(PermissionDenied):
        services.add_attachment(actor=b.outsider, meeting=m, upload=pdf)


# --- appraisal ---------------------------------------------------------------------------------
def test_appraisal_records_updates_and_refuses_another_meeting(b):
    m = held(b, kind=Kind.APPRAISAL)
    ids = [x.pk for x in b.roll]
    rows = services.record_appraisal(
        actor=b.secretary, meeting=m, results={ids[0]: ("excellent", ""), ids[1]: "qualified"}
    )
    assert {r.grade for r in rows} == {"excellent", "qualified"} and rows[0].year == 2026
    services.record_appraisal(actor=b.secretary, meeting=m, results={ids[0]: ("basic", "迟到")})
    assert AppraisalResult.objects.get(member_id=ids[0], year=2026).grade == "basic"
    assert AppraisalResult.objects.count() == 2
    other = held(b, kind=Kind.APPRAISAL)
    with pytest.raises(MeetingRefused) as e:
        services.record_appraisal(actor=b.secretary, meeting=other, results={ids[0]: "qualified"})
    assert refused(e) == ["appraisal_exists"]
    with pytest.raises(MeetingRefused) as e:
        services.record_appraisal(
            actor=b.secretary, meeting=other, results={b.outsider_member.pk: "qualified"}
        )
    assert refused(e) == ["appraisal_not_on_roster"]
    with pytest.raises(ValidationError):
        services.record_appraisal(actor=b.secretary, meeting=other, results={ids[2]: "great"})


def test_appraisal_only_on_an_appraisal_meeting(b):
    m = held(b)
    with pytest.raises(MeetingRefused) as e:
        services.record_appraisal(
            actor=b.secretary, meeting=m, results={b.members[0].pk: "qualified"}
        )
    assert refused(e) == ["appraisal_kind"]


def test_attendance_refused_once_submitted(b):
    m = submitted(b)
    with pytest.raises(MeetingRefused) as e:
        services.mark_attendance(
            actor=b.secretary, meeting=m, marks={b.members[0].pk: "attended"}, now=AFTER
        )
    assert refused(e) == ["meeting_state"]


def test_study_session_may_name_participants(b):
    m = planned(b, starts_at=T, kind=Kind.STUDY, participants=[b.members[0], b.members[1]])
    assert m.should_attend == 2
    with pytest.raises(ValidationError) as e:
        planned(b, starts_at=T, kind=Kind.STUDY, participants=[b.members[0], b.outsider_member])
    assert "participants" in e.value.message_dict


def test_appraisal_year_is_the_shanghai_day_of_the_meeting(b):
    ids = [x.pk for x in b.roll]
    dec = planned(b, kind=Kind.APPRAISAL, starts_at=at(date(2026, 12, 31), 23, 0), hours=1)
    dec = services.record_held(
        actor=b.secretary, meeting=dec, minutes="x", now=AFTER.replace(year=2027)
    )
    jan = planned(b, kind=Kind.APPRAISAL, starts_at=at(date(2027, 1, 1), 0, 30), hours=1)
    jan = services.record_held(
        actor=b.secretary, meeting=jan, minutes="x", now=AFTER.replace(year=2027)
    )
    assert (
        services.record_appraisal(actor=b.secretary, meeting=dec, results={ids[0]: "qualified"})[
            0
        ].year
        == 2026
    )
    assert (
        services.record_appraisal(actor=b.secretary, meeting=jan, results={ids[0]: "excellent"})[
            0
        ].year
        == 2027
    )


def test_appraisal_needs_a_held_meeting(b):
    m = planned(b, kind=Kind.APPRAISAL, starts_at=T)
    with pytest.raises(MeetingRefused) as e:
        services.record_appraisal(
            actor=b.secretary, meeting=m, results={b.members[0].pk: "qualified"}
        )
    assert refused(e) == ["meeting_state"]
