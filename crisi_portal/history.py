"""The audit history (django-simple-history) with the API client behind each change.

simple-history records who (``history_user``: for an API request, the token's user); every
historical model built with :class:`AuditedHistoricalRecords` also records *which client*:
the token the request was authenticated with (its name and key prefix identify the system).
"""

from django.db import models
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from crisi_portal.models import ApiClientHistory


class AuditedHistoricalRecords(HistoricalRecords):
    """``HistoricalRecords`` whose rows also name the API token of the request."""

    def __init__(self, *args, bases=(), **kwargs):
        super().__init__(*args, bases=[ApiClientHistory, *bases], **kwargs)


def current_api_token():
    """The API token of the request being served (set by ApiTokenAuthentication on the
    Django request simple-history's middleware keeps), or None."""
    request = getattr(HistoricalRecords.context, "request", None)
    return getattr(request, "api_token", None)


@receiver(pre_create_historical_record)
def record_api_client(sender, instance, history_instance, **kwargs) -> None:
    if hasattr(history_instance, "history_api_token_id"):
        history_instance.history_api_token = current_api_token()


def _bulk_history_attrs(user) -> dict:
    """What save()'s history rows get from the request (the signal above, the middleware's
    user), for the rows simple-history's bulk utilities write without either."""
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return {
        "default_user": user if authenticated else None,
        "custom_historical_attrs": {"history_api_token": current_api_token()},
    }


def bulk_create_recorded(objs, model, *, user=None, reason: str | None = "", batch_size: int = 500):
    """``bulk_create`` in batches, each object with its history row (user, API token, reason;
    ``None`` records none, as ``save()`` does without one)."""
    return bulk_create_with_history(
        objs,
        model,
        batch_size=batch_size,
        default_change_reason=reason,
        **_bulk_history_attrs(user),
    )


def bulk_update_recorded(
    objs, model, fields, *, user=None, reason: str = "", batch_size: int = 500
) -> int:
    """``bulk_update`` of ``fields`` in batches, each object with its history row."""
    return bulk_update_with_history(
        objs,
        model,
        fields,
        batch_size=batch_size,
        default_change_reason=reason,
        **_bulk_history_attrs(user),
    )


def bulk_history_recorded(
    objs, model, *, user=None, reason: str = "", update: bool = False, batch_size: int = 500
) -> None:
    """Only the history rows of ``objs`` as they are in memory (``+``, or ``~`` with ``update``),
    for rows already written: replaying a sequence of changes without one UPDATE per change."""
    attrs = _bulk_history_attrs(user)
    model.history.bulk_history_create(
        objs,
        batch_size=batch_size,
        update=update,
        default_change_reason=reason,
        default_user=attrs["default_user"],
        custom_historical_attrs=attrs["custom_historical_attrs"],
    )


class TimestampedModel(models.Model):
    """When a row was created and last saved (``updated_at`` indexed: lists and syncs sort and
    filter on it). Models whose history records many-to-many fields inherit this one and
    declare their own ``history``."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


class AuditedModel(TimestampedModel):
    """Timestamps and the audit history: every concrete subclass gets its own historical
    model (``Historical<Model>``, in its own app), exactly as if it declared
    ``history = AuditedHistoricalRecords()`` itself."""

    history = AuditedHistoricalRecords(inherit=True)

    class Meta:
        abstract = True
