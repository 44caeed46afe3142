"""Star rating: the arithmetic through the database, each indicator's measurement, settings,
scoping, pages and API."""

import sys
import types
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from tests.assessment.factories import applicant, demand, dues, snapshot
from tests.demands.factories import make_category
from tests.factories import make_user
from tests.member_factories import make_member
from tongxin.assessment import services
from tongxin.assessment.models import BranchRating, IndicatorWeight, RatingSettings
from tongxin.core.models import AuditEntry

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 10)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def line(rating, code):
    return next(x for x in rating.breakdown if x["code"] == code)


@pytest.fixture
def measured(district):
    """Branch a1 with every indicator but study measured at 75 % or 50 % in 2025."""
    d = district
    snapshot(d.branch_a1, "2025", due=12, met=9, should=40, attended=30, leave=4)
    m1, m2 = make_member(d.branch_a1), make_member(d.branch_a1)
    dues(m1, date(2025, 1, 1), paid_on=date(2025, 1, 31))  # last day: on time
    dues(m1, date(2025, 2, 1), paid_on=date(2025, 1, 20))  # paid ahead: on time
    dues(m2, date(2025, 1, 1), paid_on=date(2025, 2, 1))  # the day after: late
    dues(m2, date(2025, 2, 1), paid_on=date(2025, 2, 10))
    dues(m2, date(2025, 3, 1), amount="0.00")  # exempted: not counted
    applicant(d.branch_a1)  # on schedule
    applicant(d.branch_a1, overdue=True, overdue_since=date(2025, 6, 1))
    applicant(d.branch_a1, state="withdrawn", closed_on=date(2024, 12, 31))  # closed before
    cat = make_category()
    for i in range(3):
        demand(d.comm_a1, d.street_a, cat, closed_on=date(2025, 4, 1 + i), due_on=date(2025, 4, 10))
    demand(d.comm_a1, d.street_a, cat, closed_on=date(2025, 5, 20), due_on=date(2025, 5, 10))
    demand(d.comm_a1, d.street_a, cat, closed_on=date(2024, 12, 30), due_on=date(2024, 1, 1))
    return d


def test_hand_computed_rating_with_a_missing_indicator(measured, no_study):
    d = measured
    result = services.compute_ratings(year=2025, today=TODAY, actor=d.admin)
    assert result["branches"] == 2
    r = BranchRating.objects.get(org=d.branch_a1, year=2025)
    # measured weight 90 (study missing) → effective weights × 100/90
    # 33.33×0.75 + 22.22×0.75 + 22.22×0.75 + 11.11×0.5 + 11.11×0.75 = 72.2222…
    assert r.score == Decimal("72.22")
    assert r.stars == 3 and r.rated
    assert r.measured_weight == Decimal("90.00")
    assert r.measured_to == date(2025, 12, 31)
    expected = {
        "meeting_compliance": ("30.00", "33.33", "75.00", "25.00"),
        "attendance": ("20.00", "22.22", "75.00", "16.67"),
        "dues_on_time": ("20.00", "22.22", "75.00", "16.67"),
        "admission_work": ("10.00", "11.11", "50.00", "5.56"),
        "demand_handling": ("10.00", "11.11", "75.00", "8.33"),
    }
    for code, (weight, eff, value, points) in expected.items():
        x = line(r, code)
        assert (x["weight"], x["effective_weight"], x["value"], x["points"]) == (
            weight,
            eff,
            value,
            points,
        ), code
        assert x["missing"] is False
    study = line(r, "study_hours")
    assert study["missing"] is True and study["value"] is None and study["points"] == "0.00"
    assert line(r, "dues_on_time")["figures"] == {"on_time": 3, "due": 4}
    assert line(r, "admission_work")["figures"] == {"on_schedule": 1, "files": 2}
    assert line(r, "demand_handling")["figures"] == {"on_time": 3, "closed": 4}
    # nothing recorded at b1: nothing measured, no stars (not a zero rating with one star)
    b1 = BranchRating.objects.get(org=d.branch_b1, year=2025)
    assert b1.score == 0 and b1.stars is None and not b1.rated
    assert AuditEntry.objects.filter(action="compute_ratings", object_id="2025").count() == 1


def test_recompute_updates_rows_in_place(measured, no_study):
    services.compute_ratings(year=2025, today=TODAY)
    snap = measured.branch_a1.compliance.get(period="2025")
    snap.met = 12
    snap.save()
    services.compute_ratings(year=2025, today=TODAY)
    assert BranchRating.objects.filter(org=measured.branch_a1, year=2025).count() == 1
    r = BranchRating.objects.get(org=measured.branch_a1, year=2025)
    assert line(r, "meeting_compliance")["value"] == "100.00"
    assert r.score == Decimal("80.56")  # 33.33 + 16.67 + 16.67 + 5.56 + 8.33 (exact 80.555…)
    assert r.stars == 4


@pytest.mark.parametrize(("score", "stars"), [("89.99", 4), ("90", 5), ("60", 2), ("59.99", 1)])
def test_stars_at_the_thresholds(district, no_study, score, stars):
    # meeting compliance alone weighs 100: value = score / 100
    IndicatorWeight.objects.update(weight=0)
    IndicatorWeight.objects.filter(code="meeting_compliance").update(weight=100)
    met = int(Decimal(score) * 100)
    snapshot(district.branch_a1, "2025", due=10000, met=met)
    services.compute_ratings(year=2025, today=TODAY)
    r = BranchRating.objects.get(org=district.branch_a1, year=2025)
    assert r.score == Decimal(score) and r.stars == stars


def test_too_little_measured_gives_no_stars(district, no_study):
    # only meeting compliance (30) and attendance (20): 50 < 60 measured
    snapshot(district.branch_a1, "2025", due=4, met=4, should=10, attended=10)
    services.compute_ratings(year=2025, today=TODAY)
    r = BranchRating.objects.get(org=district.branch_a1, year=2025)
    assert r.score == Decimal("100.00") and r.stars is None and not r.rated
    RatingSettings.objects.filter(pk=1).update(min_measured_weight=50)
    services.compute_ratings(year=2025, today=TODAY)
    assert BranchRating.objects.get(org=district.branch_a1, year=2025).stars == 5


def test_running_year_counts_only_ended_months(district, no_study):
    m = make_member(district.branch_a1)
    dues(m, date(2026, 1, 1), paid_on=date(2026, 1, 5))
    dues(m, date(2026, 2, 1), paid_on=None)  # February ended unpaid: late
    dues(m, date(2026, 3, 1), paid_on=None)  # March is running: not counted yet
    services.compute_ratings(year=2026, today=TODAY)
    r = BranchRating.objects.get(org=district.branch_a1, year=2026)
    assert r.measured_to == date(2026, 2, 28)
    assert line(r, "dues_on_time")["figures"] == {"on_time": 1, "due": 2}


def test_january_of_the_running_year_measures_no_month(district, no_study):
    m = make_member(district.branch_a1)
    dues(m, date(2026, 1, 1), paid_on=None)
    services.compute_ratings(year=2026, today=date(2026, 1, 31))
    r = BranchRating.objects.get(org=district.branch_a1, year=2026)
    assert line(r, "dues_on_time")["missing"] is True


def test_future_year_and_bad_weights_are_refused(district, no_study):
    with pytest.raises(services.ValidationError) as exc:
        services.compute_ratings(year=2027, today=TODAY)
    assert "year" in exc.value.message_dict
    IndicatorWeight.objects.filter(code="attendance").update(weight=25)
    with pytest.raises(services.ValidationError) as exc:
        services.compute_ratings(year=2025, today=TODAY)
    assert "105" in exc.value.message_dict["weights"][0]
    assert not BranchRating.objects.exists()


def test_admission_overdue_after_the_period_counts_as_on_schedule(district, no_study):
    applicant(district.branch_a1, overdue=True, overdue_since=date(2026, 1, 1))  # day after
    applicant(district.branch_a1, overdue=True, overdue_since=date(2025, 12, 31))  # day of
    applicant(district.branch_a1, applied_on=date(2026, 1, 1))  # after the period: not counted
    services.compute_ratings(year=2025, today=TODAY)
    r = BranchRating.objects.get(org=district.branch_a1, year=2025)
    assert line(r, "admission_work")["figures"] == {"on_schedule": 1, "files": 2}


def test_demands_on_time_boundaries_and_branches_outside_a_community(district, no_study):
    d = district
    cat = make_category()
    # due at 12:00 local: answered 10:00 the same day on time, the next day late
    demand(
        d.comm_a1,
        d.street_a,
        cat,
        closed_on=date(2025, 4, 12),
        due_on=date(2025, 4, 10),
        answered_on=date(2025, 4, 10),
    )
    demand(
        d.comm_a1,
        d.street_a,
        cat,
        closed_on=date(2025, 4, 12),
        due_on=date(2025, 4, 10),
        answered_on=date(2025, 4, 11),
    )
    demand(d.comm_a1, d.street_a, cat, closed_on=date(2025, 4, 12), due_on=None)
    street_branch = __import__("tests.factories", fromlist=["make_org"]).make_org(
        d.admin, d.street_a, name="街道机关党支部"
    )
    services.compute_ratings(year=2025, today=TODAY)
    r = BranchRating.objects.get(org=d.branch_a1, year=2025)
    assert line(r, "demand_handling")["figures"] == {"on_time": 2, "closed": 3}
    s = BranchRating.objects.get(org=street_branch, year=2025)
    assert line(s, "demand_handling")["missing"] is True


def fake_education(monkeypatch, answer):
    fake = types.ModuleType("tongxin.education.selectors")
    fake.study_hours_by_branch = lambda *, year, org_ids: answer
    monkeypatch.setitem(sys.modules, "tongxin.education.selectors", fake)


def test_study_hours_per_member_of_the_roll(district, monkeypatch):
    d = district
    for _i in range(4):
        make_member(d.branch_a1)
    make_member(d.branch_b1)
    idle = __import__("tests.factories", fromlist=["make_org"]).make_org(d.admin, d.comm_a2)
    make_member(idle)
    # a1: 96 hours recorded by 2 of its 4 members → 24 per member of the roll, of 32 → 75 %
    fake_education(monkeypatch, {d.branch_a1.pk: (Decimal("96"), 2), d.branch_b1.pk: (40, 1)})
    services.compute_ratings(year=2025, today=TODAY)
    a1 = BranchRating.objects.get(org=d.branch_a1, year=2025)
    assert line(a1, "study_hours")["value"] == "75.00"
    assert line(a1, "study_hours")["figures"] == {"average": "24.00", "required": 32, "members": 4}
    b1 = BranchRating.objects.get(org=d.branch_b1, year=2025)
    assert line(b1, "study_hours")["value"] == "100.00"  # 40 of 32: capped at 1
    # the module is in use: a branch with members and no record studied 0 hours
    assert line(BranchRating.objects.get(org=idle, year=2025), "study_hours")["value"] == "0.00"
    RatingSettings.objects.update_or_create(pk=1, defaults={"study_hours_per_member": 24})
    services.compute_ratings(year=2025, today=TODAY)
    assert (
        line(BranchRating.objects.get(org=d.branch_a1, year=2025), "study_hours")["value"]
        == "100.00"
    )


def test_study_hours_missing_when_education_has_no_record(district, monkeypatch):
    make_member(district.branch_a1)
    fake_education(monkeypatch, {})
    result = services.compute_ratings(year=2025, today=TODAY)
    assert result["study_measured"] is False
    r = BranchRating.objects.get(org=district.branch_a1, year=2025)
    assert line(r, "study_hours")["missing"] is True


def test_compute_for_a_subtree_only(district, no_study):
    services.compute_ratings(year=2025, today=TODAY, org=district.street_a)
    assert list(BranchRating.objects.values_list("org_id", flat=True)) == [district.branch_a1.pk]


# --- settings ------------------------------------------------------------------------------


def weights_post(**over):
    data = {
        "weight_meeting_compliance": 30,
        "weight_attendance": 20,
        "weight_dues_on_time": 20,
        "weight_admission_work": 10,
        "weight_study_hours": 10,
        "weight_demand_handling": 10,
        "star_5": 90,
        "star_4": 80,
        "star_3": 70,
        "star_2": 60,
        "min_measured_weight": 60,
        "study_hours_per_member": 32,
    }
    data.update(over)
    return data


def test_settings_saved_by_a_district_admin(client, district):
    client.force_login(district.admin)
    r = client.post(
        "/ratings/settings/",
        weights_post(weight_meeting_compliance=40, weight_demand_handling=0, star_5=95),
        **EN,
    )
    assert r.status_code == 302
    assert IndicatorWeight.objects.get(code="meeting_compliance").weight == 40
    assert RatingSettings.current().star_5 == 95
    assert AuditEntry.objects.filter(
        action="update", object_type="assessment.ratingsettings"
    ).exists()


def test_settings_weights_must_add_up_to_100(client, district):
    client.force_login(district.admin)
    r = client.post("/ratings/settings/", weights_post(weight_attendance=10), **EN)
    assert r.status_code == 400
    assert "add up to 90; they must add up to 100" in r.content.decode()
    assert IndicatorWeight.objects.get(code="attendance").weight == 20


def test_settings_thresholds_must_fall(client, district):
    client.force_login(district.admin)
    r = client.post("/ratings/settings/", weights_post(star_4=90), **EN)
    assert r.status_code == 400
    assert "fall strictly from 5 stars to 2" in r.content.decode()
    r = client.post("/ratings/settings/", weights_post(star_2="x"), **EN)
    assert r.status_code == 400 and RatingSettings.current().star_4 == 80
    r = client.post("/ratings/settings/", weights_post(study_hours_per_member=0), **EN)
    assert r.status_code == 400 and RatingSettings.current().study_hours_per_member == 32


def test_settings_and_recompute_only_for_district_admins(client, district):
    client.force_login(district.street_admin)
    assert client.get("/ratings/settings/").status_code == 403
    assert client.post("/ratings/recompute/", {"year": 2025}).status_code == 403
    assert not BranchRating.objects.exists()


def test_recompute_button(client, district, no_study):
    client.force_login(district.admin)
    r = client.post("/ratings/recompute/", {"year": 2025}, **EN)
    assert r.status_code == 302 and BranchRating.objects.filter(year=2025).count() == 2
    r = client.post("/ratings/recompute/", {"year": "abc"}, **EN)
    assert r.status_code == 302 and r.url == "/ratings/settings/"


# --- pages and scoping -----------------------------------------------------------------------


@pytest.fixture
def rated(measured, no_study):
    services.compute_ratings(year=2025, today=TODAY)
    services.compute_ratings(year=2024, today=TODAY)
    return measured


def test_branch_secretary_sees_why_their_branch_has_its_rating(client, rated):
    client.force_login(rated.secretary)
    r = client.get(f"/ratings/{rated.branch_a1.pk}/2025/", **EN)
    assert r.status_code == 200
    body = r.content.decode()
    assert "72.22" in body
    assert "9 of 12 required meetings and activities held and approved" in body
    assert "3 of 4 monthly dues paid by the end of their month" in body
    assert "Not measured: no study hours are recorded." in body
    assert client.get(f"/ratings/{rated.branch_b1.pk}/2025/").status_code == 404
    listing = client.get("/ratings/?year=2025", **EN).content.decode()
    assert rated.branch_a1.name in listing and rated.branch_b1.name not in listing


def test_ranking_page_for_the_district(client, rated, django_assert_max_num_queries):
    client.force_login(rated.admin)
    with django_assert_max_num_queries(16):
        r = client.get(f"/ratings/?org={rated.root.pk}&year=2025", **EN)
    assert r.status_code == 200
    body = r.content.decode()
    assert body.index(rated.branch_a1.name) < body.index(rated.branch_b1.name)
    assert r.context["summary"]["stars"][2] == (3, 1)
    assert [t["year"] for t in r.context["trend"]] == [2024, 2025]


def test_pages_refuse_foreign_and_non_keepers(client, rated):
    client.force_login(rated.other_community)
    assert client.get(f"/ratings/?org={rated.comm_a1.pk}").status_code == 404
    assert client.get("/ratings/?org=abc").status_code == 403
    assert client.get(f"/ratings/{rated.branch_a1.pk}/2025/").status_code == 404
    member = make_user(role="party_member", org=rated.branch_a1)
    client.force_login(member)
    assert client.get("/ratings/").status_code == 403


def test_ranking_is_keyset_paged(client, district, no_study):
    from tests.factories import make_org

    IndicatorWeight.objects.update(weight=0)
    IndicatorWeight.objects.filter(code="meeting_compliance").update(weight=100)
    for i in range(5):
        b = make_org(district.admin, district.comm_a2)
        snapshot(b, "2025", due=10, met=i % 3)
    services.compute_ratings(year=2025, today=TODAY)
    from tongxin.assessment import selectors

    seen, cursor = [], None
    while True:
        items, cursor = selectors.ranking(
            district.admin, district.root, 2025, after=cursor, limit=2
        )
        seen += items
        if not cursor:
            break
    assert [rank for rank, _r in seen] == list(range(1, 8))
    scores = [r.score for _rank, r in seen]
    assert scores == sorted(scores, reverse=True)
    assert len({r.org_id for _rank, r in seen}) == 7


# --- API -------------------------------------------------------------------------------------


def test_api_ranking_and_breakdown(api, rated, django_assert_max_num_queries):
    r = api(rated.street_admin, "get", "/api/v1/ratings?year=2025")
    assert r.status_code == 200
    data = r.json()
    assert data["org_id"] == rated.street_a.pk
    assert [i["org_id"] for i in data["items"]] == [rated.branch_a1.pk]
    assert data["items"][0] == {
        "rank": 1,
        "org_id": rated.branch_a1.pk,
        "org_name": rated.branch_a1.name,
        "year": 2025,
        "score": "72.22",
        "stars": 3,
        "rated": True,
    }
    r = api(rated.secretary, "get", f"/api/v1/ratings/{rated.branch_a1.pk}?year=2025")
    assert r.status_code == 200
    lines = {x["code"]: x for x in r.json()["breakdown"]}
    assert lines["admission_work"]["points"] == "5.56"
    assert lines["study_hours"]["missing"] is True
    assert lines["dues_on_time"]["detail"] == "3 of 4 monthly dues paid by the end of their month"
    assert [t["year"] for t in r.json()["trend"]] == [2024, 2025]
    # latest year by default
    assert (
        api(rated.secretary, "get", f"/api/v1/ratings/{rated.branch_a1.pk}").json()["year"] == 2025
    )
    from tongxin.accounts.services import issue_api_token

    token = issue_api_token(user=rated.admin)
    with django_assert_max_num_queries(6):
        r = Client().get(
            "/api/v1/ratings?year=2025&limit=1", headers={"Authorization": f"Bearer {token}"}
        )
    assert r.status_code == 200 and r.json()["next"]


def test_api_scoping_and_bad_input(api, rated):
    assert (
        api(rated.secretary, "get", f"/api/v1/ratings/{rated.branch_b1.pk}?year=2025").status_code
        == 404
    )
    assert (
        api(rated.secretary, "get", f"/api/v1/ratings?org={rated.branch_b1.pk}").status_code == 404
    )
    assert (
        api(rated.secretary, "get", f"/api/v1/ratings/{rated.branch_a1.pk}?year=2023").status_code
        == 404
    )
    assert api(rated.secretary, "get", "/api/v1/ratings?year=abc").status_code == 422
    assert api(rated.secretary, "get", "/api/v1/ratings?cursor=x;drop").status_code == 422
    assert api(rated.secretary, "get", f"/api/v1/ratings/{2**70}").status_code in (404, 422)
    member = make_user(role="party_member", org=rated.branch_a1)
    assert api(member, "get", "/api/v1/ratings").status_code == 403
    assert api(None, "get", "/api/v1/ratings").status_code == 401


def test_seeder_computes_from_recorded_data(district, no_study):
    from io import StringIO

    from tongxin.assessment import seed
    from tongxin.orgs.seed import REFERENCE_DATE

    snapshot(district.branch_a1, str(REFERENCE_DATE.year), due=10, met=10, should=5, attended=5)
    out = StringIO()
    counts = seed.seed(scale="demo", rng=None, out=out, context={})
    assert counts == {f"ratings_{REFERENCE_DATE.year - 1}": 2, f"ratings_{REFERENCE_DATE.year}": 2}
    r = BranchRating.objects.get(org=district.branch_a1, year=REFERENCE_DATE.year)
    assert line(r, "meeting_compliance")["value"] == "100.00"
    assert "assessment: ratings" in out.getvalue()


def test_pages_render_in_the_default_language(client, rated):
    client.force_login(rated.admin)
    for url in ("/ratings/", f"/ratings/{rated.branch_a1.pk}/2025/", "/ratings/settings/"):
        assert client.get(url).status_code == 200, url


def test_more_rows_through_htmx(client, district, no_study):
    from tests.factories import make_org

    for _i in range(3):
        snapshot(make_org(district.admin, district.comm_a2), "2025", due=10, met=5)
    services.compute_ratings(year=2025, today=TODAY)
    client.force_login(district.admin)
    first = client.get("/ratings/?year=2025", **EN)
    cursor = first.context["next_cursor"]
    assert cursor is None  # 5 branches fit one page
    from tongxin.assessment import selectors

    _items, cursor = selectors.ranking(district.admin, district.root, 2025, limit=2)
    r = client.get(
        f"/ratings/?org={district.root.pk}&year=2025&after={cursor}", HTTP_HX_REQUEST="true", **EN
    )
    assert r.status_code == 200 and "<html" not in r.content.decode()
    assert r.content.decode().count("<tr>") == 3  # ranks 3 to 5
    assert 'id="rating-more"' in r.content.decode()


def test_no_active_indicator_skips_the_rating_without_failing_the_daily_run(district):
    IndicatorWeight.objects.update(active=False)
    result = services.compute_ratings(year=2026, today=date(2026, 11, 26))
    assert result["skipped"] == "no active indicators" and result["rated"] == 0
    assert not BranchRating.objects.exists()


def test_an_emptied_indicator_table_gets_the_defaults_back(district):
    IndicatorWeight.objects.all().delete()  # e.g. a database flushed after its migrations
    services.compute_ratings(year=2026, today=date(2026, 11, 26))
    weights = dict(IndicatorWeight.objects.values_list("code", "weight"))
    assert sum(weights.values()) == 100 and weights["meeting_compliance"] == 30
    assert BranchRating.objects.exists()
