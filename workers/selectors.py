"""Reads about workers: who may see identities, and the log of those reads (§6)."""

from collections.abc import Iterable

from crisi_portal.roles import Role
from workers.enums import STEP_SHORT_LABELS, Step
from workers.models import PersonalDataAccess, Worker


def can_see_identity(user) -> bool:
    """Whether ``user`` sees fiscal codes and names of the workers in their scope.

    Province staff and operators see their own workers; Region officials only with the
    ``view_personal_data`` permission, and every such read is logged.
    """
    if user is None or not user.is_authenticated:
        return False
    if user.is_admin or user.role in (Role.PROVINCE_STAFF, Role.API_CLIENT, Role.OPERATOR):
        return True
    return user.is_region_official and user.has_perm("crisi_portal.view_personal_data")


# Whose reads are their everyday work and need no record: the worker's own province officers
# and operator. Scoping already limits them to their workers (an operator's lookup of a worker
# not yet its own is logged separately, by pal.selectors.log_operator_lookup).
UNLOGGED_ROLES = frozenset({Role.PROVINCE_STAFF, Role.OPERATOR})


def identity_reads_are_logged(user) -> bool:
    """Reads by anyone outside the worker's province staff or operator are logged (§6):
    Region officials, API clients (other systems) and administrators."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_admin or user.role not in UNLOGGED_ROLES


def record_identity_reads(user, worker_ids: Iterable[int], *, purpose: str, path: str = "") -> int:
    """Write one access record per worker (who, when, which worker, why, where), one query."""
    rows = [
        PersonalDataAccess(user=user, worker_id=pk, purpose=purpose[:200], path=path[:300])
        for pk in dict.fromkeys(pk for pk in worker_ids if pk is not None)
    ]
    PersonalDataAccess.objects.bulk_create(rows)
    return len(rows)


def log_identity_reads(user, workers: Iterable[Worker], *, purpose: str, path: str = "") -> None:
    """Record who read which workers' identities, when and why (one row per worker)."""
    if not (can_see_identity(user) and identity_reads_are_logged(user)):
        return
    record_identity_reads(user, (w.pk for w in workers), purpose=purpose, path=path)


def step_tiles(involvements) -> list[tuple[str, str, int]]:
    """(step, short label, workers) for every step, counted in the database."""
    counts = involvements.step_counts()
    return [(step, STEP_SHORT_LABELS[step], counts[step]) for step in Step]
