"""Turning a report's data (``monitoring.reports``) into a document of a given format."""

import json
from dataclasses import dataclass

from django.utils import timezone
from django.utils.module_loading import import_string

from monitoring.enums import ReportFormat
from monitoring.periods import Period


@dataclass(frozen=True)
class Rendered:
    content: bytes
    pages: int | None = None  # PDF only


@dataclass(frozen=True)
class Context:
    """What every document states besides its data: whose it is, for when, made when."""

    scope_label: str  # "Regione Lombardia" or the province's name
    period: Period
    generated_at: object  # aware datetime


def render_json(data: dict, context: Context) -> Rendered:
    payload = {**data, "generated_at": context.generated_at.isoformat()}
    text = json.dumps(payload, ensure_ascii=False, indent=2)
    return Rendered(text.encode("utf-8") + b"\n")


RENDERERS = {
    ReportFormat.JSON: "monitoring.renderers.render_json",
    ReportFormat.CSV: "monitoring.renderers.tabular.render_csv",
    ReportFormat.XLSX: "monitoring.renderers.tabular.render_xlsx",
    ReportFormat.PDF: "monitoring.renderers.pdf.render_pdf",
}


def render_document(data: dict, fmt: str, *, scope_label: str, period: Period) -> Rendered:
    context = Context(scope_label=scope_label, period=period, generated_at=timezone.now())
    # Imported on use: a JSON export needs neither WeasyPrint nor openpyxl loaded.
    renderer = import_string(RENDERERS[ReportFormat(fmt)])
    return renderer(data, context)
