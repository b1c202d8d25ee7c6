"""Operators' results (issue #15, part 5): figures pinned on hand-built Doti, scoping per role,
filters, sorting, the page without JavaScript, the downloads and a bounded query count."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from cases.models import Province
from monitoring.operators import OperatorFilters, operator_results
from pal.enums import DoteStatus, PIPStatus
from pal.models import OperatorOffice
from tests.cases.factories import OperatorFactory, ProductionUnitFactory
from tests.factories import UserFactory
from tests.monitoring.builders import outcome as record_outcome
from tests.pal.factories import DoteFactory, PIPFactory, PIPServiceFactory, measure
from tests.workers.factories import InvolvementFactory
from workers.enums import OutcomeKind

pytestmark = pytest.mark.django_db

D = datetime.date
URL = "/monitoring/operators/"


def office(operator, code: str, comune: str) -> None:
    OperatorOffice.objects.create(
        operator=operator, comune=comune, province=Province.objects.get(code=code)
    )


def outcome(involvement, kind: str, day: datetime.date) -> None:
    record_outcome(involvement, kind, day)


@pytest.fixture
def world(db):
    """Operator A (offices in Bergamo and Milan) and operator B (no office):

    - w1 (BG): Dote A from 1 May 2025, PIP approved with a service delivered (€300) and one not;
      Dote B from 1 June 2025; re-employed on 31 July 2025 (91 days after A's start, 60 after B's);
    - w2 (BG): Dote A from 1 May 2025, PIP only submitted; retired (not re-employed);
    - w3 (MI): Dote A from 3 April 2025, PIP in progress; back in the company 20 days later;
    - w4 (MI): Dote B from 1 May 2025; re-employed on 15 April 2025, before the Dote: not B's;
    - w5 (BG): Dote A revoked: not counted.
    """
    a = OperatorFactory(name="Alfa Lavoro")
    b = OperatorFactory(name="Beta Servizi")
    office(a, "BG", "Bergamo")
    office(a, "MI", "Milano")
    office(a, "MI", "Rho")
    unit_bg = ProductionUnitFactory(in_province="BG")
    unit_mi = ProductionUnitFactory(in_province="MI")
    w1, w2, w5 = (InvolvementFactory(unit=unit_bg) for _ in range(3))
    w3, w4 = (InvolvementFactory(unit=unit_mi) for _ in range(2))

    dote_1a = DoteFactory(involvement=w1, operator=a, valid_from=D(2025, 5, 1))
    pip = PIPFactory(dote=dote_1a, status=PIPStatus.APPROVATO)
    PIPServiceFactory(
        pip=pip, delivered_on=D(2025, 6, 10), delivered_cost=Decimal("300.00"), delivered_hours=5
    )
    PIPServiceFactory(pip=pip)
    DoteFactory(
        involvement=w1, operator=b, valid_from=D(2025, 6, 1), measure=measure("garanzia-giovani")
    )
    outcome(w1, OutcomeKind.RICOLLOCATO, D(2025, 7, 31))

    PIPFactory(dote=DoteFactory(involvement=w2, operator=a), status=PIPStatus.PRESENTATO)
    outcome(w2, OutcomeKind.PENSIONAMENTO, D(2025, 8, 1))

    dote_3 = DoteFactory(involvement=w3, operator=a, valid_from=D(2025, 4, 3))
    PIPFactory(dote=dote_3, status=PIPStatus.IN_CORSO)
    outcome(w3, OutcomeKind.REINTEGRATO, D(2025, 4, 23))

    DoteFactory(involvement=w4, operator=b, valid_from=D(2025, 5, 1))
    outcome(w4, OutcomeKind.RICOLLOCATO, D(2025, 4, 15))

    DoteFactory(involvement=w5, operator=a, status=DoteStatus.REVOCATA)
    return {"a": a, "b": b}


def by_name(data) -> dict:
    return {row["operator_name"]: row for row in data["operators"]}


def by_province(row) -> dict:
    return {line["province"]: line for line in row["offices"]}


def test_each_operators_figures_are_counted_from_its_doti(world, region):
    data = operator_results(region)
    a = by_name(data)["Alfa Lavoro"]
    assert {key: a[key] for key in ("workers", "doti", "pips_approved", "services_delivered")} == {
        "workers": 3,
        "doti": 3,
        "pips_approved": 2,
        "services_delivered": 1,
    }
    assert a["delivered_amount"] == Decimal("300.00")
    assert (a["reemployed"], a["reemployment_rate"], a["median_days"]) == (2, 66.7, 55.5)


def test_each_office_is_the_operators_office_in_the_workers_province(world, region):
    a = by_province(by_name(operator_results(region))["Alfa Lavoro"])
    assert list(a) == ["BG", "MI"]
    assert a["BG"]["offices"] == ["Bergamo"]
    assert a["MI"]["offices"] == ["Milano", "Rho"]
    assert (a["BG"]["workers"], a["BG"]["reemployed"], a["BG"]["median_days"]) == (2, 1, 91.0)
    assert (a["MI"]["workers"], a["MI"]["reemployment_rate"], a["MI"]["median_days"]) == (
        1,
        100.0,
        20.0,
    )


def test_an_outcome_before_the_dote_is_not_the_operators_result(world, region):
    b = by_name(operator_results(region))["Beta Servizi"]
    assert (b["workers"], b["reemployed"], b["reemployment_rate"], b["median_days"]) == (
        2,
        1,
        50.0,
        60.0,
    )
    lines = by_province(b)
    assert lines["BG"]["offices"] == []  # B has no office there: the page says so
    assert (lines["MI"]["reemployed"], lines["MI"]["median_days"]) == (0, None)


def test_the_total_counts_a_worker_with_two_operators_once(world, region):
    total = operator_results(region)["total"]
    assert (total["workers"], total["doti"], total["reemployed"]) == (4, 5, 2)
    assert total["reemployment_rate"] == 50.0
    assert total["median_days"] == 60.0  # of 20, 60 and 91 days (each operator's result)


def test_a_province_officer_sees_the_doti_of_their_provinces_workers(world, staff_bg):
    data = operator_results(staff_bg)
    assert {name: list(by_province(row)) for name, row in by_name(data).items()} == {
        "Alfa Lavoro": ["BG"],
        "Beta Servizi": ["BG"],
    }
    assert data["total"]["workers"] == 2


def test_an_operator_sees_only_its_own_organisation(world):
    user = UserFactory(operator=True, operator_id=world["a"].pk)
    data = operator_results(user)
    assert list(by_name(data)) == ["Alfa Lavoro"]
    assert data["total"]["workers"] == 3


def test_the_period_is_when_the_doti_started(world, region):
    data = operator_results(region, OperatorFilters(start=D(2025, 5, 1), end=D(2025, 6, 30)))
    a = by_name(data)["Alfa Lavoro"]
    assert (a["workers"], list(by_province(a))) == (2, ["BG"])  # w3's Dote started in April


def test_filters_by_measure_and_province(world, region):
    garanzia = measure("garanzia-giovani")
    assert list(by_name(operator_results(region, OperatorFilters(measure=garanzia.pk)))) == [
        "Beta Servizi"
    ]
    data = operator_results(region, OperatorFilters(province="MI"))
    assert {name: row["workers"] for name, row in by_name(data).items()} == {
        "Alfa Lavoro": 1,
        "Beta Servizi": 1,
    }


def test_sorted_by_any_column_either_way(world, region):
    names = [row["operator_name"] for row in operator_results(region)["operators"]]
    assert names == ["Alfa Lavoro", "Beta Servizi"]
    ordered = operator_results(region, ordering="-reemployment_rate")["operators"]
    assert [row["operator_name"] for row in ordered] == ["Alfa Lavoro", "Beta Servizi"]
    ordered = operator_results(region, ordering="median_days")["operators"]
    assert [row["operator_name"] for row in ordered] == ["Alfa Lavoro", "Beta Servizi"]
    ordered = operator_results(region, ordering="-median_days")["operators"]
    assert [row["operator_name"] for row in ordered] == ["Beta Servizi", "Alfa Lavoro"]


def test_an_operator_without_a_reemployment_sorts_last_both_ways(world, region):
    c = OperatorFactory(name="Gamma")
    DoteFactory(involvement=InvolvementFactory(), operator=c)
    for ordering in ("median_days", "-median_days"):
        rows = operator_results(region, ordering=ordering)["operators"]
        assert rows[-1]["operator_name"] == "Gamma"


def test_the_query_count_does_not_grow_with_the_rows(world, region):
    with CaptureQueriesContext(connection) as small:
        operator_results(region)
    for n in range(4):
        other = OperatorFactory()
        office(other, "CO", "Como")
        involvement = InvolvementFactory(unit=ProductionUnitFactory(in_province="CO"))
        dote = DoteFactory(involvement=involvement, operator=other)
        PIPServiceFactory(pip=PIPFactory(dote=dote, status=PIPStatus.CONCLUSO))
        outcome(involvement, OutcomeKind.AUTOIMPIEGO, D(2025, 9, n + 1))
    with CaptureQueriesContext(connection) as large:
        data = operator_results(region)
    assert len(data["operators"]) == 6
    assert len(large.captured_queries) == len(small.captured_queries) <= 4


def test_the_page_shows_the_table_without_javascript(world, client, region):
    client.force_login(region)
    with translation.override("en"):
        response = client.get(URL, {"ordering": "-workers"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<table" in html and "Alfa Lavoro" in html and "Beta Servizi" in html
    assert "Milano, Rho" in html
    assert "66,7" in html or "66.7" in html
    assert 'aria-sort="descending"' in html


def test_a_refused_filter_lists_nothing_and_says_why(world, client, region):
    client.force_login(region)
    response = client.get(URL, {"period": "1999-Q9"})
    assert response.status_code == 200
    assert response.context["data"]["operators"] == []
    assert response.context["form"].errors


def test_the_csv_has_one_line_per_operator_and_per_office(world, client, region):
    client.force_login(region)
    response = client.get(reverse("monitoring:operator_results_export"), {"format": "technical"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["operator"], r["level"], r["province"]) for r in rows] == [
        ("Alfa Lavoro", "operator", ""),
        ("Alfa Lavoro", "office", "BG"),
        ("Alfa Lavoro", "office", "MI"),
        ("Beta Servizi", "operator", ""),
        ("Beta Servizi", "office", "BG"),
        ("Beta Servizi", "office", "MI"),
    ]
    assert rows[2]["offices"] == "Milano, Rho"
    assert (rows[0]["reemployed"], rows[0]["reemployment_rate"]) == ("2", "66.7")


def test_the_xlsx_downloads(world, client, staff_bg):
    client.force_login(staff_bg)
    response = client.get(reverse("monitoring:operator_results_export"), {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    response.close()


API = "/api/v1/operator-results/"


def test_the_api_answers_the_pages_figures(world, api_client_for, region):
    body = api_client_for(region).get(API, {"ordering": "-reemployment_rate"}).json()
    assert [row["operator_name"] for row in body["operators"]] == ["Alfa Lavoro", "Beta Servizi"]
    alfa = body["operators"][0]
    assert (alfa["workers"], alfa["reemployed"], alfa["reemployment_rate"]) == (3, 2, 66.7)
    assert alfa["offices"][1]["offices"] == ["Milano", "Rho"]
    assert body["total"]["workers"] == 4


def test_the_api_scopes_an_operator_to_its_own(world, api_client_for):
    user = UserFactory(operator=True, operator_id=world["b"].pk)
    body = api_client_for(user).get(API).json()
    assert [row["operator_name"] for row in body["operators"]] == ["Beta Servizi"]


def test_the_api_refuses_a_bad_parameter_naming_it(world, api_client_for, region):
    response = api_client_for(region).get(API, {"period": "2025-Q9"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert [error["field"] for error in response.json()["errors"]] == ["period"]


def test_the_api_matches_nothing_for_an_id_naming_no_measure(world, api_client_for, region):
    """As the collections' filters: a well-formed id naming no measure is no bad request (the
    schema cannot list the measures), an id out of its range is."""
    client = api_client_for(region)
    body = client.get(API, {"measure": 999_999}).json()
    assert (body["operators"], body["total"]["workers"]) == ([], 0)
    refused = client.get(API, {"measure": 0})
    assert refused.status_code == 400
    assert [error["field"] for error in refused.json()["errors"]] == ["measure"]
    both = client.get(API, {"measure": 999_999, "period": "2025-Q9"})  # a real fault: all named
    assert both.status_code == 400
    assert {error["field"] for error in both.json()["errors"]} == {"period", "measure"}


def test_the_api_matches_nothing_for_a_province_not_the_officers(world, api_client_for):
    officer = UserFactory(province_staff=True, provinces=["BG", "BS"])
    body = api_client_for(officer).get(API, {"province": "MI"}).json()
    assert (body["operators"], body["total"]["workers"]) == ([], 0)


def test_the_api_takes_any_year_or_quarter_the_page_does_not_offer(world, api_client_for, region):
    client = api_client_for(region)
    for period in ("2015", "2015-Q2"):  # well-formed, older than the page's five years
        body = client.get(API, {"period": period}).json()
        assert (body["operators"], body["total"]["workers"]) == ([], 0), period
    assert client.get(API, {"period": "M$"}).status_code == 400


def test_an_officer_of_one_province_names_another_and_gets_nothing(world, api_client_for):
    officer = UserFactory(province_staff=True, provinces=["BG"])
    client = api_client_for(officer)
    own = client.get(API).json()["total"]["workers"]
    assert client.get(API, {"province": "BG"}).json()["total"]["workers"] == own
    assert client.get(API, {"province": "MI"}).json()["operators"] == []
    refused = client.get(API, {"province": "XX"})
    assert refused.status_code == 400
    assert [error["field"] for error in refused.json()["errors"]] == ["province"]


def test_the_api_refuses_a_blank_filter_naming_it(world, api_client_for, region):
    response = api_client_for(region).get(API, {"period": "", "measure": " "})
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["period", "measure"]
