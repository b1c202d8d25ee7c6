"""Eligibility per measure (issue #14): rules as data on the measure, checked on their edges,
at assignment, submission and approval, shown on the operator's worker search."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from cases.enums import Family
from cases.models import Province
from pal import eligibility
from pal.enums import PIPStatus
from pal.models import PIP, Dote, Measure, Network
from pal.services import PALRuleRefused, dote_assign, measure_save, pip_approve, pip_submit
from tests.cases.factories import CrisisProcedureFactory, OperatorFactory, ProductionUnitFactory
from tests.factories import UserFactory
from tests.pal.factories import DoteFactory, measure, operator_staff, pip_with_service
from tests.workers.factories import InvolvementFactory
from workers.enums import IncomeSupport

pytestmark = pytest.mark.django_db

ON = datetime.date(2025, 6, 2)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def failures(involvement, code: str, on=ON):
    return eligibility.rule_failures(involvement, measure(code), on=on)


def codes(involvement, code: str, on=ON) -> list[str]:
    return [f.code for f in failures(involvement, code, on)]


def assign(involvement, code: str, *, on=ON, value=Decimal("1000.00")) -> Dote:
    operator = OperatorFactory()
    return dote_assign(
        user=operator_staff(operator),
        involvement=involvement,
        measure=measure(code),
        operator=operator,
        value=value,
        valid_from=on,
        valid_until=on + datetime.timedelta(days=200),
    )


def refused(code: str, call, *args, **kwargs) -> PALRuleRefused:
    with pytest.raises(PALRuleRefused) as refusal:
        call(*args, **kwargs)
    assert refusal.value.code == code, refusal.value.message
    return refusal.value


def dismissal_involvement(**kwargs):
    procedure = CrisisProcedureFactory(family=Family.LICENZIAMENTO_COLLETTIVO)
    return InvolvementFactory(unit=ProductionUnitFactory(procedure=procedure), **kwargs)


# --- The shipped measures (migration 0008) ----------------------------------------------------


def test_the_regional_measures_ship_with_their_rules_once():
    assert Measure.objects.filter(code="garanzia-giovani").count() == 1
    assert Measure.objects.filter(code="buoni-conciliazione").count() == 1
    dul = measure("dote-unica-lavoro")
    assert set(dul.income_supports) == {"cigs", "fis", "solidarieta"}
    rete = measure("azioni-di-rete")
    assert (rete.min_hours_cut_pct, rete.hours_cut_comparison) == (30, "more_than")
    assert rete.unit_in_lombardy and rete.exclusive
    assert set(rete.incompatible_with.values_list("code", flat=True)) == {
        "dote-unica-lavoro",
        "garanzia-giovani",
    }
    # Symmetric: Dote Unica Lavoro knows it too.
    assert "azioni-di-rete" in dul.incompatible_with.values_list("code", flat=True)
    gg = measure("garanzia-giovani")
    assert (gg.min_age, gg.max_age) == (15, 29)
    assert measure("formazione-continua").employment_status == "employed"


# --- Minimum hours cut: "more than 30 %" ------------------------------------------------------


def test_a_cut_of_exactly_30_is_not_more_than_30():
    involvement = InvolvementFactory(hours_reduction_pct=30)
    [failure] = failures(involvement, "azioni-di-rete")
    assert failure.code == "hours_cut_below_minimum"
    assert failure.message == (
        "Minimum hours cut: Azioni di rete per il lavoro requires more than 30 %; the worker's "
        "reduction is 30 %."
    )


def test_a_cut_of_31_is_more_than_30():
    assert failures(InvolvementFactory(hours_reduction_pct=31), "azioni-di-rete") == []


def test_an_inclusive_minimum_admits_the_worker_exactly_at_it():
    Measure.objects.filter(code="azioni-di-rete").update(hours_cut_comparison="at_least")
    assert failures(InvolvementFactory(hours_reduction_pct=30), "azioni-di-rete") == []
    [failure] = failures(InvolvementFactory(hours_reduction_pct=29), "azioni-di-rete")
    assert "requires at least 30 %; the worker's reduction is 29 %" in failure.message


# --- Age limits (Garanzia Giovani: 15 to 29) --------------------------------------------------


def young(born=datetime.date(2000, 3, 1)):
    involvement = InvolvementFactory()
    involvement.worker.birth_date = born  # the rules read the loaded worker, no query
    return involvement


def test_a_worker_aged_29_on_the_reference_date_may_join_garanzia_giovani_and_one_aged_30_not():
    involvement = young()
    born = involvement.worker.birth_date
    thirtieth = born.replace(year=born.year + 30)
    assert failures(involvement, "garanzia-giovani", thirtieth - datetime.timedelta(days=1)) == []
    [failure] = failures(involvement, "garanzia-giovani", thirtieth)
    assert failure.code == "age_limits"
    assert failure.message.endswith("; the worker is 30.")
    assert "aged 15 to 29" in failure.message


def test_a_worker_under_the_minimum_age_is_refused():
    involvement = young(datetime.date(2010, 3, 1))
    born = involvement.worker.birth_date
    assert codes(involvement, "garanzia-giovani", born.replace(year=born.year + 14)) == [
        "age_limits"
    ]
    assert codes(involvement, "garanzia-giovani", born.replace(year=born.year + 15)) == []


def test_age_in_completed_years():
    assert eligibility.age_on(datetime.date(2000, 3, 1), datetime.date(2030, 2, 28)) == 29
    assert eligibility.age_on(datetime.date(2000, 3, 1), datetime.date(2030, 3, 1)) == 30


# --- The period in which the measure is open --------------------------------------------------


def test_a_measure_closing_the_day_before_is_refused_and_open_on_its_last_day():
    involvement = InvolvementFactory()
    Measure.objects.filter(code="dote-unica-lavoro").update(
        valid_until=ON - datetime.timedelta(days=1)
    )
    [failure] = failures(involvement, "dote-unica-lavoro")
    assert failure.code == "measure_not_in_force"
    assert "the reference date is 02/06/2025" in failure.message
    Measure.objects.filter(code="dote-unica-lavoro").update(valid_until=ON)
    assert failures(involvement, "dote-unica-lavoro") == []


# --- Income support admitted, employment status -----------------------------------------------


def test_dote_unica_lavoro_is_refused_to_a_worker_on_naspi_with_no_hours_cut():
    involvement = dismissal_involvement(income_support=IncomeSupport.NASPI, hours_reduction_pct=0)
    refusal = refused("income_support_not_admitted", assign, involvement, "dote-unica-lavoro")
    assert refusal.field == "involvement"
    assert (
        "Income support: Dote Unica Lavoro admits CIGS, FIS, Solidarity contract; the worker's "
        "income support is NASpI." in refusal.message
    )
    assert "Employment status" in refusal.message  # every failing rule is named
    assert not Dote.objects.exists()
    # Dote Lavoro Ammortizzatori admits NASpI (source 000, point 1).
    assert assign(involvement, "dote-lavoro-ammortizzatori").pk


@pytest.mark.parametrize(
    ("family", "support", "status"),
    [
        (Family.CIGS_MINISTERIALE, IncomeSupport.CIGS, "employed"),
        (Family.CIGS_REGIONALE, IncomeSupport.FIS, "employed"),
        (Family.CIGS_MINISTERIALE, IncomeSupport.MOBILITA, "dismissed"),
        (Family.CIGS_MINISTERIALE, IncomeSupport.NASPI, "dismissed"),
        (Family.LICENZIAMENTO_COLLETTIVO, IncomeSupport.CIGS, "dismissed"),
    ],
)
def test_the_employment_status_comes_from_the_family_and_the_support(family, support, status):
    unit = ProductionUnitFactory(procedure=CrisisProcedureFactory(family=family))
    involvement = InvolvementFactory(unit=unit, income_support=support)
    assert eligibility.employment_status_of(involvement) == status


def test_formazione_continua_is_for_workers_still_employed():
    involvement = dismissal_involvement()
    [failure] = failures(involvement, "formazione-continua")
    assert failure.message == (
        "Employment status: Formazione Continua – voucher is for workers still employed; the "
        "worker is dismissed."
    )


# --- Unit located in Lombardy -----------------------------------------------------------------


def test_a_unit_outside_lombardy_is_refused_where_the_measure_requires_lombardy():
    novara = Province.objects.create(code="NO", name="Novara", position=99)
    outside = InvolvementFactory(unit=ProductionUnitFactory(province=novara))
    [failure] = failures(outside, "formazione-continua")
    assert failure.code == "unit_outside_lombardy"
    assert failure.message.endswith("the worker's unit is in the province NO.")
    assert failures(outside, "dote-unica-lavoro") == []  # no such rule there
    assert failures(InvolvementFactory(), "formazione-continua") == []


def test_income_support_ongoing_when_the_measure_asks_it():
    Measure.objects.filter(code="azioni-di-rete").update(support_ongoing=True)
    involvement = InvolvementFactory(
        period_start=datetime.date(2025, 1, 1), period_end=ON - datetime.timedelta(days=1)
    )
    assert codes(involvement, "azioni-di-rete") == ["support_not_ongoing"]
    involvement.period_end = ON
    assert codes(involvement, "azioni-di-rete") == []


# --- Incompatibilities, both directions -------------------------------------------------------


@pytest.fixture
def incompatible_pair(db):
    """Formazione Continua and Dote Lavoro Ammortizzatori, made incompatible by the Region."""
    region = UserFactory(username="region_rules", region_official=True)
    measure_save(
        user=region,
        data={"incompatible_with": [measure("dote-lavoro-ammortizzatori")]},
        measure=measure("formazione-continua"),
    )
    return measure("formazione-continua"), measure("dote-lavoro-ammortizzatori")


@pytest.mark.parametrize(("held", "asked"), [(0, 1), (1, 0)], ids=["one-way", "other-way"])
def test_incompatible_measures_refuse_each_other(incompatible_pair, held, asked):
    involvement = InvolvementFactory()
    DoteFactory(
        involvement=involvement,
        measure=incompatible_pair[held],
        valid_from=ON,
        valid_until=ON + datetime.timedelta(days=100),
        value=Decimal("1000"),
    )
    refusal = refused("exclusivity", assign, involvement, incompatible_pair[asked].code)
    assert refusal.message.startswith(f"Incompatibility: {incompatible_pair[asked].name}")
    verdicts = eligibility.measures_for([involvement], on=ON, measures=incompatible_pair)
    by_code = {v.measure.code: v for v in verdicts[involvement.pk]}
    assert by_code[incompatible_pair[held].code].eligible  # the same measure again: allowed
    assert not by_code[incompatible_pair[asked].code].eligible
    assert by_code[incompatible_pair[asked].code].failures[0].code == "exclusivity"


def test_the_incompatibility_is_recorded_in_the_measures_history(incompatible_pair):
    fc, _dla = incompatible_pair
    assert fc.history.first().history_user.username == "region_rules"
    assert fc.history.first().incompatible_with.count() == 1


def test_an_exclusive_measure_appears_ineligible_to_a_worker_holding_another():
    involvement = InvolvementFactory(hours_reduction_pct=50)
    DoteFactory(involvement=involvement, valid_from=ON, valid_until=ON + datetime.timedelta(days=9))
    verdicts = eligibility.measures_for([involvement], on=ON)[involvement.pk]
    rete = next(v for v in verdicts if v.measure.code == "azioni-di-rete")
    assert rete.reasons == [
        "Exclusivity: Azioni di rete per il lavoro admits no other publicly funded active policy "
        "in the same period, and the worker already has Dote Unica Lavoro."
    ]


# --- Refusals at submission and approval ------------------------------------------------------


def test_a_pip_is_not_submitted_for_a_worker_the_measure_does_not_admit():
    involvement = dismissal_involvement(income_support=IncomeSupport.NASPI, hours_reduction_pct=0)
    pip = pip_with_service("bozza", dote=DoteFactory(involvement=involvement))
    user = operator_staff(pip.dote.operator)
    refusal = refused("income_support_not_admitted", pip_submit, user=user, pip=pip)
    assert "the worker's income support is NASpI" in refusal.message
    pip.refresh_from_db()
    assert pip.status == PIPStatus.BOZZA and not pip.transitions.exists()


def test_a_pip_is_not_approved_when_the_region_has_since_raised_the_minimum_cut(staff_bg):
    pip = pip_with_service("presentato", dote=DoteFactory(measure=measure("dote-unica-lavoro")))
    PIP.objects.filter(pk=pip.pk).update(status=PIPStatus.PRESENTATO)
    Measure.objects.filter(code="dote-unica-lavoro").update(
        min_hours_cut_pct=100, hours_cut_comparison="more_than"
    )
    refusal = refused("hours_cut_below_minimum", pip_approve, user=staff_bg, pip=pip)
    assert "the worker's reduction is 100 %" in refusal.message
    pip.refresh_from_db()
    assert pip.status == PIPStatus.PRESENTATO and pip.decided_by is None


def test_the_api_gives_the_same_refusal(operator_user, api_client_for):
    involvement = dismissal_involvement(income_support=IncomeSupport.NASPI, hours_reduction_pct=0)
    response = api_client_for(operator_user).post(
        "/api/v1/doti/",
        {
            "involvement": involvement.pk,
            "fiscal_code": involvement.worker.fiscal_code,
            "measure": "dote-unica-lavoro",
            "value": "3000.00",
            "valid_from": "2025-05-01",
            "valid_until": "2026-04-30",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["type"] == "about:blank#income_support_not_admitted"
    assert "NASpI" in body["detail"]
    assert not Dote.objects.exists()


# --- The operator's worker search -------------------------------------------------------------


def test_the_worker_search_shows_the_measures_the_worker_may_receive_and_why_not(client):
    client.force_login(UserFactory(username="operatore_el", operator=True))
    involvement = dismissal_involvement(income_support=IncomeSupport.NASPI, hours_reduction_pct=0)
    response = client.post(
        reverse("pal:worker_find"),
        {"fiscal_code": involvement.worker.fiscal_code},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    [(row, eligible, not_for)] = response.context["eligibility_rows"]
    assert row.pk == involvement.pk
    today = timezone.localdate()
    in_force = set(Measure.objects.in_force_on(today).values_list("code", flat=True))
    may = {v.measure.code for v in eligible}
    assert may <= in_force
    # Dismissed, on NASpI: Dote Lavoro Ammortizzatori (source 000) yes, Dote Unica Lavoro no.
    assert ("dote-lavoro-ammortizzatori" in may) == ("dote-lavoro-ammortizzatori" in in_force)
    assert not may & {"dote-unica-lavoro", "formazione-continua", "azioni-di-rete"}
    text = response.content.decode()
    assert "Measures the worker may receive" in text
    assert "the worker&#x27;s income support is NASpI" in text
    assert any(v.measure.code == "dote-unica-lavoro" for v in not_for)


def test_province_staff_do_not_reach_the_search(client, staff_bg):
    client.force_login(staff_bg)
    assert client.post(reverse("pal:worker_find"), {"fiscal_code": "X"}).status_code == 403


# --- A fixed number of queries ----------------------------------------------------------------


def test_the_evaluation_runs_a_fixed_number_of_queries(django_assert_num_queries):
    def world(n):
        involvements = [InvolvementFactory(hours_reduction_pct=40 + i) for i in range(n)]
        for involvement in involvements:
            DoteFactory(
                involvement=involvement, valid_from=ON, valid_until=ON + datetime.timedelta(days=9)
            )
        network = Network.objects.create(
            name=f"Rete {n}",
            lead=OperatorFactory(),
            province_id="BG",
            measure=measure("azioni-di-rete"),
            valid_from=ON,
        )
        network.procedures.add(involvements[0].procedure)
        return involvements

    one, many = world(1), world(6)
    with django_assert_num_queries(6):
        small = eligibility.measures_for(one, on=ON)
    with django_assert_num_queries(6):
        large = eligibility.measures_for(many, on=ON)
    assert len(large) == 6 and len(small) == 1
    served = next(v for v in large[many[0].pk] if v.measure.code == "dote-unica-lavoro")
    assert any("served by the network Rete 6" in reason for reason in served.reasons)


def test_no_involvement_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert eligibility.measures_for([], on=ON) == {}


# --- The Region edits the rules ---------------------------------------------------------------


def test_a_region_official_edits_the_rules_on_the_measure_form(client, region):
    client.force_login(region)
    fc = measure("formazione-continua")
    data = {
        "code": fc.code,
        "name": fc.name,
        "funding_source": fc.funding_source,
        "valid_from": fc.valid_from.isoformat(),
        "valid_until": fc.valid_until.isoformat(),
        "max_per_worker": "2000",
        "max_per_company": "50000",
        "is_active": "on",
        "income_supports": ["cigs", "cigo"],
        "min_hours_cut_pct": "20",
        "hours_cut_comparison": "at_least",
        "employment_status": "employed",
        "unit_in_lombardy": "on",
        "min_age": "18",
        "max_age": "64",
        "incompatible_with": [measure("garanzia-giovani").pk],
    }
    response = client.post(reverse("pal:measure_update", args=[fc.pk]), data)
    assert response.status_code == 302, response.content
    fc.refresh_from_db()
    assert fc.income_supports == ["cigs", "cigo"]
    assert (fc.min_hours_cut_pct, fc.hours_cut_comparison, fc.min_age, fc.max_age) == (
        20,
        "at_least",
        18,
        64,
    )
    assert fc in measure("garanzia-giovani").incompatible_with.all()  # both ways
    assert fc.history.first().history_user == region
    data.update(min_age="40", max_age="30")
    response = client.post(
        reverse("pal:measure_update", args=[fc.pk]), data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    assert "The maximum age is lower than the minimum age." in response.content.decode()


# --- Demo -------------------------------------------------------------------------------------


def test_the_demo_sets_the_edge_cases_once_and_counts_who_may_receive_what():
    from crisi_portal.demo.eligibility import seed_eligibility
    from crisi_portal.demo.reference import DEMO_PREFIX

    procedure = CrisisProcedureFactory(external_id=f"{DEMO_PREFIX}ELIG-1")
    unit = ProductionUnitFactory(procedure=procedure)
    for _ in range(3):
        InvolvementFactory(unit=unit, hours_reduction_pct=50)
    summary = seed_eligibility(ON)
    assert summary.startswith("Eligibility (first 3 demo workers")
    # 50 % and 31 % are more than 30 %; FIS is not CIGS.
    assert "Azioni di rete per il lavoro 2 yes / 1 no" in summary
    seed_eligibility(ON)  # idempotent: the same two workers
    cuts = sorted(procedure.involvements.values_list("hours_reduction_pct", "income_support"))
    assert cuts == [(31, "cigs"), (50, "cigs"), (50, "fis")]
