"""/api/v1/education: shapes, scoping, writes and garbage input (422 naming the field,
nothing written, never a 500)."""

import json
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from tests.factories import make_user
from tongxin.accounts.services import issue_api_token
from tongxin.education.models import EducationBase, StudyCampaign, StudyRecord, Way

pytestmark = pytest.mark.django_db
URL = "/api/v1/education"


@pytest.fixture
def api(client):
    def call(user, method, url, payload=None, raw=None):
        headers = {"Accept-Language": "en"}
        if user is not None:
            headers["Authorization"] = f"Bearer {issue_api_token(user=user)}"
        data = raw if raw is not None else (None if payload is None else json.dumps(payload))
        return client.generic(
            method, url, data=data, content_type="application/json", headers=headers
        )

    return call


def camp(org, title="主题教育"):
    return StudyCampaign.objects.create(
        org=org,
        title=title,
        kind="theme",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        required_hours=D("12"),
    )


def test_campaigns_shape_and_scope(api, b):
    top = camp(b.root, title="全区")
    camp(b.district.branch_b1, title="温泉")
    response = api(b.secretary, "GET", f"{URL}/campaigns")
    assert response.status_code == 200
    body = response.json()
    assert [c["title"] for c in body] == ["全区"]
    assert body[0] == {
        "id": top.pk,
        "title": "全区",
        "kind": "theme",
        "org_id": b.root.pk,
        "org_name": b.root.name,
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "required_hours": "12.0",
        "description": "",
    }
    assert api(None, "GET", f"{URL}/campaigns").status_code == 401


def test_bases_shape_and_scope(api, b):
    EducationBase.objects.create(org=b.root, name="林则徐纪念馆", address="澳门路")
    EducationBase.objects.create(org=b.district.comm_b1, name="温泉", address="x")
    body = api(b.member_user, "GET", f"{URL}/bases").json()
    assert [x["name"] for x in body] == ["林则徐纪念馆"]
    assert set(body[0]) == {
        "id", "name", "address", "description", "org_id", "org_name", "contact",
        "opening_info", "active",
    }  # fmt: skip


def payload(member, **kw):
    data = {
        "member_id": member.pk,
        "date": timezone.localdate().isoformat(),
        "hours": 2,
        "way": "meeting",
        "topic": "学党章",
    }
    data.update(kw)
    return data


def test_create_and_list_records(api, b):
    c = camp(b.root)
    response = api(b.secretary, "POST", f"{URL}/records", payload(b.members[0], campaign_id=c.pk))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["hours"] == "2.0" and body["campaign_id"] == c.pk and not body["self_entered"]
    api(b.secretary, "POST", f"{URL}/records", payload(b.members[1], hours="1.5"))
    listed = api(b.secretary, "GET", f"{URL}/records?org={b.org.pk}").json()
    assert listed["count"] == 2 and listed["total_hours"] == "3.5"
    one = api(b.secretary, "GET", f"{URL}/records?org={b.org.pk}&member={b.members[1].pk}")
    assert one.json()["total_hours"] == "1.5"


def test_member_sees_and_writes_own_records_only(api, b):
    StudyRecord.objects.create(
        member=b.members[0], on=timezone.localdate(), hours=D("1"), way=Way.MEETING, topic="t"
    )
    response = api(b.member_user, "POST", f"{URL}/records", payload(b.member, way="self_study"))
    assert response.status_code == 201
    assert response.json()["self_entered"]
    body = api(b.member_user, "GET", f"{URL}/records").json()
    assert body["count"] == 1 and body["records"][0]["member_id"] == b.member.pk
    assert api(b.member_user, "GET", f"{URL}/records?member={b.members[0].pk}").status_code == 404
    assert api(b.member_user, "GET", f"{URL}/records?org={b.org.pk}").status_code == 404
    other = api(b.member_user, "POST", f"{URL}/records", payload(b.members[0], way="online"))
    assert other.status_code == 422
    assert other.json()["detail"][0]["field"] == "member_id"
    refused = api(b.member_user, "POST", f"{URL}/records", payload(b.member, way="meeting"))
    assert refused.status_code == 422
    assert {d["field"] for d in refused.json()["detail"]} == {"way"}
    assert StudyRecord.objects.count() == 2


def test_foreign_branch_filter_is_404(api, b):
    foreign = b.district.branch_b1.pk
    assert api(b.secretary, "GET", f"{URL}/records?org={foreign}").status_code == 404
    assert api(make_user(), "GET", f"{URL}/records").status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hours": 0.4}, "hours"),
        ({"hours": "abc"}, "hours"),
        ({"hours": 25}, "hours"),
        ({"hours": [1]}, "hours"),
        ({"date": "2026/01/01"}, "date"),
        ({"date": (date.today() + timedelta(days=2)).isoformat()}, "date"),
        ({"way": "points"}, "way"),
        ({"topic": ""}, "topic"),
        ({"topic": "x" * 201}, "topic"),
        ({"member_id": "1"}, "member_id"),
        ({"member_id": 2**70}, "member_id"),
        ({"campaign_id": 999999}, "campaign_id"),
        ({"meeting_id": 999999}, "meeting_id"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_garbage_is_422_naming_the_field(api, b, change, field):
    response = api(b.secretary, "POST", f"{URL}/records", payload(b.members[0], **change))
    assert response.status_code == 422, response.content
    assert field in {d["field"] for d in response.json()["detail"]}
    assert not StudyRecord.objects.exists()


def test_foreign_member_is_not_found(api, b):
    response = api(b.secretary, "POST", f"{URL}/records", payload(b.outsider_member))
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "member_id"
    assert api(b.secretary, "POST", f"{URL}/records", raw="[1,2]").status_code == 422
    assert api(b.secretary, "POST", f"{URL}/records", raw="{bad").status_code in (400, 422)
    assert not StudyRecord.objects.exists()


def test_list_queries_are_bounded(api, b, django_assert_max_num_queries):
    for m in b.members:
        StudyRecord.objects.create(
            member=m, on=timezone.localdate(), hours=D("1"), way=Way.MEETING, topic="t"
        )
    for i in range(5):
        camp(b.root, title=f"c{i}")
        EducationBase.objects.create(org=b.root, name=f"b{i}", address="a")
    token = issue_api_token(user=b.secretary)
    from django.test import Client

    c = Client(headers={"Authorization": f"Bearer {token}"})
    for url in (f"{URL}/records?org={b.org.pk}", f"{URL}/campaigns", f"{URL}/bases"):
        with django_assert_max_num_queries(8):
            assert c.get(url).status_code == 200
