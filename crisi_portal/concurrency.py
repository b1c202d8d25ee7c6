"""Safe concurrent writes through the API: ``ETag``, ``If-Match`` and ``If-None-Match``.

Every object the API shows carries an ``ETag``: a strong entity tag, the SHA-256 of the
object's JSON representation for the caller (so it changes whenever anything the client sees
changes: a field, a unit of the procedure, the outcome of an involvement). Writes to that
object (PUT, PATCH, DELETE and the actions a viewset lists in ``conditional_actions``) honour
``If-Match`` (RFC 9110 §13.1.1): a tag that is no longer current is refused with 412 and
nothing changes, so two systems cannot overwrite each other silently. For workers' data
(``if_match_required``: involvement writes, step moves, outcomes) the header is required: a
write without it is refused with 428. ``If-None-Match`` on a GET answers 304 when the client's
copy is current.

The check and the write happen in one transaction with the object's row locked, so of two
writers holding the same tag one waits, then finds the tag stale. Out of scope still answers
404 and not editable 403, before any precondition is looked at (scoping comes first).
"""

import hashlib
import json

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from crisi_portal.errors import DomainError
from crisi_portal.filtersets import MAX_ID

# Writes after which the answer carries the object's new ETag (besides conditional_actions).
ETAG_AFTER_ACTIONS = frozenset({"create", "update", "partial_update"})
DEFAULT_CONDITIONAL_ACTIONS = frozenset({"update", "partial_update", "destroy"})


class PreconditionFailed(DomainError):
    status = 412
    code = "precondition_failed"


class PreconditionRequired(DomainError):
    status = 428
    code = "precondition_required"


class InvalidHeader(DomainError):
    status = 400
    code = "invalid_header"


def representation_etag(data) -> str:
    """A strong entity tag for a JSON representation (independent of key order)."""
    payload = json.dumps(data, cls=JSONEncoder, sort_keys=True, separators=(",", ":"))
    return '"' + hashlib.sha256(payload.encode()).hexdigest()[:40] + '"'


def parse_tags(header: str) -> list[str]:
    """The entity tags of an ``If-Match``/``If-None-Match`` header (``*`` kept as is)."""
    tags = []
    for part in header.split(","):
        part = part.strip()
        if part:
            tags.append(part)
    return tags


def check_if_match(request, current: str, *, required: bool) -> None:
    """Raise 412 when ``If-Match`` names no current tag, 428 when it is required and absent.

    Comparison is strong (RFC 9110 §8.8.3.2): a weak tag (``W/"…"``) never matches. Where the
    header is required, ``*`` alone is not enough (428): the client must show which version
    it read.
    """
    header = request.headers.get("If-Match")
    if header is not None and not header.strip():
        # A header sent empty is no tag and no "*": a client that lost the ETag it read.
        raise InvalidHeader(
            _("If-Match is empty: send the ETag you last read, or leave the header out."),
            field="If-Match",
        )
    if header is None:
        if required:
            raise PreconditionRequired(
                _(
                    "Send the ETag you last read in If-Match: workers' data is changed only "
                    "by a client that has seen its current version."
                ),
                field="If-Match",
            )
        return
    tags = parse_tags(header)
    if "*" in tags:
        if not required:
            return
        if tags == ["*"]:
            # "*" holds whenever the object exists (RFC 9110 §13.1.1): not a failed condition
            # (412) but a missing one, the tag of the version the client read (428).
            raise PreconditionRequired(
                _(
                    "If-Match: * is not enough here: send the ETag you last read, workers' "
                    "data is changed only by a client that has seen its current version."
                ),
                field="If-Match",
            )
    if current not in tags:
        raise PreconditionFailed(
            _(
                "The object has changed since you read it (If-Match does not match its "
                "current ETag): nothing was saved. Read it again and repeat the change."
            ),
            field="If-Match",
        )


def not_modified(request, current: str) -> bool:
    """Whether ``If-None-Match`` (weak comparison) names the current tag, or is ``*``."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = [tag.removeprefix("W/") for tag in parse_tags(header)]
    return "*" in tags or current in tags


# --- Schema -------------------------------------------------------------------------------

# RFC 9110 §13.1.1: "*" or a list of entity tags (printable ASCII between quotes, W/ if weak).
ENTITY_TAG = r'(W/)?"[!#-~]*"'
ENTITY_TAGS = rf"{ENTITY_TAG}(\s*,\s*{ENTITY_TAG})*"

IF_MATCH = OpenApiParameter(
    "If-Match",
    {"type": "string", "pattern": rf"^\s*(\*|{ENTITY_TAGS})\s*$"},
    OpenApiParameter.HEADER,
    description="The ETag of the object as last read; a stale one is refused with 412.",
)
IF_MATCH_REQUIRED = OpenApiParameter(
    "If-Match",
    {"type": "string", "pattern": rf"^\s*{ENTITY_TAGS}\s*$"},  # "*" is not enough: 428
    OpenApiParameter.HEADER,
    required=True,
    description=(
        "The ETag of the involvement as last read (GET /api/v1/involvements/{id}/). Required "
        "for workers' data: missing → 428, stale → 412."
    ),
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="An ETag the client holds: 304 Not Modified when it is still current.",
)
PRECONDITION_RESPONSES = {
    412: OpenApiResponse(
        description="If-Match does not match the current ETag: nothing changed "
        "(application/problem+json)"
    ),
}
PRECONDITION_REQUIRED_RESPONSES = {
    **PRECONDITION_RESPONSES,
    428: OpenApiResponse(
        description="If-Match is required for this write (application/problem+json)"
    ),
}


def _project_schema_class():
    # Extends whatever AutoSchema the project configures, so both apply.
    from django.conf import settings
    from django.utils.module_loading import import_string

    return import_string(settings.REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"])


ETAG_HEADER = {
    "ETag": {
        "schema": {"type": "string"},
        "description": "The object's version: send it back in If-Match to change it.",
    }
}


class ConditionalAutoSchema(_project_schema_class()):
    """Documents, per operation, the ETag header, If-Match / If-None-Match and 304/412/428."""

    def _action(self) -> str | None:
        return getattr(self.view, "action", None)

    def _conditional(self) -> bool:
        return self.method not in permissions.SAFE_METHODS and self._action() in getattr(
            self.view, "conditional_actions", ()
        )

    def _required(self) -> bool:
        return self._action() in getattr(self.view, "if_match_required", ())

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._conditional():
            parameters.append(IF_MATCH_REQUIRED if self._required() else IF_MATCH)
        elif self._action() == "retrieve":
            parameters.append(IF_NONE_MATCH)
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        action = self._action()
        tagged = action == "retrieve" or self._conditional()
        tagged = tagged or action in getattr(self.view, "etag_after_actions", ())
        if tagged and self.method != "DELETE":
            for code, response in responses.items():
                if code.startswith("2"):
                    response.setdefault("headers", {}).update(ETAG_HEADER)
        if action == "retrieve":
            responses.setdefault("304", {"description": "Not Modified: If-None-Match is current."})
        if self._conditional():
            for code, response in (
                PRECONDITION_REQUIRED_RESPONSES if self._required() else PRECONDITION_RESPONSES
            ).items():
                responses.setdefault(str(code), {"description": response.description})
        return responses


class ConditionalViewSetMixin:
    """ETags on every object, ``If-Match`` on its writes, ``If-None-Match`` on its reads.

    Put it before the scoping mixin: ``get_object`` then checks scope (404/403) first.
    ``conditional_actions``: detail actions that honour ``If-Match``; ``if_match_required``:
    those that refuse a write without it (428).
    """

    schema = ConditionalAutoSchema()
    conditional_actions: frozenset[str] = DEFAULT_CONDITIONAL_ACTIONS
    if_match_required: frozenset[str] = frozenset()
    etag_after_actions: frozenset[str] = ETAG_AFTER_ACTIONS

    def _is_conditional_write(self) -> bool:
        return (
            self.request.method not in permissions.SAFE_METHODS
            and getattr(self, "action", None) in self.conditional_actions
        )

    def dispatch(self, request, *args, **kwargs):
        # The precondition and the write share one transaction (the row is locked in
        # get_object); any refusal rolls back everything the request did.
        action = getattr(self, "action_map", {}).get(request.method.lower())
        self._own_transaction = (
            request.method not in permissions.SAFE_METHODS and action in self.conditional_actions
        )
        if self._own_transaction:
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if getattr(self, "_own_transaction", False) and response.status_code >= 400:
            transaction.set_rollback(True)
        return response

    def object_etag(self, obj) -> str:
        return representation_etag(self.get_serializer(obj).data)

    def _lock(self) -> None:
        """Lock the row named in the URL before reading it (a no-op on SQLite).

        Only the lock is taken here: whether the caller sees the row is get_object's answer.
        """
        value = str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, ""))
        if not value.isdigit() or int(value) > MAX_ID:
            return  # not an id: get_object answers 404
        model = self.get_queryset().model
        list(model._default_manager.select_for_update().filter(pk=int(value)).values("pk"))

    def check_preconditions(self, obj) -> None:
        if self._is_conditional_write():
            check_if_match(
                self.request,
                self.object_etag(obj),
                required=self.action in self.if_match_required,
            )

    def get_object(self):
        if self._is_conditional_write():
            self._lock()
        obj = super().get_object()
        self.check_preconditions(obj)
        return obj

    def _fresh_etag(self, pk) -> str | None:
        obj = self.get_queryset().filter(pk=pk).first()
        return None if obj is None else self.object_etag(obj)

    def finalize_response(self, request, response, *args, **kwargs):
        action = getattr(self, "action", None)
        ok = isinstance(response, Response) and 200 <= response.status_code < 300
        if ok and not response.has_header("ETag") and request.method != "DELETE":
            etag = None
            if action == "retrieve" and isinstance(response.data, dict):
                etag = representation_etag(response.data)
                if not_modified(request, etag):
                    response = Response(status=status.HTTP_304_NOT_MODIFIED)
            elif action in self.etag_after_actions or action in self.conditional_actions:
                # After a write: the tag of the object as a GET now shows it.
                pk = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
                if pk is None and isinstance(response.data, dict):
                    pk = response.data.get("id")
                if pk is not None:
                    etag = self._fresh_etag(pk)
            if etag is not None:
                response["ETag"] = etag
        return super().finalize_response(request, response, *args, **kwargs)
