"""Valid identifiers from random draws: partite IVA and codici fiscali."""

import random
import unicodedata
from datetime import UTC, date, datetime
from functools import cache

from codicefiscale import codicefiscale
from stdnum import luhn

from cases.validators import partita_iva_is_valid
from crisi_portal.demo.reference import TAX_OFFICE


def partita_iva(rng: random.Random, province: str) -> str:
    """A syntactically valid partita IVA registered at the province's tax office."""
    body = f"{rng.randrange(10**7):07d}{TAX_OFFICE[province]}"
    code = body + luhn.calc_check_digit(body)
    assert partita_iva_is_valid(code), code
    return code


@cache
def _birthplace_code(place: str) -> str:
    """The cadastral code of a comune or country (all used here existed from 1960 to 2000)."""
    return codicefiscale.encode_birthplace(place, "01/07/1980")


def fiscal_code(last_name: str, first_name: str, sex: str, birth: date, place: str) -> str:
    """``codicefiscale.encode(...)`` for these arguments, without its slow date parsing.

    ``encode`` parses every date of the comuni table with dateutil and decodes the result again
    (about 2 ms a code); the birthplace code is looked up once per place instead.
    """
    code = (
        codicefiscale.encode_lastname(last_name)
        + codicefiscale.encode_firstname(first_name)
        + codicefiscale.encode_birthdate(
            datetime(birth.year, birth.month, birth.day, tzinfo=UTC), sex
        )
        + _birthplace_code(place)
    )
    return code + codicefiscale.encode_cin(code)


def ascii_slug(value: str) -> str:
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return "".join(ch for ch in value.lower() if ch.isalnum())
