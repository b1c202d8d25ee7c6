"""The dimensions the monitoring reports break workers down by (issue #15, part 1).

:func:`annotate_segments` adds to an :class:`~workers.models.Involvement` queryset, in the same
SQL statement, each worker's segment on every dimension; :data:`SEGMENTS` names them so a report
can iterate them generically::

    rows = annotate_segments(involvements)
    for code, segment in SEGMENTS.items():
        counts = rows.values(segment.annotation).annotate(n=Count("id"))
        labels = segment.labels_for(row[segment.annotation] for row in counts)

* ``seg_sex``: the worker's sex (``Sex``);
* ``seg_age``: completed years at taking in charge (the date of the involvement's START move,
  the move into STEP 1 the service records once per involvement, as ``Outcome.taken_on`` and
  ``monitoring.reemployment`` read it), ``seg_age_band`` its :data:`AGE_BANDS` code;
* ``seg_citizenship``: the :class:`~workers.enums.CitizenshipGroup` of the worker's citizenship
  country, ``"unknown"`` without one;
* ``seg_education``: the :class:`~workers.enums.EducationLevel`, ``"unknown"`` when empty;
* ``seg_cpi``: the id of the competent CPI — the involvement's own (an override), else the
  unit's; null when neither is known.
"""

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from django.db.models import (
    Case,
    CharField,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import gettext_lazy as _

from cases.models import Cpi
from workers.enums import EDUCATION_UNKNOWN, CitizenshipGroup, EducationLevel, Sex
from workers.models import MoveKind

AGE_BANDS: list[tuple[str, Any]] = [
    ("under_30", _("Under 30")),
    ("30_49", _("30–49")),
    ("50_plus", _("50 and over")),
]


class YearsBetween(Func):
    """Completed years from the second date to the first (an age), computed by the database.

    PostgreSQL: ``age()``'s years. SQLite: the difference of the years, less one when the
    month and day of the later date come before those of the earlier one. Both count a
    birthday on the day itself as reached, and someone born on 29 February as turning a year
    older on 1 March in common years.
    """

    arity = 2
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(EXTRACT(YEAR FROM AGE(%(expressions)s)) AS INTEGER)",
            **extra_context,
        )

    def as_sql(self, compiler, connection, **extra_context):
        if connection.vendor == "postgresql":
            return super().as_sql(compiler, connection, **extra_context)
        later, later_params = compiler.compile(self.source_expressions[0])
        earlier, earlier_params = compiler.compile(self.source_expressions[1])
        sql = (
            f"(CAST(strftime('%%Y', {later}) AS INTEGER) - CAST(strftime('%%Y', {earlier}) AS "
            f"INTEGER) - (strftime('%%m-%%d', {later}) < strftime('%%m-%%d', {earlier})))"
        )
        params = (*later_params, *earlier_params, *later_params, *earlier_params)
        return sql, params


# The START move, joined once (a LEFT JOIN, not a subquery per row: the age band's CASE names
# the age three times, and a correlated subquery there ran three times per involvement, 1 s
# of the dashboard at 20,000 workers). ``monitoring.reemployment`` joins the same alias, so a
# queryset read by both joins the moves once.
START_MOVE = "_start_move"
TAKEN_ON = f"{START_MOVE}__effective_date"


def with_start_move(involvements: QuerySet) -> QuerySet:
    """``involvements`` with their START move (into STEP 1: the day taken in charge, ``TAKEN_ON``)
    joined once, whoever asked for it first."""
    if START_MOVE in involvements.query._filtered_relations:
        return involvements
    return involvements.annotate(
        **{
            START_MOVE: FilteredRelation(
                "transitions", condition=Q(transitions__kind=MoveKind.START)
            )
        }
    )


def annotate_segments(involvements: QuerySet) -> QuerySet:
    """``involvements`` with the ``seg_*`` annotations of the module docstring (one statement)."""
    rows = with_start_move(involvements).annotate(
        seg_age=YearsBetween(F(TAKEN_ON), F("worker__birth_date")),
    )
    return rows.annotate(
        seg_sex=F("worker__sex"),
        seg_age_band=Case(
            When(seg_age__lt=30, then=Value(AGE_BANDS[0][0])),
            When(seg_age__lt=50, then=Value(AGE_BANDS[1][0])),
            When(seg_age__gte=50, then=Value(AGE_BANDS[2][0])),
            default=None,
            output_field=CharField(),
        ),
        seg_citizenship=Coalesce(
            F("worker__citizenship_country__group"),
            Value(CitizenshipGroup.UNKNOWN.value),
            output_field=CharField(),
        ),
        seg_education=Coalesce(
            NullIf(F("worker__education_level"), Value("")),
            Value(EDUCATION_UNKNOWN),
            output_field=CharField(),
        ),
        seg_cpi=Coalesce(F("cpi"), F("unit__cpi"), output_field=IntegerField()),
    )


def cpi_labels(ids: Iterable[Any]) -> dict[Any, str]:
    """The names of the CPIs with these ids (one query)."""
    wanted = {i for i in ids if i is not None}
    return dict(Cpi.objects.filter(pk__in=wanted).values_list("pk", "name")) if wanted else {}


class Segment(NamedTuple):
    """A dimension: its label, the annotation of :func:`annotate_segments`, and its values'
    labels — a mapping code → label, or a callable giving {id: label} for the ids met."""

    label: Any
    annotation: str
    labels: dict[str, Any] | Callable[[Iterable[Any]], dict[Any, str]]

    def labels_for(self, values: Iterable[Any]) -> dict[Any, Any]:
        """{value: label} for these values (a mapping is returned whole)."""
        if callable(self.labels):
            return self.labels(values)
        return dict(self.labels)


SEGMENTS: dict[str, Segment] = {
    "sex": Segment(_("Sex"), "seg_sex", dict(Sex.choices)),
    "age_band": Segment(_("Age at taking in charge"), "seg_age_band", dict(AGE_BANDS)),
    "citizenship": Segment(_("Citizenship"), "seg_citizenship", dict(CitizenshipGroup.choices)),
    "education": Segment(
        _("Education"),
        "seg_education",
        {**dict(EducationLevel.choices), EDUCATION_UNKNOWN: _("Not recorded")},
    ),
    "cpi": Segment(_("Employment centre (CPI)"), "seg_cpi", cpi_labels),
}

__all__ = [
    "AGE_BANDS",
    "SEGMENTS",
    "Segment",
    "YearsBetween",
    "annotate_segments",
    "cpi_labels",
    "with_start_move",
]
