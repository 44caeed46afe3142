"""Election pages and the /api/v1/elections routes: scoping, bad input, the checks in words."""

import json
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import make_user
from tests.member_factories import make_member
from tongxin.accounts.services import issue_api_token
from tongxin.meetings.models import Election
from tongxin.meetings.services import elections as svc
from tongxin.orgs.models import Org

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
URL = "/api/v1/elections"


@pytest.fixture
def api(client):
    def call(user, method, url, payload=None):
        headers = {"Accept-Language": "en"}
        if user is not None:
            headers["Authorization"] = f"Bearer {issue_api_token(user=user)}"
        data = None if payload is None else json.dumps(payload)
        return client.generic(
            method, url, data=data, content_type="application/json", headers=headers
        )

    return call


def today():
    return timezone.localdate()


def recorded(d, org=None, actor=None, **kw):
    return svc.record_election(
        actor=actor or d.admin,
        org=org or d.branch_a1,
        held_on=kw.pop("held_on", today()),
        seats=kw.pop("seats", 3),
        entitled=kw.pop("entitled", 10),
        present=kw.pop("present", 9),
        candidates=kw.pop("candidates", [("甲", 9), ("乙", 8), ("丙", 7), ("丁", 1)]),
        **kw,
    )


# --- pages ------------------------------------------------------------------------------------


def test_list_shows_terms_due_and_overdue_in_scope(client, district):
    Org.objects.filter(pk=district.branch_a1.pk).update(term_ends_on=today() - timedelta(days=1))
    Org.objects.filter(pk=district.branch_b1.pk).update(term_ends_on=today() + timedelta(days=30))
    client.force_login(district.secretary)
    body = client.get("/elections/", **EN).content.decode()
    assert district.branch_a1.name in body and "re-election overdue" in body
    assert district.branch_b1.name not in body
    client.force_login(district.admin)
    body = client.get("/elections/", **EN).content.decode()
    assert "30 days left" in body


def test_record_through_the_page_and_read_the_checks(client, district):
    member = make_member(district.branch_a1, name="林大")
    client.force_login(district.secretary)
    assert client.get(f"/elections/new/?org={district.branch_a1.pk}", **EN).status_code == 200
    r = client.post(
        "/elections/new/",
        {
            "org": district.branch_a1.pk,
            "held_on": today().isoformat(),
            "seats": 3,
            "entitled": 10,
            "present": 9,
            "candidates": "林大 9\n王二，8\n张三 7\n李四 2",
            "contested": "on",
        },
        **EN,
    )
    assert r.status_code == 302
    e = Election.objects.get()
    assert e.state == "valid"
    assert e.candidates.get(name="林大").member == member
    body = client.get(r.url, **EN).content.decode()
    assert "4 candidates for 3 seats; at least 4 needed" in body
    assert "9 present of 10 entitled to vote, more than four fifths (8): valid" in body
    assert "李四: 2 votes, not more than half (4.5) of the 9 present: not elected" in body


def test_page_refusal_names_the_field(client, district):
    client.force_login(district.secretary)
    r = client.post(
        "/elections/new/",
        {
            "org": district.branch_a1.pk,
            "held_on": (today() + timedelta(days=1)).isoformat(),
            "seats": 3,
            "entitled": 10,
            "present": 9,
            "candidates": "甲 9\n乙 8\n丙 7\n丁 1",
        },
        **EN,
    )
    assert r.status_code == 400
    assert "The election date cannot be in the future." in r.content.decode()
    r = client.post(
        "/elections/new/",
        {
            "org": district.branch_a1.pk,
            "held_on": "2026-01-01",
            "seats": 1,
            "present": 1,
            "candidates": "no votes here",
        },
        **EN,
    )
    assert r.status_code == 400 and "Line 1: write the name" in r.content.decode()
    assert not Election.objects.exists()


def test_pages_scoping(client, district):
    e = recorded(district)
    client.force_login(district.other_community)
    assert client.get(f"/elections/{e.pk}/").status_code == 404
    assert client.get(f"/elections/new/?org={district.branch_a1.pk}").status_code == 404
    r = client.post(
        "/elections/new/",
        {
            "org": district.branch_a1.pk,
            "held_on": today().isoformat(),
            "seats": 1,
            "entitled": 3,
            "present": 3,
            "candidates": "甲 3\n乙 0",
        },
    )
    assert r.status_code == 400 and Election.objects.count() == 1
    assert client.get("/elections/?org=abc").status_code == 404
    client.force_login(make_user(role="party_member", org=district.branch_a1))
    assert client.get("/elections/").status_code == 403
    assert client.get(f"/elections/{e.pk}/").status_code == 403


def test_list_page_queries_are_bounded(client, district, django_assert_max_num_queries):
    for _i in range(6):
        recorded(district)
    client.force_login(district.admin)
    with django_assert_max_num_queries(12):
        assert client.get("/elections/").status_code == 200


# --- API --------------------------------------------------------------------------------------


def body(d, **over):
    data = {
        "org_id": d.branch_a1.pk,
        "held_on": today().isoformat(),
        "seats": 3,
        "entitled": 10,
        "present": 9,
        "candidates": [
            {"name": "甲", "votes": 9},
            {"name": "乙", "votes": 8},
            {"name": "丙", "votes": 7},
            {"name": "丁", "votes": 1},
        ],
    }
    data.update(over)
    return data


def test_api_create_and_read(api, district):
    m = make_member(district.branch_a1, name="林大")
    payload = body(district)
    payload["candidates"][0] = {"member_id": m.pk, "votes": 9}
    r = api(district.secretary, "post", URL, payload)
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["state"] == "valid" and data["minimum_candidates"] == 4
    assert [c["name"] for c in data["candidates"] if c["elected"]] == ["林大", "乙", "丙"]
    assert any("more than four fifths (8): valid" in x for x in data["checks"])
    r = api(district.secretary, "get", f"{URL}/{data['id']}")
    assert r.status_code == 200 and r.json()["id"] == data["id"]


def test_api_failed_election_is_recorded_invalid(api, district):
    votes = [{"name": n, "votes": v} for n, v in (("甲", 8), ("乙", 7), ("丙", 6), ("丁", 1))]
    r = api(district.secretary, "post", URL, body(district, present=8, candidates=votes))
    assert r.status_code == 201
    assert r.json()["state"] == "invalid"
    assert [v["rule"] for v in r.json()["violations"]] == ["election_quorum"]


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"held_on": "2999-01-01"}, "held_on"),
        ({"held_on": "20260101"}, "held_on"),
        ({"seats": 5}, "candidates"),
        ({"present": 11}, "present"),
        ({"seats": "three"}, "seats"),
        ({"candidates": [{"name": "甲", "votes": -1}]}, "candidates.0"),
        ({"candidates": "甲"}, "candidates"),
        ({"color": "red"}, "color"),
        ({"meeting_id": 999999}, "meeting_id"),
    ],
)
def test_api_bad_input_is_422_with_the_field(api, district, over, field):
    r = api(district.secretary, "post", URL, body(district, **over))
    assert r.status_code == 422, r.content
    assert field in {e["field"] for e in r.json()["detail"]}
    assert not Election.objects.exists()


def test_api_member_of_another_branch_is_refused(api, district):
    stranger = make_member(district.branch_b1)
    payload = body(district)
    payload["candidates"][0] = {"member_id": stranger.pk, "votes": 9}
    r = api(district.secretary, "post", URL, payload)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "candidates.0"


def test_api_scoping(api, district):
    e = recorded(district)
    other = recorded(district, org=district.branch_b1)
    r = api(district.secretary, "post", URL, body(district, org_id=district.branch_b1.pk))
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "org_id"
    assert api(district.secretary, "get", f"{URL}/{other.pk}").status_code == 404
    assert api(district.secretary, "get", f"{URL}/{e.pk}").status_code == 200
    items = api(district.secretary, "get", URL).json()["items"]
    assert [i["id"] for i in items] == [e.pk]
    assert api(district.secretary, "get", f"{URL}?org={district.branch_b1.pk}").status_code == 404
    member = make_user(role="party_member", org=district.branch_a1)
    assert api(member, "get", URL).status_code == 403
    assert api(member, "post", URL, body(district)).status_code == 403
    assert api(None, "get", URL).status_code == 401


def test_api_list_is_keyset_paged_with_bounded_queries(district, django_assert_max_num_queries):
    ids = [recorded(district).pk for _i in range(5)]
    token = issue_api_token(user=district.admin)
    seen, cursor = [], None
    while True:
        url = f"{URL}?limit=2" + (f"&cursor={cursor}" if cursor else "")
        with django_assert_max_num_queries(4):
            r = Client().get(url, headers={"Authorization": f"Bearer {token}"})
        seen += [i["id"] for i in r.json()["items"]]
        cursor = r.json()["next"]
        if not cursor:
            break
    assert seen == sorted(ids, reverse=True)


def test_api_terms(api, district):
    Org.objects.filter(pk=district.branch_a1.pk).update(term_ends_on=today() - timedelta(days=2))
    Org.objects.filter(pk=district.branch_b1.pk).update(term_ends_on=today() + timedelta(days=10))
    data = api(district.secretary, "get", f"{URL}/terms").json()
    assert data == [
        {
            "org_id": district.branch_a1.pk,
            "org_name": district.branch_a1.name,
            "term_ends_on": (today() - timedelta(days=2)).isoformat(),
            "days_left": -2,
            "overdue": True,
        }
    ]


def test_default_entitled_through_the_api(api, district):
    for _i in range(4):
        make_member(district.branch_a1, admitted_on=date(2015, 1, 1))
    payload = body(district, present=4, seats=1)
    del payload["entitled"]
    payload["candidates"] = [{"name": "甲", "votes": 4}, {"name": "乙", "votes": 0}]
    r = api(district.secretary, "post", URL, payload)
    assert r.status_code == 201 and r.json()["entitled"] == 4


def test_pages_render_in_the_default_language(client, district):
    e = recorded(district)
    client.force_login(district.admin)
    for url in ("/elections/", "/elections/new/", f"/elections/{e.pk}/"):
        assert client.get(url).status_code == 200, url
