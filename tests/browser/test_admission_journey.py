"""Issue 4's journey, in a real headless Chromium at 375 px: a branch secretary moves an
applicant through phase 2 (积极分子) — chooses the activist (step 3), sees that the filing
(step 4) is the higher committee's, names a training contact (step 5), records the
training (step 6) — and is refused a premature step 7 (development target less than one
year after the activist date) with the rule and its article shown on the page.
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone, translation

from tests.factories import PASSWORD, District
from tests.member_factories import id_number, make_member
from tongxin.development import rules, services
from tongxin.development.models import Applicant, StepRecord

pytestmark = pytest.mark.browser

TODAY = timezone.localdate()  # the services' today (Asia/Shanghai)


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


@pytest.fixture
def world(transactional_db):
    district = District()
    district.contacts = [make_member(district.branch_a1, name=n) for n in ("郑成功", "戚继光")]
    birth = date(1998, 4, 4)
    applicant = services.open_file(
        actor=district.secretary,
        org=district.branch_a1,
        applied_on=ago(120),
        name="林觉民",
        gender="male",
        birth_date=birth,
        id_number=id_number(birth, 801),
        education="bachelor",
        occupation="enterprise_staff",
    )
    services.record_step(
        actor=district.secretary,
        applicant=applicant,
        step=2,
        on=ago(100),
        people=[{"role": "talker", "name": "王书记"}],
    )
    district.applicant = Applicant.objects.get(pk=applicant.pk)
    return district


def sign_in(page, url, username):
    page.goto(url + "/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(url + "/")


def record(page, fields: dict, selects: dict | None = None, checks=()):
    """Fill the record-next-step form (fields by their name) and submit it."""
    form = page.locator("#record-step form")
    for name, value in fields.items():
        form.locator(f'[name="s-{name}"]').fill(value)
    for name, value in (selects or {}).items():
        form.locator(f'[name="s-{name}"]').select_option(value)
    for label in checks:
        form.get_by_label(label).check()
    form.locator('button[type="submit"]').click()


def test_secretary_moves_an_activist_through_phase_two_and_is_refused_step_7(
    live_server, page, screenshot, world
):
    applicant = world.applicant
    url = f"{live_server.url}/admissions/{applicant.pk}/"
    sign_in(page, live_server.url, "secretary_a1")

    # the list shows the file; open it
    page.goto(live_server.url + "/admissions/")
    page.get_by_role("link", name="林觉民").click()
    page.wait_for_url(url)
    assert applicant.id_number not in page.content()  # identity masked
    assert page.locator("#next-step").inner_text().startswith("3 ")

    # step 3: chosen by members' recommendation, decided by the branch meeting (no committee)
    record(
        page,
        {"on": ago(60).isoformat()},
        {"method": "member_recommendation", "decided_by": "branch_meeting"},
    )
    page.wait_for_url(url)
    page.locator("#next-step", has_text="4 ").wait_for()
    assert StepRecord.objects.filter(applicant=applicant, step=3, on=ago(60)).exists()
    # step 4 is the higher committee's: no form for the secretary
    assert page.locator('#record-step [name="s-on"]').count() == 0

    # the community committee files the activist (a service call stands in for it)
    services.record_step(
        actor=world.community_admin, applicant=applicant, step=4, on=ago(55), body="社区党委"
    )
    page.goto(url)

    # step 5: one training contact, ticked from the branch's full members
    record(page, {"on": ago(50).isoformat()}, checks=["郑成功"])
    page.wait_for_url(url)
    page.locator("#next-step", has_text="6 ").wait_for()
    contact = StepRecord.objects.get(applicant=applicant, step=5)
    assert contact.data["contacts"] == [world.contacts[0].pk]

    # step 6: the training and observation, with who reviewed
    record(page, {"on": ago(10).isoformat(), "person": "郑成功", "note": "按期参加学习"})
    page.wait_for_url(url)
    page.locator("#next-step", has_text="7 ").wait_for()
    steps_table = page.locator("#steps")
    assert ago(50).isoformat() in steps_table.locator("#step-5").inner_text()
    assert "郑成功" in steps_table.locator("#step-6").inner_text()
    screenshot("admission-phase-two-375px")

    # step 7 today: less than one year as activist → refused, the rule shown, nothing written
    record(page, {"on": TODAY.isoformat()})
    alert = page.locator("#refusals")
    alert.wait_for()
    with translation.override("zh-hans"):
        expected = str(rules.MSG["one_year"]) % {"date": rules.one_year_after(ago(60)).isoformat()}
    text = alert.inner_text()
    assert expected in text, text
    assert rules.ART_ONE_YEAR in text
    assert alert.locator('[data-rule="activist_one_year"]').count() == 1
    assert not StepRecord.objects.filter(applicant=applicant, step=7).exists()
    assert page.locator("#next-step").inner_text().startswith("7 ")
    screenshot("admission-step-7-refused-375px")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width

    # the deadline is on the page: not before one year after the activist date
    assert rules.one_year_after(ago(60)).isoformat() in page.locator("#not-before").inner_text()
