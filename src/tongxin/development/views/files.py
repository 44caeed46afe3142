"""HTML views of applicant files (thin: parse, call the service or selector, render).

Url names (a contract for other areas): development:list, open, detail, step, review,
document, document_file, vote, close, file_pdf. A file outside the user's scope answers
404; pages only keepers open answer 403 to everybody else.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.development import access, rules, selectors, services
from tongxin.development.forms.files import (
    CloseForm,
    DocumentForm,
    FileFilterForm,
    OpenFileForm,
    ReviewForm,
    StepForm,
    VoteForm,
    keeper_branches,
)
from tongxin.development.models import Applicant
from tongxin.development.services import StepRefused
from tongxin.members.access import require_keeper
from tongxin.members.forms.registry import apply_service_errors
from tongxin.members.selectors.floating import voters_of

T = "development/"


def _refusals(exc: StepRefused) -> list[dict]:
    return [{"rule": v.rule, "article": v.article, "message": v.text} for v in exc.violations]


@login_required
def file_list(request):
    require_keeper(request.user)
    form = FileFilterForm(request.GET or None, user=request.user)
    items, next_cursor = selectors.files_for(
        request.user, **form.filters(), after=request.GET.get("after")
    )
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "form": form,
        "files": items,
        "next_cursor": next_cursor,
        "query": query.urlencode(),
        "can_open": keeper_branches(request.user).exists(),
        "phase_names": {p.number: p.name_zh for p in rules.PHASES},
    }
    if request.htmx and request.htmx.target == "file-rows":
        return render(request, T + "_rows.html", {**context, "oob_more": True})
    return render(request, T + "list.html", context)


@login_required
def file_open(request):
    require_keeper(request.user)
    form = OpenFileForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            applicant = services.open_file(actor=request.user, **form.service_fields())
        except StepRefused as exc:
            form.add_error(
                None, "; ".join(f"{r['message']} ({r['article']})" for r in _refusals(exc))
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The applicant's file is open."))
            return redirect("development:detail", applicant.pk)
    return render(request, T + "open.html", {"form": form}, status=400 if form.errors else 200)


def _may_record(user, applicant: Applicant) -> set[int]:
    return access.steps_actor_may_record(user, applicant)


def _step_form(request, applicant: Applicant, step: int, data=None) -> StepForm:
    approvers = access.approver_choices(request.user, applicant.org) if step in (17, 24) else ()
    return StepForm(data, applicant=applicant, step=step, approvers=approvers)


def _detail_context(request, applicant: Applicant, **forms_and_errors) -> dict:
    today = timezone.localdate()
    view = selectors.file_view(applicant, today=today)
    may = _may_record(request.user, applicant)
    is_open = applicant.state == Applicant.State.OPEN
    next_step = view["next_step"]
    context = {
        "applicant": applicant,
        "view": view,
        "today": today,
        "is_open": is_open,
        "may_keep": bool(may),
        "may_record_next": bool(next_step and next_step.number in may),
        "needs_vote": bool(next_step and next_step.number in (15, 23)),
        "in_review_period": is_open and 3 <= view["last_step"] < 7,
        "votes": [{"vote": v, "arithmetic": _vote_arithmetic(v)} for v in applicant.votes.all()],
        "events": list(applicant.events.all())[::-1],
        "refusals": [],
    }
    if is_open and next_step and next_step.number in may:
        context["step_form"] = _step_form(request, applicant, next_step.number)
    if may:
        context["review_form"] = ReviewForm()
        context["document_form"] = DocumentForm()
        if is_open:
            context["close_form"] = CloseForm()
    context.update(forms_and_errors)
    return context


def _vote_arithmetic(vote) -> str:
    return rules.vote_result(
        vote.should_attend,
        vote.attended,
        vote.yes,
        vote.no,
        vote.abstain,
        vote.written_yes,
        vote.written_no,
    ).arithmetic


@login_required
def file_detail(request, file_id):
    applicant = selectors.get_file(request.user, file_id)
    return render(request, T + "detail.html", _detail_context(request, applicant))


def _post_only(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return None


def _reload(request, file_id) -> Applicant:
    return selectors.get_file(request.user, file_id)


@login_required
def file_step(request, file_id):
    applicant = selectors.get_file(request.user, file_id)  # 404 outside scope
    if (refused := _post_only(request)) is not None:
        return refused
    view = selectors.file_view(applicant, today=timezone.localdate())
    next_step = view["next_step"]
    if applicant.state != Applicant.State.OPEN or next_step is None:
        raise PermissionDenied(_("The file is closed."))
    if next_step.number not in _may_record(request.user, applicant):
        raise PermissionDenied(
            _("Step %(step)s is recorded by the higher committee, not by the branch.")
            % {"step": next_step.number}
        )
    # the form of the step the user meant (a stale page names an older step: refused by rules)
    posted = request.POST.get("s-step", "")
    number = int(posted) if posted.isdigit() and 1 <= int(posted) <= rules.LAST_STEP else None
    form = _step_form(request, applicant, number or next_step.number, request.POST)
    refusals = []
    if form.is_valid():
        try:
            services.record_step(actor=request.user, applicant=applicant, **form.service_kwargs())
        except StepRefused as exc:
            refusals = _refusals(exc)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Step %(step)s recorded.") % {"step": form.number},
            )
            return redirect("development:detail", applicant.pk)
    applicant = _reload(request, file_id)
    extra = {"refusals": refusals}
    if form.number == next_step.number:  # a stale form of an older step is not shown again
        extra["step_form"] = form
    context = _detail_context(request, applicant, **extra)
    return render(request, T + "detail.html", context, status=422 if refusals else 400)


@login_required
def file_review(request, file_id):
    applicant = selectors.get_file(request.user, file_id)
    if (refused := _post_only(request)) is not None:
        return refused
    if not _may_record(request.user, applicant):
        raise PermissionDenied
    form = ReviewForm(request.POST)
    refusals = []
    if form.is_valid():
        try:
            services.record_review(actor=request.user, applicant=applicant, **form.cleaned_data)
        except StepRefused as exc:
            refusals = _refusals(exc)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Half-year review recorded."))
            return redirect("development:detail", applicant.pk)
    context = _detail_context(
        request, _reload(request, file_id), review_form=form, refusals=refusals
    )
    return render(request, T + "detail.html", context, status=422 if refusals else 400)


@login_required
def file_document(request, file_id):
    applicant = selectors.get_file(request.user, file_id)
    if (refused := _post_only(request)) is not None:
        return refused
    if not _may_record(request.user, applicant):
        raise PermissionDenied
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_document(actor=request.user, applicant=applicant, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Document added to the file."))
            return redirect("development:detail", applicant.pk)
    context = _detail_context(request, _reload(request, file_id), document_form=form)
    return render(request, T + "detail.html", context, status=400)


@login_required
def file_close(request, file_id):
    applicant = selectors.get_file(request.user, file_id)
    if (refused := _post_only(request)) is not None:
        return refused
    if not _may_record(request.user, applicant):
        raise PermissionDenied
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.close_file(actor=request.user, applicant=applicant, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The file is closed."))
            return redirect("development:detail", applicant.pk)
    context = _detail_context(request, _reload(request, file_id), close_form=form)
    return render(request, T + "detail.html", context, status=400)


@login_required
def file_vote(request, file_id):
    """The branch meeting's vote (step 15 or 23): the roster of the meeting date as
    checkboxes, written opinions of the absent, the ballots; shows the computed result."""
    applicant = selectors.get_file(request.user, file_id)
    may = _may_record(request.user, applicant)
    view = selectors.file_view(applicant, today=timezone.localdate())
    step = view["next_step"].number if view["next_step"] else None
    if step not in (15, 23) or step not in may:
        raise PermissionDenied(_("No branch meeting vote is due on this file."))
    source = request.POST if request.method == "POST" else request.GET
    meeting_on = _meeting_date(source.get("meeting_on"))
    roster = list(voters_of(applicant.org, meeting_on))
    form = VoteForm(
        request.POST if request.method == "POST" else None,
        roster=roster,
        initial={"meeting_on": meeting_on, "abstain": 0},
    )
    refusals, result, preview = [], None, None
    if request.method == "POST" and "preview" in request.POST:
        preview = _preview(form, roster) if form.is_valid() else None
        context = {"form": form, "preview": preview, "roster": roster}
        if request.htmx:
            return render(request, T + "_vote_preview.html", context)
    elif request.method == "POST" and form.is_valid():
        try:
            vote = services.record_vote(
                actor=request.user, applicant=applicant, **form.service_kwargs()
            )
        except StepRefused as exc:
            refusals = _refusals(exc)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            result = _vote_arithmetic(vote)
            if vote.passed:
                messages.success(
                    request,
                    _("The resolution passed: %(arithmetic)s. Now record step %(step)s.")
                    % {"arithmetic": result, "step": step},
                )
            else:
                messages.warning(
                    request,
                    _("The resolution did not pass: %(arithmetic)s.") % {"arithmetic": result},
                )
            return redirect("development:detail", applicant.pk)
    status = 200
    if request.method == "POST" and preview is None:
        status = 422 if refusals else 400
    return render(
        request,
        T + "vote.html",
        {
            "applicant": applicant,
            "step": rules.STEP_BY_NUMBER[step],
            "form": form,
            "roster": roster,
            "meeting_on": meeting_on,
            "refusals": refusals,
            "preview": preview,
        },
        status=status,
    )


def _preview(form: VoteForm, roster) -> rules.VoteResult:
    """The quorum and result of the figures as entered (nothing is written)."""
    d = form.service_kwargs()
    written = [w["vote"] for w in d["written"]]
    return rules.vote_result(
        len(roster),
        len(d["present"]),
        d["yes"],
        d["no"],
        d["abstain"],
        written_yes=written.count("yes"),
        written_no=written.count("no"),
    )


def _meeting_date(text):
    from django.utils.dateparse import parse_date

    try:
        parsed = parse_date(text or "")
    except ValueError:
        parsed = None
    return parsed or timezone.localdate()


@login_required
def document_file(request, file_id, document_id):
    """development:document_file — a document's uploaded file, for those who keep the file
    only (uploads live outside any public URL: MEDIA_ROOT is never served directly)."""
    applicant = selectors.get_file(request.user, file_id)
    document = get_object_or_404(applicant.documents.exclude(file=""), pk=document_id)
    name = document.file.name.rsplit("/", 1)[-1]
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=name)
