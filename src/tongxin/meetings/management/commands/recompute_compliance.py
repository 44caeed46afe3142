"""tongxin recompute_compliance [--year Y] [--today D] [--org ID]: recompute every branch's
compliance snapshots (months, quarters and the year) — run nightly and after a settings change."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from tongxin.meetings.services import compliance
from tongxin.orgs.models import Org


class Command(BaseCommand):
    help = "Recompute the compliance snapshots of every branch for a year."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="the year (default: this year)")
        parser.add_argument("--today", help="the day to judge on, YYYY-MM-DD (default: today)")
        parser.add_argument("--org", type=int, help="only this org's subtree (an org id)")

    def handle(self, *args, year=None, today=None, org=None, **options):
        day = None
        if today:
            try:
                day = date.fromisoformat(today)
            except ValueError:
                raise CommandError("--today: write the day as YYYY-MM-DD") from None
        if year is not None and not 1900 <= year <= 9999:
            raise CommandError("--year: a year from 1900 to 9999")
        root = None
        if org is not None:
            root = Org.objects.filter(pk=org).first()
            if root is None:
                raise CommandError(f"--org: no organisation {org}")
        result = compliance.recompute_all(today=day, year=year, org=root)
        self.stdout.write(" ".join(f"{k}={v}" for k, v in result.items()))
