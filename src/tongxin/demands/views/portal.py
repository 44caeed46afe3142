"""The public resident portal (issue 6 item 3; DOMAIN.md §8.1, §8.7) — no account.

* /portal/                  submit a demand (category, description, a place on the map or an
                            address, optional photos, mobile phone) → a tracking code
* /portal/submitted/?t=…    the code, shown large, with the hint to write it down
* /portal/track/            the code + the last four digits of the phone → the progress page
* /portal/track/<code>/     progress in plain words, the public timeline, the answer, rating
                            and one reopen when unsatisfied

What the resident sees is only theirs: the state (the district's StateLabel names), public
timeline events without staff names, the answer; never the handler, internal notes, or the
phone in full. Wrong code or wrong digits get one neutral message. Submissions and tracking
attempts are rate limited per client address (core.ratelimit; TONGXIN["PORTAL_*_RATE"]).

The progress page remembers in the session which codes this browser has proved (code →
digits), so rating and reopening need no second entry of the digits; every request still
goes through services.track / resident_act with them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from tongxin.core import ratelimit
from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.demands import rules, selectors, services
from tongxin.demands.forms.portal import (
    RateForm,
    SubmitForm,
    TrackForm,
    community_choices,
    max_photo_bytes,
    max_photos,
)
from tongxin.demands.models import Channel, Rating

T = "demands/portal/"
SESSION_KEY = "portal_tracked"  # {code: phone tail} proved in this browser
SESSION_MAX_CODES = 10
SUBMITTED_SALT = "tongxin.portal.submitted"
SUBMITTED_MAX_AGE = 24 * 3600
DEFAULT_CENTRE = (26.082, 119.296)  # [lat, lon]: Gulou district, Fuzhou (as the grid map)

# Plain words for the public timeline (an action without an entry shows its new state).
EVENT_WORDS = {
    "submit": gettext_lazy("Your demand was received"),
    "accept": pgettext_lazy("demand state", "Accepted"),
    "refuse": gettext_lazy("Not accepted"),
    "mark_duplicate": gettext_lazy("Joined to an earlier report of the same problem"),
    "dispatch": gettext_lazy("Passed to the body that handles it"),
    "claim": gettext_lazy("Handling started"),
    "return": gettext_lazy("Being passed to the right department"),
    "progress": gettext_lazy("Progress"),
    "escalate": gettext_lazy("Raised to the street for joint handling"),
    "summon": gettext_lazy("Departments called in"),
    "answer_summons": gettext_lazy("A department reported back"),
    "answer": gettext_lazy("Answered"),
    "close": gettext_lazy("Closed"),
    "rate": gettext_lazy("You rated the answer"),
    "reopen": gettext_lazy("Reopened at your request"),
    "return_visit": gettext_lazy("Return visit"),
    "archive": gettext_lazy("Archived"),
    "supervise": gettext_lazy("Put under supervision"),
    "decide_extension": gettext_lazy("Time limit extended"),
}


def _limit_rate(name: str, default: str) -> str:
    return settings.TONGXIN.get(name, default)


def _limited(request, bucket: str, setting: str, default: str):
    """None while within the limit, else the 429 page."""
    rate = _limit_rate(setting, default)
    if ratelimit.hit_rate(request, bucket, rate):
        return None
    _limit, window = ratelimit.parse_rate(rate)
    response = render(
        request,
        T + "limited.html",
        {"message": ratelimit.message()},
        status=429,
    )
    response["Retry-After"] = str(ratelimit.retry_after(window))
    return response


def _choices():
    """The active leaf categories (cached rows: selectors.active_categories, dropped on
    every category write) and every active community (one query)."""
    return {"categories": selectors.category_choices(), "communities": community_choices()}


def _post_choices(request):
    """What a POST is validated against: the categories as in `_choices`, and of the
    communities only the one chosen (one query, none when none is chosen) — building the
    whole list (about 1,500 communities in a city) is needed only to show the form again."""
    raw = (request.POST.get("community") or "").strip()
    communities = []
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= 18:
        from tongxin.orgs import rules as org_rules
        from tongxin.orgs.models import Org

        row = (
            Org.objects.filter(pk=int(raw), type=org_rules.COMMUNITY, active=True)
            .values_list("pk", "name")
            .first()
        )
        if row is not None:
            communities = [row]
    return {"categories": selectors.category_choices(), "communities": communities}


def _all_choices(form) -> None:
    """Give a form built for validation (`_post_choices`) every choice, to show it again."""
    choices = _choices()
    form.fields["category"].choices = [("", _("Choose…")), *choices["categories"]]
    form.fields["community"].choices = [("", _("Choose…")), *choices["communities"]]


def _map_settings() -> dict:
    url = settings.TONGXIN.get("MAP_TILE_URL", "")
    return {
        "TILES": [(_("Base map"), url, {"maxZoom": 18})] if url else [],
        "SPATIAL_EXTENT": None,
        "RESET_VIEW": False,
        "ATTRIBUTION_PREFIX": "Leaflet",
        "DEFAULT_CENTER": None,
        "DEFAULT_ZOOM": None,
    }


def _apply_service_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError onto the form: location problems go to the address
    (the place section), unknown fields to the top of the form."""
    location = {"latitude", "longitude", "location", "grid", "street"}
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for field, msgs in exc.message_dict.items():
        target = "address" if field in location else field
        if target not in form.fields:
            target = None
        for message in msgs:
            form.add_error(target, message)


@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def submit(request):
    if request.method == "POST":
        limited = _limited(request, "portal-submit", "PORTAL_SUBMIT_RATE", "10/h")
        if limited:
            return limited
        form = SubmitForm(request.POST, request.FILES, **_post_choices(request))
        if form.is_valid():
            data = form.cleaned_data
            try:
                demand = services.submit(
                    channel=Channel.PORTAL,
                    category=_category(data["category"]),
                    description=data["description"],
                    community=_community(data.get("community")),
                    address=data.get("address") or "",
                    latitude=data.get("latitude"),
                    longitude=data.get("longitude"),
                    contact_name=data.get("contact_name") or "",
                    phone=data["phone"],
                    confidential=bool(data.get("confidential")),
                    photos=data.get("photos") or [],
                )
            except ValidationError as exc:
                _apply_service_errors(form, exc)
            except PermissionDenied:
                form.add_error(None, _("This demand cannot be filed here."))
            else:
                token = signing.dumps(demand.code, salt=SUBMITTED_SALT, compress=False)
                return redirect(reverse("portal:submitted") + "?" + urlencode({"t": token}))
        _all_choices(form)
    else:
        form = SubmitForm(**_choices())
    return render(
        request,
        T + "submit.html",
        {
            "form": form,
            "leaflet_overrides": _map_settings(),
            "default_centre": list(DEFAULT_CENTRE),
            "max_photos": max_photos(),
            "max_photo_mb": f"{max_photo_bytes() / 1024 / 1024:g}",
        },
        status=400 if form.errors else 200,
    )


def _category(pk):
    from tongxin.demands.models import Category

    category = next((c for c in selectors.active_categories() if c.pk == pk), None)
    if category is None:
        category = Category.objects.filter(pk=pk).first()
    if category is None:
        raise ValidationError({"category": [_("Choose a category from the list.")]})
    return category


def _community(pk):
    if not pk:
        return None
    from tongxin.orgs import rules as org_rules
    from tongxin.orgs.models import Org

    org = Org.objects.filter(pk=pk, type=org_rules.COMMUNITY, active=True).first()
    if org is None:
        raise ValidationError({"community": [_("Choose a community from the list.")]})
    return org


@never_cache
@require_http_methods(["GET", "HEAD"])
def submitted(request):
    try:
        code = signing.loads(
            request.GET.get("t", ""), salt=SUBMITTED_SALT, max_age=SUBMITTED_MAX_AGE
        )
    except signing.BadSignature:
        return redirect("portal:track")
    if not isinstance(code, str):
        return redirect("portal:track")
    track_url = reverse("portal:track") + "?" + urlencode({"code": code})
    return render(request, T + "submitted.html", {"code": code, "track_url": track_url})


def _remember(request, code: str, tail: str) -> None:
    proved = dict(request.session.get(SESSION_KEY) or {})
    proved.pop(code, None)
    proved[code] = tail
    while len(proved) > SESSION_MAX_CODES:
        proved.pop(next(iter(proved)))
    request.session[SESSION_KEY] = proved


def _proved_tail(request, code: str) -> str | None:
    proved = request.session.get(SESSION_KEY) or {}
    tail = proved.get(code)
    return tail if isinstance(tail, str) else None


@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def track(request):
    if request.method == "POST":
        limited = _limited(request, "portal-track", "PORTAL_TRACK_RATE", "30/10m")
        if limited:
            return limited
        form = TrackForm(request.POST)
        if form.is_valid():
            code, tail = form.cleaned_data["code"], form.cleaned_data["phone_tail"]
            demand = services.track(code=code, phone_tail=tail)
            if demand is not None:
                _remember(request, demand.code, tail)
                return redirect("portal:progress", code=demand.code)
            form.add_error(None, not_found_message())
        status = 400 if form.errors else 200
    else:
        initial = {"code": (request.GET.get("code") or "")[:32]}
        form = TrackForm(initial=initial)
        status = 200
    return render(request, T + "track.html", {"form": form}, status=status)


def not_found_message() -> str:
    """The one answer for a wrong code, wrong digits or both (no hint which)."""
    return _(
        "No demand matches this tracking code and these phone digits. Check both and try again."
    )


def _load(request, code: str):
    """The proved demand, or None (then the visitor must enter code and digits)."""
    code = (code or "").upper()[:32]
    tail = _proved_tail(request, code)
    if tail is None:
        return None, None
    demand = services.track(code=code, phone_tail=tail)
    if demand is None:  # e.g. the code was proved in another session of this browser
        proved = dict(request.session.get(SESSION_KEY) or {})
        proved.pop(code, None)
        request.session[SESSION_KEY] = proved
        return None, None
    return demand, tail


def _ask_again(code: str):
    return redirect(reverse("portal:track") + "?" + urlencode({"code": code}))


def _can_rate(demand) -> bool:
    return demand.state in rules.ACTIONS["rate"].sources


def _can_reopen(demand) -> bool:
    """Once, while unsatisfied: from CLOSED (not rated yet: counts as 不满意) or after an
    unsatisfied rating (rules.check_reopen)."""
    return (
        demand.state in rules.ACTIONS["reopen"].sources
        and rules.check_reopen(reopen_count=demand.reopen_count, rating=demand.rating) is None
    )


def _public_events(demand, labels: dict[str, str]) -> list[dict]:
    events = []
    for e in selectors.timeline(demand, public_only=True):
        words = EVENT_WORDS.get(e.action)
        if words is None:
            words = labels.get(e.to_state) if e.to_state else _("Update")
        events.append(
            {
                "at": e.at,
                "words": words,
                "state": labels.get(e.to_state, "") if e.to_state else "",
                "note": e.note,
            }
        )
    return events


@never_cache
@require_http_methods(["GET", "HEAD"])
def progress(request, code):
    demand, _tail = _load(request, code)
    if demand is None:
        return _ask_again(code)
    return _render_progress(request, demand)


def _render_progress(request, demand, *, rate_form=None, status=200):
    labels = selectors.state_labels()
    open_ = demand.state in rules.OPEN_STATES
    return render(
        request,
        T + "progress.html",
        {
            "demand": demand,
            "category": demand.category,
            "state_label": labels.get(demand.state, demand.state),
            "is_open": open_,
            "due": demand.due_at if open_ and demand.state != rules.PENDING else None,
            "events": _public_events(demand, labels),
            "photo_count": demand.photos.count(),
            "can_rate": _can_rate(demand),
            "can_reopen": _can_reopen(demand),
            "rate_form": rate_form or RateForm(),
            "rating_label": Rating(demand.rating).label if demand.rating else "",
            "reopens_left": max(0, rules.MAX_REOPENS - demand.reopen_count),
        },
        status=status,
    )


@csrf_protect
@require_POST
def rate(request, code):
    limited = _limited(request, "portal-track", "PORTAL_TRACK_RATE", "30/10m")
    if limited:
        return limited
    demand, tail = _load(request, code)
    if demand is None:
        return _ask_again(code)
    form = RateForm(request.POST)
    if not form.is_valid():
        return _render_progress(request, demand, rate_form=form, status=400)
    try:
        services.resident_act(
            code=demand.code,
            phone_tail=tail,
            action="rate",
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as exc:
        messages.error(request, _first_message(exc))
        return redirect("portal:progress", code=demand.code)
    except services.Conflict:
        messages.error(request, _("The demand changed meanwhile; please look again."))
        return redirect("portal:progress", code=demand.code)
    messages.success(request, _("Thank you for your rating."))
    return redirect("portal:progress", code=demand.code)


@csrf_protect
@require_POST
def reopen(request, code):
    limited = _limited(request, "portal-track", "PORTAL_TRACK_RATE", "30/10m")
    if limited:
        return limited
    demand, tail = _load(request, code)
    if demand is None:
        return _ask_again(code)
    comment = (request.POST.get("comment") or "").strip()[:300]
    try:
        services.resident_act(code=demand.code, phone_tail=tail, action="reopen", comment=comment)
    except ValidationError as exc:
        messages.error(request, _first_message(exc))
        return redirect("portal:progress", code=demand.code)
    except services.Conflict:
        messages.error(request, _("The demand changed meanwhile; please look again."))
        return redirect("portal:progress", code=demand.code)
    messages.success(request, _("Your demand is open again; it will be handled anew."))
    return redirect("portal:progress", code=demand.code)


def _first_message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        for msgs in exc.message_dict.values():
            if msgs:
                return msgs[0]
    return exc.messages[0] if exc.messages else _("This cannot be done now.")
