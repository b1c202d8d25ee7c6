"""The procedures interchange CSV of §2: parse, plan, apply (import) and write (export).

Import is all-or-nothing: every row is checked, every problem is reported with its
line and column, and the database is touched only when the whole file is clean.
Applying the same file twice changes nothing the second time.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.enums import Family
from cases.models import (
    Company,
    CrisisProcedure,
    ProductionUnit,
    Province,
    assign_cpis,
    number_procedures,
)
from cases.services import (
    company_upsert,
    procedure_create,
    procedure_update,
    unit_create,
    unit_update,
)
from cases.validators import validate_company_tax_code
from crisi_portal import exports
from crisi_portal.history import bulk_create_recorded
from crisi_portal.identifiers import normalise_tax_code
from crisi_portal.imports import ImportOutcome, RowError, decode, line_of
from crisi_portal.scoping import may_act_in
from crisi_portal.upload_guard import MAX_ROWS, RowCap, check_bytes

HEADER = [
    "external_id",
    "family",
    "company_name",
    "company_tax_code",
    "opened_on",
    "start_date",
    "end_date",
    "unit_external_id",
    "unit_province",
    "unit_comune",
    "workers_involved",
]
PROCEDURE_COLUMNS = ("family", "company_tax_code", "opened_on", "start_date", "end_date")
UNIT_COLUMNS = ("unit_province", "unit_comune", "workers_involved")


@dataclass
class Change:
    """What importing one procedure or unit would do."""

    action: str  # "create", "update" or "unchanged"
    kind: str  # "procedure" or "unit"
    external_id: str
    label: str
    changed_fields: list[str] = field(default_factory=list)


@dataclass
class ImportResult(ImportOutcome):
    changes: list[Change] = field(default_factory=list)

    def count(self, kind: str, action: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind and c.action == action)

    def summary(self) -> dict[str, dict[str, int]]:
        return {
            kind: {action: self.count(kind, action) for action in ("create", "update", "unchanged")}
            for kind in ("procedure", "unit")
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "summary": self.summary(),
            "changes": [vars(c) for c in self.changes if c.action != "unchanged"],
            "errors": [e.as_dict() for e in self.errors],
        }


class RowForm(forms.Form):
    """One CSV row; field names are the column names, so errors name the column."""

    external_id = forms.CharField(max_length=64)
    family = forms.ChoiceField(choices=Family.choices)
    company_name = forms.CharField(max_length=200)
    company_tax_code = forms.CharField(max_length=16, validators=[validate_company_tax_code])
    opened_on = forms.DateField(input_formats=["%Y-%m-%d"])
    start_date = forms.DateField(input_formats=["%Y-%m-%d"])
    end_date = forms.DateField(input_formats=["%Y-%m-%d"], required=False)
    unit_external_id = forms.CharField(max_length=64, required=False)
    unit_province = forms.CharField(max_length=2, required=False)
    unit_comune = forms.CharField(max_length=80, required=False)
    workers_involved = forms.IntegerField(min_value=0, required=False)

    def __init__(self, *args, province_codes: frozenset[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.province_codes = province_codes

    def clean_company_tax_code(self) -> str:
        return normalise_tax_code(self.cleaned_data["company_tax_code"])

    def clean_unit_province(self) -> str:
        code = self.cleaned_data["unit_province"].strip().upper()
        if code and code not in self.province_codes:
            raise ValidationError(_("%(code)s is not a Lombardy province code.") % {"code": code})
        return code

    def clean_opened_on(self) -> date:
        opened_on = self.cleaned_data["opened_on"]
        if opened_on > timezone.localdate():
            raise ValidationError(_("The opening date cannot be in the future."))
        return opened_on

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date precedes the start date."))
        unit_values = [data.get(c) for c in ("unit_external_id", "unit_province", "unit_comune")]
        has_unit = any(v not in (None, "") for v in [*unit_values, data.get("workers_involved")])
        if has_unit:
            for column in ("unit_external_id", "unit_province", "unit_comune", "workers_involved"):
                if column not in self.errors and data.get(column) in (None, ""):
                    self.add_error(column, _("Required when the row describes a unit."))
        data["has_unit"] = has_unit
        return data


def parse(raw: bytes | str) -> tuple[list[tuple[int, dict[str, Any]]], list[RowError]]:
    """Validate each row on its own. Returns (line, cleaned row) pairs and the errors.

    Raises ``UploadRefused`` for a file over the size or row limit (nothing is validated).
    """
    check_bytes(raw)
    try:
        text, _encoding = decode(raw)
    except UnicodeDecodeError as exc:
        # Name the line holding the unreadable byte, not just the file.
        message = _("The file is not UTF-8 (byte %(pos)d cannot be read).") % {"pos": exc.start}
        return [], [RowError(line_of(raw, exc.start), None, message)]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return [], [RowError(1, None, _("The file is empty."))]
        if [h.strip() for h in header] != HEADER:
            expected = ",".join(HEADER)
            return [], [
                RowError(
                    1, None, _("The header must be exactly: %(header)s") % {"header": expected}
                )
            ]
        # Read (and count) every row before validating any: a file over the row cap is
        # refused after reading, not after checking 20,000 rows.
        records = []
        cap = RowCap(MAX_ROWS)
        for values in reader:
            if any(v.strip() for v in values):
                cap.add(reader.line_num)
                records.append((reader.line_num, values))
    except csv.Error as exc:
        line = reader.line_num + 1
        return [], [RowError(line, None, _("The CSV cannot be read here: %(e)s") % {"e": exc})]
    province_codes = frozenset(Province.objects.values_list("code", flat=True))
    rows, errors = [], []
    for line, values in records:
        if len(values) != len(HEADER):
            errors.append(
                RowError(
                    line,
                    None,
                    _("Expected %(expected)d columns, found %(found)d.")
                    % {"expected": len(HEADER), "found": len(values)},
                )
            )
            continue
        form = RowForm(
            # unquote_cell: a cell our export neutralised reads back as the stored text.
            dict(zip(HEADER, (exports.unquote_cell(v.strip()) for v in values), strict=True)),
            province_codes=province_codes,
        )
        if form.is_valid():
            rows.append((line, form.cleaned_data))
        else:
            for column, messages in form.errors.items():
                for message in messages:
                    errors.append(RowError(line, None if column == "__all__" else column, message))
    if not rows and not errors:
        errors.append(RowError(2, None, _("The file has a header but no rows.")))
    return rows, errors


@dataclass
class _ProcedurePlan:
    line: int
    row: dict[str, Any]
    units: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)


def _group(rows, errors) -> dict[str, _ProcedurePlan]:
    """Rows of one external_id must agree on the procedure-level columns."""
    plans: dict[str, _ProcedurePlan] = {}
    for line, row in rows:
        plan = plans.get(row["external_id"])
        if plan is None:
            plan = plans[row["external_id"]] = _ProcedurePlan(line, row)
        else:
            for column in ("company_name", *PROCEDURE_COLUMNS):
                if row[column] != plan.row[column]:
                    errors.append(
                        RowError(
                            line,
                            column,
                            _("Differs from line %(line)d for the same procedure.")
                            % {"line": plan.line},
                        )
                    )
        if row["has_unit"]:
            if row["unit_external_id"] in plan.units:
                first = plan.units[row["unit_external_id"]][0]
                errors.append(
                    RowError(
                        line,
                        "unit_external_id",
                        _("Unit already listed at line %(line)d.") % {"line": first},
                    )
                )
            else:
                plan.units[row["unit_external_id"]] = (line, row)
    return plans


def _procedure_values(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "family": row["family"],
        "opened_on": row["opened_on"],
        "start_date": row["start_date"],
        "end_date": row["end_date"],
    }


def _unit_values(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "province_id": row["unit_province"],
        "comune": row["unit_comune"],
        "workers_involved": row["workers_involved"],
    }


def _diff(instance, values: dict[str, Any]) -> list[str]:
    return [name for name, value in values.items() if getattr(instance, name) != value]


def plan_import(raw: bytes | str, *, user=None) -> tuple[ImportResult, dict]:
    """Check the whole file against itself, the database and the user's provinces."""
    rows, errors = parse(raw)
    result = ImportResult(errors=errors)
    plans = _group(rows, result.errors)
    stored = CrisisProcedure.objects.filter(external_id__in=plans).select_related("company")
    # A procedure the user cannot see is, to them, one that does not exist: nothing of it is
    # told, but its external id (unique) cannot be taken again.
    existing = {p.external_id: p for p in (stored if user is None else stored.visible_to(user))}
    taken = set(stored.values_list("external_id", flat=True)) - set(existing)
    existing_units = {
        (u.procedure_id, u.external_id): u
        for u in ProductionUnit.objects.filter(procedure__in=existing.values())
    }
    companies = {
        c.tax_code: c
        for c in Company.objects.filter(
            tax_code__in={p.row["company_tax_code"] for p in plans.values()}
        )
    }
    for external_id, plan in plans.items():
        row, line = plan.row, plan.line
        procedure = existing.get(external_id)
        if external_id in taken:
            result.errors.append(
                RowError(
                    line,
                    "external_id",
                    _("The external id %(id)s is already in use: give the procedure another.")
                    % {"id": external_id},
                )
            )
            continue
        if procedure is None:
            lead = next(iter(plan.units.values()), (None, {}))[1].get("unit_province")
            if not lead:
                result.errors.append(
                    RowError(line, "unit_province", _("A new procedure needs at least one unit."))
                )
                continue
            if not may_act_in(user, lead):
                result.errors.append(
                    RowError(
                        line,
                        "unit_province",
                        _("You cannot open procedures in province %(code)s.") % {"code": lead},
                    )
                )
            result.changes.append(Change("create", "procedure", external_id, row["company_name"]))
        else:
            if procedure.company.tax_code != row["company_tax_code"]:
                result.errors.append(
                    RowError(
                        line,
                        "company_tax_code",
                        _(
                            "Procedure %(id)s belongs to %(company)s (%(tax)s): "
                            "a file cannot move it to another company."
                        )
                        % {
                            "id": external_id,
                            "company": procedure.company.name,
                            "tax": procedure.company.tax_code,
                        },
                    )
                )
                continue
            changed = _diff(procedure, _procedure_values(row))
            company = companies.get(row["company_tax_code"])
            if company and company.name != row["company_name"]:
                changed.append("company_name")
            if changed and not (
                user is None
                or procedure.__class__.objects.editable_by(user).filter(pk=procedure.pk).exists()
            ):
                result.errors.append(
                    RowError(
                        line,
                        changed[0],
                        _("Only the lead province (%(code)s) can change procedure %(id)s.")
                        % {"code": procedure.lead_province_id, "id": external_id},
                    )
                )
            result.changes.append(
                Change(
                    "update" if changed else "unchanged",
                    "procedure",
                    external_id,
                    row["company_name"],
                    changed,
                )
            )
        for unit_id, (unit_line, unit_row) in plan.units.items():
            unit = existing_units.get((procedure.pk, unit_id)) if procedure else None
            values = _unit_values(unit_row)
            if not may_act_in(user, values["province_id"]):
                result.errors.append(
                    RowError(
                        unit_line,
                        "unit_province",
                        _("You cannot import units in province %(code)s.")
                        % {"code": values["province_id"]},
                    )
                )
                continue
            if unit is not None and not may_act_in(user, unit.province_id):
                result.errors.append(
                    RowError(
                        unit_line,
                        "unit_province",
                        _("Unit %(id)s is in province %(code)s, which is not yours.")
                        % {"id": unit_id, "code": unit.province_id},
                    )
                )
                continue
            label = f"{values['comune']} ({values['province_id']})"
            if unit is None:
                result.changes.append(Change("create", "unit", unit_id, label))
            else:
                changed = _diff(unit, values)
                result.changes.append(
                    Change("update" if changed else "unchanged", "unit", unit_id, label, changed)
                )
    result.errors.sort(key=lambda e: (e.line, e.column or ""))
    return result, {"plans": plans, "existing": existing, "existing_units": existing_units}


def import_procedures(raw: bytes | str, *, user=None, dry_run: bool = False) -> ImportResult:
    """Plan the file and, when it is clean and not a dry run, apply it in one transaction."""
    with transaction.atomic():
        result, state = plan_import(raw, user=user)
        if not result.ok or dry_run:
            return result
        if not any(c.action != "unchanged" for c in result.changes):
            result.applied = True
            return result
        _apply(state, user=user)
        result.applied = True
    return result


class _OneByOne(Exception):
    """The bulk path met something it leaves to the services: undo it, save row by row."""


def _apply(state: dict, *, user) -> None:
    try:
        with transaction.atomic():
            _apply_in_bulk(state, user=user)
    except (_OneByOne, IntegrityError, ValidationError, PermissionDenied):
        # Undone: the services, row by row, refuse exactly as they always have.
        _apply_one_by_one(state, user=user)


BATCH_SIZE = 1000


def _apply_in_bulk(state: dict, *, user) -> None:
    """What ``_apply_one_by_one`` saves, in a number of queries that does not grow with the
    rows: the companies read (and locked) at once, the new ones inserted in a batch and a stored
    one saved through ``company_upsert`` only when the file changes it, and the new procedures
    and units inserted in batches with their history rows; changes to stored procedures and
    units go through their services.

    The checks are ``save_validated``'s without its queries: the plan has checked the
    provinces; uniqueness and the check constraints are the database's (a violation raises
    and the caller saves row by row, to report it as before).
    """
    existing, existing_units = state["existing"], state["existing_units"]
    plans = state["plans"]
    companies = {
        c.tax_code: c
        for c in Company.objects.select_for_update().filter(
            tax_code__in={plan.row["company_tax_code"] for plan in plans.values()}
        )
    }
    new_companies: dict[str, Company] = {}
    for plan in plans.values():
        code = plan.row["company_tax_code"]
        if code not in companies and code not in new_companies:
            # As company_upsert creates it; a second name for it in the file renames it below.
            company = Company(tax_code=code, name=" ".join(plan.row["company_name"].split()))
            company.full_clean(validate_unique=False, validate_constraints=False)
            new_companies[code] = company
    bulk_create_recorded(list(new_companies.values()), Company, user=user, reason=None)
    companies.update(new_companies)
    may_act: dict[str, bool] = {}

    def allowed(province: str) -> bool:
        if province not in may_act:
            may_act[province] = may_act_in(user, province)
        return may_act[province]

    new_procedures: list[CrisisProcedure] = []
    new_units: list[ProductionUnit] = []
    for external_id, plan in plans.items():
        row = plan.row
        company = companies.get(row["company_tax_code"])
        if company is None or company.name != " ".join(row["company_name"].split()):
            company = company_upsert(
                user=user, tax_code=row["company_tax_code"], name=row["company_name"]
            )
            companies[company.tax_code] = company
        procedure = existing.get(external_id)
        values = _procedure_values(row)
        if procedure is None:
            lead = next(iter(plan.units.values()))[1]["unit_province"]
            if not allowed(lead):
                raise _OneByOne
            procedure = CrisisProcedure(
                company=company, external_id=external_id, lead_province_id=lead, **values
            )
            procedure.full_clean(
                exclude=["company", "lead_province"],
                validate_unique=False,
                validate_constraints=False,
            )
            new_procedures.append(procedure)
        elif _diff(procedure, values):
            procedure = procedure_update(user=user, procedure=procedure, data=values)
        for unit_id, (_line, unit_row) in plan.units.items():
            unit = existing_units.get((procedure.pk, unit_id)) if procedure.pk else None
            unit_values = _unit_values(unit_row)
            if unit is None:
                unit = ProductionUnit(procedure=procedure, external_id=unit_id, **unit_values)
                unit.full_clean(
                    exclude=["procedure", "province"],
                    validate_unique=False,
                    validate_constraints=False,
                )
                new_units.append(unit)
            elif _diff(unit, unit_values):
                unit_update(user=user, unit=unit, data=unit_values)
    number_procedures(new_procedures)
    bulk_create_recorded(new_procedures, CrisisProcedure, user=user, reason=None)
    assign_cpis(new_units)
    bulk_create_recorded(new_units, ProductionUnit, user=user, reason=None)


def _apply_one_by_one(state: dict, *, user) -> None:
    existing, existing_units = state["existing"], state["existing_units"]
    for external_id, plan in state["plans"].items():
        row = plan.row
        company = company_upsert(
            user=user, tax_code=row["company_tax_code"], name=row["company_name"]
        )
        procedure = existing.get(external_id)
        values = _procedure_values(row)
        if procedure is None:
            first_unit = next(iter(plan.units.values()))[1]
            procedure = procedure_create(
                user=user,
                company=company,
                data={
                    **values,
                    "external_id": external_id,
                    "lead_province_id": first_unit["unit_province"],
                },
            )
        elif _diff(procedure, values):
            procedure = procedure_update(user=user, procedure=procedure, data=values)
        for unit_id, (_line, unit_row) in plan.units.items():
            unit = existing_units.get((procedure.pk, unit_id))
            unit_values = _unit_values(unit_row)
            if unit is None:
                unit_create(
                    user=user,
                    procedure=procedure,
                    data={**unit_values, "external_id": unit_id},
                    _lead_checked=True,
                )
            elif _diff(unit, unit_values):
                unit_update(user=user, unit=unit, data=unit_values)


def export_rows(queryset) -> Iterator[list]:
    """The interchange CSV's header, then one row per production unit of each procedure.

    Read in chunks by external id (its order in the file, a unique key), units prefetched per
    chunk: the procedures are never all in memory at once, and the queries grow with the
    chunks, not the rows. The database is fixed when this is called, the rows read as they
    are consumed (``exports.keyset_chunks``).
    """
    chunks = exports.keyset_chunks(
        queryset.select_related("company").prefetch_related("units"),
        key="external_id",
    )
    return _export_rows(chunks)


def _export_rows(chunks) -> Iterator[list]:
    yield HEADER
    for chunk in chunks:
        for procedure in chunk:
            common = [
                procedure.external_id,
                procedure.family,
                procedure.company.name,
                procedure.company.tax_code,
                procedure.opened_on.isoformat(),
                procedure.start_date.isoformat(),
                procedure.end_date.isoformat() if procedure.end_date else "",
            ]
            units = sorted(procedure.units.all(), key=lambda u: u.external_id)
            if not units:
                yield [*common, "", "", "", ""]
            for unit in units:
                yield [
                    *common,
                    unit.external_id,
                    unit.province_id,
                    unit.comune,
                    unit.workers_involved,
                ]


def export_procedures(queryset, out: IO[str]) -> int:
    """Write the interchange CSV for the procedures in ``queryset``; returns the row count."""
    writer = exports.writer(out, lineterminator="\n")
    count = -1  # the header is not a row
    for row in export_rows(queryset):
        writer.writerow(row)
        count += 1
    return count
