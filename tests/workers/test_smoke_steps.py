import datetime

import pytest

from pal.models import Measure
from tests.workers.factories import InvolvementFactory, exemption_reason
from workers.enums import Step
from workers.services import StepMoveRefused, involvement_move

pytestmark = pytest.mark.django_db


def test_a_new_involvement_starts_at_step_1_with_its_first_transition():
    involvement = InvolvementFactory()
    assert involvement.current_step == Step.STEP_1
    assert list(involvement.transitions.values_list("to_step", flat=True)) == [Step.STEP_1]


def test_forward_moves_go_one_step_at_a_time():
    involvement = InvolvementFactory()
    with pytest.raises(StepMoveRefused):
        involvement_move(
            user=None,
            involvement=involvement,
            to=Step.STEP_3,
            effective_date=datetime.date(2025, 5, 1),
        )
    involvement_move(
        user=None, involvement=involvement, to=Step.STEP_2, effective_date=datetime.date(2025, 5, 1)
    )
    involvement.refresh_from_db()
    assert involvement.current_step == Step.STEP_2


def test_exemption_needs_a_reason_and_step_4_a_measure():
    involvement = InvolvementFactory()
    day = datetime.date(2025, 5, 1)
    with pytest.raises(StepMoveRefused):
        involvement_move(user=None, involvement=involvement, to=Step.NO_PAL, effective_date=day)
    involvement_move(
        user=None,
        involvement=involvement,
        to=Step.NO_PAL,
        effective_date=day,
        exemption_reason=exemption_reason(),
    )
    assert Measure.objects.filter(code="gol-percorso-3").exists()
