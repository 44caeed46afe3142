"""Request bodies of the admission API: loose at the schema level, documented for OpenAPI.

Every field is `Any` and unknown fields are kept, so that a file outside the caller's scope
answers 404 whatever the body (the scoping walk) and every problem is named by `core.api_parse.Body`
after the lookup — with the API's 422 shape and the project's messages.
"""

from __future__ import annotations

from typing import Any

from tongxin.core.api_parse import LooseBody
from tongxin.core.api_parse import loose_field as _f

DATE = "a date written YYYY-MM-DD"


class FileIn(LooseBody):
    org_id: Any = _f("the branch (an org the caller keeps)", "integer")
    applied_on: Any = _f("step 1, the application: " + DATE, "string", format="date")
    name: Any = _f("1–50 characters", "string")
    gender: Any = _f("male | female", "string")
    ethnicity: Any = _f("default 汉族", "string")
    birth_date: Any = _f(DATE, "string", format="date")
    id_number: Any = _f("18 characters with a valid check character", "string")
    phone: Any = _f("optional", "string")
    education: Any = _f("members.Education value", "string")
    occupation: Any = _f("members.Occupation value", "string")
    work_unit: Any = _f("optional", "string")
    is_high_knowledge: Any = _f("high-knowledge group", "boolean")
    is_migrant_worker: Any = _f("migrant worker", "boolean")
    is_soe: Any = _f("state-owned enterprise", "boolean")
    is_two_new: Any = _f("new economic or social organisation", "boolean")


class StepIn(LooseBody):
    step: Any = _f("1..25: the file's next step", "integer")
    date: Any = _f(DATE, "string", format="date")
    note: Any = _f("optional, at most 2000 characters", "string")
    deciding_body: Any = _f("optional: the body that decided, as text", "string")
    people: Any = _f('optional [{"role", "name"}]: talker, reviewer, trainer …', "array")
    method: Any = _f("step 3: member_recommendation | mass_organisation_recommendation", "string")
    decided_by: Any = _f("step 3: branch_committee | branch_meeting", "string")
    contacts: Any = _f("step 5: member ids of 1–2 full members", "array")
    introducers: Any = _f("step 9: member ids of 2 full members", "array")
    conclusion: Any = _f("step 10: the political review's conclusion", "string")
    days: Any = _f("step 11: days of concentrated training", "integer")
    hours: Any = _f("step 11: class hours of concentrated training", "integer")
    certificate: Any = _f("step 11: the training certificate", "string")
    form_number: Any = _f("step 14: the admission form's number", "string")
    approver: Any = _f("steps 17, 24: the approving org's id (default: nearest)", "integer")
    limit_extended: Any = _f("step 17: approval limit extended to 6 months", "boolean")
    outcome: Any = _f("step 23: convert | extend | cancel", "string")
    extended_to: Any = _f("step 23 with extend: the new probation end, " + DATE, "string")


class VoteIn(LooseBody):
    date: Any = _f("the meeting: " + DATE, "string", format="date")
    present: Any = _f("member ids of the roster present, or their number")
    yes: Any = _f("ballots in favour", "integer")
    no: Any = _f("ballots against", "integer")
    abstain: Any = _f("abstentions", "integer")
    written: Any = _f('written opinions of absentees: [{"member": id, "vote": yes|no|abstain}]')


class ReviewIn(LooseBody):
    date: Any = _f(DATE, "string", format="date")
    reviewer: Any = _f("at most 100 characters", "string")
    summary: Any = _f("at most 5000 characters", "string")


class DocumentIn(LooseBody):
    kind: Any = _f("Document.Kind value", "string")
    date: Any = _f(DATE, "string", format="date")
    title: Any = _f("optional", "string")
    number: Any = _f("optional", "string")
    step: Any = _f("optional: the step it belongs to, 1..25", "integer")


class CloseIn(LooseBody):
    date: Any = _f(DATE, "string", format="date")
    state: Any = _f("withdrawn | not_admitted", "string")
    reason: Any = _f("at most 200 characters", "string")
