"""Celery tasks of the core: delivering notifications and the daily digest."""

from smtplib import SMTPException

from celery import shared_task
from django.db import InterfaceError, OperationalError

from crisi_portal import notifications

RETRIED = (SMTPException, OSError, OperationalError, InterfaceError)


@shared_task(
    acks_late=True,
    autoretry_for=RETRIED,
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    max_retries=8,
)
def notification_deliver(  # notifications.DELIVER_TASK
    recipient_ids: list[int], kind: str, key: str, params: dict, url: str
) -> int:
    """Create the notifications of one event and send its immediate e-mails; idempotent."""
    return notifications.deliver(recipient_ids, kind, key, params, url)


@shared_task(acks_late=True, autoretry_for=RETRIED, retry_backoff=60, max_retries=5)
def notification_digest() -> int:
    """Beat entry point (daily): the digest e-mails; idempotent."""
    return notifications.digest_send()
