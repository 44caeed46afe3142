"""run_detection on real ledger rows; dismiss/decide by keepers; scoping; audit; budgets."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils.translation import gettext

from tests.member_factories import make_member
from tongxin.core.errors import PermissionDenied, ValidationError
from tongxin.core.models import AuditEntry
from tongxin.members.models import DuesRecord, LapseFlag
from tongxin.members.rules.dues import add_months
from tongxin.members.services import lapse as service

TODAY = date(2026, 2, 10)


def ledger(member, first: date, n: int, *, paid=(), exempt=(), org=None):
    """n ledger months from `first`: unpaid unless in `paid`; `exempt` months are due 0."""
    rows = []
    for i in range(n):
        month = add_months(first, i)
        due = Decimal("0.00") if month in exempt else Decimal("20.00")
        is_paid = month in paid
        rows.append(
            DuesRecord(
                member=member,
                org=org or member.org,
                month=month,
                category="salaried",
                base=Decimal("4000.00"),
                rate=Decimal("0.0100"),
                rule="salaried_3000_5000",
                amount_due=due,
                amount_paid=due if is_paid else None,
                paid_on=add_months(month, 1) if is_paid else None,
            )
        )
    DuesRecord.objects.bulk_create(rows)


def open_flags():
    return {
        (f.member.name, f.kind): f.evidence
        for f in LapseFlag.objects.filter(state="open").select_related("member")
    }


@pytest.fixture
def people(district):
    d = district
    unpaid = make_member(d.branch_a1, name="欠费六月")
    ledger(unpaid, date(2025, 8, 1), 7)  # 2025-08 .. 2026-02 (February is current)
    broken = make_member(d.branch_a1, name="中间缴过")
    ledger(broken, date(2025, 8, 1), 7, paid={date(2025, 11, 1)})
    exempt = make_member(d.branch_a1, name="免交一月")
    ledger(exempt, date(2025, 8, 1), 7, exempt={date(2025, 10, 1)})
    five = make_member(d.branch_b1, name="欠费五月")
    ledger(five, date(2025, 9, 1), 6)  # 2025-09 .. 2026-02: five ended months
    lost = make_member(d.branch_b1, name="失联党员", lost_contact_since=date(2025, 8, 10))
    long_lost = make_member(
        d.branch_a1, name="失联两年", lost_contact_since=date(2024, 1, 5), status="suspended"
    )
    gone = make_member(d.branch_a1, name="已出党", status="lapsed")
    ledger(gone, date(2025, 1, 1), 12)
    return {
        "unpaid": unpaid,
        "broken": broken,
        "exempt": exempt,
        "five": five,
        "lost": lost,
        "long_lost": long_lost,
        "gone": gone,
    }


def test_detection_flags_with_evidence_and_is_idempotent(people, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        result = service.run_detection(today=TODAY)
    assert open_flags() == {
        ("欠费六月", "dues"): {
            "months": ["2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01"]
        },
        ("失联党员", "lost_6m"): {"since": "2025-08-10"},
        ("失联两年", "lost_2y"): {"since": "2024-01-05"},
    }
    assert result["created"] == 3 and result["closed"] == 0
    entry = AuditEntry.objects.filter(action="lapse_detection").latest("id")
    assert entry.changes["created"] == [None, 3] and entry.actor is None
    # a second run creates nothing and changes nothing
    again = service.run_detection(today=TODAY)
    assert (again["created"], again["updated"], again["closed"]) == (0, 0, 0)
    assert LapseFlag.objects.count() == 3
    assert AuditEntry.objects.filter(action="lapse_detection").count() == 2


def test_lost_contact_day_before_and_of_six_months(district):
    make_member(district.branch_a1, name="失联", lost_contact_since=date(2025, 8, 10))
    service.run_detection(today=date(2026, 2, 9))
    assert open_flags() == {}
    service.run_detection(today=date(2026, 2, 10))
    assert set(open_flags()) == {("失联", "lost_6m")}


def test_evidence_grows_and_stale_flags_close(people):
    service.run_detection(today=TODAY)
    flag = LapseFlag.objects.get(member=people["unpaid"], kind="dues")
    # a month later the run is seven months long: the same flag, with more evidence
    ledger(people["unpaid"], date(2026, 3, 1), 1)
    result = service.run_detection(today=date(2026, 3, 2))
    flag.refresh_from_db()
    assert result["updated"] >= 1 and flag.state == "open"
    assert flag.evidence["months"][-1] == "2026-02" and len(flag.evidence["months"]) == 7
    # the member pays a month in the middle (back payment): the flag closes itself
    DuesRecord.objects.filter(member=people["unpaid"], month=date(2025, 11, 1)).update(
        paid_on=date(2026, 3, 3), amount_paid=Decimal("20.00")
    )
    # contact restored
    people["lost"].lost_contact_since = None
    people["lost"].save()
    result = service.run_detection(today=date(2026, 3, 4))
    flag.refresh_from_db()
    assert result["closed"] == 2
    assert flag.state == "dismissed" and flag.resolved_by is None
    assert flag.resolution == gettext("condition no longer holds (paid or contact restored)")
    assert flag.evidence["auto_closed"] == "2026-03-04"
    # an automatically closed flag does not stop a new one when the condition returns
    DuesRecord.objects.filter(member=people["unpaid"], month=date(2025, 11, 1)).update(
        paid_on=None, amount_paid=None
    )
    service.run_detection(today=date(2026, 3, 5))
    assert LapseFlag.objects.filter(member=people["unpaid"], kind="dues", state="open").exists()


def test_member_leaving_the_roll_closes_the_flag(people):
    service.run_detection(today=TODAY)
    people["unpaid"].status = "transferred_out"
    people["unpaid"].save()
    service.run_detection(today=TODAY)
    flag = LapseFlag.objects.get(member=people["unpaid"], kind="dues")
    assert flag.state == "dismissed"
    assert flag.resolution == gettext("member no longer in good standing")


def test_lost_2y_supersedes_lost_6m(district):
    m = make_member(district.branch_a1, name="久失联", lost_contact_since=date(2024, 2, 29))
    service.run_detection(today=date(2026, 2, 27))
    assert set(open_flags()) == {("久失联", "lost_6m")}
    service.run_detection(today=date(2026, 2, 28))
    assert set(open_flags()) == {("久失联", "lost_2y")}
    assert LapseFlag.objects.get(member=m, kind="lost_6m").state == "dismissed"


def test_subtree_run_touches_only_the_subtree(people, district):
    result = service.run_detection(today=TODAY, org=district.comm_b1)
    assert result["created"] == 1
    assert set(open_flags()) == {("失联党员", "lost_6m")}
    # a run of community A1 does not close B1's flag
    service.run_detection(today=TODAY, org=district.comm_a1)
    assert set(open_flags()) == {
        ("失联党员", "lost_6m"),
        ("欠费六月", "dues"),
        ("失联两年", "lost_2y"),
    }


def test_actor_runs_are_limited_to_their_scope(people, district):
    with pytest.raises(PermissionDenied):
        service.run_detection(today=TODAY, org=district.comm_a1, actor=district.other_community)
    result = service.run_detection(today=TODAY, actor=district.other_community)
    assert result["created"] == 1
    assert set(open_flags()) == {("失联党员", "lost_6m")}
    entry = AuditEntry.objects.filter(action="lapse_detection").latest("id")
    assert entry.actor == district.other_community
    # a party member without a keeper role may not run it
    from tests.factories import make_user

    with pytest.raises(PermissionDenied):
        service.run_detection(today=TODAY, actor=make_user())


def test_dismiss_needs_a_reason_and_a_keeper_in_scope(people, district):
    service.run_detection(today=TODAY)
    flag = LapseFlag.objects.get(member=people["unpaid"], kind="dues")
    with pytest.raises(PermissionDenied):
        service.dismiss_flag(actor=district.other_community, flag=flag, reason="外单位")
    with pytest.raises(ValidationError) as exc:
        service.dismiss_flag(actor=district.secretary, flag=flag, reason="  ")
    assert "reason" in exc.value.message_dict
    flag.refresh_from_db()
    assert flag.state == "open"
    service.dismiss_flag(actor=district.secretary, flag=flag, reason="住院治疗，有正当理由")
    flag.refresh_from_db()
    assert (flag.state, flag.resolved_by) == ("dismissed", district.secretary)
    assert AuditEntry.objects.filter(action="dismiss_lapse_flag", object_id=str(flag.pk)).exists()
    with pytest.raises(ValidationError):
        service.dismiss_flag(actor=district.secretary, flag=flag, reason="again")
    # the same facts do not raise the flag again; a further missed month does
    result = service.run_detection(today=TODAY)
    assert result["suppressed"] == 1 and ("欠费六月", "dues") not in open_flags()
    ledger(people["unpaid"], date(2026, 3, 1), 1)
    service.run_detection(today=date(2026, 3, 2))
    assert ("欠费六月", "dues") in open_flags()


def test_decide_records_the_decision(people, district):
    service.run_detection(today=TODAY)
    flag = LapseFlag.objects.get(member=people["lost"], kind="lost_6m")
    with pytest.raises(PermissionDenied):
        service.decide_flag(actor=district.secretary, flag=flag, decision="x", decided_by="y")
    with pytest.raises(ValidationError) as exc:
        service.decide_flag(
            actor=district.other_community, flag=flag, decision="", decided_by="", outcome="lapsed"
        )
    assert set(exc.value.message_dict) == {"decision", "decided_by", "outcome"}
    service.decide_flag(
        actor=district.other_community,
        flag=flag,
        decision="已联系上家属，继续查找",
        decided_by="温泉社区第一党支部党员大会",
    )
    flag.refresh_from_db()
    assert flag.state == "decided"
    assert flag.resolution == "温泉社区第一党支部党员大会: 已联系上家属，继续查找"
    assert flag.evidence["outcome"] == "none"
    assert AuditEntry.objects.filter(action="decide_lapse_flag").count() == 1


def test_deciding_suspension_changes_standing_through_the_registry(people, district):
    service.run_detection(today=TODAY)
    flag = LapseFlag.objects.get(member=people["lost"], kind="lost_6m")
    service.decide_flag(
        actor=district.other_community,
        flag=flag,
        decision="经多方查找仍未取得联系，停止党籍",
        decided_by="温泉社区第一党支部党员大会；温泉社区党委批准",
        outcome="suspended",
        effective_on=date(2026, 2, 5),
        today=TODAY,
    )
    member = people["lost"]
    member.refresh_from_db()
    assert member.status == "suspended"
    change = member.history.get(kind="standing")
    assert (change.from_value, change.to_value, change.effective_on) == (
        "normal",
        "suspended",
        date(2026, 2, 5),
    )
    assert change.decided_by.startswith("温泉社区第一党支部党员大会")
    # the next scan leaves the decided flag alone and raises nothing new for six months
    result = service.run_detection(today=TODAY)
    assert result["created"] == 0
    assert not LapseFlag.objects.filter(member=member, state="open").exists()
    # two years after contact was lost, the removal step is flagged for the suspended member
    service.run_detection(today=date(2027, 8, 10))
    assert LapseFlag.objects.get(member=member, state="open").kind == "lost_2y"


def test_deciding_lapse_on_dues_and_a_refused_change(people, district):
    service.run_detection(today=TODAY)
    flag = LapseFlag.objects.get(member=people["unpaid"], kind="dues")
    with pytest.raises(ValidationError) as exc:
        service.decide_flag(
            actor=district.secretary,
            flag=flag,
            decision="按自行脱党处理",
            decided_by="支部大会",
            outcome="suspended",  # not what six months of unpaid dues lead to
            today=TODAY,
        )
    assert "outcome" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        service.decide_flag(
            actor=district.secretary,
            flag=flag,
            decision="按自行脱党处理",
            decided_by="支部大会",
            outcome="lapsed",
            effective_on=date(2026, 3, 1),
            today=TODAY,
        )
    assert "effective_on" in exc.value.message_dict
    people["unpaid"].refresh_from_db()
    assert people["unpaid"].status == "normal"
    service.decide_flag(
        actor=district.secretary,
        flag=flag,
        decision="按自行脱党处理",
        decided_by="支部大会决定，社区党委批准",
        outcome="lapsed",
        today=TODAY,
    )
    people["unpaid"].refresh_from_db()
    assert people["unpaid"].status == "lapsed"
    flag.refresh_from_db()
    assert flag.state == "decided" and flag.evidence["outcome"] == "lapsed"


def test_query_count_does_not_grow_with_members(district, django_assert_max_num_queries):
    for i in range(40):
        m = make_member(district.branch_a1 if i % 2 else district.branch_b1, name=f"批量{i}")
        ledger(m, date(2025, 1, 1), 13, paid={date(2025, 3, 1)} if i % 3 == 0 else ())
        if i % 5 == 0:
            m.lost_contact_since = date(2025, 1, 1)
            m.save()
    with django_assert_max_num_queries(10):
        first = service.run_detection(today=TODAY)
    assert first["created"] == 40 + 8
    for m in LapseFlag.objects.filter(kind="dues").values_list("member_id", flat=True)[:20]:
        paid = [date(2025, 6, 1), date(2025, 10, 1)]  # no six unpaid months in a row any more
        DuesRecord.objects.filter(member_id=m, month__in=paid).update(
            paid_on=TODAY, amount_paid=Decimal("20.00")
        )
    with django_assert_max_num_queries(10):
        second = service.run_detection(today=TODAY)
    assert second["closed"] == 20 and second["created"] == 0
