"""The import pipeline of every list a user uploads (procedures, worker lists).

Every problem is reported with the line the user sees in the file and the column as headed in
the file; the database is touched only when the whole file is clean. An app supplies what its
columns mean and what a row does; what every list shares is here, once:

- **Problems**: ``RowError`` (one problem, on a line and a column) and ``FileRefused`` (one
  that stops the reading).
- **Text**: ``decode`` (UTF-8 with or without BOM, or a fallback encoding such as Excel's
  Windows-1252) and ``line_of`` (the line holding an unreadable byte).
- **Headers**: ``Columns`` (a list's fields and the header names, synonyms, that mean each,
  compared case-, accent- and space-insensitively); ``read_table`` finds the header among the
  first rows of a CSV (its delimiter sniffed) or of each XLSX sheet (the title rows above it
  are skipped) and returns every row after it; ``map_header`` says which column is which
  field, with an error for a missing or a doubled one.
- **The page**: ``ImportView``, upload → preview (a dry run: nothing saved, the file kept under
  a token by ``crisi_portal.uploads``) → confirm (run again against the database as it is
  then), on one template (``imports/import.html``).

The upload guard (``crisi_portal.upload_guard``) bounds the file's size, its rows and a
workbook before any of this reads them.
"""

import csv
import hashlib
import io
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View

from crisi_portal.scoping import ScopedViewMixin
from crisi_portal.throttling import throttle_import_page
from crisi_portal.upload_guard import MAX_ROWS, RowCap, UploadRefused, open_xlsx, read_upload
from crisi_portal.upload_guard import xlsx_rows as guarded_xlsx_rows
from crisi_portal.uploads import stash_upload, take_upload

UTF8_BOM = b"\xef\xbb\xbf"
CSV_DELIMITERS = ";,\t"

# ---------------------------------------------------------------------------------------
# Problems


@dataclass(frozen=True)
class RowError:
    line: int
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        where = _("line %(line)d") % {"line": self.line}
        if self.column:
            where += f", {self.column}"
        return f"{where}: {self.message}"


def warnings_digest(warnings: list[RowError]) -> str:
    """A short fingerprint of the warnings an officer saw and confirmed: the confirmation
    holds only for the same warnings (the database may have changed in between)."""
    text = "\n".join(str(w) for w in warnings)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class FileRefused(Exception):
    """A problem that stops the reading of the file: reported as its only error."""

    def __init__(self, line: int, message: str, column: str | None = None):
        super().__init__(message)
        self.error = RowError(line, column, message)


# ---------------------------------------------------------------------------------------
# Text


def decode(raw: bytes | str, *, fallback: str | None = None) -> tuple[str, str]:
    """The text of a file and the encoding it was read with: UTF-8 (a BOM is dropped), else
    ``fallback`` when given. Raises ``UnicodeDecodeError`` when neither reads it."""
    if isinstance(raw, str):
        return raw.removeprefix("\ufeff"), "utf-8"
    encoding = "utf-8-sig" if raw.startswith(UTF8_BOM) else "utf-8"
    try:
        return raw.decode(encoding), encoding
    except UnicodeDecodeError:
        if fallback is None:
            raise
    return raw.decode(fallback), fallback


def line_of(raw: bytes, position: int) -> int:
    """The line (from 1) holding byte ``position``: where an unreadable byte is."""
    return raw.count(b"\n", 0, position) + 1


def cell_text(value: Any) -> str:
    """A cell as the user reads it: spaces collapsed, 12.0 as 12, None as nothing."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split()) if isinstance(value, str) else str(value).strip()


def normalise_header(value: str) -> str:
    """'  Unità   PRODUTTIVA ' → 'unita produttiva'; 'codice_fiscale' → 'codice fiscale'."""
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.replace("_", " ").casefold().split())


# ---------------------------------------------------------------------------------------
# Headers


@dataclass(frozen=True)
class Columns:
    """The fields of a list and the header names that mean each (the first one is shown).

    The header is the first of the first ``search_rows`` rows naming at least ``min_known``
    known columns: the title rows a company puts above it are skipped.
    """

    synonyms: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]
    labels: Mapping[str, Any]  # field → its name in messages
    search_rows: int = 15
    min_known: int = 3
    # required field → the field whose column may stand for it ("Cognome e nome" for both
    # "Cognome" and "Nome"); the app reads it when the required one is absent.
    instead: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def index(self) -> dict[str, str]:
        """Normalised header name → field."""
        return {
            normalise_header(synonym): name
            for name, synonyms in self.synonyms.items()
            for synonym in synonyms
        }

    def field_of(self, header: Any) -> str | None:
        return self.index.get(normalise_header(cell_text(header)))

    def known(self, cells: list[Any]) -> int:
        return sum(1 for c in cells if self.field_of(c) is not None)

    def find_header(self, rows: list[tuple[int, list[Any]]]) -> int | None:
        """Index (in ``rows``) of the header row, or None."""
        for index, (_line, cells) in enumerate(rows[: self.search_rows]):
            if self.known(cells) >= self.min_known:
                return index
        return None

    def no_header(self) -> FileRefused:
        return FileRefused(
            1,
            _(
                "No header row found in the first %(n)d rows: the header must name at least "
                "%(k)d of these columns: %(columns)s."
            )
            % {
                "n": self.search_rows,
                "k": self.min_known,
                "columns": ", ".join(self.synonyms[f][0] for f in self.required),
            },
        )


@dataclass
class Table:
    rows: list[tuple[int, list[Any]]]  # every row after the header, with its line
    header: list[str]
    header_line: int
    xlsx_cells: bool = False


@dataclass
class ImportOutcome:
    """Every import's result: its problems (``ok`` without any) and whether it was applied."""

    errors: list[RowError] = field(default_factory=list)
    applied: bool = False
    # What is inconsistent but allowed: shown in the preview, and confirmed by the officer.
    warnings: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class TableImport(ImportOutcome):
    """What reading a list found: the file, its header and how it was mapped."""

    filename: str = ""
    format: str = ""  # "csv" or "xlsx"
    encoding: str = ""  # CSV only: "utf-8", "utf-8-sig" or the fallback's
    delimiter: str = ""  # CSV only
    sheet: str = ""  # XLSX only
    header_line: int | None = None
    mapping: list[tuple[str, str | None]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    missing_optional: list[str] = field(default_factory=list)


def _table(
    rows: Iterator[tuple[int, list[Any]]], columns: Columns, xlsx_cells: bool = False
) -> Table | None:
    """The header among the first rows and every row after it, or None without a header.

    Only the first rows are read to find the header; the rest are read (and their number
    capped) only once it is found, still before any of them is validated.
    """
    head = []
    for row in rows:
        head.append(row)
        if len(head) == columns.search_rows:
            break
    index = columns.find_header(head)
    if index is None:
        return None
    header_line, header = head[index]
    data = head[index + 1 :]
    cap = RowCap(MAX_ROWS)
    for line, cells in data:
        if any(cell_text(c) for c in cells):
            cap.add(line)
    for line, cells in rows:
        if any(cell_text(c) for c in cells):
            cap.add(line)
        data.append((line, cells))
    return Table(data, [cell_text(h) for h in header], header_line, xlsx_cells)


def csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[Any]]]:
    """(line where the record starts, cells) of each CSV record."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileRefused(start, _("The CSV cannot be read here: %(e)s") % {"e": exc}) from exc
        yield start, cells


def _delimiter_candidates(text: str) -> list[str]:
    """The sniffed separator first, then the others by how often they occur in line one."""
    sample = text[:8192]
    first_line = next((line for line in sample.splitlines() if line.strip()), "")
    by_count = sorted(CSV_DELIMITERS, key=lambda d: -first_line.count(d))
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        return by_count
    return [sniffed, *(d for d in by_count if d != sniffed)]


def _read_csv(
    raw: bytes,
    columns: Columns,
    result: TableImport,
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> Table:
    try:
        if encoding is None:
            text, result.encoding = decode(raw, fallback="cp1252")
        else:
            # A source that says its encoding: read with it only (a BOM is dropped).
            text = raw.decode(encoding).removeprefix("\ufeff")
            result.encoding = encoding
    except UnicodeDecodeError as exc:
        if encoding is not None:
            raise FileRefused(
                line_of(raw, exc.start),
                _("The file is not %(encoding)s (byte %(pos)d cannot be read).")
                % {"encoding": encoding, "pos": exc.start},
            ) from exc
        raise FileRefused(
            line_of(raw, exc.start),
            _(
                "The file is neither UTF-8 nor Windows-1252 (byte %(pos)d cannot be read): "
                "save it again as CSV UTF-8."
            )
            % {"pos": exc.start},
        ) from exc
    if not text.strip():
        raise FileRefused(1, _("The file is empty."))
    candidates = _delimiter_candidates(text) if delimiter is None else [delimiter]
    for candidate in candidates:
        table = _table(csv_rows(text, candidate), columns)
        if table is not None:
            result.delimiter = candidate
            return table
    raise columns.no_header()


class PercentCell:
    """A number in a cell formatted as a percentage: 0.3 shown as 30 %."""

    def __init__(self, value: float):
        self.value = value

    def __str__(self) -> str:
        return f"{round(self.value * 100, 6):g}%"


def _xlsx_value(cell) -> Any:
    value = cell.value
    number_format = getattr(cell, "number_format", "") or ""
    if isinstance(value, int | float) and not isinstance(value, bool) and "%" in number_format:
        return PercentCell(value)
    return value


def _read_xlsx(raw: bytes, columns: Columns, result: TableImport) -> Table:
    workbook = open_xlsx(raw)  # the guard: refuses bombs, entities and oversized sheets
    try:
        for sheet in workbook.worksheets:
            rows = guarded_xlsx_rows(sheet, values=_xlsx_value)
            table = _table(rows, columns, xlsx_cells=True)
            if table is not None:
                result.sheet = sheet.title
                return table
    finally:
        workbook.close()
    raise columns.no_header()


def read_table(
    raw: bytes,
    columns: Columns,
    result: TableImport,
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> Table:
    """The table of a CSV (UTF-8 or Windows-1252, delimiter sniffed) or XLSX file, by its name.

    A source that fixes its CSV ``delimiter`` or ``encoding`` (an import profile) is read with
    those only.

    Records the format, encoding, delimiter, sheet and header line on ``result`` as they are
    found; raises ``FileRefused`` for a file that cannot be read as a list.
    """
    filename = result.filename
    name = (filename or "").lower()
    is_zip = raw.startswith(b"PK")
    if name.endswith(".xlsx"):
        if not is_zip:
            raise FileRefused(
                1, _("%(name)s is named .xlsx but is not an XLSX workbook.") % {"name": filename}
            )
        result.format = "xlsx"
        table = _read_xlsx(raw, columns, result)
    elif name.endswith((".csv", ".txt")):
        if is_zip:
            raise FileRefused(
                1,
                _("%(name)s is named .csv but is an Excel workbook: rename it to .xlsx.")
                % {"name": filename},
            )
        result.format = "csv"
        table = _read_csv(raw, columns, result, delimiter=delimiter, encoding=encoding)
    elif name.endswith(".xls") or raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused(
            1, _("Old Excel files (.xls) are not accepted: save the list as .xlsx or CSV.")
        )
    else:
        raise FileRefused(
            1,
            _("%(name)s: only .csv, .txt and .xlsx files are accepted.")
            % {"name": filename or _("the file")},
        )
    result.header_line = table.header_line
    return table


def map_header(table: Table, columns: Columns, result: TableImport) -> dict[str, int]:
    """field → column index; on ``result`` the mapping shown to the user, the ignored columns,
    the optional fields missing, and errors for missing required and doubly mapped fields."""
    found: dict[str, int] = {}
    for index, header in enumerate(table.header):
        if not header:
            continue
        name = columns.field_of(header)
        result.mapping.append((header, name))
        if name is None:
            result.ignored_columns.append(header)
        elif name in found:
            first = table.header[found[name]]
            result.errors.append(
                RowError(
                    table.header_line,
                    header,
                    _(
                        "Columns '%(first)s' and '%(second)s' both mean %(field)s: "
                        "keep only one of them."
                    )
                    % {"first": first, "second": header, "field": columns.labels[name]},
                )
            )
        else:
            found[name] = index
    for name in columns.required:
        if name not in found and columns.instead.get(name) not in found:
            result.errors.append(
                RowError(
                    table.header_line,
                    None,
                    _("Missing column %(column)s (%(field)s); accepted names: %(names)s.")
                    % {
                        "column": columns.synonyms[name][0],
                        "field": columns.labels[name],
                        "names": ", ".join(columns.synonyms[name]),
                    },
                )
            )
    stood_for = {alternative for name, alternative in columns.instead.items() if name in found}
    result.missing_optional = [
        name
        for name in columns.synonyms
        if name not in columns.required and name not in found and name not in stood_for
    ]
    return found


# ---------------------------------------------------------------------------------------
# The page: upload → preview → confirm


@method_decorator(throttle_import_page, name="post")
class ImportView(ScopedViewMixin, View):
    """Upload a file → preview of what would change (nothing saved) → confirm.

    A subclass names the form (``form_class``, with a ``file`` field), the page's texts
    (``title``, ``intro_template``, ``preview_template``: its part of the preview, given
    ``result``), and implements ``purpose``, ``run_import``, ``done_message``,
    ``success_url`` and, when the page is about one object, ``page_context``. The file is kept
    between preview and confirmation under a token bound to the user and to ``purpose()``;
    the confirmation checks it again against the database as it is then.
    """

    template_name = "imports/import.html"
    form_class = None
    title = ""
    intro_template = ""
    preview_template = ""

    def page_context(self) -> dict[str, Any]:
        """What the page shows besides the import: ``heading``, ``breadcrumbs`` (pairs of
        URL and label), ``back_url`` (the upload form's Cancel), the object it is about."""
        return {}

    def purpose(self) -> str:
        raise NotImplementedError

    def run_import(
        self,
        raw: bytes,
        *,
        filename: str,
        dry_run: bool = False,
        accepted_warnings: str | None = None,
    ):
        """The app's import: a result with ``ok``, ``errors``, ``warnings`` and ``applied``;
        raises ``UploadRefused``. With warnings, it applies only when ``accepted_warnings`` is
        their ``warnings_digest`` (what the officer confirmed)."""
        raise NotImplementedError

    def preview_context(self, result) -> dict[str, Any]:
        return {}

    def render_page(self, status: int = 200, **context):
        page = {
            "title": self.title,
            "heading": self.title,
            "intro_template": self.intro_template,
            "preview_template": self.preview_template,
            **self.page,
        }
        return render(self.request, self.template_name, {**page, **context}, status=status)

    def get(self, request, *args, **kwargs):
        self.page = self.page_context()  # first: the object out of scope is a 404
        return self.render_page(form=self.form_class())

    def post(self, request, *args, **kwargs):
        self.page = self.page_context()
        token = request.POST.get("token")
        if token:
            return self.confirm(token)
        form = self.form_class(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_page(status=422, form=form)
        upload = form.cleaned_data["file"]
        try:
            raw = read_upload(upload)
            result = self.run_import(raw, filename=upload.name, dry_run=True)
        except UploadRefused as refused:
            form.add_error("file", str(refused))
            return self.render_page(status=refused.status, form=form)
        context = {
            "form": self.form_class(),
            "result": result,
            "filename": upload.name,
            **self.preview_context(result),
        }
        if result.ok:
            context.update(self.confirmation(raw, upload.name, result))
        return self.render_page(status=200 if result.ok else 422, **context)

    def confirmation(self, raw: bytes, filename: str, result) -> dict[str, Any]:
        """The file kept under a token, and the fingerprint of the warnings to confirm."""
        return {
            "token": stash_upload(self.request, raw, purpose=self.purpose(), filename=filename),
            "warnings_digest": warnings_digest(result.warnings) if result.warnings else "",
        }

    def confirm(self, token: str):
        raw, filename = take_upload(self.request, token, purpose=self.purpose())
        post = self.request.POST
        accepted = post.get("warnings", "") if post.get("accept_warnings") else ""
        try:
            result = self.run_import(raw, filename=filename, accepted_warnings=accepted)
        except UploadRefused as refused:
            form = self.form_class()
            form.add_error(None, str(refused))
            return self.render_page(status=refused.status, form=form)
        if not result.ok:
            return self.render_page(
                status=422, form=self.form_class(), result=result, **self.preview_context(result)
            )
        if result.warnings and not result.applied:
            # Not confirmed, or the warnings changed since the preview: shown again, to confirm.
            return self.render_page(
                status=422,
                form=self.form_class(),
                result=result,
                filename=filename,
                unconfirmed=True,
                **self.confirmation(raw, filename, result),
                **self.preview_context(result),
            )
        messages.success(self.request, self.done_message(result))
        return redirect(self.success_url())

    def done_message(self, result) -> str:
        """The message once imported."""
        raise NotImplementedError

    def success_url(self) -> str:
        """Where to go once imported."""
        raise NotImplementedError
