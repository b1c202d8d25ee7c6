"""Imports and bulk moves write in bulk (issue #12): the same rows and history as one by one,
in a number of queries that does not grow with the number of rows."""

import datetime
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from crisi_portal.demo.workers import Builder
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.workers.factories import InvolvementFactory
from workers import importers
from workers.enums import Step
from workers.importers import import_workers
from workers.models import Involvement, StepTransition, Worker
from workers.services import involvements_move

pytestmark = pytest.mark.django_db

DAY = datetime.date(2025, 5, 2)


@pytest.fixture(autouse=True)
def english_messages():
    with translation.override("en"):
        yield


@pytest.fixture
def unit():
    procedure = CrisisProcedureFactory(lead="BG")
    return ProductionUnitFactory(procedure=procedure, name="Stabilimento di Dalmine")


def worker_list(unit, n: int, seed: int) -> bytes:
    builder = Builder(random.Random(seed), timezone.localdate(), taken_codes=set())
    lines = ["Codice Fiscale;Cognome;Nome;Data di nascita;Sesso;Unità produttiva"]
    for _ in range(n):
        w = builder.worker(unit, None)
        birth = w.birth_date.strftime("%d/%m/%Y")
        lines.append(f"{w.fiscal_code};{w.last_name};{w.first_name};{birth};{w.sex};{unit.name}")
    return ("\n".join(lines) + "\n").encode()


def queries_of(fn) -> int:
    with CaptureQueriesContext(connection) as queries:
        fn()
    return len(queries)


def test_a_worker_import_issues_as_many_queries_for_25_rows_as_for_5(unit, staff_bg):
    first, few, many = (worker_list(unit, n, seed=n) for n in (1, 5, 25))

    def run(raw):
        result = import_workers(unit.procedure, raw, filename="list.csv", user=staff_bg)
        assert result.applied, result.errors

    run(first)  # creates the unit's cohort, which the others then join
    assert queries_of(lambda: run(many)) == queries_of(lambda: run(few))
    assert Involvement.objects.filter(procedure=unit.procedure).count() == 31


def test_an_import_in_bulk_records_what_one_by_one_recorded(unit, staff_bg):
    raw = worker_list(unit, 3, seed=3)
    result = import_workers(unit.procedure, raw, filename="list.csv", user=staff_bg)
    assert result.applied
    workers = Worker.objects.filter(involvements__procedure=unit.procedure)
    assert workers.count() == 3
    for worker in workers:
        (created,) = worker.history.all()
        assert (created.history_type, created.history_user) == ("+", staff_bg)
        assert created.history_change_reason == "Imported from a worker list"
        involvement = worker.involvements.get()
        (taken,) = involvement.history.all()
        assert (taken.history_type, taken.history_user) == ("+", staff_bg)
        assert taken.history_change_reason is None  # save_validated gives none
        assert (involvement.current_step, involvement.cohort.name) == (
            Step.STEP_1,
            "Stabilimento di Dalmine",
        )
        (start,) = involvement.transitions.all()
        assert (start.to_step, start.recorded_by) == (Step.STEP_1, staff_bg)


def test_a_row_the_database_refuses_is_still_reported_on_its_line(unit, staff_bg, monkeypatch):
    """A worker stored between the check and the save (a race): the bulk insert fails, and the
    rows saved one by one name the line, as before."""
    raw = worker_list(unit, 3, seed=4)
    code = raw.decode().splitlines()[2].split(";")[0]
    real_plan = importers._plan

    def racing_plan(*args, **kwargs):
        plan = real_plan(*args, **kwargs)
        Worker.objects.create(
            fiscal_code=code,
            last_name="Altro",
            first_name="Altra",
            birth_date=datetime.date(1970, 1, 1),
            sex="F",
        )
        return plan

    monkeypatch.setattr(importers, "_plan", racing_plan)
    result = import_workers(unit.procedure, raw, filename="list.csv", user=staff_bg)
    assert not result.applied
    assert [(e.line, e.column) for e in result.errors] == [(3, "Codice Fiscale")]
    assert not Involvement.objects.filter(procedure=unit.procedure).exists()


def movable(n: int, unit) -> list[Involvement]:
    return [InvolvementFactory(unit=unit) for _ in range(n)]


def test_a_bulk_move_issues_as_many_queries_for_15_workers_as_for_5(unit, staff_bg):
    first, few, many = movable(1, unit), movable(5, unit), movable(15, unit)

    def move(involvements):
        involvements_move(
            user=staff_bg, involvements=involvements, to=Step.STEP_2, effective_date=DAY
        )

    move(first)  # reads the user's provinces, then kept on the user
    assert queries_of(lambda: move(many)) == queries_of(lambda: move(few))
    assert set(
        Involvement.objects.filter(procedure=unit.procedure).values_list("current_step", flat=True)
    ) == {Step.STEP_2}


def test_a_bulk_move_records_each_move_and_its_history(unit, staff_bg):
    involvements = movable(3, unit)
    transitions = involvements_move(
        user=staff_bg, involvements=involvements, to=Step.STEP_2, effective_date=DAY
    )
    assert [t.involvement_id for t in transitions] == [i.pk for i in involvements]
    for involvement in involvements:
        assert (involvement.current_step, involvement.current_step_since) == (Step.STEP_2, DAY)
        fresh = Involvement.objects.get(pk=involvement.pk)
        assert (fresh.current_step, fresh.current_step_since) == (Step.STEP_2, DAY)
        latest = fresh.history.order_by("-history_id").first()
        assert (latest.history_type, latest.history_user, latest.current_step) == (
            "~",
            staff_bg,
            Step.STEP_2,
        )
        assert latest.history_change_reason == "STEP 1 → STEP 2"
        move = StepTransition.objects.filter(involvement=fresh).latest_first().first()
        assert (move.from_step, move.to_step, move.kind, move.recorded_by) == (
            Step.STEP_1,
            Step.STEP_2,
            "forward",
            staff_bg,
        )
