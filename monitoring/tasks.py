"""Celery tasks of the report engine. Each takes ids or plain values, never model instances."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from monitoring import services

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


@shared_task(acks_late=True)
def scheduled_reports(kind: str) -> list[int]:
    """Beat entry point: queue the documents of the period just ended."""
    return [run.pk for run in services.report_runs_schedule(kind)]


@shared_task
def report_watchdog() -> dict[str, int]:
    return services.report_runs_watchdog()
