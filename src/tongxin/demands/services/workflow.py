"""Demands: intake, the workflow actions, the resident's side, the overdue check.

INTERFACE (fixed by the lead; the workflow helper implements it — keep these signatures;
pages, API, portal, Open311 and seed code against them).

Errors: Django ValidationError({field: [message]}) for malformed input (nothing written);
ActionRefused (a ValidationError) when the state machine or a rule says no, naming the
rule; Conflict when `expected_version` no longer matches (someone acted first) — pages
and API answer 409 "already changed"; PermissionDenied when the actor may not act.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tongxin.demands.models import Demand, Department
from tongxin.demands.services import actions, intake, overdue
from tongxin.demands.services.common import ActionRefused, Conflict

__all__ = [
    "ActionRefused",
    "Conflict",
    "act",
    "check_overdue",
    "resident_act",
    "route",
    "submit",
    "track",
]


def submit(
    *,
    channel: str,
    category,
    description: str,
    title: str = "",
    community=None,
    address: str = "",
    latitude=None,
    longitude=None,
    contact_name: str = "",
    phone: str = "",
    confidential: bool = False,
    photos: list | None = None,
    actor=None,
    visit=None,
    grid=None,
    open311_client=None,
    external_id: str = "",
    now: datetime | None = None,
) -> Demand:
    """File a demand from any channel: validates (description length, category active and a
    leaf, phone format, location inside the district — a point is located in a grid's
    boundary, which gives grid/community/street; else `community` must be given), checks
    photos (images only, size/count limits), generates the tracking code, sets the
    acceptance clock, writes the "submit" event, notifies the community's dispatchers
    (core.notify) and texts the resident the code (core.outbound) on commit."""
    return intake.submit(
        channel=channel,
        category=category,
        description=description,
        title=title,
        community=community,
        address=address,
        latitude=latitude,
        longitude=longitude,
        contact_name=contact_name,
        phone=phone,
        confidential=confidential,
        photos=photos,
        actor=actor,
        visit=visit,
        grid=grid,
        open311_client=open311_client,
        external_id=external_id,
        now=now,
    )


def act(
    *,
    actor,
    demand: Demand,
    action: str,
    expected_version: int | None = None,
    note: str = "",
    now: datetime | None = None,
    **params: Any,
) -> Demand:
    """Perform a workflow action of rules.ACTIONS on the demand (locked with
    select_for_update). Params by action: refuse(reason), mark_duplicate(original: Demand —
    a duplicate of a duplicate links to the root), dispatch(department: Department | None —
    None: the community handles it, straight to HANDLING; param omitted: route()),
    return(reason), progress(note required, photos=[], public=False), escalate(reason),
    summon(departments: list), answer_summons(summons, answer), answer(answer),
    rate(rating, comment), close(), return_visit(rating="" — a rating heard on the phone),
    archive(), supervise(note, due_at=None), request_extension(limit_value,
    limit_unit="working_days", reason), decide_extension(extension, approve: bool).
    `reason`/`answer`/`note` fall back to `note` when not given. Writes one DemandEvent
    (public where the resident should see it), bumps `version`, audits, notifies on commit.

    Order of checks (after the row lock): `expected_version` stale → Conflict; the actor
    has no role on the demand at all → PermissionDenied (pages answer 404); the state does
    not allow the action → ActionRefused(rule="state"); the actor's roles do not include
    the action's `who` → PermissionDenied; then the action's own rules (ActionRefused with
    rules.RULE_*) and input (ValidationError naming the field). Nothing is written on any
    error. Returns the updated (locked) demand; the instance passed in is not refreshed."""
    return actions.act(
        actor=actor,
        demand=demand,
        action=action,
        expected_version=expected_version,
        note=note,
        now=now,
        **params,
    )


def track(*, code: str, phone_tail: str) -> Demand | None:
    """The portal's lookup: the demand when the code AND the last four phone digits match,
    else None (never say which one was wrong)."""
    return intake.track(code=code, phone_tail=phone_tail)


def resident_act(
    *,
    code: str,
    phone_tail: str,
    action: str,
    rating: str = "",
    comment: str = "",
    now: datetime | None = None,
) -> Demand:
    """The resident rates ("rate") or reopens ("reopen", once, when unsatisfied) from the
    tracking page. Same errors as act(); a wrong code/phone → ValidationError on "code"."""
    return actions.resident_act(
        code=code, phone_tail=phone_tail, action=action, rating=rating, comment=comment, now=now
    )


def route(category, community) -> Department | None:
    """The handling department by the routing rules (most specific area first); None: the
    community handles it itself."""
    return actions.route(category, community)


def check_overdue(*, now: datetime | None = None) -> dict[str, int]:
    """Mark demands past their acceptance/handling/return-visit due times, and summonses
    past theirs, as overdue, notify handlers and their supervisors once per item; returns
    counts. Runs every few minutes."""
    return overdue.check_overdue(now=now)
