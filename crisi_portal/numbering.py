"""Numbers people read: ``BG-2026-0007`` (a procedure), ``PIP BG-2026-0123``.

One counter row per series and year (:class:`crisi_portal.models.NumberCounter`), created if
missing without a race (an insert that ignores a conflict), then locked with
``select_for_update`` while the numbers are taken: two writers in the same series wait for
each other, and a number once given is never given again (a rolled-back writer's number goes
back with its rollback, before anyone else could see it).
"""

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from crisi_portal.models import NumberCounter

WIDTH = 4


def number_field(help_text) -> models.CharField:
    """The field that holds a row's number: given on creation, read-only, unique (empty only
    for rows written without it, which then show their older identifier)."""
    return models.CharField(
        _("number"),
        max_length=24,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text=help_text,
    )


def allocate(series: str, year: int, count: int = 1) -> list[int]:
    """The next ``count`` numbers of ``series`` in ``year``, in order."""
    if count < 1:
        return []
    with transaction.atomic():
        NumberCounter.objects.bulk_create(
            [NumberCounter(series=series, year=year)], ignore_conflicts=True
        )
        counter = NumberCounter.objects.select_for_update().get(series=series, year=year)
        first = counter.last + 1
        counter.last += count
        counter.save(update_fields=["last"])
    return list(range(first, first + count))


def formatted(prefix: str, year: int, n: int) -> str:
    """``BG-2026-0007``: the prefix (a province's code), the year, the number (four digits at
    least; a 10,000th keeps all of its own)."""
    return f"{prefix}-{year}-{n:0{WIDTH}d}"


def next_number(series: str, prefix: str, year: int) -> str:
    """The next formatted number of ``series`` in ``year``."""
    return formatted(prefix, year, allocate(series, year)[0])
