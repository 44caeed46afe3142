"""The downloadable template: headers, one example row, drop-down lists, a 填写说明 sheet."""

from typing import IO

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from tongxin.members.excel.columns import (
    BOOL,
    COLUMNS,
    DATE,
    GENERAL_NOTES,
    ID,
    MONEY,
    NO,
    NOTES_SHEET,
    PHONE,
    REF,
    SHEET_TITLE,
    TEMPLATE_ROWS,
    TEXT,
    YES,
    Column,
)


def _allowed_text(col: Column) -> str:
    if col.labels:
        return "；".join(f"{label}（{code}）" for code, label in col.labels.items())
    return {
        DATE: "YYYY-MM-DD",
        BOOL: "是 / 否",
        MONEY: "金额，如 4500.00",
        ID: "18位公民身份号码",
        PHONE: "电话号码",
        REF: "组织编码",
        TEXT: f"文本，最多{col.max_length}字" if col.max_length else "文本",
    }[col.kind]


def notes_rows() -> list[list[str]]:
    rows = [["列名", "必填", "可填写的值", "说明"]]
    for col in COLUMNS:
        rows.append([col.header, YES if col.required else NO, _allowed_text(col), col.note])
    rows.append([])
    rows.extend([[note] for note in GENERAL_NOTES])
    return rows


def write_template(out: IO[bytes]) -> None:
    """Headers, one example row, drop-down lists of the choice columns and a 填写说明 sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    ws.freeze_panes = "A2"
    bold, red = Font(bold=True), Font(bold=True, color="C00000")
    fill = PatternFill("solid", fgColor="F2F2F2")
    for index, col in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index, value=col.header)
        cell.font = red if col.required else bold
        cell.fill = fill
        if col.note:
            cell.comment = Comment(col.note, "同心")
        ws.column_dimensions[letter].width = col.width
        example = ws.cell(row=2, column=index, value=col.example)
        cells = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
        if col.kind in (TEXT, ID, PHONE, REF):
            for (row_cell,) in ws[cells]:
                row_cell.number_format = "@"  # keep ID numbers and codes as text
        elif col.kind == DATE:
            for (row_cell,) in ws[cells]:
                row_cell.number_format = "yyyy-mm-dd"
        elif col.kind == MONEY:
            example.number_format = "0.00"
        options = list(col.labels.values()) if col.labels else [YES, NO] if col.kind == BOOL else []
        if options:
            # a helper list only: code values such as "full" are accepted too
            dv = DataValidation(
                type="list", formula1='"' + ",".join(options) + '"', showErrorMessage=False
            )
            dv.add(cells)
            ws.add_data_validation(dv)
    notes = wb.create_sheet(NOTES_SHEET)
    for row in notes_rows():
        notes.append(row)
    for cell in notes[1]:
        cell.font = bold
    for letter, width in zip("ABCD", (16, 6, 60, 60), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    wb.save(out)
