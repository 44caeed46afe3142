"""The streaming sheet reader of the member import: the XML forms other producers write
(shared strings, namespace prefixes, attributes in another order, formulas, rich text,
entities, dates by style) read the same as openpyxl reads them."""

import io
import zipfile
from datetime import date, datetime

from openpyxl import Workbook, load_workbook

from tongxin.members import excel

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def with_sheet_xml(sheet_xml: str, shared: list[str] | None = None) -> bytes:
    """An openpyxl workbook (one date style: id 1) whose first sheet is replaced."""
    wb = Workbook()
    ws = wb.active
    ws["A1"] = "x"
    ws["A2"] = date(2020, 1, 1)  # registers the date style (s="1")
    buffer = io.BytesIO()
    wb.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml.encode()
            if shared is not None and item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                    b"</Types>",
                )
            if shared is not None and item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/sharedStrings" '
                    b'Target="sharedStrings.xml"/></Relationships>',
                )
            target.writestr(item, data)
        if shared is not None:
            items = "".join(f"<si><t>{s}</t></si>" for s in shared)
            target.writestr(
                "xl/sharedStrings.xml",
                f'<sst xmlns="{NS}" count="{len(shared)}" uniqueCount="{len(shared)}">'
                f"{items}</sst>",
            )
    return out.getvalue()


def read(data: bytes):
    sheet = excel.open_sheet(io.BytesIO(data), max_bytes=10**7)
    try:
        return sheet.columns, list(sheet._stream(8))
    finally:
        sheet.close()


def header_cells(prefix=""):
    names = ["姓名", "性别", "出生日期", "公民身份号码", "学历", "职业类别", "所在支部编码"]
    names += ["人员类别", "入党日期"]
    cells = "".join(
        f'<{prefix}c r="{chr(65 + i)}1" t="inlineStr"><{prefix}is><{prefix}t>{n}</{prefix}t>'
        f"</{prefix}is></{prefix}c>"
        for i, n in enumerate(names)
    )
    return f'<{prefix}row r="1">{cells}</{prefix}row>'


def test_prefixes_shared_strings_order_formulas_and_entities():
    p = "x:"
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="{NS}">'
        '<x:dimension ref="A1:I3"/><x:sheetData>' + header_cells(p) + '<x:row r="2" spans="1:9">'
        '<x:c r="A2" t="s"><x:v>0</x:v></x:c>'  # shared string
        '<x:c t="s" r="B2"><x:v>1</x:v></x:c>'  # t before r
        '<x:c s="1" r="C2"><x:v>31048</x:v></x:c>'  # a date by style, s before r
        '<x:c r="D2" t="str"><x:f>A1&amp;"X"</x:f><x:v>R&amp;D&lt;1&gt;</x:v></x:c>'
        '<x:c r="E2" t="inlineStr"><x:is><x:r><x:t>大学</x:t></x:r><x:r><x:t xml:space="preserve">'
        "本科</x:t></x:r></x:is></x:c>"
        '<x:c r="F2" t="b"><x:v>1</x:v></x:c>'
        '<x:c r="G2" s="0"/>'  # styled, empty
        '<x:c r="H2"><x:v>12.5</x:v></x:c>'
        '<x:c r="I2" t="e"><x:v>#N/A</x:v></x:c>'
        "</x:row>"
        '<x:row r="3"/>'
        "</x:sheetData></x:worksheet>"
    )
    columns, rows = read(with_sheet_xml(xml, shared=["林则徐", "男"]))
    assert columns["name"] == 0 and columns["admitted_on"] == 8
    assert [n for n, _v in rows] == [1, 2, 3]
    values = rows[1][1]
    assert values[0] == "林则徐" and values[1] == "男"
    assert values[2] == datetime(1985, 1, 1)
    assert values[3] == "R&D<1>"
    assert values[4] == "大学本科"
    assert values[5] is True and values[6] is None and values[7] == 12.5
    assert rows[2][1] == [None] * 8


def test_cells_without_references_and_rows_without_numbers():
    xml = (
        f'<worksheet xmlns="{NS}"><sheetData>'
        + header_cells()
        + '<row><c t="inlineStr"><is><t>甲</t></is></c><c><v>7</v></c></row>'
        + '<row><c t="inlineStr"><is><t>乙</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    _columns, rows = read(with_sheet_xml(xml))
    assert [(n, v[:2]) for n, v in rows[1:]] == [(2, ["甲", 7]), (3, ["乙", None])]


def test_the_reader_agrees_with_openpyxl_on_an_openpyxl_file():
    wb = Workbook()
    ws = wb.active
    ws.append([c.header for c in excel.COLUMNS])
    ws.append(["王 & 李", date(1990, 2, 28), 4500.5, True, "<b>粗</b>"])
    ws.append([None, datetime(2001, 7, 1, 0, 0), 3, False, "  "])
    buffer = io.BytesIO()
    wb.save(buffer)
    data = buffer.getvalue()
    expected = [v[:5] for v in load_workbook(io.BytesIO(data), read_only=True).active.values]
    sheet = excel.open_sheet(io.BytesIO(data), max_bytes=10**7)
    got = [tuple(v) for _n, v in sheet._stream(5)]
    sheet.close()
    assert got == expected
    assert got[1] == ("王 & 李", datetime(1990, 2, 28), 4500.5, True, "<b>粗</b>")


def test_a_large_sheet_is_read_in_chunks():
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("x")
    ws.append([c.header for c in excel.COLUMNS])
    for n in range(3000):
        ws.append([f"名{n}", "男", None, date(1980, 1, 1)])
    buffer = io.BytesIO()
    wb.save(buffer)
    sheet = excel.open_sheet(io.BytesIO(buffer.getvalue()), max_bytes=10**8)
    rows = list(sheet._stream(4, chunk=4096))  # many chunk boundaries inside rows
    sheet.rows_hint = 0  # count the <row> elements themselves
    assert excel.count_rows(sheet) == 3000
    sheet.close()
    assert len(rows) == 3001
    assert rows[-1] == (3001, ["名2999", "男", None, datetime(1980, 1, 1)])


def test_uploaded_workbooks_are_parsed_with_defusedxml():
    """openpyxl hardens its XML parsing (entity expansion, external entities) only when
    defusedxml is installed; it is a pinned dependency for that reason."""
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
