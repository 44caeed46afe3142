"""Shared pieces of the portal tests (tests/demands/test_portal*.py)."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile

from tongxin.demands.models import Category

# A grid square in community a1 (WGS84 [lon, lat]); the district's extent is this box.
BOX = [[119.29, 26.08], [119.30, 26.08], [119.30, 26.09], [119.29, 26.09], [119.29, 26.08]]
INSIDE = ("26.085", "119.295")  # (lat, lon)
OUTSIDE = ("39.904200", "116.407400")  # Beijing
PHONE = "13800138000"
TAIL = "8000"


def make_category(code="env", name="环境卫生", **extra) -> Category:
    return Category.objects.create(code=code, name=name, limit_value=5, **extra)


def make_grid(district, *, boundary=None, code="G-A1-1"):
    from tongxin.grid.models import Grid

    return Grid.objects.create(
        community=district.comm_a1,
        code=code,
        name="三坊七巷第一网格",
        boundary=boundary or {"type": "Polygon", "coordinates": [BOX]},
    )


def image_bytes(fmt="PNG", size=(12, 10), color=(200, 30, 30)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def photo(name="photo.png", fmt="PNG", **kw) -> SimpleUploadedFile:
    content_type = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}.get(
        fmt, "application/octet-stream"
    )
    return SimpleUploadedFile(name, image_bytes(fmt, **kw), content_type=content_type)


def form_data(category, community=None, **overrides) -> dict:
    data = {
        "category": str(category.pk),
        "description": "楼下垃圾三天没人清运，气味很大。",
        "community": str(community.pk) if community else "",
        "address": "南后街 12 号门口",
        "latitude": "",
        "longitude": "",
        "contact_name": "",
        "phone": PHONE,
    }
    data.update(overrides)
    return data
