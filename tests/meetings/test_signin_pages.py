"""Sign-in pages on a phone: the 6-digit code page and the QR code's token page.

A member on the roster signs in while the window is open (30 minutes before the start to 30
after the end by default); outside the window the refusal names the window; a second sign-in
says so and counts once; a non-member is refused; anonymous visitors go to the login page
and come back; unknown tokens are 404."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.meetings.factories import Branch, planned
from tongxin.meetings.models import Attendance, Meeting, MeetingEvent

EN = "en"


@pytest.fixture
def b(db):
    return Branch()


def login(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = EN
    return client


def starting_in(b, minutes: int, hours: int = 1, **fields) -> Meeting:
    """A meeting starting `minutes` from now (negative: already started), `hours` long."""
    return planned(b, starts_at=timezone.now() + timedelta(minutes=minutes), hours=hours, **fields)


def my_row(b, m) -> Attendance:
    return Attendance.objects.get(meeting=m, member=b.member)


# ---------------------------------------------------------------- by code


def test_code_page_is_phone_ready(client, b):
    login(client, b.member_user)
    response = client.get("/meetings/signin/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'inputmode="numeric"' in body and 'autocomplete="one-time-code"' in body
    assert 'name="viewport"' in body


def test_code_signs_in_and_names_the_meeting(client, b):
    m = starting_in(b, -5, topic="学习二十大精神")
    login(client, b.member_user)
    response = client.post("/meetings/signin/", {"code": m.signin_code})
    body = response.content.decode()
    assert response.status_code == 200
    assert "学习二十大精神" in body and "You are signed in" in body
    row = my_row(b, m)
    assert (row.status, row.via) == ("attended", "code")
    assert Meeting.objects.get(pk=m.pk).attended == 1
    # a second sign-in changes nothing and says so
    again = client.post("/meetings/signin/", {"code": m.signin_code})
    assert "You were already signed in" in again.content.decode()
    assert Meeting.objects.get(pk=m.pk).attended == 1
    assert MeetingEvent.objects.filter(meeting=m, kind="signed_in").count() == 1


def test_code_page_lists_my_meetings_today(client, b):
    m = starting_in(b, -5, topic="正在开的会")
    other = Branch(b.district)
    starting_in(other, -5, topic="别的支部的会")
    login(client, b.member_user)
    body = client.get("/meetings/signin/").content.decode()
    assert "正在开的会" in body and "别的支部的会" not in body
    assert f'href="/meetings/{m.pk}/"' in body


@pytest.mark.parametrize(
    ("minutes", "ok"),
    [
        (29, True),  # opens 30 minutes before the start
        (31, False),  # not yet
        (-60 - 29, True),  # a one-hour meeting: closes 30 minutes after the end
        (-60 - 31, False),  # closed
    ],
)
def test_code_window_boundaries(client, b, minutes, ok):
    m = starting_in(b, minutes)
    login(client, b.member_user)
    response = client.post("/meetings/signin/", {"code": m.signin_code})
    assert (response.status_code == 200) is ok
    assert (my_row(b, m).status == "attended") is ok
    if not ok:
        body = response.content.decode()
        assert response.status_code == 422
        assert 'data-rule="signin_window"' in body
        opens = timezone.localtime(m.starts_at - timedelta(minutes=30))
        closes = timezone.localtime(m.ends_at + timedelta(minutes=30))
        # the window is shown
        assert f"{opens:%Y-%m-%d %H:%M}" in body and f"{closes:%Y-%m-%d %H:%M}" in body


def test_wrong_code_and_bad_format(client, b):
    m = starting_in(b, -5)
    login(client, b.member_user)
    wrong = "000000" if m.signin_code != "000000" else "111111"
    response = client.post("/meetings/signin/", {"code": wrong})
    assert response.status_code == 422
    assert 'data-rule="signin_code"' in response.content.decode()
    response = client.post("/meetings/signin/", {"code": "12ab"})
    assert response.status_code == 400
    assert "The sign-in code is 6 digits." in response.content.decode()
    assert my_row(b, m).status == "expected"


def test_code_of_someone_elses_meeting_is_refused(client, b):
    m = starting_in(b, -5)
    for user in (b.outsider_member_user, b.secretary):  # not on the roster
        login(client, user)
        response = client.post("/meetings/signin/", {"code": m.signin_code})
        assert response.status_code == 422
    assert Meeting.objects.get(pk=m.pk).attended == 0


def test_code_page_needs_login(client, b):
    response = client.get("/meetings/signin/")
    assert response.status_code == 302 and "/login" in response["Location"]


# ---------------------------------------------------------------- by QR code (token)


def test_token_page_shows_the_meeting_and_signs_in(client, b):
    m = starting_in(b, -5, topic="扫码签到的会")
    login(client, b.member_user)
    url = f"/meetings/s/{m.signin_token}/"
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "扫码签到的会" in body and 'class="big-button"' in body and "csrfmiddlewaretoken" in body
    assert my_row(b, m).status == "expected"  # GET changes nothing
    response = client.post(url)
    assert response.status_code == 200
    assert "You are signed in" in response.content.decode()
    row = my_row(b, m)
    assert (row.status, row.via) == ("attended", "qr")
    page = client.get(url).content.decode()
    assert "You are already signed in to this meeting." in page


def test_token_outside_the_window_shows_the_window(client, b):
    m = starting_in(b, 24 * 60)
    login(client, b.member_user)
    response = client.post(f"/meetings/s/{m.signin_token}/")
    body = response.content.decode()
    assert response.status_code == 422
    assert 'data-rule="signin_window"' in body
    opens = timezone.localtime(m.starts_at - timedelta(minutes=30))
    assert f"{opens:%Y-%m-%d %H:%M}" in body
    assert my_row(b, m).status == "expected"


def test_token_of_a_meeting_not_on_my_roster(client, b):
    m = starting_in(b, -5)
    url = f"/meetings/s/{m.signin_token}/"
    login(client, b.outsider_member_user)
    response = client.get(url)
    assert response.status_code == 403
    assert m.topic not in response.content.decode()
    assert client.post(url).status_code == 403
    login(client, b.secretary)  # sees the meeting, but is not on its roster
    assert client.get(url).status_code == 403
    assert Meeting.objects.get(pk=m.pk).attended == 0


def test_unknown_or_malformed_token_is_404(client, b):
    login(client, b.member_user)
    assert client.get("/meetings/s/" + "0" * 32 + "/").status_code == 404
    assert client.get("/meetings/s/short/").status_code == 404


def test_token_page_sends_anonymous_visitors_to_login_and_back(client, b):
    m = starting_in(b, -5)
    url = f"/meetings/s/{m.signin_token}/"
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response["Location"] and f"next=/meetings/s/{m.signin_token}/" in (
        response["Location"].replace("%2F", "/")
    )


def test_cancelled_meeting_refuses_sign_in(client, b):
    from tongxin.meetings import services

    m = starting_in(b, -5)
    services.cancel_meeting(actor=b.secretary, meeting=m, reason="暴雨")
    login(client, b.member_user)
    response = client.post(f"/meetings/s/{m.signin_token}/")
    assert response.status_code == 422
    assert 'data-rule="meeting_cancelled"' in response.content.decode()
