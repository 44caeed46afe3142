"""/api/v1/demands: contract shapes, scoping (a department sees only its own demands), the
workflow actions one POST each, "already changed" on a stale version, and garbage input
(422 naming the field, nothing written, never a 500)."""

import json
from datetime import timedelta

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.demands.factories import T0, demand_in, make_category, submit
from tests.factories import make_user
from tongxin.accounts.services import issue_api_token
from tongxin.demands import rules
from tongxin.demands.models import Demand, DemandEvent, ExtensionRequest, Summons

pytestmark = pytest.mark.django_db

URL = "/api/v1/demands"


@pytest.fixture
def api(client):
    def call(user, method, url, payload=None, raw=None):
        headers = {}
        if user is not None:
            headers["Authorization"] = f"Bearer {issue_api_token(user=user)}"
        data = raw if raw is not None else (None if payload is None else json.dumps(payload))
        return client.generic(
            method, url, data=data, content_type="application/json", headers=headers
        )

    return call


def fields_of(response):
    assert response.status_code == 422, response.content
    return {e["field"] for e in response.json()["detail"]}


def snapshot():
    return (
        list(Demand.objects.order_by("id").values_list("id", "state", "version")),
        DemandEvent.objects.count(),
        ExtensionRequest.objects.count(),
    )


# --- create ---------------------------------------------------------------------------------


def test_staff_file_a_hotline_demand(api, setup):
    d = setup.d
    response = api(
        d.community_admin,
        "POST",
        URL,
        {
            "channel": "hotline",
            "category_id": setup.category.pk,
            "description": "小区门口路灯不亮已经三天了",
            "community_id": d.comm_a1.pk,
            "address": "南后街 12 号",
            "contact_name": "王秀英",
            "phone": "13912345678",
            "confidential": True,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["channel"] == "hotline"
    assert body["state"] == rules.PENDING and body["open"] is True
    assert body["community_id"] == d.comm_a1.pk and body["street_id"] == d.street_a.pk
    assert body["confidential"] is True
    assert (
        "王秀英" not in response.content.decode() and "13912345678" not in body["contact"]["phone"]
    )
    assert [e["action"] for e in body["timeline"]] == ["submit"]
    assert "accept" in body["actions"] and "refuse" in body["actions"]
    demand = Demand.objects.get(pk=body["id"])
    assert demand.phone == "13912345678" and demand.code == body["code"]


def test_only_staff_file_demands(api, setup):
    payload = {
        "channel": "hotline",
        "category_id": setup.category.pk,
        "description": "小区门口路灯不亮已经三天了",
        "community_id": setup.d.comm_a1.pk,
    }
    assert api(setup.handler, "POST", URL, payload).status_code == 403
    assert api(setup.d.secretary, "POST", URL, payload).status_code == 403
    assert api(None, "POST", URL, payload).status_code == 401
    # a community outside the caller's scope is not found there
    assert fields_of(api(setup.d.other_community, "POST", URL, payload)) == {"community_id"}
    assert not Demand.objects.exists()


@pytest.mark.parametrize(
    "change, fields",
    [
        ({"channel": "portal"}, {"channel"}),
        ({"channel": None}, {"channel"}),
        ({"category_id": "1"}, {"category_id"}),
        ({"category_id": 999999}, {"category_id"}),
        ({"description": ""}, {"description"}),
        ({"description": "短"}, {"description"}),  # the service's rule: at least 5 characters
        ({"description": 42}, {"description"}),
        ({"description": "路灯\x00不亮了呀"}, {"description"}),
        ({"community_id": None}, {"community_id"}),
        ({"latitude": 26.08}, {"latitude"}),
        ({"latitude": 95, "longitude": 119.3}, {"latitude"}),
        ({"latitude": True, "longitude": 119.3}, {"latitude"}),
        ({"phone": "12345"}, {"phone"}),
        ({"confidential": "yes"}, {"confidential"}),
        ({"colour": "red"}, {"colour"}),
    ],
)
def test_bad_create_bodies_name_the_field(api, setup, change, fields):
    payload = {
        "channel": "hotline",
        "category_id": setup.category.pk,
        "description": "小区门口路灯不亮已经三天了",
        "community_id": setup.d.comm_a1.pk,
        **change,
    }
    payload = {k: v for k, v in payload.items() if v is not None}
    assert fields <= fields_of(api(setup.d.community_admin, "POST", URL, payload))
    assert not Demand.objects.exists()


def test_garbage_bodies_are_422_not_500(api, setup):
    for raw in ("[]", '"text"', "{", "null", "1"):
        response = api(setup.d.community_admin, "POST", URL, raw=raw)
        assert response.status_code in (400, 422), (raw, response.status_code)
    assert not Demand.objects.exists()


# --- list -----------------------------------------------------------------------------------


def test_list_is_scoped_keyset_paged_and_filtered(api, setup, django_assert_max_num_queries):
    d = setup.d
    consult = setup.consult
    a = demand_in(rules.DISPATCHED, setup)  # → 城管局
    b = submit(d, category=consult, now=T0 + timedelta(minutes=5))
    c = submit(d, category=setup.category, community=d.comm_b1, now=T0 + timedelta(minutes=9))
    response = api(d.admin, "GET", URL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "next"}
    assert [i["id"] for i in body["items"]] == [c.pk, b.pk, a.pk]
    item = body["items"][0]
    assert item["state_label"] and item["community_name"] == "温泉社区党委"
    assert "phone" not in item and "contact_name" not in item

    first = api(d.admin, "GET", f"{URL}?limit=2").json()
    assert [i["id"] for i in first["items"]] == [c.pk, b.pk] and first["next"]
    rest = api(d.admin, "GET", f"{URL}?limit=2&cursor={first['next']}").json()
    assert [i["id"] for i in rest["items"]] == [a.pk] and rest["next"] is None

    def ids(user, query=""):
        response = api(user, "GET", f"{URL}{query}")
        assert response.status_code == 200, response.content
        return [i["id"] for i in response.json()["items"]]

    assert ids(d.community_admin) == [b.pk, a.pk]
    assert ids(d.other_community) == [c.pk]
    assert ids(setup.handler) == [a.pk]  # only what is dispatched to their department
    assert ids(setup.other_handler) == []
    assert ids(d.admin, f"?category={consult.pk}") == [b.pk]
    assert ids(d.admin, "?state=dispatched") == [a.pk]
    assert ids(d.admin, "?state=pending,dispatched") == [c.pk, b.pk, a.pk]
    assert ids(d.admin, "?state=closed") == []
    assert ids(d.admin, f"?community={d.comm_b1.pk}") == [c.pk]
    assert ids(d.admin, f"?org={d.street_a.pk}") == [b.pk, a.pk]
    assert ids(d.admin, f"?department={setup.dept.pk}") == [a.pk]
    assert ids(d.admin, f"?q={a.code}") == [a.pk]
    with django_assert_max_num_queries(8):
        api(d.admin, "GET", URL)


@pytest.mark.parametrize(
    "query, field",
    [
        ("?state=bogus", "state"),
        ("?channel=fax", "channel"),
        ("?category=abc", "category"),
        ("?overdue=maybe", "overdue"),
        ("?limit=0", "limit"),
        ("?q=%00", "q"),
    ],
)
def test_bad_filters_name_the_field(api, setup, query, field):
    assert field in fields_of(api(setup.d.admin, "GET", URL + query))


# --- detail ---------------------------------------------------------------------------------


def test_detail_has_the_timeline_and_hides_a_confidential_caller(api, setup):
    demand = demand_in(rules.HANDLING, setup, confidential=True, contact_name="王秀英")
    body = api(setup.handler, "GET", f"{URL}/{demand.pk}").json()
    assert [e["action"] for e in body["timeline"]] == ["submit", "accept", "dispatch", "claim"]
    assert body["contact"]["hidden"] is True and "王" not in body["contact"]["name"]
    assert body["department_name"] == "城管局"
    assert set(body["actions"]) >= {"progress", "answer", "return", "extensions"}
    assert "accept" not in body["actions"]
    assert api(setup.other_handler, "GET", f"{URL}/{demand.pk}").status_code == 404
    assert api(setup.d.other_community, "GET", f"{URL}/{demand.pk}").status_code == 404
    assert api(setup.d.admin, "GET", f"{URL}/{demand.pk + 999}").status_code == 404


def test_categories_catalogue(api, setup):
    parent = make_category("市容环境", code="env")
    make_category("垃圾清运", code="env-garbage", parent=parent)
    make_category("旧类别", code="old", active=False)
    response = api(setup.handler, "GET", "/api/v1/demand-categories")
    assert response.status_code == 200
    items = {c["code"]: c for c in response.json()["items"]}
    assert "old" not in items
    assert [c["code"] for c in items["env"]["children"]] == ["env-garbage"]
    assert items[setup.urgent.code]["limit_unit"] == "hours" and items[setup.urgent.code]["urgent"]
    assert api(None, "GET", "/api/v1/demand-categories").status_code == 401


# --- actions --------------------------------------------------------------------------------


def test_the_closed_loop_through_the_api(api, setup):
    d = setup.d
    demand = submit(d, category=setup.category)
    url = f"{URL}/{demand.pk}"

    def post(user, action, payload=None, status=200):
        response = api(user, "POST", f"{url}/{action}", payload or {})
        assert response.status_code == status, (action, response.content)
        return response.json()

    body = post(d.community_admin, "accept", {"version": 0, "note": "已受理"})
    assert body["state"] == rules.ACCEPTED and body["version"] == 1
    body = post(d.community_admin, "dispatch", {"department_id": setup.dept.pk})
    assert body["state"] == rules.DISPATCHED and body["department_id"] == setup.dept.pk
    body = post(setup.handler, "claim")
    assert body["state"] == rules.HANDLING
    body = post(setup.handler, "progress", {"note": "已派人查看", "public": True})
    assert body["state"] == rules.HANDLING and body["timeline"][-1]["note"] == "已派人查看"
    body = post(
        setup.handler,
        "extensions",
        {"limit_value": 2, "limit_unit": "working_days", "reason": "等待配件"},
        201,
    )
    (ext,) = body["extensions"]
    assert ext["decision"] == "pending"
    # the handler may not decide their own extension; the district (one level up) may
    response = api(setup.handler, "POST", f"{url}/extensions/{ext['id']}/decide", {"approve": True})
    assert response.status_code == 403
    body = post(d.admin, f"extensions/{ext['id']}/decide", {"approve": True})
    assert body["extensions"][0]["decision"] == "approved"
    body = post(d.street_admin, "supervise", {"note": "请尽快处理"})
    assert body["supervised"] is True and body["supervisions"][0]["note"] == "请尽快处理"
    body = post(setup.handler, "answer", {"answer": "路灯已修复"})
    assert body["state"] == rules.ANSWERED and body["answer"] == "路灯已修复"
    body = post(d.community_admin, "close")
    assert body["state"] == rules.CLOSED
    body = post(d.community_admin, "rate", {"rating": "satisfied", "comment": "电话回访满意"})
    assert body["state"] == rules.RATED
    body = post(d.community_admin, "archive")
    assert body["state"] == rules.ARCHIVED
    actions = [e["action"] for e in body["timeline"]]
    assert actions[0] == "submit" and actions[-1] == "archive"
    assert "decide_extension" in actions and "supervise" in actions


def test_refuse_duplicate_return_and_return_visit(api, setup):
    d = setup.d
    refused = submit(d, category=setup.category)
    body = api(
        d.community_admin, "POST", f"{URL}/{refused.pk}/refuse", {"reason": "不属于受理范围"}
    ).json()
    assert body["state"] == rules.REFUSED and body["refuse_reason"] == "不属于受理范围"

    original = submit(d, category=setup.category)
    copy = submit(d, category=setup.category)
    response = api(
        d.community_admin, "POST", f"{URL}/{copy.pk}/duplicate", {"original_id": original.pk}
    )
    assert response.json()["state"] == rules.DUPLICATE
    assert response.json()["duplicate_of_id"] == original.pk

    dispatched = demand_in(rules.DISPATCHED, setup)
    response = api(setup.handler, "POST", f"{URL}/{dispatched.pk}/return", {"reason": "不是我们的"})
    assert response.json()["state"] == rules.RETURNED
    assert response.json()["visible"] is False  # no longer theirs: only its new standing
    # back with the dispatcher: the handler no longer sees it
    assert api(setup.handler, "GET", f"{URL}/{dispatched.pk}").status_code == 404
    response = api(
        d.community_admin, "POST", f"{URL}/{dispatched.pk}/dispatch", {"department_id": None}
    )
    assert response.status_code == 200 and response.json()["department_id"] is None

    closed = demand_in(rules.CLOSED, setup)
    response = api(d.community_admin, "POST", f"{URL}/{closed.pk}/return-visit", {})
    assert response.json()["state"] == rules.VISITED


def test_escalation_and_summons(api, setup):
    d = setup.d
    demand = demand_in(rules.HANDLING, setup)
    url = f"{URL}/{demand.pk}"
    response = api(d.community_admin, "POST", f"{url}/escalate", {"reason": "涉及多个部门"})
    assert response.json()["state"] == rules.ESCALATED
    response = api(
        d.street_admin, "POST", f"{url}/summon", {"department_ids": [setup.other_dept.pk]}
    )
    assert response.status_code == 200, response.content
    (escalation,) = response.json()["escalations"]
    (summons,) = escalation["summonses"]
    assert summons["department_id"] == setup.other_dept.pk and summons["state"] == "summoned"
    # the summoned department now sees the demand and answers its summons
    assert api(setup.other_handler, "GET", url).status_code == 200
    response = api(
        setup.other_handler,
        "POST",
        f"{url}/answer-summons",
        {"summons_id": summons["id"], "answer": "已到场"},
    )
    assert response.status_code == 200, response.content
    assert Summons.objects.get(pk=summons["id"]).state == "answered"
    assert fields_of(
        api(
            setup.other_handler,
            "POST",
            f"{url}/answer-summons",
            {"summons_id": 999999, "answer": "x"},
        )
    ) == {"summons_id"}


def test_a_stale_version_is_already_changed(api, setup):
    demand = submit(setup.d, category=setup.category)
    first = api(setup.d.community_admin, "POST", f"{URL}/{demand.pk}/accept", {"version": 0})
    assert first.status_code == 200
    before = snapshot()
    second = api(
        setup.d.street_admin, "POST", f"{URL}/{demand.pk}/refuse", {"version": 0, "reason": "重复"}
    )
    assert second.status_code == 409
    assert second.json()["detail"] == "already changed"
    assert second.json()["version"] == 1 and second.json()["state"] == rules.ACCEPTED
    assert snapshot() == before


def test_refusals_and_permissions(api, setup):
    d = setup.d
    demand = submit(d, category=setup.category)
    url = f"{URL}/{demand.pk}"
    before = snapshot()
    with translation.override("en"):
        response = api(d.community_admin, "POST", f"{url}/close", {})
    assert fields_of(response) == {"action"}  # the state machine says no
    assert (
        api(
            setup.handler,
            "POST",
            f"{url}/accept",
            {},
        ).status_code
        == 404
    )
    assert api(d.other_community, "POST", f"{url}/accept", {}).status_code == 404
    assert api(d.other_community, "POST", f"{url}/accept", {"name": "被篡改"}).status_code == 404
    assert fields_of(api(d.community_admin, "POST", f"{url}/refuse", {})) == {"reason"}
    assert fields_of(api(d.community_admin, "POST", f"{url}/accept", {"version": "x"})) == {
        "version"
    }
    assert fields_of(api(d.community_admin, "POST", f"{url}/accept", {"colour": 1})) == {"colour"}
    assert fields_of(api(d.community_admin, "POST", f"{url}/accept", raw="[1]")) == {"__all__"}
    assert fields_of(
        api(d.community_admin, "POST", f"{url}/duplicate", {"original_id": 999999})
    ) == {"original_id"}
    assert fields_of(api(d.community_admin, "POST", f"{url}/dispatch", {})) == {"department_id"}
    assert (
        api(
            d.community_admin, "POST", f"{url}/extensions/999999/decide", {"approve": True}
        ).status_code
        == 404
    )
    assert snapshot() == before


def test_a_department_handler_may_not_dispatch(api, setup):
    demand = demand_in(rules.DISPATCHED, setup)
    response = api(setup.handler, "POST", f"{URL}/{demand.pk}/return", {"reason": "不是我们的"})
    assert response.status_code == 200
    demand = demand_in(rules.HANDLING, setup)
    response = api(setup.handler, "POST", f"{URL}/{demand.pk}/close", {})
    assert response.status_code in (403, 422)
    assert Demand.objects.get(pk=demand.pk).state == rules.HANDLING


def test_post_only_routes_answer_405_to_get(api, setup):
    demand = submit(setup.d, category=setup.category)
    assert api(None, "GET", f"{URL}/{demand.pk}/accept").status_code == 405
    assert api(setup.d.community_admin, "GET", f"{URL}/{demand.pk}/accept").status_code == 405
    assert api(None, "GET", URL).status_code == 401
    assert api(None, "POST", f"{URL}/{demand.pk}/accept", {}).status_code == 401


def test_staff_user_without_role_sees_nothing(api, setup):
    submit(setup.d, category=setup.category)
    nobody = make_user("nobody")
    assert api(nobody, "GET", URL).json()["items"] == []


def test_detail_query_count_does_not_grow_with_the_timeline(
    api, setup, django_assert_max_num_queries
):
    short = demand_in(rules.HANDLING, setup)
    long = demand_in(rules.HANDLING, setup)
    for i in range(8):
        api(setup.handler, "POST", f"{URL}/{long.pk}/progress", {"note": f"进展{i}"})
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert api(setup.handler, "GET", f"{URL}/{short.pk}").status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = api(setup.handler, "GET", f"{URL}/{long.pk}").json()
    assert len(body["timeline"]) == 12


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    action=st.sampled_from(
        [
            "accept",
            "refuse",
            "duplicate",
            "dispatch",
            "summon",
            "answer-summons",
            "rate",
            "extensions",
        ]
    ),
    body=st.dictionaries(
        st.sampled_from(
            [
                "version",
                "note",
                "reason",
                "original_id",
                "department_id",
                "department_ids",
                "summons_id",
                "answer",
                "rating",
                "limit_value",
                "limit_unit",
            ]
        ),
        JSON_VALUES,
        max_size=4,
    ),
)
def test_any_action_body_is_answered_never_500(api, setup, action, body):
    demand = Demand.objects.filter(state=rules.PENDING).first() or submit(
        setup.d, category=setup.category
    )
    response = api(setup.d.community_admin, "POST", f"{URL}/{demand.pk}/{action}", body)
    assert response.status_code in (200, 201, 403, 409, 422), (body, response.content[:300])
