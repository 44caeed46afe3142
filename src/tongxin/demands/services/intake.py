"""Intake: file a demand from any channel; the resident's tracking lookup."""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils.translation import gettext as _

from tongxin.core import audit
from tongxin.core.outbound import is_mobile, normalise_mobile
from tongxin.core.scoping import scope_paths
from tongxin.demands import rules
from tongxin.demands.models import Category, Channel, Demand, Photo
from tongxin.demands.services.common import (
    calendar,
    dispatchers_of,
    event,
    limits,
    notify_now,
    now_or,
    schedule,
    setting,
    sms_now,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out on the phone
CODE_RANDOM = 6
LANDLINE_RE = re.compile(r"0\d{9,11}|\d{7,8}")
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
TITLE_MAX = Demand._meta.get_field("title").max_length
ADDRESS_MAX = Demand._meta.get_field("address").max_length
NAME_MAX = 50
EXTERNAL_ID_MAX = Demand._meta.get_field("external_id").max_length


# ------------------------------------------------------------------ tracking code


def new_code(now: datetime) -> str:
    """YYMMDD + 6 random characters (32^6 ≈ 10^9 per day), e.g. 261126K7QX3M."""
    day = now.astimezone(schedule().tz).strftime("%y%m%d")
    for _attempt in range(10):
        code = day + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_RANDOM))
        if not Demand.objects.filter(code=code).exists():
            return code
    raise RuntimeError("could not find a free tracking code")  # pragma: no cover


def code_candidate(now: datetime) -> str:
    """A tracking code (as `new_code`) without asking the database whether it is free: the
    unique constraint on Demand.code decides (see `_insert`)."""
    day = now.astimezone(schedule().tz).strftime("%y%m%d")
    return day + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_RANDOM))


CODE_ATTEMPTS = 10


def _insert(demand: Demand, now: datetime) -> None:
    """Save a new demand under a fresh random tracking code, retrying with another code
    (inside a savepoint) in the rare case the code is taken — one INSERT, no look-up first."""
    for attempt in range(CODE_ATTEMPTS):
        demand.code = code_candidate(now)
        try:
            with transaction.atomic():
                demand.save()
            return
        except IntegrityError:
            demand.pk = None
            if attempt == CODE_ATTEMPTS - 1 or not Demand.objects.filter(code=demand.code).exists():
                raise  # not a clash of codes (or no free code found): the caller's problem


def normalise_code(code: str) -> str:
    return re.sub(r"[\s\-]", "", str(code or "")).upper()[:16]


def phone_tail_of(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    return digits[-4:] if len(digits) >= 4 else ""


# ------------------------------------------------------------------ location

_SHAPES: dict = {"version": None, "shapes": []}


def grid_shapes() -> list[rules.GridShape]:
    """Boundaries of the active grids with one, cached per process until a grid changes
    (one cheap aggregate per call)."""
    from tongxin.grid.models import Grid

    qs = Grid.objects.filter(active=True, boundary__isnull=False)
    version = tuple(qs.aggregate(n=Count("id"), at=Max("updated_at")).values())
    if _SHAPES["version"] != version:
        shapes = []
        for pk, boundary in qs.order_by("id").values_list("id", "boundary"):
            try:
                shapes.append(rules.GridShape.of(pk, boundary))
            except (KeyError, TypeError, ValueError, IndexError):
                continue  # an invalid boundary is the grid app's problem; skip it
        _SHAPES.update(version=version, shapes=shapes)
    return _SHAPES["shapes"]


def _coordinate(value, low, high, field, errors):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(_("Enter a number."))
        return None
    if not number.is_finite() or not low <= number <= high:
        errors.setdefault(field, []).append(
            _("Must be between %(low)s and %(high)s.") % {"low": low, "high": high}
        )
        return None
    return number.quantize(Decimal("0.000001"))


# ------------------------------------------------------------------ photos


def check_photos(photos, errors: dict) -> list[dict]:
    """Read each upload with Pillow: images only (JPEG, PNG, WebP), size and count limits.
    Returns [{"file", "content_type", "size", "width", "height"}]."""
    from PIL import Image

    photos = list(photos or [])
    max_count = int(setting("DEMAND_PHOTO_MAX_COUNT"))
    max_bytes = int(setting("DEMAND_PHOTO_MAX_BYTES"))
    if len(photos) > max_count:
        errors.setdefault("photos", []).append(_("At most %(n)d photos.") % {"n": max_count})
        return []
    checked = []
    for f in photos:
        name = getattr(f, "name", "") or "photo"
        size = getattr(f, "size", None)
        if size is None or size > max_bytes:
            errors.setdefault("photos", []).append(
                _("%(name)s is larger than %(mb)d MB.")
                % {"name": name, "mb": max_bytes // (1024 * 1024)}
            )
            continue
        try:
            f.seek(0)
            with Image.open(f) as image:
                fmt = image.format
                width, height = image.size
                image.verify()
        except Exception:
            fmt = None
        if fmt not in IMAGE_FORMATS:
            errors.setdefault("photos", []).append(
                _("%(name)s is not a JPEG, PNG or WebP image.") % {"name": name}
            )
            continue
        f.seek(0)
        checked.append(
            {
                "file": f,
                "content_type": IMAGE_FORMATS[fmt],
                "size": size,
                "width": width,
                "height": height,
            }
        )
    return checked


def save_photos(demand: Demand, checked: list[dict], ev=None) -> list[Photo]:
    saved = []
    for item in checked:
        ext = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}[item["content_type"]]
        photo = Photo(
            demand=demand,
            content_type=item["content_type"],
            size=item["size"],
            width=item["width"],
            height=item["height"],
            event=ev,
        )
        photo.image.save(f"{demand.code}-{secrets.token_hex(4)}.{ext}", item["file"], save=False)
        photo.save()
        saved.append(photo)
    return saved


# ------------------------------------------------------------------ submit


def _category(value, errors) -> Category | None:
    if value in (None, ""):
        errors.setdefault("category", []).append(_("Choose a category."))
        return None
    if not isinstance(value, Category):
        try:
            value = Category.objects.get(pk=int(value))
        except (Category.DoesNotExist, TypeError, ValueError):
            errors.setdefault("category", []).append(_("Choose a category from the list."))
            return None
    if not value.active:
        errors.setdefault("category", []).append(_("This category is no longer in use."))
        return None
    if _has_active_children(value):
        errors.setdefault("category", []).append(
            _("Choose a subcategory of %(name)s.") % {"name": value.name}
        )
        return None
    return value


def _has_active_children(category: Category) -> bool:
    """Whether an active category has active subcategories, from the cached category rows
    (selectors.active_categories: a minute at most, dropped on every category write here)."""
    from tongxin.demands.selectors.demands import parents_with_active_children

    return category.pk in parents_with_active_children()


def _community(value, errors):
    from tongxin.orgs.models import Org

    if value in (None, ""):
        return None
    if not isinstance(value, Org):
        try:
            value = Org.objects.get(pk=int(value))
        except (Org.DoesNotExist, TypeError, ValueError):
            errors.setdefault("community", []).append(_("Choose a community from the list."))
            return None
    if value.type != "community_committee" or not value.active:
        errors.setdefault("community", []).append(_("Choose a community from the list."))
        return None
    return value


@transaction.atomic
def submit(
    *,
    channel: str,
    category,
    description: str,
    title: str = "",
    community=None,
    address: str = "",
    latitude=None,
    longitude=None,
    contact_name: str = "",
    phone: str = "",
    confidential: bool = False,
    photos: list | None = None,
    actor=None,
    visit=None,
    grid=None,
    open311_client=None,
    external_id: str = "",
    now: datetime | None = None,
) -> Demand:
    """See services.workflow.submit. Without a map point, `grid` (or the visit's grid)
    places the demand, so per-grid measures count patrol reports and visits too."""
    from tongxin.grid.models import Grid

    given_now = now is not None
    now = now_or(now)
    errors: dict[str, list] = {}
    if channel not in Channel.values:
        errors.setdefault("channel", []).append(_("Choose a channel from the list."))
    staff = getattr(actor, "is_authenticated", False)
    cat = _category(category, errors)
    description = str(description or "").strip()
    max_desc = int(setting("DEMAND_DESCRIPTION_MAX"))
    if len(description) < 5:
        errors.setdefault("description", []).append(
            _("Describe the problem in at least 5 characters.")
        )
    elif len(description) > max_desc:
        errors.setdefault("description", []).append(
            _("At most %(n)d characters.") % {"n": max_desc}
        )
    title = str(title or "").strip()
    if len(title) > TITLE_MAX:
        errors.setdefault("title", []).append(_("At most %(n)d characters.") % {"n": TITLE_MAX})
    address = str(address or "").strip()
    if len(address) > ADDRESS_MAX:
        errors.setdefault("address", []).append(_("At most %(n)d characters.") % {"n": ADDRESS_MAX})
    contact_name = str(contact_name or "").strip()
    if len(contact_name) > NAME_MAX:
        errors.setdefault("contact_name", []).append(
            _("At most %(n)d characters.") % {"n": NAME_MAX}
        )
    phone = normalise_mobile(phone)
    if phone and not (is_mobile(phone) or LANDLINE_RE.fullmatch(phone)):
        errors.setdefault("phone", []).append(
            _("Enter a mobile number (11 digits) or a landline number.")
        )
    elif not phone and channel == Channel.PORTAL:
        errors.setdefault("phone", []).append(
            _("Enter your phone number: you need its last four digits to follow the demand.")
        )
    external_id = str(external_id or "").strip()
    if len(external_id) > EXTERNAL_ID_MAX:
        errors.setdefault("external_id", []).append(
            _("At most %(n)d characters.") % {"n": EXTERNAL_ID_MAX}
        )
    elif external_id and open311_client is not None:
        if Demand.objects.filter(open311_client=open311_client, external_id=external_id).exists():
            errors.setdefault("external_id", []).append(
                _("A request with this id was already received from this client.")
            )

    lat = _coordinate(latitude, -90, 90, "latitude", errors)
    lon = _coordinate(longitude, -180, 180, "longitude", errors)
    if (lat is None) != (lon is None) and "latitude" not in errors and "longitude" not in errors:
        errors.setdefault("location", []).append(_("Give both latitude and longitude."))
    comm = _community(community, errors)
    chosen = grid if grid is not None else getattr(visit, "grid", None)
    grid = None
    if lat is not None and lon is not None:
        shapes = grid_shapes()
        grid_id = rules.locate(float(lon), float(lat), shapes)
        if grid_id is not None:
            grid = Grid.objects.select_related("community").get(pk=grid_id)
            comm = grid.community  # the point decides over a community chosen in a form
        elif not rules.within_extent(float(lon), float(lat), shapes):
            errors.setdefault("location", []).append(_("This location is outside the district."))
    if grid is None and chosen is not None and "location" not in errors:
        if comm is not None and chosen.community_id != comm.pk:
            errors.setdefault("grid", []).append(_("This grid is not in the chosen community."))
        else:
            grid, comm = chosen, chosen.community
    if comm is None and "location" not in errors and "community" not in errors:
        errors.setdefault("community", []).append(
            _("Choose the community, or mark the location on the map.")
        )
    if comm is not None and staff and not any(comm.path.startswith(p) for p in scope_paths(actor)):
        raise PermissionDenied(_("This community is outside your area."))
    checked = check_photos(photos, errors)
    if any(errors.values()):
        raise ValidationError(errors)

    urgent = bool(cat.urgent)
    demand = Demand(
        channel=channel,
        category=cat,
        title=title or description[:30],
        description=description,
        address=address,
        latitude=lat,
        longitude=lon,
        street_id=comm.parent_id,
        community=comm,
        grid=grid,
        contact_name=contact_name,
        phone=phone,
        phone_tail=phone_tail_of(phone),
        confidential=bool(confidential),
        visit=visit,
        open311_client=open311_client,
        external_id=external_id,
        accept_due_at=rules.accept_due(
            now, urgent=urgent, limits=limits(), cal=calendar(), schedule=schedule()
        ),
    )
    demand.created_at = now
    _insert(demand, now)
    if given_now and demand.created_at != now:  # auto_now_add overrides; `now` was asked for
        Demand.objects.filter(pk=demand.pk).update(created_at=now)
        demand.created_at = now
    actor_label = "" if staff else (open311_client.name if open311_client else "resident")
    ev = event(
        demand,
        action="submit",
        from_state="",
        to_state=rules.PENDING,
        actor=actor,
        actor_label=actor_label[:100],
        payload={"channel": channel},
        at=now,
    )
    save_photos(demand, checked, ev)
    audit.record(
        actor=actor if staff else (actor_label or "resident"),
        action="demand.submit",
        obj=demand,
        changes={"channel": [None, channel], "category": [None, cat.pk]},
    )
    # Written in this transaction (it commits or rolls back with the demand): one commit
    # per submit instead of three.
    notify_now(
        dispatchers_of(demand),
        kind="demand_new",
        subject=_("New demand %(code)s: %(title)s") % {"code": demand.code, "title": demand.title},
        demand=demand,
        key=f"demand-new:{demand.pk}",
    )
    if demand.phone_tail:
        sms_now(
            demand,
            _(
                "Your demand has been received. Tracking code %(code)s; follow it on the "
                "residents' portal with the code and the last four digits of this phone."
            )
            % {"code": demand.code},
            kind="demand_received",
        )
    return demand


def track(*, code: str, phone_tail: str) -> Demand | None:
    """See services.workflow.track."""
    code = normalise_code(code)
    tail = re.sub(r"\D", "", str(phone_tail or ""))
    if not code or len(tail) != 4:
        return None
    demand = (
        Demand.objects.select_related("category", "community", "street").filter(code=code).first()
    )
    if demand is None or not demand.phone_tail:
        hmac.compare_digest("0000", tail)  # same work either way
        return None
    if not hmac.compare_digest(demand.phone_tail, tail):
        return None
    return demand
