"""The PAL monitoring report (issue #15): from informed to re-employed, who, where, how fast.

Its anchor is the national monitoring of 2010–2011 (source 004, the Italia Lavoro report: a
funnel "informati → presi in carico → inseriti in percorsi formativi → reintegrati/ricollocati"
against the goal of 40 % of the target workers back at work, quarterly reports by province and
CPI, company type, sector and concession); the figures it could not compute — re-employment
within 6 and 12 months of STEP 1, by sex, age, citizenship, education, operator and measure,
and how long each step takes — are added.

Who is counted. Every count is the workers' situation on the period's last day (the quarter's
or the year's), cumulated since the portal's records start; "in the period" says how many of
them reached the stage within it. A worker is counted once per procedure (an involvement), in
the province of their production unit:

* informed — listed in a procedure opened by then (the workers the employment services must
  inform: the portal's record of them);
* taken in charge — with a move to STEP 1 effective by then;
* PAL illustrated — of those, with a move to STEP 3 or STEP 4 (a worker in STEP 4 went
  through STEP 3) effective by then;
* PAL activated — of those, with a move to STEP 4 effective by then;
* in training — of those, with a PIP approved (approved, in progress or concluded; not a draft,
  a submitted, returned or withdrawn one) that has a training service (``formazione``) whose
  planned dates overlap the period;
* re-employed — taken in charge, with a re-employment outcome (``REEMPLOYED_KINDS``) dated by
  then.

Each figure is aggregated by the database: the funnel and every breakdown in one query (the
workers' per-involvement facts as a common table expression, one GROUP BY per dimension joined
by UNION ALL), the quartiles in one more (``percentile_cont`` on PostgreSQL; on SQLite a
histogram of whole days, ``quantile_of_histogram``), the 6- and 12-month rates two per
dimension (``monitoring.reemployment``).

Province documents go through statistical disclosure control (:func:`suppress`); the Region's
are not suppressed.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connections
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy

from cases.enums import CompanyKind, ConcessionKind, Family
from monitoring.dashboard import DaysBetween, quantile_of_histogram
from monitoring.enums import ReportKind
from monitoring.periods import Period
from monitoring.reemployment import REEMPLOYED_KINDS, WINDOWS, reemployment_table
from monitoring.reports import ScopeError, percentage, provinces
from pal.enums import PIPStatus, ServiceKind
from pal.models import Dote, Measure, Operator, PIPService
from workers.enums import Step
from workers.models import Involvement, StepTransition
from workers.segments import SEGMENTS, annotate_segments

# A PIP that was approved: its services are (or were) being delivered.
APPROVED_PIP_STATUSES = (PIPStatus.APPROVATO, PIPStatus.IN_CORSO, PIPStatus.CONCLUSO)

# What a withheld cell shows in every format but JSON (where it is null, named in "suppressed").
SUPPRESSED = "n.d."
NOT_RECORDED = "_none"  # the key of the workers a dimension does not know


# --- Configuration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PalSettings:
    target_pct: int  # re-employed, per cent of the workers taken in charge
    min_cell: int  # the smallest count a province's document shows


def pal_settings() -> PalSettings:
    """``PAL_REPORT_TARGET_PCT`` and ``PAL_REPORT_MIN_CELL`` (settings, from the environment),
    checked: a target between 1 and 100, a minimum cell of at least 1."""
    target = int(getattr(settings, "PAL_REPORT_TARGET_PCT", 40))
    minimum = int(getattr(settings, "PAL_REPORT_MIN_CELL", 5))
    if not 0 < target <= 100:
        raise ImproperlyConfigured("PAL_REPORT_TARGET_PCT must be between 1 and 100.")
    if minimum < 1:
        raise ImproperlyConfigured("PAL_REPORT_MIN_CELL must be at least 1.")
    return PalSettings(target_pct=target, min_cell=minimum)


# --- The workers and their facts ----------------------------------------------------------------


def population(period: Period, province: str | None = None) -> QuerySet:
    """The informed workers (involvements) of the scope, each with the dates of its stages by
    the period's last day (``started``, ``illustrated``, ``activated``, ``reemployed_on``),
    ``training``, the days each step took and their segments (``workers.segments``)."""
    end = period.end
    workers = Involvement.objects.filter(procedure__opened_on__lte=end).order_by()
    if province is not None:
        workers = workers.filter(unit__province_id=province)
    moves = StepTransition.objects.filter(
        involvement=OuterRef("pk"), effective_date__lte=end
    ).order_by("effective_date", "id")

    def first(*steps: str) -> Subquery:
        return Subquery(moves.filter(to_step__in=steps).values("effective_date")[:1])

    training = PIPService.objects.filter(
        pip__dote__involvement=OuterRef("pk"),
        pip__status__in=APPROVED_PIP_STATUSES,
        kind=ServiceKind.FORMAZIONE,
        planned_start__lte=end,
        planned_end__gte=period.start,
    )
    return (
        annotate_segments(workers)
        .annotate(
            opened_on=F("procedure__opened_on"),
            started=first(Step.STEP_1),
            illustrated=first(Step.STEP_3, Step.STEP_4),
            activated=first(Step.STEP_4),
            training=Exists(training),
            reemployed_on=Case(
                When(
                    outcome__kind__in=REEMPLOYED_KINDS, outcome__date__lte=end, then="outcome__date"
                ),
            ),
            other_exit_on=Case(
                When(
                    Q(outcome__date__lte=end) & ~Q(outcome__kind__in=REEMPLOYED_KINDS),
                    then="outcome__date",
                ),
            ),
        )
        .annotate(
            days_to_activation=DaysBetween("activated", "started"),
            days_to_reemployment=DaysBetween("reemployed_on", "started"),
        )
    )


# --- Dimensions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dimension:
    """One breakdown: the key of each worker (an expression on Involvement, as text) and the
    names of the keys, in the order the tables show them."""

    code: str
    label: object  # lazily translated
    key: Callable[[Period], object]  # the period → the expression
    names: Callable[[list], list[tuple[str, str]]]  # keys found → (key, name) in order
    none_label: object = gettext_lazy("Not recorded")  # the workers it does not know


def _choices(choices) -> Callable[[list], list[tuple[str, str]]]:
    def names(_found: list) -> list[tuple[str, str]]:
        return [(value, str(label)) for value, label in choices.choices]

    return names


def _segment(code: str) -> Callable[[Period], object]:
    """The key of a dimension of ``workers.segments`` (annotated by :func:`population`)."""

    def key(_period: Period):
        return F(SEGMENTS[code].annotation)

    return key


def _segment_names(code: str) -> Callable[[list], list[tuple[str, str]]]:
    """The names of a segment's keys: in its own order, or by name for the CPIs."""
    segment = SEGMENTS[code]

    def names(found: list) -> list[tuple[str, str]]:
        if callable(segment.labels):
            ids = [int(key) for key in found if key and key != NOT_RECORDED]
            named = segment.labels_for(ids)
            return sorted(((str(k), str(v)) for k, v in named.items()), key=lambda kv: kv[1])
        return [(str(k), str(v)) for k, v in segment.labels_for(found).items()]

    return names


def _province(_period: Period):
    return F("unit__province_id")


def _province_names(_found: list) -> list[tuple[str, str]]:
    return [(row["code"], row["name"]) for row in provinces()]


def _family(_period: Period):
    return F("procedure__family")


def _company_kind(_period: Period):
    return F("procedure__company__kind")


def _concession_kind(_period: Period):
    return F("procedure__concession_kind")


# ATECO 2007 sections by the division (the code's first two digits), ISTAT's classification.
ATECO_SECTIONS: list[tuple[str, str, str, object]] = [
    ("A", "01", "03", gettext_lazy("Agriculture, forestry and fishing")),
    ("B", "05", "09", gettext_lazy("Mining and quarrying")),
    ("C", "10", "33", gettext_lazy("Manufacturing")),
    ("D", "35", "35", gettext_lazy("Electricity, gas, steam")),
    ("E", "36", "39", gettext_lazy("Water supply, waste management")),
    ("F", "41", "43", gettext_lazy("Construction")),
    ("G", "45", "47", gettext_lazy("Wholesale and retail trade")),
    ("H", "49", "53", gettext_lazy("Transport and storage")),
    ("I", "55", "56", gettext_lazy("Accommodation and food services")),
    ("J", "58", "63", gettext_lazy("Information and communication")),
    ("K", "64", "66", gettext_lazy("Financial and insurance activities")),
    ("L", "68", "68", gettext_lazy("Real estate activities")),
    ("M", "69", "75", gettext_lazy("Professional, scientific and technical activities")),
    ("N", "77", "82", gettext_lazy("Administrative and support services")),
    ("O", "84", "84", gettext_lazy("Public administration")),
    ("P", "85", "85", gettext_lazy("Education")),
    ("Q", "86", "88", gettext_lazy("Health and social work")),
    ("R", "90", "93", gettext_lazy("Arts, entertainment and recreation")),
    ("S", "94", "96", gettext_lazy("Other services")),
    ("T", "97", "98", gettext_lazy("Households as employers")),
    ("U", "99", "99", gettext_lazy("Extraterritorial organisations")),
]


def _ateco_section(_period: Period):
    """The section of the company's ATECO code: codes ("25.62.00") compare as text, so a
    division range is ``low <= code < the next division``."""
    code = "procedure__company__ateco_code"
    return Case(
        *(
            When(
                Q(**{f"{code}__gte": low, f"{code}__lt": _next_division(high)}),
                then=Value(letter),
            )
            for letter, low, high, _name in ATECO_SECTIONS
        ),
        output_field=CharField(),
    )


def _next_division(high: str) -> str:
    """The first code after division ``high`` ("33" → "34"): codes compare as text."""
    return f"{int(high) + 1:02d}"


def _ateco_names(_found: list) -> list[tuple[str, str]]:
    return [(letter, f"{letter} – {name}") for letter, _low, _high, name in ATECO_SECTIONS]


def _operator(_period: Period):
    """The operator of the worker's latest Dote (the one they chose last)."""
    latest = Dote.objects.filter(involvement=OuterRef("pk")).order_by("-valid_from", "-id")
    return Cast(Subquery(latest.values("operator_id")[:1]), CharField())


def _operator_names(found: list) -> list[tuple[str, str]]:
    ids = [int(key) for key in found if key and key != NOT_RECORDED]
    named = Operator.objects.filter(pk__in=ids).order_by("name").values_list("pk", "name")
    return [(str(pk), name) for pk, name in named]


def _measure(period: Period):
    """The measure named by the worker's first move to STEP 4 by the period's end."""
    activation = StepTransition.objects.filter(
        involvement=OuterRef("pk"), to_step=Step.STEP_4, effective_date__lte=period.end
    ).order_by("effective_date", "id")
    return Subquery(activation.values("measure__code")[:1])


def _measure_names(found: list) -> list[tuple[str, str]]:
    codes = [key for key in found if key and key != NOT_RECORDED]
    named = Measure.objects.filter(code__in=codes).order_by("code").values_list("code", "name")
    return [(code, name) for code, name in named]


def _from_segments(code: str, none_label=None) -> Dimension:
    segment = SEGMENTS[code]
    extra = {"none_label": none_label} if none_label is not None else {}
    return Dimension(code, segment.label, _segment(code), _segment_names(code), **extra)


# The breakdowns, in the order the documents show them: who the workers are, where, which
# procedures and companies, who served them with what.
DIMENSIONS: list[Dimension] = [
    _from_segments("sex"),
    _from_segments("age_band"),
    _from_segments("citizenship"),
    _from_segments("education"),
    Dimension("province", gettext_lazy("Province"), _province, _province_names),
    _from_segments("cpi", gettext_lazy("No CPI known")),
    Dimension("family", gettext_lazy("Procedure family"), _family, _choices(Family)),
    Dimension("company_kind", gettext_lazy("Company kind"), _company_kind, _choices(CompanyKind)),
    Dimension("ateco_section", gettext_lazy("ATECO section"), _ateco_section, _ateco_names),
    Dimension(
        "concession_kind",
        gettext_lazy("Concession kind"),
        _concession_kind,
        _choices(ConcessionKind),
    ),
    Dimension(
        "operator",
        gettext_lazy("Operator (latest Dote)"),
        _operator,
        _operator_names,
        gettext_lazy("No Dote"),
    ),
    Dimension(
        "measure",
        gettext_lazy("Measure (STEP 4)"),
        _measure,
        _measure_names,
        gettext_lazy("PAL not activated"),
    ),
]


# --- Aggregating ---------------------------------------------------------------------------------

# The stages of the funnel, in order: (code, column of the per-worker facts or None).
STAGES = ("informed", "taken_in_charge", "pal_illustrated", "pal_activated", "in_training")
STAGES_ALL = (*STAGES, "reemployed")
STAGE_LABELS = {
    "informed": gettext_lazy("Informed"),
    "taken_in_charge": gettext_lazy("Taken in charge (STEP 1)"),
    "pal_illustrated": gettext_lazy("PAL illustrated (STEP 3)"),
    "pal_activated": gettext_lazy("PAL activated (STEP 4)"),
    "in_training": gettext_lazy("In training"),
    "reemployed": gettext_lazy("Re-employed"),
}

# One column of the aggregate per figure: (name, SQL over the CTE ``p``; %(start)s the period's
# first day, a parameter).
TAKEN = "p.started IS NOT NULL"
FIGURES = (
    ("informed", "1 = 1"),
    ("informed_in_period", "p.opened_on >= %(start)s"),
    ("taken_in_charge", TAKEN),
    ("taken_in_charge_in_period", f"{TAKEN} AND p.started >= %(start)s"),
    ("pal_illustrated", f"{TAKEN} AND p.illustrated IS NOT NULL"),
    ("pal_illustrated_in_period", f"{TAKEN} AND p.illustrated >= %(start)s"),
    ("pal_activated", f"{TAKEN} AND p.activated IS NOT NULL"),
    ("pal_activated_in_period", f"{TAKEN} AND p.activated >= %(start)s"),
    ("in_training", f"{TAKEN} AND p.activated IS NOT NULL AND p.training"),
    ("reemployed", f"{TAKEN} AND p.reemployed_on IS NOT NULL"),
    ("reemployed_in_period", f"{TAKEN} AND p.reemployed_on >= %(start)s"),
    ("other_exits", f"{TAKEN} AND p.other_exit_on IS NOT NULL"),
)


def _compile(queryset: QuerySet) -> tuple[str, tuple, object] | None:
    connection = connections[queryset.db]
    try:
        sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:
        return None
    return sql, tuple(params), connection


def _sum(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def aggregate(workers: QuerySet, period: Period, dimensions: list[Dimension]) -> dict:
    """The funnel's figures overall (key ``None``) and per key of each dimension, one query:
    {dimension code or None: {key: {figure: n}}}."""
    keys = {f"k_{d.code}": Cast(d.key(period), CharField()) for d in dimensions}
    facts = workers.values(
        "opened_on",
        "started",
        "illustrated",
        "activated",
        "training",
        "reemployed_on",
        "other_exit_on",
        **keys,
    )
    compiled = _compile(facts)
    result: dict = {None: {None: dict.fromkeys((name for name, _sql in FIGURES), 0)}}
    if compiled is None:
        return result
    inner, params, connection = compiled
    columns = ", ".join(
        f"{_sum(condition % {'start': '%s'})} AS {name}" for name, condition in FIGURES
    )
    per_select = sum(condition.count("%(start)s") for _name, condition in FIGURES)
    selects = [f"SELECT NULL AS dim, NULL AS k, {columns} FROM p"]  # nosec B608 - our FIGURES
    for d in dimensions:
        selects.append(
            f"SELECT '{d.code}', COALESCE(p.k_{d.code}, ''), {columns} FROM p "  # nosec B608 - codes are ours
            f"GROUP BY COALESCE(p.k_{d.code}, '')"
        )
    sql = f"WITH p AS ({inner}) " + " UNION ALL ".join(selects)  # nosec B608 - inner is the ORM's
    all_params = list(params) + [period.start] * per_select * len(selects)
    with connection.cursor() as cursor:
        cursor.execute(sql, all_params)
        rows = cursor.fetchall()
    names = [name for name, _sql in FIGURES]
    for dim, key, *values in rows:
        figures = {name: int(value or 0) for name, value in zip(names, values, strict=True)}
        result.setdefault(dim, {})[(key or NOT_RECORDED) if dim else None] = figures
    return result


QUARTILES = (0.25, 0.5, 0.75)
TIMES = (
    ("step1_to_step4", "days_to_activation", f"{TAKEN} AND p.activated IS NOT NULL"),
    ("step1_to_reemployment", "days_to_reemployment", f"{TAKEN} AND p.reemployed_on IS NOT NULL"),
)


def times(workers: QuerySet) -> dict[str, dict]:
    """Days from STEP 1 to STEP 4 and to re-employment: quartiles and how many, one query."""
    facts = workers.values("started", "activated", "reemployed_on", *(c for _n, c, _w in TIMES))
    empty = {name: {"n": 0, "q1": None, "median": None, "q3": None} for name, _c, _w in TIMES}
    compiled = _compile(facts)
    if compiled is None:
        return empty
    inner, params, connection = compiled
    if connection.vendor == "postgresql":
        selects = [
            f"SELECT '{name}', percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP "  # nosec B608 - ours
            f"(ORDER BY p.{column}), COUNT(*) FROM p WHERE {where} AND p.{column} >= 0"
            for name, column, where in TIMES
        ]
        sql = f"WITH p AS ({inner}) " + " UNION ALL ".join(selects)  # nosec B608 - the ORM's
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        result = dict(empty)
        for name, quartiles, n in rows:
            if n:
                q1, median, q3 = (round(float(q), 1) for q in quartiles)
                result[name] = {"n": n, "q1": q1, "median": median, "q3": q3}
        return result
    # SQLite has no percentile_cont: a histogram of whole days per measure (as many rows as
    # distinct durations, never one per worker), the quartiles read from it.
    selects = [
        f"SELECT '{name}', p.{column}, COUNT(*) FROM p WHERE {where} AND p.{column} >= 0 "  # nosec B608 - ours
        f"GROUP BY p.{column}"
        for name, column, where in TIMES
    ]
    sql = f"WITH p AS ({inner}) SELECT * FROM (" + " UNION ALL ".join(selects) + ") ORDER BY 1, 2"  # nosec B608 - inner is the ORM-compiled query, selects our own
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    histograms: dict[str, list[tuple[int, int]]] = {}
    for name, days, n in rows:
        histograms.setdefault(name, []).append((days, n))
    result = dict(empty)
    for name, counts in histograms.items():
        q1, median, q3 = (_one_decimal(quantile_of_histogram(counts, q)) for q in QUARTILES)
        result[name] = {"n": sum(n for _d, n in counts), "q1": q1, "median": median, "q3": q3}
    return result


def _one_decimal(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


def windows(workers: QuerySet, period: Period, dimensions: list[Dimension]) -> dict:
    """Re-employment within 6 and 12 months of STEP 1 (survival style, on the period's last
    day: ``monitoring.reemployment``), overall (key None) and per dimension:
    {dimension code or None: {key or None: {months: {eligible, reemployed, rate}}}}.
    One query overall and one per dimension."""

    def by_months(row: dict) -> dict:
        return {
            months: {
                "eligible": row[f"eligible_{months}"],
                "reemployed": row[f"reemployed_{months}"],
                "rate": row[f"rate_{months}"],
            }
            for months in WINDOWS
        }

    result: dict = {None: {None: by_months(reemployment_table(workers, as_of=period.end)[0])}}
    keyed = workers.annotate(
        **{f"k_{d.code}": Cast(d.key(period), CharField()) for d in dimensions}
    )
    for d in dimensions:
        rows = reemployment_table(keyed, as_of=period.end, by=f"k_{d.code}")
        result[d.code] = {(row["key"] or NOT_RECORDED): by_months(row) for row in rows}
    return result


# --- The report ----------------------------------------------------------------------------------


def pal_monitoring(period: Period, province: str | None = None) -> dict:
    """The PAL monitoring report of ``period`` (a quarter or a year) for Lombardy or a province."""
    if province is not None and province not in {row["code"] for row in provinces()}:
        raise ScopeError(f"Unknown province {province!r}.")
    config = pal_settings()
    workers = population(period, province)
    figures = aggregate(workers, period, DIMENSIONS)
    overall = figures[None][None]
    rates = windows(workers, period, DIMENSIONS)
    base = overall["informed"]
    funnel = [
        {
            "stage": stage,
            "label": str(STAGE_LABELS[stage]),
            "count": overall[stage],
            "pct": percentage(overall[stage], base),
            "in_period": overall.get(f"{stage}_in_period"),
        }
        for stage in STAGES_ALL
    ]
    reached = percentage(overall["reemployed"], overall["taken_in_charge"])
    data = {
        "kind": ReportKind.PAL_MONITORING.value,
        "period": period.code,
        "span": period.kind.value,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "scope": province or "LOM",
        "min_cell": config.min_cell if province else None,
        "suppressed_cells": 0,
        "funnel": funnel,
        "other_exits": overall["other_exits"],
        "target": {
            "pct": config.target_pct,
            "reemployed_pct": reached,
            "reached": reached >= config.target_pct,
        },
        "reemployment": _window_rows(rates.get(None, {}).get(None, {})),
        "times": [{"measure": name, **values} for name, values in times(workers).items()],
        "breakdowns": [
            _breakdown(d, figures.get(d.code, {}), rates.get(d.code, {})) for d in DIMENSIONS
        ],
    }
    if province is not None:
        suppress(data, config.min_cell)
    return data


def _window_rows(by_months: dict) -> list[dict]:
    return [
        {
            "months": months,
            "eligible": by_months.get(months, {}).get("eligible"),
            "reemployed": by_months.get(months, {}).get("reemployed"),
            "rate": by_months.get(months, {}).get("rate"),
        }
        for months in WINDOWS
    ]


BREAKDOWN_COUNTS = ("taken_in_charge", "pal_activated", "reemployed")


def _breakdown(dimension: Dimension, cells: dict, rates: dict) -> dict:
    """The rows of one dimension: its keys in their order (those with nobody taken in charge
    left out), then the workers it does not know."""
    found = [key for key, figures in cells.items() if figures["taken_in_charge"]]
    named = dict(dimension.names(found))
    order = [key for key in named if key in found]
    order += sorted(key for key in found if key not in named and key != NOT_RECORDED)
    if NOT_RECORDED in found:
        order.append(NOT_RECORDED)
    rows = []
    for key in order:
        figures = cells[key]
        row = {
            "key": key,
            "label": named.get(key) or (str(dimension.none_label) if key == NOT_RECORDED else key),
            **{name: figures[name] for name in BREAKDOWN_COUNTS},
            "reemployed_pct": percentage(figures["reemployed"], figures["taken_in_charge"]),
            "suppressed": [],
        }
        for window in _window_rows(rates.get(key, {})):
            months = window["months"]
            row[f"eligible_{months}m"] = window["eligible"]
            row[f"reemployed_{months}m"] = window["reemployed"]
            row[f"rate_{months}m"] = window["rate"]
        rows.append(row)
    return {"dimension": dimension.code, "label": str(dimension.label), "rows": rows}


# --- Statistical disclosure control ---------------------------------------------------------------


def suppress(data: dict, min_cell: int) -> None:
    """Withhold small counts of a province's document, in place.

    Primary: every count from 1 to ``min_cell`` − 1 (zero tells nothing about anyone and stays).
    Secondary: in each breakdown every column adds up to a figure the document shows (the funnel's
    taken in charge, PAL activated, re-employed; the overall 6/12-month counts), so a column with
    one cell withheld would give it away by difference: the smallest other cell of that column is
    withheld too (a positive one first). Rates computed from a withheld count are withheld.
    Quartiles computed from fewer than ``min_cell`` workers are withheld.
    """
    withheld = 0

    def small(n) -> bool:
        return n is not None and 0 < n < min_cell

    for stage in data["funnel"]:
        stage["suppressed"] = []
        for field in ("count", "in_period"):
            if small(stage[field]):
                stage[field] = None
                stage["suppressed"].append(field)
                withheld += 1
        if stage["count"] is None:
            stage["pct"] = None
    if small(data["other_exits"]):
        data["other_exits"] = None
        withheld += 1
    reemployed = next(s for s in data["funnel"] if s["stage"] == "reemployed")
    taken = next(s for s in data["funnel"] if s["stage"] == "taken_in_charge")
    if reemployed["count"] is None or taken["count"] is None:
        data["target"]["reemployed_pct"] = None
        data["target"]["reached"] = None
    for window in data["reemployment"]:
        window["suppressed"] = [f for f in ("eligible", "reemployed") if small(window[f])]
        for field in window["suppressed"]:
            window[field] = None
            withheld += 1
        if window["suppressed"]:
            window["rate"] = None
    for time in data["times"]:
        if small(time["n"]):
            time.update(n=None, q1=None, median=None, q3=None, suppressed=True)
            withheld += 1
    counts = [*BREAKDOWN_COUNTS]
    counts += [f"{prefix}_{months}m" for months in WINDOWS for prefix in ("eligible", "reemployed")]
    for table in data["breakdowns"]:
        withheld += suppress_table(table["rows"], counts, min_cell)
        for row in table["rows"]:
            if {"taken_in_charge", "reemployed"} & set(row["suppressed"]):
                row["reemployed_pct"] = None
            for months in WINDOWS:
                if {f"eligible_{months}m", f"reemployed_{months}m"} & set(row["suppressed"]):
                    row[f"rate_{months}m"] = None
    data["suppressed_cells"] = withheld


def suppress_table(rows: list[dict], columns: list[str], min_cell: int) -> int:
    """Primary and secondary suppression of ``rows`` (each column adds up to a shown total), in
    place: a withheld cell is None and its column named in the row's ``suppressed``. Returns how
    many cells were withheld."""
    withheld = 0

    def hide(row: dict, column: str) -> None:
        nonlocal withheld
        row[column] = None
        row["suppressed"].append(column)
        withheld += 1

    for row in rows:
        for column in columns:
            value = row.get(column)
            if value is not None and 0 < value < min_cell:
                hide(row, column)
    for column in columns:
        hidden = [row for row in rows if column in row["suppressed"]]
        if len(hidden) != 1:
            continue
        shown = [row for row in rows if column not in row["suppressed"] and row[column] is not None]
        if shown:
            # The next smallest, a positive one first: withholding a zero protects little.
            hide(min(shown, key=lambda row: (row[column] == 0, row[column])), column)
    return withheld
