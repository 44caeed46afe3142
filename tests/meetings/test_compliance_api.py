"""GET /api/v1/compliance: the contract for a branch (live) and a higher org (snapshots),
422s naming the field, 404 foreign, 403 non-keepers, query counts."""

from datetime import date

import pytest
from django.test import Client

from tests.meetings.factories import Branch, meeting
from tongxin.accounts.services import issue_api_token
from tongxin.meetings.models import Kind, State
from tongxin.meetings.services import compliance as service

URL = "/api/v1/compliance"
TODAY = date(2026, 11, 26)


def get(user, **params):
    token = issue_api_token(user=user)
    return Client().get(
        URL, params, headers={"Authorization": f"Bearer {token}"}, HTTP_ACCEPT_LANGUAGE="en"
    )


@pytest.fixture
def b(district):
    b = Branch(district, has_committee=False)
    meeting(b, kind=Kind.GENERAL_MEETING, on=date(2026, 9, 30), should_attend=6, attended=5)
    meeting(b, kind=Kind.THEME_DAY, on=date(2026, 7, 8), should_attend=6, attended=4)
    meeting(b, kind=Kind.THEME_DAY, on=date(2026, 8, 8), state=State.SUBMITTED)
    return b


BRANCH_KEYS = {"org", "period", "unit", "live", "computed_at", "status", "kinds", "missing"}
KIND_KEYS = {
    "kind",
    "name",
    "frequency",
    "due",
    "held",
    "approved",
    "met",
    "missing",
    "open",
    "reason",
    "attendance_rate",
}


def test_branch_contract(b):
    r = get(b.secretary, org=b.org.pk, period="2026-Q3")
    assert r.status_code == 200, r.content
    body = r.json()
    assert BRANCH_KEYS | {"attendance"} == set(body)
    assert body["org"] == {"id": b.org.pk, "name": b.org.name, "type": "branch"}
    assert (body["period"], body["unit"], body["live"], body["computed_at"]) == (
        "2026-Q3",
        "quarter",
        True,
        None,
    )
    assert body["status"] == "behind"
    kinds = {k["kind"]: k for k in body["kinds"]}
    assert all(set(k) == KIND_KEYS for k in body["kinds"])
    assert len(kinds) == 9
    theme = kinds["theme_day"]
    assert (theme["due"], theme["held"], theme["approved"], theme["met"]) == (3, 2, 1, 1)
    assert theme["missing"] == ["2026-08", "2026-09"] and theme["open"] == []
    assert theme["name"] == "Theme party day" and theme["frequency"] == "1/month"
    assert theme["attendance_rate"] == 66.7
    assert kinds["general_meeting"]["met"] == 1
    assert kinds["committee_meeting"]["reason"] == "no_committee"
    assert kinds["life_meeting"]["reason"] == "longer_period"
    assert body["missing"] == [
        {"kind": "party_lecture", "period": "2026-Q3"},
        {"kind": "theme_day", "period": "2026-08"},
        {"kind": "theme_day", "period": "2026-09"},
    ]
    assert body["attendance"] == {
        "should_attend": 12,
        "attended": 9,
        "on_leave": 2,
        "absent": 1,
        "rate": 75.0,
        "leave_rate": 16.7,
        "meetings": 2,
    }


def test_higher_org_contract_from_snapshots(b):
    service.recompute_all(today=TODAY)
    d = b.district
    r = get(b.street_admin, org=d.street_a.pk, period="2026-Q3")
    assert r.status_code == 200, r.content
    body = r.json()
    assert BRANCH_KEYS | {"attendance", "branches", "children", "behind", "behind_next"} == set(
        body
    )
    assert body["live"] is False and body["computed_at"]
    assert body["branches"] == {"total": 1, "met": 0, "open": 0, "behind": 1}
    theme = next(k for k in body["kinds"] if k["kind"] == "theme_day")
    assert (theme["due"], theme["held"], theme["approved"], theme["met"]) == (3, 2, 1, 1)
    assert theme["missing"] == ["2026-08", "2026-09"]
    children = {c["id"]: c for c in body["children"]}
    assert set(children) == {d.comm_a1.pk, d.comm_a2.pk}
    assert children[d.comm_a1.pk]["branches"]["behind"] == 1
    assert children[d.comm_a2.pk]["branches"]["total"] == 0
    assert body["behind"][0]["id"] == b.org.pk
    assert {"kind": "theme_day", "name": "Theme party day", "period": "2026-08"} in body["behind"][
        0
    ]["missing"]
    assert body["behind_next"] is None
    assert {
        "kind": "party_lecture",
        "name": "Party lecture",
        "period": "2026-Q3",
        "branches": 1,
    } in (body["missing"])


def test_defaults_top_org_and_this_month(b):
    body = get(b.street_admin).json()
    assert body["org"]["id"] == b.district.street_a.pk and body["live"] is False
    assert len(body["period"]) == 7


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "2026-Q5"}, "period"),
        ({"period": "2026-7"}, "period"),
        ({"period": "Q3"}, "period"),
        ({"period": "9999-12"}, "period"),  # the period after it cannot exist
        ({"period": "9999"}, "period"),
        ({"org": "abc"}, "org"),
        ({"org": "0"}, "org"),
        ({"org": str(2**63)}, "org"),
        ({"limit": "0"}, "limit"),
    ],
)
def test_bad_input_names_the_field(b, params, field):
    r = get(b.secretary, **{"org": b.org.pk, **params})
    assert r.status_code == 422, r.content
    assert [d["field"] for d in r.json()["detail"]] == [field]
    assert r.json()["detail"][0]["message"]


def test_party_group_is_refused(district):
    b = Branch(district, groups=1)
    r = get(b.secretary, org=b.groups[0].pk, period="2026-07")
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "org"


def test_scoping(b):
    d = b.district
    assert get(b.outsider, org=b.org.pk).status_code == 404
    assert get(d.other_community, org=d.street_a.pk).status_code == 404
    assert get(b.street_admin, org=d.street_b.pk).status_code == 404
    assert get(b.member_user, org=b.org.pk).status_code == 403
    assert get(b.community_admin, org=b.org.pk).status_code == 200
    assert get(b.outsider, org=99999999).status_code == 404


def test_query_counts(b, django_assert_max_num_queries):
    service.recompute_all(today=TODAY)
    token = issue_api_token(user=b.district_admin)
    client = Client(headers={"Authorization": f"Bearer {token}"})
    # token, roles, org, settings, party groups, meetings
    with django_assert_max_num_queries(7):
        assert client.get(URL, {"org": b.org.pk, "period": "2026"}).status_code == 200
    # token, roles, org, children, grouped counts, kinds (PostgreSQL: 3), behind
    with django_assert_max_num_queries(10):
        assert client.get(URL, {"period": "2026-Q3"}).status_code == 200
