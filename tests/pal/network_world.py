"""A valid network (source 003) with a member besides the lead, workers in a served cohort and
the lead's Doti for them: shared by the network-services tests."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from pal.models import Dote, Network, Operator
from tests.cases.factories import OperatorFactory, ProductionUnitFactory
from tests.factories import UserFactory
from tests.pal.factories import DoteFactory, NetworkFactory, NetworkMemberFactory, measure
from tests.workers.factories import CohortFactory, InvolvementFactory


@dataclass
class NetworkWorld:
    network: Network
    lead: Operator
    member: Operator
    lead_user: object
    member_user: object
    doti: list[Dote]
    outsider: Dote  # the lead's Dote for a worker the network does not serve


def network_world(*, code: str = "gol-percorso-5", workers: int = 3, tag: str = "") -> NetworkWorld:
    today = timezone.localdate()
    unit = ProductionUnitFactory(in_province="BG")
    cohort = CohortFactory(procedure=unit.procedure, unit=unit)
    network = NetworkFactory(territory="BG", measure=measure(code), complete=True, cohorts=[cohort])
    member = OperatorFactory()
    NetworkMemberFactory(network=network, kind="operatore_formazione", operator=member)
    lead_user = UserFactory(username=f"lead{tag}", operator=True, operator_id=network.lead_id)
    member_user = UserFactory(username=f"member{tag}", operator=True, operator_id=member.pk)

    def dote(involvement):
        return DoteFactory(
            involvement=involvement,
            operator=network.lead,
            measure=network.measure,
            value=Decimal("3000.00"),
            valid_from=today - datetime.timedelta(days=60),
            valid_until=today + datetime.timedelta(days=300),
        )

    doti = [dote(InvolvementFactory(unit=unit, cohort=cohort)) for _ in range(workers)]
    outsider = dote(InvolvementFactory(unit=unit))
    return NetworkWorld(network, network.lead, member, lead_user, member_user, doti, outsider)
