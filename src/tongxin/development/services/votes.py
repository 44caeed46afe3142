"""record_vote: the branch general meeting's vote on admission (step 15) or conversion
(step 23), counted against who should attend (DOMAIN.md §6 rule 8)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongxin.core import audit
from tongxin.development import access, rules
from tongxin.development.models import Applicant, FileEvent, Vote
from tongxin.development.services.common import (
    StepRefused,
    as_date,
    as_ids,
    as_int,
    event,
    file_of,
    lock,
    require_open,
    today_or,
)
from tongxin.members.selectors.floating import voters_of

MSG_NOT_ON_ROSTER = gettext_lazy(
    "%(count)s of those named are not on the roster of members who should attend."
)
MSG_PRESENT_AND_WRITTEN = gettext_lazy(
    "A member present cannot also give a written opinion as an absentee."
)
WRITTEN_VOTES = ("yes", "no", "abstain")


def _violation(rule, article, message, **params) -> rules.Violation:
    return rules.Violation(rule, article, message, params)


def _written(raw) -> list[dict]:
    if raw is None:
        return []
    if not isinstance(raw, list | tuple):
        raise ValidationError({"written": [_("Give a list of written opinions.")]})
    out, seen = [], set()
    for item in raw:
        if not isinstance(item, dict) or item.get("vote") not in WRITTEN_VOTES:
            raise ValidationError(
                {"written": [_('Each written opinion is {"member": id, "vote": yes|no|abstain}.')]}
            )
        member = as_int(item.get("member"), "written", minimum=1)
        if member in seen:
            raise ValidationError({"written": [_("A member is named twice.")]})
        seen.add(member)
        out.append({"member": member, "vote": item["vote"]})
    return out


@transaction.atomic
def record_vote(
    *,
    actor,
    applicant: Applicant,
    meeting_on: date,
    present: list[int] | int,
    yes: int,
    no: int,
    abstain: int,
    written: list[dict] | None = None,
    today: date | None = None,
) -> Vote:
    """The branch meeting's vote for the file's next step (15 or 23). `roster` comes from
    voters_of(applicant.org, meeting_on); present/written are member ids of it. Impossible
    figures (attendees beyond the roster, ballots beyond attendees) → StepRefused.

    `present` is the list of member ids present, or only their number. A vote that did not
    pass is recorded too (the meeting took place); the step it was for is then refused."""
    today = today_or(today)
    applicant = lock(applicant)
    access.require_file(actor, applicant)
    require_open(applicant)
    meeting_on = as_date(meeting_on, "meeting_on")
    yes, no, abstain = (
        as_int(v, n, minimum=None) for v, n in ((yes, "yes"), (no, "no"), (abstain, "abstain"))
    )
    written = _written(written)
    if isinstance(present, list | tuple):
        present_ids: list[int] | None = as_ids(present, "present")
    else:
        present_ids = None
        present_count = as_int(present, "present", minimum=None)
    file = file_of(applicant)
    step = file.next_step
    if step not in (15, 23):
        wanted = 15 if (step or 26) < 15 else 23
        raise StepRefused(
            [
                _violation(
                    "step_order",
                    rules.ART_ORDER,
                    rules.MSG["step_order"],
                    step=wanted,
                    next=step or "-",
                )
            ]
        )
    access.require_step(actor, applicant, step)
    previous = file.done(file.last_step)
    if previous is not None and meeting_on < previous:
        raise StepRefused(
            [
                _violation(
                    "date_order",
                    rules.ART_ORDER,
                    rules.MSG["date_order"],
                    date=previous.isoformat(),
                )
            ]
        )
    if meeting_on > today:
        raise StepRefused([_violation("date_future", rules.ART_ORDER, rules.MSG["date_future"])])
    roster = list(voters_of(applicant.org, meeting_on).values_list("pk", flat=True))
    on_roster = set(roster)
    violations: list[rules.Violation] = []
    named = (present_ids or []) + [w["member"] for w in written]
    strangers = [pk for pk in named if pk not in on_roster]
    if strangers:
        violations.append(
            _violation("vote_figures", rules.ART_QUORUM, MSG_NOT_ON_ROSTER, count=len(strangers))
        )
    if present_ids is not None and set(present_ids) & {w["member"] for w in written}:
        violations.append(_violation("vote_figures", rules.ART_VOTE, MSG_PRESENT_AND_WRITTEN))
    attended = len(present_ids) if present_ids is not None else present_count
    written_yes = sum(1 for w in written if w["vote"] == "yes")
    written_no = sum(1 for w in written if w["vote"] == "no")
    result = rules.vote_result(
        len(roster), attended, yes, no, abstain, written_yes=written_yes, written_no=written_no
    )
    violations += list(result.violations)
    if violations:
        raise StepRefused(violations)
    vote = Vote.objects.create(
        applicant=applicant,
        step=step,
        meeting_on=meeting_on,
        roster=roster,
        present=present_ids or [],
        written=written,
        should_attend=len(roster),
        attended=attended,
        yes=yes,
        no=no,
        abstain=abstain,
        written_yes=written_yes,
        written_no=written_no,
        quorum_met=result.quorum_met,
        passed=result.passed,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    event(
        applicant,
        actor=actor,
        kind=FileEvent.Kind.VOTE,
        step=step,
        note=result.arithmetic,
        payload={"vote": vote.pk, "meeting_on": meeting_on.isoformat(), "passed": vote.passed},
    )
    audit.record(
        actor=actor,
        action="record_vote",
        obj=applicant,
        changes={
            "vote": [None, f"{step} {meeting_on.isoformat()} {yes}/{no}/{abstain}"],
            "passed": [None, vote.passed],
        },
    )
    return vote
