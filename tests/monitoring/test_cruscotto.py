"""§5 Cruscotto: high-complexity procedures, next meeting, deadlines, workers per step."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.enums import Family, MeetingKind
from monitoring.cruscotto import STEP_FIELDS, cruscotto_procedures, deadline_counts
from tests.cases.factories import CrisisProcedureFactory, MeetingFactory, ProductionUnitFactory
from tests.workers.factories import InvolvementFactory, exemption_reason
from workers.enums import Step
from workers.services import involvement_move

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 2)
URL = reverse("monitoring:cruscotto")
CSV_URL = reverse("monitoring:cruscotto_csv")


@pytest.fixture
def english(settings):
    """These tests read the English messages; the portal's default language is Italian."""
    settings.LANGUAGE_CODE = "en"


def complex_procedure(lead="BG", *, days_left=None, today=TODAY, **kwargs):
    """A high-complexity procedure with one unit in its lead province."""
    if days_left is not None:
        kwargs["end_date"] = today + timedelta(days=days_left)
    procedure = CrisisProcedureFactory(lead=lead, highly_complex=True, **kwargs)
    ProductionUnitFactory(procedure=procedure)
    return procedure


def ids(procedures) -> list[str]:
    return [procedure.external_id for procedure in procedures]


def csv_text(response) -> str:
    """The body of a CSV download; it streams (StreamingHttpResponse), so it is read from
    ``streaming_content``, which can be read once."""
    if not hasattr(response, "csv_text"):
        response.csv_text = b"".join(response.streaming_content).decode()
    return response.csv_text


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(csv_text(response))))


# --- What is listed ------------------------------------------------------------------------------


def test_only_high_complexity_procedures_are_listed(region):
    complex_one = complex_procedure(days_left=200)
    CrisisProcedureFactory(with_unit=True)  # ordinary

    assert ids(cruscotto_procedures(region, today=TODAY)) == [complex_one.external_id]


def test_closed_procedures_are_left_out_unless_asked_for(region):
    running = complex_procedure(days_left=200)
    closed = complex_procedure(days_left=-10, closed=True)

    assert ids(cruscotto_procedures(region, today=TODAY)) == [running.external_id]
    listed = ids(cruscotto_procedures(region, today=TODAY, include_closed=True))
    assert listed == [closed.external_id, running.external_id]


# --- Next meeting --------------------------------------------------------------------------------


def test_the_next_meeting_is_the_earliest_not_yet_held(region):
    procedure = complex_procedure(days_left=200)
    other = complex_procedure(days_left=200)
    MeetingFactory(date=TODAY - timedelta(days=1), procedures=[procedure])  # already held
    MeetingFactory(date=TODAY + timedelta(days=20), procedures=[procedure])
    MeetingFactory(
        kind=MeetingKind.SINDACALE, date=TODAY + timedelta(days=9), procedures=[procedure]
    )
    MeetingFactory(date=TODAY + timedelta(days=2), procedures=[other])  # another procedure's

    row = cruscotto_procedures(region, today=TODAY).get(pk=procedure.pk)

    assert row.next_meeting_date == TODAY + timedelta(days=9)
    assert row.next_meeting_kind == MeetingKind.SINDACALE


def test_a_meeting_today_is_the_next_one(region):
    procedure = complex_procedure(days_left=200)
    meeting = MeetingFactory(regional=True, date=TODAY, procedures=[procedure])

    row = cruscotto_procedures(region, today=TODAY).get()

    assert (row.next_meeting_date, row.next_meeting_id) == (TODAY, meeting.pk)
    assert row.next_meeting_kind == MeetingKind.REGIONALE


def test_a_procedure_without_future_meetings_has_no_next_meeting(region):
    procedure = complex_procedure(days_left=200)
    MeetingFactory(date=TODAY - timedelta(days=30), procedures=[procedure])

    row = cruscotto_procedures(region, today=TODAY).get()

    assert row.next_meeting_date is None
    assert row.next_meeting_kind is None


# --- Deadline windows ----------------------------------------------------------------------------


def test_the_30_day_window_includes_day_30_and_excludes_day_31(region):
    on_day_30 = complex_procedure(days_left=30)
    on_day_31 = complex_procedure(days_left=31)

    assert ids(cruscotto_procedures(region, window=30, today=TODAY)) == [on_day_30.external_id]
    assert ids(cruscotto_procedures(region, window=60, today=TODAY)) == [
        on_day_30.external_id,
        on_day_31.external_id,
    ]


def test_a_meeting_within_the_window_puts_the_procedure_in_it(region):
    far_end = complex_procedure(days_left=300)
    MeetingFactory(date=TODAY + timedelta(days=45), procedures=[far_end])

    assert ids(cruscotto_procedures(region, window=30, today=TODAY)) == []
    assert ids(cruscotto_procedures(region, window=60, today=TODAY)) == [far_end.external_id]


def test_deadlines_already_past_are_in_no_window(region):
    ended = complex_procedure(days_left=-1)
    MeetingFactory(date=TODAY - timedelta(days=1), procedures=[ended])

    for window in (30, 60, 90):
        assert ids(cruscotto_procedures(region, window=window, today=TODAY)) == []


def test_an_unknown_window_is_refused(region):
    with pytest.raises(ValueError):
        cruscotto_procedures(region, window=45, today=TODAY)


def test_deadline_counts_per_window_in_one_query(region, django_assert_num_queries):
    complex_procedure(days_left=0)
    complex_procedure(days_left=30)
    complex_procedure(days_left=31)
    complex_procedure(days_left=90)
    complex_procedure(days_left=91)
    complex_procedure(end_date=None)
    meeting_soon = complex_procedure(days_left=400)
    MeetingFactory(date=TODAY + timedelta(days=5), procedures=[meeting_soon])
    CrisisProcedureFactory(with_unit=True, end_date=TODAY)  # not complex: not counted

    with django_assert_num_queries(1):
        counts = deadline_counts(region, today=TODAY)

    assert counts == {30: 3, 60: 4, 90: 5, None: 7}


def test_deadline_counts_follow_the_filters(region):
    complex_procedure(days_left=10, family=Family.CIGS_REGIONALE)
    complex_procedure(days_left=10, lead="MI")

    assert deadline_counts(region, today=TODAY, family=Family.CIGS_REGIONALE)[30] == 1
    assert deadline_counts(region, today=TODAY, province="MI") == {30: 1, 60: 1, 90: 1, None: 1}


# --- Workers -------------------------------------------------------------------------------------


def move(involvement, *steps):
    for step in steps:
        extra = {"exemption_reason": exemption_reason()} if step == Step.NO_PAL else {}
        involvement_move(user=None, involvement=involvement, to=step, effective_date=TODAY, **extra)


def test_workers_per_step_are_counted_for_each_procedure(region):
    procedure = complex_procedure(days_left=200)
    unit = procedure.units.get()
    second_unit = ProductionUnitFactory(procedure=procedure, workers_involved=25)
    InvolvementFactory(unit=unit)
    InvolvementFactory(unit=unit)
    move(InvolvementFactory(unit=second_unit), Step.STEP_2)
    move(InvolvementFactory(unit=unit), Step.STEP_2, Step.STEP_3)
    move(InvolvementFactory(unit=unit), Step.NO_PAL)
    other = complex_procedure(days_left=200)
    InvolvementFactory(unit=other.units.get())  # another procedure's worker

    row = cruscotto_procedures(region, today=TODAY).get(pk=procedure.pk)

    counts = {step: getattr(row, field) for step, field in STEP_FIELDS.items()}
    assert counts == {
        Step.STEP_1: 2,
        Step.STEP_2: 1,
        Step.STEP_3: 1,
        Step.STEP_4: 0,
        Step.NO_PAL: 1,
    }
    assert row.workers_taken_in_charge == 5
    assert row.total_workers == 40 + 25  # the units' workers_involved


def test_a_procedure_without_units_or_workers_counts_zero(region):
    CrisisProcedureFactory(highly_complex=True)

    row = cruscotto_procedures(region, today=TODAY).get()

    assert row.total_workers == 0
    assert row.workers_taken_in_charge == 0
    assert all(getattr(row, field) == 0 for field in STEP_FIELDS.values())


def test_province_staff_count_the_workers_of_their_own_units(staff_bg, region):
    shared = complex_procedure(lead="MI", days_left=200)
    bg_unit = ProductionUnitFactory(procedure=shared, in_province="BG")
    InvolvementFactory(unit=bg_unit)
    InvolvementFactory(unit=shared.units.get(province="MI"))
    InvolvementFactory(unit=shared.units.get(province="MI"))

    seen_by_bg = cruscotto_procedures(staff_bg, today=TODAY).get()
    seen_by_region = cruscotto_procedures(region, today=TODAY).get()

    # Workers are scoped by their unit's province, as on the procedure's page.
    assert (seen_by_bg.workers_step_1, seen_by_bg.workers_taken_in_charge) == (1, 1)
    assert (seen_by_region.workers_step_1, seen_by_region.workers_taken_in_charge) == (3, 3)
    assert seen_by_bg.total_workers == seen_by_region.total_workers == 80


# --- Scoping and filters -------------------------------------------------------------------------


def test_province_staff_see_their_province_and_the_region_sees_all(staff_bg, region):
    bg = complex_procedure("BG", days_left=100)
    mi = complex_procedure("MI", days_left=110)
    shared = complex_procedure("MI", days_left=120)
    ProductionUnitFactory(procedure=shared, in_province="BG")

    assert ids(cruscotto_procedures(staff_bg, today=TODAY)) == [
        bg.external_id,
        shared.external_id,
    ]
    assert ids(cruscotto_procedures(region, today=TODAY)) == [
        bg.external_id,
        mi.external_id,
        shared.external_id,
    ]
    assert deadline_counts(staff_bg, today=TODAY)[None] == 2
    assert deadline_counts(region, today=TODAY)[None] == 3


def test_operators_see_nothing_even_through_the_selector(operator_user):
    complex_procedure(days_left=10)

    assert ids(cruscotto_procedures(operator_user, today=TODAY)) == []


def test_the_province_filter_takes_lead_and_unit_provinces(region):
    complex_procedure("BG", days_left=100)
    mi = complex_procedure("MI", days_left=110)
    shared = complex_procedure("BG", days_left=120)
    ProductionUnitFactory(procedure=shared, in_province="MI")

    assert ids(cruscotto_procedures(region, province="MI", today=TODAY)) == [
        mi.external_id,
        shared.external_id,
    ]


def test_the_family_filter(region):
    complex_procedure(days_left=100)
    dismissal = complex_procedure(days_left=110, family=Family.LICENZIAMENTO_COLLETTIVO)

    listed = cruscotto_procedures(region, family=Family.LICENZIAMENTO_COLLETTIVO, today=TODAY)
    assert ids(listed) == [dismissal.external_id]


# --- Order ---------------------------------------------------------------------------------------


def test_soonest_end_first_and_open_ended_last_in_both_directions(region):
    later = complex_procedure(days_left=80)
    open_ended = complex_procedure(end_date=None)
    sooner = complex_procedure(days_left=20)

    assert ids(cruscotto_procedures(region, today=TODAY)) == ids([sooner, later, open_ended])
    assert ids(cruscotto_procedures(region, today=TODAY, ordering="-end_date")) == ids(
        [later, sooner, open_ended]
    )


def test_sorting_by_next_meeting(region):
    none_planned = complex_procedure(days_left=10)
    late = complex_procedure(days_left=20)
    early = complex_procedure(days_left=30)
    MeetingFactory(date=TODAY + timedelta(days=40), procedures=[late])
    MeetingFactory(date=TODAY + timedelta(days=3), procedures=[early])

    listed = cruscotto_procedures(region, today=TODAY, ordering="next_meeting")
    assert ids(listed) == ids([early, late, none_planned])
    listed = cruscotto_procedures(region, today=TODAY, ordering="-next_meeting")
    assert ids(listed) == ids([late, early, none_planned])


# --- The page ------------------------------------------------------------------------------------


def today() -> date:
    return timezone.localdate()


@pytest.mark.parametrize("fixture", ["staff_bg", "region", "admin_user"])
def test_staff_region_and_admin_open_the_page(fixture, request, client):
    client.force_login(request.getfixturevalue(fixture))
    assert client.get(URL).status_code == 200
    assert client.get(CSV_URL).status_code == 200


@pytest.mark.parametrize("fixture", ["operator_user", "api_client"])
def test_operators_and_api_clients_are_refused(fixture, request, client):
    client.force_login(request.getfixturevalue(fixture))
    assert client.get(URL).status_code == 403
    assert client.get(CSV_URL).status_code == 403


def test_each_row_links_to_the_procedure_and_shows_its_deadline(client, region, english):
    procedure = complex_procedure(days_left=25, today=today())
    MeetingFactory(
        kind=MeetingKind.BILATERALE, date=today() + timedelta(days=4), procedures=[procedure]
    )
    client.force_login(region)

    body = client.get(URL).content.decode()

    assert f'href="{procedure.get_absolute_url()}"' in body
    assert "badge-days badge-days-30" in body
    assert "25 days left" in body
    assert "Bilateral table" in body
    assert "in 4 days" in body
    assert procedure.complexity_note in body


@pytest.mark.parametrize(("days", "css"), [(45, "60"), (75, "90"), (120, "later")])
def test_the_days_left_badge_colour_follows_the_window(client, region, days, css):
    complex_procedure(days_left=days, today=today())
    client.force_login(region)

    body = client.get(URL).content.decode()

    assert f"badge-days badge-days-{css}" in body


def test_the_window_tab_restricts_the_list_and_the_tiles_count_every_window(client, region):
    soon = complex_procedure(days_left=10, today=today())
    later = complex_procedure(days_left=70, today=today())
    client.force_login(region)

    response = client.get(URL, {"window": "30"})

    assert [p.external_id for p in response.context["procedures"]] == [soon.external_id]
    tiles = {tile["window"]: tile["count"] for tile in response.context["tiles"]}
    assert tiles == {30: 1, 60: 1, 90: 2, None: 2}
    assert later.reference not in response.content.decode()


def test_a_bad_filter_value_lists_nothing_and_says_why(client, region):
    complex_procedure(days_left=10, today=today())
    client.force_login(region)

    response = client.get(URL, {"window": "45"})

    assert response.status_code == 200
    assert response.context["procedures"] == []
    assert "window" in response.context["form"].errors


def test_province_staff_of_one_province_get_no_province_filter(client, staff_bg, region):
    client.force_login(staff_bg)
    assert "province" not in client.get(URL).context["form"].fields
    client.force_login(region)
    assert "province" in client.get(URL).context["form"].fields


def test_the_csv_is_the_filtered_list_without_personal_data(client, region):
    in_window = complex_procedure(days_left=20, today=today(), family=Family.CIGS_REGIONALE)
    InvolvementFactory(unit=in_window.units.get())
    complex_procedure(days_left=20, today=today())  # another family
    complex_procedure(days_left=200, today=today(), family=Family.CIGS_REGIONALE)  # later
    client.force_login(region)
    query = {"window": "30", "family": Family.CIGS_REGIONALE}

    page = client.get(URL, query)
    response = client.get(CSV_URL, {**query, "format": "technical"})

    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert [row["external_id"] for row in rows] == [
        p.external_id for p in page.context["procedures"]
    ]
    assert rows[0]["external_id"] == in_window.external_id
    assert rows[0]["days_left"] == "20"
    assert rows[0]["workers_step_1"] == "1"
    assert rows[0]["workers_involved"] == "40"
    text = csv_text(response)
    worker = in_window.involvements.get().worker
    assert worker.fiscal_code not in text
    assert worker.last_name not in text
    assert in_window.company.tax_code not in text


def test_the_csv_keeps_the_scope(client, staff_bg):
    bg = complex_procedure("BG", days_left=10, today=today())
    complex_procedure("MI", days_left=10, today=today())
    client.force_login(staff_bg)

    rows = csv_rows(client.get(CSV_URL, {"format": "technical"}))

    assert [row["external_id"] for row in rows] == [bg.external_id]


# Session, user, the officer's provinces, the procedures, their units, the window counts; then
# the session saved again (savepoint, update, release), which pushes the idle timeout back on
# every request (SESSION_SAVE_EVERY_REQUEST, issue #9): a fixed cost, whatever the page size;
# and the header's unread notifications and to-do counts (one query, issue #13).
QUERIES = 10


def test_the_page_runs_the_same_queries_for_2_or_12_procedures(
    client, staff_bg, django_assert_max_num_queries
):
    def add(count):
        for n in range(count):
            procedure = complex_procedure(days_left=10 + n, today=today())
            MeetingFactory(date=today() + timedelta(days=n), procedures=[procedure])
            ProductionUnitFactory(procedure=procedure, in_province="MI")
            InvolvementFactory(unit=procedure.units.filter(province="BG").first())

    client.force_login(staff_bg)
    add(2)
    with django_assert_max_num_queries(QUERIES) as few:
        assert client.get(URL).status_code == 200
    add(10)
    with django_assert_max_num_queries(QUERIES) as many:
        response = client.get(URL)
    assert len(response.context["procedures"]) == 12
    assert len(many.captured_queries) == len(few.captured_queries)
