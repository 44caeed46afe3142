"""The applicant's file as a PDF for the paper archive (issue 4 item 8; step 25 材料归档).

Cover (identity, branch, where the file stands), then the 25 steps in order, each with its
date, people, deciding body, data, documents, note; the half-year reviews under step 6 and
the branch meeting votes (with the arithmetic) under steps 15 and 23; then the timeline.

The ID number and phone print in full only for keepers who may unmask them
(members.services.registry.UNMASK_ROLES over the file's branch); everybody else who keeps
the file gets them masked as on screen. Every PDF generated is audited ("print").
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tongxin.core import audit
from tongxin.core.pdf import Document
from tongxin.core.scoping import scope_paths
from tongxin.development import access, rules
from tongxin.development.models import Applicant
from tongxin.members.services.registry import UNMASK_ROLES

DATA_SKIPPED = {"contacts", "introducers", "vote", "approver", "branch_has_committee"}


def may_print_identity(actor, applicant: Applicant) -> bool:
    """Whether the actor's roles may see the applicant's ID number and phone in clear."""
    return any(applicant.org.path.startswith(p) for p in scope_paths(actor, UNMASK_ROLES))


def _d(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        return value
    return value.isoformat()


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


def _role(role: str) -> str:
    labels = {
        "talker": _("talked with the applicant"),
        "contact": _("training contact"),
        "introducer": _("introducer"),
        "reviewer": _("reviewer"),
        "trainer": _("trainer"),
    }
    return labels.get(role, role or _("other"))


def _data_rows(data: dict) -> list[tuple[str, str]]:
    """Step data in words (the member ids and the vote are printed elsewhere)."""
    values = {
        "method": {
            "member_recommendation": _("recommended by party members"),
            "mass_organisation_recommendation": _("recommended by a mass organisation"),
        },
        "decided_by": {
            "branch_committee": _("the branch committee"),
            "branch_meeting": _("the branch general meeting"),
        },
        "outcome": {
            "convert": _("full membership"),
            "extend": _("probation extended"),
            "cancel": _("probationary membership cancelled"),
        },
    }
    labels = {
        "method": _("how chosen"),
        "decided_by": _("decided by"),
        "conclusion": _("political review conclusion"),
        "days": _("training days"),
        "hours": _("class hours"),
        "certificate": _("training certificate"),
        "form_number": _("admission form number"),
        "limit_extended": _("approval time limit extended"),
        "outcome": _("decision"),
        "extended_to": _("probation extended to"),
    }
    rows = []
    for key, value in (data or {}).items():
        if key in DATA_SKIPPED or value in (None, "", []):
            continue
        if isinstance(value, bool):
            text = _yes(value)
        else:
            text = str(values.get(key, {}).get(value, value))
        rows.append((str(labels.get(key, key)), text))
    return rows


def _identity(applicant: Applicant, full: bool) -> tuple[str, str]:
    if full:
        return applicant.id_number or "", applicant.phone or ""
    id_masked = "*" * 14 + (applicant.id_tail or "")
    phone = ("*" * 7 + applicant.phone_tail) if applicant.phone_tail else ""
    return id_masked, phone


def _cover(doc: Document, applicant: Applicant, view: dict, *, full_identity: bool) -> None:
    id_number, phone = _identity(applicant, full_identity)
    groups = [
        label
        for flag, label in (
            (applicant.is_high_knowledge, _("high-knowledge group")),
            (applicant.is_migrant_worker, _("migrant worker")),
            (applicant.is_soe, _("state-owned enterprise")),
            (applicant.is_two_new, _("new economic or social organisation")),
        )
        if flag
    ]
    chain = [o.name for o in reversed(access.ancestors(applicant.org))] + [applicant.org.name]
    doc.title(
        _("Admission file of %(name)s") % {"name": applicant.name},
        subtitle=" / ".join(chain),
    )
    doc.section(_("Applicant"))
    doc.key_values(
        [
            (_("name"), applicant.name),
            (_("gender"), applicant.get_gender_display()),
            (_("ethnicity"), applicant.ethnicity),
            (_("birth date"), _d(applicant.birth_date)),
            (_("ID number"), id_number),
            (_("phone"), phone),
            (_("education"), applicant.get_education_display()),
            (_("occupation"), applicant.get_occupation_display()),
            (_("work unit"), applicant.work_unit),
            (_("groups"), "、".join(str(g) for g in groups)),
            (_("branch"), applicant.org.name),
        ]
    )
    if not full_identity:
        doc.paragraph(
            _("The ID number and phone are masked: your role may not see them in full."),
            muted=True,
            size=8.5,
        )
    doc.section(_("Where the file stands"))
    next_step = view.get("next_step")
    deadline = view.get("deadline")
    rows = [
        (_("state"), applicant.get_state_display()),
        (
            _("phase"),
            f"{view['phase'].number} {view['phase'].name_zh}" if view.get("phase") else "",
        ),
        (_("last step done"), _step_title(view["last_step"]) if view["last_step"] else ""),
        (_("next step"), _step_title(next_step.number) if next_step else ""),
        (_("due by"), _d(getattr(deadline, "due", None)) if deadline else ""),
        (_("application date"), _d(applicant.applied_on)),
        (_("activist since"), _d(applicant.activist_on)),
        (_("development target since"), _d(applicant.target_on)),
        (_("admission date"), _d(applicant.admitted_on)),
        (_("admission approved on"), _d(applicant.approved_on)),
        (_("end of probation"), _d(view.get("probation_end"))),
        (_("probation extended to"), _d(applicant.probation_extended_to)),
        (_("full membership date"), _d(applicant.converted_on)),
    ]
    if applicant.closed_on:
        rows += [(_("closed on"), _d(applicant.closed_on)), (_("reason"), applicant.close_reason)]
    doc.key_values(rows)
    overdue = view.get("overdue") or []
    if overdue:
        doc.subheading(_("Overdue"))
        doc.table(
            [_("due by"), _("rule"), _("article")],
            [[_d(i.due), i.text, i.article] for i in overdue],
            widths=(1, 3, 2),
        )


def _step_title(number: int) -> str:
    step = rules.STEP_BY_NUMBER[number]
    return _("Step %(number)s: %(name)s") % {"number": number, "name": step.name_zh}


def _vote_rows(votes) -> list[list[str]]:
    rows = []
    for v in votes:
        result = rules.vote_result(
            v.should_attend, v.attended, v.yes, v.no, v.abstain, v.written_yes, v.written_no
        )
        rows.append(
            [
                _d(v.meeting_on),
                str(v.should_attend),
                str(v.attended),
                f"{v.yes} / {v.no} / {v.abstain}",
                f"{v.written_yes} / {v.written_no}",
                _("passed") if v.passed else _("not passed"),
                result.arithmetic,
            ]
        )
    return rows


def _steps(doc: Document, applicant: Applicant, view: dict) -> None:
    reviews = list(applicant.reviews.all())
    votes_by_step: dict[int, list] = {}
    for vote in applicant.votes.all():
        votes_by_step.setdefault(vote.step, []).append(vote)
    next_number = view["next_step"].number if view.get("next_step") else None
    phase = None
    for row in view["rows"]:
        if row["phase"] != phase:
            phase = row["phase"]
            doc.section(
                pgettext("admission phase", "Phase %(number)s: %(name)s")
                % {"number": phase, "name": row["phase_name"]}
            )
        doc.subheading(_step_title(row["number"]))
        record = row["record"]
        if record is None:
            if row["number"] == next_number:
                doc.paragraph(_("Next step: not yet recorded."), muted=True, size=9)
            else:
                doc.paragraph(_("Not recorded."), muted=True, size=9)
        else:
            body = record.body_org.name if record.body_org else ""
            if record.body and record.body != body:
                body = f"{body} {record.body}".strip()
            people = "；".join(
                f"{p.get('name', '')}（{_role(p.get('role', ''))}）" for p in record.people or []
            )
            rows = [
                (_("date"), _d(record.on)),
                (_("people involved"), people),
                (_("deciding body"), body),
                *_data_rows(record.data),
                (_("note"), record.note),
                (
                    _("recorded by"),
                    record.recorded_by.get_username() if record.recorded_by else "",
                ),
            ]
            # the date always; the rest only where the step has it
            doc.key_values([rows[0], *(r for r in rows[1:] if r[1])])
        if row["documents"]:
            doc.table(
                [_("document"), _("title"), _("number"), _("date")],
                [[d.get_kind_display(), d.title, d.number, _d(d.on)] for d in row["documents"]],
                widths=(2, 3, 1.5, 1.3),
            )
        if row["number"] == 6 and reviews:
            doc.paragraph(_("Half-year reviews"), size=9.5)
            doc.table(
                [_("date"), _("reviewer"), _("summary")],
                [[_d(r.on), r.reviewer, r.summary] for r in reviews],
                widths=(1.2, 1.5, 4),
            )
        if row["number"] in votes_by_step:
            doc.paragraph(_("Branch meeting votes"), size=9.5)
            doc.table(
                [
                    _("meeting date"),
                    _("should attend"),
                    _("attended"),
                    _("in favour / against / abstaining"),
                    _("written in favour / against"),
                    _("result"),
                    _("arithmetic"),
                ],
                _vote_rows(votes_by_step[row["number"]]),
                widths=(1.3, 0.9, 0.9, 1.3, 1.2, 1, 3.6),
            )


def _appendix(doc: Document, applicant: Applicant, view: dict) -> None:
    loose = view.get("loose_documents") or []
    if loose:
        doc.section(_("Other documents"))
        doc.table(
            [_("document"), _("title"), _("number"), _("date")],
            [[d.get_kind_display(), d.title, d.number, _d(d.on)] for d in loose],
            widths=(2, 3, 1.5, 1.3),
        )
    events = list(applicant.events.all())
    if events:
        doc.section(_("History"))
        doc.table(
            [_("time"), _("event"), _("step"), _("by"), _("note")],
            [
                [
                    date_format(timezone.localtime(e.at), "Y-m-d H:i"),
                    e.get_kind_display(),
                    str(e.step or ""),
                    e.actor.get_username() if e.actor else "",
                    e.note,
                ]
                for e in events
            ],
            widths=(1.5, 1.5, 0.6, 1.2, 3),
        )


def file_pdf(*, actor, applicant: Applicant, view: dict) -> bytes:
    """The PDF of a file the actor keeps (`applicant` from selectors.get_file, `view` from
    selectors.file_view). Writes the audit entry "print" (with whether the identity was
    printed in full)."""
    full = may_print_identity(actor, applicant)
    doc = Document(
        _("Admission file of %(name)s") % {"name": applicant.name},
        printed_by=actor,
        subject=_("Admission file"),
    )
    _cover(doc, applicant, view, full_identity=full)
    _steps(doc, applicant, view)
    _appendix(doc, applicant, view)
    data = doc.output()
    audit.record(
        actor=actor,
        action="print",
        obj=applicant,
        changes={"format": [None, "pdf"], "identity": [None, "full" if full else "masked"]},
    )
    return data


def file_name(applicant: Applicant, today: date) -> str:
    return _("Admission file of %(name)s") % {"name": applicant.name} + f" {today:%Y%m%d}.pdf"
