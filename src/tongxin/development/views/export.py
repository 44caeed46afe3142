"""The admissions-by-group report as an Excel workbook (openpyxl write-only). Audited.

The workbook is the district's statistical table: in Chinese whatever the page's language,
like the other Excel outputs (members.excel_dues, orgs.excel) — the row labels too."""

from __future__ import annotations

from typing import IO

from django.utils import translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from tongxin.core import audit

TITLE = "发展党员情况统计表"


def export_filename(report: dict) -> str:
    return f"{TITLE}-{report['org'].name}-{report['since']:%Y%m%d}-{report['until']:%Y%m%d}.xlsx"


def export_admissions(actor, report: dict, out: IO[bytes]) -> None:
    """Write `report` (selectors.admissions_by_group) as one sheet of sections."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("发展党员")
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 12

    def bold(value, size=11):
        cell = WriteOnlyCell(ws, value=value)
        cell.font = Font(bold=True, size=size)
        return cell

    ws.append([bold(TITLE, 14)])
    ws.append([f"党组织：{report['org'].name}"])
    ws.append([f"期间：{report['since']:%Y-%m-%d} 至 {report['until']:%Y-%m-%d}"])
    ws.append([])
    ws.append([bold("发展党员总数"), report["total"]])
    ws.append(["其中35岁及以下", report["youth"]])
    sections = (
        ("重点群体", "groups"),
        ("性别", "gender"),
        ("学历", "education"),
        ("入党时年龄", "age"),
    )
    for title, key in sections:
        ws.append([])
        ws.append([bold(title), bold("人数")])
        with translation.override("zh-hans"):
            for _key, label, count in report[key]:
                ws.append([str(label), count])
    wb.save(out)
    audit.record(
        actor=actor,
        action="export",
        obj=report["org"],
        object_type="development.applicant",
        object_repr=f"{report['org'].name} {report['since']}–{report['until']}"[:200],
        changes={
            "period": [None, f"{report['since']:%Y-%m-%d}/{report['until']:%Y-%m-%d}"],
            "total": [None, report["total"]],
        },
    )
