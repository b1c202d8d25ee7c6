"""``benchmark --only api`` (issue #12): the API under 8 clients through gunicorn, side by side
with the baseline view over the same rows.

PostgreSQL only, like the benchmark. gunicorn is another process that sees committed rows only:
the command's test runs outside a transaction (the tables are emptied after it).
"""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from crisi_portal.benchmark import api, dataset
from crisi_portal.models import ApiToken

pytestmark = pytest.mark.xdist_group("benchmark")
postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the benchmark runs on PostgreSQL"
)

WORKERS = 300
CASES = ["first", "offset", "deep", "filtered", "province", "updated_since"]
FIGURES = (
    [
        f"{side}_{case}_{suffix}"
        for case in CASES
        for side in ("api", "baseline")
        for suffix in ("p50_ms", "p95_ms", "rps")
    ]
    + [f"api_{case}_ratio" for case in CASES]
    + ["api_deep_depth", "api_offset_depth", "api_clients", "api_gunicorn_workers"]
)


def generate() -> None:
    call_command("generate_synthetic", workers=WORKERS, seed=7, stdout=io.StringIO())


@postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_api_section_writes_every_figure(tmp_path):
    output = tmp_path / "results.json"
    try:
        call_command("benchmark", workers=WORKERS, seed=7, output=str(output), runs=1, only=["api"])
    finally:
        with connection.cursor() as cursor:  # the benchmark's own bookkeeping (dataset.py)
            cursor.execute(f"DELETE FROM {dataset.TABLE}")  # nosec B608 - constant name

    figures = json.loads(output.read_text())["figures"]
    assert set(figures) == set(FIGURES)
    assert all(isinstance(value, int | float) and value > 0 for value in figures.values())
    assert figures["api_deep_depth"] == WORKERS - api.LIMIT
    assert not ApiToken.objects.active().filter(name="benchmark").exists()  # revoked after


@postgresql
def test_the_baseline_reads_the_rows_of_the_api_page(db, settings):
    """The same workers in the same order: the ratio compares the same work."""
    generate()
    settings.ROOT_URLCONF = "crisi_portal.benchmark.urls"
    region, restricted = api.api_clients("MI")
    listed, _depth = api.cases("MI")
    with api.tokens(region, restricted) as keys:
        for case in listed:
            key = keys[1] if case.restricted else keys[0]
            page = Client().get(api.WORKERS_URL, case.query, HTTP_AUTHORIZATION=f"Token {key}")
            baseline = Client().get(api.BASELINE_URL, case.baseline)
            assert page.status_code == baseline.status_code == 200, page.content
            ids = [row["id"] for row in page.json()["results"]]
            assert ids and ids == [row["id"] for row in baseline.json()["results"]], case.name


def test_the_portal_urls_have_no_baseline():
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve(api.BASELINE_URL)
