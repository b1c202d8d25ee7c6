"""Operators' results (issue #15, part 5): per operator and office, for the Region's review.

The 2010 agreement between the Ministry and the Regions pays operators on results; this is
the table the Region reads them from. For each operator, and within it each office:

- **workers taken**: workers with a Dote of the operator (a revoked Dote does not count);
- **Doti**: the Doti themselves (a worker may hold two under different measures);
- **PIPs approved**: PIPs the province approved (now approved, in progress or concluded);
- **services delivered**: PIP services the operator reported (``delivered_on`` set), and the
  amount reported for them;
- **re-employed**: workers whose outcome is a re-employment (``REEMPLOYED_KINDS``) dated on or
  after the Dote's start — what happened before the operator was chosen is not its result —
  and the **rate** over the workers taken;
- **days to re-employment**: median days from the Dote's start (``valid_from``), not from
  STEP 1: the operator answers for the time since the worker chose it, not for the months the
  worker waited before (the PAL report measures from STEP 1).

**Office.** Doti and PIPs do not record the office that serves the worker; the office is the
operator's office in the province of the worker's production unit (the Nucleo's territory),
i.e. rows are per operator × unit province, named by the operator's offices there (none: the
row says so). Recording an office on the Dote would be a new field every operator must fill in
on every existing Dote; the province gives the same grouping without it.

Every figure is counted by the database over the user's visible Doti (``visible_to``: the
Region every Dote, a province officer those of their provinces' workers, an operator its own):
four queries whatever the rows.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from cases.enums import PROVINCE_CODES
from crisi_portal.exports import Column
from monitoring.dashboard import DaysBetween, _one_decimal, median_of_histogram, share
from monitoring.reemployment import REEMPLOYED_KINDS
from pal.enums import APPROVED_PIP_STATUSES, DoteStatus
from pal.models import Dote, OperatorOffice

ZERO = Decimal("0")

COUNTS = (
    "workers",
    "doti",
    "pips_approved",
    "services_delivered",
    "delivered_amount",
    "reemployed",
)
# The columns the list sorts by (``?ordering=key`` or ``-key``).
ORDERINGS = (
    "operator",
    *COUNTS,
    "reemployment_rate",
    "median_days",
)
DEFAULT_ORDERING = "operator"


@dataclass(frozen=True)
class OperatorFilters:
    start: datetime.date | None = None  # Doti starting in [start, end]
    end: datetime.date | None = None
    measure: int | None = None
    province: str | None = None


def operator_doti(user, filters: OperatorFilters):
    """The Doti the figures count: visible to ``user``, not revoked, within the filters."""
    doti = Dote.objects.visible_to(user).exclude(status=DoteStatus.REVOCATA)
    if filters.start is not None:
        doti = doti.filter(valid_from__gte=filters.start)
    if filters.end is not None:
        doti = doti.filter(valid_from__lte=filters.end)
    if filters.measure is not None:
        doti = doti.filter(measure_id=filters.measure)
    if filters.province:
        doti = doti.filter(involvement__unit__province=filters.province)
    return doti.order_by()


def _reemployed_q() -> Q:
    return Q(
        involvement__outcome__kind__in=REEMPLOYED_KINDS,
        involvement__outcome__date__gte=F("valid_from"),
    )


def _figures() -> dict[str, Any]:
    # The joins run Dote → PIP → service (one row per service; the outcome is one-to-one):
    # the counts are distinct and the amount sums each service once.
    return {
        "workers": Count("involvement", distinct=True),
        "doti": Count("pk", distinct=True),
        "pips_approved": Count(
            "pips", filter=Q(pips__status__in=APPROVED_PIP_STATUSES), distinct=True
        ),
        "services_delivered": Count(
            "pips__services", filter=Q(pips__services__delivered_on__isnull=False), distinct=True
        ),
        "delivered_amount": Coalesce(
            Sum(
                "pips__services__delivered_cost",
                filter=Q(pips__services__delivered_on__isnull=False),
            ),
            ZERO,
        ),
        "reemployed": Count("involvement", filter=_reemployed_q(), distinct=True),
    }


def _finish(row: dict, histogram: list[tuple[int, int]]) -> dict:
    row["reemployment_rate"] = share(row["reemployed"], row["workers"])
    row["median_days"] = _one_decimal(median_of_histogram(sorted(histogram)))
    return row


def _sort_key(ordering: str):
    key, descending = ordering.lstrip("-"), ordering.startswith("-")

    def value(row: dict):
        if key == "operator":
            return (row["operator_name"].casefold(), row["operator"])
        # Rows without a value (a rate of nobody) go last whichever the direction.
        figure = row[key]
        return (figure is None) != descending, figure if figure is not None else 0

    return value


def operator_results(
    user, filters: OperatorFilters | None = None, *, ordering: str = DEFAULT_ORDERING
) -> dict[str, Any]:
    """The results of each operator the user sees, with its offices, and the total.

    ``{"operators": [{operator, operator_name, is_public, <figures>, "offices": [{province,
    offices (the comuni of the operator's offices there, may be empty), <figures>}]}],
    "total": {<figures>}}`` where the figures are ``COUNTS``, ``reemployment_rate`` (%) and
    ``median_days``. Four queries.
    """
    filters = filters or OperatorFilters()
    doti = operator_doti(user, filters)
    groups = list(
        doti.values(
            "operator",
            operator_name=F("operator__name"),
            is_public=F("operator__is_public"),
            province=F("involvement__unit__province"),
        ).annotate(**_figures())
    )
    # Days from the Dote's start to the re-employment, as a histogram per group: the database
    # counts, the medians are read off the (few) distinct values.
    days = (
        doti.filter(_reemployed_q())
        .values(
            "operator",
            province=F("involvement__unit__province"),
            days=DaysBetween("involvement__outcome__date", "valid_from"),
        )
        .annotate(n=Count("involvement", distinct=True))
    )
    histograms: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
    for row in days:
        histograms[(row["operator"], row["province"])].append((row["days"], row["n"]))
        histograms[(row["operator"], None)].append((row["days"], row["n"]))
        histograms[(None, None)].append((row["days"], row["n"]))
    offices: dict[tuple, list[str]] = defaultdict(list)
    operator_ids = {row["operator"] for row in groups}
    for office in (
        OperatorOffice.objects.filter(operator__in=operator_ids)
        .order_by("comune")
        .values("operator", "province", "comune")
    ):
        offices[(office["operator"], office["province"])].append(office["comune"])

    positions = {code: i for i, code in enumerate(PROVINCE_CODES)}
    operators: dict[int, dict] = {}
    for group in groups:
        op = operators.setdefault(
            group["operator"],
            {
                "operator": group["operator"],
                "operator_name": group["operator_name"],
                "is_public": group["is_public"],
                **dict.fromkeys(COUNTS, 0),
                "offices": [],
            },
        )
        for key in COUNTS:  # each Dote belongs to one province: the provinces add up
            op[key] += group[key]
        op["offices"].append(
            _finish(
                {
                    "province": group["province"],
                    "offices": offices.get((group["operator"], group["province"]), []),
                    **{key: group[key] for key in COUNTS},
                },
                histograms[(group["operator"], group["province"])],
            )
        )
    rows = []
    for op in operators.values():
        op["offices"].sort(key=lambda row: positions.get(row["province"], len(positions)))
        rows.append(_finish(op, histograms[(op["operator"], None)]))
    rows.sort(key=_sort_key(DEFAULT_ORDERING))  # ties of the chosen column: by name
    rows.sort(key=_sort_key(ordering), reverse=ordering.startswith("-"))
    # A worker with Doti of two operators is one worker in the total.
    total = _finish(doti.aggregate(**_figures()), histograms[(None, None)])
    return {"operators": rows, "total": total}


def result_lines(data: dict) -> list[dict]:
    """The list as lines: each operator's, then one per office province (``level``)."""
    lines = []
    for op in data["operators"]:
        lines.append({**op, "level": "operator", "province": "", "offices": ""})
        for office in op["offices"]:
            lines.append(
                {
                    **office,
                    "level": "office",
                    "operator": op["operator"],
                    "operator_name": op["operator_name"],
                    "is_public": op["is_public"],
                    "offices": ", ".join(office["offices"]),
                }
            )
    return lines


def columns() -> list[Column]:
    """The download's columns, over :func:`result_lines`."""

    def get(key):
        return lambda line: line[key]

    return [
        Column("operator_id", _("Operator id"), get("operator")),
        Column("operator", _("Operator"), get("operator_name")),
        Column(
            "public",
            _("Public (CPI)"),
            get("is_public"),
            lambda line: str(_("yes") if line["is_public"] else _("no")),
        ),
        Column(
            "level",
            _("Line"),
            get("level"),
            lambda line: str(_("Operator total") if line["level"] == "operator" else _("Office")),
        ),
        Column("province", _("Province"), get("province")),
        Column("offices", _("Offices"), get("offices")),
        Column("workers", _("Workers taken"), get("workers")),
        Column("doti", _("Doti"), get("doti")),
        Column("pips_approved", _("PIPs approved"), get("pips_approved")),
        Column("services_delivered", _("Services delivered"), get("services_delivered")),
        Column("delivered_amount", _("Amount delivered (€)"), get("delivered_amount")),
        Column("reemployed", _("Re-employed"), get("reemployed")),
        Column("reemployment_rate", _("Re-employment rate (%)"), get("reemployment_rate")),
        Column(
            "median_days", _("Median days from Dote start to re-employment"), get("median_days")
        ),
    ]
