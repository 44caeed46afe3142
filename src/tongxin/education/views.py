"""HTML pages of study and education (thin: parse, call the service or selector, render).

Url names: education:campaigns, campaign, material_add, records, my, bases, base,
visit_add, secretaries (a POST there records a training). Objects outside the user's
scope answer 404; pages only keepers open answer 403 to everybody else.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core.errors import ValidationError
from tongxin.education import access, rules, selectors, services
from tongxin.education.forms import (
    BaseForm,
    CampaignForm,
    MaterialForm,
    RecordForm,
    SelfRecordForm,
    TrainingForm,
    VisitForm,
)
from tongxin.members.forms.registry import apply_service_errors

T = "education/"


def _year(request) -> int:
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
    except (TypeError, ValueError):
        return today.year
    return year if 2000 <= year <= today.year + 1 else today.year


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


# --- campaigns -----------------------------------------------------------------------------
@login_required
def campaign_list(request):
    is_keeper = bool(access.keeper_paths(request.user))
    form = None
    if is_keeper:
        form = CampaignForm(request.POST or None, user=request.user)
    elif request.method == "POST":
        access.require_keeper(request.user)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.create_campaign(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The campaign is launched."))
            return redirect("education:campaign", campaign.pk)
    campaigns = list(selectors.campaigns_for(request.user)[:200])
    context = {"campaigns": campaigns, "form": form, "today": timezone.localdate()}
    return render(request, T + "campaigns.html", context, status=_status(form) if form else 200)


def _campaign_context(request, campaign, material_form=None) -> dict:
    may_edit = access.keeps(request.user, campaign.org)
    return {
        "campaign": campaign,
        "materials": list(campaign.materials.all()),
        "progress": selectors.campaign_progress(request.user, campaign),
        "may_edit": may_edit,
        "material_form": material_form or (MaterialForm() if may_edit else None),
    }


@login_required
def campaign_detail(request, campaign_id):
    campaign = selectors.get_campaign(request.user, campaign_id)
    return render(request, T + "campaign.html", _campaign_context(request, campaign))


@login_required
def material_file(request, campaign_id, material_id):
    """education:material_file — a material's file, for those who see the campaign only
    (MEDIA_ROOT is never served directly)."""
    import os

    campaign = selectors.get_campaign(request.user, campaign_id)
    material = get_object_or_404(campaign.materials.exclude(file=""), pk=material_id)
    try:
        handle = material.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=os.path.basename(material.file.name))


@login_required
def material_add(request, campaign_id):
    campaign = selectors.get_campaign(request.user, campaign_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not access.keeps(request.user, campaign.org):
        raise access.PermissionDenied(
            _("Only keepers of the launching organisation add materials.")
        )
    form = MaterialForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_material(actor=request.user, campaign=campaign, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The material is added."))
            return redirect("education:campaign", campaign.pk)
    context = _campaign_context(request, campaign, material_form=form)
    return render(request, T + "campaign.html", context, status=400)


# --- records -------------------------------------------------------------------------------
def _branch(request):
    """The branch of a records page: ?org=<id> among the branches the user keeps (404 if
    not), default the first one."""
    branches = selectors.kept_branches(request.user).order_by("path")
    raw = request.GET.get("org") or request.POST.get("org")
    if raw:
        if not str(raw).isdigit() or len(str(raw)) > 18:
            raise Http404
        return get_object_or_404(branches, pk=int(raw)), branches
    return branches.first(), branches


@login_required
def records(request):
    access.require_keeper(request.user)
    org, branches = _branch(request)
    year = _year(request)
    form = None
    if org is not None:
        form = RecordForm(
            request.POST if request.method == "POST" else None, user=request.user, org=org
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.record_study(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The study record is saved."))
                return redirect(f"{request.path}?org={org.pk}&year={year}")
    elif request.method == "POST":
        raise Http404
    member_id = request.GET.get("member")
    member_id = (
        int(member_id) if member_id and member_id.isdigit() and len(member_id) < 19 else None
    )
    context = {
        "org": org,
        "branches": branches[:500],
        "year": year,
        "form": form,
        "member_id": member_id,
    }
    if org is not None:
        items = list(
            selectors.records_in(request.user, org=org, year=year, member_id=member_id)[:500]
        )
        context.update(
            records=items,
            total=selectors.total_hours(items),
            members=selectors.member_hours(org=org, year=year),
            policy=rules.policy_from_settings(),
        )
    return render(request, T + "records.html", context, status=_status(form) if form else 200)


@login_required
def my_study(request):
    member = access.member_of(request.user)
    if member is None:
        raise access.PermissionDenied(_("This page is for party members with a linked account."))
    year = _year(request)
    form = SelfRecordForm(request.POST or None, user=request.user, member=member)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_study(actor=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Your study record is saved."))
            return redirect("education:my")
    items = list(selectors.own_records(member, year=year)[:500])
    policy = rules.policy_from_settings()
    total = selectors.total_hours(items)
    context = {
        "member": member,
        "year": year,
        "records": items,
        "total": total,
        "policy": policy,
        "progress": rules.percent(rules.progress(total, policy.member_hours)),
        "form": form,
    }
    return render(request, T + "my.html", context, status=_status(form))


# --- bases ---------------------------------------------------------------------------------
@login_required
def bases(request):
    is_keeper = bool(access.keeper_paths(request.user))
    form = BaseForm(request.POST or None, user=request.user) if is_keeper else None
    if request.method == "POST":
        access.require_keeper(request.user)
        if form.is_valid():
            try:
                base = services.register_base(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The education base is registered."))
                return redirect("education:base", base.pk)
    items = list(selectors.bases_for(request.user)[:500])
    return render(
        request,
        T + "bases.html",
        {"bases": items, "form": form},
        status=_status(form) if form else 200,
    )


def _base_context(request, base, visit_form=None) -> dict:
    org, branches = _branch(request) if access.keeper_paths(request.user) else (None, None)
    if visit_form is None and org is not None:
        visit_form = VisitForm(org=org)
    return {
        "base": base,
        "visits": list(selectors.visits_of(request.user, base)),
        "org": org,
        "branches": branches[:500] if branches is not None else [],
        "visit_form": visit_form,
    }


@login_required
def base_detail(request, base_id):
    base = selectors.get_base(request.user, base_id)
    return render(request, T + "base_detail.html", _base_context(request, base))


@login_required
def visit_add(request, base_id):
    base = selectors.get_base(request.user, base_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    access.require_keeper(request.user)
    org, _branches = _branch(request)
    if org is None:
        raise Http404
    form = VisitForm(request.POST, org=org)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_visit(
                actor=request.user,
                base=base,
                org=org,
                on=data["on"],
                topic=data["topic"],
                participant_ids=[m.pk for m in data["participants"]],
                participant_count=data["participant_count"],
                hours=data["hours"],
                note=data["note"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The visit is recorded."))
            return redirect("education:base", base.pk)
    return render(
        request, T + "base_detail.html", _base_context(request, base, visit_form=form), status=400
    )


# --- secretaries ---------------------------------------------------------------------------
@login_required
def secretaries(request):
    access.require_keeper(request.user)
    year = _year(request)
    today = timezone.localdate()
    attention = request.GET.get("attention") == "1"
    form = TrainingForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_training(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The training is recorded."))
            return redirect("education:secretaries")
    within = None
    raw = request.GET.get("org") or ""
    if raw:
        if not raw.isdigit() or len(raw) > 18:
            raise Http404
        within = get_object_or_404(selectors.kept_orgs(request.user), pk=int(raw))
    rows = selectors.secretary_roster(
        request.user, year=year, today=today, attention_only=attention, within=within
    )
    context = {
        "rows": rows,
        "year": year,
        "attention": attention,
        "policy": rules.policy_from_settings(),
        "form": form,
        "within": within,
        "period": selectors.last_ended_month(today),
    }
    return render(request, T + "secretaries.html", context, status=_status(form))
