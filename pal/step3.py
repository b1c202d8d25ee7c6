"""STEP 3 meetings: what the invitations say and which cohorts need a follow-up.

:func:`invitation_measures` is the one place that decides which measures an invitation lists
(the measures in force on the meeting's day that the worker may receive, by
:func:`pal.eligibility.measures_for`).
:func:`cohorts_missed_twice` is the condition the to-do home and the cruscotto read.
"""

from collections.abc import Iterable
from datetime import date

from django.db.models import Count, Exists, OuterRef, QuerySet

from pal.eligibility import measures_for
from pal.models import Attendance, Measure, Step3Invitation
from workers.models import Involvement

# How many meetings missed without justification make a worker to follow up.
MISSED_LIMIT = 2


def invitation_measures(involvements: Iterable[Involvement], on: date) -> dict[int, list[Measure]]:
    """For each involvement (by pk), the measures its invitation lists: those in force ``on``
    the meeting's day (``Measure.objects.in_force_on``) that the worker may receive on that
    day by the measures' rules (:func:`pal.eligibility.measures_for`). A fixed number of
    queries whatever the workers."""
    involvements = list(involvements)
    in_force = list(Measure.objects.in_force_on(on).order_by("name"))
    verdicts = measures_for(involvements, on=on, measures=in_force)
    return {
        involvement.pk: [v.measure for v in verdicts.get(involvement.pk, []) if v.eligible]
        for involvement in involvements
    }


def absences() -> QuerySet:
    """Absences without justification, one row per involvement with at least ``MISSED_LIMIT``."""
    return (
        Step3Invitation.objects.filter(attendance=Attendance.ABSENT)
        .order_by()
        .values("involvement")
        .annotate(missed=Count("pk"))
        .filter(missed__gte=MISSED_LIMIT)
    )


def cohorts_missed_twice(cohorts: QuerySet) -> QuerySet:
    """Of ``cohorts``, those with a worker who missed two STEP 3 meetings (not justified).

    Driven by the absences (a handful of rows), not by the cohorts' involvements: the
    cruscotto asks this once per procedure, and grouping every involvement of a cohort per
    row made it 150 times slower than its hand-written SQL at 20,000 workers.
    """
    return cohorts.filter(Exists(absences().filter(involvement__cohort=OuterRef("pk"))))
