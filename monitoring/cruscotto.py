"""The cruscotto (§5): high-complexity procedures, their next table and their deadlines.

Everything is read in one query per concern, whatever the number of procedures: the list
(with its next meeting, workers per step and units' workers as annotations) and the counts
per deadline window (one aggregate). Scoping is the querysets' ``visible_to``.
"""

import itertools
from collections.abc import Iterable, Iterator
from datetime import date, timedelta

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.enums import Family, MeetingKind, Status
from cases.models import CrisisProcedure, Meeting, ProductionUnit
from crisi_portal.exports import Column
from pal.step3 import cohorts_missed_twice
from workers.enums import STEP_SHORT_LABELS, Step
from workers.models import Cohort, Involvement

# "Deadlines within N days": the end of income support or the next meeting.
WINDOWS = (30, 60, 90)

# ?ordering= values → ORDER BY. Unknown dates last in both directions; ties by company.
ORDERINGS = {
    "end_date": (F("end_date").asc(nulls_last=True),),
    "-end_date": (F("end_date").desc(nulls_last=True),),
    "next_meeting": (F("next_meeting_date").asc(nulls_last=True),),
    "-next_meeting": (F("next_meeting_date").desc(nulls_last=True),),
}
DEFAULT_ORDERING = "end_date"

# Annotation name per step, e.g. ``workers_step_1``, ``workers_no_pal``.
STEP_FIELDS = {step: f"workers_{step.lower()}" for step in Step}

CSV_HEADER = [
    "external_id",
    "company_name",
    "family",
    "status",
    "lead_province",
    "unit_provinces",
    "next_meeting_date",
    "next_meeting_kind",
    "end_date",
    "days_left",
    *STEP_FIELDS.values(),
    "workers_taken_in_charge",
    "workers_involved",
    "complexity_note",
]


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _upcoming_meetings(today: date) -> QuerySet:
    """Meetings on ``today`` or later of the outer procedure, earliest first.

    Not narrowed with ``Meeting.visible_to``: a meeting that discusses a procedure the user
    sees is one they see (``MeetingQuerySet.in_provinces``).
    """
    return Meeting.objects.filter(procedures=OuterRef("pk"), date__gte=today).order_by("date", "pk")


def _within(days: int, today: date) -> Q:
    """The end of income support or a meeting between today and today + ``days``."""
    last = today + timedelta(days=days)
    meetings = Meeting.objects.filter(procedures=OuterRef("pk"), date__range=(today, last))
    return Q(end_date__range=(today, last)) | Exists(meetings)


def _base(
    user,
    *,
    province: str | None,
    family: str | None,
    include_closed: bool,
) -> QuerySet:
    procedures = CrisisProcedure.objects.visible_to(user).filter(high_complexity=True)
    if not include_closed:
        procedures = procedures.exclude(status=Status.CHIUSA)
    if province:
        procedures = procedures.in_provinces([province])
    if family:
        procedures = procedures.filter(family=family)
    return procedures


def cruscotto_procedures(
    user,
    *,
    window: int | None = None,
    province: str | None = None,
    family: str | None = None,
    today: date | None = None,
    include_closed: bool = False,
    ordering: str = DEFAULT_ORDERING,
) -> QuerySet:
    """The high-complexity procedures ``user`` sees, annotated for the cruscotto.

    ``window`` (30, 60 or 90) keeps those whose end of income support or next meeting falls
    within that many days of ``today``. Each procedure carries ``next_meeting_date``,
    ``next_meeting_kind``, ``next_meeting_id``, ``total_workers`` (the units'
    ``workers_involved``), one ``workers_<step>`` count per step and ``workers_taken_in_charge``
    — involvements the user sees, as on the procedure's page.
    """
    today = _today(today)
    if window is not None and window not in WINDOWS:
        raise ValueError(f"window must be one of {WINDOWS}, not {window!r}")
    procedures = _base(user, province=province, family=family, include_closed=include_closed)
    if window is not None:
        procedures = procedures.filter(_within(window, today))

    upcoming = _upcoming_meetings(today)
    unit_workers = (
        ProductionUnit.objects.filter(procedure=OuterRef("pk"))
        .order_by()
        .values("procedure")
        .annotate(total=Sum("workers_involved"))
        .values("total")
    )
    # Workers are personal data scoped by their unit's province: count only those in sight.
    in_sight = Involvement.objects.visible_through(user, "involvements")
    step_counts = {
        field: Count("involvements", filter=in_sight & Q(involvements__current_step=step))
        for step, field in STEP_FIELDS.items()
    }
    # STEP 3: the procedure's groups (those in sight) with a worker who missed two meetings.
    missed = (
        cohorts_missed_twice(Cohort.objects.visible_to(user).filter(procedure=OuterRef("pk")))
        .order_by()
        .values("procedure")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        procedures.select_related("company", "lead_province")
        .prefetch_related(
            Prefetch(
                "units",
                queryset=ProductionUnit.objects.only("procedure_id", "province_id").order_by(
                    "province__position", "pk"
                ),
            )
        )
        .annotate(
            next_meeting_date=Subquery(upcoming.values("date")[:1]),
            next_meeting_kind=Subquery(upcoming.values("kind")[:1]),
            next_meeting_id=Subquery(upcoming.values("pk")[:1]),
            total_workers=Coalesce(Subquery(unit_workers, output_field=IntegerField()), Value(0)),
            workers_taken_in_charge=Count("involvements", filter=in_sight),
            step3_missed_cohorts=Coalesce(Subquery(missed, output_field=IntegerField()), Value(0)),
            **step_counts,
        )
        .order_by(*ORDERINGS[ordering], "company__name", "pk")
    )


def deadline_counts(
    user,
    *,
    province: str | None = None,
    family: str | None = None,
    today: date | None = None,
    include_closed: bool = False,
) -> dict[int | None, int]:
    """``{30: n, 60: n, 90: n, None: all}``: procedures per window, in one aggregate query."""
    today = _today(today)
    procedures = _base(user, province=province, family=family, include_closed=include_closed)
    totals = procedures.aggregate(
        all=Count("pk"),
        **{f"within_{days}": Count("pk", filter=_within(days, today)) for days in WINDOWS},
    )
    return {None: totals["all"], **{days: totals[f"within_{days}"] for days in WINDOWS}}


def days_left(procedure: CrisisProcedure, today: date) -> int | None:
    """Days from ``today`` to the end of income support (negative once it has passed)."""
    return (procedure.end_date - today).days if procedure.end_date else None


def urgency(days: int | None) -> str:
    """How close a deadline is: ``past``, ``30``, ``60``, ``90`` or ``later`` (``""`` if none)."""
    if days is None:
        return ""
    if days < 0:
        return "past"
    for limit in WINDOWS:
        if days <= limit:
            return str(limit)
    return "later"


def unit_provinces(procedure: CrisisProcedure) -> list[str]:
    """The provinces of the procedure's units, once each, in the official order."""
    codes: list[str] = []
    for unit in procedure.units.all():  # prefetched, ordered by province position
        if unit.province_id not in codes:
            codes.append(unit.province_id)
    return codes


def csv_rows(chunks: Iterable[list], *, today: date) -> Iterator[list]:
    """The cruscotto as CSV rows (no personal data: procedures and counts only): the header,
    then one row per procedure of ``chunks`` (lists of annotated procedures, in order)."""
    yield CSV_HEADER
    for procedure in itertools.chain.from_iterable(chunks):
        left = days_left(procedure, today)
        yield [
            procedure.external_id,
            procedure.company.name,
            procedure.family,
            procedure.status,
            procedure.lead_province_id,
            " ".join(unit_provinces(procedure)),
            procedure.next_meeting_date.isoformat() if procedure.next_meeting_date else "",
            procedure.next_meeting_kind or "",
            procedure.end_date.isoformat() if procedure.end_date else "",
            "" if left is None else left,
            *(getattr(procedure, field) for field in STEP_FIELDS.values()),
            procedure.workers_taken_in_charge,
            procedure.total_workers,
            procedure.complexity_note,
        ]


def _label(choices, value) -> str:
    return str(choices(value).label) if value else ""


def columns(*, today: date) -> list[Column]:
    """The cruscotto for Excel (``exports.list_export``): the technical CSV's columns, with
    their headers and codes in words."""
    steps = [
        Column(field, STEP_SHORT_LABELS[step], lambda p, field=field: getattr(p, field))
        for step, field in STEP_FIELDS.items()
    ]
    return [
        Column("external_id", _("Procedure"), lambda p: p.external_id),
        Column("company_name", _("Company"), lambda p: p.company.name),
        Column("family", _("Family"), lambda p: p.family, lambda p: _label(Family, p.family)),
        Column("status", _("Status"), lambda p: p.status, lambda p: _label(Status, p.status)),
        Column("lead_province", _("Lead province"), lambda p: p.lead_province_id),
        Column(
            "unit_provinces", _("Provinces of the units"), lambda p: " ".join(unit_provinces(p))
        ),
        Column("next_meeting_date", _("Next meeting"), lambda p: p.next_meeting_date),
        Column(
            "next_meeting_kind",
            _("Kind of the next meeting"),
            lambda p: p.next_meeting_kind or "",
            lambda p: _label(MeetingKind, p.next_meeting_kind),
        ),
        Column("end_date", _("Income support until"), lambda p: p.end_date),
        Column("days_left", _("Days left"), lambda p: days_left(p, today)),
        *steps,
        Column(
            "workers_taken_in_charge",
            _("Workers taken in charge"),
            lambda p: p.workers_taken_in_charge,
        ),
        Column("workers_involved", _("Workers involved"), lambda p: p.total_workers),
        Column("complexity_note", _("Complexity note"), lambda p: p.complexity_note),
    ]
