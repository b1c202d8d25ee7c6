"""Reads that may come from a read replica: dashboards, the cruscotto and report data.

A deployment with a streaming replica sets ``DATABASE_REPLICA_URL``; the settings then add the
``replica`` database alias and name it in ``DATABASE_READ_REPLICA``. Code that only *reads*
domain figures and can live with the replica's lag (a second or so) runs inside
:func:`replica_reads`; there :class:`ReplicaRouter` sends reads of the domain apps' models to
the replica. Everything else — every write, every read outside the block, and reads of users,
sessions, tokens and other accounts data (``crisi_portal`` and Django's own apps) — goes to
``default``, so a user who has just logged in or been given a province is never judged on stale
rows. Without a replica the block changes nothing.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

# The apps whose figures dashboards and reports aggregate. Accounts, tokens, sessions and
# admin data stay on the primary.
REPLICATED_APPS = frozenset({"cases", "workers", "pal", "monitoring"})

_reading_from_replica: ContextVar[bool] = ContextVar("reading_from_replica", default=False)


def replica_alias() -> str | None:
    """The database alias reads go to inside :func:`replica_reads`, or None without a replica."""
    alias = getattr(settings, "DATABASE_READ_REPLICA", None)
    return alias if alias and alias in settings.DATABASES else None


@contextmanager
def replica_reads() -> Iterator[None]:
    """Within the block, reads of the domain apps go to the replica (when there is one)."""
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


class ReplicaReadsMixin:
    """For a view that only reads figures: its handler (and the rendering of a template
    response it returns) runs inside :func:`replica_reads`. Authentication, sessions and the
    user's scope are accounts data and still come from the primary."""

    def dispatch(self, request, *args, **kwargs):
        with replica_reads():
            response = super().dispatch(request, *args, **kwargs)
            # A template response renders after dispatch returns: render it inside the block.
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        return response


class ReplicaRouter:
    """DATABASE_ROUTERS entry: see the module docstring."""

    def db_for_read(self, model, **hints):
        alias = replica_alias()
        if alias and _reading_from_replica.get() and model._meta.app_label in REPLICATED_APPS:
            return alias
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary: objects read from either relate.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica is a physical copy of the primary: only the primary is migrated.
        return db == DEFAULT_DB_ALIAS
