"""Cells of the CSV and XLSX files the portal writes, safe to open in a spreadsheet.

Company names, unit names, comuni and notes come from provinces, importers and API clients;
a spreadsheet reads a cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR as a formula
(OWASP "CSV injection"), which can run ``HYPERLINK``/DDE payloads in another office's copy
of a report. Every writer goes through this module:

- CSV: a text cell that a spreadsheet would take for a formula gets a leading apostrophe,
  the spreadsheets' own "this is text" mark (``safe_cell``, ``writer``). The interchange
  importer takes it off again (``unquote_cell``), so an export re-imported changes nothing.
- XLSX: text is always a string cell, never a formula (openpyxl turns any ``str`` starting
  with ``=`` into one), and formula-like text is also flagged ``quotePrefix`` so editing the
  cell in Excel keeps it text; the value itself is unchanged (``xlsx_cell``).

Numbers stay numbers: ``int``, ``Decimal`` and ``float`` values pass untouched, and so does
text that is a plain decimal number (``-1.2``, ``100.00``: how reports write their figures
in CSV), which a spreadsheet reads as a number, not a formula. A ``+`` before a number is not
plain: the portal never writes one, so ``+1`` in a text field is neutralised like the rest.
The full-width forms of the trigger characters are included because some Excel input
locales fold them to ASCII.
"""

import csv
import re
from typing import IO, Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
QUOTE = "'"
PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def is_formula_like(text: str) -> bool:
    """Would a spreadsheet read ``text`` as a formula (and not as a plain number)?"""
    return text.startswith(FORMULA_TRIGGERS) and PLAIN_NUMBER.fullmatch(text) is None


def safe_cell(value: Any) -> Any:
    """``value`` for a CSV cell: formula-like text gets a leading apostrophe, the rest as is."""
    if isinstance(value, str) and is_formula_like(value):
        return QUOTE + value
    return value


def unquote_cell(text: str) -> str:
    """The inverse of ``safe_cell`` for text read back from one of our CSV files."""
    if text.startswith(QUOTE) and is_formula_like(text[1:]):
        return text[1:]
    return text


class SafeWriter:
    """``csv.writer`` whose every cell goes through ``safe_cell``."""

    def __init__(self, out: IO[str], **kwargs: Any):
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row) -> Any:
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: IO[str], **kwargs: Any) -> SafeWriter:
    """The CSV writer every export uses (same arguments as ``csv.writer``)."""
    return SafeWriter(out, **kwargs)


def xlsx_cell(sheet, *, row: int, column: int, value: Any = None):
    """Write ``value`` into a worksheet cell: text as a string cell, never a formula."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        # Control characters other than tab/LF/CR make the workbook unreadable (openpyxl
        # refuses them); they carry no meaning in a name, so they are dropped.
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = text
        cell.data_type = "s"
        if is_formula_like(text):
            cell.quotePrefix = True
    elif value is not None:
        cell.value = value  # numbers, dates: stored as such
    return cell
