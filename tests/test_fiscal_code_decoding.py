"""``decode_fiscal_code`` finds what ``codicefiscale.decode`` finds, and refuses what it refuses
(issue #12: it checks a worker list's codes without the library's 5 ms a code)."""

import random
import string
from datetime import date

import pytest
from codicefiscale import codicefiscale

from crisi_portal.demo.identity import fiscal_code
from crisi_portal.identifiers import decode_fiscal_code

PLACES = ["Bergamo", "Milano", "Napoli", "Marocco", "Romania", "Brescia", "Palermo"]


def sample_codes(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    codes = []
    for _ in range(n):
        birth = date.fromordinal(
            rng.randrange(date(1925, 1, 1).toordinal(), date(2005, 12, 31).toordinal())
        )
        code = fiscal_code(
            rng.choice(["Rossi", "Bianchi", "Fumagalli", "Xu"]),
            rng.choice(["Chiara", "Luca", "Anna"]),
            rng.choice("MF"),
            birth,
            rng.choice(PLACES),
        )
        codes.append(code)
        # A mistyped character, anywhere.
        i = rng.randrange(16)
        codes.append(code[:i] + rng.choice(string.ascii_uppercase + string.digits) + code[i + 1 :])
        # An omocode (digits replaced by letters), with its check character.
        omocode = codicefiscale.decode(code)["omocodes"][rng.randrange(1, 128)]
        codes.append(omocode)
    return codes


def library(code: str):
    try:
        decoded = codicefiscale.decode(code)
    except ValueError:
        return None
    return decoded["birthdate"], decoded["gender"]


def ours(code: str):
    try:
        return decode_fiscal_code(code)
    except ValueError:
        return None


@pytest.mark.parametrize("seed", [1, 2])
def test_it_agrees_with_the_library_on_valid_mistyped_and_omocode_codes(seed):
    codes = sample_codes(60, seed) + ["", "RSSMRA80A01F205", "RSSMRA80A41F205X", "RSSMRA80Z01F205X"]
    results = [(code, ours(code)) for code in codes]
    assert results == [(code, library(code)) for code in codes]
    assert sum(1 for _code, found in results if found) > 60  # most are valid
    assert any(found is None for _code, found in results)  # and some are not
