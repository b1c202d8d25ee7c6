"""Reads that need more than a queryset method."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from cases.enums import Status
from cases.models import CalendarFeed, CrisisProcedure
from crisi_portal.models import User

# The meeting form's procedure picker: a search over the procedures in scope, a page of them.
PICKER_LIMIT = 20


@dataclass
class ProcedurePicker:
    query: str
    selected: list[CrisisProcedure]
    matches: list[CrisisProcedure]
    more: bool  # more procedures match than are shown


def procedure_picker(
    user: User, *, selected_ids: Iterable[int | str], query: str = ""
) -> ProcedurePicker:
    """The procedures chosen so far (those the user sees) and, besides them, the ones matching
    ``query`` by company name or external id — the latest opened first, at most PICKER_LIMIT.
    Without a query: the latest open procedures."""
    visible = CrisisProcedure.objects.visible_to(user).select_related("company", "lead_province")
    ids = {int(i) for i in selected_ids if str(i).isdigit()}
    selected = list(visible.filter(pk__in=ids).order_by("company__name", "pk")) if ids else []
    query = query.strip()[:100]
    candidates = visible.exclude(pk__in=[p.pk for p in selected])
    if query:
        candidates = candidates.filter(
            Q(company__name__icontains=query)
            | Q(external_id__icontains=query)
            | Q(number__icontains=query)
        )
    else:
        candidates = candidates.exclude(status=Status.CHIUSA)
    found = list(candidates.order_by("-opened_on", "-pk")[: PICKER_LIMIT + 1])
    return ProcedurePicker(
        query=query, selected=selected, matches=found[:PICKER_LIMIT], more=len(found) > PICKER_LIMIT
    )


def feed_hash(token: str) -> str:
    """What is stored of a calendar subscription's secret."""
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed_user(token: str) -> User | None:
    """The active user whose calendar subscription this secret is, or None."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=feed_hash(token), user__is_active=True)
        .first()
    )
    return feed.user if feed else None
