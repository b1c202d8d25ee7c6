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
COMMITTING_PIP_STATUSES = (
    PIPStatus.PRESENTATO,
    PIPStatus.APPROVATO,
    PIPStatus.IN_CORSO,
    PIPStatus.CONCLUSO,
)
# "One active PIP per worker": a PIP under review or being delivered.
ACTIVE_PIP_STATUSES = (PIPStatus.PRESENTATO, PIPStatus.APPROVATO, PIPStatus.IN_CORSO)
FINAL_PIP_STATUSES = (PIPStatus.CONCLUSO, PIPStatus.RITIRATO)


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
