"""What followed a table's decision to activate the Azioni di rete for a procedure: the
networks serving it active from the meeting's day on (registered in
``cases.tables.FOLLOW_UPS`` when the app loads)."""

from collections.abc import Sequence

from django.db.models import Count, Min, OuterRef, Subquery
from django.utils.translation import ngettext

from cases.enums import DecisionKind
from cases.models import MeetingDecision
from cases.tables import FollowUp, register_follow_up
from pal.models import Network


def networks_activated(decisions: Sequence[MeetingDecision]) -> dict[int, FollowUp]:
    networks = Network.objects.filter(
        procedures=OuterRef("procedure"), valid_from__gte=OuterRef("meeting__date")
    ).order_by()
    grouped = networks.values("procedures")
    rows = (
        MeetingDecision.objects.filter(pk__in=[d.pk for d in decisions])
        .annotate(
            networks=Subquery(grouped.annotate(n=Count("pk", distinct=True)).values("n")[:1]),
            since=Subquery(grouped.annotate(first=Min("valid_from")).values("first")[:1]),
        )
        .filter(networks__gt=0)
        .values("pk", "networks", "since")
    )
    return {
        row["pk"]: FollowUp(
            ngettext(
                "%(n)d network serving the procedure active from %(date)s.",
                "%(n)d networks serving the procedure active from %(date)s.",
                row["networks"],
            )
            % {"n": row["networks"], "date": f"{row['since']:%d/%m/%Y}"}
        )
        for row in rows
    }


register_follow_up(DecisionKind.AZIONI_RETE, networks_activated)
