"""Open311 GeoReport v2 at /open311/v2/: every response checked against the spec's field
lists (http://wiki.open311.org/GeoReport_v2), in JSON and XML, the spec's error format,
the filters of GET requests, and that nothing personal is published."""

import json
from datetime import datetime, timedelta
from xml.etree import ElementTree as ET

import pytest
from django.core.cache import cache
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.demands.factories import PHONE, T0, demand_in, make_category, submit
from tongxin.demands import rules
from tongxin.demands.models import Demand, StateLabel
from tongxin.demands.open311.serializers import REQUEST_FIELDS, SERVICE_FIELDS
from tongxin.demands.selectors import state_labels

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
# the window around the factories' T0 (2026-03-10 09:00 +08:00)
WINDOW = {"start_date": "2026-03-01T00:00:00+08:00", "end_date": "2026-03-31T00:00:00+08:00"}


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # rate-limit counters live in the (local-memory) cache
    yield
    cache.clear()


def as_json(response):
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content.decode("utf-8"))


def as_xml(response):
    assert response["Content-Type"].startswith("text/xml")
    # "the root element must be preceded with the XML declaration including the
    # encoding="UTF-8" attribute" (GeoReport v2, Encoding)
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)


def assert_error(response, status, fmt="json", mentions=""):
    assert response.status_code == status
    if fmt == "json":
        body = as_json(response)
        assert isinstance(body, list) and body
        for item in body:
            assert set(item) == {"code", "description"}
            assert item["code"] == status
        text = " ".join(item["description"] for item in body)
    else:
        root = as_xml(response)
        assert root.tag == "errors"
        errors = root.findall("error")
        assert errors
        for error in errors:
            assert [child.tag for child in error] == ["code", "description"]
            assert error.findtext("code") == str(status)
        text = " ".join(e.findtext("description") for e in errors)
    assert mentions in text
    return text


# --- discovery and services -----------------------------------------------------------------


def test_discovery_in_json_and_xml(client, setup):
    body = as_json(client.get(f"{BASE}/discovery.json"))
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    (endpoint,) = body["endpoints"]
    assert set(endpoint) == {"specification", "url", "changeset", "type", "formats"}
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/")
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert datetime.fromisoformat(body["changeset"]).utcoffset() is not None

    root = as_xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    endpoint = root.find("endpoints/endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]


def test_services_are_the_active_leaf_categories(client, setup):
    parent = make_category("市容环境", code="env")
    leaf = make_category("垃圾清运", code="env-garbage", parent=parent, name_en="Garbage")
    make_category("旧类别", code="old", active=False)
    body = as_json(client.get(f"{BASE}/services.json"))
    by_code = {s["service_code"]: s for s in body}
    assert "env" not in by_code  # a top level with children is a group, not a service
    assert "old" not in by_code
    assert setup.category.code in by_code
    for service in body:
        assert tuple(service) == SERVICE_FIELDS
        assert service["metadata"] is False
        assert service["type"] == "realtime"
    garbage = by_code[leaf.code]
    assert garbage["service_name"] == "垃圾清运"
    assert garbage["group"] == "市容环境"
    assert "Garbage" in garbage["keywords"]

    root = as_xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    services = root.findall("service")
    assert len(services) == len(body)
    xml_garbage = next(s for s in services if s.findtext("service_code") == leaf.code)
    assert [c.tag for c in xml_garbage] == list(SERVICE_FIELDS)
    assert xml_garbage.findtext("metadata") == "false"
    assert xml_garbage.findtext("group") == "市容环境"


def test_service_definition_and_unknown_service(client, setup):
    code = setup.category.code
    assert as_json(client.get(f"{BASE}/services/{code}.json")) == {
        "service_code": code,
        "attributes": [],
    }
    root = as_xml(client.get(f"{BASE}/services/{code}.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == code
    assert root.find("attributes") is not None and len(root.find("attributes")) == 0
    assert_error(client.get(f"{BASE}/services/nope.json"), 404, mentions="nope")
    assert_error(client.get(f"{BASE}/services/nope.xml"), 404, "xml", mentions="nope")


def test_unknown_format_and_wrong_method_answer_in_the_error_format(setup):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # as a real client: no CSRF page either
    assert_error(client.get(f"{BASE}/services.csv"), 404, mentions="csv")
    assert_error(client.post(f"{BASE}/discovery.json"), 405)
    assert_error(client.delete(f"{BASE}/requests.xml"), 405, "xml")
    response = client.post(f"{BASE}/services.xml")
    assert_error(response, 405, "xml")
    assert "GET" in response["Allow"]


# --- GET requests ---------------------------------------------------------------------------


def test_a_request_has_the_spec_fields_and_no_personal_data(client, setup):
    StateLabel.objects.update_or_create(state=rules.HANDLING, defaults={"label": "正在办理"})
    handling = demand_in(rules.HANDLING, setup, contact_name="王秀英")
    body = as_json(client.get(f"{BASE}/requests.json", WINDOW))
    (item,) = body
    assert tuple(item) == REQUEST_FIELDS
    assert item["service_request_id"] == str(handling.pk)
    assert item["status"] == "open"
    assert item["status_notes"] == "正在办理"  # the finer, configurable state name
    assert item["service_code"] == setup.category.code
    assert item["service_name"] == setup.category.name
    assert item["agency_responsible"] == "城管局"
    # residents' words stay private unless the district publishes them
    assert item["description"] == setup.category.name != handling.description
    requested = datetime.fromisoformat(item["requested_datetime"])
    assert requested == T0 and item["requested_datetime"].endswith("+08:00")
    assert datetime.fromisoformat(item["expected_datetime"]) == handling.due_at
    assert datetime.fromisoformat(item["updated_datetime"]).utcoffset() is not None
    text = json.dumps(body, ensure_ascii=False)
    for secret in ("王秀英", PHONE, PHONE[-4:], handling.code):
        assert secret not in text

    root = as_xml(client.get(f"{BASE}/requests.xml", WINDOW))
    assert root.tag == "service_requests"
    (request,) = root.findall("request")
    assert [c.tag for c in request] == list(REQUEST_FIELDS)
    assert request.findtext("status") == "open"
    assert request.findtext("service_request_id") == str(handling.pk)
    assert "王秀英" not in root.itertext()


def test_states_map_to_open_and_closed(client, setup):
    made = {
        state: demand_in(state, setup) for state in (rules.PENDING, rules.CLOSED, rules.REFUSED)
    }
    by_id = {
        r["service_request_id"]: r for r in as_json(client.get(f"{BASE}/requests.json", WINDOW))
    }
    assert by_id[str(made[rules.PENDING].pk)]["status"] == "open"
    assert by_id[str(made[rules.PENDING].pk)]["agency_responsible"] == "三坊七巷社区党委"
    assert by_id[str(made[rules.CLOSED].pk)]["status"] == "closed"
    assert by_id[str(made[rules.REFUSED].pk)]["status"] == "closed"
    assert by_id[str(made[rules.REFUSED].pk)]["status_notes"] == state_labels()["refused"]


def test_confidential_and_household_visit_demands_are_not_published(client, setup):
    public = submit(setup.d, category=setup.category)
    secret = submit(setup.d, category=setup.category, confidential=True)
    from_visit = submit(setup.d, category=setup.category, channel="visit")
    ids = {r["service_request_id"] for r in as_json(client.get(f"{BASE}/requests.json", WINDOW))}
    assert ids == {str(public.pk)}
    for hidden in (secret, from_visit):
        assert_error(client.get(f"{BASE}/requests/{hidden.pk}.json"), 404)
        listed = client.get(f"{BASE}/requests.json", {"service_request_id": str(hidden.pk)})
        assert as_json(listed) == []


def test_filters(client, setup):
    other = make_category("噪音扰民", code="noise")
    a = submit(setup.d, category=setup.category, now=T0)
    b = submit(setup.d, category=other, now=T0 + timedelta(days=2))
    closed = demand_in(rules.CLOSED, setup, now=T0 + timedelta(days=4))

    def ids(**params):
        response = client.get(f"{BASE}/requests.json", {**WINDOW, **params})
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in as_json(response)]

    assert ids() == [str(closed.pk), str(b.pk), str(a.pk)]  # newest first
    assert ids(service_code="noise") == [str(b.pk)]
    assert set(ids(service_code=f"noise,{setup.category.code}")) == {
        str(a.pk),
        str(b.pk),
        str(closed.pk),
    }
    assert ids(status="closed") == [str(closed.pk)]
    assert ids(status="open") == [str(b.pk), str(a.pk)]
    assert len(ids(status="open,closed")) == 3
    assert ids(start_date="2026-03-11T00:00:00+08:00") == [str(closed.pk), str(b.pk)]
    assert ids(end_date="2026-03-11T00:00:00+08:00", start_date="2026-03-01") == [str(a.pk)]
    # service_request_id overrides every other argument (even a window that excludes them)
    response = client.get(
        f"{BASE}/requests.json",
        {"service_request_id": f"{a.pk},{b.pk}", "start_date": "2020-01-01T00:00:00Z"},
    )
    assert sorted(r["service_request_id"] for r in as_json(response)) == sorted(
        [str(a.pk), str(b.pk)]
    )


def test_a_top_level_service_code_includes_its_subcategories(client, setup):
    parent = make_category("市容环境", code="env")
    leaf = make_category("垃圾清运", code="env-garbage", parent=parent)
    d = submit(setup.d, category=leaf)
    response = client.get(f"{BASE}/requests.json", {**WINDOW, "service_code": "env"})
    assert [r["service_request_id"] for r in as_json(response)] == [str(d.pk)]


def test_default_window_is_the_last_90_days(client, setup):
    now = timezone.now()
    recent = submit(setup.d, category=setup.category, now=now - timedelta(days=3))
    submit(setup.d, category=setup.category, now=now - timedelta(days=100))
    body = as_json(client.get(f"{BASE}/requests.json"))
    assert [r["service_request_id"] for r in body] == [str(recent.pk)]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-13-40T00:00:00Z"}, "end_date"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90 days"),
        ({"start_date": "2026-03-10T00:00:00Z", "end_date": "2026-03-01T00:00:00Z"}, "end_date"),
        ({"end_date": "0001-01-01T00:00:00Z"}, "end_date"),
        ({"start_date": "9999-12-31T00:00:00Z"}, "start_date"),
        ({"start_date": "2026-03-10T25:00:00"}, "start_date"),
        ({"status": "pending"}, "status"),
        ({"service_code": "nope"}, "service_code"),
        ({"service_request_id": "1,abc"}, "service_request_id"),
        ({"service_request_id": "9" * 30}, "service_request_id"),
    ],
)
def test_bad_filters_answer_400_naming_the_argument(client, setup, params, field):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the assertions read English messages
    assert_error(client.get(f"{BASE}/requests.json", params), 400, mentions=field)
    assert_error(client.get(f"{BASE}/requests.xml", params), 400, "xml", mentions=field)


def test_at_most_the_configured_number_of_requests(client, setup, settings):
    for i in range(3):
        submit(setup.d, category=setup.category, now=T0 + timedelta(hours=i))
    settings.TONGXIN = {**settings.TONGXIN, "OPEN311_MAX_REQUESTS": 2}
    assert len(as_json(client.get(f"{BASE}/requests.json", WINDOW))) == 2


def test_requests_list_query_count(client, setup, django_assert_max_num_queries):
    for i in range(6):
        demand_in(rules.DISPATCHED, setup, now=T0 + timedelta(hours=i))
    with django_assert_max_num_queries(3):
        assert len(as_json(client.get(f"{BASE}/requests.json", WINDOW))) == 6


def test_one_request(client, setup):
    d = demand_in(rules.ANSWERED, setup)
    (item,) = as_json(client.get(f"{BASE}/requests/{d.pk}.json"))
    assert tuple(item) == REQUEST_FIELDS
    assert item["status"] == "closed"
    root = as_xml(client.get(f"{BASE}/requests/{d.pk}.xml"))
    assert root.tag == "service_requests"
    assert root.find("request").findtext("service_request_id") == str(d.pk)
    assert_error(client.get(f"{BASE}/requests/{d.pk + 999}.json"), 404, mentions=str(d.pk + 999))
    assert_error(client.get(f"{BASE}/requests/{d.code}.xml"), 404, "xml")


def test_text_with_markup_survives_as_text_in_both_formats(client, setup, settings):
    settings.TONGXIN = {**settings.TONGXIN, "OPEN311_PUBLIC_DESCRIPTIONS": True}
    d = submit(setup.d, category=setup.category, description="<script>alert('x')</script> & 路灯")
    (item,) = as_json(client.get(f"{BASE}/requests/{d.pk}.json"))
    assert item["description"] == "<script>alert('x')</script> & 路灯"
    response = client.get(f"{BASE}/requests/{d.pk}.xml")
    assert b"<script>" not in response.content
    root = as_xml(response)
    assert root.find("request").findtext("description") == "<script>alert('x')</script> & 路灯"
    # a control character cannot travel in XML 1.0: replaced, the document stays well-formed
    Demand.objects.filter(pk=d.pk).update(description="路灯\x1b不亮")
    root = as_xml(client.get(f"{BASE}/requests/{d.pk}.xml"))
    assert root.find("request").findtext("description") == "路灯\ufffd不亮"


def test_a_closed_request_was_updated_when_it_was_answered(client, setup):
    d = demand_in(rules.CLOSED, setup)  # answered at T0 + 4 minutes, closed a minute later
    (item,) = as_json(client.get(f"{BASE}/requests/{d.pk}.json"))
    assert item["status"] == "closed"
    assert datetime.fromisoformat(item["updated_datetime"]) == d.answered_at


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    params=st.dictionaries(
        st.sampled_from(
            ["service_request_id", "service_code", "start_date", "end_date", "status", "x"]
        ),
        st.text(max_size=40),
        max_size=4,
    ),
    fmt=st.sampled_from(["json", "xml"]),
)
def test_any_query_answers_200_or_400_never_500(client, setup, params, fmt):
    response = client.get(f"{BASE}/requests.{fmt}", params)
    assert response.status_code in (200, 400), (params, response.content[:200])
    if response.status_code == 400:
        assert_error(response, 400, fmt)
