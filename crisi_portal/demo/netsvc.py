"""Demo of source 003's reporting by network members: on the valid demo network (Rete Milano
Ricollocazione, led by operatore.a's organisation), the lead opens its Doti for a few of the
network's workers, gives shares to itself, to the CPI and to operatore.b's organisation (added
as an operator accredited for training), and the members report individual and group services
within their shares. Everything goes through ``pal.services``; runs once (when the network has
shares it does nothing); dates relative to today.
"""

from datetime import date, timedelta
from decimal import Decimal

from crisi_portal.demo.pal import NETWORK_VALID, OPERATOR_A, OPERATOR_B
from crisi_portal.models import User
from pal import services
from pal.eligibility import measures_for
from pal.enums import Delivery, MemberKind, ServiceKind
from pal.models import Network, NetworkMember, NetworkShare, Operator

WORKERS = 4
DOTE_VALUE = Decimal("3000.00")
# Per Dote: the lead, the CPI, the training operator.
SHARES = (Decimal("1200.00"), Decimal("600.00"), Decimal("1200.00"))


def seed_network_services(today: date) -> str:
    network = Network.objects.filter(name=NETWORK_VALID).select_related("lead", "measure").first()
    if network is None or NetworkShare.objects.filter(network=network).exists():
        return "Network services: nothing to do."
    users = {u.operator_id: u for u in User.objects.filter(operator__isnull=False)}
    lead = network.lead
    training = Operator.objects.filter(accreditation_number=OPERATOR_B).first()
    cpi = NetworkMember.objects.filter(network=network, kind=MemberKind.CPI).first()
    if (
        training is None
        or cpi is None
        or cpi.operator is None
        or lead.accreditation_number != (OPERATOR_A)
    ):
        return "Network services: demo operators missing."
    members = [
        {f: getattr(m, f) for f in ("kind", "name", "operator", "province")}
        for m in network.members.all()
    ]
    members.append(
        {"kind": MemberKind.OPERATORE_FORMAZIONE, "name": training.name, "operator": training}
    )
    services.network_save(user=None, data={}, members=members, network=network)
    start = max(network.valid_from, today - timedelta(days=45))
    until = min(network.valid_until or today + timedelta(days=365), today + timedelta(days=365))
    # Only workers the network's measure admits on the Doti's first day (pal.eligibility: the
    # Azioni di rete want a cut of more than 30 %, CIGS, a unit in Lombardy).
    candidates = [
        i for cohort in network.cohorts.all() for i in cohort.involvements.filter(doti__isnull=True)
    ]
    verdicts = measures_for(candidates, on=start, measures=[network.measure])
    involvements = [
        i for i in sorted(candidates, key=lambda i: i.pk) if verdicts[i.pk][0].eligible
    ][:WORKERS]
    doti = [
        services.dote_assign(
            user=users.get(lead.pk),
            involvement=involvement,
            measure=network.measure,
            operator=lead,
            value=DOTE_VALUE,
            valid_from=start,
            valid_until=until,
        )
        for involvement in involvements
    ]
    if not doti:
        return "Network services: no network worker free for a Dote."
    operators = (lead, cpi.operator, training)
    for dote in doti:
        for operator, amount in zip(operators, SHARES, strict=True):
            services.network_share_set(
                user=users.get(lead.pk),
                network=network,
                operator=operator,
                dote=dote,
                amount=amount,
            )

    def report(operator, kind, delivery, days_ago, hours, cost, workers):
        services.network_service_report(
            user=users.get(operator.pk),
            network=network,
            operator=operator,
            kind=kind,
            delivery=delivery,
            delivered_on=max(start, today - timedelta(days=days_ago)),
            hours=Decimal(hours),
            cost=Decimal(cost),
            doti=workers,
        )

    report(lead, ServiceKind.ACCOGLIENZA, Delivery.GRUPPO, 40, "2", "0", doti)
    report(cpi.operator, ServiceKind.ORIENTAMENTO, Delivery.GRUPPO, 30, "6", "840.00", doti)
    report(training, ServiceKind.FORMAZIONE, Delivery.GRUPPO, 20, "40", "2880.00", doti)
    report(lead, ServiceKind.BILANCIO_COMPETENZE, Delivery.INDIVIDUALE, 10, "6", "210.00", doti[:1])
    return f"Network services: {len(doti)} Doti on {network.name}, 4 services reported."
