"""Roll-ups from snapshots: arithmetic per child, the behind list, scoping, query counts."""

from datetime import date

import pytest
from django.http import Http404

from tests.factories import make_org
from tests.meetings.factories import Branch, meeting
from tongxin.core.errors import PermissionDenied
from tongxin.meetings.models import Kind, State
from tongxin.meetings.rules.periods import Period
from tongxin.meetings.selectors import compliance as sel
from tongxin.meetings.services import compliance as service
from tongxin.orgs.models import Org

TODAY = date(2026, 11, 26)
JULY = Period.parse("2026-07")


@pytest.fixture
def tree(district):
    """Under C-A1: B-A1 (nothing held), `good` (all July meetings approved), `half`
    (July theme day submitted only). Under C-A2: `far` (approved). Under street B: B-B1."""
    d = district
    good = Branch(d, has_committee=False)
    half = Branch(d, has_committee=False)
    far = Branch(d, has_committee=True)
    Org.objects.filter(pk=far.org.pk).update(
        parent=d.comm_a2, path=d.comm_a2.path + far.org.path[-9:]
    )
    far.org.refresh_from_db()
    for b in (good, far):
        meeting(b, kind=Kind.THEME_DAY, on=date(2026, 7, 3), should_attend=10, attended=8)
        meeting(b, kind=Kind.GENERAL_MEETING, on=date(2026, 7, 4), should_attend=10, attended=9)
    meeting(
        far,
        kind=Kind.COMMITTEE_MEETING,
        on=date(2026, 7, 5),
        should_attend=3,
        attended=3,
        on_leave=0,
    )
    meeting(half, kind=Kind.THEME_DAY, on=date(2026, 7, 3), state=State.SUBMITTED)
    service.recompute_all(today=TODAY)
    return d, good, half, far


def test_rollup_of_a_street_per_community(tree):
    d, _good, _half, _far = tree
    roll = sel.rollup(d.admin, d.street_a, JULY)
    kids = {c.org.code: c.counts for c in roll.children}
    assert set(kids) == {"C-A1", "C-A2"}
    a1, a2 = kids["C-A1"], kids["C-A2"]
    # B-A1 (founded? created today → did not exist in July: no snapshot), good, half
    assert (a1.total, a1.met, a1.open, a1.behind) == (2, 1, 0, 1)
    assert (a2.total, a2.met, a2.behind) == (1, 1, 0)
    assert (a1.due, a1.met_items, a1.held, a1.approved) == (2, 1, 3, 2)
    assert (a2.due, a2.met_items) == (2, 2)
    assert (a1.attended, a1.should_attend, str(a1.attendance_percent)) == (17, 20, "85.0")
    total = roll.counts
    assert (total.total, total.met, total.behind) == (3, 2, 1)
    assert total.due == a1.due + a2.due and total.attended == 17 + 20
    assert roll.computed_at is not None and total.status == "behind"


def test_rollup_of_the_district_per_street(tree):
    d, *_ = tree
    roll = sel.rollup(d.admin, d.root, JULY)
    kids = {c.org.code: c.counts for c in roll.children}
    assert kids["S-A"].total == 3 and kids["S-B"].total == 0
    assert roll.counts.total == 3


def test_rollup_is_two_queries(tree, django_assert_max_num_queries):
    d, *_ = tree
    admin = d.admin
    sel.org_for(admin, d.street_a.pk)  # roles cached on the user
    with django_assert_max_num_queries(2):
        sel.rollup(admin, d.street_a, JULY)


def test_kinds_summed_and_missing_counted(tree):
    d, _good, _half, _far = tree
    kinds, missing = sel.kinds_summed(d.admin, d.street_a, JULY)
    by_kind = {k["kind"]: k for k in kinds}
    assert by_kind["theme_day"]["due"] == 3 and by_kind["theme_day"]["met"] == 2
    assert by_kind["theme_day"]["held"] == 3 and by_kind["theme_day"]["missing"] == ["2026-07"]
    assert by_kind["committee_meeting"]["due"] == 1
    assert [(m["kind"], m["period"], m["branches"]) for m in missing] == [
        ("theme_day", "2026-07", 1)
    ]


def test_behind_list_keyset(district):
    branches = [Branch(district, has_committee=False) for _ in range(3)]
    service.recompute_all(today=TODAY)
    admin = district.admin
    first, cursor = sel.behind_list(admin, district.comm_a1, JULY, limit=2)
    assert [s.org_id for s in first] == [b.org.pk for b in branches[:2]]
    rest, end = sel.behind_list(admin, district.comm_a1, JULY, limit=2, after=cursor)
    assert [s.org_id for s in rest] == [branches[2].org.pk] and end is None
    assert sel.missing_out(rest[0])[0]["period"] == "2026-07"
    junk, _ = sel.behind_list(admin, district.comm_a1, JULY, limit=5, after="'; drop")
    assert len(junk) == 3


def test_scoping(tree):
    d, good, half, _far = tree
    assert sel.org_for(good.street_admin, None) == d.street_a
    with pytest.raises(Http404):
        sel.org_for(good.street_admin, d.street_b.pk)
    with pytest.raises(Http404):
        sel.org_for(good.secretary, half.org.pk)  # another branch of the same community
    with pytest.raises(PermissionDenied):
        sel.org_for(good.member_user, good.org.pk)
    with pytest.raises(Http404):
        sel.rollup(d.other_community, d.street_a, JULY)
    with pytest.raises(Http404):
        sel.branch_compliance(good.outsider, good.org, JULY)


def test_a_branch_directly_under_a_street_counts_as_its_own_child(district):
    d = district
    b = make_org(d.admin, d.street_a, name="街道机关党支部", founded_on=date(2020, 1, 1))
    service.recompute_all(today=TODAY)
    roll = sel.rollup(d.admin, d.street_a, JULY)
    assert {c.org.pk: c.counts.total for c in roll.children}[b.pk] == 1
