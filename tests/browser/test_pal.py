"""End-to-end PIP journey in headless Chromium (§4): filed, returned, fixed, approved, STEP 4.

``operatore.a`` finds a worker by fiscal code, opens a Dote, files a PIP (the remaining budget
updates live through htmx) and submits it; ``nucleo.bg`` returns it with a note; the operator
reads the note, adds a service and submits again; ``nucleo.bg`` approves, which moves the worker
to STEP 4 under the Dote's measure. Every move goes through the UI; the database is checked
after. Screenshots of each stage land in ``test-results/browser/pal-*.png``.
"""

import datetime
import re
from collections.abc import Callable
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect

from pal.enums import PIPStatus
from pal.models import PIP, Dote, PIPTransition
from tests.browser.conftest import PASSWORD
from tests.cases.factories import (
    CompanyFactory,
    CrisisProcedureFactory,
    OperatorFactory,
    ProductionUnitFactory,
)
from tests.factories import UserFactory
from tests.pal.factories import measure
from tests.workers.factories import InvolvementFactory, WorkerFactory
from workers.enums import Step
from workers.models import Involvement
from workers.services import involvement_move

COMPANY = "Tessiture Seriane Browser S.p.A."
OPERATOR_NAME = "Lavoro Insieme Soc. Coop."
MEASURE = "Dote Unica Lavoro"
OBJECTIVES = "Ricollocazione come magazziniera nel settore logistico della bassa bergamasca."
RETURN_NOTE = "Aggiungere il bilancio di competenze"


def _euro(amount: int) -> str:
    """How the pages print an amount in English: "€ 3,000.00"."""
    return f"€ {amount:,.2f}"


def _worker_at_step_3(today: datetime.date):
    """A BG procedure still open, a BG unit, one worker moved to STEP 3 on past dates."""
    procedure = CrisisProcedureFactory(
        lead="BG", company=CompanyFactory(name=COMPANY), current=True
    )
    unit = ProductionUnitFactory(
        procedure=procedure, name="Stabilimento di Seriate", comune="Seriate"
    )
    involvement = InvolvementFactory(
        unit=unit,
        worker=WorkerFactory(),
        taken_on=today - datetime.timedelta(days=90),
        period_start=today - datetime.timedelta(days=100),
        period_end=today + datetime.timedelta(days=265),
    )
    for step, days_ago in ((Step.STEP_2, 60), (Step.STEP_3, 30)):
        involvement_move(
            user=None,
            involvement=involvement,
            to=step,
            effective_date=today - datetime.timedelta(days=days_ago),
        )
    involvement.refresh_from_db()
    assert involvement.current_step == Step.STEP_3
    return involvement


def _operator_user():
    organisation = OperatorFactory(name=OPERATOR_NAME)
    user = UserFactory(operator=True, operator_id=organisation.pk, username="operatore.a")
    user.set_password(PASSWORD)
    user.save()
    return user


def _fill_service(service, kind: str, hours: str, cost: str) -> None:
    service.get_by_label(re.compile(r"^Service\b")).select_option(label=kind)
    service.get_by_label("Hours").fill(hours)
    service.get_by_label("Cost (€)").fill(cost)


def test_pip_is_filed_returned_fixed_and_approved(
    page, live_server, make_officer, login, screenshot: Callable[[str], Path]
):
    shot = screenshot  # each shot also runs axe-core (conftest); console errors fail the test

    today = timezone.localdate()
    involvement = _worker_at_step_3(today)
    worker = involvement.worker
    worker_name = f"{worker.last_name} {worker.first_name}"
    operatore = _operator_user()
    nucleo = make_officer("nucleo.bg", "BG")
    main_nav = page.get_by_role("navigation", name="Main navigation")

    def log_out() -> None:
        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_role("link", name="Log in")).to_be_visible()

    def wait_for_budget(total: int, remaining: int, fill: Callable[[], None]) -> None:
        """Type the costs, then wait for the htmx answer carrying the new figures."""
        with page.expect_response(
            lambda r: r.url.endswith("/budget/") and r.request.headers.get("hx-request")
        ) as answer:
            fill()
        assert answer.value.status == 200
        budget = page.locator("#pip-budget")
        expect(budget.locator("[data-budget-total]")).to_have_text(_euro(total))
        expect(budget.locator("[data-budget-remaining]")).to_have_text(_euro(remaining))

    # --- 1. The operator finds the worker, opens a Dote, files and submits a PIP ------------
    login("operatore.a")
    main_nav.get_by_role("link", name="Find a worker").click()
    expect(page.get_by_role("heading", name="Find a worker", level=1)).to_be_visible()
    page.get_by_label("Worker's fiscal code").fill(worker.fiscal_code.lower())
    page.get_by_role("button", name="Find", exact=True).click()
    expect(page.get_by_role("heading", name=worker_name, level=2)).to_be_visible()
    expect(page.get_by_text(worker.fiscal_code, exact=True)).to_be_visible()
    expect(page.get_by_text(COMPANY, exact=True)).to_be_visible()
    assert "fiscal" not in page.url.lower() and worker.fiscal_code not in page.url  # POST only

    dote_measure = measure("dote-unica-lavoro")
    expect(page.get_by_label("Procedure")).to_have_value(str(involvement.pk))  # the only one
    page.get_by_label("Measure").select_option(
        label=f"{MEASURE} – up to {_euro(int(dote_measure.max_per_worker))} per worker"
    )
    page.get_by_label("Value (€)").fill("3000")
    valid_until = today.replace(year=today.year + 1)
    page.get_by_label("Valid from").fill(today.isoformat())
    page.get_by_label("Valid until").fill(valid_until.isoformat())
    shot("pal-1-find-and-assign")
    page.get_by_role("button", name="Open the Dote").click()

    expect(page.get_by_role("heading", name=MEASURE, level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/doti/\d+/$"))
    expect(page.get_by_role("status").first).to_contain_text(
        f"Dote opened for {worker_name} under {MEASURE}."
    )
    expect(page.get_by_text("No PIP on this Dote yet.")).to_be_visible()
    dote = Dote.objects.get(involvement=involvement)
    assert (dote.operator_id, dote.value, dote.valid_from, dote.valid_until) == (
        operatore.operator_id,
        3000,
        today,
        valid_until,
    )
    shot("pal-2-dote")

    page.get_by_role("link", name="New PIP").click()
    expect(page.get_by_role("heading", name="New PIP", level=1)).to_be_visible()
    budget = page.locator("#pip-budget")
    expect(budget.locator("[data-budget-remaining]")).to_have_text(_euro(3000))
    page.get_by_label("Objectives").fill(OBJECTIVES)
    services = page.locator("#service-forms [data-service-form]")
    expect(services).to_have_count(1)
    first = services.nth(0)
    expect(first.get_by_label("Planned start")).to_have_value(today.isoformat())  # the Dote's
    expect(first.get_by_label("Planned end")).to_have_value(valid_until.isoformat())
    wait_for_budget(500, 2500, lambda: _fill_service(first, "Guidance", "10", "500"))

    page.get_by_role("button", name="Add another service").click()
    expect(services).to_have_count(2)
    second = services.nth(1)
    expect(second.get_by_label("Cost (€)")).to_have_attribute("name", "services-1-cost")
    expect(page.locator("#id_services-TOTAL_FORMS")).to_have_value("2")
    wait_for_budget(1700, 1300, lambda: _fill_service(second, "Job-search support", "20", "1200"))
    shot("pal-3-new-pip-form")

    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").first).to_contain_text("PIP saved as a draft.")
    pip = PIP.objects.get(dote=dote)
    expect(page.get_by_role("heading", name=f"PIP {pip.reference}", level=1)).to_contain_text(
        "Draft"
    )
    expect(page).to_have_url(re.compile(rf"/pips/{pip.pk}/$"))
    service_rows = page.locator("table.table-portal tbody tr")
    expect(service_rows).to_have_count(2)
    expect(page.locator("table.table-portal tfoot")).to_contain_text(_euro(1700))
    shot("pal-4-draft")

    page.get_by_role("button", name="Submit to the province").click()
    expect(page.get_by_role("status").first).to_have_text("The PIP is now submitted.")
    expect(page.get_by_role("heading", name=f"PIP {pip.reference}", level=1)).to_contain_text(
        "Submitted"
    )
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)  # no longer editable
    shot("pal-5-submitted")
    log_out()

    # --- 2. The province returns it with a note ---------------------------------------------
    login("nucleo.bg")
    main_nav.get_by_role("button", name="Active policies").click()  # the menu group
    main_nav.get_by_role("link", name="PIP review").click()
    expect(page.get_by_role("heading", name="PIPs to review", level=1)).to_be_visible()
    expect(page.locator("#queue-count")).to_have_text("1 PIP listed · 1 waiting for your decision")
    queue_row = page.locator("#results tbody tr").filter(has_text=f"PIP {pip.reference}")
    expect(queue_row).to_contain_text(worker_name)
    expect(queue_row).to_contain_text(OPERATOR_NAME)
    expect(queue_row).to_contain_text(_euro(1700))
    expect(queue_row).to_contain_text("Submitted")
    shot("pal-6-review-queue")
    queue_row.get_by_role("link", name=f"PIP {pip.reference}").click()

    expect(page.get_by_role("heading", name=f"PIP {pip.reference} – {worker_name}")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="All rules are satisfied")).to_be_visible()
    page.locator("#return").get_by_label("What the operator must fix").fill(RETURN_NOTE)
    shot("pal-7-review-return")
    page.get_by_role("button", name="Return with this note").click()
    expect(page.get_by_role("heading", name="PIPs to review", level=1)).to_be_visible()
    expect(page.get_by_role("status").first).to_have_text(
        f"PIP {pip.reference} returned to the operator with your note."
    )
    expect(page.locator("#queue-count")).to_have_text("1 PIP listed · 0 waiting for your decision")
    expect(
        page.locator("#results tbody tr").filter(has_text=f"PIP {pip.reference}")
    ).to_contain_text("Returned")
    pip.refresh_from_db()
    assert (pip.status, pip.return_note) == (PIPStatus.RESTITUITO, RETURN_NOTE)
    shot("pal-8-returned-queue")
    log_out()

    # --- 3. The operator reads the note, adds the service, submits again --------------------
    login("operatore.a")
    main_nav.get_by_role("link", name="Operator area").click()
    expect(page.get_by_role("heading", name="Operator area", level=1)).to_be_visible()
    pips_section = page.locator("section[aria-labelledby='pips-title']")
    pip_row = pips_section.locator("tbody tr").filter(has_text=f"PIP {pip.reference}")
    expect(pip_row).to_contain_text("Returned")
    pip_row.get_by_role("link", name=f"PIP {pip.reference}").click()

    note = page.get_by_role("alert").filter(has_text="Returned by the province")
    expect(note).to_contain_text(RETURN_NOTE)
    expect(page.get_by_role("heading", name=f"PIP {pip.reference}", level=1)).to_contain_text(
        "Returned"
    )
    expect(page.get_by_role("button", name="Submit again to the province")).to_be_visible()
    shot("pal-9-returned-detail")

    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_role("heading", name=f"Edit PIP {pip.reference}", level=1)).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="Returned by the province")).to_contain_text(
        RETURN_NOTE
    )
    expect(page.get_by_label("Objectives")).to_have_value(OBJECTIVES)
    expect(services).to_have_count(2)
    expect(budget.locator("[data-budget-remaining]")).to_have_text(_euro(1300))
    page.get_by_role("button", name="Add another service").click()
    expect(services).to_have_count(3)
    third = services.nth(2)
    wait_for_budget(2100, 900, lambda: _fill_service(third, "Skills assessment", "8", "400"))
    shot("pal-10-edit-returned")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status").first).to_contain_text("Changes saved.")
    expect(service_rows).to_have_count(3)
    expect(service_rows.filter(has_text="Skills assessment")).to_contain_text(_euro(400))
    expect(page.locator("table.table-portal tfoot")).to_contain_text(_euro(2100))

    page.get_by_role("button", name="Submit again to the province").click()
    expect(page.get_by_role("status").first).to_have_text("The PIP is now submitted.")
    expect(page.get_by_role("heading", name=f"PIP {pip.reference}", level=1)).to_contain_text(
        "Submitted"
    )
    shot("pal-11-resubmitted")
    log_out()

    # --- 4. The province approves: the worker reaches STEP 4 --------------------------------
    login("nucleo.bg")
    main_nav.get_by_role("button", name="Active policies").click()  # the menu group
    main_nav.get_by_role("link", name="PIP review").click()
    page.locator("#results tbody tr").filter(has_text=f"PIP {pip.reference}").get_by_role(
        "link", name=f"PIP {pip.reference}"
    ).click()
    expect(page.get_by_role("heading", name=f"PIP {pip.reference} – {worker_name}")).to_be_visible()
    expect(page.get_by_role("table").filter(has_text="Skills assessment")).to_contain_text(
        _euro(2100)
    )
    activate = page.locator("#approve").get_by_label("Move the worker to STEP 4 naming the measure")
    expect(activate).to_be_checked()  # checked by default
    activate.check()
    shot("pal-12-review-approve")
    page.get_by_role("button", name="Approve the PIP").click()
    expect(page.get_by_role("status").first).to_have_text(
        f"PIP {pip.reference} approved; the worker moved to STEP 4 under {MEASURE}."
    )
    expect(page.get_by_role("button", name="Approve the PIP")).to_have_count(0)
    expect(page.locator(".badge-step").first).to_have_text("STEP 4")
    shot("pal-13-approved")

    page.get_by_role("link", name=worker_name).click()
    expect(page.get_by_role("heading", name=worker_name, level=1)).to_be_visible()
    items = page.locator(f"#involvement-{involvement.pk} ol.step-timeline > li")
    expect(items.locator(".badge-step")).to_have_text(
        [
            "STEP 1 – taken in charge",
            "STEP 2 – instruments chosen",
            "STEP 3 – PAL explained",
            "STEP 4 – PAL activated",
        ]
    )
    expect(items.nth(3)).to_contain_text(f"Measure: {MEASURE}")
    expect(items.nth(3)).to_contain_text(f"PIP {pip.reference} approved")
    expect(items.nth(3)).to_contain_text(today.strftime("%d/%m/%Y"))
    shot("pal-14-worker-timeline")

    # --- 5. The database holds exactly the moves made ---------------------------------------
    moves = list(
        PIPTransition.objects.filter(pip=pip)
        .order_by("at", "pk")
        .values_list("from_status", "to_status", "by", "note")
    )
    assert moves == [
        (PIPStatus.BOZZA, PIPStatus.PRESENTATO, operatore.pk, ""),
        (PIPStatus.PRESENTATO, PIPStatus.RESTITUITO, nucleo.pk, RETURN_NOTE),
        (PIPStatus.RESTITUITO, PIPStatus.PRESENTATO, operatore.pk, ""),
        (PIPStatus.PRESENTATO, PIPStatus.APPROVATO, nucleo.pk, ""),
    ]
    pip.refresh_from_db()
    assert pip.status == PIPStatus.APPROVATO
    assert pip.decided_by_id == nucleo.pk
    assert sorted(pip.services.values_list("kind", "cost")) == [
        ("accompagnamento_lavoro", 1200),
        ("bilancio_competenze", 400),
        ("orientamento", 500),
    ]
    involvement = Involvement.objects.get(pk=involvement.pk)
    assert involvement.current_step == Step.STEP_4
    assert involvement.current_step_since == today
    step_4 = involvement.transitions.get(to_step=Step.STEP_4)
    assert (step_4.from_step, step_4.measure_id, step_4.recorded_by_id) == (
        Step.STEP_3,
        dote_measure.pk,
        nucleo.pk,
    )
    assert step_4.effective_date == today
