"""Reads on active policies that need more than a queryset method."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    TextChoices,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from cases.enums import Status as ProcedureStatus
from crisi_portal.models import User
from crisi_portal.scoping import AnyUser, identity_reads_logged, sees_identity
from pal.enums import DoteStatus, PIPStatus
from pal.models import (
    PIP,
    Dote,
    Network,
    NetworkService,
    NetworkServiceLine,
    NetworkShare,
)
from pal.models import ZERO as SQL_ZERO
from workers.models import Involvement, PersonalDataAccess, Worker

ZERO = Decimal("0.00")


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


# --- Services delivered by the members of a network -----------------------------------------


@dataclass
class NetworkLedger:
    """What a network's members delivered against their shares of the lead's Doti, as ``user``
    may read it: the rows they see (the lead, the Nucleo and the Region: all; a member: its
    own), and the totals of the whole network (amounts only)."""

    shares: list[NetworkShare]
    members: list[dict[str, Any]]
    services: list[NetworkService]
    total_share: Decimal
    total_delivered: Decimal

    @property
    def total_remaining(self) -> Decimal:
        return self.total_share - self.total_delivered


def shares_with_delivered(shares: QuerySet[NetworkShare]) -> QuerySet[NetworkShare]:
    delivered = NetworkServiceLine.objects.filter(
        dote=OuterRef("dote"), service__operator=OuterRef("operator")
    )
    return shares.annotate(
        delivered=Coalesce(
            Subquery(delivered.values("dote").annotate(total=Sum("cost")).values("total")[:1]),
            SQL_ZERO,
        )
    ).annotate(remaining=F("amount") - F("delivered"))


LINES = Prefetch("lines", queryset=NetworkServiceLine.objects.order_by("dote_id"))


def network_ledger(network: Network, user: AnyUser, *, services: int = 20) -> NetworkLedger:
    """A fixed number of queries, whatever the number of members, Doti and services."""
    visible = NetworkShare.objects.visible_to(user).filter(network=network)
    shares = list(
        shares_with_delivered(visible).select_related("operator").order_by("dote_id", "operator")
    )
    lines = NetworkServiceLine.objects.filter(
        service__in=NetworkService.objects.visible_to(user).filter(network=network)
    )
    delivered_by = dict(
        lines.order_by()
        .values("service__operator")
        .annotate(total=Sum("cost"))
        .values_list("service__operator", "total")
    )
    members = [
        {
            **row,
            "delivered": delivered_by.get(row["operator"], ZERO),
            "remaining": row["share"] - delivered_by.get(row["operator"], ZERO),
        }
        for row in visible.order_by("operator__name")
        .values("operator", "operator__name")
        .annotate(share=Sum("amount"), doti=Count("dote", distinct=True))
    ]
    totals = NetworkShare.objects.filter(network=network).aggregate(total=Sum("amount"))
    delivered = NetworkServiceLine.objects.filter(service__network=network).aggregate(
        total=Sum("cost")
    )
    names = network_worker_names(user, {share.dote_id for share in shares})
    for share in shares:
        share.worker_name = names.get(share.dote_id, "")  # type: ignore[attr-defined]
    recent = list(
        NetworkService.objects.visible_to(user)
        .filter(network=network)
        .select_related("operator")
        .prefetch_related(
            Prefetch("lines", queryset=NetworkServiceLine.objects.order_by("dote_id"))
        )
        .order_by("-delivered_on", "-id")[:services]
    )
    return NetworkLedger(
        shares=shares,
        members=members,
        services=recent,
        total_share=totals["total"] or ZERO,
        total_delivered=delivered["total"] or ZERO,
    )


def network_worker_names(user: AnyUser, dote_ids: set[int]) -> dict[int, str]:
    """Worker names by Dote, only for who reads them in their everyday work (the worker's own
    Nucleo and operator) and only for workers they see: others read the Dote's number."""
    if not dote_ids or not sees_identity(user) or identity_reads_logged(user):
        return {}
    rows = Dote.objects.filter(
        pk__in=dote_ids, involvement__worker__in=Worker.objects.visible_to(user)
    ).values_list("pk", "involvement__worker__last_name", "involvement__worker__first_name")
    return {pk: f"{last} {first}" for pk, last, first in rows}
