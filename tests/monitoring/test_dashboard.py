"""The dashboard (DOMAIN §5): figures against hand-built data, filters, scoping, page, CSV."""

import csv
import datetime
import io
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.enums import Family
from monitoring.dashboard import CSV_CHARTS, dashboard_data, share
from pal.models import Measure
from tests.monitoring.builders import procedure, unit, worker
from workers.enums import OutcomeKind, Step
from workers.services import involvement_move

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def english(settings):
    """These tests read the English messages; the portal's default language is Italian."""
    settings.LANGUAGE_CODE = "en"


def funnel(data) -> dict:
    return {row["step"]: row for row in data["funnel"]}


def row_of(rows, key, value) -> dict:
    (row,) = [row for row in rows if row[key] == value]
    return row


# --- Percentages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(2, 3, 66.7), (1, 3, 33.3), (1, 8, 12.5), (1, 16, 6.3), (1, 6, 16.7), (3, 3, 100.0)],
)
def test_shares_have_one_decimal_rounded_half_up(part, whole, expected):
    assert share(part, whole) == expected


def test_a_share_of_nothing_is_none_not_zero():
    assert share(0, 0) is None


# --- The figures ----------------------------------------------------------------------------------


def test_kpis_for_the_region(world, region):
    kpis = dashboard_data(region)["kpis"]

    assert kpis["procedures"] == 4
    assert kpis["units"] == 5
    assert kpis["workers_involved"] == 40 + 10 + 100 + 5 + 7
    assert kpis["involvements"] == 8
    assert kpis["step_4"] == 4
    assert kpis["activation_rate"] == 50.0
    assert kpis["no_pal"] == 1
    assert kpis["no_pal_share"] == 12.5
    assert kpis["with_outcome"] == 3
    assert kpis["with_outcome_share"] == 37.5


def test_activation_rate_two_of_three_is_66_7(region):
    site = unit(procedure())
    worker(site, Step.STEP_4)
    worker(site, Step.STEP_4)
    worker(site, Step.STEP_3)

    data = dashboard_data(region)

    assert data["kpis"]["activation_rate"] == 66.7
    assert row_of(data["by_province"], "province", "BG")["activation_rate"] == 66.7
    assert row_of(data["by_family"], "family", Family.CIGS_MINISTERIALE)["activation_rate"] == 66.7


def test_the_funnel_counts_where_workers_are_now_and_how_far_they_got(world, region):
    steps = funnel(dashboard_data(region))

    assert [steps[s]["current"] for s in Step.values] == [1, 1, 1, 4, 1]
    assert [steps[s]["current_pct"] for s in Step.values] == [12.5, 12.5, 12.5, 50.0, 12.5]
    # Reached at least STEP k: at STEP k or later (NO_PAL apart).
    assert [steps[s]["reached"] for s in Step.values] == [7, 6, 5, 4, 1]
    assert [steps[s]["reached_pct"] for s in Step.values] == [87.5, 75.0, 62.5, 50.0, 12.5]


def test_by_province_lists_all_twelve_in_the_official_order(world, region):
    rows = dashboard_data(region)["by_province"]

    assert [r["province"] for r in rows] == [
        "BG", "BS", "CO", "CR", "LC", "LO", "MN", "MI", "MB", "PV", "SO", "VA"
    ]  # fmt: skip
    bg, mi = row_of(rows, "province", "BG"), row_of(rows, "province", "MI")
    assert (bg["procedures"], bg["units"], bg["workers_involved"]) == (3, 3, 55)
    assert (bg["involvements"], bg["step_4"], bg["activation_rate"]) == (5, 2, 40.0)
    assert (mi["procedures"], mi["units"], mi["workers_involved"]) == (2, 2, 107)
    assert (mi["involvements"], mi["step_4"], mi["activation_rate"]) == (3, 2, 66.7)
    lodi = row_of(rows, "province", "LO")
    assert (lodi["units"], lodi["involvements"], lodi["activation_rate"]) == (0, 0, None)


def test_by_family_always_has_the_three_families(world, region):
    rows = dashboard_data(region)["by_family"]

    assert [r["family"] for r in rows] == Family.values
    cigs = row_of(rows, "family", Family.CIGS_MINISTERIALE)
    assert (cigs["procedures"], cigs["units"], cigs["workers_involved"]) == (2, 2, 140)
    assert (cigs["involvements"], cigs["step_4"], cigs["activation_rate"]) == (7, 4, 57.1)
    regional = row_of(rows, "family", Family.CIGS_REGIONALE)
    assert (regional["procedures"], regional["units"], regional["workers_involved"]) == (1, 2, 12)
    assert (regional["involvements"], regional["activation_rate"]) == (0, None)


def test_per_month_has_the_twelve_months_of_the_year_zeros_included(world, region):
    months = dashboard_data(region, year=2025)["per_month"]

    assert [m["month"] for m in months] == [f"2025-{n:02d}" for n in range(1, 13)]
    # B's worker (Jan) counts although B was opened in 2024: the months are a time window.
    assert [m["taken_in_charge"] for m in months] == [1, 0, 0, 4, 3, 0, 0, 0, 0, 0, 0, 0]


def test_without_a_year_per_month_is_the_last_twelve_months(region):
    today = timezone.localdate()
    worker(unit(procedure(opened_on=today.replace(day=1))), taken_on=today.replace(day=1))

    months = dashboard_data(region)["per_month"]

    assert len(months) == 12
    assert months[-1] == {"month": today.strftime("%Y-%m"), "taken_in_charge": 1}
    # Eleven months before this one: the same month a year ago, plus one.
    first = D(today.year, 1, 1) if today.month == 12 else D(today.year - 1, today.month + 1, 1)
    assert months[0]["month"] == first.strftime("%Y-%m")
    assert sum(m["taken_in_charge"] for m in months) == 1


def test_median_days_step_1_to_step_4_odd_count(region):
    site = unit(procedure())
    for days in (10, 50, 20):
        worker(site, Step.STEP_4, days_to_step_4=days)
    worker(site, Step.STEP_3)  # not activated: not counted

    kpis = dashboard_data(region)["kpis"]

    assert kpis["median_days_to_step_4"] == 20.0
    assert kpis["median_days_sample"] == 3


def test_median_days_step_1_to_step_4_even_count_averages_the_middle_two(world, region):
    # Activated: a1 28 days, a2 40 (BG); c1 10, c2 60 (MI).
    data = dashboard_data(region)

    assert data["kpis"]["median_days_to_step_4"] == 34.0  # (28 + 40) / 2
    assert data["kpis"]["median_days_sample"] == 4
    assert row_of(data["by_province"], "province", "BG")["median_days_to_step_4"] == 34.0
    assert row_of(data["by_province"], "province", "MI")["median_days_to_step_4"] == 35.0
    assert row_of(data["by_province"], "province", "LO")["median_days_to_step_4"] is None


def test_median_days_use_the_latest_step_4_after_a_correction(staff_bg, region):
    involvement = worker(unit(procedure()), Step.STEP_4, days_to_step_4=10)  # 2 Apr → 12 Apr
    involvement_move(
        user=staff_bg,
        involvement=involvement,
        to=Step.STEP_3,
        effective_date=D(2025, 4, 20),
        reason="PAL attivata per errore.",
    )
    involvement_move(
        user=None,
        involvement=involvement,
        to=Step.STEP_4,
        effective_date=D(2025, 5, 2),
        measure=Measure.objects.get(code="dote-unica-lavoro"),
    )

    assert dashboard_data(region)["kpis"]["median_days_to_step_4"] == 30.0


def test_outcomes_per_kind_all_kinds_listed(world, region):
    rows = dashboard_data(region)["outcomes"]

    assert [r["kind"] for r in rows] == OutcomeKind.values
    assert {r["kind"]: r["workers"] for r in rows} == {
        "ricollocato": 2,
        "reintegrato": 0,
        "autoimpiego": 0,
        "pensionamento": 1,
        "altro_esito": 0,
    }
    assert row_of(rows, "kind", "ricollocato")["pct"] == 66.7


def test_nothing_at_all_gives_zeros_and_no_percentages(region):
    data = dashboard_data(region)

    assert data["kpis"]["involvements"] == 0
    assert data["kpis"]["activation_rate"] is None
    assert data["kpis"]["median_days_to_step_4"] is None
    assert len(data["by_province"]) == 12
    assert json.loads(json.dumps(data)) == data  # JSON-serialisable as it is


# --- Filters ------------------------------------------------------------------------------------


def test_year_counts_procedures_opened_in_that_year(world, region):
    data = dashboard_data(region, year=2024)

    assert data["kpis"]["procedures"] == 1  # B
    assert (data["kpis"]["units"], data["kpis"]["workers_involved"]) == (1, 10)
    assert data["kpis"]["involvements"] == 1


def test_a_procedure_opened_on_31_december_belongs_to_that_year(region):
    unit(procedure(opened_on=D(2024, 12, 31)), workers=3)
    unit(procedure(opened_on=D(2025, 1, 1)), workers=4)

    assert dashboard_data(region, year=2024)["kpis"]["workers_involved"] == 3
    assert dashboard_data(region, year=2025)["kpis"]["workers_involved"] == 4


def test_family_filter(world, region):
    data = dashboard_data(region, family=Family.CIGS_MINISTERIALE)

    assert data["kpis"]["procedures"] == 2  # A and C
    assert data["kpis"]["involvements"] == 7
    assert [r["family"] for r in data["by_family"]] == [Family.CIGS_MINISTERIALE]


def test_province_filter_for_the_region(world, region):
    data = dashboard_data(region, province="MI")

    assert data["provinces"] == ["MI"]
    assert [r["province"] for r in data["by_province"]] == ["MI"]
    assert data["kpis"]["procedures"] == 2  # C, and D through its MI unit
    assert (data["kpis"]["units"], data["kpis"]["workers_involved"]) == (2, 107)
    assert data["kpis"]["involvements"] == 3


# --- Scoping ------------------------------------------------------------------------------------


def test_province_staff_never_see_another_provinces_figures(world, staff_bg):
    data = dashboard_data(staff_bg)

    assert data["provinces"] == ["BG"]
    assert [r["province"] for r in data["by_province"]] == ["BG"]
    # D is led by BG and BG sees its MI unit, but the MI unit's 7 workers are not BG's.
    assert data["kpis"]["procedures"] == 3
    assert (data["kpis"]["units"], data["kpis"]["workers_involved"]) == (3, 55)
    assert data["kpis"]["involvements"] == 5
    assert data["kpis"]["median_days_to_step_4"] == 34.0
    assert [f["current"] for f in data["funnel"]] == [1, 1, 0, 2, 1]
    assert sum(o["workers"] for o in data["outcomes"]) == 1  # a1; c1 and c3 are MI's
    assert sum(m["taken_in_charge"] for m in dashboard_data(staff_bg, year=2025)["per_month"]) == 5


def test_province_staff_asking_for_another_province_get_nothing(world, staff_bg):
    data = dashboard_data(staff_bg, province="MI")

    assert data["provinces"] == []
    assert data["by_province"] == []
    assert data["kpis"]["procedures"] == 0
    assert data["kpis"]["workers_involved"] == 0
    assert data["kpis"]["median_days_to_step_4"] is None
    assert all(m["taken_in_charge"] == 0 for m in data["per_month"])


def test_the_region_sees_both_provinces(world, region, staff_bg, staff_mi):
    whole = dashboard_data(region)["kpis"]
    bg, mi = dashboard_data(staff_bg)["kpis"], dashboard_data(staff_mi)["kpis"]

    assert whole["involvements"] == bg["involvements"] + mi["involvements"]
    assert whole["workers_involved"] == bg["workers_involved"] + mi["workers_involved"]


def test_operators_have_no_figures(world, operator_user):
    assert dashboard_data(operator_user)["kpis"]["involvements"] == 0


# --- The page -------------------------------------------------------------------------------------

URL = reverse("monitoring:dashboard")
CSV_URL = reverse("monitoring:dashboard_csv")


def test_operators_are_refused_the_page(client, operator_user):
    client.force_login(operator_user)
    assert client.get(URL).status_code == 403
    assert client.get(CSV_URL, {"chart": "funnel"}).status_code == 403


def test_the_page_shows_every_chart_with_its_table_and_csv_link(client, world, region):
    client.force_login(region)

    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    for chart in CSV_CHARTS:
        assert f"chart={chart}" in html
    for chart in ("funnel", "families", "months", "outcomes", "provinces"):
        assert f'data-chart="{chart}"' in html
    # Seven tables behind <details> (agreements, certifications and the tables' counts, issue
    # #14, have no chart), five of re-employment and two of money (issue #15), plus the
    # province table beside the map.
    assert html.count('<details class="dashboard-table" open>') == 14
    assert html.count("<table") == 15
    assert 'id="dashboard-data" type="application/json"' in html
    assert 'id="map-MI" data-province="MI" class="map-province map-q4' in html


def test_the_page_has_no_inline_script(client, world, region):
    client.force_login(region)
    html = client.get(URL).content.decode()

    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "style=" not in html


def test_the_page_formats_numbers_the_italian_way(client, region):
    site = unit(procedure(), workers=1615)
    worker(site, Step.STEP_4)
    worker(site, Step.STEP_4)
    worker(site, Step.STEP_3)
    client.force_login(region)

    html = client.get(URL).content.decode()

    assert "1.615" in html
    assert "66,7\N{NO-BREAK SPACE}%" in html


def test_the_page_data_for_the_charts(client, world, region):
    client.force_login(region)
    charts = client.get(URL).context["chart_data"]
    in_2025 = client.get(URL, {"year": "2025"}).context["chart_data"]

    assert charts["funnel"]["series"][0]["data"] == [7, 6, 5, 4, 1]  # reached
    assert charts["funnel"]["series"][1]["data"] == [1, 1, 1, 4, 1]  # now at
    assert len(charts["provinces"]["labels"]) == 12
    assert in_2025["funnel"]["series"][0]["data"] == [6, 6, 5, 4, 1]  # B (2024) left out
    assert in_2025["months"]["series"][0]["data"][:5] == [1, 0, 0, 4, 3]


def test_the_map_is_coloured_by_quintiles_of_the_chosen_measure(client, world, region):
    client.force_login(region)

    by_workers = client.get(URL).context
    by_rate = client.get(URL, {"map": "activation_rate"}).context

    # Workers involved: ten provinces at 0 share the lowest class; BG 55 and MI 107 rank
    # 11th and 12th of twelve, the top fifth.
    classes = by_workers["map_classes"]
    assert classes["LO"] == classes["VA"] == "map-q0"
    assert classes["BG"] == classes["MI"] == "map-q4"
    assert by_workers["map_titles"]["BG"].startswith("Bergamo: 55 ")
    assert [item["css"] for item in by_workers["map_legend"]] == ["map-q0", "map-q4"]
    assert by_workers["map_legend"][1]["text"] == "55 – 107"
    # Activation rate: BG 40.0 % below MI 66.7 %; provinces nobody was taken in charge in
    # have no rate.
    assert by_rate["map_classes"]["BG"] == "map-q0"
    assert by_rate["map_classes"]["MI"] == "map-q2"
    assert by_rate["map_classes"]["LO"] == "map-nodata"
    assert by_rate["map_legend"][-1]["css"] == "map-nodata"


def test_province_staff_see_their_province_alone_on_the_map(client, world, staff_bg):
    client.force_login(staff_bg)

    context = client.get(URL).context

    assert context["map_classes"]["BG"] == "map-q4"
    assert context["map_classes"]["MI"] == "map-out"
    assert "province" not in context["form"].fields  # nothing to choose


def test_filters_apply_to_the_page(client, world, region):
    client.force_login(region)

    context = client.get(URL, {"year": "2024", "family": "licenziamento_collettivo"}).context

    assert context["kpis"]["procedures"] == 1
    assert context["kpis"]["workers_involved"] == 10


def test_a_filter_the_page_cannot_read_is_shown_and_ignored(client, english, world, region):
    client.force_login(region)

    response = client.get(URL, {"year": "soon", "family": "cigs_ministeriale"})

    assert response.status_code == 200
    assert "Some filters were not understood" in response.content.decode()
    assert response.context["data"]["filters"] == {
        "year": None,
        "province": None,
        "family": "cigs_ministeriale",
    }


def test_the_page_makes_the_same_number_of_queries_whatever_the_data(
    client, region, django_assert_max_num_queries
):
    client.force_login(region)
    site = unit(procedure())
    worker(site, Step.STEP_4)
    with CaptureQueriesContext(connection) as small:
        client.get(URL)

    for province in ("MI", "BS", "VA"):
        other = unit(procedure(lead=province, opened_on=D(2024, 6, 1)))
        for step in Step.values:
            worker(other, step)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(URL)
    assert response.context["kpis"]["involvements"] == 16


# --- CSV ---------------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    # The export streams (StreamingHttpResponse): the body is read from streaming_content.
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8"))))


@pytest.mark.parametrize("chart", list(CSV_CHARTS))
def test_every_chart_downloads_as_csv_with_a_header_row(client, world, region, chart):
    client.force_login(region)

    response = client.get(CSV_URL, {"chart": chart, "year": "2025", "format": "technical"})

    assert response.status_code == 200
    assert f'filename="dashboard-{chart}-2025.csv"' in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == CSV_CHARTS[chart][0]
    expected = {
        "funnel": 5,
        "provinces": 12,
        "families": 3,
        "months": 12,
        "outcomes": 5,
        "tables": 0,  # no regional or bilateral table in this world
    }
    # Issue #14: one row per kind of agreement; no certification in this world.
    expected |= {"agreements": 5, "certifications": 0}
    # Issue #15 (figures pinned in test_dashboard_breakdowns.py): a row per segment met, every
    # funding source for the Region, no measure without a Dote.
    data = dashboard_data(region, year=2025)
    expected |= {
        f"reemployment_{entry['dimension']}": len(entry["rows"])
        for entry in data["reemployment"]["dimensions"]
    }
    expected |= {"money_sources": len(data["money"]["by_source"]), "money_measures": 0}
    assert len(rows) - 1 == expected[chart]


def test_the_csv_has_the_page_figures_raw(client, world, staff_bg):
    client.force_login(staff_bg)

    rows = read_csv(client.get(CSV_URL, {"chart": "provinces", "format": "technical"}))

    assert rows[1:] == [["BG", "Bergamo", "3", "3", "55", "5", "2", "40.0", "34.0"]]


def test_an_unknown_chart_is_404(client, region):
    client.force_login(region)

    assert client.get(CSV_URL, {"chart": "pie"}).status_code == 404
    assert client.get(CSV_URL).status_code == 404


def test_the_csv_for_excel_has_italian_headers_semicolons_and_decimal_commas(
    client, world, staff_bg
):
    client.force_login(staff_bg)

    response = client.get(CSV_URL, {"chart": "provinces"})  # the readable CSV is the default
    body = b"".join(response.streaming_content).decode("utf-8")

    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["Provincia", "Procedure", "Unità produttive"]
    # The code column (BG) is left out for the name; the rate has a decimal comma.
    assert rows[1:] == [["Bergamo", "3", "3", "55", "5", "2", "40,0", "34,0"]]


def test_a_chart_downloads_as_xlsx_with_numbers_as_numbers(client, world, staff_bg):
    from openpyxl import load_workbook

    client.force_login(staff_bg)

    response = client.get(
        CSV_URL, {"chart": "provinces", "format": "xlsx"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    content = b"".join(response.streaming_content)

    assert 'filename="dashboard-provinces.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "Province"
    assert rows[1][:3] == ["Bergamo", 3, 3]
