"""The benchmark's write and memory sections (issue #12): imports and the bulk move measured
through the portal's code and rolled back; peak memory of report jobs and exports measured in
child processes.

PostgreSQL only, like the benchmark: ``DATABASE_URL=postgres://…/crisi_x pytest …``.
"""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from cases.models import CrisisProcedure, ProductionUnit
from crisi_portal.benchmark import memory, run, table, writes
from crisi_portal.demo import synthetic
from workers.models import Involvement, StepTransition, Worker

pytestmark = pytest.mark.xdist_group("benchmark")

postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the benchmark runs on PostgreSQL"
)


@pytest.fixture(scope="module")
def synthetic_data(django_db_setup, django_db_blocker):
    if connection.vendor != "postgresql":
        yield
        return
    with django_db_blocker.unblock():
        call_command("generate_synthetic", workers=400, seed=5, stdout=io.StringIO())
        yield
        synthetic.flush()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Worker, Involvement, StepTransition, CrisisProcedure, ProductionUnit)
    } | {"history": Worker.history.count() + Involvement.history.count()}


@postgresql
def test_the_writes_are_measured_and_rolled_back(db, synthetic_data):
    _region, officer = run.benchmark_users()
    before = counts()
    figures: dict = {}
    writes.worker_import_figures(figures, rows=40)
    writes.procedure_import_figures(figures, rows=30)
    writes.bulk_move_figures(figures, officer, rows=20)
    assert counts() == before
    for name, rows in (("import_workers", 40), ("import_procedures", 30)):
        assert figures[f"{name}_rows"] == rows
        assert figures[f"{name}_rows_per_s"] > 0
        assert figures[f"{name}_bulk_create_rows_per_s"] > 0
        assert figures[f"{name}_ratio"] > 0
    assert 0 < figures["bulk_move_rows"] <= 20
    assert figures["bulk_move_rows_per_s"] > 0


@postgresql
def test_the_generated_lists_are_valid_and_new(db, synthetic_data):
    procedure, unit = writes.import_target()
    workers = writes.new_workers(unit, 30)
    assert not Worker.objects.filter(fiscal_code__in=[w.fiscal_code for w in workers]).exists()
    raw = writes.procedure_csv(25)
    assert len(raw.decode().splitlines()) == 26
    assert not CrisisProcedure.objects.filter(external_id__startswith=writes.PREFIX).exists()


@postgresql
def test_peak_memory_is_that_of_child_processes(db, synthetic_data):
    region, _officer = run.benchmark_users()
    figures: dict = {}
    memory.memory_figures(figures, run.periods(timezone.localdate()), region, formats=["csv"])
    keys = {
        f"memory_report_{name}_csv_mb"
        for name in ("annual", "bimonthly", "bimonthly_mi", "quarterly")
    }
    keys |= {"memory_startup_mb", "memory_export_procedures_mb", "memory_http_procedures_csv_mb"}
    assert set(figures) == keys
    # A Django process takes tens of MB: the figures are real processes', not this one's.
    assert all(20 < figures[key] < 2000 for key in keys - {"memory_http_procedures_csv_mb"})
    assert figures["memory_http_procedures_csv_mb"] > 0


@postgresql
def test_a_failing_child_stops_the_measure(db):
    with pytest.raises(RuntimeError, match="run_report"):
        memory.child_peak_mb(["run_report", "annual", "not-a-period", "--format", "csv"])


def test_the_markdown_lists_the_writes_and_the_peaks():
    figures = {
        "import_workers_rows": 10000,
        "import_workers_s": 2.5,
        "import_workers_rows_per_s": 4000,
        "import_workers_bulk_create_rows_per_s": 9000,
        "import_workers_ratio": 2.25,
        "memory_report_annual_pdf_mb": 150.2,
    }
    lines = table._writes_and_memory(figures)
    assert "| worker import | 10,000 | 2.5 | 4,000 | 9,000 | 2.25 |" in lines
    assert "| report annual pdf | 150.2 MB |" in lines
    assert table._writes_and_memory({}) == []
