"""Notifications (issue #13): in the portal (the bell) and by e-mail, as each user prefers.

The apps call :func:`notify` from their services, inside their transaction; the delivery is a
Celery task sent when the transaction commits (nothing is told of a change rolled back), and
is idempotent: one notification per recipient and ``key``, whatever the retries. Messages are
written from the kind and its ``params`` when shown, in the reader's language (e-mails in the
recipient's :attr:`User.language`); they never carry workers' personal data, only a link.
"""

import logging
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from crisi_portal.models import (
    Channel,
    Notification,
    NotificationKind,
    NotificationPreference,
    User,
)

log = logging.getLogger(__name__)

# The task is sent by its name (crisi_portal.tasks imports this module).
DELIVER_TASK = "crisi_portal.tasks.notification_deliver"

DEFAULT_CHANNEL = Channel.EMAIL

MESSAGES = {
    NotificationKind.PIP_SUBMITTED: _("PIP %(pip)s was submitted for your review."),
    NotificationKind.PIP_RETURNED: _("PIP %(pip)s was returned to you: see what to fix."),
    NotificationKind.PIP_APPROVED: _("PIP %(pip)s was approved."),
    NotificationKind.REPORT_READY: _("The report %(report)s is ready."),
    NotificationKind.DEADLINE: _(
        "The income support of procedure %(procedure)s (%(company)s) ends on %(date)s."
    ),
    NotificationKind.MEETING: _("A meeting on %(date)s will discuss procedures you follow."),
}


def _shown(name: str, value: Any) -> Any:
    """A parameter as the reader sees it: dates (``...date``, ISO) in the active language."""
    if name.endswith("date") and isinstance(value, str):
        try:
            return formats.date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")
        except ValueError:
            return value
    return value


def message(notification: Notification) -> str:
    """The notification's text, in the active language."""
    params = {name: _shown(name, value) for name, value in notification.params.items()}
    try:
        return str(MESSAGES[NotificationKind(notification.kind)]) % params
    except (KeyError, ValueError, TypeError):  # a kind or its parameters no longer known
        return str(NotificationKind(notification.kind).label)


def channels(user: User) -> dict[str, str]:
    """How ``user`` receives each kind (the default where they have not chosen)."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channel"))
    return {kind: chosen.get(kind, DEFAULT_CHANNEL) for kind in NotificationKind.values}


def preferences_save(user: User, chosen: dict[str, str], language: str) -> None:
    """Store ``user``'s channel per kind and e-mail language (validated by the form)."""
    with transaction.atomic():
        for kind, channel in chosen.items():
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"channel": channel}
            )
        if language != user.language:
            user.language = language
            user.save(update_fields=["language"])


def notify(
    recipients: Iterable[User | int | None],
    kind: str,
    *,
    key: str,
    url: str,
    params: dict[str, Any] | None = None,
    actor: User | None = None,
) -> None:
    """Tell ``recipients`` (users or ids) about ``kind`` once the transaction commits.

    ``key`` names the event (one notification per recipient and key); ``actor``, who caused
    it, is not told of their own action. ``params`` fill the kind's message: plain values,
    never a worker's personal data."""
    ids = {getattr(r, "pk", r) for r in recipients if r is not None}
    ids.discard(getattr(actor, "pk", None))
    if not ids:
        return
    task = current_app.tasks[DELIVER_TASK]
    args = [sorted(ids), str(kind), key, params or {}, url]
    transaction.on_commit(lambda: task.delay(*args))


def deliver(recipient_ids: list[int], kind: str, key: str, params: dict, url: str) -> int:
    """Create the notifications (once per recipient and key) and send the e-mails due now.

    Idempotent: a second delivery creates nothing and sends only e-mails not yet sent. Returns
    the number of e-mails sent."""
    users = User.objects.filter(pk__in=recipient_ids, is_active=True)
    chosen = dict(
        NotificationPreference.objects.filter(user__in=users, kind=kind).values_list(
            "user_id", "channel"
        )
    )
    for user in users:
        channel = chosen.get(user.pk, DEFAULT_CHANNEL)
        if channel == Channel.OFF:
            continue
        try:
            with transaction.atomic():
                Notification.objects.get_or_create(
                    recipient=user,
                    key=key,
                    defaults={"kind": kind, "params": params, "url": url, "channel": channel},
                )
        except IntegrityError:  # created meanwhile by a concurrent delivery
            continue
    due = Notification.objects.filter(
        recipient__in=users, key=key, channel=Channel.EMAIL, emailed_at__isnull=True
    ).select_related("recipient")
    return _email(list(due), digest=False)


def digest_send() -> int:
    """The daily digest: one e-mail per user with the notifications they chose to receive so,
    not yet e-mailed. Idempotent (each is marked when sent). Returns the e-mails sent."""
    due = (
        Notification.objects.filter(channel=Channel.DIGEST, emailed_at__isnull=True)
        .select_related("recipient")
        .order_by("recipient_id", "created_at", "pk")
    )
    by_user: dict[int, list[Notification]] = {}
    for notification in due:
        by_user.setdefault(notification.recipient_id, []).append(notification)
    sent = 0
    for notifications in by_user.values():
        sent += _email(notifications, digest=True)
    return sent


def link(url: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + url


def _email(notifications: list[Notification], *, digest: bool) -> int:
    """Send ``notifications`` (one e-mail each, or one digest for one user); mark them sent."""
    groups = [notifications] if digest else [[n] for n in notifications]
    sent = 0
    for group in groups:
        recipient = group[0].recipient
        if recipient.email:
            with translation.override(recipient.language or settings.LANGUAGE_CODE):
                items = [{"text": message(n), "link": link(n.url)} for n in group]
                context = {"items": items, "digest": digest, "home": link("/")}
                subject = (
                    _("Your daily summary from the crisis units portal")
                    if digest
                    else items[0]["text"]
                )
                text = render_to_string("notifications/email.txt", context)
                html = render_to_string("notifications/email.html", context)
            mail = EmailMultiAlternatives(str(subject), text, None, [recipient.email])
            mail.attach_alternative(html, "text/html")
            mail.send()
            sent += 1
        # Without an address there is nothing to send: marked all the same, not retried.
        Notification.objects.filter(pk__in=[n.pk for n in group]).update(emailed_at=timezone.now())
    return sent


def unread(user: User):
    return Notification.objects.filter(recipient=user, read_at__isnull=True)


def mark_read(user: User, pk: int | None = None, at: datetime | None = None) -> int:
    """Mark ``user``'s notification ``pk`` (all of them when ``None``) read; how many changed."""
    rows = unread(user)
    if pk is not None:
        rows = rows.filter(pk=pk)
    return rows.update(read_at=at or timezone.now())
