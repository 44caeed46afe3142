"""The members seeder of `tongxin seed` (issue 3 item 10), at demo scale."""

import itertools
import random
from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from tongxin.accounts.models import RoleAssignment
from tongxin.core.crypto import digest
from tongxin.core.pinyin import search_key
from tongxin.members import seed as member_seed
from tongxin.members.models import (
    CareCase,
    CareVisit,
    DuesBase,
    DuesRecord,
    FloatingRecord,
    Member,
    Transfer,
)
from tongxin.members.rules import dues as dues_rules
from tongxin.members.rules import lapse as lapse_rules
from tongxin.members.rules import transfers as transfer_rules
from tongxin.members.rules.registry import add_years, age_on, id_error, member_errors
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import Org
from tongxin.orgs.seed import REFERENCE_DATE

pytestmark = pytest.mark.django_db

LEDGER = [dues_rules.add_months(date(2025, 11, 1), i) for i in range(12)]  # Nov 2025–Oct 2026


@pytest.fixture
def demo():
    out = StringIO()
    with override_settings(DEBUG=True):
        call_command("seed", "--scale", "demo", "--seed", "1", stdout=out)
    return out.getvalue()


def showcase_branch():
    return RoleAssignment.objects.get(user__username="branch_secretary").org


def test_ledger_window_is_the_twelve_months_before_the_reference_date():
    assert member_seed.MONTHS == LEDGER
    assert REFERENCE_DATE == date(2026, 11, 1)


def test_demo_has_a_few_hundred_members_in_every_branch(demo):
    assert "Members (demo)" in demo
    total = Member.objects.count()
    assert 200 <= total <= 600
    branches = Org.objects.filter(type__in=org_rules.BRANCH_TYPES)
    with_members = set(Member.objects.values_list("org_id", flat=True))
    assert with_members <= set(branches.values_list("id", flat=True))  # only branches
    assert set(branches.values_list("id", flat=True)) <= with_members  # every branch
    showcase = Member.objects.filter(org=showcase_branch())
    assert 22 <= showcase.count() <= 28
    names = set(showcase.values_list("name", flat=True))
    assert {"王晓东", "郑志强"} <= names
    secretary = showcase.get(name="郑志强")
    assert secretary.post == "书记" and secretary.user.username == "branch_secretary"
    # party groups belong to the member's own branch
    for member in Member.objects.filter(party_group__isnull=False).select_related("party_group"):
        assert member.party_group.parent_id == member.org_id
    assert DuesBase.objects.values("member").distinct().count() == total


def test_every_member_passes_the_registry_rules(demo):
    seen = set()
    for m in Member.objects.all():
        errors = member_errors(
            id_number=m.id_number,
            birth_date=m.birth_date,
            category=m.category,
            applied_on=m.applied_on,
            admitted_on=m.admitted_on,
            full_on=m.full_on,
            today=REFERENCE_DATE,
        )
        assert errors == {}, (m.name, errors)
        assert id_error(m.id_number, m.birth_date) is None
        assert m.id_number[:6] in member_seed.REGIONS
        assert int(m.id_number[16]) % 2 == (1 if m.gender == "male" else 0)
        assert date(1935, 1, 1) <= m.birth_date <= date(2004, 12, 31)
        assert m.id_digest == digest(m.id_number) and m.id_tail == m.id_number[-4:]
        assert m.phone_tail == m.phone[-4:] and len(m.phone) == 11
        assert m.address.startswith("福建省福州市鼓楼区")
        assert m.search_key == search_key(m.name)
        seen.add(m.id_number)
        if m.category == "probationary":
            assert (REFERENCE_DATE - m.admitted_on).days <= 366
    assert len(seen) == Member.objects.count()  # unique
    stored = Member.objects.order_by("id").values_list("id_number", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM members_member ORDER BY id LIMIT 1")
        raw_id, raw_phone = cursor.fetchone()
    assert raw_id != stored and raw_id.startswith(("a1:", "s1:"))  # encrypted at rest
    assert raw_phone.startswith(("a1:", "s1:"))
    mix = Counter(Member.objects.values_list("ethnicity", flat=True))
    assert mix["汉族"] > 0.85 * sum(mix.values()) and len(mix) >= 2
    assert Member.objects.filter(gender="female").exists()
    probationary = Member.objects.filter(category="probationary").count()
    assert 0 < probationary < 0.15 * Member.objects.count()


def test_dues_follow_the_rules_and_the_occupation(demo):
    for m in Member.objects.all():
        if m.occupation == "retired":
            assert m.dues_category in ("retired", "relief")
        if m.occupation == "student":
            assert m.dues_category == "student"
        if m.dues_category in ("student", "unemployed", "relief", "farmer"):
            assert m.dues_base == 0
        newest = m.dues_bases.order_by("-from_month").first()
        assert (newest.category, newest.base) == (m.dues_category, m.dues_base)
    for record in DuesRecord.objects.select_related("member"):
        quote = dues_rules.dues_for(record.category, record.base)
        assert (record.amount_due, record.rate, record.rule) == (
            quote.amount,
            quote.rate,
            quote.rule,
        )
        assert record.month in LEDGER
        assert record.month >= record.member.admitted_on.replace(day=1)
        if record.paid_on:
            assert record.amount_paid == record.amount_due
            assert record.paid_on.replace(day=1) == record.month and record.method
        else:
            assert record.amount_paid is None and not record.method
        base = record.member.dues_bases.filter(from_month__lte=record.month).first()
        assert (base.category, base.base) == (record.category, record.base)


def test_the_party_member_account_has_a_full_paid_ledger(demo):
    member = Member.objects.get(user__username="party_member")
    assert member.name == "王晓东" and member.org == showcase_branch()
    assert member.category == "full" and member.status == "normal"
    ledger = list(member.dues.order_by("month"))
    assert [r.month for r in ledger] == LEDGER
    assert all(r.paid_on and r.amount_paid == r.amount_due for r in ledger)
    assert all(r.org_id == member.org_id for r in ledger)


def test_lapse_lost_contact_abroad_cases(demo):
    today = date(2026, 11, 15)  # any day of the month after the ledger
    unpaid: dict[int, list[date]] = {}
    for member_id, month in DuesRecord.objects.filter(paid_on__isnull=True).values_list(
        "member_id", "month"
    ):
        unpaid.setdefault(member_id, []).append(month)
    lapsed = {m for m, months in unpaid.items() if lapse_rules.dues_lapse(months, today=today)}
    assert lapsed
    assert Member.objects.filter(org=showcase_branch(), id__in=lapsed).exists()
    # scattered unpaid months that are no lapse
    assert any(
        m not in lapsed and len(months) <= 3 for m, months in unpaid.items()
    )  # fmt: skip
    kinds = Counter(
        lapse_rules.lost_contact_kind(since, today=REFERENCE_DATE)
        for since in Member.objects.exclude(lost_contact_since=None).values_list(
            "lost_contact_since", flat=True
        )
    )
    assert kinds[lapse_rules.LOST_6M] and kinds[lapse_rules.LOST_2Y]
    assert Member.objects.filter(is_abroad=True).exists()
    abroad_paid = DuesRecord.objects.filter(member__is_abroad=True, paid_on__isnull=False)
    assert all(r.paid_by_proxy and r.proxy_consent and r.proxy_name for r in abroad_paid)


def test_transfers_in_every_state_with_their_timeline(demo):
    transfers = Transfer.objects.prefetch_related("events").select_related("member")
    states = Counter(t.state for t in transfers)
    assert set(states) == set(transfer_rules.STATES)
    assert {t.kind for t in transfers} == {"within", "outward", "inward"}
    for t in transfers:
        events = list(t.events.order_by("at", "id"))
        assert events and events[0].kind == "request" and events[0].to_state == "requested"
        assert events[-1].to_state == t.state
        state = "requested"
        for event in events[1:]:  # every step is allowed by the state machine
            assert event.from_state == state
            assert transfer_rules.next_state(state, event.kind) == event.to_state
            state = event.to_state
        assert all(a.at <= b.at for a, b in itertools.pairwise(events))
        if t.kind == "within":
            assert t.to_org.type in org_rules.BRANCH_TYPES and t.to_org_id != t.from_org_id
        if t.kind == "outward":
            assert t.outside_org_name and t.to_org_id is None
        if t.letter_issued_on:
            assert t.expires_on == transfer_rules.letter_expires_on(
                t.letter_issued_on, t.valid_days
            )
        if t.state == "expired":
            assert transfer_rules.is_expired(t.expires_on, t.closed_on)
        if t.state == "received" and t.kind == "within":
            assert t.member.org_id == t.to_org_id
        if t.state == "received" and t.kind == "outward":
            assert t.member.status == "transferred_out"
            assert not t.member.dues.filter(month__gt=t.dues_paid_to).exists()
    # one letter still valid on the reference date but expiring within a week
    assert Transfer.objects.filter(
        state="approved", expires_on__gte=REFERENCE_DATE, expires_on__lte=date(2026, 11, 8)
    ).exists()


def test_floating_care_birthdays_and_veterans(demo):
    floating = FloatingRecord.objects.all()
    assert floating.filter(host_org__isnull=False).exists()
    assert floating.filter(host_org__isnull=True).exists()
    for record in floating.filter(host_org__isnull=False):
        assert record.host_org.type in org_rules.BRANCH_TYPES
        assert record.host_org_id != record.member.org_id
    assert CareCase.objects.exists() and CareVisit.objects.filter(case__isnull=False).exists()
    assert CareCase.objects.exclude(details="").exists()
    showcase = Member.objects.filter(org=showcase_branch())
    assert showcase.filter(admitted_on__month=REFERENCE_DATE.month).exists()  # 政治生日
    veterans = [
        m
        for m in Member.objects.all()
        if age_on(m.birth_date, REFERENCE_DATE) >= 80
        and add_years(m.admitted_on, 50) <= REFERENCE_DATE
    ]
    assert veterans and any(m.org_id == showcase_branch().id for m in veterans)


def _snapshot():
    # Members admitted through the admission seeder's files are not the members seeder's.
    members = list(
        Member.objects.filter(admission_file__isnull=True)
        .order_by("id")
        .values_list(
            "name", "gender", "birth_date", "id_digest", "admitted_on", "org_id", "dues_base"
        )
    )
    dues = list(
        DuesRecord.objects.filter(member__admission_file__isnull=True)
        .order_by("id")
        .values_list("member__id_digest", "month", "amount_due", "paid_on")
    )
    return members, dues


def _wipe_members():
    Transfer.objects.all().delete()
    DuesRecord.objects.all().delete()
    Member.objects.all().delete()


def test_same_seed_same_members(demo):
    first = _snapshot()
    showcase = {"branch": showcase_branch()}

    def again(seed):
        _wipe_members()
        member_seed.seed(
            scale="demo",
            rng=random.Random(f"{seed}:members"),
            out=StringIO(),
            context={"orgs": {"showcase": showcase}},
        )
        return _snapshot()

    same = again(1)
    assert same[0] == first[0] and same[1] == first[1]
    other = again(2)
    assert [m[3] for m in other[0]] != [m[3] for m in first[0]]
