"""Choices of the workers app (steps, outcomes) and its rule refusal codes.

Rule refusal codes (``RuleCode``), the ``code`` of the refusals raised by
``workers.services`` (the API's problem ``code``):

* ``step_move_refused``: the step table or a dated rule refuses the move (``StepMoveRefused``).
* ``step_conflict``: someone else moved the worker in the meantime (``StepConflict``).
* ``bulk_move_refused``: a bulk move refused for at least one worker, so for all
  (``BulkMoveRefused``).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Step(models.TextChoices):
    STEP_1 = "STEP_1", _("STEP 1 – taken in charge")
    STEP_2 = "STEP_2", _("STEP 2 – instruments chosen")
    STEP_3 = "STEP_3", _("STEP 3 – PAL explained")
    STEP_4 = "STEP_4", _("STEP 4 – PAL activated")
    NO_PAL = "NO_PAL", _("NO PAL – exempted")


STEP_SHORT_LABELS = {
    Step.STEP_1: "STEP 1",
    Step.STEP_2: "STEP 2",
    Step.STEP_3: "STEP 3",
    Step.STEP_4: "STEP 4",
    Step.NO_PAL: "NO PAL",
}


class IncomeSupport(models.TextChoices):
    CIGS = "cigs", _("CIGS")
    CIGO = "cigo", _("CIGO")
    FIS = "fis", _("FIS")
    SOLIDARIETA = "solidarieta", _("Solidarity contract")
    NASPI = "naspi", _("NASpI")
    MOBILITA = "mobilita", _("Mobility")
    ALTRO = "altro", _("Other")


class HoursFormat(models.TextChoices):
    """How an import profile's source writes the hours cut (issue #16)."""

    PERCENT = "percent", _("Percentage from 0 to 100 (30 or 30,5%)")
    FRACTION = "fraction", _("Fraction from 0 to 1 (0,3)")


class Sex(models.TextChoices):
    F = "F", _("Female")
    M = "M", _("Male")


class EducationLevel(models.TextChoices):
    """The highest qualification, as the Italian levels of ISCED 2011 (:data:`EDUCATION_ISCED`).

    The codes of the first version (nessuno … laurea_magistrale) keep their meaning; the
    levels between the diploma and the degree and the doctorate were added (issue #15).
    """

    NONE = "nessuno", _("No qualification or primary school certificate (ISCED 0-1)")
    LOWER_SECONDARY = "licenza_media", _("Lower secondary school certificate (ISCED 2)")
    VOCATIONAL = "qualifica_professionale", _("Vocational qualification or diploma, IeFP (ISCED 3)")
    UPPER_SECONDARY = "diploma", _("Upper secondary school diploma (ISCED 3)")
    POST_DIPLOMA = "ifts", _("IFTS or other post-diploma certificate (ISCED 4)")
    ITS = "its", _("ITS Academy diploma (ISCED 5)")
    BACHELOR = "laurea_triennale", _("Bachelor's degree, laurea triennale (ISCED 6)")
    MASTER = "laurea_magistrale", _("Master's degree, laurea magistrale or master (ISCED 7)")
    DOCTORATE = "dottorato", _("Doctorate (ISCED 8)")


# Each level's ISCED 2011 level (ISCED 0-1 counted together, as Italian statistics do).
EDUCATION_ISCED: dict[str, str] = {
    EducationLevel.NONE: "0-1",
    EducationLevel.LOWER_SECONDARY: "2",
    EducationLevel.VOCATIONAL: "3",
    EducationLevel.UPPER_SECONDARY: "3",
    EducationLevel.POST_DIPLOMA: "4",
    EducationLevel.ITS: "5",
    EducationLevel.BACHELOR: "6",
    EducationLevel.MASTER: "7",
    EducationLevel.DOCTORATE: "8",
}

# A worker whose level is not recorded, in the segmentations (never stored).
EDUCATION_UNKNOWN = "unknown"


class CitizenshipGroup(models.TextChoices):
    """Italian, other EU member state (as of 2026), outside the EU; unknown when no country."""

    ITALIAN = "italian", _("Italian")
    EU = "eu", _("EU")
    NON_EU = "non_eu", _("Non-EU")
    UNKNOWN = "unknown", _("Unknown")


class OutcomeKind(models.TextChoices):
    RICOLLOCATO = "ricollocato", _("Re-employed with a new employer")
    REINTEGRATO = "reintegrato", _("Back in the original company")
    AUTOIMPIEGO = "autoimpiego", _("Self-employment (incl. workers buy-out)")
    PENSIONAMENTO = "pensionamento", _("Retirement")
    ALTRO_ESITO = "altro_esito", _("Other outcome")


class ContractKind(models.TextChoices):
    """The contract of an outcome (issue #15): the six kinds the Region's monitoring counts.

    A fixed-term contract is split at six months of duration (from the outcome's date to the
    contract's end); agency work is an employee contract of one of the first four kinds.
    """

    PERMANENT = "indeterminato", _("Permanent")
    FIXED_TERM_6_PLUS = "determinato_6_piu", _("Fixed term, 6 months or more")
    FIXED_TERM_UNDER_6 = "determinato_meno_6", _("Fixed term, under 6 months")
    APPRENTICESHIP = "apprendistato", _("Apprenticeship")
    SELF_EMPLOYMENT = "autonomo", _("Self-employment")
    SAME_COMPANY = "stessa_azienda", _("Back at the same company")


# The contracts of an employee with a new employer (what a RICOLLOCATO outcome needs).
EMPLOYEE_CONTRACTS = (
    ContractKind.PERMANENT,
    ContractKind.FIXED_TERM_6_PLUS,
    ContractKind.FIXED_TERM_UNDER_6,
    ContractKind.APPRENTICESHIP,
)
FIXED_TERM_CONTRACTS = (ContractKind.FIXED_TERM_6_PLUS, ContractKind.FIXED_TERM_UNDER_6)
# Fixed terms of at least this many months are "6 months or more".
FIXED_TERM_SPLIT_MONTHS = 6


class OutcomeSource(models.TextChoices):
    """Who says the outcome happened."""

    OPERATOR = "operatore", _("Declared by the operator")
    MANDATORY_COMMUNICATION = (
        "comunicazione_obbligatoria",
        _("Confirmed by mandatory communications (UNILAV)"),
    )
    WORKER = "lavoratore", _("Declared by the worker")


class RuleCode(models.TextChoices):
    """The refusals of the step model (see the module docstring)."""

    STEP_MOVE_REFUSED = "step_move_refused"
    STEP_CONFLICT = "step_conflict"
    BULK_MOVE_REFUSED = "bulk_move_refused"
    COHORT_CHANGE_REFUSED = "cohort_change_refused"
