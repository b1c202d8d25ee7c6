"""Numbers on the dashboard in the reader's language: ``1.615``, ``51,2 %``, a dash for none."""

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def num(value, decimals: int = 0) -> str:
    """A count or measure with thousands grouping (``1.615``); ``—`` when there is none."""
    if value is None or value == "":
        return "—"
    return formats.number_format(
        value, decimal_pos=int(decimals), use_l10n=True, force_grouping=True
    )


@register.filter
def pct(value) -> str:
    """A percentage with one decimal (``51,2 %``); ``—`` when there is none (nothing to divide)."""
    if value is None or value == "":
        return "—"
    return f"{num(value, 1)}\N{NO-BREAK SPACE}%"


@register.filter
def eur(value) -> str:
    """An amount in whole euros (``€ 1.615``); ``—`` when there is none (no budget)."""
    if value is None or value == "":
        return "—"
    return f"€\N{NO-BREAK SPACE}{num(value)}"
