"""The outbound message channel (core/outbound.py) and the outbox page (issue 6 item 7)."""

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import override_settings
from django.utils import translation

from tongxin.core import outbound
from tongxin.core.errors import ValidationError
from tongxin.core.models import OutboundMessage

pytestmark = pytest.mark.django_db

SENT: list = []


class ListBackend(outbound.Backend):
    """A test backend: keeps messages in a list."""

    def send(self, message):
        SENT.append(message)
        return "queued-at-gateway"


class BrokenGateway(outbound.DatabaseBackend):
    def deliver(self, message):
        raise ConnectionError("gateway timed out")


class NotABackend:
    def send(self, message):  # pragma: no cover - refused before use
        raise AssertionError


def backend(path):
    return override_settings(TONGXIN={**django_settings.TONGXIN, "SMS_BACKEND": path})


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("19912345678", "19912345678"),
    ],
)
def test_numbers_are_normalised(raw, number):
    assert outbound.build_sms(raw, "你好").to == number


@pytest.mark.parametrize(
    "raw", ["", "1381234567", "138123456789", "12812345678", "23812345678", "1381234567x"]
)
def test_bad_numbers_are_refused_naming_the_field(raw):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        outbound.send_sms(raw, "你好")
    assert list(exc.value.message_dict) == ["to"]
    assert not OutboundMessage.objects.exists()


@pytest.mark.parametrize(
    ("length", "segments"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (500, 8)]
)
def test_segments(length, segments):
    assert outbound.segment_count("字" * length) == segments
    assert outbound.send_sms("13812345678", "字" * length).segments == segments


@pytest.mark.parametrize("body", ["", "   ", "字" * 501])
def test_bad_bodies_are_refused(body):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        outbound.send_sms("13812345678", body)
    assert list(exc.value.message_dict) == ["body"]
    assert not OutboundMessage.objects.exists()


def test_kind_and_related_are_bounded():
    with pytest.raises(ValidationError) as exc:
        outbound.send_sms("13812345678", "x", kind="k" * 41, related="r" * 101)
    assert set(exc.value.message_dict) == {"kind", "related"}


def test_database_backend_records_the_message_with_the_number_encrypted():
    row = outbound.send_sms(
        "138 1234 5678",
        "您的诉求已办结，请评价。",
        kind="demand_answered",
        related="demands.demand:7",
    )
    assert isinstance(row, OutboundMessage)
    row = OutboundMessage.objects.get(pk=row.pk)
    assert row.to == "13812345678"
    assert row.to_masked == "138****5678"
    assert (row.kind, row.related, row.segments) == ("demand_answered", "demands.demand:7", 1)
    assert row.status == OutboundMessage.Status.SENT and row.sent_at is not None
    assert row.backend == "tongxin.core.outbound.DatabaseBackend"
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + connection.ops.quote_name("to") + " FROM core_outboundmessage")
        (stored,) = cursor.fetchone()
    assert stored.startswith("a1:")
    assert "13812345678" not in stored and "5678" not in stored


def test_backend_is_pluggable():
    SENT.clear()
    with backend("tests.core.test_outbound.ListBackend"):
        result = outbound.send_sms("+8613912345678", "测试", kind="test")
    assert result == "queued-at-gateway"
    assert SENT == [outbound.SMS(to="13912345678", body="测试", kind="test")]
    assert not OutboundMessage.objects.exists()  # the database backend was not used
    outbound.send_sms("13912345678", "默认")  # and the default is back afterwards
    assert OutboundMessage.objects.count() == 1


def test_validation_happens_before_the_backend_sees_anything():
    SENT.clear()
    with backend("tests.core.test_outbound.ListBackend"), pytest.raises(ValidationError):
        outbound.send_sms("110", "x")
    assert SENT == []


def test_a_failing_gateway_is_recorded_as_failed():
    with backend("tests.core.test_outbound.BrokenGateway"):
        row = outbound.send_sms("13812345678", "x")
    row.refresh_from_db()
    assert row.status == OutboundMessage.Status.FAILED
    assert row.error == "gateway timed out" and row.sent_at is None


def test_misconfigured_backends_are_refused():
    with backend("tests.core.test_outbound.NoSuchBackend"), pytest.raises(ImportError):
        outbound.send_sms("13812345678", "x")
    with backend("tests.core.test_outbound.NotABackend"), pytest.raises(TypeError):
        outbound.send_sms("13812345678", "x")
    assert not OutboundMessage.objects.exists()


# --- the outbox page ------------------------------------------------------------------------


def test_outbox_is_for_district_admins_only(client, district):
    outbound.send_sms("13812345678", "x")
    assert client.get("/outbox/").status_code == 302
    for user in (district.street_admin, district.community_admin, district.secretary):
        client.force_login(user)
        assert client.get("/outbox/").status_code == 403
    client.force_login(district.admin)
    assert client.get("/outbox/").status_code == 200


def test_outbox_shows_masked_numbers_newest_first_in_keyset_pages(
    client, district, django_assert_max_num_queries
):
    for i in range(55):
        outbound.send_sms(f"138000{i:05d}", f"第{i}条", kind="even" if i % 2 == 0 else "odd")
    client.force_login(district.admin)
    with django_assert_max_num_queries(10):
        page = client.get("/outbox/")
    html = page.content.decode()
    items = page.context["items"]
    assert len(items) == 50 and items[0].body == "第54条"
    assert "138****0054" in html
    assert "13800000054" not in html
    more = client.get(f"/outbox/?after={page.context['next']}")
    assert [m.body for m in more.context["items"]] == [f"第{i}条" for i in range(4, -1, -1)]
    assert more.context["next"] is None
    odd = client.get("/outbox/?kind=odd&tail=0053").context["items"]
    assert [m.body for m in odd] == ["第53条"]
    assert client.get("/outbox/?status=failed").context["items"] == []
    assert client.get("/outbox/?after=garbage").status_code == 200
