"""Sign-in on the day: a member types the meeting's 6-digit code or opens its QR link.

* Only a member on the meeting's roster signs in ("not on this meeting's roster"; a user
  without a member record is refused the same way).
* Only inside the window (rules.signin: grace from ComplianceSettings pk=1, 30/30 minutes by
  default; both ends included); outside it the window is shown.
* A cancelled (or already submitted/approved) meeting refuses.
* A second sign-in changes nothing and says so (``attendance.already`` is True).
* Codes are not globally unique: a code is looked up among the meetings whose roster holds the
  user's member and whose window is open now. When none is open but the code is one of the
  user's own meetings, the refusal is ``signin_window`` with that meeting's window (the next
  one to come, else the latest); a code of none of them is ``signin_code``. Code guesses are
  rate-limited per user.
* Sign-in does not bump the meeting's version (a host's attendance form stays current).
"""

from __future__ import annotations

from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongxin.core import ratelimit
from tongxin.core.api_parse import has_control
from tongxin.meetings import access
from tongxin.meetings.models import Attendance, AttendanceStatus, Meeting, SigninVia, State
from tongxin.meetings.rules import common as c
from tongxin.meetings.rules import signin as srules
from tongxin.meetings.services.common import event, record, refuse, signin_grace

SIGNIN_STATES = (State.PLANNED, State.HELD)
CODE_GUESSES = 10  # wrong or right, per user per window
CODE_WINDOW_SECONDS = 600

MSG = {
    "not_on_roster": gettext_lazy("You are not on this meeting's roster."),
    "window": gettext_lazy(
        "Sign-in for this meeting is open from %(opens)s to %(closes)s; it is now %(now)s."
    ),
    "cancelled": gettext_lazy("This meeting was cancelled."),
    "closed": gettext_lazy("This meeting's record is %(state)s: sign-in is closed."),
    "no_code": gettext_lazy(
        "No meeting you are on the roster of is open for sign-in with this code."
    ),
    "rate": gettext_lazy("Too many sign-in attempts. Wait a few minutes and try again."),
}


def _fmt(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _code(code) -> str:
    if not isinstance(code, str) or len(code.strip()) != 6 or not code.strip().isdigit():
        raise ValidationError({"code": [_("Enter the meeting's 6-digit sign-in code.")]})
    return code.strip()


def _find_by_code(member, code: str, now) -> Meeting:
    before, after = signin_grace()
    candidates = Meeting.objects.filter(
        signin_code=code,
        attendance__member=member,
        starts_at__lte=now + before,
        ends_at__gte=now - after,
    ).exclude(state=State.CANCELLED)
    meeting = candidates.order_by("starts_at", "id").first()
    if meeting is not None:
        return meeting
    # the code is one of the user's own meetings, outside its window: say when it opens
    mine = Meeting.objects.filter(signin_code=code, attendance__member=member).exclude(
        state=State.CANCELLED
    )
    upcoming = mine.filter(starts_at__gt=now).order_by("starts_at", "id").first()
    nearest = upcoming or mine.order_by("-starts_at", "-id").first()
    if nearest is None:
        raise refuse("signin_code", c.ART_SIGNIN, MSG["no_code"])
    raise _window_refused(nearest, now)


def _window_refused(meeting: Meeting, now):
    before, after = signin_grace()
    opens, closes = srules.signin_window(meeting.starts_at, meeting.ends_at, before, after)
    return refuse(
        "signin_window",
        c.ART_SIGNIN,
        MSG["window"],
        opens=_fmt(opens),
        closes=_fmt(closes),
        now=_fmt(now),
    )


@transaction.atomic
def sign_in(*, user, code=None, token=None, meeting=None, now=None) -> Attendance:
    """The user's Attendance row, marked attended (``.already`` says whether it was)."""
    now = now or timezone.now()
    if code is None and token is None:
        raise ValidationError({"code": [_("Enter the meeting's 6-digit sign-in code.")]})
    member = access.member_of(user)
    if code is not None:
        code = _code(code)
        client = SimpleNamespace(META={"REMOTE_ADDR": f"user-{getattr(user, 'pk', 0)}"})
        if not ratelimit.hit(client, "meeting_signin", CODE_GUESSES, CODE_WINDOW_SECONDS):
            raise refuse("signin_rate", c.ART_SIGNIN, MSG["rate"])
    if member is None:
        raise refuse("not_on_roster", c.ART_SIGNIN, MSG["not_on_roster"])
    if token is not None:
        # NUL would reach PostgreSQL (DataError); a token is 32 hex digits anyway
        if not isinstance(token, str) or not 1 <= len(token) <= 64 or has_control(token):
            raise ValidationError({"token": [_("This sign-in link is not valid.")]})
        found = Meeting.objects.filter(signin_token=token).first()
        if found is None or (meeting is not None and found.pk != meeting.pk):
            raise refuse("not_on_roster", c.ART_SIGNIN, MSG["not_on_roster"])
        meeting = found
    elif meeting is not None:
        if meeting.signin_code != code:
            raise refuse("signin_code", c.ART_SIGNIN, MSG["no_code"])
    else:
        meeting = _find_by_code(member, code, now)
    meeting = Meeting.objects.select_for_update(of=("self",)).get(pk=meeting.pk)
    row = Attendance.objects.select_for_update().filter(meeting=meeting, member=member).first()
    if row is None:
        raise refuse("not_on_roster", c.ART_SIGNIN, MSG["not_on_roster"])
    if meeting.state == State.CANCELLED:
        raise refuse("meeting_cancelled", c.ART_SIGNIN, MSG["cancelled"])
    if meeting.state not in SIGNIN_STATES:
        raise refuse(
            "signin_closed", c.ART_SIGNIN, MSG["closed"], state=meeting.get_state_display()
        )
    before, after = signin_grace()
    if not srules.signin_open(now, meeting.starts_at, meeting.ends_at, before, after):
        raise _window_refused(meeting, now)
    row.already = row.status == AttendanceStatus.ATTENDED
    if row.already:
        return row
    was = row.status
    row.status = AttendanceStatus.ATTENDED
    row.leave_reason = ""
    row.signed_in_at = now
    row.via = SigninVia.QR if token is not None else SigninVia.CODE
    row.save(update_fields=["status", "leave_reason", "signed_in_at", "via"])
    meeting.attended = Attendance.objects.filter(
        meeting=meeting, status=AttendanceStatus.ATTENDED
    ).count()
    meeting.on_leave = Attendance.objects.filter(
        meeting=meeting, status=AttendanceStatus.LEAVE
    ).count()
    meeting.save(update_fields=["attended", "on_leave", "updated_at"])
    event(
        meeting,
        actor=user,
        kind="signed_in",
        note=member.name,
        payload={"member": member.pk, "via": row.via},
    )
    record(user, "signin", meeting, {f"attendance.{member.pk}": [was, AttendanceStatus.ATTENDED]})
    return row
