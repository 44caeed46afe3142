"""Shapes of the admission API (issue 4 item 7) and the functions that fill them.

Identity leaves masked only (`id_number_masked` from the stored last four characters, never
decrypted for a list; `phone_masked`). Outputs are built as plain dicts from the selectors'
objects so that every key is explicit.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema

from tongxin.development import rules
from tongxin.development.models import Applicant, Vote

# --- outputs ------------------------------------------------------------------------------


class FileOut(Schema):
    id: int
    name: str
    gender: str
    birth_date: date
    id_number_masked: str
    org_id: int
    org_name: str
    state: str
    phase: int
    phase_name: str
    last_step: int
    next_step: int | None
    next_due: date | None
    overdue: bool
    overdue_since: date | None
    applied_on: date | None
    activist_on: date | None
    target_on: date | None
    admitted_on: date | None
    approved_on: date | None
    converted_on: date | None
    probation_extended_to: date | None
    closed_on: date | None
    member_id: int | None


class FilePage(Schema):
    items: list[FileOut]
    next: str | None


class ViolationOut(Schema):
    rule: str
    article: str
    message: str


class Refusal(Schema):
    """The rules refused the write: every violated rule with its article."""

    violations: list[ViolationOut]


class DeadlineOut(Schema):
    step: int
    name: str
    due: date | None
    not_before: date | None


class OverdueOut(Schema):
    rule: str
    article: str
    message: str
    due: date
    done_on: date | None


class DocumentOut(Schema):
    id: int
    step: int | None
    kind: str
    title: str
    number: str
    on: date
    url: str


class StepOut(Schema):
    step: int
    phase: int
    name: str
    code: str
    higher_committee: bool
    is_next: bool
    done_on: date | None
    people: list[dict[str, Any]]
    deciding_body: str
    body_org_id: int | None
    data: dict[str, Any]
    note: str
    documents: list[int]


class ReviewOut(Schema):
    id: int
    on: date
    reviewer: str
    summary: str


class VoteOut(Schema):
    id: int
    step: int
    meeting_on: date
    should_attend: int
    attended: int
    present: list[int]
    written: list[dict[str, Any]]
    yes: int
    no: int
    abstain: int
    written_yes: int
    written_no: int
    quorum_met: bool
    passed: bool
    arithmetic: str


class EventOut(Schema):
    kind: str
    step: int | None
    note: str
    payload: dict[str, Any]
    actor: str | None
    at: datetime


class FileDetail(FileOut):
    ethnicity: str
    phone_masked: str
    education: str
    occupation: str
    work_unit: str
    is_high_knowledge: bool
    is_migrant_worker: bool
    is_soe: bool
    is_two_new: bool
    close_reason: str
    probation_end: date | None
    next_deadline: DeadlineOut | None
    overdue_items: list[OverdueOut]
    may_record: list[int]
    steps: list[StepOut]
    documents: list[DocumentOut]
    reviews: list[ReviewOut]
    votes: list[VoteOut]
    timeline: list[EventOut]


class FunnelPhase(Schema):
    phase: int
    name: str
    code: str
    count: int
    overdue: int


class FunnelOut(Schema):
    org_id: int
    org_name: str
    phases: list[FunnelPhase]
    total: int
    overdue: int


class GroupCount(Schema):
    key: str
    label: str
    count: int


class StatsOut(Schema):
    org_id: int
    org_name: str
    since: date
    until: date
    total: int
    groups: list[GroupCount]
    gender: list[GroupCount]
    education: list[GroupCount]
    age: list[GroupCount]
    youth: int


# --- builders -----------------------------------------------------------------------------

PHASE_NAMES = {p.number: p.name_zh for p in rules.PHASES}


def file_out(a: Applicant) -> dict:
    open_ = a.state == Applicant.State.OPEN
    return {
        "id": a.pk,
        "name": a.name,
        "gender": a.gender,
        "birth_date": a.birth_date,
        "id_number_masked": getattr(a, "id_masked", "") or "*" * 14 + (a.id_tail or ""),
        "org_id": a.org_id,
        "org_name": a.org.name,
        "state": a.state,
        "phase": a.phase,
        "phase_name": PHASE_NAMES.get(a.phase, ""),
        "last_step": a.last_step,
        "next_step": a.last_step + 1 if open_ and a.last_step < rules.LAST_STEP else None,
        "next_due": a.next_due,
        "overdue": a.overdue,
        "overdue_since": a.overdue_since,
        "applied_on": a.applied_on,
        "activist_on": a.activist_on,
        "target_on": a.target_on,
        "admitted_on": a.admitted_on,
        "approved_on": a.approved_on,
        "converted_on": a.converted_on,
        "probation_extended_to": a.probation_extended_to,
        "closed_on": a.closed_on,
        "member_id": a.member_id,
    }


def violations_out(violations) -> dict:
    return {"violations": [v.as_dict() for v in violations]}


def document_out(d) -> dict:
    return {
        "id": d.pk,
        "step": d.step,
        "kind": d.kind,
        "title": d.title,
        "number": d.number,
        "on": d.on,
        "url": d.file.url if d.file else "",
    }


def review_out(r) -> dict:
    return {"id": r.pk, "on": r.on, "reviewer": r.reviewer, "summary": r.summary}


def vote_arithmetic(v: Vote) -> str:
    return rules.vote_result(
        v.should_attend, v.attended, v.yes, v.no, v.abstain, v.written_yes, v.written_no
    ).arithmetic


def vote_out(v: Vote) -> dict:
    return {
        "id": v.pk,
        "step": v.step,
        "meeting_on": v.meeting_on,
        "should_attend": v.should_attend,
        "attended": v.attended,
        "present": [p for p in v.present if isinstance(p, int)],
        "written": list(v.written or []),
        "yes": v.yes,
        "no": v.no,
        "abstain": v.abstain,
        "written_yes": v.written_yes,
        "written_no": v.written_no,
        "quorum_met": v.quorum_met,
        "passed": v.passed,
        "arithmetic": vote_arithmetic(v),
    }


def event_out(e) -> dict:
    return {
        "kind": e.kind,
        "step": e.step,
        "note": e.note,
        "payload": e.payload or {},
        "actor": e.actor.get_username() if e.actor_id else None,
        "at": e.at,
    }


def _phone_masked(a: Applicant) -> str:
    return "*" * 7 + a.phone_tail if a.phone_tail else ""


def file_detail(a: Applicant, view: dict, may_record: set[int]) -> dict:
    """The file (selectors.get_file) with its view (selectors.file_view)."""
    out = file_out(a)
    deadline = view["deadline"]
    steps = []
    for row in view["rows"]:
        record = row["record"]
        steps.append(
            {
                "step": row["number"],
                "phase": row["phase"],
                "name": row["name"],
                "code": row["code"],
                "higher_committee": row["higher_committee"],
                "is_next": row["is_next"],
                "done_on": row["done_on"],
                "people": list(record.people or []) if record else [],
                "deciding_body": record.body if record else "",
                "body_org_id": record.body_org_id if record else None,
                "data": dict(record.data or {}) if record else {},
                "note": record.note if record else "",
                "documents": [d.pk for d in row["documents"]],
            }
        )
    out.update(
        {
            "ethnicity": a.ethnicity,
            "phone_masked": _phone_masked(a),
            "education": a.education,
            "occupation": a.occupation,
            "work_unit": a.work_unit,
            "is_high_knowledge": a.is_high_knowledge,
            "is_migrant_worker": a.is_migrant_worker,
            "is_soe": a.is_soe,
            "is_two_new": a.is_two_new,
            "close_reason": a.close_reason,
            "probation_end": view["probation_end"],
            "next_deadline": (
                {
                    "step": deadline.step,
                    "name": rules.STEP_BY_NUMBER[deadline.step].name_zh,
                    "due": deadline.due,
                    "not_before": deadline.not_before,
                }
                if deadline
                else None
            ),
            "overdue_items": [
                {
                    "rule": item.rule,
                    "article": item.article,
                    "message": item.text,
                    "due": item.due,
                    "done_on": item.done_on,
                }
                for item in view["overdue"]
            ],
            "may_record": sorted(may_record) if a.state == Applicant.State.OPEN else [],
            "steps": steps,
            "documents": [document_out(d) for d in a.documents.all()],
            "reviews": [review_out(r) for r in a.reviews.all()],
            "votes": [vote_out(v) for v in a.votes.all()],
            "timeline": [event_out(e) for e in a.events.all()],
        }
    )
    return out


def funnel_out(result: dict) -> dict:
    org = result["org"]
    return {
        "org_id": org.pk,
        "org_name": org.name,
        "phases": [
            {
                "phase": row["phase"].number,
                "name": row["phase"].name_zh,
                "code": row["phase"].code,
                "count": row["count"],
                "overdue": row["overdue"],
            }
            for row in result["phases"]
        ],
        "total": result["total"],
        "overdue": result["overdue"],
    }


def _counts(rows) -> list[dict]:
    return [{"key": key, "label": str(label), "count": n} for key, label, n in rows]


def stats_out(result: dict) -> dict:
    org = result["org"]
    return {
        "org_id": org.pk,
        "org_name": org.name,
        "since": result["since"],
        "until": result["until"],
        "total": result["total"],
        "groups": _counts(result["groups"]),
        "gender": _counts(result["gender"]),
        "education": _counts(result["education"]),
        "age": _counts(result["age"]),
        "youth": result["youth"],
    }
