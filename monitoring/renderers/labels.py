"""Words shared by the PDF and XLSX documents (translated: the caller activates the language)
and the machine names of the CSV columns (never translated)."""

from django.utils.translation import gettext as _

from cases.enums import GUIDELINE_LETTERS, Family
from monitoring.enums import ReportKind

REGION = "Regione Lombardia"  # the issuing body's proper name, the same in every language

# Column prefixes of the Region's published annual CSV (shared/reference/annual_2024_lombardia.csv).
FAMILY_COLUMNS = {
    Family.CIGS_MINISTERIALE.value: "cigs_min",
    Family.CIGS_REGIONALE.value: "cigs_reg",
    Family.LICENZIAMENTO_COLLETTIVO.value: "lic",
}

# Provinces whose institution is not called "Provincia di <name>".
INSTITUTIONS = {
    "MI": "Città Metropolitana di Milano",
    "MB": "Provincia di Monza e della Brianza",
}


def title(kind: str) -> str:
    return {
        ReportKind.ANNUAL: _("Annual table of production units and workers involved"),
        ReportKind.BIMONTHLY: _("Bimonthly report on CIGS procedures in progress"),
        ReportKind.QUARTERLY: _("Quarterly monitoring of active labour policies (PAL)"),
        ReportKind.PAL_MONITORING: _("PAL monitoring report: from informed to re-employed"),
    }[ReportKind(kind)]


def institution(scope: str, scope_label: str) -> str | None:
    """The province's institution for a province document (``None`` for the Region's)."""
    if not scope or scope == "LOM":
        return None
    return INSTITUTIONS.get(scope, f"Provincia di {scope_label}")


def family_name(family: str) -> str:
    return {
        Family.CIGS_MINISTERIALE: _("Ministerial CIGS"),
        Family.CIGS_REGIONALE: _("Regional CIGS"),
        Family.LICENZIAMENTO_COLLETTIVO: _("Collective dismissal"),
    }[Family(family)]


def guidelines(family: str) -> str:
    """``Linee guida A`` / ``Linee guida B, C`` / ``Linee guida D``."""
    return _("Guidelines %(letters)s") % {"letters": GUIDELINE_LETTERS[Family(family)]}


def generated(moment: str) -> str:
    return _("Generated on %(moment)s") % {"moment": moment}


def total_share(family_total: int) -> int:
    """The TOT row's % weight of a family: 100, or 0 when the family has nothing in the period.

    With nothing to share every province's weight is 0,0 (``reports.percentage``), so the column
    adds up to 0 and printing 100,00 under it would be false.
    """
    return 100 if family_total else 0
