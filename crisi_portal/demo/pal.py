"""Demo active policies for ``manage.py seed_demo``: Doti, PIPs in every state, two networks.

Runs after the workers (same transaction) and only once: when demo Doti exist it does nothing.
Everything goes through the services of ``pal.services`` with the demo users — the operators
(operatore.a, operatore.b) assign Doti, file, submit, start, report and conclude PIPs; the
province officers (nucleo.bg, nucleo.mi) approve or return them; the Region (regione) builds
the networks — so every rule of §4 is checked and every workflow move is logged. There are few
enough PIPs (about thirty) for this to take a second or two.

Workers are taken from the demo involvements on procedures still open in BG and MI, preferably
at STEP 3 (an approval moves them to STEP 4, as in real life) and, for PIPs already delivered,
at STEP 4. Dates are relative to today; measures that end too soon to hold a Dote are skipped.
Generated from ``random.Random(4404)``.
"""

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Q
from django.utils import timezone

from cases.enums import Status as ProcedureStatus
from cases.models import Province
from crisi_portal.demo import workers as workers_demo
from crisi_portal.demo.reference import DEMO_PREFIX, UNIONS
from crisi_portal.models import User
from pal import eligibility, services
from pal.enums import MemberKind, PIPStatus
from pal.models import PIP, Dote, Measure, Network, Operator
from workers.enums import (
    Step,
)
from workers.models import (
    Cohort,
    Involvement,
    StepTransition,
)

SEED = 4404
OPERATOR_A, OPERATOR_B = "DEMO-ACC-0001", "DEMO-ACC-0002"
USERNAMES = {OPERATOR_A: "operatore.a", OPERATOR_B: "operatore.b"}
# A measure must still run this long after today to hold a new demo Dote.
MIN_DAYS_LEFT = 60
PIP_MEASURES = (
    "dote-unica-lavoro",
    "formazione-continua",
    "gol-percorso-3",
    "dote-lavoro-ammortizzatori",  # the dismissed (NASpI, mobility) may receive it
)
NETWORK_MEASURES = ("azioni-di-rete", "gol-percorso-5")

# Per operator: (province of the worker, final status). Each operator has every status; the
# review queues of nucleo.bg and nucleo.mi get several submitted PIPs.
PLAN = {
    OPERATOR_A: [
        ("BG", PIPStatus.BOZZA),
        ("BG", PIPStatus.PRESENTATO),
        ("BG", PIPStatus.PRESENTATO),
        ("BG", PIPStatus.PRESENTATO),
        ("BG", "resubmitted"),  # returned once, corrected and submitted again
        ("BG", PIPStatus.RESTITUITO),
        ("BG", PIPStatus.APPROVATO),
        ("BG", PIPStatus.IN_CORSO),
        ("BG", PIPStatus.CONCLUSO),
        ("BG", PIPStatus.RITIRATO),
        ("MI", PIPStatus.BOZZA),
        ("MI", PIPStatus.PRESENTATO),
        ("MI", PIPStatus.APPROVATO),
        ("MI", PIPStatus.IN_CORSO),
        ("MI", PIPStatus.CONCLUSO),
    ],
    OPERATOR_B: [
        ("MI", PIPStatus.BOZZA),
        ("MI", PIPStatus.BOZZA),
        ("MI", PIPStatus.PRESENTATO),
        ("MI", PIPStatus.PRESENTATO),
        ("MI", "resubmitted"),
        ("MI", PIPStatus.RESTITUITO),
        ("MI", PIPStatus.APPROVATO),
        ("MI", PIPStatus.IN_CORSO),
        ("MI", PIPStatus.IN_CORSO),
        ("MI", PIPStatus.CONCLUSO),
        ("MI", PIPStatus.CONCLUSO),
        ("MI", PIPStatus.RITIRATO),
        ("BG", PIPStatus.PRESENTATO),
        ("BG", PIPStatus.APPROVATO),
    ],
}
# Where an operator looks for workers when the planned province has none left.
FALLBACK_PROVINCES = {OPERATOR_A: ["BG", "MI"], OPERATOR_B: ["MI", "BG"]}
DELIVERED_STATUSES = (PIPStatus.IN_CORSO, PIPStatus.CONCLUSO)
DELIVERED_MIN_DAYS = 60

# Dote values (€, step 50) by measure: within the measure's cap per worker.
DOTE_VALUES = {
    "dote-unica-lavoro": (3000, 5000),
    "formazione-continua": (1200, 2000),
    "gol-percorso-3": (3000, 4500),
    "dote-lavoro-ammortizzatori": (2000, 3000),
}
MEASURE_WEIGHTS = {
    "dote-unica-lavoro": 40,
    "formazione-continua": 30,
    "gol-percorso-3": 30,
    "dote-lavoro-ammortizzatori": 30,
}


@dataclass(frozen=True)
class ServiceTemplate:
    kind: str
    hours: tuple[int, int]
    rate: int  # € per hour
    delivery: str = "individuale"
    days: int = 14  # weight of its slot in the plan's calendar
    optional: bool = False


SERVICES = {
    "dote-unica-lavoro": [
        ServiceTemplate("accoglienza", (2, 2), 0, days=2),
        ServiceTemplate("orientamento", (4, 8), 35, days=14),
        ServiceTemplate("bilancio_competenze", (6, 8), 35, days=10, optional=True),
        ServiceTemplate("formazione", (40, 80), 18, "gruppo", days=45),
        ServiceTemplate("accompagnamento_lavoro", (10, 20), 38, days=60),
    ],
    "formazione-continua": [
        ServiceTemplate("formazione", (24, 60), 25, "gruppo", days=45),
        ServiceTemplate("certificazione_competenze", (4, 4), 50, days=7, optional=True),
    ],
    "gol-percorso-3": [
        ServiceTemplate("accoglienza", (2, 2), 0, days=2),
        ServiceTemplate("orientamento", (6, 8), 35, days=14),
        ServiceTemplate("formazione", (60, 120), 15, "gruppo", days=50),
        ServiceTemplate("tirocinio", (120, 160), 4, days=60, optional=True),
        ServiceTemplate("accompagnamento_lavoro", (10, 16), 38, days=45),
    ],
    "dote-lavoro-ammortizzatori": [
        ServiceTemplate("accoglienza", (2, 2), 0, days=2),
        ServiceTemplate("orientamento", (4, 8), 35, days=14),
        ServiceTemplate("formazione", (30, 60), 18, "gruppo", days=40),
        ServiceTemplate("accompagnamento_lavoro", (10, 16), 38, days=45),
    ],
}
OBJECTIVES = {
    "dote-unica-lavoro": [
        "Riqualificazione come operatore su macchine CNC e ricerca attiva di lavoro nel "
        "settore metalmeccanico del territorio.",
        "Aggiornamento delle competenze logistiche (gestione magazzino, patentino muletto) e "
        "accompagnamento alla ricollocazione.",
        "Bilancio delle competenze, formazione sulla sicurezza e accompagnamento verso un "
        "nuovo impiego nel manifatturiero.",
    ],
    "formazione-continua": [
        "Aggiornamento sulle competenze digitali di base (office, posta, gestionali) per il "
        "rientro in azienda con nuove mansioni.",
        "Corso di lean manufacturing e qualità per la riorganizzazione della linea produttiva.",
        "Formazione sulla manutenzione predittiva degli impianti, con certificazione finale.",
    ],
    "gol-percorso-3": [
        "Percorso di lavoro e inclusione: orientamento, formazione professionalizzante e "
        "tirocinio presso un'impresa del territorio.",
        "Riqualificazione nel settore dei servizi alla persona con tirocinio e ricerca attiva.",
        "Formazione come addetto alla logistica e accompagnamento al lavoro.",
    ],
    "dote-lavoro-ammortizzatori": [
        "Orientamento, formazione breve e accompagnamento verso un nuovo impiego dopo il "
        "licenziamento collettivo.",
        "Ricerca attiva di lavoro nel territorio con formazione sulla sicurezza e i gestionali.",
    ],
}
RETURN_NOTES = [
    "Le ore di formazione non sono motivate dal bilancio delle competenze: indicare il "
    "percorso e l'ente erogatore.",
    "Manca il servizio di accompagnamento al lavoro previsto dalla misura: integrare il piano.",
    "Le date del tirocinio vanno concordate con l'azienda ospitante: correggerle e ripresentare.",
]
WITHDRAW_NOTES = [
    "Il lavoratore è stato richiamato in servizio a tempo pieno: PIP ritirato.",
    "Il lavoratore ha trovato un nuovo impiego prima dell'avvio dei servizi.",
]

HUNDRED = Decimal("100")
CENT = Decimal("0.01")


@dataclass
class PalResult:
    skipped: bool = False
    doti: int = 0
    pips: dict[str, int] = field(default_factory=dict)
    networks: list[tuple[str, bool]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        statuses = ", ".join(f"{status}: {self.pips.get(status, 0)}" for status in PIPStatus.values)
        networks = ", ".join(
            f"{name} ({'valid' if valid else 'not valid'})" for name, valid in self.networks
        )
        lines = [
            f"Active policies: {self.doti} Doti, {sum(self.pips.values())} PIPs ({statuses}); "
            f"{len(self.networks)} networks: {networks or '—'}."
        ]
        lines.extend(self.notes)
        return "\n".join(lines)


def demo_doti():
    return Dote.objects.filter(
        operator__accreditation_number__in=[OPERATOR_A, OPERATOR_B],
        involvement__procedure__external_id__startswith=DEMO_PREFIX,
    )


def _collect(result: PalResult) -> PalResult:
    doti = demo_doti()
    result.doti = doti.count()
    result.pips = dict(Counter(PIP.objects.filter(dote__in=doti).values_list("status", flat=True)))
    result.networks = [
        (network.name, services.network_is_valid(network))
        for network in Network.objects.filter(name__in=[NETWORK_VALID, NETWORK_INVALID])
    ]
    return result


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _usable_measures(today: date, codes) -> dict[str, Measure]:
    usable = {}
    for measure in Measure.objects.filter(code__in=codes):
        if measure.in_force_on(today) and (
            measure.valid_until is None or (measure.valid_until - today).days >= MIN_DAYS_LEFT
        ):
            usable[measure.code] = measure
    return usable


def _slots(templates, start: date, end: date) -> list[tuple[date, date]]:
    """Consecutive calendar slots over [start, end], proportional to each service's days."""
    span = max(0, (end - start).days)
    total = sum(t.days for t in templates)
    slots, cumulated = [], 0
    for template in templates:
        first = start + timedelta(days=span * cumulated // total)
        cumulated += template.days
        last = start + timedelta(days=max(span * cumulated // total - 1, 0))
        slots.append((first, max(first, last)))
    return slots


# --- Networks ---------------------------------------------------------------------------------

NETWORK_VALID = "Rete Milano Ricollocazione"
NETWORK_INVALID = "Rete Bergamo Manifattura (in costituzione)"


def _network_cohort(today: date) -> Cohort | None:
    """An open MI cohort of the demo workers, the one least useful to the PIPs (fewest STEP 3)."""
    cohorts = (
        Cohort.objects.filter(
            procedure__external_id__startswith=DEMO_PREFIX,
            unit__province_id="MI",
        )
        .exclude(procedure__status=ProcedureStatus.CHIUSA)
        .annotate(
            size=Count("involvements"),
            at_step_3=Count("involvements", filter=Q(involvements__current_step=Step.STEP_3)),
            with_doti=Count("involvements__doti"),
        )
        .filter(size__gte=5, with_doti=0)
        .order_by("at_step_3", "size", "pk")
    )
    return cohorts.first()


def seed_networks(today: date, regione: User | None, result: PalResult) -> set[int]:
    """Two networks; returns the ids of the workers the valid one serves (no Dote for them)."""
    measures = _usable_measures(today, NETWORK_MEASURES)
    measure = next((measures[code] for code in NETWORK_MEASURES if code in measures), None)
    lead = Operator.objects.filter(accreditation_number=OPERATOR_A).first()
    if measure is None or lead is None:
        result.notes.append("No exclusive measure in force: demo networks not created.")
        return set()
    provinces = {p.code: p for p in Province.objects.filter(code__in=["BG", "MI"])}
    cpi_mi = Operator.objects.filter(accreditation_number="DEMO-CPI-MI").first()
    until = min(
        today + relativedelta(months=18), measure.valid_until or today + relativedelta(months=18)
    )
    served: set[int] = set()
    cohort = _network_cohort(today)
    if cohort is not None and cpi_mi is not None:
        company = cohort.procedure.company
        services.network_save(
            user=regione,
            data={
                "name": NETWORK_VALID,
                "lead": lead,
                "province": provinces["MI"],
                "measure": measure,
                "valid_from": today - timedelta(days=20),
                "valid_until": until,
                "cohorts": [cohort],
            },
            members=[
                {"kind": MemberKind.OPERATORE_LAVORO, "name": lead.name, "operator": lead},
                {
                    "kind": MemberKind.PROVINCIA,
                    "name": "Città Metropolitana di Milano",
                    "province": provinces["MI"],
                },
                {
                    "kind": MemberKind.CPI,
                    "name": cpi_mi.name,
                    "operator": cpi_mi,
                    "province": provinces["MI"],
                },
                {"kind": MemberKind.AZIENDA, "name": company.name},
                {"kind": MemberKind.ASSOCIAZIONE_CATEGORIA, "name": "Assolombarda"},
                {"kind": MemberKind.PARTE_SOCIALE, "name": UNIONS["industry"]},
            ],
        )
        served = set(cohort.involvements.values_list("worker_id", flat=True))
    # Still being put together: no CPI yet, two members only — the checklist shows what fails.
    services.network_save(
        user=regione,
        data={
            "name": NETWORK_INVALID,
            "lead": lead,
            "province": provinces["BG"],
            "measure": measure,
            "valid_from": today + timedelta(days=30),
            "valid_until": until,
        },
        members=[
            {"kind": MemberKind.OPERATORE_LAVORO, "name": lead.name, "operator": lead},
            {
                "kind": MemberKind.PROVINCIA,
                "name": "Provincia di Bergamo",
                "province": provinces["BG"],
            },
        ],
    )
    return served


# --- Doti and PIPs ----------------------------------------------------------------------------


class Seeder:
    def __init__(self, today: date, result: PalResult):
        self.today = today
        self.result = result
        self.rng = random.Random(SEED)
        self.measures = _usable_measures(today, PIP_MEASURES)
        users = {u.username: u for u in User.objects.filter(username__in=_usernames())}
        self.operator_users = {number: users.get(name) for number, name in USERNAMES.items()}
        self.officers = workers_demo.province_officers()
        self.admin = users.get("admin")
        self.pools: dict[tuple[str, bool], list[Involvement]] = {}

    def pool(self, province: str, delivered: bool, excluded: set[int]) -> list[Involvement]:
        """Candidates in ``province``: STEP 4 first for delivered PIPs, STEP 3 first otherwise."""
        key = (province, delivered)
        if key not in self.pools:
            involvements = list(
                workers_demo.demo_involvements()
                .filter(unit__province_id=province, doti__isnull=True)
                .exclude(procedure__status=ProcedureStatus.CHIUSA)
                .exclude(worker_id__in=excluded)
                .filter(current_step__in=[Step.STEP_2, Step.STEP_3, Step.STEP_4])
                .select_related("procedure", "unit", "worker")
                .order_by("pk")
            )
            if delivered:
                # Services delivered months ago: workers in charge (and at STEP 4) long enough.
                ready = self.today - timedelta(days=DELIVERED_MIN_DAYS)
                involvements = [
                    i
                    for i in involvements
                    if i.procedure.opened_on <= ready
                    and (i.current_step != Step.STEP_4 or i.current_step_since <= ready)
                ]
            self.rng.shuffle(involvements)
            order = (
                [Step.STEP_4, Step.STEP_3, Step.STEP_2]
                if delivered
                else [Step.STEP_3, Step.STEP_2, Step.STEP_4]
            )
            involvements.sort(key=lambda i: order.index(i.current_step))
            self.pools[key] = involvements
        return self.pools[key]

    def eligible_codes(self, involvement: Involvement) -> list[str]:
        """The usable PIP measures the worker may receive (``pal.eligibility``), so the demo
        never opens a Dote the measure's rules refuse."""
        return [
            code
            for code, measure in self.measures.items()
            if not eligibility.rule_failures(involvement, measure, on=self.today)
        ]

    def take(self, provinces: list[str], delivered: bool, excluded: set[int]):
        for province in provinces:
            for involvement in self.pool(province, delivered, excluded):
                if involvement.worker_id not in excluded and self.eligible_codes(involvement):
                    excluded.add(involvement.worker_id)
                    return involvement
        return None

    def measure_for(self, involvement: Involvement) -> Measure:
        """The measure named when the PAL was activated, when usable; else a weighted draw."""
        if involvement.current_step == Step.STEP_4:
            last = (
                StepTransition.objects.filter(involvement=involvement, to_step=Step.STEP_4)
                .latest_first()
                .values_list("measure__code", flat=True)
                .first()
            )
            if last in self.eligible_codes(involvement):
                return self.measures[last]
        codes = self.eligible_codes(involvement)
        code = self.rng.choices(codes, weights=[MEASURE_WEIGHTS[c] for c in codes])[0]
        return self.measures[code]

    def dote(self, involvement: Involvement, operator: Operator, user, delivered: bool) -> Dote:
        rng, today = self.rng, self.today
        measure = self.measure_for(involvement)
        low, high = DOTE_VALUES[measure.code]
        value = Decimal(rng.randrange(low, high + 1, 50))
        if measure.max_per_worker is not None:
            value = min(value, measure.max_per_worker)
        if delivered:
            start = today - timedelta(days=rng.randint(100, 170))
        else:
            start = today - timedelta(days=rng.randint(3, 40))
        floor = max(involvement.procedure.opened_on, measure.valid_from)
        if involvement.current_step == Step.STEP_4:
            floor = max(floor, involvement.current_step_since)
        start = min(max(start, floor), today)
        until = start + relativedelta(months=12) - timedelta(days=1)
        if measure.valid_until is not None:
            until = min(until, measure.valid_until)
        return services.dote_assign(
            user=user,
            involvement=involvement,
            measure=measure,
            operator=operator,
            value=value,
            valid_from=start,
            valid_until=until,
        )

    def plan(self, dote: Dote, status: str) -> list[dict]:
        """The services of a PIP, fitted to the Dote's value and calendar."""
        rng, today = self.rng, self.today
        templates = [t for t in SERVICES[dote.measure.code] if not t.optional or rng.random() < 0.5]
        rows = []
        for template in templates:
            hours = Decimal(rng.randint(*template.hours))
            rows.append([template, hours, _money(hours * template.rate)])
        # Fit the plan to the Dote: training hours down first.
        while sum(row[2] for row in rows) > dote.value:
            row = max(rows, key=lambda row: row[2])
            row[1] = max(Decimal(1), (row[1] * Decimal("0.8")).quantize(Decimal("1")))
            row[2] = _money(row[1] * row[0].rate)
        if status == PIPStatus.CONCLUSO:
            window = (dote.valid_from + timedelta(days=3), today - timedelta(days=5))
        elif status == PIPStatus.IN_CORSO:
            window = (
                max(dote.valid_from + timedelta(days=3), today - timedelta(days=50)),
                today + timedelta(days=60),
            )
        else:
            first = max(dote.valid_from, today) + timedelta(days=rng.randint(7, 20))
            window = (first, first + timedelta(days=rng.randint(100, 160)))
        start = min(window[0], dote.valid_until)
        end = max(start, min(window[1], dote.valid_until))
        slots = _slots([row[0] for row in rows], start, end)
        return [
            {
                "kind": template.kind,
                "hours": hours,
                "cost": cost,
                "delivery": template.delivery,
                "planned_start": first,
                "planned_end": last,
            }
            for (template, hours, cost), (first, last) in zip(rows, slots, strict=True)
        ]

    def report(self, pip: PIP, user, everything: bool) -> None:
        """Rendicontazione: services ended so far in full (or nearly), the running one in part."""
        today = self.today
        for service in pip.services.order_by("planned_start", "pk"):
            if everything or service.planned_end < today:
                share = Decimal(1) if everything or self.rng.random() < 0.7 else Decimal("0.9")
                day = min(service.planned_end + timedelta(days=self.rng.randint(1, 10)), today)
            elif service.planned_start < today:
                length = (service.planned_end - service.planned_start).days + 1
                elapsed = (today - service.planned_start).days
                share = (Decimal(elapsed) / length).quantize(Decimal("0.01"))
                day = today
            else:
                continue
            services.service_report(
                user=user,
                service=service,
                delivered_hours=(service.hours * share).quantize(Decimal("0.1")),
                delivered_cost=_money(service.cost * share),
                delivered_on=day,
            )

    def pip(self, number: str, provinces: list[str], status: str, excluded: set[int]):
        operator_user = self.operator_users[number]
        delivered = status in DELIVERED_STATUSES
        involvement = self.take(provinces, delivered, excluded)
        if involvement is None:
            return None
        operator = operator_user.operator
        reviewer = self.officers.get(involvement.unit.province_id) or self.admin
        dote = self.dote(involvement, operator, operator_user, delivered)
        objectives = self.rng.choice(OBJECTIVES[dote.measure.code])
        planned = self.plan(dote, status)
        pip = services.pip_save(
            user=operator_user, dote=dote, objectives=objectives, services=planned
        )
        if status == PIPStatus.BOZZA:
            return pip
        services.pip_submit(user=operator_user, pip=pip)
        if status == PIPStatus.RITIRATO:
            return services.pip_withdraw(
                user=operator_user, pip=pip, note=self.rng.choice(WITHDRAW_NOTES)
            )
        if status == PIPStatus.PRESENTATO:
            return pip
        note = self.rng.choice(RETURN_NOTES)
        if status in (PIPStatus.RESTITUITO, "resubmitted"):
            pip = services.pip_return(user=reviewer, pip=pip, note=note)
            if status == PIPStatus.RESTITUITO:
                return pip
            # Corrected as asked (one service fewer hours) and submitted again.
            last = planned[-1]
            hours = max(Decimal(1), last["hours"] - 2)
            last["cost"] = _money(last["cost"] * hours / last["hours"])
            last["hours"] = hours
            pip = services.pip_save(
                user=operator_user, dote=dote, objectives=objectives, services=planned, pip=pip
            )
            return services.pip_submit(user=operator_user, pip=pip)
        pip = services.pip_approve(user=reviewer, pip=pip).pip
        if status == PIPStatus.APPROVATO:
            return pip
        pip = services.pip_start(user=operator_user, pip=pip)
        self.report(pip, operator_user, everything=status == PIPStatus.CONCLUSO)
        if status == PIPStatus.IN_CORSO:
            return pip
        return services.pip_conclude(user=operator_user, pip=pip)

    def run(self, excluded: set[int]) -> None:
        if not self.measures:
            self.result.notes.append("No PIP measure in force long enough: no demo Doti.")
            return
        missing = [n for n, user in self.operator_users.items() if user is None]
        if missing or not self.officers:
            self.result.notes.append("Demo users missing: no demo Doti.")
            return
        short = Counter()
        for number, plan in PLAN.items():
            for province, status in plan:
                provinces = [province] + [p for p in FALLBACK_PROVINCES[number] if p != province]
                pip = self.pip(number, provinces, status, excluded)
                if pip is None or pip.dote.involvement.unit.province_id != province:
                    short[province] += 1
        for province, count in short.items():
            self.result.notes.append(
                f"  No worker left on open procedures in {province}: {count} of its planned "
                "PIPs went to another province or were not created."
            )


def _usernames() -> list[str]:
    return [*USERNAMES.values(), "admin", "regione"]


def seed_pal(today: date | None = None) -> PalResult:
    """Doti, PIPs and networks on the demo workers; once only (call it after seed_workers)."""
    today = today or timezone.localdate()
    result = PalResult()
    if demo_doti().exists():
        result.skipped = True
        return _collect(result)
    regione = User.objects.filter(username="regione").first()
    excluded = seed_networks(today, regione, result)
    Seeder(today, result).run(set(excluded))
    return _collect(result)
