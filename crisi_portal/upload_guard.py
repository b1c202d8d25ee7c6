"""One guard for every uploaded file, whatever the path (HTML form, API, management command).

A hostile file must be refused before it costs memory or time, and refused with a message
that names the limit, the file and, where there is one, the line. What is bounded, and where:

- the request body, on its declared ``Content-Length``, before Django reads a byte of it
  (``RequestSizeLimitMiddleware``): ``DATA_UPLOAD_MAX_MEMORY_SIZE`` only counts non-file
  fields, so without this a multipart body of any size would be spooled to disk first;
- the file's size (``read_upload`` / ``read_path``), before it is read into memory;
- the rows, counted while the file is streamed and before any row is validated (``RowCap``);
- an XLSX workbook, before openpyxl opens it (``inspect_xlsx``): the zip's members, their
  uncompressed sizes and compression ratios as declared in its directory (``zipfile`` stops
  at the declared size, so a member cannot expand beyond it), and no DTD in any XML part
  (entity expansion, external entities). openpyxl then parses with defusedxml, read-only,
  and ``xlsx_rows`` bounds the sheet's declared dimension, its rows and its cells.

Every refusal is an ``UploadRefused``: a ``DomainError`` (so the API's problem handler turns
it into a 413 or 422 problem), a form error in HTML, a ``CommandError`` in a command. It is
raised before any transaction is opened, so a refused file never changes anything.
"""

import io
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext as _

from crisi_portal.errors import DomainError
from crisi_portal.problems import PROBLEM_MEDIA_TYPE, problem

# Rows of data a list may hold (after its header); counted while reading, before validating.
MAX_ROWS = 20_000
# Room for a multipart body's boundaries and non-file fields, on top of the file itself.
MULTIPART_OVERHEAD = 256 * 1024

# XLSX: a worker list of 20,000 rows × 20 columns is about 15 MB of XML once unzipped.
XLSX_MAX_MEMBERS = 300
XLSX_MAX_TOTAL_SIZE = 48 * 1024 * 1024
XLSX_MAX_MEMBER_SIZE = 32 * 1024 * 1024
# openpyxl keeps every shared string in memory: its part gets a tighter bound.
XLSX_MAX_SHARED_STRINGS_SIZE = 16 * 1024 * 1024
# Spreadsheet XML compresses 5-30 times; a zip bomb hundreds of times. Small parts (styles
# full of zeros) may legitimately compress more, so the ratio is checked on parts over 1 MB.
XLSX_MAX_RATIO = 100
XLSX_RATIO_FROM_SIZE = 1024 * 1024
# Lines of a sheet (blank ones included), columns of a row and cells, whatever the sheet
# declares: a worker list of 20,000 rows × 20 columns fits. openpyxl's read-only mode costs
# about 30 µs a cell (and reads a sheet without a declared dimension once more on opening),
# so these bounds are also the bound on time; rows and cells are counted before openpyxl
# opens the workbook (``_scan_part``) and again while its rows are read.
XLSX_MAX_LINES = MAX_ROWS + 5_000
XLSX_MAX_COLUMNS = 256
XLSX_MAX_CELLS = 400_000
XLSX_XML_SUFFIXES = (".xml", ".rels", ".vml")
NESTED_ARCHIVE_SUFFIXES = (".zip", ".xlsx", ".xlsm", ".xls", ".docx", ".jar", ".gz", ".7z", ".rar")
DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")


class UploadRefused(DomainError):
    """A file refused by the guard. ``status`` 413 for a limit, 422 for a malformed file."""

    code = "upload_refused"

    def __init__(
        self,
        message: str,
        *,
        status: int = 422,
        line: int | None = None,
        column: str | None = None,
    ):
        super().__init__(
            message,
            errors=[{"field": "file", "line": line, "column": column, "message": message}],
        )
        self.status = status
        self.code = "upload_too_large" if status == 413 else "upload_refused"
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return _("line %(line)d") % {"line": self.line} + f": {self.message}"


def max_upload_bytes() -> int:
    return settings.MAX_UPLOAD_SIZE


def _megabytes(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


def _too_large(size: int, name: str) -> UploadRefused:
    return UploadRefused(
        _("%(name)s is %(size)s: files larger than %(limit)s are not accepted.")
        % {
            "name": name or _("The file"),
            "size": _megabytes(size),
            "limit": _megabytes(max_upload_bytes()),
        },
        status=413,
    )


def check_size(size: int | None, *, name: str = "") -> None:
    if size is not None and size > max_upload_bytes():
        raise _too_large(size, name)


def _read_bounded(stream: IO[bytes], *, name: str) -> bytes:
    """At most the limit plus one byte: enough to know the file is too large."""
    limit = max_upload_bytes()
    raw = stream.read(limit + 1)
    if len(raw) > limit:
        raise _too_large(len(raw), name)
    return raw


def read_upload(upload) -> bytes:
    """The bytes of an uploaded file (Django ``UploadedFile``), refused on size first."""
    check_size(getattr(upload, "size", None), name=getattr(upload, "name", ""))
    upload.seek(0)
    return _read_bounded(upload, name=getattr(upload, "name", ""))


def read_path(path: Path) -> bytes:
    """The bytes of a file given to a management command, refused on size first."""
    check_size(path.stat().st_size, name=path.name)
    with path.open("rb") as stream:
        return _read_bounded(stream, name=path.name)


def check_bytes(raw: bytes | str, *, name: str = "") -> None:
    """The same limit for bytes that reached an importer by another way (stash, tests)."""
    check_size(len(raw), name=name)


class RowCap:
    """Counts data rows as they are read and refuses the one beyond the limit.

    Called while streaming, before any row is validated, so a 100,000-row file is refused
    after reading 20,001 rows, not after checking them all against the database.
    """

    def __init__(self, limit: int = MAX_ROWS):
        self.limit = limit
        self.count = 0

    def add(self, line: int) -> None:
        self.count += 1
        if self.count > self.limit:
            raise UploadRefused(
                _("Too many rows (at most %d).") % self.limit, status=413, line=line
            )


# ---------------------------------------------------------------------------------------
# XLSX


def _unreadable(reason: str) -> UploadRefused:
    return UploadRefused(
        _("The file is not a readable XLSX workbook (%(e)s).") % {"e": reason}, line=1
    )


CELL_TAGS = (b"<c ", b"<c>", b"<c/>", b":c ", b":c>", b":c/>")
ROW_TAGS = (b"<row ", b"<row>", b":row ", b":row>")


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[bool, int, int]:
    """(declares a DTD or is not UTF-8, cells, rows) of an XML part, streamed: a large part
    is never held whole, and openpyxl (which reads a whole sheet once just to look for its
    dimension) never sees a sheet with more cells than are read."""
    overlap = max(len(m) for m in (*DTD_MARKERS, *CELL_TAGS, *ROW_TAGS)) - 1
    tail = b""
    cells = rows = 0
    with archive.open(info) as part:
        first = True
        while chunk := part.read(256 * 1024):
            if first:
                first = False
                # Excel writes UTF-8; other encodings would hide a DTD from a byte search.
                if chunk.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in chunk[:64]:
                    return True, cells, rows
            window = tail + chunk
            if any(marker in window for marker in DTD_MARKERS):
                return True, cells, rows
            # A tag cut by the chunk boundary is counted once: in the window, not in the tail.
            cells += sum(window.count(tag) - tail.count(tag) for tag in CELL_TAGS)
            rows += sum(window.count(tag) - tail.count(tag) for tag in ROW_TAGS)
            tail = window[-overlap:]
    return False, cells, rows


def _outside(name: str, seen: set[str]) -> bool:
    """Whether an archive member's name repeats one in ``seen`` or points outside the archive
    (absolute, ``..``, backslashes); remembers it in ``seen``."""
    path = PurePosixPath(name)
    outside = name in seen or path.is_absolute() or ".." in path.parts or "\\" in name
    seen.add(name)
    return outside


def _ratio(info: zipfile.ZipInfo) -> int:
    return info.file_size // max(info.compress_size, 1)


def _bomb(info: zipfile.ZipInfo, max_ratio: int, from_size: int) -> bool:
    """A member over ``from_size`` once unzipped and compressed more than ``max_ratio`` times."""
    return info.file_size > from_size and info.file_size > max_ratio * max(info.compress_size, 1)


def inspect_xlsx(raw: bytes) -> None:
    """Refuse a workbook that would cost too much to open, before openpyxl opens it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise _unreadable(str(exc)) from exc
    with archive:
        members = archive.infolist()
        if len(members) > XLSX_MAX_MEMBERS:
            raise _unreadable(
                _("%(n)d parts, at most %(max)d") % {"n": len(members), "max": XLSX_MAX_MEMBERS}
            )
        names = set()
        total = 0
        for info in members:
            name = info.filename
            if _outside(name, names):
                raise _unreadable(
                    _("part %(name)s is duplicated or outside the workbook") % {"name": name}
                )
            if info.flag_bits & 0x1:
                raise _unreadable(_("part %(name)s is encrypted") % {"name": name})
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _unreadable(_("part %(name)s uses an unknown compression") % {"name": name})
            if name.lower().endswith(NESTED_ARCHIVE_SUFFIXES):
                raise _unreadable(
                    _("part %(name)s is an archive inside the workbook") % {"name": name}
                )
            bound = (
                XLSX_MAX_SHARED_STRINGS_SIZE
                if name.lower().endswith("sharedstrings.xml")
                else XLSX_MAX_MEMBER_SIZE
            )
            if info.file_size > bound:
                raise _expands(name, info.file_size, bound)
            if _bomb(info, XLSX_MAX_RATIO, XLSX_RATIO_FROM_SIZE):
                raise UploadRefused(
                    _(
                        "Part %(name)s of the workbook is compressed %(ratio)d times: "
                        "at most %(max)d times is accepted (a 'zip bomb' is refused)."
                    )
                    % {
                        "name": name,
                        "ratio": _ratio(info),
                        "max": XLSX_MAX_RATIO,
                    },
                    status=413,
                    line=1,
                )
            total += info.file_size
            if total > XLSX_MAX_TOTAL_SIZE:
                raise _expands(_("the workbook"), total, XLSX_MAX_TOTAL_SIZE)
        for info in members:
            if not info.filename.lower().endswith(XLSX_XML_SUFFIXES):
                continue
            try:
                has_dtd, cells, rows = _scan_part(archive, info)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
                raise _unreadable(str(exc)) from exc
            if cells > XLSX_MAX_CELLS or rows > XLSX_MAX_LINES:
                raise UploadRefused(
                    _(
                        "Part %(name)s of the workbook holds %(cells)d cells in %(rows)d rows: "
                        "at most %(max_cells)d cells and %(max_rows)d rows are read."
                    )
                    % {
                        "name": info.filename,
                        "cells": cells,
                        "rows": rows,
                        "max_cells": XLSX_MAX_CELLS,
                        "max_rows": XLSX_MAX_LINES,
                    },
                    status=413,
                    line=1,
                )
            if has_dtd:
                raise UploadRefused(
                    _(
                        "Part %(name)s of the workbook declares a DTD or entities, or is not "
                        "UTF-8: such workbooks are refused."
                    )
                    % {"name": info.filename},
                    line=1,
                )


def _expands(name: str, size: int, bound: int) -> UploadRefused:
    return UploadRefused(
        _("%(name)s expands to %(size)s once unzipped: at most %(max)s is accepted.")
        % {"name": name, "size": _megabytes(size), "max": _megabytes(bound)},
        status=413,
        line=1,
    )


def open_xlsx(raw: bytes):
    """An openpyxl workbook, read-only and with cached values, once ``inspect_xlsx`` passed."""
    import openpyxl

    inspect_xlsx(raw)
    try:
        with warnings.catch_warnings():
            # Files from other programs trigger openpyxl's style warnings: irrelevant here.
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on broken parts
        raise _unreadable(str(exc) or exc.__class__.__name__) from exc


def xlsx_rows(sheet, *, values) -> Iterator[tuple[int, list[Any]]]:
    """(line, cells) of a read-only sheet, bounded by its declared size and while reading.

    The declared dimension (``<dimension ref>``) is checked first and then dropped: openpyxl
    pads every row to it, so a sheet declaring 16,384 columns would cost 16,384 cells a row.
    """
    rows, columns = sheet.max_row or 0, sheet.max_column or 0
    if rows > XLSX_MAX_LINES or columns > XLSX_MAX_COLUMNS:
        raise _sheet_too_large(
            sheet,
            1,
            _("it declares %(rows)d rows × %(columns)d columns")
            % {"rows": rows, "columns": columns},
        )
    # Rows are no longer padded to a declared width: each is as wide as its last cell.
    sheet.reset_dimensions()
    cells_read = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for line, cells in enumerate(sheet.iter_rows(), start=1):
                cells_read += len(cells)
                if len(cells) > XLSX_MAX_COLUMNS:
                    raise _sheet_too_large(
                        sheet, line, _("this row has %(n)d columns") % {"n": len(cells)}
                    )
                if line > XLSX_MAX_LINES or cells_read > XLSX_MAX_CELLS:
                    raise _sheet_too_large(sheet, line, _("the sheet goes on"))
                yield line, [values(c) for c in cells]
    except UploadRefused:
        raise
    except Exception as exc:  # a broken sheet surfaces as any parser error
        raise _unreadable(str(exc) or exc.__class__.__name__) from exc


def _sheet_too_large(sheet, line: int, reason: str) -> UploadRefused:
    return UploadRefused(
        _(
            "Sheet %(sheet)s is too large (%(reason)s): at most %(rows)d rows, %(columns)d "
            "columns and %(cells)d cells are read."
        )
        % {
            "sheet": sheet.title,
            "reason": reason,
            "rows": XLSX_MAX_LINES,
            "columns": XLSX_MAX_COLUMNS,
            "cells": XLSX_MAX_CELLS,
        },
        status=413,
        line=line,
    )


# ---------------------------------------------------------------------------------------
# Request bodies


def max_request_bytes(request) -> int | None:
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith("multipart/"):
        return max_upload_bytes() + MULTIPART_OVERHEAD
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class RequestSizeLimitMiddleware:
    """413 for a body declared larger than any upload may be, before anything reads it.

    Placed before the CSRF and session middleware: CSRF reads ``request.POST``, which would
    parse (and spool to disk) the whole multipart body first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = max_request_bytes(request)
        if limit is not None and length > limit:
            return self.refuse(request, limit)
        return self.get_response(request)

    def refuse(self, request, limit: int):
        is_multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        shown = max_upload_bytes() if is_multipart else limit
        message = _("The request is too large: files larger than %(limit)s are not accepted.") % {
            "limit": _megabytes(shown)
        }
        if request.path.startswith("/api/"):
            body = problem(
                413,
                detail=message,
                code="upload_too_large",
                errors=[{"field": "file", "message": message}],
                instance=request.path,
            )
            response = JsonResponse(body, status=413, content_type=PROBLEM_MEDIA_TYPE)
        else:
            response = HttpResponse(
                f"<!doctype html><title>413</title><p>{escape(message)}</p>", status=413
            )
        return response


# ---------------------------------------------------------------------------------------
# XML documents and ZIP batches of them (mandatory communications, issue #16)

# One communication is a few KB; a batch of them fits the row limit.
XML_MAX_DOCUMENT_SIZE = 1024 * 1024
XML_MAX_DEPTH = 20
XML_MAX_ELEMENTS = 2_000
ZIP_MAX_MEMBERS = MAX_ROWS
ZIP_MAX_TOTAL_SIZE = 64 * 1024 * 1024
# A UNILAV document compresses 3-10 times; a zip bomb hundreds of times.
ZIP_MAX_RATIO = 100
ZIP_RATIO_FROM_SIZE = 64 * 1024


def _xml_refused(name: str, reason: str, line: int | None = None) -> UploadRefused:
    return UploadRefused(
        _("%(name)s is not a readable XML document (%(e)s).") % {"name": name, "e": reason},
        line=line or 1,
    )


def parse_xml(raw: bytes, *, name: str):
    """The root element of an XML document, parsed with defusedxml: a DTD, entities or an
    external reference refuse it (XXE, "billion laughs"), as do more than
    ``XML_MAX_DOCUMENT_SIZE`` bytes, ``XML_MAX_DEPTH`` levels or ``XML_MAX_ELEMENTS``
    elements. Errors name the document and, when the parser says it, the line."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    if len(raw) > XML_MAX_DOCUMENT_SIZE:
        raise UploadRefused(
            _("%(name)s is %(size)s: an XML document of at most %(max)s is accepted.")
            % {
                "name": name,
                "size": _megabytes(len(raw)),
                "max": _megabytes(XML_MAX_DOCUMENT_SIZE),
            },
            status=413,
            line=1,
        )
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise UploadRefused(
            _("%(name)s declares a DTD, entities or external references: refused.")
            % {"name": name},
            line=1,
        ) from None
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise _xml_refused(name, str(exc).split(":")[0], line) from None
    count = 0
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        count += 1
        if depth > XML_MAX_DEPTH or count > XML_MAX_ELEMENTS:
            raise UploadRefused(
                _("%(name)s nests more than %(depth)d levels or holds more than %(n)d elements.")
                % {"name": name, "depth": XML_MAX_DEPTH, "n": XML_MAX_ELEMENTS},
                status=413,
                line=1,
            )
        stack.extend((child, depth + 1) for child in element)
    return root


def zip_members(raw: bytes, *, name: str, suffixes: tuple[str, ...]) -> list[tuple[str, bytes]]:
    """(name, bytes) of each member of a ZIP batch ending in one of ``suffixes``, in name
    order, once the archive's directory passed the bounds: at most ``ZIP_MAX_MEMBERS``
    members, each at most ``XML_MAX_DOCUMENT_SIZE`` and compressed at most ``ZIP_MAX_RATIO``
    times, ``ZIP_MAX_TOTAL_SIZE`` in all, no nested archive, no encrypted member, no path
    outside the archive. Folders and other files are skipped."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise UploadRefused(
            _("%(name)s is not a readable ZIP archive (%(e)s).") % {"name": name, "e": exc},
            line=1,
        ) from exc
    with archive:
        members = archive.infolist()
        if len(members) > ZIP_MAX_MEMBERS:
            raise UploadRefused(
                _("%(name)s holds %(n)d files: at most %(max)d are read.")
                % {"name": name, "n": len(members), "max": ZIP_MAX_MEMBERS},
                status=413,
                line=1,
            )
        total = 0
        chosen = []
        seen = set()
        for info in members:
            member = info.filename
            if _outside(member, seen):
                raise UploadRefused(
                    _("%(name)s: file %(member)s is duplicated or outside the archive.")
                    % {"name": name, "member": member},
                    line=1,
                )
            if info.is_dir():
                continue
            lower = member.lower()
            if lower.endswith(NESTED_ARCHIVE_SUFFIXES):
                raise UploadRefused(
                    _("%(name)s: file %(member)s is an archive inside the archive.")
                    % {"name": name, "member": member},
                    line=1,
                )
            if info.flag_bits & 0x1 or info.compress_type not in (
                zipfile.ZIP_STORED,
                zipfile.ZIP_DEFLATED,
            ):
                raise UploadRefused(
                    _("%(name)s: file %(member)s is encrypted or uses an unknown compression.")
                    % {"name": name, "member": member},
                    line=1,
                )
            if info.file_size > XML_MAX_DOCUMENT_SIZE:
                raise _expands(member, info.file_size, XML_MAX_DOCUMENT_SIZE)
            if _bomb(info, ZIP_MAX_RATIO, ZIP_RATIO_FROM_SIZE):
                raise UploadRefused(
                    _(
                        "%(name)s: file %(member)s is compressed %(ratio)d times: at most "
                        "%(max)d times is accepted (a 'zip bomb' is refused)."
                    )
                    % {
                        "name": name,
                        "member": member,
                        "ratio": _ratio(info),
                        "max": ZIP_MAX_RATIO,
                    },
                    status=413,
                    line=1,
                )
            total += info.file_size
            if total > ZIP_MAX_TOTAL_SIZE:
                raise _expands(name, total, ZIP_MAX_TOTAL_SIZE)
            if lower.endswith(suffixes):
                chosen.append(info)
        result = []
        for info in sorted(chosen, key=lambda i: i.filename):
            try:
                with archive.open(info) as stream:
                    # The directory's size is what zipfile stops at: read one byte more.
                    data = stream.read(XML_MAX_DOCUMENT_SIZE + 1)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
                raise UploadRefused(
                    _("%(name)s: file %(member)s cannot be read (%(e)s).")
                    % {"name": name, "member": info.filename, "e": exc},
                    line=1,
                ) from exc
            if len(data) > XML_MAX_DOCUMENT_SIZE:
                raise _expands(info.filename, len(data), XML_MAX_DOCUMENT_SIZE)
            result.append((info.filename, data))
        return result
