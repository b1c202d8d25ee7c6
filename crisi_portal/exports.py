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

Every list is offered in three shapes (``list_export``, by ``?format=``):

- ``csv`` (the default): for Italian Excel, which opens it with a double click — ``;`` between
  cells, a BOM (so Excel reads UTF-8), decimal commas, dates dd/mm/yyyy, headers and values
  in words in the user's language (``Column.label`` and ``Column.shown``), never codes.
- ``xlsx``: the same words in a workbook written in openpyxl's write-only mode (rows go to a
  temporary file as they are read, so memory does not grow with the list), then streamed.
- ``technical``: the English header and codes, ``,`` and ISO dates, for scripts (a list may
  put its documented interchange format here instead).

The list exports over HTTP stream (issue #12: an export's memory must not grow with its size):
``csv_response`` writes the rows as they come, and ``keyset_chunks`` / ``ordered_chunks`` read
them a chunk at a time by primary key rather than with ``.iterator()``, because behind
PgBouncer in transaction mode server-side cursors are off and ``.iterator()`` would fetch
everything at once.
"""

import csv
import datetime
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

# Rows read per query by the streaming exports, and bytes of CSV sent per chunk of a response.
CHUNK_ROWS = 2000
CHUNK_BYTES = 64 * 1024

# openpyxl's pattern of the control characters a workbook cannot hold (importing openpyxl
# for it would cost every process that writes a CSV, ``run_report --help`` included, ≈ 60 ms).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")

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


def keyset_chunks(queryset: QuerySet, *, key: str = "pk", size: int | None = None):
    """The rows of ``queryset`` ordered by ``key`` (a unique field), as lists of ``size``
    (``CHUNK_ROWS`` by default).

    Each chunk is one query (plus the queryset's prefetches) starting after the last key of
    the previous one, so the queries grow with the chunks, not the rows, and a chunk costs the
    same at the end of the table as at its start. The database is fixed now (while the view
    that built the queryset still runs, inside its ``replica_reads`` block if any); the rows
    are read when the generator is consumed.
    """
    queryset = queryset.using(queryset.db).order_by(key)
    size = size or CHUNK_ROWS

    def chunks() -> Iterator[list]:
        after = None
        while True:
            page = queryset if after is None else queryset.filter(**{f"{key}__gt": after})
            chunk = list(page[:size])
            if chunk:
                yield chunk
            if len(chunk) < size:
                return
            after = getattr(chunk[-1], key)

    return chunks()


def ordered_chunks(queryset: QuerySet, *, size: int | None = None):
    """The rows of ``queryset`` in its own order, as lists of ``size`` (``CHUNK_ROWS`` by
    default).

    For an order that is not a unique key (a sort on annotations, dates): one query reads the
    primary keys in order, then each chunk reads its rows by primary key.
    """
    queryset = queryset.using(queryset.db)
    ids = list(queryset.values_list("pk", flat=True))
    size = size or CHUNK_ROWS

    def chunks() -> Iterator[list]:
        for start in range(0, len(ids), size):
            part = ids[start : start + size]
            rows = {row.pk: row for row in queryset.order_by().filter(pk__in=part)}
            yield [rows[pk] for pk in part if pk in rows]

    return chunks()


def _chunks(rows: Iterable, out: Any, buffer: io.StringIO) -> Iterator[bytes]:
    """The rows written by ``out`` into ``buffer``, as UTF-8 byte chunks of about CHUNK_BYTES."""
    for row in rows:
        out.writerow(row)
        if buffer.tell() >= CHUNK_BYTES:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def csv_chunks(rows: Iterable, **kwargs: Any) -> Iterator[bytes]:
    """The CSV of ``rows`` (written like ``writer``) as UTF-8 byte chunks of about CHUNK_BYTES."""
    buffer = io.StringIO()
    return _chunks(rows, writer(buffer, **kwargs), buffer)


def csv_response(rows: Iterable, *, filename: str, **kwargs: Any) -> StreamingHttpResponse:
    """A CSV download streamed as ``rows`` (an iterable, read lazily) are written."""
    response = StreamingHttpResponse(
        csv_chunks(rows, **kwargs), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ---------------------------------------------------------------------------------------
# Lists in Excel: readable CSV, XLSX, and the technical CSV

EXPORT_FORMATS = ("csv", "xlsx", "technical")
UTF8_BOM = "\ufeff"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_DATE_FORMAT = "DD/MM/YYYY"


@dataclass(frozen=True)
class Column:
    """One column of a list export: its technical name and value (codes, as stored), and its
    header and value in words (``label``, translated when written; ``shown``, by default the
    value)."""

    key: str
    label: Any
    value: Callable[[Any], Any]
    shown: Callable[[Any], Any] | None = None


def technical_rows(columns: list[Column], items: Iterable) -> Iterator[list]:
    """The technical header (keys), then each item's values as stored."""
    yield [column.key for column in columns]
    for item in items:
        yield [column.value(item) for column in columns]


def readable_rows(columns: list[Column], items: Iterable) -> Iterator[list]:
    """The header in words, then each item's values as people read them."""
    yield [str(column.label) for column in columns]
    for item in items:
        yield [(column.shown or column.value)(item) for column in columns]


def readable_cell(value: Any) -> str:
    """A value as Italian Excel reads it in a CSV: 12,5 · 03/03/2025 · Sì/No; text that a
    spreadsheet would take for a formula gets its apostrophe (``safe_cell``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal | float):
        text = format(value, "f") if isinstance(value, Decimal) else repr(value)
        return text.replace(".", ",")
    if isinstance(value, datetime.datetime):
        return (
            timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
            if timezone.is_aware(value)
            else value.strftime("%d/%m/%Y %H:%M")
        )
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return safe_cell(str(value))


def readable_csv_chunks(rows: Iterable) -> Iterator[bytes]:
    """The readable CSV of ``rows``: BOM, ``;``, each cell through ``readable_cell``."""
    buffer = io.StringIO()
    buffer.write(UTF8_BOM)
    out = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    return _chunks(([readable_cell(value) for value in row] for row in rows), out, buffer)


def readable_csv_response(rows: Iterable, *, filename: str) -> StreamingHttpResponse:
    """The readable CSV download, streamed as ``rows`` are read."""
    response = StreamingHttpResponse(
        readable_csv_chunks(rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _write_only_cell(sheet, value: Any, *, header: bool = False):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.make_naive(value)
    if isinstance(value, bool):
        value = _("Yes") if value else _("No")
    cell = WriteOnlyCell(sheet)
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell.value = text
        cell.data_type = "s"  # never a formula, whatever it starts with
        if is_formula_like(text):
            cell.quotePrefix = True
    elif value is not None:
        cell.value = value
        if isinstance(value, datetime.datetime):
            cell.number_format = XLSX_DATE_FORMAT + " hh:mm"
        elif isinstance(value, datetime.date):
            cell.number_format = XLSX_DATE_FORMAT
    if header:
        cell.font = Font(bold=True)
    return cell


def xlsx_response(rows: Iterable, *, filename: str, title: str) -> FileResponse:
    """The XLSX of ``rows`` (the first is the header, in bold and frozen): written in
    write-only mode to a temporary file as the rows are read, then streamed from it."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    # A sheet's title: at most 31 characters, none of []:*?/\\ (Excel's rule).
    sheet_title = re.sub(r"[\[\]:*?/\\]", " ", ILLEGAL_CHARACTERS_RE.sub("", str(title)))
    sheet = workbook.create_sheet(sheet_title[:31].strip() or "Sheet")
    sheet.freeze_panes = "A2"
    for number, row in enumerate(rows):
        sheet.append([_write_only_cell(sheet, value, header=number == 0) for value in row])
    file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response once sent
    workbook.save(file)
    file.seek(0)
    return FileResponse(file, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


def export_format(request) -> str:
    """The format asked for with ``?format=`` (the readable CSV when none); a 404 otherwise."""
    chosen = request.GET.get("format") or "csv"
    if chosen not in EXPORT_FORMATS:
        raise Http404(_("There is no export format called %(format)s.") % {"format": chosen})
    return chosen


def list_export(
    request,
    *,
    columns: list[Column],
    items: Iterable,
    name: str,
    title: str,
    technical: Callable[[], StreamingHttpResponse] | None = None,
    readable: Callable[[], Iterable] | None = None,
):
    """A list's download in the format asked for (``export_format``): ``name`` is the file's
    name without extension, ``title`` the sheet's; ``technical`` gives the technical CSV when
    the list has its own (an interchange format), else it is the columns' keys and values;
    ``readable`` gives the rows in words when they are not ``columns`` over ``items``."""
    chosen = export_format(request)
    rows = readable() if readable is not None else readable_rows(columns, items)
    if chosen == "xlsx":
        return xlsx_response(rows, filename=f"{name}.xlsx", title=title)
    if chosen == "technical":
        if technical is not None:
            return technical()
        return csv_response(
            technical_rows(columns, items), filename=f"{name}.csv", lineterminator="\n"
        )
    return readable_csv_response(rows, filename=f"{name}.csv")
