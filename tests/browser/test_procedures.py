"""End-to-end journeys through the procedure pages, in headless Chromium (§2, §1 scoping).

Run alone with ``.venv/bin/python -m pytest tests/browser``; screenshots of each journey's last
page land in ``test-results/browser/``.
"""

import re
import shutil

import pytest
from playwright.sync_api import expect

from cases.enums import Family
from cases.models import CrisisProcedure
from tests.browser import conftest as harness
from tests.cases.factories import (
    CompanyFactory,
    CrisisProcedureFactory,
    ProductionUnitFactory,
    partita_iva,
)

COMPANY = "Fonderie Orobiche Browser S.r.l."
COMPANY_TAX_CODE = partita_iva(9_876_543)


# --- The skip-or-fail decision (no browser needed) ------------------------------------------


def test_browser_executable_is_found_on_path(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: f"/opt/bin/{name}")
    assert harness.browser_executable() == "/opt/bin/chromium"


def test_browser_executable_is_none_without_chromium(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert harness.browser_executable() is None


@pytest.mark.parametrize(
    ("value", "required"),
    [(None, False), ("", False), ("0", False), ("no", False), ("1", True), ("true", True)],
)
def test_require_browser_follows_the_environment(monkeypatch, value, required):
    if value is None:
        monkeypatch.delenv(harness.REQUIRE_ENV, raising=False)
    else:
        monkeypatch.setenv(harness.REQUIRE_ENV, value)
    assert harness.require_browser() is required


# --- Journeys --------------------------------------------------------------------------------


def _create_procedure_through_the_form(page, live_server):
    """Journey 1 up to the detail page: Procedures → New procedure → two units → Create."""
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Procedures"
    ).click()
    expect(page.get_by_role("heading", name="Crisis procedures", level=1)).to_be_visible()
    page.get_by_role("link", name="New procedure").click()
    expect(page.get_by_role("heading", name="New crisis procedure")).to_be_visible()

    page.get_by_label("Company tax code").fill(COMPANY_TAX_CODE)
    page.get_by_label("Company name").fill(COMPANY)
    page.get_by_label("Family").select_option(Family.CIGS_MINISTERIALE.value)
    lead = page.get_by_label("Lead province")
    expect(lead).to_have_value("BG")  # the officer's only province is preselected
    lead.select_option("BG")
    page.get_by_label("Opened on").fill("2025-03-10")
    page.get_by_label("Income support from").fill("2025-04-01")
    page.get_by_label("Income support until").fill("2026-03-31")

    units = page.locator("#unit-forms [data-unit-form]")
    expect(units).to_have_count(1)
    first = units.nth(0)
    first.get_by_label("Name", exact=True).fill("Stabilimento di Dalmine")
    first.get_by_label("Municipality").fill("Dalmine")
    expect(first.get_by_label("Province")).to_have_value("BG")
    first.get_by_label("Workers involved").fill("120")

    page.get_by_role("button", name="Add another unit").click()  # clones the <template>
    expect(units).to_have_count(2)
    second = units.nth(1)
    expect(second.get_by_label("Name", exact=True)).to_have_attribute("name", "units-1-name")
    second.get_by_label("Name", exact=True).fill("Magazzino di Treviglio")
    second.get_by_label("Municipality").fill("Treviglio")
    second.get_by_label("Province").select_option("BG")
    second.get_by_label("Workers involved").fill("35")
    expect(page.locator("#id_units-TOTAL_FORMS")).to_have_value("2")

    page.get_by_role("button", name="Create procedure").click()

    expect(page.get_by_role("heading", name=COMPANY, level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/procedures?/\d+/?$"))
    expect(page.get_by_role("status")).to_contain_text("created")
    units_table = page.get_by_role("table").filter(
        has=page.get_by_role("columnheader", name="Unit", exact=True)
    )
    rows = units_table.locator("tbody").get_by_role("row")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Stabilimento di Dalmine")).to_contain_text("120")
    expect(rows.filter(has_text="Magazzino di Treviglio")).to_contain_text("35")
    expect(units_table.locator("tfoot")).to_contain_text("155")
    return CrisisProcedure.objects.get(company__name=COMPANY)


def test_officer_creates_a_procedure_with_two_units(
    page, live_server, make_officer, login, screenshot
):
    make_officer("nucleo.bg", "BG")
    CrisisProcedureFactory(
        lead="BG", company=CompanyFactory(name="Altra Azienda Bergamasca S.p.A.")
    )
    login("nucleo.bg")

    procedure = _create_procedure_through_the_form(page, live_server)
    assert procedure.lead_province_id == "BG"
    # A number people read (issue #13, item 13): BG-<year>-NNNN, not a hex id.
    assert re.fullmatch(rf"BG-{procedure.opened_on.year}-\d{{4}}", procedure.number)
    expect(
        page.get_by_role("heading", level=1).locator("xpath=following-sibling::p[1]")
    ).to_contain_text(procedure.number)
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text(procedure.number)
    assert procedure.company.tax_code == COMPANY_TAX_CODE
    assert sorted(procedure.units.values_list("comune", "workers_involved")) == [
        ("Dalmine", 120),
        ("Treviglio", 35),
    ]
    screenshot("journey-1-detail")

    # The list: both procedures, then only the new one once the sidebar search runs (htmx).
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Procedures").click()
    results = page.locator("#results")
    expect(results.get_by_role("row")).to_have_count(3)  # header + 2
    page.evaluate("window.__sameDocument = true")
    with page.expect_response(
        lambda r: "/procedures" in r.url and "q=" in r.url and r.request.headers.get("hx-request")
    ):
        search = page.get_by_label("Search")
        search.fill("Orobiche")
        search.press("Enter")
    expect(results.get_by_role("row")).to_have_count(2)  # header + the new procedure
    row = results.get_by_role("row").nth(1)
    expect(row).to_contain_text(COMPANY)
    expect(row.get_by_role("link", name=procedure.reference)).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]q=Orobiche"))  # hx-push-url
    assert page.evaluate("window.__sameDocument === true"), "the search reloaded the whole page"
    screenshot("journey-1-list")


def test_other_province_gets_404_and_an_empty_list(
    page, live_server, make_officer, login, screenshot
):
    bg_procedure = CrisisProcedureFactory(lead="BG", company=CompanyFactory(name=COMPANY))
    ProductionUnitFactory(procedure=bg_procedure)
    mi_procedure = CrisisProcedureFactory(
        lead="MI", company=CompanyFactory(name="Meccanica Milanese")
    )
    make_officer("nucleo.mi", "MI")
    login("nucleo.mi")

    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Procedures"
    ).click()
    results = page.locator("#results")
    expect(results).to_contain_text("Meccanica Milanese")  # the control: MI sees its own
    expect(results).to_contain_text(mi_procedure.reference)
    expect(results).not_to_contain_text(COMPANY)
    expect(results).not_to_contain_text(bg_procedure.reference)

    response = page.goto(f"{live_server.url}{bg_procedure.get_absolute_url()}")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text(COMPANY)).to_have_count(0)
    screenshot("journey-2-404")


def test_end_date_before_start_date_is_refused(page, live_server, make_officer, login, screenshot):
    make_officer("nucleo.bg", "BG")
    login("nucleo.bg")
    page.goto(f"{live_server.url}/")
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Procedures"
    ).click()
    page.get_by_role("link", name="New procedure").click()

    page.get_by_label("Company tax code").fill(COMPANY_TAX_CODE)
    page.get_by_label("Company name").fill(COMPANY)
    page.get_by_label("Family").select_option(Family.CIGS_REGIONALE.value)
    page.get_by_label("Opened on").fill("2025-03-10")
    page.get_by_label("Income support from").fill("2025-06-01")
    page.get_by_label("Income support until").fill("2025-05-31")
    unit = page.locator("#unit-forms [data-unit-form]").first
    unit.get_by_label("Municipality").fill("Bergamo")
    unit.get_by_label("Workers involved").fill("10")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Create procedure").click()
    assert posted.value.status == 422

    end = page.get_by_label("Income support until")
    expect(end).to_have_attribute("aria-invalid", "true")
    expect(end).to_have_value("2025-05-31")  # what was typed is kept
    error = page.locator("#id_end_date_error")
    expect(error).to_have_text("The end of income support cannot precede its start.")
    # "Next to the field": the message sits in the same field wrapper as the input.
    expect(page.locator(".portal-field.is-invalid").filter(has=end)).to_contain_text(
        "cannot precede its start"
    )
    expect(page.get_by_label("Company name")).to_have_value(COMPANY)
    assert CrisisProcedure.objects.count() == 0
    screenshot("journey-3-invalid-dates")


def test_create_journey_has_no_csp_violations_or_page_errors(
    page, live_server, make_officer, login, screenshot
):
    console_errors: list[str] = []
    page_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    make_officer("nucleo.bg", "BG")
    login("nucleo.bg")

    _create_procedure_through_the_form(page, live_server)
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Procedures").click()
    page.get_by_label("Search").fill("Orobiche")
    page.get_by_label("Search").press("Enter")
    expect(page.locator("#results").get_by_role("row")).to_have_count(2)
    screenshot("journey-4-csp")

    violations = [text for text in console_errors if "Content Security Policy" in text]
    assert violations == []
    assert page_errors == []
    assert console_errors == []
