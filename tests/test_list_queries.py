"""Issue #12: an API list page issues the same number of SQL queries whatever its length (no
query per row), on every large list, and keeps doing so past the count cap."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crisi_portal import pagination
from tests.cases.factories import ProductionUnitFactory
from tests.workers.factories import InvolvementFactory

pytestmark = pytest.mark.django_db

LISTS = ["workers", "involvements", "procedures", "units"]


def queries(client, url: str, **params) -> int:
    client.get(url, params)  # the token's last use is written at most once a minute: not here
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    return len(captured)


def add_workers(n: int) -> None:
    for _ in range(n):
        involvement = InvolvementFactory(unit=ProductionUnitFactory(in_province="MI"))
        InvolvementFactory(worker=involvement.worker, unit=ProductionUnitFactory(in_province="BG"))


@pytest.mark.parametrize("resource", LISTS)
def test_a_list_page_costs_the_same_queries_for_2_rows_as_for_12(
    resource, api_client, api_client_for
):
    client = api_client_for(api_client)
    url = f"/api/v1/{resource}/"
    add_workers(2)
    few = queries(client, url)
    add_workers(10)
    assert queries(client, url) == few


@pytest.mark.parametrize("params", [{}, {"paging": "cursor"}, {"offset": 2}])
def test_a_workers_page_past_the_count_cap_costs_the_same_queries(
    params, api_client, api_client_for, monkeypatch
):
    client = api_client_for(api_client)
    add_workers(3)
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    monkeypatch.setattr(pagination, "MAX_OFFSET", 5)
    counted = queries(client, "/api/v1/workers/", limit=3, **params)
    add_workers(9)
    assert queries(client, "/api/v1/workers/", limit=3, **params) == counted
