"""In headless Chromium at 375 px: a grid worker opens the map (the boundary is drawn on a blank
background, no tiles), opens a household and logs a visit with the phone form."""

import pytest
from django.utils import timezone

from tests.factories import PASSWORD, District
from tests.grid.conftest import GridWorld
from tongxin.grid.models import Visit

pytestmark = pytest.mark.browser


@pytest.fixture
def world(transactional_db):
    return GridWorld(District())


def test_grid_worker_sees_the_map_and_logs_a_visit(live_server, page, screenshot, world):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(live_server.url + "/login/")
    page.get_by_label("用户名").fill("gw_a1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server.url + "/")

    page.goto(live_server.url + "/grids/map/")
    page.wait_for_selector("#grid-map[data-features='1']")
    assert page.locator("#grid-map path.leaflet-interactive").count() == 1
    assert page.locator("#grid-map img.leaflet-tile").count() == 0
    assert all(u.startswith(live_server.url) for u in requests), requests  # nothing external
    screenshot("grid-map-375")

    page.goto(live_server.url + f"/grids/households/{world.household_a.pk}/visits/new/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375  # no sideways scrolling on a phone
    page.locator("#id_learned").fill("老人身体不错，想参加社区书法班")
    page.locator("#id_problem_found").fill("楼道灯坏了")
    page.locator("#visit-form button[type=submit]").click()
    page.wait_for_url(live_server.url + f"/grids/households/{world.household_a.pk}/")
    screenshot("grid-visit-logged-375")
    visit = Visit.objects.get()
    assert visit.visited_on == timezone.localdate() and visit.has_problem
    assert "楼道灯坏了" in page.content()
