"""Checks of Italian identifiers used by companies and workers.

The partita IVA is checked by python-stdnum (``stdnum.it.iva``: length, company number,
tax office code and check digit); personal fiscal codes by python-codicefiscale, which also
knows the birthplace codes (stdnum's ``it.codicefiscale`` checks only the format and check
character) and decodes and encodes codes for the importer and the demo.
"""

from codicefiscale import codicefiscale
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.it import iva

from crisi_portal.identifiers import normalise_tax_code


def partita_iva_is_valid(value: str) -> bool:
    """11 digits: a company number that is not all zeros, a tax office code, a check digit."""
    return len(value) == 11 and value.isdigit() and iva.is_valid(value)


def validate_partita_iva(code: str) -> None:
    """Refuse ``code`` (11 digits, normalised) unless it is a partita IVA, naming what is wrong."""
    try:
        iva.validate(code)
    except stdnum_errors.InvalidChecksum:
        raise ValidationError(
            _("The check digit of partita IVA %(code)s is wrong.") % {"code": code},
            code="tax_code_check_digit",
        ) from None
    except stdnum_errors.InvalidLength:
        raise ValidationError(
            _("A numeric tax code (partita IVA) has 11 digits; this one has %(n)d.")
            % {"n": len(code)},
            code="tax_code_length",
        ) from None
    except stdnum_errors.InvalidComponent:
        raise ValidationError(
            _(
                "%(code)s is not a valid partita IVA: digits 8 to 10 (%(office)s) are not the "
                "code of a tax office."
            )
            % {"code": code, "office": code[7:10]},
            code="tax_code_office",
        ) from None
    except stdnum_errors.ValidationError:
        raise ValidationError(
            _(
                "%(code)s is not a valid partita IVA: its first seven digits (the company "
                "number) cannot all be zero."
            )
            % {"code": code},
            code="tax_code_company_number",
        ) from None


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
        validate_partita_iva(code)
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
