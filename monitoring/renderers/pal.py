"""The PAL monitoring report (``monitoring.pal_report``) as CSV, XLSX and PDF pages.

A withheld cell (statistical disclosure control, province documents) reads ``n.d.`` in every
format but JSON, where it is null and named in its row's ``suppressed``; a figure that cannot be
computed (no worker whose 6-month window has elapsed, say) reads ``–`` (empty in the CSV).
"""

from django.utils.translation import gettext as _
from openpyxl import Workbook

from monitoring import formatting as fmt
from monitoring.pal_report import SUPPRESSED, WINDOWS
from monitoring.renderers import Context, charts, labels
from monitoring.renderers.pdf import data_uri
from monitoring.renderers.tabular import Column, Table, new_sheet, write_sentence, write_table

TIME_LABELS = {
    "step1_to_step4": "From STEP 1 to STEP 4",
    "step1_to_reemployment": "From STEP 1 to re-employment",
}


def time_label(measure: str) -> str:
    return {
        "step1_to_step4": _("From STEP 1 to STEP 4"),
        "step1_to_reemployment": _("From STEP 1 to re-employment"),
    }[measure]


def _withheld(row: dict, field: str) -> bool:
    """Whether ``row[field]`` was withheld (a count named in ``suppressed``, or a rate or
    percentage computed from one)."""
    if row.get("suppressed") is True:  # the quartiles of too few workers: all of them
        return True
    hidden = set(row.get("suppressed") or [])
    if field in hidden:
        return True
    if field.startswith("rate_"):
        months = field.removeprefix("rate_")
        return bool({f"eligible_{months}", f"reemployed_{months}"} & hidden)
    if field == "reemployed_pct":
        return bool({"taken_in_charge", "reemployed"} & hidden)
    if field == "rate":
        return bool({"eligible", "reemployed"} & hidden)
    if field == "pct":
        return "count" in hidden
    return False


def shown(row: dict, field: str, formatter=fmt.integer, missing: str = "–") -> str:
    """A figure as the PDF prints it: Italian format, ``n.d.`` if withheld, ``–`` if none."""
    value = row.get(field)
    if value is None:
        return SUPPRESSED if _withheld(row, field) else missing
    return formatter(value)


def raw(row: dict, field: str):
    """A figure as the XLSX stores it: the number, ``n.d.`` if withheld, empty if none."""
    value = row.get(field)
    if value is None:
        return SUPPRESSED if _withheld(row, field) else None
    return value


# --- CSV -----------------------------------------------------------------------------------------

CSV_HEADER = ["section", "dimension", "key", "label", "figure", "value"]


def _csv_value(row: dict, field: str) -> str | int:
    value = row.get(field)
    if value is None:
        return SUPPRESSED if _withheld(row, field) else ""
    if isinstance(value, float):
        return fmt.plain_decimal(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def csv_rows(data: dict) -> list[list]:
    """One row per figure (tidy): section, dimension, key, label, figure, value."""
    rows = [CSV_HEADER]
    for stage in data["funnel"]:
        for field in ("count", "pct", "in_period"):
            line = ["funnel", "", stage["stage"], stage["label"], field]
            rows.append([*line, _csv_value(stage, field)])
    rows.append(["funnel", "", "other_exits", "", "count", _csv_value(data, "other_exits")])
    for field in ("pct", "reemployed_pct", "reached"):
        rows.append(["target", "", "", "", field, _csv_value(data["target"], field)])
    for window in data["reemployment"]:
        for field in ("eligible", "reemployed", "rate"):
            line = ["reemployment", "", f"{window['months']}m", "", field]
            rows.append([*line, _csv_value(window, field)])
    for time in data["times"]:
        for field in ("n", "q1", "median", "q3"):
            line = ["days", "", time["measure"], TIME_LABELS[time["measure"]], field]
            rows.append([*line, _csv_value(time, field)])
    for table in data["breakdowns"]:
        for row in table["rows"]:
            for field in breakdown_fields():
                line = ["breakdown", table["dimension"], row["key"], row["label"], field]
                rows.append([*line, _csv_value(row, field)])
    return rows


def breakdown_fields() -> list[str]:
    fields = ["taken_in_charge", "pal_activated", "reemployed", "reemployed_pct"]
    for months in WINDOWS:
        fields += [f"eligible_{months}m", f"reemployed_{months}m", f"rate_{months}m"]
    return fields


# --- XLSX ----------------------------------------------------------------------------------------


def xlsx_sheets(workbook: Workbook, data: dict, context: Context) -> None:
    as_of = fmt.day(data["period_end"])
    sheet, top = new_sheet(
        workbook,
        _("Funnel"),
        data,
        context,
        _("From informed to re-employed: the workers as they stood on %(day)s") % {"day": as_of},
    )
    columns = [
        Column(_("Stage"), "text", 34),
        Column(_("Workers")),
        Column(_("% of the informed"), "rate"),
        Column(_("Of which in the period"), "int", 14),
    ]
    rows = [
        [stage["label"], raw(stage, "count"), raw(stage, "pct"), raw(stage, "in_period")]
        for stage in data["funnel"]
    ]
    after = write_table(sheet, Table(columns, rows), top)
    write_sentence(sheet, target_sentence(data), after + 1)
    if data.get("min_cell"):
        write_sentence(sheet, suppression_note(data), after + 2)

    sheet, top = new_sheet(
        workbook, _("Re-employment"), data, context, _("Re-employment within 6 and 12 months")
    )
    columns = [
        Column(_("Months after STEP 1"), "text", 22),
        Column(_("Workers whose window has elapsed"), "int", 18),
        Column(_("Re-employed within it"), "int", 16),
        Column(_("Rate %"), "rate"),
    ]
    rows = [
        [str(w["months"]), raw(w, "eligible"), raw(w, "reemployed"), raw(w, "rate")]
        for w in data["reemployment"]
    ]
    write_table(sheet, Table(columns, rows), top)

    sheet, top = new_sheet(workbook, _("Times"), data, context, _("Days taken (quartiles)"))
    columns = [
        Column(_("Interval"), "text", 30),
        Column(_("Workers")),
        Column(_("First quartile"), "rate", 12),
        Column(_("Median"), "rate"),
        Column(_("Third quartile"), "rate", 12),
    ]
    rows = [
        [time_label(t["measure"]), *(raw(t, field) for field in ("n", "q1", "median", "q3"))]
        for t in data["times"]
    ]
    write_table(sheet, Table(columns, rows), top)

    for table in data["breakdowns"]:
        sheet, top = new_sheet(workbook, table["label"], data, context, table["label"])
        if not table["rows"]:
            write_sentence(sheet, _("No worker taken in charge."), top)
            continue
        columns = [
            Column(table["label"], "text", 34),
            Column(_("Taken in charge"), "int", 12),
            Column(_("PAL activated"), "int", 12),
            Column(_("Re-employed")),
            Column(_("% re-employed"), "rate"),
        ]
        groups = [("", 5)]
        for months in WINDOWS:
            groups.append((_("Within %(months)s months") % {"months": months}, 3))
            columns += [
                Column(_("Eligible")),
                Column(_("Re-employed")),
                Column(_("Rate %"), "rate"),
            ]
        rows = [
            [row["label"], *(raw(row, field) for field in breakdown_fields())]
            for row in table["rows"]
        ]
        write_table(sheet, Table(columns, rows, groups=groups), top)


def target_sentence(data: dict) -> str:
    target = data["target"]
    if target["reemployed_pct"] is None:
        return _("Target: %(target)s%% of the workers taken in charge re-employed (not shown).") % {
            "target": target["pct"]
        }
    return _(
        "Target: %(target)s%% of the workers taken in charge re-employed; reached: %(reached)s%%."
    ) % {"target": target["pct"], "reached": fmt.percent(target["reemployed_pct"])}


def suppression_note(data: dict) -> str:
    return _(
        "n.d.: not disclosed. Counts from 1 to %(below)s are withheld, and as many others as it "
        "takes so that no total reveals them; rates computed from them too."
    ) % {"below": data["min_cell"] - 1}


# --- PDF -----------------------------------------------------------------------------------------


def pdf_page(data: dict, context: Context) -> dict:
    regional = data["scope"] == "LOM"
    funnel = [
        {
            "label": stage["label"],
            "count": shown(stage, "count"),
            "pct": shown(stage, "pct", fmt.percent),
            "in_period": shown(stage, "in_period"),
        }
        for stage in data["funnel"]
    ]
    taken = next(s for s in data["funnel"] if s["stage"] == "taken_in_charge")
    funnel_chart = None
    if taken["count"]:
        values = [(s["label"], s["count"] or 0) for s in data["funnel"]]
        funnel_chart = data_uri(
            charts.pal_funnel(
                values,
                target=taken["count"] * data["target"]["pct"] / 100,
                target_label=_("Target %(pct)s%%") % {"pct": data["target"]["pct"]},
            )
        )
    rate_chart = None
    provinces = next(t for t in data["breakdowns"] if t["dimension"] == "province")
    if regional and provinces["rows"] and taken["count"]:
        rows = [row for row in provinces["rows"] if row["key"] != "_none"]
        rate_chart = data_uri(
            charts.rate_bars(
                [row["label"] for row in rows],
                [row["reemployed_pct"] or 0 for row in rows],
                overall=data["target"]["reemployed_pct"],
                overall_label=_("Lombardy"),
                target=data["target"]["pct"],
                target_label=_("Target"),
            )
        )
    breakdowns = [
        {
            "label": table["label"],
            "rows": [
                {
                    "label": row["label"],
                    "cells": [
                        shown(
                            row,
                            field,
                            fmt.percent if "pct" in field or "rate" in field else fmt.integer,
                        )
                        for field in breakdown_fields()
                    ],
                }
                for row in table["rows"]
            ],
        }
        for table in data["breakdowns"]
    ]
    return {
        "as_of": fmt.day(data["period_end"]),
        "regional": regional,
        "funnel": funnel,
        "funnel_chart": funnel_chart,
        "rate_chart": rate_chart,
        "other_exits": shown(data, "other_exits"),
        "target_sentence": target_sentence(data),
        "target_reached": data["target"]["reached"],
        "windows": [
            {
                "months": w["months"],
                "eligible": shown(w, "eligible"),
                "reemployed": shown(w, "reemployed"),
                "rate": shown(w, "rate", fmt.percent),
            }
            for w in data["reemployment"]
        ],
        "times": [
            {
                "label": time_label(t["measure"]),
                "n": shown(t, "n"),
                "q1": _days(t, "q1"),
                "median": _days(t, "median"),
                "q3": _days(t, "q3"),
            }
            for t in data["times"]
        ],
        "windows_months": list(WINDOWS),
        "breakdowns": breakdowns,
        "min_cell": data.get("min_cell"),
        "suppression_note": suppression_note(data) if data.get("min_cell") else "",
        "suppressed_cells": data.get("suppressed_cells", 0),
        "institution_label": labels.REGION,
    }


def _days(time: dict, field: str) -> str:
    if time.get("suppressed"):
        return SUPPRESSED
    value = time.get(field)
    return "–" if value is None else fmt.decimal(value, 1)
