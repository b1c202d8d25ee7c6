"""Import profiles (issue #16 item 2): how one source writes an income-support list.

A profile (:class:`workers.models.ImportProfile`, data the admin adds; this module does not import
the models, whose ``clean`` calls it) names, for the fields of
the worker-list importer (:data:`workers.importers.COLUMN_SYNONYMS`, and ``company_tax_code``),
the header as that source writes it, and how its dates, decimals and hours cut are written.
:func:`profile_errors` is its validation (each error names the profile's field);
:class:`ProfileFormat` is what the importer reads from it.

With a profile a header is mapped only by the profile's names (compared case-, accent- and
space-insensitively, as the synonyms are), and every column the profile names must be in the
file (a file without one is not in that format), but the company's tax code, which only the
import that finds the procedure by it needs.
"""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crisi_portal.imports import Columns, normalise_header
from workers.columns import COLUMN_SYNONYMS, FIELD_LABELS, NAME_FIELDS
from workers.enums import HoursFormat, IncomeSupport

# The date formats a profile may name, as people write them → strptime's.
PROFILE_DATE_FORMATS = {
    "dd/mm/yyyy": "%d/%m/%Y",
    "dd-mm-yyyy": "%d-%m-%Y",
    "dd.mm.yyyy": "%d.%m.%Y",
    "yyyy-mm-dd": "%Y-%m-%d",
    "yyyymmdd": "%Y%m%d",
    "dd/mm/yy": "%d/%m/%y",
}

# The fields a profile maps: the importer's, and the company's tax code (an income-support
# list names the company it is about; see workers.income_support).
PROFILE_FIELDS = (*COLUMN_SYNONYMS, "company_tax_code")
PROFILE_LABELS = {**FIELD_LABELS, "company_tax_code": gettext_lazy("company tax code")}
# Every profile names these: without them a row says nothing the importer can use.
PROFILE_REQUIRED = ("fiscal_code", "unit")
DELIMITERS = {"": None, ";": ";", ",": ",", "tab": "\t", "|": "|"}
MAX_HEADER_LENGTH = 200


def date_formats(text: str) -> list[str]:
    """'dd/mm/yyyy, yyyy-mm-dd' → ['dd/mm/yyyy', 'yyyy-mm-dd'] (as written, trimmed)."""
    return [part.strip().lower() for part in (text or "").split(",") if part.strip()]


def profile_errors(profile: Any) -> dict[str, list[str]]:
    """What makes ``profile`` unusable, by the field of the profile it is about."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    columns = profile.columns
    if not isinstance(columns, dict):
        add("columns", _('Write the columns as an object: {"field": "header as in the file"}.'))
        columns = {}
    known = ", ".join(PROFILE_FIELDS)
    seen: dict[str, str] = {}
    for name, header in columns.items():
        if name not in PROFILE_FIELDS:
            add(
                "columns",
                _("'%(name)s' is not a field of the importer; the fields are: %(known)s.")
                % {"name": name, "known": known},
            )
            continue
        if not isinstance(header, str) or not header.strip():
            add("columns", _("Field '%(name)s': write the header as a text.") % {"name": name})
            continue
        if len(header) > MAX_HEADER_LENGTH:
            add(
                "columns",
                _("Field '%(name)s': a header of at most %(n)d characters.")
                % {"name": name, "n": MAX_HEADER_LENGTH},
            )
            continue
        key = normalise_header(header)
        if key in seen:
            add(
                "columns",
                _("Header '%(header)s' is given for both '%(first)s' and '%(second)s'.")
                % {"header": header, "first": seen[key], "second": name},
            )
        else:
            seen[key] = name
    if isinstance(profile.columns, dict):
        for name in PROFILE_REQUIRED:
            if name not in columns:
                add(
                    "columns",
                    _("Name the column of field '%(name)s': every list needs it.") % {"name": name},
                )
        if "full_name" in columns and any(n in columns for n in NAME_FIELDS):
            add(
                "columns",
                _("Map either 'full_name' or 'last_name' and 'first_name', not both."),
            )
        elif len([n for n in NAME_FIELDS if n in columns]) == 1:
            add("columns", _("Map both 'last_name' and 'first_name', or neither."))
    if profile.income_support and "income_support" in columns:
        add(
            "income_support",
            _("The profile maps a column for the income support: leave this empty."),
        )
    formats = date_formats(profile.date_formats)
    if not formats:
        add("date_formats", _("Name at least one date format."))
    for text in formats:
        if text not in PROFILE_DATE_FORMATS:
            add(
                "date_formats",
                _("'%(format)s' is not a date format we read; accepted: %(accepted)s.")
                % {"format": text, "accepted": ", ".join(PROFILE_DATE_FORMATS)},
            )
    if profile.delimiter not in DELIMITERS:
        add("delimiter", _("'%(v)s' is not a delimiter we read.") % {"v": profile.delimiter})
    if profile.delimiter and profile.delimiter == profile.decimal_separator:
        add(
            "decimal_separator",
            _("The decimal separator cannot be the CSV delimiter."),
        )
    return errors


@dataclass(frozen=True)
class ProfileFormat:
    """What the importer reads from a profile."""

    slug: str
    columns: Columns
    mapped: tuple[str, ...]
    date_formats: tuple[tuple[str, str], ...]  # (as written, strptime's)
    decimal: str
    hours_fraction: bool
    delimiter: str | None
    encoding: str | None
    income_support: str

    @classmethod
    def of(cls, profile: Any) -> "ProfileFormat":
        mapped = {name: header for name, header in profile.columns.items()}
        synonyms = {name: (header,) for name, header in mapped.items()}
        # A column the profile names must be there (that is the format), but the company's tax
        # code: a list imported from its procedure's page need not repeat it.
        required = tuple(name for name in mapped if name != "company_tax_code")
        instead = {}
        if "full_name" in mapped:
            instead = {"last_name": "full_name", "first_name": "full_name"}
        return cls(
            slug=profile.slug,
            columns=Columns(
                synonyms,
                required,
                PROFILE_LABELS,
                min_known=min(3, len(mapped)),
                instead=instead,
            ),
            mapped=tuple(mapped),
            date_formats=tuple(
                (text, PROFILE_DATE_FORMATS[text]) for text in date_formats(profile.date_formats)
            ),
            decimal=profile.decimal_separator or ",",
            hours_fraction=profile.hours_format == HoursFormat.FRACTION,
            delimiter=DELIMITERS.get(profile.delimiter),
            encoding=profile.encoding or None,
            income_support=profile.income_support or "",
        )


def income_support_label(code: str) -> Any:
    return IncomeSupport(code).label if code else ""
