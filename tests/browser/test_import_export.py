"""Journeys of issue #13, items 7 and 14, in headless Chromium: an officer uploads a worker list
whose support dates fall outside the procedure's period and that brings a unit past the workers
it declares, reads the warnings (line and column), is held by the confirmation box, confirms;
then downloads the workers list as XLSX and opens it."""

import datetime
import io
import re
from pathlib import Path

from django.urls import reverse
from openpyxl import load_workbook
from playwright.sync_api import expect

from cases.enums import Family
from tests.cases.factories import CompanyFactory, CrisisProcedureFactory, ProductionUnitFactory
from workers.models import Involvement

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "lista_lavoratori_sample.csv"
COMPANY = "Trafilerie Orobiche Browser S.p.A."


def _procedure():
    # Support from 01/04/2025: the sample's 03/03/2025 starts are outside it.
    procedure = CrisisProcedureFactory(
        lead="BG",
        company=CompanyFactory(name=COMPANY),
        family=Family.CIGS_MINISTERIALE,
        start_date=datetime.date(2025, 4, 1),
        end_date=datetime.date(2026, 3, 31),
    )
    # Dalmine declares 10 workers; the sample has 16 there.
    ProductionUnitFactory(
        procedure=procedure, name="Stabilimento di Dalmine", comune="Dalmine", workers_involved=10
    )
    ProductionUnitFactory(procedure=procedure, name="Sede di Treviglio", comune="Treviglio")
    return procedure


def test_upload_warnings_confirm_then_download_the_xlsx(
    page, live_server, make_officer, login, screenshot
):
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    make_officer("nucleo.bg", "BG")
    procedure = _procedure()
    login("nucleo.bg")

    page.goto(f"{live_server.url}{reverse('workers:worker_import', args=[procedure.pk])}")
    page.get_by_label("Worker list (CSV or XLSX)").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Check the file").click()

    summary = page.locator("#import-warnings-summary")
    expect(summary).to_contain_text("25 warnings")
    warnings = page.locator("#import-warnings tbody tr")
    expect(warnings).to_have_count(25)  # 24 starts before 01/04/2025, one unit past 10
    first = warnings.first.get_by_role("cell")
    expect(first.nth(0)).to_have_text("2")
    expect(first.nth(1)).to_have_text("Data inizio")
    expect(first.nth(2)).to_contain_text("03/03/2025 is outside the income support period")
    expect(page.locator("#import-warnings")).to_contain_text("declares 10 workers")
    screenshot("import-warnings")

    # The box is required: the browser holds the form, nothing is saved.
    confirm = page.get_by_role("button", name="Confirm the import despite the warnings")
    confirm.click()
    expect(page.get_by_label("I have checked the warnings")).to_be_attached()
    assert page.evaluate("document.querySelector('#accept-warnings').validity.valueMissing")
    assert Involvement.objects.filter(procedure=procedure).count() == 0

    page.get_by_text("I have checked the warnings").click()  # the label, as a person does
    expect(page.get_by_label("I have checked the warnings")).to_be_checked()
    confirm.click()
    expect(page.get_by_role("heading", name=f"Workers – {COMPANY}", level=1)).to_be_visible()
    expect(page.locator("#workers-results .list-count")).to_have_text("24 workers")
    assert Involvement.objects.filter(procedure=procedure).count() == 24

    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"^Excel \(XLSX\)")).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Fiscal code", "Last name", "First name")
    assert len(rows) == 1 + 24
    assert "FMGCHR66A61G273Z" in {row[0] for row in rows[1:]}
    assert errors == []
