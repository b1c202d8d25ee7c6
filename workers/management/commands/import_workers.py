from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cases.models import CrisisProcedure
from crisi_portal.upload_guard import UploadRefused, read_path
from workers.importers import import_workers


class Command(BaseCommand):
    help = (
        "Import a company's worker list (CSV or XLSX) into a procedure. Columns are mapped by "
        "their Italian names; a file with any bad row imports nothing and lists every bad line."
    )

    def add_arguments(self, parser):
        parser.add_argument("procedure", help="External id of the procedure.")
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and show what would change."
        )

    def handle(self, *args, procedure: str, file: Path, dry_run: bool, **options):
        try:
            target = CrisisProcedure.objects.get(external_id=procedure)
        except CrisisProcedure.DoesNotExist as exc:
            raise CommandError(_("No procedure %(id)s.") % {"id": procedure}) from exc
        try:
            raw = read_path(file)
            result = import_workers(target, raw, filename=file.name, dry_run=dry_run)
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from exc
        except UploadRefused as refused:
            raise CommandError(f"{file}:{refused}") from refused

        if result.mapping:
            self.stdout.write(_("Columns:"))
            for column, name in result.mapping:
                self.stdout.write(f"  {column} → {name or _('(ignored)')}")
        if not result.ok:
            for error in result.errors:
                self.stderr.write(f"{file}:{error}")
            raise CommandError(
                _("%(n)d problems found: nothing was imported.") % {"n": len(result.errors)}
            )
        summary = result.summary()
        verb = _("would be") if dry_run else _("were")
        self.stdout.write(
            _(
                "%(rows)d workers: %(create)d taken in charge, %(update)d updated, "
                "%(unchanged)d unchanged; %(new_workers)d new workers, %(new_cohorts)d new "
                "cohorts (%(verb)s applied)"
            )
            % {**summary, "verb": verb}
        )
        for change in result.changes:
            if change.action == "update":
                fields = ", ".join(change.changed_fields)
                self.stdout.write(f"  line {change.line}: update {change.worker}: {fields}")
            for note in change.notes:
                self.stdout.write(f"  line {change.line}: {change.worker}: {note}")
