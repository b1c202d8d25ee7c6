"""Re-employment plans (issue #14 item 5): each indicator's value on hand-built data.

The plan is BG's, 1 January – 30 June 2025. Every metric is checked on its period edges (the
day before the first does not count, the last day does), on another province's data (never
counted) and, where it applies, on a target group's criteria.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from cases.enums import Family
from monitoring.enums import AgeBand, PlanMetric
from monitoring.plans import elapsed, indicator_progress, metric_values, phase_state, years_before
from pal.enums import DoteStatus, PIPStatus
from pal.models import PIPTransition
from tests.cases.factories import CrisisProcedureFactory
from tests.monitoring.builders import outcome, procedure, unit, worker
from tests.monitoring.plan_factories import group, indicator, plan
from tests.pal.factories import DoteFactory, PIPFactory, PIPServiceFactory
from tests.workers.factories import InvolvementFactory
from workers.enums import IncomeSupport, OutcomeKind, Sex, Step

pytestmark = pytest.mark.django_db

D = datetime.date
FIRST, LAST = D(2025, 1, 1), D(2025, 6, 30)
BEFORE, AFTER = D(2024, 12, 31), D(2025, 7, 1)


@pytest.fixture
def bg_plan():
    return plan("BG", FIRST, LAST)


@pytest.fixture
def sites():
    """A BG unit and an MI unit (of a procedure led by MI)."""
    return {"BG": unit(procedure("BG")), "MI": unit(procedure("MI"))}


def value(of, metric, target_group=None) -> Decimal:
    return metric_values(of, [(metric, target_group)])[
        f"{metric}__{getattr(target_group, 'pk', 0)}"
    ]


def taken(site, day, **worker_fields):
    return InvolvementFactory(unit=site, taken_on=day, **worker_fields)


# --- one metric each ---------------------------------------------------------------------------


def test_taken_in_charge_counts_start_moves_within_the_period_both_ends_included(bg_plan, sites):
    taken(sites["BG"], BEFORE)  # the day before: not counted
    taken(sites["BG"], FIRST)
    taken(sites["BG"], LAST)
    taken(sites["BG"], AFTER)
    taken(sites["MI"], D(2025, 3, 1))  # another province: never counted

    assert value(bg_plan, PlanMetric.TAKEN_IN_CHARGE) == 2


def test_a_worker_taken_in_charge_in_two_procedures_counts_once(bg_plan, sites):
    first = taken(sites["BG"], D(2025, 2, 1))
    InvolvementFactory(unit=unit(procedure("BG")), worker=first.worker, taken_on=D(2025, 3, 1))

    assert value(bg_plan, PlanMetric.TAKEN_IN_CHARGE) == 1


def test_pal_activated_counts_moves_into_step_4_in_the_period(bg_plan, sites):
    worker(sites["BG"], Step.STEP_4, taken_on=D(2024, 12, 1), days_to_step_4=30)  # 31 Dec
    worker(sites["BG"], Step.STEP_4, taken_on=D(2024, 12, 1), days_to_step_4=31)  # 1 Jan
    worker(sites["BG"], Step.STEP_4, taken_on=D(2025, 6, 1), days_to_step_4=29)  # 30 Jun
    worker(sites["BG"], Step.STEP_3, taken_on=D(2025, 2, 1))
    worker(sites["MI"], Step.STEP_4, taken_on=D(2025, 2, 1))

    assert value(bg_plan, PlanMetric.PAL_ACTIVATED) == 2


def test_reemployed_counts_new_jobs_dated_in_the_period(bg_plan, sites):
    for kind, day in (
        (OutcomeKind.RICOLLOCATO, BEFORE),
        (OutcomeKind.RICOLLOCATO, FIRST),
        (OutcomeKind.AUTOIMPIEGO, LAST),
        (OutcomeKind.RICOLLOCATO, AFTER),
        (OutcomeKind.REINTEGRATO, D(2025, 3, 1)),  # back in the same company: not re-employed
        (OutcomeKind.PENSIONAMENTO, D(2025, 3, 1)),
    ):
        outcome(taken(sites["BG"], D(2024, 6, 1)), kind, day)
    outcome(taken(sites["MI"], D(2024, 6, 1)), OutcomeKind.RICOLLOCATO, D(2025, 3, 1))

    assert value(bg_plan, PlanMetric.REEMPLOYED) == 2


def test_reemployment_rate_is_reemployed_over_taken_in_charge(bg_plan, sites):
    assert value(bg_plan, PlanMetric.REEMPLOYMENT_RATE) == 0  # nobody taken in charge: 0
    for day in (D(2025, 1, 10), D(2025, 1, 11), D(2025, 1, 12)):
        involvement = taken(sites["BG"], day)
    outcome(involvement, OutcomeKind.RICOLLOCATO, D(2025, 5, 1))

    assert value(bg_plan, PlanMetric.REEMPLOYMENT_RATE) == Decimal("33.3")


def approve(pip, at: datetime.datetime) -> None:
    move = PIPTransition.objects.create(
        pip=pip, from_status=PIPStatus.PRESENTATO, to_status=PIPStatus.APPROVATO
    )
    PIPTransition.objects.filter(pk=move.pk).update(at=at)


def test_pips_approved_counts_approvals_on_local_days_of_the_period(bg_plan, sites):
    zone = timezone.get_current_timezone()

    def pip(site):
        return PIPFactory(dote=DoteFactory(involvement=taken(site, D(2024, 6, 1))))

    approve(pip(sites["BG"]), datetime.datetime(2024, 12, 31, 23, 59, tzinfo=zone))
    approve(pip(sites["BG"]), datetime.datetime(2025, 1, 1, 0, 0, tzinfo=zone))
    approve(pip(sites["BG"]), datetime.datetime(2025, 6, 30, 23, 30, tzinfo=zone))
    approve(pip(sites["BG"]), datetime.datetime(2025, 7, 1, 0, 0, tzinfo=zone))
    approve(pip(sites["MI"]), datetime.datetime(2025, 3, 1, 12, 0, tzinfo=zone))
    returned = pip(sites["BG"])
    PIPTransition.objects.create(
        pip=returned, from_status=PIPStatus.PRESENTATO, to_status=PIPStatus.RESTITUITO
    )

    assert value(bg_plan, PlanMetric.PIPS_APPROVED) == 2


def test_services_delivered_sum_hours_and_cost_reported_in_the_period(bg_plan, sites):
    def delivered(site, day, hours, cost):
        pip = PIPFactory(dote=DoteFactory(involvement=taken(site, D(2024, 6, 1))))
        PIPServiceFactory(
            pip=pip,
            hours=Decimal(hours),
            cost=Decimal(cost),
            delivered_hours=Decimal(hours),
            delivered_cost=Decimal(cost),
            delivered_on=day,
        )

    delivered(sites["BG"], BEFORE, 100, 1000)
    delivered(sites["BG"], FIRST, 10, 500)
    delivered(sites["BG"], LAST, "2.5", "125.50")
    delivered(sites["BG"], AFTER, 100, 1000)
    delivered(sites["MI"], D(2025, 3, 1), 100, 1000)
    PIPServiceFactory(pip=PIPFactory(dote=DoteFactory(involvement=taken(sites["BG"], FIRST))))

    assert value(bg_plan, PlanMetric.SERVICE_HOURS) == Decimal("12.5")
    assert value(bg_plan, PlanMetric.SERVICE_COST) == Decimal("625.50")


def test_doti_value_sums_doti_starting_in_the_period_revoked_left_out(bg_plan, sites):
    def dote(site, day, amount, **fields):
        DoteFactory(
            involvement=taken(site, D(2024, 6, 1)),
            value=Decimal(amount),
            valid_from=day,
            valid_until=day + datetime.timedelta(days=300),
            **fields,
        )

    dote(sites["BG"], BEFORE, 9000)
    dote(sites["BG"], FIRST, 3000)
    dote(sites["BG"], LAST, 1500)
    dote(sites["BG"], AFTER, 9000)
    dote(sites["BG"], D(2025, 3, 1), 9000, status=DoteStatus.REVOCATA)
    dote(sites["MI"], D(2025, 3, 1), 9000)

    assert value(bg_plan, PlanMetric.DOTI_VALUE) == Decimal("4500.00")


def test_procedures_handled_are_those_with_a_unit_in_the_province_in_progress(bg_plan):
    def proc(lead, opened_on, end_date, family=Family.CIGS_MINISTERIALE, province=None):
        p = CrisisProcedureFactory(
            lead=lead, family=family, opened_on=opened_on, start_date=opened_on, end_date=end_date
        )
        unit(p, province=province)
        return p

    proc("BG", D(2024, 5, 1), BEFORE)  # income support ended the day before: not counted
    proc("BG", D(2024, 5, 1), FIRST)  # ends on the first day: counted
    proc("BG", LAST, None)  # opened on the last day: counted
    proc("BG", AFTER, None)  # opened after: not counted
    proc("MI", D(2025, 2, 1), None, province="BG")  # MI-led with a BG unit: counted
    proc("BG", D(2025, 2, 1), None, province="MI")  # only an MI unit: not counted
    proc("BG", D(2025, 2, 1), None, family=Family.LICENZIAMENTO_COLLETTIVO)

    assert value(bg_plan, PlanMetric.PROCEDURES) == 4
    dismissals = group(bg_plan, family=Family.LICENZIAMENTO_COLLETTIVO, sex=Sex.M)
    # Only the family narrows procedures (the other criteria are about people).
    assert value(bg_plan, PlanMetric.PROCEDURES, dismissals) == 1


# --- target groups ------------------------------------------------------------------------------


def test_target_group_by_sex_and_income_support(bg_plan, sites):
    taken(sites["BG"], FIRST, worker__sex=Sex.M)
    taken(sites["BG"], FIRST, worker__sex=Sex.F)
    taken(sites["BG"], FIRST, worker__sex=Sex.F, income_support=IncomeSupport.NASPI)
    taken(sites["MI"], FIRST, worker__sex=Sex.F)
    women = group(bg_plan, "Lavoratrici", sex=Sex.F)
    women_cigs = group(bg_plan, "Lavoratrici in CIGS", sex=Sex.F, income_support=IncomeSupport.CIGS)

    assert value(bg_plan, PlanMetric.TAKEN_IN_CHARGE) == 3
    assert value(bg_plan, PlanMetric.TAKEN_IN_CHARGE, women) == 2
    assert value(bg_plan, PlanMetric.TAKEN_IN_CHARGE, women_cigs) == 1


def test_target_group_by_age_band_counts_the_age_on_the_plans_first_day(bg_plan, sites):
    fifty_today = years_before(FIRST, 50)  # 50 on the plan's first day
    taken(sites["BG"], FIRST, worker__birth_date=fifty_today)
    taken(sites["BG"], FIRST, worker__birth_date=fifty_today + datetime.timedelta(days=1))
    taken(sites["BG"], FIRST, worker__birth_date=years_before(FIRST, 30))
    taken(sites["BG"], FIRST, worker__birth_date=years_before(FIRST, 30) + datetime.timedelta(1))

    assert value(bg_plan, PlanMetric.TAKEN_IN_CHARGE, group(bg_plan, age_band=AgeBand.FROM_50)) == 1
    assert (
        value(bg_plan, PlanMetric.TAKEN_IN_CHARGE, group(bg_plan, age_band=AgeBand.FROM_30_TO_49))
        == 2
    )
    assert (
        value(bg_plan, PlanMetric.TAKEN_IN_CHARGE, group(bg_plan, age_band=AgeBand.UNDER_30)) == 1
    )


def test_target_group_by_procedure_family_on_outcomes_and_rate(bg_plan, sites):
    dismissal_site = unit(procedure("BG", family=Family.LICENZIAMENTO_COLLETTIVO))
    outcome(taken(dismissal_site, FIRST), OutcomeKind.RICOLLOCATO, D(2025, 2, 1))
    taken(dismissal_site, FIRST)
    outcome(taken(sites["BG"], FIRST), OutcomeKind.RICOLLOCATO, D(2025, 2, 1))
    dismissed = group(bg_plan, family=Family.LICENZIAMENTO_COLLETTIVO)

    assert value(bg_plan, PlanMetric.REEMPLOYED) == 2
    assert value(bg_plan, PlanMetric.REEMPLOYED, dismissed) == 1
    assert value(bg_plan, PlanMetric.REEMPLOYMENT_RATE, dismissed) == Decimal("50.0")


def test_a_group_of_no_criteria_counts_every_worker(bg_plan, sites):
    taken(sites["BG"], FIRST)
    described = group(bg_plan, "Descritto soltanto")

    assert not described.has_filter
    assert value(bg_plan, PlanMetric.TAKEN_IN_CHARGE, described) == 1


# --- progress, phases, period --------------------------------------------------------------------


def test_progress_is_the_value_as_a_percentage_of_the_target(bg_plan, sites):
    for day in (FIRST, FIRST, LAST):
        taken(sites["BG"], day)
    rows = indicator_progress(
        bg_plan,
        [
            indicator(bg_plan, PlanMetric.TAKEN_IN_CHARGE, Decimal(8)),  # 3/8 = 37.5 → 38
            indicator(bg_plan, PlanMetric.TAKEN_IN_CHARGE, Decimal(2)),  # 150, bar at 100
            indicator(bg_plan, PlanMetric.TAKEN_IN_CHARGE, Decimal(0)),  # no target
        ],
    )

    assert [row.value for row in rows] == [3, 3, 3]
    assert [row.progress for row in rows] == [38, 150, None]
    assert [row.bar for row in rows] == [38, 100, 0]


def test_phase_states_and_elapsed_period(bg_plan):
    from monitoring.models import PlanPhase

    phase = PlanPhase(plan=bg_plan, name="Fase", starts_on=D(2025, 2, 1), ends_on=D(2025, 2, 28))
    assert phase_state(phase, D(2025, 1, 31)) == "upcoming"
    assert phase_state(phase, D(2025, 2, 1)) == "current"
    assert phase_state(phase, D(2025, 2, 28)) == "current"
    assert phase_state(phase, D(2025, 3, 1)) == "past"
    assert elapsed(bg_plan, BEFORE) == 0
    assert elapsed(bg_plan, LAST) == 100
    assert elapsed(bg_plan, AFTER) == 100
    assert elapsed(bg_plan, FIRST) == 1  # 1 day of 181


def test_every_metric_costs_one_query_per_source_table(bg_plan, sites, django_assert_num_queries):
    women = group(bg_plan, sex=Sex.F)
    wanted = [(metric, g) for metric in PlanMetric for g in (None, women)]
    # Six source tables: moves, outcomes, PIP approvals, services, Doti, units.
    with django_assert_num_queries(6):
        values = metric_values(bg_plan, wanted)
    assert len(values) >= len(wanted)
