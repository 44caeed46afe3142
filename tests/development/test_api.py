"""/api/v1/admissions: contract shapes, scoping, permissions and garbage input (422 naming
the field, nothing written, never a 500). The journeys through the 25 steps are in
test_api_paths.py."""

import itertools
import json
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils.translation import gettext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_user
from tests.member_factories import id_number
from tongxin.accounts.services import issue_api_token
from tongxin.core.crypto import digest
from tongxin.core.pinyin import search_key
from tongxin.development import rules
from tongxin.development.models import (
    ActivistReview,
    Applicant,
    Document,
    FileEvent,
    StepRecord,
    Vote,
)

pytestmark = pytest.mark.django_db

_seq = itertools.count(1)
TODAY = date.today()
URL = "/api/v1/admissions"


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


def make_file(org, *, steps=None, **fields) -> Applicant:
    """A file written directly (the services have their own tests), standing set by hand."""
    n = next(_seq)
    birth = fields.pop("birth_date", date(1996, 5, 5))
    name = fields.pop("name", f"申请人{n}")
    number = id_number(birth, 300 + n)
    steps = steps or {1: TODAY - timedelta(days=20)}
    applicant = Applicant.objects.create(
        name=name,
        gender=fields.pop("gender", "male"),
        birth_date=birth,
        id_number=number,
        id_digest=digest(number),
        id_tail=number[-4:],
        phone=fields.pop("phone", "13905910000"),
        phone_tail="0000",
        education=fields.pop("education", "bachelor"),
        occupation=fields.pop("occupation", "enterprise_staff"),
        org=org,
        search_key=search_key(name),
        **{
            "last_step": max(steps),
            "phase": rules.STEP_BY_NUMBER[max(steps)].phase,
            "applied_on": steps.get(1),
            **fields,
        },
    )
    for step, on in sorted(steps.items()):
        StepRecord.objects.create(applicant=applicant, step=step, on=on)
    return applicant


def counts():
    return [
        m.objects.count()
        for m in (Applicant, StepRecord, Document, ActivistReview, Vote, FileEvent)
    ]


def fields_of(response) -> set[str]:
    return {e["field"] for e in response.json()["detail"]}


# --- list ---------------------------------------------------------------------------------------


def test_list_is_scoped_filtered_and_keyset_paged(api, district, django_assert_max_num_queries):
    a1 = [make_file(district.branch_a1, name=f"林{i}") for i in range(5)]
    late = make_file(district.branch_a1, name="陈迟到", overdue=True, phase=2, last_step=3)
    make_file(district.branch_a1, name="已撤回", state="withdrawn")
    make_file(district.branch_b1, name="温泉人")
    page = api(district.secretary, "GET", f"{URL}?limit=2").json()
    assert set(page) == {"items", "next"} and len(page["items"]) == 2
    seen = [f["id"] for f in page["items"]]
    while page["next"]:
        page = api(district.secretary, "GET", f"{URL}?limit=2&cursor={page['next']}").json()
        seen += [f["id"] for f in page["items"]]
    assert seen == [f.pk for f in a1] + [late.pk]  # open files of A1 only, by id
    item = api(district.secretary, "GET", f"{URL}?overdue=true").json()["items"]
    assert [f["name"] for f in item] == ["陈迟到"]
    assert item[0]["phase"] == 2 and item[0]["overdue"] is True and item[0]["next_step"] == 4
    assert [f["name"] for f in api(district.admin, "GET", f"{URL}?phase=2").json()["items"]] == [
        "陈迟到"
    ]
    everything = api(district.admin, "GET", f"{URL}?state=all").json()["items"]
    assert {f["name"] for f in everything} >= {"已撤回", "温泉人"}
    closed = api(district.admin, "GET", f"{URL}?state=withdrawn").json()["items"]
    assert [f["name"] for f in closed] == ["已撤回"] and closed[0]["next_step"] is None
    by_org = api(district.admin, "GET", f"{URL}?org={district.comm_b1.pk}").json()["items"]
    assert [f["name"] for f in by_org] == ["温泉人"]
    assert api(district.admin, "GET", f"{URL}?q=wqr").json()["items"][0]["name"] == "温泉人"
    # another community sees nothing of A1, even when it names A1's org
    other = api(district.other_community, "GET", f"{URL}?org={district.branch_a1.pk}").json()
    assert other == {"items": [], "next": None}
    # a party member keeps nothing: an empty list
    member_user = make_user("lin", role="party_member", org=district.branch_a1)
    assert api(member_user, "GET", URL).json()["items"] == []
    for i in range(10):
        make_file(district.branch_b1)
    token = issue_api_token(user=district.admin)
    with django_assert_max_num_queries(3):  # token, roles, the page
        response = Client().get(f"{URL}?limit=50", headers={"Authorization": f"Bearer {token}"})
    assert len(response.json()["items"]) == 17


def test_list_items_are_masked(api, district):
    f = make_file(district.branch_a1, phone="13905918888")
    body = api(district.secretary, "GET", URL).json()["items"][0]
    assert body["id_number_masked"] == "*" * 14 + f.id_tail
    text = json.dumps(body, ensure_ascii=False)
    assert f.id_number not in text and "13905918888" not in text
    assert "id_number" not in body and "phone" not in body


@pytest.mark.parametrize(
    "query",
    [
        "phase=0",
        "phase=6",
        "phase=x",
        "overdue=perhaps",
        "state=lost",
        "org=abc",
        "limit=0",
        "limit=100000",
        "q=" + "x" * 51,
    ],
)
def test_list_bad_filters_are_422_named(api, district, query):
    response = api(district.admin, "GET", f"{URL}?{query}")
    assert response.status_code == 422
    assert query.split("=")[0] in fields_of(response)


def test_list_garbage_cursor_is_the_first_page(api, district):
    make_file(district.branch_a1)
    response = api(district.admin, "GET", f"{URL}?cursor=%%%garbage")
    assert response.status_code == 200 and len(response.json()["items"]) == 1


# --- one file -----------------------------------------------------------------------------------


def test_get_file_shape(api, district, django_assert_max_num_queries):
    applied = TODAY - timedelta(days=40)
    f = make_file(district.branch_a1, steps={1: applied}, phone="13905918888")
    StepRecord.objects.filter(applicant=f, step=1).update(note="申请书一份")
    Document.objects.create(applicant=f, step=1, kind="application", on=applied, title="申请书")
    FileEvent.objects.create(applicant=f, kind="opened", step=1, actor=district.secretary)
    response = api(district.secretary, "GET", f"{URL}/{f.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == f.pk and body["state"] == "open" and body["phase"] == 1
    assert body["id_number_masked"].endswith(f.id_tail)
    assert body["phone_masked"] == "*******0000"
    text = response.content.decode()
    assert f.id_number not in text and "13905918888" not in text
    assert [s["step"] for s in body["steps"]] == list(range(1, 26))
    first, second = body["steps"][0], body["steps"][1]
    assert first["done_on"] == applied.isoformat() and first["note"] == "申请书一份"
    assert first["documents"] == [body["documents"][0]["id"]]
    assert second["is_next"] and second["done_on"] is None and second["code"] == "application_talk"
    assert body["steps"][3]["higher_committee"] is True
    # the talk is due within one month: 40 days later it is overdue, with its article
    assert body["next_step"] == 2
    assert body["next_deadline"]["step"] == 2
    assert body["next_deadline"]["due"] == rules.add_months(applied, 1).isoformat()
    [item] = body["overdue_items"]
    assert item["rule"] == "talk_within_one_month" and item["article"] == rules.ART_TALK
    assert body["timeline"][0]["kind"] == "opened"
    assert body["timeline"][0]["actor"] == district.secretary.username
    assert body["reviews"] == [] and body["votes"] == []
    # the branch secretary records branch steps, not those of the higher committee
    assert 2 in body["may_record"] and 4 not in body["may_record"]
    street = api(district.street_admin, "GET", f"{URL}/{f.pk}").json()
    assert 4 in street["may_record"]
    for _i in range(5):
        FileEvent.objects.create(applicant=f, kind="document", actor=district.secretary)
        Document.objects.create(applicant=f, kind="other", on=applied)
    token = issue_api_token(user=district.secretary)
    # token, roles, the file, then one query each: steps, documents, reviews, votes, events
    with django_assert_max_num_queries(8):
        response = Client().get(f"{URL}/{f.pk}", headers={"Authorization": f"Bearer {token}"})
    assert len(response.json()["timeline"]) == 6


def test_other_scope_unknown_ids_and_anonymous(api, district):
    f = make_file(district.branch_a1)
    before = counts()
    assert api(district.other_community, "GET", f"{URL}/{f.pk}").status_code == 404
    assert api(district.secretary, "GET", f"{URL}/{f.pk + 1000}").status_code == 404
    assert api(district.secretary, "GET", f"{URL}/abc").status_code == 404
    member_user = make_user("lin", role="party_member", org=district.branch_a1)
    good_step = {"step": 2, "date": TODAY.isoformat()}
    for user in (district.other_community, member_user):
        for path, body in [
            ("steps", good_step),
            ("vote", {"date": TODAY.isoformat(), "present": 3, "yes": 3, "no": 0, "abstain": 0}),
            ("reviews", {"date": TODAY.isoformat(), "reviewer": "王", "summary": "好"}),
            ("documents", {"kind": "other", "date": TODAY.isoformat()}),
            ("close", {"date": TODAY.isoformat(), "state": "withdrawn", "reason": "搬走"}),
        ]:
            response = api(user, "POST", f"{URL}/{f.pk}/{path}", body)
            assert response.status_code == 404, (user, path)
    assert api(None, "GET", f"{URL}/{f.pk}").status_code == 401
    assert api(None, "POST", f"{URL}/{f.pk}/steps", good_step).status_code == 401
    assert api(None, "GET", f"{URL}/{f.pk}/steps").status_code == 405
    assert counts() == before


def test_branch_secretary_may_not_record_a_higher_committee_step(api, district):
    f = make_file(
        district.branch_a1,
        steps={
            1: TODAY - timedelta(days=90),
            2: TODAY - timedelta(days=80),
            3: TODAY - timedelta(days=30),
        },
    )
    before = counts()
    response = api(
        district.secretary, "POST", f"{URL}/{f.pk}/steps", {"step": 4, "date": TODAY.isoformat()}
    )
    assert response.status_code == 403
    detail = api(
        district.secretary, "POST", f"{URL}/{f.pk}/steps", {"step": 4, "date": TODAY.isoformat()}
    ).json()["detail"]
    message = gettext("Step %(step)s is recorded by the higher committee, not by the branch.")
    assert detail == message % {"step": 4}
    assert counts() == before


def test_opening_a_file_needs_a_keeper(api, district):
    member_user = make_user("lin", role="party_member", org=district.branch_a1)
    response = api(member_user, "POST", URL, {"name": "林"})
    assert response.status_code == 403 and not Applicant.objects.exists()


# --- garbage: open ----------------------------------------------------------------------------


def open_payload(district, **overrides):
    birth = date(1998, 8, 8)
    data = {
        "org_id": district.branch_a1.pk,
        "applied_on": (TODAY - timedelta(days=10)).isoformat(),
        "name": "郑成功",
        "gender": "male",
        "birth_date": birth.isoformat(),
        "id_number": id_number(birth, 21),
        "phone": "13905918888",
        "education": "bachelor",
        "occupation": "enterprise_staff",
        "is_high_knowledge": True,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not ...}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"applied_on": "2026/01/05"}, "applied_on"),
        ({"applied_on": "20260105"}, "applied_on"),
        ({"applied_on": "2026-02-30"}, "applied_on"),
        ({"applied_on": 20260105}, "applied_on"),
        ({"applied_on": ...}, "applied_on"),
        ({"birth_date": "1998-W01-1"}, "birth_date"),
        ({"birth_date": ["1998-08-08"]}, "birth_date"),
        ({"gender": "unknown"}, "gender"),
        ({"education": 3}, "education"),
        ({"name": ""}, "name"),
        ({"name": "林" * 51}, "name"),
        ({"name": {"x": 1}}, "name"),
        ({"org_id": "abc"}, "org_id"),
        ({"org_id": True}, "org_id"),
        ({"org_id": -1}, "org_id"),
        ({"org_id": 10**30}, "org_id"),
        ({"org_id": ...}, "org_id"),
        ({"is_soe": "yes"}, "is_soe"),
        ({"id_number": 350102199808080211}, "id_number"),
        ({"favourite_colour": "red"}, "favourite_colour"),
    ],
)
def test_open_garbage_is_422_naming_the_field(api, district, overrides, field):
    response = api(district.secretary, "POST", URL, open_payload(district, **overrides))
    assert response.status_code == 422, response.content
    assert field in fields_of(response)
    assert not Applicant.objects.exists()


def test_open_in_an_org_outside_scope_names_org_id(api, district):
    payload = open_payload(district, org_id=district.branch_b1.pk)
    response = api(district.secretary, "POST", URL, payload)
    assert response.status_code == 422 and fields_of(response) == {"org_id"}
    assert not Applicant.objects.exists()


@pytest.mark.parametrize("raw", ["[]", '"x"', "null", "{not json", "1"])
def test_open_with_a_body_that_is_not_an_object(api, district, raw):
    response = api(district.secretary, "POST", URL, raw=raw)
    assert response.status_code in (400, 422)
    assert not Applicant.objects.exists()


# --- garbage: steps -----------------------------------------------------------------------------


@pytest.fixture
def target(district):
    """A file of A1 at step 8 (development target filed), ready for introducers."""
    start = TODAY - timedelta(days=600)
    steps = {n: start + timedelta(days=10 * n) for n in range(1, 9)}
    steps[7] = steps[3] + timedelta(days=400)
    steps[8] = steps[7] + timedelta(days=5)
    return make_file(district.branch_a1, steps=steps)


HUGE = list(range(1, 2000))


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"date": "2026-01-01"}, "step"),
        ({"step": 0, "date": "2026-01-01"}, "step"),
        ({"step": 26, "date": "2026-01-01"}, "step"),
        ({"step": "x", "date": "2026-01-01"}, "step"),
        ({"step": "9", "date": "2026-01-01"}, "step"),
        ({"step": 9.5, "date": "2026-01-01"}, "step"),
        ({"step": True, "date": "2026-01-01"}, "step"),
        ({"step": None, "date": "2026-01-01"}, "step"),
        ({"step": 9}, "date"),
        ({"step": 9, "date": "yesterday"}, "date"),
        ({"step": 9, "date": "2026-13-01"}, "date"),
        ({"step": 9, "date": 1767225600}, "date"),
        ({"step": 9, "date": "2026-01-01T00:00:00"}, "date"),
        ({"step": 9, "date": "2026-01-01", "introducers": "1,2"}, "introducers"),
        ({"step": 9, "date": "2026-01-01", "introducers": ["a", "b"]}, "introducers"),
        ({"step": 9, "date": "2026-01-01", "introducers": [1, 1]}, "introducers"),
        ({"step": 9, "date": "2026-01-01", "introducers": [0, -3]}, "introducers"),
        ({"step": 9, "date": "2026-01-01", "introducers": [True, False]}, "introducers"),
        ({"step": 9, "date": "2026-01-01", "introducers": HUGE}, "introducers"),
        ({"step": 9, "date": "2026-01-01", "days": 3}, "days"),  # a field of step 11
        ({"step": 9, "date": "2026-01-01", "note": "x" * 2001}, "note"),
        ({"step": 9, "date": "2026-01-01", "note": 5}, "note"),
        ({"step": 9, "date": "2026-01-01", "people": "王"}, "people"),
        ({"step": 9, "date": "2026-01-01", "people": [{"name": ""}]}, "people"),
        ({"step": 9, "date": "2026-01-01", "people": [{"name": "王", "x": 1}]}, "people"),
        ({"step": 9, "date": "2026-01-01", "people": [{"name": "王"}] * 21}, "people"),
        ({"step": 9, "date": "2026-01-01", "deciding_body": ["branch"]}, "deciding_body"),
        ({"step": 9, "date": "2026-01-01", "name": "被篡改"}, "name"),
    ],
)
def test_step_garbage_is_422_naming_the_field(api, district, target, payload, field):
    before = counts()
    response = api(district.secretary, "POST", f"{URL}/{target.pk}/steps", payload)
    assert response.status_code == 422, response.content
    assert field in fields_of(response)
    assert counts() == before


@pytest.mark.parametrize(
    ("step", "payload", "field"),
    [
        (11, {"days": "three"}, "days"),
        (11, {"days": -1}, "days"),
        (11, {"hours": float("inf")}, "hours"),
        (11, {"days": 2.5}, "days"),
        (11, {"hours": 10**9}, "hours"),
        (11, {"certificate": 7}, "certificate"),
        (3, {"method": ["member_recommendation"]}, "method"),
        (5, {"contacts": {"1": 1}}, "contacts"),
        (14, {"form_number": "x" * 61}, "form_number"),
        (17, {"approver": "street"}, "approver"),
        (17, {"limit_extended": "yes"}, "limit_extended"),
        (23, {"outcome": "maybe"}, "outcome"),
        (23, {"outcome": "extend"}, "extended_to"),
        (23, {"outcome": "extend", "extended_to": "next year"}, "extended_to"),
        (24, {"approver": 1.5}, "approver"),
    ],
)
def test_step_data_garbage_is_422_naming_the_field(api, district, target, step, payload, field):
    before = counts()
    response = api(
        district.street_admin,
        "POST",
        f"{URL}/{target.pk}/steps",
        {"step": step, "date": "2026-01-01", **payload},
    )
    assert response.status_code == 422, response.content
    assert field in fields_of(response)
    assert counts() == before


def test_step_body_that_is_not_an_object(api, district, target):
    for raw in ("[]", "{oops", '"step"'):
        response = api(district.secretary, "POST", f"{URL}/{target.pk}/steps", raw=raw)
        assert response.status_code in (400, 422)
    assert api(district.secretary, "POST", f"{URL}/{target.pk}/steps").status_code in (400, 422)


# --- garbage: vote, reviews, documents, close --------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"present": 3, "yes": 3, "no": 0, "abstain": 0}, "date"),
        ({"date": "2026-1-1", "present": 3, "yes": 3, "no": 0, "abstain": 0}, "date"),
        ({"date": "2026-01-01", "yes": 3, "no": 0, "abstain": 0}, "present"),
        ({"date": "2026-01-01", "present": "3", "yes": 3, "no": 0, "abstain": 0}, "present"),
        ({"date": "2026-01-01", "present": -1, "yes": 0, "no": 0, "abstain": 0}, "present"),
        ({"date": "2026-01-01", "present": ["a"], "yes": 0, "no": 0, "abstain": 0}, "present"),
        ({"date": "2026-01-01", "present": HUGE, "yes": 0, "no": 0, "abstain": 0}, "present"),
        ({"date": "2026-01-01", "present": 3, "yes": -1, "no": 0, "abstain": 0}, "yes"),
        ({"date": "2026-01-01", "present": 3, "yes": 1.5, "no": 0, "abstain": 0}, "yes"),
        ({"date": "2026-01-01", "present": 3, "yes": 3, "no": "0", "abstain": 0}, "no"),
        ({"date": "2026-01-01", "present": 3, "yes": 3, "no": 0}, "abstain"),
        (
            {"date": "2026-01-01", "present": 3, "yes": 3, "no": 0, "abstain": 0, "written": 2},
            "written",
        ),
        (
            {
                "date": "2026-01-01",
                "present": 3,
                "yes": 3,
                "no": 0,
                "abstain": 0,
                "written": [{"member": 1, "vote": "maybe"}],
            },
            "written",
        ),
        (
            {
                "date": "2026-01-01",
                "present": 3,
                "yes": 3,
                "no": 0,
                "abstain": 0,
                "written": [{"member": "1", "vote": "yes"}],
            },
            "written",
        ),
        (
            {
                "date": "2026-01-01",
                "present": 3,
                "yes": 3,
                "no": 0,
                "abstain": 0,
                "written": [{"member": 1, "vote": "yes"}, {"member": 1, "vote": "no"}],
            },
            "written",
        ),
        (
            {
                "date": "2026-01-01",
                "present": 3,
                "yes": 3,
                "no": 0,
                "abstain": 0,
                "written": [{"member": n, "vote": "yes"} for n in HUGE],
            },
            "written",
        ),
        (
            {"date": "2026-01-01", "present": 3, "yes": 3, "no": 0, "abstain": 0, "secret": 1},
            "secret",
        ),
    ],
)
def test_vote_garbage_is_422_naming_the_field(api, district, target, payload, field):
    before = counts()
    response = api(district.secretary, "POST", f"{URL}/{target.pk}/vote", payload)
    assert response.status_code == 422, response.content
    assert field in fields_of(response)
    assert counts() == before


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("reviews", {"reviewer": "王", "summary": "好"}, "date"),
        ("reviews", {"date": "2026-01-01", "summary": "好"}, "reviewer"),
        ("reviews", {"date": "2026-01-01", "reviewer": "王", "summary": ""}, "summary"),
        ("reviews", {"date": "2026-01-01", "reviewer": "王" * 101, "summary": "好"}, "reviewer"),
        ("documents", {"kind": "photo", "date": "2026-01-01"}, "kind"),
        ("documents", {"kind": "other", "date": "2026-01-01", "step": 26}, "step"),
        ("documents", {"kind": "other", "date": "01/01/2026"}, "date"),
        ("close", {"date": "2026-01-01", "state": "archived", "reason": "x"}, "state"),
        ("close", {"date": "2026-01-01", "state": "withdrawn"}, "reason"),
        ("close", {"date": "2026-01-01", "state": "withdrawn", "reason": "x" * 201}, "reason"),
        ("close", {"state": "withdrawn", "reason": "搬走"}, "date"),
    ],
)
def test_other_writes_garbage_is_422_naming_the_field(api, district, target, path, payload, field):
    before = counts()
    response = api(district.secretary, "POST", f"{URL}/{target.pk}/{path}", payload)
    assert response.status_code == 422, response.content
    assert field in fields_of(response)
    assert counts() == before


# --- reports -----------------------------------------------------------------------------------


def test_funnel_counts_the_subtree_by_phase(api, district):
    make_file(district.branch_a1)
    make_file(district.branch_a1, phase=2, last_step=3, overdue=True)
    make_file(district.branch_a1, phase=2, last_step=5)
    make_file(district.branch_b1, phase=3, last_step=7)
    body = api(district.community_admin, "GET", f"{URL}/funnel").json()
    assert body["org_id"] == district.comm_a1.pk
    assert [(p["phase"], p["count"], p["overdue"]) for p in body["phases"]] == [
        (1, 1, 0),
        (2, 2, 1),
        (3, 0, 0),
        (4, 0, 0),
        (5, 0, 0),
    ]
    assert (body["total"], body["overdue"]) == (3, 1)
    assert body["phases"][0]["name"] == "申请入党"
    whole = api(district.admin, "GET", f"{URL}/funnel").json()
    assert whole["org_id"] == district.root.pk and whole["total"] == 4
    street_b = api(district.admin, "GET", f"{URL}/funnel?org={district.street_b.pk}").json()
    assert street_b["total"] == 1 and street_b["phases"][2]["count"] == 1
    other = api(district.other_community, "GET", f"{URL}/funnel?org={district.comm_a1.pk}")
    assert other.status_code == 404
    assert api(district.admin, "GET", f"{URL}/funnel?org=x").status_code == 422
    member_user = make_user("lin", role="party_member", org=district.branch_a1)
    assert api(member_user, "GET", f"{URL}/funnel").status_code == 403


def test_stats_counts_admissions_by_group(api, district):
    meeting = date(2025, 7, 1)
    make_file(
        district.branch_a1,
        steps={1: date(2023, 1, 5)},
        admitted_on=meeting,
        approved_on=date(2025, 8, 1),
        is_migrant_worker=True,
        gender="female",
        birth_date=date(2000, 7, 2),  # 24 on the meeting date
    )
    make_file(district.branch_a1, admitted_on=meeting)  # not approved: not counted
    make_file(district.branch_b1, admitted_on=meeting, approved_on=date(2025, 8, 1))
    url = f"{URL}/stats?org={district.comm_a1.pk}&since=2025-01-01&until=2025-12-31"
    body = api(district.community_admin, "GET", url).json()
    assert body["total"] == 1 and body["since"] == "2025-01-01" and body["until"] == "2025-12-31"
    groups = {g["key"]: g["count"] for g in body["groups"]}
    assert groups["is_migrant_worker"] == 1 and groups["is_soe"] == 0
    assert {g["key"]: g["count"] for g in body["gender"]} == {"male": 0, "female": 1}
    assert {g["key"]: g["count"] for g in body["age"]}["to25"] == 1 and body["youth"] == 1
    outside = api(district.community_admin, "GET", f"{URL}/stats?since=2024-01-01&until=2024-12-31")
    assert outside.json()["total"] == 0
    district_wide = api(district.admin, "GET", f"{URL}/stats?since=2025-01-01&until=2025-12-31")
    assert district_wide.json()["total"] == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=2025-13-01", "since"),
        ("since=20250101", "since"),
        ("until=tomorrow", "until"),
        ("since=2025-06-01&until=2025-05-31", "until"),
    ],
)
def test_stats_bad_dates_are_422_named(api, district, query, field):
    response = api(district.admin, "GET", f"{URL}/stats?{query}")
    assert response.status_code == 422 and field in fields_of(response)


def test_stats_scope(api, district):
    assert (
        api(district.other_community, "GET", f"{URL}/stats?org={district.comm_a1.pk}").status_code
        == 404
    )
    member_user = make_user("lin", role="party_member", org=district.branch_a1)
    assert api(member_user, "GET", f"{URL}/stats").status_code == 403


def test_openapi_documents_the_routes(api, district):
    paths = api(district.admin, "GET", "/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/admissions",
        "/api/v1/admissions/{file_id}",
        "/api/v1/admissions/{file_id}/steps",
        "/api/v1/admissions/{file_id}/vote",
        "/api/v1/admissions/funnel",
        "/api/v1/admissions/stats",
    ):
        assert path in paths, path
    assert "422" in paths["/api/v1/admissions/{file_id}/steps"]["post"]["responses"]


# --- huge numbers and fuzzing: never a 500 ----------------------------------------------------

BIG = 10**30


def test_huge_ids_never_overflow(api, district, target):
    for url in (
        f"{URL}/{BIG}",
        f"{URL}/{2**63}",
        f"{URL}?org={BIG}",
        f"{URL}/funnel?org={BIG}",
        f"{URL}/stats?org={2**63}",
    ):
        response = api(district.admin, "GET", url)
        assert response.status_code in (404, 422) or response.json()["items"] == [], url
    before = counts()
    for path, payload, field in [
        ("steps", {"step": 9, "date": "2026-01-01", "introducers": [BIG, 2**63]}, "introducers"),
        ("steps", {"step": 17, "date": "2026-01-01", "approver": 2**63}, "approver"),
        (
            "vote",
            {"date": "2026-01-01", "present": [BIG], "yes": 1, "no": 0, "abstain": 0},
            "present",
        ),
        (
            "vote",
            {"date": "2026-01-01", "present": BIG, "yes": 1, "no": 0, "abstain": 0},
            "present",
        ),
        ("vote", {"date": "2026-01-01", "present": 1, "yes": BIG, "no": 0, "abstain": 0}, "yes"),
    ]:
        response = api(district.street_admin, "POST", f"{URL}/{target.pk}/{path}", payload)
        assert response.status_code == 422 and field in fields_of(response), (path, payload)
    assert (
        api(district.secretary, "POST", URL, open_payload(district, org_id=2**63)).status_code
        == 422
    )
    assert counts()[1:] == before[1:]
    # an id that fits but names nobody: the service names the field
    response = api(
        district.secretary,
        "POST",
        f"{URL}/{target.pk}/steps",
        {
            "step": 9,
            "date": (TODAY - timedelta(days=1)).isoformat(),
            "introducers": [2**62, 2**62 + 1],
        },
    )
    assert response.status_code == 422 and fields_of(response) == {"introducers"}
    assert counts() == before


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["2026-01-01", "2025-02-29", "1999-12-31", "convert", "extend", "yes"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
KEYS = sorted(
    {
        "step",
        "date",
        "note",
        "deciding_body",
        "people",
        "method",
        "decided_by",
        "contacts",
        "introducers",
        "conclusion",
        "days",
        "hours",
        "certificate",
        "form_number",
        "approver",
        "limit_extended",
        "outcome",
        "extended_to",
        "present",
        "yes",
        "no",
        "abstain",
        "written",
        "reviewer",
        "summary",
        "kind",
        "title",
        "number",
        "state",
        "reason",
        "org_id",
        "applied_on",
        "name",
        "gender",
        "birth_date",
        "id_number",
        "education",
    }
)
bodies = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), json_values, max_size=8)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    path=st.sampled_from(
        ["", "/{pk}/steps", "/{pk}/vote", "/{pk}/reviews", "/{pk}/documents", "/{pk}/close"]
    ),
    body=bodies,
)
def test_random_bodies_never_answer_500(api, district, target, path, body):
    url = URL + path.format(pk=target.pk)
    response = api(district.street_admin, "POST", url, body)
    assert response.status_code in (200, 201, 403, 422), (url, body, response.content)
    if response.status_code == 422:
        assert set(response.json()) in ({"detail"}, {"violations"})


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/{pk}/steps", {"step": 9, "date": "2026-01-01", "note": "a\x00b"}, "note"),
        (
            "/{pk}/steps",
            {"step": 9, "date": "2026-01-01", "people": [{"name": "王\x00"}]},
            "people",
        ),
        (
            "/{pk}/steps",
            {"step": 11, "date": "2026-01-01", "certificate": "\x1b[31m"},
            "certificate",
        ),
        (
            "/{pk}/reviews",
            {"date": "2026-01-01", "reviewer": "王\x00", "summary": "好"},
            "reviewer",
        ),
        ("/{pk}/documents", {"kind": "other", "date": "2026-01-01", "title": "a\x00"}, "title"),
        ("/{pk}/close", {"date": "2026-01-01", "state": "withdrawn", "reason": "\x00"}, "reason"),
    ],
)
def test_control_characters_are_422_not_a_database_error(
    api, district, target, path, payload, field
):
    """PostgreSQL refuses NUL in text: the API names the field before the database sees it."""
    before = counts()
    response = api(district.street_admin, "POST", URL + path.format(pk=target.pk), payload)
    assert response.status_code == 422 and field in fields_of(response), response.content
    assert counts() == before


def test_control_characters_when_opening_and_searching(api, district):
    response = api(district.secretary, "POST", URL, open_payload(district, name="林\x00"))
    assert response.status_code == 422 and fields_of(response) == {"name"}
    assert not Applicant.objects.exists()
    response = api(district.secretary, "GET", f"{URL}?q=%00ab")
    assert response.status_code == 422 and fields_of(response) == {"q"}
