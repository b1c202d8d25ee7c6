"""Demo re-employment plan: Bergamo's two-year plan (last year and this one), live indicators.

Modelled on the Piano di Azione provinciale per il Reimpiego (shared/sources/002): the
territorial agreement's partners (Province, social partners, CCIAA, INPS), technical
assistance (ARIFL, Italia Lavoro), accredited operators, the € 7.726.497 for active policies,
and expected results in the three systems (governance, service delivery, impacts).
"""

import datetime
from decimal import Decimal

from crisi_portal.models import User
from monitoring.enums import AgeBand, PartnerRole, PlanMetric, PlanStatus
from monitoring.models import ReemploymentPlan
from monitoring.services import plan_save
from pal.models import FundingSource

TITLE = "Piano di Azione provinciale per il Reimpiego – Bergamo"


def seed_plan(today: datetime.date) -> bool:
    """Create the BG plan ending with ``today``'s year through the service, once; True if
    created. Two years, so that the demo's outcomes (mostly last year) count."""
    year = today.year
    if ReemploymentPlan.objects.filter(title=TITLE, period_to__year=year).exists():
        return False
    author = User.objects.filter(username="nucleo.bg").first()
    first, last = datetime.date(year - 1, 1, 1), datetime.date(year, 12, 31)
    plan = plan_save(
        user=author,
        data={
            "title": TITLE,
            "province_id": "BG",
            "period_from": first,
            "period_to": last,
            "status": PlanStatus.APPROVED,
            "approved_on": datetime.date(year - 1, 1, 20),
            "notes": (
                "Monitoraggio e valutazione del Piano: Cabina di regia (Provincia, parti "
                "sociali, CCIAA), riunita ogni bimestre sui valori di questa pagina."
            ),
        },
        parts={
            "partners": [
                {"role": PartnerRole.PROVINCE, "name": "Provincia di Bergamo – Settore Lavoro"},
                {"role": PartnerRole.SOCIAL_PARTNER, "name": "CGIL, CISL, UIL Bergamo"},
                {"role": PartnerRole.SOCIAL_PARTNER, "name": "Confindustria Bergamo"},
                {"role": PartnerRole.CCIAA, "name": "Camera di Commercio di Bergamo"},
                {"role": PartnerRole.INPS, "name": "INPS – Direzione provinciale di Bergamo"},
                {"role": PartnerRole.TECHNICAL, "name": "ARIFL e Italia Lavoro"},
                {"role": PartnerRole.OPERATOR, "name": "Operatori accreditati della rete"},
            ],
            "phases": [
                {
                    "name": "Concertazione e linee di indirizzo",
                    "starts_on": first,
                    "ends_on": datetime.date(year - 1, 2, 28),
                    "description": "Tavolo di concertazione provinciale; accordo territoriale.",
                },
                {
                    "name": "Presa in carico e Doti",
                    "starts_on": datetime.date(year - 1, 3, 1),
                    "ends_on": datetime.date(year, 6, 30),
                    "description": "STEP 1–4, assegnazione delle Doti e approvazione dei PIP.",
                },
                {
                    "name": "Erogazione dei servizi e ricollocazione",
                    "starts_on": datetime.date(year - 1, 4, 1),
                    "ends_on": datetime.date(year, 10, 31),
                },
                {
                    "name": "Valutazione della Cabina di regia",
                    "description": "Verifica dei risultati attesi: governance, servizi, impatti.",
                    "starts_on": datetime.date(year, 11, 1),
                    "ends_on": last,
                },
            ],
            "budget": [
                {
                    "funding_source": FundingSource.REGIONALE,
                    "amount": Decimal("7726497.00"),
                    "description": "Azioni di politica attiva del lavoro",
                },
                {
                    "funding_source": FundingSource.FSE_PLUS,
                    "amount": Decimal("1500000.00"),
                    "description": "Dote Unica Lavoro",
                },
                {
                    "funding_source": FundingSource.PNRR_GOL,
                    "amount": Decimal("850000.00"),
                    "description": "Percorsi GOL per i lavoratori in CIGS",
                },
            ],
            "target_groups": [
                {"description": "Lavoratori in CIGS", "income_support": "cigs"},
                {"description": "Lavoratori e lavoratrici over 50", "age_band": AgeBand.FROM_50},
                {"description": "Lavoratrici", "sex": "F"},
            ],
        },
    )
    groups = {group.description: group for group in plan.target_groups.all()}
    indicators = [
        {"metric": PlanMetric.PROCEDURES, "target": Decimal(40)},
        {"metric": PlanMetric.TAKEN_IN_CHARGE, "target": Decimal(60)},
        {"metric": PlanMetric.PAL_ACTIVATED, "target": Decimal(90)},
        {"metric": PlanMetric.DOTI_VALUE, "target": Decimal(60000)},
        {"metric": PlanMetric.REEMPLOYED, "target": Decimal(35)},
        {
            "metric": PlanMetric.REEMPLOYED,
            "target": Decimal(12),
            "label": "Over 50 ricollocati",
            "target_group": groups["Lavoratori e lavoratrici over 50"],
        },
        {"metric": PlanMetric.REEMPLOYMENT_RATE, "target": Decimal(40)},
    ]
    plan_save(user=author, data={}, parts={"indicators": indicators}, plan=plan)
    return True
