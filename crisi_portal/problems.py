"""Errors as application/problem+json (RFC 9457), for every API response.

One handler turns DRF exceptions, Django ValidationErrors raised by services and
domain refusals into problem documents; ``api_handler404``/``api_handler500`` cover
URLs that never reach a DRF view.
"""

from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler

from crisi_portal.errors import DomainError

PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemJSONRenderer(JSONRenderer):
    media_type = PROBLEM_MEDIA_TYPE
    format = "problem+json"


def problem(status_code: int, *, detail: str = "", code: str = "", **extra: Any) -> dict:
    body = {
        "type": f"about:blank#{code}" if code else "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
    }
    if detail:
        body["detail"] = detail
    body.update(extra)
    return body


def flatten_errors(detail: Any, prefix: str = "") -> list[dict]:
    """DRF's nested error dicts as a flat list of {"field", "message"}."""
    if isinstance(detail, dict):
        flat = []
        for key, value in detail.items():
            if isinstance(key, int):  # ListSerializer errors come keyed by item index
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            if key in ("non_field_errors", "__all__"):
                name = prefix or None
            flat.extend(flatten_errors(value, name or ""))
        return flat
    if isinstance(detail, list):
        flat = []
        for index, item in enumerate(detail):
            if isinstance(item, dict | list) and not isinstance(item, str):
                flat.extend(flatten_errors(item, f"{prefix}[{index}]" if prefix else str(index)))
            else:
                flat.append({"field": prefix or None, "message": str(item)})
        return flat
    return [{"field": prefix or None, "message": str(detail)}]


def django_validation_errors(exc: DjangoValidationError) -> list[dict]:
    if hasattr(exc, "error_dict"):
        return [
            {"field": None if field == "__all__" else field, "message": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return [{"field": None, "message": message} for message in exc.messages]


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    request = context.get("request")
    instance = request.get_full_path() if request is not None else None
    if request is not None and not getattr(exc, "echo_query", True):
        instance = request.path  # the query string is what was refused: not echoed back

    if isinstance(exc, DomainError):
        body = problem(exc.status, detail=exc.message, code=exc.code, errors=exc.errors)
        response = Response(body, status=exc.status)
    elif isinstance(exc, ProtectedError | RestrictedError):
        # A delete that other records still point at. The exception lists those records
        # (workers by name): none of it reaches the answer or a log line.
        detail = _("Other records still refer to it: it cannot be deleted.")
        response = Response(problem(409, detail=detail, code="protected"), status=409)
    elif isinstance(exc, DjangoValidationError):
        errors = django_validation_errors(exc)
        body = problem(
            422,
            detail=_("The data is not valid: nothing was saved."),
            code="validation_error",
            errors=errors,
        )
        response = Response(body, status=422)
    elif isinstance(exc, exceptions.ValidationError):
        body = problem(
            422,
            detail=_("The data is not valid: nothing was saved."),
            code="validation_error",
            errors=flatten_errors(exc.detail),
        )
        response = Response(body, status=422)
    else:
        if isinstance(exc, Http404):
            exc = exceptions.NotFound()
        elif isinstance(exc, PermissionDenied):
            exc = exceptions.PermissionDenied()
        response = exception_handler(exc, context)
        if response is None:
            return None
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        code = getattr(detail, "code", "") or ""
        response.data = problem(response.status_code, detail=str(detail), code=code)

    response.data["instance"] = instance
    if request is not None:
        request.accepted_renderer = ProblemJSONRenderer()
        request.accepted_media_type = PROBLEM_MEDIA_TYPE
    return response


def _problem_response(request, status_code: int, detail: str) -> JsonResponse:
    body = problem(status_code, detail=detail, instance=request.path)
    return JsonResponse(body, status=status_code, content_type=PROBLEM_MEDIA_TYPE)


def api_handler404(request, exception=None) -> JsonResponse:
    return _problem_response(request, status.HTTP_404_NOT_FOUND, _("Not found."))


def api_handler500(request) -> JsonResponse:
    return _problem_response(
        request, status.HTTP_500_INTERNAL_SERVER_ERROR, _("An unexpected error occurred.")
    )
