"""Why the slow scenarios of benchmarks/run.py are slow: alternatives measured side by side.

Run after run.py has seeded the database (same DATABASE_URL):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tongxin_bench \
        .venv/bin/python benchmarks/diagnose.py

It only reads, except for two experimental indexes that it creates, measures and drops
again in the benchmark database (never in an application migration).
"""

import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def setup():
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tongxin_bench")
    os.environ.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-secret-key-" + "x" * 40,
            "DJANGO_SETTINGS_MODULE": "tongxin.settings",
        }
    )
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent / "src"))
    import django

    django.setup()


def median_ms(fn, reps: int = 15) -> float:
    fn()
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> int:
    setup()
    import run as bench  # benchmarks/run.py
    from django.db import connection
    from django.db.models import Count, Q
    from django.template import engines

    from tongxin.orgs.forms import UnitFilterForm
    from tongxin.orgs.models import Org, Unit
    from tongxin.orgs.selectors import UnitFilters, area_choices, unit_queryset

    def sql_ms(qs) -> float:
        sql, params = qs.query.sql_with_params()

        def run():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                cursor.fetchall()

        return median_ms(run)

    user = bench.bench_user()
    street = (
        Org.objects.filter(type="street_committee")
        .annotate(n=Count("street_units"))
        .order_by("-n", "path")
        .first()
    )
    results: list[tuple[str, float]] = []

    # 1. the unit list page: the filter form's <select>s
    streets, communities = area_choices(user)
    form = UnitFilterForm(None, street_qs=streets, community_qs=communities)
    results.append(
        (
            f"unit filter form: street + community <select> via widgets "
            f"({communities.count()} communities)",
            median_ms(lambda: (str(form["street"]), str(form["community"]))),
        )
    )
    plain = engines["django"].from_string(
        '<select name="community"><option value="">—</option>{% for o in cs %}'
        '<option value="{{ o.0 }}">{{ o.1 }}</option>{% endfor %}</select>'
    )
    results.append(
        (
            "same community list: values_list + plain template loop",
            median_ms(lambda: plain.render({"cs": list(communities.values_list("id", "name"))})),
        )
    )

    # 2. filtered unit list: ORDER BY id LIMIT 51 with a selective street filter
    filtered = unit_queryset(
        user, UnitFilters(category="non_public_enterprise", coverage="none", street=street.pk)
    ).order_by("id")[:51]
    results.append(("filtered unit list SQL, current indexes", sql_ms(filtered)))
    with connection.cursor() as cursor:
        cursor.execute("CREATE INDEX bench_unit_street_id ON orgs_unit (street_id, id)")
        cursor.execute("CREATE INDEX bench_unit_community_id ON orgs_unit (community_id, id)")
        cursor.execute("ANALYZE orgs_unit")
    try:
        results.append(("filtered unit list SQL, + index (street_id, id)", sql_ms(filtered)))
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX bench_unit_street_id")
            cursor.execute("DROP INDEX bench_unit_community_id")
            cursor.execute("ANALYZE orgs_unit")

    # 3. coverage summary for the whole district
    flagged = Q(party_member_count__gte=3) & ~Q(coverage="own_org")
    counts = {
        "total": Count("id"),
        "own_org": Count("id", filter=Q(coverage="own_org")),
        "joint_branch": Count("id", filter=Q(coverage="joint_branch")),
        "instructor": Count("id", filter=Q(coverage="instructor")),
        "none": Count("id", filter=Q(coverage="none")),
        "flagged": Count("id", filter=flagged),
    }
    scoped = Unit.objects.visible_to(user).filter(active=True)
    results += [
        ("coverage by street, current query", sql_ms(bench._coverage_queryset(user))),
        (
            "coverage, GROUP BY street_id only (names fetched afterwards)",
            sql_ms(scoped.values("street_id").annotate(**counts).order_by()),
        ),
        (
            "coverage, no scope joins (the user's scope is the root)",
            sql_ms(Unit.objects.filter(active=True).values("street_id").annotate(**counts)),
        ),
        (
            "coverage totals only (home page), current scope joins",
            sql_ms(scoped.values("active").annotate(**counts).order_by()),
        ),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SET work_mem = '16MB'")
    results.append(
        ("coverage by street, current query, work_mem 16MB", sql_ms(bench._coverage_queryset(user)))
    )
    with connection.cursor() as cursor:
        cursor.execute("RESET work_mem")

    width = max(len(name) for name, _ in results)
    for name, ms in results:
        print(f"{name:<{width}}  {ms:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
