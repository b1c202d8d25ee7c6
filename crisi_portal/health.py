"""Liveness and readiness probes for orchestrators and load balancers, and the API's
``/api/v1/status`` (ModI)."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from crisi_portal import api_fields
from crisi_portal.faults import RETRY_AFTER_SECONDS
from crisi_portal.problems import PROBLEM_MEDIA_TYPE, ProblemJSONRenderer, problem


@require_GET
@never_cache
def healthz(request) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return f"{type(exc).__name__}: {exc}"
    return None


def _check_broker() -> str | None:
    if not settings.CELERY_BROKER_URL:
        return None  # tasks run in-process: there is no broker to reach
    from crisi_portal.celery import app

    try:
        # The URL settings hold now, not the one the Celery app cached when it loaded.
        with app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    return None


def _may_see_details(request) -> bool:
    """Staff, or a caller with READYZ_TOKEN: error texts name hosts and ports."""
    token = settings.READYZ_TOKEN
    sent = request.headers.get("X-Readyz-Token", "")
    if token and sent and constant_time_compare(sent, token):
        return True
    try:
        user = request.user
        return bool(user.is_authenticated and user.is_staff)
    except Exception:  # noqa: BLE001 - no database, no session: not staff
        return False


@require_GET
@never_cache
def readyz(request) -> JsonResponse:
    checks = vital_checks()
    ready = all(error is None for error in checks.values())
    body = {"status": "ready" if ready else "unavailable"}
    if _may_see_details(request):
        body["checks"] = {
            name: ("ok" if error is None else error) for name, error in checks.items()
        }
        body["broker"] = "redis" if settings.CELERY_BROKER_URL else "in-process"
    return JsonResponse(body, status=200 if ready else 503)


# --- /api/v1/status (AgID ModI) --------------------------------------------------------------


class ServiceStatusSerializer(serializers.Serializer):
    type = api_fields.CharField(help_text="about:blank, or about:blank#service_unavailable.")
    title = api_fields.CharField(help_text="OK, or Service Unavailable.")
    status = api_fields.IntegerField(help_text="200 or 503, as the HTTP status.")
    detail = api_fields.CharField(required=False)


def vital_checks() -> dict[str, str | None]:
    """What the service cannot work without (readyz's checks): ``None`` for each that works."""
    return {"database": _check_database(), "broker": _check_broker()}


class ApiStatusView(APIView):
    """The API's status as the Italian interoperability guidelines (ModI) ask.

    ``GET /api/v1/status``, no credentials: a problem document (RFC 9457) with ``status`` 200
    while the service works, 503 while something vital does not (the database, the broker —
    the checks of ``readyz``). It names no host, port or driver message, and is never cached.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [ProblemJSONRenderer]

    @extend_schema(
        operation_id="status",
        summary="Whether the API is up (ModI /status), no credentials needed",
        description=(
            "200 with a problem document whose status is 200 while the service works; 503 "
            "with Retry-After while the database or another vital service is down. "
            "Never cached (Cache-Control: no-store)."
        ),
        auth=[],
        responses={
            (200, PROBLEM_MEDIA_TYPE): OpenApiResponse(
                response=ServiceStatusSerializer, description="The service works."
            ),
            (503, PROBLEM_MEDIA_TYPE): OpenApiResponse(
                response=ServiceStatusSerializer,
                description="A vital service (database, broker) is down; retry later.",
            ),
        },
        tags=["status"],
    )
    def get(self, request):
        down = [name for name, error in vital_checks().items() if error is not None]
        if down:
            body = problem(
                503,
                detail=_("The service is unavailable: try again later."),
                code="service_unavailable",
            )
            response = Response(body, status=503)
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        else:
            response = Response(problem(200, detail=_("The service is working.")), status=200)
        response["Cache-Control"] = "no-store"
        return response
