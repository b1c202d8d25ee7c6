"""Choices of the crisis-procedures app and its rule refusal codes.

Rule refusal codes (``RuleCode``), carried as the ``code`` of the ``ValidationError`` a rule
raises (the API's problem lists the message on the field it names):

* ``procedure_company_fixed``: a procedure cannot be moved to another company
  (``CrisisProcedure.check_company``: the model's ``clean()``, the upsert service and the
  API serializer call it).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Family(models.TextChoices):
    CIGS_MINISTERIALE = "cigs_ministeriale", _("Ministerial CIGS (guideline A)")
    CIGS_REGIONALE = "cigs_regionale", _("Regional CIGS (guidelines B, C)")
    LICENZIAMENTO_COLLETTIVO = "licenziamento_collettivo", _("Collective dismissal (guideline D)")


GUIDELINE_LETTERS = {
    Family.CIGS_MINISTERIALE: "A",
    Family.CIGS_REGIONALE: "B, C",
    Family.LICENZIAMENTO_COLLETTIVO: "D",
}


class Cause(models.TextChoices):
    RIORGANIZZAZIONE = "riorganizzazione", _("Reorganisation")
    CRISI_AZIENDALE = "crisi_aziendale", _("Company crisis")
    CONTRATTO_SOLIDARIETA = "contratto_solidarieta", _("Solidarity contract")
    CESSAZIONE = "cessazione", _("Cessation of activity")
    ALTRO = "altro", _("Other")


class ConcessionKind(models.TextChoices):
    PRIMA_CONCESSIONE = "prima_concessione", _("First concession")
    PRIMA_PROROGA = "prima_proroga", _("First extension")
    SECONDA_PROROGA = "seconda_proroga", _("Second extension")
    PROROGA_SUCCESSIVA = "proroga_successiva", _("Further extension")


class Status(models.TextChoices):
    APERTA = "aperta", _("Open")
    IN_CORSO = "in_corso", _("In progress")
    CHIUSA = "chiusa", _("Closed")


class CompanyKind(models.TextChoices):
    ARTIGIANA = "artigiana", _("Craft business")
    INDUSTRIALE_FINO_15 = "industriale_fino_15", _("Industrial, up to 15 employees")
    INDUSTRIALE_OLTRE_15 = "industriale_oltre_15", _("Industrial, over 15 employees")
    SERVIZI = "servizi", _("Services")
    ALTRO = "altro", _("Other")


class MeetingKind(models.TextChoices):
    REGIONALE = "regionale", _("Regional table")
    BILATERALE = "bilaterale", _("Bilateral table")
    SINDACALE = "sindacale", _("Union meeting")
    MINISTERIALE = "ministeriale", _("Ministry meeting")
    INCONTRO_LAVORATORI = "incontro_lavoratori", _("Meeting with the workers")


FAMILY_SHORT_LABELS = {
    Family.CIGS_MINISTERIALE: _("CIGS min. (A)"),
    Family.CIGS_REGIONALE: _("CIGS reg. (B, C)"),
    Family.LICENZIAMENTO_COLLETTIVO: _("Dismissal (D)"),
}


# Lombardy's provinces in the order of the official tables: the rows of cases.Province
# (loaded by migration 0003). The API schema lists them where a parameter takes one.
PROVINCE_CODES = ("BG", "BS", "CO", "CR", "LC", "LO", "MN", "MI", "MB", "PV", "SO", "VA")


class RuleCode(models.TextChoices):
    """The rules that refuse a change to a procedure (see the module docstring)."""

    PROCEDURE_COMPANY_FIXED = "procedure_company_fixed"


class AgreementKind(models.TextChoices):
    """Agreements attached to a procedure (2010 agreement, points 2-5; source 003: the path
    written into the union agreement between the parties)."""

    AZIENDALE = "aziendale", _("Company union agreement")
    TERRITORIALE = "territoriale", _("Territorial agreement")
    SETTORIALE = "settoriale", _("Sectoral agreement")
    MINISTERIALE = "ministeriale", _("Ministerial agreement (verbale)")
    ALTRO = "altro", _("Other agreement")


class AgreementGoal(models.TextChoices):
    """The goals an agreement may set (2010 agreement, point 2): requalification to keep the
    job (CIGO), requalification and/or re-employment (CIGS). Stored as one flag each on
    ``cases.Agreement`` (``goal_<value>``), so they are counted in the database."""

    KEEP_JOB = "keep_job", _("Keep the job")
    RETRAIN = "retrain", _("Retrain")
    REEMPLOY = "reemploy", _("Re-employ")


class PartyRole(models.TextChoices):
    COMPANY = "company", _("Company")
    UNION = "union", _("Union")
    REGION = "region", _("Region")
    PROVINCE = "province", _("Province")
    EMPLOYERS = "employers", _("Employers' association")
    OTHER = "other", _("Other party")


class ParticipantRole(models.TextChoices):
    """Who sits at a table (DGR 6177/2023: Region, Provinces, CPI, the company, the unions,
    the accredited operators)."""

    REGIONE = "regione", _("Region")
    PROVINCIA = "provincia", _("Province")
    CPI = "cpi", _("Employment centre (CPI)")
    AZIENDA = "azienda", _("Company")
    SINDACATI = "sindacati", _("Unions")
    OPERATORI = "operatori", _("Accredited operators")
    ALTRO = "altro", _("Other")


class DecisionKind(models.TextChoices):
    """What a table decides about a procedure; the first three have a follow-up the portal
    finds in its own data (``cases.tables``)."""

    AZIONI_RETE = "azioni_rete", _("Activate Azioni di rete")
    STEP_2 = "step_2", _("Move the workers to STEP 2")
    TAVOLO_BILATERALE = "tavolo_bilaterale", _("Convene a bilateral table")
    RICHIESTA_INFORMAZIONI = "richiesta_informazioni", _("Request information from the company")
    ALTRO = "altro", _("Other")
