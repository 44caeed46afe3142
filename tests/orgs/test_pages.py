import pytest

from tests.factories import make_org, make_unit
from tongxin.orgs.models import Org, Unit


@pytest.fixture
def bigger(district):
    d = district
    for i in range(40):
        make_org(d.admin, d.comm_a2, name=f"东街社区第{i}党支部", member_count=60)
        make_unit(
            d.admin,
            street=d.street_a,
            community=d.comm_a2,
            name=f"东街单位{i}",
            party_member_count=i % 5,
        )
    return d


@pytest.mark.parametrize(
    ("url", "budget"),
    [
        # every page for a district admin: the unread-notice count and the missing-calendar
        # check (core.context_processors) are one query each
        ("/", 12),
        ("/orgs/", 9),
        ("/orgs/?q=djsq", 10),
        ("/units/", 12),
        ("/units/?coverage=none&flagged=on", 12),
        ("/coverage/", 9),
        ("/coverage/?by=community", 9),
        ("/coverage/?by=category", 9),
        ("/audit/", 9),
    ],
)
def test_list_pages_have_query_budgets(
    client, bigger, url, budget, django_assert_max_num_queries, settings
):
    settings.TONGXIN = {**settings.TONGXIN, "REQUIRE_ADMIN_2FA": False}
    client.force_login(bigger.admin)
    with django_assert_max_num_queries(budget):
        r = client.get(url)
    assert r.status_code == 200


def test_org_pages_with_children_have_budgets(client, bigger, django_assert_max_num_queries):
    client.force_login(bigger.street_admin)
    with django_assert_max_num_queries(14):
        assert client.get(f"/orgs/{bigger.comm_a2.pk}/").status_code == 200
    with django_assert_max_num_queries(8):
        r = client.get(f"/orgs/{bigger.comm_a2.pk}/children/", headers={"HX-Request": "true"})
    assert r.content.decode().count('<li id="node-') == 40


def test_search_by_pinyin_initials(client, district):
    client.force_login(district.admin)
    body = client.get("/orgs/?q=glq").content.decode()
    assert "鼓楼区委" in body
    body = client.get(
        "/orgs/?q=wenquan", headers={"HX-Request": "true", "HX-Target": "search-results"}
    ).content.decode()
    assert "温泉街道党工委" in body and "<html" not in body


def test_org_detail_shows_advisories(client, district):
    d = district
    org = make_org(d.admin, d.comm_a1, name="大支部", member_count=55, full_member_count=9)
    client.force_login(d.community_admin)
    body = client.get(f"/orgs/{org.pk}/").content.decode()
    assert "支部工作条例 第八条" in body and "支部工作条例 第六条" in body


def test_create_org_form_and_errors(client, district):
    d = district
    client.force_login(d.community_admin)
    url = f"/orgs/new/?parent={d.comm_a1.pk}"
    assert client.get(url).status_code == 200
    count = Org.objects.count()
    bad = client.post(
        url,
        {
            "code": "B-A1",
            "name": "重复编码",
            "type": "branch",
            "sector": "community",
            "parent_code": "C-A1",
            "member_count": 0,
            "full_member_count": 0,
        },
    )
    assert bad.status_code == 400 and Org.objects.count() == count
    good = client.post(
        url,
        {
            "code": "B-A9",
            "name": "新支部",
            "type": "branch",
            "sector": "community",
            "parent_code": "C-A1",
            "member_count": 8,
            "full_member_count": 7,
            "active": "on",
        },
    )
    assert good.status_code == 302
    assert Org.objects.get(code="B-A9").parent == d.comm_a1
    # a parent code outside one's scope is refused on the field
    outside = client.post(
        url,
        {
            "code": "B-A8",
            "name": "越权",
            "type": "branch",
            "sector": "community",
            "parent_code": "C-B1",
            "member_count": 0,
            "full_member_count": 0,
        },
    )
    assert outside.status_code == 400 and not Org.objects.filter(code="B-A8").exists()


def test_unit_form_for_community_admin(client, district):
    d = district
    client.force_login(d.community_admin)
    page = client.get("/units/new/").content.decode()
    assert "鼓东街道党工委" in page  # the street above the community can be chosen
    r = client.post(
        "/units/new/",
        {
            "name": "新开小店",
            "category": "other",
            "community": d.comm_a1.pk,
            "employee_count": 3,
            "party_member_count": 0,
            "coverage": "none",
            "active": "on",
        },
    )
    assert r.status_code == 302
    assert Unit.objects.get(name="新开小店").street == d.street_a


def test_bad_filters_never_500(client, district):
    client.force_login(district.admin)
    for url in (
        "/units/?street=abc&category=zzz&after=%%%",
        "/coverage/?by=x",
        "/orgs/?q=" + "x" * 500,
        "/orgs/99999999/",
        "/audit/?since=2024-13-45",
    ):
        assert client.get(url).status_code < 500, url
