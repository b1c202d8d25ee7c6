"""The dashboard's and the cruscotto's figures, from the portal and from hand-written SQL,
reduced to the same plain shape (see :mod:`crisi_portal.benchmark.reports`).

Only the two scopes the benchmark measures are written by hand: the whole region (a Region
official, no filter) and one province (its officer, no filter). Six queries for the
dashboard, using ``GROUPING SETS`` so that one pass gives the totals, the provinces and the
families; one query for the cruscotto.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection

from cases.enums import Family, Status
from monitoring import cruscotto
from monitoring.dashboard import ALL_STEPS, FUNNEL_STEPS, dashboard_data
from workers.enums import Step
from workers.models import MoveKind

FIGURES = ("units", "workers_involved", "involvements", "step_4")


def _rows(sql: str, params: list | tuple = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _one_decimal(value) -> float | None:
    if value is None:
        return None
    return float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


# --- Dashboard --------------------------------------------------------------------------------


def portal_dashboard(user, province: str | None = None) -> dict:
    return reduce_dashboard(dashboard_data(user, province=province))


def reduce_dashboard(data: dict) -> dict:
    kpis = data["kpis"]
    return {
        "kpis": {
            key: kpis[key]
            for key in (
                "procedures",
                "units",
                "workers_involved",
                "involvements",
                "step_4",
                "no_pal",
                "with_outcome",
                "median_days_to_step_4",
                "median_days_sample",
            )
        },
        "funnel": {row["step"]: (row["current"], row["reached"]) for row in data["funnel"]},
        "provinces": {
            row["province"]: (
                row["procedures"],
                *(row[key] for key in FIGURES),
                row["median_days_to_step_4"],
            )
            for row in data["by_province"]
        },
        "families": {
            row["family"]: (row["procedures"], *(row[key] for key in FIGURES))
            for row in data["by_family"]
        },
        "months": {row["month"]: row["taken_in_charge"] for row in data["per_month"]},
        "outcomes": {row["kind"]: row["workers"] for row in data["outcomes"] if row["workers"]},
    }


# ``%(codes)s`` is NULL for the whole region, else the province codes. A province officer's
# figures count the units (and their workers) in their provinces; their procedures are those
# with a unit there.
DASHBOARD_PROCEDURES_SQL = """
    SELECT p.family, COUNT(*) FROM cases_crisisprocedure p
    WHERE %(codes)s::text[] IS NULL OR EXISTS (
        SELECT 1 FROM cases_productionunit u
        WHERE u.procedure_id = p.id AND u.province_id = ANY(%(codes)s))
    GROUP BY ROLLUP (p.family)
"""

DASHBOARD_UNITS_SQL = """
    SELECT u.province_id, p.family, COUNT(DISTINCT u.procedure_id), COUNT(*),
           COALESCE(SUM(u.workers_involved), 0)
    FROM cases_productionunit u JOIN cases_crisisprocedure p ON p.id = u.procedure_id
    WHERE %(codes)s::text[] IS NULL OR u.province_id = ANY(%(codes)s)
    GROUP BY GROUPING SETS ((u.province_id), (p.family), ())
"""

DASHBOARD_INVOLVEMENTS_SQL = """
    SELECT u.province_id, p.family, COUNT(*), COUNT(o.id),
           COUNT(*) FILTER (WHERE i.current_step = 'STEP_1'),
           COUNT(*) FILTER (WHERE i.current_step = 'STEP_2'),
           COUNT(*) FILTER (WHERE i.current_step = 'STEP_3'),
           COUNT(*) FILTER (WHERE i.current_step = 'STEP_4'),
           COUNT(*) FILTER (WHERE i.current_step = 'NO_PAL')
    FROM workers_involvement i
    JOIN cases_productionunit u ON u.id = i.unit_id
    JOIN cases_crisisprocedure p ON p.id = i.procedure_id
    LEFT JOIN workers_outcome o ON o.involvement_id = i.id
    WHERE %(codes)s::text[] IS NULL OR u.province_id = ANY(%(codes)s)
    GROUP BY GROUPING SETS ((u.province_id), (p.family), ())
"""

# From each STEP_4 worker's first STEP_1 move to their latest STEP_4 move.
DASHBOARD_MEDIANS_SQL = """
    WITH d AS (
        SELECT u.province_id,
               MAX(t.effective_date) FILTER (WHERE t.to_step = 'STEP_4')
             - MIN(t.effective_date) FILTER (WHERE t.to_step = 'STEP_1') AS days
        FROM workers_involvement i
        JOIN cases_productionunit u ON u.id = i.unit_id
        JOIN workers_steptransition t ON t.involvement_id = i.id
        WHERE i.current_step = 'STEP_4' AND t.to_step IN ('STEP_1', 'STEP_4')
          AND (%(codes)s::text[] IS NULL OR u.province_id = ANY(%(codes)s))
        GROUP BY i.id, u.province_id
    )
    SELECT province_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY days), COUNT(*)
    FROM d WHERE days IS NOT NULL
    GROUP BY ROLLUP (province_id)
"""

DASHBOARD_MONTHS_SQL = """
    SELECT date_trunc('month', t.effective_date)::date, COUNT(DISTINCT t.involvement_id)
    FROM workers_steptransition t
    JOIN workers_involvement i ON i.id = t.involvement_id
    JOIN cases_productionunit u ON u.id = i.unit_id
    WHERE t.kind = %(start)s AND t.effective_date >= %(first)s AND t.effective_date < %(after)s
      AND (%(codes)s::text[] IS NULL OR u.province_id = ANY(%(codes)s))
    GROUP BY 1
"""

DASHBOARD_OUTCOMES_SQL = """
    SELECT o.kind, COUNT(*)
    FROM workers_outcome o
    JOIN workers_involvement i ON i.id = o.involvement_id
    JOIN cases_productionunit u ON u.id = i.unit_id
    WHERE %(codes)s::text[] IS NULL OR u.province_id = ANY(%(codes)s)
    GROUP BY o.kind
"""


def _last_twelve_months(today: datetime.date) -> list[datetime.date]:
    index = today.year * 12 + today.month - 1
    return [datetime.date(i // 12, i % 12 + 1, 1) for i in range(index - 11, index + 1)]


def sql_dashboard(codes: list[str] | None, today: datetime.date) -> dict:
    """The dashboard with no filter, for the whole region (``codes`` None) or some provinces."""
    params = {"codes": codes}
    procedures = dict(_rows(DASHBOARD_PROCEDURES_SQL, params))
    units, unit_families, unit_total = {}, {}, (0, 0, 0)
    for prov, fam, n_procedures, n_units, workers in _rows(DASHBOARD_UNITS_SQL, params):
        if prov is not None:
            units[prov] = (n_procedures, n_units, workers)
        elif fam is not None:
            unit_families[fam] = (n_units, workers)
        else:
            unit_total = (n_procedures, n_units, workers)
    inv, inv_families, inv_total = {}, {}, None
    for prov, fam, n, with_outcome, *steps in _rows(DASHBOARD_INVOLVEMENTS_SQL, params):
        counts = dict(zip(ALL_STEPS, steps, strict=True))
        if prov is not None:
            inv[prov] = (n, counts[Step.STEP_4])
        elif fam is not None:
            inv_families[fam] = (n, counts[Step.STEP_4])
        else:
            inv_total = (n, with_outcome, counts)
    n, with_outcome, counts = inv_total or (0, 0, dict.fromkeys(ALL_STEPS, 0))
    medians = {
        prov: (_one_decimal(median), sample)
        for prov, median, sample in _rows(DASHBOARD_MEDIANS_SQL, params)
    }
    months = _last_twelve_months(today)
    after = datetime.date(months[-1].year + months[-1].month // 12, months[-1].month % 12 + 1, 1)
    per_month = dict(
        _rows(
            DASHBOARD_MONTHS_SQL,
            {**params, "start": MoveKind.START.value, "first": months[0], "after": after},
        )
    )
    outcomes = dict(_rows(DASHBOARD_OUTCOMES_SQL, params))

    province_codes = [
        code
        for (code,) in _rows("SELECT code FROM cases_province ORDER BY position")
        if codes is None or code in codes
    ]
    family_codes = list(Family.values)
    regional_median, sample = medians.get(None, (None, 0))
    return {
        "kpis": {
            "procedures": procedures.get(None, 0),
            "units": unit_total[1],
            "workers_involved": unit_total[2],
            "involvements": n,
            "step_4": counts[Step.STEP_4],
            "no_pal": counts[Step.NO_PAL],
            "with_outcome": with_outcome,
            "median_days_to_step_4": regional_median,
            "median_days_sample": sample,
        },
        "funnel": {
            step.value: (
                counts[step],
                sum(counts[s] for s in FUNNEL_STEPS[FUNNEL_STEPS.index(step) :])
                if step in FUNNEL_STEPS
                else counts[step],
            )
            for step in ALL_STEPS
        },
        "provinces": {
            code: (
                units.get(code, (0, 0, 0))[0],
                units.get(code, (0, 0, 0))[1],
                units.get(code, (0, 0, 0))[2],
                inv.get(code, (0, 0))[0],
                inv.get(code, (0, 0))[1],
                medians.get(code, (None, 0))[0],
            )
            for code in province_codes
        },
        "families": {
            fam: (
                procedures.get(fam, 0),
                *unit_families.get(fam, (0, 0)),
                *inv_families.get(fam, (0, 0)),
            )
            for fam in family_codes
        },
        "months": {month.strftime("%Y-%m"): per_month.get(month, 0) for month in months},
        "outcomes": outcomes,
    }


# --- Cruscotto --------------------------------------------------------------------------------


def portal_cruscotto(user, today: datetime.date) -> list[tuple]:
    return reduce_cruscotto(cruscotto.cruscotto_procedures(user, today=today))


def reduce_cruscotto(procedures) -> list[tuple]:
    return [
        (
            p.pk,
            p.company.name,
            p.lead_province_id,
            p.next_meeting_date,
            p.next_meeting_kind,
            p.next_meeting_id,
            p.total_workers,
            p.workers_taken_in_charge,
            *(getattr(p, field) for field in cruscotto.STEP_FIELDS.values()),
            tuple(cruscotto.unit_provinces(p)),
        )
        for p in procedures
    ]


# The high-complexity procedures not closed (a Region official sees them all), ordered by the
# end of income support (unknown last), then company; the next meeting, the units' workers and
# the workers per step through LATERAL joins.
CRUSCOTTO_SQL = """
    SELECT p.id, c.name, p.lead_province_id, nm.date, nm.kind, nm.id,
           COALESCE(uw.workers, 0), COALESCE(iw.n, 0),
           COALESCE(iw.s1, 0), COALESCE(iw.s2, 0), COALESCE(iw.s3, 0), COALESCE(iw.s4, 0),
           COALESCE(iw.no_pal, 0), COALESCE(uw.provinces, '{}')
    FROM cases_crisisprocedure p
    JOIN cases_company c ON c.id = p.company_id
    LEFT JOIN LATERAL (
        SELECT m.date, m.kind, m.id FROM cases_meeting m
        JOIN cases_meeting_procedures mp ON mp.meeting_id = m.id
        WHERE mp.crisisprocedure_id = p.id AND m.date >= %(today)s
        ORDER BY m.date, m.id LIMIT 1
    ) nm ON TRUE
    LEFT JOIN LATERAL (
        SELECT SUM(u.workers_involved) AS workers,
               array_agg(DISTINCT u.province_id) AS provinces
        FROM cases_productionunit u WHERE u.procedure_id = p.id
    ) uw ON TRUE
    LEFT JOIN LATERAL (
        SELECT COUNT(*) AS n,
               COUNT(*) FILTER (WHERE i.current_step = 'STEP_1') AS s1,
               COUNT(*) FILTER (WHERE i.current_step = 'STEP_2') AS s2,
               COUNT(*) FILTER (WHERE i.current_step = 'STEP_3') AS s3,
               COUNT(*) FILTER (WHERE i.current_step = 'STEP_4') AS s4,
               COUNT(*) FILTER (WHERE i.current_step = 'NO_PAL') AS no_pal
        FROM workers_involvement i WHERE i.procedure_id = p.id
    ) iw ON TRUE
    WHERE p.high_complexity AND p.status <> %(closed)s
    ORDER BY p.end_date ASC NULLS LAST, c.name, p.id
"""


def sql_cruscotto(today: datetime.date) -> list[tuple]:
    position = dict(_rows("SELECT code, position FROM cases_province"))
    return [
        (*row[:13], tuple(sorted(row[13], key=position.__getitem__)))
        for row in _rows(CRUSCOTTO_SQL, {"today": today, "closed": Status.CHIUSA.value})
    ]
