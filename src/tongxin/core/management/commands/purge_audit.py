from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from tongxin.core import audit
from tongxin.core.models import AuditEntry


class Command(BaseCommand):
    help = (
        "Delete audit entries older than a number of days. Refuses anything younger than "
        "the retention period (TONGXIN_AUDIT_RETENTION_DAYS, at least 180 days; "
        "网络安全法 第二十一条)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=int, required=True)
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, older_than_days, dry_run, **options):
        retention = settings.TONGXIN["AUDIT_RETENTION_DAYS"]
        if older_than_days < retention:
            raise CommandError(
                f"refused: audit entries must be kept at least {retention} days "
                f"(asked to delete entries older than {older_than_days} days)"
            )
        cutoff = timezone.now() - timedelta(days=older_than_days)
        old = AuditEntry.objects.filter(at__lt=cutoff)
        count = old.count()
        if dry_run:
            self.stdout.write(f"{count} entries older than {cutoff:%Y-%m-%d} would be deleted")
            return
        with transaction.atomic():
            deleted, _ = old._purge()
            audit.record(
                actor="purge_audit",
                action="purge_audit",
                object_type="core.auditentry",
                changes={"deleted": [None, deleted], "before": [None, cutoff]},
            )
        self.stdout.write(f"deleted {deleted} entries older than {cutoff:%Y-%m-%d}")
