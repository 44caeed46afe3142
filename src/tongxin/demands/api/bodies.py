"""Request bodies of the demands API: loose at the schema level, documented for OpenAPI.

Every field is `Any` and unknown fields are kept, so that a demand outside the caller's scope
answers 404 whatever the body (the scoping walk), and every problem is named by
core.api_parse.Body after the scoped lookup — the API's 422 shape.
"""

from __future__ import annotations

from typing import Any

from tongxin.core.api_parse import LooseBody
from tongxin.core.api_parse import loose_field as _f

VERSION = "optional: the demand's version as loaded; 409 when it has changed since"
NOTE = "optional note on the timeline, at most 2000 characters"


class DemandIn(LooseBody):
    channel: Any = _f("hotline | patrol | visit | reception | alliance | staff", "string")
    category_id: Any = _f("an active leaf category (GET /demand-categories)", "integer")
    title: Any = _f("optional, at most 100 characters", "string")
    description: Any = _f("what the resident asks, at most 4000 characters", "string")
    community_id: Any = _f("the community (in the caller's scope); or a map point", "integer")
    address: Any = _f("where: the problem's address, at most 200 characters", "string")
    latitude: Any = _f("WGS84 decimal degrees (located in a grid's boundary)", "number")
    longitude: Any = _f("WGS84 decimal degrees", "number")
    contact_name: Any = _f("optional: the resident's name (encrypted at rest)", "string")
    phone: Any = _f("optional: the resident's phone (encrypted at rest)", "string")
    confidential: Any = _f("keep the caller's details confidential", "boolean")


class ActionIn(LooseBody):
    version: Any = _f(VERSION, "integer")
    note: Any = _f(NOTE, "string")


class ReasonIn(ActionIn):
    reason: Any = _f("required, at most 300 characters (the resident sees a refusal's)", "string")


class DuplicateIn(ActionIn):
    original_id: Any = _f("the original demand (in the caller's scope)", "integer")


class DispatchIn(ActionIn):
    department_id: Any = _f("the handling department; null: the community itself", "integer")


class ProgressIn(ActionIn):
    note: Any = _f("required: what was done, at most 2000 characters", "string")
    public: Any = _f("optional: the resident sees the note on the tracking page", "boolean")


class SummonIn(ActionIn):
    department_ids: Any = _f("departments summoned to report (报到)", "array")


class AnswerSummonsIn(ActionIn):
    summons_id: Any = _f("the summons of the caller's department", "integer")
    answer: Any = _f("required, at most 2000 characters", "string")


class AnswerIn(ActionIn):
    answer: Any = _f("required: the answer the resident reads, at most 4000 characters", "string")


class RateIn(ActionIn):
    rating: Any = _f("satisfied | basically | unsatisfied", "string")
    comment: Any = _f("optional, at most 300 characters", "string")


class ExtensionIn(ActionIn):
    limit_value: Any = _f("extra time, 1..365", "integer")
    limit_unit: Any = _f("working_days | hours", "string")
    reason: Any = _f("required, at most 300 characters", "string")


class DecideIn(ActionIn):
    approve: Any = _f("true: approve; false: reject", "boolean")
