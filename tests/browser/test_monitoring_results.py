"""Issue #15 in headless Chromium: the dashboard's re-employment and money sections and the
operators' results, as the Region and as a Nucleo (province officer), with and without
JavaScript (every chart's table is in the page)."""

import datetime
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from cases.models import Province
from pal.enums import PIPStatus
from pal.models import OperatorOffice
from tests.browser.conftest import PASSWORD
from tests.cases.factories import OperatorFactory
from tests.factories import UserFactory
from tests.monitoring.builders import outcome, procedure, unit, worker
from tests.pal.factories import DoteFactory, PIPFactory
from workers.enums import OutcomeKind

D = datetime.date


@pytest.fixture
def results(transactional_db):
    """BG: three workers taken in charge on 2 April 2025, two with a Dote of Alfa Lavoro (office
    in Bergamo), one re-employed 30 days after her Dote (within 6 months of STEP 1).
    MI: one worker with a Dote of Beta Servizi, not re-employed."""
    alfa, beta = OperatorFactory(name="Alfa Lavoro"), OperatorFactory(name="Beta Servizi")
    OperatorOffice.objects.create(
        operator=alfa, comune="Bergamo", province=Province.objects.get(code="BG")
    )
    bg, mi = unit(procedure()), unit(procedure(lead="MI"), province="MI")
    w1, w2, _w3 = worker(bg), worker(bg), worker(bg)
    m1 = worker(mi)
    dote = DoteFactory(involvement=w1, operator=alfa, valid_from=D(2025, 5, 1))
    PIPFactory(dote=dote, status=PIPStatus.APPROVATO)
    DoteFactory(involvement=w2, operator=alfa, valid_from=D(2025, 5, 1))
    DoteFactory(involvement=m1, operator=beta, valid_from=D(2025, 5, 1))
    outcome(w1, OutcomeKind.RICOLLOCATO, D(2025, 5, 31))
    for username, kwargs in (
        ("regione", {"region_official": True}),
        ("nucleo.mi", {"province_staff": True, "provinces": ["MI"]}),
    ):
        user = UserFactory(username=username, **kwargs)
        user.set_password(PASSWORD)
        user.save()


def test_the_region_reads_reemployment_money_and_operators(
    page, live_server, login, results, screenshot
):
    login("regione")
    page.goto(f"{live_server.url}{reverse('monitoring:dashboard')}")
    section = page.locator("#reemployment-section")
    expect(section).to_have_text("Re-employment at 6 and 12 months")
    six = page.locator(".dashboard-kpi").filter(has_text="Re-employed within 6 months")
    expect(six).to_contain_text(re.compile(r"25[.,]0"))  # 1 of the 4 workers counted
    expect(six).to_contain_text("1 of 4 workers counted")
    sex = page.get_by_role("region", name="Sex: re-employment")
    expect(sex.get_by_role("link", name=re.compile("CSV"))).to_be_visible()
    expect(sex.locator("canvas")).to_be_visible()  # drawn, its table folded behind "Table"
    sex.get_by_text("Table", exact=True).click()
    expect(sex.get_by_role("row", name=re.compile("^Female"))).to_contain_text("1")
    money = page.locator(".dashboard-kpi").filter(has_text="Assigned")
    expect(money).to_contain_text(re.compile(r"9[.,]000"))
    expect(page.locator(".dashboard-kpi").filter(has_text="Left")).to_be_visible()
    # The map by re-employment: Bergamo coloured, the figures in its tooltip.
    page.get_by_label("Colour the map by").select_option("reemployment_rate")
    expect(page).to_have_url(re.compile(r"map=reemployment_rate"))
    expect(page.locator("#map-BG title")).to_contain_text(re.compile(r"33[.,]3"))
    screenshot("monitoring-results-dashboard-region")

    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("button", name="Monitoring").click()
    nav.get_by_role("link", name="Operators' results").click()
    expect(page.get_by_role("heading", name="Operators' results", level=1)).to_be_visible()
    table = page.get_by_role("table", name="Operators' results")
    alfa = table.get_by_role("row", name=re.compile("^Alfa Lavoro(?!,)"))
    expect(alfa).to_contain_text("50.0")  # 1 of 2 workers re-employed
    expect(table.get_by_role("row", name=re.compile("BG · Bergamo"))).to_be_visible()
    expect(table.get_by_role("row", name=re.compile("^Beta Servizi(?!,)"))).to_be_visible()
    # Sort by the rate, highest first: the header link, twice.
    table.get_by_role("link", name="Rate").click()
    table.get_by_role("link", name=re.compile("^Rate")).click()
    expect(page).to_have_url(re.compile(r"ordering=-reemployment_rate"))
    expect(table.locator("tbody tr").first).to_contain_text("Alfa Lavoro")
    screenshot("monitoring-results-operators-region")


def test_a_nucleo_sees_its_own_province_only(page, live_server, login, results, screenshot):
    login("nucleo.mi")
    page.goto(f"{live_server.url}{reverse('monitoring:dashboard')}")
    six = page.locator(".dashboard-kpi").filter(has_text="Re-employed within 6 months")
    expect(six).to_contain_text("0 of 1 workers counted")
    expect(page.locator(".dashboard-kpi").filter(has_text="Assigned")).to_contain_text(
        re.compile(r"3[.,]000")
    )
    expect(page.locator(".dashboard-kpi").filter(has_text="Left")).to_have_count(0)
    screenshot("monitoring-results-dashboard-nucleo")
    page.goto(f"{live_server.url}{reverse('monitoring:operator_results')}")
    table = page.get_by_role("table", name="Operators' results")
    expect(table.get_by_role("row", name=re.compile("^Beta Servizi(?!,)"))).to_be_visible()
    expect(table.get_by_role("row", name=re.compile("^Alfa Lavoro(?!,)"))).to_have_count(0)
    screenshot("monitoring-results-operators-nucleo")


def test_the_tables_are_there_without_javascript(page, browser, live_server, results):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    nojs = context.new_page()
    nojs.set_default_timeout(10_000)
    nojs.goto(live_server.url + reverse("login"))
    nojs.get_by_label("Username").fill("regione")
    nojs.get_by_label("Password").fill(PASSWORD)
    nojs.locator("form.portal-form").get_by_role("button", name="Log in").click()
    nojs.goto(live_server.url + reverse("monitoring:dashboard"))
    sex = nojs.get_by_role("region", name="Sex: re-employment")
    expect(sex.get_by_role("row", name=re.compile("^Female"))).to_be_visible()
    sources = nojs.get_by_role("region", name="Money by funding source")
    expect(sources.get_by_role("table")).to_be_visible()
    # The map's measure is a plain form: its button submits it.
    nojs.get_by_label("Colour the map by").select_option("committed")
    nojs.get_by_role("button", name="Show on the map").click()
    expect(nojs).to_have_url(re.compile(r"map=committed"))
    nojs.goto(live_server.url + reverse("monitoring:operator_results"))
    table = nojs.get_by_role("table", name="Operators' results")
    expect(table.get_by_role("row", name=re.compile("^Alfa Lavoro(?!,)"))).to_contain_text("50.0")
    context.close()
