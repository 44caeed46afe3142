"""Sign-in pages for party members on their phones: by the 6-digit code the host shows
(meetings:signin) or by the QR code's link (meetings:signin_token).

Both call services.sign_in; its refusals (outside the window — with the window shown —,
not on the roster, wrong code, too many guesses) are shown as they come (422). A token
page of a meeting the user is not on the roster of shows only that refusal (403), never
the meeting; an unknown token is 404.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.meetings import access, services
from tongxin.meetings.forms import SigninCodeForm
from tongxin.meetings.models import Attendance, AttendanceStatus, Meeting, State
from tongxin.meetings.views.meetings import refusals_of

T = "meetings/"
TOKEN_LENGTH = 32


def _today_rows(user) -> list[Attendance]:
    """The user's roster entries of meetings today (local day), planned or held."""
    member = access.member_of(user)
    if member is None:
        return []
    today = timezone.localdate()
    return list(
        Attendance.objects.filter(
            member=member,
            meeting__on__gte=today - timedelta(days=1),
            meeting__on__lte=today,
        )
        .exclude(meeting__state=State.CANCELLED)
        .select_related("meeting", "meeting__org")
        .order_by("meeting__starts_at", "meeting_id")
    )


def _signed_in(request, attendance, *, again: bool):
    return render(
        request,
        T + "signed_in.html",
        {"attendance": attendance, "meeting": attendance.meeting, "again": again},
    )


def _call_sign_in(request, **how):
    """(attendance, again, refusals) of services.sign_in."""
    try:
        attendance = services.sign_in(user=request.user, **how)
    except services.MeetingRefused as exc:
        return None, False, refusals_of(exc)
    return attendance, bool(getattr(attendance, "already", False)), []


@login_required
def signin_code(request):
    form = SigninCodeForm(request.POST if request.method == "POST" else None)
    refusals, status = [], 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                attendance, again, refusals = _call_sign_in(request, code=form.cleaned_data["code"])
            except ValidationError as exc:
                form.add_error("code", "; ".join(exc.messages))
            else:
                if attendance is not None:
                    return _signed_in(request, attendance, again=again)
                # outside the window of one of the user's meetings, the service's refusal
                # (signin_window) shows that window; an unknown code says so (signin_code)
                status = 422
    return render(
        request,
        T + "signin.html",
        {
            "form": form,
            "refusals": refusals,
            "today": _today_rows(request.user),
        },
        status=status,
    )


@login_required
def signin_token(request, token):
    """The QR code's target: the meeting and one big button (POST, CSRF)."""
    if len(token) != TOKEN_LENGTH or not token.isalnum():
        raise Http404(_("No such sign-in link."))
    meeting = (
        access.meetings_visible_to(request.user)
        .select_related("org")
        .filter(signin_token=token)
        .first()
    )
    if meeting is None:
        if not Meeting.objects.filter(signin_token=token).exists():
            raise Http404(_("No such sign-in link."))
        raise PermissionDenied(_("You are not on this meeting's roster: you cannot sign in to it."))
    row = None
    member = access.member_of(request.user)
    if member is not None:
        row = Attendance.objects.filter(meeting=meeting, member=member).first()
    if row is None:  # a keeper who sees the meeting but is not on its roster
        raise PermissionDenied(_("You are not on this meeting's roster: you cannot sign in to it."))
    refusals, status = [], 200
    if request.method == "POST":
        try:
            attendance, again, refusals = _call_sign_in(request, token=token)
        except ValidationError as exc:
            refusals = [{"rule": "signin", "article": "", "message": m} for m in exc.messages]
            attendance = None
        if attendance is not None:
            return _signed_in(request, attendance, again=again)
        status = 422
    return render(
        request,
        T + "signin_token.html",
        {
            "meeting": meeting,
            "row": row,
            "refusals": refusals,
            "done": row.status == AttendanceStatus.ATTENDED,
        },
        status=status,
    )
