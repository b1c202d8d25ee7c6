"""Every page fits its screen: a phone (390 px), a laptop (1366 px), a desktop (1920 px).

Issue #13, item 1. On each page of each role's day, at each width:
* nothing scrolls sideways (the document is no wider than the window);
* on laptop and desktop, no table is wider than its wrapper (no column hidden behind a scroll);
* the main menu's entries sit on one line;
* on a phone, "Log out" is on screen and the tables show as one card per row, each value
  labelled with its column.
"""

import datetime

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.cases.factories import CompanyFactory, CrisisProcedureFactory, ProductionUnitFactory
from tests.factories import UserFactory
from tests.pal.factories import DoteFactory, PIPFactory
from tests.workers.factories import CohortFactory, InvolvementFactory

WIDTHS = (390, 1366, 1920)
# A company name as long as real ones are, so that the tables are tried with real widths.
COMPANY = "Manifattura Tessile Bergamasca di Precisione e Finissaggio S.p.A."


def pages_of(role: str, procedure) -> list[str]:
    if role == "operator":
        return [
            reverse("home"),
            reverse("pal:operator_home"),
            reverse("pal:worker_find"),
            reverse("monitoring:operator_results"),
        ]
    common = [
        reverse("home"),
        reverse("cases:procedure_list"),
        reverse("cases:procedure_detail", args=[procedure.pk]),
        reverse("workers:procedure_workers", args=[procedure.pk]),
        reverse("cases:meeting_list"),
        reverse("pal:network_list"),
        reverse("monitoring:dashboard"),
        reverse("monitoring:cruscotto"),
        reverse("monitoring:operator_results"),
        reverse("monitoring:report_list"),
    ]
    if role == "province_staff":
        common.append(reverse("pal:review_queue"))
    return common


@pytest.fixture
def day(transactional_db):
    """A Bergamo procedure with two units, a cohort and six workers, one with a Dote and PIP."""
    procedure = CrisisProcedureFactory(
        lead="BG",
        company=CompanyFactory(name=COMPANY),
        opened_on=datetime.date(2025, 3, 3),
        start_date=datetime.date(2025, 4, 1),
        end_date=datetime.date(2026, 3, 31),
        high_complexity=True,
    )
    dalmine = ProductionUnitFactory(procedure=procedure, province_id="BG", workers_involved=4)
    ProductionUnitFactory(procedure=procedure, province_id="MI", workers_involved=2)
    cohort = CohortFactory(procedure=procedure, unit=dalmine, name="Reparto finissaggio")
    involvements = [InvolvementFactory(unit=dalmine, cohort=cohort) for _ in range(6)]
    dote = DoteFactory(involvement=involvements[0])
    PIPFactory(dote=dote)
    users = {
        "province_staff": UserFactory(username="nucleo.bg", province_staff=True, provinces=["BG"]),
        "region_official": UserFactory(username="regione", region_official=True),
        "operator": UserFactory(username="operatore", operator=True, operator_id=dote.operator_id),
    }
    for user in users.values():
        user.set_password(PASSWORD)
        user.save()
    return procedure, users


OVERFLOW = """() => {
    const wrappers = [...document.querySelectorAll('.table-responsive')]
        .filter(w => w.scrollWidth > w.clientWidth + 1)
        .map(w => (w.querySelector('caption') || w).textContent.trim().slice(0, 60));
    const items = [...document.querySelectorAll('#portal-nav .navbar-nav > .nav-item')]
        .map(li => Math.round(li.getBoundingClientRect().top));
    return {
        document: document.documentElement.scrollWidth,
        window: window.innerWidth,
        tables: wrappers,
        menuLines: new Set(items).size,
    };
}"""


@pytest.mark.parametrize("role", ["province_staff", "region_official", "operator"])
def test_every_page_fits_phone_laptop_and_desktop(browser, live_server, day, role, screenshot):
    procedure, users = day
    failures = []
    for width in WIDTHS:
        context = browser.new_context(
            viewport={"width": width, "height": 900}, locale="en-GB", timezone_id="Europe/Rome"
        )
        tab = context.new_page()
        tab.set_default_timeout(10_000)
        tab.goto(f"{live_server.url}{reverse('login')}")
        tab.get_by_label("Username").fill(users[role].username)
        tab.get_by_label("Password").fill(PASSWORD)
        tab.locator("form.portal-form").get_by_role("button", name="Log in").click()
        logout = tab.get_by_role("button", name="Log out")
        logout.wait_for()
        for path in pages_of(role, procedure):
            response = tab.goto(f"{live_server.url}{path}")
            assert response.status == 200, (path, response.status)
            tab.wait_for_load_state("networkidle")
            seen = tab.evaluate(OVERFLOW)
            where = f"{role} {path} at {width} px"
            if seen["document"] > seen["window"]:
                failures.append(f"{where}: the page is {seen['document']} px wide")
            if width >= 1366:
                failures.extend(f"{where}: table '{t}' is cut" for t in seen["tables"])
                if seen["menuLines"] > 1:
                    failures.append(f"{where}: the menu takes {seen['menuLines']} lines")
            else:
                box = logout.bounding_box()
                if box is None or box["x"] + box["width"] > width:
                    failures.append(f"{where}: 'Log out' is off screen")
                cells = tab.locator("table.table-portal tbody td[data-label]")
                if tab.locator("table.table-portal tbody td:not([colspan])").count() and (
                    not cells.count()
                ):
                    failures.append(f"{where}: the table rows are not cards")
        if role == "province_staff":
            tab.goto(
                f"{live_server.url}{reverse('workers:procedure_workers', args=[procedure.pk])}"
            )
            screenshot(f"widths-workers-{width}")
        context.close()
    assert not failures, "\n".join(failures)


def test_the_menu_groups_open_and_lead_to_their_pages(page, live_server, day, login):
    login("nucleo.bg")
    nav = page.get_by_role("navigation", name="Main navigation")
    for group, item, heading in (
        ("Monitoring", "Dashboard", "Dashboard"),
        ("Monitoring", "Cruscotto", "Cruscotto"),
        ("Active policies", "PIP review", "PIPs to review"),
    ):
        nav.get_by_role("button", name=group).click()
        nav.get_by_role("link", name=item).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        expect(nav.get_by_role("button", name=group)).to_have_class(
            "nav-link dropdown-toggle active"
        )
