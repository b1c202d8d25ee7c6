"""Celery tasks of the workers app."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from workers.retention import retention_run


@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError), max_retries=3)
def retention() -> dict:
    """The monthly retention run (``manage.py retention``): one transaction, idempotent."""
    report = retention_run()
    return {
        "access_records": report.access_records,
        "history_rows": report.history_total,
        "workers": report.workers,
    }
