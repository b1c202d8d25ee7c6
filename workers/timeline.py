"""The workers' part of a procedure's story (:mod:`cases.timeline`): workers taken in charge,
moved between steps, put into or out of groups — one entry per operation with its count (a bulk
move of 24 workers is one line, not 24), from the involvements' audit history."""

from django.db.models import Count, Max
from django.db.models.functions import TruncMinute
from django.utils.translation import ngettext

from cases.models import CrisisProcedure
from cases.timeline import TimelineEntry, register
from crisi_portal.models import User
from crisi_portal.scoping import AnyUser, visible_changes
from workers.models import Involvement


def _text(action: str, reason: str, n: int) -> str:
    if action == "+":
        return ngettext("%(n)d worker taken in charge", "%(n)d workers taken in charge", n) % {
            "n": n
        }
    if action == "-":
        return ngettext("%(n)d worker removed", "%(n)d workers removed", n) % {"n": n}
    if reason:
        return ngettext("%(n)d worker: %(what)s", "%(n)d workers: %(what)s", n) % {
            "n": n,
            "what": reason,
        }
    return ngettext("%(n)d worker's data changed", "%(n)d workers' data changed", n) % {"n": n}


@register
def involvement_records(procedure: CrisisProcedure, user: AnyUser, limit: int):
    """The involvements' records (those the viewer sees), counted per operation: the same
    kind of change, reason and author within the same minute, in one query."""
    history = Involvement.history.filter(procedure_id=procedure.pk)
    groups = list(
        visible_changes(Involvement, user, history)
        .annotate(minute=TruncMinute("history_date"))
        .values("history_type", "history_change_reason", "history_user_id", "minute")
        .annotate(n=Count("history_id"), at=Max("history_date"))
        .order_by("-at")[:limit]
    )
    authors = User.objects.in_bulk({g["history_user_id"] for g in groups} - {None})
    return [
        TimelineEntry(
            group["at"],
            authors.get(group["history_user_id"]),
            _text(group["history_type"], group["history_change_reason"] or "", group["n"]),
        )
        for group in groups
    ]
