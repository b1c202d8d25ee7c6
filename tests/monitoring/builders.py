"""Hand-built dashboard data: procedures, units and workers moved through the steps."""

import datetime

from cases.enums import Family
from pal.models import Measure
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.workers.factories import InvolvementFactory, exemption_reason
from workers.enums import ContractKind, OutcomeKind, Step
from workers.services import involvement_move, outcome_record

D = datetime.date
OPENED_ON, TAKEN_ON, OUTCOME_ON = D(2025, 3, 10), D(2025, 4, 2), D(2025, 9, 1)


def procedure(lead="BG", family=Family.CIGS_MINISTERIALE, opened_on=OPENED_ON):
    return CrisisProcedureFactory(lead=lead, family=family, opened_on=opened_on)


def unit(proc, province=None, workers=40):
    return ProductionUnitFactory(procedure=proc, in_province=province, workers_involved=workers)


def worker(site, step=Step.STEP_1, taken_on=TAKEN_ON, days_to_step_4=28):
    """A worker of ``site`` taken in charge on ``taken_on`` and moved on to ``step``.

    STEP_4 comes ``days_to_step_4`` days after STEP_1 (STEP_2 and STEP_3 in between).
    """
    involvement = InvolvementFactory(unit=site, taken_on=taken_on)
    if step == Step.NO_PAL:
        involvement_move(
            user=None,
            involvement=involvement,
            to=Step.NO_PAL,
            effective_date=taken_on + datetime.timedelta(days=1),
            exemption_reason=exemption_reason(),
        )
        return involvement
    path = [Step.STEP_2, Step.STEP_3, Step.STEP_4]
    for offset, to in enumerate(path[: [Step.STEP_1, *path].index(step)], start=1):
        day = taken_on + datetime.timedelta(days=offset)
        if to == Step.STEP_4:
            day = taken_on + datetime.timedelta(days=days_to_step_4)
        involvement_move(
            user=None,
            involvement=involvement,
            to=to,
            effective_date=day,
            measure=Measure.objects.get(code="dote-unica-lavoro"),
        )
    return involvement


def outcome(involvement, kind, day=OUTCOME_ON, **fields):
    """Record an outcome; a new employer's contract is permanent unless ``contract_kind`` says
    otherwise (the kinds with one possible contract get it from the model)."""
    if kind == OutcomeKind.RICOLLOCATO:
        fields.setdefault("contract_kind", ContractKind.PERMANENT)
    return outcome_record(
        user=None, involvement=involvement, data={"kind": kind, "date": day, **fields}
    )
