"""Demo workers for ``manage.py seed_demo``: the step model filled with real-looking data.

Workers are put on the demo procedures that the step model follows today: those opened from 2025
(the current cases) and the ministerial CIGS procedures of 2024 (the Region's 2025 figures: 4,377
suspended workers of ministerial CIGS procedures, about 51 % of them brought to an activated PAL).
Each unit gets ``min(workers_involved, cap)`` involvements, one cohort named after the unit, and a
replayed history of step moves that ends about half of them at STEP_4, about one in eight at
NO_PAL and the rest at STEP_1..STEP_3 (recent procedures less advanced), with a few corrections.
Some 2024 involvements also get an outcome.

The rows are bulk-created for speed, but they are the rows the services would write
(``involvement_create``, ``involvement_move``, ``cohort_create``, ``outcome_record``): a "start"
transition from "" to STEP_1, forward moves one step at a time, exemptions with a reason,
corrections with a reason, the involvement's current step equal to its last transition, and the
audit history of each involvement with one record per move.

Generated from ``random.Random(4377)``; what depends on today's date (the current procedures,
dates never in the future) changes with it.
"""

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.db.models import Q
from django.utils import timezone

from cases.enums import Cause, Family
from cases.models import ProductionUnit
from crisi_portal.demo.accounts import USERS
from crisi_portal.demo.common import (
    cap_per_unit,
    clamp,
    random_day,
    solve_factor,
    split_counts,
    validate,
    weighted,
)
from crisi_portal.demo.identity import ascii_slug, fiscal_code
from crisi_portal.demo.reference import (
    CHANGE_REASON,
    COMUNI,
    CORRECTION_REASONS,
    DEFAULT_EXEMPTION_NOTE,
    DEMO_PREFIX,
    EDUCATION,
    EXEMPTION_NOTES,
    EXEMPTION_WEIGHTS,
    FIRST_NAMES,
    FOREIGN,
    FOREIGN_WEIGHTS,
    FORWARD,
    ITALIAN_BIRTHPLACES,
    LOMBARD_SURNAMES,
    MEASURE_WEIGHTS,
    NEIGHBOURS,
    NEW_CONTRACTS,
    OTHER_OUTCOME_NOTES,
    OUTCOMES_AFTER_PAL,
    OUTCOMES_WITHOUT_PAL,
    REVOCABLE,
    SECTORS,
    SELF_EMPLOYMENT,
    SOUTHERN_SURNAMES,
)
from crisi_portal.history import bulk_create_recorded, bulk_history_recorded
from crisi_portal.models import User
from crisi_portal.roles import Role
from pal.models import Measure
from workers.enums import (
    STEP_SHORT_LABELS,
    ContractKind,
    IncomeSupport,
    OutcomeKind,
    Sex,
    Step,
)
from workers.models import (
    TRANSITIONS,
    Cohort,
    ExemptionReason,
    Involvement,
    MoveKind,
    Outcome,
    StepTransition,
    Worker,
)

SEED = 4377

# At most this many involvements in all: each unit gets min(workers_involved, cap), with the cap
# the largest that keeps the total under this (seed_demo stays fast on SQLite).
MAX_INVOLVEMENTS = 2500
STEP_4_SHARE = 0.51  # the Region's 2025 figure
NO_PAL_SHARE = 0.12
STEP_4_MAX_PER_UNIT = 0.8
NO_PAL_MAX_PER_UNIT = 0.25
CORRECTION_SHARE = 0.03
OUTCOME_SHARE_STEP_4 = 0.25


@dataclass
class UnitPlan:
    unit: ProductionUnit
    size: int
    age: int  # days from the procedure's opening to today
    start: date  # the province takes the workers in charge
    end: date  # last day a move can happen
    offsets: dict[str, int]  # days from start to the cohort's STEP_2, STEP_3 and STEP_4
    officer: User | None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Move:
    to: str
    day: date
    reason: str = ""
    exemption_reason: ExemptionReason | None = None
    measure: Measure | None = None


@dataclass
class WorkersResult:
    skipped: bool = False
    workers: int = 0
    involvements: int = 0
    cohorts: int = 0
    transitions: int = 0
    corrections: int = 0
    outcomes: int = 0
    cap_per_unit: int = 0
    steps: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        total = sum(self.steps.values()) or 1
        parts = []
        for step in Step.values:
            share = f" ({100 * self.steps.get(step, 0) / total:.1f}%)"
            extra = share if step in (Step.STEP_4, Step.NO_PAL) else ""
            parts.append(f"{STEP_SHORT_LABELS[Step(step)]}: {self.steps.get(step, 0)}{extra}")
        return f"Workers per step ({sum(self.steps.values())} involvements): " + ", ".join(parts)


def demo_units():
    """The units the step model follows: current procedures and 2024 ministerial CIGS."""
    return (
        ProductionUnit.objects.filter(procedure__external_id__startswith=DEMO_PREFIX)
        .filter(
            Q(procedure__opened_on__year__gte=2025)
            | Q(procedure__opened_on__year=2024, procedure__family=Family.CIGS_MINISTERIALE)
        )
        .select_related("procedure", "procedure__company")
        .order_by("procedure__opened_on", "procedure__external_id", "external_id")
    )


def demo_involvements():
    return Involvement.objects.filter(procedure__external_id__startswith=DEMO_PREFIX)


def province_officers() -> dict[str, User]:
    """The demo province officers (nucleo.bg, nucleo.mi) by province, when they exist."""
    usernames = [row[0] for row in USERS if row[4] == Role.PROVINCE_STAFF]
    officers: dict[str, User] = {}
    users = User.objects.filter(username__in=usernames, is_active=True).order_by("username")
    for user in users.prefetch_related("provinces"):
        for province in user.provinces.all():
            officers.setdefault(province.pk, user)
    return officers


def plan_units(rng: random.Random, today: date) -> tuple[list[UnitPlan], int]:
    units = list(demo_units())
    cap = cap_per_unit([unit.workers_involved for unit in units], MAX_INVOLVEMENTS)
    officers = province_officers()
    plans = []
    for unit in units:
        size = min(unit.workers_involved, cap)
        if size <= 0:
            continue
        plans.append(unit_plan(rng, unit, size, today, officers.get(unit.province_id)))
    distribute_end_states(plans)
    return plans, cap


def unit_plan(
    rng: random.Random, unit: ProductionUnit, size: int, today: date, officer: User | None
) -> UnitPlan:
    """When the unit's ``size`` workers are taken in charge and the cohort's moves fall."""
    procedure = unit.procedure
    start = min(procedure.opened_on + timedelta(days=rng.randint(2, 21)), today)
    end = min(today, procedure.end_date or today)
    end = max(end, start)
    # The cohort's moves: individual interview, group meeting, PAL activations; squeezed
    # into the time there is.
    o2 = rng.randint(7, 30)
    o3 = o2 + rng.randint(10, 35)
    o4 = o3 + rng.randint(7, 30)
    needed = o4 + 45
    available = (end - start).days
    scale = min(1.0, available / needed)
    offsets = {
        Step.STEP_2: round(o2 * scale),
        Step.STEP_3: round(o3 * scale),
        Step.STEP_4: round(o4 * scale),
        "spread": round(45 * scale),
    }
    return UnitPlan(
        unit=unit,
        size=size,
        age=(today - procedure.opened_on).days,
        start=start,
        end=end,
        offsets=offsets,
        officer=officer,
    )


def _maturity(age: int) -> float:
    """How far the step model can have gone: 0 for a new procedure, 1 after about nine months."""
    return clamp((age - 45) / 240)


def distribute_end_states(plans: list[UnitPlan]) -> None:
    """Per unit, how many workers end at each step; overall ≈ 51 % STEP_4 and 12 % NO_PAL."""
    total = sum(plan.size for plan in plans)
    k4 = solve_factor(
        [(plan.size, _maturity(plan.age)) for plan in plans],
        STEP_4_SHARE * total,
        STEP_4_MAX_PER_UNIT,
    )

    def no_pal_weight(age: int) -> float:
        return 0.0 if age < 14 else clamp(age / 150, 0.1, 1.0)

    k_no = solve_factor(
        [(plan.size, no_pal_weight(plan.age)) for plan in plans],
        NO_PAL_SHARE * total,
        NO_PAL_MAX_PER_UNIT,
    )
    for plan in plans:
        if plan.age < 14:
            plan.counts = {Step.STEP_1: plan.size}
            continue
        p4 = min(STEP_4_MAX_PER_UNIT, k4 * _maturity(plan.age))
        p_no = min(NO_PAL_MAX_PER_UNIT, k_no * no_pal_weight(plan.age))
        rest = max(0.0, 1 - p4 - p_no)
        m = clamp(plan.age / 180)
        w1, w2 = 1 - 0.75 * m, 0.5
        w3 = 0.0 if plan.age < 30 else 0.2 + 0.8 * m
        w = w1 + w2 + w3
        plan.counts = split_counts(
            plan.size,
            {
                Step.STEP_4: p4,
                Step.NO_PAL: p_no,
                Step.STEP_3: rest * w3 / w,
                Step.STEP_2: rest * w2 / w,
                Step.STEP_1: rest * w1 / w,
            },
        )
    # Rounding unit by unit drifts from the target: even it out on the most mature units.
    gap = round(STEP_4_SHARE * total) - sum(plan.counts.get(Step.STEP_4, 0) for plan in plans)
    ordered = sorted(plans, key=lambda plan: -plan.age)
    while gap:
        moved = False
        for plan in ordered if gap > 0 else reversed(ordered):
            if not gap:
                break
            if _maturity(plan.age) == 0:
                continue
            source, target = (Step.STEP_3, Step.STEP_4) if gap > 0 else (Step.STEP_4, Step.STEP_3)
            if plan.counts.get(source, 0) > 0:
                plan.counts[source] -= 1
                plan.counts[target] = plan.counts.get(target, 0) + 1
                gap += -1 if gap > 0 else 1
                moved = True
        if not moved:
            break


# --- Building the rows ------------------------------------------------------------------------


class Builder:
    # Outcomes are recorded on the procedures of these years (the demo: 2024's).
    outcome_years = frozenset({2024})

    def __init__(self, rng: random.Random, today: date, taken_codes=None):
        self.rng = rng
        self.today = today
        if taken_codes is None:
            taken_codes = set(Worker.objects.values_list("fiscal_code", flat=True))
        self.taken_codes = taken_codes
        self.reasons = {r.code: r for r in ExemptionReason.objects.filter(is_active=True)}
        if not self.reasons:
            raise RuntimeError("No active exemption reasons: run the migrations first.")
        self.measures = list(Measure.objects.filter(is_active=True)) or list(Measure.objects.all())
        if not self.measures:
            raise RuntimeError("No PAL measures: run the migrations first.")
        self.all_comuni = [c for comuni in COMUNI.values() for c in comuni]

    # People

    def worker(self, unit: ProductionUnit, officer: User | None) -> Worker:
        rng = self.rng
        sex = Sex.M if rng.random() < 0.62 else Sex.F
        roll = rng.random()
        if roll < 0.11:
            country, citizenship, surnames, males, females = rng.choices(
                FOREIGN, weights=FOREIGN_WEIGHTS
            )[0]
            last = rng.choice(surnames)
            first = rng.choice(males if sex == Sex.M else females)
            birth = random_day(rng, date(1966, 1, 1), date(2000, 12, 31))
            place = country
        else:
            citizenship = "italiana"
            birth = random_day(rng, date(1960, 1, 1), date(2000, 12, 31))
            first = rng.choice(FIRST_NAMES[sex])
            if roll < 0.25 and birth.year < 1990:
                last, place = rng.choice(SOUTHERN_SURNAMES), rng.choice(ITALIAN_BIRTHPLACES)
            else:
                last = rng.choice(LOMBARD_SURNAMES)
                local = COMUNI.get(unit.province_id, self.all_comuni)
                place = rng.choice(local if rng.random() < 0.8 else self.all_comuni)
        code = fiscal_code(last, first, sex, birth, place)
        attempts = 0
        while code in self.taken_codes:  # same person data: born a day later
            attempts += 1
            birth += timedelta(days=1)
            if attempts > 20:
                place = rng.choice(self.all_comuni)
            code = fiscal_code(last, first, sex, birth, place)
        self.taken_codes.add(code)
        residence = unit.province_id
        if rng.random() < 0.12:
            residence = rng.choice(NEIGHBOURS.get(residence, [residence]))
        worker = Worker(
            fiscal_code=code,
            last_name=last,
            first_name=first,
            birth_date=birth,
            sex=sex,
            citizenship=citizenship,
            education_level=weighted(rng, EDUCATION),
            residence_province_id=residence,
            email=(
                f"{ascii_slug(first)}.{ascii_slug(last)}{birth.year % 100:02d}@posta.example"
                if rng.random() < 0.6
                else ""
            ),
        )
        if officer is not None:
            worker._history_user = officer
        return worker

    def involvement(self, plan: UnitPlan, worker: Worker, cohort: Cohort) -> Involvement:
        rng = self.rng
        procedure = plan.unit.procedure
        if procedure.family == Family.LICENZIAMENTO_COLLETTIVO:
            support = IncomeSupport.MOBILITA if rng.random() < 0.05 else IncomeSupport.NASPI
            hours = 100
            base = procedure.union_agreement_date or procedure.start_date or procedure.opened_on
            period_start = base + timedelta(days=rng.randint(15, 75))
            months = rng.choice([12, 18, 24])
            period_end = period_start + relativedelta(months=months) - timedelta(days=1)
        else:
            support = IncomeSupport.CIGS
            if procedure.cause == Cause.CESSAZIONE:
                hours = 100
            else:
                hours = weighted(rng, [(30, 15), (50, 25), (70, 20), (100, 40)])
            period_start, period_end = procedure.start_date, procedure.end_date
        involvement = Involvement(
            worker=worker,
            procedure=procedure,
            unit=plan.unit,
            cohort=cohort,
            income_support=support,
            hours_reduction_pct=hours,
            period_start=period_start,
            period_end=period_end,
        )
        if plan.officer is not None:
            involvement._history_user = plan.officer
        return involvement

    # Steps

    def measure(self, day: date, involvement: Involvement) -> Measure:
        if involvement.procedure.family == Family.LICENZIAMENTO_COLLETTIVO:
            table = MEASURE_WEIGHTS["dismissal"]
        elif involvement.hours_reduction_pct < 100:
            table = MEASURE_WEIGHTS["cigs_partial"]
        else:
            table = MEASURE_WEIGHTS["cigs"]
        valid = [m for m in self.measures if m.in_force_on(day)] or self.measures
        weights = [table.get(m.code, 1) for m in valid]
        return self.rng.choices(valid, weights=weights)[0]

    def exemption(self, involvement: Involvement, worker: Worker, day: date):
        rng = self.rng
        weights = dict(EXEMPTION_WEIGHTS)
        age = (day - worker.birth_date).days // 365
        if age >= 60:
            weights["pensionamento_imminente"] = 60
        elif age < 57:
            weights["pensionamento_imminente"] = 0
        if involvement.procedure.family == Family.LICENZIAMENTO_COLLETTIVO:
            weights["rientro_in_azienda"] = 0
            weights["nuova_occupazione"] += 12
        elif involvement.hours_reduction_pct <= 30:
            weights["riduzione_orario_limitata"] = 45
        if worker.sex == Sex.M or age > 45:
            weights["malattia_maternita"] = 3
        choices = [(r, weights.get(code, 2)) for code, r in self.reasons.items()]
        choices = [(r, w) for r, w in choices if w > 0] or [(r, 1) for r in self.reasons.values()]
        reason = weighted(rng, choices)
        return reason, self.exemption_note(reason, worker)

    def exemption_note(self, reason: ExemptionReason, worker: Worker) -> str:
        notes = EXEMPTION_NOTES.get(reason.code, [DEFAULT_EXEMPTION_NOTE])
        if worker.sex == Sex.M:
            notes = [note for note in notes if "maternità" not in note] or notes
        return self.rng.choice(notes)

    def moves(self, plan: UnitPlan, final: str, involvement: Involvement, worker: Worker):
        """The moves of one worker, from taking in charge to ``final``, dated within the plan."""
        rng = self.rng
        spread = plan.offsets["spread"]
        nominal = {Step.STEP_1: plan.start}
        if rng.random() < 0.25:  # added to the list a few days later
            nominal[Step.STEP_1] += timedelta(days=rng.randint(0, max(1, spread // 6)))
        for step in (Step.STEP_2, Step.STEP_3):
            day = plan.start + timedelta(days=plan.offsets[step])
            if rng.random() < 0.25:  # not at the cohort's interview / group meeting
                day += timedelta(days=rng.randint(1, max(1, spread // 3)))
            nominal[step] = day
        nominal[Step.STEP_4] = plan.start + timedelta(
            days=plan.offsets[Step.STEP_4] + rng.randint(0, spread)
        )

        if final == Step.NO_PAL:
            # Exempted at the first interview mostly, sometimes later (even after the PAL).
            reachable = 1 if plan.age < 14 else 2 if plan.age < 30 else 3 if plan.age < 46 else 4
            top = weighted(
                rng, [(n, w) for n, w in ((1, 40), (2, 25), (3, 25), (4, 10)) if n <= reachable]
            )
        else:
            top = FORWARD.index(final) + 1
        path = FORWARD[:top]

        # A few corrections: a step taken back and done again, or an exemption revoked.
        correction = None
        if rng.random() < CORRECTION_SHARE * 1.6:
            if final != Step.NO_PAL and rng.random() < 0.35:
                dismissed = involvement.procedure.family == Family.LICENZIAMENTO_COLLETTIVO
                revocable = [
                    self.reasons[code]
                    for code in REVOCABLE
                    if code in self.reasons and not (dismissed and code == "rientro_in_azienda")
                ]
                if revocable:
                    correction = ("revoke", rng.randint(1, top), rng.choice(revocable))
            elif top >= 2:
                correction = ("back", rng.randint(2, top), None)

        moves: list[Move] = []
        last = plan.start
        shift = timedelta(0)

        def add(move: Move) -> None:
            nonlocal last
            move.day = max(last, min(move.day, plan.end))
            last = move.day
            moves.append(move)

        for index, step in enumerate(path, start=1):
            move = Move(step, nominal[step] + shift)
            if step == Step.STEP_4:
                move.measure = self.measure(max(last, min(move.day, plan.end)), involvement)
            add(move)
            if correction and correction[1] == index:
                kind, _index, reason = correction
                pause = timedelta(days=rng.randint(3, 25))
                if kind == "back":
                    back = FORWARD[index - 2]
                    add(Move(back, last + pause, reason=rng.choice(CORRECTION_REASONS[back])))
                    again = Move(step, last + timedelta(days=rng.randint(5, 30)))
                    if step == Step.STEP_4:
                        again.measure = self.measure(
                            max(last, min(again.day, plan.end)), involvement
                        )
                    add(again)
                else:
                    note = self.exemption_note(reason, worker)
                    add(Move(Step.NO_PAL, last + pause, reason=note, exemption_reason=reason))
                    # Back where the worker was; a PAL back in force names its measure again.
                    add(
                        Move(
                            step,
                            last + timedelta(days=rng.randint(7, 40)),
                            reason=REVOCABLE[reason.code],
                            measure=move.measure,
                        )
                    )
                shift = last - nominal[step]
        if final == Step.NO_PAL:
            day = last + timedelta(days=rng.randint(3, max(3, spread)))
            reason, note = self.exemption(involvement, worker, max(last, min(day, plan.end)))
            add(Move(Step.NO_PAL, day, reason=note, exemption_reason=reason))
        return moves

    def transitions(self, involvement: Involvement, moves: list[Move], officer) -> list:
        rows = []
        current = ""
        for move in moves:
            kind = TRANSITIONS[(current, move.to)]
            rows.append(
                StepTransition(
                    involvement=involvement,
                    from_step=current,
                    to_step=move.to,
                    kind=kind,
                    effective_date=move.day,
                    recorded_by=officer,
                    reason=move.reason,
                    exemption_reason=move.exemption_reason if move.to == Step.NO_PAL else None,
                    measure=move.measure if move.to == Step.STEP_4 else None,
                )
            )
            current = move.to
        return rows

    # Outcomes

    def outcome(self, involvement: Involvement, worker: Worker, last: StepTransition):
        rng = self.rng
        if involvement.procedure.opened_on.year not in self.outcome_years:
            return None
        if last.to_step == Step.STEP_4:
            if rng.random() >= OUTCOME_SHARE_STEP_4:
                return None
            kind = weighted(rng, OUTCOMES_AFTER_PAL)
        elif last.to_step == Step.NO_PAL:
            code = last.exemption_reason.code if last.exemption_reason else ""
            kind, share = OUTCOMES_WITHOUT_PAL.get(code, (None, 0))
            if kind is None or rng.random() >= share:
                return None
        else:
            return None
        if kind == OutcomeKind.REINTEGRATO and (
            involvement.procedure.family == Family.LICENZIAMENTO_COLLETTIVO
        ):
            kind = OutcomeKind.RICOLLOCATO
        day = min(self.today, last.effective_date + timedelta(days=rng.randint(20, 240)))
        outcome = Outcome(involvement=involvement, kind=kind, date=day)
        if kind == OutcomeKind.RICOLLOCATO:
            young = (day - worker.birth_date).days < 30 * 365
            contracts = [(c, w) for c, w in NEW_CONTRACTS if young or c != "apprendistato"]
            outcome.contract_kind = weighted(rng, contracts)
            sector = rng.choice(SECTORS)
            outcome.employer = (
                f"{sector.noun} {rng.choice(LOMBARD_SURNAMES)} {rng.choice(['S.r.l.', 'S.p.A.'])}"
            )
        elif kind == OutcomeKind.REINTEGRATO:
            outcome.contract_kind = ContractKind.SAME_COMPANY
            outcome.employer = involvement.procedure.company.name
        elif kind == OutcomeKind.AUTOIMPIEGO:
            outcome.contract_kind = ContractKind.SELF_EMPLOYMENT
            outcome.employer = rng.choice(SELF_EMPLOYMENT)
        elif kind == OutcomeKind.PENSIONAMENTO:
            outcome.notes = "Pensione decorrente dal primo giorno del mese successivo."
        else:
            outcome.notes = rng.choice(OTHER_OUTCOME_NOTES)
        return outcome


def _label(step: str) -> str:
    return STEP_SHORT_LABELS[Step(step)] if step else "—"


def replay_moves(
    involvements: list[Involvement], moves: list[list[Move]], reason: str = CHANGE_REASON
) -> None:
    """Save the involvements at their last step with the audit history the services leave:
    created at their first step (``involvement_create``), then one change per later move
    (``involvement_move``), each named "STEP x → STEP y". The rows are written once; the
    history, round by round, through ``bulk_history_recorded``."""
    for involvement, path in zip(involvements, moves, strict=True):
        involvement.current_step, involvement.current_step_since = path[-1].to, path[-1].day
    Involvement.objects.bulk_create(involvements, batch_size=500)
    for index in range(max((len(path) for path in moves), default=0)):
        moved = []
        for involvement, path in zip(involvements, moves, strict=True):
            if index < len(path):
                move = path[index]
                previous = path[index - 1].to if index else ""
                involvement._change_reason = (
                    f"{_label(previous)} → {_label(move.to)}" if index else reason
                )
                involvement.current_step, involvement.current_step_since = move.to, move.day
                moved.append(involvement)
        bulk_history_recorded(moved, Involvement, update=index > 0)
    for involvement, path in zip(involvements, moves, strict=True):
        involvement.current_step, involvement.current_step_since = path[-1].to, path[-1].day
        involvement._change_reason = ""


def seed_workers(today: date | None = None) -> WorkersResult:
    """Workers, cohorts, step histories and outcomes on the demo procedures; once only.

    Call it inside the transaction of the rest of the demo data.
    """
    today = today or timezone.localdate()
    result = WorkersResult()
    if demo_involvements().exists():
        result.skipped = True
        result.steps = demo_involvements().step_counts()
        return result

    rng = random.Random(SEED)
    plans, result.cap_per_unit = plan_units(rng, today)
    builder = Builder(rng, today)

    taken_names = set(
        Cohort.objects.filter(procedure__in={plan.unit.procedure_id for plan in plans}).values_list(
            "procedure_id", "name"
        )
    )
    cohorts, workers, involvements, histories = [], [], [], []
    for plan in plans:
        unit = plan.unit
        name = unit.name
        for candidate in (unit.name, f"{unit.name} ({unit.province_id})", unit.external_id):
            if (unit.procedure_id, candidate) not in taken_names:
                name = candidate
                break
        taken_names.add((unit.procedure_id, name))
        cohort = Cohort(
            procedure=unit.procedure,
            unit=unit,
            name=name,
            notes=f"Lavoratori di {unit.name} ({unit.comune}), presi in carico dal Nucleo "
            f"{unit.province_id}.",
        )
        if plan.officer is not None:
            cohort._history_user = plan.officer
        cohorts.append(cohort)
        finals = [step for step, count in plan.counts.items() for _ in range(count)]
        rng.shuffle(finals)
        for final in finals:
            worker = builder.worker(unit, plan.officer)
            involvement = builder.involvement(plan, worker, cohort)
            moves = builder.moves(plan, final, involvement, worker)
            # The step the last move leaves it at (kept in sync as involvement_move does).
            involvement.current_step = moves[-1].to
            involvement.current_step_since = moves[-1].day
            workers.append(worker)
            involvements.append(involvement)
            histories.append((plan, moves))

    validate(workers, exclude=["fiscal_code", "residence_province"])
    validate(cohorts, exclude=["procedure", "unit"])
    validate(involvements, exclude=["worker", "procedure", "unit", "cohort"])

    bulk_create_recorded(workers, Worker, reason=CHANGE_REASON)
    bulk_create_recorded(cohorts, Cohort, reason=CHANGE_REASON)
    replay_moves(involvements, [moves for _plan, moves in histories])

    transitions, outcomes = [], []
    for involvement, (plan, moves) in zip(involvements, histories, strict=True):
        rows = builder.transitions(involvement, moves, plan.officer)
        transitions.extend(rows)
        result.corrections += sum(1 for row in rows if row.kind == MoveKind.CORRECTION)
        outcome = builder.outcome(involvement, involvement.worker, rows[-1])
        if outcome is not None:
            if plan.officer is not None:
                outcome._history_user = plan.officer
            outcomes.append(outcome)

    validate(transitions, exclude=["involvement", "recorded_by", "exemption_reason", "measure"])
    validate(outcomes, exclude=["involvement"])
    StepTransition.objects.bulk_create(transitions, batch_size=500)
    bulk_create_recorded(outcomes, Outcome, reason=CHANGE_REASON)

    result.workers = len(workers)
    result.involvements = len(involvements)
    result.cohorts = len(cohorts)
    result.transitions = len(transitions)
    result.outcomes = len(outcomes)
    result.steps = dict(Counter(involvement.current_step for involvement in involvements))
    return result
