"""The Region's monitoring journey, in headless Chromium (DOMAIN §5; issue 5).

``regione`` opens the dashboard, narrows it to one province, generates the annual report as a
PDF from the archive, watches it become ready and downloads it.
"""

import hashlib
import re
import subprocess
from datetime import date

from django.utils import timezone, translation
from playwright.sync_api import expect

from monitoring.enums import RunStatus
from monitoring.models import ReportRun
from monitoring.periods import Period
from tests.browser.conftest import PASSWORD
from tests.cases.factories import CompanyFactory, CrisisProcedureFactory, ProductionUnitFactory
from tests.factories import UserFactory

BG_COMPANY = "Tessiture Seriane Browser S.p.A."
MI_COMPANY = "Meccanica Ambrosiana Browser S.r.l."


def test_region_reads_the_dashboard_then_generates_and_downloads_the_annual_report(
    page, live_server, login, screenshot, tmp_path
):
    user = UserFactory(username="regione", region_official=True)
    user.set_password(PASSWORD)
    user.save()
    bg = CrisisProcedureFactory(
        lead="BG",
        company=CompanyFactory(name=BG_COMPANY),
        opened_on=date(2024, 5, 6),
        start_date=date(2024, 6, 1),
        end_date=date(2025, 5, 31),
    )
    ProductionUnitFactory(procedure=bg, workers_involved=1234)
    mi = CrisisProcedureFactory(
        lead="MI",
        company=CompanyFactory(name=MI_COMPANY),
        opened_on=date(2024, 9, 9),
        start_date=date(2024, 10, 1),
        end_date=date(2025, 9, 30),
    )
    ProductionUnitFactory(procedure=mi, workers_involved=766)
    login("regione")

    # The dashboard, for the whole region, then for Bergamo only.
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("button", name="Monitoring").click()  # the menu group
    nav.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    involved = page.locator(".dashboard-kpi").filter(has_text="Workers involved")
    expect(involved).to_contain_text(re.compile(r"2[.,]000"))
    page.get_by_label("Province", exact=True).select_option("BG")  # submits on change
    expect(page).to_have_url(re.compile(r"province=BG"))
    expect(involved).to_contain_text(re.compile(r"1[.,]234"))
    expect(page.get_by_role("heading", name="By province")).to_be_visible()
    screenshot("monitoring-dashboard-bg")

    # The archive: generate the annual table for 2024 as a PDF.
    nav.get_by_role("button", name="Monitoring").click()
    nav.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Report archive", level=1)).to_be_visible()
    generate = page.get_by_role("region", name="Generate now")
    # The period is chosen in words among the chosen type's periods (issue #13, item 8).
    period = generate.get_by_label("Period")
    generate.get_by_label("Report type").select_option("bimonthly")
    last_bimester = Period.just_ended("bimonthly", timezone.localdate())
    expect(period).to_have_value(last_bimester.code)
    with translation.override("en"):
        expect(period.locator("option:checked")).to_have_text(last_bimester.words)
    # 2024 is a period of the annual table and of the PAL outcomes report: hidden in both.
    years = period.locator('option[value="2024"]')
    expect(years).to_have_count(2)
    for year in years.all():
        expect(year).to_be_hidden()
    generate.get_by_label("Report type").select_option("annual")
    expect(period).to_have_value(Period.just_ended("annual", timezone.localdate()).code)
    period.select_option(label="Year 2024")
    generate.get_by_label("Scope").select_option(index=0)  # Regione Lombardia
    generate.get_by_label("Format").select_option("pdf")
    # The document is produced while the request waits (eager Celery): allow for a busy machine.
    generate.get_by_role("button", name="Generate", exact=True).click(timeout=60_000)

    # The run's page polls its status until the document is ready.
    expect(page).to_have_url(re.compile(r"/monitoring/reports/\d+/$"))
    download_link = page.get_by_role("link", name=re.compile(r"^Download PDF"))
    expect(download_link).to_be_visible(timeout=60_000)
    run = ReportRun.objects.get()
    assert (run.kind, run.period, run.province_id, run.format) == ("annual", "2024", None, "pdf")
    assert run.status == RunStatus.SUCCEEDED
    assert run.requested_by == user
    screenshot("monitoring-report-ready")

    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename == run.filename
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    content = saved.read_bytes()
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == run.sha256
    text = subprocess.run(
        ["pdftotext", "-layout", str(saved), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "1.234" in text  # Bergamo's workers, Italian-formatted
    assert "2.000" in text  # the regional total
    assert "100,00" in text
