"""The one spelling of Italian tax codes (partita IVA, codice fiscale) stored and compared,
and the check of a personal fiscal code (codice fiscale), omocodia included."""

from codicefiscale import codicefiscale
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


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
    if not codicefiscale.is_valid(code):
        raise ValidationError(
            _("%(code)s is not a valid fiscal code (wrong format or check character).")
            % {"code": code},
            code="fiscal_code_invalid",
        )
