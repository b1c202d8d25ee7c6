"""End-to-end journey of a STEP 3 meeting (issue #14 item 2), in headless Chromium.

A Nucleo officer opens a cohort, creates a STEP 3 meeting for it, sends the invitations,
records attendance on the meeting's day, confirms the all-or-nothing move of the present to
STEP 3, and finds them at STEP 3 on the cohort's page. The database is checked after.
"""

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from pal.models import Attendance, InvitationChannel, Step3Invitation, Step3Meeting
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.workers.factories import CohortFactory, InvolvementFactory
from workers import services as workers_services
from workers.enums import Step
from workers.models import Involvement


def _cohort_at_step_2(n: int):
    procedure = CrisisProcedureFactory(lead="BG")
    unit = ProductionUnitFactory(procedure=procedure, in_province="BG")
    cohort = CohortFactory(procedure=procedure, unit=unit)
    for _ in range(n):
        involvement = InvolvementFactory(unit=unit, cohort=cohort)
        workers_services.involvement_move(
            user=None,
            involvement=involvement,
            to=Step.STEP_2,
            effective_date=datetime.date(2025, 5, 2),
        )
    return cohort


def test_a_step3_meeting_from_invitation_to_the_move(page, live_server, make_officer, login):
    today = timezone.localdate()
    cohort = _cohort_at_step_2(3)
    make_officer("nucleo.bg", "BG")
    login("nucleo.bg")

    # The cohort's page offers a new STEP 3 meeting, the cohort already chosen.
    page.goto(f"{live_server.url}{cohort.get_absolute_url()}")
    expect(page.locator("ul.step-counts .step-count-STEP_3 .step-count-n")).to_have_text("0")
    page.get_by_role("link", name="New STEP 3 meeting").click()
    expect(page.locator(f'input[name="cohorts"][value="{cohort.pk}"]')).to_be_checked()
    page.locator("#id_province").select_option("BG")
    page.locator("#id_date").fill(today.isoformat())
    page.locator("#id_start_time").fill("09:30")
    page.locator("#id_end_time").fill("11:00")
    page.locator("#id_place").fill("Sala del Nucleo Crisi")
    page.locator("#id_capacity").fill("20")
    page.get_by_role("button", name="Create the meeting").click()
    expect(page.locator("h1")).to_contain_text("STEP 3 meeting of")
    meeting = Step3Meeting.objects.get()
    assert meeting.invitations.count() == 3

    # Invitations: nobody has an address here, so three letters to print.
    page.locator("#send-invitations").click()
    expect(page.locator(".alert-success")).to_contain_text("0 by e-mail, 3 letters to print")
    assert set(meeting.invitations.values_list("channel", flat=True)) == {InvitationChannel.LETTER}
    expect(page.get_by_role("link", name="Letters to print (PDF)")).to_be_visible()

    # Attendance for the whole list in one form: two present, one absent.
    invitations = list(meeting.invitations.order_by("pk"))
    for invitation, value in zip(
        invitations, (Attendance.PRESENT, Attendance.PRESENT, Attendance.ABSENT), strict=True
    ):
        page.locator(f"#attendance-{invitation.pk}").select_option(value)
    page.locator("#record-attendance").click()
    expect(page.locator("#move")).to_contain_text("2 present workers are at STEP 1 or 2")

    # The bulk move, confirmed: all together or none.
    page.locator("#confirm-move").click()
    expect(page.locator(".alert-success")).to_contain_text("2 workers moved to STEP 3.")
    present = [i.involvement_id for i in invitations[:2]]
    assert set(
        Involvement.objects.filter(pk__in=present).values_list("current_step", flat=True)
    ) == {Step.STEP_3}
    absent = Step3Invitation.objects.get(pk=invitations[2].pk).involvement
    assert absent.current_step == Step.STEP_2
    expect(page.locator("#absent-list li")).to_have_count(1)
    expect(page.get_by_role("link", name="Create a second meeting for the absent")).to_be_visible()

    # The cohort's page shows the present at STEP 3.
    page.locator("#meeting-facts").get_by_role("link", name=cohort.name).click()
    expect(page.locator("ul.step-counts .step-count-STEP_3 .step-count-n")).to_have_text("2")
    for pk in present:
        expect(page.locator(f"#involvement-{pk} .badge-step-STEP_3")).to_be_visible()
