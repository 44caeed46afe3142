"""Transfers (组织关系转接) and floating members (流动党员) as tables and pure functions.

DOMAIN.md §4.4–4.5; 《中国共产党党员教育管理工作条例》(2019, 组织关系管理与流动党员管理 parts).
A member transfers when their unit or usual residence changes, or when away six months or
more at a fixed place. The sending organisation stays responsible until the receiving one
confirms. The letter (介绍信) has a validity; dues are settled up to a month written on it.

The state machine is the table `TRANSITIONS`: (state, action) → (next state, sides that may
act). Any pair not in the table is refused. No ORM, no I/O.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

# --- states, actions, sides -----------------------------------------------------------------

REQUESTED = "requested"  # 申请
APPROVED = "approved"  # 转出方审批, letter issued
RECEIVED = "received"  # 转入方接收
RETURNED = "returned"  # 退回 by the receiving side, with a reason
WITHDRAWN = "withdrawn"  # 撤回
EXPIRED = "expired"  # 过期: letter validity passed
REJECTED = "rejected"  # refused by the sending side, with a reason

STATES = (REQUESTED, APPROVED, RECEIVED, RETURNED, WITHDRAWN, EXPIRED, REJECTED)
TERMINAL = frozenset({RECEIVED, REJECTED, WITHDRAWN, EXPIRED})
OPEN = frozenset(STATES) - TERMINAL

APPROVE, REJECT, WITHDRAW, RETURN, RECEIVE, EXPIRE = (
    "approve",
    "reject",
    "withdraw",
    "return",
    "receive",
    "expire",
)
ACTIONS = (APPROVE, REJECT, WITHDRAW, RETURN, RECEIVE, EXPIRE)
# actions a person takes through a page or the API (EXPIRE is the daily task's)
USER_ACTIONS = (APPROVE, REJECT, WITHDRAW, RETURN, RECEIVE)

MEMBER, SENDING, RECEIVING, SYSTEM = "member", "sending", "receiving", "system"

WITHIN, OUTWARD, INWARD = "within", "outward", "inward"

# (state, action) → (next state, sides allowed to act)
TRANSITIONS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    (REQUESTED, APPROVE): (APPROVED, frozenset({SENDING})),
    (REQUESTED, REJECT): (REJECTED, frozenset({SENDING})),
    (REQUESTED, WITHDRAW): (WITHDRAWN, frozenset({MEMBER, SENDING})),
    (APPROVED, RECEIVE): (RECEIVED, frozenset({RECEIVING})),
    (APPROVED, RETURN): (RETURNED, frozenset({RECEIVING})),
    (APPROVED, WITHDRAW): (WITHDRAWN, frozenset({MEMBER, SENDING})),
    (APPROVED, EXPIRE): (EXPIRED, frozenset({SYSTEM})),
    # a returned letter: the sending side re-issues it (approve again) or closes the transfer
    (RETURNED, APPROVE): (APPROVED, frozenset({SENDING})),
    (RETURNED, WITHDRAW): (WITHDRAWN, frozenset({SENDING})),
}

# Actions that need a reason written on the timeline.
NEEDS_REASON = frozenset({REJECT, RETURN})

ACTION_LABELS = {
    APPROVE: _("Approve and issue the letter"),
    REJECT: _("Refuse"),
    WITHDRAW: _("Withdraw"),
    RETURN: _("Return the letter"),
    RECEIVE: _("Confirm receipt"),
    EXPIRE: _("Letter expired"),
}


def next_state(state: str, action: str) -> str | None:
    """The state after `action`, or None when the table does not allow it."""
    row = TRANSITIONS.get((state, action))
    return row[0] if row else None


def acting_sides(kind: str, action: str, sides: Iterable[str]) -> frozenset[str]:
    """The sides an actor holds for `action` on a transfer of `kind`.

    For a transfer to an organisation outside the district the receiving side is not on the
    platform: the sending side records its answer (the returned receipt stub 回执, or the
    letter sent back), so for OUTWARD transfers a sending keeper also acts as RECEIVING.
    """
    held = set(sides)
    if kind == OUTWARD and SENDING in held and action in (RECEIVE, RETURN):
        held.add(RECEIVING)
    return frozenset(held)


def may_act(state: str, action: str, kind: str, sides: Iterable[str]) -> bool:
    row = TRANSITIONS.get((state, action))
    return bool(row) and bool(row[1] & acting_sides(kind, action, sides))


def allowed_actions(state: str, kind: str, sides: Iterable[str]) -> list[str]:
    """User actions the holder of `sides` may take now, in table order."""
    return [a for a in USER_ACTIONS if may_act(state, a, kind, sides)]


def transition_error(state: str, action: str) -> str | None:
    if (state, action) in TRANSITIONS:
        return None
    return str(
        _("a transfer in state “%(state)s” cannot be %(action)s")
        % {"state": STATE_LABELS.get(state, state), "action": PAST.get(action, action)}
    )


STATE_LABELS = {
    REQUESTED: _("Requested"),
    APPROVED: _("Approved by the sending side"),
    RECEIVED: _("Received"),
    RETURNED: _("Returned"),
    WITHDRAWN: _("Withdrawn"),
    EXPIRED: _("Letter expired"),
    REJECTED: _("Refused by the sending side"),
}
PAST = {
    APPROVE: _("approved"),
    REJECT: _("refused"),
    WITHDRAW: _("withdrawn"),
    RETURN: _("returned"),
    RECEIVE: _("received"),
    EXPIRE: _("expired"),
}

# --- the letter -----------------------------------------------------------------------------

MIN_VALID_DAYS, MAX_VALID_DAYS = 1, 365


def letter_expires_on(issued_on: date, valid_days: int) -> date:
    """Last day on which a letter issued on `issued_on` is valid.

    The issue day counts as the first day: a letter valid for 90 days issued on 1 January
    2026 is valid through 31 March 2026 (`issued_on + valid_days - 1`) and expired on
    1 April. Validity is configurable (settings.TONGXIN["TRANSFER_LETTER_DAYS"], §4.4).
    """
    if valid_days < MIN_VALID_DAYS:
        raise ValueError("valid_days must be at least 1")
    return issued_on + timedelta(days=valid_days - 1)


def is_expired(expires_on: date | None, today: date) -> bool:
    """Valid through the expiry day itself; expired from the day after."""
    return expires_on is not None and today > expires_on


def valid_days_error(valid_days: int) -> str | None:
    if not MIN_VALID_DAYS <= valid_days <= MAX_VALID_DAYS:
        return str(
            _("validity must be between %(min)d and %(max)d days")
            % {"min": MIN_VALID_DAYS, "max": MAX_VALID_DAYS}
        )
    return None


# --- validation of a request ----------------------------------------------------------------


def request_errors(
    *,
    kind: str,
    from_org_id: int | None,
    to_org_id: int | None,
    to_org_is_branch: bool,
    outside_org_name: str,
    reason: str,
    member_in_good_standing: bool,
    has_open_transfer: bool,
) -> dict[str, list[str]]:
    """Field → messages for a transfer request (§4.4); empty when it may be made.

    Within the district: to a branch (`to_org`), never the member's own branch, no outside
    name. Outward: the outside organisation's name, no `to_org`. Inward transfers are
    recorded by the receiving side (`record_inward`), not requested.
    """
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(str(message))

    if kind == WITHIN:
        if to_org_id is None:
            add("to_org", _("a transfer within the district needs the receiving branch"))
        elif to_org_id == from_org_id:
            add("to_org", _("a member cannot be transferred to their own branch"))
        elif not to_org_is_branch:
            add("to_org", _("the receiving organisation must be a branch or joint branch"))
        if outside_org_name.strip():
            add(
                "outside_org_name",
                _("a transfer within the district takes no outside organisation"),
            )
    elif kind == OUTWARD:
        if not outside_org_name.strip():
            add(
                "outside_org_name",
                _("a transfer out of the district needs the receiving organisation's name"),
            )
        if to_org_id is not None:
            add("to_org", _("a transfer out of the district has no receiving branch here"))
    else:
        add("kind", _("choose a transfer within the district or out of it"))
    if not reason.strip():
        add("reason", _("give the reason for the transfer"))
    if not member_in_good_standing:
        add("member", _("only a member in good standing can be transferred"))
    if has_open_transfer:
        add("member", _("the member already has a transfer in progress"))
    return errors


# --- dues settled up to the month on the letter ---------------------------------------------


def month_start(d: date) -> date:
    return d.replace(day=1)


def unpaid_months(ledger: Iterable[tuple[date, bool]], paid_to: date) -> list[date]:
    """Months ≤ `paid_to` (a month) whose ledger entry is unpaid, oldest first.

    `ledger` holds (month, paid) pairs — one per DuesRecord of the member.
    """
    limit = month_start(paid_to)
    return sorted(month_start(m) for m, paid in ledger if month_start(m) <= limit and not paid)


def dues_error(unpaid: list[date], paid_to: date) -> str | None:
    """A message naming every unpaid month, or None (§4.4: dues settled up to the letter)."""
    if not unpaid:
        return None
    return str(
        _(
            "dues are unpaid for %(months)s; "
            "they must be settled up to %(month)s written on the letter"
        )
        % {
            "months": ", ".join(f"{m:%Y-%m}" for m in unpaid),
            "month": f"{paid_to:%Y-%m}",
        }
    )


# --- floating members -----------------------------------------------------------------------

TRANSFER_AFTER_MONTHS = 6  # §4.4: away six months or more at a fixed place → transfer


def add_months_same_day(d: date, months: int) -> date:
    """The same day `months` later; the last day of the month when it does not exist."""
    index = d.year * 12 + d.month - 1 + months
    year, month = index // 12, index % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, min(d.day, day))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Advisory:
    code: str
    level: str
    message: str
    article: str


def floating_advisory(*, left_on: date, returned_on: date | None, today: date) -> Advisory | None:
    """Away six months or more (from `left_on` to the same day six months later, inclusive)
    and not back: the member should transfer their membership (§4.4, §4.5)."""
    if returned_on is not None:
        return None
    if today < add_months_same_day(left_on, TRANSFER_AFTER_MONTHS):
        return None
    return Advisory(
        "should_transfer",
        "warning",
        str(_("Away six months or more at a fixed place: the membership should be transferred")),
        "DOMAIN.md §4.4 · 党员教育管理工作条例",
    )
