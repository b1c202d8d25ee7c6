"""Worker lists as companies send them (§3): CSV or XLSX, Italian headers, mapped by name.

Like the procedures interchange: every row is checked, every problem is reported with the
line the user sees in the file and the column as headed in the file, and the database is
touched only when the whole file is clean, in one transaction. Importing the same file
twice changes nothing the second time.

Nothing is guessed: a column is mapped only by a known name or synonym, two columns meaning
the same thing are an error, an identity that differs from the stored worker is an error,
and hours that are not a whole percentage are an error rather than rounded.
"""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.validators import validate_company_tax_code
from crisi_portal import webhooks
from crisi_portal.history import bulk_create_recorded
from crisi_portal.identifiers import decode_fiscal_code, normalise_tax_code, validate_fiscal_code
from crisi_portal.imports import (
    Columns,
    FileRefused,
    PercentCell,
    RowError,
    Table,
    TableImport,
    cell_text,
    map_header,
    normalise_header,
    read_table,
    warnings_digest,
)
from crisi_portal.models import WebhookEvent
from crisi_portal.scoping import may_act_in
from crisi_portal.services import save_validated
from crisi_portal.upload_guard import MAX_ROWS, check_bytes
from workers.columns import COLUMN_SYNONYMS, FIELD_LABELS, NAME_FIELDS, REQUIRED_FIELDS
from workers.enums import IncomeSupport, Sex, Step
from workers.models import Cohort, Involvement, MoveKind, StepTransition, Worker
from workers.profiles import ProfileFormat
from workers.reference import CitizenshipMatcher, education_level_of
from workers.services import cohort_create, involvement_create, involvement_update

__all__ = [
    "COLUMN_SYNONYMS",
    "MAX_ROWS",
    "REQUIRED_FIELDS",
    "RowError",
    "WorkerChange",
    "WorkerImportResult",
    "import_workers",
]

MAX_LENGTHS = {
    "full_name": 201,
    "last_name": 100,
    "first_name": 100,
    "citizenship": 60,
    "education_level": 100,
    "phone": 30,
    "cohort": 120,
}
# Filled on a stored worker only where blank; citizenship_country_id and education_level are
# what workers.reference maps the file's citizenship and education to.
CONTACT_FIELDS = (
    "citizenship",
    "citizenship_country_id",
    "education_level",
    "email",
    "phone",
)
INVOLVEMENT_FIELDS = ("income_support", "hours_reduction_pct", "period_start", "period_end")


# "Cognome e nome" stands for both columns (map_header asks for one or the other).
COLUMNS = Columns(
    COLUMN_SYNONYMS,
    REQUIRED_FIELDS,
    FIELD_LABELS,
    instead={"last_name": "full_name", "first_name": "full_name"},
)


def _accepted_income_support() -> dict[str, str]:
    accepted = {}
    for choice in IncomeSupport:
        accepted[normalise_header(choice.value)] = choice.value
        accepted[normalise_header(str(choice.label))] = choice.value
    accepted.update(
        {
            "solidarieta": IncomeSupport.SOLIDARIETA,
            "contratto di solidarieta": IncomeSupport.SOLIDARIETA,
            "contratti di solidarieta": IncomeSupport.SOLIDARIETA,
            "mobilita": IncomeSupport.MOBILITA,
            "altro": IncomeSupport.ALTRO,
            # Spelled out as companies write them (the eligibility rules read the kind).
            "cassa integrazione straordinaria": IncomeSupport.CIGS,
            "cassa integrazione guadagni straordinaria": IncomeSupport.CIGS,
            "cassa integrazione ordinaria": IncomeSupport.CIGO,
            "cassa integrazione guadagni ordinaria": IncomeSupport.CIGO,
            "fondo di integrazione salariale": IncomeSupport.FIS,
            "assegno di integrazione salariale": IncomeSupport.FIS,
            "indennita di mobilita": IncomeSupport.MOBILITA,
            "indennita di disoccupazione": IncomeSupport.NASPI,
            "disoccupazione": IncomeSupport.NASPI,
        }
    )
    return accepted


SEX_VALUES = {"m": Sex.M, "maschio": Sex.M, "f": Sex.F, "femmina": Sex.F}


# ---------------------------------------------------------------------------------------
# Result


@dataclass
class WorkerChange:
    """What importing one row does to the worker's involvement in the procedure."""

    line: int
    action: str  # "create", "update" or "unchanged"
    fiscal_code: str
    worker: str  # "Fumagalli Chiara"
    unit: str  # str(unit): "Stabilimento di Dalmine (BG)"
    new_worker: bool = False
    cohort: str = ""
    changed_fields: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "action": self.action,
            "fiscal_code": self.fiscal_code,
            "worker": self.worker,
            "unit": self.unit,
            "new_worker": self.new_worker,
            "cohort": self.cohort,
            "changed_fields": list(self.changed_fields),
            "notes": list(self.notes),
        }


@dataclass
class WorkerImportResult(TableImport):
    changes: list[WorkerChange] = field(default_factory=list)
    new_cohorts: list[str] = field(default_factory=list)
    profile: str = ""  # the import profile's slug ("": columns recognised by their names)
    procedure: Any = None  # the procedure imported into

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    def summary(self) -> dict[str, int]:
        return {
            "rows": len(self.changes),
            "create": self.count("create"),
            "update": self.count("update"),
            "unchanged": self.count("unchanged"),
            "new_workers": sum(1 for c in self.changes if c.new_worker),
            "new_cohorts": len(self.new_cohorts),
            "errors": len(self.errors),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "ok": self.ok,
            "filename": self.filename,
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "sheet": self.sheet,
            "header_line": self.header_line,
            "mapping": [{"column": column, "field": name} for column, name in self.mapping],
            "ignored_columns": list(self.ignored_columns),
            "missing_optional": list(self.missing_optional),
            "summary": self.summary(),
            "new_cohorts": list(self.new_cohorts),
            "changes": [c.as_dict() for c in self.changes],
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
        }


# ---------------------------------------------------------------------------------------
# Values


def proper_case(value: str) -> str:
    """Names written all in capitals (or all in lower case) → 'Fumagalli', 'De Luca',
    "D'Angelo", 'Nicolò'. Names already in mixed case are kept as written ('McDonald').
    """
    value = " ".join(value.split())
    if value not in (value.upper(), value.lower()):
        return value
    return re.sub(r"[^\W\d_]+", lambda m: m.group(0)[:1].upper() + m.group(0)[1:].lower(), value)


def _parse_date(value: Any, formats: tuple[tuple[str, str], ...] | None = None) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if formats is not None:
        return _parse_profile_date(text, formats)
    formats = ((r"\d{1,2}/\d{1,2}/\d{4}", "%d/%m/%Y"), (r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d"))
    for pattern, fmt in formats:
        if re.fullmatch(pattern, text):
            try:
                return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
            except ValueError as exc:
                raise ValueError(
                    _("%(value)s is not a date of the calendar.") % {"value": text}
                ) from exc
    # Also a time part from spreadsheets saved as text: "03/03/2025 00:00:00".
    match = re.fullmatch(r"(\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2})[ T]00:00(:00)?", text)
    if match:
        return _parse_date(match.group(1))
    raise ValueError(
        _("'%(value)s' is not a date: write dd/mm/yyyy (e.g. 03/03/2025).") % {"value": text}
    )


def _parse_profile_date(text: str, formats: tuple[tuple[str, str], ...]) -> date:
    """A date in one of a profile's formats (a time of midnight after it is dropped)."""
    day = re.sub(r"[ T]00:00(:00)?$", "", text)
    for _written, fmt in formats:
        try:
            return datetime.strptime(day, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise ValueError(
        _("'%(value)s' is not a date in this list's format: write %(formats)s.")
        % {"value": text, "formats": _(" or ").join(written for written, _fmt in formats)}
    )


def _parse_hours(
    value: Any, *, decimal: str = ",", fraction: bool = False, strict: bool = False
) -> int:
    """A whole percentage from 0 to 100. ``fraction``: the cell writes 0.3 for 30%
    (a cell formatted as a percentage is read as such whatever the profile says)."""
    scale = 100 if fraction else 1
    if isinstance(value, PercentCell):
        number = round(value.value * 100, 6)
        shown = str(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number, shown = round(float(value) * scale, 6), cell_text(value)
    else:
        shown = cell_text(value)
        text = shown.removesuffix("%").strip()
        percent_sign = text != shown
        if strict and decimal == "," and "." in text:
            text = "?"  # a profile writing decimals with ',' has no '.' (a thousands separator)
        text = text.replace(decimal, ".") if decimal == "," else text
        if not re.fullmatch(r"\d+(\.\d+)?", text):
            if fraction:
                raise ValueError(
                    _("'%(value)s' is not a fraction: write a number from 0 to 1 (e.g. 0%(d)s3).")
                    % {"value": shown, "d": decimal}
                )
            raise ValueError(
                _("'%(value)s' is not a percentage: write a whole number from 0 to 100.")
                % {"value": shown}
            )
        number = round(float(text) * (1 if percent_sign else scale), 6)
    if not number.is_integer():
        raise ValueError(
            _("'%(value)s' is not a whole percentage: write a whole number from 0 to 100.")
            % {"value": shown}
        )
    if not 0 <= number <= 100:
        raise ValueError(_("%(value)s is not between 0 and 100.") % {"value": shown})
    return int(number)


def _fiscal_code_letters(text: str, *, first_name: bool = False) -> str:
    """The three letters a fiscal code takes from a last name (or a first name): its
    consonants, then its vowels, then X; a first name with four consonants or more gives its
    first, third and fourth consonant."""
    plain = unicodedata.normalize("NFKD", text.upper())
    letters = [c for c in plain if "A" <= c <= "Z"]
    consonants = [c for c in letters if c not in "AEIOU"]
    vowels = [c for c in letters if c in "AEIOU"]
    if first_name and len(consonants) >= 4:
        consonants = [consonants[0], consonants[2], consonants[3]]
    return "".join([*consonants, *vowels, "X", "X", "X"])[:3]


def split_full_name(text: str, fiscal_code: str) -> tuple[str, str] | None:
    """'DE LUCA MARIA GRAZIA' → ('DE LUCA', 'MARIA GRAZIA'): the one split of the words
    (last name first, else first name first) whose letters are those of ``fiscal_code``;
    None when no split, or more than one, fits."""
    words = text.split()
    splits = [(words[:i], words[i:]) for i in range(1, len(words))]
    for order in (splits, [(last, first) for first, last in splits]):
        fits = {
            (" ".join(last), " ".join(first))
            for last, first in order
            if _fiscal_code_letters(" ".join(last)) == fiscal_code[:3]
            and _fiscal_code_letters(" ".join(first), first_name=True) == fiscal_code[3:6]
        }
        if len(fits) == 1:
            return fits.pop()
        if fits:
            return None
    return None


@dataclass
class _Row:
    line: int
    values: dict[str, Any]  # cleaned values of the fields present and not blank
    unit: Any = None
    # Fields the file does not have, read from the fiscal code (birth date, sex): used for a
    # new worker, never compared with a stored one (the code gives two digits of the year).
    decoded: frozenset[str] = frozenset()


class _RowParser:
    def __init__(
        self,
        table: Table,
        columns: dict[str, int],
        result: WorkerImportResult,
        fmt: ProfileFormat | None = None,
    ):
        self.table = table
        self.columns = columns
        self.result = result
        self.fmt = fmt
        self.income_support = _accepted_income_support()
        self._citizenships: CitizenshipMatcher | None = None

    @property
    def citizenships(self) -> CitizenshipMatcher:
        if self._citizenships is None:  # one query, and only for a file with the column
            self._citizenships = CitizenshipMatcher()
        return self._citizenships

    def column(self, name: str) -> str:
        index = self.columns.get(name)
        if index is not None:
            return self.table.header[index]
        return COLUMN_SYNONYMS.get(name, (name,))[0]

    def error(self, line: int, name: str | None, message: str) -> None:
        self.result.errors.append(RowError(line, self.column(name) if name else None, str(message)))

    def warn(self, line: int, name: str | None, message: str) -> None:
        self.result.warnings.append(
            RowError(line, self.column(name) if name else None, str(message))
        )

    def rows(self) -> Iterator[_Row]:
        width = len(self.table.header)
        for line, cells in self.table.rows:  # at most MAX_ROWS non-blank: capped when read
            if not any(cell_text(c) for c in cells):
                continue
            extra = [c for c in cells[width:] if cell_text(c)]
            if extra:
                self.error(
                    line,
                    None,
                    _("This row has values beyond the last column of the header: %(v)s")
                    % {"v": ", ".join(cell_text(c) for c in extra)},
                )
                continue
            for index, header in enumerate(self.table.header):
                if not header and index < len(cells) and cell_text(cells[index]):
                    label = _("(unnamed column %(n)d)") % {"n": index + 1}
                    if label not in self.result.ignored_columns:
                        self.result.ignored_columns.append(label)
            row = self.parse(line, cells)
            if row is not None:
                yield row

    def parse(self, line: int, cells: list[Any]) -> _Row | None:
        raw: dict[str, Any] = {}
        for name, index in self.columns.items():
            value = cells[index] if index < len(cells) else None
            if cell_text(value):
                raw[name] = value
        errors_before = len(self.result.errors)
        values: dict[str, Any] = {}
        by_full_name = "last_name" not in self.columns or "first_name" not in self.columns
        required: tuple[str, ...] = REQUIRED_FIELDS
        if self.fmt is not None:
            # A profile's list has the required fields it maps (an INPS extract has no names,
            # no birth date) and the company's tax code when it maps it.
            required = tuple(n for n in (*REQUIRED_FIELDS, "company_tax_code") if n in self.columns)
        for name in required:
            if name in NAME_FIELDS and by_full_name:
                continue
            if name not in raw:
                self.error(line, name, _("Required: this cell is empty."))
        if (
            by_full_name
            and (self.fmt is None or "full_name" in self.columns)
            and "full_name" not in raw
        ):
            self.error(line, "full_name", _("Required: this cell is empty."))
        for name, value in raw.items():
            try:
                values[name] = self.clean(name, value)
            except ValueError as exc:
                self.error(line, name, str(exc))
            except ValidationError as exc:
                for message in exc.messages:
                    self.error(line, name, message)
        full_name = values.pop("full_name", None)
        if by_full_name and full_name and values.get("fiscal_code"):
            names = split_full_name(full_name, values["fiscal_code"])
            if names is None:
                self.error(
                    line,
                    "full_name",
                    _(
                        "'%(v)s' cannot be split into last and first name by the fiscal code: "
                        "put them in two columns, Cognome and Nome."
                    )
                    % {"v": full_name},
                )
            else:
                values["last_name"], values["first_name"] = (proper_case(n) for n in names)
        self.check_against_fiscal_code(line, values)
        decoded = self.complete_from_profile(values)
        self.map_reference(line, values)
        start, end = values.get("period_start"), values.get("period_end")
        if start and end and end < start:
            self.error(line, "period_end", _("The end of the period precedes its start."))
        if len(self.result.errors) > errors_before:
            return None
        return _Row(line, values, decoded=decoded)

    def complete_from_profile(self, values: dict[str, Any]) -> frozenset[str]:
        """A profile's list: the income support it fixes, and the birth date and sex it does
        not have, read from the fiscal code. Returns the fields read from the code."""
        if self.fmt is None:
            return frozenset()
        if self.fmt.income_support and "income_support" not in values:
            values["income_support"] = self.fmt.income_support
        code = values.get("fiscal_code")
        if not code or ("birth_date" in values and "sex" in values):
            return frozenset()
        try:
            birth, sex = decode_fiscal_code(code)
        except ValueError:
            return frozenset()  # reported by validate_fiscal_code
        decoded = set()
        if "birth_date" not in values:
            values["birth_date"] = birth.date()
            decoded.add("birth_date")
        if "sex" not in values:
            values["sex"] = sex
            decoded.add("sex")
        return frozenset(decoded)

    def clean(self, name: str, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            # PostgreSQL cannot store it (a 500 before this check); Django's forms refuse it too.
            raise ValueError(_("Null characters are not allowed."))
        if name in ("birth_date", "period_start", "period_end"):
            parsed = _parse_date(value, self.fmt.date_formats if self.fmt else None)
            if name == "birth_date" and parsed > timezone.localdate():
                raise ValueError(_("A birth date cannot be in the future."))
            return parsed
        if name == "hours_reduction_pct":
            if self.fmt is not None:
                return _parse_hours(
                    value, decimal=self.fmt.decimal, fraction=self.fmt.hours_fraction, strict=True
                )
            return _parse_hours(value)
        text = cell_text(value)
        if name in MAX_LENGTHS and len(text) > MAX_LENGTHS[name]:
            raise ValueError(
                _("At most %(n)d characters (this has %(m)d).")
                % {"n": MAX_LENGTHS[name], "m": len(text)}
            )
        if name == "fiscal_code":
            code = normalise_tax_code(text)
            validate_fiscal_code(code)
            return code
        if name == "company_tax_code":
            code = normalise_tax_code(text)
            validate_company_tax_code(code)
            return code
        if name in ("last_name", "first_name"):
            return proper_case(text)
        if name == "sex":
            sex = SEX_VALUES.get(normalise_header(text))
            if sex is None:
                raise ValueError(_("'%(v)s' is not a sex: write M or F.") % {"v": text})
            return sex
        if name == "income_support":
            code = self.income_support.get(normalise_header(text))
            if code is None:
                accepted = ", ".join(f"{c.label} ({c.value})" for c in IncomeSupport)
                raise ValueError(
                    _("'%(v)s' is not a known income support; accepted: %(accepted)s.")
                    % {"v": text, "accepted": accepted}
                )
            return code
        if name == "email":
            validate_email(text)
            return text.lower()
        return text

    def map_reference(self, line: int, values: dict[str, Any]) -> None:
        """The citizenship's country and the education level; what is not recognised is
        warned on its line, the citizenship's text kept as written (no country: "unknown")."""
        citizenship = values.get("citizenship")
        if citizenship:
            code = self.citizenships.match(citizenship)
            if code:
                values["citizenship_country_id"] = code
            else:
                self.warn(
                    line,
                    "citizenship",
                    _(
                        "'%(v)s' is not a citizenship we recognise (a country's name, ISTAT or "
                        "ISO code, or e.g. 'italiana'): kept as written, with no country."
                    )
                    % {"v": citizenship},
                )
        education = values.pop("education_level", None)
        if education:
            level = education_level_of(education)
            if level:
                values["education_level"] = level
            else:
                self.warn(
                    line,
                    "education_level",
                    _(
                        "'%(v)s' is not an education level we recognise (e.g. licenza media, "
                        "qualifica professionale, diploma, laurea triennale): left empty."
                    )
                    % {"v": education},
                )

    def check_against_fiscal_code(self, line: int, values: dict[str, Any]) -> None:
        code = values.get("fiscal_code")
        if not code:
            return
        try:
            birth, sex = decode_fiscal_code(code)
        except ValueError:
            return  # already reported by validate_fiscal_code
        born = birth.date()
        birth_date = values.get("birth_date")
        # The code holds only two digits of the year: compare those, not the guessed century.
        if birth_date and (born.day, born.month, born.year % 100) != (
            birth_date.day,
            birth_date.month,
            birth_date.year % 100,
        ):
            self.error(
                line,
                "birth_date",
                _("The fiscal code %(code)s says born on %(cf)s, the file says %(file)s.")
                % {
                    "code": code,
                    "cf": born.strftime("%d/%m/%y"),
                    "file": birth_date.strftime("%d/%m/%Y"),
                },
            )
        if values.get("sex") and sex and values["sex"] != sex:
            self.error(
                line,
                "sex",
                _("The fiscal code %(code)s is of a person of sex %(cf)s, the file says %(file)s.")
                % {"code": code, "cf": sex, "file": values["sex"]},
            )


# ---------------------------------------------------------------------------------------
# Planning against the database


def _fold(value: str) -> str:
    return " ".join(value.split()).casefold()


def _words(value: str) -> str:
    """' Stabilimento di  Dalmine (BG)' → ' stabilimento di dalmine bg ': words between spaces,
    accents and punctuation gone, to find a comune's name as whole words in a text."""
    text = "".join(c if c.isalnum() else " " for c in normalise_header(value))
    return f" {' '.join(text.split())} "


class _UnitMatcher:
    def __init__(self, procedure):
        self.procedure = procedure
        self.units = list(procedure.units.select_related("province").order_by("id"))
        self.by_external_id = {u.external_id: u for u in self.units}
        self.by_name: dict[str, list] = {}
        self.by_comune: dict[str, list] = {}
        self.by_comune_words: dict[str, list] = {}
        for unit in self.units:
            if unit.name:
                self.by_name.setdefault(_fold(unit.name), []).append(unit)
            self.by_comune.setdefault(_fold(unit.comune), []).append(unit)
            if _words(unit.comune).strip():
                self.by_comune_words.setdefault(_words(unit.comune), []).append(unit)
        self.matched: dict[str, tuple[Any, str | None]] = {}  # a file names its units often

    def match(self, text: str):
        """The unit named by ``text``, or a message saying why there is none."""
        if text not in self.matched:
            self.matched[text] = self._match(text)
        return self.matched[text]

    def _match(self, text: str):
        if text in self.by_external_id:
            return self.by_external_id[text], None
        named = self.by_name.get(_fold(text), [])
        if len(named) == 1:
            return named[0], None
        if not named:
            named = self.by_comune.get(_fold(text), [])
            if len(named) == 1:
                return named[0], None
        if not named:
            # "Stabilimento di Dalmine" for the unit in Dalmine: the text names one comune of
            # the procedure's units (as whole words), and that comune has one unit.
            words = _words(text)
            named = [
                unit
                for comune, units in self.by_comune_words.items()
                if comune in words
                for unit in units
            ]
            if len(named) == 1:
                return named[0], None
        if named:
            return None, _(
                "'%(v)s' matches %(n)d units of procedure %(p)s: write the unit's identifier "
                "(%(ids)s)."
            ) % {
                "v": text,
                "n": len(named),
                "p": self.procedure.external_id,
                "ids": ", ".join(u.external_id for u in named),
            }
        listing = "; ".join(
            f"{u.name or u.comune} ({u.external_id}, {u.comune} {u.province_id})"
            for u in self.units
        )
        message = _("unit '%(v)s' is not a unit of procedure %(p)s; its units are: %(units)s")
        return None, message % {
            "v": text,
            "p": self.procedure.external_id,
            "units": listing or _("none"),
        }


def _default_cohort_name(unit) -> str:
    return (unit.name or unit.comune).strip()


@dataclass
class _Plan:
    rows: list[_Row]
    workers: dict[str, Worker]
    involvements: dict[int, Involvement]  # worker pk → involvement in the procedure
    cohorts: dict[str, Cohort]  # folded name → cohort
    new_cohorts: dict[str, tuple[str, Any, int]]  # folded name → (name, unit or None, line)
    hidden: set[int]  # stored workers the user may not see: taken in charge, never changed


def _describe(last_name: str, first_name: str, birth_date: date) -> str:
    return f"{last_name} {first_name} " + _("born %(d)s") % {"d": birth_date.strftime("%d/%m/%Y")}


def _plan(procedure, rows: list[_Row], parser: _RowParser, *, user) -> _Plan:
    result = parser.result
    matcher = _UnitMatcher(procedure)
    may_act: dict[str, bool] = {}

    def allowed(province_id: str) -> bool:
        if province_id not in may_act:
            may_act[province_id] = may_act_in(user, province_id)
        return may_act[province_id]

    first_line: dict[str, int] = {}
    clean_rows: list[_Row] = []
    for row in rows:
        code = row.values["fiscal_code"]
        failed = False
        if code in first_line:
            parser.error(
                row.line,
                "fiscal_code",
                _("Fiscal code %(code)s is already at line %(line)d.")
                % {"code": code, "line": first_line[code]},
            )
            failed = True
        else:
            first_line[code] = row.line
        unit, message = matcher.match(cell_text(row.values["unit"]))
        if unit is None:
            parser.error(row.line, "unit", message)
            failed = True
        elif not allowed(unit.province_id):
            parser.error(
                row.line,
                "unit",
                _(
                    "You cannot take in charge workers of unit '%(unit)s' in province "
                    "%(code)s: it is not one of yours."
                )
                % {"unit": unit.name or unit.comune, "code": unit.province_id},
            )
            failed = True
        row.unit = unit
        if not failed:
            clean_rows.append(row)

    workers = {w.fiscal_code: w for w in Worker.objects.filter(fiscal_code__in=list(first_line))}
    # A stored worker the user may not see is, to them, a worker who does not exist: the plan
    # shows the file's own identity, compares nothing with the stored one and changes none of
    # it (the fiscal code is unique, so the import takes that person in charge as they are).
    # Otherwise a list would be an oracle on other provinces' people.
    hidden: set[int] = set()
    if user is not None and workers:
        stored = {w.pk for w in workers.values()}
        hidden = stored - set(
            Worker.objects.visible_to(user).filter(pk__in=stored).values_list("pk", flat=True)
        )
    involvements = {
        i.worker_id: i
        for i in Involvement.objects.filter(
            procedure=procedure, worker__in=list(workers.values())
        ).select_related("unit", "cohort")
    }
    cohorts = {_fold(c.name): c for c in Cohort.objects.filter(procedure=procedure)}
    new_cohorts: dict[str, tuple[str, Any, int]] = {}

    planned: list[_Row] = []
    for row in clean_rows:
        values, unit = row.values, row.unit
        worker = workers.get(values["fiscal_code"])
        known = worker is not None and worker.pk not in hidden
        if known and not _same_identity(worker, row, parser):
            continue
        if not known and "last_name" not in values:
            # A list without names (an INPS extract) updates the workers the user knows; a
            # person not yet in the portal (or one they may not see: the same answer) is not
            # created under a placeholder name that every page, letter and report would show.
            parser.error(
                row.line,
                "fiscal_code",
                _(
                    "No worker of yours has this fiscal code and the list gives no last and "
                    "first name: import the company's list (with names) first, or add them."
                ),
            )
            continue
        company = values.get("company_tax_code")
        if company and company != procedure.company.tax_code:
            parser.error(
                row.line,
                "company_tax_code",
                _(
                    "%(code)s is not the tax code of the company of procedure %(procedure)s "
                    "(%(company)s)."
                )
                % {
                    "code": company,
                    "procedure": procedure.external_id,
                    "company": procedure.company.tax_code,
                },
            )
            continue
        involvement = involvements.get(worker.pk) if worker is not None else None
        if (
            involvement is not None
            and involvement.unit_id != unit.pk
            and not allowed(involvement.unit.province_id)
        ):
            if known:
                message = _(
                    "The worker is in unit '%(unit)s' of province %(code)s, which is not yours."
                ) % {
                    "unit": involvement.unit.name or involvement.unit.comune,
                    "code": involvement.unit.province_id,
                }
            else:
                # The procedure is shared: the only thing said is that another Nucleo of it
                # already has this worker, never who they are nor where.
                message = _(
                    "This worker is already taken in charge in this procedure by another "
                    "Nucleo: ask it to transfer them."
                )
            parser.error(row.line, "unit", message)
            continue
        cohort_name = values.get("cohort") or (
            _default_cohort_name(unit) if involvement is None else ""
        )
        if cohort_name:
            key = _fold(cohort_name)
            if key not in cohorts:
                if key not in new_cohorts:
                    new_cohorts[key] = (cohort_name, unit, row.line)
                elif new_cohorts[key][1] is not None and new_cohorts[key][1] != unit:
                    # One new cohort for workers of several units: it belongs to none.
                    new_cohorts[key] = (new_cohorts[key][0], None, new_cohorts[key][2])
        planned.append(row)
        result.changes.append(_change(row, worker if known else None, involvement, cohort_name))

    for name, unit, line in new_cohorts.values():
        province = unit.province_id if unit is not None else procedure.lead_province_id
        if not allowed(province):
            parser.error(
                line,
                "cohort",
                _("You cannot create cohort '%(name)s' in province %(code)s.")
                % {"name": name, "code": province},
            )
    result.new_cohorts = [name for name, _unit, _line in new_cohorts.values()]
    _warn_outside_period(procedure, planned, parser)
    _warn_over_declared(procedure, planned, workers, involvements, parser)
    result.warnings.sort(key=lambda w: (w.line, w.column or ""))
    return _Plan(planned, workers, involvements, cohorts, new_cohorts, hidden)


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _warn_outside_period(procedure, rows: list[_Row], parser: _RowParser) -> None:
    """A support date outside the procedure's income support period: said, not refused (the
    officer knows whether the list or the procedure is behind)."""
    start, end = procedure.start_date, procedure.end_date
    if end is None:
        period = _("from %(start)s") % {"start": _day(start)}
    else:
        period = _("from %(start)s to %(end)s") % {"start": _day(start), "end": _day(end)}
    for row in rows:
        for name in ("period_start", "period_end"):
            day = row.values.get(name)
            if day is not None and (day < start or (end is not None and day > end)):
                parser.warn(
                    row.line,
                    name,
                    _(
                        "%(day)s is outside the income support period of procedure "
                        "%(procedure)s (%(period)s)."
                    )
                    % {"day": _day(day), "procedure": procedure.external_id, "period": period},
                )


def _warn_over_declared(procedure, rows: list[_Row], workers, involvements, parser) -> None:
    """A unit that would have more workers in the procedure than it declares involved: said on
    the first line past the number declared (a unit declaring none is not checked)."""
    declared = {row.unit.pk: row.unit for row in rows if row.unit.workers_involved}
    if not declared:
        return
    counts = dict(
        Involvement.objects.filter(procedure=procedure, unit__in=list(declared))
        .values("unit")
        .annotate(n=Count("pk"))
        .values_list("unit", "n")
    )
    first_over: dict[int, int] = {}
    for row in rows:
        worker = workers.get(row.values["fiscal_code"])
        involvement = involvements.get(worker.pk) if worker is not None else None
        if involvement is not None and involvement.unit_id == row.unit.pk:
            continue
        if involvement is not None and involvement.unit_id in counts:
            counts[involvement.unit_id] -= 1
        unit = row.unit
        counts[unit.pk] = counts.get(unit.pk, 0) + 1
        if unit.pk in declared and counts[unit.pk] > unit.workers_involved:
            first_over.setdefault(unit.pk, row.line)
    for pk, line in first_over.items():
        unit = declared[pk]
        if counts[pk] <= unit.workers_involved:
            continue  # others move out of it further down the file
        parser.warn(
            line,
            "unit",
            _(
                "Unit '%(unit)s' declares %(declared)d workers involved: with this list it "
                "would have %(count)d (from this line on, more than declared)."
            )
            % {
                "unit": unit.name or unit.comune,
                "declared": unit.workers_involved,
                "count": counts[pk],
            },
        )


def _same_identity(worker: Worker, row: _Row, parser: _RowParser) -> bool:
    values, line = row.values, row.line
    differing = [
        name
        for name in ("last_name", "first_name", "birth_date", "sex")
        # What the list does not say (no names in an INPS extract; the birth date read from
        # the fiscal code) is not compared.
        if name in values
        and name not in row.decoded
        and (
            _fold(getattr(worker, name)) != _fold(values[name])
            if isinstance(values[name], str)
            else getattr(worker, name) != values[name]
        )
    ]
    if not differing:
        return True
    parser.error(
        line,
        differing[0],
        _("fiscal code %(code)s belongs to %(stored)s: the file says %(file)s; not overwritten.")
        % {
            "code": worker.fiscal_code,
            "stored": _describe(worker.last_name, worker.first_name, worker.birth_date)
            + ("" if "sex" not in differing else f" ({worker.sex})"),
            "file": _describe(
                values.get("last_name", worker.last_name),
                values.get("first_name", worker.first_name),
                values.get("birth_date", worker.birth_date),
            )
            + ("" if "sex" not in differing else f" ({values['sex']})"),
        },
    )
    return False


def _worker_fills(worker: Worker, values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Contacts the file adds to a stored worker (blank ones only), and the ones it would change."""
    fills, kept = {}, []
    for name in CONTACT_FIELDS:
        value = values.get(name)
        if not value:
            continue
        stored = getattr(worker, name)
        if not stored:
            fills[name] = value
        elif _fold(stored) != _fold(value):
            kept.append(name)
    return fills, kept


def _involvement_changes(involvement: Involvement, row: _Row, cohort_name: str) -> dict[str, Any]:
    changes = {}
    if involvement.unit_id != row.unit.pk:
        changes["unit"] = row.unit
    for name in INVOLVEMENT_FIELDS:
        if name in row.values and getattr(involvement, name) != row.values[name]:
            changes[name] = row.values[name]
    if cohort_name and (
        involvement.cohort is None or _fold(involvement.cohort.name) != _fold(cohort_name)
    ):
        changes["cohort"] = cohort_name
    return changes


def _change(row: _Row, worker: Worker | None, involvement, cohort_name: str) -> WorkerChange:
    values = row.values
    change = WorkerChange(
        line=row.line,
        action="create",
        fiscal_code=values["fiscal_code"],
        worker=f"{values.get('last_name', '')} {values.get('first_name', '')}".strip(),
        unit=str(row.unit),
        new_worker=worker is None,
        cohort=cohort_name
        or (involvement.cohort.name if involvement is not None and involvement.cohort else ""),
    )
    if worker is not None:
        change.worker = str(worker)
        fills, kept = _worker_fills(worker, values)
        change.changed_fields.extend(n.removesuffix("_id") for n in fills)
        change.notes.extend(
            _("%(field)s differs from the stored one, which is kept.") % {"field": FIELD_LABELS[n]}
            for n in kept
        )
    if involvement is not None:
        change.changed_fields.extend(_involvement_changes(involvement, row, cohort_name))
        change.action = "update" if change.changed_fields else "unchanged"
    return change


# ---------------------------------------------------------------------------------------
# Applying


BATCH_SIZE = 1000
WORKER_FIELDS = ("fiscal_code", "last_name", "first_name", "birth_date", "sex", *CONTACT_FIELDS)


def _report(parser: _RowParser, line: int, exc: Exception) -> None:
    """A refusal met while saving (a race, a rule of the model): reported on its line."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            for message in messages:
                parser.error(line, name if name in COLUMN_SYNONYMS else None, message)
    elif isinstance(exc, ValidationError):
        for message in exc.messages:
            parser.error(line, None, message)
    else:
        parser.error(line, None, str(exc) or _("You may not change this worker's involvement."))


def _apply_in_bulk(procedure, plan: _Plan, pending, cohorts, *, user, reason: str):
    """Save in bulk the rows that take a worker in charge in the procedure without changing a
    stored worker: new workers, then their involvements at STEP_1 and the first moves, each
    model in batches with its history rows (the user and the reason ``save_validated`` records).
    Returns the rows left for the row-by-row path (updates, contacts added to a stored worker).

    The checks are those of ``save_validated`` and ``involvement_create``, without one query
    per row: the plan has matched the units and cohorts and found the stored workers, and
    uniqueness and the check constraints are the database's (a violation raises, and the
    caller saves every row on its own to report it on its line).
    """
    today = timezone.localdate()
    may_act: dict[str, bool] = {}
    left, new_workers, takes = [], [], []
    for row, change in pending:
        values = row.values
        worker = plan.workers.get(values["fiscal_code"])
        fills = {}
        if worker is not None and worker.pk not in plan.hidden:
            fills, _kept = _worker_fills(worker, values)
        if fills or (worker is not None and worker.pk in plan.involvements):
            left.append((row, change))
            continue
        if worker is None:
            worker = Worker(**{n: values[n] for n in WORKER_FIELDS if n in values})
            # The country was read from the Country table: not looked up once more per row.
            worker.full_clean(
                exclude=["citizenship_country"], validate_unique=False, validate_constraints=False
            )
            new_workers.append(worker)
        if user is not None and not user.is_admin:
            province = row.unit.province_id
            if province not in may_act:
                may_act[province] = may_act_in(user, province)
            if not may_act[province]:
                raise PermissionDenied
        cohort = cohorts.get(_fold(change.cohort)) if change.cohort else None
        involvement = Involvement(
            worker=worker,
            procedure=procedure,
            unit=row.unit,
            cohort=cohort,
            current_step=Step.STEP_1,
            current_step_since=today,
            **{n: values[n] for n in INVOLVEMENT_FIELDS if n in values},
        )
        involvement.full_clean(
            exclude=["worker", "procedure", "unit", "cohort"],
            validate_unique=False,
            validate_constraints=False,
        )
        takes.append(involvement)
    bulk_create_recorded(new_workers, Worker, user=user, reason=reason)
    bulk_create_recorded(takes, Involvement, user=user, reason=None)  # as save_validated
    recorded_by = user if user is not None and user.is_authenticated else None
    StepTransition.objects.bulk_create(
        [
            StepTransition(
                involvement=involvement,
                from_step="",
                to_step=Step.STEP_1,
                kind=MoveKind.START,
                effective_date=today,
                recorded_by=recorded_by,
            )
            for involvement in takes
        ],
        batch_size=BATCH_SIZE,
    )
    webhooks.emit_many(WebhookEvent.INVOLVEMENT_TAKEN_IN_CHARGE, takes)
    for worker in new_workers:
        plan.workers[worker.fiscal_code] = worker
    return left


def _apply(procedure, plan: _Plan, parser: _RowParser, *, user) -> None:
    today = timezone.localdate()
    reason = _("Imported from a worker list")
    cohorts = dict(plan.cohorts)
    for key, (name, unit, line) in plan.new_cohorts.items():
        try:
            with transaction.atomic():
                cohorts[key] = cohort_create(user=user, procedure=procedure, name=name, unit=unit)
        except (ValidationError, PermissionDenied, DatabaseError) as exc:
            _report(parser, line, exc)
    pending = [
        (row, change)
        for row, change in zip(plan.rows, parser.result.changes, strict=True)
        if change.action != "unchanged"
    ]
    try:
        with transaction.atomic():
            pending = _apply_in_bulk(procedure, plan, pending, cohorts, user=user, reason=reason)
    except (ValidationError, PermissionDenied, DatabaseError):
        # Something was refused: undone, and every row saved on its own below, so that each
        # refusal is reported on its line exactly as without the bulk path.
        pass
    for row, change in pending:
        values = row.values
        try:
            with transaction.atomic():
                worker = plan.workers.get(values["fiscal_code"])
                if worker is None:
                    worker = Worker(**{n: values[n] for n in WORKER_FIELDS if n in values})
                    save_validated(worker, user=user, reason=reason)
                    plan.workers[worker.fiscal_code] = worker
                elif worker.pk not in plan.hidden:
                    fills, _kept = _worker_fills(worker, values)
                    if fills:
                        for name, value in fills.items():
                            setattr(worker, name, value)
                        save_validated(worker, user=user, reason=reason)
                cohort = cohorts.get(_fold(change.cohort)) if change.cohort else None
                involvement = plan.involvements.get(worker.pk)
                if involvement is None:
                    involvement_create(
                        user=user,
                        worker=worker,
                        procedure=procedure,
                        unit=row.unit,
                        cohort=cohort,
                        data={n: values[n] for n in INVOLVEMENT_FIELDS if n in values},
                        taken_in_charge_on=today,
                    )
                else:
                    changes = _involvement_changes(involvement, row, change.cohort)
                    if "cohort" in changes:
                        changes["cohort"] = cohort
                    if changes:
                        involvement_update(user=user, involvement=involvement, data=changes)
        except (ValidationError, PermissionDenied, DatabaseError) as exc:
            _report(parser, row.line, exc)


# ---------------------------------------------------------------------------------------
# The entry point


def read_rows(
    raw: bytes, *, filename: str, profile=None
) -> tuple[WorkerImportResult, list[_Row], _RowParser | None]:
    """The file read and every row checked on its own (no database): the result with the
    problems found, the clean rows, and the parser (None when the file could not be read).
    ``profile`` (an ``ImportProfile``): the headers and formats are the profile's."""
    check_bytes(raw, name=filename)
    fmt = None
    if profile is not None:
        fmt = ProfileFormat.of(profile)
    spec = fmt.columns if fmt is not None else COLUMNS
    result = WorkerImportResult(filename=filename, profile=fmt.slug if fmt else "")
    try:
        table = read_table(
            raw,
            spec,
            result,
            delimiter=fmt.delimiter if fmt else None,
            encoding=fmt.encoding if fmt else None,
        )
    except FileRefused as refused:
        result.errors.append(refused.error)
        return result, [], None
    columns = map_header(table, spec, result)
    if not result.ok:
        return result, [], None
    parser = _RowParser(table, columns, result, fmt)
    rows = list(parser.rows())
    if not rows and result.ok:
        result.errors.append(
            RowError(table.header_line + 1, None, _("The file has a header but no workers."))
        )
    return result, rows, parser


def import_workers(
    procedure,
    raw: bytes,
    *,
    filename: str,
    user=None,
    dry_run: bool = False,
    accepted_warnings: str | None = None,
    profile=None,
) -> WorkerImportResult:
    """Check a worker list for ``procedure`` and, when clean and not a dry run, apply it.

    All or nothing, in one transaction; ``result.applied`` says whether it was applied.
    ``result.warnings`` are what is inconsistent but allowed (support dates outside the
    procedure's period, more workers than a unit declares): with ``accepted_warnings`` (the
    page's confirmation, ``warnings_digest`` of the warnings the officer saw) a list with
    warnings is applied only when they are those confirmed; without it (API, commands) the
    warnings are reported and the list applied.
    ``user=None`` means the system (management commands): no province restriction.
    ``profile`` (a ``workers.models.ImportProfile``): the file is in that source's format —
    headers mapped by the profile's names only, its date, decimal and hours formats; a list
    without names updates the workers already known and refuses, on its line, a new one.
    Raises ``UploadRefused`` (nothing read further, nothing saved) for a file over a limit
    of the upload guard or a hostile workbook.
    """
    result, rows, parser = read_rows(raw, filename=filename, profile=profile)
    result.procedure = procedure
    if parser is None:
        return result
    with transaction.atomic():
        plan = _plan(procedure, rows, parser, user=user)
        result.errors.sort(key=lambda e: (e.line, e.column or ""))
        if not result.ok or dry_run:
            return result
        if accepted_warnings is not None and result.warnings:
            if warnings_digest(result.warnings) != accepted_warnings:
                return result  # not applied: the officer has not confirmed these warnings
        if all(c.action == "unchanged" for c in result.changes) and not plan.new_cohorts:
            result.applied = True
            return result
        _apply(procedure, plan, parser, user=user)
        if not result.ok:
            result.errors.sort(key=lambda e: (e.line, e.column or ""))
            transaction.set_rollback(True)
            return result
        result.applied = True
    return result
