"""POST Service Request (Open311 GeoReport v2): the api_key of an Open311Client, the spec's
required arguments, its answer [{service_request_id, service_notice, account_id}], errors in
the spec's format with nothing written, and the rate limits per address and per key."""

import json
from io import StringIO
from xml.etree import ElementTree as ET

import pytest
from django.core.cache import cache
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.demands.factories import make_category, make_grid, square
from tongxin.core.models import AuditEntry
from tongxin.demands.models import Demand, Open311Client
from tongxin.demands.open311.clients import create_client, set_active
from tongxin.demands.open311.serializers import POST_FIELDS

pytestmark = pytest.mark.django_db

URL = "/open311/v2/requests"
INSIDE = {"lat": "26.085", "long": "119.305"}


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def key(setup):
    make_grid(setup.d.comm_a1, boundary=square(119.30, 26.08))
    _client, key = create_client(actor="test", name="随手拍")
    return key


def post(client, key, fmt="json", ip="10.0.0.1", **fields):
    data = {
        "api_key": key,
        "service_code": fields.pop("service_code", SERVICE["code"]),
        "description": "人行道井盖松动，夜里容易绊倒行人。",
        **INSIDE,
        **fields,
    }
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"{URL}.{fmt}", data, REMOTE_ADDR=ip)


SERVICE = {}  # the service_code of the test's category (set by the fixture below)


@pytest.fixture(autouse=True)
def service_code(setup):
    SERVICE["code"] = setup.category.code


def errors_of(response, status, fmt="json"):
    assert response.status_code == status, response.content
    if fmt == "json":
        body = json.loads(response.content)
        assert all(set(e) == {"code", "description"} and e["code"] == status for e in body)
        return " ".join(e["description"] for e in body)
    root = ET.fromstring(response.content)
    assert root.tag == "errors"
    assert all(e.findtext("code") == str(status) for e in root.findall("error"))
    return " ".join(e.findtext("description") for e in root.findall("error"))


def test_post_files_a_demand_from_the_client(client, setup, key):
    response = post(client, key, first_name="秀英", last_name="王", phone="13912345678")
    assert response.status_code == 200, response.content
    (answer,) = json.loads(response.content)
    assert tuple(answer) == POST_FIELDS
    assert answer["account_id"] is None
    demand = Demand.objects.get(pk=int(answer["service_request_id"]))
    assert demand.channel == "open311"
    assert demand.open311_client.name == "随手拍"
    assert demand.community == setup.d.comm_a1  # located by the point's grid
    assert demand.contact_name == "王秀英"
    assert demand.phone == "13912345678"
    assert demand.code in answer["service_notice"]  # the resident's tracking code
    assert demand.events.filter(action="submit").count() == 1
    # and it is published (without the contact)
    (item,) = json.loads(client.get(f"{URL}/{demand.pk}.json").content)
    assert item["status"] == "open"
    assert "王秀英" not in json.dumps(item, ensure_ascii=False)


def test_post_answers_in_xml(setup, key):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # a real client has no CSRF cookie
    response = post(client, key, fmt="xml", address_string="南后街 12 号")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    request = root.find("request")
    assert [c.tag for c in request] == list(POST_FIELDS)
    assert Demand.objects.filter(pk=int(request.findtext("service_request_id"))).exists()
    assert request.find("account_id") is not None and request.findtext("account_id") == ""


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("bad_key", [None, "", "0" * 48, "x" * 500, "a\x00b"])
def test_missing_or_wrong_key_is_403_and_writes_nothing(client, setup, key, fmt, bad_key):
    response = post(client, bad_key, fmt=fmt)
    assert "api_key" in errors_of(response, 403, fmt)
    assert not Demand.objects.exists()


def test_a_disabled_client_is_refused(client, setup, key):
    set_active(actor="test", client=Open311Client.objects.get(), active=False)
    errors_of(post(client, key), 403)
    assert not Demand.objects.exists()


@pytest.mark.parametrize(
    "fields, named",
    [
        ({"service_code": None}, "service_code"),
        ({"service_code": ""}, "service_code"),
        ({"service_code": "nope"}, "service_code"),
        ({"description": ""}, "description"),
        ({"description": "长" * 4001}, "description"),
        ({"lat": "", "long": ""}, "address_string"),
        ({"lat": "", "long": "", "address_id": "A-17"}, "address_id"),
        ({"long": ""}, "lat"),
        ({"lat": "north"}, "lat"),
        ({"lat": "91"}, "lat"),
        ({"lat": "39.9042", "long": "116.4074"}, "lat/long"),  # Beijing: outside the district
        ({"phone": "12345"}, "phone"),
        ({"first_name": "x" * 51}, "first_name"),
        ({"description": "坏了\x07坏了坏了"}, "description"),
    ],
)
def test_bad_arguments_answer_400_naming_them(client, setup, key, fields, named):
    response = post(client, key, **fields)
    assert named in errors_of(response, 400)
    assert not Demand.objects.exists()


def test_a_parent_category_is_not_a_service(client, setup, key):
    parent = make_category("市容环境", code="env")
    make_category("垃圾清运", code="env-garbage", parent=parent)
    assert "service_code" in errors_of(post(client, key, service_code="env"), 400)


def test_rate_limit_per_address(client, setup, key, settings):
    settings.TONGXIN = {**settings.TONGXIN, "OPEN311_POST_RATE": "2/h"}
    assert post(client, key).status_code == 200
    assert post(client, key).status_code == 200
    response = post(client, key, fmt="xml")
    errors_of(response, 429, "xml")
    assert int(response["Retry-After"]) > 0
    # before the key is even looked at: a flood of guessed keys is limited too
    errors_of(post(client, "guess"), 429)
    assert Demand.objects.count() == 2
    assert post(client, key, ip="10.0.0.2").status_code == 200  # another address


def test_rate_limit_per_key_whatever_the_address(client, setup, key, settings):
    settings.TONGXIN = {**settings.TONGXIN, "OPEN311_KEY_RATE": "2/h"}
    assert post(client, key, ip="10.0.1.1").status_code == 200
    assert post(client, key, ip="10.0.1.2").status_code == 200
    errors_of(post(client, key, ip="10.0.1.3"), 429)
    assert Demand.objects.count() == 2
    _other, other_key = create_client(actor="test", name="另一个应用")
    assert post(client, other_key, ip="10.0.1.4").status_code == 200


def test_management_command_shows_the_key_once(client, setup):
    make_grid(setup.d.comm_a1, boundary=square(119.30, 26.08))
    out = StringIO()
    call_command("open311_client", name="市民通", stdout=out)
    key = next(line for line in out.getvalue().splitlines() if line.startswith("api_key:"))
    key = key.split(":", 1)[1].strip()
    client_row = Open311Client.objects.get(name="市民通")
    assert key not in (client_row.key_digest, client_row.key_hint)
    assert AuditEntry.objects.filter(action="open311_client_create").count() == 1
    listing = StringIO()
    call_command("open311_client", list=True, stdout=listing)
    assert "市民通" in listing.getvalue() and key not in listing.getvalue()
    assert post(client, key).status_code == 200
    call_command("open311_client", disable=client_row.pk, stdout=StringIO())
    errors_of(post(client, key), 403)


def test_district_admins_manage_clients_on_a_page(client, setup):
    d = setup.d
    page = "/demands/settings/open311/"
    client.force_login(d.community_admin)
    assert client.get(page).status_code == 403
    assert client.post(page, {"name": "偷偷建的"}).status_code == 403
    client.force_login(d.admin)
    assert client.get(page).status_code == 200
    assert client.post(page, {"name": ""}).status_code == 400
    response = client.post(page, {"name": "<b>市民通</b>"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    html = response.content.decode()
    row = Open311Client.objects.get()
    assert "&lt;b&gt;市民通&lt;/b&gt;" in html and "<b>市民通</b>" not in html
    key = html.split('id="api-key">')[1].split("<")[0]
    assert key.endswith(row.key_hint) and len(key) == 48
    assert key not in client.get(page).content.decode()  # shown once
    client.post(f"{page}{row.pk}/toggle/")
    row.refresh_from_db()
    assert row.active is False
    client.force_login(d.community_admin)
    assert client.post(f"{page}{row.pk}/toggle/").status_code == 403
    row.refresh_from_db()
    assert row.active is False


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fields=st.dictionaries(
        st.sampled_from(
            ["service_code", "lat", "long", "address_string", "description", "phone", "last_name"]
        ),
        st.text(max_size=30),
        max_size=5,
    ),
    fmt=st.sampled_from(["json", "xml"]),
)
def test_any_post_answers_200_or_400_never_500(client, setup, key, fields, fmt):
    cache.clear()
    response = post(client, key, fmt=fmt, **fields)
    assert response.status_code in (200, 400), (fields, response.content[:200])
    if response.status_code == 400:
        errors_of(response, 400, fmt)
