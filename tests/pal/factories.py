"""Factories for active policies (§4): Doti, PIPs with services, networks."""

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from pal.enums import Delivery, ServiceKind
from pal.models import PIP, Dote, Measure, PIPService
from tests.cases.factories import OperatorFactory
from tests.workers.factories import InvolvementFactory


def measure(code: str = "dote-unica-lavoro") -> Measure:
    """Measures ship with the migrations: fetched, never created."""
    return Measure.objects.get(code=code)


class DoteFactory(DjangoModelFactory):
    class Meta:
        model = Dote

    involvement = factory.SubFactory(InvolvementFactory)
    measure = factory.LazyFunction(measure)
    operator = factory.SubFactory(OperatorFactory)
    value = Decimal("3000.00")
    valid_from = datetime.date(2025, 5, 1)
    valid_until = datetime.date(2026, 4, 30)


class PIPFactory(DjangoModelFactory):
    class Meta:
        model = PIP

    dote = factory.SubFactory(DoteFactory)
    objectives = "Ricollocazione nel settore logistico."


class PIPServiceFactory(DjangoModelFactory):
    class Meta:
        model = PIPService

    pip = factory.SubFactory(PIPFactory)
    kind = ServiceKind.ORIENTAMENTO
    hours = Decimal("10")
    cost = Decimal("500.00")
    delivery = Delivery.INDIVIDUALE
    planned_start = datetime.date(2025, 6, 1)
    planned_end = datetime.date(2025, 7, 31)


def service(**overrides) -> dict:
    """One service as the services take it (a dict of fields)."""
    data = {
        "kind": ServiceKind.ORIENTAMENTO,
        "hours": Decimal("10"),
        "cost": Decimal("500.00"),
        "delivery": Delivery.INDIVIDUALE,
        "planned_start": datetime.date(2025, 6, 1),
        "planned_end": datetime.date(2025, 7, 31),
    }
    data.update(overrides)
    return data


# --- PIPs at a given status, operator staff, networks ------------------------------------------
# (String model references and local imports keep these additions append-only.)


def pip_with_service(status: str = "bozza", *, cost: Decimal = Decimal("500.00"), **pip_kwargs):
    """A PIP already at ``status`` (set directly, as a precondition) with one service."""
    if status == "restituito":
        pip_kwargs.setdefault("return_note", "Mancano le date del tirocinio.")
    pip = PIPFactory(status=status, **pip_kwargs)
    PIPServiceFactory(pip=pip, cost=cost)
    return pip


def operator_staff(operator, **kwargs):
    """A user of the operator's staff (role operator)."""
    from tests.factories import UserFactory

    return UserFactory(operator=True, operator_id=operator.pk, **kwargs)


def _province(code: str):
    from cases.models import Province

    return Province.objects.get(code=code)


class NetworkFactory(DjangoModelFactory):
    """A network in BG under Azioni di rete, led by a labour-accredited operator.

    ``NetworkFactory(complete=True)`` adds the lead, the Province and the CPI of the territory
    as members; ``cohorts=[...]`` and ``procedures=[...]`` say whom it serves.
    """

    class Meta:
        model = "pal.Network"
        skip_postgeneration_save = True

    class Params:
        territory = "BG"

    name = factory.Sequence(lambda n: f"Rete per la ricollocazione {n}")
    lead = factory.SubFactory(OperatorFactory)
    province = factory.LazyAttribute(lambda o: _province(o.territory))
    measure = factory.LazyFunction(lambda: measure("azioni-di-rete"))
    valid_from = datetime.date(2025, 1, 1)
    valid_until = None

    @factory.post_generation
    def complete(self, create, extracted, **kwargs):
        if not (create and extracted):
            return
        NetworkMemberFactory(network=self, kind="operatore_lavoro", operator=self.lead)
        NetworkMemberFactory(
            network=self, kind="provincia", name="Provincia", province=self.province
        )
        NetworkMemberFactory(
            network=self,
            kind="cpi",
            name="Centro per l'impiego",
            operator=OperatorFactory(cpi=True),
            province=self.province,
        )

    @factory.post_generation
    def cohorts(self, create, extracted, **kwargs):
        if create and extracted:
            self.cohorts.set(extracted)

    @factory.post_generation
    def procedures(self, create, extracted, **kwargs):
        if create and extracted:
            self.procedures.set(extracted)


class NetworkMemberFactory(DjangoModelFactory):
    class Meta:
        model = "pal.NetworkMember"

    network = factory.SubFactory(NetworkFactory)
    kind = "altro"
    name = factory.LazyAttributeSequence(
        lambda o, n: o.operator.name if o.operator else f"Membro {n}"
    )
    operator = None
    province = None


def committed_pip(involvement, cost: Decimal, *, code: str = "formazione-continua", **dote_kwargs):
    """An approved PIP (so it counts towards the caps) on a new Dote of the worker."""
    dote_kwargs.setdefault("value", cost)
    dote = DoteFactory(involvement=involvement, measure=measure(code), **dote_kwargs)
    return pip_with_service("approvato", dote=dote, cost=cost)
