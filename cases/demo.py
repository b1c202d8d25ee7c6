"""Demo data for ``manage.py seed_demo``: the Region's 2024 figures plus a few current cases.

Everything is generated from ``random.Random(2024)`` so two databases seeded from scratch get
the same procedures, companies and units (dates that depend on "today" aside: the status of a
procedure and the current cases, which are never in the future).

The 2024 table is embedded here rather than read from ``shared/reference/`` because that folder
is not part of the deployed code; ``tests/cases/test_seed_demo.py`` checks the database against
the published CSV itself.
"""

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history
from stdnum import luhn

from cases.enums import Cause, CompanyKind, ConcessionKind, Family, MeetingKind, Status
from cases.models import Company, CrisisProcedure, Meeting, ProductionUnit, Province
from cases.validators import partita_iva_is_valid
from crisi_portal.models import User
from crisi_portal.roles import Role
from pal.models import Operator, OperatorOffice

DEMO_PREFIX = "DEMO-"
DEMO_PASSWORD = "demo-password"
CHANGE_REASON = "seed_demo"

# The Region's published 2024 table (shared/reference/annual_2024_lombardia.csv), units and
# workers only: the percentages follow from them.
ANNUAL_2024_CSV = """\
province,cigs_min_units,cigs_min_workers,cigs_reg_units,cigs_reg_workers,lic_units,lic_workers
BG,9,438,6,561,28,616
BS,6,71,3,75,15,410
CO,4,258,3,108,9,183
CR,4,353,0,0,5,94
LC,2,38,1,134,3,39
LO,0,0,1,18,4,64
MN,3,152,1,71,3,94
MI,41,673,18,487,107,2191
MB,6,116,4,390,22,625
PV,3,34,6,366,10,379
SO,1,2,1,59,1,59
VA,8,99,3,73,12,227
"""

FAMILY_COLUMNS = {
    Family.CIGS_MINISTERIALE: "cigs_min",
    Family.CIGS_REGIONALE: "cigs_reg",
    Family.LICENZIAMENTO_COLLETTIVO: "lic",
}

# Share of procedures (per family) whose units lie in two or three provinces.
MULTI_PROVINCE_SHARE = 0.10
CURRENT_PROCEDURES = 25
HIGH_COMPLEXITY_2024 = 6
HIGH_COMPLEXITY_CURRENT = 2


def annual_2024() -> dict[tuple[str, str], tuple[int, int]]:
    """``{(province, family): (units, workers)}`` of the 2024 table."""
    table = {}
    for row in csv.DictReader(io.StringIO(ANNUAL_2024_CSV)):
        for family, column in FAMILY_COLUMNS.items():
            table[row["province"], family.value] = (
                int(row[f"{column}_units"]),
                int(row[f"{column}_workers"]),
            )
    return table


# --- Places -----------------------------------------------------------------------------------

PROVINCE_ORDER = ("BG", "BS", "CO", "CR", "LC", "LO", "MN", "MI", "MB", "PV", "SO", "VA")

COMUNI = {
    "BG": ["Bergamo", "Dalmine", "Treviglio", "Seriate", "Romano di Lombardia", "Albino"],
    "BS": ["Brescia", "Lumezzane", "Desenzano del Garda", "Chiari", "Rovato", "Montichiari"],
    "CO": ["Como", "Cantù", "Erba", "Mariano Comense", "Olgiate Comasco"],
    "CR": ["Cremona", "Crema", "Casalmaggiore", "Soresina"],
    "LC": ["Lecco", "Merate", "Calolziocorte", "Valmadrera", "Oggiono"],
    "LO": ["Lodi", "Codogno", "Casalpusterlengo", "Sant'Angelo Lodigiano"],
    "MN": ["Mantova", "Castiglione delle Stiviere", "Suzzara", "Viadana", "Porto Mantovano"],
    "MI": [
        "Milano",
        "Sesto San Giovanni",
        "Rho",
        "Legnano",
        "Cinisello Balsamo",
        "San Donato Milanese",
        "Segrate",
        "Abbiategrasso",
    ],
    "MB": ["Monza", "Desio", "Seregno", "Lissone", "Cesano Maderno", "Vimercate", "Agrate Brianza"],
    "PV": ["Pavia", "Vigevano", "Voghera", "Mortara", "Stradella"],
    "SO": ["Sondrio", "Morbegno", "Tirano", "Chiavenna"],
    "VA": ["Varese", "Busto Arsizio", "Gallarate", "Saronno", "Malnate", "Tradate"],
}

# Code of the provincial tax office in digits 8-10 of a partita IVA (the ISTAT province code,
# 001-100). Monza e Brianza (ISTAT 108, a province since 2009) has no office code of its own:
# its companies keep Milan's, 015.
TAX_OFFICE = {
    "BG": "016",
    "BS": "017",
    "CO": "013",
    "CR": "019",
    "LC": "097",
    "LO": "098",
    "MN": "020",
    "MI": "015",
    "MB": "015",
    "PV": "018",
    "SO": "014",
    "VA": "012",
}

# Territorial adjective (feminine, masculine) for company names.
TERRITORY = {
    "BG": ("Orobica", "Orobico"),
    "BS": ("Bresciana", "Bresciano"),
    "CO": ("Comasca", "Comasco"),
    "CR": ("Cremonese", "Cremonese"),
    "LC": ("Lecchese", "Lecchese"),
    "LO": ("Lodigiana", "Lodigiano"),
    "MN": ("Mantovana", "Mantovano"),
    "MI": ("Milanese", "Milanese"),
    "MB": ("Brianzola", "Brianzolo"),
    "PV": ("Pavese", "Pavese"),
    "SO": ("Valtellinese", "Valtellinese"),
    "VA": ("Varesina", "Varesino"),
}
REGIONAL_ADJECTIVE = ("Lombarda", "Lombardo")

STREETS = [
    "Via Roma",
    "Via Milano",
    "Via dell'Industria",
    "Via dell'Artigianato",
    "Via Garibaldi",
    "Via Alessandro Volta",
    "Viale Europa",
    "Via Guglielmo Marconi",
    "Via Enrico Fermi",
    "Via dei Mille",
    "Via Leonardo da Vinci",
    "Via Papa Giovanni XXIII",
    "Via Provinciale",
    "Via Torino",
    "Via Lombardia",
    "Via Giacomo Matteotti",
    "Via Bergamo",
    "Via del Lavoro",
]

SURNAMES = (
    "Colombo Brambilla Ferrari Bianchi Villa Fumagalli Galli Sala Mariani Cattaneo Pozzi Riva "
    "Bonfanti Locatelli Rota Gritti Zanetti Cortesi Beretta Ghezzi Mauri Crippa Pirovano "
    "Maggioni Tagliabue Oldani Bertoni Gatti Redaelli Valsecchi"
).split()


@dataclass(frozen=True)
class Sector:
    noun: str
    feminine: bool
    ateco: str
    services: bool = False
    craft: bool = False  # small firms of the sector are often artigiane
    site: str = "Stabilimento"  # what a unit is called


SECTORS = [
    Sector("Meccanica", True, "25.62.00", craft=True),
    Sector("Tessitura", True, "13.20.00"),
    Sector("Fonderia", True, "24.51.00"),
    Sector("Cartiera", True, "17.12.00"),
    Sector("Trafileria", True, "24.34.00"),
    Sector("Carpenteria", True, "25.11.00", craft=True),
    Sector("Vetreria", True, "23.13.00"),
    Sector("Grafica", True, "18.12.00", craft=True),
    Sector("Plastica", True, "22.29.09"),
    Sector("Elettronica", True, "26.11.09"),
    Sector("Chimica", True, "20.59.90"),
    Sector("Calzaturificio", False, "15.20.10", craft=True),
    Sector("Mobilificio", False, "31.09.10", craft=True),
    Sector("Maglificio", False, "14.39.00", craft=True),
    Sector("Salumificio", False, "10.13.00"),
    Sector("Pastificio", False, "10.73.00"),
    Sector("Stampaggio", False, "25.50.00"),
    Sector("Logistica", True, "52.29.22", services=True, site="Magazzino"),
    Sector("Distribuzione", True, "46.90.00", services=True, site="Filiale"),
    Sector("Ristorazione", True, "56.29.10", services=True, site="Sede"),
]

CAUSES_CIGS = [
    (Cause.CRISI_AZIENDALE, 45),
    (Cause.RIORGANIZZAZIONE, 30),
    (Cause.CONTRATTO_SOLIDARIETA, 15),
    (Cause.CESSAZIONE, 7),
    (Cause.ALTRO, 3),
]
CAUSES_DISMISSAL = [
    (Cause.CRISI_AZIENDALE, 40),
    (Cause.CESSAZIONE, 35),
    (Cause.RIORGANIZZAZIONE, 22),
    (Cause.ALTRO, 3),
]
CONCESSIONS = [
    (ConcessionKind.PRIMA_CONCESSIONE, 60),
    (ConcessionKind.PRIMA_PROROGA, 22),
    (ConcessionKind.SECONDA_PROROGA, 12),
    (ConcessionKind.PROROGA_SUCCESSIVA, 6),
]
UNIONS = {
    "industry": "FIOM-CGIL, FIM-CISL, UILM-UIL",
    "textile": "FILCTEM-CGIL, FEMCA-CISL, UILTEC-UIL",
    "services": "FILCAMS-CGIL, FISASCAT-CISL, UILTuCS",
}
EMPLOYERS = {
    "BG": "Confindustria Bergamo",
    "BS": "Confindustria Brescia",
    "CO": "Confindustria Como",
    "CR": "Confindustria Cremona",
    "LC": "Confindustria Lecco e Sondrio",
    "LO": "Assolodi",
    "MN": "Confindustria Mantova",
    "MI": "Assolombarda",
    "MB": "Assolombarda",
    "PV": "Confindustria Pavia",
    "SO": "Confindustria Lecco e Sondrio",
    "VA": "Confindustria Varese",
}

OPERATORS = [
    # accreditation number, name, labour, training, public
    ("DEMO-ACC-0001", "Lavoro & Futuro Soc. Coop.", True, True, False),
    ("DEMO-ACC-0002", "Formazione Lombarda S.r.l.", True, True, False),
    # One public employment centre (CPI) per province, named after its chief town.
    *(
        (f"DEMO-CPI-{code}", f"Centro per l'Impiego di {COMUNI[code][0]}", True, False, True)
        for code in PROVINCE_ORDER
    ),
]
# Offices (address, comune, province) by accreditation number: where each operator works.
OPERATOR_OFFICES = {
    "DEMO-ACC-0001": [
        ("Via Camozzi 12", "Bergamo", "BG"),
        ("Viale Monza 45", "Milano", "MI"),
    ],
    "DEMO-ACC-0002": [
        ("Via Larga 8", "Milano", "MI"),
        ("Via Italia 20", "Monza", "MB"),
    ],
    **{
        f"DEMO-CPI-{code}": [(f"Via del Lavoro {index + 1}", COMUNI[code][0], code)]
        for index, code in enumerate(PROVINCE_ORDER)
    },
}

USERS = [
    # username, first, last, email, role, provinces, operator (accreditation no.)
    (
        "nucleo.bg",
        "Giulia",
        "Locatelli",
        "giulia.locatelli@provincia.bergamo.example",
        Role.PROVINCE_STAFF,
        ["BG"],
        None,
    ),
    (
        "nucleo.mi",
        "Marco",
        "Colombo",
        "marco.colombo@cittametropolitana.milano.example",
        Role.PROVINCE_STAFF,
        ["MI"],
        None,
    ),
    (
        "regione",
        "Francesca",
        "Brambilla",
        "francesca.brambilla@regione.lombardia.example",
        Role.REGION_OFFICIAL,
        [],
        None,
    ),
    (
        "operatore.a",
        "Luca",
        "Ferrari",
        "luca.ferrari@lavoroefuturo.example",
        Role.OPERATOR,
        [],
        "DEMO-ACC-0001",
    ),
    (
        "operatore.b",
        "Chiara",
        "Fumagalli",
        "chiara.fumagalli@formazionelombarda.example",
        Role.OPERATOR,
        [],
        "DEMO-ACC-0002",
    ),
    ("admin", "Paolo", "Cattaneo", "paolo.cattaneo@crisiportal.example", Role.ADMIN, [], None),
]


# --- Helpers ----------------------------------------------------------------------------------


def partita_iva(rng: random.Random, province: str) -> str:
    """A syntactically valid partita IVA registered at the province's tax office."""
    body = f"{rng.randrange(10**7):07d}{TAX_OFFICE[province]}"
    code = body + luhn.calc_check_digit(body)
    assert partita_iva_is_valid(code), code
    return code


def split_workers(rng: random.Random, units: int, workers: int) -> list[int]:
    """``units`` positive integers adding up exactly to ``workers``, unevenly like real sites."""
    if units == 0:
        if workers:
            raise ValueError("workers without units")
        return []
    if workers < units:
        raise ValueError(f"{workers} workers cannot fill {units} units with one each")
    weights = [rng.lognormvariate(0, 1) for _ in range(units)]
    spare = workers - units
    shares = [spare * weight / sum(weights) for weight in weights]
    parts = [1 + int(share) for share in shares]
    # Largest remainders get the workers lost to rounding down.
    order = sorted(range(units), key=lambda i: (shares[i] - int(shares[i]), -i), reverse=True)
    for i in order[: workers - sum(parts)]:
        parts[i] += 1
    assert sum(parts) == workers and min(parts) >= 1
    return parts


def weighted(rng: random.Random, choices):
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights=weights)[0]


def random_day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


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


def _validate(objects, exclude) -> None:
    """Model validation without the per-object queries (the database checks the rest)."""
    for obj in objects:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)


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
    _validate(companies, exclude=[])
    _validate(procedures, exclude=["company", "lead_province"])
    _validate(units, exclude=["procedure", "province"])

    history = {"default_change_reason": CHANGE_REASON, "batch_size": 500}
    bulk_create_with_history(companies, Company, **history)
    # bulk_create copies the new primary keys of companies and procedures into the foreign keys.
    bulk_create_with_history(procedures, CrisisProcedure, **history)
    bulk_create_with_history(units, ProductionUnit, **history)

    for meeting, discussed in build_meetings(random.Random(2026), procedures, today):
        meeting._change_reason = CHANGE_REASON
        meeting.full_clean(exclude=["province", "procedures"], validate_constraints=False)
        meeting.save()
        meeting.procedures.set(discussed)
    return len(procedures)


def seed_operators(result: SeedResult) -> dict[str, Operator]:
    operators = {}
    for number, name, labour, training, public in OPERATORS:
        operator = Operator.objects.filter(accreditation_number=number).first() or Operator(
            accreditation_number=number
        )
        values = {
            "name": name,
            "accredited_for_labour": labour,
            "accredited_for_training": training,
            "is_public": public,
        }
        created = operator.pk is None
        changed = created or any(getattr(operator, key) != value for key, value in values.items())
        if changed:
            for key, value in values.items():
                setattr(operator, key, value)
            operator._change_reason = CHANGE_REASON
            operator.full_clean()
            operator.save()
        offices = OPERATOR_OFFICES.get(number, [])
        if sorted(offices) != sorted(operator.offices.values_list("address", "comune", "province")):
            operator.offices.all().delete()
            for address, comune, province in offices:
                office = OperatorOffice(
                    operator=operator, address=address, comune=comune, province_id=province
                )
                office.full_clean(exclude=["operator", "province"], validate_constraints=False)
                office.save()
            changed = True
        if changed:
            result.operators["created" if created else "updated"] += 1
        operators[number] = operator
    return operators


def seed_users(result: SeedResult, operators: dict[str, Operator]) -> None:
    # One hash for all: hashing six times would take most of the command's run time.
    password = make_password(DEMO_PASSWORD)
    personal_data = Permission.objects.get_or_create(
        content_type=ContentType.objects.get_for_model(User),
        codename="view_personal_data",
        defaults={"name": "Can see workers' identities (every view is logged)"},
    )[0]
    for username, first, last, email, role, provinces, operator in USERS:
        is_admin = role == Role.ADMIN
        user, created = User.objects.update_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": email,
                "role": role,
                "operator": operators[operator] if operator else None,
                "is_staff": is_admin,
                "is_superuser": is_admin,
                "is_active": True,
                "password": password,
            },
        )
        user.full_clean(exclude=["password"], validate_unique=False)
        user.provinces.set(Province.objects.filter(code__in=provinces))
        if role == Role.REGION_OFFICIAL:
            user.user_permissions.add(personal_data)
        result.users["created" if created else "updated"] += 1


@transaction.atomic
def seed(today: date | None = None) -> SeedResult:
    """Load the demo data; procedures only once, operators and users brought up to date."""
    today = today or timezone.localdate()
    result = SeedResult()
    if demo_procedures_exist():
        result.procedures_skipped = True
    else:
        result.procedures_created = seed_procedures(today)
    operators = seed_operators(result)
    seed_users(result, operators)
    return result
