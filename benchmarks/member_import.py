"""Benchmark: Excel import of a 100,000-row member sheet (issue 3: ≤ 60 s, peak ≤ 400 MB).

How to run (PostgreSQL only; not part of the test suite):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tongxin_bench_import \
        .venv/bin/python benchmarks/member_import.py

Options: --rows N (default 100000) · --scale district|city (seeded when the database has no
organisations; default district) · --fresh (drop and recreate the database first) ·
--keep (leave the imported members in the database).

What it does:
1. creates the database if missing, `tongxin migrate`, `tongxin seed --scale <scale>`;
2. writes a sheet of N valid members (the template's columns; check-digit-correct ID numbers
   of region 110101, which the seed does not use; random names, so the pinyin cache helps
   no more than it would with real names; members spread over every branch) with
   openpyxl's write-only mode;
3. runs the import through `members.services.imports.import_members` as a district admin,
   in a fresh subprocess (DEBUG off), so the peak RSS (`ru_maxrss`) is the import's own;
4. prints rows, wall time, peak RSS, the phases' times and the machine; then deletes the
   imported members again (unless --keep) so the benchmark can be repeated.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tongxin_bench_import"
MARKER = "基准测试导入单位"  # work unit of every generated member (for the clean-up)
TARGET_SECONDS, TARGET_MB = 60, 400

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬建国志文斌海波宁辉鹏飞云峰林浩然晓东晨阳雪梅春燕丹凤俊杰子涵欣怡梓轩一诺宇轩思远嘉怡"  # noqa: E501


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--scale", choices=["district", "city"], default="district")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--sheet", help="keep the generated sheet here (reused if present)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: the subprocess
    return parser.parse_args()


def setup_env() -> None:
    os.environ.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-secret-key-" + "x" * 40,
            "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "TONGXIN_REQUIRE_ADMIN_2FA": "0",
            "TONGXIN_MEMBER_IMPORT_MAX_ROWS": os.environ.get(
                "TONGXIN_MEMBER_IMPORT_MAX_ROWS", "200000"
            ),
            "DJANGO_SETTINGS_MODULE": "tongxin.settings",
        }
    )
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(HERE))


def id_number(birth: date, order: int) -> str:
    from tongxin.core.codes import id_check_char

    body = f"110101{birth:%Y%m%d}{order:03d}"
    return body + id_check_char(body)


def write_sheet(path: Path, rows: int, codes: list[str]) -> None:
    from openpyxl import Workbook

    from tongxin.members import excel
    from tongxin.members.rules.registry import add_years

    rng = random.Random(20260601)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(excel.SHEET_TITLE)
    ws.append([c.header for c in excel.COLUMNS])
    start = date(1950, 1, 1)
    days = 17000  # birth dates 1950-01-01 .. 1996-07
    educations = list(excel.EDUCATION_LABELS.values())
    occupations = list(excel.OCCUPATION_LABELS.values())
    for n in range(rows):
        birth = start + timedelta(days=n % days)
        order = (n // days) * 2 + (1 if rng.random() < 0.6 else 0)  # unique with the birth
        applied = birth + timedelta(days=365 * 18 + 30 + rng.randint(0, 3000))
        admitted = applied + timedelta(days=rng.randint(200, 900))
        if admitted > date(2026, 5, 1):
            admitted = date(2026, 5, 1)
            applied = min(applied, admitted - timedelta(days=200))
        probationary = admitted > date(2025, 10, 1)  # full members: a year on, before today
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))
        ws.append(
            [
                name,
                "男" if order % 2 else "女",
                "汉族",
                birth,
                id_number(birth, order),
                f"13{rng.randrange(10**9):09d}",
                rng.choice(educations),
                rng.choice(occupations),
                "否",
                "是" if rng.random() < 0.1 else "否",
                "否",
                "是" if rng.random() < 0.2 else "否",
                MARKER,
                f"鼓楼区示例路{rng.randint(1, 999)}号{rng.randint(1, 30)}栋{rng.randint(101, 808)}",
                rng.choice(codes),
                "预备党员" if probationary else "正式党员",
                applied,
                admitted,
                None if probationary else add_years(admitted, 1) + timedelta(rng.randint(0, 20)),
                "王一、陈二",
                "",
                "离退休人员" if birth.year < 1962 else "在职人员",
                f"{rng.randint(1500, 20000)}.{rng.randint(0, 99):02d}",
            ]
        )
    wb.save(path)


def measure(path: str) -> int:
    """The measured run, in its own process: prints one JSON line."""
    import resource

    setup_env()
    import django

    django.setup()
    from run import bench_user

    from tongxin.members.services import imports

    user = bench_user()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu = time.process_time()
    phases = {}
    real_write = imports._write

    def timed_write(*args, **kwargs):
        phases["validated_at"] = time.perf_counter() - start
        return real_write(*args, **kwargs)

    imports._write = timed_write
    start = time.perf_counter()
    with open(path, "rb") as handle:
        result = imports.import_members(actor=user, fileobj=handle, filename=Path(path).name)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "rows": result.rows,
                "created": result.created,
                "errors": [e.as_dict() for e in result.errors[:5]],
                "error_count": result.error_count,
                "seconds": round(seconds, 1),
                "cpu_seconds": round(cpu, 1),
                "load": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
                "validate_seconds": round(phases.get("validated_at", seconds), 1),
                "peak_mb": round(peak),
                "baseline_mb": round(baseline),
            },
            ensure_ascii=False,
        )
    )
    return 0


def cleanup() -> int:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        ids = "SELECT id FROM members_member WHERE work_unit = %s"
        for table in ("members_statuschange", "members_duesbase"):
            cursor.execute(f"DELETE FROM {table} WHERE member_id IN ({ids})", [MARKER])
        cursor.execute("DELETE FROM members_member WHERE work_unit = %s", [MARKER])
        return cursor.rowcount


def main() -> int:
    args = parse_args()
    if args.measure:
        return measure(args.measure)
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        print("DATABASE_URL must point at PostgreSQL", file=sys.stderr)
        return 2
    setup_env()
    from run import ensure_database, machine_info, tongxin

    ensure_database(url, fresh=args.fresh)
    print("migrating …")
    tongxin("migrate", "--no-input")
    import django

    django.setup()
    from django.db import connection

    from tongxin.members.models import Member
    from tongxin.members.services.registry import MEMBER_ORG_TYPES
    from tongxin.orgs.models import Org

    if not Org.objects.exists():
        print(f"seeding {args.scale} …")
        started = time.perf_counter()
        tongxin("seed", "--scale", args.scale, env={"DEBUG": "1"})
        print(f"seeded in {time.perf_counter() - started:.0f} s")
    removed = cleanup()
    if removed:
        print(f"removed {removed} members of an earlier run")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    codes = list(
        Org.objects.filter(type__in=MEMBER_ORG_TYPES, active=True).values_list("code", flat=True)
    )
    members_before = Member.objects.count()
    print(f"{len(codes)} organisations hold members; {members_before} members already there")
    info = machine_info()
    connection.close()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.sheet) if args.sheet else Path(tmp) / "党员导入基准.xlsx"
        if not path.exists():
            started = time.perf_counter()
            write_sheet(path, args.rows, codes)
            print(
                f"sheet of {args.rows} rows written in {time.perf_counter() - started:.0f} s "
                f"({path.stat().st_size / 2**20:.1f} MB)"
            )
        done = subprocess.run(
            [sys.executable, __file__, "--measure", str(path)],
            env=os.environ.copy(),
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps(figures, ensure_ascii=False, indent=2))
    verdict = (
        "MET"
        if figures["created"] == args.rows
        and figures["seconds"] <= TARGET_SECONDS
        and figures["peak_mb"] <= TARGET_MB
        else "MISSED"
    )
    print(
        f"\nmember import: {figures['rows']} rows, {figures['created']} created in "
        f"{figures['seconds']} s (validation {figures['validate_seconds']} s; CPU of the "
        f"importing process {figures['cpu_seconds']} s; load {figures['load']}), peak RSS "
        f"{figures['peak_mb']} MB (after start-up {figures['baseline_mb']} MB) — target "
        f"≤ {TARGET_SECONDS} s and ≤ {TARGET_MB} MB: {verdict}"
    )
    print(
        f"machine: {info['nproc']} cores, {info['memory']}, {info['cpu']}; PostgreSQL "
        f"{info['postgres']}; Python {info['python']}; Django {info['django']}"
    )
    if not args.keep:
        print(f"cleaned up {cleanup()} imported members")
    return 0 if verdict == "MET" else 1


if __name__ == "__main__":
    sys.exit(main())
