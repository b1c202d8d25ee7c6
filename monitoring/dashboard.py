"""The dashboard of DOMAIN §5: what the Region and each province look at, as plain data.

Every figure is aggregated by the database from the user's visible rows (``visible_to``);
Python only lays the aggregates out and turns counts into percentages (one decimal, half
up). The dict returned by :func:`dashboard_data` is JSON-serialisable and is both what the
page draws and what ``GET /api/v1/dashboard/`` answers.

Counting rules, as in the official tables: a procedure belongs to year Y when it was opened
in Y; units, workers involved and workers taken in charge count in the province of the
production unit. A province officer sees the figures of their own province(s) only, even for
a procedure led elsewhere or spanning several provinces.
"""

import datetime
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy

from cases.enums import FAMILY_SHORT_LABELS, PROVINCE_CODES, AgreementGoal, AgreementKind, Family
from cases.models import Agreement, CrisisProcedure, Meeting, ProductionUnit, Province
from cases.tables import table_counts
from crisi_portal.scoping import figures_provinces
from monitoring.models import (
    DashboardActivationDays,
    DashboardInvolvements,
    DashboardRefresh,
    DashboardStarts,
)
from monitoring.reemployment import WINDOWS, reemployment_table
from monitoring.reports import percentage
from pal.models import CompetenceCertification
from pal.spending import FIGURES as MONEY_FIGURES
from pal.spending import sees_whole_region, spending_rows, spending_totals
from workers.enums import STEP_SHORT_LABELS, OutcomeKind, Step
from workers.models import Involvement, MoveKind, Outcome, StepTransition
from workers.segments import SEGMENTS, annotate_segments

FUNNEL_STEPS = [Step.STEP_1, Step.STEP_2, Step.STEP_3, Step.STEP_4]
ALL_STEPS = [*FUNNEL_STEPS, Step.NO_PAL]
# What the map can be coloured by (the GET parameter ``map`` of the page).
MAP_MEASURES = (
    "workers_involved",
    "involvements",
    "activation_rate",
    "reemployment_rate",
    "committed",
    "delivered",
)
# The breakdowns of re-employment at 6 and 12 months (``workers.segments.SEGMENTS`` codes).
REEMPLOYMENT_DIMENSIONS = ("sex", "age_band", "citizenship", "education", "cpi")
# The window the map and the headline figure show.
MAP_WINDOW = 12


def share(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole`` as the reports round it (2 of 3 → 66.7); None of 0:
    the dashboard shows a dash where nothing was divided, the official tables print 0,0."""
    return percentage(part, whole) if whole else None


def _one_decimal(value) -> float | None:
    if value is None:
        return None
    return float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


class DaysBetween(Func):
    """Whole days from the second date to the first, computed by the database."""

    arity = 2
    output_field = IntegerField()
    template = "(%(expressions)s)"  # PostgreSQL: date - date is an integer number of days
    arg_joiner = " - "

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


def _year_bounds(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def _procedure_filters(prefix: str, *, year: int | None, family: str | None) -> Q:
    q = Q()
    if year is not None:
        start, end = _year_bounds(year)
        q &= Q(**{f"{prefix}opened_on__gte": start, f"{prefix}opened_on__lte": end})
    if family:
        q &= Q(**{f"{prefix}family": family})
    return q


def _months(year: int | None, today: datetime.date) -> list[datetime.date]:
    """First days of the twelve months shown: the year's, or the last twelve up to today's."""
    if year is not None:
        return [datetime.date(year, month, 1) for month in range(1, 13)]
    index = today.year * 12 + today.month - 1
    return [datetime.date(i // 12, i % 12 + 1, 1) for i in range(index - 11, index + 1)]


def activation_days(involvements: QuerySet, **group: Any) -> QuerySet:
    """Each worker now at STEP_4 with ``days`` from their first STEP_1 transition (the earliest
    date) to their latest STEP_4 transition (the latest date), and the ``group`` values.

    One pass over the STEP_4 workers' moves, grouped per worker — not two correlated
    subqueries per worker, which at a million workers cost seconds (issue #12).
    """
    moves = "transitions__effective_date"
    return (
        involvements.filter(current_step=Step.STEP_4)
        .order_by()
        .annotate(
            started=Min(moves, filter=Q(transitions__to_step=Step.STEP_1)),
            activated=Max(moves, filter=Q(transitions__to_step=Step.STEP_4)),
        )
        .filter(started__isnull=False, activated__isnull=False)
        .values(**group, days=DaysBetween("activated", "started"))
    )


def _median_days(involvements: QuerySet) -> dict[str | None, tuple[float | None, int]]:
    """Median days from STEP_1 to STEP_4 per province (key None: all together), and how many
    (:func:`activation_days`).

    PostgreSQL has ``percentile_cont``; SQLite has none, so there the median is the average
    of the middle row(s) picked with window functions. One query either way.
    """
    per_worker = activation_days(involvements, province=F("unit__province"))
    # Compiled for, and run on, the database the queryset reads from (the replica inside
    # crisi_portal.replica.replica_reads()).
    connection = connections[per_worker.db]
    try:
        inner, params = per_worker.query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:  # e.g. a province officer asking for another province
        return {}
    if connection.vendor == "postgresql":
        sql = (
            "SELECT province, percentile_cont(0.5) WITHIN GROUP (ORDER BY days), COUNT(*) "  # nosec B608 - inner is the ORM-compiled query; values go in params
            f"FROM ({inner}) AS d GROUP BY ROLLUP (province)"
        )
    else:
        sql = (
            f"WITH d AS ({inner}), ranked AS ("  # nosec B608 - inner is the ORM-compiled query; values go in params
            " SELECT province, days,"
            "  ROW_NUMBER() OVER (PARTITION BY province ORDER BY days) AS rn,"
            "  COUNT(*) OVER (PARTITION BY province) AS n FROM d"
            " UNION ALL"
            " SELECT NULL, days, ROW_NUMBER() OVER (ORDER BY days), COUNT(*) OVER () FROM d)"
            " SELECT province, AVG(days), MAX(n) FROM ranked"
            " WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY province"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {province: (_one_decimal(median), count) for province, median, count in rows}


def median_of_histogram(counts: list[tuple[int, int]]) -> float | None:
    """The median of values given as ``(value, how many)``, sorted by value, as
    ``percentile_cont(0.5)`` computes it: the middle value, or the two middle ones' mean."""
    return quantile_of_histogram(counts, 0.5)


def quantile_of_histogram(counts: list[tuple[int, int]], fraction: float) -> float | None:
    """The ``fraction`` quantile of values given as ``(value, how many)``, sorted by value, as
    ``percentile_cont(fraction)`` computes it: interpolated between the two values around
    position ``fraction × (n − 1)``. Loops over the distinct values, never over the rows."""
    total = sum(n for _value, n in counts)
    if not total:
        return None
    position = (total - 1) * fraction
    low_rank, high_rank = int(position), int(position) + (position % 1 > 0)
    low = high = None
    seen = 0
    for value, n in counts:
        if low is None and seen + n > low_rank:
            low = value
        if seen + n > high_rank:
            high = value
            break
        seen += n
    return low + (high - low) * (position - low_rank)


@dataclass(frozen=True)
class DashboardScope:
    """The rows every figure is drawn from: the user's visible procedures, units and
    involvements, narrowed by the filters and, for a province officer, to their provinces."""

    user: Any
    year: int | None
    family: str | None
    codes: list[str] | None  # None: every province
    procedures: QuerySet
    units: QuerySet
    involvements: QuerySet


def dashboard_scope(
    user, *, year: int | None = None, province: str | None = None, family: str | None = None
) -> DashboardScope:
    """The querysets behind the dashboard for ``user`` and the filters (no query is run)."""
    codes = figures_provinces(user, province)
    in_codes = {} if codes is None else {"province__in": codes}
    procedures = CrisisProcedure.objects.visible_to(user).filter(
        _procedure_filters("", year=year, family=family)
    )
    if codes is not None:
        procedures = procedures.filter(
            Exists(ProductionUnit.objects.filter(procedure=OuterRef("pk"), province__in=codes))
        )
    units = ProductionUnit.objects.visible_to(user).filter(
        _procedure_filters("procedure__", year=year, family=family), **in_codes
    )
    involvements = Involvement.objects.visible_to(user).filter(
        _procedure_filters("procedure__", year=year, family=family),
        **({} if codes is None else {"unit__province__in": codes}),
    )
    return DashboardScope(user, year, family, codes, procedures, units, involvements)


def _unit_figures() -> dict[str, Any]:
    return {"units": Count("pk"), "workers_involved": Coalesce(Sum("workers_involved"), 0)}


def _involvement_figures() -> dict[str, Any]:
    return {
        "involvements": Count("pk"),
        "step_4": Count("pk", filter=Q(current_step=Step.STEP_4)),
    }


def _unit_and_involvement_columns(unit_row: dict, inv_row: dict) -> dict[str, Any]:
    """The columns a province row and a family row share; an absent row counts zero."""
    return {
        "units": unit_row.get("units", 0),
        "workers_involved": unit_row.get("workers_involved", 0),
        "involvements": inv_row.get("involvements", 0),
        "step_4": inv_row.get("step_4", 0),
        "activation_rate": share(inv_row.get("step_4", 0), inv_row.get("involvements", 0)),
    }


def involvement_totals(scope: DashboardScope) -> dict[str, int]:
    """Workers taken in charge, with an outcome, now at each step and having reached each
    step of the funnel: one query, shared by the KPIs, the funnel and the outcomes."""
    step_counts = {step: Count("pk", filter=Q(current_step=step)) for step in ALL_STEPS}
    reached_counts = {
        f"reached_{step}": Count("pk", filter=Q(current_step__in=FUNNEL_STEPS[i:]))
        for i, step in enumerate(FUNNEL_STEPS)
    }
    return scope.involvements.order_by().aggregate(
        involvements=Count("pk"),
        with_outcome=Count("outcome"),
        **step_counts,
        **reached_counts,
    )


def dashboard_kpis(
    scope: DashboardScope, totals: dict[str, int], medians: dict[str | None, tuple]
) -> dict[str, Any]:
    """The headline figures (the cards on top of the page)."""
    unit_totals = scope.units.order_by().aggregate(**_unit_figures())
    workers = totals["involvements"]
    regional_median, activated_with_dates = medians.get(None, (None, 0))
    return {
        "procedures": scope.procedures.order_by().count(),
        "units": unit_totals["units"],
        "workers_involved": unit_totals["workers_involved"],
        "involvements": workers,
        "step_4": totals[Step.STEP_4],
        "activation_rate": share(totals[Step.STEP_4], workers),
        "no_pal": totals[Step.NO_PAL],
        "no_pal_share": share(totals[Step.NO_PAL], workers),
        "with_outcome": totals["with_outcome"],
        "with_outcome_share": share(totals["with_outcome"], workers),
        "median_days_to_step_4": regional_median,
        "median_days_sample": activated_with_dates,
    }


def dashboard_funnel(totals: dict[str, int]) -> list[dict[str, Any]]:
    """Workers now at each step and having reached it (NO_PAL is reached only by being there)."""
    workers = totals["involvements"]
    rows = []
    for step in ALL_STEPS:
        reached = totals[f"reached_{step}"] if step in FUNNEL_STEPS else totals[step]
        rows.append(
            {
                "step": step.value,
                "current": totals[step],
                "current_pct": share(totals[step], workers),
                "reached": reached,
                "reached_pct": share(reached, workers),
            }
        )
    return rows


def dashboard_by_province(
    scope: DashboardScope, figures: "InvolvementFigures"
) -> list[dict[str, Any]]:
    """One row per province: all twelve in the official order, or the user's own."""
    provinces = Province.objects.order_by("position")
    if scope.codes is not None:
        provinces = provinces.filter(code__in=scope.codes)
    units_by_province = {
        row["province"]: row
        for row in scope.units.order_by()
        .values("province")
        .annotate(procedures=Count("procedure", distinct=True), **_unit_figures())
    }
    rows = []
    for prov in provinces.values("code", "name"):
        unit_row = units_by_province.get(prov["code"], {})
        inv_row = figures.by_province.get(prov["code"], {})
        median, _sample = figures.medians.get(prov["code"], (None, 0))
        rows.append(
            {
                "province": prov["code"],
                "name": prov["name"],
                "procedures": unit_row.get("procedures", 0),
                **_unit_and_involvement_columns(unit_row, inv_row),
                "median_days_to_step_4": median,
            }
        )
    return rows


def dashboard_by_family(
    scope: DashboardScope, figures: "InvolvementFigures"
) -> list[dict[str, Any]]:
    """One row per family: the three, always (or the one filtered on)."""
    procedures_by_family = {
        row["family"]: row["n"]
        for row in scope.procedures.order_by().values("family").annotate(n=Count("pk"))
    }
    units_by_family = {
        row["procedure__family"]: row
        for row in scope.units.order_by().values("procedure__family").annotate(**_unit_figures())
    }
    return [
        {
            "family": fam.value,
            "procedures": procedures_by_family.get(fam.value, 0),
            **_unit_and_involvement_columns(
                units_by_family.get(fam.value, {}), figures.by_family.get(fam.value, {})
            ),
        }
        for fam in Family
        if not scope.family or fam == scope.family
    ]


def dashboard_per_month(scope: DashboardScope, figures: "InvolvementFigures") -> list[dict]:
    """Workers taken in charge per month: by the date of the STEP_1 move, in the year's months
    (or the last twelve), whatever year the procedure was opened in."""
    return [
        {"month": month.strftime("%Y-%m"), "taken_in_charge": figures.per_month.get(month, 0)}
        for month in figures.months
    ]


def dashboard_outcomes(figures: "InvolvementFigures") -> list[dict[str, Any]]:
    """Workers per outcome kind, as a share of the workers with an outcome."""
    with_outcome = figures.totals["with_outcome"]
    return [
        {
            "kind": kind.value,
            "workers": figures.outcomes.get(kind.value, 0),
            "pct": share(figures.outcomes.get(kind.value, 0), with_outcome),
        }
        for kind in OutcomeKind
    ]


# --- Where the involvements' figures come from: live, or the pre-aggregated tables ------------


@dataclass(frozen=True)
class InvolvementFigures:
    """Everything the dashboard counts over involvements and their moves (the costly part)."""

    totals: dict[str, int]  # involvement_totals()
    by_province: dict[str, dict[str, int]]  # code -> involvements, step_4
    by_family: dict[str, dict[str, int]]  # family -> involvements, step_4
    outcomes: dict[str, int]  # outcome kind -> workers
    medians: dict[str | None, tuple[float | None, int]]  # _median_days()
    months: list[datetime.date]  # the twelve months shown
    per_month: dict[datetime.date, int]  # month -> workers taken in charge


def live_figures(scope: DashboardScope) -> InvolvementFigures:
    """The figures counted now from the involvements and moves themselves (seconds at a
    million workers): the definition the pre-aggregated tables must reproduce."""
    months = _months(scope.year, timezone.localdate())
    starts = StepTransition.objects.visible_to(scope.user).filter(
        kind=MoveKind.START,
        effective_date__gte=months[0],
        effective_date__lt=_next_month(months[-1]),
    )
    if scope.family:
        starts = starts.filter(involvement__procedure__family=scope.family)
    if scope.codes is not None:
        starts = starts.filter(involvement__unit__province__in=scope.codes)
    outcomes = (
        Outcome.objects.visible_to(scope.user)
        .filter(involvement__in=scope.involvements.order_by().values("pk"))
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
    )
    return InvolvementFigures(
        totals=involvement_totals(scope),
        by_province={
            row["unit__province"]: row
            for row in scope.involvements.order_by()
            .values("unit__province")
            .annotate(**_involvement_figures())
        },
        by_family={
            row["procedure__family"]: row
            for row in scope.involvements.order_by()
            .values("procedure__family")
            .annotate(**_involvement_figures())
        },
        outcomes={row["kind"]: row["n"] for row in outcomes},
        medians=_median_days(scope.involvements),
        months=months,
        per_month={
            _as_date(row["month"]): row["n"]
            for row in starts.annotate(month=TruncMonth("effective_date"))
            .order_by()
            .values("month")
            .annotate(n=Count("involvement", distinct=True))
        },
    )


def _in_scope(scope: DashboardScope, rows: QuerySet, *, by_year: bool = True) -> QuerySet:
    if scope.codes is not None:
        rows = rows.filter(province__in=scope.codes)
    if scope.family:
        rows = rows.filter(family=scope.family)
    if by_year and scope.year is not None:
        rows = rows.filter(year=scope.year)
    return rows.order_by()


def table_figures(scope: DashboardScope) -> InvolvementFigures:
    """The same figures summed from the pre-aggregated tables: three small queries."""
    totals: dict[str, int] = dict.fromkeys(
        ["involvements", "with_outcome", *ALL_STEPS, *(f"reached_{s}" for s in FUNNEL_STEPS)], 0
    )
    by_province: dict[str, dict[str, int]] = {}
    by_family: dict[str, dict[str, int]] = {}
    outcomes: dict[str, int] = {}
    cells = (
        _in_scope(scope, DashboardInvolvements.objects.all())
        .values("province", "family", "step", "outcome_kind")
        .annotate(n=Sum("workers"))
    )
    for cell in cells:
        n, step = cell["n"], cell["step"]
        totals["involvements"] += n
        totals[step] += n
        for i, funnel_step in enumerate(FUNNEL_STEPS):
            if step in FUNNEL_STEPS[i:]:
                totals[f"reached_{funnel_step}"] += n
        if cell["outcome_kind"]:
            totals["with_outcome"] += n
            outcomes[cell["outcome_kind"]] = outcomes.get(cell["outcome_kind"], 0) + n
        for group, key in ((by_province, cell["province"]), (by_family, cell["family"])):
            row = group.setdefault(key, {"involvements": 0, "step_4": 0})
            row["involvements"] += n
            row["step_4"] += n if step == Step.STEP_4 else 0

    histograms: dict[str | None, list[tuple[int, int]]] = {None: []}
    days = (
        _in_scope(scope, DashboardActivationDays.objects.all())
        .values("province", "days")
        .annotate(n=Sum("workers"))
        .order_by("days")
    )
    for row in days:
        histograms.setdefault(row["province"], []).append((row["days"], row["n"]))
        histograms[None].append((row["days"], row["n"]))
    medians = {
        province: (_one_decimal(median_of_histogram(counts)), sum(n for _d, n in counts))
        for province, counts in histograms.items()
        if counts
    }

    months = _months(scope.year, timezone.localdate())
    starts = (
        _in_scope(scope, DashboardStarts.objects.all(), by_year=False)
        .filter(month__gte=months[0], month__lte=months[-1])
        .values("month")
        .annotate(n=Sum("workers"))
    )
    return InvolvementFigures(
        totals=totals,
        by_province=by_province,
        by_family=by_family,
        outcomes=outcomes,
        medians=medians,
        months=months,
        per_month={_as_date(row["month"]): row["n"] for row in starts},
    )


def dashboard_agreements(scope: DashboardScope) -> dict[str, Any]:
    """Agreements on the procedures in scope, by kind, with how many set each goal and an
    outplacement clause and the workers they cover; and how many procedures have one. Two
    queries. Workers covered are the agreement's, procedure-wide (not split by province)."""
    agreements = Agreement.objects.filter(procedure__in=scope.procedures.values("pk"))
    counts = {
        "agreements": Count("pk"),
        **{goal: Count("pk", filter=Q(**{f"goal_{goal}": True})) for goal in AgreementGoal.values},
        "outplacement": Count("pk", filter=Q(outplacement=True)),
        "workers_covered": Coalesce(Sum("workers_covered"), 0),
    }
    rows = {row["kind"]: row for row in agreements.order_by().values("kind").annotate(**counts)}
    with_agreement = scope.procedures.order_by().aggregate(
        total=Count("pk"),
        with_agreement=Count(
            "pk", filter=Exists(Agreement.objects.filter(procedure=OuterRef("pk")))
        ),
    )
    by_kind = [
        {
            "kind": kind,
            **{key: rows.get(kind, {}).get(key, 0) for key in counts},
        }
        for kind in AgreementKind.values
    ]
    return {
        "by_kind": by_kind,
        "procedures": with_agreement["total"],
        "procedures_with_agreement": with_agreement["with_agreement"],
        "procedures_with_agreement_pct": share(
            with_agreement["with_agreement"], with_agreement["total"]
        ),
    }


def dashboard_certifications(scope: DashboardScope) -> list[dict[str, Any]]:
    """Competence certifications by province (of the unit the certified PIP's worker is taken
    in charge through) and EQF level of the qualification (None: recorded before the
    catalogue), with the dashboard's filters on that procedure. One query."""
    prefix = "pip__dote__involvement__"
    certifications = CompetenceCertification.objects.visible_to(scope.user).filter(
        _procedure_filters(f"{prefix}procedure__", year=scope.year, family=scope.family)
    )
    if scope.codes is not None:
        certifications = certifications.filter(**{f"{prefix}unit__province__in": scope.codes})
    rows = (
        certifications.order_by()
        .values(province=F(f"{prefix}unit__province"), level=F("qualification__eqf_level"))
        .annotate(certifications=Count("pk", distinct=True))
    )
    positions = {code: i for i, code in enumerate(PROVINCE_CODES)}
    return sorted(
        (dict(row) for row in rows),
        key=lambda row: (
            positions.get(row["province"], len(positions)),
            row["level"] is None,
            row["level"] or 0,
        ),
    )


def _window_columns(row: dict) -> dict[str, Any]:
    return {
        f"{figure}_{months}": row[f"{figure}_{months}"]
        for months in WINDOWS
        for figure in ("eligible", "reemployed", "rate")
    }


def dashboard_reemployment(scope: DashboardScope, as_of: datetime.date) -> dict[str, Any]:
    """Re-employment at 6 and 12 months after STEP 1 (``monitoring.reemployment``, survival-
    style) of the workers in scope: overall, by province (for the map) and by each of
    ``REEMPLOYMENT_DIMENSIONS``, on ``as_of``. One query each (the CPI's name is read in the
    same query as its figures)."""
    overall = reemployment_table(scope.involvements, as_of=as_of)[0]
    by_province = {
        row["key"]: row
        for row in reemployment_table(scope.involvements, as_of=as_of, by="unit__province")
    }
    segmented = annotate_segments(scope.involvements).annotate(
        seg_cpi_name=Coalesce(F("cpi__name"), F("unit__cpi__name"))
    )
    not_recorded = str(gettext_lazy("Not recorded"))
    dimensions = []
    for code in REEMPLOYMENT_DIMENSIONS:
        segment = SEGMENTS[code]
        by = "seg_cpi_name" if code == "cpi" else segment.annotation
        rows = reemployment_table(segmented, as_of=as_of, by=by)
        if code == "cpi":
            labels: dict = {row["key"]: row["key"] for row in rows if row["key"] is not None}
        else:
            labels = segment.labels_for(row["key"] for row in rows)
        order = {key: i for i, key in enumerate(labels)}
        rows.sort(key=lambda row: (row["key"] is None, order.get(row["key"], len(order))))
        dimensions.append(
            {
                "dimension": code,
                "label": str(segment.label),
                "rows": [
                    {
                        "key": row["key"],
                        "label": str(labels.get(row["key"], not_recorded)),
                        **_window_columns(row),
                    }
                    for row in rows
                ],
            }
        )
    return {
        "as_of": as_of.isoformat(),
        "windows": list(WINDOWS),
        "total": _window_columns(overall),
        "by_province": {code: _window_columns(row) for code, row in by_province.items()},
        "dimensions": dimensions,
    }


def _euros(row: dict) -> dict:
    """Amounts as plain numbers (the dashboard's data is JSON as it is): cents are exact in a
    float at these sizes."""
    return {
        key: float(value) if isinstance(value, Decimal) else value for key, value in row.items()
    }


def dashboard_money(user, within: QuerySet | None = None) -> dict[str, Any]:
    """Where the money goes (``pal.spending``) over the Doti the user sees, narrowed to the
    Doti of the involvements ``within`` (the dashboard's filters) when given: totals, and rows
    by funding source, by measure and by province (the map). Budget and what is left
    (``whole``) only for those who see the whole region, unfiltered: a part's committed is not
    what a source has given. Five queries."""
    return {
        "whole": sees_whole_region(user) and within is None,
        "totals": _euros(spending_totals(user, within=within)),
        "by_source": [_euros(row) for row in spending_rows(user, by="source", within=within)],
        "by_measure": [_euros(row) for row in spending_rows(user, by="measure", within=within)],
        "by_province": {
            row["key"]: _euros(row) for row in spending_rows(user, by="province", within=within)
        },
    }


def between_refreshes[T](
    refresh: DashboardRefresh | None, key: tuple, compute: Callable[[], T]
) -> T:
    """Figures counted over every row in scope (re-employment, money: six and five grouped
    queries), kept in the cache until the dashboard tables are next rebuilt, as long as the
    page's other figures lag the data (``updated_at``); counted now when the tables were never
    built or the page asks for ``live`` figures. ``key``: whose figures and which filters."""
    if refresh is None:
        return compute()
    name = "dashboard:" + hashlib.sha256(repr((*key, refresh.finished_at)).encode()).hexdigest()
    value = cache.get(name)
    if value is None:
        value = compute()
        cache.set(name, value, timeout=settings.DASHBOARD_REFRESH_MINUTES * 60 * 2)
    return value


def dashboard_data(
    user,
    *,
    year: int | None = None,
    province: str | None = None,
    family: str | None = None,
    live: bool = False,
) -> dict[str, Any]:
    """Every figure of the dashboard for ``user``, filtered by year opened, province, family.

    The involvements' figures come from the pre-aggregated tables once they have been built
    (``updated_at``: when; they lag the data by at most the refresh interval, see
    ``DASHBOARD_REFRESH_MINUTES``), or are counted now when they never were or ``live``
    (``updated_at`` None). Procedures and units are few: always counted now.
    """
    scope = dashboard_scope(user, year=year, province=province, family=family)
    refresh = None if live else DashboardRefresh.objects.order_by().first()
    figures = live_figures(scope) if refresh is None else table_figures(scope)
    by_province = dashboard_by_province(scope, figures)
    today = timezone.localdate()
    filtered = year is not None or province is not None or family is not None
    key = (getattr(user, "pk", None), year, province, family, today)
    reemployment = between_refreshes(
        refresh, ("reemployment", *key), lambda: dashboard_reemployment(scope, today)
    )
    money = between_refreshes(
        refresh,
        ("money", *key),
        lambda: dashboard_money(user, scope.involvements if filtered else None),
    )
    for row in by_province:
        rates = reemployment["by_province"].get(row["province"], {})
        spent = money["by_province"].get(row["province"], {})
        row["reemployment_rate"] = rates.get(f"rate_{MAP_WINDOW}")
        row["committed"] = spent.get("committed")
        row["delivered"] = spent.get("delivered")
    return {
        "filters": {"year": year, "province": province, "family": family},
        "provinces": scope.codes,
        "updated_at": refresh.finished_at if refresh else None,
        "kpis": dashboard_kpis(scope, figures.totals, figures.medians),
        "funnel": dashboard_funnel(figures.totals),
        "by_province": by_province,
        "by_family": dashboard_by_family(scope, figures),
        "per_month": dashboard_per_month(scope, figures),
        "outcomes": dashboard_outcomes(figures),
        "agreements": dashboard_agreements(scope),
        "certifications": dashboard_certifications(scope),
        "tables": dashboard_tables(scope),
        "reemployment": reemployment,
        "money": money,
    }


def dashboard_tables(scope: DashboardScope) -> list[dict[str, Any]]:
    """Regional and bilateral tables per year held and convener (``cases.tables``): those
    the user sees, in the chosen provinces (convened there or discussing their procedures);
    the year filter is the year the table was held."""
    meetings = Meeting.objects.visible_to(scope.user)
    if scope.codes is not None:
        meetings = meetings.in_provinces(scope.codes)
    return table_counts(meetings, scope.year)


def _next_month(day: datetime.date) -> datetime.date:
    return datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _as_date(value) -> datetime.date:
    # TruncMonth of a DateField is a date; some backends hand back a datetime.
    return value.date() if isinstance(value, datetime.datetime) else value


# --- The charts as CSV: one table per chart, raw numbers, the same figures as the page ----------


def _funnel_rows(data: dict) -> list[list]:
    return [
        [
            row["step"],
            STEP_SHORT_LABELS[Step(row["step"])],
            row["current"],
            row["current_pct"],
            row["reached"],
            row["reached_pct"],
        ]
        for row in data["funnel"]
    ]


def _province_rows(data: dict) -> list[list]:
    return [
        [
            row["province"],
            row["name"],
            row["procedures"],
            row["units"],
            row["workers_involved"],
            row["involvements"],
            row["step_4"],
            row["activation_rate"],
            row["median_days_to_step_4"],
        ]
        for row in data["by_province"]
    ]


def _family_rows(data: dict) -> list[list]:
    return [
        [
            row["family"],
            str(FAMILY_SHORT_LABELS[Family(row["family"])]),
            row["procedures"],
            row["units"],
            row["workers_involved"],
            row["involvements"],
            row["step_4"],
            row["activation_rate"],
        ]
        for row in data["by_family"]
    ]


def _table_rows(data: dict) -> list[list]:
    return [
        [row["year"], row["convener"], row["regional"], row["bilateral"]] for row in data["tables"]
    ]


def _month_rows(data: dict) -> list[list]:
    return [[row["month"], row["taken_in_charge"]] for row in data["per_month"]]


def _outcome_rows(data: dict) -> list[list]:
    return [
        [row["kind"], str(OutcomeKind(row["kind"]).label), row["workers"], row["pct"]]
        for row in data["outcomes"]
    ]


def _agreement_rows(data: dict) -> list[list]:
    return [
        [
            row["kind"],
            str(AgreementKind(row["kind"]).label),
            row["agreements"],
            *(row[goal] for goal in AgreementGoal.values),
            row["outplacement"],
            row["workers_covered"],
        ]
        for row in data["agreements"]["by_kind"]
    ]


def _certification_rows(data: dict) -> list[list]:
    return [
        [row["province"], row["level"], row["certifications"]] for row in data["certifications"]
    ]


REEMPLOYMENT_HEADER = [
    f"{figure}_{months}" for months in WINDOWS for figure in ("eligible", "reemployed", "rate")
]
MONEY_HEADER = ["budget", *MONEY_FIGURES, "left"]


def _reemployment_rows(dimension: str):
    def rows(data: dict) -> list[list]:
        (entry,) = [d for d in data["reemployment"]["dimensions"] if d["dimension"] == dimension]
        return [
            [row["key"], row["label"], *(row[key] for key in REEMPLOYMENT_HEADER)]
            for row in entry["rows"]
        ]

    return rows


def _money_rows(by: str):
    def rows(data: dict) -> list[list]:
        return [
            [row["key"], row["label"], *(row[key] for key in MONEY_HEADER)]
            for row in data["money"][f"by_{by}"]
        ]

    return rows


CSV_CHARTS = {
    "funnel": (
        ["step", "label", "current", "current_pct", "reached", "reached_pct"],
        _funnel_rows,
    ),
    "provinces": (
        [
            "province",
            "name",
            "procedures",
            "units",
            "workers_involved",
            "involvements",
            "step_4",
            "activation_rate",
            "median_days_to_step_4",
        ],
        _province_rows,
    ),
    "families": (
        [
            "family",
            "label",
            "procedures",
            "units",
            "workers_involved",
            "involvements",
            "step_4",
            "activation_rate",
        ],
        _family_rows,
    ),
    "months": (["month", "taken_in_charge"], _month_rows),
    "tables": (["year", "convener", "regional_tables", "bilateral_tables"], _table_rows),
    "outcomes": (["outcome", "label", "workers", "pct"], _outcome_rows),
    "agreements": (
        [
            "kind",
            "label",
            "agreements",
            *AgreementGoal.values,
            "outplacement",
            "workers_covered",
        ],
        _agreement_rows,
    ),
    "certifications": (["province", "eqf_level", "certifications"], _certification_rows),
    **{
        f"reemployment_{dimension}": (
            [dimension, "label", *REEMPLOYMENT_HEADER],
            _reemployment_rows(dimension),
        )
        for dimension in REEMPLOYMENT_DIMENSIONS
    },
    "money_sources": (["source", "label", *MONEY_HEADER], _money_rows("source")),
    "money_measures": (["measure", "label", *MONEY_HEADER], _money_rows("measure")),
}


def chart_csv_rows(data: dict, chart: str) -> Iterator[list]:
    """The table behind one chart (a key of ``CSV_CHARTS``): its header row, then its rows,
    for ``exports.csv_response``."""
    header, rows = CSV_CHARTS[chart]
    yield header
    for row in rows(data):
        yield ["" if value is None else value for value in row]


# The charts' headers in words, for the readable CSV and the XLSX.
CSV_LABELS = {
    "step": gettext_lazy("STEP"),
    "current": gettext_lazy("Workers now"),
    "current_pct": gettext_lazy("Workers now (%)"),
    "reached": gettext_lazy("Workers who reached it"),
    "reached_pct": gettext_lazy("Workers who reached it (%)"),
    "province": gettext_lazy("Province"),
    "procedures": gettext_lazy("Procedures"),
    "units": gettext_lazy("Production units"),
    "workers_involved": gettext_lazy("Workers involved"),
    "involvements": gettext_lazy("Workers taken in charge"),
    "step_4": gettext_lazy("Workers in STEP 4"),
    "activation_rate": gettext_lazy("Activation rate (%)"),
    "median_days_to_step_4": gettext_lazy("Median days to STEP 4"),
    "family": gettext_lazy("Family"),
    "month": gettext_lazy("Month"),
    "taken_in_charge": gettext_lazy("Workers taken in charge"),
    "outcome": gettext_lazy("Outcome"),
    "workers": gettext_lazy("Workers"),
    "pct": gettext_lazy("Share (%)"),
    "kind": gettext_lazy("Kind of agreement"),
    "agreements": gettext_lazy("Agreements"),
    "keep_job": gettext_lazy("Goal: keep the job"),
    "retrain": gettext_lazy("Goal: retrain"),
    "reemploy": gettext_lazy("Goal: re-employ"),
    "outplacement": gettext_lazy("With outplacement"),
    "workers_covered": gettext_lazy("Workers covered"),
    "eqf_level": gettext_lazy("EQF level"),
    "certifications": gettext_lazy("Certifications"),
    "year": gettext_lazy("Year"),
    "convener": gettext_lazy("Convened by"),
    "regional_tables": gettext_lazy("Regional tables"),
    "bilateral_tables": gettext_lazy("Bilateral tables"),
    "eligible_6": gettext_lazy("Workers whose 6 months have passed"),
    "reemployed_6": gettext_lazy("Re-employed within 6 months"),
    "rate_6": gettext_lazy("Re-employment rate at 6 months (%)"),
    "eligible_12": gettext_lazy("Workers whose 12 months have passed"),
    "reemployed_12": gettext_lazy("Re-employed within 12 months"),
    "rate_12": gettext_lazy("Re-employment rate at 12 months (%)"),
    "budget": gettext_lazy("Budget (€)"),
    "assigned": gettext_lazy("Assigned (€)"),
    "committed": gettext_lazy("Committed (€)"),
    "delivered": gettext_lazy("Delivered (€)"),
    "paid": gettext_lazy("Paid (€)"),
    "left": gettext_lazy("Left (€)"),
    "sex": gettext_lazy("Sex"),
    "age_band": gettext_lazy("Age at taking in charge"),
    "citizenship": gettext_lazy("Citizenship"),
    "education": gettext_lazy("Education"),
    "cpi": gettext_lazy("Employment centre (CPI)"),
    "source": gettext_lazy("Funding source"),
    "measure": gettext_lazy("Measure"),
}


def chart_readable_rows(data: dict, chart: str) -> Iterator[list]:
    """The table behind one chart in words: headers in the user's language, and the code
    column left out where a column of labels follows it."""
    header, rows = CSV_CHARTS[chart]
    if header[1] in ("label", "name"):  # the labels, headed as their codes were
        yield [str(CSV_LABELS[key]) for key in [header[0], *header[2:]]]
        for row in rows(data):
            yield [row[1], *row[2:]]
        return
    yield [str(CSV_LABELS[key]) for key in header]
    yield from rows(data)
