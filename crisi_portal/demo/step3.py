"""Demo STEP 3 meetings (issue #14 item 2): a past one with attendance recorded and the
present moved to STEP 3, and an upcoming one with its invitations sent. Through the services,
as the Nucleo of Bergamo would do it; once only."""

from datetime import date, time, timedelta

from django.db.models import Count, Q

from crisi_portal.demo.reference import DEMO_PREFIX
from crisi_portal.models import User
from pal import services
from pal.models import Attendance, Operator, Step3Meeting
from workers.enums import Step
from workers.models import Cohort, Involvement
from workers.services import BulkMoveRefused

# Invited per demo meeting (each invitation with an address is an e-mail on the console).
INVITED = 12


def _cohorts(province: str):
    """Demo cohorts of the province with workers still at STEP 1/2, the fullest first."""
    return (
        Cohort.objects.filter(
            procedure__external_id__startswith=DEMO_PREFIX, unit__province_id=province
        )
        .annotate(
            waiting=Count(
                "involvements",
                filter=Q(involvements__current_step__in=(Step.STEP_1, Step.STEP_2)),
            )
        )
        .filter(waiting__gt=0)
        .order_by("-waiting", "pk")
    )


def _invitees(cohort: Cohort) -> list[Involvement]:
    rows = cohort.involvements.filter(current_step=Step.STEP_2).order_by("pk")
    return list(rows[:INVITED])


def seed_step3(today: date) -> int:
    """The demo STEP 3 meetings; returns how many were created (0 when already there)."""
    if Step3Meeting.objects.filter(cohorts__procedure__external_id__startswith=DEMO_PREFIX):
        return 0
    officer = User.objects.filter(username="nucleo.bg").first()
    cohorts = list(_cohorts("BG")[:2])
    if officer is None or not cohorts:
        return 0
    presenters = list(Operator.objects.filter(accredited_for_labour=True).order_by("pk")[:2])
    created = 0
    plans = [(cohorts[0], today - timedelta(days=1), True)]
    if len(cohorts) > 1:
        plans.append((cohorts[1], today + timedelta(days=10), False))
    for cohort, day, held in plans:
        invitees = _invitees(cohort)
        if not invitees:
            continue
        meeting = services.step3_meeting_save(
            user=officer,
            data={
                "province": cohort.unit.province,
                "date": day,
                "start_time": time(9, 30),
                "end_time": time(11, 30),
                "place": "Sala riunioni del Nucleo Crisi, Via Tasso 8, Bergamo",
                "capacity": 30,
                "notes": "Presentazione di Dote Unica Lavoro e delle Azioni di rete.",
            },
            cohorts=[cohort],
            presenters=presenters,
            involvements=invitees,
        )
        services.step3_invitations_send(user=officer, meeting=meeting)
        created += 1
        if not held:
            continue
        # Most came, one excused, two did not: the present are moved to STEP 3.
        sheet = {}
        for n, invitation in enumerate(meeting.invitations.order_by("pk")):
            value = Attendance.PRESENT
            if n == 1:
                value = Attendance.JUSTIFIED
            elif n in (2, 3):
                value = Attendance.ABSENT
            sheet[invitation.pk] = value
        services.step3_attendance_record(user=officer, meeting=meeting, attendance=sheet)
        try:
            services.step3_move_present(user=officer, meeting=meeting)
        except BulkMoveRefused:
            pass  # a demo worker moved later than the meeting: the move stays offered
    return created
