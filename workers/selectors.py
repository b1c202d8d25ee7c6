"""Reads about workers: who may see identities, and the log of those reads (§6)."""

from collections.abc import Iterable

from crisi_portal import scoping
from crisi_portal.models import User
from workers.enums import STEP_SHORT_LABELS, Step
from workers.models import InvolvementQuerySet, PersonalDataAccess, Worker

# Who sees identities, and whose reads are logged, is decided in crisi_portal.scoping.
can_see_identity = scoping.sees_identity
identity_reads_are_logged = scoping.identity_reads_logged


def record_identity_reads(
    user: User, worker_ids: Iterable[int | None], *, purpose: str, path: str = ""
) -> int:
    """Write one access record per worker (who, when, which worker, why, where), one query."""
    rows = [
        PersonalDataAccess(user=user, worker_id=pk, purpose=purpose[:200], path=path[:300])
        for pk in dict.fromkeys(pk for pk in worker_ids if pk is not None)
    ]
    PersonalDataAccess.objects.bulk_create(rows)
    return len(rows)


def log_identity_reads(
    user: scoping.AnyUser, workers: Iterable[Worker], *, purpose: str, path: str = ""
) -> None:
    """Record who read which workers' identities, when and why (one row per worker)."""
    if not (can_see_identity(user) and identity_reads_are_logged(user)):
        return
    record_identity_reads(user, (w.pk for w in workers), purpose=purpose, path=path)


def step_tiles(involvements: InvolvementQuerySet) -> list[tuple[str, str, int]]:
    """(step, short label, workers) for every step, counted in the database."""
    counts = involvements.step_counts()
    return [(step, STEP_SHORT_LABELS[step], counts[step]) for step in Step]
