"""The state machine at service level, exhaustively: every action × every state. Allowed
pairs succeed (one event, version + 1, the table's target state); refused pairs raise
ActionRefused naming the rule and write nothing (no event, no audit row, same version)."""

import pytest

from tests.demands.factories import TAIL, demand_in, submit
from tongxin.core.models import AuditEntry
from tongxin.demands import rules
from tongxin.demands.models import Demand, DemandEvent, ExtensionRequest, Summons
from tongxin.demands.services import workflow
from tongxin.demands.services.workflow import ActionRefused


def _params(action, demand, setup):
    d = setup.d
    return {
        "refuse": {"reason": "不属于受理范围"},
        "mark_duplicate": {"original": submit(d, category=setup.category)},
        "dispatch": {"department": setup.dept},
        "return": {"reason": "不属于本部门"},
        "progress": {"note": "已到现场查看"},
        "escalate": {"reason": "涉及多个部门"},
        "summon": {"departments": [setup.other_dept]},
        "answer": {"answer": "已修复路灯"},
        "rate": {"rating": "satisfied"},
        "supervise": {"note": "请加快办理"},
        "request_extension": {"limit_value": 2, "limit_unit": "working_days", "reason": "需采购"},
    }.get(action, {})


def _prepare(action, demand, setup):
    """Extra rows an allowed action needs (a summons, an extension request)."""
    params = _params(action, demand, setup)
    actor = setup.super_actor
    if action == "answer_summons":
        demand = workflow.act(
            actor=setup.d.street_admin,
            demand=demand,
            action="summon",
            departments=[setup.other_dept],
        )
        params = {"summons": Summons.objects.get(escalation__demand=demand), "answer": "已到场"}
        actor = setup.other_handler
    if action == "decide_extension":
        demand = workflow.act(
            actor=setup.handler,
            demand=demand,
            action="request_extension",
            limit_value=1,
            limit_unit="working_days",
            reason="需采购",
        )
        params = {"extension": ExtensionRequest.objects.get(demand=demand), "approve": True}
    return demand, params, actor


@pytest.fixture
def super_setup(setup):
    # a district administrator who is also a handler of the department: every staff role
    setup.dept.handlers.add(setup.d.admin)
    setup.super_actor = setup.d.admin
    return setup


def _run(action, demand, params, actor):
    if action == "reopen":
        return workflow.resident_act(code=demand.code, phone_tail=TAIL, action="reopen")
    return workflow.act(actor=actor, demand=demand, action=action, **params)


@pytest.mark.parametrize("state", sorted(rules.ALL_STATES))
@pytest.mark.parametrize("action", sorted(rules.ACTIONS))
def test_every_action_in_every_state(action, state, super_setup):
    setup = super_setup
    demand = demand_in(state, setup, rating="unsatisfied" if action == "reopen" else "satisfied")
    assert demand.state == state
    spec = rules.ACTIONS[action]
    if state in spec.sources:
        demand, params, actor = _prepare(action, demand, setup)
        events, version = demand.events.count(), demand.version
        after = _run(action, demand, params, actor)
        expected = rules.target_state(action, state)
        assert after.state == expected
        assert Demand.objects.get(pk=demand.pk).state == expected
        assert after.version == version + 1
        assert demand.events.count() == events + 1
        last = demand.events.order_by("-id").first()
        assert (last.action, last.from_state, last.to_state) == (action, state, expected)
    else:
        params = _params(action, demand, setup)
        if action == "answer_summons":
            params = {"summons": 0, "answer": "x"}
        if action == "decide_extension":
            params = {"extension": 0, "approve": True}
        before = (
            DemandEvent.objects.count(),
            AuditEntry.objects.count(),
            Demand.objects.get(pk=demand.pk).version,
            Demand.objects.count(),
        )
        with pytest.raises(ActionRefused) as refused:
            _run(action, demand, params, setup.super_actor)
        assert refused.value.rule == rules.RULE_STATE
        assert "action" in refused.value.message_dict
        fresh = Demand.objects.get(pk=demand.pk)
        assert fresh.state == state
        after = (
            DemandEvent.objects.count(),
            AuditEntry.objects.count(),
            fresh.version,
            Demand.objects.count(),
        )
        assert after == before
