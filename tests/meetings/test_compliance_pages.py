"""/compliance/ pages: a branch's table and status, a higher org's children and behind list,
the settings form; scoping and query counts."""

import re
from datetime import date

import pytest
from django.urls import reverse

from tests.factories import PASSWORD
from tests.meetings.factories import Branch, meeting
from tongxin.meetings.models import ComplianceSettings, Kind, State
from tongxin.meetings.services import compliance as service

TODAY = date(2026, 11, 26)
PAGE = reverse("compliance:page")
SETTINGS = reverse("compliance:settings")


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def status_of(response) -> str:
    return re.search(r'id="compliance-status" data-status="(\w+)"', response.content.decode())[1]


@pytest.fixture
def b(district):
    return Branch(district, has_committee=False)


def test_branch_month_turns_green_when_the_theme_day_is_approved(client, b):
    m = meeting(b, kind=Kind.THEME_DAY, on=date(2026, 7, 8), state=State.SUBMITTED)
    login(client, b.secretary)
    r = client.get(PAGE, {"org": b.org.pk, "period": "2026-07"})
    assert r.status_code == 200 and status_of(r) == "behind"
    assert 'data-kind="theme_day" data-status="behind"' in r.content.decode()
    m.state = State.APPROVED
    m.save(update_fields=["state"])
    r = client.get(PAGE, {"org": b.org.pk, "period": "2026-07"})
    assert status_of(r) == "met"
    assert 'data-kind="theme_day" data-status="met"' in r.content.decode()
    assert 'data-kind="committee_meeting" data-status="not_due"' in r.content.decode()


def test_branch_default_is_the_secretarys_branch_this_month(client, b):
    login(client, b.secretary)
    r = client.get(PAGE)
    assert r.status_code == 200 and b.org.name in r.content.decode()
    assert status_of(r) in ("open", "behind", "met")


def test_bad_period_is_a_400_naming_the_rule(client, b):
    login(client, b.secretary)
    r = client.get(PAGE, {"org": b.org.pk, "period": "2026-13"})
    assert r.status_code == 400
    assert "there is no month 13" in r.content.decode()


def test_higher_org_children_and_behind(client, b):
    meeting(b, kind=Kind.THEME_DAY, on=date(2026, 8, 8))
    service.recompute_all(today=TODAY)
    d = b.district
    login(client, b.street_admin)
    r = client.get(PAGE, {"period": "2026-07"})
    body = r.content.decode()
    assert r.status_code == 200 and status_of(r) == "behind"
    assert f'data-org="{d.comm_a1.pk}" data-status="behind"' in body
    assert f"?org={d.comm_a1.pk}&amp;period=2026-07" in body  # drill down
    assert f'<li data-org="{b.org.pk}">' in body
    r = client.get(PAGE, {"org": d.comm_a1.pk, "period": "2026-08"})
    assert status_of(r) == "met" and 'id="count-met">1<' in r.content.decode()


def test_scoping(client, b):
    d = b.district
    login(client, b.outsider)
    assert client.get(PAGE, {"org": b.org.pk}).status_code == 404
    assert client.get(PAGE, {"org": "x1"}).status_code == 404
    login(client, d.other_community)
    assert client.get(PAGE, {"org": d.street_a.pk}).status_code == 404
    login(client, b.member_user)
    assert client.get(PAGE).status_code == 403
    client.logout()
    assert client.get(PAGE).status_code == 302


def test_query_counts(client, b, django_assert_max_num_queries):
    for month in range(1, 12):
        meeting(b, kind=Kind.THEME_DAY, on=date(2026, month, 8))
    for _ in range(3):
        Branch(b.district, has_committee=False)
    service.recompute_all(today=TODAY)
    login(client, b.district_admin)
    client.get(PAGE)  # warm the session
    with django_assert_max_num_queries(14):
        assert client.get(PAGE, {"period": "2026"}).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(PAGE, {"org": b.org.pk, "period": "2026"}).status_code == 200


def test_settings_page(client, b):
    login(client, b.district_admin)
    r = client.get(SETTINGS)
    assert r.status_code == 200 and 'value="1/month"' in r.content.decode()
    form = {f"freq_{k}": v for k, v in service.frequency_texts().items()}
    form.update(min_whole_months=1, signin_before=30, signin_after=30, freq_theme_day="monthly")
    r = client.post(SETTINGS, form)
    assert r.status_code == 400 and "is not a frequency" in r.content.decode()
    assert not ComplianceSettings.objects.exists()
    form.update(freq_theme_day="2/month", min_whole_months=0)
    r = client.post(SETTINGS, form)
    assert r.status_code == 400 and not ComplianceSettings.objects.exists()
    form.update(min_whole_months=2)
    r = client.post(SETTINGS, form)
    assert r.status_code == 302
    row = ComplianceSettings.objects.get(pk=1)
    assert row.frequencies["theme_day"] == "2/month" and row.min_whole_months == 2


def test_settings_only_for_district_admins(client, b):
    for user in (b.street_admin, b.secretary):
        login(client, user)
        assert client.get(SETTINGS).status_code == 403
        assert client.post(SETTINGS, {"min_whole_months": 1}).status_code == 403
