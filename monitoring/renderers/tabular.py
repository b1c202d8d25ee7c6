"""The reports as CSV (machine format) and XLSX (for people who work in a spreadsheet).

CSV: English snake_case headers, raw numbers with a dot for decimals, ``\\n`` line endings, UTF-8
without BOM. The annual CSV has exactly the columns and number format of the Region's published
file (``shared/reference/annual_2024_lombardia.csv``): % weights with one decimal, a ``TOT`` row
whose weights are ``100.00`` — or ``0.00`` for a family with no units (or no workers) in the
year, since every province's weight is then ``0.0`` (``labels.total_share``).

XLSX: one sheet per table, title rows (issuer and scope, report title, period, generation date),
a bold header row with frozen panes below it, an autofilter over the data rows (not the TOT
row), numbers stored as numbers with display formats (``0.0`` for % weights, ``0.00`` for the
TOT weights), dates as dates. Header labels are translated (the caller activates the language).
"""

import io
from dataclasses import dataclass, field
from datetime import UTC, date

from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from cases.enums import FAMILY_SHORT_LABELS, Family, Status
from cases.models import Province
from crisi_portal import exports
from monitoring import formatting as fmt
from monitoring.enums import ReportKind
from monitoring.periods import Period
from monitoring.renderers import Context, Rendered, labels
from monitoring.reports import CIGS_FAMILIES, FAMILIES, STEPS
from workers.enums import STEP_SHORT_LABELS, Step

# --- CSV ----------------------------------------------------------------------------------------


def render_csv(data: dict, context: Context) -> Rendered:
    buffer = io.StringIO()
    writer = exports.writer(buffer, lineterminator="\n")
    writer.writerows(CSV_TABLES[ReportKind(data["kind"])](data))
    return Rendered(buffer.getvalue().encode("utf-8"))


def annual_csv(data: dict) -> list[list]:
    header = ["province"]
    for family in FAMILIES:
        prefix = labels.FAMILY_COLUMNS[family]
        header += [f"{prefix}_units", f"{prefix}_units_pct", f"{prefix}_workers"]
        header += [f"{prefix}_workers_pct"]
    header.append("total_workers")
    rows = [header]
    for row in data["rows"]:
        line = [row["province"]]
        for family in FAMILIES:
            cell = row[family]
            line += [cell["units"], fmt.plain_decimal(cell["units_pct"]), cell["workers"]]
            line.append(fmt.plain_decimal(cell["workers_pct"]))
        rows.append([*line, row["total_workers"]])
    total = data["total"]
    line = ["TOT"]
    for family in FAMILIES:
        units, workers = total[family]["units"], total[family]["workers"]
        line += [units, fmt.plain_decimal(labels.total_share(units), 2), workers]
        line.append(fmt.plain_decimal(labels.total_share(workers), 2))
    rows.append([*line, total["total_workers"]])
    return rows


BIMONTHLY_UNIT_COLUMNS = [
    "external_id",
    "company",
    "company_tax_code",
    "family",
    "status",
    "opened_on",
    "start_date",
    "end_date",
    "unit_name",
    "comune",
    "workers",
]


def bimonthly_csv(data: dict) -> list[list]:
    """A province's document: one row per production unit; the Region's: the summary rows."""
    if "procedures" in data:
        rows = [BIMONTHLY_UNIT_COLUMNS]
        for p in data["procedures"]:
            procedure = [p["external_id"], p["company"], p["company_tax_code"], p["family"]]
            procedure += [p["status"], p["opened_on"], p["start_date"], p["end_date"] or ""]
            rows += [[*procedure, u["name"], u["comune"], u["workers"]] for u in p["units"]]
        return rows
    header = ["province", "name"]
    for family in CIGS_FAMILIES:
        prefix = labels.FAMILY_COLUMNS[family]
        header += [f"{prefix}_procedures", f"{prefix}_units", f"{prefix}_workers"]
    header += ["procedures", "units", "workers"]
    rows = [header]
    for row in [*data["summary"], {**data["total"], "province": "TOT", "name": ""}]:
        line = [row["province"], row["name"]]
        for family in CIGS_FAMILIES:
            line += [row[family]["procedures"], row[family]["units"], row[family]["workers"]]
        rows.append([*line, row["procedures"], row["units"], row["workers"]])
    return rows


def quarterly_csv(data: dict) -> list[list]:
    steps = [step.lower() for step in STEPS]
    header = ["province", "name", *steps, "workers", "activation_rate", "activated_in_quarter"]
    header += [f"previous_{s}" for s in steps] + ["previous_workers", "previous_activation_rate"]
    header += [f"change_{s}" for s in steps] + ["change_workers", "change_activation_rate"]
    rows = [header]
    for row in [*data["rows"], {**data["total"], "province": "TOT", "name": ""}]:
        before, delta = row["previous"], row["change"]
        line = [row["province"], row["name"], *(row["steps"][s] for s in STEPS), row["workers"]]
        line += [fmt.plain_decimal(row["activation_rate"]), row["activated_in_quarter"]]
        line += [*(before["steps"][s] for s in STEPS), before["workers"]]
        line.append(fmt.plain_decimal(before["activation_rate"]))
        line += [*(delta[s] for s in STEPS), delta["workers"]]
        line.append(fmt.plain_decimal(delta["activation_rate"]))
        rows.append(line)
    return rows


def pal_csv(data: dict) -> list[list]:
    # By name: monitoring.renderers.pal builds on this module's tables.
    return import_string("monitoring.renderers.pal.csv_rows")(data)


CSV_TABLES = {
    ReportKind.ANNUAL: annual_csv,
    ReportKind.BIMONTHLY: bimonthly_csv,
    ReportKind.QUARTERLY: quarterly_csv,
    ReportKind.PAL_MONITORING: pal_csv,
}


# --- XLSX ---------------------------------------------------------------------------------------

BLUE = "0066CC"
DARK = "17324D"
HEADER_FILL = PatternFill("solid", fgColor="E6F0FA")
TOTAL_FILL = PatternFill("solid", fgColor="E6F0FA")
RULE = Side(style="thin", color=BLUE)

# Display formats by kind of column; the stored value is always the raw number.
FORMATS = {
    "text": None,
    "int": "#,##0",
    "pct": "0.0",
    "pct_total": "0.00",
    "rate": "0.0",
    "signed": "+#,##0;-#,##0;0",
    "signed_rate": "+0.0;-0.0;0.0",
    "date": "DD/MM/YYYY",
}
WIDTHS = {"text": 14, "int": 11, "pct": 9, "rate": 11, "signed": 10, "signed_rate": 10, "date": 12}


@dataclass
class Column:
    label: str
    kind: str = "int"
    width: float | None = None


@dataclass
class Table:
    columns: list[Column]
    rows: list[list]
    total: list | None = None
    total_kinds: list[str] | None = None  # when the TOT row formats differ (annual 100.00)
    groups: list[tuple[str, int]] = field(default_factory=list)  # (label, span) over the header


def render_xlsx(data: dict, context: Context) -> Rendered:
    workbook = Workbook()
    workbook.remove(workbook.active)
    XLSX_SHEETS[ReportKind(data["kind"])](workbook, data, context)
    title = labels.title(data["kind"])
    workbook.properties.title = f"{title} – {context.period.label}"
    workbook.properties.creator = labels.REGION
    # openpyxl takes naive datetimes and writes them as UTC ("…Z").
    moment = context.generated_at.astimezone(UTC).replace(tzinfo=None)
    workbook.properties.created = workbook.properties.modified = moment
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Rendered(buffer.getvalue())


def new_sheet(workbook: Workbook, name: str, data: dict, context: Context, subtitle: str = ""):
    """A sheet with the four title rows (and an optional subtitle); returns (sheet, next row)."""
    sheet = workbook.create_sheet(name[:31])  # Excel's limit on sheet names
    institution = labels.institution(data.get("scope"), context.scope_label)
    lines = [
        (labels.REGION + (f" – {institution}" if institution else ""), Font(bold=True, color=BLUE)),
        (labels.title(data["kind"]), Font(bold=True, size=14, color=DARK)),
        (context.period.label, Font(size=11)),
        (labels.generated(fmt.moment(context.generated_at)), Font(italic=True, color="5C6F82")),
    ]
    if subtitle:
        lines.append((subtitle, Font(bold=True, size=11, color=DARK)))
    for number, (text, font) in enumerate(lines, start=1):
        cell = exports.xlsx_cell(sheet, row=number, column=1, value=text)
        cell.font = font
    return sheet, len(lines) + 2


def write_table(sheet, table: Table, top: int) -> int:
    """Write ``table`` from row ``top``; returns the row after it."""
    row = top
    if table.groups:
        column = 1
        for label, span in table.groups:
            cell = exports.xlsx_cell(sheet, row=row, column=column, value=label or None)
            if span > 1:
                sheet.merge_cells(
                    start_row=row, start_column=column, end_row=row, end_column=column + span - 1
                )
            for offset in range(span):
                filler = sheet.cell(row=row, column=column + offset)
                filler.fill = HEADER_FILL
            cell.font = Font(bold=True, color=DARK)
            cell.alignment = Alignment(horizontal="center", vertical="bottom", wrap_text=True)
            column += span
        row += 1
    header_row = row
    for number, column in enumerate(table.columns, start=1):
        cell = exports.xlsx_cell(sheet, row=row, column=number, value=column.label)
        cell.font = Font(bold=True, color=DARK)
        cell.fill = HEADER_FILL
        cell.border = Border(bottom=RULE)
        cell.alignment = Alignment(
            horizontal="left" if column.kind == "text" else "right",
            vertical="bottom",
            wrap_text=True,
        )
        letter = get_column_letter(number)
        sheet.column_dimensions[letter].width = column.width or WIDTHS.get(column.kind, 12)
    row += 1
    for values in table.rows:
        for number, (column, value) in enumerate(zip(table.columns, values, strict=True), 1):
            cell = exports.xlsx_cell(sheet, row=row, column=number, value=value)
            cell.number_format = FORMATS[column.kind] or "General"
        row += 1
    last_data_row = row - 1
    if table.total is not None:
        kinds = table.total_kinds or [column.kind for column in table.columns]
        for number, (kind, value) in enumerate(zip(kinds, table.total, strict=True), 1):
            cell = exports.xlsx_cell(sheet, row=row, column=number, value=value)
            cell.number_format = FORMATS[kind] or "General"
            cell.font = Font(bold=True)
            cell.fill = TOTAL_FILL
            cell.border = Border(top=RULE, bottom=RULE)
        row += 1
    last = get_column_letter(len(table.columns))
    sheet.auto_filter.ref = f"A{header_row}:{last}{max(last_data_row, header_row)}"
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=2)
    sheet.row_dimensions[header_row].height = 30
    return row


def write_sentence(sheet, text: str, top: int) -> None:
    cell = exports.xlsx_cell(sheet, row=top, column=1, value=text)
    cell.font = Font(bold=True, size=11)
    sheet.column_dimensions["A"].width = 40


def province_column() -> Column:
    return Column(_("Province"), "text", 30)


def annual_xlsx(workbook: Workbook, data: dict, context: Context) -> None:
    names = dict(Province.objects.values_list("code", "name"))
    sheet, top = new_sheet(workbook, _("Annual table"), data, context)
    columns = [province_column()]
    groups = [("", 1)]
    for family in FAMILIES:
        groups.append((f"{labels.guidelines(family)} – {labels.family_name(family)}", 4))
        columns += [
            Column(_("Units")),
            Column(_("% units"), "pct"),
            Column(_("Workers")),
            Column(_("% workers"), "pct"),
        ]
    groups.append(("", 1))
    columns.append(Column(_("Total workers"), "int", 12))
    rows = []
    for row in data["rows"]:
        values = [names.get(row["province"], row["province"])]
        for family in FAMILIES:
            cell = row[family]
            values += [cell["units"], cell["units_pct"], cell["workers"], cell["workers_pct"]]
        rows.append([*values, row["total_workers"]])
    total = ["TOT"]
    for family in FAMILIES:
        units, workers = data["total"][family]["units"], data["total"][family]["workers"]
        total += [units, labels.total_share(units), workers, labels.total_share(workers)]
    total.append(data["total"]["total_workers"])
    total_kinds = ["text"] + ["int", "pct_total", "int", "pct_total"] * len(FAMILIES) + ["int"]
    write_table(sheet, Table(columns, rows, total, total_kinds, groups), top)


def summary_table(data: dict) -> Table:
    columns = [province_column()]
    groups = [("", 1)]
    for family in CIGS_FAMILIES:
        groups.append((labels.family_name(family), 3))
        columns += [Column(_("Procedures")), Column(_("Units")), Column(_("Workers"))]
    groups.append((_("Total"), 3))
    columns += [Column(_("Procedures")), Column(_("Units")), Column(_("Workers"))]

    def values(row: dict, name: str) -> list:
        line = [name]
        for family in CIGS_FAMILIES:
            line += [row[family]["procedures"], row[family]["units"], row[family]["workers"]]
        return [*line, row["procedures"], row["units"], row["workers"]]

    rows = [values(row, row["name"]) for row in data["summary"]]
    return Table(columns, rows, values(data["total"], "TOT"), groups=groups)


def bimonthly_xlsx(workbook: Workbook, data: dict, context: Context) -> None:
    as_of = fmt.day(data["as_of"])
    if "procedures" in data:
        sheet, top = new_sheet(
            workbook,
            _("Procedures"),
            data,
            context,
            _("Procedures in progress on %(day)s") % {"day": as_of},
        )
        if data["procedures"]:
            write_table(sheet, procedures_table(data["procedures"]), top)
        else:
            write_sentence(
                sheet,
                _("No CIGS procedure in progress on %(day)s with units in this province.")
                % {"day": as_of},
                top,
            )
    sheet, top = new_sheet(
        workbook,
        _("Regional summary"),
        data,
        context,
        _("CIGS procedures in progress on %(day)s by province") % {"day": as_of},
    )
    write_table(sheet, summary_table(data), top)


def procedures_table(procedures: list[dict]) -> Table:
    columns = [
        Column(_("Company"), "text", 34),
        Column(_("Tax code"), "text", 14),
        Column(_("Procedure"), "text", 16),
        Column(_("Family"), "text", 16),
        Column(_("Status"), "text", 11),
        Column(_("Opened on"), "date"),
        Column(_("income support from").capitalize(), "date", 13),
        Column(_("income support until").capitalize(), "date", 13),
        Column(_("Production unit"), "text", 30),
        Column(_("Comune"), "text", 20),
        Column(_("Workers")),
    ]
    rows = []
    for p in procedures:
        end = date.fromisoformat(p["end_date"]) if p["end_date"] else None
        procedure = [
            p["company"],
            p["company_tax_code"],
            p.get("number") or p["external_id"],
            str(FAMILY_SHORT_LABELS[Family(p["family"])]),
            str(Status(p["status"]).label),
            date.fromisoformat(p["opened_on"]),
            date.fromisoformat(p["start_date"]),
            end,
        ]
        rows += [[*procedure, u["name"], u["comune"], u["workers"]] for u in p["units"]]
    return Table(columns, rows)


def quarterly_xlsx(workbook: Workbook, data: dict, context: Context) -> None:
    as_of = fmt.day(data["period_end"])
    previous = fmt.day(Period.parse(ReportKind.QUARTERLY, data["previous_period"]).end)
    steps = [STEP_SHORT_LABELS[Step(s)] for s in STEPS]
    regional = data["scope"] == "LOM"
    sheet, top = new_sheet(workbook, _("Provinces"), data, context)
    columns = [province_column()]
    columns += [Column(label) for label in steps] + [Column(_("Total"))]
    columns += [Column(_("Activation rate %"), "rate"), Column(_("PAL activated"), "int", 12)]
    columns += [Column(label) for label in steps] + [Column(_("Total"))]
    columns += [Column(_("Activation rate %"), "rate")]
    columns += [Column(label, "signed") for label in steps] + [Column(_("Total"), "signed")]
    columns += [Column(_("Rate (points)"), "signed_rate")]
    groups = [
        ("", 1),
        (_("Workers by step on %(day)s") % {"day": as_of}, len(steps) + 1),
        ("", 1),
        (_("In the quarter"), 1),
        (_("On %(day)s") % {"day": previous}, len(steps) + 2),
        (_("Change since %(day)s") % {"day": previous}, len(steps) + 2),
    ]

    def values(row: dict, name: str) -> list:
        before, delta = row["previous"], row["change"]
        line = [name, *(row["steps"][s] for s in STEPS), row["workers"]]
        line += [row["activation_rate"], row["activated_in_quarter"]]
        line += [*(before["steps"][s] for s in STEPS), before["workers"]]
        line += [before["activation_rate"], *(delta[s] for s in STEPS), delta["workers"]]
        return [*line, delta["activation_rate"]]

    rows = [values(row, row["name"]) for row in data["rows"]]
    # A province's document has one row: a TOT row would only repeat it.
    total = values(data["total"], "TOT") if regional else None
    write_table(sheet, Table(columns, rows, total, groups=groups), top)

    start = fmt.day(data["period_start"])
    sheet, top = new_sheet(
        workbook,
        _("Measures"),
        data,
        context,
        _("Measures activated from %(start)s to %(end)s") % {"start": start, "end": as_of},
    )
    if not data["measures"]:
        text = _("No measure was activated from %(start)s to %(end)s.")
        write_sentence(sheet, text % {"start": start, "end": as_of}, top)
        return
    codes = [row["province"] for row in data["rows"]] if regional else []
    columns = [Column(_("Code"), "text", 26), Column(_("Measure"), "text", 40)]
    columns += [Column(code, "int", 7) for code in codes] + [Column(_("Total"))]
    rows = [
        [m["code"], m["name"], *(m["by_province"].get(code, 0) for code in codes), m["total"]]
        for m in data["measures"]
    ]
    total = ["TOT", "", *(row["activated_in_quarter"] for row in data["rows"] if regional)]
    total.append(data["total"]["activated_in_quarter"])
    write_table(sheet, Table(columns, rows, total), top)


def pal_xlsx(workbook: Workbook, data: dict, context: Context) -> None:
    # By name: monitoring.renderers.pal builds on this module's tables.
    import_string("monitoring.renderers.pal.xlsx_sheets")(workbook, data, context)


XLSX_SHEETS = {
    ReportKind.ANNUAL: annual_xlsx,
    ReportKind.BIMONTHLY: bimonthly_xlsx,
    ReportKind.QUARTERLY: quarterly_xlsx,
    ReportKind.PAL_MONITORING: pal_xlsx,
}
