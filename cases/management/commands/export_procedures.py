import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from cases.interchange import export_procedures
from cases.models import CrisisProcedure


class Command(BaseCommand):
    help = "Export every procedure as the interchange CSV (one row per production unit)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", type=Path, required=True, help="File to write, or - for standard output."
        )
        parser.add_argument("--province", help="Only procedures in this province (e.g. BG).")

    def handle(self, *args, output: Path, province: str | None, **options):
        queryset = CrisisProcedure.objects.all()
        if province:
            queryset = queryset.in_provinces([province.upper()])
        if str(output) == "-":
            count = export_procedures(queryset, sys.stdout)
        else:
            with output.open("w", encoding="utf-8", newline="") as out:
                count = export_procedures(queryset, out)
            self.stderr.write(f"{count} rows written to {output}")
