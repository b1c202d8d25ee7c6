"""Active-policy models (§4): the ledger computed in SQL, who sees what, database constraints."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from pal.enums import PIPStatus
from pal.models import PIP, Dote
from tests.cases.factories import OperatorFactory, ProductionUnitFactory
from tests.pal.factories import (
    DoteFactory,
    PIPFactory,
    PIPServiceFactory,
    operator_staff,
    pip_with_service,
)
from tests.workers.factories import InvolvementFactory

pytestmark = pytest.mark.django_db


# --- Ledger ----------------------------------------------------------------------------------


def services_of(dote: Dote, status: str, *costs_and_delivered: tuple[str, str]) -> None:
    pip = PIPFactory(dote=dote, status=status, return_note="x" * (status == "restituito"))
    for cost, delivered in costs_and_delivered:
        PIPServiceFactory(pip=pip, cost=Decimal(cost), delivered_cost=Decimal(delivered))


def test_the_ledger_counts_committed_delivered_and_remaining_in_sql(django_assert_num_queries):
    dote = DoteFactory(value=Decimal("5000.00"))
    services_of(dote, PIPStatus.BOZZA, ("700.00", "0"))  # a draft commits nothing
    services_of(dote, PIPStatus.RITIRATO, ("900.00", "0"))  # nor a withdrawn PIP
    services_of(dote, PIPStatus.RESTITUITO, ("300.00", "0"))  # nor one sent back for changes
    services_of(dote, PIPStatus.PRESENTATO, ("400.00", "0"))
    services_of(dote, PIPStatus.APPROVATO, ("250.50", "100.00"), ("149.50", "0"))
    services_of(dote, PIPStatus.IN_CORSO, ("600.00", "350.25"))
    services_of(dote, PIPStatus.CONCLUSO, ("1000.00", "1000.00"))
    other = DoteFactory(value=Decimal("2000.00"))
    services_of(other, PIPStatus.APPROVATO, ("1234.00", "234.00"))
    empty = DoteFactory(value=Decimal("1500.00"))

    with django_assert_num_queries(1):
        ledger = {
            d.pk: (d.committed_amount, d.delivered_amount, d.remaining_amount)
            for d in Dote.objects.with_ledger()
        }

    assert ledger == {
        dote.pk: (Decimal("2400.00"), Decimal("1450.25"), Decimal("2600.00")),
        other.pk: (Decimal("1234.00"), Decimal("234.00"), Decimal("766.00")),
        empty.pk: (Decimal("0"), Decimal("0"), Decimal("1500.00")),
    }


def test_a_pips_total_is_the_sum_of_its_services():
    pip = pip_with_service(cost=Decimal("500.00"))
    PIPServiceFactory(pip=pip, cost=Decimal("120.50"))
    empty = PIPFactory()
    totals = dict(PIP.objects.with_total().values_list("pk", "total_cost"))
    assert totals == {pip.pk: Decimal("620.50"), empty.pk: Decimal("0")}


# --- Scoping ---------------------------------------------------------------------------------


def test_an_operators_staff_see_only_their_operators_doti_and_pips():
    pip_a, pip_b = pip_with_service(), pip_with_service()
    staff_a = operator_staff(pip_a.dote.operator)
    assert list(Dote.objects.visible_to(staff_a)) == [pip_a.dote]
    assert list(PIP.objects.visible_to(staff_a)) == [pip_a]
    assert list(PIP.objects.editable_by(staff_a)) == [pip_a]
    assert not PIP.objects.visible_to(operator_staff(OperatorFactory())).exists()
    assert pip_b.pk not in PIP.objects.visible_to(staff_a).values_list("pk", flat=True)


def test_province_staff_see_the_doti_and_pips_of_their_provinces_workers(staff_bg, staff_mi):
    in_bg = pip_with_service()
    in_mi = pip_with_service(
        dote=DoteFactory(
            involvement=InvolvementFactory(unit=ProductionUnitFactory(in_province="MI"))
        )
    )
    assert list(PIP.objects.visible_to(staff_bg)) == [in_bg]
    assert list(PIP.objects.visible_to(staff_mi)) == [in_mi]
    assert list(Dote.objects.visible_to(staff_mi)) == [in_mi.dote]
    # They review PIPs; they do not write them.
    assert list(PIP.objects.reviewable_by(staff_mi)) == [in_mi]
    assert not PIP.objects.editable_by(staff_mi).exists()


def test_the_workers_unit_decides_the_province_not_the_procedures_lead(staff_bg, staff_mi):
    pip = pip_with_service(
        dote=DoteFactory(
            involvement=InvolvementFactory(unit=ProductionUnitFactory(in_province="MI"))
        )
    )
    assert pip.dote.involvement.procedure.lead_province_id == "BG"
    assert list(PIP.objects.reviewable_by(staff_mi)) == [pip]
    assert not PIP.objects.reviewable_by(staff_bg).exists()


def test_region_officials_see_every_pip_and_write_none(region):
    pips = {pip_with_service().pk, pip_with_service().pk}
    assert set(PIP.objects.visible_to(region).values_list("pk", flat=True)) == pips
    assert not PIP.objects.editable_by(region).exists()
    assert not PIP.objects.reviewable_by(region).exists()


# --- Database constraints --------------------------------------------------------------------


def test_a_returned_pip_must_carry_a_note():
    with pytest.raises(IntegrityError), transaction.atomic():
        PIPFactory(status=PIPStatus.RESTITUITO, return_note="")
    assert not PIP.objects.filter(status=PIPStatus.RESTITUITO).exists()


def test_a_service_cannot_report_more_than_it_planned():
    item = PIPServiceFactory(cost=Decimal("500.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        type(item).objects.filter(pk=item.pk).update(delivered_cost=Decimal("500.01"))
    item.refresh_from_db()
    assert item.delivered_cost == 0


def test_a_dote_has_a_positive_value():
    with pytest.raises(IntegrityError), transaction.atomic():
        DoteFactory(value=Decimal("0"))
    assert not Dote.objects.exists()
