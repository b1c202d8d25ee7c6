"""The report engine: requests, versions, the task's claim, files, watchdog, schedule, email."""

import hashlib
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.core import mail
from django.core.files.storage import default_storage
from django.utils import timezone

from crisi_portal.scoping import may_request_report
from monitoring import services
from monitoring.enums import RunStatus, Trigger
from monitoring.models import ReportContact, ReportRun
from monitoring.periods import Period
from monitoring.tasks import generate_report
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")


@pytest.fixture
def data_2025(db):
    ProductionUnitFactory(
        procedure=CrisisProcedureFactory(opened_on=date(2025, 2, 3)), workers_involved=42
    )


def ask(user, run_on_commit, **fields):
    fields = {"kind": "annual", "period": "2025", "fmt": "json", **fields}
    with run_on_commit(execute=True):
        run = services.report_run_request(user=user, **fields)
    run.refresh_from_db()
    return run


def stored_bytes(run: ReportRun) -> bytes:
    with default_storage.open(run.file.name, "rb") as handle:
        return handle.read()


# --- Requesting and producing --------------------------------------------------------------------


def test_a_requested_run_is_produced_when_the_transaction_commits(
    region, data_2025, django_capture_on_commit_callbacks
):
    run = ask(region, django_capture_on_commit_callbacks)

    assert run.status == RunStatus.SUCCEEDED
    assert (run.version, run.attempts, run.triggered_by) == (1, 1, Trigger.USER)
    assert run.requested_by == region
    assert run.started_at <= run.finished_at
    content = stored_bytes(run)
    assert run.sha256 == hashlib.sha256(content).hexdigest()
    assert run.size == len(content)
    document = json.loads(content)
    assert document["period"] == "2025"
    assert document["total"]["cigs_ministeriale"] == {"units": 1, "workers": 42}


def test_nothing_runs_before_the_transaction_commits(region, data_2025):
    run = services.report_run_request(user=region, kind="annual", period="2025", fmt="json")
    # Inside the test's transaction: the task has not been sent, the row waits.
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED
    assert run.attempts == 0


def test_a_rerun_is_a_new_version_and_leaves_the_old_file_alone(
    region, data_2025, django_capture_on_commit_callbacks
):
    first = ask(region, django_capture_on_commit_callbacks)
    first_bytes = stored_bytes(first)
    ProductionUnitFactory(
        procedure=CrisisProcedureFactory(opened_on=date(2025, 6, 1)), workers_involved=8
    )

    second = ask(region, django_capture_on_commit_callbacks)

    assert second.version == 2
    assert second.file.name != first.file.name
    first.refresh_from_db()
    assert stored_bytes(first) == first_bytes
    assert hashlib.sha256(first_bytes).hexdigest() == first.sha256
    assert json.loads(stored_bytes(second))["total"]["total_workers"] == 50
    latest = ReportRun.objects.latest_versions()
    assert list(latest) == [second]


def test_versions_are_counted_per_scope_and_format(
    region, data_2025, django_capture_on_commit_callbacks
):
    a = ask(region, django_capture_on_commit_callbacks, kind="quarterly", period="2025-Q1")
    b = ask(
        region,
        django_capture_on_commit_callbacks,
        kind="quarterly",
        period="2025-Q1",
        province="BG",
    )
    c = ask(
        region,
        django_capture_on_commit_callbacks,
        kind="quarterly",
        period="2025-Q1",
        province="BG",
    )
    assert (a.version, b.version, c.version) == (1, 1, 2)
    assert set(ReportRun.objects.latest_versions()) == {a, c}


def test_a_second_delivery_of_the_same_task_does_nothing(
    region, data_2025, django_capture_on_commit_callbacks
):
    run = ask(region, django_capture_on_commit_callbacks)
    before = (run.sha256, run.finished_at, run.attempts)

    assert generate_report.apply(args=[run.pk]).get() == "skipped"

    run.refresh_from_db()
    assert (run.sha256, run.finished_at, run.attempts) == before


def test_the_document_is_written_beside_its_place_then_moved(region, data_2025):
    run = ReportRun.objects.create(
        kind="annual", period="2025", format="json", triggered_by=Trigger.USER
    )
    name, digest = services.report_run_store(run, b'{"ok": true}')
    target = Path(default_storage.path(name))
    assert target.read_bytes() == b'{"ok": true}'
    assert digest == hashlib.sha256(b'{"ok": true}').hexdigest()
    assert not list(target.parent.glob("*.part"))


def test_a_failing_document_marks_the_run_failed_with_the_reason(
    region, django_capture_on_commit_callbacks
):
    run = ReportRun.objects.create(
        kind="annual", period="2025", format="json", triggered_by=Trigger.USER
    )
    # A period that cannot be built: a regional-only table asked for one province.
    ReportRun.objects.filter(pk=run.pk).update(province_id="BG")

    assert generate_report.apply(args=[run.pk]).get() == "failed"

    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "regional" in run.error
    assert run.finished_at is not None
    assert not run.file


# --- Refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "monthly"}, "kind"),
        ({"fmt": "docx"}, "format"),
        ({"period": "2025-Q3"}, "period"),
        ({"period": "2999"}, "period"),
        ({"province": "BG"}, "province"),  # the annual table is regional
        ({"kind": "quarterly", "period": "2025-Q1", "province": "XX"}, "province"),
    ],
)
def test_bad_requests_are_refused_naming_the_field_and_create_nothing(region, fields, field):
    request = {"kind": "annual", "period": "2025", "fmt": "json", **fields}
    with pytest.raises(services.ReportRequestRefused) as refused:
        services.report_run_request(user=region, **request)
    assert refused.value.field == field
    assert not ReportRun.objects.exists()


@pytest.mark.parametrize(
    ("who", "province", "allowed"),
    [
        ("staff_bg", "BG", True),
        ("staff_bg", "MI", False),
        ("staff_bg", None, False),  # regional documents are the Region's
        ("region", None, True),
        ("region", "MI", True),
        ("operator_user", "BG", False),
    ],
)
def test_who_may_request_which_scope(request, who, province, allowed):
    user = request.getfixturevalue(who)
    fields = {"kind": "quarterly", "period": "2025-Q1", "fmt": "json", "province": province}
    if allowed:
        assert services.report_run_request(user=user, **fields).pk
    else:
        with pytest.raises(services.ReportRequestRefused):
            services.report_run_request(user=user, **fields)
        assert not ReportRun.objects.exists()


def test_an_api_client_requests_within_its_province_restriction():
    client = UserFactory(api_client=True, provinces=["BG"])
    assert may_request_report(client, "BG")
    assert not may_request_report(client, "MI")
    assert not may_request_report(client, None)


# --- Watchdog: a run whose worker died ------------------------------------------------------------


def stuck_run(minutes_ago: int, attempts: int = 1) -> ReportRun:
    """What a worker killed mid-way leaves: running, started long ago, a half-written file."""
    run = ReportRun.objects.create(
        kind="annual",
        period="2025",
        format="json",
        triggered_by=Trigger.SCHEDULE,
        status=RunStatus.RUNNING,
        attempts=attempts,
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
    )
    target = Path(default_storage.path(f"reports/annual/2025/{run.filename}"))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.with_name(f".{target.name}.99999.part").write_bytes(b'{"kind": "ann')
    return run


def test_a_run_killed_mid_way_completes_on_retry(data_2025, django_capture_on_commit_callbacks):
    limit = django_settings.REPORT_TIME_LIMIT // 60
    run = stuck_run(minutes_ago=limit + 1)

    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.report_runs_watchdog()

    assert outcome == {"requeued": 1, "failed": 0, "resent": 0}
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert run.attempts == 2
    assert "1" in run.error  # the lost attempt is on record
    document = json.loads(stored_bytes(run))  # whole, not the half-written part
    assert document["total"]["cigs_ministeriale"]["workers"] == 42
    assert run.sha256 == hashlib.sha256(stored_bytes(run)).hexdigest()


def test_the_watchdog_leaves_runs_within_their_time_limit(django_capture_on_commit_callbacks):
    run = stuck_run(minutes_ago=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.report_runs_watchdog() == {"requeued": 0, "failed": 0, "resent": 0}
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING


def test_the_watchdog_gives_up_after_the_last_attempt(django_capture_on_commit_callbacks):
    limit = django_settings.REPORT_TIME_LIMIT // 60
    run = stuck_run(minutes_ago=limit + 1, attempts=django_settings.REPORT_MAX_ATTEMPTS)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.report_runs_watchdog() == {"requeued": 0, "failed": 1, "resent": 0}
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error


def test_the_watchdog_resends_a_queued_run_nobody_took(
    data_2025, django_capture_on_commit_callbacks
):
    run = ReportRun.objects.create(
        kind="annual", period="2025", format="json", triggered_by=Trigger.SCHEDULE
    )
    ReportRun.objects.filter(pk=run.pk).update(requested_at=timezone.now() - timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.report_runs_watchdog()["resent"] == 1
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED


# --- Schedule -------------------------------------------------------------------------------------


def next_fire(entry: str, after: datetime) -> datetime:
    """When Celery beat next runs ``entry`` after ``after`` (Celery's own computation)."""
    schedule: crontab = django_settings.CELERY_BEAT_SCHEDULE[entry]["schedule"]
    last, delta, _now = schedule.remaining_delta(after)
    return last + delta


@pytest.mark.parametrize(
    ("entry", "after", "fires_on", "period"),
    [
        (
            "bimonthly-reports",
            datetime(2026, 11, 21, 12, 0, tzinfo=ROME),
            date(2027, 1, 1),
            "2026-B6",
        ),
        (
            "bimonthly-reports",
            datetime(2027, 1, 1, 12, 0, tzinfo=ROME),
            date(2027, 3, 1),
            "2027-B1",
        ),
        ("bimonthly-reports", datetime(2027, 3, 2, tzinfo=ROME), date(2027, 5, 1), "2027-B2"),
        ("bimonthly-reports", datetime(2027, 8, 31, tzinfo=ROME), date(2027, 9, 1), "2027-B4"),
        ("quarterly-reports", datetime(2026, 11, 21, tzinfo=ROME), date(2027, 1, 1), "2026-Q4"),
        ("quarterly-reports", datetime(2027, 1, 2, tzinfo=ROME), date(2027, 4, 1), "2027-Q1"),
        ("quarterly-reports", datetime(2027, 6, 30, tzinfo=ROME), date(2027, 7, 1), "2027-Q2"),
        ("quarterly-reports", datetime(2027, 9, 15, tzinfo=ROME), date(2027, 10, 1), "2027-Q3"),
        ("annual-report", datetime(2026, 11, 21, tzinfo=ROME), date(2027, 1, 15), "2026"),
        ("annual-report", datetime(2027, 1, 15, 8, 0, tzinfo=ROME), date(2028, 1, 15), "2027"),
    ],
)
def test_the_schedule_fires_on_the_right_days_for_the_period_just_ended(
    entry, after, fires_on, period
):
    fired = next_fire(entry, after)
    assert fired.date() == fires_on
    assert fired.hour in (6, 7)  # early morning, Rome time
    beat = django_settings.CELERY_BEAT_SCHEDULE[entry]
    assert beat["task"] == "monitoring.tasks.scheduled_reports"
    kind = beat["args"][0]
    assert Period.just_ended(kind, fired.date()).code == period


def test_every_scheduled_task_exists():
    from crisi_portal.celery import app

    app.loader.import_default_modules()
    for entry in django_settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


def test_a_scheduled_day_queues_every_scope_once(data_2025, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        created = services.report_runs_schedule("quarterly", today=date(2025, 4, 1))
    assert len(created) == 13  # twelve provinces and the regional document
    assert {run.period for run in created} == {"2025-Q1"}
    assert {run.province_id for run in created} == {
        None,
        *"BG BS CO CR LC LO MN MI MB PV SO VA".split(),
    }
    assert set(ReportRun.objects.values_list("status", flat=True)) == {RunStatus.SUCCEEDED}
    assert set(ReportRun.objects.values_list("triggered_by", flat=True)) == {Trigger.SCHEDULE}

    # Beat firing twice the same day adds nothing.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.report_runs_schedule("quarterly", today=date(2025, 4, 1)) == []
    assert ReportRun.objects.count() == 13


def test_the_annual_schedule_produces_the_regional_table_only(
    data_2025, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = services.report_runs_schedule("annual", today=date(2026, 1, 15))
    assert [(run.period, run.province_id) for run in created] == [("2025", None)]


# --- Email ---------------------------------------------------------------------------------------


@pytest.fixture
def contacts(db):
    ReportContact.objects.create(province_id="BG", name="Nucleo BG", email="bg@example.org")
    ReportContact.objects.create(province_id="MI", name="Nucleo MI", email="mi@example.org")
    ReportContact.objects.create(province=None, name="Regione", email="region@example.org")
    ReportContact.objects.create(
        province_id="BG", name="Former", email="old@example.org", is_active=False
    )


def test_a_scheduled_province_document_is_announced_to_its_contacts_with_a_link(
    contacts, data_2025, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.report_run_request(
            kind="quarterly",
            period="2025-Q1",
            fmt="json",
            province="BG",
            trigger=Trigger.SCHEDULE,
        )
    (message,) = mail.outbox
    assert message.to == ["bg@example.org"]
    assert f"/monitoring/reports/{run.pk}/" in message.body
    assert message.body.count("http") == 1
    assert message.attachments == []  # a link, never the document


def test_a_scheduled_regional_document_is_announced_to_everyone(
    contacts, data_2025, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.report_run_request(
            kind="annual", period="2025", fmt="json", trigger=Trigger.SCHEDULE
        )
    (message,) = mail.outbox
    assert message.to == ["bg@example.org", "mi@example.org", "region@example.org"]


def test_a_requested_document_is_announced_to_who_asked_only(
    contacts, data_2025, django_capture_on_commit_callbacks
):
    user = UserFactory(region_official=True, email="asker@example.org")
    ask(user, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert message.to == ["asker@example.org"]


def test_the_announcement_is_its_own_task_and_a_failing_mail_server_leaves_the_run_done(
    contacts, data_2025, django_capture_on_commit_callbacks, settings
):
    """The mail goes on the e-mail queue after the run is recorded: a refusing server makes
    that task retry (eagerly: it raises) but the document stays produced."""
    from monitoring.tasks import report_ready_notify

    assert settings.CELERY_TASK_ROUTES[report_ready_notify.name] == {"queue": "email"}
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},  # discard: refused
        }
    }
    with (
        pytest.raises(Exception, match="Connection refused|Retry"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run = services.report_run_request(
            kind="annual", period="2025", fmt="json", trigger=Trigger.SCHEDULE
        )
    run = ReportRun.objects.get()
    assert run.status == RunStatus.SUCCEEDED
    assert mail.outbox == []
    # A run that is not (or no longer) succeeded is not announced.
    ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED)
    assert report_ready_notify.apply(args=[run.pk]).get() == 0
