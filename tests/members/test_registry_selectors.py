"""Registry reads: scoping, filters, search by name / pinyin / initials / tails / whole ID."""

from datetime import date

import pytest

from tests.factories import make_org
from tests.member_factories import make_member
from tongxin.members.models import FloatingRecord
from tongxin.members.selectors import registry as selectors
from tongxin.members.selectors.registry import MemberFilters


@pytest.fixture
def people(district):
    d = district
    return {
        "lin": make_member(d.branch_a1, name="林则徐", phone="13900001234"),
        "lin2": make_member(d.branch_a1, name="林觉民", phone="13900005678"),
        "chen": make_member(d.branch_a1, name="陈宝琛", is_high_knowledge=True),
        "yan": make_member(d.branch_b1, name="严复", lost_contact_since=date(2025, 1, 1)),
        "gone": make_member(d.branch_a1, name="沈葆桢", status="deceased"),
    }


def names(user, **filters):
    items, _next = selectors.member_list(user, MemberFilters(**filters))
    return sorted(m.name for m in items)


def test_scoping(district, people):
    d = district
    assert names(d.admin) == ["严复", "林则徐", "林觉民", "陈宝琛"]
    assert names(d.street_admin) == ["林则徐", "林觉民", "陈宝琛"]
    assert names(d.secretary) == ["林则徐", "林觉民", "陈宝琛"]
    assert names(d.other_community) == ["严复"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("林则徐", ["林则徐"]),
        ("林", ["林则徐", "林觉民"]),
        ("林觉", ["林觉民"]),  # one or two Chinese characters: the start of the name
        ("zexu", ["林则徐"]),
        ("则徐", []),
        ("linzexu", ["林则徐"]),
        ("LinZeXu", ["林则徐"]),
        ("lzx", ["林则徐"]),
        ("ljm", ["林觉民"]),
        ("1234", ["林则徐"]),  # phone tail
        ("nobody", []),
    ],
)
def test_search(district, people, q, expected):
    assert names(district.admin, q=q) == expected


def test_search_by_id_tail_and_whole_id(district, people):
    lin = people["lin"]
    assert "林则徐" in names(district.admin, q=lin.id_number[-4:])
    assert names(district.admin, q=lin.id_number) == ["林则徐"]
    assert names(district.admin, q=lin.id_number.lower()) == ["林则徐"]
    # the whole ID of a member in another scope finds nothing
    assert names(district.other_community, q=lin.id_number) == []


def test_filters(district, people):
    d = district
    assert names(d.admin, status="all") == ["严复", "林则徐", "林觉民", "沈葆桢", "陈宝琛"]
    assert names(d.admin, status="deceased") == ["沈葆桢"]
    assert names(d.admin, flags=["high_knowledge"]) == ["陈宝琛"]
    assert names(d.admin, flags=["lost_contact"]) == ["严复"]
    assert names(d.admin, org=d.street_b.pk) == ["严复"]
    assert names(d.admin, org=d.comm_a1.pk) == ["林则徐", "林觉民", "陈宝琛"]
    # an org outside the user's scope filters to nothing, never widens the scope
    assert names(d.other_community, org=d.comm_a1.pk) == []
    FloatingRecord.objects.create(
        member=people["chen"], destination="厦门", left_on=date(2026, 5, 1)
    )
    FloatingRecord.objects.create(
        member=people["lin"],
        destination="上海",
        left_on=date(2026, 1, 1),
        returned_on=date(2026, 3, 1),
    )
    assert names(d.admin, flags=["floating"]) == ["陈宝琛"]


def test_keyset_pages_cover_everything_once(district):
    branch = make_org(district.admin, district.comm_a1, name="大支部")
    made = {make_member(branch).pk for _ in range(7)}
    seen, after = [], None
    while True:
        items, after = selectors.member_list(district.admin, MemberFilters(), after=after, limit=3)
        seen += [m.pk for m in items]
        if not after:
            break
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))
    # a forged cursor is ignored, not a 500
    items, _ = selectors.member_list(district.admin, MemberFilters(), after="!!not-base64")
    assert len(items) == 7


def test_list_items_are_masked(district, people):
    items, _ = selectors.member_list(district.admin, MemberFilters(q="林则徐"))
    lin = people["lin"]
    assert items[0].id_number_masked == lin.id_number[:6] + "********" + lin.id_number[-4:]
    assert items[0].phone_masked == "139****1234"


def test_list_query_count_does_not_grow_with_rows(district, django_assert_max_num_queries):
    for _ in range(30):
        make_member(district.branch_a1)
    with django_assert_max_num_queries(3):
        items, _ = selectors.member_list(
            district.community_admin, MemberFilters(q="党员", flags=["floating"])
        )
        [m.org.name for m in items]


def test_my_page_data(district):
    from tests.factories import make_user

    user = make_user(role="party_member", org=district.branch_a1)
    me = make_member(district.branch_a1, user=user)
    make_member(district.branch_a1)
    page = selectors.my_page(user)
    assert page["member"] == me and page["org"] == district.branch_a1
    assert selectors.my_page(district.secretary) is None
