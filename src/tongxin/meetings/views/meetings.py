"""HTML views of meetings (thin: parse, call the service or selector, render).

Url names (a contract for other areas): meetings:list, plan, detail, attendance, held,
attachment, attachment_file, submit, review_action, cancel, review (the queue), mine,
appraisal, edit. Scoping is `meetings.access` (H1): a meeting the user may not see answers 404;
a visible meeting whose action the user may not take answers 403. Rule refusals of the
services are listed with their article (422); a stale version answers 409 with
"already changed, reload".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core.api_parse import MAX_ID, has_control
from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.meetings import access, services
from tongxin.meetings.forms import (
    AppraisalForm,
    AttachmentForm,
    AttendanceForm,
    CancelForm,
    EditForm,
    MeetingFilterForm,
    MinutesForm,
    PlanForm,
    ReviewForm,
    VersionForm,
    keeper_branches,
)
from tongxin.meetings.models import AppraisalResult, Kind, Meeting, State
from tongxin.meetings.rules import compliance as crules
from tongxin.meetings.selectors import meetings as selectors
from tongxin.meetings.visibility import may_see_roster, visible_rows
from tongxin.members.forms.registry import SELECT_LIMIT, apply_service_errors

T = "meetings/"
MAIN_PLAN_FIELDS = (
    "kind",
    "topic",
    "on",
    "start",
    "end",
    "end_on",
    "place",
    "host",
    "recorder",
    "agenda",
)

# states in which the branch's keepers may still change the record
OPEN_FOR_ATTENDANCE = (State.PLANNED, State.HELD, State.RETURNED)
OPEN_FOR_MINUTES = (State.PLANNED, State.HELD, State.RETURNED)
OPEN_FOR_SUBMIT = (State.HELD, State.RETURNED)
OPEN_FOR_ATTACHMENTS = (State.PLANNED, State.HELD, State.RETURNED)
OPEN_FOR_APPRAISAL = (State.HELD, State.RETURNED)
CODE_MAX = 50  # an org code typed into ?org=


def refusals_of(exc) -> list[dict]:
    """[{rule, article, message}] of a MeetingRefused."""
    return [
        {"rule": v.rule, "article": v.article, "message": v.text}
        for v in getattr(exc, "violations", ())
    ]


def apply_errors(form, exc: ValidationError) -> None:
    """A service's field errors onto the form: ``marks.<id>`` onto that roster row's reason,
    ``results.<id>`` onto that member's rating, the rest as members' forms do."""
    if not hasattr(exc, "error_dict"):
        apply_service_errors(form, exc)
        return
    rest = {}
    for key, errors in exc.message_dict.items():
        prefix, _dot, ident = key.partition(".")
        target = {"marks": f"r-{ident}", "results": f"g-{ident}"}.get(prefix)
        if ident and target in form.fields:
            for message in errors:
                form.add_error(target, message)
        else:
            rest[key] = errors
    if rest:
        apply_service_errors(form, ValidationError(rest))


def _post_only(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return None


def signin_url(request, meeting: Meeting) -> str:
    return request.build_absolute_uri(reverse("meetings:signin_token", args=[meeting.signin_token]))


def qr_svg(url: str) -> str:
    """The QR code of `url` as inline SVG (no image file, no external service)."""
    return segno.make(url, error="m").svg_inline(
        scale=5, title=_("QR code for signing in"), svgclass="qr", border=2
    )


# ------------------------------------------------------------------ list, queue, mine

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICRO = timedelta(microseconds=1)


def encode_cursor(key) -> str:
    """(starts_at, id) of the last row → "<µs since 1970>.<id>" for the "more" link."""
    if not key:
        return ""
    starts_at, pk = key
    return f"{(starts_at - EPOCH) // MICRO}.{pk}"


def decode_cursor(text):
    """The (starts_at, id) of a "more" link; None for anything malformed (first page)."""
    micros, _dot, pk = (text or "").partition(".")
    if not (micros.lstrip("-").isdigit() and pk.isdigit()) or len(micros) > 18 or len(pk) > 18:
        return None
    try:
        return EPOCH + int(micros) * MICRO, int(pk)
    except OverflowError:
        return None


@login_required
def meeting_list(request):
    form = MeetingFilterForm(request.GET or None, user=request.user)
    items, next_key = selectors.meeting_list(
        request.user, **form.filters(), after=decode_cursor(request.GET.get("after"))
    )
    next_cursor = encode_cursor(next_key)
    query = request.GET.copy()
    query.pop("after", None)
    only = list(keeper_branches(request.user)[:2])
    can_plan = bool(only)
    context = {
        "form": form,
        "meetings": items,
        "next_cursor": next_cursor,
        "query": query.urlencode(),
        "can_plan": can_plan,
        "summary_branch": only[0] if len(only) == 1 else None,
        "year": timezone.localdate().year,
    }
    if request.htmx and request.htmx.target == "meeting-rows":
        return render(request, T + "_rows.html", {**context, "oob_more": True})
    return render(request, T + "list.html", context)


@login_required
def review_queue(request):
    items = selectors.review_queue(request.user)
    return render(request, T + "review.html", {"meetings": items})


@login_required
def my_meetings(request):
    mine = selectors.my_meetings(request.user)
    return render(request, T + "mine.html", {"mine": mine})


# ------------------------------------------------------------------ planning


def _chosen_branch(request, data):
    """The branch the plan form lists members of: the posted/asked branch if the user keeps
    it, or the only branch the user keeps."""
    branches = keeper_branches(request.user)
    raw = (data or {}).get("org") or request.GET.get("org")
    if raw:
        raw = str(raw).strip()
        if not raw or len(raw) > CODE_MAX or has_control(raw):
            return None  # no branch is named so (and NUL never reaches the database)
        found = None
        if raw.isdigit() and 0 < int(raw) <= MAX_ID:
            found = branches.filter(pk=int(raw)).first()
        if found is None:
            found = branches.filter(code=raw).first()
        return found
    only = list(branches[:2])
    return only[0] if len(only) == 1 else None


@login_required
def meeting_plan(request):
    if not keeper_branches(request.user).exists():
        raise PermissionDenied(_("Only the keepers of a branch plan its meetings."))
    data = request.POST if request.method == "POST" else None
    branch = _chosen_branch(request, data)
    initial = {"notify": True}
    if branch is not None:
        initial["org"] = branch.pk
    for name in ("kind", "topic", "on", "start", "end", "end_on", "place"):
        if request.GET.get(name):  # a reload after choosing the branch keeps what was typed
            initial[name] = request.GET[name][:200]
    if initial.get("kind") not in Kind.values:
        initial.pop("kind", None)
    form = PlanForm(data, user=request.user, branch=branch, initial=initial)
    refusals = []
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.plan_meeting(actor=request.user, **form.service_kwargs())
        except services.MeetingRefused as exc:
            refusals = refusals_of(exc)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The meeting is planned."))
            return redirect("meetings:detail", meeting.pk)
    status = 200
    if request.method == "POST":
        status = 422 if refusals else 400
    branches = keeper_branches(request.user)
    context = {
        "form": form,
        "refusals": refusals,
        "branch": branch,
        "branch_choices": list(branches) if branches.count() <= SELECT_LIMIT else None,
        "kind_preset": initial.get("kind", ""),
        "main_fields": MAIN_PLAN_FIELDS,
    }
    return render(request, T + "plan.html", context, status=status)


# ------------------------------------------------------------------ changing a plan


def _onto_edit_fields(exc: ValidationError) -> ValidationError:
    """The service names starts_at / ends_at; the page has a date and times."""
    if not hasattr(exc, "error_dict"):
        return exc
    names = {"starts_at": "on", "ends_at": "end"}
    return ValidationError({names.get(k, k): v for k, v in exc.message_dict.items()})


@login_required
def meeting_edit(request, meeting_id):
    """meetings:edit — change a planned meeting (topic, time, place, host, recorder, agenda)
    through services.update_meeting; kind, branch and roster stay as planned. 404 outside
    scope, 403 for those who may not manage it, 409 once it is no longer planned or when
    the version the page showed is stale, 422 for rule refusals, 400 for bad input."""
    meeting = access.meeting_for(request.user, meeting_id)
    access.require_manage(request.user, meeting)
    context = {"meeting": meeting, "refusals": [], "stale": False, "form": None}
    if meeting.state != State.PLANNED:
        context["not_planned"] = _(
            "Only a planned meeting can be changed; this meeting is %(state)s."
        ) % {"state": meeting.get_state_display()}
        return render(request, T + "edit.html", context, status=409)
    data = request.POST if request.method == "POST" else None
    form = context["form"] = EditForm(data, meeting=meeting)
    if data is None:
        return render(request, T + "edit.html", context)
    if form.is_valid():
        changes = form.changes()
        if not changes:
            messages.info(request, _("Nothing was changed."))
            return redirect("meetings:detail", meeting.pk)
        try:
            services.update_meeting(
                actor=request.user,
                meeting=meeting,
                version=form.cleaned_data.get("version"),
                **changes,
            )
        except services.Conflict:
            context["stale"] = True
        except services.MeetingRefused as exc:
            context["refusals"] = refusals_of(exc)
        except ValidationError as exc:
            apply_errors(form, _onto_edit_fields(exc))
        else:
            messages.success(request, _("The plan of the meeting is changed."))
            return redirect("meetings:detail", meeting.pk)
    status = 409 if context["stale"] else 422 if context["refusals"] else 400
    return render(request, T + "edit.html", context, status=status)


# ------------------------------------------------------------------ the meeting page


def _detail_context(request, meeting: Meeting, **overrides) -> dict:
    user = request.user
    manage = access.may_manage(user, meeting)
    review = access.may_review(user, meeting)
    see_roster = may_see_roster(user, meeting)
    rows = visible_rows(
        user,
        meeting,
        _related(
            meeting,
            "attendance",
            meeting.attendance.select_related("member").order_by("member__name", "pk"),
        ),
        see_roster=see_roster,
    )
    state = meeting.state
    version = {"version": meeting.version}
    context = {
        "meeting": meeting,
        "rows": rows,
        "may_manage": manage,
        "may_review": review,
        "may_edit": manage and meeting.state == State.PLANNED,
        "see_roster": see_roster,
        "events": _events(meeting),
        "attachments": list(_related(meeting, "attachments", meeting.attachments.all())),
        "refusals": [],
        "stale": False,
        "is_held": state in crules.HELD_STATES,
        "is_appraisal": meeting.kind == Kind.APPRAISAL,
    }
    if manage and state in (State.PLANNED, State.HELD):  # sign-in stays open while held
        url = signin_url(request, meeting)
        context["signin"] = {"code": meeting.signin_code, "url": url, "qr": qr_svg(url)}
    if manage and state in OPEN_FOR_ATTENDANCE and rows:
        context["attendance_form"] = AttendanceForm(rows=rows, initial=version)
    if manage and state in OPEN_FOR_MINUTES:
        context["minutes_form"] = MinutesForm(initial={**version, "minutes": meeting.minutes})
    if manage and state in OPEN_FOR_ATTACHMENTS:
        context["attachment_form"] = AttachmentForm()
    if manage and state in OPEN_FOR_SUBMIT:
        context["submit_form"] = VersionForm(initial=version)
    if review and state == State.SUBMITTED:
        context["review_form"] = ReviewForm(initial=version)
    if manage and state == State.PLANNED:
        context["cancel_form"] = CancelForm(initial=version)
    context.update(overrides)
    return context


def _related(meeting: Meeting, name: str, fallback):
    """A prefetched relation of the selector's meeting, or `fallback` (one query)."""
    cache = getattr(meeting, "_prefetched_objects_cache", {})
    return cache[name] if name in cache else fallback


def event_labels() -> dict[str, str]:
    return {
        "planned": _("Planned"),
        "updated": _("Plan changed"),
        "notified": _("Members notified"),
        "cancelled": _("Cancelled"),
        "signed_in": _("Signed in"),
        "attendance": _("Attendance marked"),
        "held": _("Recorded as held"),
        "attachment": _("File attached"),
        "submitted": _("Submitted for review"),
        "approved": _("Approved"),
        "returned": _("Returned"),
        "appraisal": _("Ratings recorded"),
    }


def _events(meeting: Meeting) -> list:
    labels, states = event_labels(), dict(State.choices)
    events = list(_related(meeting, "events", meeting.events.select_related("actor")))[::-1]
    for e in events:
        e.label = labels.get(e.kind, e.kind)
        e.to_state_label = states.get(e.to_state, e.to_state)
    return events


def _load(request, meeting_id) -> Meeting:
    return selectors.meeting_detail(request.user, meeting_id)


def _page(request, meeting_id, status=200, partial=None, **overrides):
    context = _detail_context(request, _load(request, meeting_id), **overrides)
    if partial and request.htmx:
        return render(request, T + partial, context, status=status)
    return render(request, T + "detail.html", context, status=status)


@login_required
def meeting_detail(request, meeting_id):
    return _page(request, meeting_id)


def _act(request, meeting_id, *, form, call, done, form_key, partial=None, review=False):
    """Run one action of the meeting page: 404 outside scope, 403 when the user may not,
    then the form, then the service; answers the page (or the htmx partial) with the
    refusal, the field errors or the 409 "already changed"."""
    meeting = access.meeting_for(request.user, meeting_id)
    if (refused := _post_only(request)) is not None:
        return refused
    if review:
        access.require_review(request.user, meeting)
    else:
        access.require_manage(request.user, meeting)
    refusals, stale = [], False
    if form.is_valid():
        try:
            call(meeting, form)
        except services.Conflict:
            stale = True
        except services.MeetingRefused as exc:
            refusals = refusals_of(exc)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, done)
            if partial and request.htmx:
                return _page(request, meeting_id, partial=partial)
            return redirect("meetings:detail", meeting_id)
    status = 409 if stale else 422 if refusals else 400
    overrides = {"refusals": refusals, "stale": stale}
    if not stale:
        overrides[form_key] = form
    return _page(request, meeting_id, status=status, partial=partial, **overrides)


@login_required
def meeting_attendance(request, meeting_id):
    meeting = access.meeting_for(request.user, meeting_id)
    rows = list(meeting.attendance.select_related("member").order_by("member__name", "pk"))
    form = AttendanceForm(request.POST, rows=rows)
    return _act(
        request,
        meeting_id,
        form=form,
        call=lambda m, f: services.mark_attendance(
            actor=request.user, meeting=m, marks=f.marks(), version=f.cleaned_data.get("version")
        ),
        done=_("Attendance saved."),
        form_key="attendance_form",
        partial="_roster.html",
    )


@login_required
def meeting_held(request, meeting_id):
    return _act(
        request,
        meeting_id,
        form=MinutesForm(request.POST),
        call=lambda m, f: services.record_held(
            actor=request.user,
            meeting=m,
            minutes=f.cleaned_data["minutes"],
            version=f.cleaned_data.get("version"),
        ),
        done=_("The meeting is recorded as held."),
        form_key="minutes_form",
    )


@login_required
def meeting_submit(request, meeting_id):
    return _act(
        request,
        meeting_id,
        form=VersionForm(request.POST),
        call=lambda m, f: services.submit_meeting(
            actor=request.user, meeting=m, version=f.cleaned_data.get("version")
        ),
        done=_("The meeting is submitted for review."),
        form_key="submit_form",
    )


@login_required
def meeting_review(request, meeting_id):
    form = ReviewForm(request.POST)
    done = (
        _("The meeting is returned to the branch.")
        if request.POST.get("decision") == "return"
        else _("The meeting is approved.")
    )
    return _act(
        request,
        meeting_id,
        form=form,
        call=lambda m, f: services.review_meeting(
            actor=request.user, meeting=m, **f.service_kwargs()
        ),
        done=done,
        form_key="review_form",
        review=True,
    )


@login_required
def meeting_cancel(request, meeting_id):
    return _act(
        request,
        meeting_id,
        form=CancelForm(request.POST),
        call=lambda m, f: services.cancel_meeting(
            actor=request.user,
            meeting=m,
            reason=f.cleaned_data["reason"],
            version=f.cleaned_data.get("version"),
        ),
        done=_("The meeting is cancelled."),
        form_key="cancel_form",
    )


@login_required
def meeting_attachment(request, meeting_id):
    return _act(
        request,
        meeting_id,
        form=AttachmentForm(request.POST, request.FILES),
        call=lambda m, f: services.add_attachment(
            actor=request.user, meeting=m, upload=f.cleaned_data["file"]
        ),
        done=_("The file is attached."),
        form_key="attachment_form",
    )


@login_required
def attachment_file(request, meeting_id, attachment_id):
    """meetings:attachment_file — an attachment, for those who see the meeting only (uploads
    live outside any public URL: MEDIA_ROOT is never served directly)."""
    meeting = access.meeting_for(request.user, meeting_id)
    attachment = get_object_or_404(meeting.attachments.all(), pk=attachment_id)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=attachment.name)


# ------------------------------------------------------------------ appraisal


@login_required
def meeting_appraisal(request, meeting_id):
    """民主评议党员: a grade (and a note) per roster member of the appraisal meeting."""
    meeting = access.meeting_for(request.user, meeting_id)
    if meeting.kind != Kind.APPRAISAL:
        raise Http404(_("This meeting is not a democratic appraisal."))
    access.require_manage(request.user, meeting)
    members = [
        row.member
        for row in meeting.attendance.select_related("member").order_by("member__name", "pk")
    ]
    existing = {
        r.member_id: (r.grade, r.note)
        for r in AppraisalResult.objects.filter(meeting=meeting, member__in=members)
    }
    data = request.POST if request.method == "POST" else None
    form = AppraisalForm(data, members=members, existing=existing)
    refusals, status = [], 200
    if data is not None:
        if form.is_valid():
            try:
                services.record_appraisal(
                    actor=request.user, meeting=meeting, results=form.results()
                )
            except services.MeetingRefused as exc:
                refusals = refusals_of(exc)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("The ratings are recorded."))
                return redirect("meetings:appraisal", meeting.pk)
        status = 422 if refusals else 400
    return render(
        request,
        T + "appraisal.html",
        {
            "meeting": meeting,
            "form": form,
            "refusals": refusals,
            "editable": meeting.state in OPEN_FOR_APPRAISAL,
        },
        status=status,
    )
