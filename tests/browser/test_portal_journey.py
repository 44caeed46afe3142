"""The portal in a real headless Chromium at 375 px: the map picker (progressive
enhancement) fills the place, a photo goes along, the code comes back; without JavaScript
the address path still works. (The full resident → worker → department journey is the
browser journey of tests/browser/.)"""

import re

import pytest
from django.core.cache import caches

from tests.demands.portal_helpers import TAIL, image_bytes, make_category, make_grid
from tests.factories import District
from tongxin.demands.models import Demand

pytestmark = pytest.mark.browser


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    caches["default"].clear()
    d = District()
    make_category()
    make_grid(d)
    return d


def no_horizontal_scroll(pg) -> bool:
    return pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_resident_picks_the_place_on_the_map(live_server, page, world, tmp_path):
    shot = tmp_path / "p.png"
    shot.write_bytes(image_bytes("PNG", size=(40, 30)))
    page.goto(live_server.url + "/portal/")
    assert no_horizontal_scroll(page)
    assert page.locator("#portal-map").is_visible()
    page.wait_for_function("document.querySelector('#portal-map.leaflet-container') !== null")
    page.select_option("#id_category", label="环境卫生")
    page.fill("#id_description", "路灯坏了，晚上很黑。")
    # keyboard path: the map's centre (the default centre lies in the test grid's box)
    page.click("#map-centre")
    assert page.input_value("#id_latitude") != ""
    # a tap elsewhere on the map moves the marker and the inputs
    box = page.locator("#portal-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2 + 3, box["y"] + box["height"] / 2 + 3)
    lat, lon = page.input_value("#id_latitude"), page.input_value("#id_longitude")
    assert re.fullmatch(r"-?\d+\.\d{6}", lat) and re.fullmatch(r"-?\d+\.\d{6}", lon)
    assert "26." in page.inner_text("#map-status")
    page.set_input_files("#id_photos", str(shot))
    page.fill("#id_phone", "13800138000")
    page.get_by_role("button", name=re.compile("Submit|提交")).click()
    page.wait_for_url(re.compile(r"/portal/submitted/"))
    code = page.inner_text("#tracking-code").strip()
    demand = Demand.objects.get(code=code)
    assert demand.grid is not None and demand.photos.count() == 1
    assert no_horizontal_scroll(page)
    # follow it with the code and the last four digits
    page.locator(".card a.btn").first.click()
    assert page.input_value("#id_code") == code
    page.fill("#id_phone_tail", TAIL)
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/portal/track/{code}/"))
    assert page.inner_text("#tracking-code").strip() == code
    assert no_horizontal_scroll(page)


def test_without_javascript_the_address_is_enough(live_server, browser, world):
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, locale="zh-CN", java_script_enabled=False
    )
    pg = context.new_page()
    try:
        pg.goto(live_server.url + "/portal/")
        assert not pg.locator("#portal-map").is_visible()  # the map needs JavaScript
        pg.select_option("#id_category", label="环境卫生")
        pg.fill("#id_description", "小区门口积水严重。")
        pg.fill("#id_address", "南后街 3 号")
        pg.select_option("#id_community", label=world.comm_a1.name)
        pg.fill("#id_phone", "13800138000")
        pg.locator("form.card button[type=submit]").click()
        pg.wait_for_url(re.compile(r"/portal/submitted/"))
        code = pg.inner_text("#tracking-code").strip()
        assert Demand.objects.get(code=code).community == world.comm_a1
    finally:
        context.close()
