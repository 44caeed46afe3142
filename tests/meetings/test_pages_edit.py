"""The page that changes a planned meeting (/meetings/<id>/edit/, meetings:edit): per role
(404 outside scope, 403 for those who may not manage it), prefilled, saved through
services.update_meeting (event + audit), bad input (end before start, the 24-hour cap) with
the field named and nothing written, a stale version (409), a meeting no longer planned
(409, nothing written), rule refusals listed with their article, the query budget."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.meetings.factories import SH, Branch, at, planned
from tongxin.core.models import AuditEntry
from tongxin.meetings import services
from tongxin.meetings.models import Attendance, Meeting, MeetingEvent, State
from tongxin.meetings.rules.common import ART_SIGNIN, violation

DAY = date(2026, 9, 10)


@pytest.fixture
def b(db):
    return Branch()


@pytest.fixture
def m(b):
    return planned(b, starts_at=at(DAY), topic="原来的主题", host=b.members[0])


def login(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def url(meeting) -> str:
    return f"/meetings/{meeting.pk}/edit/"


def form_data(meeting, **over) -> dict:
    data = {
        "topic": meeting.topic,
        "on": "2026-09-10",
        "start": "19:00",
        "end": "21:00",
        "end_on": "",
        "place": meeting.place,
        "host": meeting.host_id or "",
        "recorder": meeting.recorder_id or "",
        "agenda": meeting.agenda,
        "version": meeting.version,
    }
    data.update(over)
    return data


def snapshot(meeting) -> tuple:
    """What must not move when a change is refused."""
    fresh = Meeting.objects.get(pk=meeting.pk)
    return (
        fresh.version,
        fresh.topic,
        fresh.starts_at,
        fresh.ends_at,
        fresh.on,
        MeetingEvent.objects.filter(meeting=meeting, kind="updated").count(),
        AuditEntry.objects.filter(action="meeting.update", object_id=str(meeting.pk)).count(),
    )


# ---------------------------------------------------------------- who may


def test_edit_page_per_role(client, b, m):
    cases = [
        (b.secretary, 200),
        (b.community_admin, 200),  # keeps the community: manages its branches' meetings
        (b.street_admin, 200),
        (b.district_admin, 200),
        (b.member_user, 403),  # on the roster: sees the meeting, may not change it
        (b.outsider, 404),  # another branch's secretary
        (b.outsider_member_user, 404),
    ]
    for user, status in cases:
        login(client, user)
        assert client.get(url(m)).status_code == status, user
    before = snapshot(m)
    for user, status in cases[4:]:
        login(client, user)
        response = client.post(url(m), form_data(m, topic="被改的主题"))
        assert response.status_code == status, user
    assert snapshot(m) == before


def test_anonymous_is_sent_to_login(client, m):
    response = client.get(url(m))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_unknown_meeting_is_404(client, b, m):
    login(client, b.secretary)
    assert client.get(f"/meetings/{m.pk + 1000}/edit/").status_code == 404


# ---------------------------------------------------------------- the form


def test_get_is_prefilled(client, b, m):
    Meeting.objects.filter(pk=m.pk).update(agenda="一、学习\n二、讨论", recorder=b.members[1])
    login(client, b.secretary)
    response = client.get(url(m))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="原来的主题"' in body
    assert 'name="on" value="2026-09-10"' in body
    assert 'name="start" value="19:00"' in body and 'name="end" value="21:00"' in body
    assert 'name="place" value="党群服务中心"' in body
    assert f'<option value="{b.members[0].pk}" selected>' in body
    assert f'<option value="{b.members[1].pk}" selected>' in body
    assert "一、学习\n二、讨论</textarea>" in body
    assert f'name="version" value="{m.version}"' in body
    # the kind and branch are shown, not editable
    assert 'name="kind"' not in body and 'name="org"' not in body


def test_a_meeting_past_midnight_is_prefilled_with_its_end_day(client, b):
    late = planned(b, starts_at=at(DAY, 22), ends_at=at(DAY + timedelta(days=1), 1, 30))
    login(client, b.secretary)
    body = client.get(url(late)).content.decode()
    assert 'name="end" value="01:30"' in body and 'name="end_on" value="2026-09-11"' in body
    # saving it unchanged keeps it (nothing written)
    before = snapshot(late)
    data = form_data(late, start="22:00", end="01:30", end_on="2026-09-11")
    response = client.post(url(late), data)
    assert response.status_code == 302
    assert snapshot(late) == before


def test_post_changes_the_meeting_with_event_and_audit(client, b, m):
    login(client, b.secretary)
    roster = set(Attendance.objects.filter(meeting=m).values_list("member_id", flat=True))
    data = form_data(
        m,
        topic="新的主题",
        on="2026-09-12",
        start="09:30",
        end="11:00",
        place="社区礼堂",
        host=b.members[3].pk,
        recorder=b.members[1].pk,
        agenda="学习新党章",
    )
    response = client.post(url(m), data)
    assert response.status_code == 302 and response["Location"] == f"/meetings/{m.pk}/"
    fresh = Meeting.objects.get(pk=m.pk)
    assert (fresh.topic, fresh.place, fresh.agenda) == ("新的主题", "社区礼堂", "学习新党章")
    assert (fresh.host, fresh.recorder) == (b.members[3], b.members[1])
    assert fresh.starts_at == at(date(2026, 9, 12), 9, 30)
    assert fresh.ends_at == at(date(2026, 9, 12), 11, 0)
    assert fresh.on == date(2026, 9, 12)
    assert fresh.version == m.version + 1 and fresh.state == State.PLANNED
    assert fresh.kind == m.kind and fresh.org_id == m.org_id
    assert set(Attendance.objects.filter(meeting=m).values_list("member_id", flat=True)) == roster
    ev = MeetingEvent.objects.get(meeting=m, kind="updated")
    assert ev.actor == b.secretary
    assert set(ev.payload["fields"]) >= {"topic", "starts_at", "ends_at", "place", "host"}
    audit = AuditEntry.objects.get(action="meeting.update", object_id=str(m.pk))
    assert audit.changes["topic"] == ["原来的主题", "新的主题"]
    page = client.get(response["Location"]).content.decode()
    assert "The plan of the meeting is changed." in page and "新的主题" in page
    assert "Plan changed" in page  # the timeline


def test_only_changed_fields_go_to_the_service(client, b, m):
    login(client, b.secretary)
    response = client.post(url(m), form_data(m, place="新地点"))
    assert response.status_code == 302
    audit = AuditEntry.objects.get(action="meeting.update", object_id=str(m.pk))
    assert set(audit.changes) == {"place"}


def test_nothing_changed_writes_nothing(client, b, m):
    login(client, b.secretary)
    before = snapshot(m)
    response = client.post(url(m), form_data(m), follow=True)
    assert response.status_code == 200
    assert "Nothing was changed." in response.content.decode()
    assert snapshot(m) == before


def test_a_host_from_another_branch_is_refused(client, b, m):
    login(client, b.secretary)
    before = snapshot(m)
    response = client.post(url(m), form_data(m, host=b.outsider_member.pk))
    assert response.status_code == 400
    assert 'id="id_host-errors"' in response.content.decode()
    assert snapshot(m) == before


# ---------------------------------------------------------------- time rules


@pytest.mark.parametrize(
    ("over", "field", "text"),
    [
        ({"end": "18:00"}, "end", "must end after it starts"),
        ({"end": "19:00"}, "end", "must end after it starts"),  # the minute it starts
        ({"end_on": "2026-09-09", "end": "23:00"}, "end_on", "must end after it starts"),
        ({"topic": ""}, "topic", "This field is required"),
        ({"topic": "长" * 201}, "topic", "at most 200 characters"),
        ({"on": "2026-02-30"}, "on", "Enter a valid date"),
        ({"start": "25:00"}, "start", "Enter a valid time"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(client, b, m, over, field, text):
    login(client, b.secretary)
    before = snapshot(m)
    response = client.post(url(m), form_data(m, **over))
    assert response.status_code == 400
    body = response.content.decode()
    assert f'id="id_{field}-errors"' in body and text in body
    assert snapshot(m) == before


@pytest.mark.parametrize(
    ("end", "ok"),
    [("18:59", True), ("19:00", True), ("19:01", False)],  # 23:59, 24:00, 24:01 hours
)
def test_the_24_hour_cap(client, b, m, end, ok):
    login(client, b.secretary)
    before = snapshot(m)
    response = client.post(url(m), form_data(m, end_on="2026-09-11", end=end))
    fresh = Meeting.objects.get(pk=m.pk)
    if ok:
        assert response.status_code == 302
        assert fresh.ends_at.astimezone(SH).strftime("%Y-%m-%d %H:%M") == f"2026-09-11 {end}"
    else:
        assert response.status_code == 400
        body = response.content.decode()
        assert 'id="id_end_on-errors"' in body and "at most 24 hours" in body
        assert snapshot(m) == before


# ---------------------------------------------------------------- stale, state, refusals


def test_stale_version_is_409_and_writes_nothing(client, b, m):
    login(client, b.secretary)
    data = form_data(m, topic="我的修改")
    services.update_meeting(actor=b.community_admin, meeting=m, place="别人改的")
    before = snapshot(m)
    response = client.post(url(m), data)
    assert response.status_code == 409
    body = response.content.decode()
    assert "already changed by someone else" in body
    assert f'href="/meetings/{m.pk}/edit/">Reload' in body
    assert snapshot(m) == before
    assert Meeting.objects.get(pk=m.pk).topic == "原来的主题"


@pytest.mark.parametrize("how", ["cancelled", "held"])
def test_a_meeting_no_longer_planned_cannot_be_changed(client, b, how):
    if how == "cancelled":
        m = planned(b, starts_at=at(DAY))
        services.cancel_meeting(actor=b.secretary, meeting=m, reason="暴雨")
    else:
        m = planned(b, starts_at=timezone.now() - timedelta(minutes=10))
        services.record_held(actor=b.secretary, meeting=m, minutes="学习讨论")
    login(client, b.secretary)
    response = client.get(url(m))
    assert response.status_code == 409
    body = response.content.decode()
    assert "Only a planned meeting can be changed" in body and 'name="topic"' not in body
    before = snapshot(m)
    response = client.post(url(m), form_data(m, topic="改不了"))
    assert response.status_code == 409
    assert snapshot(m) == before
    # and the meeting page offers no Edit link
    assert 'id="edit-link"' not in client.get(f"/meetings/{m.pk}/").content.decode()
    # still 404 / 403 first for those outside / without the right
    login(client, b.outsider)
    assert client.get(url(m)).status_code == 404
    login(client, b.member_user)
    assert client.get(url(m)).status_code == 403


def test_rule_refusals_are_listed_with_their_article(client, b, m, monkeypatch):
    """A refusal of the service (e.g. the meeting cancelled meanwhile) is listed, 422."""

    def refuse(**kwargs):
        msg = "A meeting lasts at most 24 hours."
        raise services.MeetingRefused([violation("meeting_too_long", ART_SIGNIN, msg)])

    monkeypatch.setattr(services, "update_meeting", refuse)
    login(client, b.secretary)
    response = client.post(url(m), form_data(m, topic="新的主题"))
    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-rule="meeting_too_long"' in body and "Refused by the rules" in body
    assert 'value="新的主题"' in body  # what was typed stays


def test_service_field_errors_land_on_the_fields(client, b, m):
    login(client, b.secretary)
    before = snapshot(m)
    response = client.post(url(m), form_data(m, on="1999-09-10"))
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_on-errors"' in body and "2000 to 2100" in body
    assert snapshot(m) == before


# ---------------------------------------------------------------- the meeting page link


def test_detail_offers_edit_to_managers_while_planned(client, b, m):
    for user, shown in [
        (b.secretary, True),
        (b.community_admin, True),
        (b.member_user, False),
    ]:
        login(client, user)
        body = client.get(f"/meetings/{m.pk}/").content.decode()
        assert (f'href="/meetings/{m.pk}/edit/"' in body) is shown, user


def test_plan_page_takes_a_meeting_past_midnight(client, b):
    login(client, b.secretary)
    data = {
        "org": b.org.pk,
        "kind": "theme_day",
        "topic": "跨夜值守学习",
        "on": "2026-09-10",
        "start": "22:00",
        "end": "01:00",
        "end_on": "2026-09-11",
        "notify": "on",
    }
    response = client.post("/meetings/new/", data)
    assert response.status_code == 302
    made = Meeting.objects.get(topic="跨夜值守学习")
    assert made.ends_at == at(date(2026, 9, 11), 1, 0)
    response = client.post("/meetings/new/", {**data, "topic": "太长", "end": "22:01"})
    assert response.status_code == 400
    assert 'id="id_end_on-errors"' in response.content.decode()
    assert not Meeting.objects.filter(topic="太长").exists()


# ---------------------------------------------------------------- queries


@pytest.mark.parametrize("who", ["secretary", "community_admin"])
def test_get_query_budget(client, db, who, django_assert_max_num_queries):
    big = Branch(members=40)  # members do not add queries: one select lists them all
    meeting = planned(big, starts_at=at(DAY), host=big.members[0], recorder=big.members[1])
    login(client, getattr(big, who))
    with django_assert_max_num_queries(12):
        response = client.get(url(meeting))
    assert response.status_code == 200
    assert response.content.decode().count("<option value=") >= 2 * 40
