"""Factories for workers, cohorts and involvements (§3).

Involvements are created through the service so each starts at STEP_1 with its first
transition, exactly as in the product; move them on with ``involvement_move``.
"""

import datetime

import factory
from codicefiscale import codicefiscale
from factory.django import DjangoModelFactory

from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from workers.enums import IncomeSupport, Sex
from workers.models import Cohort, ExemptionReason, Involvement, Worker

_SURNAMES = ["Rossi", "Colombo", "Ferrari", "Brambilla", "Galli", "Villa", "Riva", "Sala"]
_NAMES = {
    Sex.F: ["Chiara", "Elena", "Francesca", "Giulia"],
    Sex.M: ["Luca", "Marco", "Paolo", "Andrea"],
}


def fiscal_code(n: int, sex: str = Sex.F) -> str:
    """A valid fiscal code, different for every ``n``."""
    surname = _SURNAMES[n % len(_SURNAMES)]
    name = _NAMES[Sex(sex)][(n // len(_SURNAMES)) % 4]
    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=97 * n)
    return codicefiscale.encode(
        lastname=surname,
        firstname=name,
        gender=sex,
        birthdate=birth.strftime("%d/%m/%Y"),
        birthplace="Bergamo",
    )


def unused_fiscal_code(n: int = 0) -> str:
    """A valid fiscal code that :class:`WorkerFactory` never produces (born in Milan).

    The factory's sequence is per process and grows across tests, so ``fiscal_code(n)``
    for any fixed ``n`` may belong to a worker some earlier factory call created.
    """
    return codicefiscale.encode(
        lastname="Assente",
        firstname="Nessuno",
        gender=Sex.M,
        birthdate=(datetime.date(1970, 1, 1) + datetime.timedelta(days=n)).strftime("%d/%m/%Y"),
        birthplace="Milano",
    )


class WorkerFactory(DjangoModelFactory):
    class Meta:
        model = Worker

    class Params:
        n = factory.Sequence(int)

    sex = Sex.F
    fiscal_code = factory.LazyAttribute(lambda o: fiscal_code(o.n, o.sex))
    last_name = factory.LazyAttribute(lambda o: _SURNAMES[o.n % len(_SURNAMES)])
    first_name = factory.LazyAttribute(lambda o: _NAMES[Sex(o.sex)][(o.n // len(_SURNAMES)) % 4])
    birth_date = factory.LazyAttribute(
        lambda o: codicefiscale.decode(o.fiscal_code)["birthdate"].date()
    )
    citizenship = "italiana"


class CohortFactory(DjangoModelFactory):
    class Meta:
        model = Cohort

    procedure = factory.SubFactory(CrisisProcedureFactory)
    unit = factory.SubFactory(ProductionUnitFactory, procedure=factory.SelfAttribute("..procedure"))
    name = factory.Sequence(lambda n: f"Gruppo {n}")


class InvolvementFactory(DjangoModelFactory):
    """``InvolvementFactory(unit=unit)``: taken in charge (STEP_1) on ``taken_on``."""

    class Meta:
        model = Involvement

    taken_on = datetime.date(2025, 4, 2)
    worker = factory.SubFactory(WorkerFactory)
    unit = factory.SubFactory(ProductionUnitFactory)
    procedure = factory.SelfAttribute("unit.procedure")
    cohort = None
    income_support = IncomeSupport.CIGS
    hours_reduction_pct = 100
    period_start = datetime.date(2025, 4, 1)
    period_end = datetime.date(2026, 3, 31)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from workers.services import involvement_create

        taken_on = kwargs.pop("taken_on")
        worker, procedure, unit = kwargs.pop("worker"), kwargs.pop("procedure"), kwargs.pop("unit")
        cohort = kwargs.pop("cohort", None)
        return involvement_create(
            user=None,
            worker=worker,
            procedure=procedure,
            unit=unit,
            cohort=cohort,
            data=kwargs,
            taken_in_charge_on=taken_on,
        )


def exemption_reason(code: str = "pensionamento_imminente") -> ExemptionReason:
    return ExemptionReason.objects.get(code=code)
