"""Load the Region's export of its qualifications framework into the catalogue.

A CSV (UTF-8, comma-separated) with the header ``code,title,eqf_level`` and optionally
``framework`` (``qrsp`` when absent): each row creates the qualification with that code, or
brings the stored one up to date. Nothing is deleted. The file is bounded by the upload
guard; one bad row refuses the whole file (naming its line) and changes nothing.
"""

import csv
import io
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from crisi_portal.upload_guard import MAX_ROWS, UploadRefused, read_path
from pal.models import Qualification
from pal.services import qualification_save


class Command(BaseCommand):
    help = "Import the qualifications catalogue (code,title,eqf_level[,framework]) from a CSV."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options):
        try:
            raw = read_path(path)
        except (UploadRefused, OSError) as exc:
            raise CommandError(str(exc)) from exc
        reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))
        missing = {"code", "title", "eqf_level"} - set(reader.fieldnames or ())
        if missing:
            raise CommandError(f"Missing columns: {', '.join(sorted(missing))}.")
        count = 0
        with transaction.atomic():
            for line, row in enumerate(reader, start=2):
                if line - 1 > MAX_ROWS:
                    raise CommandError(f"More than {MAX_ROWS} rows.")
                data = {
                    "framework": (row.get("framework") or Qualification.Framework.QRSP).strip(),
                    "code": (row["code"] or "").strip(),
                    "title": (row["title"] or "").strip(),
                    "eqf_level": (row["eqf_level"] or "").strip(),
                }
                try:
                    qualification_save(user=None, data=data)
                except ValidationError as exc:
                    raise CommandError(f"Line {line}: {exc.messages[0]}") from exc
                count += 1
        self.stdout.write(f"{count} qualifications imported.")
