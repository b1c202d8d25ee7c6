import sys
from functools import cache

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views import defaults
from django.views.decorators.http import require_GET
from markdown_it import MarkdownIt

from crisi_portal import faults, problems


@login_required
def home(request):
    return render(request, "home.html")


API_GUIDE = settings.BASE_DIR / "docs" / "api.md"


def render_guide(text: str) -> str:
    """Markdown (CommonMark and tables) as HTML; raw HTML in it is escaped, never kept."""
    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


@cache
def api_guide_html() -> str:
    return render_guide(API_GUIDE.read_text(encoding="utf-8"))


@require_GET
def api_guide(request):
    """The API guide for integrators (docs/api.md), public like the schema it explains."""
    # Escaped by markdown-it ("html": False): the only markup is what Markdown itself makes.
    html = api_guide_html()
    guide = mark_safe(html)  # noqa: S308  # nosec B308 - markdown-it escaped it; B703 too
    return render(request, "api_guide.html", {"guide": guide})


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
