"""Reads on active policies that need more than a queryset method."""

from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet, TextChoices
from django.utils.translation import gettext as _

from cases.enums import Status as ProcedureStatus
from crisi_portal.models import User
from crisi_portal.scoping import AnyUser
from pal.enums import DoteStatus, PIPStatus
from pal.models import PIP, Dote
from workers.models import Involvement, PersonalDataAccess, Worker


def active_involvements(worker: Worker) -> QuerySet[Involvement]:
    """The worker's involvements in procedures that are not closed (a Dote can start there)."""
    return (
        Involvement.objects.filter(worker=worker)
        .exclude(procedure__status=ProcedureStatus.CHIUSA)
        .select_related("procedure__company", "unit")
        .order_by("procedure__opened_on", "id")
    )


def find_worker_for_operator(fiscal_code: str) -> Worker | None:
    """The worker with exactly this fiscal code, if they are in an active procedure.

    This deliberately looks beyond ``Worker.objects.visible_to(operator)``: an operator sees
    only the workers who already hold one of its Doti, but it is the worker who chooses the
    operator, walking in with their fiscal code before any Dote exists. To keep it from being
    a way to browse people, it answers only an exact, complete fiscal code (sent by POST,
    never in a URL), only for workers a Dote could be opened for (an involvement in a
    procedure that is not closed), and the view logs every hit (``log_operator_lookup``).
    """
    involvements = Involvement.objects.open_of_worker(fiscal_code)
    return Worker.objects.filter(Exists(involvements.filter(worker=OuterRef("pk")))).first()


def log_operator_lookup(user: User, worker: Worker, *, path: str = "") -> None:
    """§6: the worker is not (yet) the operator's, so reading their identity is logged."""
    if Worker.objects.visible_to(user).filter(pk=worker.pk).exists():
        return  # already one of the operator's workers: no more than its usual scope
    PersonalDataAccess.objects.create(
        user=user, worker=worker, purpose=_("operator lookup by fiscal code"), path=path[:300]
    )


def count_by_status(queryset: QuerySet, choices: type[TextChoices]) -> list[tuple[str, str, int]]:
    """(status, label, n) for every status of ``choices``, counted in the database."""
    rows = queryset.order_by().values("status").annotate(n=Count("id"))
    counts = {row["status"]: row["n"] for row in rows}
    return [(value, label, counts.get(value, 0)) for value, label in choices.choices]


def operator_overview(user: AnyUser) -> dict[str, Any]:
    """Tiles of the operator's area: its workers, Doti and PIPs by status."""
    return {
        "workers": Worker.objects.visible_to(user).count(),
        "doti_by_status": count_by_status(Dote.objects.visible_to(user), DoteStatus),
        "pips_by_status": count_by_status(PIP.objects.visible_to(user), PIPStatus),
    }
