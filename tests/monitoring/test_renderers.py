"""The report documents (§5): the annual CSV as the Region publishes it, XLSX read back, PDFs
read back with poppler (pdftotext, pdfinfo, pdffonts).

``seed_demo`` runs once for the module (it takes seconds) inside a transaction that is rolled
back; the documents drawn from it are rendered there too. Tests about particular procedures
build their own data with factories.
"""

import datetime
import io
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone, translation
from openpyxl import load_workbook
from PIL import Image

from cases.enums import Family
from monitoring import formatting
from monitoring.periods import Period
from monitoring.renderers import Context, charts, render_document
from monitoring.renderers.pdf import render_pdf
from monitoring.renderers.tabular import render_csv, render_xlsx
from monitoring.reports import STEPS, build
from tests.cases.factories import CompanyFactory, CrisisProcedureFactory, ProductionUnitFactory

PUBLISHED_2024 = Path(__file__).resolve().parent.parent / "data" / "annual_2024_lombardia.csv"
GENERATED_AT = datetime.datetime(2026, 11, 21, 22, 5, tzinfo=datetime.UTC)  # 23:05 in Rome
REGION = "Regione Lombardia"


def context(kind: str, code: str, scope_label: str = REGION) -> Context:
    return Context(
        scope_label=scope_label, period=Period.parse(kind, code), generated_at=GENERATED_AT
    )


def poppler(tool: str, pdf: bytes, tmp: Path, *args: str) -> str:
    path = tmp / "report.pdf"
    path.write_bytes(pdf)
    command = [tool, *args, str(path)] + (["-"] if tool == "pdftotext" else [])
    return subprocess.run(command, capture_output=True, check=True, text=True).stdout


def words(text: str) -> str:
    """The text with every run of whitespace made one space: table rows become comparable."""
    return " ".join(text.split())


# Every test here is a database test, even those that only read the module's documents:
# pytest-django runs non-database tests after the transactional ones (browser journeys),
# whose final flush would leave the module fixture's seed without the reference data.
# One xdist worker for the module: the seeded data (module fixture) is built once.
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("renderers")]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo data's reports and documents, rendered in English (labels) once for the module."""
    quarter = Period.just_ended("quarterly", timezone.localdate())
    with (
        django_db_blocker.unblock(),
        override_settings(DEBUG=True),
        translation.override("en"),
        transaction.atomic(),
    ):
        call_command("seed_demo", stdout=io.StringIO())
        annual = build("annual", Period.parse("annual", "2024"))
        quarterly = build("quarterly", quarter)
        quarterly_mi = build("quarterly", quarter, "MI")
        annual_context = context("annual", "2024")
        quarterly_context = context("quarterly", quarter.code)
        documents = SimpleNamespace(
            annual=annual,
            annual_csv=render_csv(annual, annual_context),
            annual_xlsx=render_xlsx(annual, annual_context),
            annual_pdf=render_pdf(annual, annual_context),
            quarterly=quarterly,
            quarterly_csv=render_csv(quarterly, quarterly_context),
            quarterly_xlsx=render_xlsx(quarterly, quarterly_context),
            quarterly_pdf=render_pdf(quarterly, quarterly_context),
            quarterly_mi=quarterly_mi,
            quarterly_mi_pdf=render_pdf(
                quarterly_mi, context("quarterly", quarter.code, "Milano (Città Metropolitana)")
            ),
            tmp=tmp_path_factory.mktemp("reports"),
        )
        transaction.set_rollback(True)
    return documents


# --- Annual -------------------------------------------------------------------------------------


def test_annual_csv_of_2024_is_the_regions_published_file_byte_for_byte(seeded):
    assert seeded.annual_csv.content == PUBLISHED_2024.read_bytes()


@pytest.mark.django_db
def test_annual_csv_through_the_dispatcher_is_the_same_file(seeded):
    rendered = render_document(
        seeded.annual, "csv", scope_label=REGION, period=Period.parse("annual", "2024")
    )
    assert rendered.content == PUBLISHED_2024.read_bytes()
    assert rendered.pages is None


@pytest.mark.django_db
def test_annual_tot_row_shows_0_00_for_a_family_with_no_units_in_the_year():
    procedure = CrisisProcedureFactory(
        family=Family.CIGS_MINISTERIALE, opened_on=datetime.date(2023, 5, 2)
    )
    ProductionUnitFactory(procedure=procedure, workers_involved=12)
    data = build("annual", Period.parse("annual", "2023"))
    lines = render_csv(data, context("annual", "2023")).content.decode().splitlines()
    header, tot = lines[0].split(","), lines[-1].split(",")
    row = dict(zip(header, tot, strict=True))
    assert row["cigs_min_units_pct"] == "100.00"
    assert row["cigs_min_workers_pct"] == "100.00"
    assert row["cigs_reg_units_pct"] == "0.00"
    assert row["lic_workers_pct"] == "0.00"
    assert row["total_workers"] == "12"


def test_annual_xlsx_holds_the_numbers_as_numbers_with_the_tot_row(seeded):
    sheet = load_workbook(io.BytesIO(seeded.annual_xlsx.content)).worksheets[0]
    assert sheet["A1"].value == REGION
    assert sheet["A3"].value == "Year 2024"
    assert sheet["A4"].value == "Generated on 21/11/2026 23:05"
    assert sheet["A7"].value == "Province"
    assert sheet["A7"].font.bold
    assert sheet.freeze_panes == "B8"
    assert sheet.auto_filter.ref == "A7:N19"  # the twelve provinces, not the TOT row

    bergamo = [cell.value for cell in sheet[8]]
    first = seeded.annual["rows"][0]
    assert bergamo[0] == "Bergamo"
    assert bergamo[1:5] == [9, 10.3, 438, 19.6]
    assert bergamo[1:5] == [
        first["cigs_ministeriale"][key] for key in ("units", "units_pct", "workers", "workers_pct")
    ]
    assert bergamo[13] == first["total_workers"] == 1615
    assert sheet["C8"].number_format == "0.0"
    assert sheet["B8"].number_format == "#,##0"

    tot = [cell.value for cell in sheet[20]]
    assert tot == ["TOT", 87, 100, 2234, 100, 47, 100, 2342, 100, 219, 100, 4981, 100, 9557]
    assert sheet["C20"].number_format == "0.00"
    assert sheet["C20"].font.bold


def test_annual_pdf_prints_the_table_with_italian_numbers(seeded):
    text = words(poppler("pdftotext", seeded.annual_pdf.content, seeded.tmp, "-layout"))
    # The active language is English: the numbers are Italian all the same.
    assert "Bergamo 9 10,3 438 19,6 6 12,8 561 24,0 28 12,8 616 12,4 1.615" in text
    assert "Milano (Città Metropolitana) 41 47,1 673 30,1 18 38,3 487 20,8 107 48,9" in text
    # The Region's CSV and the XLSX keep its "TOT" row label; the PDF, read by people, says
    # "Total" ("Totale" in Italian: issue #13, item 12). The figures are the same.
    total = "Total 87 100,00 2.234 100,00 47 100,00 2.342 100,00 219 100,00 4.981 100,00 9.557"
    assert total in text
    assert "Guidelines A" in text and "Guidelines B, C" in text and "Guidelines D" in text
    assert "Counting rule." in text
    assert "Generated on 21/11/2026 23:05" in text
    assert f"Page 1 of {seeded.annual_pdf.pages}" in text
    assert f"Page {seeded.annual_pdf.pages} of {seeded.annual_pdf.pages}" in text


def test_annual_pdf_is_a4_landscape(seeded):
    info = poppler("pdfinfo", seeded.annual_pdf.content, seeded.tmp)
    assert "841.89 x 595.276 pts (A4)" in info
    assert f"Pages:           {seeded.annual_pdf.pages}" in info


def test_pdf_embeds_titillium_web_and_no_fallback_font(seeded):
    listing = poppler("pdffonts", seeded.annual_pdf.content, seeded.tmp).splitlines()[2:]
    fonts = [line.split()[0] for line in listing]
    embedded = [line.split()[-5] for line in listing]  # the "emb" column
    assert fonts, "the PDF has no font"
    assert all("Titillium-Web" in name for name in fonts), fonts
    assert set(embedded) == {"yes"}


@pytest.mark.django_db
def test_annual_pdf_of_a_year_without_procedures_is_its_zero_table_alone(tmp_path):
    with translation.override("en"):
        data = build("annual", Period.parse("annual", "2030"))
        rendered = render_pdf(data, context("annual", "2030"))
    text = words(poppler("pdftotext", rendered.content, tmp_path, "-layout"))
    assert "Total 0 0,00 0 0,00 0 0,00 0 0,00 0 0,00 0 0,00 0" in text
    assert "Workers involved by province" not in text  # no chart of nothing
    assert rendered.pages == 1


# --- Quarterly ----------------------------------------------------------------------------------


def quarterly_row_text(row: dict, name: str) -> str:
    """A row of the quarterly table as pdftotext reads it: signed changes, rate with a comma."""
    f = formatting
    cells = [f.integer(row["steps"][s]) for s in STEPS]
    cells += [f.integer(row["workers"]), f.percent(row["activation_rate"])]
    cells += [f.signed_integer(row["change"]["workers"]), f.signed_integer(row["change"]["STEP_4"])]
    cells += [f.signed_decimal(row["change"]["activation_rate"])]
    cells.append(f.integer(row["activated_in_quarter"]))
    return " ".join([name, *cells])


def test_quarterly_pdf_shows_each_province_with_its_activation_rate_after_a_comma(seeded):
    text = words(poppler("pdftotext", seeded.quarterly_pdf.content, seeded.tmp, "-layout"))
    for row in seeded.quarterly["rows"]:
        assert quarterly_row_text(row, row["name"]) in text
    assert quarterly_row_text(seeded.quarterly["total"], "Total") in text
    assert "Activation rate." in text  # the note on how it is computed
    assert "Measures activated in the quarter" in text


def test_quarterly_pdf_is_a4_landscape(seeded):
    info = poppler("pdfinfo", seeded.quarterly_pdf.content, seeded.tmp)
    assert "841.89 x 595.276 pts (A4)" in info


def test_province_quarterly_pdf_has_the_province_header_and_no_tot_row(seeded):
    text = words(poppler("pdftotext", seeded.quarterly_mi_pdf.content, seeded.tmp, "-layout"))
    assert "Città Metropolitana di Milano" in text
    row = seeded.quarterly_mi["rows"][0]
    assert quarterly_row_text(row, "Milano (Città Metropolitana)") in text
    assert not re.search(r"\b(TOT|Total) \d", text.split("Measures activated")[0])


def test_quarterly_csv_has_one_row_per_province_then_tot_with_raw_numbers(seeded):
    lines = seeded.quarterly_csv.content.decode().split("\n")
    assert lines[-1] == ""  # \n-terminated
    header = lines[0].split(",")
    assert header[:10] == [
        "province",
        "name",
        "step_1",
        "step_2",
        "step_3",
        "step_4",
        "no_pal",
        "workers",
        "activation_rate",
        "activated_in_quarter",
    ]
    assert "change_activation_rate" in header
    rows = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:-1]]
    assert [row["province"] for row in rows] == [
        *(r["province"] for r in seeded.quarterly["rows"]),
        "TOT",
    ]
    total = seeded.quarterly["total"]
    assert rows[-1]["workers"] == str(total["workers"])
    assert rows[-1]["activation_rate"] == f"{total['activation_rate']:.1f}"
    assert not seeded.quarterly_csv.content.startswith(b"\xef\xbb\xbf")


def test_quarterly_xlsx_has_a_provinces_sheet_and_a_measures_sheet(seeded):
    workbook = load_workbook(io.BytesIO(seeded.quarterly_xlsx.content))
    provinces, measures = workbook.worksheets
    assert provinces.title == "Provinces" and measures.title == "Measures"
    header = [cell.value for cell in provinces[7]]
    rate_column = header.index("Activation rate %") + 1
    bergamo = seeded.quarterly["rows"][0]
    assert provinces.cell(row=8, column=1).value == "Bergamo"
    assert provinces.cell(row=8, column=rate_column).value == bergamo["activation_rate"]
    assert provinces.cell(row=8, column=rate_column).number_format == "0.0"
    assert provinces.cell(row=20, column=1).value == "TOT"
    assert (
        provinces.cell(row=20, column=rate_column).value
        == (seeded.quarterly["total"]["activation_rate"])
    )
    assert provinces.freeze_panes == "B8"
    if seeded.quarterly["measures"]:
        first = seeded.quarterly["measures"][0]
        assert measures["A7"].value == "Code"
        assert measures["A8"].value == first["code"]
        assert measures.cell(row=8, column=measures.max_column).value == first["total"]


# --- Bimonthly ----------------------------------------------------------------------------------


@pytest.fixture
def procedure_in_bergamo(db):
    """A ministerial CIGS in progress through 2025 with a unit in Bergamo and one in Milan."""
    company = CompanyFactory(name="Tessitura Prova S.r.l.", tax_code="01234560014")
    procedure = CrisisProcedureFactory(
        company=company,
        external_id="PROC-TEST-1",
        family=Family.CIGS_MINISTERIALE,
        opened_on=datetime.date(2025, 3, 10),
        start_date=datetime.date(2025, 4, 1),
        end_date=datetime.date(2026, 3, 31),
    )
    ProductionUnitFactory(
        procedure=procedure, in_province="BG", comune="Dalmine", workers_involved=1234
    )
    ProductionUnitFactory(procedure=procedure, in_province="MI", comune="Rho", workers_involved=56)
    return procedure


def test_bimonthly_province_pdf_lists_the_procedure_with_its_units_in_that_province(
    procedure_in_bergamo, tmp_path
):
    with translation.override("en"):
        data = build("bimonthly", Period.parse("bimonthly", "2025-B3"), "BG")
        rendered = render_pdf(data, context("bimonthly", "2025-B3", "Bergamo"))
    text = words(poppler("pdftotext", rendered.content, tmp_path, "-layout"))
    assert "Provincia di Bergamo" in text
    assert "Tessitura Prova S.r.l." in text
    assert "Tax code 01234560014" in text
    # The support period wraps in its column (a fixed layout: issue #13, item 11).
    assert "10/03/2025" in text and "01/04/2025 –" in text and "31/03/2026" in text
    assert "Dalmine 1.234" in text
    assert "Rho" not in text.split("Regional summary")[0]  # the Milan unit is Milan's
    assert "Procedures in progress on 30/06/2025" in text
    assert "Regional summary" in text
    info = poppler("pdfinfo", rendered.content, tmp_path)
    assert "595.276 x 841.89 pts (A4)" in info  # portrait


def test_bimonthly_province_pdf_says_so_when_no_procedure_is_in_progress(db, tmp_path):
    with translation.override("en"):
        data = build("bimonthly", Period.parse("bimonthly", "2026-B5"), "BG")
        rendered = render_pdf(data, context("bimonthly", "2026-B5", "Bergamo"))
    text = words(poppler("pdftotext", rendered.content, tmp_path))
    assert "No CIGS procedure in progress on 31/10/2026 with units in this province." in text
    assert "Current status" not in text  # no empty table
    assert rendered.pages == 1


def test_bimonthly_csv_of_a_province_has_one_row_per_unit_there(procedure_in_bergamo):
    data = build("bimonthly", Period.parse("bimonthly", "2025-B3"), "BG")
    lines = render_csv(data, context("bimonthly", "2025-B3", "Bergamo")).content.decode()
    assert lines.split("\n")[:2] == [
        "external_id,company,company_tax_code,family,status,opened_on,start_date,end_date,"
        "unit_name,comune,workers",
        "PROC-TEST-1,Tessitura Prova S.r.l.,01234560014,cigs_ministeriale,in_corso,2025-03-10,"
        "2025-04-01,2026-03-31,Stabilimento,Dalmine,1234",
    ]
    assert lines.count("\n") == 2


def test_bimonthly_regional_csv_has_the_summary_and_counts_a_procedure_once_in_tot(
    procedure_in_bergamo,
):
    data = build("bimonthly", Period.parse("bimonthly", "2025-B3"))
    lines = render_csv(data, context("bimonthly", "2025-B3")).content.decode().splitlines()
    assert lines[0].startswith("province,name,cigs_min_procedures,cigs_min_units,cigs_min_workers")
    assert lines[1] == "BG,Bergamo,1,1,1234,0,0,0,1,1,1234"
    assert lines[-1] == "TOT,,1,2,1290,0,0,0,1,2,1290"
    assert len(lines) == 14  # header, twelve provinces, TOT


def test_bimonthly_province_xlsx_has_units_and_summary_sheets(procedure_in_bergamo):
    with translation.override("en"):
        data = build("bimonthly", Period.parse("bimonthly", "2025-B3"), "BG")
        rendered = render_xlsx(data, context("bimonthly", "2025-B3", "Bergamo"))
    units, summary = load_workbook(io.BytesIO(rendered.content)).worksheets
    assert units.title == "Procedures" and summary.title == "Regional summary"
    assert units["A1"].value == "Regione Lombardia – Provincia di Bergamo"
    row = [cell.value for cell in units[8]]
    assert row[0] == "Tessitura Prova S.r.l."
    assert row[5].date() == datetime.date(2025, 3, 10)  # openpyxl reads dates back as datetimes
    assert units["F8"].number_format == "DD/MM/YYYY"
    assert row[-2:] == ["Dalmine", 1234]
    assert units.max_row == 8  # the Milan unit is not in Bergamo's list
    assert [summary.cell(row=9, column=c).value for c in (1, 2, 3, 4)] == ["Bergamo", 1, 1, 1234]
    assert summary.cell(row=21, column=1).value == "TOT"
    assert summary.auto_filter.ref == "A8:J20"


def test_bimonthly_regional_pdf_has_the_summary_and_a_chart(procedure_in_bergamo, tmp_path):
    with translation.override("en"):
        data = build("bimonthly", Period.parse("bimonthly", "2025-B3"))
        rendered = render_pdf(data, context("bimonthly", "2025-B3"))
    text = words(poppler("pdftotext", rendered.content, tmp_path, "-layout"))
    assert "Bergamo 1 1 1.234 0 0 0 1 1 1.234" in text
    assert "Total 1 2 1.290 0 0 0 1 2 1.290" in text
    assert "Workers involved by province" in text
    assert "Provincia di" not in text


# --- Charts -------------------------------------------------------------------------------------


def test_charts_are_repeatable_svg():
    steps = [("STEP 1", 87), ("STEP 2", 185), ("STEP 3", 381), ("STEP 4", 1049), ("NO PAL", 251)]
    first, second = charts.step_funnel(steps), charts.step_funnel(steps)
    assert first.startswith("<?xml") and "<svg" in first
    assert first == second
    assert "<dc:date>" not in first


# --- Every table fits the page (issue #13, item 11) ----------------------------------------------

# pdftoppm at 40 dpi: a pixel is 0.64 mm. A pixel darker than this is ink (text, rule or a row's
# background: the zebra rows are #f5f7f9, about 246).
LAYOUT_DPI = 40
INK_BELOW = 251
# report.css: @page margins, left and right, by orientation (portrait 15 mm, landscape 14 mm).
SIDE_MARGIN_MM = {"portrait": 15, "landscape": 14}
PAGE_WIDTH_MM = {"portrait": 210, "landscape": 297}
BLEED_MM = 1  # anti-aliasing of the last pixel column of the content area

LONG_COMPANY = "Manifattura Tessile Bergamasca di Precisione e Componentistica Industriale S.p.A."


def ink_past_the_margins(pdf: bytes, tmp: Path) -> list[str]:
    """Each page whose ink crosses into its left or right margin, by how many millimetres.

    The PDF is drawn by pdftoppm as PNG pages (``tmp/page-N.png``, kept for a person to look at);
    the running header, footer and page numbers sit in the top and bottom margins, inside the
    content's width, so nothing at all may be drawn in the side margins.
    """
    path = tmp / "report.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(LAYOUT_DPI), str(path), str(tmp / "page")], check=True
    )
    problems = []
    pages = sorted(tmp.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    assert pages, "pdftoppm drew no page"
    for number, png in enumerate(pages, start=1):
        with Image.open(png) as image:
            gray = image.convert("L")
        width, height = gray.size
        orientation = "landscape" if width > height else "portrait"
        per_mm = width / PAGE_WIDTH_MM[orientation]
        margin = SIDE_MARGIN_MM[orientation]
        ink = gray.point(lambda v: 255 if v < INK_BELOW else 0).getbbox()
        if ink is None:
            continue
        left_mm, right_mm = ink[0] / per_mm, (width - ink[2]) / per_mm
        if right_mm < margin - BLEED_MM:
            problems.append(f"page {number}: {margin - right_mm:.1f} mm into the right margin")
        if left_mm < margin - BLEED_MM:
            problems.append(f"page {number}: {margin - left_mm:.1f} mm into the left margin")
    return problems


@pytest.fixture
def long_procedures(db):
    """Bergamo procedures with the longest words a row can hold: company, comuni, many units."""
    comuni = ["San Giovanni Bianco", "Sant'Omobono Terme", "Castelli Calepio", "Brembate di Sopra"]
    for number, family in enumerate([Family.CIGS_MINISTERIALE, Family.CIGS_REGIONALE]):
        procedure = CrisisProcedureFactory(
            lead="BG",
            company=CompanyFactory(name=f"{LONG_COMPANY} {number}", tax_code=f"0123456001{number}"),
            external_id=f"BG-2025-PROCEDURA-STRAORDINARIA-{number:04d}",
            family=family,
            opened_on=datetime.date(2025, 3, 10),
            start_date=datetime.date(2025, 4, 1),
            end_date=datetime.date(2026, 3, 31),
        )
        for comune in comuni:
            ProductionUnitFactory(procedure=procedure, comune=comune, workers_involved=12345)
        ProductionUnitFactory(procedure=procedure, in_province="MB", comune="Vimercate")


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("province", ["BG", None], ids=["province", "region"])
def test_bimonthly_pdf_tables_stay_inside_the_page(long_procedures, tmp_path, province, language):
    with translation.override(language):
        data = build("bimonthly", Period.parse("bimonthly", "2025-B3"), province)
        rendered = render_pdf(data, context("bimonthly", "2025-B3", "Bergamo"))
    text = words(poppler("pdftotext", rendered.content, tmp_path))
    assert "Monza" in text  # the regional summary (the units in Monza e Brianza)
    if province:
        assert "San Giovanni Bianco" in text and "Componentistica" in text
    assert ink_past_the_margins(rendered.content, tmp_path) == []


@pytest.mark.parametrize("document", ["annual_pdf", "quarterly_pdf", "quarterly_mi_pdf"])
def test_annual_and_quarterly_pdf_tables_stay_inside_the_page(seeded, tmp_path, document):
    assert ink_past_the_margins(getattr(seeded, document).content, tmp_path) == []


def test_the_margin_check_sees_a_table_past_the_margin(tmp_path):
    """The check itself: a table 11 mm wider than the page's content area is caught."""
    from weasyprint import HTML

    html = (
        "<style>@page { size: A4 portrait; margin: 26mm 15mm 17mm 15mm }</style>"
        "<table style='width: 191mm; border-collapse: collapse'>"
        "<tr><td style='background: #f5f7f9'>Manifattura</td></tr></table>"
    )
    problems = ink_past_the_margins(HTML(string=html).write_pdf(), tmp_path)
    assert len(problems) == 1 and problems[0].startswith("page 1: 1")
    assert "mm into the right margin" in problems[0]
