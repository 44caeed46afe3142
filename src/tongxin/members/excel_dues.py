"""The month ledger of a branch in Excel, as the branch hands it upward (党费收缴登记表).

openpyxl write-only mode: streamed, so a large branch costs little memory. Audited.
"""

from datetime import date
from decimal import Decimal
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from tongxin.core import audit
from tongxin.members.models import DuesCategory, DuesRecord
from tongxin.members.selectors import dues as selectors
from tongxin.orgs.models import Org

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TITLE = "党费收缴登记表"
HEADERS = (
    "序号",
    "姓名",
    "党员类别",
    "交纳基数",
    "比例",
    "应交金额",
    "实交金额",
    "交纳日期",
    "交纳方式",
    "代交人",
    "备注",
)
WIDTHS = (6, 12, 14, 12, 8, 12, 12, 12, 10, 10, 24)
CATEGORY_LABELS = {
    "salaried": "在职",
    "annual_salary": "年薪制",
    "self_employed": "个体/自由职业",
    "retired": "离退休",
    "farmer": "农民",
    "student": "学生",
    "unemployed": "下岗失业",
    "relief": "低保/救济",
}
METHOD_LABELS = {"cash": "现金", "bank": "银行转账", "wechat": "微信", "alipay": "支付宝"}
MONEY_FORMAT = "0.00"
assert set(CATEGORY_LABELS) == set(DuesCategory.values)
assert set(METHOD_LABELS) == set(DuesRecord.Method.values)


def _note(record: DuesRecord) -> str:
    notes = []
    if record.reduction_id:
        notes.append("免交" if record.amount_due == 0 else "减交")
    if record.paid_by_proxy:
        notes.append("经本人同意代交")
    if record.paid_on is None:
        notes.append("未交")
    return "；".join(notes)


def _rate(record: DuesRecord) -> str:
    if not record.rate:
        return "定额"
    return f"{(record.rate * 100).normalize():f}%"


def filename(org: Org, month: date) -> str:
    return f"{TITLE}-{org.name}-{month:%Y-%m}.xlsx"


def export_ledger(actor, org: Org, month: date, out: IO[bytes]) -> int:
    """Write the branch's ledger of the month; returns the number of member rows."""
    records, _next = selectors.month_ledger(actor, org, month)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(f"{month:%Y-%m}")
    for index, width in enumerate(WIDTHS):
        ws.column_dimensions[chr(ord("A") + index)].width = width

    def styled(value, *, bold=False, money=False):
        cell = WriteOnlyCell(ws, value=value)
        if bold:
            cell.font = Font(bold=True, size=14 if value == TITLE else 11)
        if money:
            cell.number_format = MONEY_FORMAT
        return cell

    ws.append([styled(TITLE, bold=True)])
    ws.append(
        [f"党支部：{org.name}", None, None, None, None, f"月份：{month.year}年{month.month}月"]
    )
    ws.append([styled(h, bold=True) for h in HEADERS])
    due_total = paid_total = Decimal("0.00")
    for number, r in enumerate(records, start=1):
        due_total += r.amount_due
        paid_total += r.amount_paid or 0
        ws.append(
            [
                number,
                r.member.name,
                CATEGORY_LABELS.get(r.category, r.category),
                styled(r.base, money=True),
                _rate(r),
                styled(r.amount_due, money=True),
                styled(r.amount_paid, money=True) if r.amount_paid is not None else None,
                r.paid_on,
                METHOD_LABELS.get(r.method, ""),
                r.proxy_name,
                _note(r),
            ]
        )
    paid_count = sum(1 for r in records if r.paid_on is not None)
    ws.append(
        [
            styled("合计", bold=True),
            f"{len(records)}人",
            None,
            None,
            None,
            styled(due_total, money=True),
            styled(paid_total, money=True),
            None,
            None,
            None,
            f"已交{paid_count}人，未交{len(records) - paid_count}人",
        ]
    )
    ws.append([])
    ws.append(["支部书记（签字）：", None, None, "收缴人（签字）：", None, None, "报送日期："])
    wb.save(out)
    audit.record(
        actor=actor,
        action="export",
        obj=org,
        object_type="members.duesrecord",
        object_repr=f"{org.name} {month:%Y-%m}"[:200],
        changes={"month": [None, f"{month:%Y-%m}"], "rows": [None, len(records)]},
    )
    return len(records)
