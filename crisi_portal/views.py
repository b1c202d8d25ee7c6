import sys
from functools import cache

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import defaults
from django.views.decorators.http import require_GET, require_POST
from markdown_it import MarkdownIt

from crisi_portal import faults, notifications, problems
from crisi_portal.forms import NotificationPreferencesForm

# --- Notifications (issue #13) -------------------------------------------------------------------


@login_required
@require_GET
def notification_list(request):
    """The user's notifications, newest first, unread ones marked."""
    page = Paginator(request.user.notifications.all(), 25).get_page(request.GET.get("page"))
    for notification in page.object_list:
        notification.text = notifications.message(notification)
    return render(request, "notifications/list.html", {"page_obj": page})


@login_required
@require_POST
def notification_open(request, pk: int):
    """Mark one of the user's notifications read and go to what it is about (someone else's
    answers like one that does not exist)."""
    notification = get_object_or_404(request.user.notifications, pk=pk)
    notifications.mark_read(request.user, notification.pk)
    return redirect(_local_path(notification.url))


@login_required
@require_POST
def notification_read_all(request):
    count = notifications.mark_read(request.user)
    messages.success(
        request,
        ngettext(
            "%(count)d notification marked as read.",
            "%(count)d notifications marked as read.",
            count,
        )
        % {"count": count},
    )
    return redirect("notification_list")


@login_required
def notification_preferences(request):
    user = request.user
    form = NotificationPreferencesForm(
        request.POST or None, channels=notifications.channels(user), language=user.language
    )
    if request.method == "POST":
        if form.is_valid():
            notifications.preferences_save(user, form.channels(), form.cleaned_data["language"])
            messages.success(request, _("Your notification preferences are saved."))
            return redirect("notification_preferences")
        return render(request, "notifications/preferences.html", {"form": form}, status=422)
    return render(request, "notifications/preferences.html", {"form": form})


def _local_path(url: str) -> str:
    """A notification's link is a path of this site; anything else goes home."""
    return url if url.startswith("/") and not url.startswith("//") else "/"


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
