"""Demo outcomes (issue #15): dated after the taking in charge, with contract kinds and sources,
so that the re-employment rates at 6 and 12 months after STEP 1 are not trivial.

Used by :class:`crisi_portal.demo.workers.Builder` (so by ``seed_demo`` and by
``generate_synthetic``, which stays deterministic: every draw comes from the caller's
``random.Random``). The distributions, echoing the 2011 Italia Lavoro monitoring report
(``shared/sources/004``: 27 % of the workers taken in charge re-employed overall, 15 % of the
workers on mobility):

* **Back at work within 12 months of STEP 1**: drawn for 26 % of the suspended workers (CIGS)
  and 15 % of the dismissed ones (NASpI or mobility, collective dismissals); with the exempted
  workers below, the demo's re-employment at 12 months comes to about 27 % overall and 15 % for
  the dismissed (``tests/workers/test_seed_workers.py`` checks the ranges). About 45 % of
  them within the first 6 months (day 15–180 after STEP 1), the others in days 185–365.
  Another 10 % find work later (days 370–600). Dates after today are not recorded (not happened
  yet), so recent workers have fewer outcomes, as in life.
* **Which way back**: suspended workers 50 % a new employer, 38 % back in their company, 12 %
  self-employment; dismissed workers 85 % a new employer, 15 % self-employment.
* **Contract with a new employer**: 24 % permanent, 34 % fixed term of 6 months or more, 34 %
  under 6 months, 8 % apprenticeship (under-30s only; the others share its weight). Three fixed
  terms in four have their end date recorded (6–24 months or 1–5 months after the outcome).
* **Other outcomes**, for workers not back at work: retirement for 25 % of those aged 60 or more
  at STEP 1, "other outcome" for 3 %, both 20–300 days after STEP 1.
* **Workers exempted from PAL** because of a new job, a return to the company or imminent
  retirement get that outcome (70 %, 60 %, 80 % of them) 20–240 days after the exemption.
* **Source**: a new employer or the same company: 55 % confirmed by the mandatory
  communications (UNILAV), 35 % declared by the operator, 10 % by the worker; self-employment
  (no UNILAV): 60 % operator, 40 % worker; retirement and other: 40 % operator, 60 % worker.
"""

import random
from datetime import date, timedelta

from cases.enums import Family
from crisi_portal.demo.common import weighted
from crisi_portal.demo.reference import (
    LOMBARD_SURNAMES,
    OTHER_OUTCOME_NOTES,
    OUTCOMES_WITHOUT_PAL,
    SECTORS,
    SELF_EMPLOYMENT,
)
from workers.enums import ContractKind, IncomeSupport, OutcomeKind, OutcomeSource, Step
from workers.models import Involvement, Outcome, StepTransition, Worker, add_months

WITHIN_12_MONTHS = {"suspended": 0.26, "dismissed": 0.15}
WITHIN_6_OF_12 = 0.45
LATER = 0.10
RETIREMENT_AGE, RETIREMENT_SHARE = 60, 0.25
OTHER_SHARE = 0.03

WAYS_BACK = {
    "suspended": [
        (OutcomeKind.RICOLLOCATO, 50),
        (OutcomeKind.REINTEGRATO, 38),
        (OutcomeKind.AUTOIMPIEGO, 12),
    ],
    "dismissed": [(OutcomeKind.RICOLLOCATO, 85), (OutcomeKind.AUTOIMPIEGO, 15)],
}
NEW_CONTRACTS = [
    (ContractKind.PERMANENT, 24),
    (ContractKind.FIXED_TERM_6_PLUS, 34),
    (ContractKind.FIXED_TERM_UNDER_6, 34),
    (ContractKind.APPRENTICESHIP, 8),  # only under 30
]
FIXED_TERM_END_RECORDED = 0.75
FIXED_TERM_MONTHS = {
    ContractKind.FIXED_TERM_6_PLUS: (6, 9, 12, 12, 18, 24),
    ContractKind.FIXED_TERM_UNDER_6: (1, 2, 3, 3, 4, 5),
}
SOURCES = {
    "employee": [
        (OutcomeSource.MANDATORY_COMMUNICATION, 55),
        (OutcomeSource.OPERATOR, 35),
        (OutcomeSource.WORKER, 10),
    ],
    "self": [(OutcomeSource.OPERATOR, 60), (OutcomeSource.WORKER, 40)],
    "none": [(OutcomeSource.OPERATOR, 40), (OutcomeSource.WORKER, 60)],
}


def _group(involvement: Involvement) -> str:
    dismissed = involvement.procedure.family == Family.LICENZIAMENTO_COLLETTIVO or (
        involvement.income_support in (IncomeSupport.NASPI, IncomeSupport.MOBILITA)
    )
    return "dismissed" if dismissed else "suspended"


def _age(worker: Worker, day: date) -> int:
    born = worker.birth_date
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _when_back(rng: random.Random, taken_on: date, group: str) -> date | None:
    draw = rng.random()
    within = WITHIN_12_MONTHS[group]
    if draw < within * WITHIN_6_OF_12:
        return taken_on + timedelta(days=rng.randint(15, 180))
    if draw < within:
        return taken_on + timedelta(days=rng.randint(185, 365))
    if draw < within + LATER:
        return taken_on + timedelta(days=rng.randint(370, 600))
    return None


def _fill(rng: random.Random, outcome: Outcome, involvement: Involvement, worker: Worker) -> None:
    """Contract, employer, source and notes of an outcome whose kind and date are set."""
    kind, day = outcome.kind, outcome.date
    if kind == OutcomeKind.RICOLLOCATO:
        young = _age(worker, day) < 30
        contracts = [(c, w) for c, w in NEW_CONTRACTS if young or c != ContractKind.APPRENTICESHIP]
        outcome.contract_kind = weighted(rng, contracts)
        if outcome.contract_kind in FIXED_TERM_MONTHS and rng.random() < FIXED_TERM_END_RECORDED:
            months = rng.choice(FIXED_TERM_MONTHS[outcome.contract_kind])
            outcome.contract_end = add_months(day, months) - timedelta(days=1)
        sector = rng.choice(SECTORS)
        outcome.employer = (
            f"{sector.noun} {rng.choice(LOMBARD_SURNAMES)} {rng.choice(['S.r.l.', 'S.p.A.'])}"
        )
        outcome.source = weighted(rng, SOURCES["employee"])
    elif kind == OutcomeKind.REINTEGRATO:
        outcome.contract_kind = ContractKind.SAME_COMPANY
        outcome.employer = involvement.procedure.company.name
        outcome.source = weighted(rng, SOURCES["employee"])
    elif kind == OutcomeKind.AUTOIMPIEGO:
        outcome.contract_kind = ContractKind.SELF_EMPLOYMENT
        outcome.employer = rng.choice(SELF_EMPLOYMENT)
        outcome.source = weighted(rng, SOURCES["self"])
    elif kind == OutcomeKind.PENSIONAMENTO:
        outcome.notes = "Pensione decorrente dal primo giorno del mese successivo."
        outcome.source = weighted(rng, SOURCES["none"])
    else:
        outcome.notes = rng.choice(OTHER_OUTCOME_NOTES)
        outcome.source = weighted(rng, SOURCES["none"])


def demo_outcome(
    rng: random.Random,
    *,
    involvement: Involvement,
    worker: Worker,
    taken_on: date,
    last: StepTransition,
    today: date,
) -> Outcome | None:
    """The outcome of one involvement taken in charge on ``taken_on`` whose last move is
    ``last``, or None (see the module docstring). Never dated after ``today``."""
    group = _group(involvement)
    kind, day = None, None
    if last.to_step == Step.NO_PAL and last.exemption_reason is not None:
        exempted_kind, share = OUTCOMES_WITHOUT_PAL.get(last.exemption_reason.code, (None, 0))
        if exempted_kind is not None and rng.random() < share:
            kind = exempted_kind
            day = last.effective_date + timedelta(days=rng.randint(20, 240))
    if kind is None:
        day = _when_back(rng, taken_on, group)
        if day is not None:
            kind = weighted(rng, WAYS_BACK[group])
        elif _age(worker, taken_on) >= RETIREMENT_AGE and rng.random() < RETIREMENT_SHARE:
            kind, day = OutcomeKind.PENSIONAMENTO, taken_on + timedelta(days=rng.randint(20, 300))
        elif rng.random() < OTHER_SHARE:
            kind, day = OutcomeKind.ALTRO_ESITO, taken_on + timedelta(days=rng.randint(20, 300))
    if kind is None or day is None or day > today:
        return None
    if kind == OutcomeKind.REINTEGRATO and group == "dismissed":
        kind = OutcomeKind.RICOLLOCATO
    outcome = Outcome(involvement=involvement, kind=kind, date=day)
    _fill(rng, outcome, involvement, worker)
    return outcome
