"""Choices of the active-policies app, the PIP workflow table and the rule refusal codes.

Rule refusal codes (``RuleCode``): each rule of §4 that refuses a change names itself with one
of these, in ``PALRuleRefused.code`` (the API's problem ``code``) or, for the rules kept on the
models, in the ``ValidationError``'s ``code``:

* ``exclusivity``: an exclusive measure or network already serves the worker (or would).
* ``procedure_closed``: the worker's procedure is closed.
* ``measure_not_in_force``: the measure is not in force on the Dote's first day.
* ``cap_per_worker`` / ``cap_per_company`` / ``measure_budget``: a cap of the measure.
* ``dote_closed``: the Dote is concluded or revoked.
* ``dote_dates``: a Dote cannot end before it starts (``Dote.check_validity``).
* ``dote_value``: the PIP costs more than the Dote's value.
* ``pip_dote_fixed``: a PIP stays on the Dote it was filed on (``PIP.check_dote``).
* ``pip_not_editable``: a PIP is changed only while a draft or returned.
* ``no_services`` / ``service_dates``: a PIP needs services, dated inside the Dote.
* ``one_active_pip``: one PIP under review or being delivered per worker.
* ``pip_workflow``: the move is not in ``PIP_TRANSITIONS``.
* ``return_note``: returning a PIP needs a note.
* ``report_status`` / ``report_date`` / ``report_beyond_plan``: reporting a delivered service.
* ``network_lead``: a network's lead must be one of its members.
* ``network_not_valid``: a member reports services only for a network that meets every check.
* ``network_share``: the members' shares of a Dote fit in its value, and a member reports
  within its share.
* ``service_not_admitted``: the service kind is not in the catalogue of the network's measure.
* ``group_size``: an individual service is for one worker, a group service for two or more.
* ``certification_status`` / ``certification_date``: recording a certification.
* ``income_support_not_admitted`` / ``hours_cut_below_minimum`` / ``employment_status`` /
  ``unit_outside_lombardy`` / ``age_limits`` / ``support_not_ongoing``: an eligibility rule of
  the measure refuses the worker (``pal.eligibility``); a measure not open on the reference
  date is ``measure_not_in_force``, two incompatible measures ``exclusivity``.
* ``certification_status`` / ``certification_date``: recording a certification;
  ``certification_qualification``: a new certification names an offered qualification of the
  catalogue; ``certification_accreditation``: only an operator accredited for training
  certifies (l.r. 19/2007, art. 10: certification belongs to the training system).
* ``funding_overdrawn``: approving the PIP would commit more than a funding source's budget;
  ``funding_shares``: a measure's shares of its funding sources must sum to 100 %;
  ``payment_beyond_delivered``: a Dote's payments cannot exceed what was delivered on it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DoteStatus(models.TextChoices):
    ASSEGNATA = "assegnata", _("Assigned")
    ATTIVA = "attiva", _("Active")
    CONCLUSA = "conclusa", pgettext_lazy("Dote status", "Concluded")
    REVOCATA = "revocata", _("Revoked")


class PIPStatus(models.TextChoices):
    BOZZA = "bozza", _("Draft")
    PRESENTATO = "presentato", _("Submitted")
    RESTITUITO = "restituito", _("Returned")
    APPROVATO = "approvato", _("Approved")
    IN_CORSO = "in_corso", _("In progress")
    CONCLUSO = "concluso", pgettext_lazy("PIP status", "Concluded")
    RITIRATO = "ritirato", _("Withdrawn")


# PIPs that hold part of the Dote (and of the measure's caps) while they live.
# The PIPs whose services commit the funding sources' money (the money ledger's "committed").
APPROVED_PIP_STATUSES = (PIPStatus.APPROVATO, PIPStatus.IN_CORSO, PIPStatus.CONCLUSO)
COMMITTING_PIP_STATUSES = (
    PIPStatus.PRESENTATO,
    PIPStatus.APPROVATO,
    PIPStatus.IN_CORSO,
    PIPStatus.CONCLUSO,
)
# "One active PIP per worker": a PIP under review or being delivered.
ACTIVE_PIP_STATUSES = (PIPStatus.PRESENTATO, PIPStatus.APPROVATO, PIPStatus.IN_CORSO)
FINAL_PIP_STATUSES = (PIPStatus.CONCLUSO, PIPStatus.RITIRATO)

# The PIP workflow as one table: (from, to) → who acts. The single source: pal.services
# refuses any other move, the views offer the operator only the moves it gives them.
PIP_TRANSITIONS: dict[tuple[str, str], str] = {
    (PIPStatus.BOZZA, PIPStatus.PRESENTATO): "operator",
    (PIPStatus.RESTITUITO, PIPStatus.PRESENTATO): "operator",
    (PIPStatus.PRESENTATO, PIPStatus.APPROVATO): "province",
    (PIPStatus.PRESENTATO, PIPStatus.RESTITUITO): "province",
    (PIPStatus.APPROVATO, PIPStatus.IN_CORSO): "operator",
    (PIPStatus.IN_CORSO, PIPStatus.CONCLUSO): "operator",
    **{
        (status, PIPStatus.RITIRATO): "operator"
        for status in (
            PIPStatus.BOZZA,
            PIPStatus.PRESENTATO,
            PIPStatus.RESTITUITO,
            PIPStatus.APPROVATO,
            PIPStatus.IN_CORSO,
        )
    },
}
# The statuses in which the operator may still change the plan.
EDITABLE_PIP_STATUSES = (PIPStatus.BOZZA, PIPStatus.RESTITUITO)


class RuleCode(models.TextChoices):
    """The rules that refuse a change in the active policies (see the module docstring)."""

    EXCLUSIVITY = "exclusivity"
    PROCEDURE_CLOSED = "procedure_closed"
    MEASURE_NOT_IN_FORCE = "measure_not_in_force"
    CAP_PER_WORKER = "cap_per_worker"
    CAP_PER_COMPANY = "cap_per_company"
    MEASURE_BUDGET = "measure_budget"
    DOTE_CLOSED = "dote_closed"
    DOTE_DATES = "dote_dates"
    DOTE_VALUE = "dote_value"
    PIP_DOTE_FIXED = "pip_dote_fixed"
    PIP_NOT_EDITABLE = "pip_not_editable"
    NO_SERVICES = "no_services"
    SERVICE_DATES = "service_dates"
    ONE_ACTIVE_PIP = "one_active_pip"
    PIP_WORKFLOW = "pip_workflow"
    RETURN_NOTE = "return_note"
    REPORT_STATUS = "report_status"
    REPORT_DATE = "report_date"
    REPORT_BEYOND_PLAN = "report_beyond_plan"
    NETWORK_LEAD = "network_lead"
    NETWORK_NOT_VALID = "network_not_valid"
    NETWORK_SHARE = "network_share"
    SERVICE_NOT_ADMITTED = "service_not_admitted"
    GROUP_SIZE = "group_size"
    CERTIFICATION_STATUS = "certification_status"
    CERTIFICATION_DATE = "certification_date"
    INCOME_SUPPORT_NOT_ADMITTED = "income_support_not_admitted"
    HOURS_CUT_BELOW_MINIMUM = "hours_cut_below_minimum"
    EMPLOYMENT_STATUS = "employment_status"
    UNIT_OUTSIDE_LOMBARDY = "unit_outside_lombardy"
    AGE_LIMITS = "age_limits"
    SUPPORT_NOT_ONGOING = "support_not_ongoing"
    CERTIFICATION_QUALIFICATION = "certification_qualification"
    CERTIFICATION_ACCREDITATION = "certification_accreditation"
    FUNDING_OVERDRAWN = "funding_overdrawn"
    FUNDING_SHARES = "funding_shares"
    PAYMENT_BEYOND_DELIVERED = "payment_beyond_delivered"


class ServiceKind(models.TextChoices):
    ACCOGLIENZA = "accoglienza", _("Reception and taking in charge")
    ORIENTAMENTO = "orientamento", _("Guidance")
    BILANCIO_COMPETENZE = "bilancio_competenze", _("Skills assessment")
    FORMAZIONE = "formazione", _("Training")
    ACCOMPAGNAMENTO_LAVORO = "accompagnamento_lavoro", _("Job-search support")
    TIROCINIO = "tirocinio", _("Traineeship")
    CERTIFICAZIONE_COMPETENZE = "certificazione_competenze", _("Skills certification")
    CONCILIAZIONE = "conciliazione", _("Work-life balance services")


class Delivery(models.TextChoices):
    INDIVIDUALE = "individuale", _("Individual")
    GRUPPO = "gruppo", _("Group")


class MemberKind(models.TextChoices):
    PROVINCIA = "provincia", _("Province")
    CPI = "cpi", _("Public employment centre (CPI)")
    OPERATORE_LAVORO = "operatore_lavoro", _("Operator accredited for labour services")
    OPERATORE_FORMAZIONE = "operatore_formazione", _("Operator accredited for training")
    ENTE_LOCALE = "ente_locale", _("Local authority")
    AZIENDA = "azienda", _("Company")
    ASSOCIAZIONE_CATEGORIA = "associazione_categoria", _("Trade association")
    PARTE_SOCIALE = "parte_sociale", _("Social partner")
    FONDO_INTERPROFESSIONALE = "fondo_interprofessionale", _("Inter-professional fund")
    DISTRETTO = "distretto", _("Industrial district")
    CCIAA = "cciaa", _("Chamber of commerce")
    ITS = "its", _("ITS Academy")
    OUTPLACEMENT = "outplacement", _("Outplacement agency")
    TERZO_SETTORE = "terzo_settore", _("Third sector")
    APL = "apl", _("Employment agency (APL)")
    SCUOLA_UNIVERSITA = "scuola_universita", _("School or university")
    ALTRO = "altro", _("Other")
