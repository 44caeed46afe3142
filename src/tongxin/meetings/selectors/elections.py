"""Reads of elections and terms (issue 5 §5). Scoped to the keepers of the member registry
(members.access / MEMBER_KEEPERS): an election is seen by the keepers of its org's subtree;
anything else answers 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.http import Http404
from django.utils import timezone

from tongxin.meetings.models import Election
from tongxin.meetings.rules import terms as trules
from tongxin.meetings.services.elections import lead_days, result_of
from tongxin.members.models import MEMBER_KEEPERS
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import Org

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_ID = 2**63 - 1


def elections_visible(user):
    return Election.objects.visible_to(user, MEMBER_KEEPERS)


def electable_orgs(user):
    """Orgs with a term of office the user keeps (every type but the party group)."""
    return (
        Org.objects.visible_to(user, MEMBER_KEEPERS)
        .filter(active=True)
        .exclude(type=org_rules.PARTY_GROUP)
    )


def org_for(user, pk) -> Org:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < pk <= MAX_ID:
        raise Http404
    org = electable_orgs(user).filter(pk=pk).first()
    if org is None:
        raise Http404
    return org


def elections_for(
    user, *, org: Org | None = None, after: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[Election], int | None]:
    """Elections in scope (of `org`'s subtree), newest recorded first, keyset by id."""
    qs = elections_visible(user).select_related("org").order_by("-id")
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    if after:
        qs = qs.filter(pk__lt=after)
    rows = list(qs[: limit + 1])
    page = rows[:limit]
    return page, (page[-1].pk if len(rows) > limit else None)


def get_election(user, pk) -> Election:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < pk <= MAX_ID:
        raise Http404
    election = (
        elections_visible(user)
        .select_related("org", "meeting", "recorded_by")
        .prefetch_related("candidates")
        .filter(pk=pk)
        .first()
    )
    if election is None:
        raise Http404
    return election


@dataclass(frozen=True)
class TermRow:
    org: Org
    ends_on: date
    days_left: int
    overdue: bool


def terms_due(
    user, *, org: Org | None = None, today: date | None = None, limit: int = 200
) -> list[TermRow]:
    """Orgs in the user's keeping whose term ends within the reminder lead time or has
    ended (overdue re-election), soonest first."""
    today = today or timezone.localdate()
    days = lead_days()
    qs = Org.objects.visible_to(user, MEMBER_KEEPERS).filter(
        active=True, term_ends_on__lte=today + timedelta(days=days)
    )
    if org is not None:
        qs = qs.filter(path__startswith=org.path)
    rows = []
    for o in qs.select_related("parent").order_by("term_ends_on", "path")[:limit]:
        status = trules.term_status(ends_on=o.term_ends_on, today=today, lead_days=days)
        rows.append(TermRow(o, o.term_ends_on, status.days_left, status.overdue))
    return rows


def arithmetic_lines(election: Election) -> list[str]:
    """The checks in words, in the reader's language (recomputed from the record)."""
    pairs = [(c.name, c.votes) for c in election.candidates.all()]
    if not pairs:
        return []
    result = result_of(election, pairs)
    figures = [v.text for v in result.violations if v.rule == "election_figures"]
    return figures or result._lines()
