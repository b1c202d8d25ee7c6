"""A procedure's story on its page (issue #13, item 5): units, meetings, workers taken in
charge, bulk moves (one line with the count), group changes, PIP decisions — who and when,
newest first, capped, and only what the viewer may see."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from cases import services as case_services
from cases.timeline import procedure_timeline, register
from pal import services as pal_services
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory, province
from tests.pal.factories import pip_with_service
from tests.workers.factories import CohortFactory, InvolvementFactory
from workers import services as worker_services
from workers.enums import Step

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def texts(entries):
    return [entry.text for entry in entries]


def test_the_story_tells_units_meetings_imports_moves_and_groups(client, staff_bg):
    procedure = CrisisProcedureFactory(lead="BG")
    unit = case_services.unit_create(
        user=staff_bg,
        procedure=procedure,
        data={
            "name": "Officina",
            "comune": "Dalmine",
            "province": province("BG"),
            "workers_involved": 30,
        },
    )
    case_services.meeting_create(
        user=staff_bg,
        data={
            "kind": "bilaterale",
            "date": datetime.date(2025, 5, 6),
            "province": province("BG"),
        },
        procedures=[procedure],
    )
    involvements = [InvolvementFactory(unit=unit) for _ in range(24)]
    worker_services.involvements_move(
        user=staff_bg,
        involvements=involvements,
        to=Step.STEP_2,
        effective_date=datetime.date(2025, 5, 7),
    )
    cohort = CohortFactory(procedure=procedure, unit=unit, name="Turno A")
    worker_services.cohort_assign(user=staff_bg, cohort=cohort, involvements=involvements[:3])
    client.force_login(staff_bg)
    page = client.get(procedure.get_absolute_url(), **EN)
    story = texts(page.context["history"])
    assert "24 workers: STEP 1 → STEP 2" in story
    assert "3 workers: Group: Turno A" in story
    assert "24 workers taken in charge" in story
    assert "Production unit Officina added" in story
    assert "Meeting of 06/05/2025 recorded (Bilateral table)" in story
    assert "Procedure opened" in story
    assert story.index("3 workers: Group: Turno A") < story.index("Procedure opened")
    move = next(e for e in page.context["history"] if e.text.startswith("24 workers: STEP"))
    assert move.user == staff_bg
    assert "24 workers: STEP 1 → STEP 2" in page.content.decode()


def test_pip_decisions_are_in_the_story(staff_bg):
    pip = pip_with_service("presentato")
    procedure = pip.dote.involvement.procedure
    pal_services.pip_return(user=staff_bg, pip=pip, note="Mancano le date.")
    story = texts(procedure_timeline(procedure, staff_bg))
    assert f"PIP {pip.reference}: Returned" in story


def test_another_provinces_workers_stay_out_of_the_story(staff_bg, staff_mi):
    """Units are every Nucleo's context (as on the page); workers only those of one's province."""
    procedure = CrisisProcedureFactory(lead="MI")
    milan = ProductionUnitFactory(procedure=procedure, in_province="MI", name="Milano Sud")
    bergamo = ProductionUnitFactory(procedure=procedure, in_province="BG", name="Dalmine")
    for _ in range(2):
        InvolvementFactory(unit=milan)
    InvolvementFactory(unit=bergamo)
    seen_by_bg = texts(procedure_timeline(procedure, staff_bg))
    assert "Production unit Dalmine added" in seen_by_bg
    assert "1 worker taken in charge" in seen_by_bg
    assert "2 workers taken in charge" not in seen_by_bg
    assert "3 workers taken in charge" not in seen_by_bg
    seen_by_mi = texts(procedure_timeline(procedure, staff_mi))
    assert "2 workers taken in charge" in seen_by_mi
    unseen = CrisisProcedureFactory(lead="MI")
    ProductionUnitFactory(procedure=unseen, name="Altrove")
    assert "Production unit Altrove added" not in texts(procedure_timeline(unseen, staff_bg))


def test_the_story_is_capped_newest_first(client, staff_bg):
    procedure = CrisisProcedureFactory(lead="BG")
    for n in range(35):
        ProductionUnitFactory(procedure=procedure, name=f"Sede {n}")
    story = procedure_timeline(procedure, staff_bg, limit=30)
    assert len(story) == 30
    assert story[0].text == "Production unit Sede 34 added"
    assert [e.when for e in story] == sorted((e.when for e in story), reverse=True)
    client.force_login(staff_bg)
    assert (
        "The latest 30 events." in client.get(procedure.get_absolute_url(), **EN).content.decode()
    )


def test_a_source_registers_once():
    def source(procedure, user, limit):
        return []

    register(source)
    register(source)
    from cases import timeline

    assert timeline._SOURCES.count(source) == 1
    timeline._SOURCES.remove(source)


def test_a_changed_procedure_shows_its_fields(client, staff_bg):
    procedure = CrisisProcedureFactory(lead="BG")
    case_services.procedure_update(user=staff_bg, procedure=procedure, data={"notes": "Nuove"})
    client.force_login(staff_bg)
    body = client.get(reverse("cases:procedure_detail", args=[procedure.pk]), **EN)
    assert "Procedure changed" in texts(body.context["history"])
    assert "<ins>Nuove</ins>" in body.content.decode()
