"""`tongxin seed --scale demo|district|city [--seed N]`: demo and benchmark data.

Contract:
* runs only with DEBUG on (it writes invented people and organisations);
* deterministic for a given --seed: every seeder draws from its own
  `random.Random(f"{seed}:{name}")` and dates hang off a fixed reference date, never the
  clock — so adding a seeder never changes what the earlier ones write;
* does nothing (exit 0) when the database already holds organisations, so `make demo`
  can be re-run;
* one transaction; bulk writes bypass the services, so one summary audit entry
  (action "seed") records the run instead of one entry per row.

Extending it: add `("<name>", "tongxin.<app>.seed")` to SEEDERS. The module exposes

    def seed(*, scale: str, rng: random.Random, out, context: dict) -> dict

`out.write(line)` prints; `context` maps the names of the seeders that ran before to the
dicts they returned (e.g. context["orgs"]["showcase"]["community"] is an Org). Integer
values of the returned dict are counted in the summary and the audit entry.
"""

import random
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import import_string

from tongxin.core import audit
from tongxin.orgs.models import Org

SCALES = ("demo", "district", "city")
SEEDERS = (
    ("orgs", "tongxin.orgs.seed"),
    ("accounts", "tongxin.accounts.seed"),
    ("members", "tongxin.members.seed"),
    ("development", "tongxin.development.seed"),
    ("grid", "tongxin.grid.seed"),
    ("demands", "tongxin.demands.seed"),
    ("meetings", "tongxin.meetings.seed"),
    ("education", "tongxin.education.seed"),
    ("assessment", "tongxin.assessment.seed"),
)
URL = "http://127.0.0.1:8000/"


class Command(BaseCommand):
    help = "Fill an empty database with demo data (demo) or benchmark data (district, city)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=SCALES, default="demo")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--only",
            default="",
            help=(
                "comma-separated seeders to run (default all). Without orgs, the seeders "
                "run on a database that already holds organisations and must read what "
                "they need from it (benchmarks add one app's data to a seeded city)."
            ),
        )

    def handle(self, *args, scale: str, seed: int, only: str = "", **options):
        if not settings.DEBUG:
            raise CommandError(
                "tongxin seed writes invented demo data and runs only with DEBUG on; "
                "refusing to touch this database (set DEBUG=1 for a demo or test database)."
            )
        names = [n for n, _module in SEEDERS]
        wanted = [n.strip() for n in only.split(",") if n.strip()] or names
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            raise CommandError(f"Unknown seeders {unknown}; known: {', '.join(names)}.")
        existing = Org.objects.count()
        if existing and "orgs" in wanted:
            self.stdout.write(
                f"The database already holds {existing} organisations: nothing seeded. "
                "To start again, use an empty database and run `tongxin migrate`."
            )
            self.stdout.write(f"Open {URL}")
            return
        started = time.perf_counter()
        counts: dict[str, int] = {}
        with transaction.atomic():
            context: dict[str, dict] = {}
            for name, module in SEEDERS:
                if name not in wanted:
                    continue
                seeder = import_string(f"{module}.seed")
                rng = random.Random(f"{seed}:{name}")
                result = seeder(scale=scale, rng=rng, out=self.stdout, context=context) or {}
                context[name] = result
                counts.update(
                    {
                        f"{name}.{key}": value
                        for key, value in result.items()
                        if isinstance(value, int) and not isinstance(value, bool)
                    }
                )
            audit.record(
                actor="tongxin seed",
                action="seed",
                object_type="core.seed",
                object_repr=f"seed --scale {scale} --seed {seed}"
                + (f" --only {','.join(wanted)}" if only else ""),
                changes={
                    "scale": [None, scale],
                    "seed": [None, seed],
                    **{key: [None, value] for key, value in counts.items()},
                },
            )
        elapsed = time.perf_counter() - started
        summary = ", ".join(f"{key} {value}" for key, value in counts.items())
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded scale {scale} with seed {seed} in {elapsed:.1f} s: {summary}."
            )
        )
        self.stdout.write(f"Open {URL}")
