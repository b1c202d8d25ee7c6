"""The personal fiscal code check lives in ``crisi_portal.identifiers`` (users have one too);
this name stays for the code and tests that import it from here."""

from crisi_portal.identifiers import validate_fiscal_code

__all__ = ["validate_fiscal_code"]
