"""Intake's per-process caches and their invalidation (issue 6, performance): the official
calendar, the category rows, the Open311 client by key digest; the tracking code relying on
the unique constraint; the notice and the text written in the submit's own transaction."""

from datetime import date

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.demands.factories import T0, make_category, make_grid, square, submit
from tongxin.core import calendar
from tongxin.core.models import CalendarDay, Notification, OutboundMessage
from tongxin.demands.models import Demand
from tongxin.demands.open311.clients import create_client, set_active
from tongxin.demands.services import intake

pytestmark = pytest.mark.django_db

URL = "/open311/v2/requests.json"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _accept_day(setup, **kw):
    return submit(setup.d, category=setup.category, **kw).accept_due_at.date()


def test_a_holiday_entered_is_seen_by_the_next_submit(setup):
    assert _accept_day(setup) == date(2026, 3, 10)  # cached from here on
    CalendarDay.objects.create(date=date(2026, 3, 10), kind="holiday", name="测试")
    assert _accept_day(setup) == date(2026, 3, 11)
    CalendarDay.objects.filter(date=date(2026, 3, 10)).delete()
    assert _accept_day(setup) == date(2026, 3, 10)


def test_an_imported_year_is_seen_by_the_next_submit(setup):
    assert _accept_day(setup) == date(2026, 3, 10)
    calendar.import_year([["2026-03-10", "holiday", "测试"]], 2026)  # bulk_create: no signals
    assert _accept_day(setup) == date(2026, 3, 11)
    assert 2026 in calendar.official_calendar().loaded_years


def test_a_day_changed_by_the_administrator_is_seen_by_the_next_submit(setup):
    from tests.factories import make_user

    admin = make_user("cal_admin", role="district_admin", org=setup.d.root)
    calendar.add_day(actor=admin, day=date(2026, 3, 10), kind="holiday", name="测试")
    assert _accept_day(setup) == date(2026, 3, 11)
    calendar.remove_day(actor=admin, day=date(2026, 3, 10))
    assert _accept_day(setup) == date(2026, 3, 10)


def test_a_category_given_subcategories_is_refused_at_once(setup):
    submit(setup.d, category=setup.category)  # the category rows are cached
    make_category("路灯不亮", parent=setup.category)
    with pytest.raises(ValidationError) as exc:
        submit(setup.d, category=setup.category)
    assert "category" in exc.value.message_dict


def test_a_deactivated_open311_client_is_refused_at_once(client, setup):
    make_grid(setup.d.comm_a1, boundary=square(119.30, 26.08))
    api, key = create_client(actor="test", name="随手拍")
    data = {
        "api_key": key,
        "service_code": setup.category.code,
        "description": "人行道井盖松动，夜里容易绊倒行人。",
        "lat": "26.085",
        "long": "119.305",
    }
    assert client.post(URL, data).status_code == 200  # the client is cached
    set_active(actor="test", client=api, active=False)
    assert client.post(URL, data).status_code == 403
    set_active(actor="test", client=api, active=True)
    assert client.post(URL, data).status_code == 200


def test_a_taken_tracking_code_is_retried_with_another(setup, monkeypatch):
    first = submit(setup.d, category=setup.category)
    codes = iter([first.code, first.code, "260310ZZZZZZ"])
    monkeypatch.setattr(intake, "code_candidate", lambda now: next(codes))
    with transaction.atomic():  # the clash does not break a surrounding transaction
        second = submit(setup.d, category=setup.category)
        assert Demand.objects.filter(pk=second.pk).exists()
    assert second.code == "260310ZZZZZZ"
    assert Demand.objects.count() == 2


def test_the_notice_and_the_text_are_written_with_the_demand(
    setup, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        demand = submit(setup.d, category=setup.category, now=T0)
    assert Notification.objects.filter(
        recipient=setup.d.community_admin, key=f"demand-new:{demand.pk}"
    ).exists()
    sms = OutboundMessage.objects.get(related=f"demands.demand:{demand.pk}")
    assert demand.code in sms.body and sms.kind == "demand_received"
    assert not [c for c in callbacks if "sms" in getattr(c, "__qualname__", "")]


def test_an_sms_gateway_backend_is_still_called_on_commit(
    setup, settings, django_capture_on_commit_callbacks
):
    settings.TONGXIN = {**settings.TONGXIN, "SMS_BACKEND": "tests.demands.test_intake_caching.Gw"}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        demand = submit(setup.d, category=setup.category, now=T0)
    assert not OutboundMessage.objects.filter(related=f"demands.demand:{demand.pk}").exists()
    for callback in callbacks:
        callback()
    assert OutboundMessage.objects.filter(related=f"demands.demand:{demand.pk}").exists()


from tongxin.core.outbound import DatabaseBackend  # noqa: E402


class Gw(DatabaseBackend):
    """A gateway: its deliver talks to the outside world."""

    def deliver(self, message):
        return None


def test_an_open311_post_runs_few_queries(client, setup):
    make_grid(setup.d.comm_a1, boundary=square(119.30, 26.08))
    _api, key = create_client(actor="test", name="随手拍")
    data = {
        "api_key": key,
        "service_code": setup.category.code,
        "description": "人行道井盖松动，夜里容易绊倒行人。",
        "lat": "26.085",
        "long": "119.305",
        "phone": "13912345678",
    }
    assert client.post(URL, data).status_code == 200  # warm the caches
    with CaptureQueriesContext(connection) as queries:
        assert client.post(URL, data).status_code == 200
    print(f"\nqueries per Open311 POST: {len(queries)}")
    for q in queries.captured_queries:
        print("  ", q["sql"][:150])
    assert len(queries) <= 14
