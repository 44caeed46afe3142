"""Walks every URL and API route as a user of another community: 403/404, nothing changed.

New routes with path parameters must be added to OBJECT_FOR_PARAM's mapping, or this test
fails — so no route escapes the walk.
"""

import re
from datetime import date

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.grid.factories import make_grid, make_household, make_resident
from tests.meetings.factories import meeting as make_meeting
from tests.member_factories import id_number, make_member
from tongxin.accounts.services import issue_api_token
from tongxin.assessment import models as assessment_models
from tongxin.core.crypto import digest
from tongxin.core.models import AuditEntry, BackgroundJob
from tongxin.demands import models as demand_models
from tongxin.development import models as development_models
from tongxin.education import models as education_models
from tongxin.grid import models as grid_models
from tongxin.meetings import models as meeting_models
from tongxin.members import models as member_models
from tongxin.orgs.models import Org, Unit

# Routes that are public or about the caller only (no object of another scope involved).
PUBLIC_OR_SELF = {
    "healthz",
    "readyz",
    "login/",
    "login/two-factor/",
    "logout/",
    "account/",
    "i18n/setlang/",
    "api/v1/auth/token",
    "api/v1/openapi.json",
    "api/v1/docs",
    "api/v1/docs/",
    "api/v1/",
    # the resident portal (no account; its own tests: tests/demands/test_portal*.py)
    *(f"portal/{r}" for r in ("", "submitted/", "track/", "track/<str:code>/")),
    *(f"portal/track/<str:code>/{r}/" for r in ("rate", "reopen")),
}


def walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def all_routes():
    routes = sorted(set(walk(get_resolver().url_patterns)))
    return [r.lstrip("^").rstrip("$") for r in routes]


def fill(route: str, objects: dict) -> str | None:
    """Fill path parameters with objects of the foreign scope; None if the route has none."""
    params = re.findall(r"<(?:\w+:)?(\w+)>", route)
    if not params:
        return None
    url = route
    for name in params:
        kind = route.split("/")[0] if not route.startswith("api/") else route.split("/")[2]
        key = (kind, name)
        assert key in objects, f"route {route!r}: add {key} to the walk's object mapping"
        if objects[key] is None:
            return None
        url = re.sub(r"<(?:\w+:)?" + name + ">", str(objects[key]), url, count=1)
    return "/" + url


def state():
    return (
        list(Org.objects.order_by("id").values_list("id", "name", "path", "updated_at")),
        list(Unit.objects.order_by("id").values_list("id", "name", "updated_at")),
        AuditEntry.objects.exclude(action__in=["issue_api_token", "login"]).count(),
        # every members table: row count and last change
        [
            (m.__name__, m.objects.count(), sorted(m.objects.values_list("pk", flat=True)))
            for m in (
                member_models.Member,
                member_models.StatusChange,
                member_models.CorrectionRequest,
                member_models.Transfer,
                member_models.TransferEvent,
                member_models.FloatingRecord,
                member_models.HostAttendance,
                member_models.DuesRecord,
                member_models.DuesReduction,
                member_models.VoluntaryPayment,
                member_models.LapseFlag,
                member_models.CareCase,
                member_models.CareVisit,
            )
        ],
        list(member_models.Member.objects.order_by("id").values_list("id", "updated_at")),
        # every development table: row count and keys; the files' standing and last change
        [
            (m.__name__, m.objects.count(), sorted(m.objects.values_list("pk", flat=True)))
            for m in (
                development_models.Applicant,
                development_models.StepRecord,
                development_models.Document,
                development_models.ActivistReview,
                development_models.Vote,
                development_models.FileEvent,
                development_models.AdmissionSettings,
            )
        ],
        list(
            development_models.Applicant.objects.order_by("id").values_list(
                "id", "state", "last_step", "updated_at"
            )
        ),
        # every grid table: row count and keys; the grids' and households' last change
        [
            (m.__name__, m.objects.count(), sorted(m.objects.values_list("pk", flat=True)))
            for m in (
                grid_models.Grid,
                grid_models.Building,
                grid_models.Household,
                grid_models.Resident,
                grid_models.CareNeed,
                grid_models.Visit,
            )
        ],
        list(grid_models.Grid.objects.order_by("id").values_list("id", "updated_at")),
        list(grid_models.Household.objects.order_by("id").values_list("id", "updated_at")),
        # every demands table: row count and keys; the demands' state, version and last change
        [
            (m.__name__, m.objects.count(), sorted(m.objects.values_list("pk", flat=True)))
            for m in (
                demand_models.Demand,
                demand_models.DemandEvent,
                demand_models.Photo,
                demand_models.ExtensionRequest,
                demand_models.Supervision,
                demand_models.Escalation,
                demand_models.Summons,
                demand_models.Open311Client,
            )
        ],
        list(
            demand_models.Demand.objects.order_by("id").values_list(
                "id", "state", "version", "updated_at"
            )
        ),
        # every table of organisational life, study and rating: row count and keys
        [
            (m.__name__, m.objects.count(), sorted(m.objects.values_list("pk", flat=True)))
            for m in (
                meeting_models.Meeting,
                meeting_models.Attendance,
                meeting_models.MeetingEvent,
                meeting_models.Attachment,
                meeting_models.AppraisalResult,
                meeting_models.ComplianceSettings,
                meeting_models.ComplianceSnapshot,
                meeting_models.Election,
                meeting_models.Candidate,
                education_models.StudyCampaign,
                education_models.StudyMaterial,
                education_models.StudyRecord,
                education_models.EducationBase,
                education_models.BaseVisit,
                education_models.SecretaryTraining,
                assessment_models.IndicatorWeight,
                assessment_models.RatingSettings,
                assessment_models.BranchRating,
            )
        ],
        list(
            meeting_models.Meeting.objects.order_by("id").values_list(
                "id", "state", "version", "updated_at", "attended"
            )
        ),
        list(meeting_models.Attendance.objects.order_by("id").values_list("id", "status")),
        list(Org.objects.order_by("id").values_list("id", "term_started_on", "term_ends_on")),
    )


def make_applicant(org):
    """An open file in `org` with step 1 done (written directly)."""
    birth = date(1998, 3, 3)
    number = id_number(birth, 77)
    applicant = development_models.Applicant.objects.create(
        name="林觉民",
        gender="male",
        birth_date=birth,
        id_number=number,
        id_digest=digest(number),
        id_tail=number[-4:],
        education="bachelor",
        occupation="enterprise_staff",
        org=org,
        applied_on=date(2026, 1, 5),
        last_step=1,
    )
    development_models.StepRecord.objects.create(applicant=applicant, step=1, on=date(2026, 1, 5))
    return applicant


def make_walk_demand(district):
    """A demand of community A1 dispatched to a department (written directly)."""
    category = demand_models.Category.objects.create(code="walk-env", name="环境卫生")
    department = demand_models.Department.objects.create(
        code="walk-cg", name="城管局", org=district.root
    )
    return demand_models.Demand.objects.create(
        code="WALK0001",
        channel="hotline",
        category=category,
        description="路灯不亮",
        street=district.street_a,
        community=district.comm_a1,
        state="dispatched",
        department=department,
        phone="13800001234",
        phone_tail="1234",
    )


@pytest.fixture
def foreign(district):
    """Objects inside community A1, walked by the admin of community B1.

    Each area of the members app adds the objects its routes take (one line per key)."""
    member = make_member(district.branch_a1, name="林则徐")
    transfer = member_models.Transfer.objects.create(
        member=member,
        kind="outward",
        from_org=district.branch_a1,
        outside_org_name="厦门市思明区某党支部",
        reason="工作调动",
    )
    floating = member_models.FloatingRecord.objects.create(
        member=member,
        destination="厦门市",
        host_org=district.comm_a2,
        left_on=date(2026, 1, 5),
    )
    lapse_flag = member_models.LapseFlag.objects.create(
        member=member, kind="dues", evidence={"months": ["2025-08"]}, detected_on=date(2026, 2, 1)
    )
    care_case = member_models.CareCase.objects.create(
        member=member, kind="illness", details="住院治疗", opened_on=date(2026, 1, 5)
    )
    import_job = BackgroundJob.objects.create(
        kind="member_import", created_by=district.community_admin, file_name="A1.xlsx"
    )
    correction = member_models.CorrectionRequest.objects.create(
        member=member, field="work_unit", requested_value="某单位"
    )
    dues_record = member_models.DuesRecord.objects.create(
        member=member,
        org=district.branch_a1,
        month=date(2026, 1, 1),
        category="salaried",
        base="4000.00",
        rate="0.01",
        rule="salaried_3000_5000",
        amount_due="40.00",
    )
    # dues/records/<pk>/pay/ and dues/reductions/<pk>/decide/ share the key ("dues", "pk"):
    # the reduction takes the record's pk so that both routes meet a real object of A1
    member_models.DuesReduction.objects.create(
        pk=dues_record.pk,
        member=member,
        kind="exempt",
        reason="重病",
        start_month=date(2026, 1, 1),
        end_month=date(2026, 3, 1),
    )
    applicant = make_applicant(district.branch_a1)
    demand = make_walk_demand(district)
    extension = demand_models.ExtensionRequest.objects.create(
        demand=demand, limit_value=3, limit_unit="working_days", reason="需要协调"
    )
    photo = demand_models.Photo.objects.create(
        demand=demand, image="demands/w.png", content_type="image/png", size=1
    )
    document = development_models.Document.objects.create(
        applicant=applicant, kind="application", on=date(2026, 1, 5), file="development/a.pdf"
    )
    grid = make_grid(district.comm_a1)
    household = make_household(grid)
    resident = make_resident(household)
    care_need = grid_models.CareNeed.objects.create(
        household=household, group="low_income", since=date(2026, 1, 5)
    )
    meeting = make_meeting(district.branch_a1, kind="theme_day", on=date(2026, 3, 5), roster=True)
    attachment = meeting_models.Attachment.objects.create(
        meeting=meeting, file="meetings/w.pdf", name="w.pdf", content_type="application/pdf", size=1
    )
    election = meeting_models.Election.objects.create(
        org=district.branch_a1, held_on=date(2026, 3, 5), seats=3, entitled=10, present=9
    )
    campaign = education_models.StudyCampaign.objects.create(
        org=district.comm_a1,
        title="主题教育",
        kind="theme",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        required_hours=12,
    )
    material = education_models.StudyMaterial.objects.create(
        campaign=campaign, title="导读", body="正文", file="education/materials/w.pdf"
    )
    base = education_models.EducationBase.objects.create(
        name="林则徐纪念馆", address="澳门路", org=district.comm_a1
    )
    return {
        ("meetings", "meeting_id"): meeting.pk,
        ("meetings", "attachment_id"): attachment.pk,
        ("meetings", "token"): meeting.signin_token,
        ("meetings", "org_id"): district.branch_a1.pk,
        ("meetings", "year"): 2026,
        ("elections", "election_id"): election.pk,
        ("education", "campaign_id"): campaign.pk,
        ("education", "material_id"): material.pk,
        ("education", "base_id"): base.pk,
        ("ratings", "org_id"): district.branch_a1.pk,
        ("ratings", "year"): 2026,
        ("grids", "grid_id"): grid.pk,
        ("grids", "household_id"): household.pk,
        ("grids", "resident_id"): resident.pk,
        ("grids", "care_id"): care_need.pk,
        ("grids", "field"): "phone",
        ("admissions", "file_id"): applicant.pk,
        ("admissions", "document_id"): document.pk,
        ("calendar", "year"): 2026,
        ("calendar", "day"): "2026-10-01",
        ("members", "pk"): member.pk,
        ("members", "member_id"): member.pk,
        ("members", "field"): "phone",
        ("members", "request_id"): correction.pk,
        ("members", "job_id"): import_job.pk,
        ("member-imports", "job_id"): import_job.pk,
        ("transfers", "pk"): transfer.pk,
        ("transfers", "action"): "approve",
        ("floating", "pk"): floating.pk,
        ("members", "flag_id"): lapse_flag.pk,
        ("lapse", "flag_id"): lapse_flag.pk,
        ("care", "pk"): care_case.pk,
        ("care", "case_id"): care_case.pk,
        ("dues", "pk"): dues_record.pk,
        ("dues", "record_id"): dues_record.pk,
        ("dues", "reduction_id"): dues_record.pk,  # the reduction shares the record's pk
        ("orgs", "pk"): district.branch_a1.pk,
        ("units", "pk"): district.unit_a1.pk,
        ("exchange", "kind"): None,  # orgs|units: a kind, not an object; lists own scope
        ("orgs", "org_id"): district.branch_a1.pk,
        ("units", "unit_id"): district.unit_a1.pk,
        ("demands", "demand_id"): demand.pk,
        ("demands", "ext_id"): extension.pk,
        ("demands", "pk"): demand.pk,  # staff pages (and the settings pages' own pks: 403)
        ("demands", "action"): "accept",
        ("demands", "photo_id"): photo.pk,
        # Open311 GeoReport v2 is public by the spec (no scope to cross): its routes are
        # tested in tests/demands/test_open311*.py (no personal data, errors, filters)
        ("open311", "fmt"): None,
        ("open311", "code"): None,
        ("open311", "request_id"): None,
    }


def test_every_html_route_refuses_another_scope(client, district, foreign):
    client.force_login(district.other_community)
    before = state()
    checked = 0
    for route in all_routes():
        if route.startswith(("api/", "static/")) or route in PUBLIC_OR_SELF:
            continue
        url = fill(route, foreign)
        if url is None:
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (403, 404), (method, url, response.status_code)
            checked += 1
    assert checked >= 8
    assert state() == before


def test_every_api_route_refuses_another_scope(client, district, foreign):
    token = issue_api_token(user=district.other_community)
    headers = {"Authorization": f"Bearer {token}"}
    before = state()
    checked = 0
    for route in all_routes():
        if not route.startswith("api/v1/") or route in PUBLIC_OR_SELF:
            continue
        url = fill(route, foreign)
        if url is None:
            continue
        for method in ("get", "patch", "put", "delete", "post"):
            response = client.generic(
                method.upper(),
                url,
                data='{"name": "被篡改"}',
                content_type="application/json",
                headers=headers,
            )
            assert response.status_code in (403, 404, 405), (method, url, response.status_code)
            checked += 1
    assert checked >= 4
    assert state() == before


def test_lists_never_show_another_scope(client, district):
    client.force_login(district.other_community)
    for url in ("/orgs/?q=sfqx", "/units/", "/coverage/?by=community", "/"):
        body = client.get(url).content.decode()
        assert "三坊七巷" not in body, url
        assert "福州三坊科技" not in body, url
    token = issue_api_token(user=district.other_community)
    headers = {"Authorization": f"Bearer {token}"}
    orgs = client.get("/api/v1/orgs?limit=200", headers=headers).json()["items"]
    assert {o["code"] for o in orgs} == {"C-B1", "B-B1"}
    units = client.get("/api/v1/units", headers=headers).json()["items"]
    assert [u["name"] for u in units] == ["温泉商贸有限公司"]


def test_anonymous_users_are_sent_to_login_or_refused(client, district, foreign):
    for route in all_routes():
        if route.startswith("static/") or route in PUBLIC_OR_SELF:
            continue
        url = fill(route, foreign) or "/" + route
        response = client.get(url)
        if route.startswith("api/"):
            # 405: a POST-only route answers a GET by its method before authentication;
            # it reveals nothing the published OpenAPI document does not.
            assert response.status_code in (401, 405), url
        else:
            assert response.status_code in (302, 404), url
            if response.status_code == 302:
                assert response["Location"].startswith("/login/"), url
