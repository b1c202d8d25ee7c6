"""Factories for crisis procedures (§2) and accredited operators (§4)."""

import datetime

import factory
from factory.django import DjangoModelFactory
from stdnum import luhn

from cases.enums import CompanyKind, Family, MeetingKind, Status
from cases.models import Company, CrisisProcedure, Meeting, ProductionUnit, Province
from pal.models import Operator


def partita_iva(base: int, office: str = "016") -> str:
    """A partita IVA: the last seven digits of ``base`` (not all zeros) as the company number,
    a tax office code (Bergamo's by default) and the check digit."""
    body = f"{base:07d}"[-7:] + office
    assert int(body[:7]), "the company number of a partita IVA cannot be all zeros"
    return body + luhn.calc_check_digit(body)


def province(code: str) -> Province:
    return Province.objects.get(code=code)


class CompanyFactory(DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Officine Lombarde {n} S.p.A.")
    tax_code = factory.Sequence(lambda n: partita_iva(1_234_560 + n))
    ateco_code = "25.62.00"
    kind = CompanyKind.INDUSTRIALE_OLTRE_15


def _days_from_today(days: int) -> datetime.date:
    from django.utils import timezone

    return timezone.localdate() + datetime.timedelta(days=days)


class CrisisProcedureFactory(DjangoModelFactory):
    """``CrisisProcedureFactory(lead="MI", with_unit=True)``."""

    class Meta:
        model = CrisisProcedure
        skip_postgeneration_save = True

    class Params:
        lead = "BG"
        with_unit = factory.Trait(
            unit=factory.RelatedFactory(
                "tests.cases.factories.ProductionUnitFactory", factory_related_name="procedure"
            )
        )
        highly_complex = factory.Trait(
            high_complexity=True, complexity_note="Oltre 500 lavoratori su tre province."
        )
        closed = factory.Trait(status=Status.CHIUSA)
        open_ended = factory.Trait(end_date=None)
        # In progress today: opened 120 days ago, income support from 100 days ago to 265 ahead.
        current = factory.Trait(
            opened_on=factory.LazyFunction(lambda: _days_from_today(-120)),
            start_date=factory.LazyFunction(lambda: _days_from_today(-100)),
            end_date=factory.LazyFunction(lambda: _days_from_today(265)),
        )

    external_id = factory.Sequence(lambda n: f"PROC-{n:05d}")
    company = factory.SubFactory(CompanyFactory)
    family = Family.CIGS_MINISTERIALE
    opened_on = datetime.date(2025, 3, 10)
    start_date = datetime.date(2025, 4, 1)
    end_date = datetime.date(2026, 3, 31)
    status = Status.IN_CORSO
    lead_province = factory.LazyAttribute(lambda o: province(o.lead))


class ProductionUnitFactory(DjangoModelFactory):
    """In the procedure's lead province unless ``in_province="MI"`` says otherwise."""

    class Meta:
        model = ProductionUnit

    class Params:
        in_province = None

    procedure = factory.SubFactory(CrisisProcedureFactory)
    external_id = factory.Sequence(lambda n: f"UNIT-{n:05d}")
    name = "Stabilimento"
    comune = "Dalmine"
    province = factory.LazyAttribute(
        lambda o: province(o.in_province) if o.in_province else o.procedure.lead_province
    )
    workers_involved = 40


class MeetingFactory(DjangoModelFactory):
    """``MeetingFactory(convened_by="BG", procedures=[procedure])``."""

    class Meta:
        model = Meeting
        skip_postgeneration_save = True

    class Params:
        convened_by = "BG"
        regional = factory.Trait(kind=MeetingKind.REGIONALE, convened_by=None)

    kind = MeetingKind.BILATERALE
    date = datetime.date(2025, 5, 6)
    province = factory.LazyAttribute(lambda o: province(o.convened_by) if o.convened_by else None)
    participants = "Nucleo Crisi, RSU, Confindustria"

    @factory.post_generation
    def procedures(self, create, extracted, **kwargs):
        if create and extracted:
            self.procedures.set(extracted)


class OperatorFactory(DjangoModelFactory):
    class Meta:
        model = Operator

    class Params:
        cpi = factory.Trait(is_public=True, name=factory.Sequence(lambda n: f"CPI {n}"))

    name = factory.Sequence(lambda n: f"Ente accreditato {n}")
    accreditation_number = factory.Sequence(lambda n: f"ACC-{n:05d}")
    accredited_for_labour = True
