"""The public resident portal: submitting a demand (/portal/)."""

import re

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from tests.demands.portal_helpers import (
    INSIDE,
    OUTSIDE,
    PHONE,
    TAIL,
    form_data,
    image_bytes,
    make_category,
    make_grid,
    photo,
)
from tongxin.demands.forms.portal import max_photo_bytes, max_photos
from tongxin.demands.models import Demand, DemandEvent, Photo

URL = "/portal/"


def EN(**kwargs):
    """A browser asking for English: messages are asserted by their msgids."""
    return Client(HTTP_ACCEPT_LANGUAGE="en", **kwargs)


@pytest.fixture(autouse=True)
def clean_cache():
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def category(db):
    return make_category()


@pytest.fixture
def grid(district):
    return make_grid(district)


def post(client, data, files=None):
    payload = dict(data)
    if files is not None:
        payload["photos"] = files
    return client.post(URL, payload)


def errors_of(response, field):
    form = response.context["form"]
    return [str(e) for e in form.errors.get(field, [])]


# ------------------------------------------------------------------ the page


def test_anonymous_gets_the_form_without_staff_navigation(district, category):
    response = Client().get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'enctype="multipart/form-data"' in html
    assert reverse("accounts:logout") not in html  # no staff header
    assert 'class="menu"' not in html
    assert category.name in html
    assert district.comm_a1.name in html  # communities to choose for an address
    assert reverse("portal:track") in html


def test_page_is_mobile_sane(district, category):
    html = Client().get(URL).content.decode()
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    # no fixed widths that would overflow a 375 px screen (max-/min- widths are fine)
    fixed = re.findall(r"(?<![-\w])width\s*:\s*(\d+)px", html)
    assert [w for w in fixed if int(w) > 320] == []
    assert re.search(r'<input[^>]+name="phone"[^>]+inputmode="tel"', html)


def test_map_picker_is_progressive(district, category, settings):
    settings.TONGXIN = {**settings.TONGXIN, "MAP_TILE_URL": ""}
    html = Client().get(URL).content.decode()
    assert "leaflet/leaflet.js" in html  # django-leaflet's own static copy, no CDN
    assert "demands/portal_map.js" in html
    assert 'id="portal-map"' in html
    assert 'class="map-picker"' in html  # hidden without JavaScript (CSS: .js .map-picker)
    assert "tile.openstreetmap" not in html  # blank background when no tile URL
    # the address fields work without the map
    assert 'name="address"' in html and 'name="community"' in html


def test_tile_url_from_settings(district, category, settings):
    settings.TONGXIN = {
        **settings.TONGXIN,
        "MAP_TILE_URL": "https://tiles.example.invalid/{z}/{x}/{y}.png",
    }
    html = Client().get(URL).content.decode()
    assert "tiles.example.invalid" in html


def test_get_page_query_budget(district, category, django_assert_max_num_queries):
    client = Client()
    with django_assert_max_num_queries(2):  # categories, communities
        assert client.get(URL).status_code == 200


# ------------------------------------------------------------------ happy path


def test_submit_with_address_and_photo(district, category):
    client = Client()
    response = post(client, form_data(category, district.comm_a1), [photo()])
    assert response.status_code == 302, response.content.decode()[:2000]
    demand = Demand.objects.get()
    assert demand.channel == "portal"
    assert demand.community == district.comm_a1
    assert demand.street == district.street_a
    assert demand.phone == PHONE and demand.phone_tail == TAIL
    assert demand.state == "pending"
    assert demand.photos.count() == 1
    stored = Photo.objects.get()
    assert stored.content_type == "image/png" and (stored.width, stored.height) == (12, 10)
    assert DemandEvent.objects.filter(demand=demand, action="submit").count() == 1
    # the result page shows the code prominently, with the hint to keep it
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert re.search(r'<p class="code" id="tracking-code">\s*' + demand.code + r"\s*</p>", html)
    with translation.override(django_settings.LANGUAGE_CODE):
        assert gettext("Please write this code down or take a screenshot.") in html
    assert PHONE not in html  # the phone is never shown back
    assert f"{reverse('portal:track')}?code={demand.code}" in html


def test_submit_with_a_point_on_the_map_finds_the_grid(district, category, grid):
    data = form_data(category, None, address="", latitude=INSIDE[0], longitude=INSIDE[1])
    response = post(Client(), data)
    assert response.status_code == 302
    demand = Demand.objects.get()
    assert demand.grid == grid
    assert demand.community == district.comm_a1
    assert str(demand.latitude) == "26.085000"


def test_phone_with_spaces_and_prefix_is_accepted(district, category):
    response = post(Client(), form_data(category, district.comm_a1, phone="+86 138-0013-8000"))
    assert response.status_code == 302
    assert Demand.objects.get().phone_tail == TAIL


def test_photos_are_reencoded_without_metadata(district, category):
    from PIL import Image

    img = Image.new("RGB", (16, 16), (10, 200, 10))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    buf = __import__("io").BytesIO()
    img.save(buf, format="JPEG", exif=exif.tobytes())
    raw = buf.getvalue() + b"<script>alert(1)</script>"  # trailing junk after the image
    upload = SimpleUploadedFile("x.jpg", raw, content_type="image/jpeg")
    response = post(Client(), form_data(category, district.comm_a1), [upload])
    assert response.status_code == 302
    stored = Photo.objects.get()
    data = stored.image.read()
    assert b"SecretCam" not in data and b"<script>" not in data
    assert stored.content_type == "image/jpeg"


def test_submitted_page_rejects_a_forged_token(district):
    response = Client().get(reverse("portal:submitted") + "?t=ABC123")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:track")


# ------------------------------------------------------------------ refusals


def test_photo_too_big(district, category):
    big = SimpleUploadedFile(
        "big.jpg", b"\xff\xd8\xff" + b"0" * max_photo_bytes(), content_type="image/jpeg"
    )
    response = post(Client(), form_data(category, district.comm_a1), [big])
    assert response.status_code == 400
    assert any("big.jpg" in e for e in errors_of(response, "photos"))
    assert Demand.objects.count() == 0 and Photo.objects.count() == 0


def test_photo_too_big_message_names_the_limit(district, category):
    big = SimpleUploadedFile(
        "big.png", b"\x89PNG" + b"0" * (max_photo_bytes() + 1), content_type="image/png"
    )
    with translation.override("en"):
        response = post(EN(), form_data(category, district.comm_a1), [big])
        messages = errors_of(response, "photos")
    assert response.status_code == 400
    limit = f"{max_photo_bytes() / 1048576:g}"
    assert messages == [f"big.png is too large: at most {limit} MB per photo."]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.jpg", b"<script>alert(1)</script>"),  # the name lies
        ("photo.gif", image_bytes("GIF")),  # a real image of a format we do not take
        ("photo.png", image_bytes("PNG")[:40]),  # a truncated PNG
        ("doc.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"),
    ],
)
def test_not_an_image(district, category, name, content):
    upload = SimpleUploadedFile(name, content, content_type="image/jpeg")
    with translation.override("en"):
        response = post(EN(), form_data(category, district.comm_a1), [upload])
        messages = errors_of(response, "photos")
    assert response.status_code == 400
    assert messages == [f"{name} is not a photo: only JPEG, PNG or WebP images are accepted."]
    assert Demand.objects.count() == 0 and Photo.objects.count() == 0


def test_one_bad_photo_among_good_ones_writes_nothing(district, category):
    bad = SimpleUploadedFile("b.png", b"not an image", content_type="image/png")
    response = post(Client(), form_data(category, district.comm_a1), [photo(), bad])
    assert response.status_code == 400
    assert Demand.objects.count() == 0 and Photo.objects.count() == 0


def test_too_many_photos(district, category):
    files = [photo(f"p{i}.png") for i in range(max_photos() + 1)]
    with translation.override("en"):
        response = post(EN(), form_data(category, district.comm_a1), files)
        messages = errors_of(response, "photos")
    assert response.status_code == 400
    assert messages == [f"At most {max_photos()} photos."]
    assert Demand.objects.count() == 0 and Photo.objects.count() == 0


def test_webp_and_jpeg_accepted(district, category):
    files = [photo("a.webp", "WEBP"), photo("b.jpeg", "JPEG")]
    response = post(Client(), form_data(category, district.comm_a1), files)
    assert response.status_code == 302
    assert sorted(Photo.objects.values_list("content_type", flat=True)) == [
        "image/jpeg",
        "image/webp",
    ]


def test_outside_the_district(district, category, grid):
    data = form_data(category, district.comm_a1, latitude=OUTSIDE[0], longitude=OUTSIDE[1])
    with translation.override("en"):
        response = post(EN(), data)
        html = response.content.decode()
    assert response.status_code == 400
    assert "This location is outside the district." in errors_of(response, "address")
    assert "This location is outside the district." in html
    assert Demand.objects.count() == 0


def test_nonsense_coordinates(district, category):
    data = form_data(category, None, address="", latitude="abc", longitude="1e999")
    response = post(Client(), data)
    assert response.status_code == 400
    assert errors_of(response, "address")
    assert Demand.objects.count() == 0


def test_no_place_at_all(district, category):
    data = form_data(category, None, address="")
    with translation.override("en"):
        response = post(EN(), data)
        assert errors_of(response, "address") == [
            "Pick the place on the map, or enter the address."
        ]
        assert errors_of(response, "community") == ["Choose the community of the address."]
    assert response.status_code == 400


@pytest.mark.parametrize("phone", ["", "12345", "23800138000", "1380013800", "0591-87654321"])
def test_bad_phone(district, category, phone):
    with translation.override("en"):
        response = post(EN(), form_data(category, district.comm_a1, phone=phone))
        messages = errors_of(response, "phone")
    assert response.status_code == 400
    assert messages, "the phone field names the problem"
    assert Demand.objects.count() == 0


def test_unknown_category_and_community(district, category):
    data = {**form_data(category, district.comm_a1), "category": "999999", "community": "888888"}
    response = post(Client(), data)
    assert response.status_code == 400
    assert errors_of(response, "category") and errors_of(response, "community")
    assert Demand.objects.count() == 0


def test_a_branch_is_not_a_community(district, category):
    data = {**form_data(category, None), "community": str(district.branch_a1.pk)}
    response = post(Client(), data)
    assert response.status_code == 400
    assert errors_of(response, "community")


def test_description_too_short(district, category):
    response = post(Client(), form_data(category, district.comm_a1, description="  坏 "))
    assert response.status_code == 400
    assert errors_of(response, "description")


def test_script_in_description_is_rendered_as_text(district, category):
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    # re-displayed in the form after an error elsewhere
    response = post(Client(), form_data(category, district.comm_a1, description=attack, phone="1"))
    html = response.content.decode()
    assert response.status_code == 400
    assert '<script>alert("x")' not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html


def test_rate_limit_on_submissions(district, category, settings):
    settings.TONGXIN = {**settings.TONGXIN, "PORTAL_SUBMIT_RATE": "2/h"}
    client = EN(REMOTE_ADDR="198.51.100.20")
    for _ in range(2):
        assert post(client, form_data(category, district.comm_a1)).status_code == 302
    with translation.override("en"):
        response = post(client, form_data(category, district.comm_a1))
        html = response.content.decode()
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many attempts" in html
    assert Demand.objects.count() == 2  # the third was not written
    # another address is not affected
    other = Client(REMOTE_ADDR="198.51.100.21")
    assert post(other, form_data(category, district.comm_a1)).status_code == 302
    # looking at the form is not limited
    assert client.get(URL).status_code == 200


def test_invalid_posts_count_towards_the_limit(district, category, settings):
    settings.TONGXIN = {**settings.TONGXIN, "PORTAL_SUBMIT_RATE": "1/h"}
    client = Client(REMOTE_ADDR="198.51.100.30")
    assert post(client, form_data(category, district.comm_a1, phone="1")).status_code == 400
    assert post(client, form_data(category, district.comm_a1)).status_code == 429


def test_csrf_is_enforced(district, category):
    client = Client(enforce_csrf_checks=True)
    response = post(client, form_data(category, district.comm_a1))
    assert response.status_code == 403
    assert Demand.objects.count() == 0
    page = client.get(URL)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    data = form_data(category, district.comm_a1, csrfmiddlewaretoken=token)
    assert client.post(URL, data).status_code == 302
    assert Demand.objects.count() == 1


def test_only_get_and_post(district):
    assert Client().put(URL).status_code == 405


def test_resident_may_ask_for_confidentiality(district, category):
    data = form_data(category, district.comm_a1, confidential="on")
    assert post(Client(), data).status_code == 302
    assert Demand.objects.get().confidential is True


def test_pixel_bomb_is_refused(district, category):
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("1", (8000, 6000)).save(out, format="PNG")  # small file, 48 million pixels
    assert len(out.getvalue()) < max_photo_bytes()
    bomb = SimpleUploadedFile("bomb.png", out.getvalue(), content_type="image/png")
    with translation.override("en"):
        response = post(EN(), form_data(category, district.comm_a1), [bomb])
        messages = errors_of(response, "photos")
    assert response.status_code == 400
    assert messages == ["bomb.png has too many pixels."]
    assert Demand.objects.count() == 0
