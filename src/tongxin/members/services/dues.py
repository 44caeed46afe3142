"""Every write of dues (党费): policy, monthly generation, payments, reductions, voluntary
payments. DOMAIN.md §5; 《关于中国共产党党费收缴、使用和管理的规定》(中组发〔2008〕3号).

Validated, authorised, audited, atomic. Permission: a keeper of the member registry
(MEMBER_KEEPERS) whose scope holds the record's branch — or, for payments, the keeper of the
host organisation of an open floating record of the member (§4.5).
"""

from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core import audit
from tongxin.core.errors import PermissionDenied, ValidationError, raise_if
from tongxin.core.scoping import path_q, scope_paths
from tongxin.members.access import keeper_paths, keeps_path
from tongxin.members.models import (
    DuesBase,
    DuesPolicy,
    DuesRecord,
    DuesReduction,
    FloatingRecord,
    Member,
    Status,
    VoluntaryPayment,
)
from tongxin.members.rules import dues as rules
from tongxin.members.selectors.dues import current_policy
from tongxin.orgs.models import Org

GENERATE_CHUNK = 5000
PAYMENT_FIELDS = (
    "amount_paid",
    "paid_on",
    "method",
    "paid_by_proxy",
    "proxy_name",
    "proxy_consent",
    "recorded_by",
)


# --- permissions -------------------------------------------------------------------------------


def hosts_member(actor, member_id: int) -> bool:
    """The actor keeps the host organisation of an open floating record of the member (§4.5:
    floating members may pay dues at the host)."""
    paths = keeper_paths(actor)
    if not paths:
        return False
    host = path_q(paths, ("host_org__path",))
    return (
        FloatingRecord.objects.filter(member_id=member_id, returned_on__isnull=True)
        .filter(host)
        .exists()
    )


def _require_keeper(actor, path: str) -> None:
    if not keeps_path(actor, path):
        raise PermissionDenied(_("You may not keep the dues of this organisation."))


def _require_payer_keeper(actor, *, org_path: str, member_id: int) -> None:
    if not (keeps_path(actor, org_path) or hosts_member(actor, member_id)):
        raise PermissionDenied(_("You may not record dues of this member."))


def _money(value, field: str, errors: dict) -> Decimal | None:
    amount = rules.to_money(value)
    problem = rules.money_error(amount) if amount is not None else _("must be a number")
    if problem:
        errors.setdefault(field, []).append(str(problem))
        return None
    return amount.quantize(rules.CENT)


def _today(today: date | None) -> date:
    return today or timezone.localdate()


# --- policy (§5, configurable parts) ----------------------------------------------------------

POLICY_FIELDS = (
    "effective_from",
    "salaried_tiers",
    "retired_tiers",
    "farmer_amount",
    "flat_amount",
    "rounding_unit",
    "after_tax_deductions",
    "back_pay_months",
    "large_voluntary_amount",
)


def _tiers_json(tiers) -> list:
    return [[None if upper is None else str(upper), str(rate)] for upper, rate in tiers]


@transaction.atomic
def save_policy(*, actor, effective_from: date, policy: rules.Policy, after_tax_deductions=()):
    """A new policy effective from a month (district administrators only). Saving again for
    the same month replaces that month's row; earlier rows stay for the months they cover."""
    if not any(p.count("/") == 1 for p in scope_paths(actor, frozenset({"district_admin"}))):
        raise PermissionDenied(_("Only the district organisation department sets the policy."))
    problems = rules.policy_errors(policy)
    if problems:
        raise ValidationError({"policy": [str(p) for p in problems]})
    month = rules.month_start(effective_from)
    row = DuesPolicy.objects.select_for_update().filter(effective_from=month).first()
    before = audit.snapshot(row, POLICY_FIELDS) if row else {}
    row = row or DuesPolicy(effective_from=month)
    row.salaried_tiers = _tiers_json(policy.salaried_tiers)
    row.retired_tiers = _tiers_json(policy.retired_tiers)
    row.farmer_amount = policy.farmer_amount
    row.flat_amount = policy.flat_amount
    row.rounding_unit = policy.rounding_unit
    row.after_tax_deductions = list(after_tax_deductions)
    row.back_pay_months = policy.back_pay_months
    row.large_voluntary_amount = policy.large_voluntary_amount
    row.save()
    audit.record(
        actor=actor,
        action="update" if before else "create",
        obj=row,
        object_repr=f"dues policy {month:%Y-%m}",
        changes=audit.diff(before, audit.snapshot(row, POLICY_FIELDS)),
    )
    return row


# --- bases and generation -------------------------------------------------------------------


def base_for_month(member: Member, month: date) -> tuple[str, Decimal]:
    """(category, base) of a member for a month: the newest DuesBase from that month or
    before (§5.9: a change of pay applies from the month it is first received), else the
    member's current category and base."""
    month = rules.month_start(month)
    row = (
        DuesBase.objects.filter(member=member, from_month__lte=month)
        .order_by("-from_month")
        .values_list("category", "base")
        .first()
    )
    return row if row else (member.dues_category, member.dues_base)


def _reductions_for(month: date, member_filter: Q) -> dict[int, tuple[int, Decimal]]:
    """{member_id: (reduction id, monthly amount)} of approved reductions covering the month."""
    rows = (
        DuesReduction.objects.filter(
            member_filter,
            state=DuesReduction.State.APPROVED,
            start_month__lte=month,
            end_month__gte=month,
        )
        .order_by("member_id", "-decided_on", "-id")
        .values_list("member_id", "id", "kind", "amount")
    )
    found: dict[int, tuple[int, Decimal]] = {}
    for member_id, pk, kind, amount in rows:
        due = Decimal("0.00") if kind == DuesReduction.Kind.EXEMPT else amount
        found.setdefault(member_id, (pk, due))
    return found


def _quote(category, base, policy, quotes: dict) -> rules.Quote:
    key = (category, base)
    quote = quotes.get(key)
    if quote is None:
        quote = quotes[key] = rules.dues_for(category, base, policy)
    return quote


def _record(member_id, org_id, month, category, base, policy, reduction, quotes, actor_id):
    quote = _quote(category, base, policy, quotes)
    amount_due, reduction_id = quote.amount, None
    if reduction is not None:
        reduction_id, amount_due = reduction
    return DuesRecord(
        member_id=member_id,
        org_id=org_id,
        month=month,
        category=category,
        base=base,
        rate=quote.rate,
        rule=quote.rule,
        amount_due=amount_due,
        reduction_id=reduction_id,
        recorded_by_id=actor_id,
    )


# Columns written by generation, in order (PostgreSQL COPY; see _CopyWriter).
_COPY_COLUMNS = (
    "created_at",
    "updated_at",
    "member_id",
    "org_id",
    "month",
    "category",
    "base",
    "rate",
    "rule",
    "amount_due",
    "method",
    "paid_by_proxy",
    "proxy_name",
    "proxy_consent",
    "reduction_id",
    "recorded_by_id",
)


class _CopyWriter:
    """PostgreSQL: rows go in by COPY, a chunk at a time — no model instances, no
    per-parameter preparation (bulk_create cost ~200 µs a row on the benchmark machine)."""

    def __init__(self, month, actor_id):
        self.month, self.actor_id, self.now = month, actor_id, timezone.now()
        self.sql = "COPY {} ({}) FROM STDIN".format(
            connection.ops.quote_name(DuesRecord._meta.db_table),
            ", ".join(connection.ops.quote_name(c) for c in _COPY_COLUMNS),
        )

    def write(self, rows) -> int:
        count = 0
        with connection.cursor() as cursor, cursor.cursor.copy(self.sql) as copy:
            for member_id, org_id, category, base, quote, amount_due, reduction_id in rows:
                copy.write_row(
                    (
                        self.now,
                        self.now,
                        member_id,
                        org_id,
                        self.month,
                        category,
                        base,
                        quote.rate,
                        quote.rule,
                        amount_due,
                        "",
                        False,
                        "",
                        False,
                        reduction_id,
                        self.actor_id,
                    )
                )
                count += 1
        return count


class _BulkWriter:
    """Other databases (SQLite): bulk_create in batches of 5,000."""

    def __init__(self, month, actor_id):
        self.month, self.actor_id = month, actor_id

    def write(self, rows) -> int:
        records = [
            DuesRecord(
                member_id=member_id,
                org_id=org_id,
                month=self.month,
                category=category,
                base=base,
                rate=quote.rate,
                rule=quote.rule,
                amount_due=amount_due,
                reduction_id=reduction_id,
                recorded_by_id=self.actor_id,
            )
            for member_id, org_id, category, base, quote, amount_due, reduction_id in rows
        ]
        DuesRecord.objects.bulk_create(records, batch_size=GENERATE_CHUNK)
        return len(records)


def _lock_month(month: date) -> None:
    """One generation of a month at a time, whatever the node (a district run and a branch
    run overlap): the anti-join then sees every row a concurrent run wrote."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [0x7D0E5, month.year * 12 + month.month]
            )


@transaction.atomic
def generate_month(*, actor, org: Org, month: date) -> int:
    """Create the month's ledger rows for every member in good standing in the org's subtree
    that has none yet; returns how many were created. Idempotent.

    §5.7: probationary members pay from the month the branch meeting admitted them, so no
    member gets a row for a month before their admission month. §5.9: the base is the newest
    DuesBase row from that month or before, else the member's own. §5.6: approved reductions
    covering the month set the amount due. Set-based: one streamed query for the members
    (with their base of the month), `dues_for` once per distinct (category, base), rows
    written 5,000 at a time (COPY on PostgreSQL, bulk_create elsewhere).
    """
    month = rules.month_start(month)
    org = Org.objects.get(pk=org.pk)
    _require_keeper(actor, org.path)
    _lock_month(month)
    policy = current_policy(month)
    history = DuesBase.objects.filter(member_id=OuterRef("pk"), from_month__lte=month).order_by(
        "-from_month"
    )
    members = (
        Member.objects.filter(org__path__startswith=org.path, status=Status.NORMAL)
        .filter(admitted_on__lt=rules.add_months(month, 1))
        .annotate(
            month_category=Subquery(history.values("category")[:1]),
            month_base=Subquery(history.values("base")[:1]),
        )
        .order_by("id")
        .values_list("id", "org_id", "dues_category", "dues_base", "month_category", "month_base")
    )
    reductions = _reductions_for(
        month, Q(member__org__path__startswith=org.path, member__status=Status.NORMAL)
    )
    # Members that already have the month, read once: the streamed query must not look at
    # the ledger table while this transaction writes to it (a server-side cursor probing
    # dues records per member degrades quadratically as the month's rows grow).
    done = set(
        DuesRecord.objects.filter(month=month, member__org__path__startswith=org.path).values_list(
            "member_id", flat=True
        )
    )
    writer_class = _CopyWriter if connection.vendor == "postgresql" else _BulkWriter
    writer = writer_class(month, actor.pk)
    quotes: dict = {}
    created = 0
    chunk: list[tuple] = []
    for member_id, org_id, category, base, month_category, month_base in members.iterator(
        chunk_size=GENERATE_CHUNK
    ):
        if member_id in done:
            continue
        if month_category is not None:
            category, base = month_category, month_base
        quote = _quote(category, base, policy, quotes)
        reduction_id, amount_due = reductions.get(member_id, (None, quote.amount))
        chunk.append((member_id, org_id, category, base, quote, amount_due, reduction_id))
        if len(chunk) >= GENERATE_CHUNK:
            created += writer.write(chunk)
            chunk = []
    if chunk:
        created += writer.write(chunk)
    audit.record(
        actor=actor,
        action="dues_generate",
        obj=org,
        changes={"month": [None, f"{month:%Y-%m}"], "created": [None, created]},
    )
    return created


def _ensure_record(*, actor, member: Member, month: date) -> DuesRecord:
    """The member's record of a month, created (as generation would) when missing — paying
    a quarter in advance pays months not generated yet."""
    month = rules.month_start(month)
    record = DuesRecord.objects.select_for_update().filter(member=member, month=month).first()
    if record is not None:
        return record
    if member.status != Status.NORMAL:
        raise ValidationError({"months": [_("only members in good standing pay dues")]})
    if rules.month_start(member.admitted_on) > month:
        raise ValidationError(
            {
                "months": [
                    _("%(month)s is before the month of admission (§5.7)")
                    % {"month": f"{month:%Y-%m}"}
                ]
            }
        )
    category, base = base_for_month(member, month)
    reductions = _reductions_for(month, Q(member_id=member.pk))
    record = _record(
        member.pk,
        member.org_id,
        month,
        category,
        base,
        current_policy(month),
        reductions.get(member.pk),
        {},
        actor.pk,
    )
    record.save()
    return record


# --- payments (§5.8, §5.10) ----------------------------------------------------------------


def _payment_errors(
    record: DuesRecord,
    *,
    amount,
    paid_on,
    method: str,
    proxy_name: str,
    proxy_consent: bool,
    today: date,
) -> tuple[dict, Decimal | None]:
    errors: dict[str, list[str]] = {}
    if record.paid_on is not None:
        errors.setdefault("month", []).append(
            _("%(month)s is already paid: a month cannot be paid twice")
            % {"month": f"{record.month:%Y-%m}"}
        )
    value = _money(amount, "amount", errors)
    if value is not None and value < record.amount_due:
        errors.setdefault("amount", []).append(
            _("less than the amount due of %(due)s yuan: dues are paid in full (§5.2–5.5)")
            % {"due": record.amount_due}
        )
    if not isinstance(paid_on, date):
        errors.setdefault("paid_on", []).append(_("enter a date"))
    elif paid_on > today:
        errors.setdefault("paid_on", []).append(_("the payment date cannot be in the future"))
    if method not in DuesRecord.Method.values:
        errors.setdefault("method", []).append(_("choose how the dues were paid"))
    policy = current_policy(today)
    problem = rules.back_pay_error(record.month, today, policy)
    if problem:
        errors.setdefault("month", []).append(
            _("%(month)s: %(rule)s") % {"month": f"{record.month:%Y-%m}", "rule": problem}
        )
    proxy_name = (proxy_name or "").strip()
    if proxy_name and not proxy_consent:
        errors.setdefault("proxy_consent", []).append(
            _("someone may pay on the member's behalf only with the member's consent (§5.8)")
        )
    if proxy_consent and not proxy_name:
        errors.setdefault("proxy_name", []).append(_("enter who paid on the member's behalf"))
    if proxy_name and Org.objects.filter(name=proxy_name).exists():
        errors.setdefault("proxy_name", []).append(
            _("an organisation may not pay dues on a member's behalf (§5.10)")
        )
    return errors, value


def _apply_payment(actor, record, *, amount, paid_on, method, proxy_name, proxy_consent):
    before = audit.snapshot(record, PAYMENT_FIELDS)
    proxy_name = (proxy_name or "").strip()
    record.amount_paid = amount
    record.paid_on = paid_on
    record.method = method
    record.paid_by_proxy = bool(proxy_name)
    record.proxy_name = proxy_name
    record.proxy_consent = bool(proxy_name) and proxy_consent
    record.recorded_by = actor
    record.save(update_fields=[*PAYMENT_FIELDS, "updated_at"])
    audit.record(
        actor=actor,
        action="dues_payment",
        obj=record,
        object_repr=f"{record.member_id} {record.month:%Y-%m}",
        changes=audit.diff(before, audit.snapshot(record, PAYMENT_FIELDS)),
    )
    return record


@transaction.atomic
def record_payment(
    *,
    actor,
    record: DuesRecord,
    amount,
    paid_on: date,
    method: str,
    proxy_name: str = "",
    proxy_consent: bool = False,
    today: date | None = None,
) -> DuesRecord:
    """Record one month paid. Refused: a month already paid, an amount that is negative, has
    more than two decimals or is below the amount due, a date in the future, a month more
    than the policy's back-payment limit before the current month (§5.8), a proxy without
    the member's consent (§5.8) and an organisation paying for the member (§5.10)."""
    today = _today(today)
    record = DuesRecord.objects.select_for_update().select_related("org").get(pk=record.pk)
    _require_payer_keeper(actor, org_path=record.org.path, member_id=record.member_id)
    errors, value = _payment_errors(
        record,
        amount=amount,
        paid_on=paid_on,
        method=method,
        proxy_name=proxy_name,
        proxy_consent=proxy_consent,
        today=today,
    )
    raise_if(errors)
    return _apply_payment(
        actor,
        record,
        amount=value,
        paid_on=paid_on,
        method=method,
        proxy_name=proxy_name,
        proxy_consent=proxy_consent,
    )


@transaction.atomic
def record_payments(
    *,
    actor,
    member: Member,
    months: list[date],
    paid_on: date,
    method: str,
    proxy_name: str = "",
    proxy_consent: bool = False,
    today: date | None = None,
) -> list[DuesRecord]:
    """Several months at once (quarterly, with the branch's consent, §5.8), each for its
    amount due: all months are recorded or none."""
    today = _today(today)
    member = Member.objects.select_related("org").get(pk=member.pk)
    _require_payer_keeper(actor, org_path=member.org.path, member_id=member.pk)
    months = sorted({rules.month_start(m) for m in months})
    if not months:
        raise ValidationError({"months": [_("choose at least one month")]})
    records = [_ensure_record(actor=actor, member=member, month=m) for m in months]
    problems: list[str] = []
    field_problems: dict[str, list[str]] = {}
    for record in records:
        errors, _value = _payment_errors(
            record,
            amount=record.amount_due,
            paid_on=paid_on,
            method=method,
            proxy_name=proxy_name,
            proxy_consent=proxy_consent,
            today=today,
        )
        for field, messages in errors.items():
            if field in ("month", "amount"):
                problems.extend(messages)
            else:
                field_problems.setdefault(field, [])
                field_problems[field] += [m for m in messages if m not in field_problems[field]]
    if problems:
        field_problems["months"] = problems
    raise_if(field_problems)
    return [
        _apply_payment(
            actor,
            record,
            amount=record.amount_due,
            paid_on=paid_on,
            method=method,
            proxy_name=proxy_name,
            proxy_consent=proxy_consent,
        )
        for record in records
    ]


# --- reductions and exemptions (§5.6) -----------------------------------------------------

REDUCTION_FIELDS = ("kind", "amount", "reason", "start_month", "end_month", "state")


@transaction.atomic
def propose_reduction(
    *,
    actor,
    member: Member,
    kind: str,
    amount,
    reason: str,
    start_month: date,
    end_month: date,
) -> DuesReduction:
    """The branch proposes a reduction or exemption with reason and period (§5.6); the
    next-higher committee decides."""
    member = Member.objects.select_related("org__parent").get(pk=member.pk)
    _require_keeper(actor, member.org.path)
    errors: dict[str, list[str]] = {}
    if kind not in DuesReduction.Kind.values:
        errors.setdefault("kind", []).append(_("choose reduction or exemption"))
    value = _money(amount if amount not in (None, "") else "0", "amount", errors)
    if kind == DuesReduction.Kind.EXEMPT:
        value = Decimal("0.00")
    elif kind == DuesReduction.Kind.REDUCE and value is not None and value <= 0:
        errors.setdefault("amount", []).append(
            _("enter the reduced monthly amount (an exemption has none)")
        )
    if not (reason or "").strip():
        errors.setdefault("reason", []).append(_("give the reason (§5.6)"))
    if not isinstance(start_month, date):
        errors.setdefault("start_month", []).append(_("enter a month"))
    if not isinstance(end_month, date):
        errors.setdefault("end_month", []).append(_("enter a month"))
    elif isinstance(start_month, date) and end_month < rules.month_start(start_month):
        errors.setdefault("end_month", []).append(_("the period must end after it starts"))
    if member.org.parent_id is None:
        errors.setdefault("member", []).append(_("the branch has no higher committee"))
    raise_if(errors)
    reduction = DuesReduction.objects.create(
        member=member,
        kind=kind,
        amount=value,
        reason=reason.strip(),
        start_month=rules.month_start(start_month),
        end_month=rules.month_start(end_month),
        approving_org=member.org.parent,
    )
    audit.record(
        actor=actor,
        action="dues_reduction_propose",
        obj=reduction,
        object_repr=f"{member.pk} {reduction.get_kind_display()}",
        changes=audit.diff({}, audit.snapshot(reduction, REDUCTION_FIELDS)),
    )
    return reduction


def can_decide(actor, member_org_path: str) -> bool:
    """§5.6: only the next-higher committee (or above) approves — a keeper role held on an
    organisation strictly above the member's branch; the branch itself never does."""
    return any(member_org_path.startswith(p) and p != member_org_path for p in keeper_paths(actor))


@transaction.atomic
def decide_reduction(
    *, actor, reduction: DuesReduction, approve: bool, today: date | None = None
) -> DuesReduction:
    reduction = (
        DuesReduction.objects.select_for_update().select_related("member__org").get(pk=reduction.pk)
    )
    if not can_decide(actor, reduction.member.org.path):
        raise PermissionDenied(
            _("Only the next-higher committee decides on a reduction or exemption (§5.6).")
        )
    if reduction.state != DuesReduction.State.PROPOSED:
        raise ValidationError({"state": [_("this proposal has already been decided")]})
    before = audit.snapshot(reduction, REDUCTION_FIELDS)
    reduction.state = DuesReduction.State.APPROVED if approve else DuesReduction.State.REJECTED
    reduction.decided_on = _today(today)
    reduction.decided_by = actor
    reduction.save()
    updated = 0
    if approve:
        updated = DuesRecord.objects.filter(
            member_id=reduction.member_id,
            month__gte=reduction.start_month,
            month__lte=reduction.end_month,
            paid_on__isnull=True,
        ).update(
            amount_due=reduction.amount,
            reduction=reduction,
            updated_at=timezone.now(),
        )
    changes = audit.diff(before, audit.snapshot(reduction, REDUCTION_FIELDS))
    changes["records_updated"] = [None, updated]
    audit.record(
        actor=actor,
        action="dues_reduction_decide",
        obj=reduction,
        object_repr=f"{reduction.member_id} {reduction.get_kind_display()}",
        changes=changes,
    )
    return reduction


# --- voluntary payments (§5.8) ----------------------------------------------------------------


@transaction.atomic
def record_voluntary(
    *,
    actor,
    member: Member,
    amount,
    paid_on: date,
    note: str = "",
    today: date | None = None,
) -> VoluntaryPayment:
    """A voluntary extra payment (unlimited). A single one of 1000 yuan or more (policy
    `large_voluntary_amount`) goes wholly to the centre and is flagged (§5.8)."""
    today = _today(today)
    member = Member.objects.select_related("org").get(pk=member.pk)
    _require_payer_keeper(actor, org_path=member.org.path, member_id=member.pk)
    errors: dict[str, list[str]] = {}
    value = _money(amount, "amount", errors)
    if value is not None and value <= 0:
        errors.setdefault("amount", []).append(_("must be more than zero"))
    if not isinstance(paid_on, date):
        errors.setdefault("paid_on", []).append(_("enter a date"))
    elif paid_on > today:
        errors.setdefault("paid_on", []).append(_("the payment date cannot be in the future"))
    raise_if(errors)
    payment = VoluntaryPayment.objects.create(
        member=member,
        org=member.org,
        amount=value,
        paid_on=paid_on,
        to_centre=rules.is_large_voluntary(value, current_policy(paid_on)),
        note=(note or "").strip()[:200],
    )
    audit.record(
        actor=actor,
        action="dues_voluntary",
        obj=payment,
        object_repr=f"{member.pk} {value}",
        changes=audit.diff(
            {}, audit.snapshot(payment, ("member", "amount", "paid_on", "to_centre", "note"))
        ),
    )
    return payment
