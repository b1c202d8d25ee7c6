"""Regional and bilateral tables counted per year and convener (#14 item 3): the dashboard's
table and CSV, and the annual report's notes (its table stays the Region's)."""

import datetime
import subprocess

import pytest
from django.urls import reverse
from django.utils import translation

from monitoring.dashboard import dashboard_data
from monitoring.periods import Period
from monitoring.renderers import Context
from monitoring.renderers.pdf import render_pdf
from monitoring.renderers.tabular import render_csv
from monitoring.reports import build
from tests.cases.factories import CrisisProcedureFactory, MeetingFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def tables(db):
    bg = CrisisProcedureFactory(lead="BG", with_unit=True)
    mi = CrisisProcedureFactory(lead="MI", with_unit=True)
    for day in (D(2025, 2, 1), D(2025, 6, 1), D(2025, 9, 1), D(2025, 11, 1)):
        MeetingFactory(regional=True, procedures=[bg, mi], date=day)
    for n in range(3):
        MeetingFactory(convened_by="BG", procedures=[bg], date=D(2025, 3, 1 + n))
    MeetingFactory(convened_by="MI", procedures=[mi], date=D(2025, 3, 1))
    MeetingFactory(convened_by="MI", procedures=[mi], date=D(2024, 3, 1))
    MeetingFactory(convened_by="MI", procedures=[mi], date=D(2025, 3, 1), kind="sindacale")
    return bg, mi


def test_the_region_sees_every_convener(tables, region):
    assert dashboard_data(region, year=2025, live=True)["tables"] == [
        {"year": 2025, "convener": "LOM", "regional": 4, "bilateral": 0},
        {"year": 2025, "convener": "BG", "regional": 0, "bilateral": 3},
        {"year": 2025, "convener": "MI", "regional": 0, "bilateral": 1},
    ]
    every_year = dashboard_data(region, live=True)["tables"]
    assert {"year": 2024, "convener": "MI", "regional": 0, "bilateral": 1} in every_year


def test_a_province_officer_counts_the_tables_they_see(tables, staff_bg):
    # Their Nucleo's bilateral tables and the regional tables on their procedures; not MI's.
    assert dashboard_data(staff_bg, year=2025, live=True)["tables"] == [
        {"year": 2025, "convener": "LOM", "regional": 4, "bilateral": 0},
        {"year": 2025, "convener": "BG", "regional": 0, "bilateral": 3},
    ]


def test_the_dashboard_shows_the_table_and_its_csv(tables, region, client):
    client.force_login(region)
    html = client.get(reverse("monitoring:dashboard"), {"year": "2025"}).content.decode()
    assert "chart=tables" in html and 'id="tables-title"' in html
    response = client.get(
        reverse("monitoring:dashboard_csv"),
        {"chart": "tables", "year": "2025", "format": "technical"},
    )
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.splitlines() == [
        "year,convener,regional_tables,bilateral_tables",
        "2025,LOM,4,0",
        "2025,BG,0,3",
        "2025,MI,0,1",
    ]


def test_the_annual_report_counts_the_tables_in_its_notes_only(tables, tmp_path):
    period = Period.parse("annual", "2025")
    data = build("annual", period)
    assert data["tables"][0] == {"year": 2025, "convener": "LOM", "regional": 4, "bilateral": 0}
    context = Context(
        scope_label="Regione Lombardia",
        period=period,
        generated_at=datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC),
    )
    # The CSV is the Region's table: the same bytes with or without tables.
    with_tables = render_csv(data, context).content
    without = render_csv({**data, "tables": []}, context).content
    assert with_tables == without
    with translation.override("en"):
        pdf = render_pdf(data, context).content
    path = tmp_path / "annual.pdf"
    path.write_bytes(pdf)
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, check=True, text=True
        ).stdout.split()
    )
    assert "the Region held 4 regional tables" in text
    assert "4 bilateral tables were held" in text
    assert "convened them: Bergamo 3, Milano (Città Metropolitana) 1." in text
