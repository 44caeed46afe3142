"""Excel import of members: every bad row reported with row and column, nothing written
unless all rows are valid; derived fields as the registry sets them; the template round
trip; refusals of bad files; queries per chunk, not per row."""

import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from tests.member_factories import id_number, make_member
from tongxin.core.crypto import digest
from tongxin.core.models import AuditEntry, BackgroundJob
from tongxin.core.pinyin import search_key
from tongxin.members import excel
from tongxin.members.models import DuesBase, Member, StatusChange
from tongxin.members.services import imports
from tongxin.members.services import registry as registry_services

HEADERS = [c.header for c in excel.COLUMNS]
TODAY = date(2026, 6, 15)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def row(n: int, **overrides) -> dict:
    """A valid full member of branch B-A1 (born 1970 + n % 30, unique ID by n)."""
    birth = date(1960 + n % 30, 1 + n % 12, 1 + n % 28)
    birth = (
        overrides.get("出生日期", birth) if isinstance(overrides.get("出生日期"), date) else birth
    )
    values = {
        "姓名": f"导入党员{n}",
        "性别": "男",
        "民族": "汉族",
        "出生日期": birth,
        "公民身份号码": id_number(birth, 400 + n),
        "手机号码": f"1370000{n:04d}",
        "学历": "大学本科",
        "职业类别": "企业人员",
        "高知识群体": "否",
        "外来务工人员": "否",
        "国企": "否",
        "两新组织": "是",
        "工作单位": "福州示例科技有限公司",
        "居住地址": "鼓楼区示例路1号",
        "所在支部编码": "B-A1",
        "人员类别": "正式党员",
        "申请入党日期": date(2008, 5, 4),
        "入党日期": date(2010, 7, 1),
        "转正日期": date(2011, 7, 1),
        "入党介绍人": "王一、陈二",
        "党内职务": "",
        "党费类别": "在职人员",
        "党费基数": 4500,
    }
    values.update(overrides)
    return values


def xlsx(rows: list[dict], headers=HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append([r.get(h) for h in headers])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def run(actor, data: bytes, name="党员.xlsx"):
    return imports.import_members(actor=actor, fileobj=io.BytesIO(data), filename=name, today=TODAY)


def counts():
    return (
        Member.objects.count(),
        StatusChange.objects.count(),
        DuesBase.objects.count(),
        AuditEntry.objects.filter(action="import").count(),
    )


def bad_rows(district):
    """Rows 2–12: row 2 good, then one bad row of each kind (rows 5 and 6 share an ID)."""
    # born before any row(n) (1960+), so its ID never collides with a good row
    existing = make_member(
        district.branch_a1,
        birth_date=date(1955, 6, 15),
        id_number=id_number(date(1955, 6, 15), 7),
        admitted_on=date(1985, 7, 1),
    )
    good = [row(n) for n in range(11)]
    rows = list(good)
    number = rows[1]["公民身份号码"]
    rows[1] = {**rows[1], "公民身份号码": number[:17] + ("0" if number[17] != "0" else "1")}
    rows[2] = {**rows[2], "出生日期": date(1970, 2, 2)}  # ID says otherwise
    rows[4] = {**rows[4], "公民身份号码": rows[3]["公民身份号码"], "出生日期": rows[3]["出生日期"]}
    rows[5] = {**rows[5], "公民身份号码": existing.id_number, "出生日期": existing.birth_date}
    rows[6] = {**rows[6], "所在支部编码": "NO-SUCH"}
    rows[7] = {**rows[7], "所在支部编码": "B-B1"}  # another community
    rows[8] = {**rows[8], "申请入党日期": date(2010, 7, 2)}  # admitted 2010-07-01: the day before
    rows[9] = {**rows[9], "党费基数": "4500.123"}
    return rows, good, existing


def test_every_bad_row_is_reported_and_nothing_written(district):
    rows, _good, _existing = bad_rows(district)
    before = counts()
    result = run(district.community_admin, xlsx(rows))
    assert not result.ok
    found = {(e.row, e.column) for e in result.errors}
    assert found == {
        (3, "公民身份号码"),  # check digit
        (4, "公民身份号码"),  # birth date inside the ID differs
        (5, "公民身份号码"),  # duplicate of row 6 ...
        (6, "公民身份号码"),  # ... and row 6 names row 5
        (7, "公民身份号码"),  # already in the registry
        (8, "所在支部编码"),  # unknown code
        (9, "所在支部编码"),  # outside the importer's scope
        (10, "入党日期"),  # admission before application
        (11, "党费基数"),  # three decimals
    }
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert "6" in messages[(5, "公民身份号码")] and "5" in messages[(6, "公民身份号码")]
    assert result.bad_rows == 9 and result.error_count == 9 and result.created == 0
    assert counts() == before


def test_error_messages_name_the_rule_in_english(district, settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    rows, _good, _existing = bad_rows(district)
    with translation.override("en"):
        result = run(district.community_admin, xlsx(rows))
    text = {(e.row, e.column): e.message for e in result.errors}
    assert "check digit" in text[(3, "公民身份号码")]
    assert "birth date" in text[(4, "公民身份号码")]
    assert "already in row 5" in text[(6, "公民身份号码")]
    assert "also in row 6" in text[(5, "公民身份号码")]
    assert "already in the registry" in text[(7, "公民身份号码")]
    assert "NO-SUCH" in text[(8, "所在支部编码")]
    assert "outside" in text[(9, "所在支部编码")]
    assert "before the application" in text[(10, "入党日期")]
    assert "two decimal places" in text[(11, "党费基数")]


def test_the_fixed_file_is_written_whole_with_derived_fields(district):
    _rows, good, _existing = bad_rows(district)
    before = counts()
    result = run(district.community_admin, xlsx(good), name="三坊七巷.xlsx")
    assert result.ok, result.errors
    assert result.created == 11 and result.rows == 11
    after = counts()
    assert after == (before[0] + 11, before[1] + 11, before[2] + 11, before[3] + 1)
    for values in good:
        number = values["公民身份号码"]
        member = Member.objects.get(id_digest=digest(number))
        assert member.id_number == number
        assert member.id_tail == number[-4:]
        assert member.phone == values["手机号码"] and member.phone_tail == values["手机号码"][-4:]
        assert member.search_key == search_key(values["姓名"])
        assert member.org == district.branch_a1 and member.status == "normal"
        assert member.category == "full" and member.full_on == date(2011, 7, 1)
        assert member.dues_category == "salaried" and member.dues_base == Decimal("4500.00")
        assert member.is_two_new and not member.is_soe
        history = member.history.get()
        assert (history.kind, history.effective_on, history.to_value) == (
            "registered",
            TODAY,
            "B-A1",
        )
        assert history.actor == district.community_admin
        base = member.dues_bases.get()
        assert (base.from_month, base.category, base.base) == (
            date(2010, 7, 1),
            "salaried",
            Decimal("4500.00"),
        )
    entry = AuditEntry.objects.filter(action="import").latest("id")
    assert entry.actor == district.community_admin
    assert entry.object_type == "members.member" and entry.object_repr == "三坊七巷.xlsx"
    assert entry.changes["rows"] == [None, 11]
    dumped = json.dumps(entry.changes, ensure_ascii=False)
    assert good[0]["公民身份号码"] not in dumped and good[0]["姓名"] not in dumped
    district.branch_a1.refresh_from_db()
    assert district.branch_a1.member_count == Member.objects.filter(org=district.branch_a1).count()


def test_imported_members_match_the_registry_service(district):
    """The same person entered by the form and by the sheet: the same derived fields."""
    fields = dict(
        name="曾志伟",
        gender="male",
        birth_date=date(1975, 4, 8),
        phone="0591-87654321",
        education="bachelor",
        occupation="worker",
        org=district.branch_a1,
        category="full",
        applied_on=date(2000, 1, 1),
        admitted_on=date(2001, 3, 5),
        full_on=date(2002, 3, 5),
        dues_category="retired",
        dues_base=Decimal("3000.00"),
    )
    by_form = registry_services.create_member(
        actor=district.community_admin,
        today=TODAY,
        id_number=id_number(date(1975, 4, 8), 7),
        **fields,
    )
    sheet = row(
        1,
        姓名="曾志伟",
        出生日期=date(1975, 4, 8),
        公民身份号码=id_number(date(1975, 4, 8), 8),
        手机号码="0591-87654321",
        职业类别="worker",
        申请入党日期=date(2000, 1, 1),
        入党日期=date(2001, 3, 5),
        转正日期=date(2002, 3, 5),
        党费类别="retired",
        党费基数="3000",
    )
    assert run(district.community_admin, xlsx([sheet])).ok
    by_sheet = Member.objects.exclude(pk=by_form.pk).get(name="曾志伟")
    for name in ("search_key", "phone_tail", "status", "ethnicity", "dues_category", "dues_base"):
        assert getattr(by_sheet, name) == getattr(by_form, name), name
    assert by_sheet.id_tail == by_sheet.id_number[-4:] and by_form.id_tail == by_form.id_number[-4:]
    h1, h2 = by_form.history.get(), by_sheet.history.get()
    assert (h1.kind, h1.to_value, h1.note) == (h2.kind, h2.to_value, h2.note)
    b1, b2 = by_form.dues_bases.get(), by_sheet.dues_bases.get()
    assert (b1.from_month, b1.category, b1.base) == (b2.from_month, b2.category, b2.base)


def test_codes_labels_text_dates_and_blank_rows_are_accepted(district):
    rows = [
        row(1, 性别="female", 人员类别="full", 学历="bachelor", 出生日期=date(1980, 2, 29)),
        row(2, 入党日期="2010-07-01", 申请入党日期="2008/05/04", 转正日期="2011-7-1"),
        {},  # a blank row between: skipped
        row(
            3,
            人员类别="预备党员",
            转正日期=None,
            入党日期=date(2026, 1, 10),
            党费类别="学生",
            党费基数=None,
            民族=None,
        ),
    ]
    rows[0]["公民身份号码"] = id_number(date(1980, 2, 29), 9, female=True).lower()
    result = run(district.community_admin, xlsx(rows))
    assert result.ok, result.errors
    assert result.created == 3
    women = Member.objects.get(gender="female")
    assert women.id_number.endswith(women.id_number[-1].upper())
    probationary = Member.objects.get(category="probationary")
    assert probationary.full_on is None and probationary.dues_category == "student"
    assert probationary.dues_base == Decimal("0.00") and probationary.ethnicity == "汉族"


@pytest.mark.parametrize(
    ("overrides", "column", "snippet"),
    [
        ({"姓名": None}, "姓名", "required"),
        ({"性别": "未知"}, "性别", "unknown value"),
        ({"出生日期": "1980-02-30"}, "出生日期", "not a real date"),
        ({"入党日期": "去年"}, "入党日期", "YYYY-MM-DD"),
        ({"高知识群体": "也许"}, "高知识群体", "是"),
        ({"党费基数": "-1"}, "党费基数", "negative"),
        ({"党费基数": None}, "党费基数", "required for this dues category"),
        ({"手机号码": "12ab"}, "手机号码", "digits"),
        ({"转正日期": None}, "转正日期", "full member needs"),
        ({"转正日期": date(2011, 6, 30)}, "转正日期", "one year"),
        (
            {"入党日期": date(2026, 6, 16), "转正日期": None, "人员类别": "预备党员"},
            "入党日期",
            "future",
        ),
        ({"姓名": "名" * 51}, "姓名", "at most 50"),
    ],
)
def test_each_cell_rule_names_its_column(district, overrides, column, snippet):
    from django.utils import translation

    with translation.override("en"):
        result = run(district.community_admin, xlsx([row(1), row(2, **overrides)]))
    assert [(e.row, e.column) for e in result.errors] == [(3, column)], result.errors
    assert snippet in result.errors[0].message
    assert Member.objects.count() == 0


def test_a_boundary_day_of_the_probation(district):
    """Full membership exactly one year after admission is allowed; a day before is not."""
    ok = row(1, 入党日期=date(2010, 7, 1), 转正日期=date(2011, 7, 1))
    early = row(2, 入党日期=date(2010, 7, 1), 转正日期=date(2011, 6, 30))
    result = run(district.community_admin, xlsx([ok, early]))
    assert [(e.row, e.column) for e in result.errors] == [(3, "转正日期")]


def test_a_branch_secretary_imports_only_into_their_branch(district):
    from tongxin.orgs import services as org_services

    other = org_services.create_org(
        actor=district.admin,
        parent=district.comm_a1,
        code="B-A1-2",
        name="三坊七巷社区第二党支部",
        type="branch",
    )
    result = run(district.secretary, xlsx([row(1), row(2, 所在支部编码=other.code)]))
    assert [(e.row, e.column) for e in result.errors] == [(3, "所在支部编码")]
    assert run(district.secretary, xlsx([row(1)])).ok


def test_an_org_that_holds_no_members_is_refused(district):
    result = run(district.community_admin, xlsx([row(1, 所在支部编码="C-A1")]))
    assert [(e.row, e.column) for e in result.errors] == [(2, "所在支部编码")]


@pytest.mark.parametrize(
    ("data", "snippet"),
    [
        (b"", "empty"),
        (b"not a zip at all", "not a valid Excel"),
        (xlsx([row(1)], headers=["姓名", "性别"]), "lacks required columns"),
        (xlsx([]), "no data rows"),
        (xlsx([row(1)], headers=[*HEADERS, "姓名"]), "more than once"),
    ],
)
def test_unreadable_files_are_refused(district, data, snippet):
    from django.utils import translation

    with translation.override("en"), pytest.raises(imports.ImportRefused) as caught:
        run(district.community_admin, data)
    assert snippet in caught.value.message


def test_size_and_row_limits(district, settings):
    settings.TONGXIN = {**settings.TONGXIN, "MEMBER_IMPORT_MAX_ROWS": 2}
    with pytest.raises(imports.ImportRefused):
        run(district.community_admin, xlsx([row(1), row(2), row(3)]))
    settings.TONGXIN = {**settings.TONGXIN, "MEMBER_IMPORT_MAX_BYTES": 100}
    with pytest.raises(imports.ImportRefused):
        run(district.community_admin, xlsx([row(1)]))
    assert Member.objects.count() == 0


def test_queries_are_per_chunk_not_per_row(district, django_assert_max_num_queries):
    data = xlsx([row(n) for n in range(300)])
    actor = district.community_admin
    with django_assert_max_num_queries(60):
        result = run(actor, data)
    assert result.created == 300


def test_the_template_round_trips(client, district):
    client.force_login(district.community_admin)
    response = client.get(reverse("members:import_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == HEADERS
    assert excel.NOTES_SHEET in wb.sheetnames
    notes = [r[0] for r in wb[excel.NOTES_SHEET].iter_rows(values_only=True)]
    assert all(h in notes for h in HEADERS)
    lists = {str(dv.sqref).split(":")[0] for dv in ws.data_validations.dataValidation}
    assert "B2" in lists and "P2" in lists  # 性别, 人员类别
    # the example row is valid as it stands (B-A1 exists here); add a second member
    second = row(5)
    for index, header in enumerate(HEADERS, start=1):
        ws.cell(row=3, column=index, value=second[header])
    out = io.BytesIO()
    wb.save(out)
    upload = SimpleUploadedFile("filled.xlsx", out.getvalue(), content_type=excel.XLSX_CONTENT_TYPE)
    response = client.post(reverse("members:import"), {"file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Member.objects.count() == 2
    assert Member.objects.filter(id_digest=digest(excel.EXAMPLE_ID)).exists()
    page = client.get(reverse("members:import"))
    assert "filled.xlsx" in page.content.decode()  # the recent imports list
    job = BackgroundJob.objects.get()
    assert job.state == "succeeded" and job.created_by == district.community_admin


def test_the_page_shows_every_error_and_writes_nothing(client, district):
    rows, _good, _existing = bad_rows(district)
    before = counts()
    client.force_login(district.community_admin)
    upload = SimpleUploadedFile("bad.xlsx", xlsx(rows))
    response = client.post(reverse("members:import"), {"file": upload}, **EN)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="import-errors"' in body and "9 rows have problems" in body
    for number in range(3, 12):
        assert f'data-label="Row">{number}</td>' in body
    assert counts() == before


def test_the_page_refuses_a_file_that_is_not_a_workbook(client, district):
    client.force_login(district.community_admin)
    upload = SimpleUploadedFile("x.xlsx", b"hello")
    response = client.post(reverse("members:import"), {"file": upload}, **EN)
    assert response.status_code == 400
    assert 'id="import-refusal"' in response.content.decode()


def test_only_member_keepers_use_the_import(client, district):
    from tests.factories import make_user

    client.force_login(make_user("nobody"))
    assert client.get(reverse("members:import")).status_code == 403
    assert client.get(reverse("members:import_template")).status_code == 403
    client.force_login(district.secretary)
    assert client.get(reverse("members:import")).status_code == 200


def test_a_conflict_while_writing_rolls_everything_back(district):
    """Someone registers one of the file's ID numbers between validation and writing: the
    unique digest refuses it, nothing of the file stays, the person is told to retry."""
    from django.utils import translation

    rows = [row(n) for n in range(3)]
    before = counts()
    original = imports._Writer.insert

    def insert_then_conflict(self, model, values):
        ids = original(self, model, values)
        if model is Member:  # registered meanwhile: the unique digest refuses it
            make_member(district.branch_a1, id_number=rows[2]["公民身份号码"])
        return ids

    imports._Writer.insert = insert_then_conflict
    try:
        with translation.override("en"):
            result = run(district.community_admin, xlsx(rows))
    finally:
        imports._Writer.insert = original
    assert not result.ok and result.created == 0
    assert result.errors[0].row == 0 and "meanwhile" in result.errors[0].message
    assert counts() == before
