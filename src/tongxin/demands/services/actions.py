"""The workflow actions (rules.ACTIONS) on one demand, for staff and for the resident."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tongxin.core import audit, workdays
from tongxin.core.scoping import scope_paths
from tongxin.demands import access, rules
from tongxin.demands.models import (
    Demand,
    Department,
    Escalation,
    ExtensionRequest,
    LimitUnit,
    Rating,
    RoutingRule,
    Summons,
    Supervision,
)
from tongxin.demands.services.common import (
    ActionRefused,
    Conflict,
    calendar,
    dispatchers_of,
    event,
    handlers_of,
    limits,
    lock,
    notify_on_commit,
    now_or,
    schedule,
    sms_on_commit,
    street_staff_of,
    users_with_role,
)

REASON_MAX = 300
ANSWER_MAX = 2000
NOTE_MAX = 2000
_UNSET = object()


@dataclass
class Ctx:
    demand: Demand
    actor: Any
    who: set[str]
    now: datetime
    note: str
    params: dict
    payload: dict = field(default_factory=dict)
    public_note: str = ""
    event_note: str = ""  # the event's note when the actor wrote none (a reason, an answer)
    after: list = field(default_factory=list)  # fn(event), run once the event is written
    event_public: bool | None = None


def _text(ctx: Ctx, name: str, *, max_length: int, required: bool = True, label=None) -> str:
    value = ctx.params.get(name)
    if value is None and name in ("reason", "answer", "note"):
        value = ctx.note  # the note doubles as the reason/answer when that is not given
    value = str(value or "").strip()
    if "\x00" in value:  # PostgreSQL cannot store it; Django's forms refuse it the same way
        raise ValidationError({name: [_("Null characters are not allowed.")]})
    if required and not value:
        raise ValidationError({name: [_("This field is required.")]})
    if len(value) > max_length:
        raise ValidationError({name: [_("At most %(n)d characters.") % {"n": max_length}]})
    return value


def route(category, community) -> Department | None:
    """The handling department by the routing rules: the most specific area first
    (community, street, district), within an area the subcategory's rule before its parent's;
    None when the community handles it itself (or no rule applies)."""
    ids = [category.pk] + ([category.parent_id] if category.parent_id else [])
    rows = (
        RoutingRule.objects.filter(category_id__in=ids)
        .exclude(department__active=False)
        .values_list("category_id", "area__path", "department_id")
    )
    routes = [
        rules.Route(area_path=path or "", department=dept, specific=cat == category.pk)
        for cat, path, dept in rows
    ]
    chosen = rules.choose_route(routes, community.path)
    if chosen is None or chosen.department is None:
        return None
    return Department.objects.get(pk=chosen.department)


def _handle_limit(demand: Demand) -> rules.Limit:
    cat = demand.category
    return rules.handle_limit(
        limit_value=cat.limit_value, limit_unit=cat.limit_unit, urgent=cat.urgent, limits=limits()
    )


def _start_clock(demand: Demand, now: datetime) -> None:
    demand.due_at = rules.handle_due(now, _handle_limit(demand), calendar())


# ------------------------------------------------------------------ the actions


def _accept(ctx: Ctx) -> str:
    d = ctx.demand
    d.accepted_at = ctx.now
    _start_clock(d, ctx.now)
    ctx.payload["due_at"] = d.due_at.isoformat()
    return rules.ACCEPTED


def _refuse(ctx: Ctx) -> str:
    d = ctx.demand
    reason = _text(ctx, "reason", max_length=REASON_MAX)
    d.refuse_reason = reason
    d.accepted_at = d.accepted_at or ctx.now  # the dispatcher's response
    ctx.public_note = reason
    sms_on_commit(
        d,
        _("Your demand %(code)s was not accepted: %(reason)s") % {"code": d.code, "reason": reason},
        kind="demand_refused",
    )
    return rules.REFUSED


def _mark_duplicate(ctx: Ctx) -> str:
    d = ctx.demand
    original = ctx.params.get("original")
    if not isinstance(original, Demand):
        try:
            original = Demand.objects.get(pk=int(original))
        except (Demand.DoesNotExist, TypeError, ValueError):
            raise ValidationError({"original": [_("Choose the original demand.")]}) from None
    if not Demand.objects.visible_to(ctx.actor).filter(pk=original.pk).exists():
        raise ValidationError({"original": [_("Choose the original demand.")]})
    seen = {d.pk}
    while original.duplicate_of_id is not None and original.pk not in seen:  # link to the root
        seen.add(original.pk)
        original = original.duplicate_of
    if original.pk == d.pk:
        raise ActionRefused(
            rules.RULE_DUPLICATE_SELF, _("A demand cannot be a duplicate of itself.")
        )
    d.duplicate_of = original
    d.accepted_at = d.accepted_at or ctx.now
    ctx.payload["original"] = original.pk
    ctx.payload["original_code"] = original.code
    ctx.public_note = _("Handled together with demand %(code)s.") % {"code": original.code}
    return rules.DUPLICATE


def _dispatch(ctx: Ctx) -> str:
    d = ctx.demand
    department = ctx.params.get("department", _UNSET)
    if department is _UNSET:
        department = route(d.category, d.community)
    elif department not in (None, "") and not isinstance(department, Department):
        try:
            department = Department.objects.get(pk=int(department))
        except (Department.DoesNotExist, TypeError, ValueError):
            raise ValidationError(
                {"department": [_("Choose a department from the list.")]}
            ) from None
    department = department or None
    if department is not None and not department.active:
        raise ValidationError({"department": [_("This department no longer takes demands.")]})
    was = d.state
    d.department = department
    d.handler = None
    d.dispatched_at = ctx.now
    if was == rules.REOPENED or d.due_at is None:
        _start_clock(d, ctx.now)
    ctx.payload.update(
        department=department.pk if department else None,
        department_name=department.name if department else "",
        due_at=d.due_at.isoformat() if d.due_at else None,
    )
    if department is None:
        d.handler = ctx.actor if getattr(ctx.actor, "is_authenticated", False) else None
        ctx.public_note = _("Handled by the community.")
        return rules.target_state("dispatch", was, self_handled=True)
    ctx.public_note = _("Dispatched to %(department)s.") % {"department": department.name}
    notify_on_commit(
        list(department.handlers.filter(is_active=True)),
        kind="demand_dispatched",
        subject=_("Demand %(code)s dispatched to %(department)s")
        % {"code": d.code, "department": department.name},
        demand=d,
    )
    return rules.DISPATCHED


def _claim(ctx: Ctx) -> str:
    ctx.demand.handler = ctx.actor
    return rules.HANDLING


def _return(ctx: Ctx) -> str:
    d = ctx.demand
    reason = _text(ctx, "reason", max_length=REASON_MAX)
    dept = d.department
    ctx.payload.update(
        department=dept.pk if dept else None,
        department_name=dept.name if dept else "",
        reason=reason,
    )
    ctx.event_note = reason
    d.department = None
    d.handler = None
    notify_on_commit(
        dispatchers_of(d),
        kind="demand_returned",
        subject=_("Demand %(code)s returned for re-dispatch: %(reason)s")
        % {"code": d.code, "reason": reason},
        demand=d,
    )
    return rules.RETURNED


def _progress(ctx: Ctx) -> str:
    from tongxin.demands.services.intake import check_photos, save_photos

    _text(ctx, "note", max_length=NOTE_MAX)
    errors: dict = {}
    checked = check_photos(ctx.params.get("photos") or [], errors)
    if errors:
        raise ValidationError(errors)
    if ctx.params.get("public"):
        ctx.event_public = True
    if checked:
        ctx.after.append(lambda ev: save_photos(ctx.demand, checked, ev))
    return ctx.demand.state


def _escalate(ctx: Ctx) -> str:
    d = ctx.demand
    reason = _text(ctx, "reason", max_length=REASON_MAX)
    esc = Escalation.objects.create(
        demand=d,
        from_org=d.community,
        to_org=d.street,
        by=ctx.actor,
        reason=reason,
    )
    d.escalated = True
    ctx.payload.update(escalation=esc.pk, reason=reason)
    ctx.event_note = reason
    notify_on_commit(
        street_staff_of(d),
        kind="demand_escalated",
        subject=_("Demand %(code)s escalated to the street: %(reason)s")
        % {"code": d.code, "reason": reason},
        demand=d,
    )
    return rules.ESCALATED


def _summon(ctx: Ctx) -> str:
    d = ctx.demand
    esc = d.escalations.order_by("-id").first()
    raw = ctx.params.get("departments") or []
    if isinstance(raw, Department | int | str):
        raw = [raw]
    departments = []
    for item in raw:
        if isinstance(item, Department):
            departments.append(item)
            continue
        try:
            departments.append(Department.objects.get(pk=int(item), active=True))
        except (Department.DoesNotExist, TypeError, ValueError):
            raise ValidationError(
                {"departments": [_("Choose departments from the list.")]}
            ) from None
    if not departments:
        raise ValidationError({"departments": [_("Choose at least one department.")]})
    already = set(
        Summons.objects.filter(escalation=esc, department__in=departments).values_list(
            "department_id", flat=True
        )
    )
    if already:
        names = ", ".join(x.name for x in departments if x.pk in already)
        raise ValidationError(
            {"departments": [_("Already summoned: %(names)s.") % {"names": names}]}
        )
    due = d.due_at or rules.handle_due(ctx.now, _handle_limit(d), calendar())
    created = [
        Summons.objects.create(escalation=esc, department=dep, due_at=due) for dep in departments
    ]
    ctx.payload["summonses"] = [s.pk for s in created]
    ctx.payload["departments"] = [dep.pk for dep in departments]
    for dep in departments:
        notify_on_commit(
            list(dep.handlers.filter(is_active=True)),
            kind="demand_summoned",
            subject=_("%(department)s is summoned on demand %(code)s")
            % {"department": dep.name, "code": d.code},
            demand=d,
        )
    return d.state


def _answer_summons(ctx: Ctx) -> str:
    d = ctx.demand
    summons = ctx.params.get("summons")
    sid = summons.pk if isinstance(summons, Summons) else summons
    try:
        summons = Summons.objects.select_for_update().get(pk=int(sid), escalation__demand=d)
    except (Summons.DoesNotExist, TypeError, ValueError):
        raise ValidationError({"summons": [_("Choose a summons of this demand.")]}) from None
    if not summons.department.handlers.filter(pk=getattr(ctx.actor, "pk", None)).exists():
        raise PermissionDenied(_("Only the summoned department answers its summons."))
    if summons.state != Summons.State.SUMMONED:
        raise ActionRefused(
            rules.RULE_SUMMONS_ANSWERED, _("This summons has already been answered.")
        )
    answer = _text(ctx, "answer", max_length=ANSWER_MAX)
    summons.state = Summons.State.ANSWERED
    summons.answer = answer
    summons.answered_by = ctx.actor
    summons.answered_at = ctx.now
    summons.save()
    ctx.payload.update(summons=summons.pk, department=summons.department_id)
    ctx.event_note = answer
    notify_on_commit(
        street_staff_of(d),
        kind="demand_summons_answered",
        subject=_("%(department)s answered its summons on demand %(code)s")
        % {"department": summons.department.name, "code": d.code},
        demand=d,
    )
    return d.state


def _answer(ctx: Ctx) -> str:
    d = ctx.demand
    if d.state == rules.ESCALATED and rules.STREET not in ctx.who:
        # a summoned department answers its summons; the street answers the resident
        if not (
            access.handles_department(ctx.actor, d.department_id)
            or (d.department_id is None and rules.DISPATCHER in ctx.who)
        ):
            raise PermissionDenied(_("The street answers an escalated demand."))
    answer = _text(ctx, "answer", max_length=ANSWER_MAX)
    d.answer = answer
    d.answered_at = ctx.now
    start = d.accepted_at or d.created_at
    d.handling_minutes = workdays.working_minutes_between(start, ctx.now, calendar(), schedule())
    ctx.public_note = answer
    ctx.payload["on_time"] = d.due_at is None or ctx.now <= d.due_at
    notify_on_commit(
        dispatchers_of(d),
        kind="demand_answered",
        subject=_("Demand %(code)s answered: check and close it") % {"code": d.code},
        demand=d,
    )
    sms_on_commit(
        d,
        _(
            "Your demand %(code)s has been answered. See the answer and rate it on the "
            "residents' portal."
        )
        % {"code": d.code},
        kind="demand_answered",
    )
    return rules.ANSWERED


def _close(ctx: Ctx) -> str:
    d = ctx.demand
    d.closed_at = ctx.now
    d.visit_due_at = rules.visit_due(ctx.now, limits=limits(), cal=calendar())
    return rules.CLOSED


def _rating(ctx: Ctx, required: bool) -> str:
    rating = str(ctx.params.get("rating") or "").strip()
    if not rating and not required:
        return ""
    if rating not in Rating.values:
        raise ValidationError({"rating": [_("Choose satisfied, basically satisfied or not.")]})
    return rating


def _rate(ctx: Ctx) -> str:
    d = ctx.demand
    d.rating = _rating(ctx, True)
    d.rating_comment = _text(ctx, "comment", max_length=REASON_MAX, required=False)
    d.rated_at = ctx.now
    ctx.payload.update(rating=d.rating)
    ctx.public_note = d.rating_comment
    if d.rating == rules.UNSATISFIED:
        notify_on_commit(
            dispatchers_of(d),
            kind="demand_unsatisfied",
            subject=_("The resident is not satisfied with demand %(code)s") % {"code": d.code},
            demand=d,
        )
    return rules.RATED


def _reopen(ctx: Ctx) -> str:
    d = ctx.demand
    refusal = rules.check_reopen(reopen_count=d.reopen_count, rating=d.rating)
    if refusal:
        raise ActionRefused(refusal.rule, _(refusal.message))
    comment = _text(ctx, "comment", max_length=REASON_MAX, required=False) or ctx.note[:REASON_MAX]
    ctx.payload.update(
        previous_answer=d.answer,
        previous_rating=d.rating or rules.UNSATISFIED,
        previous_due_at=d.due_at.isoformat() if d.due_at else None,
    )
    d.reopen_count += 1
    d.rating = ""
    d.rating_comment = ""
    d.rated_at = None
    d.answer = ""
    d.answered_at = None
    d.closed_at = None
    d.visit_due_at = None
    d.handling_minutes = None
    _start_clock(d, ctx.now)
    ctx.public_note = comment
    notify_on_commit(
        dispatchers_of(d),
        kind="demand_reopened",
        subject=_("Demand %(code)s reopened by the resident") % {"code": d.code},
        demand=d,
    )
    return rules.REOPENED


def _return_visit(ctx: Ctx) -> str:
    d = ctx.demand
    rating = _rating(ctx, False)
    if rating and not d.rating:
        d.rating = rating
        d.rated_at = ctx.now
        ctx.payload["rating"] = rating
    ctx.payload["on_time"] = d.visit_due_at is None or ctx.now <= d.visit_due_at
    return rules.VISITED


def _archive(ctx: Ctx) -> str:
    return rules.ARCHIVED


def _supervise(ctx: Ctx) -> str:
    d = ctx.demand
    note = _text(ctx, "note", max_length=REASON_MAX)
    street_paths = scope_paths(ctx.actor, frozenset({"street_admin"}))
    if any(d.street.path.startswith(p) for p in street_paths):
        org = d.street
    else:
        org = d.street.parent
    if Supervision.objects.filter(demand=d, org=org, lifted_at__isnull=True).exists():
        raise ActionRefused(
            rules.RULE_ALREADY_SUPERVISED, _("This body already supervises the demand.")
        )
    due = ctx.params.get("due_at") or None
    sup = Supervision.objects.create(demand=d, org=org, by=ctx.actor, note=note, due_at=due)
    d.supervised = True
    ctx.payload.update(supervision=sup.pk, org=org.pk)
    notify_on_commit(
        handlers_of(d) + dispatchers_of(d),
        kind="demand_supervised",
        subject=_("Demand %(code)s is under supervision by %(org)s")
        % {"code": d.code, "org": org.name},
        body=note,
        demand=d,
    )
    return d.state


def _request_extension(ctx: Ctx) -> str:
    d = ctx.demand
    if d.extensions.filter(decision=ExtensionRequest.Decision.PENDING).exists():
        raise ActionRefused(
            rules.RULE_EXTENSION_PENDING, _("An extension request is already waiting.")
        )
    unit = str(ctx.params.get("limit_unit") or LimitUnit.WORKING_DAYS)
    if unit not in LimitUnit.values:
        raise ValidationError({"limit_unit": [_("Choose working days or hours.")]})
    top = 30 if unit == LimitUnit.WORKING_DAYS else 240
    try:
        value = int(ctx.params.get("limit_value"))
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= top:
        raise ValidationError({"limit_value": [_("Between 1 and %(n)d.") % {"n": top}]})
    reason = _text(ctx, "reason", max_length=REASON_MAX)
    ext = ExtensionRequest.objects.create(
        demand=d, requested_by=ctx.actor, limit_value=value, limit_unit=unit, reason=reason
    )
    ctx.payload.update(extension=ext.pk, limit_value=value, limit_unit=unit, reason=reason)
    ctx.event_note = reason
    if d.department_id:
        approvers = users_with_role({"street_admin", "district_admin"}, [d.department.org_id])
    else:
        approvers = street_staff_of(d)
    notify_on_commit(
        approvers,
        kind="demand_extension_requested",
        subject=_("Extension requested on demand %(code)s") % {"code": d.code},
        body=reason,
        demand=d,
    )
    return d.state


def _decide_extension(ctx: Ctx) -> str:
    d = ctx.demand
    ext = ctx.params.get("extension")
    eid = ext.pk if isinstance(ext, ExtensionRequest) else ext
    try:
        ext = ExtensionRequest.objects.select_for_update().get(pk=int(eid), demand=d)
    except (ExtensionRequest.DoesNotExist, TypeError, ValueError):
        raise ValidationError(
            {"extension": [_("Choose an extension request of this demand.")]}
        ) from None
    if not access.may_decide_extension(ctx.actor, d):
        raise PermissionDenied(_("An extension is decided one level above the handler."))
    if ext.decision != ExtensionRequest.Decision.PENDING:
        raise ActionRefused(rules.RULE_EXTENSION_DECIDED, _("This request was already decided."))
    if ext.requested_by_id is not None and ext.requested_by_id == getattr(ctx.actor, "pk", None):
        raise ActionRefused(
            rules.RULE_OWN_EXTENSION, _("You cannot decide your own extension request.")
        )
    approve = bool(ctx.params.get("approve"))
    ext.decided_by = ctx.actor
    ext.decided_at = ctx.now
    ext.old_due_at = d.due_at
    if approve:
        base = d.due_at or ctx.now
        d.due_at = rules.extended_due(
            base, value=ext.limit_value, unit=ext.limit_unit, cal=calendar()
        )
        ext.new_due_at = d.due_at
        ext.decision = ExtensionRequest.Decision.APPROVED
        if d.overdue and d.due_at > ctx.now:
            d.overdue = False
            d.overdue_since = None
    else:
        ext.decision = ExtensionRequest.Decision.REJECTED
    ext.save()
    ctx.payload.update(
        extension=ext.pk,
        approved=approve,
        old_due_at=ext.old_due_at.isoformat() if ext.old_due_at else None,
        new_due_at=ext.new_due_at.isoformat() if ext.new_due_at else None,
    )
    if ext.requested_by_id:
        notify_on_commit(
            [ext.requested_by],
            kind="demand_extension_decided",
            subject=(
                _("Extension approved on demand %(code)s")
                if approve
                else _("Extension rejected on demand %(code)s")
            )
            % {"code": d.code},
            demand=d,
        )
    return d.state


HANDLERS = {
    "accept": _accept,
    "refuse": _refuse,
    "mark_duplicate": _mark_duplicate,
    "dispatch": _dispatch,
    "claim": _claim,
    "return": _return,
    "progress": _progress,
    "escalate": _escalate,
    "summon": _summon,
    "answer_summons": _answer_summons,
    "answer": _answer,
    "close": _close,
    "rate": _rate,
    "reopen": _reopen,
    "return_visit": _return_visit,
    "archive": _archive,
    "supervise": _supervise,
    "request_extension": _request_extension,
    "decide_extension": _decide_extension,
}
assert set(HANDLERS) == set(rules.ACTIONS)


def _perform(
    *,
    demand: Demand,
    actor,
    who: set[str],
    action: str,
    expected_version: int | None,
    note: str,
    now: datetime,
    params: dict,
    actor_label: str = "",
) -> Demand:
    spec = rules.ACTIONS[action]
    d = lock(demand)
    # a stale version first: a handler whose demand was just returned by a colleague gets
    # "already changed", not "not yours" (callers look demands up through visible_to first)
    if expected_version is not None and d.version != int(expected_version):
        raise Conflict(_("This demand was changed by someone else; reload it and try again."))
    if who is None:
        who = access.roles_for(actor, d)
        if not who:  # outside the actor's business altogether: pages answer 404
            raise PermissionDenied(_("You may not do this on this demand."))
    refusal = rules.check_action(action, d.state)
    if refusal:
        raise ActionRefused(refusal.rule, _(refusal.message))
    if not who & spec.who:
        raise PermissionDenied(_("You may not do this on this demand."))
    note = str(note or "").strip()
    if "\x00" in note:
        raise ValidationError({"note": [_("Null characters are not allowed.")]})
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": [_("At most %(n)d characters.") % {"n": NOTE_MAX}]})
    ctx = Ctx(demand=d, actor=actor, who=who, now=now, note=note, params=params)
    from_state = d.state
    to_state = HANDLERS[action](ctx)
    d.state = to_state
    d.version += 1
    d.save()
    public_note = ctx.public_note or (note if ctx.event_public else "")
    ev = event(
        d,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        actor_label=actor_label,
        note=note or ctx.event_note or ctx.public_note,
        payload={**ctx.payload, **({"public_note": public_note} if public_note else {})},
        at=now,
        public=ctx.event_public,
    )
    for fn in ctx.after:
        fn(ev)
    audit.record(
        actor=actor if getattr(actor, "is_authenticated", False) else (actor_label or "resident"),
        action=f"demand.{action}",
        obj=d,
        changes={"state": [from_state, to_state], "version": [d.version - 1, d.version]},
    )
    return d


@transaction.atomic
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
    """See services.workflow.act."""
    if action not in rules.ACTIONS:
        raise ActionRefused("unknown_action", _("There is no such action."))
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Sign in to act on demands."))
    return _perform(
        demand=demand,
        actor=actor,
        who=None,
        action=action,
        expected_version=expected_version,
        note=note,
        now=now_or(now),
        params=params,
    )


RESIDENT_ACTIONS = frozenset({"rate", "reopen"})


@transaction.atomic
def resident_act(
    *,
    code: str,
    phone_tail: str,
    action: str,
    rating: str = "",
    comment: str = "",
    now: datetime | None = None,
) -> Demand:
    """See services.workflow.resident_act."""
    from tongxin.demands.services.intake import track

    demand = track(code=code, phone_tail=phone_tail)
    if demand is None:
        raise ValidationError(
            {"code": [_("No demand matches this tracking code and phone number.")]}
        )
    if action not in RESIDENT_ACTIONS:
        raise ValidationError({"action": [_("Choose rate or reopen.")]})
    params: dict[str, Any] = {"comment": comment}
    if action == "rate":
        params["rating"] = rating
    return _perform(
        demand=demand,
        actor=None,
        who={rules.RESIDENT},
        action=action,
        expected_version=None,
        note="",
        now=now_or(now),
        params=params,
        actor_label="resident",
    )
