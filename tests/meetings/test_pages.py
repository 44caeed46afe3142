"""Meeting pages per role: the list (scoped, filtered, paged, query budget), planning (heart
talks included; bad input writes nothing; rule refusals with their article), the meeting
page (sign-in block, attendance marking incl. htmx and stale versions, minutes, attachments,
submit, review, cancel), the review queue, "my meetings" and the appraisal page.

Meetings are planned through the services (tests/meetings/factories.py `planned`); "live"
meetings started ten minutes ago, so the sign-in window is open and they can be held now."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.meetings.factories import Branch, meeting, planned
from tongxin.meetings import services
from tongxin.meetings.models import (
    AppraisalResult,
    Attachment,
    Attendance,
    Kind,
    Meeting,
    MeetingEvent,
    State,
)

HX = {"HX-Request": "true", "HX-Target": "roster"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def b(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return Branch()


def live(b, **fields) -> Meeting:
    """A meeting that started ten minutes ago (sign-in open, may be held now)."""
    return planned(b, starts_at=timezone.now() - timedelta(minutes=10), **fields)


def held(b, **fields) -> Meeting:
    m = live(b, **fields)
    services.mark_attendance(
        actor=b.secretary,
        meeting=m,
        marks={b.members[0].pk: ("attended", ""), b.members[1].pk: ("leave", "出差")},
    )
    return services.record_held(actor=b.secretary, meeting=m, minutes="学习讨论")


def submitted(b, **fields) -> Meeting:
    return services.submit_meeting(actor=b.secretary, meeting=held(b, **fields))


def login(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


# ---------------------------------------------------------------- list and scoping


def test_list_per_role_is_scoped(client, b):
    ours = planned(b, topic="我们的主题党日")
    other = meeting(b.district.branch_b1, topic="温泉的会")
    login(client, b.secretary)
    body = client.get("/meetings/").content.decode()
    assert "我们的主题党日" in body and "温泉的会" not in body
    assert "Plan a meeting" in body
    year = timezone.localdate().year
    assert f'href="/meetings/summary/{b.org.pk}/{year}/pdf/"' in body
    login(client, b.community_admin)
    body = client.get("/meetings/").content.decode()
    assert "我们的主题党日" in body and "温泉的会" not in body
    login(client, b.outsider)
    body = client.get("/meetings/").content.decode()
    assert "我们的主题党日" not in body and "温泉的会" in body
    # a party member sees the meetings they are on the roster of, and cannot plan
    login(client, b.member_user)
    body = client.get("/meetings/").content.decode()
    assert "我们的主题党日" in body and "温泉的会" not in body
    assert "Plan a meeting" not in body
    assert ours.pk != other.pk


def test_list_filters_and_keyset_more(client, b):
    day = timezone.localdate()
    for i in range(55):
        meeting(b, topic=f"主题{i:02d}", on=day - timedelta(days=i), state=State.APPROVED)
    meeting(b, kind=Kind.PARTY_LECTURE, topic="党课专题", on=day)
    login(client, b.secretary)
    first = client.get("/meetings/").content.decode()
    assert "after=" in first
    assert first.count('href="/meetings/') >= 50
    lecture = client.get("/meetings/?kind=party_lecture").content.decode()
    assert "党课专题" in lecture and "主题01" not in lecture
    month = client.get(f"/meetings/?month={day:%Y-%m}").content.decode()
    assert "主题00" in month
    bad = client.get("/meetings/?month=2026-13")
    assert bad.status_code == 200
    assert "no month 13" in bad.content.decode()


def test_list_more_page_via_htmx(client, b):
    day = timezone.localdate()
    for i in range(55):
        meeting(b, topic=f"翻页{i:02d}", on=day - timedelta(days=i))
    login(client, b.secretary)
    body = client.get("/meetings/").content.decode()
    cursor = body.split("after=", 1)[1].split('"', 1)[0].split("&", 1)[0]
    more = client.get(
        f"/meetings/?after={cursor}", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="meeting-rows"
    )
    text = more.content.decode()
    assert more.status_code == 200
    assert "<html" not in text and "翻页54" in text


@pytest.mark.parametrize("who", ["secretary", "community_admin", "member_user", "district_admin"])
def test_list_query_budget(client, b, who, django_assert_max_num_queries):
    for i in range(30):
        m = meeting(b, topic=f"预算{i}", roster=True)
    assert m.should_attend
    login(client, getattr(b, who))
    with django_assert_max_num_queries(13):
        response = client.get("/meetings/")
    assert response.status_code == 200


# ---------------------------------------------------------------- the meeting page per role


def test_detail_per_role(client, b):
    m = planned(b, topic="角色主题")
    for user, status in [
        (b.secretary, 200),
        (b.community_admin, 200),
        (b.street_admin, 200),
        (b.district_admin, 200),
        (b.member_user, 200),
        (b.outsider, 404),
        (b.outsider_member_user, 404),
    ]:
        login(client, user)
        assert client.get(f"/meetings/{m.pk}/").status_code == status, user
    assert client.get("/meetings/99999999/").status_code == 404


def test_detail_shows_signin_code_and_qr_to_keepers_only(client, b):
    m = planned(b)
    login(client, b.secretary)
    body = client.get(f"/meetings/{m.pk}/").content.decode()
    assert m.signin_code in body
    assert "<svg" in body and "QR code for signing in" in body
    assert f'href="/meetings/{m.pk}/pdf/"' in body
    login(client, b.member_user)
    body = client.get(f"/meetings/{m.pk}/").content.decode()
    assert m.signin_code not in body
    assert "Save attendance" not in body


def test_detail_query_budget(client, b, django_assert_max_num_queries):
    m = held(b)
    for _ in range(3):
        services.add_attachment(
            actor=b.secretary, meeting=m, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 x")
        )
    login(client, b.secretary)
    with django_assert_max_num_queries(14):
        response = client.get(f"/meetings/{m.pk}/")
    assert response.status_code == 200


# ---------------------------------------------------------------- planning


def plan_data(b, **over) -> dict:
    day = timezone.localdate() + timedelta(days=3)
    data = {
        "org": b.org.pk,
        "kind": "theme_day",
        "topic": "学习党章",
        "on": f"{day:%Y-%m-%d}",
        "start": "19:00",
        "end": "21:00",
        "place": "党群服务中心",
        "host": b.members[0].pk,
        "recorder": b.members[1].pk,
        "agenda": "一、学习",
        "notify": "on",
    }
    data.update(over)
    return data


def test_plan_page_per_role(client, b):
    login(client, b.secretary)
    body = client.get("/meetings/new/").content.decode()
    assert 'name="topic"' in body  # the only branch is chosen already
    login(client, b.community_admin)
    body = client.get("/meetings/new/").content.decode()
    assert "Choose the branch first" in body
    body = client.get(f"/meetings/new/?org={b.org.pk}").content.decode()
    assert 'name="topic"' in body and b.members[0].name in body
    assert client.get(f"/meetings/new/?org={b.district.branch_b1.pk}").status_code == 200
    for user in (b.member_user, b.outsider_member_user):
        login(client, user)
        assert client.get("/meetings/new/").status_code == 403
        assert client.post("/meetings/new/", plan_data(b)).status_code == 403
    assert not Meeting.objects.exists()


def test_plan_via_page_creates_the_meeting(client, b):
    login(client, b.secretary)
    response = client.post("/meetings/new/", plan_data(b))
    m = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/meetings/{m.pk}/"
    assert (m.kind, m.topic, m.host, m.state) == ("theme_day", "学习党章", b.members[0], "planned")
    assert timezone.localtime(m.starts_at).hour == 19
    assert m.should_attend == len(b.roll) == Attendance.objects.filter(meeting=m).count()
    assert MeetingEvent.objects.filter(meeting=m, kind="planned").exists()


@pytest.mark.parametrize(
    ("over", "field", "text"),
    [
        ({"end": "18:00"}, "end", "must end after it starts"),
        ({"topic": ""}, "topic", "This field is required"),
        ({"on": "2026-02-30"}, "on", "Enter a valid date"),
        ({"kind": "picnic"}, "kind", "Select a valid choice"),
        ({"kind": "heart_talk"}, "participants", "exactly two people"),
        ({"kind": "group_meeting"}, "party_group", "needs its party group"),
    ],
)
def test_plan_bad_input_shows_the_field_and_writes_nothing(client, b, over, field, text):
    login(client, b.secretary)
    response = client.post("/meetings/new/", plan_data(b, **over))
    assert response.status_code == 400
    body = response.content.decode()
    assert f'id="id_{field}-errors"' in body and text in body
    assert not Meeting.objects.exists()


def test_plan_for_a_branch_not_kept_is_refused(client, b):
    login(client, b.secretary)
    response = client.post("/meetings/new/", plan_data(b, org=b.district.branch_b1.pk))
    assert response.status_code == 400
    assert "Choose a branch whose meetings you keep" in response.content.decode()
    assert not Meeting.objects.exists()


def test_plan_committee_meeting_without_committee_is_refused_with_the_article(client, db):
    nb = Branch(has_committee=False)
    login(client, nb.secretary)
    response = client.post("/meetings/new/", plan_data(nb, kind="committee_meeting"))
    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-rule="no_committee"' in body and "第十二条" in body
    assert not Meeting.objects.exists()


def test_plan_heart_talk_via_page(client, b):
    login(client, b.secretary)
    data = plan_data(
        b,
        kind="heart_talk",
        talk_pair="secretary_member",
        participants=[b.members[0].pk, b.members[3].pk],
    )
    response = client.post("/meetings/new/", data)
    assert response.status_code == 302
    m = Meeting.objects.get()
    assert m.kind == "heart_talk" and m.talk_pair == "secretary_member"
    assert set(m.attendance.values_list("member_id", flat=True)) == {
        b.members[0].pk,
        b.members[3].pk,
    }


# ---------------------------------------------------------------- attendance


def test_attendance_marking_via_page(client, b):
    m = live(b)
    login(client, b.secretary)
    data = {
        "version": m.version,
        f"s-{b.members[0].pk}": "attended",
        f"s-{b.members[1].pk}": "leave",
        f"r-{b.members[1].pk}": "出差",
        f"s-{b.members[2].pk}": "absent",
    }
    response = client.post(f"/meetings/{m.pk}/attendance/", data)
    assert response.status_code == 302
    m.refresh_from_db()
    assert (m.attended, m.on_leave) == (1, 1)
    row = Attendance.objects.get(meeting=m, member=b.members[1])
    assert (row.status, row.leave_reason) == ("leave", "出差")


def test_attendance_marking_via_htmx_returns_the_roster(client, b):
    m = live(b)
    login(client, b.secretary)
    data = {"version": m.version, f"s-{b.members[0].pk}": "attended"}
    response = client.post(f"/meetings/{m.pk}/attendance/", data, headers=HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith('<section class="card" aria-labelledby="roster-h" id="roster">')
    assert '<b id="attended">1</b>' in body and "Attendance saved." in body


def test_attendance_leave_without_reason_writes_nothing(client, b):
    m = live(b)
    login(client, b.secretary)
    data = {f"s-{b.members[0].pk}": "attended", f"s-{b.members[1].pk}": "leave"}
    response = client.post(f"/meetings/{m.pk}/attendance/", data)
    assert response.status_code == 400
    assert "Leave needs a reason." in response.content.decode()
    m.refresh_from_db()
    assert m.attended == 0
    assert not Attendance.objects.filter(meeting=m).exclude(status="expected").exists()


def test_attendance_stale_version_is_409(client, b):
    m = live(b)
    login(client, b.secretary)
    data = {"version": m.version, f"s-{b.members[0].pk}": "attended"}
    assert client.post(f"/meetings/{m.pk}/attendance/", data).status_code == 302
    data[f"s-{b.members[1].pk}"] = "absent"
    response = client.post(f"/meetings/{m.pk}/attendance/", data, headers=HX)  # old version
    assert response.status_code == 409
    assert "already changed" in response.content.decode()
    assert Attendance.objects.get(meeting=m, member=b.members[1]).status == "expected"


def test_attendance_before_the_window_is_refused(client, b):
    m = planned(b, starts_at=timezone.now() + timedelta(hours=3))
    login(client, b.secretary)
    response = client.post(f"/meetings/{m.pk}/attendance/", {f"s-{b.members[0].pk}": "attended"})
    assert response.status_code == 422
    assert 'data-rule="attendance_not_started"' in response.content.decode()


@pytest.mark.parametrize(("who", "status"), [("member_user", 403), ("outsider", 404)])
def test_attendance_by_others_is_refused(client, b, who, status):
    m = live(b)
    login(client, getattr(b, who))
    response = client.post(f"/meetings/{m.pk}/attendance/", {f"s-{b.members[0].pk}": "attended"})
    assert response.status_code == status
    assert Meeting.objects.get(pk=m.pk).attended == 0


def test_actions_answer_405_to_get(client, b):
    m = live(b)
    login(client, b.secretary)
    for action in ("attendance", "held", "submit", "review", "cancel", "attachments"):
        assert client.get(f"/meetings/{m.pk}/{action}/").status_code == 405, action


# ---------------------------------------------------------------- held, submit, review


def test_held_submit_approve_via_pages(client, b):
    m = live(b)
    login(client, b.secretary)
    marks = {"version": m.version, f"s-{b.members[0].pk}": "attended"}
    assert client.post(f"/meetings/{m.pk}/attendance/", marks).status_code == 302
    m.refresh_from_db()
    response = client.post(
        f"/meetings/{m.pk}/held/", {"minutes": "学习了党章", "version": m.version}
    )
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.state == "held" and m.minutes == "学习了党章"
    response = client.post(f"/meetings/{m.pk}/submit/", {"version": m.version})
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.state == "submitted"
    # a duplicate submission is refused clearly
    response = client.post(f"/meetings/{m.pk}/submit/", {})
    assert response.status_code == 422
    assert 'data-rule="already_submitted"' in response.content.decode()
    # the branch secretary does not review the branch's own meeting
    assert client.post(f"/meetings/{m.pk}/review/", {"decision": "approve"}).status_code == 403
    login(client, b.community_admin)
    body = client.get(f"/meetings/{m.pk}/").content.decode()
    assert "Record the review" in body
    response = client.post(
        f"/meetings/{m.pk}/review/", {"decision": "approve", "version": m.version}
    )
    assert response.status_code == 302
    m.refresh_from_db()
    assert m.state == "approved" and m.reviewed_by == b.community_admin


def test_return_needs_an_opinion_then_resubmit(client, b):
    m = submitted(b)
    login(client, b.community_admin)
    response = client.post(f"/meetings/{m.pk}/review/", {"decision": "return"})
    assert response.status_code == 400
    assert "Say why the meeting is returned." in response.content.decode()
    assert Meeting.objects.get(pk=m.pk).state == "submitted"
    response = client.post(
        f"/meetings/{m.pk}/review/", {"decision": "return", "opinion": "补充会议记录"}
    )
    assert response.status_code == 302
    assert Meeting.objects.get(pk=m.pk).state == "returned"
    login(client, b.secretary)
    body = client.get(f"/meetings/{m.pk}/").content.decode()
    assert "补充会议记录" in body and "Submit for review" in body
    assert client.post(f"/meetings/{m.pk}/submit/", {}).status_code == 302
    assert Meeting.objects.get(pk=m.pk).state == "submitted"


def test_future_meeting_cannot_be_recorded_as_held(client, b):
    m = planned(b, starts_at=timezone.now() + timedelta(days=2))
    login(client, b.secretary)
    response = client.post(f"/meetings/{m.pk}/held/", {"minutes": "提前写的记录"})
    assert response.status_code == 422
    assert 'data-rule="future_held"' in response.content.decode()
    m.refresh_from_db()
    assert m.state == "planned" and m.minutes == ""


def test_held_without_minutes_shows_the_field(client, b):
    m = live(b)
    login(client, b.secretary)
    response = client.post(f"/meetings/{m.pk}/held/", {"minutes": "   "})
    assert response.status_code == 400
    assert 'id="id_minutes-errors"' in response.content.decode()
    assert Meeting.objects.get(pk=m.pk).state == "planned"


def test_review_by_a_foreign_keeper_is_404_and_by_a_member_403(client, b):
    m = submitted(b)
    login(client, b.district.other_community)
    assert client.post(f"/meetings/{m.pk}/review/", {"decision": "approve"}).status_code == 404
    login(client, b.member_user)
    assert client.post(f"/meetings/{m.pk}/review/", {"decision": "approve"}).status_code == 403
    assert Meeting.objects.get(pk=m.pk).state == "submitted"


def test_cancel_via_page(client, b):
    m = planned(b)
    login(client, b.secretary)
    response = client.post(f"/meetings/{m.pk}/cancel/", {"reason": ""})
    assert response.status_code == 400
    assert Meeting.objects.get(pk=m.pk).state == "planned"
    response = client.post(f"/meetings/{m.pk}/cancel/", {"reason": "暴雨", "version": m.version})
    assert response.status_code == 302
    assert Meeting.objects.get(pk=m.pk).state == "cancelled"


def test_review_queue(client, b):
    m = submitted(b, topic="待审的会")
    planned(b, topic="还没开的会")
    login(client, b.community_admin)
    body = client.get("/meetings/review/").content.decode()
    assert "待审的会" in body and "还没开的会" not in body
    login(client, b.secretary)
    body = client.get("/meetings/review/").content.decode()
    assert "待审的会" not in body
    login(client, b.district.other_community)
    assert "待审的会" not in client.get("/meetings/review/").content.decode()
    assert m.state == "submitted"


def test_review_queue_query_budget(client, b, django_assert_max_num_queries):
    for i in range(20):
        meeting(b, state=State.SUBMITTED, topic=f"待审{i}")
    login(client, b.street_admin)
    with django_assert_max_num_queries(8):
        response = client.get("/meetings/review/")
    assert response.status_code == 200
    assert "待审19" in response.content.decode()


# ---------------------------------------------------------------- attachments


def test_attachment_upload_and_scoped_download(client, b):
    m = live(b)
    login(client, b.secretary)
    upload = SimpleUploadedFile("记录.pdf", b"%PDF-1.4 minutes", content_type="application/pdf")
    response = client.post(f"/meetings/{m.pk}/attachments/", {"file": upload})
    assert response.status_code == 302
    a = Attachment.objects.get(meeting=m)
    url = f"/meetings/{m.pk}/attachments/{a.pk}/"
    download = client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    login(client, b.outsider)
    assert client.get(url).status_code == 404
    other = meeting(b)
    login(client, b.secretary)
    assert client.get(f"/meetings/{other.pk}/attachments/{a.pk}/").status_code == 404


def test_attachment_of_the_wrong_kind_is_refused(client, b):
    m = live(b)
    login(client, b.secretary)
    upload = SimpleUploadedFile("x.pdf", b"MZ not a pdf", content_type="application/pdf")
    response = client.post(f"/meetings/{m.pk}/attachments/", {"file": upload})
    assert response.status_code == 400
    assert "Only PDF, JPEG, PNG or Word" in response.content.decode()
    assert not Attachment.objects.exists()


# ---------------------------------------------------------------- my meetings, appraisal


def test_my_meetings_query_budget(client, b, django_assert_max_num_queries):
    for i in range(20):
        meeting(b, topic=f"我的{i}", on=timezone.localdate() - timedelta(days=i), roster=True)
    login(client, b.member_user)
    with django_assert_max_num_queries(11):
        response = client.get("/meetings/mine/")
    assert response.content.decode().count('href="/meetings/') >= 20


def test_my_meetings(client, b):
    m = planned(b, topic="我的会")
    meeting(b.district.branch_b1, topic="别人的会")
    login(client, b.member_user)
    response = client.get("/meetings/mine/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "我的会" in body and "别人的会" not in body
    assert m.pk


def test_appraisal_page(client, b):
    m = held(b, kind=Kind.APPRAISAL)
    login(client, b.secretary)
    assert client.get(f"/meetings/{m.pk}/appraisal/").status_code == 200
    data = {
        f"g-{b.members[0].pk}": "excellent",
        f"g-{b.members[1].pk}": "qualified",
        f"n-{b.members[1].pk}": "按时参加组织生活",
    }
    response = client.post(f"/meetings/{m.pk}/appraisal/", data)
    assert response.status_code == 302
    grades = dict(AppraisalResult.objects.values_list("member_id", "grade"))
    assert grades == {b.members[0].pk: "excellent", b.members[1].pk: "qualified"}
    body = client.get(f"/meetings/{m.pk}/appraisal/").content.decode()
    assert "按时参加组织生活" in body


def test_appraisal_page_refusals(client, b):
    m = held(b, kind=Kind.APPRAISAL)
    login(client, b.secretary)
    response = client.post(f"/meetings/{m.pk}/appraisal/", {})
    assert response.status_code == 400
    assert "Give at least one member a rating." in response.content.decode()
    response = client.post(f"/meetings/{m.pk}/appraisal/", {f"g-{b.members[0].pk}": "superb"})
    assert response.status_code == 400
    assert not AppraisalResult.objects.exists()
    theme = live(b)
    assert client.get(f"/meetings/{theme.pk}/appraisal/").status_code == 404
    login(client, b.member_user)
    assert client.get(f"/meetings/{m.pk}/appraisal/").status_code == 403
    login(client, b.outsider)
    assert client.get(f"/meetings/{m.pk}/appraisal/").status_code == 404


@pytest.mark.parametrize("big", ["99999999999999999999999", "-1", "abc", "0"])
def test_malformed_ids_never_500(client, b, big):
    m = live(b)
    login(client, b.secretary)
    assert client.get(f"/meetings/?org={big}").status_code == 200
    assert client.get(f"/meetings/?after={big}.{big}").status_code == 200
    assert client.get(f"/meetings/new/?org={big}").status_code == 200
    response = client.post("/meetings/new/", plan_data(b, org=big, host=big))
    assert response.status_code == 400
    response = client.post(
        f"/meetings/{m.pk}/attendance/", {f"s-{big}": "attended", "version": big}
    )
    assert response.status_code == 400
    assert Meeting.objects.count() == 1
