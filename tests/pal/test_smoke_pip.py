import datetime
from decimal import Decimal

import pytest

from pal.enums import PIPStatus
from pal.services import PALRuleRefused, pip_approve, pip_save, pip_submit
from tests.pal.factories import DoteFactory, service
from tests.workers.factories import InvolvementFactory
from workers.enums import Step
from workers.services import involvement_move

pytestmark = pytest.mark.django_db


def test_a_pip_goes_from_draft_to_approved_and_the_worker_reaches_step_4(staff_bg):
    involvement = InvolvementFactory()
    for to, day in ((Step.STEP_2, 10), (Step.STEP_3, 20)):
        involvement_move(
            user=None, involvement=involvement, to=to, effective_date=datetime.date(2025, 4, day)
        )
    dote = DoteFactory(involvement=involvement)
    pip = pip_save(user=None, dote=dote, objectives="x", services=[service()])
    pip_submit(user=None, pip=pip)
    approval = pip_approve(user=staff_bg, pip=pip)
    pip.refresh_from_db()
    involvement.refresh_from_db()
    assert pip.status == PIPStatus.APPROVATO
    assert approval.moved_to_step_4
    assert involvement.current_step == Step.STEP_4


def test_a_pip_above_the_dote_value_is_refused():
    dote = DoteFactory(value=Decimal("400"))
    with pytest.raises(PALRuleRefused) as refusal:
        pip_save(user=None, dote=dote, objectives="", services=[service()])
    assert refusal.value.code == "dote_value"
