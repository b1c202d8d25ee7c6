"""``manage.py benchmark`` (issue #12): it writes every figure, and its hand-written SQL computes
the same numbers as the portal (otherwise its ratios compare different work).

PostgreSQL only, like the benchmark itself: run with
``DATABASE_URL=postgres://…/crisi_x pytest tests/test_benchmark.py``.
"""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from cases.enums import MeetingKind, Status
from cases.models import CrisisProcedure, Meeting, ProductionUnit
from crisi_portal.benchmark import dashboard as dash
from crisi_portal.benchmark import dataset, run
from crisi_portal.benchmark import reports as rep
from crisi_portal.demo import synthetic
from monitoring.dashboard import dashboard_data
from monitoring.services import dashboard_refresh
from pal.models import Operator

# One worker runs them in sequence: the comparisons share data generated once per module.
pytestmark = pytest.mark.xdist_group("benchmark")

postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the benchmark's SQL is PostgreSQL's"
)

WORKERS = 3000  # the comparisons' data: about 60 procedures
SMALL = 100  # the command's own run

# The JSON's contract: one stable key per figure.
REPORTS = ["annual", "bimonthly_region", "bimonthly_mi", "quarterly_region", "quarterly_mi"]
COMPARED = [f"report_{name}" for name in REPORTS] + [
    "dashboard_region",
    "dashboard_mi",
    "cruscotto_region",
]
PAGES = [
    "procedure_list",
    "largest_procedure",
    "largest_procedure_workers",
    "dashboard",
    "cruscotto",
]
FIGURES = (
    [f"{name}_{suffix}" for name in COMPARED for suffix in ("portal_ms", "sql_ms", "ratio")]
    + [
        f"page_{page}_{user}_{suffix}"
        for page in PAGES
        for user in ("region", "mi")
        for suffix in ("ms", "queries")
    ]
    + ["page_largest_procedure_region_workers", "page_largest_procedure_mi_workers"]
    + [f"pdf_{name}_{suffix}" for name in REPORTS for suffix in ("s", "pages", "s_per_page")]
    + ["run_report_startup_s", "dashboard_refresh_ms"]
)
MACHINE = ["cpu_count", "cpu_model", "memory_mb", "database", "python", "django"]
MACHINE += ["workers_requested", "seed", "date"]


@pytest.fixture(scope="module")
def synthetic_data(django_db_setup, django_db_blocker):
    """Synthetic data generated once for the module's comparisons, with what the generator
    does not make: meetings, and more procedures of high complexity."""
    if connection.vendor != "postgresql":
        yield
        return
    with django_db_blocker.unblock():
        call_command("generate_synthetic", workers=WORKERS, seed=7, stdout=io.StringIO())
        today = timezone.localdate()
        procedures = list(CrisisProcedure.objects.order_by("pk")[:12])
        CrisisProcedure.objects.filter(pk__in=[p.pk for p in procedures[::2]]).update(
            high_complexity=True, complexity_note="benchmark test", status=Status.IN_CORSO
        )
        for days, kind in ((5, MeetingKind.REGIONALE), (40, MeetingKind.SINDACALE)):
            meeting = Meeting.objects.create(kind=kind, date=today + timedelta(days=days))
            meeting.procedures.set(procedures[: days // 5])
        yield
        synthetic.flush()
        # The reference rows the generator adds (accredited operators) go too: the next module
        # on this worker starts from the empty test database it expects (test_seed_demo counts).
        Operator.objects.all().delete()


@pytest.fixture
def periods(db, synthetic_data):
    return run.periods(timezone.localdate())


@pytest.fixture
def empty(db, settings):
    """The module's data emptied for one test (TRUNCATE is rolled back with the test)."""
    settings.DEBUG = True  # generate_synthetic --flush runs only in DEBUG
    synthetic.flush()


@postgresql
def test_the_command_writes_every_figure_and_the_machine(synthetic_data, empty, tmp_path):
    output = tmp_path / "results.json"
    # The api section's gunicorn sees committed rows only: tests/test_benchmark_api.py.
    sections = [section for section in run.SECTIONS if section != "api"]
    call_command("benchmark", workers=SMALL, seed=7, output=str(output), runs=1, only=sections)
    document = json.loads(output.read_text())
    assert set(document["figures"]) == set(FIGURES)
    assert set(MACHINE) <= set(document["machine"])
    assert document["machine"]["seed"] == 7
    assert document["data"]["workers"] >= SMALL
    assert all(isinstance(value, int | float) for value in document["figures"].values())
    assert document["figures"]["page_dashboard_region_queries"] > 0


@postgresql
def test_data_of_the_same_seed_and_size_is_reused_not_generated_again(synthetic_data, empty):
    first = dataset.ensure(SMALL, 7)
    again = dataset.ensure(SMALL - 10, 7)
    assert first.generated and not again.generated
    assert again.workers >= SMALL


@postgresql
def test_other_seed_or_more_workers_are_not_reused(db, synthetic_data):
    dataset.record(7, WORKERS)
    assert dataset.reusable(WORKERS, 7)
    assert not dataset.reusable(WORKERS, 8)
    assert not dataset.reusable(WORKERS + 1, 7)


@postgresql
def test_annual_sql_computes_the_annual_report(periods):
    assert rep.sql_annual(periods.annual)
    assert rep.portal_annual(periods.annual) == rep.sql_annual(periods.annual)


@postgresql
@pytest.mark.parametrize("province", [None, "MI"])
def test_bimonthly_sql_computes_the_bimonthly_report(periods, province):
    sql = rep.sql_bimonthly(periods.bimonthly, province)
    assert sql["summary"]
    assert rep.portal_bimonthly(periods.bimonthly, province) == sql


@postgresql
@pytest.mark.parametrize("province", [None, "MI"])
def test_quarterly_sql_computes_the_quarterly_report(periods, province):
    sql = rep.sql_quarterly(periods.quarterly, province)
    assert sql["now"] and sql["before"]
    assert rep.portal_quarterly(periods.quarterly, province) == sql


@postgresql
def test_dashboard_sql_computes_the_region_dashboard(synthetic_data, region):
    sql = dash.sql_dashboard(None, timezone.localdate())
    assert sql["kpis"]["involvements"] > 0
    assert dash.reduce_dashboard(dashboard_data(region, live=True)) == sql
    dashboard_refresh()  # what the page reads: the pre-aggregated tables
    assert dashboard_data(region)["updated_at"] is not None
    assert dash.portal_dashboard(region) == sql


@postgresql
def test_dashboard_sql_computes_a_province_officers_dashboard(synthetic_data, staff_mi):
    sql = dash.sql_dashboard(["MI"], timezone.localdate())
    assert sql["kpis"]["involvements"] > 0
    assert dash.reduce_dashboard(dashboard_data(staff_mi, live=True)) == sql
    dashboard_refresh()  # what the page reads: the pre-aggregated tables
    assert dashboard_data(staff_mi)["updated_at"] is not None
    assert dash.portal_dashboard(staff_mi) == sql


@postgresql
def test_cruscotto_sql_computes_the_cruscotto(synthetic_data, region):
    today = timezone.localdate()
    sql = dash.sql_cruscotto(today)
    assert len(sql) > 1 and any(row[3] for row in sql)  # with a next meeting
    assert dash.portal_cruscotto(region, today) == dash.sql_cruscotto(today)


@postgresql
def test_a_disagreement_stops_the_benchmark(periods):
    """The check bites: change the data between the two readings and they differ."""
    portal = rep.portal_annual(periods.annual)
    unit = ProductionUnit.objects.filter(
        procedure__opened_on__year=periods.annual.year, workers_involved__gt=0
    ).first()
    ProductionUnit.objects.filter(pk=unit.pk).update(workers_involved=unit.workers_involved + 1)
    with pytest.raises(run.Mismatch):
        run.agree("report_annual", portal, rep.sql_annual(periods.annual))


@postgresql
def test_a_figure_whose_query_is_cancelled_by_the_timeout_is_null(db):
    def slow():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(1)")

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = '50ms'")
    figures = {}
    run.compare(figures, "slow", slow, slow, runs=1)
    assert figures == {"slow_portal_ms": None, "slow_sql_ms": None, "slow_ratio": None}


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the refusal is for other databases")
def test_the_command_refuses_a_database_other_than_postgresql(db, tmp_path):
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("benchmark", workers=10, output=str(tmp_path / "r.json"))
