"""Rows the rating measures, written directly (their own services have their own tests)."""

import itertools
from datetime import date, datetime, time
from decimal import Decimal

from django.utils import timezone

from tests.member_factories import id_number, make_member
from tongxin.core.crypto import digest
from tongxin.core.pinyin import search_key
from tongxin.development.models import Applicant
from tongxin.meetings.models import ComplianceSnapshot
from tongxin.members.models import DuesRecord

_seq = itertools.count(1)


def snapshot(org, period: str, *, due=0, met=0, should=0, attended=0, leave=0):
    return ComplianceSnapshot.objects.create(
        org=org,
        period=period,
        unit="year" if len(period) == 4 else "month",
        status="open",
        due=due,
        met=met,
        held=met,
        approved=met,
        should_attend=should,
        attended=attended,
        on_leave=leave,
        computed_at=timezone.now(),
    )


def dues(member, month: date, *, paid_on=None, amount="10.00"):
    return DuesRecord.objects.create(
        member=member,
        org=member.org,
        month=month,
        category="salaried",
        base=Decimal("4000.00"),
        rate=Decimal("0.0100"),
        rule="salaried_3000_5000",
        amount_due=Decimal(amount),
        amount_paid=Decimal(amount) if paid_on else None,
        paid_on=paid_on,
    )


def applicant(org, *, applied_on=date(2024, 5, 1), **fields):
    n = next(_seq)
    birth = date(1996, 5, 5)
    number = id_number(birth, 700 + n)
    name = f"申请人{n}"
    return Applicant.objects.create(
        name=name,
        gender="male",
        birth_date=birth,
        id_number=number,
        id_digest=digest(number),
        id_tail=number[-4:],
        phone="13905910000",
        phone_tail="0000",
        education="bachelor",
        occupation="enterprise_staff",
        org=org,
        search_key=search_key(name),
        last_step=1,
        phase=1,
        applied_on=applied_on,
        **fields,
    )


def local(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def demand(community, street, category, *, closed_on, due_on, answered_on=None):
    from tongxin.demands.models import Demand

    n = next(_seq)
    return Demand.objects.create(
        code=f"RT{n:08d}",
        channel="hotline",
        category=category,
        description="路灯不亮",
        street=street,
        community=community,
        state="closed",
        closed_at=local(closed_on),
        answered_at=local(answered_on) if answered_on else None,
        due_at=None if due_on is None else local(due_on, 12),
    )


__all__ = ["applicant", "demand", "dues", "local", "make_member", "snapshot"]
