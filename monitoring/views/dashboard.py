"""The dashboard page and the CSV behind each of its charts (figures: ``monitoring.dashboard``)."""

import datetime

from django.conf import settings
from django.http import Http404
from django.utils import formats
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from cases.enums import FAMILY_SHORT_LABELS, AgreementKind, Family
from cases.models import CrisisProcedure, Province
from crisi_portal import exports
from crisi_portal.replica import ReplicaReadsMixin
from crisi_portal.roles import Role
from crisi_portal.scoping import ScopedViewMixin
from monitoring.dashboard import (
    CSV_CHARTS,
    MAP_WINDOW,
    chart_csv_rows,
    chart_readable_rows,
    dashboard_data,
)
from monitoring.forms import MAP_MEASURE_LABELS, DashboardFilterForm
from monitoring.templatetags.dashboard import num, pct
from workers.enums import STEP_SHORT_LABELS, OutcomeKind, Step

STAFF_AND_REGION = frozenset({Role.PROVINCE_STAFF, Role.REGION_OFFICIAL})
MAP_CLASSES = 5


class DashboardMixin(ReplicaReadsMixin, ScopedViewMixin):
    roles = STAFF_AND_REGION

    def read(self, years=()) -> dict:
        """The figures for the query string's filters; a value the form refuses is ignored."""
        self.form = DashboardFilterForm(
            self.request.GET, user=self.request.user, years=years, page=True
        )
        self.form.is_valid()
        return dashboard_data(self.request.user, **self.form.filters())


class DashboardView(DashboardMixin, TemplateView):
    template_name = "monitoring/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        years = sorted(
            {d.year for d in CrisisProcedure.objects.visible_to(user).dates("opened_on", "year")},
            reverse=True,
        )
        requested = self.request.GET.get("year", "")
        # A year the form accepts is offered even without procedures; longer digit strings
        # are the form's error to report (int() refuses more than 4300 digits).
        if requested.isdigit() and len(requested) <= 4 and int(requested) not in years:
            years = sorted({*years, int(requested)}, reverse=True)
        data = self.read(years=years)
        measure = self.form.map_measure()
        months = [datetime.date.fromisoformat(f"{row['month']}-01") for row in data["per_month"]]
        month_labels = [formats.date_format(month, "M Y") for month in months]
        query = self.request.GET.copy()
        query.pop("map", None)
        context.update(
            form=self.form,
            filter_errors=[
                (self.form.fields[name].label if name in self.form.fields else "", message)
                for name, messages in self.form.errors.items()
                for message in messages
            ],
            data=data,
            refresh_minutes=settings.DASHBOARD_REFRESH_MINUTES,
            scope_label=_scope_label(user, data),
            family_label=(
                FAMILY_SHORT_LABELS[Family(data["filters"]["family"])]
                if data["filters"]["family"]
                else ""
            ),
            many_provinces=data["provinces"] is None or len(data["provinces"]) > 1,
            kpis=data["kpis"],
            funnel=[
                {
                    **row,
                    "label": STEP_SHORT_LABELS[Step(row["step"])],
                    "title": Step(row["step"]).label,
                }
                for row in data["funnel"]
            ],
            by_family=[
                {**row, "label": FAMILY_SHORT_LABELS[Family(row["family"])]}
                for row in data["by_family"]
            ],
            per_month=[
                {**row, "label": label}
                for row, label in zip(data["per_month"], month_labels, strict=True)
            ],
            outcomes=[{**row, "label": OutcomeKind(row["kind"]).label} for row in data["outcomes"]],
            agreements={
                **data["agreements"],
                "by_kind": [
                    {**row, "label": AgreementKind(row["kind"]).label}
                    for row in data["agreements"]["by_kind"]
                ],
            },
            certifications=data["certifications"],
            reemployment={
                **data["reemployment"],
                "dimensions": [
                    {
                        **entry,
                        "chart": f"reemployment_{entry['dimension']}",
                        # The CPIs are many: their table says it better than bars.
                        "show_chart": bool(entry["rows"]) and entry["dimension"] != "cpi",
                        "axis": "y" if entry["dimension"] == "education" else "",
                    }
                    for entry in data["reemployment"]["dimensions"]
                ],
            },
            reemployment_as_of=datetime.date.fromisoformat(data["reemployment"]["as_of"]),
            reemployment_kpis=[
                {
                    "months": months,
                    "rate": data["reemployment"]["total"][f"rate_{months}"],
                    "reemployed": data["reemployment"]["total"][f"reemployed_{months}"],
                    "eligible": data["reemployment"]["total"][f"eligible_{months}"],
                    "accent": months == MAP_WINDOW,
                }
                for months in data["reemployment"]["windows"]
            ],
            money=data["money"],
            money_whole=data["money"]["whole"],
            money_filtered=any(value is not None for value in data["filters"].values()),
            month_range=f"{month_labels[0]} – {month_labels[-1]}",
            csv_query=query.urlencode(),
            map_measure=measure,
            map_measure_label=MAP_MEASURE_LABELS[measure],
            # Two-line tick labels ("Jan" over "2025") fit twelve bars without tilting.
            chart_data=_chart_data(
                data, [[formats.date_format(m, "M"), formats.date_format(m, "Y")] for m in months]
            ),
            **_map_context(data, measure),
        )
        return context


class DashboardCsvView(DashboardMixin, View):
    """``?chart=<name>`` and the page's filters: the table behind that chart, as CSV."""

    def get(self, request, *args, **kwargs):
        chart = request.GET.get("chart", "")
        if chart not in CSV_CHARTS:
            raise Http404(_("There is no chart called %(chart)s.") % {"chart": chart})
        data = self.read()
        parts = ["dashboard", chart]
        filters = data["filters"]
        parts += [str(filters[key]) for key in ("year", "province", "family") if filters[key]]
        name = "-".join(parts)
        # A few dozen aggregated rows, already in memory: streamed like every other export.
        return exports.list_export(
            request,
            columns=[],
            items=(),
            name=name,
            title=_("Dashboard"),
            technical=lambda: exports.csv_response(
                chart_csv_rows(data, chart), filename=f"{name}.csv", lineterminator="\n"
            ),
            readable=lambda: chart_readable_rows(data, chart),
        )


def _scope_label(user, data: dict) -> str:
    codes = data["provinces"]
    if codes is None:
        return _("All provinces of Lombardy")
    names = list(Province.objects.filter(code__in=codes).values_list("name", flat=True))
    if not names:
        return _("No province in your scope")
    return ", ".join(names)


def _map_value_text(measure: str, value) -> str:
    if measure in ("activation_rate", "reemployment_rate"):
        return pct(value)
    if measure in ("committed", "delivered"):
        return f"€\N{NO-BREAK SPACE}{num(value)}"
    return num(value)


def _map_context(data: dict, measure: str) -> dict:
    """Classes, tooltips and legend of the map, for the chosen measure.

    Quintiles by rank (provinces with equal values share a class), so that Milan's size
    does not push every other province into the lightest class; the legend gives each
    class's actual range. Provinces outside the figures' scope are drawn neutral grey with
    their name only; provinces without a value (activation rate of nobody) are left blank.
    """
    rows = {row["province"]: row for row in data["by_province"]}
    values = sorted(row[measure] for row in rows.values() if row[measure] is not None)
    if len(set(values)) == 1:  # one province, or all alike: nothing to rank
        class_of = {values[0]: MAP_CLASSES - 1}
    else:
        class_of = {}
        for rank, value in enumerate(values):
            class_of.setdefault(value, rank * MAP_CLASSES // len(values))

    classes, titles = {}, {}
    unit = {
        "workers_involved": _("workers involved"),
        "involvements": _("workers taken in charge"),
        "activation_rate": _("activation rate"),
        "reemployment_rate": _("re-employed within 12 months"),
        "committed": _("committed"),
        "delivered": _("delivered"),
    }[measure]
    nothing = {
        "reemployment_rate": _("nobody whose 12 months have passed"),
        "committed": _("no Dote"),
        "delivered": _("no Dote"),
    }.get(measure, _("no workers taken in charge"))
    for province in Province.objects.order_by("position").values("code", "name"):
        code, name = province["code"], province["name"]
        row = rows.get(code)
        if row is None:
            classes[code], titles[code] = "map-out", name
        elif row[measure] is None:
            classes[code] = "map-nodata"
            titles[code] = f"{name}: {nothing}"
        else:
            classes[code] = f"map-q{class_of[row[measure]]}"
            titles[code] = f"{name}: {_map_value_text(measure, row[measure])} {unit}"

    legend = []
    for index in range(MAP_CLASSES):
        members = [value for value in values if class_of[value] == index]
        if not members:
            continue
        low, high = (_map_value_text(measure, v) for v in (members[0], members[-1]))
        legend.append({"css": f"map-q{index}", "text": low if low == high else f"{low} – {high}"})
    if any(row[measure] is None for row in rows.values()):
        legend.append({"css": "map-nodata", "text": nothing})
    if len(rows) < len(classes):
        legend.append({"css": "map-out", "text": _("outside your provinces")})
    return {"map_classes": classes, "map_titles": titles, "map_legend": legend}


def _chart_data(data: dict, month_labels: list) -> dict:
    """What static/js/dashboard.js draws: labels and series, already translated."""
    funnel = data["funnel"]
    return {
        "funnel": {
            "labels": [STEP_SHORT_LABELS[Step(row["step"])] for row in funnel],
            "series": [
                {"label": _("Reached at least this step"), "data": [r["reached"] for r in funnel]},
                {"label": _("Now at this step"), "data": [r["current"] for r in funnel]},
            ],
        },
        "families": {
            "labels": [str(FAMILY_SHORT_LABELS[Family(r["family"])]) for r in data["by_family"]],
            "series": [
                {
                    "label": _("Workers involved"),
                    "data": [r["workers_involved"] for r in data["by_family"]],
                },
                {
                    "label": _("Workers taken in charge"),
                    "data": [r["involvements"] for r in data["by_family"]],
                },
            ],
        },
        "months": {
            "labels": month_labels,
            "series": [
                {
                    "label": _("Workers taken in charge"),
                    "data": [r["taken_in_charge"] for r in data["per_month"]],
                }
            ],
        },
        "outcomes": {
            "labels": [str(OutcomeKind(r["kind"]).label) for r in data["outcomes"]],
            "series": [{"label": _("Workers"), "data": [r["workers"] for r in data["outcomes"]]}],
        },
        **{
            f"reemployment_{entry['dimension']}": {
                "labels": [row["label"] for row in entry["rows"]],
                "series": [
                    {
                        "label": _("Within %(months)s months (%%)") % {"months": months},
                        "data": [row[f"rate_{months}"] for row in entry["rows"]],
                    }
                    for months in data["reemployment"]["windows"]
                ],
            }
            for entry in data["reemployment"]["dimensions"]
        },
        **{
            f"money_{by}s": {
                "labels": [row["label"] for row in data["money"][f"by_{by}"]],
                "series": [
                    {"label": label, "data": [row[figure] for row in data["money"][f"by_{by}"]]}
                    for figure, label in (
                        ("committed", _("Committed (€)")),
                        ("delivered", _("Delivered (€)")),
                        ("paid", _("Paid (€)")),
                    )
                ],
            }
            for by in ("source", "measure")
        },
        "provinces": {
            "labels": [r["name"] for r in data["by_province"]],
            "series": [
                {
                    "label": _("Workers involved"),
                    "data": [r["workers_involved"] for r in data["by_province"]],
                },
                {
                    "label": _("Workers taken in charge"),
                    "data": [r["involvements"] for r in data["by_province"]],
                },
            ],
        },
    }
