"""Forms of the public resident portal (/portal/): they parse and check what a browser can
get wrong; demands.services.submit / resident_act validate again and decide.

Photos are checked by their content with Pillow (JPEG, PNG or WebP only, whatever the
file is called) and re-encoded, which drops their metadata (EXIF GPS, camera serials) and
anything hidden after the image data, before they reach the service.
"""

from __future__ import annotations

import io
import re
import warnings
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext_lazy as _

from tongxin.core.errors import ValidationError
from tongxin.demands.models import Rating
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import Org

MAX_DESCRIPTION = 2000
MIN_DESCRIPTION = 5
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
# What Pillow calls the formats we accept → (content type, file extension)
IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
MAX_IMAGE_PIXELS = 40_000_000  # a 5 MB file can still decode to a huge bitmap


def max_photos() -> int:
    """The photo limits are the intake service's (services.common: DEMAND_PHOTO_MAX_*)."""
    from tongxin.demands.services.common import setting

    return int(setting("DEMAND_PHOTO_MAX_COUNT"))


def max_photo_bytes() -> int:
    from tongxin.demands.services.common import setting

    return int(setting("DEMAND_PHOTO_MAX_BYTES"))


def normalise_phone(value: str) -> str:
    """Digits of a mainland mobile number: spaces, dashes and a +86/0086 prefix dropped."""
    digits = re.sub(r"[\s\-()（）]", "", value or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Zero or more image files from one <input type=file multiple>."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [f for f in files if f]


def sanitise_image(upload, *, index: int) -> SimpleUploadedFile:
    """The upload re-encoded by Pillow, or ValidationError naming what is wrong. The
    content decides (not the name or the browser's content type)."""
    from PIL import Image, ImageOps

    name = (getattr(upload, "name", "") or "")[-60:]
    limit = max_photo_bytes()
    if upload.size > limit:
        raise ValidationError(
            _("%(name)s is too large: at most %(mb)s MB per photo."),
            params={"name": name, "mb": f"{limit / 1024 / 1024:g}"},
            code="too_large",
        )
    not_image = ValidationError(
        _("%(name)s is not a photo: only JPEG, PNG or WebP images are accepted."),
        params={"name": name},
        code="not_image",
    )
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as probe:
                fmt = probe.format
                if fmt not in IMAGE_FORMATS:
                    raise not_image
                if probe.width * probe.height > MAX_IMAGE_PIXELS:
                    raise ValidationError(
                        _("%(name)s has too many pixels."),
                        params={"name": name},
                        code="too_large",
                    )
                probe.verify()  # structure and checksums
            upload.seek(0)
            with Image.open(upload) as img:
                img.load()
                img = ImageOps.exif_transpose(img)
                if fmt == "JPEG" and img.mode not in ("RGB", "L"):
                    img = img.convert("RGB")
                out = io.BytesIO()
                save = {"JPEG": {"quality": 90}, "WEBP": {"quality": 90}}.get(fmt, {})
                img.save(out, format=fmt, **save)
    except ValidationError:
        raise
    except Exception:  # any failure to decode (bad EXIF, truncated, a bomb): refuse
        raise not_image from None
    content_type, ext = IMAGE_FORMATS[fmt]
    data = out.getvalue()
    clean = SimpleUploadedFile(f"photo-{index}.{ext}", data, content_type=content_type)
    clean.image_format = fmt
    clean.image_size = img.size
    return clean


def community_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Active communities grouped by their street, for a <select> with optgroups."""
    rows = (
        Org.objects.filter(type=org_rules.COMMUNITY, active=True)
        .order_by("parent__path", "path")
        .values_list("pk", "name", "parent_id", "parent__name")
    )  # tuples, not model instances: a city has about 1,500 communities
    groups: dict[int, tuple[str, list]] = {}
    for pk, name, parent_id, parent_name in rows:
        groups.setdefault(parent_id or 0, (parent_name or "", []))[1].append((pk, name))
    return list(groups.values())


class SubmitForm(forms.Form):
    """The resident's demand. Location: a point picked on the map (latitude/longitude,
    filled in by the map picker) or an address with its community (works without
    JavaScript)."""

    category = forms.TypedChoiceField(label=_("What is it about?"), coerce=int, choices=())
    description = forms.CharField(
        label=_("Describe the problem"),
        min_length=MIN_DESCRIPTION,
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": MAX_DESCRIPTION}),
        help_text=_("What happened, where exactly, since when."),
    )
    community = forms.TypedChoiceField(
        label=_("Community"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=(),
        help_text=_("Needed when no place is picked on the map."),
    )
    address = forms.CharField(
        label=_("Address or place"),
        max_length=200,
        required=False,
        help_text=_("Street, building, landmark — where the problem is."),
    )
    latitude = forms.CharField(required=False, widget=forms.HiddenInput)
    longitude = forms.CharField(required=False, widget=forms.HiddenInput)
    photos = PhotosField(
        label=_("Photos (optional)"),
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    contact_name = forms.CharField(
        label=_("How should we address you? (optional)"), max_length=30, required=False
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("Needed to follow your demand: you will use its last four digits."),
    )

    confidential = forms.BooleanField(
        label=_("Keep my name and phone number from the department handling it"),
        required=False,
        help_text=_("Only the community staff who pass your demand on will see them."),
    )

    def __init__(self, *args, categories=None, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Choose…")), *(categories or [])]
        self.fields["community"].choices = [("", _("Choose…")), *(communities or [])]
        self.fields["photos"].help_text = _(
            "At most %(count)s photos (JPEG, PNG or WebP), %(mb)s MB each."
        ) % {"count": max_photos(), "mb": f"{max_photo_bytes() / 1024 / 1024:g}"}

    def clean_description(self):
        text = self.cleaned_data["description"].strip()
        if len(text) < MIN_DESCRIPTION:
            raise ValidationError(_("Please describe the problem in a few words."))
        return text

    def clean_phone(self):
        phone = normalise_phone(self.cleaned_data["phone"])
        if not PHONE_RE.match(phone):
            raise ValidationError(
                _("Enter a mainland mobile number of 11 digits, such as 13800138000.")
            )
        return phone

    def _coordinate(self, name: str, low: int, high: int):
        raw = (self.cleaned_data.get(name) or "").strip()
        if not raw:
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or not (low <= value <= high):
            self.add_error("address", _("The place picked on the map is not valid."))
            return None
        return value.quantize(Decimal("0.000001"))

    def clean_photos(self):
        files = self.cleaned_data.get("photos") or []
        if len(files) > max_photos():
            raise ValidationError(
                _("At most %(count)s photos."), params={"count": max_photos()}, code="too_many"
            )
        errors, clean = [], []
        for i, f in enumerate(files, start=1):
            try:
                clean.append(sanitise_image(f, index=i))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return clean

    def clean(self):
        data = super().clean()
        lat = self._coordinate("latitude", -90, 90)
        lon = self._coordinate("longitude", -180, 180)
        if (lat is None) != (lon is None):
            lat = lon = None
        data["latitude"], data["longitude"] = lat, lon
        if lat is None:
            if not (data.get("address") or "").strip():
                self.add_error("address", _("Pick the place on the map, or enter the address."))
            if not data.get("community") and "community" not in self.errors:
                self.add_error("community", _("Choose the community of the address."))
        return data


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    phone_tail = forms.CharField(
        label=_("Last four digits of your mobile phone"),
        max_length=4,
        min_length=4,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "pattern": "[0-9]{4}", "autocomplete": "off"}
        ),
    )

    def clean_code(self):
        return re.sub(r"[\s\-]", "", self.cleaned_data["code"]).upper()

    def clean_phone_tail(self):
        tail = self.cleaned_data["phone_tail"].strip()
        if not (len(tail) == 4 and tail.isascii() and tail.isdigit()):
            raise ValidationError(_("Enter four digits."))
        return tail


class RateForm(forms.Form):
    rating = forms.ChoiceField(
        label=_("How satisfied are you with the answer?"),
        choices=Rating.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 300}),
    )
