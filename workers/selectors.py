"""Reads about workers: who may see identities, and the log of those reads (§6)."""

from collections.abc import Iterable

from crisi_portal import scoping
from workers.enums import STEP_SHORT_LABELS, Step
from workers.models import PersonalDataAccess, Worker

# Who sees identities, and whose reads are logged, is decided in crisi_portal.scoping.
can_see_identity = scoping.sees_identity
identity_reads_are_logged = scoping.identity_reads_logged


def log_identity_reads(user, workers: Iterable[Worker], *, purpose: str, path: str = "") -> None:
    """Record who read which workers' identities, when and why (one row per worker)."""
    if not (can_see_identity(user) and identity_reads_are_logged(user)):
        return
    PersonalDataAccess.objects.bulk_create(
        PersonalDataAccess(user=user, worker=worker, purpose=purpose[:200], path=path[:300])
        for worker in {w.pk: w for w in workers}.values()
    )


def step_tiles(involvements) -> list[tuple[str, str, int]]:
    """(step, short label, workers) for every step, counted in the database."""
    counts = involvements.step_counts()
    return [(step, STEP_SHORT_LABELS[step], counts[step]) for step in Step]
