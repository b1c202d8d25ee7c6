"""Money (issue #15): funding sources, measures' shares, the Doti's ledger, payments, the
spending report's figures and the refusal of an approval that would overdraw a source.

Hand-built world: Formazione Continua draws 60 % on fund A (budget €10,000) and 40 % on fund
B (budget €5,000). A Bergamo Dote of €3,000 has an approved PIP of €1,000 + €500, €800 of it
reported delivered, €300 paid; a Milan Dote of €2,000 has a PIP only submitted (€700, not
committed by an approval).
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from pal import services, spending
from pal.enums import PIPStatus
from pal.models import PIP, Fund, MeasureFunding, Payment
from pal.services import PALRuleRefused
from tests.cases.factories import OperatorFactory, ProductionUnitFactory
from tests.pal.factories import (
    DoteFactory,
    PIPServiceFactory,
    measure,
    operator_staff,
    pip_with_service,
)
from tests.workers.factories import InvolvementFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def world(db):
    fc = measure("formazione-continua")
    fund_a = Fund.objects.create(code="fund-a", name="Fondo A", budget=D("10000"))
    fund_b = Fund.objects.create(code="fund-b", name="Fondo B", budget=D("5000"))
    services.measure_fundings_set(
        user=None, measure=fc, shares=[(fund_a, D("60")), (fund_b, D("40"))]
    )
    op_bg, op_mi = OperatorFactory(name="Ente BG"), OperatorFactory(name="Ente MI")
    bg = DoteFactory(
        involvement=InvolvementFactory(unit=ProductionUnitFactory(in_province="BG")),
        measure=fc,
        operator=op_bg,
        value=D("3000"),
    )
    pip = pip_with_service("approvato", dote=bg, cost=D("1000"))
    PIPServiceFactory(pip=pip, cost=D("500"))
    PIP.objects.filter(pk=pip.pk).update(
        decided_at=datetime.datetime(2025, 6, 1, 10, tzinfo=datetime.UTC)
    )
    first = pip.services.order_by("pk").first()
    first.delivered_cost, first.delivered_hours = D("800"), D("5")
    first.delivered_on = datetime.date(2025, 7, 1)
    first.save()
    Payment.objects.create(
        dote=bg, paid_on=datetime.date(2025, 8, 1), amount=D("300"), reference="DDS 1/2025"
    )
    mi = DoteFactory(
        involvement=InvolvementFactory(
            unit=ProductionUnitFactory(procedure__lead="MI", in_province="MI")
        ),
        measure=fc,
        operator=op_mi,
        value=D("2000"),
    )
    pip_with_service("presentato", dote=mi, cost=D("700"))
    return {"fund_a": fund_a, "fund_b": fund_b, "bg": bg, "mi": mi, "op_bg": op_bg, "pip": pip}


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def figures(row):
    return {k: row[k] for k in ("budget", "assigned", "committed", "delivered", "paid", "left")}


def by_label(rows):
    return {row["label"]: figures(row) for row in rows}


def test_sources_split_every_figure_by_share_and_say_what_is_left(world, region):
    rows = by_label(spending.spending_rows(region, by="source"))
    assert rows["Fondo A"] == {
        "budget": D("10000"),
        "assigned": D("3000"),
        "committed": D("900"),
        "delivered": D("480"),
        "paid": D("180"),
        "left": D("9100"),
    }
    assert rows["Fondo B"] == {
        "budget": D("5000"),
        "assigned": D("2000"),
        "committed": D("600"),
        "delivered": D("320"),
        "paid": D("120"),
        "left": D("4400"),
    }


def test_measure_province_and_operator_rows(world, region):
    [fc] = spending.spending_rows(region, by="measure")
    assert figures(fc) == {
        "budget": None,
        "assigned": D("5000"),
        "committed": D("1500"),
        "delivered": D("800"),
        "paid": D("300"),
        "left": None,
    }
    provinces = {row["key"]: figures(row) for row in spending.spending_rows(region, by="province")}
    assert set(provinces) == {"BG", "MI"}
    assert provinces["BG"]["assigned"] == D("3000") and provinces["BG"]["paid"] == D("300")
    assert provinces["MI"] == {
        "budget": None,
        "assigned": D("2000"),
        "committed": D("0"),
        "delivered": D("0"),
        "paid": D("0"),
        "left": None,
    }
    operators = by_label(spending.spending_rows(region, by="operator"))
    assert operators["Ente BG"]["committed"] == D("1500")
    assert operators["Ente MI"]["committed"] == D("0")


def test_totals(world, region, staff_bg):
    assert spending.spending_totals(region) == {
        "assigned": D("5000"),
        "committed": D("1500"),
        "delivered": D("800"),
        "paid": D("300"),
        "budget": D("15000"),
        "left": D("13500"),
    }
    scoped = spending.spending_totals(staff_bg)
    assert scoped["assigned"] == D("3000") and scoped["budget"] is None


def test_figures_on_a_day_count_only_what_was_known_then(world, region):
    [before] = spending.spending_rows(region, by="measure", on=datetime.date(2025, 6, 15))
    assert (before["committed"], before["delivered"], before["paid"]) == (D("1500"), 0, 0)


def test_each_call_is_one_query(world, region, django_assert_num_queries):
    for by in spending.DIMENSIONS:
        with django_assert_num_queries(1):
            spending.spending_rows(region, by=by)


def test_the_province_officer_and_the_operator_see_their_own(world, staff_bg, staff_mi):
    rows = spending.spending_rows(staff_bg, by="province")
    assert [row["key"] for row in rows] == ["BG"]
    sources = by_label(spending.spending_rows(staff_bg, by="source"))
    assert sources["Fondo A"]["assigned"] == D("1800")
    assert sources["Fondo A"]["budget"] is None and sources["Fondo A"]["left"] is None
    operator = operator_staff(world["op_bg"])
    assert [row["label"] for row in spending.spending_rows(operator, by="operator")] == ["Ente BG"]
    assert spending.spending_totals(operator)["assigned"] == D("3000")
    mi_rows = spending.spending_rows(staff_mi, by="measure")
    assert mi_rows[0]["assigned"] == D("2000") and mi_rows[0]["paid"] == 0


def test_dote_ledger_splits_by_share(world):
    ledger = spending.dote_ledger(world["bg"])
    assert [(row["fund"].code, row["share"]) for row in ledger] == [
        ("fund-a", D("60")),
        ("fund-b", D("40")),
    ]
    assert (ledger[0]["committed"], ledger[1]["delivered"], ledger[0]["paid"]) == (
        D("900"),
        D("320"),
        D("180"),
    )


def test_shares_must_sum_to_100(world, english):
    fc = measure("formazione-continua")
    with pytest.raises(PALRuleRefused) as refused:
        services.measure_fundings_set(
            user=None, measure=fc, shares=[(world["fund_a"], D("60")), (world["fund_b"], D("30"))]
        )
    assert refused.value.code == "funding_shares" and refused.value.field == "shares"
    assert "sum to 90 %" in str(refused.value)
    assert MeasureFunding.objects.filter(measure=fc).count() == 2


def test_payments_cannot_exceed_what_was_delivered(world, region, english):
    with pytest.raises(PALRuleRefused) as refused:
        services.payment_record(
            user=region,
            dote=world["bg"],
            paid_on=datetime.date(2025, 9, 1),
            amount=D("500.01"),
            reference="DDS 2/2025",
        )
    assert refused.value.code == "payment_beyond_delivered" and refused.value.field == "amount"
    assert "€ 500,00 can still be paid" in str(refused.value)
    assert Payment.objects.count() == 1
    services.payment_record(
        user=region,
        dote=world["bg"],
        paid_on=datetime.date(2025, 9, 1),
        amount=D("500"),
        reference="DDS 2/2025",
    )
    assert spending.dote_figures(world["bg"])["paid"] == D("800")


def test_only_the_region_records_payments(world, staff_bg):
    with pytest.raises(PermissionDenied):
        services.payment_record(
            user=staff_bg,
            dote=world["bg"],
            paid_on=datetime.date(2025, 9, 1),
            amount=D("1"),
            reference="x",
        )


def test_an_approval_that_would_overdraw_a_source_is_refused_and_changes_nothing(world, staff_mi):
    fund_b = world["fund_b"]
    # Fund B: €600 committed (40 % of €1,500); a budget of €800 leaves €200, the Milan PIP
    # would take 40 % of €700 = €280.
    Fund.objects.filter(pk=fund_b.pk).update(budget=D("800"))
    pip = world["mi"].pips.get()
    with translation.override("en"), pytest.raises(PALRuleRefused) as refused:
        services.pip_approve(user=staff_mi, pip=pip)
    assert refused.value.code == "funding_overdrawn"
    assert str(refused.value) == (
        "Funding source Fondo B: its budget is € 800,00, € 600,00 is already committed; this "
        "PIP would add € 280,00 (40 % of € 700,00), € 80,00 over the budget."
    )
    pip.refresh_from_db()
    assert pip.status == PIPStatus.PRESENTATO and pip.decided_at is None
    Fund.objects.filter(pk=fund_b.pk).update(budget=D("880"))
    services.pip_approve(user=staff_mi, pip=pip)
    pip.refresh_from_db()
    assert pip.status == PIPStatus.APPROVATO


def test_a_new_measure_draws_fully_on_the_fund_of_its_source(region):
    created = services.measure_save(
        user=region,
        data={
            "code": "nuova-misura",
            "name": "Nuova misura",
            "funding_source": "regionale",
            "valid_from": datetime.date(2026, 1, 1),
        },
    )
    assert list(created.fundings.values_list("fund__code", "share")) == [("regionale", D("100"))]
