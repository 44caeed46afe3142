"""Recording elections and reminding of terms (issue 5 §5; DOMAIN.md §3.5–3.6).

`record_election` checks the figures, runs the arithmetic of `rules.elections` and writes the
Election with its Candidates in one transaction. Decisions:

* **Impossible figures are refused** (nothing written, a field-named ValidationError): a date
  in the future, fewer candidates than seats, votes above those present, more present than
  entitled, a candidate twice or not of the org, a meeting of another org.
* **A failed election is recorded, not refused**: too few candidates (差额 below 20 %) or not
  more than four fifths present → state "invalid" with the violations in `result`, nobody
  elected, the term unchanged — the failed election stays on file for the level above.
* A valid election elects those with more than half of the votes of those PRESENT (most
  votes first; a tie across the last seat is left undecided). When someone is elected, the
  org's term starts on the election date and ends after the term of its type
  (orgs.rules.term_end) — unless a later term is already on file. The term is written here
  rather than through orgs.services.update_org because a branch secretary records their own
  branch's election but does not manage orgs; the change is audited on the org all the same.
* Who records: keepers of the org (members.access.keeps: its branch secretary, and the
  community, street and district administrators above it).

`remind_terms(today=…)` notifies, once per org and term end (core.notify key), the keepers
bound to the org and to its parent when the term ends within TONGXIN["TERM_REMINDER_DAYS"]
days, and once more, flagged overdue, from the day after it has ended.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core import audit
from tongxin.core.errors import raise_if
from tongxin.core.notify import notify
from tongxin.meetings.models import Candidate, Election, ElectionState, Meeting
from tongxin.meetings.rules import elections as erules
from tongxin.meetings.rules import terms as trules
from tongxin.members.access import keeps
from tongxin.members.models import MEMBER_KEEPERS, Member
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import Org

MAX_CANDIDATES = 200
MAX_NAME = 50
MAX_NOTE = 4000


@dataclass(frozen=True)
class CandidateIn:
    """One name on the ballot: a member of the org, or a name (e.g. a member recorded
    elsewhere), with the yes votes."""

    votes: int
    member: Member | None = None
    name: str = ""

    @property
    def label(self) -> str:
        return self.member.name if self.member is not None else self.name.strip()


def _candidates(raw: Sequence[Any]) -> list[CandidateIn]:
    out = []
    for item in raw:
        if isinstance(item, CandidateIn):
            out.append(item)
            continue
        who, votes = item
        if isinstance(who, Member):
            out.append(CandidateIn(votes=votes, member=who))
        else:
            out.append(CandidateIn(votes=votes, name=str(who)))
    return out


def has_term(org: Org) -> bool:
    return org_rules.term_years(org.type, org.sector) is not None


def default_entitled(org: Org, held_on: date) -> int:
    from tongxin.members.selectors.floating import voters_of

    return voters_of(org, held_on).count()


def _check(
    *,
    org: Org,
    held_on: date,
    seats: int,
    entitled: int,
    present: int,
    candidates: list[CandidateIn],
    meeting: Meeting | None,
    note: str,
    today: date,
) -> None:
    errors: dict[str, list[str]] = {}

    def err(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not has_term(org):
        err("org", _("%(org)s has no term of office to elect.") % {"org": org.name})
    if held_on > today:
        err("held_on", _("The election date cannot be in the future."))
    if org.founded_on and held_on < org.founded_on:
        err("held_on", _("The election date is before the organisation was founded."))
    if not isinstance(seats, int) or seats < 1 or seats > MAX_CANDIDATES:
        err("seats", _("Enter a number of seats from 1 to %(max)s.") % {"max": MAX_CANDIDATES})
    if entitled < 1:
        err("entitled", _("Nobody is entitled to vote: enter the members entitled to vote."))
    if present < 0:
        err("present", _("The number present cannot be negative."))
    elif present > entitled:
        err(
            "present",
            _("%(present)s present is more than the %(entitled)s entitled to vote.")
            % {"present": present, "entitled": entitled},
        )
    if not candidates:
        err("candidates", _("List the candidates with their votes."))
    elif len(candidates) > MAX_CANDIDATES:
        err("candidates", _("At most %(max)s candidates.") % {"max": MAX_CANDIDATES})
    elif isinstance(seats, int) and len(candidates) < seats:
        err(
            "candidates",
            _(
                "%(n)s candidates for %(seats)s seats: there must be at least as many "
                "candidates as seats."
            )
            % {"n": len(candidates), "seats": seats},
        )
    seen: set[str] = set()
    total = 0
    for c in candidates:
        label = c.label
        if not label:
            err("candidates", _("A candidate has no name."))
            continue
        if len(label) > MAX_NAME:
            err("candidates", _("A name has at most %(n)s characters.") % {"n": MAX_NAME})
        if label in seen:
            err("candidates", _("%(name)s is listed twice.") % {"name": label})
        seen.add(label)
        if c.member is not None and c.member.org_id != org.pk:
            err(
                "candidates",
                _("%(name)s is not a member of %(org)s.") % {"name": label, "org": org.name},
            )
        if not isinstance(c.votes, int) or c.votes < 0:
            err(
                "candidates",
                _("%(name)s: votes must be a whole number, 0 or more.") % {"name": label},
            )
            continue
        total += c.votes
        if c.votes > present:
            err(
                "candidates",
                _("%(name)s has %(votes)s votes but only %(present)s were present.")
                % {"name": label, "votes": c.votes, "present": present},
            )
    if isinstance(seats, int) and seats >= 1 and total > present * seats:
        err(
            "candidates",
            _(
                "%(total)s votes in all, more than %(present)s ballots of at most "
                "%(seats)s names each."
            )
            % {"total": total, "present": present, "seats": seats},
        )
    if meeting is not None and meeting.org_id != org.pk:
        err("meeting", _("The meeting is not a meeting of %(org)s.") % {"org": org.name})
    if len(note) > MAX_NOTE:
        err("note", _("At most %(n)s characters.") % {"n": MAX_NOTE})
    raise_if(errors)


def result_of(election: Election, candidates: Sequence[tuple[str, int]]) -> erules.ElectionResult:
    """The arithmetic of a recorded election (recomputed in the reader's language)."""
    return erules.election_result(
        seats=election.seats,
        candidates=[name for name, _v in candidates],
        entitled=election.entitled,
        present=election.present,
        votes=dict(candidates),
        contested=election.result.get("contested", True),
        surplus_percent=election.result.get("surplus_percent", erules.SURPLUS_PERCENT),
    )


@transaction.atomic
def record_election(
    *,
    actor,
    org: Org,
    held_on: date,
    seats: int,
    present: int,
    candidates: Sequence[Any],
    entitled: int | None = None,
    meeting: Meeting | None = None,
    note: str = "",
    contested: bool = True,
    today: date | None = None,
) -> Election:
    """Record an election (see the module docstring). `candidates`: [(member or name, votes)]
    or CandidateIn; `entitled` defaults to the org's voters on the date (voters_of)."""
    today = today or timezone.localdate()
    org = Org.objects.select_for_update().get(pk=org.pk)
    if not keeps(actor, org):
        raise PermissionDenied(_("You do not keep %(org)s.") % {"org": org.name})
    items = _candidates(candidates)
    if entitled is None:
        entitled = default_entitled(org, held_on) if held_on <= today else 0
    _check(
        org=org,
        held_on=held_on,
        seats=seats,
        entitled=entitled,
        present=present,
        candidates=items,
        meeting=meeting,
        note=note,
        today=today,
    )
    pairs = [(c.label, c.votes) for c in items]
    result = erules.election_result(
        seats=seats,
        candidates=[n for n, _v in pairs],
        entitled=entitled,
        present=present,
        votes=dict(pairs),
        contested=contested,
    )
    state = ElectionState.INVALID if result.violations else ElectionState.VALID
    elected = set(result.elected) if state == ElectionState.VALID else set()
    election = Election.objects.create(
        org=org,
        meeting=meeting,
        held_on=held_on,
        seats=seats,
        entitled=entitled,
        present=present,
        state=state,
        note=note,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        result={
            "contested": contested,
            "surplus_percent": result.surplus_percent,
            "minimum": result.minimum,
            "surplus_met": result.surplus_met,
            "quorum_met": result.valid,
            "elected": sorted(elected),
            "tied": list(result.tied) if state == ElectionState.VALID else [],
            "shortfall": result.shortfall if state == ElectionState.VALID else 0,
            "violations": [v.as_dict() for v in result.violations],
            "arithmetic": result.arithmetic,
        },
    )
    Candidate.objects.bulk_create(
        [
            Candidate(
                election=election,
                member=c.member,
                name=c.label,
                votes=c.votes,
                elected=c.label in elected,
            )
            for c in items
        ]
    )
    audit.record(
        actor=actor,
        action="record_election",
        obj=election,
        changes={"state": [None, state], "elected": [None, sorted(elected)]},
    )
    if elected:
        _start_term(actor, org, held_on)
    return election


def _start_term(actor, org: Org, held_on: date) -> None:
    if org.term_started_on and org.term_started_on > held_on:
        return  # a later term is on file: an older election does not roll it back
    fields = ("term_started_on", "term_ends_on")
    before = audit.snapshot(org, fields)
    org.term_started_on = held_on
    org.term_ends_on = org_rules.term_end(held_on, org.type, org.sector)
    org.save(update_fields=[*fields, "updated_at"])
    changes = audit.diff(before, audit.snapshot(org, fields))
    if changes:
        audit.record(actor=actor, action="term_from_election", obj=org, changes=changes)


# --- reminders ------------------------------------------------------------------------------


def lead_days() -> int:
    return int(settings.TONGXIN.get("TERM_REMINDER_DAYS", trules.DEFAULT_LEAD_DAYS))


def remind_terms(*, today: date | None = None) -> dict[str, int]:
    """Notify the keepers of each org whose term ends within the lead time (once per org and
    term end) or has ended (once more, overdue). Returns {"due", "overdue", "notices"}."""
    from tongxin.accounts.models import RoleAssignment

    today = today or timezone.localdate()
    days = lead_days()
    orgs = list(
        Org.objects.filter(
            active=True, term_ends_on__isnull=False, term_ends_on__lte=today + timedelta(days=days)
        ).only("id", "name", "path", "parent_id", "term_ends_on")
    )
    if not orgs:
        return {"due": 0, "overdue": 0, "notices": 0}
    bound_ids = {o.pk for o in orgs} | {o.parent_id for o in orgs if o.parent_id}
    keepers: dict[int, list] = {}
    for ra in RoleAssignment.objects.filter(
        org_id__in=bound_ids, role__in=MEMBER_KEEPERS, active=True, user__is_active=True
    ).select_related("user"):
        keepers.setdefault(ra.org_id, []).append(ra.user)
    link = reverse("elections:list")
    counts = {"due": 0, "overdue": 0, "notices": 0}
    for org in orgs:
        status = trules.term_status(ends_on=org.term_ends_on, today=today, lead_days=days)
        users = keepers.get(org.pk, []) + keepers.get(org.parent_id, [])
        end = org.term_ends_on.isoformat()
        if status.overdue:
            counts["overdue"] += 1
            kind, key = "term_overdue", f"term-overdue:{org.pk}:{end}"
            subject = _("Re-election overdue: the term of %(org)s ended on %(end)s") % {
                "org": org.name,
                "end": end,
            }
        else:
            counts["due"] += 1
            kind, key = "term_due", f"term-due:{org.pk}:{end}"
            subject = _("The term of %(org)s ends on %(end)s (%(days)s days left)") % {
                "org": org.name,
                "end": end,
                "days": status.days_left,
            }
        body = _("Prepare the re-election (换届选举) and record it in Tongxin.")
        counts["notices"] += notify(
            users, kind=kind, subject=subject, body=body, link=f"{link}?org={org.pk}", key=key
        )
    return counts
