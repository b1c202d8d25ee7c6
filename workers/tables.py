"""What followed a table's decision to move a procedure's workers to STEP 2 (registered in
``cases.tables.FOLLOW_UPS`` when the app loads)."""

from collections.abc import Sequence

from django.db.models import Count, Min, OuterRef, Subquery
from django.urls import reverse
from django.utils.translation import ngettext

from cases.enums import DecisionKind
from cases.models import MeetingDecision
from cases.tables import FollowUp, register_follow_up
from workers.enums import Step
from workers.models import StepTransition


def step_2_moves(decisions: Sequence[MeetingDecision]) -> dict[int, FollowUp]:
    """The procedure's workers moved to STEP 2 on or after the meeting's day (a move the day
    before was not the table's doing), counted once each, with the first move's date."""
    moves = StepTransition.objects.filter(
        involvement__procedure=OuterRef("procedure"),
        to_step=Step.STEP_2,
        effective_date__gte=OuterRef("meeting__date"),
    ).order_by()
    grouped = moves.values("involvement__procedure")
    rows = (
        MeetingDecision.objects.filter(pk__in=[d.pk for d in decisions])
        .annotate(
            moved=Subquery(grouped.annotate(n=Count("involvement", distinct=True)).values("n")[:1]),
            since=Subquery(grouped.annotate(first=Min("effective_date")).values("first")[:1]),
        )
        .filter(moved__gt=0)
        .values("pk", "moved", "since", "procedure_id")
    )
    return {
        row["pk"]: FollowUp(
            ngettext(
                "%(n)d worker moved to STEP 2 since %(date)s.",
                "%(n)d workers moved to STEP 2 since %(date)s.",
                row["moved"],
            )
            % {"n": row["moved"], "date": f"{row['since']:%d/%m/%Y}"},
            reverse("workers:procedure_workers", args=[row["procedure_id"]]),
        )
        for row in rows
    }


register_follow_up(DecisionKind.STEP_2, step_2_moves)
