"""The PIPs' part of a procedure's story (:mod:`cases.timeline`): the province's decisions on
the PIPs of the procedure's workers (approved, returned), those the viewer may see."""

from django.utils.translation import gettext as _

from cases.models import CrisisProcedure
from cases.timeline import TimelineEntry, register
from crisi_portal.scoping import AnyUser
from pal.enums import PIPStatus
from pal.models import PIP, PIPTransition

DECISIONS = (PIPStatus.APPROVATO, PIPStatus.RESTITUITO)


@register
def pip_decisions(procedure: CrisisProcedure, user: AnyUser, limit: int):
    pips = PIP.objects.visible_to(user).filter(dote__involvement__procedure=procedure)
    moves = (
        PIPTransition.objects.filter(pip__in=pips.values("pk"), to_status__in=DECISIONS)
        .select_related("by", "pip")
        .order_by("-at", "-id")[:limit]
    )
    return [
        TimelineEntry(
            move.at,
            move.by,
            _("PIP %(id)s: %(status)s")
            % {"id": move.pip.reference, "status": move.get_to_status_display()},
        )
        for move in moves
    ]
