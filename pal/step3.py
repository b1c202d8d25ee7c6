"""STEP 3 meetings: what the invitations say and which cohorts need a follow-up.

:func:`invitation_measures` is the one place that decides which measures an invitation lists
(the measures in force on the meeting's day that the worker may receive, by
:func:`pal.eligibility.measures_for`).
:func:`cohorts_missed_twice` is the condition the to-do home and the cruscotto read.
"""

from collections.abc import Iterable
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from pal.eligibility import measures_for
from pal.models import Attendance, Measure
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


def missing_workers() -> QuerySet:
    """Involvements absent without justification from at least ``MISSED_LIMIT`` meetings."""
    return (
        Involvement.objects.order_by()
        .annotate(
            missed=Count(
                "step3_invitations", filter=Q(step3_invitations__attendance=Attendance.ABSENT)
            )
        )
        .filter(missed__gte=MISSED_LIMIT)
    )


def cohorts_missed_twice(cohorts: QuerySet) -> QuerySet:
    """Of ``cohorts``, those with a worker who missed two STEP 3 meetings (not justified)."""
    return cohorts.filter(Exists(missing_workers().filter(cohort=OuterRef("pk"))))
