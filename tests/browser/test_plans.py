"""A Nucleo writes its re-employment plan and reads its progress (issue #14 item 5).

``nucleo.bg`` opens the plans from the Monitoring menu, writes a plan with a partner, a phase,
a budget line and an indicator (a second partner added with "Add a row"), is refused a phase
that ends before it starts, then reads the plan page: the indicator's value against its target
with a progress bar, today's phase, the budget's total. axe-core checks each state.
"""

import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.workers.factories import InvolvementFactory


def test_a_nucleo_writes_a_plan_and_reads_its_progress(
    page, live_server, login, make_officer, screenshot
):
    today = timezone.localdate()
    first, last = datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31)
    site = ProductionUnitFactory(procedure=CrisisProcedureFactory(lead="BG", current=True))
    for _ in range(3):
        InvolvementFactory(unit=site, taken_on=today - datetime.timedelta(days=1))
    make_officer("nucleo.bg", "BG")
    login("nucleo.bg")

    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("button", name="Monitoring").click()
    nav.get_by_role("link", name="Re-employment plans").click()
    expect(page.get_by_role("heading", name="Re-employment plans", level=1)).to_be_visible()
    page.get_by_role("link", name="New plan").click()

    page.locator("#id_title").fill("Piano di Azione provinciale per il Reimpiego")
    page.locator("#id_period_from").fill(first.isoformat())
    page.locator("#id_period_to").fill(last.isoformat())
    page.locator("#id_partners-0-role").select_option("cciaa")
    page.locator("#id_partners-0-name").fill("Camera di Commercio di Bergamo")
    page.locator("#partners").get_by_role("button", name="Add a row").click()
    page.locator("#id_partners-1-role").select_option("inps")
    page.locator("#id_partners-1-name").fill("INPS Bergamo")
    page.locator("#id_phases-0-name").fill("Presa in carico")
    page.locator("#id_phases-0-starts_on").fill(last.isoformat())
    page.locator("#id_phases-0-ends_on").fill(first.isoformat())
    page.locator("#id_budget-0-funding_source").select_option("regionale")
    page.locator("#id_budget-0-amount").fill("7726497")
    page.locator("#id_indicators-0-metric").select_option("taken_in_charge")
    page.locator("#id_indicators-0-target").fill("4")
    page.get_by_role("button", name="Create plan").click()

    # Refused: the phase ends before it starts, said on the field.
    expect(page.locator("#id_phases-0-ends_on_error")).to_have_text(
        "The phase ends before it starts."
    )
    screenshot("plan-refused")
    page.locator("#id_phases-0-starts_on").fill(first.isoformat())
    page.locator("#id_phases-0-ends_on").fill(last.isoformat())
    page.get_by_role("button", name="Create plan").click()

    expect(page.get_by_role("heading", name="Piano di Azione", level=1)).to_be_visible()
    row = page.locator("tr[data-metric='taken_in_charge']")
    expect(row.locator("[data-value]")).to_have_text("3")
    expect(row.locator("[data-progress]")).to_have_text("75%")
    expect(row.get_by_role("progressbar")).to_have_attribute("value", "75")
    expect(page.locator("[aria-current='step']")).to_contain_text("Presa in carico")
    expect(page.locator("[data-budget-total]")).to_have_text(re.compile(r"7[.,]726[.,]497"))
    expect(page.get_by_role("cell", name="INPS Bergamo")).to_be_visible()
    screenshot("plan-progress")
