"""Reads of the admission pipeline: scoping, filters, keyset pages, the file view, the
funnel, overdue files, admissions by group and the to-do list — against the real DB.

Files are written directly here (`make_file`; the services have their own tests), with the
denormalised standing computed by rules.standing as services.refresh_file stores it.
"""

import itertools
from datetime import date

import pytest
from django.http import Http404
from django.utils import translation

from tests.member_factories import id_number
from tongxin.core.crypto import digest
from tongxin.core.pinyin import search_key
from tongxin.development import rules, selectors
from tongxin.development.models import ActivistReview, Applicant, Document, StepRecord

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 15)
_seq = itertools.count(1)


def make_file(org, *, steps=None, data=None, reviews=(), today=TODAY, **fields) -> Applicant:
    """An applicant file with `steps` ({number: date}) done, written directly."""
    n = next(_seq)
    birth = fields.pop("birth_date", date(1996, 5, 5))
    name = fields.pop("name", f"申请人{n}")
    gender = fields.pop("gender", "male")
    number = id_number(birth, 600 + n, female=gender == "female")
    applicant = Applicant.objects.create(
        name=name,
        gender=gender,
        birth_date=birth,
        id_number=number,
        id_digest=digest(number),
        id_tail=number[-4:],
        education=fields.pop("education", "bachelor"),
        occupation=fields.pop("occupation", "enterprise_staff"),
        org=org,
        search_key=search_key(name),
        **fields,
    )
    steps = steps or {}
    for step, on in sorted(steps.items()):
        StepRecord.objects.create(
            applicant=applicant, step=step, on=on, data=(data or {}).get(step, {})
        )
    for on in reviews:
        ActivistReview.objects.create(applicant=applicant, on=on, reviewer="王书记", summary="好")
    return refresh(applicant, today)


def refresh(applicant: Applicant, today=TODAY) -> Applicant:
    applicant = Applicant.objects.get(pk=applicant.pk)
    file = selectors.to_rule_file(applicant)
    st = rules.standing(file, today)
    applicant.last_step, applicant.phase = st.last_step, st.phase
    applicant.next_due, applicant.overdue, applicant.overdue_since = (
        st.next_due,
        st.overdue,
        st.overdue_since,
    )
    applicant.applied_on = file.done(1)
    applicant.activist_on = file.done(3)
    applicant.target_on = file.done(7)
    applicant.admitted_on = file.done(15)
    applicant.approved_on = file.done(17)
    applicant.save()
    return applicant


def activist_file(org, activist_on=date(2025, 3, 1), **kw) -> Applicant:
    """Steps 1–6 done: an activist since `activist_on`, reviewed recently."""
    return make_file(
        org,
        steps={
            1: date(2024, 12, 1),
            2: date(2024, 12, 20),
            3: activist_on,
            4: activist_on,
            5: activist_on,
            6: activist_on,
        },
        reviews=kw.pop("reviews", (date(2026, 3, 1),)),
        **kw,
    )


def admitted_file(org, meeting_on, *, approved=True, **kw) -> Applicant:
    """Steps 1–15 (16–17 when `approved`) done, the branch meeting on `meeting_on`."""
    start = date(meeting_on.year - 3, 1, 10)
    steps = {s: start for s in range(1, 7)}
    target = date(start.year + 1, 6, 1)
    steps.update({s: target for s in range(7, 15)})
    steps[15] = meeting_on
    if approved:
        steps.update({16: meeting_on, 17: meeting_on})
    return make_file(org, steps=steps, **kw)


# ---------------------------------------------------------------- the list


def test_files_for_is_scoped_to_the_keepers_of_the_branch(district):
    mine = make_file(district.branch_a1, steps={1: date(2026, 6, 1)})
    theirs = make_file(district.branch_b1, steps={1: date(2026, 6, 1)})

    ids = lambda user: {a.pk for a in selectors.files_for(user)[0]}  # noqa: E731
    assert ids(district.secretary) == {mine.pk}
    assert ids(district.community_admin) == {mine.pk}
    assert ids(district.street_admin) == {mine.pk}
    assert ids(district.other_community) == {theirs.pk}
    assert ids(district.admin) == {mine.pk, theirs.pk}
    # a district admin limiting to another subtree sees only that subtree
    assert {a.pk for a in selectors.files_for(district.admin, org=district.comm_b1)[0]} == {
        theirs.pk
    }
    # naming an org outside one's scope widens nothing
    assert selectors.files_for(district.secretary, org=district.branch_b1.pk)[0] == []


def test_files_for_filters_phase_overdue_state_and_search(district):
    b = district.branch_a1
    late_talk = make_file(b, name="林则徐", steps={1: date(2026, 4, 1)})  # talk due 5-1
    fresh = make_file(b, name="陈宝琛", steps={1: date(2026, 6, 1)})
    activist = activist_file(b)
    archived = make_file(b, steps={1: date(2026, 6, 1)}, state=Applicant.State.ARCHIVED)
    assert late_talk.overdue and not fresh.overdue

    def ids(**kw):
        return {a.pk for a in selectors.files_for(district.secretary, **kw)[0]}

    assert ids() == {late_talk.pk, fresh.pk, activist.pk}
    assert ids(phase=2) == {activist.pk}
    assert ids(phase=1) == {late_talk.pk, fresh.pk}
    assert ids(overdue=True) == {late_talk.pk}
    assert ids(overdue=False) == {fresh.pk, activist.pk}
    assert ids(state="all") == {late_talk.pk, fresh.pk, activist.pk, archived.pk}
    assert ids(q="林") == {late_talk.pk}
    assert ids(q="cbc") == {fresh.pk}  # pinyin initials
    assert ids(q=late_talk.id_tail) == {late_talk.pk}
    items, _ = selectors.files_for(district.secretary, q="林")
    assert items[0].id_masked.endswith(late_talk.id_tail)
    assert late_talk.id_number[:6] not in items[0].id_masked


def test_files_for_keyset_pages_without_n_plus_1(district, django_assert_max_num_queries):
    created = [make_file(district.branch_a1, steps={1: date(2026, 6, 1)}) for _ in range(5)]
    with django_assert_max_num_queries(2):  # role assignments + the page
        first, cursor = selectors.files_for(district.secretary, limit=2)
        [a.org.name for a in first]
    assert [a.pk for a in first] == [c.pk for c in created[:2]]
    assert cursor
    second, cursor2 = selectors.files_for(district.secretary, limit=2, after=cursor)
    assert [a.pk for a in second] == [c.pk for c in created[2:4]]
    third, cursor3 = selectors.files_for(district.secretary, limit=2, after=cursor2)
    assert [a.pk for a in third] == [created[4].pk] and cursor3 is None


# ---------------------------------------------------------------- one file


def test_get_file_404_outside_scope_and_prefetches_everything(district, django_assert_num_queries):
    applicant = activist_file(district.branch_a1)
    Document.objects.create(applicant=applicant, step=1, kind="application", on=date(2024, 12, 1))
    with pytest.raises(Http404):
        selectors.get_file(district.other_community, applicant.pk)
    with pytest.raises(Http404):
        selectors.get_file(district.secretary, 999999)
    loaded = selectors.get_file(district.secretary, applicant.pk)
    with django_assert_num_queries(0):
        view = selectors.file_view(loaded, today=TODAY)
        [row["record"] and row["record"].body_org for row in view["rows"]]
        list(loaded.votes.all()), list(loaded.events.all())
    assert view["rows"][0]["documents"][0].kind == "application"


def test_file_view_rows_phase_next_step_and_deadline(district):
    applicant = selectors.get_file(
        district.secretary, activist_file(district.branch_a1, activist_on=date(2025, 9, 1)).pk
    )
    view = selectors.file_view(applicant, today=TODAY)
    rows = view["rows"]
    assert [r["number"] for r in rows] == list(range(1, 26))
    assert rows[6]["name"] == "确定发展对象" and rows[6]["phase"] == 3
    assert rows[2]["done_on"] == date(2025, 9, 1) and rows[6]["done_on"] is None
    assert [r["number"] for r in rows if r["is_next"]] == [7]
    assert rows[16]["higher_committee"] and not rows[14]["higher_committee"]
    assert view["phase"].number == 2  # an activist until step 7 is done
    assert view["next_step"].number == 7
    # one year or more as activist: not before 2026-09-01; review due 2026-09-01 (last 03-01)
    assert view["deadline"].not_before == date(2026, 9, 1)
    assert view["overdue"] == []


def test_file_view_lists_overdue_items_with_their_article(district):
    applicant = make_file(district.branch_a1, steps={1: date(2026, 4, 1)})
    view = selectors.file_view(selectors.get_file(district.admin, applicant.pk), today=TODAY)
    assert [i.rule for i in view["overdue"]] == ["talk_within_one_month"]
    assert view["overdue"][0].due == date(2026, 5, 1)
    assert view["overdue"][0].article == rules.ART_TALK
    assert view["deadline"].due == date(2026, 5, 1)


def test_closed_file_has_no_next_step(district):
    applicant = make_file(
        district.branch_a1, steps={1: date(2026, 4, 1)}, state=Applicant.State.WITHDRAWN
    )
    view = selectors.file_view(selectors.get_file(district.admin, applicant.pk), today=TODAY)
    assert view["next_step"] is None and view["overdue"] == []
    assert not any(r["is_next"] for r in view["rows"])


# ---------------------------------------------------------------- funnel, overdue


def test_funnel_counts_open_files_by_phase_in_one_query(district, django_assert_num_queries):
    b = district.branch_a1
    make_file(b, steps={1: date(2026, 4, 1)})  # phase 1, overdue talk
    make_file(b, steps={1: date(2026, 6, 1)})  # phase 1
    activist_file(b)  # phase 2
    make_file(b, steps={1: date(2026, 6, 1)}, state=Applicant.State.WITHDRAWN)  # closed
    make_file(district.branch_b1, steps={1: date(2026, 6, 1)})  # another community
    district.community_admin._tongxin_assignments = None
    selectors.funnel(district.community_admin, district.comm_a1)  # warm the role cache
    with django_assert_num_queries(1):
        result = selectors.funnel(district.community_admin, district.comm_a1)
    counts = [(p["phase"].number, p["count"], p["overdue"]) for p in result["phases"]]
    assert counts == [(1, 2, 1), (2, 1, 0), (3, 0, 0), (4, 0, 0), (5, 0, 0)]
    assert result["total"] == 3 and result["overdue"] == 1
    # the district root through a community admin's eyes: still only their files
    assert selectors.funnel(district.community_admin, district.root)["total"] == 3
    assert selectors.funnel(district.admin, district.root)["total"] == 4


def test_overdue_files_carry_their_items(district, django_assert_max_num_queries):
    late = make_file(district.branch_a1, steps={1: date(2026, 4, 1)})
    make_file(district.branch_a1, steps={1: date(2026, 6, 1)})
    no_review = activist_file(district.branch_a1, reviews=())  # review due 2025-09-01
    make_file(district.branch_b1, steps={1: date(2026, 4, 1)})
    with django_assert_max_num_queries(4):
        items, cursor = selectors.overdue_files(district.secretary, today=TODAY)
    assert [a.pk for a in items] == [late.pk, no_review.pk] and cursor is None
    assert [i.rule for i in items[0].overdue_items] == ["talk_within_one_month"]
    assert [i.rule for i in items[1].overdue_items] == ["half_year_review"]


# ---------------------------------------------------------------- admissions by group


def test_admissions_by_group_counts_approved_admissions_of_the_period(
    district, django_assert_max_num_queries
):
    b = district.branch_a1
    admitted_file(
        b,
        date(2026, 3, 10),
        birth_date=date(2001, 3, 10),  # 25 on the day: band "25 and under"
        is_high_knowledge=True,
        gender="female",
        education="master",
    )
    admitted_file(
        b,
        date(2026, 3, 9),
        birth_date=date(1995, 3, 10),  # 31 on 03-10: still 30 the day before
        is_migrant_worker=True,
        is_two_new=True,
    )
    admitted_file(b, date(2026, 5, 1), birth_date=date(1990, 5, 2), is_soe=True)  # 35
    admitted_file(b, date(2026, 5, 1), approved=False)  # not approved yet: not counted
    admitted_file(b, date(2025, 12, 31))  # before the period
    admitted_file(district.branch_b1, date(2026, 4, 1))  # another community
    with django_assert_max_num_queries(4):
        report = selectors.admissions_by_group(
            district.community_admin, district.comm_a1, date(2026, 1, 1), date(2026, 12, 31)
        )
    assert report["total"] == 3
    groups = {k: n for k, _label, n in report["groups"]}
    assert groups == {
        "is_high_knowledge": 1,
        "is_migrant_worker": 1,
        "is_soe": 1,
        "is_two_new": 1,
    }
    assert {k: n for k, _l, n in report["gender"]} == {"male": 2, "female": 1}
    education = {k: n for k, _l, n in report["education"]}
    assert education["master"] == 1 and education["bachelor"] == 2
    ages = {k: n for k, _l, n in report["age"]}
    # 2001-03-10 → 25 on 2026-03-10; 1995-03-10 → 30 on 2026-03-09 (birthday the next day);
    # 1990-05-02 → 35 on 2026-05-01
    assert ages == {
        "to25": 1,
        "26_30": 1,
        "31_35": 1,
        "36_40": 0,
        "41_50": 0,
        "51_60": 0,
        "61up": 0,
    }
    assert report["youth"] == 3
    # the period's ends are included
    edge = selectors.admissions_by_group(
        district.admin, district.root, date(2026, 3, 9), date(2026, 3, 10)
    )
    assert edge["total"] == 2


def test_age_band_turns_on_the_birthday(district):
    admitted_file(district.branch_a1, date(2026, 3, 10), birth_date=date(2000, 3, 10))  # 26
    admitted_file(district.branch_a1, date(2026, 3, 10), birth_date=date(2000, 3, 11))  # 25
    report = selectors.admissions_by_group(
        district.admin, district.root, date(2026, 1, 1), date(2026, 12, 31)
    )
    ages = {k: n for k, _l, n in report["age"]}
    assert ages["to25"] == 1 and ages["26_30"] == 1


# ---------------------------------------------------------------- to-do


def test_todo_for_lists_near_deadlines_and_overdue_items_of_kept_files(district, settings):
    settings.TONGXIN = {**settings.TONGXIN, "ADMISSION_REMINDER_DAYS": 14}
    b = district.branch_a1
    soon = make_file(b, steps={1: date(2026, 5, 20)})  # talk due 2026-06-20: in 5 days
    later = make_file(b, steps={1: date(2026, 6, 10)})  # talk due 2026-07-10: in 25 days
    late = make_file(b, steps={1: date(2026, 4, 1)})  # talk due 2026-05-01: overdue
    make_file(district.branch_b1, steps={1: date(2026, 4, 1)})  # not kept by the secretary
    items = selectors.todo_for(district.secretary, today=TODAY)
    assert [(i["applicant"].pk, i["kind"], i["due"]) for i in items] == [
        (late.pk, "overdue", date(2026, 5, 1)),
        (soon.pk, "due", date(2026, 6, 20)),
    ]
    assert items[0]["step"].number == 2 and items[0]["article"] == rules.ART_TALK
    assert later.pk not in {i["applicant"].pk for i in items}
    settings.TONGXIN = {**settings.TONGXIN, "ADMISSION_REMINDER_DAYS": 30}
    items = selectors.todo_for(district.secretary, today=TODAY)
    assert later.pk in {i["applicant"].pk for i in items}
    assert selectors.todo_for(district.other_community, today=TODAY)[0]["applicant"].org_id == (
        district.branch_b1.pk
    )


def test_step_details_show_the_steps_own_data(district):
    applicant = make_file(
        district.branch_a1,
        steps={1: date(2024, 12, 1), 2: date(2024, 12, 20), 3: date(2025, 3, 1)},
        data={3: {"method": "member_recommendation", "decided_by": "branch_meeting"}},
    )
    view = selectors.file_view(selectors.get_file(district.admin, applicant.pk), today=TODAY)
    with translation.override("en"):
        details = [(str(k), str(v)) for k, v in view["rows"][2]["details"]]
    assert details == [
        ("Chosen by", "Recommendation by party members"),
        ("Decided by", "Branch general meeting"),
    ]
    assert view["rows"][1]["details"] == [] and view["rows"][3]["details"] == []
    record = StepRecord(step=11, on=TODAY, data={"days": 1, "hours": 0, "certificate": ""})
    assert [(str(k), v) for k, v in selectors.files.step_details(record)] == [
        (str(selectors.files._DETAIL_LABELS["days"]), 1)
    ]
