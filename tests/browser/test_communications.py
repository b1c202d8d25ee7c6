"""End-to-end journey of the mandatory communications (issue #16 item 1), in headless Chromium.

A Nucleo officer uploads a ZIP of UNILAV communications, reads the import's summary, finds the
proposed outcomes in the queue, ticks them and confirms them in bulk (a plain form); the
worker's page then shows the outcome with its source "mandatory communication". A worker of
another province, in the same file, never shows. Screenshots land in
``test-results/browser/communications-*.png``.
"""

import datetime
import io
import zipfile

from django.urls import reverse
from playwright.sync_api import expect

from tests.cases.factories import ProductionUnitFactory
from tests.workers.factories import InvolvementFactory
from workers.enums import OutcomeSource
from workers.models import Outcome, ProposalStatus, ProposedOutcome
from workers.unilav import ParsedCommunication, communication_xml

TAKEN_ON = datetime.date(2025, 4, 2)


def hiring(n: int, fiscal_code: str, contract: str, end=None) -> ParsedCommunication:
    start = datetime.date(2025, 6, 2)
    return ParsedCommunication(
        code=f"13000250000{n:05d}",
        kind="ASS",
        worker_fiscal_code=fiscal_code,
        employer_tax_code="02877740213",
        employer_name="Meccanica Orobica S.r.l.",
        event_date=start,
        start_date=start,
        end_date=end,
        contract_code=contract,
        workplace_comune="A794",
    )


def test_officer_uploads_and_bulk_confirms_proposed_outcomes(
    page, live_server, make_officer, login, screenshot, tmp_path
):
    make_officer("nucleo.bg", "BG")
    bg = [
        InvolvementFactory(unit=ProductionUnitFactory(procedure__lead="BG"), taken_on=TAKEN_ON)
        for _ in range(2)
    ]
    mi = InvolvementFactory(unit=ProductionUnitFactory(procedure__lead="MI"), taken_on=TAKEN_ON)
    items = [
        hiring(1, bg[0].worker.fiscal_code, "A.01.00"),
        hiring(2, bg[1].worker.fiscal_code, "A.02.00", datetime.date(2025, 9, 30)),
        hiring(3, mi.worker.fiscal_code, "A.01.00"),
    ]
    path = tmp_path / "lotto-unilav.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in items:
            archive.writestr(f"{item.code}.xml", communication_xml(item))
    path.write_bytes(buffer.getvalue())

    login("nucleo.bg")
    page.goto(live_server.url + reverse("workers:communications_import"))
    page.get_by_label("File of communications").set_input_files(str(path))
    screenshot("communications-1-upload")
    page.get_by_role("button", name="Import").click()
    summary = page.locator("#batch-summary")
    expect(summary.get_by_role("row", name="Outcomes proposed")).to_contain_text("2")
    expect(summary.get_by_role("row", name="No worker in charge")).to_contain_text("1")
    screenshot("communications-2-summary")

    page.get_by_role("link", name="Proposed outcomes").first.click()
    rows = page.locator("#proposals tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#proposals")).not_to_contain_text(
        mi.worker.last_name + " " + mi.worker.first_name
    )
    for involvement in bg:
        worker = involvement.worker
        page.get_by_role("checkbox", name=f"Select {worker.last_name} {worker.first_name}").check()
    screenshot("communications-3-queue")
    page.get_by_role("button", name="Confirm the selected").click()
    expect(page.get_by_text("Outcomes confirmed: 2.")).to_be_visible()
    expect(page.locator("#proposals")).to_contain_text("No proposal here.")

    assert set(
        ProposedOutcome.objects.filter(status=ProposalStatus.CONFIRMED).values_list(
            "involvement_id", flat=True
        )
    ) == {i.pk for i in bg}
    # The officer's import matches the workers of their provinces only.
    assert not ProposedOutcome.objects.filter(involvement=mi).exists()
    outcome = Outcome.objects.get(involvement=bg[1])
    assert outcome.source == OutcomeSource.MANDATORY_COMMUNICATION
    assert outcome.contract_end == datetime.date(2025, 9, 30)

    page.goto(live_server.url + bg[1].worker.get_absolute_url())
    expect(page.get_by_text("Confirmed by mandatory communications (UNILAV)")).to_be_visible()
    expect(page.get_by_text("Fixed term, under 6 months").first).to_be_visible()
    screenshot("communications-4-worker")
