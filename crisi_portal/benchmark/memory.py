"""Peak memory of the report jobs and the exports (issue #12), each in a process of its own.

A report job is ``manage.py run_report`` (what the Celery task does: build the data, render
the document) for each kind and format; an export is ``manage.py export_procedures``. Each
runs as a child process whose peak resident set (``VmHWM`` of ``/proc/self/status``, read by
the child as it ends) is the figure: real memory, the interpreter and Django included.
``memory_startup_mb`` is the same for ``run_report --help``: what a process costs before any
work.

The HTTP exports run in this process: their figure is the peak of Python allocations
(``tracemalloc``) while the response is produced and read to the end.

Keys: ``memory_report_<kind>_<format>_mb`` (and ``bimonthly_mi``), ``memory_export_procedures_mb``,
``memory_startup_mb``, ``memory_http_<export>_mb``.
"""

import os
import subprocess  # nosec B404 - runs this project's own manage.py
import sys
import tempfile
import tracemalloc
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from monitoring.enums import ReportFormat

MB = 1024  # VmHWM is in KiB


# Run manage.py, then print the process's peak resident set (VmHWM, of this program only:
# ``ru_maxrss`` would also count the parent's size at the fork, which exec keeps).
PEAK_WRAPPER = """
import runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
finally:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                sys.stderr.write("\\nPEAK_KB " + line.split()[1] + "\\n")
"""


def child_peak_mb(arguments: list[str]) -> float:
    """Peak resident memory (MB) of ``manage.py <arguments>`` run as a child process."""
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    completed = subprocess.run(  # nosec B603 - fixed argv of this project's manage.py
        [sys.executable, "-c", PEAK_WRAPPER, manage, *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=child_environment(),
        check=False,
    )
    error = completed.stderr.decode(errors="replace")
    if completed.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(arguments)} failed: {error[-2000:]}")
    peaks = [line.split()[1] for line in error.splitlines() if line.startswith("PEAK_KB ")]
    return round(int(peaks[-1]) / MB, 1)


def child_environment() -> dict[str, str]:
    """This process's environment, with ``DATABASE_URL`` naming the database this connection
    uses (under pytest, the test database rather than the one the environment names)."""
    db = connection.settings_dict
    user = db.get("USER") or ""
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    credentials = f"{quote(user)}{password}@" if user else ""
    host = f"{db.get('HOST') or ''}:{db.get('PORT') or 5432}"
    return {**os.environ, "DATABASE_URL": f"postgres://{credentials}{host}/{db['NAME']}"}


def report_jobs(periods) -> list[tuple[str, list[str]]]:
    """(name, ``run_report`` arguments) of the regional report of each kind, and of the
    largest document: the bimonthly report of Milano (38 pages at 1,000,000 workers)."""
    return [
        ("annual", ["annual", periods.annual.code]),
        ("bimonthly", ["bimonthly", periods.bimonthly.code]),
        ("bimonthly_mi", ["bimonthly", periods.bimonthly.code, "--province", "MI"]),
        ("quarterly", ["quarterly", periods.quarterly.code]),
    ]


def traced_peak_mb(fn) -> float:
    """Peak of Python allocations (MB) while ``fn`` runs."""
    tracemalloc.start()
    try:
        fn()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return round(peak / (1024 * 1024), 1)


def http_export_figures(figures: dict, user) -> None:
    client = Client()
    client.force_login(user)
    urls = {"procedures_csv": reverse("cases:procedure_export")}
    for name, url in urls.items():

        def get(url=url):
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url}: {response.status_code}")
            if response.streaming:
                for _chunk in response.streaming_content:
                    pass
            else:
                _ = response.content

        with override_settings(ALLOWED_HOSTS=["testserver"], SECURE_SSL_REDIRECT=False):
            get()  # warm: templates, URLconf, the first query's plan
            figures[f"memory_http_{name}_mb"] = traced_peak_mb(get)


def memory_figures(figures: dict, periods, user, formats=tuple(ReportFormat.values)) -> None:
    figures["memory_startup_mb"] = child_peak_mb(["run_report", "--help"])
    with tempfile.TemporaryDirectory() as folder:
        for name, arguments in report_jobs(periods):
            for fmt in formats:
                output = str(Path(folder) / f"{name}.{fmt}")
                figures[f"memory_report_{name}_{fmt}_mb"] = child_peak_mb(
                    ["run_report", *arguments, "--format", fmt, "--output", output]
                )
        output = str(Path(folder) / "procedures.csv")
        figures["memory_export_procedures_mb"] = child_peak_mb(
            ["export_procedures", "--output", output]
        )
    http_export_figures(figures, user)
