"""The dashboard's sections of issue #15 (part 6): re-employment at 6 and 12 months by sex, age
band, citizenship, education and CPI; the money; the map coloured by them. Figures pinned on
hand-built workers."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from monitoring.dashboard import dashboard_data
from monitoring.services import dashboard_refresh
from pal.spending import spending_rows, spending_totals
from tests.monitoring.builders import outcome, procedure, unit, worker
from tests.pal.factories import DoteFactory
from workers.enums import OutcomeKind, Sex
from workers.models import Country, Outcome, Worker

pytestmark = pytest.mark.django_db

D = datetime.date
URL = reverse("monitoring:dashboard")
CSV_URL = reverse("monitoring:dashboard_csv")


def _profile(involvement, *, sex, born, country, education):
    Worker.objects.filter(pk=involvement.worker_id).update(
        sex=sex,
        birth_date=born,
        citizenship_country=Country.objects.get(iso_alpha2=country) if country else None,
        education_level=education,
    )
    return involvement


@pytest.fixture
def people():
    """Four workers of one BG unit (one CPI), three taken in charge on 2 April 2025 (both
    windows long past), one 30 days ago (neither window has passed: not counted):

    w1  F  35 at taking in charge  Italian   diploma        re-employed 1 Aug 2025 (in 6 months)
    w2  M  24                      non-EU    licenza_media  re-employed 15 Jan 2026 (in 12)
    w3  M  55                      EU        not recorded   retired (not re-employed)
    w4  F  41                      Italian   diploma        taken in charge 30 days ago
    """
    site = unit(procedure())
    w1 = _profile(worker(site), sex=Sex.F, born=D(1990, 1, 1), country="IT", education="diploma")
    w2 = _profile(
        worker(site), sex=Sex.M, born=D(2000, 6, 1), country="MA", education="licenza_media"
    )
    w3 = _profile(worker(site), sex=Sex.M, born=D(1970, 1, 1), country="RO", education="")
    recent = timezone.localdate() - datetime.timedelta(days=30)
    _profile(
        worker(site, taken_on=recent),
        sex=Sex.F,
        born=D(1985, 1, 1),
        country="IT",
        education="diploma",
    )
    outcome(w1, OutcomeKind.RICOLLOCATO, D(2025, 8, 1))
    outcome(w2, OutcomeKind.RICOLLOCATO, D(2026, 1, 15))
    outcome(w3, OutcomeKind.PENSIONAMENTO, D(2025, 9, 1))
    # The competent CPI: the involvement's own, derived from the unit's comune when created.
    w1.refresh_from_db()
    return {"cpi": (w1.cpi or w1.unit.cpi).name}


def windows(row) -> tuple:
    return tuple(row[f"{figure}_{m}"] for m in (6, 12) for figure in ("eligible", "reemployed"))


def dimension(data, code) -> dict:
    (entry,) = [d for d in data["reemployment"]["dimensions"] if d["dimension"] == code]
    return {row["key"]: row for row in entry["rows"]}


def test_only_workers_whose_window_has_passed_are_counted(people, region):
    total = dashboard_data(region)["reemployment"]["total"]
    assert windows(total) == (3, 1, 3, 2)
    assert (total["rate_6"], total["rate_12"]) == (33.3, 66.7)


def test_by_sex(people, region):
    rows = dimension(dashboard_data(region), "sex")
    assert list(rows) == ["F", "M"]
    assert windows(rows["F"]) == (1, 1, 1, 1)  # the recent woman is not counted
    assert windows(rows["M"]) == (2, 0, 2, 1)
    assert (rows["M"]["rate_6"], rows["M"]["rate_12"]) == (0.0, 50.0)


def test_by_age_band_at_taking_in_charge_in_the_bands_order(people, region):
    rows = dimension(dashboard_data(region), "age_band")
    assert list(rows) == ["under_30", "30_49", "50_plus"]
    assert [windows(row) for row in rows.values()] == [(1, 0, 1, 1), (1, 1, 1, 1), (1, 0, 1, 0)]


def test_by_citizenship_group(people, region):
    rows = dimension(dashboard_data(region), "citizenship")
    assert list(rows) == ["italian", "eu", "non_eu"]
    assert [windows(row) for row in rows.values()] == [(1, 1, 1, 1), (1, 0, 1, 0), (1, 0, 1, 1)]


def test_by_education_with_not_recorded_last(people, region):
    with translation.override("en"):
        rows = dimension(dashboard_data(region), "education")
    assert list(rows) == ["licenza_media", "diploma", "unknown"]
    assert rows["unknown"]["label"] == "Not recorded"
    assert windows(rows["diploma"]) == (1, 1, 1, 1)


def test_by_cpi_named_in_the_same_query(people, region):
    rows = dimension(dashboard_data(region), "cpi")
    assert list(rows) == [people["cpi"]]
    assert windows(rows[people["cpi"]]) == (3, 1, 3, 2)


def test_the_filters_narrow_the_breakdowns(people, region, staff_mi):
    assert windows(dashboard_data(region, year=2024)["reemployment"]["total"]) == (0, 0, 0, 0)
    assert windows(dashboard_data(staff_mi)["reemployment"]["total"]) == (0, 0, 0, 0)
    assert dimension(dashboard_data(region, province="MI"), "sex") == {}


def test_the_province_rows_carry_the_12_month_rate_for_the_map(people, region):
    rows = {row["province"]: row for row in dashboard_data(region)["by_province"]}
    assert rows["BG"]["reemployment_rate"] == 66.7
    assert rows["MI"]["reemployment_rate"] is None


def test_the_money_is_the_spending_of_the_doti_in_scope(people, region, staff_bg, staff_mi):
    DoteFactory(involvement=Worker.objects.first().involvements.first())
    money = dashboard_data(region)["money"]
    assert money["totals"]["assigned"] == 3000.0
    assert money["totals"] == {
        key: (float(value) if value is not None else None)
        for key, value in spending_totals(region).items()
    }
    assert [row["label"] for row in money["by_source"]] == [
        row["label"] for row in spending_rows(region, by="source")
    ]
    assert [row["assigned"] for row in money["by_measure"]] == [3000.0]
    rows = {row["province"]: row for row in dashboard_data(region)["by_province"]}
    assert (rows["BG"]["committed"], rows["MI"]["committed"]) == (0.0, None)
    assert dashboard_data(staff_bg)["money"]["totals"]["budget"] is None  # the Region's only
    assert dashboard_data(staff_mi)["money"]["totals"]["assigned"] == 0.0


def test_the_filters_narrow_the_money_and_hide_the_budgets(people, region):
    DoteFactory(involvement=Worker.objects.first().involvements.first())  # a BG worker's
    assert dashboard_data(region)["money"]["whole"] is True
    in_bg = dashboard_data(region, province="BG")["money"]
    assert in_bg["totals"]["assigned"] == 3000.0
    # A part's committed is not what a source has given: no budget, nothing "left".
    assert in_bg["whole"] is False
    assert (in_bg["totals"]["budget"], in_bg["totals"]["left"]) == (None, None)
    assert {row["budget"] for row in in_bg["by_source"]} <= {None}
    assert dashboard_data(region, province="MI")["money"]["totals"]["assigned"] == 0.0
    assert dashboard_data(region, year=2024)["money"]["totals"]["assigned"] == 0.0
    assert dashboard_data(region, family="licenziamento_collettivo")["money"]["by_measure"] == []


def test_between_refreshes_the_sections_are_read_from_the_cache(people, region):
    """Once the tables are built, re-employment and money are counted once per refresh (they lag
    the data as the tables' figures do); ``live`` and a new refresh count them again."""
    dashboard_refresh()
    with CaptureQueriesContext(connection) as counted:
        first = dashboard_data(region)
    with CaptureQueriesContext(connection) as again:
        assert dashboard_data(region) == first
    # Six grouped re-employment queries and the money's five are not run again.
    assert len(again.captured_queries) <= len(counted.captured_queries) - 10
    # w1's re-employment (within 6 months): not the retirement, which no rate counts.
    Outcome.objects.filter(kind=OutcomeKind.RICOLLOCATO).order_by("date").first().delete()
    assert dashboard_data(region)["reemployment"] == first["reemployment"]  # until the refresh
    assert dashboard_data(region, live=True)["reemployment"] != first["reemployment"]
    dashboard_refresh()
    assert dashboard_data(region)["reemployment"] != first["reemployment"]


def test_the_page_shows_the_tables_without_javascript(people, client, region):
    client.force_login(region)
    with translation.override("en"):
        html = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for chart in ("sex", "age_band", "citizenship", "education", "cpi"):
        assert f"chart=reemployment_{chart}" in html
    assert "chart=money_sources" in html and "chart=money_measures" in html
    assert "66,7" in html or "66.7" in html
    assert 'id="reemployment-section"' in html and 'id="money-section"' in html


def test_a_province_officer_sees_no_budget(people, client, staff_bg):
    client.force_login(staff_bg)
    response = client.get(URL)
    assert response.context["money_whole"] is False
    assert response.context["reemployment"]["total"]["eligible_6"] == 3


@pytest.mark.parametrize("measure", ["reemployment_rate", "committed", "delivered"])
def test_the_map_colours_by_reemployment_and_spending(people, client, region, measure):
    DoteFactory(involvement=Worker.objects.first().involvements.first())
    client.force_login(region)
    response = client.get(URL, {"map": measure})
    assert response.context["map_measure"] == measure
    classes = response.context["map_classes"]
    assert classes["BG"].startswith("map-q")
    assert classes["MI"] == "map-nodata"


def test_the_reemployment_csv_has_the_raw_figures(people, client, region):
    client.force_login(region)
    response = client.get(CSV_URL, {"chart": "reemployment_sex", "format": "technical"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "sex",
        "label",
        "eligible_6",
        "reemployed_6",
        "rate_6",
        "eligible_12",
        "reemployed_12",
        "rate_12",
    ]
    assert rows[2][0] == "M" and rows[2][2:] == ["2", "0", "0.0", "2", "1", "50.0"]
