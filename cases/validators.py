"""Checks of Italian identifiers used by companies."""

from codicefiscale import codicefiscale
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def normalise_tax_code(value: str) -> str:
    return "".join(value.split()).upper()


def partita_iva_is_valid(value: str) -> bool:
    """11 digits whose last is the Luhn-style check digit of the partita IVA."""
    if len(value) != 11 or not value.isdigit():
        return False
    total = 0
    for index, char in enumerate(value[:10]):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10 == int(value[10])


def validate_company_tax_code(value: str) -> None:
    """A partita IVA (11 digits) or, for sole traders, a personal codice fiscale (16 chars)."""
    code = normalise_tax_code(value)
    if code.isdigit():
        if len(code) != 11:
            raise ValidationError(
                _("A numeric tax code (partita IVA) has 11 digits; this one has %(n)d.")
                % {"n": len(code)},
                code="tax_code_length",
            )
        if not partita_iva_is_valid(code):
            raise ValidationError(
                _("The check digit of partita IVA %(code)s is wrong.") % {"code": code},
                code="tax_code_check_digit",
            )
        return
    if len(code) == 16:
        if not codicefiscale.is_valid(code):
            raise ValidationError(
                _("%(code)s is not a valid personal fiscal code.") % {"code": code},
                code="tax_code_invalid",
            )
        return
    raise ValidationError(
        _("A tax code is an 11-digit partita IVA or a 16-character fiscal code."),
        code="tax_code_format",
    )
