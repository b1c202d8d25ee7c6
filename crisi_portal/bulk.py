"""Bulk writes through the API: all or nothing, every refused item named by its index.

``bulk_apply`` runs one service call per item, each in its own savepoint inside one
transaction; if any item is refused, everything is rolled back and the 422 problem lists, for
every refused item, its ``index`` in the request, the ``field`` and the reason. Requests are
bounded: at most ``BULK_MAX_ITEMS`` items, and the JSON body at most ``API_JSON_MAX_BYTES``
(413, crisi_portal/parsers.py).
"""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import exceptions, serializers

from crisi_portal import api_fields
from crisi_portal.errors import DomainError
from crisi_portal.problems import django_validation_errors, flatten_errors

BULK_MAX_ITEMS = 500


class BulkRefused(DomainError):
    code = "bulk_refused"


class BulkRequestSerializer(serializers.Serializer):
    items = serializers.ListField(
        child=serializers.DictField(),
        min_length=1,
        max_length=BULK_MAX_ITEMS,
        help_text=f"1 to {BULK_MAX_ITEMS} objects, each as the single upsert takes it.",
    )


class BulkItemResultSerializer(serializers.Serializer):
    index = api_fields.IntegerField(help_text="Position of the item in the request.")
    id = api_fields.IntegerField()
    external_id = api_fields.CharField()
    created = api_fields.BooleanField()


class BulkResultSerializer(serializers.Serializer):
    created = api_fields.IntegerField()
    updated = api_fields.IntegerField()
    items = BulkItemResultSerializer(many=True)


def _item_errors(index: int, exc: Exception) -> list[dict]:
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
    elif isinstance(exc, DjangoValidationError):
        errors = django_validation_errors(exc)
    elif isinstance(exc, DomainError):
        errors = exc.errors or [{"field": exc.field, "message": exc.message}]
    elif isinstance(exc, PermissionDenied | exceptions.PermissionDenied):
        errors = [{"field": None, "message": str(exc) or _("You may not change this object.")}]
    else:  # Http404, NotFound: out of scope reads exactly like "does not exist"
        errors = [{"field": None, "message": _("Not found.")}]
    return [{"index": index, **error} for error in errors]


REFUSALS = (
    exceptions.ValidationError,
    DjangoValidationError,
    DomainError,
    PermissionDenied,
    exceptions.PermissionDenied,
    Http404,
    exceptions.NotFound,
)


def bulk_apply(items: list[Any], apply_one: Callable[[Any], Any]) -> list[Any]:
    """``apply_one(item)`` for every item, all or nothing (see the module's docstring)."""
    results, errors = [], []
    with transaction.atomic():
        for index, item in enumerate(items):
            try:
                with transaction.atomic():
                    results.append(apply_one(item))
            except REFUSALS as exc:
                errors.extend(_item_errors(index, exc))
        if errors:
            transaction.set_rollback(True)
    if errors:
        refused = len({error["index"] for error in errors})
        raise BulkRefused(
            ngettext(
                "%(n)d item was refused: nothing was saved.",
                "%(n)d items were refused: nothing was saved.",
                refused,
            )
            % {"n": refused},
            errors=errors,
        )
    return results
