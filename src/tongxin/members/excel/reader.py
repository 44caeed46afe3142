"""Streaming read of an uploaded member sheet.

The first worksheet is streamed straight from the zip in chunks and scanned with regular
expressions, so a 100,000-row sheet is read in seconds and never held whole in memory; the
workbook's shared strings, date styles and epoch come from openpyxl's reader. Every refusal
of the file as a whole is an `ImportRefused`.
"""

import html
import io
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.datetime import from_excel

from tongxin.members.excel.columns import (
    BY_HEADER,
    COLUMNS,
    MAX_HEADER_COLUMNS,
    MAX_UNPACKED_RATIO,
    ImportRefused,
)

log = logging.getLogger(__name__)


def file_size(fileobj: IO[bytes]) -> int:
    size = getattr(fileobj, "size", None)
    if size is None:
        fileobj.seek(0, 2)
        size = fileobj.tell()
    fileobj.seek(0)
    return size


def _column_index(ref: str) -> int:
    """0-based column of a cell reference such as "AB12"."""
    index = 0
    for ch in ref:
        o = ord(ch)
        if 65 <= o <= 90:
            index = index * 26 + o - 64
        else:
            break
    return index - 1


# The worksheet XML (ECMA-376 §18.3) is scanned with regular expressions rather than an XML
# parser: a callback per element costs ~60 Python calls a row, the scan a few. Producers
# (Excel, WPS, LibreOffice, openpyxl) write one space before each attribute; namespace
# prefixes (<x:c>) are allowed.
_PREFIX_RE = re.compile(r"<(\w+:)?sheetData\b")
_V_RE = re.compile(r"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_T_RE = re.compile(r"<(?:\w+:)?t(?:\s[^>]*)?>([^<]*)</(?:\w+:)?t>")
_PHONETIC_RE = re.compile(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_LETTERS: dict[str, int] = {}
_PATTERNS: dict[str, tuple] = {}


def _patterns(prefix: str) -> tuple:
    """(row, cell) expressions for the sheet's namespace prefix ("" or e.g. "x:").

    The cell expression reads r, s and t in the order every producer writes them (anything
    else lands in group 4 and is looked at again), and the two common bodies — <v>…</v>
    and <is><t>…</t></is> — directly; any other body comes whole in group 7."""
    found = _PATTERNS.get(prefix)
    if found is None:
        p = re.escape(prefix)
        row = re.compile(rf"<{p}row\b([^>]*?)(?:/>|>(.*?)</{p}row>)", re.S)
        cell = re.compile(
            rf'<{p}c(?: r="([A-Z]{{1,3}})\d*")?(?: s="(\d+)")?(?: t="(\w+)")?([^>]*?)'
            rf"(?:/>|>(?:<{p}v>([^<]*)</{p}v>|<{p}is><{p}t>([^<]*)</{p}t></{p}is>|(.*?))</{p}c>)",
            re.S,
        )
        found = _PATTERNS[prefix] = (row, cell)
    return found


def _attr(attrs: str, name: str) -> str | None:
    """The value of attribute `name` (given as ' r="') in an element's attribute text."""
    i = attrs.find(name)
    if i < 0:
        return None
    i += len(name)
    return attrs[i : attrs.index('"', i)]


def _letters_index(letters: str) -> int:
    index = _LETTERS.get(letters)
    if index is None:
        index = _LETTERS[letters] = _column_index(letters)
    return index


class _RowReader:
    """Rows of one worksheet part, as (row number, [values of columns 0..width-1])."""

    def __init__(self, shared_strings, date_styles, epoch, width: int):
        self.shared = shared_strings
        self.date_styles = {str(s) for s in date_styles}
        self.epoch = epoch
        self.width = width
        self.number = 0
        self.row_re = self.cell_re = None
        self.dates: dict = {}  # serial number -> datetime (dates repeat)

    def feed(self, text: str) -> tuple[list[tuple[int, list]], str]:
        """The complete rows in `text` and the unparsed rest (an incomplete row)."""
        if self.row_re is None:
            found = _PREFIX_RE.search(text)
            if found is None:
                return [], text[-200:]  # still before <sheetData>
            self.row_re, self.cell_re = _patterns(found.group(1) or "")
        rows = []
        end = 0
        for match in self.row_re.finditer(text):
            end = match.end()
            number = _attr(match.group(1), ' r="')
            self.number = int(number) if number else self.number + 1
            rows.append((self.number, self.cells(match.group(2) or "")))
        return rows, text[end:]

    def cells(self, body: str) -> list:
        width = self.width
        values = [None] * width
        col = -1
        for letters, style, kind, rest, v, t, inner in self.cell_re.findall(body):
            if rest and "=" in rest:  # attributes in another order, or others
                letters = letters or (_attr(rest, ' r="') or "").rstrip("0123456789")
                style = style or _attr(rest, ' s="') or ""
                kind = kind or _attr(rest, ' t="') or ""
            col = _letters_index(letters) if letters else col + 1
            if col >= width or col < 0:
                continue
            if v:
                raw = v
            elif t:
                raw = t
            elif inner:
                if kind == "inlineStr":
                    if "rPh" in inner:
                        inner = _PHONETIC_RE.sub("", inner)
                    raw = "".join(_T_RE.findall(inner))
                else:
                    found = _V_RE.search(inner)
                    if found is None:
                        continue
                    raw = found.group(1)
            else:
                continue
            if "&" in raw:
                raw = html.unescape(raw)
            values[col] = self.value(raw, kind, style)
        return values

    def value(self, raw: str, kind: str, style: str):
        if kind == "s":
            return self.shared[int(raw)]
        if kind == "inlineStr" or kind == "str":
            return raw
        if kind == "b":
            return raw == "1"
        if kind == "e":
            return None
        if kind == "d":
            try:
                return datetime.fromisoformat(raw)
            except ValueError:
                return raw
        try:
            number = int(raw) if raw.isdigit() else float(raw)
        except ValueError:
            return raw
        if style and style in self.date_styles:
            found = self.dates.get(number)
            if found is None:
                try:
                    found = self.dates[number] = from_excel(number, self.epoch)
                except (ValueError, OverflowError, TypeError):
                    return number
            return found
        return number


@dataclass
class Sheet:
    """An opened upload: the column of each field and a stream of its data rows."""

    columns: dict[str, int]  # field -> 0-based column index
    rows_hint: int  # data rows according to the sheet's <dimension>, or 0 when unknown
    _archive: zipfile.ZipFile
    _sheet_path: str
    _shared: list
    _date_styles: set
    _epoch: Any
    _width: int

    def _stream(self, width: int, chunk: int = 1 << 20) -> Iterator[tuple[int, list]]:
        reader = _RowReader(self._shared, self._date_styles, self._epoch, width)
        with self._archive.open(self._sheet_path) as raw:
            stream = io.TextIOWrapper(raw, encoding="utf-8")
            rest = ""
            while True:
                data = stream.read(chunk)
                rows, rest = reader.feed(rest + data)
                yield from rows
                if not data:
                    break

    def rows(self) -> Iterator[tuple[int, list]]:
        """(Excel row number, [values in the file's column order]) of rows 2 and below."""
        for number, values in self._stream(self._width):
            if number >= 2:
                yield number, values

    def close(self) -> None:
        self._archive.close()


_DIMENSION_RE = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]+\d+:[A-Z]+(\d+)\"")


def open_sheet(fileobj: IO[bytes], *, max_bytes: int) -> Sheet:
    """Check the upload and read its header row; raises ImportRefused."""
    size = file_size(fileobj)
    if size == 0:
        raise ImportRefused(_("The file is empty."))
    if size > max_bytes:
        raise ImportRefused(
            _("The file is larger than the limit of %(mb).1f MB.") % {"mb": max_bytes / 2**20}
        )
    try:
        archive = zipfile.ZipFile(fileobj)
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ImportRefused(_("The file is not a valid Excel workbook (.xlsx).")) from None
    if unpacked > max_bytes * MAX_UNPACKED_RATIO:
        raise ImportRefused(_("The workbook is too large when unpacked."))
    try:
        return _open(fileobj, archive)
    except ImportRefused:
        raise
    except Exception:  # openpyxl and the scan raise many types on a damaged workbook
        log.info("unreadable workbook", exc_info=True)
        raise ImportRefused(_("The file is not a valid Excel workbook (.xlsx).")) from None


def _workbook_parts(fileobj) -> tuple[str | None, list, set, Any]:
    """(path of the first worksheet, shared strings, date style ids, epoch) through
    openpyxl's reader, without its worksheet object (which scans the whole sheet for its
    size when the file has no <dimension>)."""
    fileobj.seek(0)
    reader = ExcelReader(fileobj, read_only=True, data_only=True)
    reader.read_manifest()
    reader.read_strings()
    reader.read_workbook()
    apply_stylesheet(reader.archive, reader.wb)
    path = None
    for _sheet, rel in reader.parser.find_sheets():
        if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
            path = rel.target
            break
    return path, list(reader.shared_strings), set(reader.wb._date_formats), reader.wb.epoch


def _open(fileobj, archive: zipfile.ZipFile) -> Sheet:
    sheet_path, shared, date_styles, epoch = _workbook_parts(fileobj)
    if sheet_path is None:
        raise ImportRefused(_("The workbook has no worksheet."))
    sheet_path = sheet_path.lstrip("/")
    with archive.open(sheet_path) as stream:
        head = stream.read(4096)
    match = _DIMENSION_RE.search(head)
    rows_hint = max(0, int(match.group(1)) - 1) if match else 0
    probe = Sheet({}, 0, archive, sheet_path, shared, date_styles, epoch, MAX_HEADER_COLUMNS)
    header: list = []
    for number, values in probe._stream(MAX_HEADER_COLUMNS, chunk=1 << 16):
        if number == 1:
            header = values
        break
    columns: dict[str, int] = {}
    seen: set[str] = set()
    for index, value in enumerate(header):
        name = "" if value is None else str(value).strip()
        if not name:
            continue
        if name in seen:
            raise ImportRefused(
                _("The column %(column)s appears more than once.") % {"column": name}
            )
        seen.add(name)
        if name in BY_HEADER:
            columns[BY_HEADER[name].field] = index
    missing = [c.header for c in COLUMNS if c.required and c.field not in columns]
    if missing:
        raise ImportRefused(
            _("The first row lacks required columns: %(columns)s.")
            % {"columns": "、".join(missing)}
        )
    width = max(columns.values()) + 1
    return Sheet(columns, rows_hint, archive, sheet_path, shared, date_styles, epoch, width)


def count_rows(sheet: Sheet) -> int:
    """Data rows of the sheet: the <dimension> when present, else a quick count of <row>."""
    if sheet.rows_hint:
        return sheet.rows_hint
    count = 0
    pattern = re.compile(rb"<(?:\w+:)?row[\s>]")
    with sheet._archive.open(sheet._sheet_path) as stream:
        tail = b""
        while data := stream.read(1 << 20):
            block = tail + data
            count += len(pattern.findall(block))
            tail = block[-8:]
            count -= len(pattern.findall(tail))  # counted again with the next block
    return max(0, count - 1)
