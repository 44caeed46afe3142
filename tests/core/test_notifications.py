"""In-app notifications: notify once per key, the header's unread count, the page of one's
own notices, marking read (only one's own), and the login wall."""

import pytest
from django.utils import translation

from tests.factories import make_user
from tongxin.core import notify
from tongxin.core.context_processors import UNREAD_CAP, UnreadNotices
from tongxin.core.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(db):
    return make_user("alice")


@pytest.fixture
def bob(db):
    return make_user("bob")


def test_notify_once_per_key(alice, bob):
    assert notify.notify([alice], kind="overdue", subject="谈话逾期", key="talk:1") == 1
    # the daily check runs again: alice already has it, bob is new
    assert notify.notify([alice, bob], kind="overdue", subject="谈话逾期", key="talk:1") == 1
    assert Notification.objects.filter(recipient=alice, key="talk:1").count() == 1
    assert Notification.objects.filter(recipient=bob, key="talk:1").count() == 1
    # without a key every call writes
    notify.notify([alice], kind="info", subject="一")
    notify.notify([alice], kind="info", subject="一")
    assert Notification.objects.filter(recipient=alice, key="").count() == 2


def test_notify_skips_inactive_and_none(alice, bob):
    bob.is_active = False
    bob.save()
    assert notify.notify([alice, bob, None], kind="info", subject="x") == 1
    assert not Notification.objects.filter(recipient=bob).exists()


def test_unread_count_in_header_is_one_bounded_query(client, alice, bob, django_assert_num_queries):
    notify.notify([alice], kind="info", subject="一")
    notify.notify([alice], kind="info", subject="二")
    notify.notify([bob], kind="info", subject="bob 的")
    read = notify.notify([alice], kind="info", subject="已读", key="r")
    assert read == 1
    notify.mark_read(alice, Notification.objects.filter(key="r").values_list("id", flat=True))
    badge = UnreadNotices(alice)
    with django_assert_num_queries(1):
        assert badge.count == 2
        assert str(badge) == "2"
        assert bool(badge)
    client.force_login(alice)
    body = client.get("/account/").content.decode()
    assert 'data-unread="2"' in body
    client.force_login(bob)
    assert 'data-unread="1"' in client.get("/account/").content.decode()


def test_unread_count_is_capped(alice):
    Notification.objects.bulk_create(
        [Notification(recipient=alice, kind="info", subject=str(i)) for i in range(UNREAD_CAP + 5)]
    )
    badge = UnreadNotices(alice)
    assert badge.count == UNREAD_CAP
    assert str(badge) == f"{UNREAD_CAP - 1}+"


def test_no_badge_without_unread_notices(client, alice):
    client.force_login(alice)
    body = client.get("/notifications/").content.decode()
    assert "data-unread" not in body
    assert 'href="/notifications/"' in body  # the bell is there all the same


def test_page_shows_only_own_notices(client, alice, bob, django_assert_max_num_queries):
    notify.notify([alice], kind="info", subject="给甲的通知", body="第一行\n第二行")
    notify.notify([bob], kind="info", subject="给乙的通知")
    client.force_login(alice)
    with django_assert_max_num_queries(8):
        response = client.get("/notifications/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "给甲的通知" in body
    assert "第一行<br>第二行" in body
    assert "给乙的通知" not in body


def test_page_is_keyset_paged_and_filters_unread(client, alice):
    Notification.objects.bulk_create(
        [Notification(recipient=alice, kind="info", subject=f"通知{i:02d}") for i in range(55)]
    )
    newest_first = list(Notification.objects.filter(recipient=alice).order_by("-id"))
    notify.mark_read(alice, [newest_first[0].pk])
    client.force_login(alice)
    first = client.get("/notifications/")
    assert len(first.context["notices"]) == 50
    assert first.context["notices"][0] == newest_first[0]
    before = first.context["next_before"]
    assert before == newest_first[49].pk
    second = client.get(f"/notifications/?before={before}")
    assert [n.pk for n in second.context["notices"]] == [n.pk for n in newest_first[50:]]
    assert second.context["next_before"] is None
    unread = client.get("/notifications/?unread=1")
    assert newest_first[0] not in unread.context["notices"]
    assert unread.context["notices"][0] == newest_first[1]
    for junk in ("abc", "99999999999999999999", "-1", "１２"):
        response = client.get("/notifications/", {"before": junk})
        assert response.status_code == 200, junk
        assert len(response.context["notices"]) == 50


def test_mark_one_read_only_own(client, alice, bob):
    notify.notify([alice], kind="info", subject="甲")
    notify.notify([bob], kind="info", subject="乙")
    mine = Notification.objects.get(recipient=alice)
    theirs = Notification.objects.get(recipient=bob)
    client.force_login(alice)
    response = client.post("/notifications/read/", {"id": theirs.pk})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    response = client.post("/notifications/read/", {"id": mine.pk})
    assert response.status_code == 302
    assert response["Location"] == "/notifications/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    for junk in ("x", "", "99999999999999999999", "-1"):
        assert client.post("/notifications/read/", {"id": junk}).status_code == 404, junk
    assert client.get("/notifications/read/", {"id": mine.pk}).status_code == 405


def test_open_marks_read_and_follows_only_local_links(client, alice):
    notify.notify([alice], kind="overdue", subject="逾期", link="/members/")
    notify.notify([alice], kind="info", subject="外链", link="https://example.org/x")
    notify.notify([alice], kind="info", subject="协议相对", link="//example.org/x")
    local, absolute, relative = Notification.objects.filter(recipient=alice).order_by("id")
    client.force_login(alice)
    response = client.post("/notifications/read/", {"id": local.pk, "open": "1"})
    assert response["Location"] == "/members/"
    local.refresh_from_db()
    assert local.read_at is not None
    for notice in (absolute, relative):
        response = client.post("/notifications/read/", {"id": notice.pk, "open": "1"})
        assert response["Location"] == "/notifications/"


def test_mark_all_read_only_own(client, alice, bob):
    notify.notify([alice], kind="info", subject="甲1")
    notify.notify([alice], kind="info", subject="甲2")
    notify.notify([bob], kind="info", subject="乙")
    client.force_login(alice)
    with translation.override("en"):
        response = client.post("/notifications/read-all/", {"unread": "1"}, follow=True)
    assert response.redirect_chain[-1][0] == "/notifications/?unread=1"
    assert notify.unread_count(alice) == 0
    assert notify.unread_count(bob) == 1


def test_mark_read_needs_csrf(alice):
    from django.test import Client

    notify.notify([alice], kind="info", subject="甲")
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(alice)
    assert csrf_client.post("/notifications/read-all/").status_code == 403
    assert notify.unread_count(alice) == 1


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/notifications/"),
        ("post", "/notifications/read/"),
        ("post", "/notifications/read-all/"),
    ],
)
def test_anonymous_is_sent_to_login(client, alice, method, url):
    notify.notify([alice], kind="info", subject="甲")
    response = getattr(client, method)(url, {"id": Notification.objects.get().pk})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert notify.unread_count(alice) == 1
