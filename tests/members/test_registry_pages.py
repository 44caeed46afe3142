"""Registry pages per role: list/search/htmx, create, edit, status, reveal, corrections, /me/."""

from datetime import date

import pytest

from tests.factories import make_user
from tests.member_factories import id_number, make_member
from tongxin.core.models import AuditEntry
from tongxin.members.models import CorrectionRequest, DuesRecord, Member, Transfer

HX = {"HX-Request": "true"}


@pytest.fixture
def crowd(district):
    for i in range(60):
        make_member(district.branch_a1, name=f"三坊党员{i}")
    make_member(district.branch_b1, name="温泉党员")
    return district


@pytest.mark.parametrize(
    ("url", "budget"),
    [
        ("/members/", 12),
        ("/members/?q=sfdy", 12),
        ("/members/?flags=floating&flags=lost_contact&status=all", 12),
        ("/members/corrections/", 10),
    ],
)
def test_list_pages_have_query_budgets(client, crowd, url, budget, django_assert_max_num_queries):
    client.force_login(crowd.community_admin)
    with django_assert_max_num_queries(budget):
        response = client.get(url)
    assert response.status_code == 200


def test_list_shows_masked_values_and_pages_with_htmx(client, crowd):
    client.force_login(crowd.community_admin)
    body = client.get("/members/").content.decode()
    assert body.count('href="/members/') >= 50
    assert "温泉党员" not in body
    member = Member.objects.filter(org=crowd.branch_a1).order_by("id").first()
    assert member.id_number not in body and member.phone not in body
    assert member.id_number[:6] + "********" + member.id_number[-4:] in body
    assert 'id="member-more"' in body and "after=" in body
    after = body.split("after=")[1].split('"')[0].split("&")[0]
    more = client.get(
        f"/members/?after={after}", headers={**HX, "HX-Target": "member-rows"}
    ).content.decode()
    assert "<html" not in more and more.count("<tr>") == 10
    assert 'hx-swap-oob="true"' in more and "after=" not in more


def test_list_refused_to_roles_without_a_registry(client, district):
    client.force_login(make_user(role="grid_worker", org=district.comm_a1))
    assert client.get("/members/").status_code == 403


def test_create_page_and_errors_name_fields(client, district):
    client.force_login(district.secretary)
    assert client.get("/members/new/").status_code == 200
    data = {
        "name": "林徽因",
        "gender": "female",
        "ethnicity": "汉族",
        "birth_date": "1984-06-10",
        "id_number": id_number(date(1984, 6, 10), 5, female=True)[:17] + "0",
        "phone": "13905910000",
        "address": "",
        "education": "master",
        "occupation": "professional",
        "org": district.branch_a1.pk,
        "category": "full",
        "admitted_on": "2010-07-01",
        "full_on": "2011-07-01",
        "dues_category": "salaried",
        "dues_base": "5000.00",
    }
    good_id = id_number(date(1984, 6, 10), 5, female=True)
    if data["id_number"] == good_id:
        data["id_number"] = good_id[:17] + ("1" if good_id[17] != "1" else "2")
    bad = client.post("/members/new/", data)
    assert bad.status_code == 400
    assert "id_number-errors" in bad.content.decode()
    assert Member.objects.count() == 0
    ok = client.post("/members/new/", {**data, "id_number": good_id})
    member = Member.objects.get()
    assert ok.status_code == 302 and ok["Location"] == f"/members/{member.pk}/"


def test_detail_masks_and_reveal_is_post_only_and_audited(client, district):
    member = make_member(district.branch_a1, phone="13766667777", address="南后街 1 号")
    client.force_login(district.secretary)
    body = client.get(f"/members/{member.pk}/").content.decode()
    assert "13766667777" not in body and member.id_number not in body and "南后街" not in body
    assert "137****7777" in body and f"/members/{member.pk}/reveal/phone/" in body
    assert client.get(f"/members/{member.pk}/reveal/phone/").status_code == 405
    assert not AuditEntry.objects.filter(action="unmask").exists()
    shown = client.post(f"/members/{member.pk}/reveal/phone/", headers=HX)
    assert shown.status_code == 200 and "13766667777" in shown.content.decode()
    assert "<html" not in shown.content.decode()
    assert AuditEntry.objects.filter(action="unmask", result="ok").count() == 1
    assert client.post(f"/members/{member.pk}/reveal/name/").status_code == 400


def test_street_admin_sees_no_reveal_button_and_is_refused(client, district):
    member = make_member(district.branch_a1)
    client.force_login(district.street_admin)
    body = client.get(f"/members/{member.pk}/").content.decode()
    assert "/reveal/" not in body
    assert client.post(f"/members/{member.pk}/reveal/id_number/").status_code == 403
    assert AuditEntry.objects.get(action="unmask").result == "denied"


def test_edit_keeps_sensitive_values_when_left_empty(client, district):
    member = make_member(district.branch_a1, phone="13700001111")
    client.force_login(district.secretary)
    page = client.get(f"/members/{member.pk}/edit/").content.decode()
    assert member.id_number not in page and "13700001111" not in page
    data = {
        "name": member.name,
        "gender": member.gender,
        "ethnicity": member.ethnicity,
        "birth_date": member.birth_date.isoformat(),
        "id_number": "",
        "phone": "",
        "address": "",
        "education": member.education,
        "occupation": member.occupation,
        "org": member.org_id,
        "admitted_on": "2010-07-01",
        "full_on": "2011-07-01",
        "dues_category": "salaried",
        "dues_base": "4000.00",
        "post": "宣传委员",
    }
    response = client.post(f"/members/{member.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    member.refresh_from_db()
    assert (member.post, member.phone) == ("宣传委员", "13700001111")


def test_status_page_records_a_change(client, district):
    member = make_member(district.branch_a1)
    client.force_login(district.community_admin)
    assert client.get(f"/members/{member.pk}/status/").status_code == 200
    bad = client.post(
        f"/members/{member.pk}/status/",
        {"kind": "standing", "to_value": "expelled", "effective_on": "2026-01-05"},
    )
    assert bad.status_code == 400 and "decision" in bad.content.decode()
    ok = client.post(
        f"/members/{member.pk}/status/",
        {"kind": "lost_contact", "effective_on": "2026-01-05"},
    )
    assert ok.status_code == 302
    member.refresh_from_db()
    assert member.lost_contact_since == date(2026, 1, 5)
    body = client.get(f"/members/{member.pk}/").content.decode()
    assert "2026-01-05" in body or "2026年1月5日" in body


def test_me_shows_own_data_only(client, district):
    user = make_user(role="party_member", org=district.branch_a1)
    me = make_member(district.branch_a1, user=user, name="王晓东", phone="13811112222")
    other = make_member(district.branch_a1, name="李四")
    DuesRecord.objects.create(
        member=me,
        org=district.branch_a1,
        month=date(2026, 10, 1),
        category="salaried",
        base="4000.00",
        rate="0.0100",
        rule="salaried_3000_5000",
        amount_due="40.00",
        amount_paid="40.00",
        paid_on=date(2026, 10, 8),
    )
    Transfer.objects.create(
        member=me,
        kind="within",
        from_org=district.branch_a1,
        to_org=district.branch_b1,
        reason="工作调动",
    )
    client.force_login(user)
    body = client.get("/me/").content.decode()
    assert "王晓东" in body and "李四" not in body
    assert "2026-10" in body and "40.00" in body and "温泉社区第一党支部" in body
    assert "13811112222" not in body and "138****2222" in body
    # the member cannot open the registry or another record
    assert client.get("/members/").status_code == 403
    assert client.get(f"/members/{other.pk}/").status_code == 404
    assert client.get(f"/members/{me.pk}/").status_code == 404
    # but may reveal their own values (audited), and no one else's
    assert f"/members/{me.pk}/reveal/phone/" in body
    shown = client.post(f"/members/{me.pk}/reveal/phone/", headers=HX)
    assert shown.status_code == 200 and "13811112222" in shown.content.decode()
    assert client.post(f"/members/{other.pk}/reveal/phone/").status_code == 404
    assert AuditEntry.objects.filter(action="unmask").count() == 1


def test_me_without_a_record(client, district):
    client.force_login(district.secretary)
    response = client.get("/me/")
    assert response.status_code == 200
    assert "my-dues" not in response.content.decode()


def test_correction_journey(client, district):
    user = make_user(role="party_member", org=district.branch_a1)
    me = make_member(district.branch_a1, user=user, work_unit="旧单位", full_on=date(2011, 7, 1))
    client.force_login(user)
    bad = client.post("/me/correction/", {"field": "status", "requested_value": "x"})
    assert bad.status_code == 400 and not CorrectionRequest.objects.exists()
    ok = client.post(
        "/me/correction/",
        {"field": "work_unit", "requested_value": "福州新单位", "reason": "已调动"},
    )
    assert ok.status_code == 302
    request = CorrectionRequest.objects.get()
    client.force_login(district.secretary)
    queue = client.get("/members/corrections/").content.decode()
    assert "福州新单位" in queue
    assert client.get(f"/members/corrections/{request.pk}/").status_code == 405
    refused = client.post(f"/members/corrections/{request.pk}/", {"accept": "no", "reply": ""})
    assert refused.status_code == 400
    done = client.post(f"/members/corrections/{request.pk}/", {"accept": "yes", "reply": "好"})
    assert done.status_code == 302
    me.refresh_from_db()
    assert me.work_unit == "福州新单位"
    client.force_login(user)
    assert "好" in client.get("/me/").content.decode()


def test_nav_entries(client, district):
    client.force_login(district.secretary)
    assert 'href="/members/"' in client.get("/").content.decode()
    user = make_user(role="party_member", org=district.branch_a1)
    client.force_login(user)
    body = client.get("/").content.decode()
    assert 'href="/me/"' in body and 'href="/members/"' not in body


def test_create_form_takes_an_org_code_when_the_scope_is_large(client, district, monkeypatch):
    from tongxin.members.forms import registry as forms

    monkeypatch.setattr(forms, "SELECT_LIMIT", 0)
    client.force_login(district.community_admin)
    page = client.get("/members/new/").content.decode()
    assert 'name="org"' in page and "<option" not in page.split('name="org"')[1][:200]
    birth = date(1979, 1, 2)
    data = {
        "name": "陈若曦",
        "gender": "female",
        "ethnicity": "汉族",
        "birth_date": birth.isoformat(),
        "id_number": id_number(birth, 8, female=True),
        "education": "bachelor",
        "occupation": "retired",
        "org": "B-B1",  # not in this community: refused on the field
        "category": "full",
        "admitted_on": "2001-07-01",
        "full_on": "2002-07-01",
        "dues_category": "retired",
        "dues_base": "3000.00",
    }
    bad = client.post("/members/new/", data)
    assert bad.status_code == 400 and "org-errors" in bad.content.decode()
    ok = client.post("/members/new/", {**data, "org": "B-A1"})
    assert ok.status_code == 302
    assert Member.objects.get().org == district.branch_a1


def test_detail_and_me_have_query_budgets(client, district, django_assert_max_num_queries):
    from tongxin.members.services import registry as services

    user = make_user(role="party_member", org=district.branch_a1)
    member = make_member(district.branch_a1, user=user)
    for day in (1, 2, 3):
        services.change_status(
            actor=district.secretary,
            member=member,
            kind="abroad" if day % 2 else "back_from_abroad",
            effective_on=date(2026, 1, day),
        )
    client.force_login(district.secretary)
    with django_assert_max_num_queries(12):
        assert client.get(f"/members/{member.pk}/").status_code == 200
    client.force_login(user)
    with django_assert_max_num_queries(14):
        assert client.get("/me/").status_code == 200


def test_detail_shows_the_members_dues_ledger_to_the_keeper(client, district):
    from django.utils import timezone

    from tongxin.members.rules.dues import add_months

    member = make_member(district.branch_a1, name="郑成功")
    this_month = timezone.localdate().replace(day=1)
    for n in range(3):  # this month unpaid, the two before paid
        month = add_months(this_month, -n)
        DuesRecord.objects.create(
            member=member,
            org=district.branch_a1,
            month=month,
            category="salaried",
            base="4000.00",
            rate="0.01",
            rule="salaried_3000_5000",
            amount_due="40.00",
            amount_paid="40.00" if n else None,
            paid_on=month if n else None,
        )
    client.force_login(district.secretary)
    body = client.get(f"/members/{member.pk}/").content.decode()
    ledger = body[
        body.index('id="member-dues"') : body.index("</table>", body.index('id="member-dues"'))
    ]
    for n in range(3):
        assert f"{add_months(this_month, -n):%Y-%m}" in ledger
    assert ledger.count("40.00") == 5  # three amounts due, two paid
    assert ledger.count('class="badge warning"') == 1  # this month is unpaid
