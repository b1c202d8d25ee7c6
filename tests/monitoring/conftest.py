"""Data shared by the dashboard's tests (live figures and pre-aggregated tables)."""

import datetime

import pytest

from cases.enums import Family
from tests.monitoring.builders import outcome, procedure, unit, worker
from workers.enums import OutcomeKind, Step

D = datetime.date


@pytest.fixture
def world():
    """Two provinces' data. BG sees A, B and D (which it leads) but not D's MI unit's figures.

    A  BG  cigs_ministeriale        2025  unit BG 40: STEP_4 (28 d), STEP_4 (40 d), STEP_2, NO_PAL
    B  BG  licenziamento_collettivo 2024  unit BG 10: STEP_1 (taken in charge 15 Jan 2025)
    C  MI  cigs_ministeriale        2025  unit MI 100: STEP_4 (10 d), STEP_4 (60 d), STEP_3
    D  BG  cigs_regionale           2025  unit BG 5, unit MI 7: nobody taken in charge
    """
    a, b = procedure(), procedure(family=Family.LICENZIAMENTO_COLLETTIVO, opened_on=D(2024, 11, 5))
    c = procedure(lead="MI")
    d = procedure(family=Family.CIGS_REGIONALE)
    a_bg, b_bg, c_mi = unit(a, workers=40), unit(b, workers=10), unit(c, workers=100)
    unit(d, workers=5)
    unit(d, province="MI", workers=7)
    people = {
        "a1": worker(a_bg, Step.STEP_4, days_to_step_4=28),
        "a2": worker(a_bg, Step.STEP_4, days_to_step_4=40),
        "a3": worker(a_bg, Step.STEP_2),
        "a4": worker(a_bg, Step.NO_PAL),
        "b1": worker(b_bg, taken_on=D(2025, 1, 15)),
        "c1": worker(c_mi, Step.STEP_4, taken_on=D(2025, 5, 5), days_to_step_4=10),
        "c2": worker(c_mi, Step.STEP_4, taken_on=D(2025, 5, 6), days_to_step_4=60),
        "c3": worker(c_mi, Step.STEP_3, taken_on=D(2025, 5, 7)),
    }
    outcome(people["a1"], OutcomeKind.RICOLLOCATO)
    outcome(people["c1"], OutcomeKind.RICOLLOCATO)
    outcome(people["c3"], OutcomeKind.PENSIONAMENTO)
    return people
