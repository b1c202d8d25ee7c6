from django.core.management.base import BaseCommand

from workers.retention import retention_run


class Command(BaseCommand):
    help = (
        "Delete access records and audit history past their retention periods and pseudonymise "
        "workers whose procedures all closed long ago (RETENTION_* settings). Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would change; change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        report = retention_run(dry_run=dry_run)
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
        for line in report.lines():
            self.stdout.write(line)
