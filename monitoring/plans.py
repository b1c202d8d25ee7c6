"""The current values of a re-employment plan's indicators, aggregated in the database.

Every figure counts what happened in the plan's province (the province of the worker's
production unit, as every other figure of the portal) and inside its period, both ends
included; an indicator tied to a target group counts only the workers matching the group's
criteria. Each source table is read by ONE aggregate query holding one conditional aggregate
per (metric, target group) the plan asks for, so a plan page costs the same few queries
whatever the number of its indicators:

* workers taken in charge: distinct workers with a START move (into STEP 1) in the period;
* workers with PAL activated: distinct workers with a move into STEP 4 in the period;
* PIPs approved: distinct PIPs moved to ``approvato`` in the period (local days);
* service hours and € delivered: the services reported as delivered in the period;
* value of the Doti assigned: Doti starting in the period, revoked ones left out;
* workers re-employed: distinct workers whose outcome (new employer or self-employment) is
  dated in the period; the re-employment rate divides them by the workers taken in charge;
* procedures handled: procedures with a unit in the province in progress during the period
  (opened by its end, income support not ended before its start); only the procedure family
  of a target group narrows them (the other criteria are about people).
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from cases.models import ProductionUnit
from monitoring.enums import AGE_BOUNDS, METRIC_SYSTEMS, PlanMetric, ResultSystem
from monitoring.models import PlanIndicator, PlanPhase, PlanTargetGroup, ReemploymentPlan
from pal.enums import DoteStatus, PIPStatus
from pal.models import Dote, PIPService, PIPTransition
from workers.enums import OutcomeKind, Step
from workers.models import MoveKind, Outcome, StepTransition

# Outcomes that are a new job: a new employer, or self-employment (source 002, "persone
# ricollocate"); a return to the original company, retirement and others are not.
REEMPLOYED_OUTCOMES = (OutcomeKind.RICOLLOCATO, OutcomeKind.AUTOIMPIEGO)
PERCENT = Decimal(100)


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same day ``years`` earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def group_condition(
    group: PlanTargetGroup | None, involvement: str, on: datetime.date, people: bool = True
) -> Q:
    """The target group's criteria on a query reaching the involvement through
    ``involvement`` (``"involvement__"``, or ``""`` on involvements); ages on day ``on``.
    ``people=False``: only the procedure family (for counts of procedures)."""
    if group is None:
        return Q()
    condition = Q()
    if group.family:
        condition &= Q(**{f"{involvement}procedure__family": group.family})
    if not people:
        return condition
    if group.sex:
        condition &= Q(**{f"{involvement}worker__sex": group.sex})
    if group.income_support:
        condition &= Q(**{f"{involvement}income_support": group.income_support})
    if group.age_band:
        youngest, oldest = AGE_BOUNDS[group.age_band]
        birth = f"{involvement}worker__birth_date"
        if youngest is not None:  # at least ``youngest`` years old on ``on``
            condition &= Q(**{f"{birth}__lte": years_before(on, youngest)})
        if oldest is not None:  # not yet ``oldest + 1`` years old on ``on``
            condition &= Q(**{f"{birth}__gt": years_before(on, oldest + 1)})
    return condition


def day_bounds(first: datetime.date, last: datetime.date) -> tuple[datetime.datetime, ...]:
    """The instants from the start of ``first`` to the start of the day after ``last``,
    in the portal's time zone (for timestamps: a PIP approved at 23:30 on the last day counts)."""
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, zone)
    return start, end


def _key(metric: str, group: PlanTargetGroup | None) -> str:
    return f"{metric}__{group.pk if group else 0}"


def metric_values(
    plan: ReemploymentPlan, wanted: Iterable[tuple[str, PlanTargetGroup | None]]
) -> dict[str, Decimal]:
    """The value of each (metric, target group) in ``wanted`` for ``plan``, keyed by
    ``_key``: at most one query per source table."""
    wanted = list(dict.fromkeys((metric, group) for metric, group in wanted))
    first, last = plan.period_from, plan.period_to
    province = plan.province_id
    aggregates: dict[str, dict[str, Any]] = {
        "moves": {},
        "outcomes": {},
        "pips": {},
        "services": {},
        "doti": {},
        "procedures": {},
    }
    rates = []
    for metric, group in wanted:
        key = _key(metric, group)
        person = group_condition(group, "involvement__", first)
        if metric == PlanMetric.REEMPLOYMENT_RATE:
            rates.append((key, _key(PlanMetric.REEMPLOYED, group), group))
            aggregates["outcomes"][_key(PlanMetric.REEMPLOYED, group)] = Count(
                "involvement__worker", distinct=True, filter=person
            )
            aggregates["moves"][_key(PlanMetric.TAKEN_IN_CHARGE, group)] = Count(
                "involvement__worker", distinct=True, filter=Q(kind=MoveKind.START) & person
            )
        elif metric == PlanMetric.TAKEN_IN_CHARGE:
            aggregates["moves"][key] = Count(
                "involvement__worker", distinct=True, filter=Q(kind=MoveKind.START) & person
            )
        elif metric == PlanMetric.PAL_ACTIVATED:
            aggregates["moves"][key] = Count(
                "involvement__worker", distinct=True, filter=Q(to_step=Step.STEP_4) & person
            )
        elif metric == PlanMetric.REEMPLOYED:
            aggregates["outcomes"][key] = Count("involvement__worker", distinct=True, filter=person)
        elif metric == PlanMetric.PIPS_APPROVED:
            condition = group_condition(group, "pip__dote__involvement__", first)
            aggregates["pips"][key] = Count("pip", distinct=True, filter=condition)
        elif metric in (PlanMetric.SERVICE_HOURS, PlanMetric.SERVICE_COST):
            field = "delivered_hours" if metric == PlanMetric.SERVICE_HOURS else "delivered_cost"
            condition = group_condition(group, "pip__dote__involvement__", first)
            aggregates["services"][key] = Sum(field, filter=condition)
        elif metric == PlanMetric.DOTI_VALUE:
            aggregates["doti"][key] = Sum("value", filter=person)
        elif metric == PlanMetric.PROCEDURES:
            condition = group_condition(group, "", first, people=False)
            aggregates["procedures"][key] = Count("procedure", distinct=True, filter=condition)
    sources = {
        "moves": StepTransition.objects.filter(
            involvement__unit__province=province,
            effective_date__gte=first,
            effective_date__lte=last,
        ),
        "outcomes": Outcome.objects.filter(
            involvement__unit__province=province,
            kind__in=REEMPLOYED_OUTCOMES,
            date__gte=first,
            date__lte=last,
        ),
        "pips": PIPTransition.objects.filter(
            pip__dote__involvement__unit__province=province,
            to_status=PIPStatus.APPROVATO,
            at__gte=day_bounds(first, last)[0],
            at__lt=day_bounds(first, last)[1],
        ),
        "services": PIPService.objects.filter(
            pip__dote__involvement__unit__province=province,
            delivered_on__gte=first,
            delivered_on__lte=last,
        ),
        "doti": Dote.objects.filter(
            involvement__unit__province=province, valid_from__gte=first, valid_from__lte=last
        ).exclude(status=DoteStatus.REVOCATA),
        "procedures": ProductionUnit.objects.filter(
            province=province, procedure__opened_on__lte=last
        ).filter(Q(procedure__end_date__isnull=True) | Q(procedure__end_date__gte=first)),
    }
    values: dict[str, Decimal] = {}
    for source, wanted_here in aggregates.items():
        if not wanted_here:
            continue
        row = sources[source].order_by().aggregate(**wanted_here)
        values.update({key: Decimal(row[key] or 0) for key in wanted_here})
    for key, reemployed, group in rates:
        taken = values[_key(PlanMetric.TAKEN_IN_CHARGE, group)]
        values[key] = (
            (values[reemployed] * PERCENT / taken).quantize(Decimal("0.1")) if taken else Decimal(0)
        )
    return values


@dataclass
class IndicatorProgress:
    indicator: PlanIndicator
    value: Decimal
    system: str

    @property
    def target(self) -> Decimal:
        return self.indicator.target

    @property
    def progress(self) -> int | None:
        """The value as a whole percentage of the target (None without a target)."""
        if not self.target:
            return None
        return int((self.value * PERCENT / self.target).to_integral_value(rounding="ROUND_HALF_UP"))

    @property
    def bar(self) -> int:
        """The progress bar's width: the progress, at most 100."""
        return min(self.progress or 0, 100)

    @property
    def is_money(self) -> bool:
        return self.indicator.metric in (PlanMetric.SERVICE_COST, PlanMetric.DOTI_VALUE)

    @property
    def is_rate(self) -> bool:
        return self.indicator.metric == PlanMetric.REEMPLOYMENT_RATE


def indicator_progress(
    plan: ReemploymentPlan, indicators: list[PlanIndicator]
) -> list[IndicatorProgress]:
    """Each indicator with its current value (``indicators`` with their target groups)."""
    values = metric_values(plan, ((i.metric, i.target_group) for i in indicators))
    return [
        IndicatorProgress(
            indicator=indicator,
            value=values[_key(indicator.metric, indicator.target_group)],
            system=METRIC_SYSTEMS[PlanMetric(indicator.metric)],
        )
        for indicator in indicators
    ]


def by_system(progress: list[IndicatorProgress]) -> list[tuple[str, list[IndicatorProgress]]]:
    """The indicators grouped by the three systems of expected results, in their order."""
    return [
        (system.label, [p for p in progress if p.system == system])
        for system in ResultSystem
        if any(p.system == system for p in progress)
    ]


def phase_state(phase: PlanPhase, today: datetime.date) -> str:
    if today < phase.starts_on:
        return "upcoming"
    if today > phase.ends_on:
        return "past"
    return "current"


def elapsed(plan: ReemploymentPlan, today: datetime.date) -> int:
    """How much of the plan's period has gone by, as a whole percentage (0..100)."""
    days = (plan.period_to - plan.period_from).days + 1
    gone = (
        min(max(today, plan.period_from - datetime.timedelta(days=1)), plan.period_to)
        - plan.period_from
    ).days + 1
    return round(max(gone, 0) * 100 / days)
