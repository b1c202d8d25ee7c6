"""Hostile files, generated in the test rather than committed: zip bombs, entity bombs,
external entities, huge CSVs, workbooks whose zip directory lies.

A zip bomb is built without compressing a gigabyte: a raw deflate stream made of
independently flushed blocks can be repeated, so one compressed megabyte of rows is written
N times (the CRC is computed over the real content, so the file is a valid workbook).
"""

import functools
import io
import resource
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import openpyxl

MB = 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"
SHARED_STRINGS = "xl/sharedStrings.xml"
SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_END = b"</sheetData></worksheet>"
SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)


def workbook_bytes(rows: list[list[Any]], title: str = "Lavoratori") -> bytes:
    """A real workbook written by openpyxl (shared strings, styles, dates)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _raw_deflate(data: bytes, *, final: bool) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(
        zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH
    )


def _write_raw_member(archive: zipfile.ZipFile, name: str, compressed: bytes, size: int, crc: int):
    """Append a member whose deflated bytes are already made (zipfile cannot take them)."""
    info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.file_size, info.compress_size, info.CRC = size, len(compressed), crc
    info.header_offset = archive.fp.tell()
    archive.fp.write(info.FileHeader(zip64=False))
    archive.fp.write(compressed)
    archive.filelist.append(info)
    archive.NameToInfo[name] = info
    archive.start_dir = archive.fp.tell()
    archive._didModify = True


def replace_member(
    base: bytes,
    name: str,
    content: bytes | None = None,
    *,
    raw: tuple[bytes, int, int] | None = None,
) -> bytes:
    """``base`` with member ``name`` replaced by ``content`` or by raw (deflated, size, crc)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(base)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content_of = source.read(info.filename)
            if info.filename == "[Content_Types].xml" and name == SHARED_STRINGS:
                # openpyxl writes inline strings: declare the part so that readers load it.
                content_of = content_of.replace(b"</Types>", SHARED_STRINGS_TYPE + b"</Types>")
            if info.filename != name:
                target.writestr(info.filename, content_of)
        if raw is not None:
            _write_raw_member(target, name, *raw)
        else:
            target.writestr(name, content)
    return out.getvalue()


def repeated_deflate(prefix: bytes, unit: bytes, times: int, suffix: bytes):
    """(deflated, size, crc) of prefix + unit * times + suffix, compressing ``unit`` once."""
    head, body, tail = (
        _raw_deflate(prefix, final=False),
        _raw_deflate(unit, final=False),
        _raw_deflate(suffix, final=True),
    )
    crc = zlib.crc32(prefix)
    for _ in range(times):
        crc = zlib.crc32(unit, crc)
    crc = zlib.crc32(suffix, crc)
    size = len(prefix) + len(unit) * times + len(suffix)
    return head + body * times + tail, size, crc


@functools.cache
def zip_bomb_xlsx(
    member: str = SHARED_STRINGS, expanded: int = 1100 * MB, *, declared: int | None = None
) -> bytes:
    """A workbook whose ``member`` expands to ``expanded`` bytes (1.1 GB by default).

    ``declared``: the uncompressed size written in the zip's headers instead of the real one
    (a bomb whose directory lies).
    """
    base = workbook_bytes([["Codice Fiscale", "Cognome", "Nome"], ["x", "y", "z"]])
    if member == SHARED_STRINGS:
        prefix = (
            b'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="http://schemas.'
            b'openxmlformats.org/spreadsheetml/2006/main"><si><t>'
        )
        unit, suffix = b"A" * MB, b"</t></si></sst>"
    else:
        prefix = SHEET_START + b'<row r="1">'
        unit = b'<c t="inlineStr"><is><t>AAAAAAAAAAAAAAAA</t></is></c>' * (MB // 48)
        suffix = b"</row>" + SHEET_END
    times = (expanded - len(prefix) - len(suffix)) // len(unit)
    deflated, size, crc = repeated_deflate(prefix, unit, times, suffix)
    return replace_member(base, member, raw=(deflated, declared or size, crc))


BILLION_LAUGHS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<!DOCTYPE sst [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<si><t>&lol9;</t></si></sst>"
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<si><t>&xxe;</t></si></sst>"
)


def entity_xlsx(xml: bytes = BILLION_LAUGHS, member: str = SHARED_STRINGS) -> bytes:
    base = workbook_bytes([["Codice Fiscale", "Cognome", "Nome"], ["x", "y", "z"]])
    return replace_member(base, member, xml)


def sheet_xlsx(rows: list[list[str]]) -> bytes:
    """A workbook whose sheet is written by hand (inline strings): fast for 100k rows."""
    base = workbook_bytes([["placeholder"]])

    def cell(value: str) -> str:
        text = value.replace("&", "&amp;").replace("<", "&lt;")
        return f'<c t="inlineStr"><is><t>{text}</t></is></c>'

    body = "".join(
        f'<row r="{n}">' + "".join(cell(v) for v in row) + "</row>"
        for n, row in enumerate(rows, start=1)
    )
    return replace_member(base, SHEET, SHEET_START + body.encode() + SHEET_END)


@dataclass
class Cost:
    seconds: float
    peak_bytes: int  # Python allocations (tracemalloc) while the call ran
    rss_growth_bytes: int  # growth of the process's peak RSS (0 if the peak was higher before)
    value: Any = None
    error: BaseException | None = None

    @property
    def peak_mb(self) -> float:
        return self.peak_bytes / MB


def measure(call: Callable[[], Any]) -> Cost:
    """Time, Python memory peak and peak-RSS growth of ``call``; its exception is kept."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    start = time.perf_counter()
    value = error = None
    try:
        value = call()
    except Exception as exc:
        error = exc
    seconds = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return Cost(seconds, peak, max(0, rss_after - rss_before), value, error)
