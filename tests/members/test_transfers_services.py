"""Transfers through the services (§4.4): the state machine exhaustively, sides, the letter,
dues settled to the letter month, receipt, expiry — every step on the timeline and audited."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from tests.factories import make_user
from tests.member_factories import make_member, make_transfer
from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.core.models import AuditEntry
from tongxin.members.models import (
    MEMBER_KEEPERS,
    DuesRecord,
    Member,
    StatusChange,
    Transfer,
    TransferEvent,
)
from tongxin.members.rules import transfers as rules
from tongxin.members.services import transfers as services

TODAY = date(2026, 6, 10)


@pytest.fixture
def w(district):
    d = district
    d.member_user = make_user("lin", role="party_member", org=d.branch_a1)
    d.member = make_member(d.branch_a1, name="林觉民", user=d.member_user)
    d.outsider = make_user("comm_a2", role="community_admin", org=d.comm_a2)
    return d


def written():
    return (TransferEvent.objects.count(), AuditEntry.objects.count(), StatusChange.objects.count())


def transfer_in(w, state, **fields):
    defaults = {}
    if state in ("approved", "returned", "received", "expired"):
        defaults = dict(
            letter_no="榕组转〔2026〕1号",
            letter_issued_on=TODAY - timedelta(days=5),
            expires_on=TODAY + timedelta(days=30),
            dues_paid_to=date(2026, 5, 1),
        )
    defaults.update(fields)
    return make_transfer(w.member, to_org=w.branch_b1, state=state, **defaults)


def run(action, actor, transfer, today=TODAY):
    data = {
        "letter_no": "榕组转〔2026〕9号",
        "dues_paid_to": date(2026, 5, 1),
        "reason": "材料不全",
    }
    return services.perform(actor=actor, transfer=transfer, action=action, data=data, today=today)


# --- the table, exhaustively ----------------------------------------------------------------


@pytest.mark.parametrize("state", rules.STATES)
@pytest.mark.parametrize("action", rules.USER_ACTIONS)
def test_every_state_and_user_action(w, state, action):
    t = transfer_in(w, state)
    before = written()
    expected = rules.next_state(state, action)
    if expected is None:
        with pytest.raises(ValidationError) as exc:
            run(action, w.admin, t)  # the district holds both sides: only the table refuses
        assert "state" in exc.value.message_dict
        t.refresh_from_db()
        assert t.state == state
        assert written() == before
        return
    run(action, w.admin, t)
    t.refresh_from_db()
    assert t.state == expected
    event = TransferEvent.objects.filter(transfer=t).latest("id")
    assert (event.from_state, event.to_state) == (state, expected)
    assert event.actor == w.admin
    assert AuditEntry.objects.count() > before[1]
    assert (t.closed_on == TODAY) == (expected in rules.TERMINAL)


@pytest.mark.parametrize("state", rules.STATES)
def test_expiry_only_from_approved(w, state):
    t = transfer_in(w, state, expires_on=TODAY - timedelta(days=1))
    before = written()
    count = services.expire_letters(today=TODAY)
    t.refresh_from_db()
    if state == "approved":
        assert count == 1 and t.state == "expired" and t.closed_on == TODAY
        event = t.events.get()
        assert (event.kind, event.from_state, event.to_state, event.actor) == (
            "expire",
            "approved",
            "expired",
            None,
        )
        assert AuditEntry.objects.filter(action="transfer_expire", object_id=str(t.pk)).exists()
    else:
        assert count == 0 and t.state == state and written() == before


def test_expire_letters_boundaries(w):
    t = transfer_in(w, "approved", expires_on=date(2026, 3, 31))
    assert services.expire_letters(today=date(2026, 3, 31)) == 0  # valid through that day
    t.refresh_from_db()
    assert t.state == "approved"
    assert services.expire_letters(today=date(2026, 4, 1)) == 1  # the day after
    assert services.expire_letters(today=date(2026, 4, 2)) == 0  # nothing left to do


# --- sides ----------------------------------------------------------------------------------

SIDE_CASES = [
    # (state, action, actor attribute, allowed)
    ("requested", "approve", "secretary", True),
    ("requested", "approve", "member_user", False),
    ("requested", "approve", "other_community", False),
    ("requested", "approve", "outsider", False),
    ("requested", "reject", "community_admin", True),
    ("requested", "reject", "other_community", False),
    ("requested", "withdraw", "member_user", True),
    ("requested", "withdraw", "secretary", True),
    ("requested", "withdraw", "other_community", False),
    ("requested", "withdraw", "outsider", False),
    ("approved", "receive", "other_community", True),
    ("approved", "receive", "secretary", False),
    ("approved", "receive", "member_user", False),
    ("approved", "receive", "outsider", False),
    ("approved", "return", "other_community", True),
    ("approved", "return", "secretary", False),
    ("approved", "withdraw", "member_user", True),
    ("approved", "withdraw", "other_community", False),
    ("returned", "approve", "secretary", True),
    ("returned", "approve", "other_community", False),
    ("returned", "withdraw", "secretary", True),
    ("returned", "withdraw", "member_user", False),
]


@pytest.mark.parametrize("state,action,who,allowed", SIDE_CASES)
def test_sides(w, state, action, who, allowed):
    t = transfer_in(w, state)
    actor = getattr(w, who)
    before = written()
    assert (action in services.allowed_actions(actor, t)) == allowed
    if allowed:
        run(action, actor, t)
        t.refresh_from_db()
        assert t.state == rules.next_state(state, action)
    else:
        with pytest.raises(PermissionDenied):
            run(action, actor, t)
        t.refresh_from_db()
        assert t.state == state and written() == before


def test_outward_receipt_and_return_recorded_by_the_sending_side(w):
    t = make_transfer(
        w.member,
        state="approved",
        letter_no="X1",
        letter_issued_on=TODAY,
        expires_on=TODAY + timedelta(days=89),
    )
    assert services.allowed_actions(w.secretary, t) == ["withdraw", "return", "receive"]
    assert services.allowed_actions(w.other_community, t) == []
    services.receive_transfer(actor=w.secretary, transfer=t, today=TODAY)
    m = Member.objects.get(pk=w.member.pk)
    assert m.status == "transferred_out" and m.org == w.branch_a1
    change = m.history.get()
    assert (change.kind, change.from_value, change.to_value) == (
        "transferred_out",
        "normal",
        "transferred_out",
    )
    assert not Member.objects.in_roll().filter(pk=m.pk).exists()


# --- request --------------------------------------------------------------------------------


def test_member_requests_their_own_transfer(w):
    t = services.request_transfer(
        actor=w.member_user,
        member=w.member,
        kind="within",
        to_org=w.branch_b1,
        reason="搬家到温泉社区",
        today=TODAY,
    )
    assert (t.state, t.from_org, t.to_org, t.requested_by) == (
        "requested",
        w.branch_a1,
        w.branch_b1,
        w.member_user,
    )
    assert t.valid_days == 90
    event = t.events.get()
    assert (event.kind, event.from_state, event.to_state) == ("request", "", "requested")
    assert AuditEntry.objects.filter(action="transfer_request", object_id=str(t.pk)).exists()


@pytest.mark.parametrize("who", ["other_community", "outsider"])
def test_only_member_or_their_branch_may_request(w, who):
    with pytest.raises(PermissionDenied):
        services.request_transfer(
            actor=getattr(w, who), member=w.member, kind="within", to_org=w.branch_b1, reason="x"
        )
    assert not Transfer.objects.exists()


def request(w, **over):
    fields = dict(
        actor=w.secretary, member=w.member, kind="within", to_org=w.branch_b1, reason="工作调动"
    )
    fields.update(over)
    return services.request_transfer(**fields)


def refused(w, field, **over):
    before = written()
    with pytest.raises(ValidationError) as exc:
        request(w, **over)
    assert field in exc.value.message_dict, exc.value.message_dict
    assert not Transfer.objects.filter(state="requested").exists() or "member" == field
    assert written() == before
    return exc.value.message_dict[field][0]


def test_same_branch_refused(w):
    with translation.override("en"):
        assert "own branch" in refused(w, "to_org", to_org=w.branch_a1)


def test_request_validation(w):
    refused(w, "to_org", to_org=w.comm_b1)  # not a branch
    refused(w, "to_org", to_org=None)
    refused(w, "outside_org_name", outside_org_name="外地某支部")
    refused(w, "outside_org_name", kind="outward", to_org=None)
    refused(w, "reason", reason=" ")
    refused(w, "kind", kind="inward")
    Member.objects.filter(pk=w.member.pk).update(status="suspended")
    refused(w, "member")


def test_no_second_open_transfer(w):
    request(w)
    refused(w, "member", kind="outward", to_org=None, outside_org_name="厦门某支部")
    assert Transfer.objects.count() == 1


# --- approval: letter and dues --------------------------------------------------------------


def dues(member, month, paid):
    DuesRecord.objects.create(
        member=member,
        org=member.org,
        month=month,
        category="salaried",
        base=Decimal("4000.00"),
        rate=Decimal("0.01"),
        rule="salaried_3000_5000",
        amount_due=Decimal("40.00"),
        amount_paid=Decimal("40.00") if paid else None,
        paid_on=month + timedelta(days=3) if paid else None,
    )


def test_approve_issues_the_letter(w, settings):
    settings.TONGXIN = {**settings.TONGXIN, "TRANSFER_LETTER_DAYS": 60}
    t = request(w)
    services.approve_transfer(
        actor=w.secretary,
        transfer=t,
        letter_no=" 榕组转〔2026〕12号 ",
        dues_paid_to=date(2026, 5, 20),
        today=TODAY,
    )
    t.refresh_from_db()
    assert t.letter_no == "榕组转〔2026〕12号"
    assert (t.letter_issued_on, t.valid_days) == (TODAY, 60)
    assert t.expires_on == TODAY + timedelta(days=59)
    assert t.dues_paid_to == date(2026, 5, 1)
    event = t.events.latest("id")
    assert event.payload["dues_paid_to"] == "2026-05" and event.kind == "approve"


def test_dues_must_be_settled_to_the_letter_month(w):
    for month, paid in (
        (date(2026, 1, 1), True),
        (date(2026, 2, 1), False),
        (date(2026, 3, 1), True),
        (date(2026, 4, 1), False),
        (date(2026, 5, 1), False),  # after the letter month: the receiving side collects
    ):
        dues(w.member, month, paid)
    t = request(w)
    before = written()
    with pytest.raises(ValidationError) as exc:
        services.approve_transfer(
            actor=w.secretary,
            transfer=t,
            letter_no="L1",
            dues_paid_to=date(2026, 4, 1),
            today=TODAY,
        )
    message = exc.value.message_dict["dues_paid_to"][0]
    assert "2026-02" in message and "2026-04" in message and "2026-05" not in message
    assert "2026-01" not in message and "2026-03" not in message
    t.refresh_from_db()
    assert t.state == "requested" and written() == before
    # the month before the first unpaid one is settled
    services.approve_transfer(
        actor=w.secretary, transfer=t, letter_no="L1", dues_paid_to=date(2026, 1, 1), today=TODAY
    )
    t.refresh_from_db()
    assert t.state == "approved"


def test_approve_input_errors(w):
    t = request(w)
    with pytest.raises(ValidationError) as exc:
        services.approve_transfer(
            actor=w.secretary, transfer=t, letter_no="", dues_paid_to=None, valid_days=0
        )
    assert set(exc.value.message_dict) == {"letter_no", "dues_paid_to", "valid_days"}
    t.refresh_from_db()
    assert t.state == "requested" and not t.letter_no


def test_reasons_required_to_refuse_or_return(w):
    t = request(w)
    with pytest.raises(ValidationError) as exc:
        services.reject_transfer(actor=w.secretary, transfer=t, reason="")
    assert "reason" in exc.value.message_dict
    services.approve_transfer(
        actor=w.secretary, transfer=t, letter_no="L", dues_paid_to=TODAY, today=TODAY
    )
    with pytest.raises(ValidationError) as exc:
        services.return_transfer(actor=w.other_community, transfer=t, reason="  ")
    assert "reason" in exc.value.message_dict
    assert Transfer.objects.get(pk=t.pk).state == "approved"


# --- receipt --------------------------------------------------------------------------------


def test_receipt_moves_the_member_and_the_sending_side_sees_them_until_then(w):
    t = request(w, today=TODAY)
    services.approve_transfer(
        actor=w.secretary, transfer=t, letter_no="L7", dues_paid_to=TODAY, today=TODAY
    )

    def sees(user):
        return Member.objects.visible_to(user, MEMBER_KEEPERS).filter(pk=w.member.pk).exists()

    assert sees(w.secretary) and not sees(w.other_community)  # still the sending side's
    # both sides see the transfer itself
    for user in (w.secretary, w.other_community):
        assert Transfer.objects.visible_to(user, MEMBER_KEEPERS).filter(pk=t.pk).exists()
    assert not Transfer.objects.visible_to(w.outsider, MEMBER_KEEPERS).filter(pk=t.pk).exists()
    services.receive_transfer(actor=w.other_community, transfer=t, today=TODAY + timedelta(1))
    m = Member.objects.get(pk=w.member.pk)
    assert m.org == w.branch_b1 and m.status == "normal"
    assert sees(w.other_community) and not sees(w.secretary)
    change = m.history.get()
    assert (change.kind, change.from_value, change.to_value, change.decision) == (
        "branch_changed",
        "B-A1",
        "B-B1",
        "L7",
    )
    assert [e.kind for e in t.events.order_by("id")] == ["request", "approve", "receive"]
    assert AuditEntry.objects.filter(action="transfer_move_member").count() == 1


@pytest.mark.parametrize(
    "days_after_expiry,ok", [(-1, True), (0, True), (1, False)]
)  # day before / of / after the expiry day
def test_receipt_until_the_expiry_day(w, days_after_expiry, ok):
    t = transfer_in(w, "approved", expires_on=TODAY)
    today = TODAY + timedelta(days=days_after_expiry)
    if ok:
        services.receive_transfer(actor=w.other_community, transfer=t, today=today)
        assert Transfer.objects.get(pk=t.pk).state == "received"
    else:
        before = written()
        with pytest.raises(ValidationError) as exc:
            services.receive_transfer(actor=w.other_community, transfer=t, today=today)
        assert "expires_on" in exc.value.message_dict
        assert written() == before
        assert Member.objects.get(pk=w.member.pk).org == w.branch_a1


def test_return_then_reissue(w):
    t = request(w)
    services.approve_transfer(
        actor=w.secretary, transfer=t, letter_no="L1", dues_paid_to=TODAY, today=TODAY
    )
    services.return_transfer(actor=w.other_community, transfer=t, reason="介绍信抬头有误")
    later = TODAY + timedelta(days=10)
    services.approve_transfer(
        actor=w.secretary, transfer=t, letter_no="L2", dues_paid_to=TODAY, today=later
    )
    t.refresh_from_db()
    assert (t.state, t.letter_no, t.letter_issued_on) == ("approved", "L2", later)
    kinds = [(e.kind, e.note) for e in t.events.order_by("id")]
    assert kinds[-2:] == [("return", "介绍信抬头有误"), ("reissue", "")]


def test_record_inward(w):
    arrived = make_member(w.branch_a1, name="方声洞")
    t = services.record_inward(
        actor=w.secretary,
        member=arrived,
        outside_org_name="福建省厦门市某党支部",
        letter_no="厦组转〔2026〕3号",
        letter_issued_on=TODAY - timedelta(days=3),
        dues_paid_to=date(2026, 5, 9),
        today=TODAY,
    )
    assert (t.kind, t.state, t.to_org, t.from_org, t.dues_paid_to) == (
        "inward",
        "received",
        w.branch_a1,
        None,
        date(2026, 5, 1),
    )
    assert arrived.history.get().kind == "transferred_in"
    assert t.events.get().kind == "record_inward"
    with pytest.raises(PermissionDenied):
        services.record_inward(
            actor=w.other_community, member=arrived, outside_org_name="x", letter_no="y"
        )
    with pytest.raises(ValidationError) as exc:
        services.record_inward(actor=w.secretary, member=arrived, outside_org_name="", letter_no="")
    assert set(exc.value.message_dict) == {"outside_org_name", "letter_no"}
