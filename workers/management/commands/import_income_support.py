from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from crisi_portal.upload_guard import UploadRefused, read_path
from workers.income_support import import_income_support
from workers.management.commands.import_workers import profile_named, write_result


class Command(BaseCommand):
    help = (
        "Import an income-support list (the company's list sent with the CIGS application, an "
        "INPS extract) into the procedure of its company whose period overlaps the list's. "
        "The list is read with an import profile; a file with any bad row imports nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--profile", required=True, help="Code of the import profile (the source's format)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and show what would change."
        )

    def handle(self, *args, file: Path, profile: str, dry_run: bool, **options):
        chosen = profile_named(profile)
        try:
            raw = read_path(file)
            result = import_income_support(
                raw, filename=file.name, profile=chosen, user=None, dry_run=dry_run
            )
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from exc
        except UploadRefused as refused:
            raise CommandError(f"{file}:{refused}") from refused
        if result.procedure is not None:
            self.stdout.write(
                _("Procedure: %(id)s (%(company)s)")
                % {"id": result.procedure.external_id, "company": result.procedure.company.name}
            )
        write_result(self, file, result, dry_run=dry_run)
