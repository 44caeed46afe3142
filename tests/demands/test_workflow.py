"""The demands loop at service level: intake, routing, return, reopen, duplicates,
extensions, escalation and summons, supervision, the clocks on the official calendar,
tracking, notifications and SMS."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from tests.demands.factories import (
    PHONE,
    T0,
    TAIL,
    demand_in,
    make_category,
    make_department,
    make_grid,
    make_handler,
    make_route,
    photo,
    square,
    submit,
)
from tests.factories import make_user
from tongxin.core.models import AuditEntry, Notification, OutboundMessage
from tongxin.demands import rules
from tongxin.demands.models import (
    Demand,
    DemandEvent,
    Escalation,
    ExtensionRequest,
    Photo,
    Summons,
    Supervision,
)
from tongxin.demands.services import workflow
from tongxin.demands.services.workflow import ActionRefused, Conflict

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=9, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def act(actor, demand, action, *, now=None, **kw):
    """Acts an hour after T0 unless told (demand_in's steps take a minute each from T0)."""
    return workflow.act(
        actor=actor, demand=demand, action=action, now=now or T0 + timedelta(hours=1), **kw
    )


# ------------------------------------------------------------------ intake


def test_submit_sets_code_clock_event_and_texts_the_code(setup, django_capture_on_commit_callbacks):
    d = setup.d
    with django_capture_on_commit_callbacks(execute=True):
        demand = submit(d, category=setup.category, address="南后街 12 号")
    assert demand.state == rules.PENDING and demand.version == 0
    assert demand.community == d.comm_a1 and demand.street == d.street_a
    assert len(demand.code) == 12 and demand.code.startswith("260310")
    assert demand.phone == PHONE and demand.phone_tail == TAIL
    # accept within 1 working hour of Tuesday 09:00
    assert demand.accept_due_at == at(2026, 3, 10, 10, 0)
    ev = demand.events.get()
    assert (ev.action, ev.to_state, ev.public, ev.at) == ("submit", "pending", True, T0)
    sms = OutboundMessage.objects.get(kind="demand_received")
    assert demand.code in sms.body and sms.to == PHONE
    assert Notification.objects.filter(
        recipient=d.community_admin, kind="demand_new", key=f"demand-new:{demand.pk}"
    ).exists()
    assert AuditEntry.objects.filter(action="demand.submit", object_id=str(demand.pk)).exists()


def test_submit_landline_gets_no_sms_and_hotline_needs_no_phone(
    setup, django_capture_on_commit_callbacks
):
    d = setup.d
    with django_capture_on_commit_callbacks(execute=True):
        submit(
            d,
            category=setup.category,
            phone="059187654321",
            channel="hotline",
            actor=d.community_admin,
        )
        hot = submit(
            d, category=setup.category, phone="", channel="hotline", actor=d.community_admin
        )
    assert not OutboundMessage.objects.exists()
    assert hot.phone_tail == ""
    assert workflow.track(code=hot.code, phone_tail="") is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"description": "短"}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"phone": "12345"}, "phone"),
        ({"phone": ""}, "phone"),  # the portal needs the phone
        ({"channel": "telepathy"}, "channel"),
        ({"title": "t" * 101}, "title"),
        ({"latitude": "26.1"}, "location"),  # latitude without longitude
        ({"latitude": "95", "longitude": "119.3"}, "latitude"),
        ({"community": None}, "community"),
    ],
)
def test_submit_refuses_bad_input_naming_the_field(setup, overrides, field):
    kw = {"description": "小区门口路灯不亮已经三天了", **overrides}
    if "community" in overrides:
        kw["community"] = None
        from tongxin.demands.services.intake import submit as raw_submit

        call = lambda: raw_submit(  # noqa: E731
            channel="portal", category=setup.category, phone=PHONE, now=T0, **kw
        )
    else:
        call = lambda: submit(setup.d, category=setup.category, **kw)  # noqa: E731
    with pytest.raises(ValidationError) as err:
        call()
    assert field in err.value.message_dict
    assert not Demand.objects.exists() and not DemandEvent.objects.exists()


def test_submit_category_must_be_active_leaf(setup):
    parent = make_category("市政设施")
    make_category("井盖", parent=parent)
    off = make_category("停用", active=False)
    for cat in (parent, off, 999999):
        with pytest.raises(ValidationError) as err:
            submit(setup.d, category=cat)
        assert "category" in err.value.message_dict


def test_script_in_description_is_stored_as_text(setup):
    demand = submit(setup.d, category=setup.category, description="<script>alert(1)</script>路灯")
    assert demand.description == "<script>alert(1)</script>路灯"  # templates escape it


def test_location_finds_the_grid_community_and_street(setup):
    d = setup.d
    grid_a2 = make_grid(d.comm_a2, boundary=square(119.30, 26.08))
    make_grid(d.comm_b1, boundary=square(119.40, 26.08))
    demand = submit(
        d,
        category=setup.category,
        community=d.comm_a1,  # the point decides
        latitude="26.085",
        longitude="119.305",
    )
    assert (demand.grid, demand.community, demand.street) == (grid_a2, d.comm_a2, d.street_a)
    # outside every grid but inside the district's extent: the community given is used
    gap = submit(d, category=setup.category, latitude="26.085", longitude="119.35")
    assert gap.grid is None and gap.community == d.comm_a1
    # outside the district
    with pytest.raises(ValidationError) as err:
        submit(d, category=setup.category, latitude="39.9", longitude="116.4")
    assert "location" in err.value.message_dict


def test_photos_images_only_with_limits(setup, settings):
    d = setup.d
    demand = submit(d, category=setup.category, photos=[photo(), photo("b.png")])
    assert Photo.objects.filter(demand=demand).count() == 2
    p = Photo.objects.filter(demand=demand).first()
    assert p.content_type == "image/png" and (p.width, p.height) == (4, 3)
    assert p.event == demand.events.get(action="submit")
    with pytest.raises(ValidationError) as err:
        submit(d, category=setup.category, photos=[photo("x.png", b"<?php echo 1; ?>")])
    assert "photos" in err.value.message_dict
    settings.TONGXIN = {
        **settings.TONGXIN,
        "DEMAND_PHOTO_MAX_BYTES": 10,
        "DEMAND_PHOTO_MAX_COUNT": 1,
    }
    with pytest.raises(ValidationError):
        submit(d, category=setup.category, photos=[photo()])
    with pytest.raises(ValidationError):
        submit(d, category=setup.category, photos=[photo(), photo()])
    assert Demand.objects.count() == 1


def test_staff_may_only_file_in_their_area(setup):
    d = setup.d
    with pytest.raises(PermissionDenied):
        submit(
            d,
            category=setup.category,
            community=d.comm_b1,
            actor=d.community_admin,
            channel="hotline",
        )
    ok = submit(d, category=setup.category, community=d.comm_b1, actor=d.admin, channel="hotline")
    assert ok.channel == "hotline"


def test_open311_external_id_once_per_client(setup):
    from tongxin.demands.models import Open311Client

    client = Open311Client.objects.create(name="app", key_digest="k1")
    submit(
        setup.d,
        category=setup.category,
        channel="open311",
        open311_client=client,
        external_id="r-1",
    )
    with pytest.raises(ValidationError) as err:
        submit(
            setup.d,
            category=setup.category,
            channel="open311",
            open311_client=client,
            external_id="r-1",
        )
    assert "external_id" in err.value.message_dict


# ------------------------------------------------------------------ tracking


def test_track_needs_code_and_phone_tail_without_hint(setup):
    demand = submit(setup.d, category=setup.category)
    assert workflow.track(code=demand.code, phone_tail=TAIL).pk == demand.pk
    assert workflow.track(code=demand.code.lower(), phone_tail=TAIL).pk == demand.pk
    assert workflow.track(code=f" {demand.code[:6]}-{demand.code[6:]} ", phone_tail=TAIL)
    assert workflow.track(code=demand.code, phone_tail="0000") is None
    assert workflow.track(code="260310AAAAAA", phone_tail=TAIL) is None
    assert workflow.track(code="", phone_tail=TAIL) is None
    assert workflow.track(code=demand.code, phone_tail="567") is None
    with pytest.raises(ValidationError) as err:
        workflow.resident_act(
            code=demand.code, phone_tail="1111", action="rate", rating="satisfied"
        )
    assert list(err.value.message_dict) == ["code"]


# ------------------------------------------------------------------ routing and dispatch


def test_route_most_specific_first(setup):
    d = setup.d
    cat = make_category("噪声")
    district_dept = make_department(d.root, name="区环保局")
    street_dept = make_department(d.street_a, name="鼓东街道城管科")
    make_route(cat, district_dept)
    make_route(cat, street_dept, area=d.street_a)
    make_route(cat, None, area=d.comm_a2)  # comm_a2 handles it itself
    assert workflow.route(cat, d.comm_a1) == street_dept
    assert workflow.route(cat, d.comm_a2) is None
    assert workflow.route(cat, d.comm_b1) == district_dept
    assert workflow.route(make_category("无规则"), d.comm_a1) is None
    # a rule on the parent category applies to its subcategories
    parent = make_category("市政")
    child = make_category("井盖", parent=parent)
    make_route(parent, district_dept)
    assert workflow.route(child, d.comm_a1) == district_dept
    make_route(child, street_dept)
    assert workflow.route(child, d.comm_a1) == street_dept
    # an inactive department's rule is skipped
    street_dept.active = False
    street_dept.save()
    assert workflow.route(cat, d.comm_a1) == district_dept


def test_dispatch_without_department_uses_routing_and_none_means_community(setup):
    d = setup.d
    demand = demand_in(rules.ACCEPTED, setup)
    demand = act(d.community_admin, demand, "dispatch")  # routing: setup.dept
    assert demand.department == setup.dept and demand.state == rules.DISPATCHED
    other = demand_in(rules.ACCEPTED, setup)
    other = act(d.community_admin, other, "dispatch", department=None)
    assert other.department is None and other.state == rules.HANDLING
    assert other.handler == d.community_admin
    # the community answers its own demand
    other = act(d.community_admin, other, "answer", answer="社区已处理")
    assert other.state == rules.ANSWERED


def test_return_as_not_ours_goes_back_to_dispatch_with_reason(
    setup, django_capture_on_commit_callbacks
):
    d = setup.d
    demand = demand_in(rules.HANDLING, setup)
    with pytest.raises(ValidationError) as err:
        act(setup.handler, demand, "return")
    assert "reason" in err.value.message_dict
    assert Demand.objects.get(pk=demand.pk).state == rules.HANDLING
    with django_capture_on_commit_callbacks(execute=True):
        demand = act(setup.handler, demand, "return", reason="属于住建局职责")
    assert demand.state == rules.RETURNED and demand.department is None
    ev = demand.events.get(action="return")
    assert ev.note == "属于住建局职责"
    assert ev.payload["department"] == setup.dept.pk and ev.payload["reason"] == "属于住建局职责"
    notice = Notification.objects.get(recipient=d.community_admin, kind="demand_returned")
    assert "属于住建局职责" in notice.subject
    # the department no longer sees it; the dispatcher re-dispatches it
    assert not Demand.objects.visible_to(setup.handler).filter(pk=demand.pk).exists()
    demand = act(d.community_admin, demand, "dispatch", department=setup.other_dept)
    assert demand.department == setup.other_dept
    demand = act(setup.other_handler, demand, "claim")
    assert demand.state == rules.HANDLING


def test_refuse_with_reason_the_resident_sees(setup, django_capture_on_commit_callbacks):
    demand = submit(setup.d, category=setup.category)
    with django_capture_on_commit_callbacks(execute=True):
        demand = act(setup.d.community_admin, demand, "refuse", reason="属于司法程序")
    assert demand.refuse_reason == "属于司法程序"
    ev = demand.events.get(action="refuse")
    assert ev.public and ev.note == "属于司法程序"
    assert "属于司法程序" in OutboundMessage.objects.get(kind="demand_refused").body


# ------------------------------------------------------------------ answer, rate, reopen


def test_answer_texts_the_resident_and_records_working_minutes(
    setup, django_capture_on_commit_callbacks
):
    demand = demand_in(rules.HANDLING, setup)  # accepted at 09:01
    with django_capture_on_commit_callbacks(execute=True):
        demand = act(
            setup.handler, demand, "answer", answer="已更换灯泡", now=T0 + timedelta(hours=4)
        )  # 13:00: lunch from 12:00
    assert demand.answer == "已更换灯泡" and demand.answered_at == T0 + timedelta(hours=4)
    assert demand.handling_minutes == 179  # 09:01–12:00
    assert OutboundMessage.objects.get(kind="demand_answered").to == PHONE  # `to` is encrypted
    ev = demand.events.get(action="answer")
    assert ev.public and ev.note == "已更换灯泡" and ev.payload["on_time"] is True


def test_reopen_once_only(setup):
    d = setup.d
    demand = demand_in(rules.CLOSED, setup)
    demand = workflow.resident_act(
        code=demand.code, phone_tail=TAIL, action="reopen", comment="灯还是不亮"
    )
    assert demand.state == rules.REOPENED and demand.reopen_count == 1
    ev = demand.events.get(action="reopen")
    assert (
        ev.payload["previous_answer"] == "已修复" and ev.payload["previous_rating"] == "unsatisfied"
    )
    assert demand.answer == "" and demand.due_at is not None
    for action, actor, kw in [
        ("dispatch", d.community_admin, {"department": setup.dept}),
        ("claim", setup.handler, {}),
        ("answer", setup.handler, {"answer": "再次修复"}),
        ("close", d.community_admin, {}),
    ]:
        demand = act(actor, demand, action, **kw)
    demand = workflow.resident_act(
        code=demand.code, phone_tail=TAIL, action="rate", rating="unsatisfied"
    )
    with pytest.raises(ActionRefused) as refused:
        workflow.resident_act(code=demand.code, phone_tail=TAIL, action="reopen")
    assert refused.value.rule == rules.RULE_REOPEN_ONCE
    assert Demand.objects.get(pk=demand.pk).state == rules.RATED


def test_satisfied_resident_cannot_reopen(setup):
    demand = demand_in(rules.RATED, setup, rating="basically")
    with pytest.raises(ActionRefused) as refused:
        workflow.resident_act(code=demand.code, phone_tail=TAIL, action="reopen")
    assert refused.value.rule == rules.RULE_REOPEN_UNSATISFIED


def test_rating_must_be_one_of_three(setup):
    demand = demand_in(rules.CLOSED, setup)
    with pytest.raises(ValidationError) as err:
        workflow.resident_act(code=demand.code, phone_tail=TAIL, action="rate", rating="great")
    assert "rating" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        workflow.resident_act(code=demand.code, phone_tail=TAIL, action="close")
    assert "action" in err.value.message_dict


def test_return_visit_records_a_phoned_rating_and_its_clock(setup):
    demand = demand_in(rules.CLOSED, setup)
    assert demand.visit_due_at == at(2026, 3, 11, 17, 30)  # 1 working day after closing
    demand = act(
        setup.d.community_admin,
        demand,
        "return_visit",
        rating="satisfied",
        note="电话回访，居民满意",
    )
    assert demand.state == rules.VISITED and demand.rating == "satisfied"
    assert demand.events.get(action="return_visit").payload["on_time"] is True


# ------------------------------------------------------------------ duplicates


def test_duplicates_are_linked_to_the_original(setup):
    d = setup.d
    original = submit(d, category=setup.category)
    dup = submit(d, category=setup.category)
    dup = act(d.community_admin, dup, "mark_duplicate", original=original)
    assert dup.state == rules.DUPLICATE and dup.duplicate_of == original
    assert list(original.duplicates.all()) == [dup]
    assert dup.events.get(action="mark_duplicate").payload["original_code"] == original.code
    # a duplicate of a duplicate links to the root
    third = submit(d, category=setup.category)
    third = act(d.community_admin, third, "mark_duplicate", original=dup)
    assert third.duplicate_of == original
    # itself: refused; an original outside the actor's scope: refused naming the field
    fourth = submit(d, category=setup.category)
    with pytest.raises(ActionRefused) as refused:
        act(d.community_admin, fourth, "mark_duplicate", original=fourth)
    assert refused.value.rule == rules.RULE_DUPLICATE_SELF
    elsewhere = submit(d, category=setup.category, community=d.comm_b1)
    with pytest.raises(ValidationError) as err:
        act(d.community_admin, fourth, "mark_duplicate", original=elsewhere)
    assert "original" in err.value.message_dict
    assert Demand.objects.get(pk=fourth.pk).state == rules.PENDING


# ------------------------------------------------------------------ extensions


def test_extension_approved_one_level_up_changes_due(setup, official_calendar):
    d = setup.d
    demand = demand_in(rules.HANDLING, setup)
    due = demand.due_at
    assert due == at(2026, 3, 17, 17, 30)  # 5 working days after Tuesday 03-10
    demand = act(
        setup.handler,
        demand,
        "request_extension",
        limit_value=2,
        limit_unit="working_days",
        reason="需要采购配件",
    )
    ext = ExtensionRequest.objects.get(demand=demand)
    with pytest.raises(ActionRefused) as refused:
        act(setup.handler, demand, "request_extension", limit_value=1, reason="再申请")
    assert refused.value.rule == rules.RULE_EXTENSION_PENDING
    # the handler and the community may not decide; the district (the department's level) may
    for who in (setup.handler, d.community_admin):
        with pytest.raises(PermissionDenied):
            act(who, demand, "decide_extension", extension=ext, approve=True)
    demand = act(d.admin, demand, "decide_extension", extension=ext, approve=True)
    ext.refresh_from_db()
    assert ext.decision == "approved" and ext.old_due_at == due
    assert demand.due_at == at(2026, 3, 19, 17, 30) == ext.new_due_at
    with pytest.raises(ActionRefused) as refused:
        act(d.admin, demand, "decide_extension", extension=ext, approve=True)
    assert refused.value.rule == rules.RULE_EXTENSION_DECIDED


def test_extension_rejected_leaves_due(setup):
    d = setup.d
    demand = demand_in(rules.HANDLING, setup)
    due = demand.due_at
    demand = act(setup.handler, demand, "request_extension", limit_value=3, reason="人手不足")
    ext = ExtensionRequest.objects.get(demand=demand)
    demand = act(d.admin, demand, "decide_extension", extension=ext, approve=False)
    ext.refresh_from_db()
    assert ext.decision == "rejected" and demand.due_at == due and ext.new_due_at is None


def test_extension_of_a_street_department_is_decided_by_the_street(setup):
    d = setup.d
    street_dept = make_department(d.street_a, name="街道城管科")
    worker = make_handler(street_dept)
    demand = demand_in(rules.ACCEPTED, setup)
    demand = act(d.community_admin, demand, "dispatch", department=street_dept)
    demand = act(worker, demand, "claim")
    demand = act(
        worker, demand, "request_extension", limit_value=4, limit_unit="hours", reason="夜间施工"
    )
    ext = ExtensionRequest.objects.get(demand=demand)
    other_street = make_user("street_b", role="street_admin", org=d.street_b)
    with pytest.raises(PermissionDenied):
        act(other_street, demand, "decide_extension", extension=ext, approve=True)
    demand = act(d.street_admin, demand, "decide_extension", extension=ext, approve=True)
    ext.refresh_from_db()
    assert demand.due_at == ext.old_due_at + timedelta(hours=4) == ext.new_due_at


def test_own_extension_request_cannot_be_self_approved(setup):
    d = setup.d
    demand = demand_in(rules.ACCEPTED, setup)
    demand = act(d.admin, demand, "dispatch", department=None)  # the district admin handles it
    demand = act(d.admin, demand, "request_extension", limit_value=1, reason="等待")
    ext = ExtensionRequest.objects.get(demand=demand)
    with pytest.raises(ActionRefused) as refused:
        act(d.admin, demand, "decide_extension", extension=ext, approve=True)
    assert refused.value.rule == rules.RULE_OWN_EXTENSION


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"limit_value": 0, "reason": "x"}, "limit_value"),
        ({"limit_value": 31, "reason": "x"}, "limit_value"),
        ({"limit_value": 2, "limit_unit": "weeks", "reason": "x"}, "limit_unit"),
        ({"limit_value": 2}, "reason"),
    ],
)
def test_extension_request_validation(setup, kw, field):
    demand = demand_in(rules.HANDLING, setup)
    with pytest.raises(ValidationError) as err:
        act(setup.handler, demand, "request_extension", **kw)
    assert field in err.value.message_dict
    assert not ExtensionRequest.objects.exists()


# ------------------------------------------------------------------ escalation and summons


def test_escalation_and_each_summons_tracked_to_its_own_answer(
    setup, django_capture_on_commit_callbacks
):
    d = setup.d
    third = make_department(d.root, name="派出所")
    third_handler = make_handler(third)
    demand = demand_in(rules.HANDLING, setup)
    with django_capture_on_commit_callbacks(execute=True):
        demand = act(d.community_admin, demand, "escalate", reason="涉及多个部门，社区无法协调")
    esc = Escalation.objects.get(demand=demand)
    assert (esc.from_org, esc.to_org, esc.by) == (d.comm_a1, d.street_a, d.community_admin)
    assert demand.state == rules.ESCALATED and demand.escalated
    assert Notification.objects.filter(recipient=d.street_admin, kind="demand_escalated").exists()
    # only the street summons
    with pytest.raises(PermissionDenied):
        act(d.community_admin, demand, "summon", departments=[setup.other_dept])
    demand = act(d.street_admin, demand, "summon", departments=[setup.other_dept, third])
    s_other = Summons.objects.get(escalation=esc, department=setup.other_dept)
    s_third = Summons.objects.get(escalation=esc, department=third)
    with pytest.raises(ValidationError) as err:
        act(d.street_admin, demand, "summon", departments=[third])
    assert "departments" in err.value.message_dict
    # the summoned departments now see the demand
    assert Demand.objects.visible_to(third_handler).filter(pk=demand.pk).exists()
    # a department answers only its own summons
    with pytest.raises(PermissionDenied):
        act(third_handler, demand, "answer_summons", summons=s_other, answer="不是我")
    demand = act(setup.other_handler, demand, "answer_summons", summons=s_other, answer="已派人")
    s_other.refresh_from_db()
    s_third.refresh_from_db()
    assert s_other.state == "answered" and s_other.answered_by == setup.other_handler
    assert s_third.state == "summoned"
    with pytest.raises(ActionRefused) as refused:
        act(setup.other_handler, demand, "answer_summons", summons=s_other, answer="again")
    assert refused.value.rule == rules.RULE_SUMMONS_ANSWERED
    # a summoned department does not answer the resident; the street does
    with pytest.raises(PermissionDenied):
        act(third_handler, demand, "answer", answer="已处理")
    demand = act(d.street_admin, demand, "answer", answer="街道协调各部门已解决")
    assert demand.state == rules.ANSWERED
    actions = list(demand.events.values_list("action", flat=True))
    assert actions[-4:] == ["escalate", "summon", "answer_summons", "answer"]


# ------------------------------------------------------------------ supervision


def test_supervision_by_street_and_district(setup, django_capture_on_commit_callbacks):
    d = setup.d
    demand = demand_in(rules.HANDLING, setup)
    with pytest.raises(PermissionDenied):
        act(d.community_admin, demand, "supervise", note="快办")
    with pytest.raises(PermissionDenied):
        act(setup.handler, demand, "supervise", note="快办")
    with django_capture_on_commit_callbacks(execute=True):
        demand = act(d.street_admin, demand, "supervise", note="请三日内办结")
    assert demand.supervised
    assert Supervision.objects.get(demand=demand).org == d.street_a
    assert Notification.objects.filter(recipient=setup.handler, kind="demand_supervised").exists()
    with pytest.raises(ActionRefused) as refused:
        act(d.street_admin, demand, "supervise", note="再督办")
    assert refused.value.rule == rules.RULE_ALREADY_SUPERVISED
    demand = act(d.admin, demand, "supervise", note="区级督办")
    assert set(Supervision.objects.filter(demand=demand).values_list("org", flat=True)) == {
        d.street_a.pk,
        d.root.pk,
    }
    other_street = make_user("street_b2", role="street_admin", org=d.street_b)
    with pytest.raises(PermissionDenied):
        act(other_street, demand, "supervise", note="越界")


# ------------------------------------------------------------------ clocks on the calendar


def test_clocks_around_national_day(setup, official_calendar):
    d = setup.d
    # filed Wednesday 09-30 at 17:00: accept within 1 working hour → 10-08 09:00
    demand = submit(d, category=setup.category, now=at(2026, 9, 30, 17, 0))
    assert demand.accept_due_at == at(2026, 10, 8, 9, 0)
    # accepted on 09-30 17:10: 5 working days = 10-08, 10-09, 10-10 (Sat, worked), 10-12, 10-13
    demand = act(d.community_admin, demand, "accept", now=at(2026, 9, 30, 17, 10))
    assert demand.due_at == at(2026, 10, 13, 17, 30)
    consult = submit(d, category=setup.consult, now=at(2026, 10, 2, 10, 0))
    assert consult.accept_due_at == at(2026, 10, 8, 9, 30)
    consult = act(d.community_admin, consult, "accept", now=at(2026, 10, 2, 11, 0))
    assert consult.due_at == at(2026, 10, 10, 17, 30)  # 10-08, 10-09, 10-10
    # urgent: clock hours, holiday or not
    gas = submit(d, category=setup.urgent, now=at(2026, 10, 3, 22, 0))
    assert gas.accept_due_at == at(2026, 10, 3, 23, 0)
    gas = act(d.community_admin, gas, "accept", now=at(2026, 10, 3, 22, 30))
    assert gas.due_at == at(2026, 10, 4, 0, 30)


def test_clocks_around_spring_festival_and_unloaded_year(setup, official_calendar):
    d = setup.d
    demand = submit(d, category=setup.category, now=at(2026, 2, 13, 17, 0))
    assert demand.accept_due_at == at(2026, 2, 14, 9, 0)  # Saturday 02-14 is worked
    demand = act(d.community_admin, demand, "accept", now=at(2026, 2, 14, 9, 0))
    # 02-24, 02-25, 02-26, 02-27, 02-28 (Sat, worked)
    assert demand.due_at == at(2026, 2, 28, 17, 30)
    demand = act(
        d.community_admin, demand, "dispatch", department=setup.dept, now=at(2026, 2, 14, 9, 5)
    )
    demand = act(setup.handler, demand, "claim", now=at(2026, 2, 14, 9, 10))
    demand = act(setup.handler, demand, "answer", answer="ok", now=at(2026, 2, 24, 9, 0))
    assert demand.handling_minutes == 420 - 30 + 30  # 02-14 from 09:00, 02-24 to 09:00
    late = submit(d, category=setup.category, now=at(2026, 12, 31, 10))
    late = act(d.community_admin, late, "accept", now=at(2026, 12, 31, 10))
    # 2027 not loaded: weekends only — 01-01 (Fri), 01-04 … 01-07
    assert late.due_at == at(2027, 1, 7, 17, 30)


# ------------------------------------------------------------------ versions and events


def test_expected_version_conflict_writes_nothing(setup):
    demand = submit(setup.d, category=setup.category)
    act(setup.d.community_admin, demand, "accept", expected_version=0)
    events = DemandEvent.objects.count()
    with pytest.raises(Conflict):
        act(setup.d.community_admin, demand, "refuse", expected_version=0, reason="x")
    assert DemandEvent.objects.count() == events
    fresh = Demand.objects.get(pk=demand.pk)
    assert (fresh.state, fresh.version) == (rules.ACCEPTED, 1)


def test_every_action_is_audited_and_on_the_timeline(setup):
    demand = demand_in(rules.ARCHIVED, setup)
    actions = list(demand.events.values_list("action", flat=True))
    assert actions == [
        "submit",
        "accept",
        "dispatch",
        "claim",
        "answer",
        "close",
        "rate",
        "archive",
    ]
    audited = set(
        AuditEntry.objects.filter(object_id=str(demand.pk)).values_list("action", flat=True)
    )
    assert audited >= {f"demand.{a}" for a in actions}
    assert demand.version == len(actions) - 1
    public = set(demand.events.filter(public=True).values_list("action", flat=True))
    assert "claim" in public and "submit" in public


def test_messages_in_english(setup):
    demand = demand_in(rules.ARCHIVED, setup)
    with translation.override("en"), pytest.raises(ActionRefused) as refused:
        act(setup.d.community_admin, demand, "accept")
    assert refused.value.messages == ["This action is not possible in the demand's current state."]


def test_progress_notes_with_photos(setup):
    demand = demand_in(rules.HANDLING, setup)
    with pytest.raises(ValidationError) as err:
        act(setup.handler, demand, "progress")
    assert "note" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        act(setup.handler, demand, "progress", note="现场照片", photos=[photo("a.txt", b"hello")])
    assert "photos" in err.value.message_dict
    demand = act(setup.handler, demand, "progress", note="已到现场", photos=[photo()])
    ev = demand.events.get(action="progress")
    assert ev.note == "已到现场" and not ev.public and demand.state == rules.HANDLING
    assert list(Photo.objects.filter(event=ev).values_list("demand", flat=True)) == [demand.pk]
    demand = act(setup.handler, demand, "progress", note="配件已到货", public=True)
    assert demand.events.filter(action="progress", public=True).count() == 1


@pytest.mark.django_db
def test_default_catalogue_and_state_names():
    """The data migration: two levels, a limit on each, urgent ones in hours."""
    from tongxin.demands.models import Category, StateLabel

    tops = {c.code: c for c in Category.objects.filter(parent__isnull=True)}
    assert {"ENV", "ORD", "DIS", "REP", "PRO", "SOC", "CON", "SUG", "PRA"} <= set(tops)
    assert Category.objects.filter(parent=tops["ENV"]).count() >= 5
    consult = Category.objects.get(code="CON-01")
    assert (consult.limit_value, consult.limit_unit) == (3, "working_days")
    general = Category.objects.get(code="REP-01")
    assert (general.limit_value, general.limit_unit, general.urgent) == (5, "working_days", False)
    gas = Category.objects.get(code="REP-05")
    assert (gas.limit_value, gas.limit_unit, gas.urgent) == (2, "hours", True)
    assert set(StateLabel.objects.values_list("state", flat=True)) == set(rules.ALL_STATES)
    assert StateLabel.objects.get(state="pending").label == "待受理"
