"""Issue 5's journey, in a real headless Chromium at 375 px: a branch secretary plans a
主题党日 for now, a member signs in with the code on a phone-sized screen, the secretary
records it as held and submits it, the community approves it, and the branch's compliance
for the month turns from open to met (green).

The branch has no committee and no party groups, so the theme day is the only kind due
in a month (the quarterly and yearly kinds are judged on their own periods).
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from tests.factories import PASSWORD
from tests.meetings.factories import Branch
from tongxin.meetings.models import AttendanceStatus, Meeting, State

pytestmark = pytest.mark.browser

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(transactional_db):
    return Branch(has_committee=False, founded_on=date(2020, 1, 1), members=5)


def sign_in(page, url, username):
    page.goto(url + "/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(url + "/")


def meeting_times():
    """Today (Shanghai), from a few minutes ago to an hour on, within the day."""
    now = timezone.localtime(timezone.now(), SH)
    start = max(datetime.combine(now.date(), time(0, 0), tzinfo=SH), now - timedelta(minutes=5))
    end = min(datetime.combine(now.date(), time(23, 59), tzinfo=SH), now + timedelta(hours=1))
    return now.date(), start.strftime("%H:%M"), end.strftime("%H:%M")


def compliance_status(page, url, org, month: date) -> str:
    page.goto(f"{url}/compliance/?org={org.pk}&period={month:%Y-%m}")
    return page.locator("#compliance-status").get_attribute("data-status")


def _state(state) -> str:
    """The state's label as the Chinese page shows it."""
    with translation.override("zh-hans"):
        return str(state.label)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_theme_day_planned_signed_in_submitted_approved_turns_the_month_green(
    live_server, browser, page, screenshot, world
):
    url = live_server.url
    day, start, end = meeting_times()

    # the branch secretary plans a theme party day for now
    sign_in(page, url, world.secretary.username)
    assert compliance_status(page, url, world.org, day) == "open"
    page.goto(f"{url}/meetings/new/?org={world.org.pk}")
    form = page.locator("form#plan-form")
    form.locator('[name="kind"]').select_option("theme_day")
    form.locator('[name="topic"]').fill("学习党的二十届四中全会精神")
    form.locator('[name="on"]').fill(day.isoformat())
    form.locator('[name="start"]').fill(start)
    form.locator('[name="end"]').fill(end)
    form.locator('[name="place"]').fill("社区党群服务中心三楼")
    form.locator('button[type="submit"]').click()
    page.wait_for_url(f"{url}/meetings/*/")
    meeting = Meeting.objects.get(org=world.org, kind="theme_day")
    assert meeting.state == State.PLANNED and meeting.should_attend == len(world.roll)
    code = page.locator("#signin-code").inner_text().strip()
    assert code == meeting.signin_code and len(code) == 6
    assert page.locator("#signin-block svg").count() == 1  # the QR code, drawn inline
    assert no_sideways_scroll(page)
    screenshot("meeting-planned")

    # a member signs in with the code on a phone-sized screen
    phone = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    member_page = phone.new_page()
    member_page.set_default_timeout(15000)
    sign_in(member_page, url, world.member_user.username)
    member_page.goto(f"{url}/meetings/signin/")
    member_page.locator('[name="code"]').fill(code)
    member_page.locator("button.big-button").click()
    member_page.locator("#signed-in").wait_for()
    assert "学习党的二十届四中全会精神" in member_page.locator("#signed-in").inner_text()
    assert no_sideways_scroll(member_page)
    member_page.screenshot(path=str(screenshot("meeting-member-signed-in")))
    phone.close()
    row = meeting.attendance.get(member=world.member)
    assert row.status == AttendanceStatus.ATTENDED and row.via == "code"

    # the secretary records the meeting as held and submits it
    page.goto(f"{url}/meetings/{meeting.pk}/")
    page.locator('[name="minutes"]').fill("传达学习全会精神，结合社区工作开展讨论。")
    page.locator(f"form[action='/meetings/{meeting.pk}/held/'] button[type='submit']").click()
    page.locator("section[aria-labelledby='submit-h']").wait_for()
    page.locator("section[aria-labelledby='submit-h'] button[type='submit']").click()
    page.wait_for_function(
        f"document.querySelector('#meeting-state').innerText.includes('{_state(State.SUBMITTED)}')"
    )
    meeting.refresh_from_db()
    assert meeting.state == State.SUBMITTED and meeting.attended == 1
    assert compliance_status(page, url, world.org, day) == "open"  # not approved yet

    # the community reviews and approves it
    page.context.clear_cookies()
    sign_in(page, url, world.community_admin.username)
    page.goto(f"{url}/meetings/review/")
    page.locator(f"a[href='/meetings/{meeting.pk}/']").first.click()
    review = page.locator("section[aria-labelledby='review-h'] form")
    review.locator('[name="decision"][value="approve"]').check()
    review.locator('button[type="submit"]').click()
    page.wait_for_function(
        f"document.querySelector('#meeting-state').innerText.includes('{_state(State.APPROVED)}')"
    )
    meeting.refresh_from_db()
    assert meeting.state == State.APPROVED

    # the branch's compliance for the month turns green
    assert compliance_status(page, url, world.org, day) == "met"
    assert page.locator("#compliance-status .badge.ok").count() == 1
    assert no_sideways_scroll(page)
    screenshot("meeting-compliance-met")
