"""Admissions benchmark (issue 4): the admission list, the funnel, the overdue list and
GET /api/v1/admissions at city scale — each beside the raw SQL of its main query.

How to run (PostgreSQL only; not part of the test suite):

    .venv/bin/python benchmarks/admissions.py                # seeds the city first (~5–15 min)
    .venv/bin/python benchmarks/admissions.py --skip-seed    # reuse the data already there

Options: --db URL (default postgres://postgres@127.0.0.1:5432/tongxin_bench_admissions; or
DATABASE_URL) · --scale city|district (default city) · --reps N (default 30) · --fresh (drop
and recreate the database first) · --no-write (print only; do not touch
benchmarks/RESULTS.md).

What it does (the setup follows benchmarks/members.py and reuses benchmarks/run.py's helpers):
1. creates the database if missing, `tongxin migrate`;
2. times `tongxin seed --scale <scale>` in a subprocess with DEBUG=1, unless the database
   already holds organisations or --skip-seed (each seeder prints its own phases);
3. in this process (DEBUG off), as the district administrator and as a street administrator
   (`django.test.Client`, session login; the API with a bearer token), measures median and
   p95 of N repetitions after 3 warm-ups of:
   - GET /admissions/ (the first page of open files) and GET /admissions/?phase=4;
   - GET /admissions/funnel/ (open files of the scope by phase, with the overdue counts);
   - GET /admissions/overdue/ (the first page of overdue files with their overdue items);
   - GET /api/v1/admissions and GET /api/v1/admissions?overdue=true;
   beside the page's main query (compiled from the selector's queryset) run as raw SQL on a
   cursor — ratio = page median / SQL median — and EXPLAIN (ANALYZE, BUFFERS) of it;
4. replaces the "Admissions" section of benchmarks/RESULTS.md (between the markers below)
   with the figures; the rest of the file is kept.

Reference: p95 ≤ 150 ms for list pages (the members list target of issue 3).
"""

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tongxin_bench_admissions"
BEGIN, END = "<!-- admissions benchmark: begin -->", "<!-- admissions benchmark: end -->"
TARGET_MS = 150

_spec = importlib.util.spec_from_file_location("bench_run", HERE / "run.py")
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)  # ensure_database, timed, p95, raw_sql, explain, machine_info


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("DATABASE_URL") or DEFAULT_URL)
    parser.add_argument("--scale", choices=["city", "district"], default="city")
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    return parser.parse_args()


def available(module: str, name: str) -> bool:
    try:
        mod = __import__(module, fromlist=[name])
    except ImportError:
        return False
    return callable(getattr(mod, name, None))


def _user(username: str, role: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=username, role_assignments__role=role).first()


def _scope_top(user):
    """The org the funnel page shows by default: the top of the user's keeper scope."""
    from tongxin.members.access import keeper_paths
    from tongxin.orgs.selectors import scope_roots

    kept = set(keeper_paths(user))
    return next(o for o in scope_roots(user) if o.path in kept)


def cases_for(user):
    """(label, url, main queryset) of each scenario for one user."""
    from tongxin.development import selectors
    from tongxin.development.models import Applicant
    from tongxin.development.selectors.files import _LIST_DEFER
    from tongxin.development.selectors.reports import subtree_files
    from tongxin.orgs.selectors import PAGE_SIZE

    def page(qs):
        return qs.select_related("org").defer(*_LIST_DEFER).order_by("id")[: PAGE_SIZE + 1]

    top = _scope_top(user)
    funnel = (
        subtree_files(user, top)
        .filter(state=Applicant.State.OPEN)
        .values("phase")
        .order_by("phase")
    )
    from django.db.models import Count, Q

    funnel = funnel.annotate(n=Count("id"), late=Count("id", filter=Q(overdue=True)))
    return [
        ("GET /admissions/", "/admissions/", page(selectors.file_queryset(user))),
        ("GET /admissions/?phase=4", "/admissions/?phase=4",
         page(selectors.file_queryset(user, phase=4))),
        ("GET /admissions/funnel/", "/admissions/funnel/", funnel),
        ("GET /admissions/overdue/", "/admissions/overdue/",
         page(selectors.file_queryset(user, overdue=True))),
        ("GET /api/v1/admissions", "/api/v1/admissions", page(selectors.file_queryset(user))),
        ("GET /api/v1/admissions?overdue=true", "/api/v1/admissions?overdue=true",
         page(selectors.file_queryset(user, overdue=True))),
    ]  # fmt: skip


def page_cases(reps: int):
    from django.test import Client

    from tongxin.accounts.services import issue_api_token

    rows, plans = [], []
    for username, role in (("district_admin", "district_admin"), ("street_admin", "street_admin")):
        user = _user(username, role)
        if user is None:
            print(f"  no {username} account: skipped")
            continue
        client = Client()
        client.force_login(user)
        bearer = {"Authorization": f"Bearer {issue_api_token(user=user)}"}
        for label, url, qs in cases_for(user):
            name = f"{username}: {label}"
            headers = bearer if url.startswith("/api/") else {}
            first = client.get(url, headers=headers)
            if first.status_code == 404:
                print(f"  {name}: not available yet (404)")
                rows.append({"name": name, "missing": True})
                continue
            assert first.status_code == 200, (url, first.status_code)

            def hit(client=client, url=url, headers=headers):
                response = client.get(url, headers=headers)
                assert response.status_code == 200, (url, response.status_code)

            samples = base.timed(hit, reps)
            run, sql, params = base.raw_sql(qs)
            raw = base.timed(run, reps)
            row = {
                "name": name, "target": TARGET_MS, "unit": "ms",
                "median": statistics.median(samples), "p95": base.p95(samples),
                "raw_median": statistics.median(raw), "raw_p95": base.p95(raw),
                "rows": len(run()),
            }  # fmt: skip
            rows.append(row)
            plans.append((name, sql, params, base.explain(sql, params)))
            print(base._format_row(row))
    return rows, plans


SIZE_TABLES = (
    "orgs_org",
    "members_member",
    "development_applicant",
    "development_steprecord",
    "development_vote",
    "development_activistreview",
    "development_document",
    "development_fileevent",
)


def sizes() -> dict:
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for table in SIZE_TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            out[table] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FILTER (WHERE state = 'open'), count(*) FILTER (WHERE overdue) "
            "FROM development_applicant"
        )
        out["open files"], out["overdue files"] = cursor.fetchone()
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        out["database"] = cursor.fetchone()[0]
    return out


def render(info, data, seed_seconds, seed_log, args, rows, plans) -> str:
    command = "python benchmarks/admissions.py" + (" --skip-seed" if args.skip_seed else "")
    if args.scale != "city":
        command += f" --scale {args.scale}"
    lines = [
        BEGIN,
        "# Admissions benchmark (issue 4)",
        "",
        f"Produced by `{command}` (see the script's docstring). Pages and API: "
        f"{args.reps} repetitions after 3 warm-ups, through `django.test.Client` with a "
        "session login (the API with a bearer token), DEBUG off, times in ms, p95 "
        "nearest-rank; *raw SQL* runs the page's main query (compiled from the selector's "
        "queryset) on a cursor; ratio = median / "
        f"raw-SQL median. Reference mark: p95 ≤ {TARGET_MS} ms.",
        "",
        f"- date: {info['date']}; CPU: {info['nproc']} × {info['cpu']}; memory {info['memory']}",
        f"- PostgreSQL {info['postgres']}; Python {info['python']}; Django {info['django']}",
        f"- load average (1/5/15 min): {info['load']} — the machine is shared with other "
        "sessions' test runs, which inflates every figure",
        f"- data (scale `{args.scale}`): "
        + ", ".join(f"{k.split('_', 1)[-1]} {v:,}" for k, v in data.items() if k != "database")
        + f"; database {data['database']}",
        "",
        "## Seeding",
        "",
    ]
    if seed_seconds is None:
        lines.append(
            f"`tongxin seed --scale {args.scale}`: not timed in this run (already seeded)."
        )
    else:
        lines.append(f"`tongxin seed --scale {args.scale}`: **{seed_seconds:.0f} s** in all.")
    if seed_log:
        lines += ["", "```", *seed_log, "```"]
    lines += [
        "",
        "## Results",
        "",
        "| scenario | median | p95 | mark | | raw SQL median | raw p95 | rows | ratio |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        if r.get("missing"):
            lines.append(f"| {r['name']} | not available yet | | | | | | | |")
            continue
        ratio = f"{r['median'] / r['raw_median']:.1f}×" if r.get("raw_median") else ""
        ok = "✅" if r["p95"] <= r["target"] else "❌"
        lines.append(
            f"| {r['name']} | {r['median']:.1f} ms | {r['p95']:.1f} ms | {r['target']} ms | {ok} "
            f"| {r['raw_median']:.2f} ms | {r['raw_p95']:.2f} ms | {r.get('rows', '')} | {ratio} |"
        )
    lines += ["", "## Query plans of the main queries", ""]
    lines += base.plans_markdown(plans)
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_results(section: str) -> None:
    base.write_section(section, BEGIN, END)


def main() -> int:
    args = parse_args()
    url = args.db
    if not url.startswith(("postgres://", "postgresql://")):
        print("the admissions benchmark needs PostgreSQL (--db postgres://…)", file=sys.stderr)
        return 2
    os.environ["DATABASE_URL"] = url
    base.ensure_database(url, fresh=args.fresh)
    os.environ.update(base.BENCH_ENV)
    sys.path.insert(0, str(ROOT / "src"))
    print("migrating …")
    base.tongxin("migrate", "--no-input")

    import django

    django.setup()
    from django.db import connection

    from tongxin.orgs.models import Org

    seed_seconds, seed_log = None, []
    if args.skip_seed or Org.objects.exists():
        print("already seeded: seeding not timed (use --fresh to time it)")
    else:
        print(f"seeding {args.scale} …")
        start = time.perf_counter()
        done = base.tongxin("seed", "--scale", args.scale, env={"DEBUG": "1"})
        seed_seconds = time.perf_counter() - start
        seed_log = [
            line for line in done.stdout.splitlines()
            if line.startswith(("Organisations", "  ", "Members", "Admission", "Seeded"))
        ]  # fmt: skip
        print(f"seeded in {seed_seconds:.1f} s")
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    data = sizes()
    print(data)
    load_before = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    if available("tongxin.development.selectors", "file_queryset"):
        print("admission pages and API …")
        rows, plans = page_cases(args.reps)
    else:
        print("  development selectors: not available yet")
        rows, plans = [{"name": "admission pages and API", "missing": True}], []
    info = base.machine_info()
    info["load"] = f"{load_before} before, {info['load']} after"
    section = render(info, data, seed_seconds, seed_log, args, rows, plans)
    print()
    print(section.split("## Query plans")[0])
    if not args.no_write:
        write_results(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
