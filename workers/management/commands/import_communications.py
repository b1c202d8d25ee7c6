from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from crisi_portal.upload_guard import UploadRefused, read_path
from workers.communications import COUNTERS, communications_import


class Command(BaseCommand):
    help = (
        "Import mandatory communications (UNILAV XML documents, ZIP batches of them, or the CSV "
        "extract) and propose outcomes for the workers in charge, as the system (whole region). "
        "A file with structural errors imports nothing; the same file twice changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args, files: list[Path], **options):
        failed = False
        for file in files:
            try:
                raw = read_path(file)
                result = communications_import(user=None, raw=raw, file_name=file.name)
            except OSError as exc:
                raise CommandError(f"{file}: {exc.strerror}") from exc
            except UploadRefused as refused:
                raise CommandError(f"{file}:{refused}") from refused
            if not result.ok:
                failed = True
                for error in result.errors:
                    self.stderr.write(f"{file}:{error}")
                continue
            for error in result.invalid:
                self.stderr.write(f"{file}:{error}")
            batch = result.batch
            if result.already_imported:
                self.stdout.write(
                    _("%(file)s: already imported on %(day)s, nothing changed.")
                    % {"file": file, "day": f"{batch.created_at:%d/%m/%Y %H:%M}"}
                )
                continue
            counts = ", ".join(f"{name} {getattr(batch, name)}" for name in COUNTERS)
            self.stdout.write(f"{file}: {counts}")
        if failed:
            raise CommandError(_("Files with problems were not imported."))
