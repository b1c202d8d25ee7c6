"""Each rule once (#11): the model states it, and service, form, serializer and admin all hit it."""

import ast
import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

import pal.services
from cases.enums import Status
from cases.models import CrisisProcedure
from pal import enums
from pal.enums import RuleCode
from pal.forms import DoteAssignForm
from pal.models import Dote, Measure
from pal.services import PALRuleRefused, dote_assign, pip_save
from tests.cases.factories import OperatorFactory
from tests.pal.factories import DoteFactory, PIPFactory, measure, operator_staff, service
from tests.workers.factories import InvolvementFactory
from workers.enums import Step
from workers.models import Involvement, MoveKind, StepTransition

pytestmark = pytest.mark.django_db


def codes(exc: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in exc.error_dict.items()}


# --- A Dote cannot end before it starts -------------------------------------------------------


def test_the_model_refuses_a_dote_ending_before_it_starts_on_valid_until():
    dote = DoteFactory.build(
        involvement=InvolvementFactory(), operator=OperatorFactory(), measure=measure()
    )
    dote.valid_until = dote.valid_from - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as refusal:
        dote.full_clean()
    assert codes(refusal.value)["valid_until"] == [RuleCode.DOTE_DATES]


def test_the_service_refuses_it_before_any_other_rule():
    operator = OperatorFactory()
    involvement = InvolvementFactory()
    CrisisProcedure.objects.filter(pk=involvement.procedure_id).update(status=Status.CHIUSA)
    involvement.refresh_from_db()
    with pytest.raises(ValidationError) as refusal:  # not PALRuleRefused(procedure_closed)
        dote_assign(
            user=operator_staff(operator),
            involvement=involvement,
            measure=measure(),
            operator=operator,
            value=Decimal("1000.00"),
            valid_from=datetime.date(2025, 5, 1),
            valid_until=datetime.date(2025, 4, 30),
        )
    assert codes(refusal.value) == {"valid_until": [RuleCode.DOTE_DATES]}
    assert not Dote.objects.exists()


def test_the_form_shows_the_models_refusal_on_valid_until():
    involvement = InvolvementFactory()
    form = DoteAssignForm(
        {
            "fiscal_code": involvement.worker.fiscal_code,
            "involvement": involvement.pk,
            "measure": measure().pk,
            "value": "1000.00",
            "valid_from": "2025-05-01",
            "valid_until": "2025-04-30",
        },
        involvements=Involvement.objects.filter(pk=involvement.pk),
    )
    assert not form.is_valid()
    assert [e.code for e in form.errors.as_data()["valid_until"]] == [RuleCode.DOTE_DATES]


# --- A PIP stays on its Dote ------------------------------------------------------------------


def test_the_model_refuses_a_pip_moved_to_another_dote():
    pip = PIPFactory()
    pip.dote = DoteFactory()
    with pytest.raises(ValidationError) as refusal:
        pip.full_clean()  # what the admin's form runs
    assert codes(refusal.value) == {"dote": [RuleCode.PIP_DOTE_FIXED]}


def test_a_pip_kept_on_its_dote_is_clean():
    pip = PIPFactory()
    pip.full_clean()
    pip.check_dote(pip.dote_id)


def test_the_service_refuses_a_pip_saved_on_another_dote():
    pip = PIPFactory()
    other = DoteFactory(operator=pip.dote.operator)
    with pytest.raises(ValidationError) as refusal:
        pip_save(
            user=operator_staff(pip.dote.operator),
            dote=other,
            objectives="x",
            services=[service()],
            pip=pip,
        )
    assert codes(refusal.value) == {"dote": [RuleCode.PIP_DOTE_FIXED]}
    pip.refresh_from_db()
    assert pip.dote_id != other.pk


# --- Measure in force, latest move, transition table -------------------------------------------


@pytest.mark.parametrize(
    "day", [datetime.date(2020, 1, 1), datetime.date(2025, 6, 1), datetime.date(2030, 12, 31)]
)
def test_the_queryset_and_the_model_agree_on_measures_in_force(day):
    Measure.objects.filter(code="dote-unica-lavoro").update(is_active=False)
    in_force = set(Measure.objects.in_force_on(day))
    assert in_force == {m for m in Measure.objects.all() if m.in_force_on(day)}


def test_the_latest_move_is_the_latest_effective_date_then_the_last_recorded():
    involvement = InvolvementFactory()
    day = datetime.date(2025, 5, 2)

    def move(to, effective_date):
        return StepTransition.objects.create(
            involvement=involvement,
            from_step=Step.STEP_1,
            to_step=to,
            kind=MoveKind.FORWARD,
            effective_date=effective_date,
        )

    latest = move(Step.STEP_2, day + datetime.timedelta(days=3))
    move(Step.STEP_2, day)  # recorded later, effective earlier
    assert involvement.transitions.latest_first().first() == latest
    newest = move(Step.STEP_3, day + datetime.timedelta(days=3))
    assert involvement.transitions.latest_first().first() == newest


def test_the_pip_workflow_table_lives_in_the_enums_only():
    assert pal.services.PIP_TRANSITIONS is enums.PIP_TRANSITIONS
    source = Path(pal.services.__file__).read_text()
    assert "PIP_TRANSITIONS: dict" not in source


def test_every_pal_refusal_names_a_rule_code():
    """Each PALRuleRefused(...) in the services names its rule with a RuleCode member."""
    tree = ast.parse(Path(pal.services.__file__).read_text())
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "PALRuleRefused"
    ]
    assert len(calls) > 20
    for call in calls:
        code = call.args[0]
        assert isinstance(code, ast.Attribute), ast.unparse(call)
        assert ast.unparse(code.value) == "RuleCode", ast.unparse(call)
        assert code.attr in RuleCode.__members__, ast.unparse(call)
    assert issubclass(PALRuleRefused, Exception)
