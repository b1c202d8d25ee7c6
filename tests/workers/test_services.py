"""The step model's rules (§3), one per test, each with the case that breaks it."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from pal.models import Measure
from tests.cases.factories import ProductionUnitFactory
from tests.workers.factories import (
    CohortFactory,
    InvolvementFactory,
    WorkerFactory,
    exemption_reason,
)
from workers.enums import OutcomeKind, Step
from workers.models import ExemptionReason, Involvement, MoveKind, Outcome, StepTransition
from workers.services import (
    BulkMoveRefused,
    StepConflict,
    StepMoveRefused,
    cohort_assign,
    involvement_create,
    involvement_move,
    involvements_move,
    outcome_record,
)

pytestmark = pytest.mark.django_db

TAKEN_ON = datetime.date(2025, 4, 2)  # InvolvementFactory's default
DAY = datetime.date(2025, 5, 2)
ORDERED = [Step.STEP_1, Step.STEP_2, Step.STEP_3, Step.STEP_4]
# How a fresh involvement is brought to each step before a test moves it (all before DAY).
PATH = {
    Step.STEP_1: [],
    Step.STEP_2: [(Step.STEP_2, datetime.date(2025, 4, 10))],
    Step.STEP_3: [
        (Step.STEP_2, datetime.date(2025, 4, 10)),
        (Step.STEP_3, datetime.date(2025, 4, 20)),
    ],
    Step.STEP_4: [
        (Step.STEP_2, datetime.date(2025, 4, 10)),
        (Step.STEP_3, datetime.date(2025, 4, 20)),
        (Step.STEP_4, datetime.date(2025, 4, 30)),
    ],
    Step.NO_PAL: [(Step.NO_PAL, datetime.date(2025, 4, 10))],
}


def measure() -> Measure:
    return Measure.objects.get(code="gol-percorso-3")


def at_step(step: str, **factory_kwargs) -> Involvement:
    """A BG involvement brought to ``step`` by the system, the way the product does it."""
    involvement = InvolvementFactory(**factory_kwargs)
    for to, day in PATH[step]:
        involvement_move(
            user=None,
            involvement=involvement,
            to=to,
            effective_date=day,
            exemption_reason=exemption_reason() if to == Step.NO_PAL else None,
            measure=measure() if to == Step.STEP_4 else None,
        )
    return involvement


def move(involvement: Involvement, to: str, *, user=None, day=DAY, **kwargs):
    return involvement_move(user=user, involvement=involvement, to=to, effective_date=day, **kwargs)


def snapshot(*involvements: Involvement) -> list[tuple[str, int]]:
    """(current step, number of transitions) of each involvement, read from the database."""
    rows = []
    for involvement in involvements:
        fresh = Involvement.objects.get(pk=involvement.pk)
        rows.append((fresh.current_step, fresh.transitions.count()))
    return rows


def assert_refused(involvement: Involvement, error, to: str, **kwargs):
    """The move raises ``error`` and leaves the worker exactly where they were."""
    before = snapshot(involvement)
    with pytest.raises(error) as exc:
        move(involvement, to, **kwargs)
    assert snapshot(involvement) == before
    return exc.value


# --- taken in charge ------------------------------------------------------------------------


def test_a_new_involvement_starts_at_step_1_with_a_start_transition(staff_bg):
    unit = ProductionUnitFactory()
    involvement = involvement_create(
        user=staff_bg,
        worker=WorkerFactory(),
        procedure=unit.procedure,
        unit=unit,
        taken_in_charge_on=TAKEN_ON,
    )
    involvement.refresh_from_db()
    assert involvement.current_step == Step.STEP_1
    assert involvement.current_step_since == TAKEN_ON
    [start] = involvement.transitions.all()
    assert (start.from_step, start.to_step, start.kind) == ("", Step.STEP_1, MoveKind.START)
    assert (start.effective_date, start.recorded_by) == (TAKEN_ON, staff_bg)


def test_staff_cannot_take_in_charge_a_worker_of_another_province(staff_mi):
    unit = ProductionUnitFactory()  # in BG
    with pytest.raises(PermissionDenied):
        involvement_create(
            user=staff_mi, worker=WorkerFactory(), procedure=unit.procedure, unit=unit
        )
    assert not Involvement.objects.exists()


# --- forward, one step at a time -------------------------------------------------------------


@pytest.mark.parametrize(
    ("frm", "to"),
    [(Step.STEP_1, Step.STEP_2), (Step.STEP_2, Step.STEP_3), (Step.STEP_3, Step.STEP_4)],
)
def test_a_worker_moves_forward_one_step(frm, to, staff_bg):
    involvement = at_step(frm)
    transition = move(involvement, to, user=staff_bg, measure=measure())
    assert transition.kind == MoveKind.FORWARD
    assert snapshot(involvement)[0][0] == to


@pytest.mark.parametrize(
    ("frm", "to"),
    [(Step.STEP_1, Step.STEP_3), (Step.STEP_1, Step.STEP_4), (Step.STEP_2, Step.STEP_4)],
)
def test_a_forward_move_cannot_skip_a_step(frm, to, staff_bg):
    assert_refused(at_step(frm), StepMoveRefused, to, user=staff_bg, measure=measure())


@pytest.mark.parametrize("step", [*ORDERED, Step.NO_PAL])
def test_a_worker_cannot_move_to_the_step_they_are_at(step, staff_bg):
    assert_refused(
        at_step(step),
        StepMoveRefused,
        step,
        user=staff_bg,
        reason="Again",
        exemption_reason=exemption_reason(),
        measure=measure(),
    )


def test_an_unknown_step_is_refused(staff_bg):
    assert_refused(at_step(Step.STEP_1), StepMoveRefused, "STEP_9", user=staff_bg)


# --- NO_PAL ----------------------------------------------------------------------------------


@pytest.mark.parametrize("frm", ORDERED)
def test_no_pal_is_reachable_from_every_step_with_an_exemption_reason(frm, staff_bg):
    involvement = at_step(frm)
    reason = exemption_reason("rientro_in_azienda")
    transition = move(involvement, Step.NO_PAL, user=staff_bg, exemption_reason=reason)
    assert (transition.kind, transition.exemption_reason) == (MoveKind.EXEMPTION, reason)
    assert snapshot(involvement)[0][0] == Step.NO_PAL


@pytest.mark.parametrize("frm", ORDERED)
def test_no_pal_without_an_exemption_reason_is_refused(frm, staff_bg):
    error = assert_refused(at_step(frm), StepMoveRefused, Step.NO_PAL, user=staff_bg, reason="x")
    assert error.field == "exemption_reason"


def test_an_exemption_reason_no_longer_in_use_is_refused(staff_bg):
    retired = ExemptionReason.objects.create(code="vecchia", label="Old reason", is_active=False)
    error = assert_refused(
        at_step(Step.STEP_2), StepMoveRefused, Step.NO_PAL, user=staff_bg, exemption_reason=retired
    )
    assert error.field == "exemption_reason"


# --- corrections (moving back) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("frm", "to"),
    [(Step.STEP_2, Step.STEP_1), (Step.STEP_4, Step.STEP_2), (Step.NO_PAL, Step.STEP_3)],
)
def test_province_staff_move_a_worker_back_with_a_reason(frm, to, staff_bg):
    involvement = at_step(frm)
    transition = move(involvement, to, user=staff_bg, reason="Recorded on the wrong worker")
    assert (transition.kind, transition.reason) == (
        MoveKind.CORRECTION,
        "Recorded on the wrong worker",
    )
    assert snapshot(involvement)[0][0] == to


def test_an_administrator_may_move_a_worker_back(admin_user):
    involvement = at_step(Step.STEP_3)
    move(involvement, Step.STEP_2, user=admin_user, reason="Meeting not held")
    assert snapshot(involvement)[0][0] == Step.STEP_2


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_moving_a_worker_back_without_a_reason_is_refused(reason, staff_bg):
    error = assert_refused(
        at_step(Step.STEP_3), StepMoveRefused, Step.STEP_2, user=staff_bg, reason=reason
    )
    assert error.field == "reason"


@pytest.mark.parametrize("role", ["api_client", "region"])
def test_only_province_staff_or_higher_move_a_worker_back(role, request):
    user = request.getfixturevalue(role)
    assert_refused(at_step(Step.STEP_3), PermissionDenied, Step.STEP_2, user=user, reason="Oops")


def test_an_api_client_may_move_a_worker_forward(api_client):
    involvement = at_step(Step.STEP_1)
    move(involvement, Step.STEP_2, user=api_client)
    assert snapshot(involvement)[0][0] == Step.STEP_2


def test_region_officials_do_not_move_workers(region):
    assert_refused(at_step(Step.STEP_1), PermissionDenied, Step.STEP_2, user=region)


def test_staff_of_another_province_cannot_move_the_worker(staff_mi):
    assert_refused(at_step(Step.STEP_1), PermissionDenied, Step.STEP_2, user=staff_mi)


def test_operator_staff_cannot_move_workers(operator_user):
    assert_refused(at_step(Step.STEP_1), PermissionDenied, Step.STEP_2, user=operator_user)


# --- effective date --------------------------------------------------------------------------


def test_the_effective_date_cannot_be_in_the_future(staff_bg):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    error = assert_refused(
        at_step(Step.STEP_1), StepMoveRefused, Step.STEP_2, user=staff_bg, day=tomorrow
    )
    assert error.field == "effective_date"


def test_the_effective_date_may_be_today(staff_bg):
    involvement = at_step(Step.STEP_1)
    move(involvement, Step.STEP_2, user=staff_bg, day=timezone.localdate())
    involvement.refresh_from_db()
    assert involvement.current_step_since == timezone.localdate()


def test_the_effective_date_cannot_precede_the_taking_in_charge(staff_bg):
    day_before = TAKEN_ON - datetime.timedelta(days=1)
    error = assert_refused(
        at_step(Step.STEP_1), StepMoveRefused, Step.STEP_2, user=staff_bg, day=day_before
    )
    assert error.field == "effective_date"


def test_the_effective_date_cannot_precede_the_previous_move(staff_bg):
    involvement = at_step(Step.STEP_2)  # moved on 10/04/2025
    assert_refused(
        involvement, StepMoveRefused, Step.STEP_3, user=staff_bg, day=datetime.date(2025, 4, 9)
    )


def test_two_moves_may_share_an_effective_date(staff_bg):
    involvement = at_step(Step.STEP_2)
    move(involvement, Step.STEP_3, user=staff_bg, day=datetime.date(2025, 4, 10))
    assert snapshot(involvement)[0][0] == Step.STEP_3


# --- STEP_4 names the measure ----------------------------------------------------------------


def test_activating_a_pal_without_a_measure_is_refused(staff_bg):
    error = assert_refused(at_step(Step.STEP_3), StepMoveRefused, Step.STEP_4, user=staff_bg)
    assert error.field == "measure"


def test_activating_a_pal_records_its_measure(staff_bg):
    transition = move(at_step(Step.STEP_3), Step.STEP_4, user=staff_bg, measure=measure())
    assert StepTransition.objects.get(pk=transition.pk).measure == measure()


def test_a_correction_back_to_step_4_also_names_the_measure(staff_bg):
    assert_refused(
        at_step(Step.NO_PAL),
        StepMoveRefused,
        Step.STEP_4,
        user=staff_bg,
        reason="Exempted by mistake",
    )


# --- the transition log ----------------------------------------------------------------------


def test_every_move_writes_exactly_one_transition_saying_from_to_who_and_why(staff_bg):
    involvement = at_step(Step.STEP_3)
    before = involvement.transitions.count()
    move(involvement, Step.STEP_2, user=staff_bg, reason="  Meeting postponed  ")
    assert involvement.transitions.count() == before + 1
    last = involvement.transitions.order_by("id").last()
    assert (last.from_step, last.to_step, last.kind) == (
        Step.STEP_3,
        Step.STEP_2,
        MoveKind.CORRECTION,
    )
    assert (last.effective_date, last.recorded_by, last.reason) == (
        DAY,
        staff_bg,
        "Meeting postponed",
    )
    assert last.recorded_at is not None


def test_the_current_step_is_the_last_transitions_step(staff_bg):
    involvement = at_step(Step.STEP_4)
    move(involvement, Step.STEP_1, user=staff_bg, reason="Restart")
    move(involvement, Step.NO_PAL, user=staff_bg, exemption_reason=exemption_reason())
    involvement.refresh_from_db()
    last = involvement.transitions.last()  # ordered by effective date, then id
    assert involvement.current_step == last.to_step == Step.NO_PAL
    assert involvement.current_step_since == last.effective_date
    steps = list(involvement.transitions.order_by("id").values_list("from_step", "to_step"))
    assert all(prev[1] == nxt[0] for prev, nxt in zip(steps, steps[1:], strict=False))


def test_the_callers_instance_follows_the_move(staff_bg):
    involvement = at_step(Step.STEP_1)
    move(involvement, Step.STEP_2, user=staff_bg)
    assert (involvement.current_step, involvement.current_step_since) == (Step.STEP_2, DAY)


def test_the_audit_history_records_who_moved_the_worker(staff_bg):
    involvement = at_step(Step.STEP_1)
    move(involvement, Step.STEP_2, user=staff_bg)
    latest = involvement.history.order_by("-history_id").first()
    assert latest.current_step == Step.STEP_2
    assert latest.history_user == staff_bg
    assert latest.history_change_reason == "STEP 1 → STEP 2"


# --- concurrency guard (the threaded race is in test_concurrency) ----------------------------


def test_a_stale_expected_step_is_a_conflict(staff_bg):
    involvement = at_step(Step.STEP_2)
    assert_refused(involvement, StepConflict, Step.STEP_3, user=staff_bg, expected_from=Step.STEP_1)


def test_a_matching_expected_step_moves_the_worker(staff_bg):
    involvement = at_step(Step.STEP_2)
    move(involvement, Step.STEP_3, user=staff_bg, expected_from=Step.STEP_2)
    assert snapshot(involvement)[0][0] == Step.STEP_3


def test_a_stale_instance_without_expected_step_moves_from_the_stored_step(staff_bg):
    involvement = at_step(Step.STEP_2)
    stale = Involvement.objects.get(pk=involvement.pk)
    move(involvement, Step.STEP_3, user=staff_bg)
    # The stale copy still says STEP_2, but the service reads the locked row: STEP_3 → STEP_3.
    assert_refused(stale, StepMoveRefused, Step.STEP_3, user=staff_bg)


# --- bulk moves ------------------------------------------------------------------------------


def test_a_bulk_move_moves_every_selected_worker(staff_bg):
    cohort = CohortFactory()
    involvements = [at_step(Step.STEP_2, unit=cohort.unit, cohort=cohort) for _ in range(3)]
    transitions = involvements_move(
        user=staff_bg, involvements=involvements, to=Step.STEP_3, effective_date=DAY
    )
    assert len(transitions) == 3
    assert snapshot(*involvements) == [(Step.STEP_3, 3)] * 3


def test_a_bulk_move_is_all_or_nothing_and_lists_each_worker_it_could_not_move(staff_bg):
    cohort = CohortFactory()
    ready = [at_step(Step.STEP_2, unit=cohort.unit) for _ in range(2)]
    behind = at_step(Step.STEP_1, unit=cohort.unit)
    elsewhere = at_step(
        Step.STEP_2, unit=ProductionUnitFactory(procedure=cohort.procedure, in_province="MI")
    )
    everybody = [ready[0], behind, ready[1], elsewhere]
    before = snapshot(*everybody)
    transitions_before = StepTransition.objects.count()

    with pytest.raises(BulkMoveRefused) as exc:
        involvements_move(user=staff_bg, involvements=everybody, to=Step.STEP_3, effective_date=DAY)

    assert snapshot(*everybody) == before
    assert StepTransition.objects.count() == transitions_before
    failures = {f.involvement.pk: f.message for f in exc.value.failures}
    assert set(failures) == {behind.pk, elsewhere.pk}
    assert all(failures.values())
    assert [e["involvement"] for e in exc.value.errors] == [behind.pk, elsewhere.pk]


def test_a_bulk_move_lists_the_rule_each_worker_breaks(staff_bg):
    at_3, at_1 = at_step(Step.STEP_3), at_step(Step.STEP_1)
    with pytest.raises(BulkMoveRefused) as exc:
        involvements_move(
            user=staff_bg, involvements=[at_3, at_1], to=Step.STEP_4, effective_date=DAY
        )
    # Both fail, for different reasons: no measure named; a step skipped.
    messages = [f.message for f in exc.value.failures]
    assert len(messages) == 2 and messages[0] != messages[1]
    assert snapshot(at_3, at_1) == [(Step.STEP_3, 3), (Step.STEP_1, 1)]


def test_a_bulk_move_of_nobody_is_refused(staff_bg):
    with pytest.raises(StepMoveRefused):
        involvements_move(user=staff_bg, involvements=[], to=Step.STEP_2, effective_date=DAY)


# --- cohorts ---------------------------------------------------------------------------------


def test_workers_are_put_into_a_cohort_of_their_procedure(staff_bg):
    cohort = CohortFactory()
    involvements = [InvolvementFactory(unit=cohort.unit) for _ in range(2)]
    assert cohort_assign(user=staff_bg, cohort=cohort, involvements=involvements) == 2
    assert set(cohort.involvements.all()) == set(involvements)


def test_a_worker_of_another_procedure_cannot_join_the_cohort(staff_bg):
    cohort = CohortFactory()
    other = InvolvementFactory()
    with pytest.raises(ValidationError):
        cohort_assign(user=staff_bg, cohort=cohort, involvements=[other])
    other.refresh_from_db()
    assert other.cohort is None


def test_staff_cannot_fill_a_cohort_of_another_province(staff_mi):
    cohort = CohortFactory()
    involvement = InvolvementFactory(unit=cohort.unit)
    with pytest.raises(PermissionDenied):
        cohort_assign(user=staff_mi, cohort=cohort, involvements=[involvement])
    involvement.refresh_from_db()
    assert involvement.cohort is None


# --- outcomes --------------------------------------------------------------------------------


def test_an_outcome_is_recorded_with_its_date(staff_bg):
    involvement = at_step(Step.STEP_4)
    outcome = outcome_record(
        user=staff_bg,
        involvement=involvement,
        data={"kind": OutcomeKind.RICOLLOCATO, "date": DAY, "contract_kind": "indeterminato"},
    )
    assert Outcome.objects.get(involvement=involvement) == outcome


def test_an_outcome_dated_in_the_future_is_refused(staff_bg):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        outcome_record(
            user=staff_bg,
            involvement=at_step(Step.STEP_4),
            data={"kind": OutcomeKind.RICOLLOCATO, "date": tomorrow},
        )
    assert "date" in exc.value.message_dict
    assert not Outcome.objects.exists()


def test_staff_cannot_record_the_outcome_of_a_worker_of_another_province(staff_mi):
    with pytest.raises(PermissionDenied):
        outcome_record(
            user=staff_mi,
            involvement=at_step(Step.STEP_4),
            data={"kind": OutcomeKind.RICOLLOCATO, "date": DAY},
        )
    assert not Outcome.objects.exists()


@pytest.mark.parametrize(
    "change", [{"is_active": False}, {"valid_until": datetime.date(2025, 4, 30)}]
)
def test_step_4_needs_a_measure_in_force_on_the_effective_date(change):
    involvement = at_step(Step.STEP_3)
    Measure.objects.filter(pk=measure().pk).update(**change)

    with pytest.raises(StepMoveRefused) as refusal:
        involvement_move(
            user=None,
            involvement=involvement,
            to=Step.STEP_4,
            effective_date=DAY,
            measure=measure(),
        )

    assert refusal.value.field == "measure"
    involvement.refresh_from_db()
    assert involvement.current_step == Step.STEP_3


def test_an_outcome_cannot_precede_the_day_the_worker_was_taken_in_charge():
    involvement = InvolvementFactory()

    with pytest.raises(ValidationError) as refusal:
        outcome_record(
            user=None,
            involvement=involvement,
            data={"kind": OutcomeKind.RICOLLOCATO, "date": TAKEN_ON - datetime.timedelta(days=1)},
        )

    assert "date" in refusal.value.message_dict
    assert not Outcome.objects.filter(involvement=involvement).exists()


def test_staff_cannot_move_a_worker_to_a_unit_of_another_province(staff_bg):
    from workers.services import involvement_update

    involvement = InvolvementFactory()
    elsewhere = ProductionUnitFactory(procedure=involvement.procedure, in_province="MI")

    with pytest.raises(PermissionDenied):
        involvement_update(user=staff_bg, involvement=involvement, data={"unit": elsewhere})

    involvement.refresh_from_db()
    assert involvement.unit_id != elsewhere.pk
