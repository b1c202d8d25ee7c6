"""Find a worker from the header, print a page, read the glossary (issue #13, "Missing")."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.factories import UserFactory
from tests.workers.factories import InvolvementFactory


@pytest.fixture
def officer_day(transactional_db):
    procedure = CrisisProcedureFactory(lead="BG")
    unit = ProductionUnitFactory(procedure=procedure, province_id="BG")
    found = InvolvementFactory(unit=unit)
    # Names are never passed to a factory here: factory_boy logs its arguments, and the journey
    # checks that no worker's name reaches a log line. Milano's worker gets the same surname.
    other = InvolvementFactory(unit__procedure__lead="MI")
    type(other.worker).objects.filter(pk=other.worker_id).update(last_name=found.worker.last_name)
    user = UserFactory(username="nucleo.bg", province_staff=True, provinces=["BG"])
    user.set_password(PASSWORD)
    user.save()
    return procedure, found


def test_an_officer_finds_a_worker_from_the_header_without_a_url_trace(
    page, live_server, login, officer_day
):
    procedure, found = officer_day
    login("nucleo.bg")
    search = page.get_by_role("search", name="Find a worker").get_by_role("searchbox")
    worker = found.worker
    search.fill(worker.last_name.lower())
    search.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a worker")
    expect(page.get_by_role("status")).to_have_text("1 worker found")
    assert worker.last_name.lower() not in page.url.lower() and "?" not in page.url
    name = f"{worker.last_name} {worker.first_name}"
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    assert page.url.endswith(reverse("workers:worker_detail", args=[found.worker_id]))


def test_printing_a_procedure_leaves_the_portal_around_it_out(
    page, live_server, login, officer_day
):
    procedure, _found = officer_day
    login("nucleo.bg")
    page.goto(f"{live_server.url}{reverse('cases:procedure_detail', args=[procedure.pk])}")
    page.emulate_media(media="print")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    for chrome in (
        page.get_by_role("navigation", name="Main navigation"),
        page.get_by_role("search", name="Find a worker"),
        page.get_by_role("button", name="Log out"),
        page.get_by_role("link", name="Open the workers"),
    ):
        expect(chrome).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.emulate_media(media="screen")
    page.get_by_role("link", name="What do the steps mean?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Glossary")
    expect(page.locator("#step-STEP_3")).to_contain_text("STEP 3")
