from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from cases.interchange import import_procedures
from crisi_portal.upload_guard import UploadRefused, read_path


class Command(BaseCommand):
    help = (
        "Import the procedures interchange CSV (idempotent upsert on external_id / "
        "unit_external_id). A file with any bad row imports nothing and lists every bad line."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and show what would change."
        )

    def handle(self, *args, file: Path, dry_run: bool, **options):
        try:
            raw = read_path(file)
            result = import_procedures(raw, dry_run=dry_run)
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from exc
        except UploadRefused as refused:
            raise CommandError(f"{file}:{refused}") from refused
        if not result.ok:
            for error in result.errors:
                self.stderr.write(f"{file}:{error}")
            raise CommandError(
                ngettext(
                    "%(n)d problem found: nothing was imported.",
                    "%(n)d problems found: nothing was imported.",
                    len(result.errors),
                )
                % {"n": len(result.errors)}
            )
        summary = result.summary()
        for kind in ("procedure", "unit"):
            counts = summary[kind]
            # Operators' output: plain English, like Django's own management commands.
            self.stdout.write(
                f"{kind}s: {counts['create']} created, {counts['update']} updated, "
                f"{counts['unchanged']} unchanged"
                + (" (dry run: nothing saved)" if dry_run else "")
            )
        for change in result.changes:
            if change.action == "update":
                fields = ", ".join(change.changed_fields)
                self.stdout.write(f"  update {change.kind} {change.external_id}: {fields}")
