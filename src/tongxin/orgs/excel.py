"""Excel import and export of organisations and units (openpyxl streaming modes).

The column layout is one table per kind (`ORG_COLUMNS`, `UNIT_COLUMNS`): the template, the
export and the importer all read it, so an export can be imported again unchanged.

Import contract (ARCHITECTURE.md principle 8): every row goes through the same services as
the forms (`services.create_org/update_org/create_unit/update_unit`), each inside its own
savepoint, all inside one transaction. Every bad row is collected with its Excel row number,
column header and reason; if there is any, the whole transaction is rolled back and nothing
is written. A file that cannot be read at all is refused with `ImportRefused`.

The Chinese headers, allowed-value labels and the 说明 sheet are data of the file format
(what people type into Excel), not interface text, so they are not translated.
"""

import logging
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import get_language, gettext_lazy, override
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from tongxin.core import audit
from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.core.scoping import can_manage_path, scope_paths
from tongxin.orgs import rules, services
from tongxin.orgs.models import (
    PATH_SEGMENT,
    Coverage,
    Org,
    OrgType,
    Sector,
    Unit,
    UnitCategory,
)

log = logging.getLogger(__name__)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOTES_SHEET = "说明"
MAX_HEADER_COLUMNS = 64
# A .xlsx is a zip; refuse archives that unpack to far more than an honest sheet would.
MAX_UNPACKED_RATIO = 20

# --- allowed values: code -> Chinese label (what the template offers and the export writes) --

ORG_TYPE_LABELS = {
    OrgType.DISTRICT: "区委",
    OrgType.STREET: "街道党工委",
    OrgType.COMMUNITY: "社区党委",
    OrgType.COMMITTEE: "基层党委",
    OrgType.GENERAL_BRANCH: "党总支",
    OrgType.BRANCH: "党支部",
    OrgType.JOINT_BRANCH: "联合党支部",
    OrgType.PARTY_GROUP: "党小组",
}
SECTOR_LABELS = {
    Sector.COMMUNITY: "社区",
    Sector.ORGAN: "机关",
    Sector.INSTITUTION: "事业单位",
    Sector.SOE: "国有企业",
    Sector.NON_PUBLIC_ENTERPRISE: "非公有制企业",
    Sector.SOCIAL_ORGANISATION: "社会组织",
    Sector.COMMERCIAL_BUILDING: "商务楼宇",
    Sector.PARK: "产业园区",
    Sector.MARKET: "商圈市场",
    Sector.OTHER: "其他",
}
CATEGORY_LABELS = {
    UnitCategory.ORGAN: "机关",
    UnitCategory.INSTITUTION: "事业单位",
    UnitCategory.SOE: "国有企业",
    UnitCategory.NON_PUBLIC_ENTERPRISE: "非公有制企业",
    UnitCategory.SOCIAL_ORGANISATION: "社会组织",
    UnitCategory.COMMERCIAL_BUILDING: "商务楼宇",
    UnitCategory.PARK: "产业园区",
    UnitCategory.MARKET: "商圈市场",
    UnitCategory.OTHER: "其他",
}
COVERAGE_LABELS = {
    Coverage.OWN_ORG: "单独组建",
    Coverage.JOINT_BRANCH: "联合组建",
    Coverage.INSTRUCTOR: "选派党建指导员",
    Coverage.NONE: "未覆盖",
}
YES, NO = "是", "否"
_TRUE = {"是", "true", "yes", "y", "1", "√"}
_FALSE = {"否", "false", "no", "n", "0", "×"}
_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")

# Cell kinds
TEXT, CODE, CHOICE, DATE, INT, BOOL, REF = "text", "code", "choice", "date", "int", "bool", "ref"


@dataclass(frozen=True)
class Column:
    header: str  # Chinese header in row 1 (data, not translated)
    field: str  # the service's keyword
    kind: str
    required: bool = False
    labels: dict[str, str] | None = None  # CHOICE: code -> Chinese label
    note: str = ""  # explanation on the 说明 sheet
    width: int = 14
    choices: Any = None  # CHOICE: the model's TextChoices (its codes and labels are accepted)


ORG_COLUMNS = (
    Column("编码", "code", CODE, True, note="组织唯一编码。已存在的编码更新该组织，否则新建。"),
    Column("名称", "name", TEXT, True, width=28),
    Column("类型", "type", CHOICE, True, ORG_TYPE_LABELS, choices=OrgType),
    Column(
        "领域",
        "sector",
        CHOICE,
        False,
        SECTOR_LABELS,
        "留空：新建时为“社区”，更新时不变。",
        choices=Sector,
    ),
    Column(
        "上级组织编码",
        "parent",
        REF,
        note="新建时必填。可以是本文件中前面某一行新建的组织。",
    ),
    Column("成立日期", "founded_on", DATE),
    Column("书记", "secretary_name", TEXT),
    Column("是否设支委会", "has_committee", BOOL, note="是 或 否；留空为否。"),
    Column("任期开始", "term_started_on", DATE),
    Column("任期结束", "term_ends_on", DATE, note="留空则按任期年限自动计算。"),
    Column("联系人", "contact_name", TEXT),
    Column("联系电话", "contact_phone", TEXT),
    Column("地址", "address", TEXT, width=30),
    Column("党员数", "member_count", INT, note="非负整数；留空为0。"),
    Column("正式党员数", "full_member_count", INT, note="非负整数，不大于党员数；留空为0。"),
)
UNIT_COLUMNS = (
    Column("单位名称", "name", TEXT, True, width=28),
    Column(
        "统一社会信用代码",
        "credit_code",
        CODE,
        note="18位，含校验位。与已有单位相同则更新该单位，否则新建；留空总是新建。",
        width=22,
    ),
    Column("类别", "category", CHOICE, True, CATEGORY_LABELS, choices=UnitCategory),
    Column("所属街道编码", "street", REF, True, note="街道党工委的组织编码。"),
    Column("所属社区编码", "community", REF, note="社区党委的组织编码，须属于上述街道。"),
    Column("地址", "address", TEXT, width=30),
    Column("职工数", "employee_count", INT, note="非负整数；留空为0。"),
    Column("党员数", "party_member_count", INT, note="非负整数；留空为0。"),
    Column(
        "覆盖方式",
        "coverage",
        CHOICE,
        False,
        COVERAGE_LABELS,
        "留空：新建时为“未覆盖”，更新时不变。",
        choices=Coverage,
    ),
    Column(
        "覆盖组织编码",
        "org",
        REF,
        note="单独组建或联合组建时必填：覆盖该单位的党组织编码。",
    ),
    Column("党建指导员", "instructor_name", TEXT, note="选派党建指导员时必填。"),
)

GENERAL_NOTES = (
    "第一行为列名，请勿修改；数据从第二行开始。不需要的可选列可以删除，删除的列在更新时保持不变。",
    "更新已有记录时，留空的单元格会清空原值（领域、覆盖方式留空则不变）。",
    "日期格式为 YYYY-MM-DD，例如 2024-03-01；也可以使用 Excel 日期单元格。",
    "可选值列既可以填写中文名称，也可以填写英文代码，例如“党支部”或“branch”。",
    "导入前检查每一行；任何一行有错误时，整个文件都不会写入，并列出每个错误的行号、列名和原因。",
    "只能新建或修改本人管理范围内的组织和单位。",
)


def _label_text(col: Column) -> str:
    if col.labels:
        return "；".join(f"{label}（{code}）" for code, label in col.labels.items())
    return {
        DATE: "YYYY-MM-DD",
        INT: "整数",
        BOOL: "是 / 否",
        REF: "组织编码",
        CODE: "文本",
        TEXT: "文本",
    }[col.kind]


# --- results and refusals ----------------------------------------------------------------------


class ImportRefused(Exception):
    """The file as a whole cannot be imported (not an .xlsx, too large, no headers...)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class RowError:
    row: int  # Excel row number; the header is row 1
    column: str  # Chinese header, "" when the problem is not tied to one column
    message: str


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class _RowInvalid(Exception):
    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(problems)
        self.problems = problems  # [(field, message)]


class _Rollback(Exception):
    pass


# --- reading -----------------------------------------------------------------------------------


@dataclass
class Sheet:
    columns: list[Column]  # the columns present in the file, in file order
    rows: list[tuple[int, dict[str, Any]]]  # (Excel row number, {field: raw cell value})


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _file_size(fileobj: IO[bytes]) -> int:
    size = getattr(fileobj, "size", None)
    if size is None:
        fileobj.seek(0, 2)
        size = fileobj.tell()
    fileobj.seek(0)
    return size


def read_sheet(fileobj: IO[bytes], columns: Iterable[Column]) -> Sheet:
    """The data rows of the first worksheet, keyed by field; raises ImportRefused."""
    limits = settings.TONGXIN
    max_bytes, max_rows = limits["IMPORT_MAX_BYTES"], limits["IMPORT_MAX_ROWS"]
    columns = tuple(columns)
    size = _file_size(fileobj)
    if size == 0:
        raise ImportRefused(_("The file is empty."))
    if size > max_bytes:
        raise ImportRefused(
            _("The file is larger than the limit of %(mb).1f MB.") % {"mb": max_bytes / 2**20}
        )
    try:
        with zipfile.ZipFile(fileobj) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ImportRefused(_("The file is not a valid Excel workbook (.xlsx).")) from None
    if unpacked > max_bytes * MAX_UNPACKED_RATIO:
        raise ImportRefused(_("The workbook is too large when unpacked."))
    fileobj.seek(0)
    try:
        return _read_rows(fileobj, columns, max_rows)
    except ImportRefused:
        raise
    except Exception:  # openpyxl raises many types on a damaged workbook; none is a 500
        log.info("unreadable workbook", exc_info=True)
        raise ImportRefused(_("The file is not a valid Excel workbook (.xlsx).")) from None


def _read_rows(fileobj, columns: tuple[Column, ...], max_rows: int) -> Sheet:
    workbook = load_workbook(fileobj, read_only=True, data_only=True)
    try:
        if not workbook.worksheets:
            raise ImportRefused(_("The workbook has no worksheet."))
        ws = workbook.worksheets[0]
        header = next(ws.iter_rows(max_row=1, max_col=MAX_HEADER_COLUMNS, values_only=True), ())
        by_header = {c.header: c for c in columns}
        present: dict[int, Column] = {}
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
            if name in by_header:
                present[index] = by_header[name]
        missing = [c.header for c in columns if c.required and c not in present.values()]
        if missing:
            raise ImportRefused(
                _("The first row lacks required columns: %(columns)s.")
                % {"columns": "、".join(missing)}
            )
        width = max(present) + 1
        rows: list[tuple[int, dict[str, Any]]] = []
        for number, values in enumerate(
            ws.iter_rows(min_row=2, max_col=width, values_only=True), start=2
        ):
            if all(_blank(v) for v in values):
                continue
            if len(rows) >= max_rows:
                raise ImportRefused(
                    _("The file has more than %(max)d data rows.") % {"max": max_rows}
                )
            cells = {
                col.field: values[i] if i < len(values) else None for i, col in present.items()
            }
            rows.append((number, cells))
    finally:
        workbook.close()
    if not rows:
        raise ImportRefused(_("The file has no data rows."))
    return Sheet(columns=[present[i] for i in sorted(present)], rows=rows)


# --- cell parsing ------------------------------------------------------------------------------

_SKIP = object()  # a blank choice cell: the service default (create) or unchanged (update)


def _text(value) -> str:
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    return str(value).strip()


_accepted_cache: dict[tuple[str, str | None], dict[str, str]] = {}


def _accepted(col: Column) -> dict[str, str]:
    """Every accepted spelling of a choice -> its code: the code, the Chinese label of this
    file format, and the model's label in English and in the active language."""
    key = (col.field + col.header, get_language())
    accepted = _accepted_cache.get(key)
    if accepted is None:
        accepted = {}
        for code, label in col.choices.choices:
            accepted[code.lower()] = code
            accepted[str(label).lower()] = code
            with override("en"):
                accepted[str(label).lower()] = code
        for code, label in (col.labels or {}).items():
            accepted[label.lower()] = code
        _accepted_cache[key] = accepted
    return accepted


def parse_cell(col: Column, value):
    """(python value, None) or (None, reason). Blank cells give the column's empty value."""
    if _blank(value):
        if col.required:
            return None, _("this cell is required")
        return {
            TEXT: "",
            CODE: "",
            CHOICE: _SKIP,
            DATE: None,
            INT: 0,
            BOOL: False,
            REF: "",
        }[col.kind], None
    if col.kind in (TEXT, CODE, REF):
        return _text(value), None
    if col.kind == CHOICE:
        code = _accepted(col).get(_text(value).lower())
        if code is None:
            return None, _("unknown value “%(value)s”; allowed: %(allowed)s") % {
                "value": _text(value)[:50],
                "allowed": "、".join((col.labels or {}).values()),
            }
        return code, None
    if col.kind == DATE:
        if isinstance(value, datetime):
            return value.date(), None
        if isinstance(value, date):
            return value, None
        match = _DATE_RE.match(_text(value))
        if match:
            try:
                return date(*(int(part) for part in match.groups())), None
            except ValueError:
                return None, _("not a real date")
        return None, _("not a date; use the format YYYY-MM-DD")
    if col.kind == INT:
        if isinstance(value, bool):
            return None, _("not a whole number")
        if isinstance(value, int):
            return value, None
        if isinstance(value, float) and value.is_integer():
            return int(value), None
        text = _text(value)
        if re.fullmatch(r"-?\d{1,12}", text):
            return int(text), None
        return None, _("not a whole number")
    if col.kind == BOOL:
        if isinstance(value, bool):
            return value, None
        text = _text(value).lower()
        if text in _TRUE:
            return True, None
        if text in _FALSE:
            return False, None
        return None, _("enter 是 or 否")
    raise AssertionError(col.kind)


def parse_row(columns: Iterable[Column], cells: dict[str, Any]):
    """({field: value} for present, non-skipped cells, [(field, reason)])."""
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for col in columns:
        if col.field not in cells:
            continue
        value, problem = parse_cell(col, cells[col.field])
        if problem:
            problems.append((col.field, problem))
        elif value is not _SKIP:
            values[col.field] = value
    return values, problems


# --- writing rows through the services ---------------------------------------------------------


def _headers(columns: Iterable[Column]) -> dict[str, str]:
    return {c.field: c.header for c in columns}


def _service_problems(exc: ValidationError) -> list[tuple[str, str]]:
    if hasattr(exc, "error_dict"):
        return [(name, str(msg)) for name, msgs in exc.message_dict.items() for msg in msgs]
    return [("", str(msg)) for msg in exc.messages]


@dataclass
class _Importer:
    actor: Any
    columns: tuple[Column, ...]
    write_row: Callable[["_Importer", dict[str, Any]], str]
    key_field: str  # the column that identifies an existing row: org code or credit code
    object_type: str
    seen: dict[str, int] = field(default_factory=dict)  # key -> first row number
    failed: dict[str, int] = field(default_factory=dict)  # key -> row number that failed
    cache: dict[tuple[str, str], Any] = field(default_factory=dict)

    def run(self, sheet: Sheet, filename: str) -> ImportResult:
        result = ImportResult(rows=len(sheet.rows))
        headers = _headers(self.columns)
        try:
            with transaction.atomic():
                for number, cells in sheet.rows:
                    key = self.key(cells)
                    try:
                        with transaction.atomic():
                            outcome = self._one(number, key, cells)
                    except (_RowInvalid, ValidationError, IntegrityError) as exc:
                        if isinstance(exc, _RowInvalid):
                            problems = exc.problems
                        elif isinstance(exc, ValidationError):
                            problems = _service_problems(exc)
                        else:
                            problems = [("", _("the row conflicts with existing data"))]
                        for name, message in problems:
                            result.errors.append(RowError(number, headers.get(name, ""), message))
                        if key:
                            self.failed.setdefault(key, number)
                    else:
                        setattr(result, outcome, getattr(result, outcome) + 1)
                if result.errors:
                    raise _Rollback
                audit.record(
                    actor=self.actor,
                    action="import",
                    object_type=self.object_type,
                    object_repr=filename[:200],
                    changes={
                        "rows": [None, result.rows],
                        "created": [None, result.created],
                        "updated": [None, result.updated],
                    },
                )
        except _Rollback:
            result.created = result.updated = 0
        return result

    def key(self, cells: dict[str, Any]) -> str:
        value = cells.get(self.key_field)
        if _blank(value):
            return ""
        text = _text(value)
        return text if self.key_field == "code" else text.upper()

    def _one(self, number: int, key: str, cells: dict[str, Any]) -> str:
        if key:
            first = self.seen.setdefault(key, number)
            if first != number:
                raise _RowInvalid(
                    [
                        (
                            self.key_field,
                            _("the same value is already in row %(row)d") % {"row": first},
                        )
                    ]
                )
        return self.write_row(self, cells)

    def lookup(self, code: str, queryset, field_name: str, problems: list) -> Org | None:
        """An org by code inside `queryset`, or a problem naming the failed row it came from."""
        if not code:
            return None
        cache_key = (field_name, code)
        if cache_key in self.cache:
            found = self.cache[cache_key]
        else:
            found = queryset.filter(code=code).first()
            if self.key_field != "code":  # orgs do not change during a unit import
                self.cache[cache_key] = found
        if found is None:
            # In an org import, a parent may be the org of an earlier row that failed.
            failed_row = self.failed.get(code) if self.key_field == "code" else None
            if failed_row is not None:
                problems.append(
                    (
                        field_name,
                        _("the organisation %(code)s in row %(row)d could not be imported")
                        % {"code": code, "row": failed_row},
                    )
                )
            else:
                problems.append(
                    (
                        field_name,
                        _("no organisation with code %(code)s in your scope") % {"code": code},
                    )
                )
        return found


def _current(existing, name: str, code: str | None):
    """The org an existing row already points to under `name`, when the file repeats its
    code: kept as is even if it lies outside what the user sees (an export re-imported by a
    community admin names the street above the community)."""
    current = getattr(existing, name, None) if existing is not None else None
    return current if current is not None and code and current.code == code else None


def _write_org(importer: _Importer, cells: dict[str, Any]) -> str:
    actor = importer.actor
    values, problems = parse_row(importer.columns, cells)
    code = values.get("code", "")
    existing = Org.objects.select_related("parent").filter(code=code).first() if code else None
    if existing is not None and not can_manage_path(actor, existing.path):
        problems.append(
            ("code", _("an organisation with this code exists outside the part you manage"))
        )
    parent_code = values.pop("parent", None)
    parent = _current(existing, "parent", parent_code) or importer.lookup(
        parent_code or "", Org.objects.visible_to(actor), "parent", problems
    )
    if existing is None and code and not parent_code and not actor.is_superuser:
        problems.append(("parent", _("enter the code of the parent organisation")))
    if problems:
        raise _RowInvalid(problems)
    try:
        if existing is not None:
            if parent_code is not None:
                values["parent"] = parent
            services.update_org(actor=actor, org=existing, **values)
            return "updated"
        services.create_org(actor=actor, parent=parent, **values)
        return "created"
    except PermissionDenied as exc:
        raise _RowInvalid([("parent", str(exc) or _("outside your scope"))]) from None


def _street_queryset(actor):
    """Streets a user may name: those visible, plus the ancestors of the user's own nodes
    (a community admin files units under the street above the community)."""
    step = PATH_SEGMENT + 1
    ancestors = {p[:i] for p in scope_paths(actor) for i in range(step, len(p), step)}
    return Org.objects.visible_to(actor) | Org.objects.filter(path__in=ancestors)


def _write_unit(importer: _Importer, cells: dict[str, Any]) -> str:
    actor = importer.actor
    values, problems = parse_row(importer.columns, cells)
    if "credit_code" in values:
        values["credit_code"] = values["credit_code"].upper() or None
    credit_code = values.get("credit_code")
    existing = None
    if credit_code:
        related = Unit.objects.select_related("street", "community", "org")
        existing = related.filter(credit_code=credit_code).first()
    if existing is not None and not can_manage_path(
        actor, (existing.community or existing.street).path
    ):
        problems.append(
            ("credit_code", _("a unit with this credit code exists outside the part you manage"))
        )
    visible = Org.objects.visible_to(actor)
    for name, queryset in (
        ("street", _street_queryset(actor).filter(type=rules.STREET)),
        ("community", visible),
        ("org", visible),
    ):
        if name in values:
            values[name] = _current(existing, name, values[name]) or importer.lookup(
                values[name], queryset, name, problems
            )
    if problems:
        raise _RowInvalid(problems)
    try:
        if existing is not None:
            services.update_unit(actor=actor, unit=existing, **values)
            return "updated"
        services.create_unit(actor=actor, **values)
        return "created"
    except PermissionDenied as exc:
        where = "community" if values.get("community") else "street"
        raise _RowInvalid([(where, str(exc) or _("outside your scope"))]) from None


def import_orgs(actor, fileobj: IO[bytes], *, filename: str = "") -> ImportResult:
    """Create or update organisations from an .xlsx; all rows or none."""
    sheet = read_sheet(fileobj, ORG_COLUMNS)
    importer = _Importer(actor, ORG_COLUMNS, _write_org, "code", "orgs.org")
    return importer.run(sheet, filename)


def import_units(actor, fileobj: IO[bytes], *, filename: str = "") -> ImportResult:
    """Create or update units from an .xlsx; all rows or none."""
    sheet = read_sheet(fileobj, UNIT_COLUMNS)
    importer = _Importer(actor, UNIT_COLUMNS, _write_unit, "credit_code", "orgs.unit")
    return importer.run(sheet, filename)


# --- templates and exports ---------------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
_REQUIRED_FONT = Font(bold=True, color="C00000")
_HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")
TEMPLATE_ROWS = 1000  # rows that get drop-down lists and text format in the template


def _notes_rows(columns: Iterable[Column]) -> list[list[str]]:
    rows = [["列名", "必填", "可填写的值", "说明"]]
    for col in columns:
        rows.append([col.header, YES if col.required else NO, _label_text(col), col.note])
    rows.append([])
    rows.extend([[note] for note in GENERAL_NOTES])
    return rows


def write_template(columns: tuple[Column, ...], title: str, out: IO[bytes]) -> None:
    """An empty workbook with the headers, drop-down lists and a 说明 sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.freeze_panes = "A2"
    for index, col in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index, value=col.header)
        cell.font = _REQUIRED_FONT if col.required else _HEADER_FONT
        cell.fill = _HEADER_FILL
        if col.note:
            cell.comment = Comment(col.note, "同心")
        ws.column_dimensions[letter].width = col.width
        cells = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
        if col.kind in (TEXT, CODE, REF):
            for (row_cell,) in ws[cells]:
                row_cell.number_format = "@"  # keep codes such as 001 as text
        elif col.kind == DATE:
            for (row_cell,) in ws[cells]:
                row_cell.number_format = "yyyy-mm-dd"
        options = list(col.labels.values()) if col.labels else [YES, NO] if col.kind == BOOL else []
        if options:
            # A helper list only: code values such as "branch" are accepted too.
            dv = DataValidation(
                type="list", formula1='"' + ",".join(options) + '"', showErrorMessage=False
            )
            dv.add(cells)
            ws.add_data_validation(dv)
    notes = wb.create_sheet(NOTES_SHEET)
    for row in _notes_rows(columns):
        notes.append(row)
    for cell in notes[1]:
        cell.font = _HEADER_FONT
    for letter, width in zip("ABCD", (16, 6, 60, 60), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    wb.save(out)


def _write_only(columns: tuple[Column, ...], title: str, rows: Iterable[list], out) -> int:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.freeze_panes = "A2"
    for index, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = col.width
    ws.append([c.header for c in columns])
    count = 0
    for row in rows:
        ws.append(row)
        count += 1
    notes = wb.create_sheet(NOTES_SHEET)
    for row in _notes_rows(columns):
        notes.append(row)
    wb.save(out)
    return count


def _org_row(org: Org) -> list:
    return [
        org.code,
        org.name,
        ORG_TYPE_LABELS.get(org.type, org.type),
        SECTOR_LABELS.get(org.sector, org.sector),
        org.parent.code if org.parent_id else None,
        org.founded_on,
        org.secretary_name,
        YES if org.has_committee else NO,
        org.term_started_on,
        org.term_ends_on,
        org.contact_name,
        org.contact_phone,
        org.address,
        org.member_count,
        org.full_member_count,
    ]


def _unit_row(unit: Unit) -> list:
    return [
        unit.name,
        unit.credit_code,
        CATEGORY_LABELS.get(unit.category, unit.category),
        unit.street.code,
        unit.community.code if unit.community_id else None,
        unit.address,
        unit.employee_count,
        unit.party_member_count,
        COVERAGE_LABELS.get(unit.coverage, unit.coverage),
        unit.org.code if unit.org_id else None,
        unit.instructor_name,
    ]


def export_orgs(actor, out: IO[bytes]) -> int:
    """The organisations the user sees, in tree order, in the template's layout; audited."""
    qs = Org.objects.visible_to(actor).select_related("parent").order_by("path")
    count = _write_only(ORG_COLUMNS, "组织", (_org_row(o) for o in qs.iterator(2000)), out)
    audit.record(
        actor=actor, action="export", object_type="orgs.org", changes={"rows": [None, count]}
    )
    return count


def export_units(actor, out: IO[bytes]) -> int:
    """The units the user sees, in the template's layout; audited."""
    qs = Unit.objects.visible_to(actor).select_related("street", "community", "org").order_by("id")
    count = _write_only(UNIT_COLUMNS, "单位", (_unit_row(u) for u in qs.iterator(2000)), out)
    audit.record(
        actor=actor, action="export", object_type="orgs.unit", changes={"rows": [None, count]}
    )
    return count


@dataclass(frozen=True)
class Kind:
    name: str
    label: Any
    columns: tuple[Column, ...]
    sheet_title: str
    template_filename: str
    export_filename: str
    importer: Callable[..., ImportResult]
    exporter: Callable[..., int]


KINDS = {
    "orgs": Kind(
        "orgs",
        gettext_lazy("Organisations"),
        ORG_COLUMNS,
        "组织",
        "组织导入模板.xlsx",
        "组织",
        import_orgs,
        export_orgs,
    ),
    "units": Kind(
        "units",
        gettext_lazy("Units"),
        UNIT_COLUMNS,
        "单位",
        "单位导入模板.xlsx",
        "单位",
        import_units,
        export_units,
    ),
}
