"""Open data (issue #16 item 4): the Region-scope reports' figures as public datasets.

Each dataset takes the data of one report (``monitoring.reports.build``: the same figures as
the Region's document) and lays it out as a tidy table, one figure a row::

    period, territory, territory_name, dimension, category, category_label, measure, value,
    suppressed

Aggregates only: no worker, no company, no procedure has a row (the annual table counts units
and workers per province and family; the PAL figures count workers per stage, step and group).
Every published figure goes through the small-cell suppression of the PAL monitoring report
(``monitoring.pal_report.suppress`` / ``suppress_table``, ``PAL_REPORT_MIN_CELL``), the
regional ones too: open data is public. A withheld figure has an empty value and
``suppressed`` true (JSON: null and true).

The content names no version and no date: the same figures give the same bytes, which is how
``monitoring.services.open_data_publish`` knows a release would add nothing.
"""

import copy
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

from cases.enums import Family
from crisi_portal import exports
from monitoring.enums import OpenDataset, ReportKind
from monitoring.pal_report import STAGE_LABELS, pal_settings, suppress, suppress_table
from monitoring.periods import Period
from monitoring.reports import FAMILIES, STEPS, provinces
from workers.enums import Step

COLUMNS = (
    "period",
    "territory",
    "territory_name",
    "dimension",
    "category",
    "category_label",
    "measure",
    "value",
    "suppressed",
)
REGION = "LOM"
REGION_NAME = "Lombardia"
# The breakdowns of the PAL outcomes report left out of open data: the operator's (a named
# accredited organisation's results are the Region's rating, not open data).
PAL_DIMENSIONS_LEFT_OUT = frozenset({"operator"})
TIME_LABELS = {
    "step1_to_step4": gettext_lazy("Days from STEP 1 to STEP 4"),
    "step1_to_reemployment": gettext_lazy("Days from STEP 1 to re-employment"),
}


@dataclass(frozen=True)
class DatasetSpec:
    """What a dataset is made of and how the catalogue describes it."""

    slug: str
    kind: str  # the report kind whose Region-scope run it comes from
    span: str  # its periods: ReportKind.ANNUAL or ReportKind.QUARTERLY
    description: object  # lazily translated
    themes: tuple[str, ...]  # EU data-theme codes
    keywords: tuple[str, ...]
    tidy: Callable[[dict, int], list[dict]]  # (report data, min_cell) → rows

    @property
    def title(self) -> object:
        return OpenDataset(self.slug).label

    @property
    def frequency(self) -> str:
        """The EU frequency vocabulary's code."""
        return "ANNUAL" if self.span == ReportKind.ANNUAL else "QUARTERLY"


# --- Suppression of the per-province tables ------------------------------------------------------


def suppress_grid(rows: list[dict], columns: list[str], across: list[str], min_cell: int) -> int:
    """Primary and secondary suppression of a table whose ``columns`` add up to a total row
    (the last of ``rows``) and whose ``across`` columns add up, in each row, to a figure shown
    in it: ``pal_report.suppress_table`` down the columns (the total row left out), then across
    each row (the table turned over), until nothing more is withheld. In place; returns how
    many cells were withheld."""
    for row in rows:
        row.setdefault("suppressed", [])
    withheld = suppress_table(rows[:-1], columns, min_cell)
    withheld += suppress_table(rows[-1:], columns, min_cell)
    while True:
        turned = [
            {
                "suppressed": [str(i) for i, row in enumerate(rows) if column in row["suppressed"]],
                **{str(i): row[column] for i, row in enumerate(rows)},
            }
            for column in across
        ]
        more = suppress_table(turned, [str(i) for i in range(len(rows))], min_cell)
        for column, line in zip(across, turned, strict=True):
            for i, row in enumerate(rows):
                if str(i) in line["suppressed"] and column not in row["suppressed"]:
                    row[column] = None
                    row["suppressed"].append(column)
        more += suppress_table(rows[:-1], columns, min_cell)
        if not more:
            return withheld
        withheld += more


def _flag(rows: list[dict], shown: list[dict]) -> list[dict]:
    """The tidy rows of the figures as shown: a value the suppression emptied is flagged."""
    out = []
    for row, after in zip(rows, shown, strict=True):
        withheld = row["value"] is not None and after["value"] is None
        out.append({**after, "suppressed": withheld})
    return out


def _row(
    period: str,
    territory: tuple[str, str],
    dimension: str,
    category: str,
    label: object,
    measure: str,
    value: float | None,
) -> dict:
    return {
        "period": period,
        "territory": territory[0],
        "territory_name": territory[1],
        "dimension": dimension,
        "category": category,
        "category_label": str(label),
        "measure": measure,
        "value": value,
    }


# --- The annual table ----------------------------------------------------------------------------


def annual_tidy(data: dict, min_cell: int) -> list[dict]:
    """Units and workers per province and family, the workers of each province, and the
    regional totals; percentages are left out (they are the counts over the total)."""
    names = {p["code"]: p["name"] for p in provinces()}
    columns = [f"{what}_{family}" for family in FAMILIES for what in ("units", "workers")]
    columns.append("total_workers")
    across = [f"workers_{family}" for family in FAMILIES] + ["total_workers"]
    grid = []
    for row in data["rows"]:
        cells = {f"{what}_{f}": row[f][what] for f in FAMILIES for what in ("units", "workers")}
        grid.append({"territory": (row["province"], names.get(row["province"], "")), **cells})
    total = data["total"]
    cells = {f"{what}_{f}": total[f][what] for f in FAMILIES for what in ("units", "workers")}
    grid.append({"territory": (REGION, REGION_NAME), **cells})
    for row in grid:
        row["total_workers"] = sum(row[f"workers_{f}"] for f in FAMILIES)
    # The row total is a column of its own, which the turned-over table needs as its last cell.
    return _grid_tidy(data["period"], grid, columns, across, min_cell, _annual_cells)


def _annual_cells(row: dict) -> list[tuple]:
    cells = [
        ("family", family, Family(family).label, what, row[f"{what}_{family}"])
        for family in FAMILIES
        for what in ("units", "workers")
    ]
    cells.append(("all", "all", gettext_lazy("All families"), "workers", row["total_workers"]))
    return cells


def _grid_tidy(
    period: str,
    grid: list[dict],
    columns: list[str],
    across: list[str],
    min_cell: int,
    cells_of: Callable[[dict], list[tuple]],
) -> list[dict]:
    """The tidy rows of a per-province ``grid`` (its last row the region's), withheld by
    :func:`suppress_grid`; a rate whose count was withheld is withheld by ``cells_of``."""
    shown = copy.deepcopy(grid)
    suppress_grid(shown, columns, across, min_cell)

    def tidy(rows: list[dict]) -> list[dict]:
        return [_row(period, row["territory"], *cell) for row in rows for cell in cells_of(row)]

    return _flag(tidy(grid), tidy(shown))


# --- The quarterly PAL monitoring table ----------------------------------------------------------


def pal_steps_tidy(data: dict, min_cell: int) -> list[dict]:
    """Ministerial-CIGS workers per province and step at the quarter's end, the workers
    activated in the quarter and the activation rate (withheld with its counts)."""
    grid = []
    for row in data["rows"]:
        grid.append(
            {
                "territory": (row["province"], row["name"]),
                **{f"step_{s}": row["steps"][s] for s in STEPS},
                "workers": row["workers"],
                "activated_in_quarter": row["activated_in_quarter"],
                "activation_rate": row["activation_rate"],
            }
        )
    total = data["total"]
    grid.append(
        {
            "territory": (REGION, REGION_NAME),
            **{f"step_{s}": total["steps"][s] for s in STEPS},
            "workers": total["workers"],
            "activated_in_quarter": total["activated_in_quarter"],
            "activation_rate": total["activation_rate"],
        }
    )
    columns = [f"step_{s}" for s in STEPS] + ["workers", "activated_in_quarter"]
    across = [f"step_{s}" for s in STEPS] + ["workers"]
    return _grid_tidy(data["period"], grid, columns, across, min_cell, _pal_steps_cells)


def _pal_steps_cells(row: dict) -> list[tuple]:
    cells = [("step", s, Step(s).label, "workers", row[f"step_{s}"]) for s in STEPS]
    withheld = {f"step_{Step.STEP_4}", "workers"} & set(row.get("suppressed", []))
    rate = None if withheld else row["activation_rate"]
    for measure, value in (
        ("workers", row["workers"]),
        ("activated_in_quarter", row["activated_in_quarter"]),
        ("activation_rate", rate),
    ):
        cells.append(("all", "all", gettext_lazy("All steps"), measure, value))
    return cells


# --- The PAL outcomes report ---------------------------------------------------------------------


def pal_outcomes_tidy(data: dict, min_cell: int) -> list[dict]:
    """The funnel, the other exits, re-employment within 6 and 12 months, the times and the
    breakdowns of the regional PAL monitoring report, withheld as a province's document is
    (``pal_report.suppress``)."""
    shown = copy.deepcopy(data)
    suppress(shown, min_cell)
    return _flag(_pal_outcomes_rows(data), _pal_outcomes_rows(shown))


def _pal_outcomes_rows(data: dict) -> list[dict]:
    period = data["period"]
    region = (REGION, REGION_NAME)
    rows = []
    for stage in data["funnel"]:
        label = STAGE_LABELS[stage["stage"]]
        for measure in ("count", "pct", "in_period"):
            if stage["stage"] == "in_training" and measure == "in_period":
                continue  # in training is counted in the period only
            rows.append(
                _row(period, region, "stage", stage["stage"], label, measure, stage[measure])
            )
    rows.append(
        _row(
            period,
            region,
            "exit",
            "other",
            gettext_lazy("Other exits"),
            "count",
            data["other_exits"],
        )
    )
    for window in data["reemployment"]:
        window_label = gettext("Re-employed within %(months)s months of STEP 1") % {
            "months": window["months"]
        }
        for measure in ("eligible", "reemployed", "rate"):
            rows.append(
                _row(
                    period,
                    region,
                    "reemployment_window",
                    str(window["months"]),
                    window_label,
                    measure,
                    window[measure],
                )
            )
    for time in data["times"]:
        for measure in ("n", "q1", "median", "q3"):
            rows.append(
                _row(
                    period,
                    region,
                    "days",
                    time["measure"],
                    TIME_LABELS[time["measure"]],
                    measure,
                    time[measure],
                )
            )
    measures = ["taken_in_charge", "pal_activated", "reemployed", "reemployed_pct"]
    measures += [f"{m}_{months}m" for months in (6, 12) for m in ("eligible", "reemployed", "rate")]
    for table in data["breakdowns"]:
        if table["dimension"] in PAL_DIMENSIONS_LEFT_OUT:
            continue
        for row in table["rows"]:
            for measure in measures:
                if measure in row:
                    rows.append(
                        _row(
                            period,
                            region,
                            table["dimension"],
                            row["key"],
                            row["label"],
                            measure,
                            row[measure],
                        )
                    )
    return rows


# --- The datasets --------------------------------------------------------------------------------

DATASETS: dict[str, DatasetSpec] = {
    spec.slug: spec
    for spec in (
        DatasetSpec(
            slug=OpenDataset.ANNUAL_PROVINCES,
            kind=ReportKind.ANNUAL,
            span=ReportKind.ANNUAL,
            description=gettext_lazy(
                "Production units and workers involved in the crisis procedures opened in the "
                "year (ministerial and regional CIGS, collective dismissals), per province of "
                "the production unit and procedure family: the Region's annual table."
            ),
            themes=("SOCI", "ECON"),
            keywords=("crisi aziendali", "CIGS", "licenziamenti collettivi", "lavoro"),
            tidy=annual_tidy,
        ),
        DatasetSpec(
            slug=OpenDataset.PAL_STEPS_QUARTERLY,
            kind=ReportKind.QUARTERLY,
            span=ReportKind.QUARTERLY,
            description=gettext_lazy(
                "Workers of ministerial-CIGS procedures per province and step of the active "
                "labour policy path (STEP 1 to 4, exempted) at the end of the quarter, the "
                "workers whose PAL was activated in the quarter and the activation rate."
            ),
            themes=("SOCI", "GOVE"),
            keywords=("politiche attive del lavoro", "CIGS", "PAL", "lavoro"),
            tidy=pal_steps_tidy,
        ),
        DatasetSpec(
            slug=OpenDataset.PAL_OUTCOMES_QUARTERLY,
            kind=ReportKind.PAL_MONITORING,
            span=ReportKind.QUARTERLY,
            description=gettext_lazy(
                "From informed to re-employed: the workers of the crisis procedures at each "
                "stage of the active labour policy path, re-employment within 6 and 12 months "
                "of STEP 1, the days each step takes, by sex, age, citizenship, education, "
                "province, employment centre, procedure, company kind, sector and measure."
            ),
            themes=("SOCI", "GOVE"),
            keywords=("politiche attive del lavoro", "ricollocazione", "PAL", "lavoro"),
            tidy=pal_outcomes_tidy,
        ),
        DatasetSpec(
            slug=OpenDataset.PAL_OUTCOMES_ANNUAL,
            kind=ReportKind.PAL_MONITORING,
            span=ReportKind.ANNUAL,
            description=gettext_lazy(
                "The PAL outcomes monitoring of the year: the workers of the crisis procedures "
                "at each stage of the active labour policy path, re-employment within 6 and 12 "
                "months of STEP 1, the days each step takes, and the same by group."
            ),
            themes=("SOCI", "GOVE"),
            keywords=("politiche attive del lavoro", "ricollocazione", "PAL", "lavoro"),
            tidy=pal_outcomes_tidy,
        ),
    )
}


def dataset_of(kind: str, period: Period) -> DatasetSpec | None:
    """The dataset a Region-scope report of ``kind`` and ``period`` feeds, if any (the
    bimonthly report lists procedures and companies: it feeds none)."""
    for spec in DATASETS.values():
        if spec.kind == kind and spec.span == period.kind:
            return spec
    return None


def period_of(spec: DatasetSpec, code: str) -> Period:
    """The period ``code`` of a dataset (PeriodError when it is not one of its span)."""
    period = Period.parse(spec.kind, code)
    if period.kind != spec.span:
        from monitoring.periods import PeriodError

        raise PeriodError(f"{code} is not a period of {spec.slug}.")
    return period


# --- The files -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    csv: str
    json: str
    rows: int
    suppressed: int
    min_cell: int

    @property
    def csv_sha256(self) -> str:
        return hashlib.sha256(self.csv.encode()).hexdigest()

    @property
    def json_sha256(self) -> str:
        return hashlib.sha256(self.json.encode()).hexdigest()


def content(spec: DatasetSpec, data: dict) -> Content:
    """The CSV and JSON of ``spec`` from a report's (Region-scope, unsuppressed) data; labels
    in the portal's language (Italian)."""
    min_cell = pal_settings().min_cell
    with translation.override(settings.LANGUAGE_CODE):
        rows = spec.tidy(data, min_cell)
    buffer = io.StringIO()
    writer = exports.writer(buffer, lineterminator="\r\n")  # formula-like labels quoted
    writer.writerow(COLUMNS)
    for row in rows:
        value = row["value"]
        writer.writerow(
            [
                *(row[c] for c in COLUMNS[:7]),
                "" if value is None else value,
                "true" if row["suppressed"] else "false",
            ]
        )
    document = {
        "dataset": spec.slug,
        "period": data["period"],
        "period_start": data["period_start"],
        "period_end": data["period_end"],
        "publisher": {
            "name": settings.OPEN_DATA_PUBLISHER_NAME,
            "ipa": settings.OPEN_DATA_IPA_CODE,
        },
        "license": LICENSE_URI,
        "suppression": {
            "min_cell": min_cell,
            "rule": (
                "Counts from 1 to min_cell - 1 are withheld, and so is the next smallest figure "
                "of a row or column a withheld one could be worked out from; rates and "
                "quartiles computed from a withheld count are withheld too. A withheld figure "
                "is null (CSV: empty) with suppressed true."
            ),
            "suppressed_figures": sum(1 for row in rows if row["suppressed"]),
        },
        "columns": list(COLUMNS),
        "rows": rows,
    }
    return Content(
        csv=buffer.getvalue(),
        json=json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False),
        rows=len(rows),
        suppressed=document["suppression"]["suppressed_figures"],
        min_cell=min_cell,
    )


def small_differences(before: str, after: str, min_cell: int) -> list[str]:
    """The counts of ``after`` (a release's JSON) that differ from the same figure of
    ``before`` by 1 to ``min_cell`` − 1, both shown: such a difference between two versions
    counts a small group as surely as a small cell would. Named as territory/dimension/
    category/measure (no value)."""

    def counts(document: str) -> dict[tuple, int]:
        return {
            (row["territory"], row["dimension"], row["category"], row["measure"]): row["value"]
            for row in json.loads(document)["rows"]
            if isinstance(row["value"], int) and not isinstance(row["value"], bool)
        }

    old = counts(before)
    moved = []
    for key, value in counts(after).items():
        if key in old and 0 < abs(value - old[key]) < min_cell:
            moved.append("/".join(key))
    return moved


# The licence: Creative Commons Attribution 4.0 (EU licence authority table; the Italian
# controlled vocabulary's A21 "CC BY 4.0").
LICENSE_URI = "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"
