"""The workers of a procedure as people open them in Excel (readable CSV, XLSX) or as a
technical CSV: the columns of the list page, identities only for those who see them."""

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext_lazy as _

from crisi_portal.exports import Column
from workers.enums import STEP_SHORT_LABELS, Step

IDENTITY_COLUMNS = [
    Column("fiscal_code", _("Fiscal code"), lambda i: i.worker.fiscal_code),
    Column("last_name", _("Last name"), lambda i: i.worker.last_name),
    Column("first_name", _("First name"), lambda i: i.worker.first_name),
    Column("birth_date", _("Birth date"), lambda i: i.worker.birth_date),
    Column("sex", _("Sex"), lambda i: i.worker.sex, lambda i: i.worker.get_sex_display()),
]
INVOLVEMENT_COLUMNS = [
    Column("unit", _("Production unit"), lambda i: i.unit.external_id, lambda i: str(i.unit)),
    Column("cohort", _("Cohort"), lambda i: i.cohort.name if i.cohort else ""),
    Column(
        "current_step",
        _("STEP"),
        lambda i: i.current_step,
        lambda i: STEP_SHORT_LABELS[Step(i.current_step)],
    ),
    Column("current_step_since", _("In this STEP since"), lambda i: i.current_step_since),
    Column(
        "income_support",
        _("Income support"),
        lambda i: i.income_support,
        lambda i: i.get_income_support_display(),
    ),
    Column("hours_reduction_pct", _("Hours reduction (%)"), lambda i: i.hours_reduction_pct),
    Column("period_start", _("Support from"), lambda i: i.period_start),
    Column("period_end", _("Support until"), lambda i: i.period_end),
]


def _outcome(involvement):
    """The involvement's outcome or None (read with ``select_related("outcome")``)."""
    try:
        return involvement.outcome
    except ObjectDoesNotExist:
        return None


def _outcome_value(attribute: str, display: bool = False):
    def value(involvement):
        outcome = _outcome(involvement)
        if outcome is None:
            return ""
        if display:
            return getattr(outcome, f"get_{attribute}_display")()
        return getattr(outcome, attribute) or ""

    return value


# Where the worker ended up (issue #15): kind, date, contract and its end, who says so.
OUTCOME_COLUMNS = [
    Column("outcome", _("Outcome"), _outcome_value("kind"), _outcome_value("kind", True)),
    Column("outcome_date", _("Outcome date"), _outcome_value("date")),
    Column(
        "contract_kind",
        _("Contract"),
        _outcome_value("contract_kind"),
        _outcome_value("contract_kind", True),
    ),
    Column("contract_end", _("Contract end"), _outcome_value("contract_end")),
    Column(
        "outcome_source",
        _("Outcome source"),
        _outcome_value("source"),
        _outcome_value("source", True),
    ),
]


def worker_columns(*, show_identity: bool) -> list[Column]:
    """The export's columns; the queryset must ``select_related("outcome")``."""
    return [*(IDENTITY_COLUMNS if show_identity else ()), *INVOLVEMENT_COLUMNS, *OUTCOME_COLUMNS]
