"""Members benchmarks (issue 3): member list and search pages, one month of dues for the whole
city, lapse detection for the whole city — each beside the raw SQL of the same work.

How to run (PostgreSQL only; not part of the test suite):

    .venv/bin/python benchmarks/members.py                 # seeds the city first (~5–15 min)
    .venv/bin/python benchmarks/members.py --skip-seed     # reuse the data already there

Options: --db URL (default postgres://postgres@127.0.0.1:5432/tongxin_bench_members; or
DATABASE_URL) · --scale city|district (default city) · --reps N (pages, default 30) ·
--heavy-reps N (dues generation and lapse detection, default 3) · --fresh (drop and
recreate the database first) · --no-write (print only; do not touch benchmarks/RESULTS.md)
· --only list,dues,lapse.

What it does (the setup follows benchmarks/run.py and reuses its helpers):
1. creates the database if missing, `tongxin migrate`;
2. times `tongxin seed --scale <scale>` in a subprocess with DEBUG=1, unless the database
   already holds organisations or --skip-seed (the members seeder prints its own phases);
3. in this process (DEBUG off), measures:
   - GET /members/ and the searches (a common name, its pinyin initials, an ID tail, a
     phone tail) as the district administrator and as a community administrator, through
     `django.test.Client` — median and p95 of N repetitions after 3 warm-ups, beside the
     selector's queryset run as raw SQL on a cursor (ratio = page median / SQL median);
   - `services.dues.generate_month(actor=district admin, org=root, month=REFERENCE_DATE)`
     (the month after the seeded ledger) — each repetition in a transaction rolled back
     afterwards, beside one `INSERT … SELECT` computing the same rows in SQL;
   - `services.lapse.run_detection(today=…)` for the whole tree — first run (no flags yet)
     and the next day's run (flags exist), rolled back, beside a gaps-and-islands SQL
     query that finds the same runs of six unpaid months;
   - EXPLAIN (ANALYZE, BUFFERS) of each page's main query;
4. replaces the "Members" section of benchmarks/RESULTS.md (between the markers below) with
   the figures; the rest of the file (benchmarks/run.py's output) is kept.

Targets (issue 3): list and search p95 ≤ 150 ms; one month of dues for the city ≤ 120 s;
lapse detection for the city ≤ 60 s.
"""

import argparse
import importlib.util
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tongxin_bench_members"
BEGIN, END = "<!-- members benchmark: begin -->", "<!-- members benchmark: end -->"

_spec = importlib.util.spec_from_file_location("bench_run", HERE / "run.py")
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)  # ensure_database, timed, p95, raw_sql, explain, machine_info


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("DATABASE_URL") or DEFAULT_URL)
    parser.add_argument("--scale", choices=["city", "district"], default="city")
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--heavy-reps", type=int, default=3)
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--only", default="list,dues,lapse")
    parser.add_argument(
        "--no-trgm",
        dest="trgm",
        action="store_false",
        help="do not re-measure the searches with a trigram index (created, then rolled back)",
    )
    return parser.parse_args()


def available(module: str, name: str) -> bool:
    try:
        mod = __import__(module, fromlist=[name])
    except ImportError:
        return False
    return callable(getattr(mod, name, None))


# --- list and search ------------------------------------------------------------------------


def _user(username: str, role: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=username, role_assignments__role=role).first()


def _terms(user):
    """The most common two-character and three-character names in the user's scope, the
    pinyin initials of the latter, an ID tail and a phone tail."""
    from django.db.models import Count
    from django.db.models.functions import Length

    from tongxin.core.pinyin import search_key
    from tongxin.members.models import MEMBER_KEEPERS, Member

    visible = Member.objects.visible_to(user, MEMBER_KEEPERS)

    def common(length):
        row = (
            visible.annotate(length=Length("name"))
            .filter(length=length)
            .values("name")
            .annotate(n=Count("id"))
            .order_by("-n", "name")
            .first()
        )
        return row["name"] if row else ""

    short, name = common(2), common(3)
    initials = search_key(name).split()[-1]
    sample = visible.order_by("-id").values_list("id_tail", "phone_tail").first()
    return short, name, initials, sample[0], sample[1]


TRGM_INDEX = "CREATE INDEX member_search_trgm ON members_member USING gin (search_key gin_trgm_ops)"


def list_cases(reps: int, *, searches_only: bool = False, suffix: str = ""):
    from django.test import Client

    from tongxin.members.selectors import registry as selectors

    cases = []
    for username, role in (("district_admin", "district_admin"),
                           ("community_admin", "community_admin")):  # fmt: skip
        user = _user(username, role)
        if user is None:
            print(f"  no {username} account: skipped")
            continue
        client = Client()
        client.force_login(user)
        short, name, initials, id_tail, phone_tail = _terms(user)
        for label, q in (
            ("list", ""),
            (f"name “{short}”", short),
            (f"name “{name}”", name),
            (f"initials “{initials}”", initials),
            (f"ID tail “{id_tail}”", id_tail),
            (f"phone tail “{phone_tail}”", phone_tail),
        ):
            if searches_only and not (label.startswith(("name", "initials"))):
                continue
            url = "/members/" + (f"?q={q}" if q else "")
            filters = selectors.MemberFilters(q=q)
            qs = (
                selectors.member_queryset(user, filters)
                .select_related("org")
                .defer("address", "search_key")
                .order_by("id")[: selectors.PAGE_SIZE + 1]
            )
            cases.append((f"{username}: GET /members/ {label}{suffix}", 150, url, client, qs))
    rows, plans = [], []
    for name, target, url, client, qs in cases:

        def page(client=client, url=url):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        samples = base.timed(page, reps)
        run, sql, params = base.raw_sql(qs)
        raw = base.timed(run, reps)
        row = {
            "name": name, "target": target, "unit": "ms",
            "median": statistics.median(samples), "p95": base.p95(samples),
            "raw_median": statistics.median(raw), "raw_p95": base.p95(raw), "rows": len(run()),
        }  # fmt: skip
        rows.append(row)
        plans.append((name, sql, params, base.explain(sql, params)))
        print(base._format_row(row))
    return rows, plans


# --- dues generation ------------------------------------------------------------------------

# The same rows as generate_month, computed by PostgreSQL in one statement (default policy,
# no reductions, no mid-month base lookups): a floor for what the service can reach.
DUES_SQL = """
INSERT INTO members_duesrecord
    (created_at, updated_at, member_id, org_id, month, category, base, rate, rule, amount_due,
     method, paid_by_proxy, proxy_name, proxy_consent)
SELECT now(), now(), m.id, m.org_id, %(month)s, m.dues_category, m.dues_base, q.rate,
       q.rule, round(CASE WHEN q.rate = 0 THEN q.flat ELSE m.dues_base * q.rate END, 2),
       '', false, '', false
FROM members_member m
JOIN orgs_org o ON o.id = m.org_id
CROSS JOIN LATERAL (SELECT
    CASE WHEN m.dues_category IN ('salaried', 'annual_salary', 'self_employed') THEN
             CASE WHEN m.dues_base <= 3000 THEN 0.005 WHEN m.dues_base <= 5000 THEN 0.01
                  WHEN m.dues_base <= 10000 THEN 0.015 ELSE 0.02 END
         WHEN m.dues_category = 'retired' THEN
             CASE WHEN m.dues_base <= 5000 THEN 0.005 ELSE 0.01 END
         ELSE 0 END AS rate,
    CASE WHEN m.dues_category = 'farmer' THEN 0.50 ELSE 0.20 END AS flat,
    m.dues_category || '_sql' AS rule) q
WHERE o.path LIKE %(path)s AND m.status = 'normal' AND m.admitted_on < %(next)s
  AND NOT EXISTS (SELECT 1 FROM members_duesrecord d WHERE d.member_id = m.id
                  AND d.month = %(month)s)
"""


def _rolled_back(fn):
    """Run fn() in a transaction that is rolled back; return (seconds, result). The deferred
    foreign-key checks a commit would run are forced inside the timing."""
    from django.db import connection, transaction

    with transaction.atomic():
        start = time.perf_counter()
        result = fn()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        seconds = time.perf_counter() - start
        transaction.set_rollback(True)
    return seconds, result


def dues_cases(heavy_reps: int):
    from django.db import connection

    from tongxin.members.rules.dues import add_months
    from tongxin.orgs.models import Org
    from tongxin.orgs.seed import REFERENCE_DATE

    if not available("tongxin.members.services.dues", "generate_month"):
        print("  generate_month: not available yet")
        return [{"name": "generate_month (whole city)", "missing": True}]
    from tongxin.members.services.dues import generate_month

    root = Org.objects.get(parent=None)
    actor = _user("district_admin", "district_admin")
    month = REFERENCE_DATE.replace(day=1)
    samples, created = [], None
    for _ in range(heavy_reps):
        seconds, created = _rolled_back(lambda: generate_month(actor=actor, org=root, month=month))
        samples.append(seconds)
        print(f"  generate_month: {seconds:.1f} s ({created} rows)")

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(
                DUES_SQL,
                {"month": month, "next": add_months(month, 1), "path": root.path + "%"},
            )
            return cursor.rowcount

    raw_samples = []
    for _ in range(heavy_reps):
        seconds, raw_rows = _rolled_back(raw)
        raw_samples.append(seconds)
        print(f"  INSERT … SELECT: {seconds:.1f} s ({raw_rows} rows)")
    return [
        {
            "name": f"generate_month (whole {root.name}, {month:%Y-%m})",
            "target": 120,
            "unit": "s",
            "median": statistics.median(samples),
            "p95": max(samples),
            "raw_median": statistics.median(raw_samples),
            "raw_p95": max(raw_samples),
            "rows": created,
        }
    ]


# --- lapse detection ------------------------------------------------------------------------

# Runs of six or more consecutive unpaid ended months in the 13-month window (gaps and
# islands), and the lost-contact members: what run_detection has to find.
LAPSE_SQL = """
WITH unpaid AS (
    SELECT d.member_id,
           (extract(year FROM d.month) * 12 + extract(month FROM d.month))::int AS idx
    FROM members_duesrecord d
    JOIN members_member m ON m.id = d.member_id
    WHERE m.status = 'normal' AND d.paid_on IS NULL AND d.amount_due > 0
      AND d.month >= %(start)s AND d.month < %(current)s
), islands AS (
    SELECT member_id, idx - row_number() OVER (PARTITION BY member_id ORDER BY idx) AS island
    FROM unpaid
)
SELECT member_id, count(*) FROM islands GROUP BY member_id, island HAVING count(*) >= 6
UNION ALL
SELECT id, 0 FROM members_member
WHERE status = 'normal' AND lost_contact_since <= %(six_months_ago)s
"""


def lapse_cases(heavy_reps: int):
    from django.db import connection

    from tongxin.members.rules.dues import add_months
    from tongxin.orgs.seed import REFERENCE_DATE

    if not available("tongxin.members.services.lapse", "run_detection"):
        print("  run_detection: not available yet")
        return [{"name": "run_detection (whole city)", "missing": True}]
    from tongxin.members.services.lapse import run_detection

    today = REFERENCE_DATE + timedelta(days=14)
    first, second, found = [], [], None
    for _ in range(heavy_reps):

        def both():
            start = time.perf_counter()
            result = run_detection(today=today)
            middle = time.perf_counter()
            run_detection(today=today + timedelta(days=1))
            return middle - start, time.perf_counter() - middle, result

        _total, (a, b, found) = _rolled_back(both)
        first.append(a)
        second.append(b)
        print(f"  run_detection: first {a:.1f} s, next day {b:.1f} s ({found})")
    current = today.replace(day=1)
    params = {
        "start": add_months(current, -13),
        "current": current,
        "six_months_ago": today - timedelta(days=183),
    }

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(LAPSE_SQL, params)
            return len(cursor.fetchall())

    raw_samples = []
    for _ in range(heavy_reps):
        start = time.perf_counter()
        rows = raw()
        raw_samples.append(time.perf_counter() - start)
    print(f"  gaps-and-islands SQL: {statistics.median(raw_samples):.2f} s ({rows} rows)")
    rows_found = found.get("flagged", "") if isinstance(found, dict) else found
    common = {"target": 60, "unit": "s", "raw_median": statistics.median(raw_samples),
              "raw_p95": max(raw_samples), "rows": rows_found}  # fmt: skip
    return [
        {"name": "run_detection (whole tree, no flags yet)", "median": statistics.median(first),
         "p95": max(first), **common},
        {"name": "run_detection (next day, flags exist)", "median": statistics.median(second),
         "p95": max(second), **common},
    ]  # fmt: skip


# --- report ---------------------------------------------------------------------------------


SIZE_TABLES = (
    "orgs_org",
    "members_member",
    "members_duesrecord",
    "members_duesbase",
    "members_transfer",
    "members_floatingrecord",
    "members_carecase",
)


def sizes() -> dict:
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for table in SIZE_TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            out[table] = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        out["database"] = cursor.fetchone()[0]
    return out


def render(info, data, seed_seconds, seed_log, args, rows, plans) -> str:
    lines = [
        BEGIN,
        "# Members benchmark (issue 3)",
        "",
        "Produced by `benchmarks/members.py` (see its docstring). Pages: "
        f"{args.reps} repetitions after 3 warm-ups, through `django.test.Client`, DEBUG off, "
        "times in ms, p95 nearest-rank; *raw SQL* runs the selector's queryset on a cursor. "
        f"Dues generation and lapse detection: {args.heavy_reps} runs each in a transaction "
        "rolled back afterwards, times in s, p95 = the slowest run; *raw SQL* does the same "
        "work in one statement (see the script). Ratio = median / raw-SQL median.",
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
            f"`tongxin seed --scale {args.scale}`: not timed in this run "
            "(already seeded; the city seed's figures are in FINDINGS.md, section 9)."
        )
    else:
        lines.append(f"`tongxin seed --scale {args.scale}`: **{seed_seconds:.0f} s** in all.")
    if seed_log:
        lines += ["", "```", *seed_log, "```"]
    lines += [
        "",
        "## Results",
        "",
        "| scenario | median | p95 | target | | raw SQL median | raw p95 | rows | ratio |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        if r.get("missing"):
            lines.append(f"| {r['name']} | not available yet | | | | | | | |")
            continue
        unit = r["unit"]
        fmt = (lambda v: f"{v:.1f} ms") if unit == "ms" else (lambda v: f"{v:.1f} s")
        raw_fmt = (lambda v: f"{v:.2f} ms") if unit == "ms" else (lambda v: f"{v:.2f} s")
        ratio = f"{r['median'] / r['raw_median']:.1f}×" if r.get("raw_median") else ""
        ok = "✅" if r["p95"] <= r["target"] else "❌"
        lines.append(
            f"| {r['name']} | {fmt(r['median'])} | {fmt(r['p95'])} | "
            f"{r['target']} {unit} | {ok} | {raw_fmt(r['raw_median'])} | "
            f"{raw_fmt(r['raw_p95'])} | {r.get('rows', '')} | {ratio} |"
        )
    lines += ["", "## Query plans of the pages", ""]
    lines += base.plans_markdown(plans)
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_results(section: str) -> None:
    base.write_section(section, BEGIN, END)


def main() -> int:
    args = parse_args()
    url = args.db
    if not url.startswith(("postgres://", "postgresql://")):
        print("the members benchmark needs PostgreSQL (--db postgres://…)", file=sys.stderr)
        return 2
    os.environ["DATABASE_URL"] = url
    base.ensure_database(url, fresh=args.fresh)
    # No SECRET_KEY of its own (unlike run.py): the field key derives from it, so the seed
    # subprocess and this process must share one — the environment's, else the
    # installation's (DATA_DIR/secret_key), as for any `tongxin` command.
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
            if line.startswith(("Organisations", "  ", "Members", "Seeded"))
        ]  # fmt: skip
        print(f"seeded in {seed_seconds:.1f} s")
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    data = sizes()
    print(data)
    load_before = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    only = set(args.only.split(","))
    rows, plans = [], []
    if "list" in only:
        print("member list and search …")
        if available("tongxin.members.selectors.registry", "member_queryset"):
            page_rows, plans = list_cases(args.reps)
            rows += page_rows
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'member_search_trgm'")
                in_schema = cursor.fetchone() is not None
            if in_schema:
                print("  (the schema has the trigram index member_search_trgm)")
            elif args.trgm:
                print("  … again with a pg_trgm GIN index on search_key (rolled back)")
                from django.db import transaction

                with transaction.atomic():
                    with connection.cursor() as cursor:
                        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                        cursor.execute(TRGM_INDEX)
                        cursor.execute("ANALYZE members_member")
                    trgm_rows, trgm_plans = list_cases(
                        args.reps, searches_only=True, suffix=" + trigram index"
                    )
                    transaction.set_rollback(True)
                rows += trgm_rows
                plans += trgm_plans
        else:
            print("  /members/: not available yet")
            rows.append({"name": "GET /members/ and search", "missing": True})
    if "dues" in only:
        print("dues generation …")
        rows += dues_cases(args.heavy_reps)
    if "lapse" in only:
        print("lapse detection …")
        rows += lapse_cases(args.heavy_reps)
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
