"""The list exports stream (issue #12): their memory does not grow with their size.

Each CSV download is a StreamingHttpResponse whose rows are read a chunk at a time by key, so
its SQL queries grow with the chunks, not the rows.
"""

import csv
import io

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from crisi_portal import exports
from monitoring.dashboard import CSV_CHARTS
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory

pytestmark = pytest.mark.django_db


def procedures(count: int, *, highly_complex: bool = True) -> None:
    for _ in range(count):
        procedure = CrisisProcedureFactory(lead="BG", highly_complex=highly_complex)
        ProductionUnitFactory(procedure=procedure, in_province="BG")


def html_procedures(client, _api):
    return client.get(reverse("cases:procedure_export"))


def api_procedures(_client, api):
    return api.get("/api/v1/procedures/export/")


def cruscotto(client, _api):
    return client.get(reverse("monitoring:cruscotto_csv"), {"include_closed": "on"})


EXPORTS = [html_procedures, api_procedures, cruscotto]


@pytest.fixture
def clients(client, region):
    """The region's HTML and API clients, logged in (and warmed: the first request of a
    session reads what later ones find cached)."""
    client.force_login(region)
    api = APIClient()
    api.force_authenticate(region)
    for download in EXPORTS:
        b"".join(download(client, api).streaming_content)
    return client, api


def streamed(download, clients) -> tuple[int, list[list[str]]]:
    """The SQL queries run while the download is produced and read, and its rows."""
    with CaptureQueriesContext(connection) as queries:
        response = download(*clients)
        assert response.status_code == 200
        assert isinstance(response, StreamingHttpResponse)
        body = b"".join(response.streaming_content).decode()
    return len(queries), list(csv.reader(io.StringIO(body)))


@pytest.mark.parametrize("download", EXPORTS)
def test_each_list_export_streams_its_rows(download, clients):
    procedures(3)

    _queries, rows = streamed(download, clients)

    assert len(rows) == 1 + 3


@pytest.mark.parametrize("download", EXPORTS)
def test_an_export_costs_the_same_queries_whatever_its_rows_within_a_chunk(download, clients):
    procedures(2)
    few, few_rows = streamed(download, clients)
    procedures(6)
    many, many_rows = streamed(download, clients)

    assert (len(few_rows), len(many_rows)) == (1 + 2, 1 + 8)
    assert many == few


@pytest.mark.parametrize("download", EXPORTS)
def test_an_export_queries_once_more_per_chunk(download, clients, monkeypatch):
    procedures(8)
    one_chunk, rows = streamed(download, clients)
    monkeypatch.setattr(exports, "CHUNK_ROWS", 3)

    three_chunks, chunked_rows = streamed(download, clients)

    assert chunked_rows == rows  # same file, read in three chunks
    # Two more chunks: each is one query for the procedures and one for their units.
    assert three_chunks == one_chunk + 2 * 2


def test_the_dashboard_chart_csvs_stream(client, region):
    client.force_login(region)
    for chart in CSV_CHARTS:
        response = client.get(reverse("monitoring:dashboard_csv"), {"chart": chart})
        assert isinstance(response, StreamingHttpResponse), chart
        assert b"".join(response.streaming_content).count(b"\n") >= 1


def test_a_large_csv_is_sent_in_several_chunks(monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_BYTES", 10)
    rows = [["name"], *([f"company {n}"] for n in range(5))]

    chunks = list(exports.csv_chunks(rows, lineterminator="\n"))

    assert len(chunks) > 1
    assert b"".join(chunks) == b"name\n" + b"".join(b"company %d\n" % n for n in range(5))
