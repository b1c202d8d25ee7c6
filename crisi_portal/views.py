from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views import defaults

from crisi_portal import problems


@login_required
def home(request):
    return render(request, "home.html")


def page_not_found(request, exception):
    if request.path.startswith("/api/"):
        return problems.api_handler404(request, exception)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith("/api/"):
        return problems.api_handler500(request)
    return defaults.server_error(request)
