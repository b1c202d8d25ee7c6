"""Re-employment at 6 and 12 months after STEP 1, survival-style (issue #15, item 2).

Definitions (every figure counts involvements — a worker in a procedure — and is computed by
the database in ONE query, on SQLite and PostgreSQL alike):

* **taken on**: the date of the involvement's START move (taken in charge, into STEP 1).
  Involvements without one are never counted.
* **window**: from ``taken_on`` to ``taken_on + months`` calendar months, both ends included,
  where "+ n months" is the same day number n months later, or that month's last day when it
  is shorter (:func:`workers.models.add_months`: 31 August + 6 months = 28 February, 29 in a
  leap year; 31 March + 6 = 30 September; 15 May + 12 = 15 May next year) — PostgreSQL's
  ``date + interval`` and dateutil's relativedelta agree.
* **eligible** (the denominator): the involvements whose window has fully elapsed on
  ``as_of``, i.e. ``taken_on + months <= as_of``. A worker whose window ends exactly on
  ``as_of`` counts; one whose window ends the day after does not (yet). Workers taken in
  charge more recently are left out rather than counted as not re-employed — the survival-style
  rate, which does not fall every time new workers are taken in charge.
* **re-employed** (the numerator): the eligible involvements whose outcome is one of
  ``REEMPLOYED_KINDS`` and is dated inside the window: an outcome on the window's last day
  counts, one the day after does not. An outcome dated before ``taken_on`` is refused when
  recorded (``Outcome.clean``) and is not counted here either.
* **rate**: re-employed as a percentage of eligible, one decimal rounded half up
  (:func:`monitoring.reports.percentage`); None when nobody is eligible.

``REEMPLOYED_KINDS`` counts a worker back at work in any way: a new employer, back in the
original company, or self-employment. (The re-employment plans of ``monitoring.plans`` count
"persone ricollocate", a new job only, and leave the original company out.)

How the window's end is compared without date arithmetic in SQL: with ``ym(d) = 12 * year +
month``, ``o <= add_months(t, m)`` exactly when ``ym(o) < ym(t) + m``, or ``ym(o) = ym(t) + m``
and ``day(o) <= day(t)`` (the clamp to the month's last day never matters, since ``day(o)``
is at most that). The denominator's condition is one comparison with a cutoff computed in
Python (:func:`eligible_until`).
"""

import calendar
import datetime
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear

from monitoring.reports import percentage
from workers.enums import OutcomeKind
from workers.models import add_months
from workers.segments import TAKEN_ON, with_start_move

# The outcomes that count as back at work.
REEMPLOYED_KINDS = (OutcomeKind.RICOLLOCATO, OutcomeKind.REINTEGRATO, OutcomeKind.AUTOIMPIEGO)
# The windows the reports show, in months after STEP 1.
WINDOWS = (6, 12)

_TAKEN = TAKEN_ON


def eligible_until(as_of: datetime.date, months: int) -> datetime.date:
    """The last ``taken_on`` whose ``months`` window has elapsed on ``as_of``: the largest day
    ``t`` with ``add_months(t, months) <= as_of``. Usually ``as_of`` ``months`` earlier; when
    ``as_of`` is its month's last day, the last day of the month ``months`` earlier (28 February
    2025 − 6 months → 31 August 2024, since 31 August + 6 months = 28 February)."""
    earlier = add_months(as_of, -months)
    if as_of.day == calendar.monthrange(as_of.year, as_of.month)[1]:
        return earlier.replace(day=calendar.monthrange(earlier.year, earlier.month)[1])
    return earlier


def _month_index(field: str) -> Any:
    return ExtractYear(field) * 12 + ExtractMonth(field)


def _with_windows(involvements: QuerySet) -> QuerySet:
    """The involvements with their START move joined (one LEFT JOIN) and the year-month
    indexes and day numbers of taken_on and of the outcome's date."""
    return with_start_move(involvements.order_by()).annotate(
        _reemployment_taken_ym=_month_index(_TAKEN),
        _reemployment_taken_day=ExtractDay(_TAKEN),
        _reemployment_outcome_ym=_month_index("outcome__date"),
        _reemployment_outcome_day=ExtractDay("outcome__date"),
    )


def _counts(as_of: datetime.date, months: int, suffix: str = "") -> dict[str, Count]:
    eligible = Q(**{f"{_TAKEN}__lte": eligible_until(as_of, months)})
    within = Q(_reemployment_outcome_ym__lt=F("_reemployment_taken_ym") + months) | Q(
        _reemployment_outcome_ym=F("_reemployment_taken_ym") + months,
        _reemployment_outcome_day__lte=F("_reemployment_taken_day"),
    )
    reemployed = (
        eligible & Q(outcome__kind__in=REEMPLOYED_KINDS, outcome__date__gte=F(_TAKEN)) & within
    )
    # distinct: an involvement is one even if it had (wrongly) two START moves.
    return {
        f"eligible{suffix}": Count("pk", filter=eligible, distinct=True),
        f"reemployed{suffix}": Count("pk", filter=reemployed, distinct=True),
    }


def _rate(reemployed: int, eligible: int) -> float | None:
    return percentage(reemployed, eligible) if eligible else None


def _sorted(rows: list[dict]) -> list[dict]:
    # The same order on every database: by key, no key (None) last.
    return sorted(
        rows, key=lambda row: (row["key"] is None, row["key"] if row["key"] is not None else 0)
    )


def reemployment(
    involvements: QuerySet, *, as_of: datetime.date, months: int, by: str | None = None
) -> list[dict] | dict:
    """Re-employment within ``months`` of STEP 1 among ``involvements`` (see the module
    docstring): ``{"eligible": n, "reemployed": k, "rate": % or None}``; with ``by`` (a field
    path or an annotation of ``involvements``), one such dict per value, with ``"key"``, ordered
    by key (None last). One query."""
    annotated = _with_windows(involvements)
    if by is None:
        row = annotated.aggregate(**_counts(as_of, months))
        return {**row, "rate": _rate(row["reemployed"], row["eligible"])}
    rows = annotated.values(key=F(by)).annotate(**_counts(as_of, months))
    return _sorted(
        [
            {
                "key": row["key"],
                "eligible": row["eligible"],
                "reemployed": row["reemployed"],
                "rate": _rate(row["reemployed"], row["eligible"]),
            }
            for row in rows
        ]
    )


def reemployment_table(
    involvements: QuerySet, *, as_of: datetime.date, by: str | None = None
) -> list[dict]:
    """Both ``WINDOWS`` per value of ``by`` in one query: rows ``{"key", "eligible_6",
    "reemployed_6", "rate_6", "eligible_12", "reemployed_12", "rate_12"}`` ordered by key
    (None last); without ``by``, one row with key None."""
    counts: dict[str, Count] = {}
    for months in WINDOWS:
        counts.update(_counts(as_of, months, suffix=f"_{months}"))
    annotated = _with_windows(involvements)
    if by is None:
        rows = [{"key": None, **annotated.aggregate(**counts)}]
    else:
        rows = list(annotated.values(key=F(by)).annotate(**counts))
    result = []
    for row in rows:
        entry: dict[str, Any] = {"key": row["key"]}
        for months in WINDOWS:
            eligible, reemployed = row[f"eligible_{months}"], row[f"reemployed_{months}"]
            entry[f"eligible_{months}"] = eligible
            entry[f"reemployed_{months}"] = reemployed
            entry[f"rate_{months}"] = _rate(reemployed, eligible)
        result.append(entry)
    return _sorted(result)
