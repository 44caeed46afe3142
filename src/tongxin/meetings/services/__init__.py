"""Meeting services (issue 5): every write of organisational life goes through here.

Other helpers import these names from ``tongxin.meetings.services``; compliance and elections
live in their own modules (``services.compliance``, ``services.elections``).
"""

from tongxin.meetings.services.common import Conflict, MeetingRefused
from tongxin.meetings.services.meetings import (
    add_attachment,
    cancel_meeting,
    mark_attendance,
    plan_meeting,
    record_appraisal,
    record_held,
    review_meeting,
    roster_for,
    submit_meeting,
    update_meeting,
)
from tongxin.meetings.services.signin import sign_in

__all__ = [
    "Conflict",
    "MeetingRefused",
    "add_attachment",
    "cancel_meeting",
    "mark_attendance",
    "plan_meeting",
    "record_appraisal",
    "record_held",
    "review_meeting",
    "roster_for",
    "sign_in",
    "submit_meeting",
    "update_meeting",
]
