"""The one spelling of Italian tax codes (partita IVA, codice fiscale) stored and compared."""


def normalise_tax_code(value: str) -> str:
    """A tax code without spaces, upper-cased: for companies, workers and users alike."""
    return "".join(value.split()).upper()
