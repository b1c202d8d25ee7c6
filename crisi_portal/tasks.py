"""Celery tasks of the core: delivering notifications and the daily digest."""

from smtplib import SMTPException

from celery import shared_task
from django.db import InterfaceError, OperationalError

from crisi_portal import notifications, webhooks

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


# One attempt is bounded by its own deadline (webhooks._post); the time limits are the
# backstop so that a stuck receiver never holds a worker the e-mails share.
@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def webhook_deliver(delivery_id: int) -> str | None:  # webhooks.DELIVER_TASK
    """One attempt at a webhook delivery; after a failure, the next one is sent with the
    backoff's countdown (webhooks.backoff_seconds) until WEBHOOK_MAX_ATTEMPTS."""
    result = webhooks.attempt(delivery_id)
    if result is None:
        return None
    if result.retry_in is not None:
        webhooks.enqueue(delivery_id, countdown=result.retry_in or None)
    return result.status


@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError), max_retries=3)
def webhook_sweep() -> int:
    """Beat entry point: deliveries overdue by more than a minute (a lost worker's) are sent
    again; the claim in webhooks.attempt makes a duplicate message harmless."""
    ids = webhooks.due()
    for delivery_id in ids:
        webhooks.enqueue(delivery_id)
    return len(ids)
