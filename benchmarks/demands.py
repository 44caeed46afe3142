"""Demands benchmark (issue 6, "Performance"): intake throughput of the portal and Open311
under a real server, the demand list and the measures pages for a street and for the
district, and the overdue check over all open demands — at city scale (≈ 5 million demands).

How to run (PostgreSQL only; not part of the test suite; needs `wrk` from Debian and
gunicorn — `pip install gunicorn==27.0.1`, pinned in pyproject's test extra):

    .venv/bin/python benchmarks/demands.py                # seeds the city first (~20–30 min)
    .venv/bin/python benchmarks/demands.py --skip-seed    # reuse the data already there

Options: --db URL (default postgres://postgres@127.0.0.1:5432/tongxin_bench_demands; or
DATABASE_URL) · --scale city|district (default city) · --reps N (default 30) · --fresh (drop
and recreate the database first) · --only intake,pages,overdue (default all) · --workers
2,4 (gunicorn worker counts to try) · --duration S (seconds per wrk run, default 20) ·
--connections N (wrk connections, default 16) · --seed-log FILE (a seed log to quote when
the seed ran outside this script) · --no-write (print only).

What it does:
1. creates the database if missing, `tongxin migrate`; times `tongxin seed --scale <scale>`
   (DEBUG=1, a subprocess) unless the database already holds organisations or --skip-seed;
2. intake: starts `gunicorn tongxin.wsgi` (sync workers, DEBUG off, rate limits lifted for
   the run) and drives it with `wrk` (2 threads, keep-alive): POST
   /open311/v2/requests.json with the seeded Open311 client's api_key (random service codes
   and points inside the district's grids, so each request is located in a grid), then POST
   /portal/ (the resident form; CSRF cookie and token sent as a browser would). Reports
   requests/s, latency percentiles and non-2xx/3xx answers; the demands written are deleted
   afterwards. Target: ≥ 300 requests/s with p99 ≤ 150 ms on 2 cores;
3. pages (in this process, `django.test.Client`, DEBUG off, N repetitions after 3 warm-ups)
   as the district administrator and as a street administrator: GET /demands/, and the
   measures page for October (by department) and for the whole seeded year (by street for
   the district, by community for the street); beside each the page's slowest query run
   as raw SQL on a cursor (ratio = page median / SQL median) and its EXPLAIN (ANALYZE,
   BUFFERS). Target: p95 ≤ 200 ms;
4. the overdue check: services.check_overdue over all open demands at the seeded "now"
   (nothing new to flag: the scan) and one working day later (thousands newly overdue:
   flags, events, notices), each in a transaction rolled back. Target ≤ 5 s;
5. replaces the "Demands" section of benchmarks/RESULTS.md (between the markers below).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tongxin_bench_demands"
BEGIN, END = "<!-- demands benchmark: begin -->", "<!-- demands benchmark: end -->"
PAGE_TARGET_MS = 200
INTAKE_RPS, INTAKE_P99_MS = 300, 150
OVERDUE_TARGET_S = 5
PORT = 8765
CSRF = "d5benchcsrfsecret0123456789abcde"  # 32 characters: a CSRF secret as a cookie

_spec = importlib.util.spec_from_file_location("bench_run", HERE / "run.py")
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)  # ensure_database, timed, p95, explain, machine_info


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("DATABASE_URL") or DEFAULT_URL)
    parser.add_argument("--scale", choices=["city", "district"], default="city")
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--only", default="intake,pages,overdue")
    parser.add_argument("--workers", default="2,4")
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seed-log", default="")
    return parser.parse_args()


# --- intake ---------------------------------------------------------------------------------

OPEN311_LUA = """
math.randomseed(42)
local codes = {%(codes)s}
local points = {%(points)s}
local n = 0
request = function()
  n = n + 1
  local c = codes[math.random(#codes)]
  local p = points[math.random(#points)]
  local body = "api_key=%(key)s&service_code=" .. c .. "&lat=" .. p[2] .. "&long=" .. p[1]
    .. "&description=bench+%%E8%%B7%%AF%%E7%%81%%AF%%E4%%B8%%8D%%E4%%BA%%AE+" .. n
    .. "&first_name=%%E5%%BB%%BA%%E5%%8D%%8E&last_name=%%E6%%9E%%97&phone=13800138000"
  return wrk.format("POST", "/open311/v2/requests.json",
    {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
"""

PORTAL_LUA = """
math.randomseed(7)
local cats = {%(cats)s}
local points = {%(points)s}
local n = 0
request = function()
  n = n + 1
  local c = cats[math.random(#cats)]
  local p = points[math.random(#points)]
  local body = "csrfmiddlewaretoken=%(csrf)s&category=" .. c .. "&latitude=" .. p[2]
    .. "&longitude=" .. p[1] .. "&address=&community="
    .. "&description=%%E6%%A5%%BC%%E9%%81%%93%%E7%%81%%AF%%E5%%9D%%8F%%E4%%BA%%86+bench+" .. n
    .. "&contact_name=&phone=13800138000"
  return wrk.format("POST", "/portal/", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=%(csrf)s",
    ["Referer"] = "http://127.0.0.1:%(port)d/portal/",
  }, body)
end
"""


def _intake_inputs():
    """Leaf service codes, their category ids, and points inside grids (lon, lat)."""
    from tongxin.demands.models import Category
    from tongxin.grid.models import Grid

    leaves = list(
        Category.objects.filter(active=True, children__isnull=True).values_list("code", "pk")
    )
    points = []
    for boundary in Grid.objects.order_by("id").values_list("boundary", flat=True)[:400]:
        try:
            ring = boundary["coordinates"][0]
        except (TypeError, KeyError, IndexError):
            continue
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        points.append(((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2))
    return leaves, points


def _server(workers: int, env: dict):
    cmd = [
        str(Path(sys.executable).parent / "gunicorn"), "tongxin.wsgi:application",
        "--workers", str(workers), "--bind", f"127.0.0.1:{PORT}", "--worker-class", "sync",
        "--log-level", "warning", "--timeout", "60",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    import urllib.request

    for _ in range(100):
        time.sleep(0.3)
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2).read()
            return proc
        except OSError:
            continue
    os.killpg(proc.pid, signal.SIGTERM)
    raise RuntimeError("gunicorn did not start")


def _stop(proc) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def _wrk(script: str, *, duration: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
        path = f.name
    try:
        done = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", path,
             f"http://127.0.0.1:{PORT}"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        os.unlink(path)
    return _parse_wrk(done.stdout)


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _parse_wrk(out: str) -> dict:
    result = {"raw": out}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    result["rps"] = float(m.group(1)) if m else 0.0
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        result[f"p{pct}"] = _ms(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in", out)
    result["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["errors"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", out)
    result["socket_errors"] = m.group(1).strip() if m else ""
    return result


def intake_cases(args) -> list[dict]:
    from django.db import connection

    from tongxin.demands.models import Demand, Open311Client
    from tongxin.demands.seed import OPEN311_DEMO_KEY

    if shutil.which("wrk") is None:
        print("  wrk not installed (apt-get install wrk): intake skipped")
        return []
    client = Open311Client.objects.filter(active=True).first()
    key = OPEN311_DEMO_KEY
    if client is None or not Open311Client.objects.filter(active=True, key_hint=key[-4:]):
        from tongxin.demands.open311.clients import create_client

        client, key = create_client(actor="benchmark", name="benchmark client")
    leaves, points = _intake_inputs()
    lua_points = ", ".join(f"{{{lon:.6f}, {lat:.6f}}}" for lon, lat in points)
    open311 = OPEN311_LUA % {
        "codes": ", ".join(f'"{code}"' for code, _pk in leaves),
        "points": lua_points,
        "key": key,
    }
    portal = PORTAL_LUA % {
        "cats": ", ".join(str(pk) for _code, pk in leaves),
        "points": lua_points,
        "csrf": CSRF,
        "port": PORT,
    }
    first_new = (Demand.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    connection.close()
    env = {
        **os.environ,
        "DEBUG": "0",
        "TONGXIN_OPEN311_POST_RATE": "100000000/h",
        "TONGXIN_OPEN311_KEY_RATE": "100000000/h",
        "TONGXIN_PORTAL_SUBMIT_RATE": "100000000/h",
        "TONGXIN_PORTAL_TRACK_RATE": "100000000/h",
    }
    rows = []
    try:
        for workers in [int(w) for w in args.workers.split(",") if w]:
            proc = _server(workers, env)
            try:
                for label, script in (
                    ("POST /open311/v2/requests.json", open311),
                    ("POST /portal/ (form, 302 to the receipt)", portal),
                ):
                    _wrk(script, duration=3, connections=args.connections)  # warm-up
                    r = _wrk(script, duration=args.duration, connections=args.connections)
                    r.update(name=f"{label} — gunicorn {workers} sync workers", workers=workers)
                    rows.append(r)
                    print(
                        f"  {r['name']}: {r['rps']:.0f} req/s, p50 {r['p50']} ms, "
                        f"p99 {r['p99']} ms, non-2xx/3xx {r['errors']} of {r['requests']}"
                    )
            finally:
                _stop(proc)
    finally:
        _cleanup(first_new)
    return rows


def _cleanup(first_new: int) -> None:
    """Delete what the intake runs wrote (demands, their events, notices, outbound texts)."""
    from django.db import connection, transaction

    from tongxin.demands.models import Demand

    with transaction.atomic():
        ids = Demand.objects.filter(pk__gte=first_new)
        n = ids.count()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM demands_demandevent WHERE demand_id >= %s", [first_new])
            cursor.execute("DELETE FROM demands_photo WHERE demand_id >= %s", [first_new])
            cursor.execute("DELETE FROM demands_demand WHERE id >= %s", [first_new])
    print(f"  removed {n} demands written by the intake runs")


# --- pages ----------------------------------------------------------------------------------


def _user(username: str, role: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=username, role_assignments__role=role).first()


def page_cases(reps: int):
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    month = "start=2026-10-01&end=2026-10-31"
    year = "start=2025-11-01&end=2026-10-31"
    rows, plans = [], []
    for username, role, group in (
        ("district_admin", "district_admin", "street"),
        ("street_admin", "street_admin", "community"),
    ):
        user = _user(username, role)
        if user is None:
            print(f"  no {username} account: skipped")
            continue
        client = Client()
        client.force_login(user)
        for label, url in (
            ("GET /demands/", "/demands/"),
            ("GET /demands/?overdue=1", "/demands/?overdue=1"),
            ("measures, October, by department", f"/demands/measures/?{month}&by=department"),
            (f"measures, the year, by {group}", f"/demands/measures/?{year}&by={group}"),
        ):
            name = f"{username}: {label}"
            client.get(url)  # warm the process (templates, imports)
            cache.clear()  # the first request computes (cold); later ones may hit the cache
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as ctx:
                first = client.get(url)
            cold = (time.perf_counter() - started) * 1000
            captured = list(ctx.captured_queries)  # the next request resets the log
            if first.status_code != 200:
                print(f"  {name}: answered {first.status_code}, skipped")
                rows.append({"name": name, "missing": first.status_code})
                continue

            def hit(client=client, url=url):
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)

            samples = base.timed(hit, reps)
            selects = [q for q in captured if q["sql"].lstrip().upper().startswith("SELECT")]
            sql = max(selects, key=lambda q: float(q["time"]))["sql"]

            def raw(sql=sql):
                with connection.cursor() as cursor:
                    cursor.execute(sql)
                    return cursor.fetchall()

            raw_samples = base.timed(raw, min(reps, 10))
            row = {
                "name": name, "url": url, "target": PAGE_TARGET_MS,
                "median": statistics.median(samples), "p95": base.p95(samples),
                "raw_median": statistics.median(raw_samples), "raw_p95": base.p95(raw_samples),
                "queries": len(captured), "rows": len(raw()), "cold": cold,
            }  # fmt: skip
            rows.append(row)
            plans.append((name, sql, base.explain(sql, None)))
            print(
                f"  {name}: cold {cold:.0f} ms, median {row['median']:.1f} ms, "
                f"p95 {row['p95']:.1f} ms; slowest "
                f"query {row['raw_median']:.1f} ms; {row['queries']} queries"
            )
    return rows, plans


# --- the overdue check ---------------------------------------------------------------------


def overdue_cases() -> list[dict]:
    from datetime import timedelta

    from django.db import transaction

    from tongxin.demands import rules
    from tongxin.demands.models import Demand
    from tongxin.demands.seed import REFERENCE_NOW
    from tongxin.demands.services import check_overdue

    open_count = Demand.objects.filter(state__in=sorted(rules.OPEN_STATES)).count()
    watched = Demand.objects.filter(
        state__in=sorted(rules.OPEN_STATES | rules.VISIT_CLOCK_STATES)
    ).count()
    rows = []
    for label, now in (
        ("at the seeded now (nothing new)", REFERENCE_NOW),
        ("one day later (newly overdue)", REFERENCE_NOW + timedelta(days=1)),
    ):
        samples, result = [], None
        for _ in range(3):
            try:
                with transaction.atomic():
                    start = time.perf_counter()
                    result = check_overdue(now=now)
                    samples.append(time.perf_counter() - start)
                    raise _Rollback
            except _Rollback:
                pass
        row = {
            "name": f"check_overdue {label}", "seconds": statistics.median(samples),
            "max": max(samples), "result": result, "open": open_count, "watched": watched,
        }  # fmt: skip
        rows.append(row)
        print(f"  {row['name']}: {row['seconds']:.2f} s (max {row['max']:.2f}) → {result}")
    return rows


class _Rollback(Exception):
    pass


# --- report ---------------------------------------------------------------------------------


def sizes() -> dict:
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for table in ("orgs_org", "grid_grid", "demands_demand", "demands_demandevent",
                      "demands_escalation", "demands_summons", "demands_supervision"):  # fmt: skip
            cursor.execute(f"SELECT count(*) FROM {table}")
            out[table] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FILTER (WHERE state IN ('pending','accepted','dispatched',"
            "'handling','returned','escalated','reopened')), count(*) FILTER (WHERE overdue) "
            "FROM demands_demand"
        )
        out["open demands"], out["overdue demands"] = cursor.fetchone()
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        out["database"] = cursor.fetchone()[0]
    return out


def render(info, data, seed_seconds, seed_log, args, intake, pages, plans, overdue) -> str:
    command = "python benchmarks/demands.py" + (" --skip-seed" if args.skip_seed else "")
    if args.scale != "city":
        command += f" --scale {args.scale}"
    lines = [
        BEGIN,
        "# Demands benchmark (issue 6)",
        "",
        f"Produced by `{command}` (see the script's docstring for what each figure is).",
        "",
        f"- date: {info['date']}; CPU: {info['nproc']} × {info['cpu']}; memory {info['memory']}",
        f"- PostgreSQL {info['postgres']}; Python {info['python']}; Django {info['django']}",
        f"- load average (1/5/15 min) at the start: {info['load']} — the two cores are shared "
        "with other sessions' work, which inflates every figure",
        f"- data (scale `{args.scale}`): "
        + ", ".join(f"{k.split('_', 1)[-1]} {v:,}" for k, v in data.items() if k != "database")
        + f"; database {data['database']}",
        "",
        "## Seeding",
        "",
    ]
    if seed_seconds is None:
        lines.append(f"`tongxin seed --scale {args.scale}`: not timed by this run.")
    else:
        lines.append(f"`tongxin seed --scale {args.scale}`: **{seed_seconds:.0f} s** in all.")
    if seed_log:
        lines += ["", "```", *seed_log, "```"]
    lines += ["", "## Intake throughput (gunicorn + wrk, same machine)", ""]
    if intake:
        lines += [
            f"wrk: 2 threads, {args.connections} keep-alive connections, {args.duration} s per "
            f"run after a 3 s warm-up; target ≥ {INTAKE_RPS} requests/s with p99 ≤ "
            f"{INTAKE_P99_MS} ms. wrk itself runs on the same two cores.",
            "",
            "| scenario | requests/s | p50 | p90 | p99 | mark | non-2xx/3xx | requests |",
            "|---|---:|---:|---:|---:|---|---:|---:|",
        ]
        for r in intake:
            ok = "✅" if r["rps"] >= INTAKE_RPS and (r["p99"] or 1e9) <= INTAKE_P99_MS else "❌"
            lines.append(
                f"| {r['name']} | {r['rps']:.0f} | {r['p50']:.1f} ms | {r['p90']:.1f} ms | "
                f"{r['p99']:.1f} ms | {ok} | {r['errors']} | {r['requests']} |"
            )
    else:
        lines.append("Not run.")
    lines += ["", "## Pages (django.test.Client, in process)", ""]
    if pages:
        lines += [
            f"{args.reps} repetitions after 3 warm-ups, DEBUG off, times in ms, p95 nearest-rank;"
            " *slowest query* is the page's slowest SQL statement run again on a cursor; "
            f"ratio = page median / that query's median. Target p95 ≤ {PAGE_TARGET_MS} ms. "
            "*first* is the first request of the scenario with an empty cache: the measures "
            'page keeps its grouped counts for 5 minutes (TONGXIN["DEMAND_MEASURES_CACHE_'
            'SECONDS"]), so its median/p95 are cache hits and *first* is the computation.',
            "",
            "| scenario | first | median | p95 | mark | slowest query median | queries | ratio |",
            "|---|---:|---:|---:|---|---:|---:|---:|",
        ]
        for r in pages:
            if r.get("missing"):
                lines.append(f"| {r['name']} | answered {r['missing']} | | | | | | |")
                continue
            ok = "✅" if r["p95"] <= r["target"] else "❌"
            if ok == "✅" and r["cold"] > r["target"]:
                ok = "⚠️ cache hits only"
            lines.append(
                f"| {r['name']} | {r['cold']:.0f} | {r['median']:.1f} | {r['p95']:.1f} | {ok} | "
                f"{r['raw_median']:.1f} | {r['queries']} | {r['median'] / r['raw_median']:.1f}× |"
            )
    else:
        lines.append("Not run.")
    lines += ["", "## The overdue check", ""]
    if overdue:
        lines += [
            f"services.check_overdue, median of 3 runs, each rolled back; target ≤ "
            f"{OVERDUE_TARGET_S} s. Open demands: {overdue[0]['open']:,}; demands under a "
            f"clock (open, closed or rated): {overdue[0]['watched']:,}.",
            "",
            "| run | median | max | mark | result |",
            "|---|---:|---:|---|---|",
        ]
        for r in overdue:
            ok = "✅" if r["seconds"] <= OVERDUE_TARGET_S else "❌"
            lines.append(
                f"| {r['name']} | {r['seconds']:.2f} s | {r['max']:.2f} s | {ok} | {r['result']} |"
            )
    else:
        lines.append("Not run.")
    if plans:
        lines += ["", "## Query plans of the pages' slowest queries", ""]
        for name, sql, plan in plans:
            lines += [f"<details><summary>{name}</summary>", "", "```sql", sql, "```", "",
                      "```", plan, "```", "", "</details>", ""]  # fmt: skip
    lines.append(END)
    return "\n".join(lines) + "\n"


def write_results(section: str) -> None:
    base.write_section(section, BEGIN, END)


def main() -> int:
    args = parse_args()
    url = args.db
    if not url.startswith(("postgres://", "postgresql://")):
        print("the demands benchmark needs PostgreSQL (--db postgres://…)", file=sys.stderr)
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
        seed_log = done.stdout.splitlines()
        print(f"seeded in {seed_seconds:.1f} s")
    if args.seed_log and Path(args.seed_log).exists():
        seed_log = Path(args.seed_log).read_text(encoding="utf-8").splitlines()
        m = next((re.search(r"in ([\d.]+) s:", x) for x in seed_log if "Seeded" in x), None)
        seed_seconds = float(m.group(1)) if m else seed_seconds
    seed_log = [
        line[:400] for line in seed_log
        if line.startswith(("Organisations", "  ", "Members", "Admission", "Grids", "Demands",
                            "Seeded", "real"))
        and not line.startswith("  Open311 demo")
    ]  # fmt: skip
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    info = base.machine_info()
    data = sizes()
    print(data)
    only = set(args.only.split(","))
    intake, pages, plans, overdue = [], [], [], []
    if "intake" in only:
        print("intake …")
        intake = intake_cases(args)
    if "pages" in only:
        print("pages …")
        pages, plans = page_cases(args.reps)
    if "overdue" in only:
        print("overdue check …")
        overdue = overdue_cases()
    section = render(info, data, seed_seconds, seed_log, args, intake, pages, plans, overdue)
    if args.no_write:
        print(section)
    else:
        write_results(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
