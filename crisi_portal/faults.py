"""The database going away mid-request: a clean 503, not a 500 with a stack trace.

``OperationalError`` and ``InterfaceError`` mean the database cannot be reached or the
connection broke (server stopped, connection terminated, network cut): nothing the caller did
wrong, and worth retrying later. The API answers a 503 problem, the HTML pages a 503 page;
neither says more than "the database is unavailable" (no host, port or driver message). The log
line keeps the error class and the driver's message for the operators, without the traceback.

Integrity errors, programming errors and the like are *not* caught: they are bugs and stay 500s.
"""

import logging

from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

from crisi_portal import problems

logger = logging.getLogger("crisi_portal.faults")

UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def database_unavailable_response(request, exc: BaseException) -> HttpResponse:
    request.database_unavailable = True
    logger.error(
        "database unavailable during %s %s: %s: %s",
        request.method,
        request.path,
        type(exc).__name__,
        str(exc).strip()[:200],
    )
    if request.path.startswith("/api/"):
        body = problems.problem(
            503,
            detail=_("The database is unavailable: the request was not completed. Try again."),
            code="database_unavailable",
            instance=request.path,
        )
        response = JsonResponse(body, status=503, content_type=problems.PROBLEM_MEDIA_TYPE)
    else:
        # 503.html stands alone: base.html would need the user, i.e. the database.
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """Turns a view's OperationalError/InterfaceError into the 503 (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, UNAVAILABLE_ERRORS):
            return database_unavailable_response(request, exception)
        return None


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, except that the 503 of a database gone away leaves the session alone.

    With ``SESSION_SAVE_EVERY_REQUEST`` (the idle timeout) Django reads the session's expiry
    while answering, even a 5xx it will not save: that read would go to the database that just
    went away and turn the clean 503 into an error.
    """

    def process_response(self, request, response):
        if getattr(request, "database_unavailable", False):
            return response
        return super().process_response(request, response)
