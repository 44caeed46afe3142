import time

from django.core.management.base import BaseCommand, CommandError

from tongxin.demands.tasks import run_overdue_check


class Command(BaseCommand):
    help = (
        "Mark demands past their acceptance, handling or return-visit due time, and summonses "
        "past theirs, as overdue and notify their handlers and supervisors once (DOMAIN.md "
        "§8.4). Once, or with --loop "
        "SECONDS every SECONDS seconds until stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            type=int,
            default=0,
            metavar="SECONDS",
            help="run again every SECONDS seconds (e.g. 300) until interrupted",
        )
        parser.add_argument(
            "--times", type=int, default=0, help="with --loop: stop after this many runs"
        )

    def handle(self, *args, loop=0, times=0, **options):
        if loop < 0 or (loop and loop < 10):
            raise CommandError("--loop: at least 10 seconds")
        runs = 0
        while True:
            started = time.monotonic()
            counts = run_overdue_check()
            runs += 1
            took = time.monotonic() - started
            self.stdout.write(
                f"overdue: accept {counts['accept']}, handle {counts['handle']}, "
                f"visit {counts['visit']}, summons {counts['summons']}; "
                f"notices {counts['notified']} ({took:.2f} s)"
            )
            if not loop or (times and runs >= times):
                return
            try:
                time.sleep(max(0.0, loop - took))
            except KeyboardInterrupt:  # pragma: no cover - interactive stop
                return
