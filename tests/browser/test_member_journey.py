"""Issue 3's journey, in a real headless Chromium at 375 px: a branch secretary imports
members from the downloaded template with one bad row (sees the error, nothing written),
fixes it, imports, records a month's dues, and the member sees the payment on their own page.
"""

from datetime import date
from io import BytesIO

import openpyxl
import pytest

from tests.factories import PASSWORD, District, make_user
from tests.member_factories import id_number
from tongxin.members.excel.columns import COLUMNS
from tongxin.members.models import DuesRecord, Member

pytestmark = pytest.mark.browser

MONTH = date.today().replace(day=1)


def person(name, birth, n, **extra):
    row = {
        "name": name,
        "gender": "男",
        "birth_date": birth.isoformat(),
        "id_number": id_number(birth, n),
        "phone": f"1390591{n:04d}",
        "education": "大学本科",
        "occupation": "企业人员",
        "org": "B-A1",
        "category": "正式党员",
        "applied_on": "2008-05-04",
        "admitted_on": "2010-07-01",
        "full_on": "2011-07-01",
        "dues_category": "在职人员",
        "dues_base": "4500.00",
    }
    row.update(extra)
    return row


def fill_template(template: bytes, rows: list[dict]) -> bytes:
    wb = openpyxl.load_workbook(BytesIO(template))
    ws = wb.worksheets[0]
    ws.delete_rows(2, ws.max_row)  # the example row goes
    for r, row in enumerate(rows, start=2):
        for c, col in enumerate(COLUMNS, start=1):
            ws.cell(row=r, column=c, value=row.get(col.field))
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def world(transactional_db):
    return District()


def sign_in(page, url, username):
    page.goto(url + "/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(url + "/")


def test_secretary_imports_members_records_dues_and_member_sees_it(
    live_server, page, screenshot, world, tmp_path
):
    sign_in(page, live_server.url, "secretary_a1")

    # download the template from the import page
    page.goto(live_server.url + "/members/import/")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载模板").click()
    template = download.value.path().read_bytes()

    good = [
        person("陈嘉庚", date(1984, 3, 12), 11),
        person("林觉民", date(1990, 7, 1), 12, applied_on="2009-05-04"),
    ]
    bad_id = id_number(date(1988, 5, 20), 13)
    bad_id = bad_id[:17] + ("0" if bad_id[17] != "0" else "1")  # wrong check digit
    bad = person("黄乃裳", date(1988, 5, 20), 13, id_number=bad_id)

    first = tmp_path / "党员导入.xlsx"
    first.write_bytes(fill_template(template, [*good, bad]))
    page.get_by_label("Excel 文件").set_input_files(str(first))
    page.get_by_role("button", name="导入", exact=True).click()
    errors = page.locator("#import-errors")
    errors.wait_for()
    text = errors.inner_text()
    assert "1 行有问题" in text and "公民身份号码" in text and "校验码错误" in text, text
    assert errors.locator("tbody tr").count() == 1
    assert errors.locator("tbody td").first.inner_text() == "4"  # row 4 of the sheet
    assert Member.objects.count() == 0  # nothing written
    screenshot("member-import-error-375px")

    # fix the row and import again
    fixed = dict(bad, id_number=id_number(date(1988, 5, 20), 13))
    second = tmp_path / "党员导入-修正.xlsx"
    second.write_bytes(fill_template(template, [*good, fixed]))
    page.get_by_label("Excel 文件").set_input_files(str(second))
    page.get_by_role("button", name="导入", exact=True).click()
    page.locator("#import-errors").wait_for(state="detached")
    assert Member.objects.filter(org=world.branch_a1).count() == 3

    # the month's ledger, then a payment for 陈嘉庚 (base 4500 → 1%: 45.00)
    month = f"{MONTH:%Y-%m}"
    page.goto(f"{live_server.url}/dues/?org={world.branch_a1.pk}&month={month}")
    page.get_by_role("button", name=f"生成 {month} 台账").click()
    row = page.locator("#ledger tr", has_text="陈嘉庚")
    row.wait_for()
    assert "45.00" in row.inner_text()
    row.get_by_role("link", name="登记交纳").click()
    form = page.locator("#pay-panel form")
    form.wait_for()
    form.get_by_label("实交金额（元）").fill("45.00")
    form.get_by_label("交纳日期").fill(date.today().isoformat())
    form.get_by_role("button", name="登记交纳").click()
    page.locator("#ledger tr", has_text="陈嘉庚").get_by_text(date.today().isoformat()).wait_for()
    record = DuesRecord.objects.get(member__name="陈嘉庚", month=MONTH)
    assert record.amount_paid == record.amount_due
    screenshot("dues-ledger-375px")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width

    # the member signs in and sees the payment on their own page
    member = Member.objects.get(name="陈嘉庚")
    member.user = make_user("chenjiageng", role="party_member", org=world.branch_a1)
    member.save(update_fields=["user"])
    page.context.clear_cookies()
    sign_in(page, live_server.url, "chenjiageng")
    page.goto(live_server.url + "/me/")
    dues = page.locator("table", has_text=month)
    line = dues.locator("tr", has_text=month)
    assert "45.00" in line.inner_text()
    assert date.today().isoformat() in line.inner_text()
    assert "林觉民" not in page.content()  # only their own record
    screenshot("member-own-page-375px")
