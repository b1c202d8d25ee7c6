"""Accessibility (issue #13, item 15): axe-core on every page of each role's day, and keyboard only.

* The tour: each role opens each of its pages and the states that matter (a refused form, an
  open move panel, a sorted list, a PIP under review); axe-core (WCAG 2.1 A and AA) reports no
  violation on any of them. All the pages are visited before the test fails, so that one run
  lists every violation.
* Keyboard only: an officer moves a cohort (ticks the workers, chooses the STEP, submits) and an
  operator files a PIP, with Tab, Shift+Tab, Space, Enter, arrows and typing, never a click;
  every element the focus lands on shows it (an outline or a focus ring).

The ``page`` fixture (conftest) also fails each test on any console error and runs axe-core on
the page's last state.
"""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from pal.enums import PIPStatus
from pal.models import PIP
from tests.browser.conftest import PASSWORD, axe_violations, format_violations
from tests.cases.factories import (
    CompanyFactory,
    CrisisProcedureFactory,
    MeetingFactory,
    OperatorFactory,
    ProductionUnitFactory,
)
from tests.factories import UserFactory
from tests.monitoring.factories import ReportRunFactory
from tests.pal.factories import DoteFactory, NetworkFactory, pip_with_service
from tests.workers.factories import CohortFactory, InvolvementFactory
from workers.enums import Step
from workers.models import Involvement
from workers.services import involvement_move

COMPANY = "Manifattura Tessile Bergamasca di Precisione S.p.A."
COHORT = "Reparto finissaggio"


@pytest.fixture
def day(transactional_db):
    """A Bergamo procedure with a cohort of workers at every step, a meeting, Doti and PIPs."""
    today = timezone.localdate()
    procedure = CrisisProcedureFactory(
        lead="BG", company=CompanyFactory(name=COMPANY), current=True, high_complexity=True
    )
    unit = ProductionUnitFactory(procedure=procedure, province_id="BG", workers_involved=8)
    ProductionUnitFactory(procedure=procedure, province_id="MI", workers_involved=2)
    cohort = CohortFactory(procedure=procedure, unit=unit, name=COHORT)
    involvements = [
        InvolvementFactory(
            unit=unit,
            cohort=cohort,
            taken_on=today - datetime.timedelta(days=90),
            period_start=today - datetime.timedelta(days=100),
            period_end=today + datetime.timedelta(days=265),
        )
        for _ in range(6)
    ]
    for involvement, steps in zip(
        involvements,
        ([Step.STEP_2], [Step.STEP_2, Step.STEP_3], [Step.STEP_2, Step.STEP_3]),
        strict=False,
    ):
        for days_ago, step in zip((60, 30), steps, strict=False):
            involvement_move(
                user=None,
                involvement=involvement,
                to=step,
                effective_date=today - datetime.timedelta(days=days_ago),
            )
    MeetingFactory(convened_by="BG", procedures=[procedure], date=today)
    organisation = OperatorFactory(name="Lavoro Insieme Soc. Coop.")
    dote = DoteFactory(
        involvement=involvements[2],
        operator=organisation,
        valid_from=today,
        valid_until=today + datetime.timedelta(days=300),
    )
    submitted = pip_with_service("presentato", dote=dote)
    NetworkFactory(complete=True)  # serving no procedure: no exclusivity on these workers
    region = UserFactory(username="regione", region_official=True)
    ReportRunFactory(ready=True, requested_by=region)
    users = {
        "province_staff": UserFactory(username="nucleo.bg", province_staff=True, provinces=["BG"]),
        "region_official": region,
        "operator": UserFactory(username="operatore.a", operator=True, operator_id=organisation.pk),
    }
    for user in users.values():
        user.set_password(PASSWORD)
        user.save()
    return {
        "procedure": procedure,
        "involvements": involvements,
        "dote": dote,
        "pip": submitted,
        "meeting": procedure.meetings.get(),
    }


def pages_of(role: str, day: dict) -> list[str]:
    procedure, pip = day["procedure"], day["pip"]
    worker = day["involvements"][2].worker
    if role == "operator":
        return [
            reverse("home"),
            reverse("pal:operator_home"),
            reverse("pal:worker_find"),
            reverse("pal:dote_detail", args=[day["dote"].pk]),
            reverse("pal:pip_detail", args=[pip.pk]),
            reverse("pal:pip_create", args=[day["dote"].pk]),
            reverse("password_change"),
            reverse("monitoring:operator_results"),
            # Not the API documentation (/api/v1/docs/): Swagger UI's own page, not the portal's.
        ]
    pages = [
        reverse("home"),
        reverse("cases:procedure_list"),
        reverse("cases:procedure_list") + "?ordering=-workers",
        reverse("cases:procedure_detail", args=[procedure.pk]),
        reverse("workers:procedure_workers", args=[procedure.pk]),
        reverse("workers:procedure_workers", args=[procedure.pk]) + "?ordering=step",
        reverse("workers:worker_detail", args=[worker.pk]),
        reverse("cases:meeting_list"),
        reverse("cases:meeting_detail", args=[day["meeting"].pk]),
        reverse("pal:network_list"),
        reverse("pal:measure_list"),
        reverse("pal:operator_list"),
        reverse("monitoring:dashboard"),
        reverse("monitoring:cruscotto"),
        reverse("monitoring:cruscotto") + "?ordering=-next_meeting",
        reverse("monitoring:operator_results"),
        reverse("monitoring:operator_results") + "?ordering=-reemployment_rate",
        reverse("monitoring:report_list"),
    ]
    if role == "province_staff":
        pages += [
            reverse("cases:procedure_create"),
            reverse("cases:procedure_update", args=[procedure.pk]),
            reverse("cases:meeting_create"),
            reverse("cases:procedure_import"),
            reverse("workers:worker_import", args=[procedure.pk]),
            reverse("pal:review_queue"),
            reverse("pal:review_pip", args=[pip.pk]),
        ]
    return pages


@pytest.mark.parametrize("role", ["province_staff", "region_official", "operator"])
def test_every_page_of_each_role_has_no_axe_violation(page, live_server, login, day, role):
    login({"province_staff": "nucleo.bg", "region_official": "regione"}.get(role, "operatore.a"))
    found = []
    for path in pages_of(role, day):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, (path, response and response.status)
        page.wait_for_load_state("networkidle")
        violations = axe_violations(page)
        if violations:
            found.append(format_violations(path, violations))
    # States reached by acting on a page.
    found += states_of(role, page, live_server, day)
    assert not found, "\n".join(found)


def states_of(role: str, page: Page, live_server, day: dict) -> list[str]:
    found = []

    def check(where: str) -> None:
        violations = axe_violations(page)
        if violations:
            found.append(format_violations(where, violations))

    if role == "province_staff":
        # A refused form: its error summary and the fields marked invalid.
        page.goto(f"{live_server.url}{reverse('cases:procedure_create')}")
        page.locator("form.portal-form").get_by_role(
            "button", name=re.compile("^(Save|Create)")
        ).click()
        expect(page.locator(".is-invalid").first).to_be_visible()
        check("procedure form, refused")
        # The move panel open on a worker (htmx).
        procedure = day["procedure"]
        page.goto(f"{live_server.url}{reverse('workers:procedure_workers', args=[procedure.pk])}")
        page.locator("#workers-results").get_by_role("link", name="Move").first.click()
        expect(page.locator("#move-panel").get_by_label("Move to")).to_be_visible()
        check("workers, move panel open")
        # The menu groups open.
        nav = page.get_by_role("navigation", name="Main navigation")
        nav.get_by_role("button", name="Monitoring").click()
        expect(nav.get_by_role("link", name="Cruscotto")).to_be_visible()
        check("menu group open")
    if role == "operator":
        page.goto(f"{live_server.url}{reverse('pal:worker_find')}")
        page.get_by_label("Worker's fiscal code").fill(day["involvements"][2].worker.fiscal_code)
        page.get_by_role("button", name="Find", exact=True).click()
        expect(page.get_by_role("heading", level=2).first).to_be_visible()
        check("find a worker, found")
        page.goto(f"{live_server.url}{reverse('pal:worker_find')}")
        page.get_by_role("button", name="Find", exact=True).click()
        check("find a worker, refused")
    return found


# --- Keyboard only ---------------------------------------------------------------------------

FOCUS = r"""async () => {
    const el = document.activeElement;
    if (!el || el === document.body) { return null; }
    // The focus ring fades in (a transition): read it as painted at the end.
    await Promise.all(el.getAnimations().map((a) => a.finished.catch(() => null)));
    const s = getComputedStyle(el);
    const clear = (c) => c === "transparent" || /^rgba\(.*,\s*0\)$/.test(c);
    const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0
        && !clear(s.outlineColor);
    const ring = !!s.boxShadow && s.boxShadow !== "none";
    const name = el.getAttribute("aria-label") || el.name || el.id || el.textContent.trim();
    return {visible: outline || ring, what: `${el.tagName.toLowerCase()} "${name.slice(0, 40)}"`};
}"""


class Keyboard:
    """Moves the focus with Tab / Shift+Tab only, checking at each stop that it can be seen."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.unseen: list[str] = []

    def focused(self, target: Locator) -> bool:
        return target.evaluate("el => document.activeElement === el")

    def to(self, target: Locator, *, backwards: bool = False, limit: int = 120) -> None:
        target.wait_for(state="visible")
        for _ in range(limit):
            if self.focused(target):
                return
            self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
            focus = self.page.evaluate(FOCUS)
            if focus is not None and not focus["visible"]:
                self.unseen.append(focus["what"])
        raise AssertionError(f"{limit} presses of Tab never reached {target}")

    def choose(self, select: Locator, label: str, limit: int = 20) -> None:
        """A focused <select>: arrow keys until the option with ``label`` is chosen."""
        assert self.focused(select)
        for key in ("Home", *["ArrowDown"] * limit):
            if select.evaluate("s => s.options[s.selectedIndex].text.trim()") == label:
                return
            self.page.keyboard.press(key)
        raise AssertionError(f"no option {label!r}")

    def assert_focus_always_visible(self) -> None:
        assert not self.unseen, f"focus not visible on: {sorted(set(self.unseen))}"


def test_keyboard_only_cohort_move(page, live_server, login, day):
    procedure = day["procedure"]
    at_step_1 = Involvement.objects.filter(procedure=procedure, current_step=Step.STEP_1)
    moving = sorted(at_step_1.values_list("pk", flat=True))
    assert len(moving) == 3
    login("nucleo.bg")
    page.goto(f"{live_server.url}{reverse('workers:procedure_workers', args=[procedure.pk])}")
    keys = Keyboard(page)
    results = page.locator("#workers-results")

    # Tick the three workers at STEP 1, from the top of the page down, with Space.
    for pk in moving:
        box = results.locator(f'#involvement-{pk} input[name="bulk-involvements"]')
        keys.to(box)
        page.keyboard.press("Space")
        expect(box).to_be_checked()
    # Back up to the bulk form (before the table): the STEP, then the button.
    bulk = page.locator("#bulk-form")
    target = bulk.get_by_label("Move to")
    keys.to(target, backwards=True)
    keys.choose(target, "STEP 2 – instruments chosen")
    keys.to(bulk.get_by_role("button", name="Move selected"))
    with page.expect_response(
        lambda r: r.request.method == "POST" and "/workers" in r.url
    ) as posted:
        page.keyboard.press("Enter")
    assert posted.value.status == 200
    expect(results.get_by_role("status")).to_contain_text("3 workers moved to STEP 2.")
    keys.assert_focus_always_visible()
    assert sorted(
        Involvement.objects.filter(procedure=procedure, current_step=Step.STEP_2).values_list(
            "pk", flat=True
        )
    ) == sorted([*moving, day["involvements"][0].pk])


def test_keyboard_only_pip_filing_by_an_operator(page, live_server, login, day):
    dote = DoteFactory(
        involvement=day["involvements"][1],
        operator_id=day["dote"].operator_id,
        valid_from=timezone.localdate(),
        valid_until=timezone.localdate() + datetime.timedelta(days=300),
    )
    login("operatore.a")
    page.goto(f"{live_server.url}{reverse('pal:dote_detail', args=[dote.pk])}")
    keys = Keyboard(page)

    keys.to(page.get_by_role("link", name="New PIP"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="New PIP", level=1)).to_be_visible()
    keys.to(page.get_by_label("Objectives"))
    page.keyboard.type("Ricollocazione nel settore logistico.")
    service = page.locator("#service-forms [data-service-form]").nth(0)
    kind = service.get_by_label(re.compile(r"^Service\b"))
    keys.to(kind)
    keys.choose(kind, "Guidance")
    keys.to(service.get_by_label("Hours"))
    page.keyboard.type("10")
    keys.to(service.get_by_label("Cost (€)"))
    with page.expect_response(lambda r: r.url.endswith("/budget/")):
        page.keyboard.type("500")
    keys.to(page.get_by_role("button", name="Save draft"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("PIP saved as a draft.")
    pip = PIP.objects.get(dote=dote)
    keys.to(page.get_by_role("button", name="Submit to the province"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_have_text("The PIP is now submitted.")
    keys.assert_focus_always_visible()
    pip.refresh_from_db()
    assert pip.status == PIPStatus.PRESENTATO
    assert [(s.kind, s.cost) for s in pip.services.all()] == [("orientamento", 500)]


# --- Console: htmx swaps under the CSP (item 10) ----------------------------------------------


def test_an_htmx_swap_over_elements_given_a_style_logs_no_csp_violation(
    page, live_server, login, day
):
    """Scripts (Bootstrap Italia's, a browser extension's, Playwright's screenshots) set inline
    styles through the CSSOM, which the CSP allows. htmx's settle step used to copy each style
    attribute onto the swapped-in element with setAttribute, which the CSP refuses: one
    "Applying inline style violates…" error per element and swap. The page fixture fails the
    test on that console error."""
    procedure = day["procedure"]
    login("nucleo.bg")
    page.goto(f"{live_server.url}{reverse('workers:procedure_workers', args=[procedure.pk])}")
    results = page.locator("#workers-results")
    expect(results.locator("tbody tr")).to_have_count(6)
    styled = page.evaluate(
        """() => {
            const rows = document.querySelectorAll("#workers-results tr[id]");
            rows.forEach((row) => { row.style.opacity = "0.99"; });
            return rows.length;
        }"""
    )
    assert styled == 6
    with page.expect_response(lambda r: "cohort=" in r.url):  # the filters: an htmx swap
        page.locator(".filters-sidebar").get_by_label("Cohort").select_option(label=COHORT)
    expect(page).to_have_url(re.compile(r"[?&]cohort=\d+"))
    expect(results.locator("tbody tr")).to_have_count(6)


def test_pages_on_a_phone_have_no_axe_violation(page, browser, live_server, watch, day):
    """390 px: the hamburger menu, the tables as one card per row (data-label on each cell)."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-GB", timezone_id="Europe/Rome"
    )
    tab = watch(context.new_page())
    tab.goto(f"{live_server.url}{reverse('login')}")
    tab.get_by_label("Username").fill("nucleo.bg")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.locator("form.portal-form").get_by_role("button", name="Log in").click()
    tab.get_by_role("button", name="Log out").wait_for()
    found = []
    procedure = day["procedure"]
    for path in (
        reverse("cases:procedure_list"),
        reverse("workers:procedure_workers", args=[procedure.pk]),
        reverse("monitoring:cruscotto"),
        reverse("monitoring:operator_results"),
        reverse("monitoring:dashboard"),
        reverse("pal:review_queue"),
    ):
        tab.goto(f"{live_server.url}{path}")
        tab.wait_for_load_state("networkidle")
        violations = axe_violations(tab)
        if violations:
            found.append(format_violations(path, violations))
    tab.get_by_role("button", name="Show or hide the navigation").click()
    expect(
        tab.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Procedures")
    ).to_be_visible()
    violations = axe_violations(tab)
    if violations:
        found.append(format_violations("menu open", violations))
    context.close()
    assert not found, "\n".join(found)
