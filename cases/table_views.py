"""Staff pages for the tables' agenda, participants and decisions, the calendar of meetings
and its iCalendar export (a download, and a personal subscription feed behind a secret)."""

import datetime
import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from cases import services, tables
from cases.forms import MeetingDecisionForm, MeetingParticipantForm
from cases.models import CalendarFeed, Meeting
from cases.selectors import calendar_feed_user
from cases.views import meeting_context
from crisi_portal.forms import add_refusal
from crisi_portal.roles import Role
from crisi_portal.scoping import ScopedViewMixin

STAFF_AND_REGION = frozenset({Role.PROVINCE_STAFF, Role.REGION_OFFICIAL})


def _back(meeting: Meeting, anchor: str):
    return redirect(f"{meeting.get_absolute_url()}#{anchor}")


def _refused(request, meeting: Meeting, exc: Exception | None = None, **forms) -> HttpResponse:
    """The meeting page again, with the refusal on top (and the bound form), status 422."""
    if isinstance(exc, ValidationError):
        refusals = exc.messages
    elif exc is not None:
        refusals = [str(exc) or _("You cannot change this meeting.")]
    else:
        refusals = []
    context = meeting_context(request.user, meeting, **forms)
    context["refusals"] = refusals
    return render(request, "cases/meeting_detail.html", context, status=422)


class MeetingAgendaView(ScopedViewMixin, View):
    """The agenda's order and topics: ``position-<procedure id>`` and ``topic-<id>``."""

    roles = STAFF_AND_REGION
    model = Meeting
    require_edit = True
    pk_url_kwarg = "pk"

    def post(self, request, pk):
        meeting = self.get_object()
        items = {}
        for key in request.POST:
            if key.startswith("topic-"):
                procedure_id = key.removeprefix("topic-")
                try:
                    position = int(request.POST.get(f"position-{procedure_id}") or 0)
                except ValueError:
                    position = 0
                items[procedure_id] = (max(0, min(position, 999)), request.POST[key])
        try:
            services.meeting_agenda_update(user=request.user, meeting=meeting, items=items)
        except (ValidationError, PermissionDenied) as exc:
            return _refused(request, meeting, exc)
        messages.success(request, _("Agenda saved."))
        return _back(meeting, "agenda")


class MeetingParticipantsView(ScopedViewMixin, View):
    """Add a participant, or remove one (``remove`` = its id)."""

    roles = STAFF_AND_REGION
    model = Meeting
    require_edit = True
    pk_url_kwarg = "pk"

    def post(self, request, pk):
        meeting = self.get_object()
        if "remove" in request.POST:
            try:
                services.meeting_participant_remove(
                    user=request.user, meeting=meeting, participant_id=request.POST["remove"]
                )
            except (ValidationError, PermissionDenied) as exc:
                return _refused(request, meeting, exc)
            messages.success(request, _("Participant removed."))
            return _back(meeting, "participants")
        form = MeetingParticipantForm(request.POST)
        if not form.is_valid():
            return _refused(request, meeting, participant_form=form)
        try:
            services.meeting_participant_add(
                user=request.user, meeting=meeting, **form.cleaned_data
            )
        except (ValidationError, PermissionDenied) as exc:
            return _refused(request, meeting, exc)
        messages.success(request, _("Participant added."))
        return _back(meeting, "participants")


class MeetingDecisionsView(ScopedViewMixin, View):
    """Record a decision (whoever may change the meeting), or mark one done / not done
    (``done`` / ``undone`` = its id; also the officers of the procedure it is about)."""

    roles = STAFF_AND_REGION
    model = Meeting
    pk_url_kwarg = "pk"

    def post(self, request, pk):
        meeting = self.get_object()
        for action in ("done", "undone"):
            if action in request.POST:
                try:
                    services.meeting_decision_mark_done(
                        user=request.user,
                        meeting=meeting,
                        decision_id=request.POST[action],
                        done=action == "done",
                    )
                except (ValidationError, PermissionDenied) as exc:
                    return _refused(request, meeting, exc)
                messages.success(request, _("Decision updated."))
                return _back(meeting, "decisions")
        if not Meeting.objects.editable_by(request.user).filter(pk=meeting.pk).exists():
            raise PermissionDenied
        form = MeetingDecisionForm(request.POST, procedures=tables.agenda(meeting, request.user))
        if not form.is_valid():
            return _refused(request, meeting, decision_form=form)
        data = form.cleaned_data
        try:
            services.meeting_decision_add(
                user=request.user,
                meeting=meeting,
                procedure_id=data["procedure"],
                kind=data["kind"],
                text=data["text"],
                due_on=data["due_on"],
            )
        except (ValidationError, PermissionDenied) as exc:
            add_refusal(form, exc)
            return _refused(request, meeting, decision_form=form)
        messages.success(request, _("Decision recorded."))
        return _back(meeting, "decisions")


def _month(request) -> datetime.date:
    """The month asked for (``?month=YYYY-MM``), this month otherwise."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", request.GET.get("month", ""))
    if match and 1900 <= int(match[1]) <= 2100 and 1 <= int(match[2]) <= 12:
        return datetime.date(int(match[1]), int(match[2]), 1)
    return timezone.localdate().replace(day=1)


class MeetingCalendarView(ScopedViewMixin, View):
    """The meetings the user may see, one month at a time: a grid or a list."""

    roles = STAFF_AND_REGION
    layout = "month"

    def get(self, request):
        first = _month(request)
        start, end = tables.month_bounds(first.year, first.month)
        weeks = None
        if self.layout == "month":
            grid = tables.month_weeks(first.year, first.month, [])
            start, end = grid[0][0].date, grid[-1][-1].date
        meetings = list(
            tables.calendar_meetings(request.user).filter(date__gte=start, date__lte=end)
        )
        if self.layout == "month":
            weeks = tables.month_weeks(first.year, first.month, meetings)
        context = {
            "layout": self.layout,
            "month": first,
            "previous": tables.shift_month(first, -1),
            "next": tables.shift_month(first, 1),
            "weeks": weeks,
            "meetings": [m for m in meetings if m.date.month == first.month],
            "has_feed": CalendarFeed.objects.filter(user=request.user).exists(),
        }
        return render(request, "cases/meeting_calendar.html", context)


def _ics_response(user, request, filename: str, attachment: bool = True) -> HttpResponse:
    meetings = tables.calendar_meetings(user)
    body = tables.ical_calendar(
        _("Crisis tables"),
        tables.meeting_events(meetings, request.build_absolute_uri, request.get_host()),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    if attachment:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class MeetingCalendarDownloadView(ScopedViewMixin, View):
    roles = STAFF_AND_REGION

    def get(self, request):
        return _ics_response(request.user, request, "tavoli.ics")


class CalendarFeedView(ScopedViewMixin, View):
    """The personal subscription: issue a secret (shown once), replace it, or revoke it."""

    roles = STAFF_AND_REGION

    def get(self, request):
        context = {
            "feed": CalendarFeed.objects.filter(user=request.user).first(),
            "feed_url": request.session.pop("calendar_feed_url", None),
        }
        return render(request, "cases/calendar_feed.html", context)

    def post(self, request):
        if "revoke" in request.POST:
            services.calendar_feed_revoke(user=request.user)
            messages.success(request, _("Subscription revoked: the old address no longer works."))
        else:
            token = services.calendar_feed_issue(user=request.user)
            # Shown once on the next page (the session, not the URL, carries it).
            request.session["calendar_feed_url"] = request.build_absolute_uri(
                reverse("cases:calendar_feed_ics", args=[token])
            )
        return redirect("cases:calendar_feed")


def calendar_feed_ics(request, token: str):
    """The subscription feed: no session, the secret says whose; the meetings that user may
    see now. An unknown or revoked secret answers 404."""
    user = calendar_feed_user(token)
    if user is None:
        raise Http404
    return _ics_response(user, request, "tavoli.ics", attachment=False)
