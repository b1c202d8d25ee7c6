"""The report engine with a real Celery worker, through the real broker (PostgreSQL + Redis).

Skipped unless CELERY_BROKER_URL is set and the database is PostgreSQL (CI's second stage):
the worker is another process, so it needs a database server it can share with the test.
Everything else in the suite runs tasks in-process (crisi_portal/settings/test.py).
"""

import hashlib
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg2
import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from crisi_portal.celery import app
from monitoring import services
from monitoring.enums import RunStatus, Trigger
from monitoring.models import ReportContact, ReportRun
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory

# Under pytest-xdist each worker has its own Redis database (crisi_portal/settings/test.py).
BROKER = settings.CELERY_BROKER_URL
pytestmark = [
    pytest.mark.skipif(not BROKER, reason="needs a broker (CELERY_BROKER_URL)"),
    # serialized_rollback: the reference data of the migrations (provinces, measures) come back
    # after the flush that ends each transactional test.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
ROOT = Path(settings.BASE_DIR)
TIME_LIMIT = 60  # the worker's REPORT_TIME_LIMIT in these tests


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("a worker process shares the database only on PostgreSQL")
    return connection.settings_dict


@pytest.fixture
def through_broker(postgres):
    """Send tasks to the broker instead of running them here; empty the queue around the test."""
    app.conf.task_always_eager = False
    app.control.purge()
    yield
    app.control.purge()
    # A killed worker's message waits in the broker's "unacked" set for an hour: drop it, so
    # no later run on this broker replays it.
    redis.Redis.from_url(BROKER).delete("unacked", "unacked_index")
    app.conf.task_always_eager = True


class Worker:
    """``celery -A crisi_portal worker`` on the test database, its output kept in a file."""

    def __init__(self, db: dict, log: Path):
        self.log = log
        user, host, port, name = db["USER"], db["HOST"], db["PORT"], db["NAME"]
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "crisi_portal.settings.base",
            "DJANGO_SECRET_KEY": "worker-test-key",
            "DATABASE_URL": f"postgres://{user}@{host}:{port}/{name}",
            "CELERY_BROKER_URL": BROKER,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "EMAIL_URL": "consolemail://",
            "PORTAL_BASE_URL": "https://crisi.example.org",
            "REPORT_TIME_LIMIT": str(TIME_LIMIT),
        }
        self.handle = log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "crisi_portal",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        self.handle.flush()
        return self.log.read_text(errors="replace")

    def kill(self):
        """SIGKILL: no clean-up, no ack — what a crashed machine or the OOM killer does."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.handle.close()


@pytest.fixture
def start_worker(postgres, through_broker, tmp_path):
    workers = []

    def start():
        worker = Worker(postgres, tmp_path / f"worker{len(workers)}.log")
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def wait_until(predicate, seconds: float, what: str, worker: Worker):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"{what} within {seconds}s; worker said:\n{worker.output()[-4000:]}")


def status(run: ReportRun) -> str:
    return ReportRun.objects.values_list("status", flat=True).get(pk=run.pk)


@pytest.fixture
def data_2025(db):
    ProductionUnitFactory(
        procedure=CrisisProcedureFactory(opened_on=date(2025, 2, 3)), workers_involved=42
    )
    ProductionUnitFactory(
        procedure=CrisisProcedureFactory(opened_on=date(2025, 9, 9), lead="MI"),
        workers_involved=58,
    )


def test_the_schedule_produces_every_format_in_a_worker_and_mails_a_link(data_2025, start_worker):
    ReportContact.objects.create(province_id="BG", name="Nucleo BG", email="bg@example.org")
    worker = start_worker()

    # What beat sends on 15 January: the task by name, through the broker.
    app.send_task("monitoring.tasks.scheduled_reports", args=["annual"])

    wait_until(
        lambda: (
            ReportRun.objects.count() == 4
            and not ReportRun.objects.exclude(status=RunStatus.SUCCEEDED).exists()
        ),
        120,
        "four annual documents ready",
        worker,
    )
    period = str(timezone.localdate().year - 1)
    runs = ReportRun.objects.order_by("format")
    assert [(r.format, r.period, r.province_id) for r in runs] == [
        ("csv", period, None),
        ("json", period, None),
        ("pdf", period, None),
        ("xlsx", period, None),
    ]
    for run in runs:
        content = Path(settings.MEDIA_ROOT, run.file.name).read_bytes()
        assert hashlib.sha256(content).hexdigest() == run.sha256
        assert run.triggered_by == Trigger.SCHEDULE
        assert run.attempts == 1
    assert runs.get(format="pdf").pages >= 1
    # The console mailer prints each message: a link to the run, to the contacts.
    wait_until(lambda: "bg@example.org" in worker.output(), 10, "the email", worker)
    for run in runs:
        assert f"https://crisi.example.org/monitoring/reports/{run.pk}/" in worker.output()


def test_a_run_whose_worker_is_killed_mid_way_completes_on_retry(data_2025, start_worker):
    run = services.report_run_request(
        kind="annual", period="2025", fmt="json", trigger=Trigger.SCHEDULE
    )  # autocommit: the message is in the broker now

    # Hold the production units so the worker stops half-way through the aggregation.
    db = connection.settings_dict
    blocker = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"])
    cursor = blocker.cursor()
    cursor.execute("LOCK TABLE cases_productionunit IN ACCESS EXCLUSIVE MODE")
    try:
        first = start_worker()
        wait_until(lambda: status(run) == RunStatus.RUNNING, 60, "the run started", first)
        time.sleep(1)  # now waiting on the lock, mid-way
        first.kill()
    finally:
        blocker.rollback()
        blocker.close()

    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING  # what a dead worker leaves behind
    assert run.attempts == 1
    assert not run.file

    second = start_worker()
    # The watchdog's next pass, once the run has overrun its time limit.
    later = run.started_at + timedelta(seconds=settings.REPORT_TIME_LIMIT + 1)
    assert services.report_runs_watchdog(now=later) == {"requeued": 1, "failed": 0, "resent": 0}

    wait_until(lambda: status(run) == RunStatus.SUCCEEDED, 60, "the retry succeeded", second)
    run.refresh_from_db()
    assert run.attempts == 2
    assert run.error  # the lost attempt is on record
    content = Path(settings.MEDIA_ROOT, run.file.name).read_bytes()
    assert hashlib.sha256(content).hexdigest() == run.sha256
    assert b'"total_workers": 100' in content


def test_a_submitted_pip_is_notified_through_the_worker_with_the_console_mailer(start_worker):
    """Notifications (issue #13): the task sent when the submission commits is run by the
    worker, which records the reviewer's notification and prints the e-mail (console mailer):
    a link, in the reviewer's language, and no worker's name or fiscal code."""
    from crisi_portal.models import Notification
    from pal.services import pip_save, pip_submit
    from tests.factories import UserFactory
    from tests.pal.factories import DoteFactory, operator_staff, service
    from tests.workers.factories import InvolvementFactory

    reviewer = UserFactory(
        username="reviewer_bg", province_staff=True, provinces=["BG"], email="rev@example.org"
    )
    unit = ProductionUnitFactory(procedure=CrisisProcedureFactory(lead="BG"))
    dote = DoteFactory(involvement=InvolvementFactory(unit=unit))
    filer = operator_staff(dote.operator, username="filer_op")
    pip = pip_save(user=filer, dote=dote, objectives="Ricollocazione", services=[service()])
    worker = start_worker()

    pip_submit(user=filer, pip=pip)  # commits: the delivery task is in the broker now

    wait_until(
        lambda: Notification.objects.filter(recipient=reviewer).exists(),
        60,
        "the reviewer's notification",
        worker,
    )
    wait_until(lambda: "rev@example.org" in worker.output(), 10, "the e-mail", worker)
    output = worker.output().replace("=\n", "")  # quoted-printable soft line breaks
    assert f"https://crisi.example.org/pal/review/{pip.pk}/" in output
    assert "text/html" in output  # the HTML alternative
    person = dote.involvement.worker
    assert person.fiscal_code not in output and person.last_name not in output
