"""Celery tasks of the report engine. Each takes ids or plain values, never model instances."""

import logging
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from monitoring import services
from monitoring.enums import RunStatus
from monitoring.models import ReportRun

log = logging.getLogger(__name__)

# Transient failures (database gone for a moment): the same attempt is retried by Celery.
TRANSIENT = (OperationalError, InterfaceError)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=settings.REPORT_TIME_LIMIT - 30,
    time_limit=settings.REPORT_TIME_LIMIT,
)
def generate_report(self, run_id: int) -> str:  # services.GENERATE_REPORT_TASK
    """Produce the document of ReportRun ``run_id``; a second delivery finds it taken and stops."""
    try:
        run = services.report_run_produce(run_id)
    except TRANSIENT:
        # report_run_produce() marked the run failed; put it back in the queue for the retry.
        services.report_run_requeue(run_id)
        raise
    except Exception:
        # Already recorded on the run (status failed, error); a retry would fail the same way.
        log.exception("report run %s failed", run_id)
        return "failed"
    return "done" if run is not None else "skipped"


@shared_task(
    acks_late=True,
    autoretry_for=(SMTPException, OSError, *TRANSIENT),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    max_retries=8,
)
def report_ready_notify(run_id: int) -> int:
    """Mail the recipients of succeeded run ``run_id`` a link to it; the number of messages.

    A mail server that refuses or cannot be reached is retried with a growing wait (30 s up
    to 30 min, about two hours in all); the run itself is done either way."""
    run = (
        ReportRun.objects.select_related("province")
        .filter(pk=run_id, status=RunStatus.SUCCEEDED)
        .first()
    )
    return services.report_run_notify(run) if run is not None else 0


@shared_task(acks_late=True)
def scheduled_reports(kind: str, span: str | None = None) -> list[int]:
    """Beat entry point: queue the documents of the period just ended (``span``: a quarter or a
    year, for the PAL monitoring report that has both)."""
    return [run.pk for run in services.report_runs_schedule(kind, span=span)]


@shared_task
def report_watchdog() -> dict[str, int]:
    return services.report_runs_watchdog()


@shared_task(acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3)
def dashboard_refresh() -> float:
    """Beat entry point: rebuild the dashboard's pre-aggregated tables; the seconds it took."""
    return services.dashboard_refresh().seconds


@shared_task(acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3)
def deadline_notifications() -> int:
    """Beat entry point (daily): cruscotto deadlines near; one notification per deadline."""
    return services.deadline_notify()
