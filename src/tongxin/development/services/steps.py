"""record_step: one of the 25 steps, checked by the rules, with its effects on the member
registry (17 admits, 23 extends, 24 converts or cancels, 25 archives)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tongxin.core import audit
from tongxin.development import access, rules
from tongxin.development.models import Applicant, FileEvent, StepRecord, Vote
from tongxin.development.services.common import (
    StepRefused,
    as_date,
    as_ids,
    as_int,
    as_text,
    event,
    file_of,
    local_rules,
    lock,
    require_open,
    today_or,
)
from tongxin.development.services.standing import refresh_file
from tongxin.members.models import Category, Member, Status, StatusChange
from tongxin.members.rules.registry import under_party_probation
from tongxin.members.services import registry
from tongxin.orgs.models import Org

OUTCOMES = ("convert", "extend", "cancel")
PEOPLE_ROLES = frozenset(
    {"talker", "contact", "introducer", "reviewer", "trainer", "approver", "other"}
)
VOTE_FIGURES = ("should_attend", "attended", "yes", "no", "abstain", "written_yes", "written_no")


def _people(people: Any) -> list[dict]:
    """The people given by the caller: [{"role", "name", "member"?}]."""
    if people is None:
        return []
    if not isinstance(people, list | tuple):
        raise ValidationError({"people": [_("Give a list of people.")]})
    out = []
    for person in people:
        if not isinstance(person, dict):
            raise ValidationError({"people": [_("Give a list of people.")]})
        role = person.get("role", "other")
        if role not in PEOPLE_ROLES:
            raise ValidationError({"people": [_("Unknown role of a person.")]})
        name = as_text(person.get("name"), "people", limit=50, required=True)
        member = person.get("member")
        member = as_int(member, "people", minimum=1, required=False)
        out.append({"role": role, "name": name, "member": member})
    return out


def _members(actor, ids: list[int], field: str) -> list[Member]:
    found = {m.pk: m for m in Member.objects.visible_to(actor).filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise ValidationError({field: [_("Member not found in your scope.")]})
    return [found[pk] for pk in ids]


def _person(member: Member, on: date) -> rules.Person:
    return rules.Person(
        name=member.name,
        full_member=member.category == Category.FULL and member.status == Status.NORMAL,
        under_party_probation=under_party_probation(
            member.party_probation_from, member.party_probation_until, on
        ),
    )


def _vote_for(applicant: Applicant, step: int, on: date) -> Vote | None:
    """The file's last passed vote of that step and date (else its last vote of that date:
    the rules then say why it does not carry the step)."""
    return (
        Vote.objects.filter(applicant=applicant, step=step, meeting_on=on)
        .order_by("-passed", "-id")
        .first()
    )


def _step_data(actor, applicant: Applicant, step: int, on: date, raw: dict):
    """(data the rules read, data stored on the StepRecord, people named by the data,
    approving org or None). Malformed fields raise ValidationError naming them."""
    check: dict[str, Any] = {}
    store: dict[str, Any] = {}
    people: list[dict] = []
    approver = None
    if step == 3:
        for name in ("method", "decided_by"):
            store[name] = as_text(raw.get(name), name, limit=40)
        check = {**store, "branch_has_committee": applicant.org.has_committee}
    elif step in (5, 9):
        field, role = ("contacts", "contact") if step == 5 else ("introducers", "introducer")
        members = _members(actor, as_ids(raw.get(field, []), field), field)
        check[field] = [_person(m, on) for m in members]
        store[field] = [m.pk for m in members]
        people = [{"role": role, "name": m.name, "member": m.pk} for m in members]
    elif step == 10:
        store["conclusion"] = as_text(raw.get("conclusion"), "conclusion", limit=2000)
    elif step == 11:
        store["days"] = as_int(raw.get("days"), "days", required=False) or 0
        store["hours"] = as_int(raw.get("hours"), "hours", required=False) or 0
        store["certificate"] = as_text(raw.get("certificate"), "certificate", limit=100)
        check = dict(store)
    elif step == 14:
        store["form_number"] = as_text(raw.get("form_number"), "form_number", limit=60)
    elif step in (17, 24):
        approver = _approver(actor, applicant, raw.get("approver"))
        check["approver_type"] = access.approver_type(approver) if approver else ""
        store["approver"] = approver.pk if approver else None
        if step == 17:
            extended = raw.get("limit_extended", False)
            if not isinstance(extended, bool):
                raise ValidationError({"limit_extended": [_("Answer yes or no.")]})
            check["limit_extended"] = store["limit_extended"] = extended
    if step == 23:
        outcome = raw.get("outcome", "convert")
        if outcome not in OUTCOMES:
            raise ValidationError({"outcome": [_("Choose convert, extend or cancel.")]})
        check["outcome"] = store["outcome"] = outcome
        if outcome == "extend":
            if raw.get("extended_to") in (None, ""):
                raise ValidationError({"extended_to": [_("This field is required.")]})
            check["extended_to"] = as_date(raw.get("extended_to"), "extended_to")
            store["extended_to"] = check["extended_to"].isoformat()
    if step in (15, 23):
        vote = _vote_for(applicant, step, on)
        if vote is not None:
            check["vote"] = {name: getattr(vote, name) for name in VOTE_FIGURES}
            store["vote"] = vote.pk
    return check, store, people, approver


def _approver(actor, applicant: Applicant, raw) -> Org | None:
    if raw in (None, ""):
        return access.default_approver(actor, applicant.org)
    pk = as_int(raw, "approver", minimum=1)
    org = Org.objects.filter(pk=pk).first()
    if org is None or not access.may_act_as_approver(actor, applicant.org, org):
        raise ValidationError(
            {"approver": [_("Choose an organisation above the branch within your scope.")]}
        )
    return org


def _member_call(fn, **kwargs):
    """A members service call inside the step; its field errors named as the step's."""
    try:
        return fn(**kwargs)
    except StepRefused:
        raise
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        rename = {"effective_on": "date", "to_value": "extended_to"}
        raise ValidationError({rename.get(k, k): v for k, v in exc.message_dict.items()}) from exc


def _decision(approver: Org | None, step: int, on: date) -> str:
    name = approver.name if approver else ""
    return f"{name} {rules.STEP_BY_NUMBER[step].name_zh} {on.isoformat()}".strip()


@transaction.atomic
def record_step(
    *,
    actor,
    applicant: Applicant,
    step: int,
    on: date,
    data: dict[str, Any] | None = None,
    people: list[dict] | None = None,
    body: str = "",
    body_org=None,
    note: str = "",
    today: date | None = None,
) -> StepRecord:
    """Record `step` on `on`. Raises StepRefused with every violated rule. Effects: step 15
    uses the file's last passed Vote of that date; step 17 creates the Member (probationary,
    admitted_on = step 15 date) through members.services.registry; step 23 with
    data["outcome"] == "extend" records the extension (no step written: the StepRecord
    returned is not saved) and with "cancel" records the decision, which step 24 carries
    out (the member's probation cancelled, the file "cancelled"); step 24 converts through
    members change_status (full from the probation end); step 25 archives the file."""
    today = today_or(today)
    step = as_int(step, "step", minimum=1)
    if step not in rules.STEP_BY_NUMBER:
        raise ValidationError({"step": [str(rules.MSG["no_such_step"]) % {"step": step}]})
    applicant = lock(applicant)
    access.require_step(actor, applicant, step)
    require_open(applicant)
    on = as_date(on, "date")
    if data is not None and not isinstance(data, dict):
        raise ValidationError({"data": [_("Give the step's data as an object.")]})
    given_people = _people(people)
    body = as_text(body, "body", limit=100)
    note = as_text(note, "note", limit=5000)
    if body_org is not None and (
        not isinstance(body_org, Org) or not applicant.org.path.startswith(body_org.path)
    ):
        raise ValidationError({"body_org": [_("Choose the branch or an organisation above it.")]})
    file = file_of(applicant)
    # order and dates first: step data is only read when the step may come now
    violations = rules.check_step(file, step, on, {}, today=today, options=local_rules())
    if violations and violations[0].rule in ("step_order", "date_order", "date_future"):
        raise StepRefused(violations)
    check, store, named, approver = _step_data(actor, applicant, step, on, data or {})
    violations = rules.check_step(file, step, on, check, today=today, options=local_rules())
    if violations:
        raise StepRefused(violations)
    if approver is not None:
        body_org = body_org or approver
        body = body or approver.name
    record = StepRecord(
        applicant=applicant,
        step=step,
        on=on,
        people=given_people + named,
        body=body,
        body_org=body_org,
        data=store,
        note=note,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if step == 23 and store["outcome"] == "extend":
        _extend(actor, applicant, file, on, check["extended_to"], record, today)
        return record
    record.save()
    event(
        applicant,
        actor=actor,
        kind=FileEvent.Kind.STEP,
        step=step,
        note=note,
        payload={"on": on.isoformat(), **store},
    )
    audit.record(
        actor=actor,
        action="record_step",
        obj=applicant,
        changes={"step": [applicant.last_step, step], "on": [None, on.isoformat()]},
    )
    file.steps[step] = rules.StepRecord(on, store)
    if step == 17:
        _admit(actor, applicant, file, approver, on, today)
    elif step == 24:
        _conclude(actor, applicant, file, approver, on, today)
    elif step == 25:
        applicant.state, applicant.closed_on = Applicant.State.ARCHIVED, on
        applicant.save(update_fields=["state", "closed_on", "updated_at"])
        event(applicant, actor=actor, kind=FileEvent.Kind.CLOSED, step=25, note=_("Archived"))
    refresh_file(applicant, today=today)
    return record


def _admit(actor, applicant, file: rules.File, approver, on: date, today: date) -> None:
    """Step 17: the probationary member, admitted on the branch meeting's date."""
    introducers = [
        p["name"]
        for s in applicant.steps.filter(step=9)
        for p in s.people
        if p.get("role") == "introducer"
    ]
    member = _member_call(
        registry.create_member,
        actor=actor,
        today=today,
        admitted=True,
        decision=_decision(approver, 17, on),
        decided_by=approver.name if approver else "",
        name=applicant.name,
        gender=applicant.gender,
        ethnicity=applicant.ethnicity,
        birth_date=applicant.birth_date,
        id_number=applicant.id_number,
        phone=applicant.phone,
        education=applicant.education,
        occupation=applicant.occupation,
        is_high_knowledge=applicant.is_high_knowledge,
        is_migrant_worker=applicant.is_migrant_worker,
        is_soe=applicant.is_soe,
        is_two_new=applicant.is_two_new,
        work_unit=applicant.work_unit,
        org=applicant.org,
        applied_on=file.application_on,
        admitted_on=file.admission_meeting_on,
        introducers="、".join(introducers)[:100],
        category=Category.PROBATIONARY,
    )
    applicant.member = member
    applicant.save(update_fields=["member", "updated_at"])
    event(
        applicant,
        actor=actor,
        kind=FileEvent.Kind.ADMITTED,
        step=17,
        payload={"member": member.pk, "admitted_on": file.admission_meeting_on.isoformat()},
    )


def _extend(actor, applicant, file, on: date, extended_to: date, record, today) -> None:
    """Step 23 decided an extension: the member's history and the file; no step written."""
    if applicant.member_id is not None:
        _member_call(
            registry.change_status,
            actor=actor,
            member=applicant.member,
            kind=StatusChange.Kind.PROBATION_EXTENDED,
            to_value=extended_to.isoformat(),
            effective_on=on,
            decision=_decision(applicant.org, 23, on),
            decided_by=applicant.org.name,
            today=today,
        )
    before = applicant.probation_extended_to
    applicant.probation_extended_to = extended_to
    applicant.save(update_fields=["probation_extended_to", "updated_at"])
    event(
        applicant,
        actor=actor,
        kind=FileEvent.Kind.EXTENDED,
        step=23,
        note=record.note,
        payload={"on": on.isoformat(), **record.data},
    )
    audit.record(
        actor=actor,
        action="extend_probation",
        obj=applicant,
        changes={"probation_extended_to": [before, extended_to.isoformat()]},
    )
    refresh_file(applicant, today=today)


def _conclude(actor, applicant, file: rules.File, approver, on: date, today: date) -> None:
    """Step 24 approves the conversion meeting's decision: full membership from the end of
    probation, or the probationary membership cancelled and the file closed."""
    outcome = file.steps[23].data.get("outcome", "convert")
    decision = _decision(approver, 24, on)
    decided_by = approver.name if approver else ""
    if applicant.member_id is None:
        raise ValidationError({"step": [_("The file has no member record to change.")]})
    if outcome == "cancel":
        _member_call(
            registry.change_status,
            actor=actor,
            member=applicant.member,
            kind=StatusChange.Kind.PROBATION_CANCELLED,
            effective_on=on,
            decision=decision,
            decided_by=decided_by,
            today=today,
        )
        applicant.state, applicant.closed_on = Applicant.State.CANCELLED, on
        applicant.close_reason = _("Probationary membership cancelled")[:200]
        applicant.save(update_fields=["state", "closed_on", "close_reason", "updated_at"])
        event(applicant, actor=actor, kind=FileEvent.Kind.CLOSED, step=24, note=decision)
        audit.record(
            actor=actor,
            action="close",
            obj=applicant,
            changes={"state": [Applicant.State.OPEN, Applicant.State.CANCELLED]},
        )
        return
    full_on = file.probation_end
    _member_call(
        registry.change_status,
        actor=actor,
        member=applicant.member,
        kind=StatusChange.Kind.CONVERTED,
        effective_on=full_on,
        decision=decision,
        decided_by=decided_by,
        today=today,
    )
    event(
        applicant,
        actor=actor,
        kind=FileEvent.Kind.CONVERTED,
        step=24,
        payload={"member": applicant.member_id, "full_on": full_on.isoformat()},
    )
