"""Reading mandatory communications (UNILAV): one XML document per communication, a ZIP batch
of them, or the CSV extract a Region receives (issue #16 item 1). Nothing here touches the
database except to read the reference tables; ``workers.communications`` does the matching.

**XML** (the Ministry of Labour's UNILAV model, namespace ``http://servizi.lavoro.gov.it/unilav``;
only what the matching needs is read, everything else in the document is ignored)::

    <UniLav xmlns="http://servizi.lavoro.gov.it/unilav" codiceComunicazione="…16 chars…"
            [codiceComunicazionePrecedente="…"]>
      <DatoreLavoro codiceFiscale="partita IVA or fiscal code" denominazione="name">
        <SedeLavoro><Comune>cadastral code, e.g. F205</Comune>…</SedeLavoro>
      </DatoreLavoro>
      <Lavoratore><AnagraficaCompleta><codice-fiscale>…</codice-fiscale>…</AnagraficaCompleta>
      </Lavoratore>
      <InizioRapporto dataInizio="YYYY-MM-DD" [dataFine="…"] TipologiaContrattuale="A.02.00"/>
      then, for anything but a hiring, one of:
      <Proroga dataFineProroga="…"/> | <Trasformazione dataTrasformazione="…"
      codiceTrasformazione="DI"/> | <Cessazione dataCessazione="…"/>
    </UniLav>

**CSV extract** (``;``-separated, UTF-8 or Windows-1252, header on the first line; the column
names are those of the COB extract the Regions receive, compared ignoring case and accents):
``Codice Comunicazione``, ``Tipo Comunicazione`` (ASS, PRO, TRS or CES), ``Codice
Trasformazione`` (for TRS), ``Data Evento`` (the transformation's, termination's or new end's
date; a hiring's is its start), ``Codice Fiscale Lavoratore``, ``Codice Fiscale Datore di
Lavoro``, ``Denominazione Datore di Lavoro``, ``Codice Comune Sede Lavoro``, ``Data Inizio
rapporto di lavoro``, ``Data Fine rapporto di lavoro``, ``Tipologia Contrattuale`` and
``Codice comunicazione precedente`` (optional). Dates as YYYY-MM-DD or DD/MM/YYYY.

**Errors.** A file that breaks the model's structure (a missing element or attribute, a date
that is none, a code not in the reference tables, a communication code seen twice in the same
file) is refused whole: its errors name the file (the member of a ZIP), the line and the
element or column, and nothing is imported. A worker fiscal code whose check character is
wrong only sets that communication aside (``ParsedBatch.invalid``): the Ministry checks the
codes when a communication is sent, so a wrong one is a defect of the extract, it can match no
worker (workers' codes are checked), and refusing thousands of communications for it would
stop the flow. The code itself is never repeated in the message (masked).
"""

import datetime
import hashlib
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from cases.validators import validate_company_tax_code
from crisi_portal.identifiers import normalise_tax_code, validate_fiscal_code
from crisi_portal.imports import (
    Columns,
    FileRefused,
    RowError,
    TableImport,
    cell_text,
    map_header,
    read_table,
)
from crisi_portal.upload_guard import UploadRefused, parse_xml, zip_members
from workers.models import CommunicationEvent, UnilavCommunicationType, UnilavContractType

NAMESPACE = "http://servizi.lavoro.gov.it/unilav"
COMMUNICATION_CODE = re.compile(r"^[0-9A-Z]{16}$")
CADASTRAL_CODE = re.compile(r"^[A-Z][0-9]{3}$")
# The CSV's "Tipo Comunicazione" → the communication kind (TRS: the transformation's own code).
CSV_KINDS = {"ASS": "ASS", "PRO": "PRO", "CES": "CES", "TRS": None}


@dataclass
class ParsedCommunication:
    code: str
    kind: str  # UnilavCommunicationType code
    worker_fiscal_code: str
    employer_tax_code: str
    employer_name: str
    event_date: datetime.date
    start_date: datetime.date | None
    end_date: datetime.date | None
    contract_code: str
    workplace_comune: str
    previous_code: str = ""
    where: str = ""  # "file, line n": for messages


@dataclass
class ParsedBatch:
    file_name: str
    file_format: str  # "xml", "zip" or "csv"
    digest: str
    communications: list[ParsedCommunication] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)  # the file is refused
    invalid: list[RowError] = field(default_factory=list)  # communications set aside

    @property
    def ok(self) -> bool:
        return not self.errors


def masked(code: str) -> str:
    return f"{code[:3]}{'*' * max(len(code) - 4, 0)}{code[-1:]}" if code else ""


def file_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _date(text: str) -> datetime.date | None:
    text = (text or "").strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text[:10], pattern).date()  # noqa: DTZ007 - a date
        except ValueError:
            continue
    return None


class _Reader:
    """Checks shared by the XML and CSV readers; collects errors with their place."""

    def __init__(self, batch: ParsedBatch):
        self.batch = batch
        self.contracts = dict(UnilavContractType.objects.values_list("code", "category"))
        self.kinds = dict(UnilavCommunicationType.objects.values_list("code", "event"))
        self.seen: set[str] = set()

    def error(self, line: int, where: str, message: str) -> None:
        self.batch.errors.append(RowError(line, where, message))

    def check(self, item: ParsedCommunication, line: int, names: dict[str, str]) -> bool:
        """Validate ``item`` (``names``: field → element or column as in the file)."""
        before = len(self.batch.errors)
        if not COMMUNICATION_CODE.match(item.code):
            self.error(line, names["code"], _("A communication code has 16 letters or digits."))
        elif item.code in self.seen:
            self.error(line, names["code"], _("This communication is twice in the file."))
        self.seen.add(item.code)
        if item.kind not in self.kinds:
            self.error(
                line,
                names["kind"],
                _("%(code)s is not a communication or transformation kind of the model.")
                % {"code": item.kind or "''"},
            )
        if not item.employer_name:
            self.error(line, names["employer_name"], _("The employer's name is missing."))
        try:
            validate_company_tax_code(item.employer_tax_code)
        except ValidationError as exc:
            self.error(line, names["employer_tax_code"], " ".join(exc.messages))
        if not CADASTRAL_CODE.match(item.workplace_comune):
            self.error(
                line,
                names["workplace_comune"],
                _("The workplace comune is its cadastral code, a letter and three digits."),
            )
        if item.contract_code not in self.contracts:
            self.error(
                line,
                names["contract_code"],
                _("%(code)s is not a contract type of the model.")
                % {"code": item.contract_code or "''"},
            )
        elif self.contracts[item.contract_code] == "fixed" and not item.end_date:
            self.error(line, names["end_date"], _("A fixed-term contract needs its end date."))
        if item.start_date and item.end_date and item.end_date < item.start_date:
            self.error(line, names["end_date"], _("The contract ends before it starts."))
        if len(self.batch.errors) > before:
            return False
        try:
            validate_fiscal_code(item.worker_fiscal_code)
        except ValidationError:
            self.batch.invalid.append(
                RowError(
                    line,
                    names["worker_fiscal_code"],
                    _("%(code)s is not a valid fiscal code: this communication is set aside.")
                    % {"code": masked(item.worker_fiscal_code)},
                )
            )
            return False
        return True


def _child(element, *path):
    for name in path:
        if element is None:
            return None
        found = element.find(f"{{{NAMESPACE}}}{name}")
        element = found if found is not None else element.find(name)
    return element


def _text(element) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


def _line_of(raw: bytes, tag: str) -> int:
    position = raw.find(f"<{tag}".encode())
    if position < 0:
        position = raw.find(f":{tag}".encode())
    return raw.count(b"\n", 0, position) + 1 if position >= 0 else 1


def _read_xml(reader: _Reader, raw: bytes, name: str) -> None:
    root = parse_xml(raw, name=name)
    if root.tag != f"{{{NAMESPACE}}}UniLav":
        reader.error(
            1,
            f"{name}: UniLav",
            _("The document is not a UNILAV communication (root UniLav in namespace %(ns)s).")
            % {"ns": NAMESPACE},
        )
        return

    def where(tag: str) -> str:
        return f"{name}: {tag}"

    def required(element, tag: str, attribute: str | None = None) -> str:
        if element is None:
            reader.error(_line_of(raw, tag), where(tag), _("The element is missing."))
            return ""
        value = (element.get(attribute) or "").strip() if attribute else _text(element)
        if not value:
            label = f"{tag}@{attribute}" if attribute else tag
            reader.error(_line_of(raw, tag), where(label), _("The value is missing."))
        return value

    def date(element, tag: str, attribute: str, *, optional=False) -> datetime.date | None:
        text = (element.get(attribute) or "").strip() if element is not None else ""
        if not text:
            if not optional:
                required(element, tag, attribute)
            return None
        value = _date(text)
        if value is None:
            reader.error(
                _line_of(raw, tag),
                where(f"{tag}@{attribute}"),
                _("%(value)s is not a date (YYYY-MM-DD).") % {"value": text[:20]},
            )
        return value

    before = len(reader.batch.errors)
    code = required(root, "UniLav", "codiceComunicazione")
    employer = _child(root, "DatoreLavoro")
    employer_tax_code = normalise_tax_code(required(employer, "DatoreLavoro", "codiceFiscale"))
    employer_name = (employer.get("denominazione") or "").strip() if employer is not None else ""
    comune = required(_child(employer, "SedeLavoro", "Comune"), "Comune")
    worker = required(
        _child(root, "Lavoratore", "AnagraficaCompleta", "codice-fiscale"), "codice-fiscale"
    )
    contract = _child(root, "InizioRapporto")
    contract_code = required(contract, "InizioRapporto", "TipologiaContrattuale")
    start = date(contract, "InizioRapporto", "dataInizio")
    end = date(contract, "InizioRapporto", "dataFine", optional=True)
    kind, event_date, kind_where = "ASS", start, where("InizioRapporto")
    sections = [
        (tag, element)
        for tag in ("Proroga", "Trasformazione", "Cessazione")
        if (element := _child(root, tag)) is not None
    ]
    if len(sections) > 1:
        reader.error(
            _line_of(raw, sections[1][0]),
            where(sections[1][0]),
            _("A communication tells one event: %(tags)s are both here.")
            % {"tags": ", ".join(tag for tag, _e in sections)},
        )
    elif sections:
        tag, element = sections[0]
        kind_where = where(tag)
        if tag == "Proroga":
            kind, event_date = "PRO", date(element, tag, "dataFineProroga")
        elif tag == "Cessazione":
            kind, event_date = "CES", date(element, tag, "dataCessazione")
        else:
            kind = required(element, tag, "codiceTrasformazione").upper()
            event_date = date(element, tag, "dataTrasformazione")
            if kind and reader.kinds.get(kind) != CommunicationEvent.TRANSFORMATION:
                reader.error(
                    _line_of(raw, tag),
                    where(f"{tag}@codiceTrasformazione"),
                    _("%(code)s is not a transformation code of the model.") % {"code": kind},
                )
                return
    if len(reader.batch.errors) > before or event_date is None:
        return
    item = ParsedCommunication(
        code=code.upper(),
        kind=kind,
        worker_fiscal_code=normalise_tax_code(worker),
        employer_tax_code=employer_tax_code,
        employer_name=employer_name,
        event_date=event_date,
        start_date=start,
        end_date=end,
        contract_code=contract_code.upper(),
        workplace_comune=comune.upper(),
        previous_code=(root.get("codiceComunicazionePrecedente") or "").strip().upper(),
        where=name,
    )
    names = {
        "code": where("UniLav@codiceComunicazione"),
        "kind": kind_where,
        "employer_name": where("DatoreLavoro@denominazione"),
        "employer_tax_code": where("DatoreLavoro@codiceFiscale"),
        "workplace_comune": where("SedeLavoro/Comune"),
        "contract_code": where("InizioRapporto@TipologiaContrattuale"),
        "end_date": where("InizioRapporto@dataFine"),
        "worker_fiscal_code": where("codice-fiscale"),
    }
    if reader.check(item, 1, names):
        reader.batch.communications.append(item)


CSV_HEADERS = {
    "code": ("Codice Comunicazione",),
    "kind": ("Tipo Comunicazione",),
    "transformation": ("Codice Trasformazione",),
    "event_date": ("Data Evento",),
    "worker_fiscal_code": ("Codice Fiscale Lavoratore",),
    "employer_tax_code": ("Codice Fiscale Datore di Lavoro",),
    "employer_name": ("Denominazione Datore di Lavoro",),
    "workplace_comune": ("Codice Comune Sede Lavoro",),
    "start_date": ("Data Inizio rapporto di lavoro",),
    "end_date": ("Data Fine rapporto di lavoro",),
    "contract_code": ("Tipologia Contrattuale",),
    "previous_code": ("Codice comunicazione precedente",),
}
CSV_COLUMNS = Columns(
    synonyms=CSV_HEADERS,
    required=(
        "code",
        "kind",
        "worker_fiscal_code",
        "employer_tax_code",
        "employer_name",
        "workplace_comune",
        "start_date",
        "contract_code",
    ),
    labels={key: names[0] for key, names in CSV_HEADERS.items()},
    search_rows=1,
    min_known=3,
)


def _read_csv(reader: _Reader, raw: bytes, name: str) -> None:
    table_import = TableImport(filename=name)
    try:
        table = read_table(raw, CSV_COLUMNS, table_import)
    except FileRefused as exc:
        reader.batch.errors.append(exc.error)
        return
    columns = map_header(table, CSV_COLUMNS, table_import)
    if table_import.errors:
        reader.batch.errors.extend(table_import.errors)
        return
    headers = dict(CSV_COLUMNS.labels)

    for line, cells in table.rows:
        if not any(cell_text(c) for c in cells):
            continue

        def value(key: str, cells=cells) -> str:
            index = columns.get(key)
            return cell_text(cells[index]) if index is not None and index < len(cells) else ""

        def day(key: str, line=line) -> datetime.date | None:
            text = value(key)
            if not text:
                return None
            parsed = _date(text)
            if parsed is None:
                reader.error(
                    line,
                    headers[key],
                    _("%(value)s is not a date (YYYY-MM-DD or DD/MM/YYYY).") % {"value": text[:20]},
                )
            return parsed

        before = len(reader.batch.errors)
        csv_kind = value("kind").upper()
        kind = CSV_KINDS.get(csv_kind, csv_kind)
        if csv_kind == "TRS":
            kind = value("transformation").upper()
            if reader.kinds.get(kind) != CommunicationEvent.TRANSFORMATION:
                reader.error(
                    line,
                    headers["transformation"],
                    _("%(code)s is not a transformation code of the model.")
                    % {"code": kind or "''"},
                )
        elif csv_kind not in CSV_KINDS:
            reader.error(
                line,
                headers["kind"],
                _("%(code)s: the kind is ASS, PRO, TRS or CES.") % {"code": csv_kind or "''"},
            )
        start, end = day("start_date"), day("end_date")
        if not value("start_date"):
            reader.error(line, headers["start_date"], _("The value is missing."))
        event_date = start if csv_kind == "ASS" else day("event_date")
        if csv_kind in ("PRO", "TRS", "CES") and not value("event_date"):
            reader.error(line, headers["event_date"], _("The value is missing."))
        if len(reader.batch.errors) > before or event_date is None:
            continue
        item = ParsedCommunication(
            code=value("code").upper(),
            kind=kind,
            worker_fiscal_code=normalise_tax_code(value("worker_fiscal_code")),
            employer_tax_code=normalise_tax_code(value("employer_tax_code")),
            employer_name=value("employer_name"),
            event_date=event_date,
            start_date=start,
            end_date=end,
            contract_code=value("contract_code").upper(),
            workplace_comune=value("workplace_comune").upper(),
            previous_code=value("previous_code").upper(),
            where=name,
        )
        if reader.check(item, line, headers):
            reader.batch.communications.append(item)


def read_communications(raw: bytes, file_name: str) -> ParsedBatch:
    """Every communication of an uploaded file (XML, ZIP of XML documents, or CSV), or its
    errors. Hostile files raise ``UploadRefused`` (from the upload guard) before any reading."""
    lower = file_name.lower()
    is_zip = raw.startswith(b"PK")
    if lower.endswith(".zip") or (is_zip and not lower.endswith((".csv", ".txt"))):
        file_format = "zip"
    elif lower.endswith(".xml"):
        file_format = "xml"
    elif lower.endswith((".csv", ".txt")):
        file_format = "csv"
    else:
        raise UploadRefused(
            _("%(name)s: only .xml, .zip and .csv files are accepted.") % {"name": file_name},
            line=1,
        )
    batch = ParsedBatch(file_name=file_name, file_format=file_format, digest=file_digest(raw))
    reader = _Reader(batch)
    if file_format == "zip":
        members = zip_members(raw, name=file_name, suffixes=(".xml",))
        if not members:
            batch.errors.append(RowError(1, None, _("The archive holds no .xml communication.")))
        for member, data in members:
            _read_xml(reader, data, member)
    elif file_format == "xml":
        _read_xml(reader, raw, file_name)
    else:
        _read_csv(reader, raw, file_name)
    if not batch.communications and not batch.errors and not batch.invalid:
        batch.errors.append(RowError(1, None, _("The file holds no communication.")))
    return batch


# ---------------------------------------------------------------------------------------
# Writing: the samples, the demo and the tests build files of the same shape.


def communication_xml(
    item: ParsedCommunication, *, worker_name: tuple[str, str] = ("", "")
) -> bytes:
    """A UNILAV document holding ``item`` (the elements this module reads, and the worker's
    name as the model carries it)."""
    from xml.sax.saxutils import quoteattr

    def attrs(**values) -> str:
        return "".join(f" {k}={quoteattr(str(v))}" for k, v in values.items() if v)

    start = item.start_date.isoformat() if item.start_date else ""
    end = item.end_date.isoformat() if item.end_date else ""
    event = item.event_date.isoformat()
    kinds = {"ASS": "", "PRO": "Proroga", "CES": "Cessazione"}
    section = kinds.get(item.kind, "Trasformazione")
    last, first = worker_name
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<UniLav xmlns="{NAMESPACE}"'
        + attrs(
            codiceComunicazione=item.code,
            codiceComunicazionePrecedente=item.previous_code,
            versione="CO160201R1",
        )
        + ">",
        "  <DatoreLavoro"
        + attrs(codiceFiscale=item.employer_tax_code, denominazione=item.employer_name)
        + ">",
        f"    <SedeLavoro><Comune>{item.workplace_comune}</Comune></SedeLavoro>",
        "  </DatoreLavoro>",
        "  <Lavoratore>",
        "    <AnagraficaCompleta>",
        f"      <cognome>{last}</cognome><nome>{first}</nome>",
        f"      <codice-fiscale>{item.worker_fiscal_code}</codice-fiscale>",
        "    </AnagraficaCompleta>",
        "  </Lavoratore>",
        "  <InizioRapporto"
        + attrs(dataInizio=start, dataFine=end, TipologiaContrattuale=item.contract_code)
        + "/>",
    ]
    if section == "Proroga":
        lines.append(f'  <Proroga dataFineProroga="{event}"/>')
    elif section == "Cessazione":
        lines.append(f'  <Cessazione dataCessazione="{event}"/>')
    elif section:
        lines.append(
            f'  <Trasformazione dataTrasformazione="{event}" codiceTrasformazione="{item.kind}"/>'
        )
    lines.append("</UniLav>")
    return ("\n".join(lines) + "\n").encode()


def communications_csv(items: list[ParsedCommunication]) -> bytes:
    """The CSV extract of ``items`` (the columns the reader documents, ``;``-separated)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow([names[0] for names in CSV_HEADERS.values()])
    for item in items:
        transformation = item.kind not in CSV_KINDS
        writer.writerow(
            [
                item.code,
                "TRS" if transformation else item.kind,
                item.kind if transformation else "",
                item.event_date.isoformat(),
                item.worker_fiscal_code,
                item.employer_tax_code,
                item.employer_name,
                item.workplace_comune,
                item.start_date.isoformat() if item.start_date else "",
                item.end_date.isoformat() if item.end_date else "",
                item.contract_code,
                item.previous_code,
            ]
        )
    return out.getvalue().encode()
