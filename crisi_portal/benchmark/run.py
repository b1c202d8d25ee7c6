"""The measurements of the benchmark (issue #12), each a flat, stable key of one dict.

Keys: ``<what>_portal_ms``, ``<what>_sql_ms`` and ``<what>_ratio`` for the data behind each
report, the dashboard and the cruscotto, side by side with hand-written SQL computing the same
numbers (checked equal before anything is timed: a mismatch stops the run);
``page_<page>_<user>_ms`` and ``_queries`` for the HTML pages; ``pdf_<report>_s``,
``_pages`` and ``_s_per_page`` for the PDFs; ``run_report_startup_s``. Times are the median
of ``runs`` warm runs (one untimed run first).
"""

import datetime
import os
import platform
import statistics
import subprocess  # nosec B404 - runs this project's own manage.py
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import django
from django.conf import settings
from django.db import OperationalError, connection
from django.db.backends.signals import connection_created
from django.db.models import Count, Exists, OuterRef
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from cases.models import CrisisProcedure, ProductionUnit, Province
from crisi_portal.benchmark import dashboard as dash
from crisi_portal.benchmark import memory, writes
from crisi_portal.benchmark import reports as rep
from crisi_portal.benchmark.accounts import benchmark_user
from crisi_portal.benchmark.api import api_figures
from crisi_portal.models import User
from crisi_portal.roles import Role
from monitoring import reports
from monitoring.enums import ReportKind
from monitoring.periods import Period
from monitoring.renderers import render_document
from monitoring.services import dashboard_refresh
from workers.models import Involvement, StepTransition, Worker

PROVINCE = "MI"  # the province measured on its own: the largest
REGION_USER = "benchmark.regione"
PROVINCE_USER = "benchmark.mi"


class TimedOut(Exception):
    """A page whose query the statement timeout cancelled (the portal answers 503)."""


class Mismatch(AssertionError):
    """The portal and the hand-written SQL disagree: the ratio would compare different work."""


@dataclass(frozen=True)
class Periods:
    annual: Period
    bimonthly: Period
    quarterly: Period


def milliseconds(fn: Callable[[], object], runs: int, *, warm_up: bool = True) -> float:
    """Median wall-clock milliseconds of ``runs`` calls of ``fn`` (after one untimed call)."""
    if warm_up:
        fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def agree(name: str, portal: object, sql: object) -> None:
    if portal != sql:
        raise Mismatch(f"{name}: the portal and the hand-written SQL disagree:\n{portal}\n{sql}")


def compare(
    figures: dict, name: str, portal: Callable[[], object], sql: Callable[[], object], runs: int
) -> None:
    """Check that both compute the same numbers, then time both: ``name_portal_ms`` etc.
    A query cancelled by the statement timeout leaves the three figures ``None``."""
    keys = [f"{name}_portal_ms", f"{name}_sql_ms", f"{name}_ratio"]
    try:
        agree(name, portal(), sql())
        figures[keys[0]] = milliseconds(portal, runs)
        figures[keys[1]] = milliseconds(sql, runs)
    except OperationalError as exc:
        if not timed_out(exc):
            raise
        figures.update(dict.fromkeys(keys))
        return
    figures[keys[2]] = round(figures[keys[0]] / max(figures[keys[1]], 0.01), 2)


def timed_out(exc: OperationalError) -> bool:
    """Whether PostgreSQL cancelled the statement (``statement_timeout``: SQLSTATE 57014)."""
    cause = exc.__cause__  # psycopg names the code sqlstate, psycopg2 pgcode
    return "57014" in (getattr(cause, "sqlstate", None), getattr(cause, "pgcode", None))


# --- What is measured on ----------------------------------------------------------------------


def periods(today: datetime.date) -> Periods:
    """The year with most procedures opened; the bimester and quarter of the latest move (or
    today): periods with data in them, whatever the data's dates."""
    busiest = (
        CrisisProcedure.objects.order_by()
        .values_list("opened_on__year")
        .annotate(n=Count("pk"))
        .order_by("-n", "-opened_on__year")
        .first()
    )
    year = busiest[0] if busiest else today.year
    last_move = StepTransition.objects.order_by("-effective_date").values_list(
        "effective_date", flat=True
    )
    day = last_move.first() or today
    return Periods(
        annual=Period(ReportKind.ANNUAL, year),
        bimonthly=Period.containing(ReportKind.BIMONTHLY, day),
        quarterly=Period.containing(ReportKind.QUARTERLY, day),
    )


def benchmark_users() -> tuple[User, User]:
    """A Region official and an officer of :data:`PROVINCE`, made once (no password)."""
    return (
        benchmark_user(REGION_USER, Role.REGION_OFFICIAL),
        benchmark_user(PROVINCE_USER, Role.PROVINCE_STAFF, PROVINCE),
    )


def largest_procedure(province: str | None = None) -> CrisisProcedure | None:
    """The procedure with most workers (with a unit in ``province``, if given)."""
    procedures = CrisisProcedure.objects.all()
    if province:
        units = ProductionUnit.objects.filter(procedure=OuterRef("pk"), province_id=province)
        procedures = procedures.filter(Exists(units))
    return procedures.annotate(n=Count("involvements")).order_by("-n", "pk").only("pk").first()


# --- The figures ------------------------------------------------------------------------------


def report_figures(figures: dict, p: Periods, runs: int) -> None:
    compare(
        figures,
        "report_annual",
        lambda: rep.portal_annual(p.annual),
        lambda: rep.sql_annual(p.annual),
        runs,
    )
    by_kind = (
        ("bimonthly", rep.portal_bimonthly, rep.sql_bimonthly, p.bimonthly),
        ("quarterly", rep.portal_quarterly, rep.sql_quarterly, p.quarterly),
    )
    for kind, portal, sql, period in by_kind:
        for scope, province in (("region", None), (PROVINCE.lower(), PROVINCE)):
            compare(
                figures,
                f"report_{kind}_{scope}",
                partial(portal, period, province),
                partial(sql, period, province),
                runs,
            )


def dashboard_figures(figures: dict, region: User, officer: User, runs: int) -> None:
    today = timezone.localdate()
    compare(
        figures,
        "dashboard_region",
        lambda: dash.portal_dashboard(region),
        lambda: dash.sql_dashboard(None, today),
        runs,
    )
    compare(
        figures,
        f"dashboard_{PROVINCE.lower()}",
        lambda: dash.portal_dashboard(officer),
        lambda: dash.sql_dashboard([PROVINCE], today),
        runs,
    )
    compare(
        figures,
        "cruscotto_region",
        lambda: dash.portal_cruscotto(region, today),
        lambda: dash.sql_cruscotto(today),
        runs,
    )


def page_figures(
    figures: dict, region: User, officer: User, runs: int, statement_timeout: int = 0
) -> None:
    """Each page through Django's test client: median ms and the SQL queries it issued."""
    for label, user, province in (("region", region, None), (PROVINCE.lower(), officer, PROVINCE)):
        client = Client()
        client.force_login(user)
        largest = largest_procedure(province)
        urls = {
            "procedure_list": reverse("cases:procedure_list"),
            "dashboard": reverse("monitoring:dashboard"),
            "cruscotto": reverse("monitoring:cruscotto"),
        }
        if largest is not None:
            urls["largest_procedure"] = reverse("cases:procedure_detail", args=[largest.pk])
            urls["largest_procedure_workers"] = reverse(
                "workers:procedure_workers", args=[largest.pk]
            )
        for name, url in urls.items():

            def get(url=url, client=client, user=user):
                response = client.get(url)
                if response.status_code == 503 and statement_timeout:
                    # crisi_portal.faults answers a cancelled query as "database unavailable".
                    raise TimedOut(url)
                if response.status_code != 200:
                    raise Mismatch(f"GET {url} as {user.username}: {response.status_code}")
                return response

            try:
                with override_settings(ALLOWED_HOSTS=["testserver"], SECURE_SSL_REDIRECT=False):
                    figures[f"page_{name}_{label}_ms"] = milliseconds(get, runs)
                    with CaptureQueriesContext(connection) as queries:
                        get()
                figures[f"page_{name}_{label}_queries"] = len(queries)
            except TimedOut:
                figures[f"page_{name}_{label}_ms"] = figures[f"page_{name}_{label}_queries"] = None
        if largest is not None:
            figures[f"page_largest_procedure_{label}_workers"] = Involvement.objects.filter(
                procedure=largest
            ).count()


def report_scopes() -> list[tuple[str, str, str | None]]:
    return [
        ("annual", ReportKind.ANNUAL, None),
        ("bimonthly_region", ReportKind.BIMONTHLY, None),
        (f"bimonthly_{PROVINCE.lower()}", ReportKind.BIMONTHLY, PROVINCE),
        ("quarterly_region", ReportKind.QUARTERLY, None),
        (f"quarterly_{PROVINCE.lower()}", ReportKind.QUARTERLY, PROVINCE),
    ]


def pdf_figures(figures: dict, p: Periods, runs: int) -> None:
    """Each report's PDF from its data (built untimed): seconds to render, pages, s/page."""
    by_kind = {
        ReportKind.ANNUAL: p.annual,
        ReportKind.BIMONTHLY: p.bimonthly,
        ReportKind.QUARTERLY: p.quarterly,
    }
    with translation.override(settings.LANGUAGE_CODE):
        # One untimed document loads WeasyPrint, Pango and the fonts for all of them.
        render_document(
            reports.build(ReportKind.ANNUAL, p.annual),
            "pdf",
            scope_label="Regione Lombardia",
            period=p.annual,
        )
        for name, kind, province in report_scopes():
            period = by_kind[kind]
            data = reports.build(kind, period, province)
            scope = Province.objects.get(code=province).name if province else "Regione Lombardia"
            pages = []

            def render(data=data, period=period, scope=scope, pages=pages):
                pages.append(render_document(data, "pdf", scope_label=scope, period=period).pages)

            seconds = milliseconds(render, runs, warm_up=False) / 1000
            figures[f"pdf_{name}_s"] = round(seconds, 3)
            figures[f"pdf_{name}_pages"] = pages[-1]
            figures[f"pdf_{name}_s_per_page"] = round(seconds / max(pages[-1] or 1, 1), 3)


def startup_figures(figures: dict, runs: int) -> None:
    """``manage.py run_report --help`` as a process: everything before a report's work."""
    command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "run_report", "--help"]

    def start():
        subprocess.run(command, check=True, capture_output=True)  # nosec B603 - fixed argv

    figures["run_report_startup_s"] = round(milliseconds(start, runs) / 1000, 3)


# --- Where it ran -----------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


def machine() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_mb": _memory_mb(),
        "os": platform.platform(),
        "database": f"{connection.vendor} {server}",
        "python": platform.python_version(),
        "django": django.get_version(),
    }


def data_counts() -> dict:
    return {
        "procedures": CrisisProcedure.objects.count(),
        "units": ProductionUnit.objects.count(),
        "workers": Worker.objects.count(),
        "involvements": Involvement.objects.count(),
        "step_transitions": StepTransition.objects.count(),
        "procedures_high_complexity": CrisisProcedure.objects.filter(high_complexity=True).count(),
    }


def limit_statements(seconds: int) -> None:
    """``statement_timeout`` on this connection and on any opened later (a request through the
    test client may close it)."""

    def apply(connection, **kwargs) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, false)", [f"{seconds}s"])

    connection_created.connect(apply, weak=False, dispatch_uid="benchmark_statement_timeout")
    connection.ensure_connection()
    apply(connection)


SECTIONS = ("reports", "dashboard", "pages", "pdf", "startup", "api")
# Measured only when named (``--only writes memory``): they write (rolled back) and spawn
# processes, and take minutes at scale.
EXTRA_SECTIONS = ("writes", "memory")


def run(
    *,
    runs: int = 5,
    pdf_runs: int = 1,
    sections=SECTIONS,
    statement_timeout: int = 0,
    log: Callable[[str], None] = print,
) -> dict:
    """Every figure of the sections asked for, as one flat dict."""
    today = timezone.localdate()
    p = periods(today)
    if statement_timeout:
        limit_statements(statement_timeout)
    region, officer = benchmark_users()
    figures: dict = {}
    steps = {
        "reports": lambda: report_figures(figures, p, runs),
        "dashboard": lambda: dashboard_figures(figures, region, officer, runs),
        "pages": lambda: page_figures(figures, region, officer, runs, statement_timeout),
        "pdf": lambda: pdf_figures(figures, p, pdf_runs),
        "startup": lambda: startup_figures(figures, runs),
        "writes": lambda: writes.write_figures(figures, officer),
        "memory": lambda: memory.memory_figures(figures, p, region),
        "api": lambda: api_figures(figures, runs, PROVINCE),
    }
    if {"dashboard", "pages"} & set(sections):
        # What the dashboard page reads: rebuilt whole now (the beat task does it every few
        # minutes), timed apart from the requests that read it.
        figures["dashboard_refresh_ms"] = milliseconds(dashboard_refresh, 1, warm_up=False)
    for section in SECTIONS + EXTRA_SECTIONS:
        if section in sections:
            started = time.monotonic()
            steps[section]()
            log(f"{section}: {time.monotonic() - started:.1f}s")
    return {
        "periods": {
            "annual": p.annual.code,
            "bimonthly": p.bimonthly.code,
            "quarterly": p.quarterly.code,
        },
        "figures": figures,
    }
