"""Printables of organisational life (issue 5 item 8), with the Chinese font embedded
(tongxin.core.pdf, as development/printing.py).

* `meeting_pdf`: one meeting in the layout of a branch work record book (支部工作记录本):
  name and kind, time, place, host, recorder, should attend / attended / on leave / absent
  with the names, agenda, minutes, the review (state, dates, opinion) and the attachments
  by name.
* `yearly_summary_pdf`: a branch's year: meetings held/approved per kind and month (a
  12 × kinds table), compliance per quarter and for the year (computed live from the
  meetings with rules.compliance and the district's policy), attendance rate, appraisal
  results by grade, term and elections.

The callers scope (views/printing.py); both functions write the audit entry "print".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tongxin.core import audit
from tongxin.core.pdf import Document
from tongxin.meetings.models import (
    AppraisalResult,
    AttendanceStatus,
    Election,
    Grade,
    Meeting,
    State,
    TalkPair,
)
from tongxin.meetings.rules import compliance as crules
from tongxin.meetings.rules import kinds as krules
from tongxin.meetings.rules.periods import MONTH, QUARTER, YEAR, Period
from tongxin.meetings.visibility import may_see_roster, visible_rows
from tongxin.orgs.models import Org


def _d(value) -> str:
    return value.isoformat() if value else ""


def _dt(value) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def _chain(org: Org) -> str:
    paths = org.ancestor_paths()
    by_path = {o.path: o.name for o in Org.objects.filter(path__in=paths)}
    return " / ".join([*(by_path[p] for p in paths if p in by_path), org.name])


def _names(rows) -> str:
    return "、".join(rows)


# --- one meeting ------------------------------------------------------------------------------


def meeting_title(meeting: Meeting) -> str:
    return _("%(kind)s record: %(topic)s") % {
        "kind": meeting.get_kind_display(),
        "topic": meeting.topic,
    }


def meeting_pdf(*, actor, meeting: Meeting) -> bytes:
    """The record of a meeting the actor may see (`meeting` from access.meeting_for)."""
    org = meeting.org
    doc = Document(meeting_title(meeting), printed_by=actor, subject=_("Branch work record book"))
    doc.title(_("Branch work record book"), subtitle=_chain(org))
    doc.section(_("Meeting"))
    rows = [
        (_("meeting name"), meeting.topic),
        (_("kind"), meeting.get_kind_display()),
        (_("branch"), org.name),
    ]
    if meeting.party_group_id:
        rows.append((_("party group"), meeting.party_group.name))
    if meeting.talk_pair:
        rows.append((_("talk pair"), TalkPair(meeting.talk_pair).label))
    start = timezone.localtime(meeting.starts_at)
    end = timezone.localtime(meeting.ends_at)
    rows += [
        (_("time"), f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"),
        (_("place"), meeting.place),
        (_("host"), meeting.host.name if meeting.host_id else ""),
        (_("recorder"), meeting.recorder.name if meeting.recorder_id else ""),
        (_("state"), meeting.get_state_display()),
    ]
    doc.key_values(rows)

    doc.section(_("Attendance"))
    by_status: dict[str, list[str]] = defaultdict(list)
    attendance = list(meeting.attendance.select_related("member").order_by("member__name", "id"))
    see_roster = may_see_roster(actor, meeting)
    # names and reasons for leave only for those who manage or review (visibility); a plain
    # member gets the counts and their own line
    for a in attendance if see_roster else ():
        name = a.member.name
        if a.status == AttendanceStatus.LEAVE and a.leave_reason:
            name = f"{name}（{a.leave_reason}）"
        by_status[a.status].append(name)
    held = meeting.state in crules.HELD_STATES
    absent = meeting.should_attend - meeting.attended - meeting.on_leave if held else 0
    rows = [
        (_("should attend"), _count(meeting.should_attend, [])),
        (_("attended"), _count(meeting.attended, by_status[AttendanceStatus.ATTENDED])),
        (_("on leave"), _count(meeting.on_leave, by_status[AttendanceStatus.LEAVE])),
        (_("absent"), _count(max(absent, 0), by_status[AttendanceStatus.ABSENT])),
    ]
    if not held:
        rows.append((_("on the roster"), _count(meeting.should_attend, by_status["expected"])))
    if not see_roster:
        own = visible_rows(actor, meeting, attendance, see_roster=False)
        for a in own:
            status = a.get_status_display()
            if a.status == AttendanceStatus.LEAVE and a.leave_reason:
                status = f"{status}（{a.leave_reason}）"
            rows.append((_("your attendance"), status))
    doc.key_values(rows)
    if held and meeting.should_attend and not attendance:
        doc.paragraph(_("Only the counts were recorded for this meeting."), muted=True, size=9)

    doc.section(_("Agenda"))
    doc.paragraph(meeting.agenda or _("No agenda recorded."), muted=not meeting.agenda)
    doc.section(_("Minutes"))
    doc.paragraph(meeting.minutes or _("No minutes recorded."), muted=not meeting.minutes)

    doc.section(_("Review"))
    doc.key_values(
        [
            (_("submitted at"), _dt(meeting.submitted_at)),
            (_("reviewed at"), _dt(meeting.reviewed_at)),
            (
                _("reviewed by"),
                meeting.reviewed_by.get_username() if meeting.reviewed_by_id else "",
            ),
            (_("review opinion"), meeting.review_opinion),
        ]
    )
    doc.section(_("Attachments"))
    doc.table(
        [_("file name"), _("size"), _("uploaded at")],
        [
            [a.name, _("%(kb)s KB") % {"kb": max(1, round(a.size / 1024))}, _dt(a.at)]
            for a in meeting.attachments.all()
        ],
        widths=(4, 1, 1.6),
        empty=_("No attachments."),
    )
    data = doc.output()
    audit.record(actor=actor, action="print", obj=meeting, changes={"format": [None, "pdf"]})
    return data


def _count(n: int, names: list[str]) -> str:
    text = _("%(n)s people") % {"n": n}
    return f"{text}：{_names(names)}" if names else text


def meeting_file_name(meeting: Meeting) -> str:
    return f"{meeting.org.name} {meeting.get_kind_display()} {meeting.on:%Y%m%d}.pdf"


# --- a branch's year -------------------------------------------------------------------------


def _policy():
    try:
        from tongxin.meetings.services.compliance import policy
    except ImportError:  # pragma: no cover - the compliance service is part of the app
        return crules.CompliancePolicy()
    return policy()


def _has_groups(org: Org) -> bool:
    return Org.objects.filter(parent=org, type="party_group", active=True).exists()


STATUS_LABELS = {
    crules.MET: lambda: pgettext("compliance", "met"),
    "open": lambda: pgettext("compliance", "open"),
    "behind": lambda: pgettext("compliance", "behind"),
}


def _figures(should: int, came: int, leave: int):
    """The attendance figures, or None when absent or inconsistent (a summary prints what
    it can rather than refuse)"""
    if not should:
        return None
    figures = crules.Attendance(should, came, leave)
    return None if crules.attendance_errors(figures) else figures


def year_view(org: Org, year: int, today: date) -> dict:
    """Everything the yearly summary prints (a few queries)."""
    meetings = list(
        Meeting.objects.filter(org=org, on__year=year)
        .exclude(state=State.CANCELLED)
        .order_by()
        .values_list("kind", "on", "state", "should_attend", "attended", "on_leave")
    )
    grid: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for kind, on, state, *_rest in meetings:
        if state in crules.HELD_STATES:
            grid[(on.month, kind)][0] += 1
        if state == crules.APPROVED:
            grid[(on.month, kind)][1] += 1
    records = [
        crules.MeetingRecord(kind, on, state, _figures(should, came, leave))
        for kind, on, state, should, came, leave in meetings
        if state != crules.PLANNED
    ]
    policy = _policy()
    created = org.founded_on or timezone.localdate(org.created_at)
    has_groups = _has_groups(org)
    periods = [Period(date(year, m, 1), QUARTER) for m in (1, 4, 7, 10)]
    periods.append(Period(date(year, 1, 1), YEAR))
    compliance = []
    for period in periods:
        if period.start > today:
            compliance.append((period, None))
            continue
        compliance.append(
            (
                period,
                crules.meeting_compliance_for_branch(
                    period=period,
                    created_on=created,
                    has_committee=org.has_committee,
                    has_groups=has_groups,
                    meetings=records,
                    policy=policy,
                    today=today,
                ),
            )
        )
    grades = Counter(
        AppraisalResult.objects.filter(meeting__org=org, year=year).values_list("grade", flat=True)
    )
    elections = list(Election.objects.filter(org=org).order_by("-held_on")[:10])
    return {
        "grid": grid,
        "compliance": compliance,
        "grades": grades,
        "elections": elections,
        "has_groups": has_groups,
        "meetings": len(meetings),
    }


def summary_title(org: Org, year: int) -> str:
    return _("Organisational life of %(branch)s in %(year)s") % {"branch": org.name, "year": year}


def _period_label(period: Period) -> str:
    if period.unit == YEAR:
        return _("year %(year)s") % {"year": period.start.year}
    if period.unit == MONTH:
        return period.label
    return period.label


def yearly_summary_pdf(*, actor, org: Org, year: int, today: date | None = None) -> bytes:
    """The yearly summary of a branch the actor keeps."""
    today = today or timezone.localdate()
    view = year_view(org, year, today)
    doc = Document(summary_title(org, year), printed_by=actor, subject=_("Yearly summary"))
    doc.title(summary_title(org, year), subtitle=_chain(org))
    doc.section(_("Branch"))
    doc.key_values(
        [
            (_("branch"), org.name),
            (_("secretary"), org.secretary_name),
            (_("members"), str(org.member_count)),
            (_("has a branch committee"), _("yes") if org.has_committee else _("no")),
            (_("has party groups"), _("yes") if view["has_groups"] else _("no")),
            (_("term start"), _d(org.term_started_on)),
            (_("term end"), _d(org.term_ends_on)),
        ]
    )

    kinds = list(krules.KINDS)
    doc.section(
        _("Meetings by month"),
        note=_("Each cell: held / approved. Cancelled and planned meetings are not counted."),
    )
    rows = []
    totals = defaultdict(lambda: [0, 0])
    for month in range(1, 13):
        row = [f"{month}"]
        for k in kinds:
            held, approved = view["grid"].get((month, k.code), (0, 0))
            totals[k.code][0] += held
            totals[k.code][1] += approved
            row.append(f"{held}/{approved}" if held else "")
        rows.append(row)
    rows.append(
        [pgettext("table total", "total")]
        + [f"{totals[k.code][0]}/{totals[k.code][1]}" for k in kinds]
    )
    doc.table(
        [pgettext("calendar", "month")] + [k.name_zh for k in kinds],
        rows,
        widths=(0.7,) + (1,) * len(kinds),
    )

    doc.section(
        _("Compliance"),
        note=_(
            "Due by the configured frequencies; only approved meetings count. "
            "Attendance rate: attended / should attend over the approved meetings."
        ),
    )
    crow = []
    year_result = None
    for period, result in view["compliance"]:
        if result is None:
            crow.append([_period_label(period), _("not yet"), "", "", "", ""])
            continue
        if period.unit == YEAR:
            year_result = result
        due = sum(k.due for k in result.kinds)
        met = sum(k.met for k in result.kinds)
        missing = "、".join(
            f"{krules.kind(code).name_zh} {label}" for code, label in result.missing_items
        )
        rate = result.attendance.percent
        crow.append(
            [
                _period_label(period),
                STATUS_LABELS.get(result.status, lambda s=result.status: s)(),
                str(due),
                str(met),
                f"{rate}%" if rate is not None else "—",
                missing,
            ]
        )
    doc.table(
        [_("period"), _("status"), _("due"), _("met"), _("attendance rate"), _("missing")],
        crow,
        widths=(1.1, 0.8, 0.6, 0.6, 1, 3.5),
    )
    if year_result is not None:
        a = year_result.attendance
        doc.paragraph(
            _(
                "Year: %(meetings)s approved meetings with attendance, %(attended)s of "
                "%(should)s attended, %(leave)s on leave."
            )
            % {
                "meetings": a.meetings,
                "attended": a.attended,
                "should": a.should_attend,
                "leave": a.on_leave,
            },
            size=9,
        )

    doc.section(_("Democratic appraisal of members"))
    grades = view["grades"]
    doc.table(
        [g.label for g in Grade] + [pgettext("table total", "total")],
        [[str(grades.get(g.value, 0)) for g in Grade] + [str(sum(grades.values()))]],
        empty=_("No appraisal recorded."),
    )

    doc.section(_("Terms and elections"))
    doc.table(
        [_("election date"), _("seats"), _("members entitled to vote"), _("voters present"),
         _("state")],
        [
            [_d(e.held_on), str(e.seats), str(e.entitled), str(e.present),
             e.get_state_display()]
            for e in view["elections"]
        ],
        empty=_("No election recorded."),
    )  # fmt: skip
    data = doc.output()
    audit.record(
        actor=actor,
        action="print",
        obj=org,
        changes={"format": [None, "pdf"], "document": [None, f"yearly summary {year}"]},
    )
    return data


def summary_file_name(org: Org, year: int) -> str:
    return f"{summary_title(org, year)}.pdf"
