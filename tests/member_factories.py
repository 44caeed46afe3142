"""Member factories: real rows written directly (the registry service has its own tests).

`make_member(org)` gives a valid full member with a unique, check-digit-correct ID number.
"""

import itertools
from datetime import date
from decimal import Decimal

from tongxin.core.codes import id_check_char
from tongxin.core.crypto import digest
from tongxin.core.pinyin import search_key
from tongxin.members.models import Member

_seq = itertools.count(1)


def id_number(birth: date, n: int, *, female: bool = False) -> str:
    """An 18-character ID number for Gulou district, Fuzhou (350102) with a valid check digit."""
    order = (n % 499) * 2 + (0 if female else 1)
    body = f"350102{birth:%Y%m%d}{order:03d}"
    return body + id_check_char(body)


def make_member(org, **fields) -> Member:
    n = next(_seq)
    birth = fields.pop("birth_date", date(1980 + n % 20, 1 + n % 12, 1 + n % 28))
    gender = fields.pop("gender", "male" if n % 2 else "female")
    number = fields.pop("id_number", None) or id_number(
        birth, n + 1000 * (n // 499), female=gender == "female"
    )
    phone = fields.pop("phone", f"139{n:08d}")
    name = fields.pop("name", f"党员{n}")
    member = Member(
        name=name,
        gender=gender,
        birth_date=birth,
        id_number=number,
        id_digest=digest(number),
        id_tail=number[-4:],
        phone=phone,
        phone_tail=phone[-4:],
        education=fields.pop("education", "bachelor"),
        occupation=fields.pop("occupation", "enterprise_staff"),
        org=org,
        category=fields.pop("category", "full"),
        admitted_on=fields.pop("admitted_on", date(2010, 7, 1)),
        dues_category=fields.pop("dues_category", "salaried"),
        dues_base=Decimal(fields.pop("dues_base", "4000.00")),
        search_key=search_key(name),
        **fields,
    )
    member.save()
    return member


# --- transfers and floating members (helper C) ----------------------------------------------


def make_transfer(member, *, to_org=None, **fields):
    """A transfer row in any state (written directly; services have their own tests)."""
    from tongxin.members.models import Transfer

    kind = fields.pop("kind", "within" if to_org is not None else "outward")
    return Transfer.objects.create(
        member=member,
        kind=kind,
        from_org=fields.pop("from_org", member.org),
        to_org=to_org,
        outside_org_name=fields.pop("outside_org_name", "" if to_org else "厦门市某党支部"),
        reason=fields.pop("reason", "工作调动"),
        **fields,
    )


def make_floating(member, **fields):
    from tongxin.members.models import FloatingRecord

    return FloatingRecord.objects.create(
        member=member,
        destination=fields.pop("destination", "厦门市思明区"),
        left_on=fields.pop("left_on", date(2026, 1, 5)),
        **fields,
    )
