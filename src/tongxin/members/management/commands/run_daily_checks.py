"""`tongxin run_daily_checks [--enqueue]` — the members app's daily background checks."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from tongxin.members import tasks

HELP = """Run the daily member checks: lapse detection (six consecutive months of dues unpaid,
lost contact for six months / two years), expiry of transfer letters, and the admission
files' deadlines (overdue items told once to the branch and the approving committee).

Without --enqueue the checks run now, in this process, and the counts are printed.
With --enqueue they are queued for the background worker (`tongxin db_worker`).

Crontab line (every day at 02:30, as the application user):
  30 2 * * *  cd /srv/tongxin && .venv/bin/tongxin run_daily_checks --enqueue
"""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        from argparse import RawDescriptionHelpFormatter

        kwargs["formatter_class"] = RawDescriptionHelpFormatter
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument(
            "--enqueue", action="store_true", help="Queue the checks for the background worker."
        )
        parser.add_argument(
            "--today", help="Run as if today were this date (YYYY-MM-DD); not with --enqueue."
        )

    def handle(self, *args, enqueue=False, today=None, **options):
        if today:
            try:
                today = date.fromisoformat(today)
            except ValueError as exc:
                raise CommandError("--today must be a date written YYYY-MM-DD") from exc
        if enqueue:
            if today:
                raise CommandError("--today cannot be combined with --enqueue")
            result = tasks.daily_member_checks.enqueue()
            self.stdout.write(f"queued {result.id}")
            return
        outcome = tasks.run_daily_member_checks(today=today)
        self.stdout.write(json.dumps(outcome, ensure_ascii=False, sort_keys=True))
