"""STEP 3 meetings (issue #14 item 2): the list, the meeting page with its invitations and
attendance, the form, the letters to print; the buttons that send, record and move.

Thin views (STYLE.md): rows through ``visible_to`` (404 outside the scope), writes through
``pal.services`` (403 when the user may not act), refusals shown on the field they name.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from crisi_portal.errors import DomainError
from crisi_portal.forms import add_service_errors
from crisi_portal.roles import Role
from crisi_portal.scoping import ScopedViewMixin, ensure_editable, is_editable
from pal import services
from pal.forms_step3 import ATTENDANCE_CHOICES, Step3FilterForm, Step3MeetingForm
from pal.models import Attendance, InvitationChannel, Step3Invitation, Step3Meeting
from pal.step3 import invitation_measures
from pal.views.printing import pdf_response
from workers.models import Cohort, Involvement
from workers.selectors import can_see_identity, log_identity_reads
from workers.services import BulkMoveRefused

READERS = frozenset({Role.PROVINCE_STAFF, Role.REGION_OFFICIAL, Role.OPERATOR})
STAFF = frozenset({Role.PROVINCE_STAFF})
ABSENT = (Attendance.ABSENT, Attendance.JUSTIFIED)


def _meetings(user):
    return Step3Meeting.objects.visible_to(user).select_related("province")


class Step3ListView(ScopedViewMixin, View):
    """The STEP 3 meetings the user sees, by province and date; ``?cohort=`` those of one."""

    roles = READERS

    def get(self, request):
        form = Step3FilterForm(request.GET or None)
        meetings = form.narrow(_meetings(request.user))
        links = Step3Meeting.cohorts.through.objects.filter(step3meeting=OuterRef("pk"))
        cohort = request.GET.get("cohort", "")
        if cohort.isdigit():
            meetings = meetings.filter(Exists(links.filter(cohort_id=int(cohort))))
        procedure = request.GET.get("procedure", "")
        if procedure.isdigit():
            meetings = meetings.filter(Exists(links.filter(cohort__procedure_id=int(procedure))))
        meetings = meetings.annotate(
            invited=Count("invitations", distinct=True),
            present=Count(
                "invitations",
                filter=Q(invitations__attendance=Attendance.PRESENT),
                distinct=True,
            ),
        ).prefetch_related(
            Prefetch(
                "cohorts",
                queryset=Cohort.objects.visible_to(request.user).select_related(
                    "procedure__company"
                ),
            )
        )
        meetings = meetings.order_by("-date", "-start_time", "-pk")
        page = Paginator(meetings, 50).get_page(request.GET.get("page"))
        return render(
            request,
            "pal/step3/list.html",
            {
                "filter_form": form,
                "page_obj": page,
                "meetings": page.object_list,
                "can_create": request.user.is_admin or request.user.is_province_staff,
            },
        )


class Step3DetailView(ScopedViewMixin, View):
    """The meeting: its cohorts, the invited workers (those the user sees), the attendance
    sheet and, once attendance is in, the move to STEP 3 and the second meeting."""

    roles = READERS

    def get(self, request, pk):
        user = request.user
        meeting = get_object_or_404(
            _meetings(user).prefetch_related(
                Prefetch(
                    "cohorts",
                    queryset=Cohort.objects.visible_to(user).select_related("procedure__company"),
                ),
                "presenters",
            ),
            pk=pk,
        )
        rows = list(
            meeting.invitations.visible_to(user).select_related(
                "involvement__worker", "involvement__cohort"
            )
        )
        totals = meeting.invitations.aggregate(
            invited=Count("pk"),
            pending=Count("pk", filter=Q(sent_at__isnull=True)),
            by_email=Count("pk", filter=Q(channel=InvitationChannel.EMAIL)),
            by_letter=Count("pk", filter=Q(channel=InvitationChannel.LETTER)),
            present=Count("pk", filter=Q(attendance=Attendance.PRESENT)),
            justified=Count("pk", filter=Q(attendance=Attendance.JUSTIFIED)),
            absent=Count("pk", filter=Q(attendance=Attendance.ABSENT)),
            movable=Count(
                "pk",
                filter=Q(
                    attendance=Attendance.PRESENT,
                    involvement__current_step__in=("STEP_1", "STEP_2"),
                ),
            ),
        )
        show_identity = can_see_identity(user)
        if show_identity:
            log_identity_reads(
                user,
                [row.involvement.worker for row in rows],
                purpose=_("workers invited to a STEP 3 meeting"),
                path=request.path,
            )
        editable = is_editable(meeting, user)
        return render(
            request,
            "pal/step3/detail.html",
            {
                "meeting": meeting,
                "rows": rows,
                "absent": [r for r in rows if r.attendance == Attendance.ABSENT],
                "justified": [r for r in rows if r.attendance == Attendance.JUSTIFIED],
                "totals": totals,
                "show_identity": show_identity,
                "can_edit": editable,
                "can_record": editable and meeting.date <= timezone.localdate(),
                "attendance_choices": ATTENDANCE_CHOICES,
            },
        )


class Step3FormView(ScopedViewMixin, View):
    """Create (``?follow_up_of=<id>``: a second meeting for the absent of one) or edit."""

    roles = STAFF

    def meeting(self):
        if "pk" not in self.kwargs:
            return None
        meeting = get_object_or_404(_meetings(self.request.user), pk=self.kwargs["pk"])
        ensure_editable(meeting, self.request.user)
        return meeting

    def follow_up_of(self, meeting):
        raw = self.request.POST.get("follow_up_of") or self.request.GET.get("follow_up_of", "")
        if meeting is not None or not raw.isdigit():
            return None
        previous = get_object_or_404(_meetings(self.request.user), pk=int(raw))
        ensure_editable(previous, self.request.user)
        return previous

    def absentees(self, previous):
        return list(
            Involvement.objects.filter(
                step3_invitations__meeting=previous,
                step3_invitations__attendance__in=ABSENT,
            ).select_related("worker")
        )

    def render_form(self, form, meeting, previous, invitees, status=200):
        return render(
            self.request,
            "pal/step3/form.html",
            {
                "form": form,
                "meeting": meeting,
                "previous": previous,
                "invitees": invitees,
                "show_identity": can_see_identity(self.request.user),
            },
            status=status,
        )

    def get(self, request, pk=None):
        meeting = self.meeting()
        previous = self.follow_up_of(meeting)
        invitees = self.absentees(previous) if previous else None
        initial = {}
        if previous is not None:
            initial = {
                "province": previous.province_id,
                "cohorts": list(previous.cohorts.all()),
                "presenters": list(previous.presenters.all()),
                "capacity": previous.capacity,
                "place": previous.place,
                "video_link": previous.video_link,
                "start_time": previous.start_time,
                "end_time": previous.end_time,
            }
        cohort = request.GET.get("cohort", "")
        if meeting is None and previous is None and cohort.isdigit():
            initial["cohorts"] = [int(cohort)]
        form = Step3MeetingForm(
            instance=meeting, initial=initial, user=request.user, follow_up=bool(previous)
        )
        return self.render_form(form, meeting, previous, invitees)

    def post(self, request, pk=None):
        meeting = self.meeting()
        previous = self.follow_up_of(meeting)
        invitees = self.absentees(previous) if previous else None
        form = Step3MeetingForm(
            request.POST, instance=meeting, user=request.user, follow_up=bool(previous)
        )
        if form.is_valid():
            data = {
                name: form.cleaned_data[name]
                for name in form.Meta.fields
                if name not in ("cohorts", "presenters")
            }
            try:
                saved = services.step3_meeting_save(
                    user=request.user,
                    data=data,
                    cohorts=list(form.cleaned_data["cohorts"]),
                    presenters=list(form.cleaned_data["presenters"]),
                    involvements=invitees,
                    follow_up_of=previous,
                    meeting=meeting,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("STEP 3 meeting saved."))
                return redirect(saved.get_absolute_url())
        return self.render_form(form, meeting, previous, invitees, status=422)


class _MeetingAction(ScopedViewMixin, View):
    roles = STAFF
    http_method_names = ["post"]

    def get_meeting(self, pk):
        return get_object_or_404(_meetings(self.request.user), pk=pk)


class Step3InviteView(_MeetingAction):
    def post(self, request, pk):
        meeting = self.get_meeting(pk)
        sent = services.step3_invitations_send(user=request.user, meeting=meeting)
        emails, letters = sent[InvitationChannel.EMAIL], sent[InvitationChannel.LETTER]
        if emails + letters == 0:
            messages.info(request, _("Every worker had already been invited: nothing was sent."))
        else:
            messages.success(
                request,
                _("Invitations sent: %(emails)d by e-mail, %(letters)d letters to print.")
                % {"emails": emails, "letters": letters},
            )
        return redirect(meeting.get_absolute_url())


class Step3AttendanceView(_MeetingAction):
    def post(self, request, pk):
        meeting = self.get_meeting(pk)
        ids = meeting.invitations.visible_to(request.user).values_list("pk", flat=True)
        attendance = {
            pk: request.POST.get(f"attendance-{pk}", "")
            for pk in ids
            if f"attendance-{pk}" in request.POST
        }
        try:
            changed = services.step3_attendance_record(
                user=request.user, meeting=meeting, attendance=attendance
            )
        except ValidationError as exc:
            for error in exc.message_dict.get("attendance", exc.messages):
                messages.error(request, error)
        else:
            messages.success(
                request,
                ngettext(
                    "Attendance recorded (%(n)d change).",
                    "Attendance recorded (%(n)d changes).",
                    changed,
                )
                % {"n": changed},
            )
        return redirect(meeting.get_absolute_url() + "#move")


class Step3MoveView(_MeetingAction):
    def post(self, request, pk):
        meeting = self.get_meeting(pk)
        try:
            moved = services.step3_move_present(user=request.user, meeting=meeting)
        except BulkMoveRefused as exc:
            messages.error(request, exc.message)
            for failure in exc.failures[:20]:
                messages.error(request, failure.message)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            workers = len({t.involvement_id for t in moved})
            messages.success(
                request,
                ngettext("%(n)d worker moved to STEP 3.", "%(n)d workers moved to STEP 3.", workers)
                % {"n": workers},
            )
        return redirect(meeting.get_absolute_url())


class Step3LettersView(ScopedViewMixin, View):
    """The invitation letters of a meeting, one A4 page per worker invited by letter. Personal
    data: not cached, no name in the file name."""

    roles = STAFF

    def get(self, request, pk):
        meeting = get_object_or_404(_meetings(request.user).prefetch_related("presenters"), pk=pk)
        ensure_editable(meeting, request.user)
        letters = list(
            Step3Invitation.objects.filter(meeting=meeting, channel=InvitationChannel.LETTER)
            .visible_to(request.user)
            .select_related("involvement__worker", "involvement__procedure__company")
            .order_by("involvement__worker__last_name", "involvement__worker__first_name", "pk")
        )
        measures = invitation_measures([i.involvement for i in letters], meeting.date)
        context = {
            "meeting": meeting,
            "letters": [(i, measures.get(i.involvement_id, [])) for i in letters],
            "presenters": list(meeting.presenters.all()),
            "printed_on": timezone.localdate(),
        }
        html = render(request, "pal/step3/letters.html", context).content.decode()
        return pdf_response(html, f"step3-{meeting.pk}-letters.pdf")
