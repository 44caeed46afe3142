"""Writing the seeded rows: COPY text on PostgreSQL, bulk_create elsewhere."""

from __future__ import annotations

import json
from datetime import date, timedelta

from django.db import connection

from tongxin.demands import rules
from tongxin.demands.models import (
    Demand,
    DemandEvent,
    Escalation,
    ExtensionRequest,
    Summons,
    Supervision,
)
from tongxin.demands.seed.clock import _dt

# --- writing ------------------------------------------------------------------------------

_DAY_TEXT: dict[int, str] = {}


def _t(ts: int | None) -> str | None:
    """UTC seconds as PostgreSQL timestamptz text."""
    if ts is None:
        return None
    day, sod = divmod(ts, 86400)
    text = _DAY_TEXT.get(day)
    if text is None:
        text = _DAY_TEXT[day] = (date(1970, 1, 1) + timedelta(days=day)).isoformat()
    h, rem = divmod(sod, 3600)
    m, s = divmod(rem, 60)
    return f"{text} {h:02d}:{m:02d}:{s:02d}+00"


DEMAND_TIMES = (
    "accept_due_at", "accepted_at", "due_at", "dispatched_at", "answered_at", "closed_at",
    "rated_at", "visit_due_at", "overdue_since", "created_at", "updated_at",
)  # fmt: skip


def _demand_values(row: dict, copy: bool) -> dict:
    name, phone, tail, enc_name, enc_phone = row.pop("person")
    out = dict(row)
    out["contact_name"] = enc_name if copy else name
    out["phone"] = enc_phone if copy else phone
    out["phone_tail"] = tail
    conv = _t if copy else _dt
    for k in DEMAND_TIMES:
        out[k] = conv(row[k])
    return out


def _copy_rows(model, columns: list[str], rows) -> None:
    table = model._meta.db_table
    cols = ", ".join(f'"{model._meta.get_field(c).column}"' for c in columns)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
            for values in rows:
                copy.write_row(values)


def _model_columns(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def _copy_demands(rows) -> None:
    columns = _model_columns(Demand)
    _copy_rows(
        Demand, columns, ([v[c] for c in columns] for v in (_demand_values(r, True) for r in rows))
    )


def _event_values(e, copy: bool) -> dict:
    pk, demand, at, action, frm, to, actor, label, note, payload = e
    payload = dict(payload or {})
    if "due" in payload:
        payload = {"clock": _clock_of(frm), "due_at": _dt(payload.pop("due")).isoformat()}
    return {
        "id": pk,
        "demand_id": demand,
        "action": action,
        "from_state": frm,
        "to_state": to,
        "note": note,
        "public": action in rules.PUBLIC_ACTIONS,
        "payload": json.dumps(payload, ensure_ascii=False) if copy else payload,
        "actor_id": actor,
        "actor_label": label[:100],
        "at": _t(at) if copy else _dt(at),
    }


def _clock_of(state: str) -> str:
    if state == rules.PENDING:
        return "accept"
    if state in rules.VISIT_CLOCK_STATES:
        return "visit"
    return "handle"


def _copy_events(rows) -> None:
    columns = _model_columns(DemandEvent)
    _copy_rows(DemandEvent, columns, ([v[c] for c in columns] for v in
                                      (_event_values(e, True) for e in rows)))  # fmt: skip


def _side_values(model, row: dict, copy: bool) -> dict:
    conv = _t if copy else _dt
    out = dict(row)
    for f in model._meta.concrete_fields:
        if f.get_internal_type() == "DateTimeField" and f.attname in out:
            out[f.attname] = conv(out[f.attname])
    return out


def _copy_side(model):
    def write(rows):
        columns = _model_columns(model)
        _copy_rows(
            model,
            columns,
            ([v.get(c) for c in columns] for v in (_side_values(model, r, True) for r in rows)),
        )

    return write


def _bulk(model, values):
    def write(rows):
        from tongxin.members.seed import _keep_timestamps

        objs = [model(**values(r)) for r in rows]
        with _keep_timestamps(model._meta.concrete_fields):
            model.objects.bulk_create(objs, batch_size=1000)

    return write


_COPY = {
    Demand: _copy_demands,
    DemandEvent: _copy_events,
    Escalation: _copy_side(Escalation),
    Summons: _copy_side(Summons),
    Supervision: _copy_side(Supervision),
    ExtensionRequest: _copy_side(ExtensionRequest),
}
_BULK = {
    Demand: _bulk(Demand, lambda r: _demand_values(r, False)),
    DemandEvent: _bulk(DemandEvent, lambda e: _event_values(e, False)),
    **{
        m: _bulk(m, (lambda m_: lambda r: _side_values(m_, r, False))(m))
        for m in (Escalation, Summons, Supervision, ExtensionRequest)
    },
}
