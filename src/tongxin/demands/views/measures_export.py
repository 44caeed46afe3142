"""The measures as an Excel workbook (openpyxl write-only, streaming). Audited.

One sheet: a title block (scope, period, grouping, as of), then one row per group and the
total, with every rate as a number formatted as a percentage and the counts behind it."""

from __future__ import annotations

from typing import IO

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from tongxin.core import audit
from tongxin.demands.selectors.measures import DIMENSIONS


def _header():
    """(title, field of rules.Measures, kind) of every column after the group's name."""
    return [
        (_("Received"), "total", "count"),
        (_("To resolve"), "to_resolve", "count"),
        (_("Response rate"), "response_rate", "rate"),
        (_("Responded"), "responded", "count"),
        (_("Responded in time"), "responded_on_time", "count"),
        (_("On-time rate"), "on_time_rate", "rate"),
        (_("Answered"), "answered", "count"),
        (_("Answered in time"), "answered_on_time", "count"),
        (_("Resolution rate"), "resolution_rate", "rate"),
        (_("Resolved"), "resolved", "count"),
        (_("Satisfaction rate"), "satisfaction_rate", "rate"),
        (_("Rated"), "rated", "count"),
        (_("Satisfied"), "satisfied", "count"),
        (_("Reopen rate"), "reopen_rate", "rate"),
        (_("Reopened"), "reopened", "count"),
        (_("Average handling time (working hours)"), "average_handling_hours", "hours"),
        (_("Overdue"), "overdue", "count"),
    ]


def export_filename(result) -> str:
    scope = result.area.name if result.area is not None else _("all")
    return f"{_('Demand measures')}-{scope}-{result.start:%Y%m%d}-{result.end:%Y%m%d}.xlsx"


def export_measures(actor, result, out: IO[bytes]) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Measures")[:31])
    ws.column_dimensions["A"].width = 30
    header = _header()

    def bold(value, size=11):
        cell = WriteOnlyCell(ws, value=value)
        cell.font = Font(bold=True, size=size)
        return cell

    ws.append([bold(_("Demand measures"), 14)])
    ws.append([_("Scope"), result.area.name if result.area is not None else _("Whole scope")])
    ws.append([_("Received from"), result.start, _("to"), result.end])
    ws.append([_("By"), str(DIMENSIONS[result.by][1])])
    ws.append([_("As of"), timezone.localtime(result.now).strftime("%Y-%m-%d %H:%M")])
    ws.append([])
    ws.append([bold(str(DIMENSIONS[result.by][1]))] + [bold(title) for title, _k, _t in header])

    def line(row, total=False):
        cells = [bold(row.label) if total else row.label]
        for _title, key, kind in header:
            cell = WriteOnlyCell(ws, value=getattr(row.measures, key))
            if kind == "rate":
                cell.number_format = "0.0%"
            elif kind == "hours":
                cell.number_format = "0.00"
            if total:
                cell.font = Font(bold=True)
            cells.append(cell)
        ws.append(cells)

    for row in result.rows:
        line(row)
    line(result.total, total=True)
    wb.save(out)
    audit.record(
        actor=actor,
        action="export",
        obj=result.area,
        object_type="demands.measures",
        object_repr=f"{result.by} {result.start}–{result.end}"[:200],
        changes={
            "period": [None, f"{result.start:%Y-%m-%d}/{result.end:%Y-%m-%d}"],
            "by": [None, result.by],
            "rows": [None, len(result.rows)],
        },
    )
