"""Excel import/export of organisations and units: templates, round trips, all-or-nothing
imports with row/column/reason errors, refusals of bad files, and scope."""

import io
import zipfile
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from tests.factories import uscc
from tongxin.core.models import AuditEntry
from tongxin.orgs import excel, services
from tongxin.orgs.models import Org, Unit

ORG_HEADERS = [
    "编码",
    "名称",
    "类型",
    "领域",
    "上级组织编码",
    "成立日期",
    "书记",
    "是否设支委会",
    "任期开始",
    "任期结束",
    "联系人",
    "联系电话",
    "地址",
    "党员数",
    "正式党员数",
]
UNIT_HEADERS = [
    "单位名称",
    "统一社会信用代码",
    "类别",
    "所属街道编码",
    "所属社区编码",
    "地址",
    "职工数",
    "党员数",
    "覆盖方式",
    "覆盖组织编码",
    "党建指导员",
]
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def xlsx(headers, rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def post(client, kind, content: bytes, name="data.xlsx"):
    upload = SimpleUploadedFile(name, content, content_type=excel.XLSX_CONTENT_TYPE)
    return client.post(reverse("orgs:excel_import", args=[kind]), {"file": upload}, **EN)


def snapshot():
    return Org.objects.count(), Unit.objects.count(), AuditEntry.objects.count()


def errors_of(response):
    return [(e.row, e.column, e.message) for e in response.context["errors"]]


def workbook_from(response):
    content = b"".join(response.streaming_content)
    return load_workbook(io.BytesIO(content), read_only=True)


def sheet_rows(wb):
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


def bad_uscc(n: int) -> str:
    good = uscc(n)
    wrong = next(c for c in "0123456789" if c != good[-1])
    return good[:17] + wrong


# --- templates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "headers"), [("orgs", ORG_HEADERS), ("units", UNIT_HEADERS)])
def test_template_has_the_headers_and_an_explanation_sheet(client, district, kind, headers):
    client.force_login(district.admin)
    response = client.get(reverse("orgs:excel_template", args=[kind]))
    assert response.status_code == 200
    assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    wb = workbook_from(response)
    assert wb.sheetnames[1] == "说明"
    assert sheet_rows(wb)[0] == headers
    notes = "\n".join(str(c) for row in wb["说明"].iter_rows(values_only=True) for c in row if c)
    assert "YYYY-MM-DD" in notes
    assert ("党支部（branch）" if kind == "orgs" else "选派党建指导员（instructor）") in notes


# --- export and round trip ---------------------------------------------------------------------


def test_org_export_round_trip_updates_in_place(client, district):
    client.force_login(district.admin)
    response = client.get(reverse("orgs:excel_export", args=["orgs"]))
    assert response.status_code == 200
    rows = sheet_rows(workbook_from(response))
    assert rows[0] == ORG_HEADERS
    by_code = {r[0]: r for r in rows[1:]}
    assert set(by_code) == set(Org.objects.values_list("code", flat=True))
    assert by_code["B-A1"][2] == "党支部" and by_code["B-A1"][4] == "C-A1"
    assert by_code["B-A1"][8] == datetime(2024, 3, 1)
    assert AuditEntry.objects.filter(action="export", object_type="orgs.org").count() == 1

    by_code["B-A1"][1] = "三坊七巷社区第一党支部（改）"
    by_code["B-A1"][13] = 12
    before = Org.objects.count()
    response = post(client, "orgs", xlsx(rows[0], list(by_code.values())))
    assert response.status_code == 302, response.context and errors_of(response)
    assert Org.objects.count() == before
    branch = Org.objects.get(code="B-A1")
    assert branch.name == "三坊七巷社区第一党支部（改）" and branch.member_count == 12
    assert branch.parent == district.comm_a1 and branch.term_started_on == date(2024, 3, 1)
    entry = AuditEntry.objects.get(action="import", object_type="orgs.org")
    assert entry.changes["rows"] == [None, before]
    assert entry.changes["created"] == [None, 0]
    assert AuditEntry.objects.filter(action="update", object_id=str(branch.pk)).exists()


def test_unit_export_round_trip(client, district):
    client.force_login(district.admin)
    rows = sheet_rows(workbook_from(client.get(reverse("orgs:excel_export", args=["units"]))))
    assert rows[0] == UNIT_HEADERS
    assert len(rows) == 1 + Unit.objects.count()
    row = next(r for r in rows if r[1] == district.unit_a1.credit_code)
    assert row[2:5] == ["非公有制企业", "S-A", "C-A1"]
    assert row[8:10] == ["单独组建", "B-A1"]
    row[6] = 88
    response = post(client, "units", xlsx(rows[0], rows[1:]))
    assert response.status_code == 302
    assert Unit.objects.count() == len(rows) - 1
    district.unit_a1.refresh_from_db()
    assert district.unit_a1.employee_count == 88
    assert AuditEntry.objects.filter(action="import", object_type="orgs.unit").count() == 1


@pytest.mark.parametrize("who", ["admin", "street_admin", "community_admin"])
@pytest.mark.parametrize("kind", ["orgs", "units"])
def test_unchanged_export_imports_again_for_every_manager(client, district, who, kind):
    """The top of a scope names a parent (or street) the user cannot see; that is kept."""
    client.force_login(getattr(district, who))
    rows = sheet_rows(workbook_from(client.get(reverse("orgs:excel_export", args=[kind]))))
    counts = Org.objects.count(), Unit.objects.count()
    response = post(client, kind, xlsx(rows[0], rows[1:]))
    assert response.status_code == 302, errors_of(response)
    assert (Org.objects.count(), Unit.objects.count()) == counts
    entry = AuditEntry.objects.get(action="import")
    assert entry.changes["updated"] == [None, len(rows) - 1]
    assert AuditEntry.objects.filter(action="update").count() == 0


def test_import_moves_an_org_to_another_parent(client, district):
    client.force_login(district.street_admin)
    rows = [["B-A1", "三坊七巷社区第一党支部", "党支部", "社区", "C-A2"]]
    assert post(client, "orgs", xlsx(ORG_HEADERS[:5], rows)).status_code == 302
    moved = Org.objects.get(code="B-A1")
    assert moved.parent == district.comm_a2
    assert moved.path.startswith(district.comm_a2.path)


def test_export_holds_only_what_the_user_sees(client, district):
    client.force_login(district.community_admin)
    rows = sheet_rows(workbook_from(client.get(reverse("orgs:excel_export", args=["orgs"]))))
    assert {r[0] for r in rows[1:]} == {"C-A1", "B-A1"}
    units = sheet_rows(workbook_from(client.get(reverse("orgs:excel_export", args=["units"]))))
    assert [r[1] for r in units[1:]] == [district.unit_a1.credit_code]


# --- valid imports -----------------------------------------------------------------------------


def test_valid_org_import_creates_and_updates(client, district):
    client.force_login(district.street_admin)
    rows = [
        ["N-1", "东街社区第二党支部", "党支部", "社区", "C-A2", "2020-05-04", "张三", "是"],
        # the parent is the org of the row above; a code value instead of a label
        ["N-1-G", "第一党小组", "party_group", "", "N-1", None, "", "否"],
        ["B-A1", "三坊七巷社区第一党支部", "branch", "community", "C-A1", date(2019, 7, 1)],
    ]
    response = post(client, "orgs", xlsx(ORG_HEADERS[:8], rows))
    assert response.status_code == 302
    new = Org.objects.get(code="N-1")
    group = Org.objects.get(code="N-1-G")
    assert new.parent == district.comm_a2 and new.type == "branch" and new.has_committee
    assert new.founded_on == date(2020, 5, 4) and new.secretary_name == "张三"
    assert group.parent == new and group.type == "party_group" and group.sector == "community"
    assert Org.objects.get(code="B-A1").founded_on == date(2019, 7, 1)
    creates = AuditEntry.objects.filter(action="create", object_type="orgs.org")
    assert set(creates.values_list("object_id", flat=True)) >= {str(new.pk), str(group.pk)}
    entry = AuditEntry.objects.get(action="import")
    assert entry.actor == district.street_admin
    assert entry.changes == {"rows": [None, 3], "created": [None, 2], "updated": [None, 1]}
    page = client.get(reverse("orgs:import"), **EN)
    assert "3 organisations imported: 2 created, 1 updated." in page.content.decode()


def test_valid_unit_import_creates_and_updates(client, district):
    client.force_login(district.admin)
    code = uscc(777)
    rows = [
        [
            "新单位",
            code.lower(),
            "社会组织",
            "S-A",
            "C-A2",
            "东街1号",
            20,
            2,
            "选派党建指导员",
            None,
            "李四",
        ],
        ["温泉商贸有限公司", district.unit_b1.credit_code, "非公有制企业", "S-B", "C-B1", "", 9, 5],
    ]
    response = post(client, "units", xlsx(UNIT_HEADERS, rows))
    assert response.status_code == 302
    unit = Unit.objects.get(credit_code=code)
    assert unit.community == district.comm_a2 and unit.coverage == "instructor"
    assert unit.instructor_name == "李四" and unit.employee_count == 20
    district.unit_b1.refresh_from_db()
    assert district.unit_b1.employee_count == 9 and district.unit_b1.coverage == "none"
    assert AuditEntry.objects.filter(action="create", object_id=str(unit.pk)).exists()
    assert AuditEntry.objects.get(action="import").changes["rows"] == [None, 2]


def test_community_admin_imports_units_into_own_community(client, district):
    client.force_login(district.community_admin)
    rows = [["本社区单位", uscc(901), "机关", "S-A", "C-A1"]]
    response = post(client, "units", xlsx(UNIT_HEADERS[:5], rows))
    assert response.status_code == 302
    assert Unit.objects.get(credit_code=uscc(901)).community == district.comm_a1


# --- bad rows: nothing is written, every problem is reported -----------------------------------


def test_org_import_with_bad_rows_writes_nothing(client, district):
    client.force_login(district.admin)
    before = snapshot()
    rows = [
        ["OK-1", "好支部", "党支部", "社区", "C-A1"],
        ["BAD-1", "坏类型", "支部X", "社区", "C-A1"],
        ["BAD-2", "坏上级", "党支部", "社区", "NOPE"],
        ["BAD-3", "坏日期", "党支部", "社区", "C-A1", "2020/13/01"],
        [],
        [
            "BAD-4",
            "坏人数",
            "党支部",
            "社区",
            "C-A1",
            None,
            "",
            "也许",
            None,
            None,
            "",
            "",
            "",
            3,
            5,
        ],
    ]
    response = post(client, "orgs", xlsx(ORG_HEADERS, rows))
    assert response.status_code == 400
    assert snapshot() == before
    assert not Org.objects.filter(code="OK-1").exists()
    found = errors_of(response)
    assert (3, "类型") in [(r, c) for r, c, _ in found]
    assert (4, "上级组织编码", "no organisation with code NOPE in your scope") in found
    assert (5, "成立日期", "not a date; use the format YYYY-MM-DD") in found
    assert (7, "是否设支委会", "enter 是 or 否") in found
    assert not [e for e in found if e[0] == 2]
    html = response.content.decode()
    assert "nothing was imported" in html and "支部X" in html


def test_service_error_after_good_rows_rolls_everything_back(client, district):
    """Row 2 is written by the service; row 3 fails in the service: both are rolled back."""
    client.force_login(district.admin)
    before = snapshot()
    rows = [
        ["好单位", uscc(501), "机关", "S-A", "C-A1"],
        ["错社区", uscc(502), "机关", "S-B", "C-A1"],  # community not under the street
        ["坏代码", bad_uscc(503), "机关", "S-A", "C-A1"],
        ["全员", uscc(504), "机关", "S-A", "C-A1", "", 1, 0, "联合组建"],  # no covering org
    ]
    response = post(client, "units", xlsx(UNIT_HEADERS, rows))
    assert response.status_code == 400
    assert snapshot() == before
    found = errors_of(response)
    assert (3, "所属社区编码", "the community does not belong to the chosen street") in found
    assert (4, "统一社会信用代码", "unified social credit code: check character is wrong") in found
    assert (5, "覆盖方式", "choose the organisation that covers this unit") in found
    assert not [e for e in found if e[0] == 2]


def test_a_database_error_in_one_row_is_isolated_and_reported(client, district, monkeypatch):
    """Each row runs in its own savepoint: a row that fails after writing leaves nothing
    behind for later rows, and (on PostgreSQL) does not abort the rest of the check."""
    real = services.create_org

    def create_then_fail(**kwargs):
        org = real(**kwargs)
        if org.code == "W-1":
            raise IntegrityError("simulated")
        return org

    monkeypatch.setattr(services, "create_org", create_then_fail)
    client.force_login(district.admin)
    before = snapshot()
    rows = [
        ["W-1", "先写后错", "党支部", "社区", "C-A1"],
        ["W-1-G", "小组", "党小组", "社区", "W-1"],
        ["W-2", "正常", "党支部", "社区", "C-A1"],
    ]
    found = errors_of(post(client, "orgs", xlsx(ORG_HEADERS[:5], rows)))
    assert found == [
        (2, "", "the row conflicts with existing data"),
        (3, "上级组织编码", "the organisation W-1 in row 2 could not be imported"),
    ]
    assert snapshot() == before


def test_parent_from_a_failed_row_and_duplicate_codes_are_named(client, district):
    client.force_login(district.admin)
    before = snapshot()
    rows = [
        ["P-1", "", "党支部", "社区", "C-A1"],  # name missing
        ["P-1-G", "小组", "党小组", "社区", "P-1"],
        ["B-A1", "重复一", "党支部", "社区", "C-A1"],
        ["B-A1", "重复二", "党支部", "社区", "C-A1"],
    ]
    found = errors_of(post(client, "orgs", xlsx(ORG_HEADERS[:5], rows)))
    assert (2, "名称", "this cell is required") in found
    assert (3, "上级组织编码", "the organisation P-1 in row 2 could not be imported") in found
    assert (5, "编码", "the same value is already in row 4") in found
    assert snapshot() == before


def test_service_validation_maps_to_the_column(client, district):
    client.force_login(district.admin)
    rows = [
        ["X-1", "人数不对", "党支部", "社区", "C-A1", None, "", "否", "2024-01-01", "2023-01-01"]
    ]
    found = errors_of(post(client, "orgs", xlsx(ORG_HEADERS[:10], rows)))
    assert found == [(2, "任期结束", "term end must be after term start")]
    assert not Org.objects.filter(code="X-1").exists()


# --- scope -------------------------------------------------------------------------------------


def test_community_admin_cannot_import_into_another_community(client, district):
    client.force_login(district.community_admin)
    before = snapshot()
    units = [
        ["本社区单位", uscc(601), "机关", "S-A", "C-A1"],
        ["外社区单位", uscc(602), "机关", "S-B", "C-B1"],
        ["改外社区", district.unit_b1.credit_code, "机关", "S-B", "C-B1"],
    ]
    response = post(client, "units", xlsx(UNIT_HEADERS[:5], units))
    assert response.status_code == 400
    found = errors_of(response)
    assert (3, "所属社区编码", "no organisation with code C-B1 in your scope") in found
    assert (3, "所属街道编码", "no organisation with code S-B in your scope") in found
    assert (4, "统一社会信用代码") in [(r, c) for r, c, _ in found]
    assert not [e for e in found if e[0] == 2]
    orgs = [
        ["Y-1", "外社区支部", "党支部", "社区", "C-B1"],
        ["B-B1", "改名", "党支部", "社区", "C-B1"],
        ["Y-2", "无上级", "党支部", "社区", ""],
    ]
    found = errors_of(post(client, "orgs", xlsx(ORG_HEADERS[:5], orgs)))
    assert (2, "上级组织编码", "no organisation with code C-B1 in your scope") in found
    assert (3, "编码", "an organisation with this code exists outside the part you manage") in found
    assert (4, "上级组织编码", "enter the code of the parent organisation") in found
    assert snapshot() == before
    assert Org.objects.get(code="B-B1").name == "温泉社区第一党支部"


def test_street_admin_cannot_move_an_org_out_of_scope(client, district):
    client.force_login(district.street_admin)
    rows = [["B-A1", "三坊七巷社区第一党支部", "党支部", "社区", "C-B1"]]
    found = errors_of(post(client, "orgs", xlsx(ORG_HEADERS[:5], rows)))
    assert found == [(2, "上级组织编码", "no organisation with code C-B1 in your scope")]
    assert Org.objects.get(code="B-A1").parent == district.comm_a1


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "orgs:import", []),
        ("get", "orgs:excel_template", ["orgs"]),
        ("get", "orgs:excel_export", ["units"]),
        ("post", "orgs:excel_import", ["orgs"]),
    ],
)
def test_users_without_a_manager_role_get_403(client, district, method, name, args):
    client.force_login(district.secretary)
    before = snapshot()
    data = {"file": SimpleUploadedFile("a.xlsx", xlsx(ORG_HEADERS[:5], [["Z", "z", "党支部"]]))}
    response = getattr(client, method)(reverse(name, args=args), data if method == "post" else {})
    assert response.status_code == 403
    assert snapshot() == before


def test_exchange_page_for_a_manager(client, district):
    client.force_login(district.community_admin)
    response = client.get(reverse("orgs:import"), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    for kind in ("orgs", "units"):
        assert reverse("orgs:excel_template", args=[kind]) in html
        assert reverse("orgs:excel_export", args=[kind]) in html
        assert reverse("orgs:excel_import", args=[kind]) in html


def test_unknown_kind_is_404_and_anonymous_is_sent_to_login(client, district):
    assert client.get(reverse("orgs:excel_export", args=["orgs"])).status_code == 302
    client.force_login(district.admin)
    assert client.get(reverse("orgs:excel_export", args=["members"])).status_code == 404


# --- refused files -----------------------------------------------------------------------------


def _zip_without_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,code\nx,y\n", "not a valid Excel workbook"),
        (_zip_without_workbook(), "not a valid Excel workbook"),
        (xlsx(["名称", "备注"], [["x", "y"]]), "lacks required columns: 编码、类型"),
        (xlsx(ORG_HEADERS, []), "no data rows"),
        (xlsx([*ORG_HEADERS, "编码"], [["x"]]), "The column 编码 appears more than once"),
        (b"", "The submitted file is empty"),
    ],
)
def test_bad_files_are_refused_with_a_message(client, district, content, message):
    client.force_login(district.admin)
    before = snapshot()
    response = post(client, "orgs", content)
    assert response.status_code == 400
    assert message in response.context["refusal"]
    assert message in response.content.decode()
    assert snapshot() == before


def test_damaged_workbook_is_refused(client, district):
    client.force_login(district.admin)
    content = xlsx(ORG_HEADERS, [["X", "x", "党支部", "", "C-A1"]])
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as src,
        zipfile.ZipFile(out, "w") as dst,
    ):
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            dst.writestr(item, data)
    response = post(client, "orgs", out.getvalue())
    assert response.status_code == 400
    assert "not a valid Excel workbook" in response.context["refusal"]


def test_oversized_file_is_refused(client, district, settings):
    settings.TONGXIN = {**settings.TONGXIN, "IMPORT_MAX_BYTES": 2000}
    client.force_login(district.admin)
    content = xlsx(ORG_HEADERS, [["X", "x", "党支部", "", "C-A1"]])
    assert len(content) > 2000
    before = snapshot()
    response = post(client, "orgs", content)
    assert response.status_code == 400
    assert "larger than the limit" in response.context["refusal"]
    assert snapshot() == before


def test_too_many_rows_are_refused(client, district, settings):
    settings.TONGXIN = {**settings.TONGXIN, "IMPORT_MAX_ROWS": 2}
    client.force_login(district.admin)
    rows = [[f"R-{i}", f"支部{i}", "党支部", "", "C-A1"] for i in range(3)]
    response = post(client, "orgs", xlsx(ORG_HEADERS[:5], rows))
    assert response.status_code == 400
    assert "more than 2 data rows" in response.context["refusal"]
    assert not Org.objects.filter(code__startswith="R-").exists()
    assert post(client, "orgs", xlsx(ORG_HEADERS[:5], rows[:2])).status_code == 302


# --- cell parsing ------------------------------------------------------------------------------

COLUMNS = {c.field: c for c in excel.ORG_COLUMNS + excel.UNIT_COLUMNS}


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("type", "党支部", "branch"),
        ("type", "branch", "branch"),
        ("type", " Joint branch ", "joint_branch"),
        ("coverage", "选派党建指导员", "instructor"),
        ("category", "非公有制企业", "non_public_enterprise"),
        ("founded_on", "2024-03-01", date(2024, 3, 1)),
        ("founded_on", datetime(2024, 3, 1), date(2024, 3, 1)),
        ("founded_on", None, None),
        ("has_committee", "是", True),
        ("has_committee", "否", False),
        ("has_committee", None, False),
        ("member_count", 5.0, 5),
        ("member_count", "12", 12),
        ("member_count", None, 0),
        ("contact_phone", 13800000000, "13800000000"),
        ("code", 1001.0, "1001"),
    ],
)
def test_parse_cell_accepts(field, value, expected):
    assert excel.parse_cell(COLUMNS[field], value) == (expected, None)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("type", "支部X"),
        ("founded_on", "2024/03/01"),
        ("founded_on", "2024-02-30"),
        ("member_count", "五"),
        ("member_count", 2.5),
        ("has_committee", "maybe"),
        ("code", None),
        ("code", "   "),
    ],
)
def test_parse_cell_rejects(field, value):
    parsed, problem = excel.parse_cell(COLUMNS[field], value)
    assert parsed is None and problem
