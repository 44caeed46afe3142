"""A community worker on a phone: signs in, finds an org by pinyin initials, opens a unit,
checks the coverage figures — in a real headless Chromium at 375 px."""

import pytest

from tests.factories import PASSWORD, District, make_unit

pytestmark = pytest.mark.browser


@pytest.fixture
def world(transactional_db):
    d = District()
    make_unit(
        d.admin,
        street=d.street_a,
        community=d.comm_a1,
        name="三坊书院",
        category="social_organisation",
        coverage="instructor",
        instructor_name="陈晓东",
    )
    make_unit(
        d.admin,
        street=d.street_a,
        community=d.comm_a1,
        name="南后街茶社",
        category="non_public_enterprise",
        party_member_count=1,
    )
    return d


def test_community_worker_journey(live_server, page, screenshot, world):
    page.goto(live_server.url + "/login/")
    page.get_by_label("用户名").fill("community_a1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(live_server.url + "/")

    # find an org by pinyin initials (三坊七巷社区第一党支部 → sfqxsq…)
    page.goto(live_server.url + "/orgs/")
    page.get_by_label("查找组织").fill("sfqx")
    page.get_by_label("查找组织").press("Enter")
    result = page.locator("#search-results").get_by_role("link", name="三坊七巷社区第一党支部")
    result.wait_for()
    screenshot("org-search-375px")
    result.click()
    page.wait_for_url(f"**/orgs/{world.branch_a1.pk}/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("三坊七巷社区第一党支部")

    # open a unit covered by this branch
    page.get_by_role("link", name="福州三坊科技有限公司").click()
    page.wait_for_url(f"**/units/{world.unit_a1.pk}/")
    assert "91350102" in page.content()

    # coverage figures: 3 units in the community, 2 covered (own org, instructor)
    page.goto(live_server.url + "/coverage/?by=community")
    assert page.locator("#cov-total").inner_text() == "3"
    assert page.locator("#cov-covered").inner_text() == "2"
    assert page.locator("#cov-rate").inner_text() == "66.7%"
    # the other street's units are not in this worker's figures
    assert "温泉" not in page.locator("#coverage-table").inner_text()
    # nothing overflows the 375 px screen
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width
    screenshot("coverage-375px")


def test_tree_is_keyboard_navigable(live_server, page, world):
    page.goto(live_server.url + "/login/")
    page.keyboard.press("Tab")  # skip link first
    page.get_by_label("用户名").fill("street_a")
    page.get_by_label("密码").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/")
    page.goto(live_server.url + "/orgs/")
    toggle = page.locator(f"#node-{world.street_a.pk} > .node > button.toggle")
    toggle.focus()
    page.keyboard.press("Enter")
    page.locator(f"#node-{world.comm_a1.pk}").wait_for()
    assert toggle.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Enter")  # and closes again
    page.locator(f"#node-{world.comm_a1.pk}").wait_for(state="detached")
    assert toggle.get_attribute("aria-expanded") == "false"
