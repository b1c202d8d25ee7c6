import sys

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views import defaults

from crisi_portal import faults, problems


@login_required
def home(request):
    return render(request, "home.html")


def page_not_found(request, exception):
    if request.path.startswith("/api/"):
        return problems.api_handler404(request, exception)
    return defaults.page_not_found(request, exception)


def server_error(request):
    # The database failing outside a view (e.g. saving the session) reaches here, not the
    # middleware: still a 503, not a 500.
    exc = sys.exc_info()[1]
    if isinstance(exc, faults.UNAVAILABLE_ERRORS):
        return faults.database_unavailable_response(request, exc)
    if request.path.startswith("/api/"):
        return problems.api_handler500(request)
    return defaults.server_error(request)
