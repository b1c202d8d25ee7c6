"""The reports as PDF (WeasyPrint): A4, Titillium Web embedded, Italian number formatting.

Each kind has a template under ``templates/monitoring/pdf/``; this module only turns the
report's raw numbers into the strings the Region prints (``monitoring.formatting``: always
``1.615`` and ``10,3``, whatever the active language) and draws the charts. Words come from
the templates and ``labels``, translated in the language the caller has activated.
"""

import base64
from functools import cache
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.module_loading import import_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cases.enums import FAMILY_SHORT_LABELS, AgreementKind, Family, Status
from cases.models import Province
from monitoring import formatting as fmt
from monitoring.enums import ReportKind
from monitoring.periods import Period
from monitoring.renderers import Context, Rendered, charts, labels
from monitoring.reports import CIGS_FAMILIES, FAMILIES, STEPS
from workers.enums import STEP_SHORT_LABELS, Step

TEMPLATE_DIR = Path(settings.BASE_DIR) / "templates" / "monitoring" / "pdf"
STYLESHEET = TEMPLATE_DIR / "report.css"
FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
FONT_FACES = (
    ("TitilliumWeb-Regular.ttf", 400, "normal"),
    ("TitilliumWeb-SemiBold.ttf", 600, "normal"),
    ("TitilliumWeb-Bold.ttf", 700, "normal"),
)
# Landscape where the table is wide: the annual table has 14 columns, the quarterly one 12.
WIDE = {ReportKind.ANNUAL, ReportKind.QUARTERLY}


def render_pdf(data: dict, context: Context) -> Rendered:
    # Imported here: WeasyPrint loads Pango through cffi, which only the PDF format needs.
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    kind = ReportKind(data["kind"])
    page = {**common(data, context), **BUILDERS[kind](data, context)}
    html = render_to_string(f"monitoring/pdf/{kind.value}.html", page)
    fonts = FontConfiguration()
    stylesheets = [
        CSS(string=font_face_rules(), font_config=fonts),
        CSS(filename=str(STYLESHEET), font_config=fonts),
    ]
    document = HTML(string=html, base_url=str(TEMPLATE_DIR)).render(
        stylesheets=stylesheets, font_config=fonts
    )
    return Rendered(document.write_pdf(), pages=len(document.pages))


@cache
def font_face_rules() -> str:
    """``@font-face`` rules for the vendored Titillium Web TTFs, by file URL (never HTTP)."""
    return "\n".join(
        f'@font-face {{ font-family: "Titillium Web"; src: url("{(FONT_DIR / name).as_uri()}");'
        f" font-weight: {weight}; font-style: {style}; }}"
        for name, weight, style in FONT_FACES
    )


def common(data: dict, context: Context) -> dict:
    kind = ReportKind(data["kind"])
    # "Page 1 of 3" in the active language: the words around the two numbers, which CSS counters
    # fill in the footer of each page.
    words = _("Page %(page)s of %(pages)s")
    before, _sep, rest = words.partition("%(page)s")
    between, _sep, after = rest.partition("%(pages)s")
    return {
        "language": get_language() or settings.LANGUAGE_CODE,
        "issuer": labels.REGION,
        "institution": labels.institution(data.get("scope"), context.scope_label),
        "scope": data.get("scope"),
        "title": labels.title(kind),
        "period_label": context.period.label,
        "generated": labels.generated(fmt.moment(context.generated_at)),
        "page_words": (before, between, after),
        "orientation": "wide" if kind in WIDE else "tall",
        "start": fmt.day(data["period_start"]),
        "end": fmt.day(data["period_end"]),
    }


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def province_names() -> dict[str, str]:
    return dict(Province.objects.values_list("code", "name"))


def family_groups(families) -> list[dict]:
    return [{"guidelines": labels.guidelines(f), "name": labels.family_name(f)} for f in families]


# --- Annual -------------------------------------------------------------------------------------


def annual_page(data: dict, context: Context) -> dict:
    names = province_names()
    rows = [
        {
            "name": names.get(row["province"], row["province"]),
            "families": [
                (
                    fmt.integer(row[f]["units"]),
                    fmt.percent(row[f]["units_pct"]),
                    fmt.integer(row[f]["workers"]),
                    fmt.percent(row[f]["workers_pct"]),
                )
                for f in FAMILIES
            ],
            "total": fmt.integer(row["total_workers"]),
        }
        for row in data["rows"]
    ]
    total = data["total"]
    total_row = {
        "families": [
            (
                fmt.integer(total[f]["units"]),
                fmt.total_percent(labels.total_share(total[f]["units"])),
                fmt.integer(total[f]["workers"]),
                fmt.total_percent(labels.total_share(total[f]["workers"])),
            )
            for f in FAMILIES
        ],
        "total": fmt.integer(total["total_workers"]),
    }
    chart = None
    if total["total_workers"]:  # no chart of nothing: an empty year has only its table
        svg = charts.stacked_province_bars(
            [names.get(row["province"], row["province"]) for row in data["rows"]],
            [
                (str(FAMILY_SHORT_LABELS[Family(f)]), [row[f]["workers"] for row in data["rows"]])
                for f in FAMILIES
            ],
            colors=[charts.DARK_BLUE, charts.BLUE, charts.LIGHT_BLUE],
            width=10.5,
            row_height=0.4,
        )
        chart = data_uri(svg)
    return {
        "groups": family_groups(FAMILIES),
        "rows": rows,
        "total": total_row,
        "year": context.period.year,
        "chart": chart,
        **tables_note(data.get("tables", []), names),
        "notes": _annual_notes(data.get("notes")),
    }


def _annual_notes(notes: dict | None) -> dict | None:
    """The notes' figures in words (a document stored before the notes had them: None)."""
    if not notes:
        return None
    return {
        "agreements": [
            {**row, "label": AgreementKind(row["kind"]).label}
            for row in notes["agreements"]
            if row["agreements"]
        ],
        "procedures_opened": fmt.integer(notes["procedures_opened"]),
        "procedures_with_agreement": fmt.integer(notes["procedures_with_agreement"]),
        "certifications": notes["certifications"],
    }


def tables_note(counts: list[dict], names: dict[str, str]) -> dict:
    """The regional tables (the Region's) and the bilateral ones per convener, for the note."""
    region = _("Region")
    regional = sum(row["regional"] for row in counts)
    bilateral = [
        f"{region if row['convener'] == 'LOM' else names.get(row['convener'], row['convener'])}"
        f" {fmt.integer(row['bilateral'])}"
        for row in counts
        if row["bilateral"]
    ]
    return {
        "tables_recorded": bool(counts),
        "regional_tables": fmt.integer(regional),
        "bilateral_tables": fmt.integer(sum(row["bilateral"] for row in counts)),
        "bilateral_by_convener": ", ".join(bilateral) or "—",
    }


# --- Bimonthly ----------------------------------------------------------------------------------


def summary_cells(row: dict) -> list[tuple[str, str, str]]:
    cells = [
        (
            fmt.integer(row[f]["procedures"]),
            fmt.integer(row[f]["units"]),
            fmt.integer(row[f]["workers"]),
        )
        for f in CIGS_FAMILIES
    ]
    cells.append(
        (fmt.integer(row["procedures"]), fmt.integer(row["units"]), fmt.integer(row["workers"]))
    )
    return cells


def bimonthly_page(data: dict, context: Context) -> dict:
    summary = [
        {"code": row["province"], "name": row["name"], "cells": summary_cells(row)}
        for row in data["summary"]
    ]
    page = {
        "as_of": fmt.day(data["as_of"]),
        "groups": family_groups(CIGS_FAMILIES),
        "summary": summary,
        "total": {"cells": summary_cells(data["total"])},
        "chart": None,
    }
    if "procedures" in data:
        page["procedures"] = [
            {
                "company": p["company"],
                "tax_code": p["company_tax_code"],
                # The number people read; reports stored before numbers: the external id.
                "external_id": p.get("number") or p["external_id"],
                "family": FAMILY_SHORT_LABELS[Family(p["family"])],
                "status": Status(p["status"]).label,
                "opened_on": fmt.day(p["opened_on"]),
                "start_date": fmt.day(p["start_date"]),
                "end_date": fmt.day(p["end_date"]),
                "units": [
                    {"comune": u["comune"], "workers": fmt.integer(u["workers"])}
                    for u in p["units"]
                ],
                "workers": fmt.integer(p["workers"]),
            }
            for p in data["procedures"]
        ]
        scope_row = next(row for row in data["summary"] if row["province"] == data["scope"])
        page["scope_row"] = {
            key: fmt.integer(scope_row[key]) for key in ("procedures", "units", "workers")
        }
        page["scope_row"]["count"] = scope_row["procedures"]  # chooses the plural form
    elif data["total"]["workers"]:
        chart = charts.stacked_province_bars(
            [row["name"] for row in data["summary"]],
            [
                (
                    str(FAMILY_SHORT_LABELS[Family(f)]),
                    [row[f]["workers"] for row in data["summary"]],
                )
                for f in CIGS_FAMILIES
            ],
            colors=[charts.DARK_BLUE, charts.LIGHT_BLUE],
            width=7.4,
            row_height=0.3,
        )
        page["chart"] = data_uri(chart)
    return page


# --- Quarterly ----------------------------------------------------------------------------------


def step_row(name: str, block: dict) -> dict:
    return {
        "name": name,
        "steps": [fmt.integer(block["steps"][s]) for s in STEPS],
        "workers": fmt.integer(block["workers"]),
        "rate": fmt.percent(block["activation_rate"]),
        "change_workers": fmt.signed_integer(block["change"]["workers"]),
        "change_step4": fmt.signed_integer(block["change"][Step.STEP_4]),
        "change_rate": fmt.signed_decimal(block["change"]["activation_rate"]),
        "activated": fmt.integer(block["activated_in_quarter"]),
    }


def dash_for_zero(n: int) -> str:
    """In the measures × provinces matrix a dash reads better than a field of zeros."""
    return fmt.integer(n) if n else "–"


def quarterly_page(data: dict, context: Context) -> dict:
    regional = data["scope"] == "LOM"
    previous = Period.parse(ReportKind.QUARTERLY, data["previous_period"])
    rows = [step_row(row["name"], row) for row in data["rows"]]
    codes = [row["province"] for row in data["rows"]] if regional else []
    measures = [
        {
            "name": m["name"] or m["code"],
            "code": m["code"],
            "cells": [dash_for_zero(m["by_province"].get(code, 0)) for code in codes],
            "total": fmt.integer(m["total"]),
        }
        for m in data["measures"]
    ]
    step_labels = [STEP_SHORT_LABELS[Step(s)] for s in STEPS]
    total = data["total"]
    as_of = fmt.day(data["period_end"])
    funnel = rate_chart = None
    if total["workers"]:
        funnel = data_uri(
            charts.step_funnel(
                list(zip(step_labels, [total["steps"][s] for s in STEPS], strict=True))
            )
        )
    if regional and total["workers"]:
        rate_chart = data_uri(
            charts.rate_bars(
                [row["name"] for row in data["rows"]],
                [row["activation_rate"] for row in data["rows"]],
                overall=total["activation_rate"],
                overall_label=_("Lombardy"),
            )
        )
    return {
        "as_of": as_of,
        "previous_as_of": fmt.day(previous.end),
        "steps": step_labels,
        "rows": rows,
        "total": step_row("TOT", total) if regional else None,
        "measures": measures,
        "measure_provinces": codes,
        "measures_total": {
            "cells": [dash_for_zero(row["activated_in_quarter"]) for row in data["rows"]]
            if regional
            else [],
            "total": fmt.integer(total["activated_in_quarter"]),
        },
        "funnel_chart": funnel,
        "rate_chart": rate_chart,
    }


def pal_page(data: dict, context: Context) -> dict:
    # By name: monitoring.renderers.pal builds on this module (data_uri).
    return import_string("monitoring.renderers.pal.pdf_page")(data, context)


BUILDERS = {
    ReportKind.ANNUAL: annual_page,
    ReportKind.BIMONTHLY: bimonthly_page,
    ReportKind.QUARTERLY: quarterly_page,
    ReportKind.PAL_MONITORING: pal_page,
}
