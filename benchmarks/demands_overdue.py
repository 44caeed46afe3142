"""The overdue check over millions of demands (issue 6 performance: ≤ 5 s over all open
demands at `--scale city`, about 5 million demands). PostgreSQL only.

    DATABASE_URL=postgres://…/bench .venv/bin/python benchmarks/demands_overdue.py --rows 5000000

Fills demands_demand with synthetic rows by INSERT … SELECT generate_series (no events, one
street and community per 1000 rows is not needed: the check does not join), then times:
1. the first check (every open demand past due and not yet flagged is marked: the backlog);
2. a steady-state check a few minutes later (only demands that fell due in between);
3. a check that finds nothing.
Distribution: 94 % finished (archived/visited/rated), 6 % open; open demands' due times
spread over ±20 days around now; 90 % of the past-due ones already flagged (as after
earlier runs).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongxin.settings")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--keep", action="store_true", help="reuse rows already there")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from tongxin.core.models import Notification
    from tongxin.demands.models import Category, Demand, DemandEvent
    from tongxin.demands.services.overdue import check_overdue
    from tongxin.orgs.models import Org

    assert connection.vendor == "postgresql", "PostgreSQL only"
    now = timezone.now()
    if not args.keep or not Demand.objects.exists():
        from tests.factories import District

        if not Org.objects.filter(code="S-A").exists():
            District()
        street = Org.objects.get(code="S-A")
        community = Org.objects.get(code="C-A1")
        cat = Category.objects.filter(parent__isnull=False).first()
        DemandEvent.objects.all().delete()
        Notification.objects.filter(kind="demand_overdue").delete()
        with connection.cursor() as cur:
            cur.execute("TRUNCATE demands_demand CASCADE")
            started = time.monotonic()
            cur.execute(
                """
                INSERT INTO demands_demand (
                    created_at, updated_at, code, channel, title, description, address,
                    contact_name, phone, phone_tail, confidential, external_id, state, version,
                    answer, refuse_reason, rating, rating_comment, reopen_count, supervised,
                    escalated, accept_due_at, due_at, visit_due_at, overdue, overdue_since,
                    category_id, community_id, street_id)
                SELECT
                    %(now)s - (g %% 365) * interval '1 day',
                    %(now)s,
                    'B' || lpad(g::text, 11, '0'), 'portal', 'bench', 'bench', '', '', '', '',
                    false, '',
                    CASE WHEN g %% 100 < 94 THEN (ARRAY['archived','visited','rated'])[g %% 3 + 1]
                         ELSE (ARRAY['pending','accepted','dispatched','handling','returned',
                                     'escalated','reopened'])[g %% 7 + 1] END,
                    3, '', '', '', '', 0, false, false,
                    %(now)s - (g %% 40 - 20) * interval '1 day',
                    %(now)s + ((g %% 40000) - 20000) * interval '1 minute',
                    NULL,
                    false, NULL,
                    %(cat)s, %(community)s, %(street)s
                FROM generate_series(1, %(rows)s) AS g
                """,
                {
                    "now": now,
                    "rows": args.rows,
                    "cat": cat.pk,
                    "community": community.pk,
                    "street": street.pk,
                },
            )
            # steady state: 90 % of what is past due was flagged by earlier runs
            cur.execute(
                """
                UPDATE demands_demand SET overdue = true, overdue_since = due_at
                WHERE due_at < %(now)s - interval '10 minutes' AND id %% 10 <> 5
                """,
                {"now": now},
            )
            cur.execute("ANALYZE demands_demand")
            print(f"filled {args.rows} rows in {time.monotonic() - started:.1f} s")
    open_rows = Demand.objects.filter(
        state__in=[
            "pending",
            "accepted",
            "dispatched",
            "handling",
            "returned",
            "escalated",
            "reopened",
        ]
    ).count()
    print(f"open demands: {open_rows}")
    for label, at in (
        ("backlog", now),
        ("five minutes later", now + timedelta(minutes=5)),
        ("nothing new", now + timedelta(minutes=5)),
    ):
        started = time.monotonic()
        counts = check_overdue(now=at)
        took = time.monotonic() - started
        print(f"{label}: {counts} in {took:.2f} s")


if __name__ == "__main__":
    main()
