"""Numbers and dates as the Region prints them, whatever language the portal is showing.

The official documents (PDF reports, chart labels) always use the Italian conventions: a dot
groups thousands (``1.615``), a comma separates decimals (``10,3``), a change carries its sign
(``+12``, ``−3``, with the typographic minus U+2212). These helpers are explicit on purpose:
Django's localisation follows the active language and ``USE_THOUSAND_SEPARATOR``, and a
report printed from an English session must still read like the Region's tables.

``plain_decimal`` is the machine form of the same rounding, for CSV files: a dot, no grouping.
"""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

MINUS = "\u2212"
ROME = ZoneInfo("Europe/Rome")


def _quantize(value, places: int) -> Decimal:
    # str() first: Decimal(10.25) would carry the float's binary error (10.2499…) into the rounding.
    exponent = Decimal(1).scaleb(-places)
    return Decimal(str(value)).quantize(exponent, rounding=ROUND_HALF_UP)


def _group(digits: str) -> str:
    """``1234567`` → ``1.234.567`` (digits only, no sign)."""
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return ".".join(parts)


def _italian(number: Decimal, places: int) -> str:
    sign = MINUS if number < 0 else ""
    text = f"{abs(number):.{places}f}"
    whole, _dot, fraction = text.partition(".")
    return sign + _group(whole) + ("," + fraction if places else "")


def integer(value: int) -> str:
    """``1615`` → ``1.615``; ``-3`` → ``−3``."""
    return _italian(Decimal(int(value)), 0)


def decimal(value, places: int = 1) -> str:
    """``10.3`` → ``10,3``; rounded half up to ``places`` (``10.25`` → ``10,3``)."""
    number = _quantize(value, places)
    if number == 0:
        number = abs(number)  # no "−0,0"
    return _italian(number, places)


def percent(value) -> str:
    """A % weight as the tables print it: one decimal (``47,1``)."""
    return decimal(value, 1)


def total_percent(value) -> str:
    """The TOT row's % weight: two decimals (``100,00``)."""
    return decimal(value, 2)


def signed_integer(value: int) -> str:
    """A change: ``+12``, ``−3``, ``0``."""
    value = int(value)
    return ("+" if value > 0 else "") + integer(value)


def signed_decimal(value, places: int = 1) -> str:
    """A change with decimals: ``+1,5``, ``−1,2``, ``0,0``."""
    text = decimal(value, places)
    return ("+" if _quantize(value, places) > 0 else "") + text


def plain_decimal(value, places: int = 1) -> str:
    """Machine form for CSV: ``10.3``, ``100.00``, ``-1.2`` (dot, no grouping, ASCII minus)."""
    number = _quantize(value, places)
    if number == 0:
        number = abs(number)
    return f"{number:.{places}f}"


def day(value: date | str | None) -> str:
    """``2026-10-31`` → ``31/10/2026``; empty for no date."""
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return value.strftime("%d/%m/%Y")


def moment(value: datetime) -> str:
    """An aware datetime as the Region's clocks show it: ``21/11/2026 23:16`` (Europe/Rome)."""
    return value.astimezone(ROME).strftime("%d/%m/%Y %H:%M")
