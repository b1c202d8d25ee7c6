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
