"""/api/v1/elections — terms and elections (issue 5 §5, §9).

* GET /elections?org=&cursor=&limit= → {"items", "next"}: elections recorded in the caller's
  keeping (of the org's subtree), newest first, keyset by id;
* POST /elections → 201 the election with its checks. Body: org_id, held_on (YYYY-MM-DD),
  seats, present, candidates [{"member_id" | "name", "votes"}], optional entitled (default:
  the org's full members entitled to vote on the date), meeting_id, contested (default
  true), note. Impossible figures (a future date, fewer candidates than seats, votes above
  those present, more present than entitled …) → 422 {"detail": [{"field", "message"}]},
  nothing written. A failed election (too few candidates, not more than four fifths present)
  is recorded with state "invalid" and its "violations";
* GET /elections/terms?org= → terms ending within the reminder lead time or overdue;
* GET /elections/{id} → one election.

Keepers only (403 for others); an org, member, meeting or election outside the caller's
scope answers 404 (org) or 422 naming the field (member, meeting).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from tongxin.core.api_parse import MAX_ID, Body, LooseBody, fields_as_422, is_int
from tongxin.core.api_parse import loose_field as _f
from tongxin.meetings.models import Election, Meeting
from tongxin.meetings.selectors import elections as sel
from tongxin.meetings.services import elections as services
from tongxin.members.access import require_keeper
from tongxin.members.models import Member

router = Router(tags=["elections"])
RENAMED = {"org": "org_id", "meeting": "meeting_id"}


class CandidateOut(Schema):
    name: str
    member_id: int | None
    votes: int
    elected: bool


class ViolationOut(Schema):
    rule: str
    article: str
    message: str


class ElectionOut(Schema):
    id: int
    org_id: int
    org_name: str
    held_on: str
    seats: int
    entitled: int
    present: int
    state: str
    contested: bool
    minimum_candidates: int | None
    candidates: list[CandidateOut]
    checks: list[str]
    violations: list[ViolationOut]
    note: str


class ElectionItem(Schema):
    id: int
    org_id: int
    org_name: str
    held_on: str
    seats: int
    entitled: int
    present: int
    state: str


class ElectionPage(Schema):
    items: list[ElectionItem]
    next: str | None


class TermOut(Schema):
    org_id: int
    org_name: str
    term_ends_on: str
    days_left: int
    overdue: bool


class ListQuery(Schema):
    org: int | None = Field(None, ge=1, le=MAX_ID)
    cursor: int | None = Field(None, ge=1, le=MAX_ID)
    limit: int = Field(sel.PAGE_SIZE, ge=1, le=sel.MAX_PAGE_SIZE)


class TermsQuery(Schema):
    org: int | None = Field(None, ge=1, le=MAX_ID)


class ElectionIn(LooseBody):
    org_id: Any = _f("the org holding the election (one the caller keeps)", "integer")
    held_on: Any = _f("YYYY-MM-DD, not in the future", "string")
    seats: Any = _f("seats to fill, 1..200", "integer")
    entitled: Any = _f(
        "optional: members entitled to vote (default: counted on the date)", "integer"
    )
    present: Any = _f("voters present", "integer")
    candidates: Any = _f('[{"member_id": n} or {"name": "…"}, with "votes": n]', "array")
    meeting_id: Any = _f("optional: the members' meeting that held the election", "integer")
    contested: Any = _f("optional, default true: a contested (差额) election", "boolean")
    note: Any = _f("optional, at most 4000 characters", "string")


FIELDS = (
    "org_id",
    "held_on",
    "seats",
    "entitled",
    "present",
    "candidates",
    "meeting_id",
    "contested",
    "note",
)


def _item(e: Election) -> dict:
    return {
        "id": e.pk,
        "org_id": e.org_id,
        "org_name": e.org.name,
        "held_on": e.held_on.isoformat(),
        "seats": e.seats,
        "entitled": e.entitled,
        "present": e.present,
        "state": e.state,
    }


def _detail(e: Election) -> dict:
    return {
        **_item(e),
        "contested": e.result.get("contested", True),
        "minimum_candidates": e.result.get("minimum"),
        "candidates": [
            {"name": c.name, "member_id": c.member_id, "votes": c.votes, "elected": c.elected}
            for c in e.candidates.all()
        ],
        "checks": sel.arithmetic_lines(e),
        "violations": e.result.get("violations", []),
        "note": e.note,
    }


@router.get("", response=ElectionPage)
def list_elections(request, q: Query[ListQuery]):
    """Elections recorded in the caller's keeping, newest first."""
    require_keeper(request.user)
    org = sel.org_for(request.user, q.org) if q.org else None
    items, next_id = sel.elections_for(request.user, org=org, after=q.cursor, limit=q.limit)
    return {"items": [_item(e) for e in items], "next": str(next_id) if next_id else None}


@router.get("/terms", response=list[TermOut])
def list_terms(request, q: Query[TermsQuery]):
    """Terms ending within the reminder lead time, and overdue re-elections."""
    require_keeper(request.user)
    org = sel.org_for(request.user, q.org) if q.org else None
    return [
        {
            "org_id": t.org.pk,
            "org_name": t.org.name,
            "term_ends_on": t.ends_on.isoformat(),
            "days_left": t.days_left,
            "overdue": t.overdue,
        }
        for t in sel.terms_due(request.user, org=org)
    ]


def _candidates(b: Body, org) -> list:
    raw = b.data.get("candidates")
    if raw is None:
        b.error("candidates", _("This field is required."))
        return []
    if not isinstance(raw, list) or len(raw) > services.MAX_CANDIDATES:
        b.error(
            "candidates",
            _("Enter a list of at most %(n)s candidates.") % {"n": services.MAX_CANDIDATES},
        )
        return []
    member_ids = [
        c.get("member_id") for c in raw if isinstance(c, dict) and is_int(c.get("member_id"))
    ]
    members = {}
    if org is not None and member_ids:
        members = {
            m.pk: m
            for m in Member.objects.filter(
                org=org, pk__in=[i for i in member_ids if 0 < i <= MAX_ID]
            )
        }
    items = []
    for n, c in enumerate(raw):
        field = f"candidates.{n}"
        if not isinstance(c, dict) or set(c) - {"member_id", "name", "votes"}:
            b.error(field, _("Enter an object with member_id or name, and votes."))
            continue
        votes = c.get("votes")
        if not is_int(votes) or not 0 <= votes <= 10**6:
            b.error(field, _("votes: enter a whole number, 0 or more."))
            continue
        if c.get("member_id") is not None:
            member = members.get(c["member_id"]) if is_int(c["member_id"]) else None
            if member is None:
                b.error(field, _("member_id: no such member of the organisation."))
                continue
            items.append(services.CandidateIn(votes=votes, member=member))
        elif isinstance(c.get("name"), str) and c["name"].strip():
            items.append(services.CandidateIn(votes=votes, name=c["name"].strip()))
        else:
            b.error(field, _("Enter member_id or name."))
    return items


@router.post("", response={201: ElectionOut})
def create_election(request, payload: ElectionIn):
    """Record an election; the checks decide whether it is valid."""
    require_keeper(request.user)
    b = Body(payload.fields(), allowed=FIELDS)
    org_id = b.integer("org_id", minimum=1, maximum=MAX_ID, required=True)
    org = sel.electable_orgs(request.user).filter(pk=org_id).first() if org_id else None
    if org_id and org is None:
        b.error("org_id", _("No such organisation in your keeping."))
    held_on = b.day("held_on", required=True)
    seats = b.integer("seats", minimum=1, maximum=services.MAX_CANDIDATES, required=True)
    entitled = b.integer("entitled", minimum=1, maximum=10**6)
    present = b.integer("present", minimum=0, maximum=10**6, required=True)
    meeting_id = b.integer("meeting_id", minimum=1, maximum=MAX_ID)
    contested = b.boolean("contested", default=True)
    note = b.text("note", max_length=services.MAX_NOTE)
    candidates = _candidates(b, org)
    meeting = None
    if meeting_id and org is not None:
        meeting = Meeting.objects.filter(pk=meeting_id, org=org).first()
        if meeting is None:
            b.error("meeting_id", _("No such meeting of the organisation."))
    b.check()
    with fields_as_422(RENAMED):
        election = services.record_election(
            actor=request.user,
            org=org,
            held_on=held_on,
            seats=seats,
            entitled=entitled,
            present=present,
            candidates=candidates,
            meeting=meeting,
            contested=contested,
            note=note,
        )
    election = sel.get_election(request.user, election.pk)
    return Status(201, _detail(election))


@router.get("/{election_id}", response=ElectionOut)
def get_election(request, election_id: int):
    """One election with its checks in words."""
    require_keeper(request.user)
    return _detail(sel.get_election(request.user, election_id))
