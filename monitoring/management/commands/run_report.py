"""``manage.py run_report KIND PERIOD [--province XX] --format F --output PATH``.

Produces one document straight to a file, without the archive or Celery: for operators,
scripts and checks. Use the portal or the API to add a version to the archive.
"""

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from cases.models import Province
from monitoring import reports
from monitoring.enums import ReportFormat, ReportKind
from monitoring.renderers import render_document
from monitoring.services import ReportRequestRefused, report_request_validate


class Command(BaseCommand):
    help = (
        "Produce one report document (annual, bimonthly, quarterly or pal_monitoring) into a file."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ReportKind.values)
        parser.add_argument(
            "period",
            help="2025 (annual), 2025-Q3 (quarterly), 2025-B3 (bimonthly); "
            "2025-Q3 or 2025 (pal_monitoring)",
        )
        parser.add_argument("--province", help="Province code (sigla), e.g. BG; omit for Lombardy")
        parser.add_argument("--format", dest="fmt", choices=ReportFormat.values, required=True)
        parser.add_argument("--output", required=True, help="File to write")

    def handle(self, *args, kind, period, province, fmt, output, **options):
        province = province.upper() if province else None
        try:
            parsed = report_request_validate(kind, period, province, fmt)
        except ReportRequestRefused as exc:
            raise CommandError(f"{exc.field}: {exc.message}") from exc
        scope = Province.objects.get(code=province).name if province else "Regione Lombardia"
        started = time.monotonic()
        with translation.override(settings.LANGUAGE_CODE):
            data = reports.build(kind, parsed, province)
            rendered = render_document(data, fmt, scope_label=scope, period=parsed)
        elapsed = time.monotonic() - started
        path = Path(output)
        if path.parent and not path.parent.exists():
            raise CommandError(f"--output: the folder {path.parent} does not exist.")
        path.write_bytes(rendered.content)
        pages = ""
        if rendered.pages:
            pages = f", {rendered.pages} page{'s' if rendered.pages != 1 else ''}"
        self.stderr.write(
            f"{kind} {parsed.code} {province or 'LOM'} → {path} "
            f"({len(rendered.content):,} bytes{pages}) in {elapsed:.2f}s"
        )
