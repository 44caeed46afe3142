"""Issue 6's journey, in a real headless Chromium at 375 px: a resident submits a demand
with a photo at /portal/ (no account); a community worker accepts and dispatches it to the
routed department; the department's handler takes it on and answers; the community worker
closes it; the resident follows it with the tracking code and the last four phone digits
and rates it; the measures page counts it.
"""

import re

import pytest
from django.core.cache import caches

from tests.demands.factories import make_department, make_route, png_bytes
from tests.demands.portal_helpers import BOX, PHONE, TAIL, make_category
from tests.factories import PASSWORD, District, make_user
from tongxin.demands.models import Demand

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 375, "height": 812}


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    from tongxin.grid.models import Grid

    settings.MEDIA_ROOT = tmp_path / "media"
    caches["default"].clear()
    d = District()
    Grid.objects.create(
        community=d.comm_a1,
        code="G-A1-1",
        name="三坊七巷第一网格",
        boundary={"type": "Polygon", "coordinates": [BOX]},
    )
    d.category = make_category(code="JT-LAMP", name="路灯不亮")
    d.dept = make_department(d.root, name="城管局")
    d.handler = make_user("handler_cg", role="dept_handler", org=d.root)
    d.dept.handlers.add(d.handler)
    make_route(d.category, d.dept)
    return d


def staff_page(browser, base, username):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(base + "/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base + "/")
    return page


def fits(page) -> bool:
    """Nothing wider than the 375 px screen (no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def act(page, action, fill=None, select=None, check=None):
    """Open the action's own small form on the demand page, fill it and submit it."""
    box = page.locator(f"#action-{action}")
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    for name, value in (fill or {}).items():
        box.locator(f'[name="{action}-{name}"]').fill(value)
    for name, value in (select or {}).items():
        box.locator(f'[name="{action}-{name}"]').select_option(value)
    for name, value in (check or {}).items():
        box.locator(f'[name="{action}-{name}"][value="{value}"]').check()
    with page.expect_navigation():
        box.locator('button[type="submit"]').click()


def test_resident_to_measures(live_server, browser, page, screenshot, world):
    base = live_server.url
    d = world

    # 1. the resident, on a phone, with no account
    page.goto(base + "/portal/")
    page.locator('[name="category"]').select_option(str(d.category.pk))
    page.locator('[name="description"]').fill("南后街12号门口路灯不亮已经三天，晚上很黑")
    page.locator('[name="address"]').fill("南后街12号")
    page.locator('[name="community"]').select_option(str(d.comm_a1.pk))
    page.set_input_files(
        'input[name="photos"]',
        files=[{"name": "lamp.png", "mimeType": "image/png", "buffer": png_bytes(40, 30)}],
    )
    page.locator('[name="contact_name"]').fill("陈先生")
    page.locator('[name="phone"]').fill(PHONE)
    assert fits(page)
    with page.expect_navigation():
        page.locator('form button[type="submit"]').click()
    code = page.locator("#tracking-code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{8,16}", code)
    demand = Demand.objects.get(code=code)
    assert demand.channel == "portal" and demand.photos.count() == 1
    screenshot("demand-1-portal-submitted")

    # 2. the community worker accepts it and dispatches it to the routed department
    worker = staff_page(browser, base, "community_a1")
    worker.goto(base + "/demands/")
    row = worker.locator(f"#demand-{demand.pk}")
    assert code in row.inner_text()
    assert fits(worker)
    screenshot_of(worker, None, "demand-1b-list")
    row.locator("a", has_text=code).click()
    worker.wait_for_url(f"{base}/demands/{demand.pk}/")
    assert worker.locator(".photos img").count() >= 1
    act(worker, "accept")
    selected = worker.locator('#action-dispatch [name="dispatch-department"]').input_value()
    assert selected == str(d.dept.pk)  # the routing rule's suggestion
    act(worker, "dispatch")
    assert fits(worker)
    screenshot_of(worker, screenshot, "demand-2-dispatched")
    demand.refresh_from_db()
    assert demand.state == "dispatched" and demand.department == d.dept

    # 3. the department's handler takes it on and answers the resident
    handler = staff_page(browser, base, "handler_cg")
    handler.goto(f"{base}/demands/{demand.pk}/")
    act(handler, "claim")
    act(handler, "answer", fill={"answer": "已于今日更换灯泡，路灯恢复正常。"})
    demand.refresh_from_db()
    assert demand.state == "answered"

    # 4. the community worker checks the answer and closes it
    worker.goto(f"{base}/demands/{demand.pk}/")
    act(worker, "close")
    demand.refresh_from_db()
    assert demand.state == "closed"

    # 5. the resident follows it with the code and the phone's last four digits, and rates it
    page.goto(base + "/portal/track/")
    page.locator('[name="code"]').fill(code)
    page.locator('[name="phone_tail"]').fill(TAIL)
    with page.expect_navigation():
        page.locator('form button[type="submit"]').click()
    assert "已于今日更换灯泡" in page.locator("#answer").inner_text()
    page.locator('#rate-form input[value="satisfied"]').check()
    with page.expect_navigation():
        page.locator('#rate-form button[type="submit"]').click()
    assert page.locator("#rating").is_visible()
    assert fits(page)
    screenshot("demand-3-rated")
    demand.refresh_from_db()
    assert demand.state == "rated" and demand.rating == "satisfied"

    # 6. the measures page counts it
    worker.goto(base + "/demands/measures/?by=community")
    total = worker.locator('#measures-total [data-measure="total"]')
    assert total.inner_text().strip() == "1"
    assert (
        "100" in worker.locator('#measures-total [data-measure="satisfaction_rate"]').inner_text()
    )
    screenshot_of(worker, screenshot, "demand-4-measures")

    # the timeline holds every step, in order
    actions = list(demand.events.values_list("action", flat=True))
    assert actions == ["submit", "accept", "dispatch", "claim", "answer", "close", "rate"]


def test_grid_worker_reports_from_a_phone(live_server, browser, world):
    """The patrol report: category, description, a photo, the place from the map."""
    from tongxin.grid.models import Grid

    base = live_server.url
    d = world
    worker = make_user("gridman", role="grid_worker", org=d.comm_a1)
    Grid.objects.get(code="G-A1-1").workers.add(worker)
    page = staff_page(browser, base, "gridman")
    page.goto(base + "/demands/patrol/")
    page.locator('[name="category"]').select_option(str(d.category.pk))
    page.locator('[name="description"]').fill("巷口井盖缺失，已临时围挡")
    page.set_input_files(
        'input[name="photos"]',
        files=[{"name": "cover.png", "mimeType": "image/png", "buffer": png_bytes(30, 40)}],
    )
    page.locator("#map-centre").click()  # the map opens on the district's centre
    assert page.locator("#id_latitude").input_value()
    assert fits(page)
    screenshot_of(page, None, "demand-5-patrol")
    with page.expect_navigation():
        page.locator('#patrol-form button[type="submit"]').click()
    demand = Demand.objects.get(channel="patrol")
    assert page.url == f"{base}/demands/{demand.pk}/"
    assert demand.grid.code == "G-A1-1" and demand.photos.count() == 1
    assert demand.code in page.locator("h1").inner_text()


def screenshot_of(page, screenshot, name):
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
