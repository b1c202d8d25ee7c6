"""End-to-end journey through the workers pages, in headless Chromium (§3).

An officer imports a company's worker list into a procedure, moves one cohort two steps
forward in bulk, exempts one worker from PAL, is refused a STEP 4 without a measure, and reads
the exempted worker's timeline. Every move goes through the UI; the database is checked after.
Screenshots of each stage land in ``test-results/browser/workers-*.png``.
"""

import datetime
import re
from collections.abc import Callable
from pathlib import Path

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cases.enums import Family
from tests.cases.factories import CompanyFactory, CrisisProcedureFactory, ProductionUnitFactory
from tests.workers.factories import CohortFactory, InvolvementFactory
from workers.enums import Step
from workers.models import Cohort, ExemptionReason, Involvement, MoveKind, StepTransition

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "lista_lavoratori_sample.csv"
COMPANY = "Acciaierie Bergamasche Browser S.p.A."
DALMINE = "Stabilimento di Dalmine"
TREVIGLIO = "Sede di Treviglio"
EXEMPTED_CF = "FMGCHR66A61G273Z"  # Fumagalli Chiara, Dalmine (first line of the sample)
EXEMPTED_NAME = "Fumagalli Chiara"
REFUSED_CF = "RSSLSS64D57I628P"  # Rossi Alessia, Dalmine
EXEMPTION_CODE = "pensionamento_imminente"
EXEMPTION_NOTE = "Requisiti per la pensione maturati a giugno 2025."

# Column in the sample → the field it is read as: its code, its label.
MAPPING_SAMPLE = [
    ("Codice Fiscale", "fiscal_code", "Fiscal code"),
    ("Unità produttiva", "unit", "Production unit"),
    ("Data di nascita", "birth_date", "Birth date"),
    ("Tipo ammortizzatore", "income_support", "Income support"),
]


def _sample_counts() -> dict[str, int]:
    lines = SAMPLE.read_text(encoding="cp1252").splitlines()
    header = lines[0].split(";")
    unit_column = header.index("Unità produttiva")
    counts: dict[str, int] = {}
    for line in lines[1:]:
        if line.strip():
            unit = line.split(";")[unit_column]
            counts[unit] = counts.get(unit, 0) + 1
    return counts


def _tile(page, step: str):
    return page.locator(f"ul.step-counts .step-count-{step} .step-count-n")


def _bulk_move(page, results, to_label: str, today: datetime.date | None, expected: int) -> None:
    """Tick every row shown, then move them with the bulk form (htmx POST)."""
    boxes = results.locator('input[name="bulk-involvements"]')
    expect(boxes).to_have_count(expected)
    for index in range(expected):
        boxes.nth(index).check()
    bulk = page.locator("#bulk-form")
    bulk.get_by_label("Move to").select_option(label=to_label)
    if today is not None:  # else the form's initial value (today)
        bulk.get_by_label("Effective date").fill(today.isoformat())
    with page.expect_response(
        lambda r: r.request.method == "POST" and "/workers" in r.url
    ) as posted:
        bulk.get_by_role("button", name="Move selected").click()
    assert posted.value.status == 200, posted.value.text()[:2000]


def _procedure_with_two_units():
    procedure = CrisisProcedureFactory(
        lead="BG",
        company=CompanyFactory(name=COMPANY),
        family=Family.CIGS_MINISTERIALE,
        opened_on=datetime.date(2025, 2, 10),
        # The sample's support period: its import has no warning (see test_import_warnings).
        start_date=datetime.date(2025, 3, 3),
        end_date=datetime.date(2026, 3, 2),
    )
    ProductionUnitFactory(procedure=procedure, name=DALMINE, comune="Dalmine")
    ProductionUnitFactory(procedure=procedure, name=TREVIGLIO, comune="Treviglio")
    return procedure


def test_import_is_offered_before_the_first_worker(page, live_server, make_officer, login):
    make_officer("nucleo.bg", "BG")
    procedure = _procedure_with_two_units()
    login("nucleo.bg")
    page.goto(f"{live_server.url}{procedure.get_absolute_url()}")
    page.get_by_role("link", name="Open the workers").click()
    expect(page.get_by_role("heading", name=f"Workers – {COMPANY}", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Import worker list")).to_be_visible(timeout=2_000)


def test_mapping_reads_in_words(page, live_server, make_officer, login):
    make_officer("nucleo.bg", "BG")
    procedure = _procedure_with_two_units()
    login("nucleo.bg")
    page.goto(f"{live_server.url}{reverse('workers:worker_import', args=[procedure.pk])}")
    page.get_by_label("Worker list (CSV or XLSX)").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Check the file").click()
    mapping = page.get_by_role("table").filter(
        has=page.get_by_role("columnheader", name="Column in the file")
    )
    for column, _code, label in MAPPING_SAMPLE:
        cells = mapping.get_by_role("row").filter(has_text=column).get_by_role("cell")
        expect(cells.nth(1)).to_have_text(label, timeout=2_000)


def _two_workers_in_two_cohorts():
    procedure = _procedure_with_two_units()
    for unit in procedure.units.all():
        cohort = CohortFactory(procedure=procedure, unit=unit, name=unit.name)
        InvolvementFactory(unit=unit, cohort=cohort)
    return procedure


def test_step_tiles_follow_an_htmx_move(page, live_server, make_officer, login):
    make_officer("nucleo.bg", "BG")
    procedure = _two_workers_in_two_cohorts()
    login("nucleo.bg")
    page.goto(f"{live_server.url}{reverse('workers:procedure_workers', args=[procedure.pk])}")
    expect(_tile(page, Step.STEP_1)).to_have_text("2")
    _bulk_move(page, page.locator("#workers-results"), "STEP 2 – instruments chosen", None, 2)
    expect(page.locator("#workers-results .badge-step-STEP_2")).to_have_count(2)
    expect(_tile(page, Step.STEP_2)).to_have_text("2", timeout=2_000)


def test_single_move_keeps_the_filtered_list(page, live_server, make_officer, login):
    make_officer("nucleo.bg", "BG")
    procedure = _two_workers_in_two_cohorts()
    login("nucleo.bg")
    page.goto(f"{live_server.url}{reverse('workers:procedure_workers', args=[procedure.pk])}")
    results = page.locator("#workers-results")
    expect(results.locator("tbody tr")).to_have_count(2)
    with page.expect_response(lambda r: "cohort=" in r.url):
        page.locator(".filters-sidebar").get_by_label("Cohort").select_option(label=DALMINE)
    expect(results.locator("tbody tr")).to_have_count(1)
    results.get_by_role("link", name="Move").click()
    panel = page.locator("#move-panel")
    panel.get_by_label("Move to").select_option(label="STEP 2 – instruments chosen")
    with page.expect_response(lambda r: r.request.method == "GET" and "/workers" in r.url):
        panel.get_by_role("button", name="Record the move").click()
    expect(results.locator(".badge-step-STEP_2")).to_have_count(1)
    expect(results.locator("tbody tr")).to_have_count(1, timeout=2_000)


def test_officer_imports_moves_and_exempts_workers(
    page, live_server, make_officer, login, screenshot: Callable[[str], Path]
):
    shot = screenshot  # each shot also runs axe-core (conftest); console errors fail the test

    counts = _sample_counts()
    total, in_dalmine = sum(counts.values()), counts[DALMINE]
    assert (total, in_dalmine, counts[TREVIGLIO]) == (24, 16, 8)
    today = timezone.localdate()

    officer = make_officer("nucleo.bg", "BG")
    procedure = _procedure_with_two_units()
    reason = ExemptionReason.objects.get(code=EXEMPTION_CODE)
    login("nucleo.bg")

    # --- 1. Procedure → workers → import the list ------------------------------------------
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Procedures"
    ).click()
    page.locator("#results").get_by_role("link", name=procedure.reference).click()
    expect(page.get_by_role("heading", name=COMPANY, level=1)).to_be_visible()
    page.get_by_role("link", name="Open the workers").click()
    expect(page.get_by_role("heading", name=f"Workers – {COMPANY}", level=1)).to_be_visible()
    # No filter is set: the empty list says why it is empty (issue #13, item 12; this line
    # asserted "No worker matches these filters." here, the wording the issue reports wrong).
    expect(page.locator("#workers-results")).to_contain_text(
        "No worker has been taken in charge in this procedure yet."
    )
    shot("workers-0-empty-list")
    page.get_by_role("link", name="Import worker list").click()
    expect(page.get_by_role("heading", name=re.compile("^Import worker list"))).to_be_visible()
    page.get_by_label("Worker list (CSV or XLSX)").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("heading", name="How the columns were read")).to_be_visible()
    mapping = page.get_by_role("table").filter(
        has=page.get_by_role("columnheader", name="Column in the file")
    )
    for column, _code, label in MAPPING_SAMPLE:
        cells = mapping.get_by_role("row").filter(has_text=column).get_by_role("cell")
        expect(cells.nth(1)).to_have_text(label)
    expect(page.get_by_role("status")).to_contain_text(f"{total} workers to take in charge")
    expect(page.get_by_role("status")).to_contain_text("Nothing has been saved yet.")
    assert Involvement.objects.filter(procedure=procedure).count() == 0  # a dry run only
    shot("workers-1-import-preview")

    page.get_by_role("button", name="Confirm the import").click()
    expect(page.get_by_role("heading", name=f"Workers – {COMPANY}", level=1)).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text(
        f"Worker list imported: {total} workers taken in charge"
    )
    expect(_tile(page, Step.STEP_1)).to_have_text(str(total))
    results = page.locator("#workers-results")
    expect(results.locator(".list-count")).to_have_text(f"{total} workers")
    expect(results.locator("tbody tr")).to_have_count(total)
    shot("workers-2-imported")

    # --- 2. Bulk: the Dalmine cohort to STEP 2, then to STEP 3 ------------------------------
    cohort = Cohort.objects.get(procedure=procedure, name=DALMINE)
    with page.expect_response(lambda r: "cohort=" in r.url):
        page.locator(".filters-sidebar").get_by_label("Cohort").select_option(label=DALMINE)
    expect(page).to_have_url(re.compile(rf"[?&]cohort={cohort.pk}\b"))
    expect(results.locator("tbody tr")).to_have_count(in_dalmine)
    expect(results.locator("tbody tr").filter(has_text=TREVIGLIO)).to_have_count(0)

    _bulk_move(page, results, "STEP 2 – instruments chosen", today, in_dalmine)
    expect(results.get_by_role("status")).to_contain_text(f"{in_dalmine} workers moved to STEP 2.")
    expect(results.locator("tbody tr .badge-step-STEP_2")).to_have_count(in_dalmine)
    shot("workers-3-bulk-step2")

    _bulk_move(page, results, "STEP 3 – PAL explained", today, in_dalmine)
    expect(results.get_by_role("status")).to_contain_text(f"{in_dalmine} workers moved to STEP 3.")
    expect(results.locator("tbody tr .badge-step-STEP_3")).to_have_count(in_dalmine)
    # The tiles sit outside the htmx target: reload the page to read them.
    page.reload()
    expect(_tile(page, Step.STEP_3)).to_have_text(str(in_dalmine))
    expect(_tile(page, Step.STEP_1)).to_have_text(str(total - in_dalmine))
    expect(_tile(page, Step.STEP_2)).to_have_text("0")
    shot("workers-4-bulk-step3")

    # --- 3. Exempt one worker through the htmx move panel ----------------------------------
    exempted = Involvement.objects.get(procedure=procedure, worker__fiscal_code=EXEMPTED_CF)
    refused = Involvement.objects.get(procedure=procedure, worker__fiscal_code=REFUSED_CF)
    panel = page.locator("#move-panel")
    row = results.locator(f"#involvement-{exempted.pk}")
    expect(row).to_contain_text(EXEMPTED_NAME)
    row.get_by_role("link", name="Move").click()
    expect(panel.get_by_role("heading", name=re.compile(f"Move {EXEMPTED_NAME}"))).to_be_visible()
    panel.get_by_label("Move to").select_option(label="NO PAL – exempted")
    panel.get_by_label("Exemption reason").select_option(label=reason.label)
    panel.get_by_label("Reason / note").fill(EXEMPTION_NOTE)
    shot("workers-5-exemption-form")
    with page.expect_response(
        lambda r: "/workers" in r.url and r.request.method == "GET" and r.status == 200
    ):  # HX-Trigger "workers-changed" refreshes the list
        panel.get_by_role("button", name="Record the move").click()
        expect(panel.get_by_role("status")).to_have_text(f"{EXEMPTED_NAME} moved to NO PAL.")
    expect(row.locator(".badge-step")).to_have_text("NO PAL")
    shot("workers-6-exempted")

    # --- 4. A refused move: STEP 3 → STEP 4 without a measure -----------------------------
    before = list(StepTransition.objects.order_by("pk").values_list("pk", flat=True))
    refused_row = results.locator(f"#involvement-{refused.pk}")
    refused_row.get_by_role("link", name="Move").click()
    expect(panel.get_by_role("heading", name=re.compile("Move Rossi Alessia"))).to_be_visible()
    panel.get_by_label("Move to").select_option(label="STEP 4 – PAL activated")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        panel.get_by_role("button", name="Record the move").click()
    # Refused (422) but answered 200 to htmx, the refusal named in a header: no console error
    # (crisi_portal/htmx.py); the page fixture fails the test on any console error.
    assert (posted.value.status, posted.value.headers.get("x-refused")) == (200, "422")
    measure = panel.get_by_label("Measure activated")
    expect(measure).to_have_attribute("aria-invalid", "true")
    expect(
        panel.locator(".portal-field.is-invalid")
        .filter(has=page.get_by_label("Measure activated"))
        .locator(".invalid-feedback")
    ).to_have_text("Activating a PAL (STEP 4) requires the measure.")
    expect(panel.get_by_label("Move to")).to_have_value(Step.STEP_4)  # the choice is kept
    expect(refused_row.locator(".badge-step")).to_have_text("STEP 3")
    refused.refresh_from_db()
    assert refused.current_step == Step.STEP_3
    assert list(StepTransition.objects.order_by("pk").values_list("pk", flat=True)) == before
    shot("workers-7-refused")

    # --- 5. The exempted worker's page and timeline ----------------------------------------
    row.get_by_role("link", name=EXEMPTED_NAME).click()
    expect(page.get_by_role("heading", name=EXEMPTED_NAME, level=1)).to_be_visible()
    items = page.locator("ol.step-timeline > li")
    expect(items).to_have_count(4)
    expect(items.locator(".badge-step")).to_have_text(
        [
            "STEP 1 – taken in charge",
            "STEP 2 – instruments chosen",
            "STEP 3 – PAL explained",
            "NO PAL – exempted",
        ]
    )
    expect(items.nth(3)).to_contain_text(f"Exemption: {reason.label}")
    expect(items.nth(3)).to_contain_text(EXEMPTION_NOTE)
    expect(items.nth(3)).to_contain_text("Exemption from PAL")
    expect(items.nth(3)).to_contain_text(today.strftime("%d/%m/%Y"))
    shot("workers-8-timeline")

    # --- 6. The database holds exactly the moves made -------------------------------------
    involvements = Involvement.objects.filter(procedure=procedure)
    assert involvements.count() == total
    steps = {}
    for involvement in involvements.select_related("unit"):
        steps.setdefault((involvement.unit.name, involvement.current_step), 0)
        steps[(involvement.unit.name, involvement.current_step)] += 1
    assert steps == {
        (TREVIGLIO, Step.STEP_1): total - in_dalmine,
        (DALMINE, Step.STEP_3): in_dalmine - 1,
        (DALMINE, Step.NO_PAL): 1,
    }
    start = (MoveKind.START, "", Step.STEP_1, None, None, "")
    to_2 = (MoveKind.FORWARD, Step.STEP_1, Step.STEP_2, officer.pk, None, "")
    to_3 = (MoveKind.FORWARD, Step.STEP_2, Step.STEP_3, officer.pk, None, "")
    exemption = (
        MoveKind.EXEMPTION,
        Step.STEP_3,
        Step.NO_PAL,
        officer.pk,
        reason.pk,
        EXEMPTION_NOTE,
    )
    for involvement in involvements.select_related("unit", "worker"):
        moves = list(
            involvement.transitions.order_by("pk").values_list(
                "kind", "from_step", "to_step", "recorded_by", "exemption_reason", "reason"
            )
        )
        # Taken in charge by the import (recorded by the officer or by nobody).
        assert moves[0][:3] == start[:3] and moves[0][3] in (None, officer.pk)
        moves[0] = start
        if involvement.unit.name == TREVIGLIO:
            expected = [start]
        elif involvement.pk == exempted.pk:
            expected = [start, to_2, to_3, exemption]
        else:
            expected = [start, to_2, to_3]
        assert moves == expected, involvement.worker.fiscal_code
        dates = set(involvement.transitions.values_list("effective_date", flat=True))
        assert dates == {today}
        assert involvement.transitions.filter(measure__isnull=False).count() == 0
    assert StepTransition.objects.filter(involvement__procedure=procedure).count() == (
        total + 2 * in_dalmine + 1
    )

    # --- 7. The procedure's history tells the story (issue #13, item 5) ---------------------
    page.goto(f"{live_server.url}{procedure.get_absolute_url()}")
    story = page.locator("#procedure-history")
    expect(story).to_contain_text(f"Production unit {DALMINE} added")
    expect(story).to_contain_text(f"{total} workers taken in charge")
    # One line per bulk move, with its count and who made it.
    for line in (
        f"{in_dalmine} workers: STEP 1 → STEP 2",
        f"{in_dalmine} workers: STEP 2 → STEP 3",
        "1 worker: STEP 3 → NO PAL",
    ):
        expect(story.locator("li").filter(has_text=line)).to_have_count(1)
        expect(story.locator("li").filter(has_text=line)).to_contain_text(
            f"by {officer.get_full_name()}"
        )
    texts = story.locator("> li").all_inner_texts()
    assert texts.index(next(t for t in texts if "STEP 3 → NO PAL" in t)) < texts.index(
        next(t for t in texts if "STEP 1 → STEP 2" in t)
    ), "newest first"
    shot("workers-9-history")


def test_officer_groups_workers_in_bulk(page, live_server, make_officer, login, screenshot):
    """Issue #13, item 2: a group is created, filled in bulk, read on its page, emptied."""
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: console.append(str(exc)))
    make_officer("nucleo.bg", "BG")
    procedure = _procedure_with_two_units()
    dalmine = procedure.units.get(name=DALMINE)
    involvements = [InvolvementFactory(unit=dalmine) for _ in range(3)]
    login("nucleo.bg")
    page.goto(f"{live_server.url}{reverse('workers:procedure_workers', args=[procedure.pk])}")
    page.get_by_role("link", name="New cohort").click()
    page.get_by_label("Name").fill("Turno di notte")
    page.get_by_label("Production unit").select_option(label=str(dalmine))
    page.get_by_role("button", name="Create cohort").click()
    expect(page.get_by_role("heading", name=f"Workers – {COMPANY}", level=1)).to_be_visible()
    cohort = Cohort.objects.get(procedure=procedure, name="Turno di notte")

    results = page.locator("#workers-results")
    boxes = results.locator('input[name="bulk-involvements"]')
    expect(boxes).to_have_count(3)
    boxes.nth(0).check()
    boxes.nth(1).check()
    groups = page.locator("#bulk-groups")
    groups.get_by_label("Group").select_option(label="Turno di notte")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        groups.get_by_role("button", name="Put into the group").click()
    assert posted.value.status == 200, posted.value.text()[:2000]
    expect(results.get_by_role("status")).to_contain_text(
        "2 workers put into the group Turno di notte."
    )
    expect(results.get_by_role("link", name="Turno di notte")).to_have_count(2)
    screenshot("groups-1-assigned")

    page.goto(f"{live_server.url}{procedure.get_absolute_url()}")
    page.locator("#procedure-groups").get_by_role("link", name="Turno di notte").click()
    expect(page.get_by_role("heading", name="Group Turno di notte", level=1)).to_be_visible()
    rows = page.locator("#cohort-workers tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.locator(".badge-step")).to_have_text(["STEP 1", "STEP 1"])
    screenshot("groups-2-page")

    page.get_by_role("link", name="Move or regroup these workers").click()
    expect(boxes).to_have_count(2)
    boxes.nth(0).check()
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("#bulk-groups").get_by_role("button", name="Remove from their group").click()
    assert posted.value.status == 200, posted.value.text()[:2000]
    expect(results.get_by_role("status")).to_contain_text("1 workers taken out of their group.")
    page.goto(f"{live_server.url}{cohort.get_absolute_url()}")
    expect(rows).to_have_count(1)
    grouped = set(
        Involvement.objects.filter(pk__in=[i.pk for i in involvements], cohort=cohort).values_list(
            "pk", flat=True
        )
    )
    assert len(grouped) == 1
    assert console == []


def test_name_search_is_posted_and_never_in_a_url(page, live_server, make_officer, login):
    """Issue #9: a worker's name goes in a POST body, never in a URL (access logs, history)."""
    make_officer("nucleo.bg", "BG")
    procedure = _two_workers_in_two_cohorts()
    first, second = (i.worker for i in Involvement.objects.filter(procedure=procedure))
    assert first.last_name != second.last_name
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    login("nucleo.bg")
    page.goto(f"{live_server.url}{reverse('workers:procedure_workers', args=[procedure.pk])}")
    results = page.locator("#workers-results")
    expect(results.locator("tbody tr")).to_have_count(2)
    with page.expect_response(lambda r: r.request.method == "POST" and "/workers" in r.url) as r:
        page.locator("#workers-search").get_by_label("Search").fill(first.last_name)
    assert first.last_name in (r.value.request.post_data or "")
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results).to_contain_text(first.last_name)
    # The term stays (session) when the page is loaded again, still without a URL parameter.
    page.reload()
    expect(results.locator("tbody tr")).to_have_count(1)
    assert not [url for url in urls if first.last_name.lower() in url.lower()]
