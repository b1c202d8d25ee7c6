"""The one spelling of Italian tax codes (partita IVA, codice fiscale) stored and compared,
and the check of a personal fiscal code (codice fiscale), omocodia included."""

from datetime import datetime
from functools import lru_cache

from codicefiscale import codicefiscale
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_library_date = codicefiscale._get_date


@lru_cache(maxsize=65536)
def _parsed_date(text: str) -> datetime | None:
    return _library_date(text)


def _get_date(date: datetime | str | None, separator: str = "-") -> datetime | None:
    """``codicefiscale._get_date``, remembered for text: the library parses, with dateutil, the
    validity dates of every comune a code may name each time it checks a code (2 ms a code)."""
    if isinstance(date, str):
        return _parsed_date(date)
    return _library_date(date, separator)


# A pure function of its argument: remembering its results changes nothing but the time.
codicefiscale._get_date = _get_date  # type: ignore[assignment]


def decode_fiscal_code(code: str) -> tuple[datetime, str]:
    """The birth date and sex in a fiscal code, as ``codicefiscale.decode`` finds them, raising
    ``ValueError`` for the codes it refuses; without the 128 omocodes and the first names that
    ``decode`` lists too, which take most of its time and are not used here. Remembered: an
    import checks each code three times (the cell, the birth date and sex, the model)."""
    return _decoded(code, datetime.now().year)  # noqa: DTZ005 - as the library does


@lru_cache(maxsize=65536)
def _decoded(code: str, current_year: int) -> tuple[datetime, str]:
    cf = codicefiscale
    raw = cf.decode_raw(code)
    code = raw["code"]
    year = int(raw["birthdate_year"].translate(cf._OMOCODIA_DECODE_TRANS))
    month = cf._MONTHS.index(raw["birthdate_month"]) + 1
    day = int(raw["birthdate_day"].translate(cf._OMOCODIA_DECODE_TRANS))
    sex = "M"
    if day > 40:
        day -= 40
        sex = "F"
    year = int(f"{str(current_year)[0:-2]}{str(year).zfill(2)}")
    if year > current_year:
        year -= 100
    place = raw["birthplace"][0] + raw["birthplace"][1:].translate(cf._OMOCODIA_DECODE_TRANS)
    first_error = None
    for _attempt in range(2):
        try:
            birthdate = cf._get_date(f"{year}/{month}/{day}", separator="/")
            if not birthdate:
                raise ValueError(f"invalid date: {year}/{month}/{day}")
            if not cf._get_birthplace(place, birthdate):
                raise ValueError(f"wrong birthplace code: {place!r}")
            break
        except ValueError as error:  # people over 100 years old, as the library tries
            first_error = first_error or error
            year -= 100
    else:
        raise first_error or ValueError(code)
    if raw["cin"] != cf.encode_cin(code):
        raise ValueError("wrong check character")
    return birthdate, sex


def normalise_tax_code(value: str) -> str:
    """A tax code without spaces, upper-cased: for companies, workers and users alike."""
    return "".join(value.split()).upper()


def validate_fiscal_code(value: str) -> None:
    """A personal fiscal code: workers' and users' (single sign-on) alike."""
    code = normalise_tax_code(value)
    if len(code) != 16:
        raise ValidationError(
            _("A fiscal code has 16 characters; this one has %(n)d.") % {"n": len(code)},
            code="fiscal_code_length",
        )
    try:
        decode_fiscal_code(code)
    except ValueError:
        raise ValidationError(
            _("%(code)s is not a valid fiscal code (wrong format or check character).")
            % {"code": code},
            code="fiscal_code_invalid",
        ) from None
