"""Staff pages of the demand loop: list, detail with one form per action (version → 409),
staff entry (hotline, confidential), patrol report, a demand from a household visit."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from tests.demands.factories import T0, demand_in, make_grid, photo, square, submit
from tests.factories import PASSWORD, make_user
from tongxin.core.models import AuditEntry
from tongxin.demands.models import Demand, DemandEvent

LIST = "/demands/"


def login(user) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def detail(demand):
    return reverse("demands:detail", args=[demand.pk])


def act_url(demand, action):
    return reverse("demands:act", args=[demand.pk, action])


def post_action(client, demand, action, **fields):
    data = {f"{action}-version": str(demand.version)}
    data.update({f"{action}-{k}": v for k, v in fields.items()})
    return client.post(act_url(demand, action), data)


# -- list ---------------------------------------------------------------------------


def test_list_is_scoped_and_shows_due_and_overdue(setup):
    d = setup.d
    mine = submit(d, category=setup.category)
    late = submit(d, category=setup.category)
    Demand.objects.filter(pk=late.pk).update(overdue=True)
    other = submit(d, category=setup.category, community=d.comm_b1)
    r = login(d.community_admin).get(LIST)
    assert r.status_code == 200
    html = r.content.decode()
    assert mine.code in html and late.code in html and other.code not in html
    row = re.search(rf'<tr id="demand-{late.pk}".*?</tr>', html, re.S).group(0)
    assert "badge danger" in row
    # the acceptance due time is on every row
    local = mine.accept_due_at.astimezone(T0.tzinfo)
    assert local.strftime("%Y-%m-%d %H:%M") in html


def test_list_filters_and_bad_filter_is_400(setup):
    d = setup.d
    a = submit(d, category=setup.category, channel="hotline")
    b = submit(d, category=setup.consult)
    c = login(d.admin)
    html = c.get(LIST, {"channel": "hotline"}).content.decode()
    assert a.code in html and b.code not in html
    html = c.get(LIST, {"q": b.code}).content.decode()
    assert b.code in html and a.code not in html
    html = c.get(LIST, {"state": "closed"}).content.decode()
    assert a.code not in html
    r = c.get(LIST, {"overdue": "perhaps"})
    assert r.status_code == 400
    assert b.code not in r.content.decode()


def test_list_forbidden_without_a_demand_role(setup):
    assert login(setup.d.secretary).get(LIST).status_code == 403
    assert Client().get(LIST).status_code == 302  # to the login page


def test_handler_sees_only_their_department(setup):
    d = setup.d
    dispatched = demand_in("dispatched", setup)
    pending = submit(d, category=setup.category)
    c = login(setup.handler)
    html = c.get(LIST).content.decode()
    assert dispatched.code in html and pending.code not in html
    assert c.get(detail(pending)).status_code == 404
    assert login(setup.other_handler).get(detail(dispatched)).status_code == 404


def test_list_query_count(setup, django_assert_max_num_queries):
    d = setup.d
    for _ in range(12):
        submit(d, category=setup.category)
    c = login(d.community_admin)
    c.get(LIST)
    with django_assert_max_num_queries(20):
        r = c.get(LIST)
    assert len(re.findall(r'id="demand-\d+"', r.content.decode())) == 12


def test_list_keyset_more(setup):
    d = setup.d
    made = [submit(d, category=setup.category) for _ in range(3)]
    from tongxin.demands import selectors

    _, after = selectors.demands_for(d.admin, limit=2)
    assert after
    html = login(d.admin).get(LIST, {"after": after}).content.decode()
    assert made[0].code in html and made[2].code not in html


# -- detail and actions -------------------------------------------------------------


def test_detail_shows_the_dispatchers_actions_and_escapes_text(setup):
    d = setup.d
    demand = submit(d, category=setup.category, description="<script>alert(1)</script> 路灯坏了")
    html = login(d.community_admin).get(detail(demand)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for action in ("accept", "refuse", "mark_duplicate"):
        assert f'action="{act_url(demand, action)}"' in html
    assert f'name="accept-version" value="{demand.version}"' in html
    assert act_url(demand, "dispatch") not in html  # not in this state
    assert 'data-action="submit"' in html  # the timeline


def test_walk_through_the_loop_on_pages(setup):
    d = setup.d
    demand = submit(d, category=setup.category)
    staff = login(d.community_admin)
    r = post_action(staff, demand, "accept")
    assert r.status_code == 302 and r.url == detail(demand)
    demand.refresh_from_db()
    assert demand.state == "accepted"
    # the dispatch form suggests the routed department
    html = staff.get(detail(demand)).content.decode()
    assert f'<option value="{setup.dept.pk}" selected>' in html
    assert post_action(staff, demand, "dispatch", department=setup.dept.pk).status_code == 302
    demand.refresh_from_db()
    assert demand.state == "dispatched" and demand.department == setup.dept
    handler = login(setup.handler)
    html = handler.get(detail(demand)).content.decode()
    assert act_url(demand, "claim") in html and act_url(demand, "return") in html
    assert act_url(demand, "accept") not in html
    assert post_action(handler, demand, "claim").status_code == 302
    demand.refresh_from_db()
    r = post_action(handler, demand, "answer", answer="已更换灯泡")
    assert r.status_code == 302
    demand.refresh_from_db()
    assert demand.state == "answered" and demand.answer == "已更换灯泡"
    assert post_action(staff, demand, "close").status_code == 302
    demand.refresh_from_db()
    assert demand.state == "closed"
    actions = list(demand.events.values_list("action", flat=True))
    assert actions == ["submit", "accept", "dispatch", "claim", "answer", "close"]


def test_stale_version_is_409_and_nothing_changes(setup):
    d = setup.d
    demand = submit(d, category=setup.category)
    staff = login(d.community_admin)
    stale = demand.version
    assert post_action(staff, demand, "accept").status_code == 302
    demand.refresh_from_db()
    events = demand.events.count()
    r = staff.post(
        act_url(demand, "refuse"),
        {"refuse-version": str(stale), "refuse-reason": "重复"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert r.status_code == 409
    assert "already changed" in r.content.decode()
    demand.refresh_from_db()
    assert demand.state == "accepted" and demand.events.count() == events


def test_concurrent_conflict_from_the_service_is_409(setup, monkeypatch):
    from tongxin.demands import services

    d = setup.d
    demand = submit(d, category=setup.category)

    def lose(**kwargs):
        raise services.Conflict()

    monkeypatch.setattr(services, "act", lose)
    r = post_action(login(d.community_admin), demand, "accept")
    assert r.status_code == 409


def test_bad_input_names_the_field_and_writes_nothing(setup):
    d = setup.d
    demand = submit(d, category=setup.category)
    staff = login(d.community_admin)
    r = post_action(staff, demand, "refuse", reason="")
    assert r.status_code == 400
    assert 'id="id_refuse-reason-errors"' in r.content.decode()
    r = post_action(staff, demand, "mark_duplicate", original="NOPE")
    assert r.status_code == 400
    assert 'id="id_mark_duplicate-original-errors"' in r.content.decode()
    demand.refresh_from_db()
    assert demand.state == "pending" and demand.events.count() == 1


def test_action_refusals(setup):
    d = setup.d
    demand = submit(d, category=setup.category)
    staff = login(d.community_admin)
    assert staff.get(act_url(demand, "accept")).status_code == 405
    assert staff.post(act_url(demand, "fly"), {}).status_code == 404
    # not possible in this state / not for this user
    assert post_action(staff, demand, "close").status_code == 403
    assert post_action(login(d.street_admin), demand, "claim").status_code == 403
    # outside the scope: 404, nothing written
    assert post_action(login(d.other_community), demand, "accept").status_code == 404
    demand.refresh_from_db()
    assert demand.state == "pending"


def test_csrf_is_required(setup):
    d = setup.d
    demand = submit(d, category=setup.category)
    c = Client(enforce_csrf_checks=True)
    c.login(username=d.community_admin.username, password=PASSWORD)
    assert post_action(c, demand, "accept").status_code == 403
    demand.refresh_from_db()
    assert demand.state == "pending"


def test_escalate_summon_and_answer_summons(setup):
    d = setup.d
    demand = demand_in("handling", setup)
    staff = login(d.community_admin)
    assert post_action(staff, demand, "escalate", reason="需要街道协调").status_code == 302
    demand.refresh_from_db()
    street = login(d.street_admin)
    html = street.get(detail(demand)).content.decode()
    assert act_url(demand, "summon") in html
    r = post_action(street, demand, "summon", departments=[setup.other_dept.pk])
    assert r.status_code == 302, r.content.decode()[:2000]
    demand.refresh_from_db()
    other = login(setup.other_handler)
    html = other.get(detail(demand)).content.decode()
    assert act_url(demand, "answer_summons") in html
    summons = demand.escalations.get().summonses.get()
    r = post_action(other, demand, "answer_summons", summons=summons.pk, answer="已到场处置")
    assert r.status_code == 302
    summons.refresh_from_db()
    assert summons.state == "answered"


def test_extension_requested_and_decided_one_level_up(setup):
    d = setup.d
    demand = demand_in("handling", setup)
    handler = login(setup.handler)
    r = post_action(
        handler,
        demand,
        "request_extension",
        limit_value=2,
        limit_unit="working_days",
        reason="需采购配件",
    )
    assert r.status_code == 302
    demand.refresh_from_db()
    assert act_url(demand, "request_extension") not in handler.get(detail(demand)).content.decode()
    admin = login(d.admin)
    html = admin.get(detail(demand)).content.decode()
    assert act_url(demand, "decide_extension") in html
    ext = demand.extensions.get()
    r = post_action(admin, demand, "decide_extension", extension=ext.pk, approve="1")
    assert r.status_code == 302
    ext.refresh_from_db()
    assert ext.decision == "approved"


def test_supervise_by_the_street(setup):
    d = setup.d
    demand = demand_in("dispatched", setup)
    street = login(d.street_admin)
    r = post_action(street, demand, "supervise", note="请三日内办结")
    assert r.status_code == 302
    demand.refresh_from_db()
    assert demand.supervised
    html = street.get(LIST, {"supervised": "1"}).content.decode()
    assert demand.code in html


# -- staff entry, patrol, visit -----------------------------------------------------


def entry_data(d, category, **kw):
    data = {
        "channel": "hotline",
        "category": category.pk,
        "description": "楼下烧烤店油烟扰民",
        "community": d.comm_a1.pk,
        "contact_name": "李四",
        "phone": "13900001111",
    }
    data.update(kw)
    return data


def test_hotline_entry_confidential_is_hidden_from_the_department(setup):
    d = setup.d
    staff = login(d.community_admin)
    assert staff.get(reverse("demands:new")).status_code == 200
    r = staff.post(reverse("demands:new"), entry_data(d, setup.category, confidential="on"))
    assert r.status_code == 302
    demand = Demand.objects.get()
    assert demand.channel == "hotline" and demand.confidential
    assert r.url == detail(demand)
    html = staff.get(detail(demand)).content.decode()
    assert "李*" in html and "139****1111" in html
    demand = demand_in_from(setup, demand)
    with translation.override("en"):
        html = login(setup.handler).get(detail(demand)).content.decode()
        assert "李" not in html and "1111" not in html
        assert gettext("Confidential") in html


def demand_in_from(setup, demand):
    from tongxin.demands.services import workflow

    d = setup.d
    demand = workflow.act(actor=d.community_admin, demand=demand, action="accept", now=T0)
    return workflow.act(
        actor=d.community_admin,
        demand=demand,
        action="dispatch",
        department=setup.dept,
        now=T0 + timedelta(minutes=1),
    )


def test_entry_bad_input_is_400_naming_fields(setup):
    d = setup.d
    staff = login(d.community_admin)
    r = staff.post(
        reverse("demands:new"),
        entry_data(d, setup.category, phone="12", description="x", community=d.comm_b1.pk),
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert 'id="id_community-errors"' in html  # outside the user's communities
    assert not Demand.objects.exists()
    r = staff.post(reverse("demands:new"), entry_data(d, setup.category, phone="12"))
    assert r.status_code == 400
    assert 'id="id_phone-errors"' in r.content.decode()
    assert not Demand.objects.exists()


def test_entry_forbidden_for_handlers(setup):
    assert login(setup.handler).get(reverse("demands:new")).status_code == 403


def test_patrol_report_with_photo(setup):
    d = setup.d
    grid = make_grid(d.comm_a1, boundary=square(119.29, 26.08))
    worker = make_user("gridman", role="grid_worker", org=d.comm_a1)
    grid.workers.add(worker)
    c = login(worker)
    html = c.get(reverse("demands:patrol")).content.decode()
    assert 'type="file"' in html and f'value="{grid.pk}" selected' in html
    r = c.post(
        reverse("demands:patrol"),
        {
            "category": setup.category.pk,
            "description": "井盖缺失，存在安全隐患",
            "grid": grid.pk,
            "latitude": "26.085",
            "longitude": "119.295",
            "photos": [photo()],
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    demand = Demand.objects.get()
    assert demand.channel == "patrol" and demand.grid == grid
    assert demand.photos.count() == 1
    # the photo is served to those who see the demand, not to others
    url = reverse("demands:photo", args=[demand.pk, demand.photos.get().pk])
    assert login(d.community_admin).get(url).status_code == 200
    assert login(d.other_community).get(url).status_code == 404


def test_patrol_rejects_a_non_image(setup):
    d = setup.d
    grid = make_grid(d.comm_a1, boundary=square(119.29, 26.08))
    c = login(d.community_admin)
    r = c.post(
        reverse("demands:patrol"),
        {
            "category": setup.category.pk,
            "description": "井盖缺失，存在安全隐患",
            "grid": grid.pk,
            "photos": [photo("x.png", data=b"<html>not an image</html>")],
        },
    )
    assert r.status_code == 400
    assert not Demand.objects.exists()


def test_demand_from_a_household_visit_in_one_step(setup):
    from tests.grid.factories import make_household, make_visit

    d = setup.d
    grid = make_grid(d.comm_a1, boundary=square(119.29, 26.08))
    household = make_household(grid, phone="13712345678")
    visit = make_visit(household, d.community_admin, problem_found="楼道灯坏了，老人夜间出行不便")
    c = login(d.community_admin)
    url = reverse("demands:new") + f"?visit={visit.pk}"
    html = c.get(url).content.decode()
    assert "楼道灯坏了" in html
    r = c.post(
        url,
        {
            "visit": visit.pk,
            "category": setup.category.pk,
            "description": "楼道灯坏了，老人夜间出行不便",
            "text_household": "on",
        },
    )
    assert r.status_code == 302
    demand = Demand.objects.get()
    assert demand.channel == "visit" and demand.visit == visit
    assert demand.community == d.comm_a1 and demand.phone_tail == "5678"
    # the household page links the visit's problem to this one-step form
    page = c.get(reverse("grid:household", args=[household.pk])).content.decode()
    assert f'href="{reverse("demands:new")}?visit={visit.pk}"' in page
    # the form lists what was already filed from the visit
    assert demand.code in c.get(url).content.decode()
    # outside the scope: 404
    assert login(d.other_community).get(url).status_code in (403, 404)
    assert c.get(reverse("demands:new") + "?visit=999999").status_code == 404


# -- settings (district administrators) ---------------------------------------------


def test_settings_pages_are_for_district_admins(setup):
    d = setup.d
    for name in ("categories", "category_new", "departments", "department_new", "routes", "states"):
        assert login(d.street_admin).get(reverse(f"demands:{name}")).status_code == 403
        assert login(d.admin).get(reverse(f"demands:{name}")).status_code == 200


def test_category_two_levels_and_limits(setup):
    d = setup.d
    c = login(d.admin)
    base = {"name_en": "", "description": "", "active": "on", "order": 0}
    r = c.post(
        reverse("demands:category_new"),
        {**base, "code": "zq", "name": "环境", "limit_value": 5, "limit_unit": "working_days"},
    )
    assert r.status_code == 302
    from tongxin.demands.models import Category

    top = Category.objects.get(code="ZQ")
    r = c.post(
        reverse("demands:category_new"),
        {
            **base,
            "code": "zq-1",
            "name": "垃圾",
            "parent": top.pk,
            "limit_value": 3,
            "limit_unit": "working_days",
        },
    )
    assert r.status_code == 302
    sub = Category.objects.get(code="ZQ-1")
    assert sub.parent == top and sub.limit_value == 3
    # a third level is impossible: a subcategory is not offered as a parent
    r = c.post(
        reverse("demands:category_new"),
        {
            **base,
            "code": "zq-1-1",
            "name": "x",
            "parent": sub.pk,
            "limit_value": 3,
            "limit_unit": "working_days",
        },
    )
    assert r.status_code == 400 and 'id="id_parent-errors"' in r.content.decode()
    # urgent counts in hours; the limit is at least 1
    r = c.post(
        reverse("demands:category_edit", args=[sub.pk]),
        {
            **base,
            "code": "zq-1",
            "name": "垃圾",
            "parent": top.pk,
            "limit_value": 0,
            "limit_unit": "working_days",
            "urgent": "on",
        },
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert 'id="id_limit_value-errors"' in html and 'id="id_limit_unit-errors"' in html
    assert AuditEntry.objects.filter(object_type="demands.category").count() == 2
    page = c.get(reverse("demands:categories")).content.decode()
    assert "环境" in page and "垃圾" in page


def test_department_routes_and_state_names(setup):
    d = setup.d
    c = login(d.admin)
    h = make_user("water1", role="dept_handler", org=d.root)
    r = c.post(
        reverse("demands:department_new"),
        {
            "code": "water",
            "name": "自来水公司",
            "org": d.root.pk,
            "phone": "",
            "active": "on",
            "handlers": [h.pk],
        },
    )
    assert r.status_code == 302
    from tongxin.demands.models import Department, RoutingRule, StateLabel

    water = Department.objects.get(code="WATER")
    assert list(water.handlers.all()) == [h]
    r = c.post(
        reverse("demands:routes"),
        {"category": setup.consult.pk, "area": d.street_a.pk, "department": water.pk},
    )
    assert r.status_code == 302
    rule = RoutingRule.objects.get(category=setup.consult, area=d.street_a)
    assert rule.department == water
    # the same pair again replaces the rule (community handles it itself)
    c.post(reverse("demands:routes"), {"category": setup.consult.pk, "area": d.street_a.pk})
    rule.refresh_from_db()
    assert rule.department is None
    assert c.post(reverse("demands:route_delete", args=[rule.pk])).status_code == 302
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()
    r = c.post(reverse("demands:states"), {"pending": "待签收"})
    assert r.status_code == 302
    assert StateLabel.objects.get(state="pending").label == "待签收"
    demand = submit(d, category=setup.category)
    assert "待签收" in c.get(detail(demand)).content.decode()
    assert "待签收" in c.get(LIST).content.decode()
    assert AuditEntry.objects.filter(object_type="demands.department").exists()


def test_nav_shows_demands_to_staff_and_handlers(setup):
    d = setup.d
    with translation.override("en"):
        assert 'href="/demands/"' in login(d.community_admin).get("/").content.decode()
        assert 'href="/demands/settings/categories/"' in login(d.admin).get("/").content.decode()
        assert 'href="/demands/"' not in login(d.secretary).get("/").content.decode()
    assert DemandEvent.objects.count() == 0


def test_every_action_has_a_form_and_a_place_on_the_page():
    from tongxin.demands import rules
    from tongxin.demands.forms import actions

    staff_actions = {name for name, a in rules.ACTIONS.items() if a.who - {rules.RESIDENT}}
    assert set(actions.FORMS) == staff_actions
    assert set(actions.ORDER) == staff_actions == set(actions.LABELS)


def test_detail_query_count_does_not_grow_with_the_timeline(setup, django_assert_max_num_queries):
    from tongxin.demands.services import workflow

    demand = demand_in("handling", setup)
    for i in range(8):
        demand = workflow.act(
            actor=setup.handler,
            demand=demand,
            action="progress",
            note=f"第{i}次进展",
            now=T0 + timedelta(hours=1, minutes=i),
        )
    for user in (setup.d.community_admin, setup.handler, setup.d.admin):
        c = login(user)
        with django_assert_max_num_queries(20):
            r = c.get(detail(demand))
        assert r.content.decode().count('data-action="progress"') == 8


def test_list_more_rows_for_htmx(setup):
    d = setup.d
    made = [submit(d, category=setup.category) for _ in range(3)]
    from tongxin.demands import selectors

    _, after = selectors.demands_for(d.admin, limit=1)
    r = login(d.admin).get(
        LIST, {"after": after}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="demand-rows"
    )
    html = r.content.decode()
    assert r.status_code == 200 and "<html" not in html
    assert made[1].code in html and made[0].code in html and made[2].code not in html


def test_patrol_without_a_point_uses_the_grids_community(setup):
    d = setup.d
    grid = make_grid(d.comm_a2, boundary=square(119.40, 26.10))
    c = login(d.street_admin)
    r = c.post(
        reverse("demands:patrol"),
        {
            "category": setup.category.pk,
            "description": "绿化带被占用堆放杂物",
            "grid": grid.pk,
            "address": "东街口",
        },
    )
    assert r.status_code == 302
    demand = Demand.objects.get()
    assert demand.community == d.comm_a2 and demand.address == "东街口"
    assert demand.channel == "patrol"


def test_patrol_is_for_grid_staff_only(setup):
    assert login(setup.handler).get(reverse("demands:patrol")).status_code == 403
    assert login(setup.d.secretary).get(reverse("demands:patrol")).status_code == 403


def test_reveal_the_callers_phone_is_post_only_and_audited(setup):
    from tongxin.demands import services

    if not hasattr(services, "reveal_contact"):
        pytest.skip("services.reveal_contact is not there yet")
    d = setup.d
    demand = submit(d, category=setup.category)
    c = login(d.community_admin)
    url = reverse("demands:reveal", args=[demand.pk])
    assert c.get(url).status_code == 405
    before = AuditEntry.objects.count()
    r = c.post(url, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    html = r.content.decode()
    assert '<span class="mono">13812345678</span> · 张三' in html and "<html" not in html
    assert AuditEntry.objects.filter(action="demand.reveal_contact", result="ok").count() == 1
    assert AuditEntry.objects.count() == before + 1
    assert login(d.other_community).post(url).status_code == 404
    # a confidential demand: the department never sees the caller, even by asking
    secret = demand_in_from(setup, submit(d, category=setup.category, confidential=True))
    url = reverse("demands:reveal", args=[secret.pk])
    assert login(setup.handler).post(url).status_code == 403
    assert AuditEntry.objects.filter(action="demand.reveal_contact", result="denied").exists()
    html = login(setup.handler).get(detail(secret)).content.decode()
    assert url not in html


def test_department_returns_it_and_the_dispatcher_sees_why(setup):
    d = setup.d
    demand = demand_in("dispatched", setup)
    r = post_action(login(setup.handler), demand, "return", reason="属于住建局职责")
    assert r.status_code == 302
    demand.refresh_from_db()
    assert demand.state == "returned"
    staff = login(d.community_admin)
    html = staff.get(detail(demand)).content.decode()
    assert "属于住建局职责" in html
    assert act_url(demand, "dispatch") in html  # back to dispatch, never lost
    html = staff.get(LIST, {"state": "returned"}).content.decode()
    assert demand.code in html
