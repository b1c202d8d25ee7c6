"""The procedure list as people open it in Excel (readable CSV, XLSX): one row per procedure,
in words. The technical shape of this list is the interchange CSV (``cases.interchange``),
whose documented English header does not change."""

from django.utils.translation import gettext_lazy as _

from crisi_portal.exports import Column


def _units(procedure) -> list:
    return list(procedure.units.all())


PROCEDURE_COLUMNS = [
    Column("external_id", _("Procedure"), lambda p: p.external_id),
    Column("company_name", _("Company"), lambda p: p.company.name),
    Column("company_tax_code", _("Company tax code"), lambda p: p.company.tax_code),
    Column("family", _("Family"), lambda p: p.family, lambda p: p.get_family_display()),
    Column("status", _("Status"), lambda p: p.status, lambda p: p.get_status_display()),
    Column("lead_province", _("Lead province"), lambda p: p.lead_province_id),
    Column("opened_on", _("Opened on"), lambda p: p.opened_on),
    Column("start_date", _("Income support from"), lambda p: p.start_date),
    Column("end_date", _("Income support until"), lambda p: p.end_date),
    Column(
        "unit_comuni",
        _("Production units"),
        lambda p: " | ".join(f"{u.comune} ({u.province_id})" for u in _units(p)),
    ),
    Column(
        "workers_involved",
        _("Workers involved"),
        lambda p: sum(u.workers_involved for u in _units(p)),
    ),
    Column("high_complexity", _("High complexity"), lambda p: p.high_complexity),
]
