"""Tongxin benchmarks: seed a city-scale database and time the main reads.

How to run (PostgreSQL only; not part of the test suite):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tongxin_bench \
        .venv/bin/python benchmarks/run.py

Options: --reps N (default 30) · --scale city|district (default city) · --skip-seed (reuse
the data already there) · --fresh (drop and recreate the database first) · --no-write
(print only; do not rewrite benchmarks/RESULTS.md).

What it does:
1. creates the database if it is missing (connecting to the server's `postgres` db);
2. `tongxin migrate`;
3. times `tongxin seed --scale <scale>` once in a subprocess with DEBUG=1 (skipped when the
   database already holds organisations, or with --skip-seed);
4. in this process (DEBUG off, so no query log), logged in as the seeded district_admin
   (or a bench user with role district_admin at the root), measures N repetitions of each
   scenario — median and p95 — and, beside each page, the raw-SQL time of the page's main
   query (the selector's queryset compiled with `qs.query.sql_with_params()` and run on a
   cursor), and the ratio page / raw SQL;
5. prints a table and writes benchmarks/RESULTS.md with machine info, data sizes, the
   analysis kept in benchmarks/FINDINGS.md (causes and fixes of missed targets, measured by
   benchmarks/diagnose.py) and EXPLAIN ANALYZE of every main query.

Targets: subtree query, org list and unit list pages p95 ≤ 100 ms; coverage summary of the
whole district ≤ 300 ms; seeding the city scale ≤ 5 minutes.
"""

import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tongxin_bench"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--scale", choices=["city", "district"], default="city")
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    return parser.parse_args()


# --- database preparation (before Django is set up) ----------------------------------------


def ensure_database(url: str, *, fresh: bool) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def tongxin(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tongxin", *args],
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )


# --- measuring ------------------------------------------------------------------------------


def timed(fn, reps: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]  # nearest rank


def raw_sql(qs):
    from django.db import connection

    sql, params = qs.query.sql_with_params()

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return run, sql, params


def explain(sql: str, params) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def machine_info() -> dict:
    from django.db import connection

    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return {
        "date": date.today().isoformat(),
        "nproc": os.cpu_count(),
        "memory": mem,
        "cpu": _cpu_model(),
        "postgres": pg,
        "python": platform.python_version(),
        "django": __import__("django").get_version(),
        "load": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


# --- scenarios ------------------------------------------------------------------------------


def bench_user():
    from django.contrib.auth import get_user_model

    from tongxin.accounts.models import RoleAssignment
    from tongxin.orgs.models import Org

    User = get_user_model()
    user = User.objects.filter(
        username="district_admin", role_assignments__role="district_admin"
    ).first()
    if user is None:
        user, _ = User.objects.get_or_create(username="bench_admin")
        root = Org.objects.get(parent=None)
        RoleAssignment.objects.get_or_create(user=user, role="district_admin", org=root)
    return user


def scenarios(user):
    """(name, target p95 ms or None, page callable or None, raw queryset or None)."""
    from django.db.models import Count
    from django.test import Client

    from tongxin.accounts.services import issue_api_token
    from tongxin.orgs import selectors
    from tongxin.orgs.models import Org
    from tongxin.orgs.selectors import UnitFilters, search_filter, unit_queryset

    client = Client()
    client.force_login(user)
    token = issue_api_token(user=user)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    street = (
        Org.objects.filter(type="street_committee")
        .annotate(n=Count("street_units"))
        .order_by("-n", "path")
        .first()
    )
    community = Org.objects.filter(type="community_committee").order_by("path").first()
    term = community.name[:2]  # a real name fragment: matches a few dozen orgs
    visible = Org.objects.visible_to(user)

    def get(c, url, expect=200):
        def run():
            response = c.get(url)
            assert response.status_code == expect, (url, response.status_code)
            return response

        return run

    org_page = visible.select_related("parent").filter(search_filter(term)).order_by("path")
    unit_page = unit_queryset(user, UnitFilters()).order_by("id")
    unit_filtered_page = unit_queryset(
        user, UnitFilters(category="non_public_enterprise", coverage="none", street=street.pk)
    ).order_by("id")
    flagged_page = unit_queryset(user, UnitFilters(flagged=True)).order_by("id")
    coverage_qs = _coverage_queryset(user)
    roots = Org.objects.filter(path__in=[p.path for p in selectors.scope_roots(user)])

    return street, term, [
        ("subtree of a street (ORM list())", 100,
         lambda: list(Org.objects.subtree(street)), Org.objects.subtree(street)),
        (f"GET /orgs/?q={term}", 100, get(client, f"/orgs/?q={term}"), org_page[:51]),
        ("GET /orgs/ (tree)", 100, get(client, "/orgs/"), roots),
        (f"GET /orgs/{street.pk}/children/", 100,
         get(client, f"/orgs/{street.pk}/children/"),
         visible.filter(parent=street).annotate(child_count=Count("children")).order_by("path")),
        ("GET /units/", 100, get(client, "/units/"), unit_page[:51]),
        ("GET /units/?street&category&coverage", 100,
         get(client, f"/units/?street={street.pk}&category=non_public_enterprise&coverage=none"),
         unit_filtered_page[:51]),
        ("GET /units/?flagged=on", 100, get(client, "/units/?flagged=on"), flagged_page[:51]),
        ("GET /coverage/ (whole district)", 300, get(client, "/coverage/"), coverage_qs),
        ("GET / (home: coverage totals, terms due)", None, get(client, "/"), coverage_qs),
        ("GET /api/v1/orgs", 100, get(api, "/api/v1/orgs"),
         visible.select_related("parent").order_by("path")[:51]),
        ("GET /api/v1/units", 100, get(api, "/api/v1/units"), unit_page[:51]),
    ]  # fmt: skip


def _coverage_queryset(user):
    """The aggregate query of selectors.coverage_summary(by="street")."""
    from django.db.models import Count, Q

    from tongxin.orgs import rules
    from tongxin.orgs.models import Coverage, Unit

    flagged = Q(party_member_count__gte=rules.UNIT_MIN_FULL_MEMBERS) & ~Q(coverage=Coverage.OWN_ORG)
    return (
        Unit.objects.visible_to(user)
        .filter(active=True)
        .values("street_id", "street__name")
        .annotate(
            total=Count("id"),
            own_org=Count("id", filter=Q(coverage=Coverage.OWN_ORG)),
            joint_branch=Count("id", filter=Q(coverage=Coverage.JOINT_BRANCH)),
            instructor=Count("id", filter=Q(coverage=Coverage.INSTRUCTOR)),
            none=Count("id", filter=Q(coverage=Coverage.NONE)),
            flagged=Count("id", filter=flagged),
        )
        .order_by("street__name")
    )


# --- main -----------------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        print("DATABASE_URL must point at PostgreSQL", file=sys.stderr)
        return 2
    ensure_database(url, fresh=args.fresh)
    # The measured process runs as production would: DEBUG off (no query log).
    os.environ.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-secret-key-" + "x" * 40,
            "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "TONGXIN_REQUIRE_ADMIN_2FA": "0",
            "DJANGO_SETTINGS_MODULE": "tongxin.settings",
        }
    )
    sys.path.insert(0, str(ROOT / "src"))
    print("migrating …")
    tongxin("migrate", "--no-input")

    import django

    django.setup()
    from django.db import connection

    from tongxin.orgs.models import Org, Unit

    seed_seconds = None
    if args.skip_seed or Org.objects.exists():
        print("already seeded: seeding not timed (use --fresh to time it)")
    else:
        print(f"seeding {args.scale} …")
        start = time.perf_counter()
        tongxin("seed", "--scale", args.scale, env={"DEBUG": "1"})
        seed_seconds = time.perf_counter() - start
        print(f"seeded in {seed_seconds:.1f} s")
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    sizes = {"orgs": Org.objects.count(), "units": Unit.objects.count()}
    load_before = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    user = bench_user()
    street, term, cases = scenarios(user)
    rows, plans = [], []
    for name, target, page, qs in cases:
        samples = timed(page, args.reps)
        row = {"name": name, "target": target, "median": statistics.median(samples),
               "p95": p95(samples)}  # fmt: skip
        if qs is not None:
            run, sql, params = raw_sql(qs)
            raw = timed(run, args.reps)
            row.update(raw_median=statistics.median(raw), raw_p95=p95(raw), rows=len(run()))
            plans.append((name, sql, params, explain(sql, params)))
        rows.append(row)
        print(_format_row(row))
    info = machine_info()
    info["load"] = f"{load_before} before, {info['load']} after the reads"
    report = render(info, sizes, seed_seconds, args, rows, plans, street, term)
    print()
    print(report.split("## Findings")[0].split("## Query plans")[0])
    if not args.no_write:
        write_section(f"{BEGIN}\n{report.rstrip()}\n{END}\n", BEGIN, END)
    return 0


BEGIN, END = "<!-- orgs benchmark: begin -->", "<!-- orgs benchmark: end -->"


def write_section(section: str, begin: str, end: str) -> None:
    """Put `section` (starting with `begin`, ending with `end`) into RESULTS.md in place of
    the text between those markers, or append it: every benchmark keeps the others' sections."""
    path = HERE / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + section.rstrip("\n") + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")
    print(f"written {path}")


def _verdict(value: float, target: float | None) -> str:
    if target is None:
        return ""
    return "✅" if value <= target else "❌"


def _format_row(row) -> str:
    raw = f"{row.get('raw_median', float('nan')):8.2f}"
    return f"{row['name']:<45} median {row['median']:8.2f} ms  p95 {row['p95']:8.2f} ms  raw {raw}"


def render(info, sizes, seed_seconds, args, rows, plans, street, term) -> str:
    lines = [
        "# Tongxin benchmark results",
        "",
        "Produced by `benchmarks/run.py` (see its docstring for how to run it). Times in ms;",
        f"{args.reps} repetitions after 3 warm-up runs; p95 is nearest-rank. Pages are measured",
        "through `django.test.Client` (full middleware, session login as the district",
        "administrator, DEBUG off); *raw SQL* runs the page's main query, compiled from the",
        "selector's queryset, on a cursor; *ratio* = page median / raw-SQL median.",
        "",
        "## Machine and data",
        "",
        f"- date: {info['date']}",
        f"- CPU: {info['nproc']} × {info['cpu']}; memory {info['memory']}",
        f"- PostgreSQL {info['postgres']} (local, default configuration); Python "
        f"{info['python']}; Django {info['django']}",
        f"- load average (1/5/15 min): {info['load']} — the machine is shared, so "
        "other work inflates the numbers",
        f"- data: scale `{args.scale}`: {sizes['orgs']:,} organisations, {sizes['units']:,} units",
        f"- subtree/filters use street “{street.name}” (the street with most units); "
        f"search term “{term}”",
        "",
        "## Seeding",
        "",
        "| step | time | target | |",
        "|---|---:|---:|---|",
    ]
    if seed_seconds is None:
        lines.append(
            f"| `tongxin seed --scale {args.scale}` | not timed (already seeded) | 300 s | |"
        )
    else:
        lines.append(
            f"| `tongxin seed --scale {args.scale}` | {seed_seconds:.1f} s | 300 s | "
            f"{_verdict(seed_seconds, 300)} |"
        )
    lines += [
        "",
        "## Reads",
        "",
        "| scenario | median | p95 | target p95 | | raw SQL median | raw p95 | rows | ratio |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        raw = r.get("raw_median")
        ratio = f"{r['median'] / raw:.1f}×" if raw else ""
        lines.append(
            f"| {r['name']} | {r['median']:.1f} | {r['p95']:.1f} | {r['target'] or ''} | "
            f"{_verdict(r['p95'], r['target'])} | {raw or 0:.2f} | {r.get('raw_p95', 0):.2f} | "
            f"{r.get('rows', '')} | {ratio} |"
        )
    findings = HERE / "FINDINGS.md"
    if findings.exists():
        lines += ["", findings.read_text(encoding="utf-8").rstrip()]
    lines += ["", "## Query plans", ""]
    for name, sql, params, plan in plans:
        lines += [
            f"<details><summary>{name}</summary>",
            "",
            "```sql",
            _inline(sql, params),
            "```",
            "",
            "```",
            plan,
            "```",
            "",
            "</details>",
            "",
        ]
    return "\n".join(lines) + "\n"


def _inline(sql: str, params) -> str:
    from django.db import connection

    return connection.ops.compose_sql(sql, params)


if __name__ == "__main__":
    sys.exit(main())


# Settings of a benchmark process and its seed subprocess: production-like (DEBUG off), plain
# HTTP for the test client, no second factor. They share one SECRET_KEY (the field key
# derives from it): the environment's, else the installation's — as for any `tongxin` command.
BENCH_ENV = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "TONGXIN_REQUIRE_ADMIN_2FA": "0",
    "DJANGO_SETTINGS_MODULE": "tongxin.settings",
}


def plans_markdown(plans) -> list[str]:
    """Each (name, sql, params, plan) as a folded Markdown block for RESULTS.md."""
    lines: list[str] = []
    for name, sql, params, plan in plans:
        lines += [f"<details><summary>{name}</summary>", "", "```sql", _inline(sql, params)]
        lines += ["```", "", "```", plan, "```", "", "</details>", ""]
    return lines
