from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportKind(models.TextChoices):
    ANNUAL = "annual", _("annual table")
    BIMONTHLY = "bimonthly", _("bimonthly report")
    QUARTERLY = "quarterly", _("quarterly PAL monitoring")
    # Issue #15: the funnel, segmentations, outcomes and times (monitoring.pal_report),
    # quarterly and annual.
    PAL_MONITORING = "pal_monitoring", _("PAL outcomes monitoring")


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "XLSX"
    CSV = "csv", "CSV"
    JSON = "json", "JSON"


CONTENT_TYPES = {
    ReportFormat.PDF: "application/pdf",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ReportFormat.CSV: "text/csv; charset=utf-8",
    ReportFormat.JSON: "application/json",
}


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Ready")
    FAILED = "failed", _("Failed")


class Trigger(models.TextChoices):
    SCHEDULE = "schedule", _("Schedule")
    USER = "user", _("User")
    API = "api", _("API")


# --- provincial re-employment plans (source 002) ---


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    CLOSED = "closed", _("Closed")


class PartnerRole(models.TextChoices):
    """Who takes part in a provincial plan (source 002, "Accordi territoriali")."""

    PROVINCE = "province", _("Province")
    REGION = "region", _("Region")
    SOCIAL_PARTNER = "social_partner", _("Social partner")
    CCIAA = "cciaa", _("Chamber of commerce (CCIAA)")
    INPS = "inps", _("INPS")
    TECHNICAL = "technical", _("Technical assistance (ARIFL, Italia Lavoro)")
    OPERATOR = "operator", _("Accredited operator")
    OTHER = "other", _("Other")


class ResultSystem(models.TextChoices):
    """The three systems of expected results of source 002 ("I risultati attesi")."""

    GOVERNANCE = "governance", _("Governance")
    SERVICES = "services", _("Service delivery")
    IMPACTS = "impacts", _("Impacts")


class PlanMetric(models.TextChoices):
    """The figures the portal computes for a plan's province and period (monitoring.plans)."""

    TAKEN_IN_CHARGE = "taken_in_charge", _("Workers taken in charge (STEP 1)")
    PAL_ACTIVATED = "pal_activated", _("Workers with PAL activated (STEP 4)")
    PIPS_APPROVED = "pips_approved", _("PIPs approved")
    SERVICE_HOURS = "service_hours", _("Service hours delivered")
    SERVICE_COST = "service_cost", _("Services delivered (€)")
    DOTI_VALUE = "doti_value", _("Value of the Doti assigned (€)")
    REEMPLOYED = "reemployed", _("Workers re-employed")
    REEMPLOYMENT_RATE = "reemployment_rate", _("Re-employment rate (%)")
    PROCEDURES = "procedures", _("Procedures handled")


METRIC_SYSTEMS = {
    PlanMetric.PROCEDURES: ResultSystem.GOVERNANCE,
    PlanMetric.TAKEN_IN_CHARGE: ResultSystem.SERVICES,
    PlanMetric.PAL_ACTIVATED: ResultSystem.SERVICES,
    PlanMetric.PIPS_APPROVED: ResultSystem.SERVICES,
    PlanMetric.SERVICE_HOURS: ResultSystem.SERVICES,
    PlanMetric.SERVICE_COST: ResultSystem.SERVICES,
    PlanMetric.DOTI_VALUE: ResultSystem.SERVICES,
    PlanMetric.REEMPLOYED: ResultSystem.IMPACTS,
    PlanMetric.REEMPLOYMENT_RATE: ResultSystem.IMPACTS,
}


class AgeBand(models.TextChoices):
    """Age bands of a target group, the age on the plan's first day."""

    UNDER_30 = "under_30", _("Under 30")
    FROM_30_TO_49 = "30_49", _("30 to 49")
    FROM_50 = "50_plus", _("50 and over")


# (lowest age, highest age) of each band; None: no bound.
AGE_BOUNDS: dict[str, tuple[int | None, int | None]] = {
    AgeBand.UNDER_30: (None, 29),
    AgeBand.FROM_30_TO_49: (30, 49),
    AgeBand.FROM_50: (50, None),
}


# --- Open data (issue #16 item 4) ---


class OpenDataset(models.TextChoices):
    """The datasets published as open data: aggregates of the Region-scope reports, each with
    the small-cell suppression of the PAL report (``monitoring.open_data``)."""

    ANNUAL_PROVINCES = "annual-provinces", _("Crisis procedures by province and family (annual)")
    PAL_STEPS_QUARTERLY = "pal-steps-quarterly", _("Workers by PAL step and province (quarterly)")
    PAL_OUTCOMES_QUARTERLY = "pal-outcomes-quarterly", _("PAL outcomes monitoring (quarterly)")
    PAL_OUTCOMES_ANNUAL = "pal-outcomes-annual", _("PAL outcomes monitoring (annual)")
