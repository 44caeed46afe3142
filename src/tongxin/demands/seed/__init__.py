"""Demo and benchmark demands for `tongxin seed` (issue 6 item 11, the demands part).

Departments (district bureaus and utilities, and one city-management squad per street) with
their handlers, routing rules (category × area, some handled by the community itself), an
Open311 client, and a year of demands before `REFERENCE_NOW` from every channel, each
walked through the state machine (rules.ACTIONS) with the workflow's own clocks: the
acceptance time in working hours, the handling limit in working days or clock hours, the
return visit, approved extensions — on the official calendar loaded from the database and
the office schedule (core.workdays), so that due times, `handling_minutes` and the overdue
flags are what the services and the overdue check would have written. The walk stops at
REFERENCE_NOW: older demands are mostly archived, recent ones still open; some went past a
due time (flagged overdue, with the check's "overdue" event), some were escalated to the
street with departments summoned, some put under supervision, rated, reopened once.

Sizes: demo ≈ 1,500 demands with every event on the timeline (the showcase community — the
demo accounts' — gets the most); district ≈ 500,000; city ≈ 5,000,000. At district and city
scale only the demands of the showcase community and those still open keep their whole
timeline; every other demand keeps its first event ("submit") and the one that put it in
its current state (from/to states true to the state machine) — the rows are what lists,
measures and the overdue check read.

The demo `dept_handler` account handles the district's city-management bureau (城市管理局)
with two invented colleagues; other departments' handlers are invented accounts
("h-<department>-<n>") with unusable passwords and no role assignment (they cannot sign in;
Department.handlers is what routes and scopes their work). `wipe()` removes everything this
seeder wrote (for tests that seed twice).

Deterministic: drawn from `rng`, orgs.seed.REFERENCE_DATE and the calendar table, never the
clock; tracking codes are a bijection of the day's sequence number (unique without a
lookup). Times are handled as integer UTC seconds for speed. On PostgreSQL rows go through
COPY (a generating thread beside the writing one; foreign keys and secondary indexes of
the demand and event tables dropped for the load and rebuilt after it); elsewhere
bulk_create. Contact names and phones come from a pool encrypted once (ciphertexts are
reused: invented data).
"""

from __future__ import annotations

import math
import queue
import random
import threading
from bisect import bisect_right
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from time import perf_counter

from django.contrib.auth import get_user_model
from django.db import connection

from tongxin.core.calendar import load_calendar
from tongxin.core.workdays import SHANGHAI
from tongxin.demands.models import (
    Demand,
    DemandEvent,
    Department,
    Escalation,
    ExtensionRequest,
    Open311Client,
    RoutingRule,
    Summons,
    Supervision,
)
from tongxin.demands.seed.clock import WorkClock, _dt, _ts  # noqa: F401 (tests use them)
from tongxin.demands.seed.life import _Seeder
from tongxin.demands.seed.world import (  # noqa: F401 (the benchmark uses the key and now)
    CHUNK,
    DAYS,
    DEMO_PER_COMMUNITY,
    DEMO_SHOWCASE,
    OPEN311_DEMO_KEY,
    REFERENCE_NOW,
    TARGET,
    World,
    _schedule,
    _world,
)
from tongxin.orgs import rules as org_rules
from tongxin.orgs.models import Org
from tongxin.orgs.seed import REFERENCE_DATE

# --- the seeder -----------------------------------------------------------------------------


def _daily_counts(scale: str, world: World, rng) -> list[int]:
    """Demands per day over the year (weekdays busier than weekends, more in summer)."""
    if TARGET[scale] is None:
        total = sum(
            DEMO_SHOWCASE if p.showcase else rng.randint(*DEMO_PER_COMMUNITY) for p in world.places
        )
    else:
        total = TARGET[scale]
    first = REFERENCE_DATE - timedelta(days=DAYS)
    weights = []
    for i in range(DAYS):
        d = first + timedelta(days=i)
        w = 1.0 if d.weekday() < 5 else 0.6
        w *= 1.0 + 0.25 * math.sin((d.timetuple().tm_yday - 100) / 365 * 2 * math.pi)
        weights.append(w)
    scale_ = total / sum(weights)
    counts, done, running = [], 0, 0.0
    for w in weights:  # cumulative rounding: the days add up to the total exactly
        running += w * scale_
        counts.append(round(running) - done)
        done += counts[-1]
    return counts


def _generate(s: _Seeder, emit, stop=None) -> None:
    rng, w = s.rng, s.world
    first = REFERENCE_DATE - timedelta(days=DAYS)
    day0 = _ts(datetime.combine(first, time.min, tzinfo=SHANGHAI))
    pending = 0
    for i, n in enumerate(_daily_counts(s.scale, w, rng)):
        if stop is not None and stop.is_set():
            return
        start = day0 + i * 86400
        times = []
        for _ in range(n):
            # mostly office hours, some evenings and nights
            if rng.random() < 0.78:
                sod = rng.randint(8 * 60, 18 * 60) * 60  # whole minutes
            else:
                sod = rng.randint(0, 1439) * 60
            times.append(start + sod)
        times.sort()
        for created in times:
            if created >= s.now:
                continue
            place = w.places[bisect_right(w.place_weights, rng.random() * w.place_weights[-1])]
            s.demand(created, place)
            pending += 1
            if pending >= CHUNK:
                emit(s.take())
                pending = 0
    emit(s.take())


def _generate_while_writing(s: _Seeder) -> None:
    """PostgreSQL: a worker thread generates while this thread (owning the connection)
    COPYs the previous chunk (as members.seed does)."""
    chunks: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()
    failure: list[BaseException] = []

    def produce():
        try:
            _generate(s, chunks.put, stop)
        except BaseException as exc:  # re-raised in the writing thread
            failure.append(exc)
        finally:
            chunks.put(None)

    worker = threading.Thread(target=produce, name="demands-seed", daemon=True)
    worker.start()
    try:
        while (batch := chunks.get()) is not None:
            s.write(batch)
    except BaseException:
        stop.set()
        while chunks.get() is not None:
            pass
        raise
    finally:
        worker.join()
    if failure:
        raise failure[0]


@contextmanager
def _nothing():
    yield


def seed(*, scale: str, rng: random.Random, out, context: dict) -> dict:
    """The demands seeder of `tongxin seed` (runs after orgs, accounts and grid)."""
    from tongxin.members.seed import _bulk_load, _reset_sequences

    out.write(f"Demands ({scale}) …")
    if not Org.objects.filter(type=org_rules.COMMUNITY).exists():
        return {"demands": 0}
    started = perf_counter()
    showcase = context.get("orgs", {}).get("showcase", {}).get("community")
    world, counts = _world(scale, rng, showcase)
    first = REFERENCE_DATE - timedelta(days=DAYS + 10)
    clock = WorkClock(load_calendar(), _schedule(), first, REFERENCE_DATE + timedelta(days=400))
    s = _Seeder(scale, rng, world, clock, out)
    if showcase is not None:
        s.showcase_street = showcase.parent_id
    tables = [Demand, DemandEvent]
    load = _bulk_load(tables) if s.copy and scale != "demo" else _nothing()
    with load:
        if s.copy:
            _generate_while_writing(s)
        else:
            _generate(s, s.write)
        loaded = perf_counter()
    _reset_sequences(list(s.next))
    done = perf_counter()
    if s.copy:
        with connection.cursor() as cursor:
            cursor.execute(f'ANALYZE "{Demand._meta.db_table}"')
            cursor.execute(f'ANALYZE "{DemandEvent._meta.db_table}"')
    out.write(
        f"  {perf_counter() - started:.1f} s: generating and writing {loaded - started:.1f} s "
        f"(of which {'COPY' if s.copy else 'bulk_create'} {s.write_seconds:.1f} s), "
        f"indexes and foreign keys {done - loaded:.1f} s"
    )
    counts.update(
        {
            "demands": s.written[Demand],
            "events": s.written[DemandEvent],
            **{k: v for k, v in sorted(s.counts.items())},
        }
    )
    if scale == "demo":
        out.write(
            f"  Open311 demo client: api_key={OPEN311_DEMO_KEY} (POST /open311/v2/requests.json)"
        )
    out.write("  " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts


def wipe() -> None:
    """Delete what the demands seeder wrote (demands and their side rows, departments,
    routing rules, the Open311 client, the invented handlers) — for tests that re-seed."""
    from tongxin.demands.models import Photo

    Demand.objects.exclude(duplicate_of=None).update(duplicate_of=None)
    for model in (Summons, Escalation, Supervision, ExtensionRequest, Photo, DemandEvent, Demand,
                  RoutingRule, Open311Client):  # fmt: skip
        model.objects.all().delete()
    Department.handlers.through.objects.all().delete()
    Department.objects.all().delete()
    get_user_model().objects.filter(username__startswith="h-", password__startswith="!").delete()
