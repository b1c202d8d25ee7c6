"""The published contract (``/api/v1/schema/``): every status an operation can answer, exactly.

``ApiAutoSchema`` is the project's ``DEFAULT_SCHEMA_CLASS`` (``ConditionalAutoSchema`` in
crisi_portal/concurrency.py extends it). On top of what each view declares, every operation
lists the errors the stack in front of it can answer, as ``application/problem+json`` with
the one ``Problem`` component that crisi_portal/problems.py emits:

- 401, 403, 406, 429 and 503 everywhere: a missing/bad token, a role or scope that does not
  allow it, an ``Accept`` the API cannot answer, the throttles (crisi_portal/throttling.py,
  also before authentication), the database gone away (crisi_portal/faults.py);
- 400 where there is something to read: query parameters (filters, pagination) or a body;
- 404 where the path names an object (out of scope is 404 too), or a cursor a page;
- 409 on deletes (records still refer to it) and the actions a view lists in
  ``conflict_actions``;
- 412 where ``If-Match`` is honoured, 428 where it is required (ConditionalAutoSchema);
- 413, 415 and 422 on writes: a body too large, of a type not accepted, or refused by a rule.

Responses carry the rate-limit headers (``X-RateLimit-*``), 429 and 503 ``Retry-After``, 401
``WWW-Authenticate``. Parameters get their real bounds: ids from 1 to the largest bigint,
years 1–9999, ``limit`` from 1 (capped at MAX_LIMIT), ``offset`` from 0.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import permissions, serializers

from crisi_portal.filtersets import MAX_ID, IdFilter, YearFilter, is_free_text
from crisi_portal.pagination import MAX_LIMIT
from crisi_portal.problems import PROBLEM_MEDIA_TYPE

PROBLEM_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "One thing wrong with the request. Bulk writes add the index of the refused item, "
        "file imports the line and column of the bad cell."
    ),
    "properties": {
        "field": {
            "type": "string",
            "nullable": True,
            "description": "The field, parameter or header at fault (null: the whole request).",
        },
        "message": {"type": "string"},
        "index": {
            "type": "integer",
            "minimum": 0,
            "description": "Bulk writes: the position of the item in the body.",
        },
        "line": {
            "type": "integer",
            "nullable": True,
            "description": "File imports: the line of the file (1 is the header).",
        },
        "column": {
            "type": "string",
            "nullable": True,
            "description": "File imports: the column of the file.",
        },
    },
    "required": ["message"],
    "additionalProperties": True,
}

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An error, as RFC 9457 describes (application/problem+json).",
    "properties": {
        "type": {
            "type": "string",
            "description": (
                "about:blank, with the error's code as fragment (e.g. about:blank#throttled)."
            ),
        },
        "title": {"type": "string", "description": "The HTTP status phrase."},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What went wrong, for a person."},
        "instance": {
            "type": "string",
            "nullable": True,
            "description": "The path (and query) of the request.",
        },
        "errors": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/ProblemError"},
            "description": "Each field, parameter or row at fault (validation errors).",
        },
    },
    "required": ["type", "title", "status"],
}

DESCRIPTIONS = {
    "400": "The query parameters or the body cannot be read: errors[] names each one",
    "401": "No valid credentials (missing, unknown, expired or revoked token)",
    "403": "Your role or your token's scopes do not allow this",
    "404": "No such object in your scope",
    "406": "The Accept header names no type the API answers in (JSON, problem+json)",
    "409": "The request conflicts with the current state: nothing changed",
    "412": "If-Match does not match the current ETag: nothing changed",
    "413": "The request body is too large",
    "415": "The body's Content-Type is not accepted",
    "422": "Refused by a rule or not valid: errors[] names each field; nothing was saved",
    "428": "If-Match is required for this write",
    "429": "Too many requests: wait Retry-After seconds",
    "503": "The service is unavailable (database): try again after Retry-After seconds",
}

RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": {
        "schema": {"type": "integer", "minimum": 0},
        "description": "Requests allowed in the current window (the tightest quota).",
    },
    "X-RateLimit-Remaining": {
        "schema": {"type": "integer", "minimum": 0},
        "description": "Requests left in the current window.",
    },
    "X-RateLimit-Reset": {
        "schema": {"type": "integer", "minimum": 0},
        "description": "Seconds until the quota is whole again.",
    },
}
RETRY_AFTER_HEADER = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 0},
        "description": "Seconds to wait before trying again.",
    }
}
WWW_AUTHENTICATE_HEADER = {
    "WWW-Authenticate": {
        "schema": {"type": "string"},
        "description": "The authentication scheme to use (Token).",
    }
}

ID_SCHEMA = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}
YEAR_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 9999}
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DESCRIPTIVE = frozenset({"title", "description", "nullable", "readOnly", "writeOnly", "default"})
DECIMAL_STRING = r"^-?[0-9]+(\.[0-9]+)?$"
NO_NUL = r"^[^\x00]*$"


def problem_statuses(operation: dict, *, method: str, conflict: bool) -> set[str]:
    """The error statuses an operation can answer (besides those its view declares)."""
    parameters = operation.get("parameters", [])
    statuses = {"401", "403", "406", "429", "503"}  # 406: an Accept the API cannot answer
    write = method in UNSAFE_METHODS
    if write or "requestBody" in operation or any(p["in"] == "query" for p in parameters):
        statuses.add("400")
    if any(p["in"] == "path" for p in parameters):
        statuses.add("404")
    if any(p["in"] == "query" and p["name"] == "cursor" for p in parameters):
        statuses.add("404")  # a cursor that names no page (pagination.py)
    if method == "DELETE" or conflict:
        statuses.add("409")
    if_match = [p for p in parameters if p["in"] == "header" and p["name"] == "If-Match"]
    if if_match:
        statuses.add("412")
        if if_match[0].get("required"):
            statuses.add("428")
    if write:
        statuses |= {"413", "415", "422"}
    return statuses


def model_field(field):
    """The model field a ModelSerializer field reads (None for computed or dotted sources)."""
    model = getattr(getattr(getattr(field, "parent", None), "Meta", None), "model", None)
    source = getattr(field, "source", None)
    if model is None or not isinstance(source, str) or "." in source or source == "*":
        return None
    try:
        return model._meta.get_field(source)
    except FieldDoesNotExist:
        return None


def may_be_blank(field) -> bool:
    """Whether a serializer field can hold "" (its own allow_blank, or its model field's)."""
    if getattr(field, "allow_blank", False):
        return True
    return bool(getattr(model_field(field), "blank", False))


def model_field_is_null(field) -> bool:
    column = model_field(field)
    # Concrete columns only: reverse relations say null=True and are lists.
    return bool(getattr(column, "concrete", False) and column.null and not column.many_to_many)


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with the errors, headers and bounds described above."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        self._bound_parameters(operation)
        self._document_problems(operation)
        return operation

    # --- fields ------------------------------------------------------------------------------

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        kind = schema.get("format") if isinstance(schema, dict) else None
        if kind in ("email", "uri") and "anyOf" not in schema and may_be_blank(field):
            # "" is a valid value of the field, and not an email address or a URI.
            schema = {key: value for key, value in schema.items() if key not in ("type", "format")}
            schema["anyOf"] = [
                {"type": "string", "format": kind},
                {"type": "string", "maxLength": 0},
            ]
        if (
            isinstance(field, serializers.PrimaryKeyRelatedField)
            and isinstance(schema, dict)
            and schema.get("type") == "integer"
        ):
            schema.update(minimum=1, maximum=MAX_ID)  # an id, as in the path and the filters
        if (
            direction == "request"
            and isinstance(field, serializers.DecimalField)
            and isinstance(schema, dict)
            and schema.get("type") == "number"
        ):
            # An amount may come as a decimal string ("4500.00", exact) as well as a number
            # (crisi_portal/api_fields.py); answers are numbers.
            number = {key: value for key, value in schema.items() if key not in DESCRIPTIVE}
            schema = {key: value for key, value in schema.items() if key in DESCRIPTIVE}
            schema["oneOf"] = [number, {"type": "string", "pattern": DECIMAL_STRING}]
        if isinstance(schema, dict) and field.read_only and model_field_is_null(field):
            # A read-only relation or value of a NULL column (e.g. a worker's residence
            # province) is null in the answer: AutoSchema only looks at allow_null.
            if "$ref" in schema:  # a reference takes no siblings in OpenAPI 3.0
                schema = {"allOf": [schema]}
            schema["nullable"] = True
        return schema

    # --- errors ----------------------------------------------------------------------------

    def _problem_ref(self) -> dict:
        error = ResolvedComponent(
            name="ProblemError",
            type=ResolvedComponent.SCHEMA,
            object="ProblemError",
            schema=PROBLEM_ERROR_SCHEMA,
        )
        problem = ResolvedComponent(
            name="Problem",
            type=ResolvedComponent.SCHEMA,
            object="Problem",
            schema=PROBLEM_SCHEMA,
        )
        self.registry.register_on_missing(error)
        self.registry.register_on_missing(problem)
        return problem.ref

    def _document_problems(self, operation: dict) -> None:
        action = getattr(self.view, "action", None)
        conflict = action in getattr(self.view, "conflict_actions", ())
        responses = operation.setdefault("responses", {})
        for status in problem_statuses(operation, method=self.method, conflict=conflict):
            responses.setdefault(status, {"description": DESCRIPTIONS[status]})
        content = {PROBLEM_MEDIA_TYPE: {"schema": self._problem_ref()}}
        for status, response in responses.items():
            headers = response.setdefault("headers", {})
            if status != "503":  # answered before (or instead of) the throttles
                headers.update(RATE_LIMIT_HEADERS)
            if not status.isdigit() or int(status) < 400:
                continue
            response["content"] = content
            if status in ("429", "503"):
                headers.update(RETRY_AFTER_HEADER)
            if status == "401":
                headers.update(WWW_AUTHENTICATE_HEADER)
            if not headers:
                del response["headers"]
        operation["responses"] = dict(sorted(responses.items()))

    # --- parameters --------------------------------------------------------------------------

    def _filters(self) -> dict:
        filterset_class = getattr(self.view, "filterset_class", None)
        if filterset_class is None or self.method not in permissions.SAFE_METHODS:
            return {}
        return filterset_class.base_filters

    def _bound_parameters(self, operation: dict) -> None:
        filters = self._filters()
        for parameter in operation.get("parameters", []):
            name, where = parameter["name"], parameter["in"]
            if where == "path" and parameter["schema"].get("type") == "integer":
                parameter["schema"] = dict(ID_SCHEMA)
            elif where != "query":
                continue
            elif name == "limit":
                parameter["schema"] = {"type": "integer", "minimum": 1, "default": 50}
                parameter["description"] = (
                    f"Results per page, from 1; a value above {MAX_LIMIT} is brought down to "
                    f"{MAX_LIMIT} (default 50)."
                )
            elif name == "offset":
                # No default: generated clients would send it on every page.
                parameter["schema"] = {"type": "integer", "minimum": 0}
                parameter["description"] = (
                    "Index of the first result, from 0 (offset pages). A cursor page "
                    "(paging=cursor, or a cursor) starts at its cursor and does not use it."
                )
            elif name == "cursor":
                parameter["description"] = (
                    "The position of a cursor page: copy it from the next link. Not used on "
                    "an offset page (paging=offset); one that names no page is a 404."
                )
            else:
                filter_ = filters.get(name)
                if isinstance(filter_, IdFilter):
                    parameter["schema"] = dict(ID_SCHEMA)
                elif isinstance(filter_, YearFilter):
                    parameter["schema"] = dict(YEAR_SCHEMA)
                elif isinstance(filter_, django_filters.ModelChoiceFilter) and parameter[
                    "schema"
                ].get("type") in ("integer", "number"):
                    parameter["schema"] = dict(ID_SCHEMA)
                elif is_free_text(filter_) and parameter["schema"].get("type") == "string":
                    # Text a database can hold: no NUL character (a 400 naming the parameter).
                    parameter["schema"] = {**parameter["schema"], "pattern": NO_NUL}
                elif (
                    filter_ is not None
                    and not is_free_text(filter_)
                    and not isinstance(filter_, django_filters.OrderingFilter)
                    and parameter["schema"].get("type") == "string"
                ):
                    # Refused when empty (FilterBackend): a code, a date, a choice.
                    parameter["schema"] = {**parameter["schema"], "minLength": 1}
