"""No fiscal code or name in any log line (issue #9, finding 8 and "Must work" 7).

The filter is proven on the handler the settings configure (its real output), on the access
records Django's development server and gunicorn write, and on a whole journey through the
portal (HTML, htmx, API, Django admin, a 404 and a 500) whose every log record is grepped for
every fiscal code and name of the workers it created.
"""

import datetime
import io
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from codicefiscale import codicefiscale
from django.conf import settings
from django.test import Client
from django.urls import reverse

from crisi_portal.logging import PersonalDataFilter
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.workers.factories import InvolvementFactory, WorkerFactory
from workers.models import PersonalDataAccess

BASE_DIR = Path(__file__).resolve().parent.parent

# Names no template, message or module of the portal contains by chance.
PEOPLE = [
    ("Zanzottera", "Ermenegilda", "F", datetime.date(1971, 3, 12)),
    ("Brambillasca", "Gianfilippo", "M", datetime.date(1966, 11, 30)),
    ("Quadranti", "Rosalinda", "F", datetime.date(1980, 7, 5)),
]


def _configured_console():
    """The handler ``settings.LOGGING`` installed on the root logger."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and handler.get_name() == "console":
            return handler
    raise AssertionError("the console handler of settings.LOGGING is not on the root logger")


@pytest.fixture
def console_output():
    """What the configured handler really writes, formatted, for the test's duration."""
    handler = _configured_console()
    buffer = io.StringIO()
    # Not setStream(): it flushes the previous stream, which pytest may have closed already.
    with handler.lock:
        previous, handler.stream = handler.stream, buffer
    try:
        yield buffer
    finally:
        with handler.lock:
            handler.stream = previous


@pytest.fixture
def all_logs(caplog, console_output):
    """Every record at DEBUG and up, from every logger, as handlers emit them."""
    caplog.set_level(logging.DEBUG)
    for name in ("django", "django.request", "django.server", "django.db.backends"):
        caplog.set_level(logging.DEBUG, logger=name)

    def text() -> str:
        records = "\n".join(
            f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.stack_info or ''}"
            for r in caplog.records
        )
        return f"{records}\n{caplog.text}\n{console_output.getvalue()}"

    return text


def test_the_filter_masks_fiscal_codes_in_messages_and_tracebacks(console_output):
    log = logging.getLogger("crisi_portal.tests")
    try:
        raise ValueError("no worker with code rssmra80a01f205x here")
    except ValueError:
        # Omocodia (digits replaced by letters) and lower case are fiscal codes too.
        log.exception("lookup of %s failed", "RSSMRA80A0MF2Q5X")
    output = console_output.getvalue()
    assert "lookup of [fiscal code] failed" in output
    assert "no worker with code [fiscal code] here" in output
    assert not re.search("rssmra", output, re.IGNORECASE)


def test_access_records_lose_their_query_strings(console_output):
    # Exactly what django.core.servers.basehttp.WSGIRequestHandler.log_message writes.
    logging.getLogger("django.server").info(
        '"%s" %s %s', "GET /procedures/3/workers/?q=Zanzottera&step=STEP_1 HTTP/1.1", "200", "9"
    )
    output = console_output.getvalue()
    assert '"GET /procedures/3/workers/?[redacted] HTTP/1.1" 200 9' in output
    assert "Zanzottera" not in output


def test_model_instances_and_row_values_are_dropped_from_exception_text(console_output):
    log = logging.getLogger("django.request")
    try:
        raise RuntimeError(
            "Cannot delete ProductionUnit", {"<Involvement: Zanzottera Ermenegilda – P-1>"}
        )
    except RuntimeError:
        log.exception("Internal Server Error: /api/v1/units/1/")
    try:
        raise RuntimeError(
            "duplicate key value\nDETAIL:  Key (last_name, first_name)=(Zanzottera, Ermenegilda) "
            "already exists.\nDETAIL:  Failing row contains (7, Zanzottera, Ermenegilda)."
        )
    except RuntimeError:
        log.exception("Internal Server Error: /api/v1/workers/")
    output = console_output.getvalue()
    assert "<Involvement: [redacted]>" in output
    assert "Key (last_name, first_name)=([redacted])" in output
    assert "Failing row contains ([redacted])" in output
    assert "Zanzottera" not in output and "Ermenegilda" not in output


def test_a_real_protected_error_logged_with_its_traceback_names_nobody(people, console_output):
    from django.db.models import ProtectedError

    _procedure, unit, workers = people
    try:
        unit.delete()
    except ProtectedError:
        logging.getLogger("django.request").exception("Internal Server Error: /units/")
    output = console_output.getvalue()
    assert "ProtectedError" in output and "<Involvement: [redacted]>" in output
    assert not [s for s in secrets_of(workers) if s in output]


def test_every_handler_a_record_can_reach_carries_the_filter():
    names = [
        "",
        "django",
        "django.request",
        "django.server",
        "django.security.csrf",
        "django.db.backends",
        "gunicorn.access",
        "gunicorn.error",
        "celery",
        *settings.LOGGING["loggers"],
    ]
    for name in names:
        logger = logging.getLogger(name)
        reached = []
        while logger is not None:
            reached += [
                h
                for h in logger.handlers
                if not type(h).__module__.startswith("_pytest")
                and not isinstance(h, logging.NullHandler)  # writes nothing
            ]
            logger = logger.parent if logger.propagate else None
        assert reached, f"records of {name!r} reach no handler"
        for handler in reached:
            assert any(isinstance(f, PersonalDataFilter) for f in handler.filters), (
                f"{handler!r} (reached from {name!r}) has no personal-data filter"
            )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_access_log_has_no_query_string_nor_referer(tmp_path):
    """The production server, with the image's configuration, serving a real request."""
    port = _free_port()
    (tmp_path / "static").mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crisi_portal.settings.base",
        "DJANGO_SECRET_KEY": "gunicorn-log-test",
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "static"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
    }
    env.pop("CELERY_BROKER_URL", None)
    log_file = tmp_path / "gunicorn.log"
    with log_file.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "gunicorn.conf.py",
                "--control-socket",
                str(tmp_path / "gunicorn.ctl"),
                "crisi_portal.wsgi:application",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/healthz?q=Zanzottera&cf=ZNZRNG71C52A794L",
                headers={"Referer": "http://127.0.0.1/workers/?q=Ermenegilda"},
            )
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(request, timeout=5) as response:
                        assert response.status == 200
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.3)
            deadline = time.monotonic() + 10
            while "/healthz" not in log_file.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            server.terminate()
            server.wait(timeout=30)
    output = log_file.read_text()
    assert '"GET /healthz HTTP/1.1" 200' in output  # the access record is there
    for secret in ("Zanzottera", "Ermenegilda", "ZNZRNG71C52A794L", "?q=", "cf="):
        assert secret not in output


@pytest.fixture
def people(db):
    procedure = CrisisProcedureFactory(lead="BG")
    unit = ProductionUnitFactory(procedure=procedure)
    workers = []
    for last, first, sex, born in PEOPLE:
        code = codicefiscale.encode(
            lastname=last,
            firstname=first,
            gender=sex,
            birthdate=born.strftime("%d/%m/%Y"),
            birthplace="Bergamo",
        )
        worker = WorkerFactory(
            fiscal_code=code,
            last_name=last,
            first_name=first,
            sex=sex,
            birth_date=born,
        )
        InvolvementFactory(worker=worker, unit=unit)
        workers.append(worker)
    return procedure, unit, workers


def secrets_of(workers) -> list[str]:
    values = []
    for worker in workers:
        values += [worker.fiscal_code, worker.last_name, worker.first_name]
    return values


def test_a_whole_journey_leaves_no_fiscal_code_or_name_in_any_log_record(
    people, all_logs, staff_bg, region, admin_user, api_client_for
):
    procedure, unit, workers = people
    target = workers[0]
    workers_url = reverse("workers:procedure_workers", args=[procedure.pk])
    html = Client(raise_request_exception=False)
    html.force_login(staff_bg)

    # The HTML list, the name search (POSTed, kept in the session), htmx and not.
    assert html.get(workers_url).status_code == 200
    response = html.post(workers_url, {"search": "1", "q": target.last_name})
    assert response.status_code == 302 and "q=" not in response["Location"]
    page = html.get(response["Location"]).content.decode()
    assert target.last_name in page and workers[1].last_name not in page
    response = html.post(
        workers_url, {"search": "1", "q": workers[1].first_name}, HTTP_HX_REQUEST="true"
    )
    assert response["HX-Trigger"] == "workers-changed"
    # An old bookmark with the name in the URL: ignored, and redacted in access records.
    html.get(workers_url, {"q": target.last_name, "step": "STEP_1"})
    assert html.get(reverse("workers:worker_detail", args=[target.pk])).status_code == 200
    html.get(f"/workers/987654/?q={target.last_name}&cf={target.fiscal_code}")  # 404, logged

    # The API: lists, search by fiscal code (POST), a fiscal code in a query string (refused).
    api = api_client_for(staff_bg)
    api.raise_request_exception = False
    assert api.get("/api/v1/workers/").status_code == 200
    assert api.post("/api/v1/workers/search/", {"fiscal_code": target.fiscal_code}).status_code
    assert api.get("/api/v1/workers/", {"cf": target.fiscal_code}).status_code == 400
    api.get("/api/v1/involvements/", {"q": f"{target.last_name} {target.first_name}"})
    # Deleting a unit that has workers: a ProtectedError lists the involvements by name. A 500
    # (its traceback logged) until the refusal becomes a 409; either way no name anywhere.
    refused = api.delete(f"/api/v1/units/{unit.pk}/")
    assert refused.status_code in (409, 500)
    assert not [s for s in secrets_of(workers) if s in refused.content.decode()]

    # A Region official and the Django admin, whose reads are logged in the database instead.
    region_api = api_client_for(region)
    region_api.get("/api/v1/involvements/")
    admin = Client(raise_request_exception=False)
    admin.force_login(admin_user)
    assert admin.get("/admin/workers/worker/").status_code == 200
    assert admin.get(f"/admin/workers/worker/{target.pk}/change/").status_code == 200
    admin.post("/admin/workers/worker/find/", {"term": target.fiscal_code})
    admin.get("/admin/workers/worker/", {"q": target.last_name})

    logs = all_logs()
    # The journey did log: the 404, the 500 and its traceback (else the grep proves nothing).
    assert "Not Found: /workers/987654/" in logs
    if refused.status_code == 500:
        assert "Internal Server Error: /api/v1/units/" in logs
        assert "ProtectedError" in logs and "<Involvement: [redacted]>" in logs
    found = [s for s in secrets_of(workers) if s.lower() in logs.lower()]
    assert found == [], f"personal data in the logs: {found}"
    assert PersonalDataAccess.objects.filter(user=admin_user).exists()
