"""The member import sheet (issue 3 item 8): columns, the template, a streaming reader and
cell parsing. Services (`members.services.imports`) do the checks that need the database
and the writing.

- `columns`: the column table, allowed values and notes (data of the file format, not
  translated), `ImportRefused`;
- `template`: the downloadable .xlsx;
- `reader`: `open_sheet` / `count_rows` / `Sheet.rows()`, streamed;
- `cells`: `row_parser`, `parse_cell`.
"""

from tongxin.members.excel.cells import (
    blank,
    parse_cell,
    parse_date,
    parse_row,
    row_parser,
    text_of,
)
from tongxin.members.excel.columns import (
    BASE_REQUIRED,
    BY_HEADER,
    CATEGORY_LABELS,
    COLUMNS,
    DUES_CATEGORY_LABELS,
    EDUCATION_LABELS,
    EXAMPLE_ID,
    FIELDS,
    GENDER_LABELS,
    HEADER_OF,
    NOTES_SHEET,
    OCCUPATION_LABELS,
    SHEET_TITLE,
    TEMPLATE_FILENAME,
    XLSX_CONTENT_TYPE,
    Column,
    ImportRefused,
)
from tongxin.members.excel.reader import Sheet, count_rows, file_size, open_sheet
from tongxin.members.excel.template import notes_rows, write_template

__all__ = [
    "BASE_REQUIRED",
    "BY_HEADER",
    "CATEGORY_LABELS",
    "COLUMNS",
    "DUES_CATEGORY_LABELS",
    "EDUCATION_LABELS",
    "EXAMPLE_ID",
    "FIELDS",
    "GENDER_LABELS",
    "HEADER_OF",
    "NOTES_SHEET",
    "OCCUPATION_LABELS",
    "SHEET_TITLE",
    "TEMPLATE_FILENAME",
    "XLSX_CONTENT_TYPE",
    "Column",
    "ImportRefused",
    "Sheet",
    "blank",
    "count_rows",
    "file_size",
    "notes_rows",
    "open_sheet",
    "parse_cell",
    "parse_date",
    "parse_row",
    "row_parser",
    "text_of",
    "write_template",
]
