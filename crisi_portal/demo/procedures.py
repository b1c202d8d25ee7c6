"""Demo data for ``manage.py seed_demo``: the Region's 2024 figures plus a few current cases.

Everything is generated from ``random.Random(2024)`` so two databases seeded from scratch get
the same procedures, companies and units (dates that depend on "today" aside: the status of a
procedure and the current cases, which are never in the future).

The 2024 table is embedded here rather than read from ``shared/reference/`` because that folder
is not part of the deployed code; ``tests/cases/test_seed_demo.py`` checks the database against
the published CSV itself.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from cases.enums import Cause, CompanyKind, Family, MeetingKind, Status
from cases.models import (
    Company,
    CrisisProcedure,
    Meeting,
    ProductionUnit,
    assign_cpis,
    number_procedures,
)
from crisi_portal.demo.accounts import seed_operators, seed_users
from crisi_portal.demo.common import random_day, split_workers, validate, weighted
from crisi_portal.demo.identity import partita_iva
from crisi_portal.demo.reference import (
    CAUSES_CIGS,
    CAUSES_DISMISSAL,
    CHANGE_REASON,
    COMUNI,
    CONCESSIONS,
    DEMO_PREFIX,
    EMPLOYERS,
    PROVINCE_ORDER,
    REGIONAL_ADJECTIVE,
    SECTORS,
    STREETS,
    SURNAMES,
    TERRITORY,
    UNIONS,
    annual_2024,
)
from crisi_portal.history import bulk_create_recorded

# Share of procedures (per family) whose units lie in two or three provinces.
MULTI_PROVINCE_SHARE = 0.10
CURRENT_PROCEDURES = 25
HIGH_COMPLEXITY_2024 = 6
HIGH_COMPLEXITY_CURRENT = 2


@dataclass
class UnitPlan:
    province: str
    workers: int


@dataclass
class ProcedurePlan:
    family: str
    units: list[UnitPlan]
    opened_on: date
    external_id: str = ""
    high_complexity: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def lead(self) -> str:
        return self.units[0].province

    @property
    def workers(self) -> int:
        return sum(unit.workers for unit in self.units)


def plan_2024(rng: random.Random) -> list[ProcedurePlan]:
    """Procedures whose units reproduce the 2024 table cell for cell."""
    table = annual_2024()
    plans = []
    for family in Family:
        pools = {}
        for province in PROVINCE_ORDER:
            units, workers = table[province, family.value]
            pools[province] = [UnitPlan(province, n) for n in split_workers(rng, units, workers)]
            rng.shuffle(pools[province])
        total_units = sum(len(pool) for pool in pools.values())
        family_plans = []
        # A few procedures span two or three provinces (lead province = first unit's).
        for _ in range(round(total_units * MULTI_PROVINCE_SHARE / 1.3)):
            available = [p for p in PROVINCE_ORDER if pools[p]]
            size = min(len(available), 3 if rng.random() < 0.3 else 2)
            if size < 2:
                break
            chosen = []
            while len(chosen) < size:
                candidates = [p for p in available if p not in chosen]
                chosen.append(rng.choices(candidates, [len(pools[p]) for p in candidates])[0])
            family_plans.append(ProcedurePlan(family, [pools[p].pop() for p in chosen], date.min))
        for province in PROVINCE_ORDER:
            family_plans.extend(ProcedurePlan(family, [unit], date.min) for unit in pools[province])
        plans.extend(family_plans)
    for plan in plans:
        plan.opened_on = random_day(rng, date(2024, 1, 2), date(2024, 12, 20))
    plans.sort(key=lambda plan: plan.opened_on)
    for number, plan in enumerate(plans, start=1):
        plan.external_id = f"{DEMO_PREFIX}2024-{number:04d}"
    for plan in sorted(plans, key=lambda plan: -plan.workers)[:HIGH_COMPLEXITY_2024]:
        plan.high_complexity = True
    # Also flag a couple of multi-province procedures (coordination between Nuclei).
    multi = [plan for plan in plans if len(plan.units) > 1 and not plan.high_complexity]
    for plan in rng.sample(multi, min(2, len(multi))):
        plan.high_complexity = True
    return plans


def plan_current(rng: random.Random, today: date) -> list[ProcedurePlan]:
    """A handful of procedures opened from 2025 up to today: the cases the UI shows as live."""
    years = [year for year in (2025, 2026) if year <= today.year]
    provinces_by_weight = [
        ("MI", 8),
        ("MB", 3),
        ("BG", 3),
        ("BS", 3),
        ("VA", 2),
        ("CO", 2),
        ("PV", 2),
        ("CR", 1),
        ("LC", 1),
        ("LO", 1),
        ("MN", 1),
        ("SO", 1),
    ]
    plans = []
    for index in range(CURRENT_PROCEDURES):
        # Every province gets at least one current case, then the big ones get more.
        lead = (
            PROVINCE_ORDER[index]
            if index < len(PROVINCE_ORDER)
            else weighted(rng, provinces_by_weight)
        )
        if index < len(PROVINCE_ORDER) and lead in ("BG", "MI"):
            # The demo officers' provinces always have a case opened a few months ago,
            # still open whatever day the demo is loaded.
            opened_on = today - timedelta(days=rng.randint(60, 200))
        else:
            year = years[index % len(years)]
            opened_on = random_day(rng, date(year, 1, 1), min(date(year, 12, 20), today))
        family = weighted(
            rng,
            [
                (Family.CIGS_MINISTERIALE, 40),
                (Family.CIGS_REGIONALE, 20),
                (Family.LICENZIAMENTO_COLLETTIVO, 40),
            ],
        )
        units = [UnitPlan(lead, rng.randint(6, 140))]
        if rng.random() < 0.2:
            other = weighted(rng, [(p, w) for p, w in provinces_by_weight if p != lead])
            units.append(UnitPlan(other, rng.randint(3, 60)))
        plans.append(ProcedurePlan(family, units, opened_on))
    plans.sort(key=lambda plan: plan.opened_on)
    numbers = {}
    for plan in plans:
        year = plan.opened_on.year
        numbers[year] = numbers.get(year, 0) + 1
        plan.external_id = f"{DEMO_PREFIX}{year}-{numbers[year]:04d}"
    # The complex ones among the recent cases, so that the cruscotto has open ones to show.
    recent = [plan for plan in plans if (today - plan.opened_on).days <= 300] or plans
    flagged = sorted(recent, key=lambda plan: -plan.workers)[:HIGH_COMPLEXITY_CURRENT]
    # The demo officers' provinces (BG, MI) each have an open complex case in their cruscotto.
    for code in ("BG", "MI"):
        own = [plan for plan in recent if plan.lead == code]
        if own and not any(plan.lead == code for plan in flagged):
            flagged.append(max(own, key=lambda plan: plan.workers))
    for plan in flagged:
        plan.high_complexity = True
    return plans


class CompanyNames:
    def __init__(self, taken_names: set[str], taken_codes: set[str]):
        self.names = set(taken_names)
        self.codes = set(taken_codes)

    def company(self, rng: random.Random, plan: ProcedurePlan) -> Company:
        sector = rng.choice(SECTORS)
        provinces = {unit.province for unit in plan.units}
        feminine, masculine = TERRITORY[plan.lead] if len(provinces) == 1 else REGIONAL_ADJECTIVE
        adjective = feminine if sector.feminine else masculine
        # CIGS and collective dismissals concern employers with more than 15 employees; only
        # regional CIGS (in deroga) reaches small and craft firms.
        if sector.services:
            kind = CompanyKind.SERVIZI
        elif plan.family == Family.CIGS_REGIONALE and plan.workers <= 15:
            kind = CompanyKind.ARTIGIANA if sector.craft else CompanyKind.INDUSTRIALE_FINO_15
        else:
            kind = CompanyKind.INDUSTRIALE_OLTRE_15
        if sector.services and rng.random() < 0.35:
            form = "Soc. Coop."
        elif kind == CompanyKind.ARTIGIANA:
            form = "S.n.c."
        elif plan.workers > 150 or rng.random() < 0.2:
            form = "S.p.A."
        else:
            form = "S.r.l."
        for attempt in range(100):
            surname = rng.choice(SURNAMES)
            style = rng.random()
            if style < 0.4:
                base = f"{sector.noun} {adjective}"
            elif style < 0.75:
                base = f"{sector.noun} {surname}"
            else:
                base = f"{sector.noun} F.lli {surname}"
            if attempt >= 50:  # every plain combination is taken
                base = f"Nuova {base}"
            name = f"{base} {form}"
            if name not in self.names:
                break
        self.names.add(name)
        while True:
            code = partita_iva(rng, plan.lead)
            if code not in self.codes:
                self.codes.add(code)
                break
        plan.extra["sector"] = sector
        return Company(name=name, tax_code=code, ateco_code=sector.ateco, kind=kind)


def complexity_note(plan: ProcedurePlan, cause: str) -> str:
    provinces = sorted({unit.province for unit in plan.units}, key=PROVINCE_ORDER.index)
    parts = []
    if len(provinces) > 1:
        parts.append(
            f"Procedura su più sedi ({', '.join(provinces)}): serve il coordinamento tra i "
            "Nuclei e un tavolo regionale."
        )
    if plan.workers >= 100:
        workforce = [
            "molti con più di 55 anni e bassa scolarizzazione: rischio di disoccupazione di "
            "lunga durata.",
            "in gran parte operai specializzati di un unico settore, difficili da ricollocare "
            "nel territorio.",
            "con numerosi contratti part-time e lavoratrici con carichi di cura: servono "
            "misure di conciliazione.",
        ][int(plan.external_id[-4:]) % 3]
        parts.append(f"{plan.workers} lavoratori coinvolti, {workforce}")
    if cause == Cause.CESSAZIONE:
        parts.append("Cessazione dell'attività: da valutare la ricollocazione collettiva in rete.")
    elif cause == Cause.CRISI_AZIENDALE:
        parts.append("Crisi con ricadute sull'indotto locale; piano industriale ancora incerto.")
    else:
        parts.append("Accordo sindacale da monitorare: possibili ulteriori riduzioni di organico.")
    return " ".join(parts)


def build_procedure(rng: random.Random, plan: ProcedurePlan, company: Company, today: date):
    """The procedure and its units (unsaved) for ``plan``."""
    family = plan.family
    is_dismissal = family == Family.LICENZIAMENTO_COLLETTIVO
    cause = weighted(rng, CAUSES_DISMISSAL if is_dismissal else CAUSES_CIGS)
    start = plan.opened_on - timedelta(days=rng.randint(0, 40))
    current = plan.opened_on.year > 2024
    months = rng.randint(12, 24) if current else rng.randint(6, 24)
    end = start + relativedelta(months=months) - timedelta(days=1)
    if is_dismissal:
        # The agreement closes the joint examination, within 45 days of the procedure.
        agreement = start + timedelta(days=rng.randint(15, 45))
    else:
        agreement = start - timedelta(days=rng.randint(3, 25))
    if agreement > today:
        agreement = None
    # Drawn whatever the outcome, so that the rest of the data does not depend on today.
    roll = rng.random()
    if end < today:
        status = Status.CHIUSA
    elif current and (today - plan.opened_on).days <= 60 or roll < 0.15:
        status = Status.APERTA
    else:
        status = Status.IN_CORSO
    procedure = CrisisProcedure(
        external_id=plan.external_id,
        company=company,
        family=family,
        cause=cause,
        concession_kind="" if is_dismissal else weighted(rng, CONCESSIONS),
        opened_on=plan.opened_on,
        start_date=start,
        end_date=end,
        union_agreement_date=agreement,
        status=status,
        lead_province_id=plan.lead,
        high_complexity=plan.high_complexity,
        complexity_note=complexity_note(plan, cause) if plan.high_complexity else "",
    )
    sector = plan.extra["sector"]
    units = []
    for number, unit in enumerate(plan.units, start=1):
        comune = rng.choice(COMUNI[unit.province])
        site = "Sede" if number == 1 and len(plan.units) > 1 and rng.random() < 0.5 else sector.site
        units.append(
            ProductionUnit(
                procedure=procedure,
                external_id=f"{plan.external_id}-U{number}",
                name=f"{site} di {comune}",
                address=f"{rng.choice(STREETS)} {rng.randint(1, 180)}",
                comune=comune,
                province_id=unit.province,
                workers_involved=unit.workers,
            )
        )
    return procedure, units


def participants(procedures: list[CrisisProcedure], province: str | None, kind: str) -> str:
    sides = []
    if kind in (MeetingKind.REGIONALE, MeetingKind.BILATERALE):
        sides.append("Regione Lombardia – DG Formazione e Lavoro")
    codes = sorted({p.lead_province_id for p in procedures}, key=PROVINCE_ORDER.index)
    if province:
        codes = [province]
    sides.extend(f"Nucleo Crisi {code}" for code in codes)
    if kind in (MeetingKind.SINDACALE, MeetingKind.REGIONALE):
        sides.append(UNIONS["industry"])
        sides.extend(sorted({EMPLOYERS[code] for code in codes}))
    if kind == MeetingKind.INCONTRO_LAVORATORI:
        sides.extend(["RSU aziendale", "operatori accreditati del territorio"])
    if kind == MeetingKind.SINDACALE:
        sides.append("direzione aziendale")
    return ", ".join(sides)


def build_meetings(rng: random.Random, procedures: list[CrisisProcedure], today: date):
    """``[(Meeting, [procedures])]``: tables of 2024 and current ones, a couple still ahead."""
    meetings = []

    def add(kind, day, province, discussed):
        if discussed:
            meeting = Meeting(
                kind=kind,
                date=day,
                province_id=province,
                participants=participants(discussed, province, kind),
            )
            meetings.append((meeting, discussed))

    by_year = {}
    for procedure in procedures:
        by_year.setdefault(procedure.opened_on.year, []).append(procedure)
    complex_ones = [p for p in procedures if p.high_complexity]
    for year, items in sorted(by_year.items()):
        last_day = min(date(year, 12, 20), today)
        # Regional tables (convened by the Region): the complex cases opened before them.
        for month in (4, 10):
            day = date(year, month, 15)
            if day <= last_day:
                running = [p for p in complex_ones if p.opened_on <= day <= p.end_date]
                discussed = running[-4:]
                add(MeetingKind.REGIONALE, day, None, discussed)
        # Bilateral tables Region–territory, convened by the province.
        for province in rng.sample(PROVINCE_ORDER, 4 if year == 2024 else 3):
            local = [p for p in items if p.lead_province_id == province]
            if local:
                day = max(p.opened_on for p in local[:3]) + timedelta(days=rng.randint(7, 30))
                add(MeetingKind.BILATERALE, min(day, last_day), province, local[:3])
        # Union meetings and meetings with the workers on single procedures.
        for kind, count, delay in (
            (MeetingKind.SINDACALE, 5 if year == 2024 else 3, (5, 30)),
            (MeetingKind.INCONTRO_LAVORATORI, 5 if year == 2024 else 3, (20, 60)),
        ):
            for procedure in rng.sample(items, min(count, len(items))):
                day = min(procedure.opened_on + timedelta(days=rng.randint(*delay)), last_day)
                add(kind, day, procedure.lead_province_id, [procedure])
    # Tables already scheduled for the open complex cases (the cruscotto shows the next one).
    upcoming = [p for p in complex_ones if p.status != Status.CHIUSA][-2:]
    for offset, procedure in enumerate(upcoming):
        day = today + timedelta(days=10 + 7 * offset)
        add(
            MeetingKind.INCONTRO_LAVORATORI if offset else MeetingKind.REGIONALE,
            day,
            procedure.lead_province_id if offset else None,
            [procedure],
        )
    return meetings


# --- Loading ----------------------------------------------------------------------------------


@dataclass
class SeedResult:
    procedures_created: int = 0
    procedures_skipped: bool = False
    operators: dict[str, int] = field(default_factory=lambda: {"created": 0, "updated": 0})
    users: dict[str, int] = field(default_factory=lambda: {"created": 0, "updated": 0})


def demo_procedures_exist() -> bool:
    return CrisisProcedure.objects.filter(external_id__startswith=DEMO_PREFIX).exists()


def seed_procedures(today: date) -> int:
    names = CompanyNames(
        set(Company.objects.values_list("name", flat=True)),
        set(Company.objects.values_list("tax_code", flat=True)),
    )
    companies, procedures, units = [], [], []
    # The 2024 data draws from its own generator so that it never depends on today's date.
    rng_2024, rng_current = random.Random(2024), random.Random(2025)
    for rng, plans in (
        (rng_2024, plan_2024(rng_2024)),
        (rng_current, plan_current(rng_current, today)),
    ):
        for plan in plans:
            company = names.company(rng, plan)
            procedure, procedure_units = build_procedure(rng, plan, company, today)
            companies.append(company)
            procedures.append(procedure)
            units.extend(procedure_units)
    validate(companies, exclude=[])
    validate(procedures, exclude=["company", "lead_province"])
    validate(units, exclude=["procedure", "province"])

    bulk_create_recorded(companies, Company, reason=CHANGE_REASON)
    # bulk_create copies the new primary keys of companies and procedures into the foreign keys.
    number_procedures(procedures)
    bulk_create_recorded(procedures, CrisisProcedure, reason=CHANGE_REASON)
    assign_cpis(units)
    bulk_create_recorded(units, ProductionUnit, reason=CHANGE_REASON)

    for meeting, discussed in build_meetings(random.Random(2026), procedures, today):
        meeting._change_reason = CHANGE_REASON
        meeting.full_clean(exclude=["province", "procedures"], validate_constraints=False)
        meeting.save()
        meeting.procedures.set(discussed)
    return len(procedures)


@transaction.atomic
def seed(today: date | None = None) -> SeedResult:
    """Load the demo data; procedures only once, operators and users brought up to date."""
    today = today or timezone.localdate()
    result = SeedResult()
    if demo_procedures_exist():
        result.procedures_skipped = True
    else:
        result.procedures_created = seed_procedures(today)
    operators = seed_operators(result.operators)
    seed_users(result.users, operators)
    return result
