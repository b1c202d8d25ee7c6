"""The three reports' figures, from the portal (``monitoring.reports.build``) and from
hand-written SQL, each reduced to the same plain shape so that the two can be compared.

The SQL is what an engineer who knows the schema would write for the same numbers, in
PostgreSQL's dialect (``DISTINCT ON``, ``GROUPING SETS``); Python only groups the rows it
returns. ``portal_*`` reduce a report's dict to the raw counts it shows (the percentages are
computed from them by one function), ``sql_*`` compute those counts: equal means equal.
"""

from datetime import date

from django.db import connection

from cases.enums import Family, Status
from monitoring import reports
from monitoring.enums import ReportKind
from monitoring.periods import Period
from workers.enums import Step

CIGS = (Family.CIGS_MINISTERIALE.value, Family.CIGS_REGIONALE.value)


def _rows(sql: str, params: list | tuple = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- Annual -----------------------------------------------------------------------------------


def portal_annual(period: Period) -> dict:
    return reduce_annual(reports.build(ReportKind.ANNUAL, period))


def reduce_annual(data: dict) -> dict:
    cells = {}
    for row in data["rows"]:
        for family in reports.FAMILIES:
            cell = row[family]
            if cell["units"] or cell["workers"]:
                cells[(row["province"], family)] = (cell["units"], cell["workers"])
    return cells


ANNUAL_SQL = """
    SELECT u.province_id, p.family, COUNT(*), COALESCE(SUM(u.workers_involved), 0)
    FROM cases_productionunit u
    JOIN cases_crisisprocedure p ON p.id = u.procedure_id
    WHERE p.opened_on BETWEEN %s AND %s
    GROUP BY u.province_id, p.family
"""


def sql_annual(period: Period) -> dict:
    rows = _rows(ANNUAL_SQL, [period.start, period.end])
    return {(prov, fam): (units, workers) for prov, fam, units, workers in rows if units or workers}


# --- Bimonthly --------------------------------------------------------------------------------


def portal_bimonthly(period: Period, province: str | None = None) -> dict:
    return reduce_bimonthly(reports.build(ReportKind.BIMONTHLY, period, province))


def reduce_bimonthly(data: dict) -> dict:
    summary = {}
    for row in data["summary"]:
        for family in reports.CIGS_FAMILIES:
            cell = row[family]
            if cell["units"]:
                summary[(row["province"], family)] = (
                    cell["procedures"],
                    cell["units"],
                    cell["workers"],
                )
    total = data["total"]
    reduced = {
        "summary": summary,
        "total": (total["procedures"], total["units"], total["workers"]),
        "families": {
            family: (total[family]["procedures"], total[family]["units"], total[family]["workers"])
            for family in reports.CIGS_FAMILIES
        },
    }
    if "procedures" in data:
        reduced["procedures"] = [
            (
                entry["external_id"],
                entry["company"],
                entry["company_tax_code"],
                entry["family"],
                entry["status"],
                entry["opened_on"],
                entry["start_date"],
                entry["end_date"],
                entry["workers"],
                [(unit["name"], unit["comune"], unit["workers"]) for unit in entry["units"]],
            )
            for entry in data["procedures"]
        ]
    return reduced


# The CIGS procedures whose income support covers the day (and opened by then).
IN_PROGRESS_SQL = """
    SELECT p.* FROM cases_crisisprocedure p
    WHERE p.family IN (%s, %s) AND p.opened_on <= %s AND p.start_date <= %s
      AND (p.end_date >= %s OR (p.end_date IS NULL AND p.status <> %s))
"""

BIMONTHLY_SUMMARY_SQL = f"""
    WITH live AS ({IN_PROGRESS_SQL})
    SELECT u.province_id, l.family, COUNT(DISTINCT l.id), COUNT(*),
           COALESCE(SUM(u.workers_involved), 0)
    FROM cases_productionunit u JOIN live l ON l.id = u.procedure_id
    GROUP BY GROUPING SETS ((u.province_id, l.family), (l.family), ())
"""  # nosec B608 - constant SQL, values in params

BIMONTHLY_UNITS_SQL = f"""
    WITH live AS ({IN_PROGRESS_SQL})
    SELECT l.id, l.external_id, c.name, c.tax_code, l.family, l.status, l.opened_on,
           l.start_date, l.end_date, u.name, u.comune, u.workers_involved
    FROM cases_productionunit u
    JOIN live l ON l.id = u.procedure_id
    JOIN cases_company c ON c.id = l.company_id
    WHERE u.province_id = %s
    ORDER BY c.name, l.external_id, u.comune, u.id
"""  # nosec B608 - constant SQL, values in params


def _in_progress_params(day: date) -> list:
    return [*CIGS, day, day, day, Status.CHIUSA.value]


def sql_bimonthly(period: Period, province: str | None = None) -> dict:
    day = period.end
    summary, families, total = {}, dict.fromkeys(CIGS, (0, 0, 0)), (0, 0, 0)
    for prov, fam, procedures, units, workers in _rows(
        BIMONTHLY_SUMMARY_SQL, _in_progress_params(day)
    ):
        if prov is not None:
            summary[(prov, fam)] = (procedures, units, workers)
        elif fam is not None:
            families[fam] = (procedures, units, workers)
        else:
            total = (procedures, units, workers)
    reduced = {"summary": summary, "total": total, "families": families}
    if province is not None:
        procedures: dict[int, list] = {}
        for row in _rows(BIMONTHLY_UNITS_SQL, [*_in_progress_params(day), province]):
            pk, ext, company, tax_code, fam, status, opened, start, end = row[:9]
            name, comune, workers = row[9:]
            entry = procedures.setdefault(
                pk,
                [
                    ext,
                    company,
                    tax_code,
                    fam,
                    status,
                    opened.isoformat(),
                    start.isoformat(),
                    end.isoformat() if end else None,
                    0,
                    [],
                ],
            )
            entry[8] += workers
            entry[9].append((name, comune, workers))
        reduced["procedures"] = [tuple(entry) for entry in procedures.values()]
    return reduced


# --- Quarterly PAL ----------------------------------------------------------------------------


def portal_quarterly(period: Period, province: str | None = None) -> dict:
    return reduce_quarterly(reports.build(ReportKind.QUARTERLY, period, province))


def reduce_quarterly(data: dict) -> dict:
    now, before, measures = {}, {}, {}
    for row in data["rows"]:
        for step, n in row["steps"].items():
            if n:
                now[(row["province"], step)] = n
        for step, n in row["previous"]["steps"].items():
            if n:
                before[(row["province"], step)] = n
    for measure in data["measures"]:
        for prov, n in measure["by_province"].items():
            measures[(measure["code"], measure["name"], prov)] = n
    return {"now": now, "before": before, "measures": measures}


# Each ministerial-CIGS involvement's latest move effective by the day: DISTINCT ON over the
# moves ordered newest first (by effective date, then recording order), as the portal defines it.
STEPS_ON_SQL = """
    SELECT s.province_id, s.to_step, COUNT(*)
    FROM (
        SELECT DISTINCT ON (t.involvement_id) t.involvement_id, t.to_step, u.province_id
        FROM workers_steptransition t
        JOIN workers_involvement i ON i.id = t.involvement_id
        JOIN cases_crisisprocedure p ON p.id = i.procedure_id
        JOIN cases_productionunit u ON u.id = i.unit_id
        WHERE p.family = %s AND t.effective_date <= %s AND (%s::text IS NULL OR u.province_id = %s)
        ORDER BY t.involvement_id, t.effective_date DESC, t.id DESC
    ) s
    GROUP BY s.province_id, s.to_step
"""

ACTIVATED_SQL = """
    SELECT COALESCE(m.code, '-'), COALESCE(m.name, ''), u.province_id, COUNT(*)
    FROM workers_steptransition t
    JOIN workers_involvement i ON i.id = t.involvement_id
    JOIN cases_crisisprocedure p ON p.id = i.procedure_id
    JOIN cases_productionunit u ON u.id = i.unit_id
    LEFT JOIN pal_measure m ON m.id = t.measure_id
    WHERE t.to_step = %s AND t.effective_date BETWEEN %s AND %s AND p.family = %s
      AND (%s::text IS NULL OR u.province_id = %s)
    GROUP BY 1, 2, 3
"""


def _steps_on(day: date, province: str | None) -> dict:
    rows = _rows(STEPS_ON_SQL, [Family.CIGS_MINISTERIALE.value, day, province, province])
    return {(prov, step): n for prov, step, n in rows}


def sql_quarterly(period: Period, province: str | None = None) -> dict:
    activated = _rows(
        ACTIVATED_SQL,
        [
            Step.STEP_4.value,
            period.start,
            period.end,
            Family.CIGS_MINISTERIALE.value,
            province,
            province,
        ],
    )
    return {
        "now": _steps_on(period.end, province),
        "before": _steps_on(period.previous().end, province),
        "measures": {(code, name, prov): n for code, name, prov, n in activated},
    }
