"""Workers and the step model at the model and database level (§3).

Rules about one object live on the model (validators, ``clean()``, the transition table) and,
where losing them would hurt, in the database as constraints: these tests go around the
services on purpose (``.update()``, ``objects.create()``) to prove the database says no too.
"""

import datetime

import pytest
from codicefiscale import codicefiscale
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.workers.factories import InvolvementFactory, WorkerFactory, exemption_reason, fiscal_code
from workers.enums import Step
from workers.models import TRANSITIONS, Involvement, MoveKind, StepTransition, Worker
from workers.validators import validate_fiscal_code

pytestmark = pytest.mark.django_db

CODE = fiscal_code(1)
ORDERED = [Step.STEP_1, Step.STEP_2, Step.STEP_3, Step.STEP_4]


def error_code(exc: ValidationError) -> str:
    return exc.error_list[0].code


def db_refuses(queryset_update_or_create) -> None:
    """The database raises IntegrityError; the savepoint keeps the test transaction usable."""
    with pytest.raises(IntegrityError), transaction.atomic():
        queryset_update_or_create()


# --- fiscal code ---------------------------------------------------------------------------


def test_a_valid_fiscal_code_passes_validation():
    validate_fiscal_code(CODE)


def test_omocode_variants_of_a_fiscal_code_are_valid():
    variants = [c for c in codicefiscale.decode(CODE)["omocodes"] if c != CODE]
    assert variants, "python-codicefiscale should list omocode variants"
    for variant in (variants[0], variants[len(variants) // 2], variants[-1]):
        validate_fiscal_code(variant)


def test_a_worker_with_an_omocode_fiscal_code_can_be_saved():
    omocode = codicefiscale.decode(CODE)["omocodes"][1]
    worker = WorkerFactory.build(fiscal_code=omocode)
    worker.full_clean()
    worker.save()
    assert Worker.objects.get(pk=worker.pk).fiscal_code == omocode


def test_a_fiscal_code_with_a_wrong_check_character_is_refused():
    wrong = CODE[:15] + ("A" if CODE[15] != "A" else "B")
    with pytest.raises(ValidationError) as exc:
        validate_fiscal_code(wrong)
    assert error_code(exc.value) == "fiscal_code_invalid"


@pytest.mark.parametrize("code", [CODE[:15], CODE + "X", ""], ids=["15", "17", "empty"])
def test_a_fiscal_code_of_the_wrong_length_is_refused(code):
    with pytest.raises(ValidationError) as exc:
        validate_fiscal_code(code)
    assert error_code(exc.value) == "fiscal_code_length"


def test_a_worker_with_an_invalid_fiscal_code_does_not_pass_full_clean():
    wrong = CODE[:15] + ("A" if CODE[15] != "A" else "B")
    worker = WorkerFactory.build(fiscal_code=wrong, birth_date=datetime.date(1960, 4, 7))
    with pytest.raises(ValidationError) as exc:
        worker.full_clean()
    assert "fiscal_code" in exc.value.message_dict


def test_a_lowercase_fiscal_code_is_stored_uppercase():
    worker = WorkerFactory.build(fiscal_code=CODE.lower())
    worker.full_clean()
    worker.save()
    assert Worker.objects.get(pk=worker.pk).fiscal_code == CODE


@pytest.mark.parametrize(
    "typed",
    [f"  {CODE.lower()} ", f"{CODE[:6]} {CODE[6:11]} {CODE[11:]}"],
    ids=["around", "inside"],
)
def test_a_fiscal_code_typed_with_spaces_is_stored_without_them(typed):
    worker = WorkerFactory.build(fiscal_code=typed)
    worker.full_clean()
    worker.save()
    assert Worker.objects.get(pk=worker.pk).fiscal_code == CODE


def test_full_clean_reports_a_fiscal_code_already_in_use():
    WorkerFactory(fiscal_code=CODE)
    with pytest.raises(ValidationError) as exc:
        WorkerFactory.build(fiscal_code=CODE.lower()).full_clean()
    assert "fiscal_code" in exc.value.message_dict


def test_the_database_refuses_two_workers_with_the_same_fiscal_code():
    WorkerFactory(fiscal_code=CODE)
    db_refuses(lambda: WorkerFactory(fiscal_code=CODE))
    assert Worker.objects.filter(fiscal_code=CODE).count() == 1


def test_the_database_refuses_a_fiscal_code_not_in_normal_form():
    worker = WorkerFactory(fiscal_code=CODE)
    db_refuses(lambda: Worker.objects.filter(pk=worker.pk).update(fiscal_code=CODE.lower()))


def test_the_masked_fiscal_code_shows_only_the_first_three_and_the_last_character():
    worker = WorkerFactory.build(fiscal_code=CODE)
    assert worker.masked_fiscal_code == CODE[:3] + "*" * 12 + CODE[-1]
    assert len(worker.masked_fiscal_code) == 16
    assert CODE[3:15] not in worker.masked_fiscal_code


# --- the transition table ------------------------------------------------------------------


def test_the_table_moves_forward_one_step_at_a_time():
    forward = {pair for pair, kind in TRANSITIONS.items() if kind == MoveKind.FORWARD}
    assert forward == {(a, b) for a, b in zip(ORDERED, ORDERED[1:], strict=False)}


def test_the_table_reaches_no_pal_from_every_step_as_an_exemption():
    exemptions = {pair for pair, kind in TRANSITIONS.items() if kind == MoveKind.EXEMPTION}
    assert exemptions == {(step, Step.NO_PAL) for step in ORDERED}


def test_every_move_back_in_the_table_is_a_correction():
    for (frm, to), kind in TRANSITIONS.items():
        back = to in ORDERED and (
            frm == Step.NO_PAL or (frm in ORDERED and ORDERED.index(to) < ORDERED.index(frm))
        )
        assert (kind == MoveKind.CORRECTION) == back, (frm, to)


def test_the_table_starts_only_at_step_1_and_never_stays_put():
    assert [to for (frm, to) in TRANSITIONS if frm == ""] == [Step.STEP_1]
    assert all(frm != to for frm, to in TRANSITIONS)


# --- database check constraints on involvements and transitions -----------------------------


def test_the_database_refuses_an_unknown_current_step():
    involvement = InvolvementFactory()
    db_refuses(lambda: Involvement.objects.filter(pk=involvement.pk).update(current_step="STEP_9"))
    involvement.refresh_from_db()
    assert involvement.current_step == Step.STEP_1


def test_the_database_refuses_an_hours_reduction_above_100_percent():
    involvement = InvolvementFactory()
    db_refuses(
        lambda: Involvement.objects.filter(pk=involvement.pk).update(hours_reduction_pct=101)
    )


def test_full_clean_refuses_an_hours_reduction_above_100_percent():
    involvement = InvolvementFactory()
    involvement.hours_reduction_pct = 101
    with pytest.raises(ValidationError) as exc:
        involvement.full_clean()
    assert "hours_reduction_pct" in exc.value.message_dict


def test_the_database_refuses_a_support_period_ending_before_it_starts():
    involvement = InvolvementFactory()
    db_refuses(
        lambda: Involvement.objects.filter(pk=involvement.pk).update(
            period_start=datetime.date(2025, 5, 1), period_end=datetime.date(2025, 4, 30)
        )
    )


def _transition(involvement, **fields) -> StepTransition:
    values = {
        "involvement": involvement,
        "from_step": Step.STEP_1,
        "to_step": Step.STEP_2,
        "kind": MoveKind.FORWARD,
        "effective_date": datetime.date(2025, 5, 2),
    } | fields
    return StepTransition.objects.create(**values)


def test_the_database_refuses_a_no_pal_transition_without_an_exemption_reason():
    involvement = InvolvementFactory()
    db_refuses(lambda: _transition(involvement, to_step=Step.NO_PAL, kind=MoveKind.EXEMPTION))
    # The same row with a reason is accepted: the constraint is about the reason only.
    _transition(
        involvement,
        to_step=Step.NO_PAL,
        kind=MoveKind.EXEMPTION,
        exemption_reason=exemption_reason(),
    )


def test_the_database_refuses_a_correction_without_a_reason():
    involvement = InvolvementFactory()
    back = {"from_step": Step.STEP_2, "to_step": Step.STEP_1, "kind": MoveKind.CORRECTION}
    db_refuses(lambda: _transition(involvement, **back))
    _transition(involvement, **back, reason="Registered by mistake")


def test_the_database_refuses_a_transition_to_an_unknown_step():
    involvement = InvolvementFactory()
    db_refuses(lambda: _transition(involvement, to_step="STEP_9"))
