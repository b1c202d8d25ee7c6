"""Journeys for issue #13, items 3, 4, 6 and 9 (item 8, the report period, is in
test_monitoring.py): the meeting form's procedure picker, with and without JavaScript; the
Bergamo officer's meetings naming no Milano company; the worker page's Doti, PIPs and personal
details; the review queue's count, filters and STEP 4 box."""

import datetime
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from cases.models import Meeting
from pal.enums import PIPStatus
from tests.browser.conftest import PASSWORD
from tests.cases.factories import (
    CompanyFactory,
    CrisisProcedureFactory,
    MeetingFactory,
    ProductionUnitFactory,
)
from tests.pal.factories import DoteFactory, PIPFactory, PIPServiceFactory
from tests.workers.factories import CohortFactory, InvolvementFactory, WorkerFactory
from workers.enums import Step
from workers.models import Worker
from workers.services import involvement_move

BG_COMPANIES = ("Fonderie Orobiche S.p.A.", "Tessiture Seriane S.r.l.")
MI_COMPANY = "Meccanica Milanese S.p.A."
PV_COMPANY = "Cartiere Pavesi S.p.A."


def _procedure(province: str, company: str):
    procedure = CrisisProcedureFactory(lead=province, company=CompanyFactory(name=company))
    ProductionUnitFactory(procedure=procedure, name=f"Stabilimento {company.split()[0]}")
    return procedure


@pytest.fixture
def meetings_world(transactional_db):
    """Two Bergamo procedures, a Milano and a Pavia one, and a regional table on all four."""
    procedures = {name: _procedure("BG", name) for name in BG_COMPANIES}
    procedures[MI_COMPANY] = _procedure("MI", MI_COMPANY)
    procedures[PV_COMPANY] = _procedure("PV", PV_COMPANY)
    table = MeetingFactory(regional=True, procedures=list(procedures.values()))
    return procedures, table


def _tick(options, company: str) -> None:
    """Tick a procedure as a person does: on its label (Bootstrap Italia draws the box there)."""
    options.locator("label", has_text=company).click()
    expect(options.get_by_label(company)).to_be_checked()


def _console_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def test_a_bergamo_officer_reads_meetings_without_other_provinces_companies(
    page, live_server, make_officer, login, screenshot, meetings_world
):
    _procedures, table = meetings_world
    make_officer("nucleo.bg", "BG")
    login("nucleo.bg")
    page.goto(live_server.url + reverse("cases:meeting_list"))
    results = page.locator("#results")
    expect(results).to_contain_text(BG_COMPANIES[0])  # the control: Bergamo's own
    expect(results).not_to_contain_text(MI_COMPANY)
    expect(results).not_to_contain_text(PV_COMPANY)
    screenshot("ux-forms-meetings-list-bg")

    results.get_by_role("link", name=table.date.strftime("%d/%m/%Y")).click()
    discussed = page.locator("main")
    expect(discussed).to_contain_text(BG_COMPANIES[1])
    expect(discussed).not_to_contain_text(MI_COMPANY)
    expect(discussed).not_to_contain_text(PV_COMPANY)


def test_an_officer_records_a_meeting_choosing_procedures_with_the_search(
    page, live_server, make_officer, login, screenshot, meetings_world
):
    errors = _console_errors(page)
    make_officer("nucleo.bg", "BG")
    login("nucleo.bg")
    page.goto(live_server.url + reverse("cases:meeting_list"))
    page.get_by_role("link", name="New meeting").click()

    # The rule and the form agree: an officer names the Nucleo, a regional table is not theirs.
    expect(page.get_by_label("Kind")).not_to_contain_text("Regional table")
    expect(page.get_by_label("Convened by")).to_have_value("BG")
    page.get_by_label("Kind").select_option("sindacale")

    picker = page.get_by_role("group", name="Procedures discussed")
    options = picker.locator("#procedure-options")
    expect(options).not_to_contain_text(MI_COMPANY)
    picker.get_by_label("Search procedures").fill("tessit")
    expect(options.get_by_role("checkbox")).to_have_count(1)  # htmx: only the match
    _tick(options, BG_COMPANIES[1])
    picker.get_by_label("Search procedures").fill("milanese")
    expect(options).to_contain_text("No procedure of your provinces matches.")
    expect(options.get_by_label(BG_COMPANIES[1])).to_be_checked()  # the choice is kept
    picker.get_by_label("Search procedures").fill("fonder")
    _tick(options, BG_COMPANIES[0])
    screenshot("ux-forms-meeting-picker")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status").first).to_have_text("Meeting saved.")
    meeting = Meeting.objects.exclude(kind="regionale").get()
    assert sorted(p.company.name for p in meeting.procedures.all()) == sorted(BG_COMPANIES)
    assert meeting.province_id == "BG"
    assert errors == []


def test_the_procedure_picker_works_without_javascript(
    page, browser, live_server, make_officer, meetings_world
):
    # ``page`` marks this a browser journey (its database handling); the journey itself runs
    # in a second context with JavaScript off.
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    nojs = context.new_page()
    nojs.set_default_timeout(10_000)
    make_officer("nucleo.bg", "BG")
    nojs.goto(live_server.url + reverse("login"))
    nojs.get_by_label("Username").fill("nucleo.bg")
    nojs.get_by_label("Password").fill(PASSWORD)
    nojs.locator("form.portal-form").get_by_role("button", name="Log in").click()
    nojs.goto(live_server.url + reverse("cases:meeting_create"))
    nojs.get_by_label("Kind").select_option("sindacale")
    # Participants are rows by role on the meeting page now (issue #14): the notes show that
    # what was typed survives the search.
    nojs.get_by_label("Notes").fill("RSU, direzione aziendale")
    nojs.get_by_label("Search procedures").fill("tessit")
    nojs.get_by_role("button", name="Search", exact=True).click()

    options = nojs.locator("#procedure-options")
    expect(options.get_by_role("checkbox")).to_have_count(1)
    expect(nojs.get_by_label("Notes")).to_have_value("RSU, direzione aziendale")
    _tick(options, BG_COMPANIES[1])
    nojs.get_by_role("button", name="Save").click()
    expect(nojs).to_have_url(re.compile(r"/meetings/\d+/$"))
    assert (
        Meeting.objects.exclude(kind="regionale").get().procedures.get().company.name
        == (BG_COMPANIES[1])
    )
    context.close()


def _worker_with_a_pip():
    procedure = _procedure("BG", BG_COMPANIES[0])
    unit = procedure.units.get()
    cohort = CohortFactory(procedure=procedure, unit=unit, name=unit.name)
    involvement = InvolvementFactory(
        unit=unit, cohort=cohort, worker=WorkerFactory(citizenship="", email="", phone="")
    )
    for day, to in ((10, Step.STEP_2), (11, Step.STEP_3)):
        involvement_move(
            user=None, involvement=involvement, to=to, effective_date=datetime.date(2025, 4, day)
        )
    dote = DoteFactory(involvement=involvement)
    pip = PIPFactory(dote=dote, status=PIPStatus.PRESENTATO)
    PIPServiceFactory(pip=pip)
    return involvement, pip


def test_the_worker_page_links_the_pip_and_edits_the_personal_details(
    page, live_server, make_officer, login, screenshot
):
    involvement, pip = _worker_with_a_pip()
    worker = involvement.worker
    make_officer("nucleo.bg", "BG")
    login("nucleo.bg")
    page.goto(f"{live_server.url}{worker.get_absolute_url()}")

    card = page.locator(f"#involvement-{involvement.pk}")
    expect(card).to_contain_text(involvement.unit.name)
    assert card.inner_text().count(involvement.unit.name) == 1  # the unit once
    card.get_by_role("link", name=f"PIP {pip.reference}").click()
    expect(page).to_have_url(re.compile(rf"/review/{pip.pk}/$"))
    page.go_back()

    page.get_by_role("link", name="Edit personal details").click()
    page.get_by_label("E-mail").fill("not-an-address")
    page.get_by_label("Citizenship (as received)").fill("rumena")
    page.get_by_label("Citizenship", exact=True).select_option(label="Romania")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_email_error")).to_be_visible()  # refused, naming the field
    assert Worker.objects.get(pk=worker.pk).citizenship == ""
    page.get_by_label("E-mail").fill("lavoratore@example.org")
    page.get_by_label("Education level").select_option("diploma")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status").first).to_have_text("Personal details saved.")
    expect(page.locator("main")).to_contain_text("rumena")
    expect(page.locator("main")).to_contain_text("lavoratore@example.org")
    assert Worker.objects.get(pk=worker.pk).citizenship_country_id == "235"  # ISTAT: Romania
    assert "personal" not in page.url and worker.fiscal_code not in page.url
    screenshot("ux-forms-worker-page")


def test_the_review_queue_count_filters_and_step_4_box_agree(
    page, live_server, make_officer, login, screenshot
):
    at_step_3, pip = _worker_with_a_pip()
    at_step_2 = InvolvementFactory(unit=at_step_3.unit)
    involvement_move(
        user=None, involvement=at_step_2, to=Step.STEP_2, effective_date=datetime.date(2025, 4, 10)
    )
    other = PIPFactory(dote=DoteFactory(involvement=at_step_2), status=PIPStatus.PRESENTATO)
    PIPServiceFactory(pip=other)
    PIPFactory(
        dote=DoteFactory(
            involvement=InvolvementFactory(unit=_procedure("MI", MI_COMPANY).units.get())
        ),
        status=PIPStatus.PRESENTATO,
    )
    make_officer("nucleo.bg", "BG")
    login("nucleo.bg")
    page.goto(live_server.url + reverse("pal:review_queue"))

    expect(page.locator("#queue-count")).to_have_text("2 PIPs listed · 2 waiting for your decision")
    expect(page.locator("#results tbody tr")).to_have_count(2)
    filters = page.locator(".filters-sidebar")
    expect(filters.get_by_label("Province")).to_have_count(0)  # one province: no filter
    expect(filters.get_by_label("Operator").locator("option")).to_have_count(3)  # all + 2
    screenshot("ux-forms-review-queue")

    page.goto(live_server.url + reverse("pal:review_pip", args=[pip.pk]))
    box = page.locator("#approve").get_by_label("Move the worker to STEP 4 naming the measure")
    expect(box).to_be_checked()
    expect(box).to_be_enabled()
    page.goto(live_server.url + reverse("pal:review_pip", args=[other.pk]))
    expect(box).not_to_be_checked()
    expect(box).to_be_disabled()
    expect(page.locator("#approve")).to_contain_text("the step will not change")
    page.locator("#approve").get_by_role("button", name="Approve the PIP").click()
    expect(page.get_by_role("status").first).to_have_text(
        f"PIP {other.reference} approved; the worker stays at STEP 2."
    )
    at_step_2.refresh_from_db()
    assert at_step_2.current_step == Step.STEP_2
