"""The content of the three official reports (DOMAIN §5), as plain data with raw numbers.

Every figure is aggregated by the database; Python only lays the aggregates out in the
official order and computes percentages from them. The dicts returned here are the JSON
format of the reports and what the PDF, XLSX and CSV renderers draw.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db import connections
from django.db.models import Count, Exists, F, OuterRef, Q, Sum, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils.module_loading import import_string

from cases.enums import AgreementGoal, AgreementKind, Family, Status
from cases.models import Agreement, CrisisProcedure, Meeting, ProductionUnit, Province
from cases.tables import table_counts
from monitoring.enums import ReportKind
from monitoring.periods import Period
from pal.models import CompetenceCertification
from workers.enums import Step
from workers.models import StepTransition

FAMILIES = list(Family.values)
CIGS_FAMILIES = [Family.CIGS_MINISTERIALE.value, Family.CIGS_REGIONALE.value]
STEPS = list(Step.values)
PAL_MONITORING_BUILDER = "monitoring.pal_report.pal_monitoring"


class ScopeError(ValueError):
    """A report asked for a scope it does not have (e.g. the annual table of one province)."""


def percentage(part: int, whole: int, places: str = "0.1") -> float:
    """``part`` as a percentage of ``whole``, rounded half up (10.25 → 10.3); 0 when whole is 0."""
    if not whole:
        return 0.0
    value = Decimal(part) * 100 / Decimal(whole)
    return float(value.quantize(Decimal(places), rounding=ROUND_HALF_UP))


# The twelve provinces are reference data shipped with the migrations (names editable in the
# admin): kept in the cache, each report saves a round trip to the database — at a million
# workers the annual table's own query takes about 12 ms, and this second one made it 1.5 times
# the hand-written SQL (issue #12). A renamed province shows in reports within the timeout.
PROVINCES_CACHE_KEY = "monitoring.reports.provinces"
PROVINCES_CACHE_SECONDS = 10 * 60


def provinces() -> list[dict]:
    rows = cache.get(PROVINCES_CACHE_KEY)
    if rows is None:
        rows = list(Province.objects.order_by("position").values("code", "name"))
        cache.set(PROVINCES_CACHE_KEY, rows, PROVINCES_CACHE_SECONDS)
    return rows


def build(kind: str, period: Period, province: str | None = None) -> dict:
    builders = {
        ReportKind.ANNUAL: annual,
        ReportKind.BIMONTHLY: bimonthly,
        ReportKind.QUARTERLY: quarterly,
        # By name: the PAL monitoring report builds on this module (percentage, provinces).
        ReportKind.PAL_MONITORING: import_string(PAL_MONITORING_BUILDER),
    }
    return builders[ReportKind(kind)](period, province)


# --- Annual table ------------------------------------------------------------------------------


def annual(period: Period, province: str | None = None) -> dict:
    """Per province and family: units and workers of procedures opened in the year, with % weights.

    Units and workers count in the unit's province (sede operativa); workers are the units'
    ``workers_involved``. The table is regional by definition: all twelve provinces, always.
    """
    if province is not None:
        raise ScopeError("The annual table is regional: it has no single-province version.")
    cells = (
        ProductionUnit.objects.filter(
            procedure__opened_on__gte=period.start, procedure__opened_on__lte=period.end
        )
        .values("province_id", "procedure__family")
        .annotate(units=Count("id"), workers=Coalesce(Sum("workers_involved"), 0))
        .order_by()
    )
    by_cell = {(c["province_id"], c["procedure__family"]): c for c in cells}
    totals = {
        family: {
            "units": sum(c["units"] for (_, f), c in by_cell.items() if f == family),
            "workers": sum(c["workers"] for (_, f), c in by_cell.items() if f == family),
        }
        for family in FAMILIES
    }
    rows = []
    for prov in provinces():
        row = {"province": prov["code"]}
        for family in FAMILIES:
            cell = by_cell.get((prov["code"], family), {"units": 0, "workers": 0})
            row[family] = {
                "units": cell["units"],
                "units_pct": percentage(cell["units"], totals[family]["units"]),
                "workers": cell["workers"],
                "workers_pct": percentage(cell["workers"], totals[family]["workers"]),
            }
        row["total_workers"] = sum(row[family]["workers"] for family in FAMILIES)
        rows.append(row)
    total = {family: totals[family] for family in FAMILIES}
    total["total_workers"] = sum(t["workers"] for t in totals.values())
    return {
        "kind": ReportKind.ANNUAL.value,
        "period": period.code,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "scope": "LOM",
        "rows": rows,
        "total": total,
        # For the notes only (the table itself is the Region's published one): the regional
        # and bilateral tables held in the year, per convener (cases.tables).
        "tables": table_counts(Meeting.objects.all(), period.start.year),
        "notes": annual_notes(period),
    }


def annual_notes(period: Period) -> dict:
    """Figures for the notes under the annual table (the table itself is the Region's and does
    not change): agreements signed in the year by kind, with their goals (issue #14 item 4),
    how many procedures opened in the year have an agreement, and competence certifications
    issued in the year by EQF level (item 7). Three queries."""
    in_year = {"signed_on__gte": period.start, "signed_on__lte": period.end}
    goal_counts = {
        goal: Count("id", filter=Q(**{f"goal_{goal}": True})) for goal in AgreementGoal.values
    }
    by_kind = {
        row["kind"]: row
        for row in Agreement.objects.filter(**in_year)
        .values("kind")
        .annotate(agreements=Count("id"), outplacement=Count("id", filter=Q(outplacement=True)))
        .annotate(**goal_counts)
        .order_by()
    }
    keys = ("agreements", "outplacement", *AgreementGoal.values)
    opened = CrisisProcedure.objects.filter(
        opened_on__gte=period.start, opened_on__lte=period.end
    ).aggregate(
        procedures=Count("id"),
        with_agreement=Count(
            "id", filter=Exists(Agreement.objects.filter(procedure=OuterRef("pk")))
        ),
    )
    levels = (
        CompetenceCertification.objects.filter(
            certified_on__gte=period.start, certified_on__lte=period.end
        )
        .values(level=F("qualification__eqf_level"))
        .annotate(certifications=Count("id"))
        .order_by("level")
    )
    return {
        "agreements": [
            {"kind": kind, **{key: by_kind.get(kind, {}).get(key, 0) for key in keys}}
            for kind in AgreementKind.values
        ],
        "procedures_opened": opened["procedures"],
        "procedures_with_agreement": opened["with_agreement"],
        "certifications": [
            {"eqf_level": row["level"], "certifications": row["certifications"]} for row in levels
        ],
    }


# --- Bimonthly report --------------------------------------------------------------------------


def in_progress_on(day, prefix: str = "") -> Q:
    """CIGS procedures whose income-support period covers ``day`` (opened by then); ``prefix``
    reaches the procedure from another model (``"procedure__"`` from its units)."""

    def field(name: str) -> str:
        return f"{prefix}{name}"

    return (
        Q(**{field("family__in"): CIGS_FAMILIES})
        & Q(**{field("opened_on__lte"): day})
        & Q(**{field("start_date__lte"): day})
        & (
            Q(**{field("end_date__gte"): day})
            | (Q(**{field("end_date__isnull"): True}) & ~Q(**{field("status"): Status.CHIUSA}))
        )
    )


def bimonthly(period: Period, province: str | None = None) -> dict:
    """The CIGS procedures in progress on the last day of the bimester.

    A province's document lists each procedure with its units in that province; the regional
    document summarises procedures, units and workers per province and family.
    """
    day = period.end
    # The units of those procedures through one join: not ``procedure__in`` a subquery, which
    # read the procedures twice per query (issue #12: 2.09 times the hand-written SQL).
    units = ProductionUnit.objects.filter(in_progress_on(day, "procedure__"))
    data = {
        "kind": ReportKind.BIMONTHLY.value,
        "period": period.code,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "as_of": day.isoformat(),
        "scope": province or "LOM",
    }
    if province is not None:
        if province not in {row["code"] for row in provinces()}:
            raise ScopeError(f"Unknown province {province!r}.")
        data["procedures"] = bimonthly_procedures(units.filter(province_id=province))
    # The regional summary is in every document: a province reads itself against the others.
    data["summary"], data["total"] = bimonthly_summary(units, day)
    return data


def bimonthly_procedures(units) -> list[dict]:
    """One entry per procedure with its units (already restricted to one province)."""
    # Each unit row carries its procedure's workers in the province, summed by the database
    # (a window over the same rows: one query, not a second pass over the units).
    rows = units.annotate(
        procedure_workers=Window(Sum("workers_involved"), partition_by=[F("procedure_id")])
    ).order_by("procedure__company__name", "procedure__external_id", "comune", "id")
    procedures: dict[int, dict] = {}
    for unit in rows.values(
        "procedure_workers",
        "procedure_id",
        "procedure__external_id",
        "procedure__number",
        "procedure__company__name",
        "procedure__company__tax_code",
        "procedure__family",
        "procedure__status",
        "procedure__opened_on",
        "procedure__start_date",
        "procedure__end_date",
        "name",
        "comune",
        "workers_involved",
    ):
        entry = procedures.setdefault(
            unit["procedure_id"],
            {
                "external_id": unit["procedure__external_id"],
                "number": unit["procedure__number"],
                "company": unit["procedure__company__name"],
                "company_tax_code": unit["procedure__company__tax_code"],
                "family": unit["procedure__family"],
                "status": unit["procedure__status"],
                "opened_on": unit["procedure__opened_on"].isoformat(),
                "start_date": unit["procedure__start_date"].isoformat(),
                "end_date": (
                    unit["procedure__end_date"].isoformat() if unit["procedure__end_date"] else None
                ),
                "units": [],
                "workers": unit["procedure_workers"] or 0,
            },
        )
        entry["units"].append(
            {"name": unit["name"], "comune": unit["comune"], "workers": unit["workers_involved"]}
        )
    return list(procedures.values())


def bimonthly_summary(units, day) -> tuple[list[dict], dict]:
    cells = (
        units.values("province_id", "procedure__family")
        .annotate(
            procedures=Count("procedure", distinct=True),
            units=Count("id"),
            workers=Coalesce(Sum("workers_involved"), 0),
        )
        .order_by()
    )
    by_cell = {(c["province_id"], c["procedure__family"]): c for c in cells}
    empty = {"procedures": 0, "units": 0, "workers": 0}
    summary = []
    for prov in provinces():
        row = {"province": prov["code"], "name": prov["name"]}
        for family in CIGS_FAMILIES:
            cell = by_cell.get((prov["code"], family), empty)
            row[family] = {key: cell[key] for key in empty}
        row["procedures"] = sum(row[f]["procedures"] for f in CIGS_FAMILIES)
        row["units"] = sum(row[f]["units"] for f in CIGS_FAMILIES)
        row["workers"] = sum(row[f]["workers"] for f in CIGS_FAMILIES)
        summary.append(row)
    # Regional totals: units and workers add up; procedures are counted in the database, once
    # each even when they span provinces — from the procedures themselves (those with a unit),
    # per family: not COUNT(DISTINCT) over the units, three sorts (issue #12).
    procedures_by_family = dict(
        CrisisProcedure.objects.filter(in_progress_on(day))
        .filter(Exists(ProductionUnit.objects.filter(procedure=OuterRef("pk"))))
        .order_by()
        .values("family")
        .annotate(n=Count("pk"))
        .values_list("family", "n")
    )
    total: dict = {
        "procedures": sum(procedures_by_family.values()),
        "units": sum(row["units"] for row in summary),
        "workers": sum(row["workers"] for row in summary),
    }
    for family in CIGS_FAMILIES:
        total[family] = {
            "procedures": procedures_by_family.get(family, 0),
            "units": sum(row[family]["units"] for row in summary),
            "workers": sum(row[family]["workers"] for row in summary),
        }
    return summary, total


# --- Quarterly PAL monitoring -------------------------------------------------------------------


def steps_on(day, province: str | None = None):
    """Workers of ministerial-CIGS procedures per province and step as they stood on ``day``.

    The step on a day is the arrival step of the involvement's latest transition effective by
    then; workers not yet taken in charge by that day are not counted.

    One pass over the moves effective by then, numbered newest first per involvement (by
    effective date, then recording order: the index ``transition_latest_first`` holds them in
    that order), keeping the first — not a correlated "latest move" subquery per involvement,
    which the ORM wrote twice (select and filter) and cost seconds at a million workers
    (issue #12).
    """
    moves = StepTransition.objects.filter(
        involvement__procedure__family=Family.CIGS_MINISTERIALE, effective_date__lte=day
    )
    if province is not None:
        moves = moves.filter(involvement__unit__province_id=province)
    numbered = moves.order_by().values(
        "to_step",
        province=F("involvement__unit__province_id"),
        newest=Window(
            RowNumber(),
            partition_by=[F("involvement_id")],
            order_by=[F("effective_date").desc(), F("id").desc()],
        ),
    )
    connection = connections[numbered.db]
    inner, params = numbered.query.get_compiler(connection=connection).as_sql()
    sql = (
        "SELECT province, to_step, COUNT(*) "  # nosec B608 - inner is the ORM-compiled query; values go in params
        f"FROM ({inner}) AS m WHERE newest = 1 GROUP BY province, to_step"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(prov, step): n for prov, step, n in cursor.fetchall()}


def step_block(counts: dict[str, int]) -> dict:
    workers = sum(counts.values())
    return {
        "steps": counts,
        "workers": workers,
        "activation_rate": percentage(counts[Step.STEP_4], workers),
    }


def change(now: dict, before: dict) -> dict:
    delta = {step: now["steps"][step] - before["steps"][step] for step in STEPS}
    delta["workers"] = now["workers"] - before["workers"]
    rate = Decimal(str(now["activation_rate"])) - Decimal(str(before["activation_rate"]))
    delta["activation_rate"] = float(rate)
    return delta


def quarterly(period: Period, province: str | None = None) -> dict:
    """Per province: ministerial-CIGS workers by step at the quarter's end, the activation rate
    (STEP_4 share), measures activated in the quarter, and the change from the previous quarter."""
    previous = period.previous()
    now_cells = steps_on(period.end, province)
    before_cells = steps_on(previous.end, province)
    activated = (
        StepTransition.objects.filter(
            to_step=Step.STEP_4,
            effective_date__gte=period.start,
            effective_date__lte=period.end,
            involvement__procedure__family=Family.CIGS_MINISTERIALE,
        )
        .filter(**({"involvement__unit__province_id": province} if province else {}))
        .values("involvement__unit__province_id", "measure__code", "measure__name")
        .annotate(n=Count("id"))
        .order_by("measure__code")
    )
    measures: dict[str, dict] = {}
    for cell in activated:
        code = cell["measure__code"] or "-"
        entry = measures.setdefault(
            code, {"code": code, "name": cell["measure__name"] or "", "by_province": {}}
        )
        entry["by_province"][cell["involvement__unit__province_id"]] = cell["n"]
    for entry in measures.values():
        entry["total"] = sum(entry["by_province"].values())

    scope = [p for p in provinces() if province is None or p["code"] == province]
    if province is not None and not scope:
        raise ScopeError(f"Unknown province {province!r}.")
    rows = []
    for prov in scope:
        code = prov["code"]
        now = step_block({s: now_cells.get((code, s), 0) for s in STEPS})
        before = step_block({s: before_cells.get((code, s), 0) for s in STEPS})
        rows.append(
            {
                "province": code,
                "name": prov["name"],
                **now,
                "activated_in_quarter": sum(
                    m["by_province"].get(code, 0) for m in measures.values()
                ),
                "previous": before,
                "change": change(now, before),
            }
        )
    total_now = step_block({s: sum(r["steps"][s] for r in rows) for s in STEPS})
    total_before = step_block({s: sum(r["previous"]["steps"][s] for r in rows) for s in STEPS})
    return {
        "kind": ReportKind.QUARTERLY.value,
        "period": period.code,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "previous_period": previous.code,
        "scope": province or "LOM",
        "rows": rows,
        "total": {
            **total_now,
            "activated_in_quarter": sum(r["activated_in_quarter"] for r in rows),
            "previous": total_before,
            "change": change(total_now, total_before),
        },
        "measures": sorted(measures.values(), key=lambda m: (-m["total"], m["code"])),
    }
