"""Liveness and readiness probes for orchestrators and load balancers."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


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
    checks = {"database": _check_database(), "broker": _check_broker()}
    ready = all(error is None for error in checks.values())
    body = {"status": "ready" if ready else "unavailable"}
    if _may_see_details(request):
        body["checks"] = {
            name: ("ok" if error is None else error) for name, error in checks.items()
        }
        body["broker"] = "redis" if settings.CELERY_BROKER_URL else "in-process"
    return JsonResponse(body, status=200 if ready else 503)
