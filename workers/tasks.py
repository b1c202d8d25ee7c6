"""Celery tasks of the workers app."""

from celery import shared_task
from django.db import InterfaceError, OperationalError, connection

from workers.partitioning import partition_tables
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


@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError), max_retries=3)
def partitions_extend() -> list[str]:
    """Monthly: next year's partitions of the tables ``manage.py partition_tables`` partitioned
    (nothing where they are not partitioned, or on SQLite). Never converts a table itself."""
    if connection.vendor != "postgresql":
        return []
    return partition_tables(convert_tables=False)
