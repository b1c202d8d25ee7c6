"""STEP 3 meetings (issue #14 item 2): invitations, letters, attendance, the bulk move to
STEP 3, the second meeting, and the cohorts whose workers missed two meetings."""

import datetime
import subprocess

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from monitoring import cruscotto, todo
from pal import services
from pal.models import Attendance, InvitationChannel, Step3Invitation, Step3Meeting
from pal.step3 import invitation_measures
from tests.cases.factories import CrisisProcedureFactory, OperatorFactory, ProductionUnitFactory
from tests.pal.factories import DoteFactory, operator_staff
from tests.pal.step3_factories import MEETING_DAY, step3_meeting
from tests.workers.factories import CohortFactory, InvolvementFactory, WorkerFactory
from workers import services as workers_services
from workers.enums import Step
from workers.models import Involvement
from workers.services import BulkMoveRefused

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def cohort_with(n: int, province: str = "BG", *, emails: int = 0, step: str = Step.STEP_2, **kw):
    """A cohort of ``n`` workers at ``step`` (the first ``emails`` with an e-mail address)."""
    procedure = CrisisProcedureFactory(lead=province, **kw)
    unit = ProductionUnitFactory(procedure=procedure, in_province=province)
    cohort = CohortFactory(procedure=procedure, unit=unit)
    for i in range(n):
        worker = WorkerFactory(email=f"w{i}@example.org" if i < emails else "")
        involvement = InvolvementFactory(worker=worker, unit=unit, cohort=cohort)
        walk_to(involvement, step)
    return cohort


def walk_to(involvement, step: str, on: datetime.date = datetime.date(2025, 5, 2)) -> None:
    order = [Step.STEP_1, Step.STEP_2, Step.STEP_3, Step.STEP_4]
    start = order.index(involvement.current_step) + 1
    for target in order[start : order.index(step) + 1]:
        kwargs = {}
        if target == Step.STEP_4:
            from tests.pal.factories import measure

            kwargs["measure"] = measure()
        workers_services.involvement_move(
            user=None, involvement=involvement, to=target, effective_date=on, **kwargs
        )


def members(cohort):
    return list(Involvement.objects.filter(cohort=cohort).order_by("pk"))


# --- The meeting and its invitations ------------------------------------------------------------


def test_a_meeting_invites_its_cohorts_workers_but_not_the_exempted():
    cohort = cohort_with(3)
    exempted = members(cohort)[0]
    from tests.workers.factories import exemption_reason

    workers_services.involvement_move(
        user=None,
        involvement=exempted,
        to=Step.NO_PAL,
        effective_date=datetime.date(2025, 5, 3),
        exemption_reason=exemption_reason(),
    )
    meeting = step3_meeting([cohort])
    invited = set(meeting.invitations.values_list("involvement_id", flat=True))
    assert invited == {i.pk for i in members(cohort)[1:]}


def test_the_capacity_is_enforced_with_a_refusal_on_the_field():
    cohort = cohort_with(3)
    with pytest.raises(ValidationError) as exc:
        step3_meeting([cohort], capacity=2)
    assert "capacity" in exc.value.message_dict
    assert not Step3Meeting.objects.exists()
    meeting = step3_meeting([cohort], capacity=3)  # exactly full
    assert meeting.invitations.count() == 3
    # Lowering the capacity below the invited is refused too.
    with pytest.raises(ValidationError) as exc:
        services.step3_meeting_save(
            user=None, data={"capacity": 2}, cohorts=[cohort], meeting=meeting
        )
    assert "capacity" in exc.value.message_dict


def test_a_place_or_a_video_link_is_required_and_presenters_are_accredited():
    cohort = cohort_with(1)
    with pytest.raises(ValidationError) as exc:
        step3_meeting([cohort], place="")
    assert "place" in exc.value.message_dict
    assert step3_meeting([cohort], place="", video_link="https://meet.example.org/x").pk
    trainer = OperatorFactory(accredited_for_labour=False, accredited_for_training=True)
    with pytest.raises(ValidationError) as exc:
        step3_meeting([cohort], presenters=[trainer])
    assert "presenters" in exc.value.message_dict


def test_only_the_nucleo_of_the_province_convenes(staff_bg, staff_mi, region):
    cohort = cohort_with(1)
    data = {"province": staff_bg.provinces.get(), "date": MEETING_DAY}
    for user in (staff_mi, region):
        with pytest.raises(PermissionDenied):
            services.step3_meeting_save(
                user=user,
                data={**data, "start_time": datetime.time(9), "place": "X", "capacity": 5},
                cohorts=[cohort],
            )
    # The MI officer naming the BG cohort under their own Nucleo: the cohort is not theirs.
    with pytest.raises(ValidationError) as exc:
        services.step3_meeting_save(
            user=staff_mi,
            data={
                "province": staff_mi.provinces.get(),
                "date": MEETING_DAY,
                "start_time": datetime.time(9),
                "place": "X",
                "capacity": 5,
            },
            cohorts=[cohort],
        )
    assert "cohorts" in exc.value.message_dict


def test_invitations_go_by_email_or_letter_once(django_capture_on_commit_callbacks, staff_bg):
    cohort = cohort_with(3, emails=2)
    meeting = step3_meeting([cohort])
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.step3_invitations_send(user=staff_bg, meeting=meeting)
    assert sent == {"email": 2, "letter": 1}
    assert len(mail.outbox) == 2
    body = mail.outbox[0].body
    assert "Dote Unica Lavoro" in body  # the measures in force on the meeting's day
    assert meeting.date.strftime("%d/%m/%Y") in body
    rows = meeting.invitations.all()
    assert {r.channel for r in rows if r.involvement.worker.email} == {InvitationChannel.EMAIL}
    assert all(r.sent_at and r.sent_by == staff_bg for r in rows)
    # Sending again reaches nobody twice.
    with django_capture_on_commit_callbacks(execute=True):
        again = services.step3_invitations_send(user=staff_bg, meeting=meeting)
    assert again == {"email": 0, "letter": 0}
    assert len(mail.outbox) == 2
    assert Step3Invitation.objects.filter(meeting=meeting).count() == 3


def test_invitation_measures_are_those_in_force_on_the_meeting_day():
    cohort = cohort_with(1)
    involvement = members(cohort)[0]
    from tests.pal.factories import measure

    dul = measure()
    dul.valid_until = MEETING_DAY - datetime.timedelta(days=1)  # closed the day before
    dul.save()
    listed = invitation_measures([involvement], MEETING_DAY)[involvement.pk]
    assert dul not in listed
    assert dul in invitation_measures([involvement], dul.valid_until)[involvement.pk]


def test_invitation_measures_leave_out_those_the_worker_may_not_receive():
    """The letter lists only the measures the worker's rules admit (pal.eligibility): a
    measure admitting only NASpI is not offered to a worker on CIGS, and is once it admits
    CIGS too."""
    cohort = cohort_with(1)
    involvement = members(cohort)[0]
    involvement.income_support = "cigs"
    involvement.save()
    from tests.pal.factories import measure

    dul = measure()
    dul.income_supports = ["naspi"]
    dul.save()
    assert dul not in invitation_measures([involvement], MEETING_DAY)[involvement.pk]
    dul.income_supports = ["naspi", "cigs"]
    dul.save()
    assert dul in invitation_measures([involvement], MEETING_DAY)[involvement.pk]


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "letters.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_pages(content: bytes, tmp_path) -> int:
    path = tmp_path / "pages.pdf"
    path.write_bytes(content)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(next(line for line in info.stdout.splitlines() if line.startswith("Pages:"))[6:])


def test_the_letters_pdf_has_one_page_per_worker_of_that_meeting_only(client, staff_bg, tmp_path):
    ours = cohort_with(2)
    theirs = cohort_with(1)
    meeting = step3_meeting([ours])
    other = step3_meeting([theirs])
    for m in (meeting, other):
        services.step3_invitations_send(user=staff_bg, meeting=m)
    client.force_login(staff_bg)
    response = client.get(reverse("pal:step3_letters", args=[meeting.pk]), **EN)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    disposition = response["Content-Disposition"]
    assert disposition == f'inline; filename="step3-{meeting.pk}-letters.pdf"'
    text = pdf_text(response.content, tmp_path)
    for involvement in members(ours):
        assert f"{involvement.worker.first_name} {involvement.worker.last_name}" in text
    stranger = members(theirs)[0].worker
    assert stranger.fiscal_code not in text
    assert f"{stranger.first_name} {stranger.last_name}" not in text
    assert "Dote Unica Lavoro" in text
    assert pdf_pages(response.content, tmp_path) == 2
    assert not any(i.worker.last_name in disposition for i in members(ours))


# --- Attendance and the move to STEP 3 ----------------------------------------------------------


def record(client, meeting, values: dict):
    data = {f"attendance-{inv.pk}": value for inv, value in values.items()}
    return client.post(reverse("pal:step3_attendance", args=[meeting.pk]), data, **EN)


def invitation_of(meeting, involvement):
    return Step3Invitation.objects.get(meeting=meeting, involvement=involvement)


def test_attendance_then_the_present_at_step_1_or_2_move_to_step_3(client, staff_bg):
    cohort = cohort_with(5)
    one, two, three, four, five = members(cohort)
    workers_services.involvement_move(
        user=None,
        involvement=one,
        to=Step.STEP_1,
        effective_date=datetime.date(2025, 5, 3),
        reason="back to STEP 1 for the test",
    )
    walk_to(four, Step.STEP_3, on=datetime.date(2025, 5, 4))
    meeting = step3_meeting([cohort])
    client.force_login(staff_bg)
    response = record(
        client,
        meeting,
        {
            invitation_of(meeting, one): Attendance.PRESENT,
            invitation_of(meeting, two): Attendance.PRESENT,
            invitation_of(meeting, three): Attendance.ABSENT,
            invitation_of(meeting, four): Attendance.PRESENT,
            invitation_of(meeting, five): Attendance.JUSTIFIED,
        },
    )
    assert response.status_code == 302
    page = client.get(meeting.get_absolute_url(), **EN).text
    assert "2 present workers are at STEP 1 or 2" in page
    response = client.post(reverse("pal:step3_move", args=[meeting.pk]), **EN)
    assert response.status_code == 302
    steps = dict(Involvement.objects.filter(cohort=cohort).values_list("pk", "current_step"))
    assert steps == {
        one.pk: Step.STEP_3,
        two.pk: Step.STEP_3,
        three.pk: Step.STEP_2,
        four.pk: Step.STEP_3,  # already there: not moved again
        five.pk: Step.STEP_2,
    }
    assert four.transitions.filter(effective_date=MEETING_DAY).count() == 0
    assert one.transitions.latest_first().first().effective_date == MEETING_DAY
    page = client.get(meeting.get_absolute_url(), **EN).text
    assert "No present worker is waiting to move to STEP 3." in page
    # The absent, split: not justified and justified.
    absent = page[page.index('id="absent-list"') : page.index('id="justified-list"')]
    justified = page[page.index('id="justified-list"') :]
    assert str(three.worker) in absent and str(five.worker) not in absent
    assert str(five.worker) in justified and str(three.worker) not in justified


def test_the_move_is_all_or_nothing(staff_bg):
    cohort = cohort_with(2)
    ok, late = members(cohort)
    meeting = step3_meeting([cohort])
    services.step3_attendance_record(
        user=staff_bg,
        meeting=meeting,
        attendance={invitation_of(meeting, i).pk: Attendance.PRESENT for i in (ok, late)},
    )
    # A correction recorded after the meeting's day: moving on the meeting's day is refused.
    workers_services.involvement_move(
        user=None,
        involvement=late,
        to=Step.STEP_1,
        effective_date=MEETING_DAY + datetime.timedelta(days=1),
        reason="correction",
    )
    with pytest.raises(BulkMoveRefused) as exc:
        services.step3_move_present(user=staff_bg, meeting=meeting)
    assert [f.involvement.pk for f in exc.value.failures] == [late.pk]
    assert Involvement.objects.get(pk=ok.pk).current_step == Step.STEP_2
    assert Involvement.objects.get(pk=late.pk).current_step == Step.STEP_1


def test_attendance_waits_for_the_meeting_day(staff_bg):
    cohort = cohort_with(1)
    meeting = step3_meeting([cohort], date=timezone.localdate() + datetime.timedelta(days=3))
    with pytest.raises(ValidationError) as exc:
        services.step3_attendance_record(
            user=staff_bg,
            meeting=meeting,
            attendance={meeting.invitations.get().pk: Attendance.PRESENT},
        )
    assert "attendance" in exc.value.message_dict


def test_a_second_meeting_invites_only_the_absent(client, staff_bg):
    cohort = cohort_with(3)
    here, away, excused = members(cohort)
    meeting = step3_meeting([cohort])
    services.step3_attendance_record(
        user=staff_bg,
        meeting=meeting,
        attendance={
            invitation_of(meeting, here).pk: Attendance.PRESENT,
            invitation_of(meeting, away).pk: Attendance.ABSENT,
            invitation_of(meeting, excused).pk: Attendance.JUSTIFIED,
        },
    )
    client.force_login(staff_bg)
    url = reverse("pal:step3_create") + f"?follow_up_of={meeting.pk}"
    page = client.get(url, **EN)
    assert page.status_code == 200
    listed = page.text[page.text.index('id="follow-up-invitees"') :]
    listed = listed[: listed.index("</ul>")]
    assert str(away.worker) in listed and str(excused.worker) in listed
    assert str(here.worker) not in listed
    response = client.post(
        reverse("pal:step3_create"),
        {
            "follow_up_of": meeting.pk,
            "province": "BG",
            "cohorts": [cohort.pk],
            "date": "2025-06-20",
            "start_time": "10:00",
            "place": "Sala B",
            "capacity": 10,
        },
        **EN,
    )
    assert response.status_code == 302, response.content
    second = Step3Meeting.objects.get(follow_up_of=meeting)
    assert set(second.invitations.values_list("involvement_id", flat=True)) == {
        away.pk,
        excused.pk,
    }


# --- Missed twice: the to-do and the cruscotto --------------------------------------------------


def test_cohorts_with_a_worker_absent_twice_show_in_todo_and_cruscotto(staff_bg, staff_mi):
    cohort = cohort_with(2, highly_complex=True, current=True)
    first, second = members(cohort)
    excused_cohort = cohort_with(1)
    (excused,) = members(excused_cohort)
    for day in (MEETING_DAY, MEETING_DAY + datetime.timedelta(days=7)):
        meeting = step3_meeting([cohort, excused_cohort], date=day)
        services.step3_attendance_record(
            user=None,
            meeting=meeting,
            attendance={
                invitation_of(meeting, first).pk: Attendance.ABSENT,
                invitation_of(meeting, second).pk: Attendance.PRESENT,
                invitation_of(meeting, excused).pk: Attendance.JUSTIFIED,
            },
        )
    assert todo.todo_counts(staff_bg)["step3_missed"] == 1
    assert todo.todo_counts(staff_mi)["step3_missed"] == 0
    (section,) = [s for s in todo.todo_sections(staff_bg) if s.key == "step3_missed"]
    assert section.items[0]["url"] == cohort.get_absolute_url()
    rows = {p.pk: p.step3_missed_cohorts for p in cruscotto.cruscotto_procedures(staff_bg)}
    assert rows[cohort.procedure_id] == 1
    assert not list(cruscotto.cruscotto_procedures(staff_mi))


def test_one_absence_is_not_yet_missing_twice(staff_bg):
    cohort = cohort_with(1)
    (only,) = members(cohort)
    meeting = step3_meeting([cohort])
    services.step3_attendance_record(
        user=None,
        meeting=meeting,
        attendance={invitation_of(meeting, only).pk: Attendance.ABSENT},
    )
    assert todo.todo_counts(staff_bg)["step3_missed"] == 0


# --- Who sees what ------------------------------------------------------------------------------


def test_an_operator_sees_the_meetings_it_presents_and_only_its_own_workers(client):
    cohort = cohort_with(2)
    mine, other = members(cohort)
    presenter = OperatorFactory()
    DoteFactory(involvement=mine, operator=presenter)
    meeting = step3_meeting([cohort], presenters=[presenter])
    hidden = step3_meeting([cohort])
    user = operator_staff(presenter)
    client.force_login(user)
    page = client.get(meeting.get_absolute_url(), **EN)
    assert page.status_code == 200
    assert mine.worker.last_name in page.text
    assert other.worker.fiscal_code not in page.text
    assert f"{other.worker.last_name} {other.worker.first_name}" not in page.text
    assert client.get(hidden.get_absolute_url()).status_code == 404
    listing = client.get(reverse("pal:step3_list"), **EN).text
    assert meeting.get_absolute_url() in listing and hidden.get_absolute_url() not in listing


def test_the_list_filters_by_province_and_date(client, region):
    bg = step3_meeting([cohort_with(1)])
    mi = step3_meeting([cohort_with(1, "MI")], province="MI", date=datetime.date(2025, 7, 1))
    client.force_login(region)
    page = client.get(reverse("pal:step3_list"), {"province": "MI"}, **EN).text
    assert mi.get_absolute_url() in page and bg.get_absolute_url() not in page
    page = client.get(reverse("pal:step3_list"), {"date_before": "2025-06-30"}, **EN).text
    assert bg.get_absolute_url() in page and mi.get_absolute_url() not in page


def test_the_cohort_and_procedure_pages_link_to_the_meetings(client, staff_bg):
    cohort = cohort_with(1)
    client.force_login(staff_bg)
    page = client.get(cohort.get_absolute_url(), **EN).text
    assert reverse("pal:step3_list") + f"?cohort={cohort.pk}" in page
    page = client.get(cohort.procedure.get_absolute_url(), **EN).text
    assert reverse("pal:step3_list") + f"?procedure={cohort.procedure_id}" in page


# --- Fixed query counts -------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["pal:step3_detail", "pal:step3_list"])
def test_pages_keep_a_fixed_number_of_queries(
    route, client, staff_bg, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(n: int) -> int:
        cohorts = [cohort_with(n), cohort_with(n)]
        meeting = step3_meeting(cohorts)
        services.step3_invitations_send(user=staff_bg, meeting=meeting)
        client.force_login(staff_bg)
        url = reverse(route, args=[meeting.pk]) if route.endswith("detail") else reverse(route)
        client.get(url)  # warm the session and the to-do cache
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    small = queries(1)
    large = queries(6)
    assert small == large
    with django_assert_max_num_queries(20):
        client.get(reverse("pal:step3_list"))


def test_attendance_names_only_the_meetings_own_invitations(client, staff_bg):
    ours = step3_meeting([cohort_with(1)])
    theirs = step3_meeting([cohort_with(1)])
    foreign = theirs.invitations.get()
    client.force_login(staff_bg)
    record(client, ours, {foreign: Attendance.PRESENT, ours.invitations.get(): Attendance.ABSENT})
    assert Step3Invitation.objects.get(pk=foreign.pk).attendance == ""
    assert ours.invitations.get().attendance == Attendance.ABSENT
