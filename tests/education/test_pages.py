"""Pages of /education/ per role: 200 in scope, 404 for foreign objects, 403 for pages only
keepers open; forms write through the services (400 and nothing written on bad input);
bounded queries on lists."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from tests.factories import make_user
from tongxin.education.models import (
    EducationBase,
    SecretaryTraining,
    StudyCampaign,
    StudyRecord,
    Way,
)

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def camp(org, title="主题教育2026"):
    return StudyCampaign.objects.create(
        org=org,
        title=title,
        kind="theme",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        required_hours=D("12"),
    )


def rec(member, hours="2", on=None, topic="学党章"):
    return StudyRecord.objects.create(
        member=member, hours=D(hours), on=on or timezone.localdate(), way=Way.MEETING, topic=topic
    )


@pytest.mark.parametrize(
    "who", ["secretary", "community_admin", "street_admin", "district_admin", "member_user"]
)
def test_campaign_list_and_detail_per_role(client, b, who):
    camp(b.root, title="全区主题教育")
    camp(b.district.branch_b1, title="温泉支部学习")
    ours = camp(b.org, title="本支部学习")
    login(client, getattr(b, who))
    body = client.get("/education/").content.decode()
    assert "全区主题教育" in body and "本支部学习" in body
    assert ("温泉支部学习" in body) is (who == "district_admin")
    assert client.get(f"/education/campaigns/{ours.pk}/").status_code == 200


def test_foreign_campaign_and_base_answer_404(client, b):
    foreign = camp(b.district.branch_b1)
    base = EducationBase.objects.create(org=b.district.comm_b1, name="温泉基地", address="a")
    login(client, b.secretary)
    assert client.get(f"/education/campaigns/{foreign.pk}/").status_code == 404
    assert client.get(f"/education/campaigns/{foreign.pk}/materials/").status_code == 404
    assert client.get(f"/education/bases/{base.pk}/").status_code == 404
    assert client.post(f"/education/bases/{base.pk}/visits/", {}).status_code == 404
    assert client.get("/education/campaigns/999999/").status_code == 404


def test_launch_campaign_through_the_page(client, b):
    login(client, b.secretary)
    data = {
        "org": b.org.pk,
        "title": "支部读书班",
        "kind": "regular",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "required_hours": "4",
    }
    response = client.post("/education/", data)
    c = StudyCampaign.objects.get()
    assert response.status_code == 302 and response.url == f"/education/campaigns/{c.pk}/"
    bad = {**data, "ends_on": "2025-12-31", "title": "另一个"}
    response = client.post("/education/", bad)
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    assert StudyCampaign.objects.count() == 1


def test_member_may_not_launch_or_add_material(client, b):
    c = camp(b.root)
    login(client, b.member_user)
    assert client.post("/education/", {"title": "x"}).status_code == 403
    response = client.post(f"/education/campaigns/{c.pk}/materials/", {"title": "x", "body": "y"})
    assert response.status_code == 403


def test_add_material(client, b):
    c = camp(b.root)
    login(client, b.district_admin)
    response = client.post(
        f"/education/campaigns/{c.pk}/materials/",
        {"title": "导读", "body": "正文", "suggested_hours": "1.5"},
    )
    assert response.status_code == 302
    assert c.materials.get().suggested_hours == D("1.5")
    assert client.get(f"/education/campaigns/{c.pk}/materials/").status_code == 405


def test_material_file_is_served_only_to_those_who_see_the_campaign(client, b, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tongxin.education import services

    settings.MEDIA_ROOT = tmp_path
    c = camp(b.community)  # launched by the community: B-B1's people do not see it
    material = services.add_material(
        actor=b.district_admin,
        campaign=c,
        title="导读",
        file=SimpleUploadedFile("guide.pdf", b"%PDF-1.4 guide"),
    )
    url = f"/education/campaigns/{c.pk}/materials/{material.pk}/"
    login(client, b.member_user)
    page = client.get(f"/education/campaigns/{c.pk}/")
    assert url in page.content.decode() and "/media/" not in page.content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 guide"
    login(client, b.outsider_member_user)
    assert client.get(url).status_code == 404


def test_records_page_shows_the_records_behind_the_hours(client, b):
    rec(b.members[0], "2", topic="第一次学习")
    rec(b.members[0], "1.5", topic="第二次学习")
    rec(b.outsider_member, "3", topic="外支部学习")
    login(client, b.secretary)
    response = client.get(f"/education/records/?org={b.org.pk}")
    body = response.content.decode()
    assert response.status_code == 200
    assert "第一次学习" in body and "第二次学习" in body and "3.5" in body
    assert "外支部学习" not in body
    assert client.get(f"/education/records/?org={b.district.branch_b1.pk}").status_code == 404
    assert client.get("/education/records/?org=abc").status_code == 404


def test_records_page_is_for_keepers(client, b):
    login(client, b.member_user)
    assert client.get("/education/records/").status_code == 403
    login(client, make_user())
    assert client.get("/education/secretaries/").status_code == 403


def test_record_study_through_the_page(client, b):
    login(client, b.secretary)
    today = timezone.localdate()
    data = {
        "org": b.org.pk,
        "member": b.members[1].pk,
        "on": today.isoformat(),
        "hours": "2",
        "way": "meeting",
        "topic": "学习条例",
    }
    response = client.post(f"/education/records/?org={b.org.pk}", data)
    assert response.status_code == 302
    assert StudyRecord.objects.get().member == b.members[1]
    future = {**data, "on": (today + timedelta(days=1)).isoformat()}
    response = client.post(f"/education/records/?org={b.org.pk}", future)
    assert response.status_code == 400
    assert "future" in response.content.decode()
    foreign = {**data, "member": b.outsider_member.pk}
    assert client.post(f"/education/records/?org={b.org.pk}", foreign).status_code == 400
    assert StudyRecord.objects.count() == 1


def test_my_study(client, b):
    rec(b.member, "2", topic="支部学习")
    rec(b.members[0], "2", topic="别人的学习")
    login(client, b.member_user)
    body = client.get("/education/my/").content.decode()
    assert "支部学习" in body and "别人的学习" not in body
    response = client.post(
        "/education/my/",
        {"on": timezone.localdate().isoformat(), "hours": "1", "way": "online", "topic": "网学"},
    )
    assert response.status_code == 302
    assert StudyRecord.objects.get(topic="网学").self_entered
    response = client.post(
        "/education/my/",
        {"on": timezone.localdate().isoformat(), "hours": "1", "way": "meeting", "topic": "x"},
    )
    assert response.status_code == 400
    login(client, b.secretary)  # not linked to a member
    assert client.get("/education/my/").status_code == 403


def test_bases_register_detail_and_visit(client, b):
    login(client, b.community_admin)
    response = client.post(
        "/education/bases/",
        {"org": b.community.pk, "name": "林则徐纪念馆", "address": "澳门路"},
    )
    base = EducationBase.objects.get()
    assert response.status_code == 302
    login(client, b.secretary)
    assert client.get("/education/bases/").status_code == 200
    assert client.get(f"/education/bases/{base.pk}/").status_code == 200
    data = {
        "org": b.org.pk,
        "on": timezone.localdate().isoformat(),
        "topic": "参观",
        "participants": [b.members[0].pk, b.members[1].pk],
        "hours": "2",
    }
    response = client.post(f"/education/bases/{base.pk}/visits/", data)
    assert response.status_code == 302
    assert StudyRecord.objects.filter(way="base_visit").count() == 2
    other = {**data, "org": b.district.branch_b1.pk}
    assert client.post(f"/education/bases/{base.pk}/visits/", other).status_code == 404
    login(client, b.member_user)
    assert client.post("/education/bases/", {"name": "x"}).status_code == 403
    assert client.get(f"/education/bases/{base.pk}/").status_code == 200


def test_secretaries_page(client, b):
    SecretaryTraining.objects.create(
        member=b.members[0],
        course="轮训班",
        organiser="党校",
        starts_on=date(timezone.localdate().year, 1, 1),
        ends_on=date(timezone.localdate().year, 1, 1),
        hours=D("8"),
    )
    login(client, b.community_admin)
    body = client.get("/education/secretaries/").content.decode()
    assert b.members[0].name in body and "轮训班" in body
    assert "8.0 of 56 training hours this year" in body
    response = client.post(
        "/education/secretaries/",
        {
            "member": b.members[0].pk,
            "course": "第二期",
            "organiser": "党校",
            "starts_on": timezone.localdate().isoformat(),
            "ends_on": timezone.localdate().isoformat(),
            "hours": "48",
            "concentrated": "on",
        },
    )
    assert response.status_code == 302
    body = client.get("/education/secretaries/?attention=1").content.decode()
    assert "第二期" not in body  # 56 hours and a training: no longer needing attention
    login(client, b.member_user)
    assert client.get("/education/secretaries/").status_code == 403


def test_list_pages_have_bounded_queries(client, b, django_assert_max_num_queries):
    for i in range(5):
        camp(b.root, title=f"活动{i}")
        EducationBase.objects.create(org=b.root, name=f"基地{i}", address="a")
    for m in b.members:
        rec(m)
        rec(m, "1")
    login(client, b.district_admin)
    for url in (
        "/education/",
        f"/education/records/?org={b.org.pk}",
        "/education/bases/",
        "/education/secretaries/",
        f"/education/campaigns/{StudyCampaign.objects.first().pk}/",
        f"/education/bases/{EducationBase.objects.first().pk}/?org={b.org.pk}",
    ):
        with django_assert_max_num_queries(14):
            assert client.get(url).status_code == 200


def test_secretaries_within_a_subtree(client, b):
    login(client, b.district_admin)
    cell = f'<td data-label="Secretary">{b.members[0].name}</td>'
    body = client.get(f"/education/secretaries/?org={b.org.pk}").content.decode()
    assert cell in body
    body = client.get(f"/education/secretaries/?org={b.district.street_b.pk}").content.decode()
    assert cell not in body
    login(client, b.community_admin)
    assert client.get(f"/education/secretaries/?org={b.district.street_b.pk}").status_code == 404
    assert client.get("/education/secretaries/?org=x").status_code == 404
