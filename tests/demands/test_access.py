"""Who sees and who may act, per role (demands/access.py), and the confidential caller."""

import pytest
from django.core.exceptions import PermissionDenied

from tests.demands.factories import PHONE, demand_in, make_department, make_handler, submit
from tests.factories import make_user
from tongxin.core.models import AuditEntry
from tongxin.demands import access, rules
from tongxin.demands.models import Demand, DemandEvent
from tongxin.demands.services import reveal_contact, workflow


def act(actor, demand, action, **kw):
    return workflow.act(actor=actor, demand=demand, action=action, **kw)


def visible(user):
    return set(Demand.objects.visible_to(user).values_list("pk", flat=True))


def test_scope_per_role(setup):
    d = setup.d
    a1 = demand_in(rules.DISPATCHED, setup)  # comm_a1, dispatched to setup.dept
    a2 = submit(d, category=setup.category, community=d.comm_a2)
    b1 = submit(d, category=setup.category, community=d.comm_b1)
    grid_worker = make_user("gw", role="grid_worker", org=d.comm_a1)
    street_b = make_user("sb", role="street_admin", org=d.street_b)
    assert visible(d.admin) >= {a1.pk, a2.pk, b1.pk}
    assert visible(d.street_admin) == {a1.pk, a2.pk}
    assert visible(d.community_admin) == {a1.pk}
    assert visible(grid_worker) == {a1.pk}
    assert visible(street_b) == {b1.pk}
    assert visible(d.other_community) == {b1.pk}
    assert visible(setup.handler) == {a1.pk}  # only its department's demands
    assert visible(setup.other_handler) == set()
    assert visible(d.secretary) == set()
    from django.contrib.auth.models import AnonymousUser

    assert visible(AnonymousUser()) == set()


def test_roles_for(setup):
    d = setup.d
    demand = demand_in(rules.DISPATCHED, setup)
    assert access.roles_for(d.community_admin, demand) == {rules.DISPATCHER}
    assert access.roles_for(d.street_admin, demand) == {
        rules.DISPATCHER,
        rules.STREET,
        rules.SUPERVISOR,
    }
    assert access.roles_for(d.admin, demand) == {rules.DISPATCHER, rules.STREET, rules.SUPERVISOR}
    assert access.roles_for(setup.handler, demand) == {rules.DEPARTMENT}
    assert access.roles_for(setup.other_handler, demand) == set()
    assert access.roles_for(d.other_community, demand) == set()
    assert access.roles_for(d.secretary, demand) == set()
    grid_worker = make_user("gw", role="grid_worker", org=d.comm_a1)
    assert access.roles_for(grid_worker, demand) == set()
    # the community handling its own demand is its department
    own = demand_in(rules.ACCEPTED, setup)
    own = act(d.community_admin, own, "dispatch", department=None)
    assert access.roles_for(d.community_admin, own) == {rules.DISPATCHER, rules.DEPARTMENT}


@pytest.mark.parametrize("action", ["claim", "return", "answer", "progress"])
def test_other_department_may_not_act(setup, action):
    demand = demand_in(rules.DISPATCHED, setup)
    if action != "claim":
        demand = act(setup.handler, demand, "claim")
    before = (DemandEvent.objects.count(), Demand.objects.get(pk=demand.pk).version)
    with pytest.raises(PermissionDenied):
        act(setup.other_handler, demand, action, reason="x", answer="x", note="x")
    assert (DemandEvent.objects.count(), Demand.objects.get(pk=demand.pk).version) == before


def test_department_may_not_do_the_dispatchers_work(setup):
    d = setup.d
    pending = submit(d, category=setup.category)
    with pytest.raises(PermissionDenied):
        act(setup.handler, pending, "accept")
    answered = demand_in(rules.ANSWERED, setup)
    with pytest.raises(PermissionDenied):
        act(setup.handler, answered, "close")
    handling = demand_in(rules.HANDLING, setup)
    with pytest.raises(PermissionDenied):
        act(setup.handler, handling, "escalate", reason="x")
    # and a dispatcher does not claim or answer for the department
    dispatched = demand_in(rules.DISPATCHED, setup)
    with pytest.raises(PermissionDenied):
        act(d.community_admin, dispatched, "claim")
    with pytest.raises(PermissionDenied):
        act(d.community_admin, handling, "answer", answer="x")


@pytest.mark.parametrize("who", ["other_community", "secretary", "grid_worker", "street_b"])
def test_outsiders_may_not_accept(setup, who):
    d = setup.d
    users = {
        "other_community": d.other_community,
        "secretary": d.secretary,
        "grid_worker": make_user("gw2", role="grid_worker", org=d.comm_a1),
        "street_b": make_user("sb2", role="street_admin", org=d.street_b),
    }
    demand = submit(d, category=setup.category)
    with pytest.raises(PermissionDenied):
        act(users[who], demand, "accept")
    assert Demand.objects.get(pk=demand.pk).state == rules.PENDING


def test_anonymous_may_not_act(setup):
    from django.contrib.auth.models import AnonymousUser

    demand = submit(setup.d, category=setup.category)
    with pytest.raises(PermissionDenied):
        act(AnonymousUser(), demand, "accept")
    with pytest.raises(PermissionDenied):
        act(None, demand, "accept")


def test_street_department_handler_sees_only_its_department(setup):
    d = setup.d
    street_dept = make_department(d.street_a, name="街道城管科")
    worker = make_handler(street_dept)
    mine = demand_in(rules.ACCEPTED, setup)
    mine = act(d.community_admin, mine, "dispatch", department=street_dept)
    demand_in(rules.DISPATCHED, setup)  # to setup.dept
    assert visible(worker) == {mine.pk}


# ------------------------------------------------------------------ confidential callers


def test_confidential_caller_shown_only_to_who_entered_and_accepted(setup):
    """DOMAIN.md §9.3: the caller's name and phone are shown (masked, unmask audited) only to
    the staff who entered the demand and the dispatcher who accepted it; the department,
    other administrators, the street and the district see "confidential"."""
    d = setup.d
    hotline = make_user("hotline", role="community_admin", org=d.comm_a1)
    demand = submit(
        d,
        category=setup.category,
        channel="hotline",
        actor=hotline,
        confidential=True,
        contact_name="李四",
    )
    demand = act(d.street_admin, demand, "accept")
    demand = act(d.community_admin, demand, "dispatch", department=setup.dept)
    for user in (hotline, d.street_admin):
        assert access.may_see_contact(user, demand)
        assert access.contact_of(user, demand) == {
            "name": "李*",
            "phone": "138****5678",
            "hidden": False,
        }
        assert reveal_contact(actor=user, demand=demand) == {"name": "李四", "phone": PHONE}
    for user in (setup.handler, d.community_admin, d.admin, setup.other_handler):
        assert not access.may_see_contact(user, demand)
        shown = access.contact_of(user, demand)
        assert shown["hidden"] and "5678" not in shown["phone"] and "李" not in shown["name"]
        with pytest.raises(PermissionDenied):
            reveal_contact(actor=user, demand=demand)
    assert AuditEntry.objects.filter(action="demand.reveal_contact", result="ok").count() == 2
    assert AuditEntry.objects.filter(action="demand.reveal_contact", result="denied").count() == 4


def test_ordinary_caller_shown_masked_to_everyone_in_scope(setup):
    d = setup.d
    demand = demand_in(rules.HANDLING, setup)
    assert access.contact_of(setup.handler, demand)["phone"] == "138****5678"
    assert access.may_see_contact(d.admin, demand)
    assert not access.may_see_contact(setup.other_handler, demand)
    assert not access.may_see_contact(d.other_community, demand)
