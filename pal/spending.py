"""Where the money goes (issue #15, "Money"): the ledger of the Doti and the spending report.

Four figures, each summed in the database over the Doti the user sees (``Dote.visible_to``:
the Region every one, a province officer their province's, an operator its own):

- **assigned**: the value of the Doti (revoked ones excluded);
- **committed**: the cost of the services of the approved PIPs (approved, in progress,
  concluded: ``APPROVED_PIP_STATUSES``), the money an approval takes from the funding sources;
- **delivered**: what was reported as delivered: the PIP services' reported amounts and the
  services the members of a network reported against the Dote (``NetworkServiceLine``);
- **paid**: the payments recorded on the Doti (``Payment``).

A measure draws on its funding sources by shares (``MeasureFunding``): every figure of a Dote
is split across the sources of its measure by share. ``left`` is budget − committed, shown
only to those who see the whole region (a scoped user's committed is not the source's).

With ``on`` the figures are those known on that day: Doti from their first day, PIPs from
their approval, services from their report date, payments from their date.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Model,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Round

from cases.models import Province
from crisi_portal.scoping import AnyUser, readable_provinces
from pal.enums import APPROVED_PIP_STATUSES, DoteStatus
from pal.models import Dote, Fund, Measure, NetworkServiceLine, Operator, Payment, PIPService

MONEY = DecimalField(max_digits=16, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)
CENT = Decimal("0.01")
FIGURES = ("assigned", "committed", "delivered", "paid")
DIMENSIONS = ("measure", "source", "province", "operator")

# The dimensions: the model of the rows, the path from a Dote to it, the field read as label.
_DIMENSION: dict[str, tuple[type[Model], str, str]] = {
    "measure": (Measure, "measure", "name"),
    "source": (Fund, "measure__fundings__fund", "name"),
    "province": (Province, "involvement__unit__province", "name"),
    "operator": (Operator, "operator", "name"),
}
SHARE = "measure__fundings__share"


def _facts(figure: str, on: date | None) -> list[tuple[QuerySet, str, str]]:
    """The rows a figure sums: (queryset, path from the row to its Dote, amount field)."""
    dote_rows = Dote.objects.exclude(status=DoteStatus.REVOCATA)
    approved = PIPService.objects.filter(pip__status__in=APPROVED_PIP_STATUSES)
    reported = PIPService.objects.filter(delivered_cost__gt=0)
    lines = NetworkServiceLine.objects.all()
    payments = Payment.objects.all()
    if on is not None:
        dote_rows = dote_rows.filter(valid_from__lte=on)
        approved = approved.filter(pip__decided_at__date__lte=on)
        reported = reported.filter(delivered_on__lte=on)
        lines = lines.filter(service__delivered_on__lte=on)
        payments = payments.filter(paid_on__lte=on)
    return {
        "assigned": [(dote_rows, "", "value")],
        "committed": [(approved, "pip__dote", "cost")],
        "delivered": [(reported, "pip__dote", "delivered_cost"), (lines, "dote", "cost")],
        "paid": [(payments, "dote", "amount")],
    }[figure]


def _join(prefix: str, path: str) -> str:
    return f"{prefix}__{path}" if prefix else path


def _figure(figure: str, doti: QuerySet, dimension: str, on: date | None) -> Any:
    """The figure of each row of ``dimension``: a correlated subquery per kind of fact, the
    amounts multiplied by the source's share for ``source``."""
    path = _DIMENSION[dimension][1]
    total: Any = ZERO
    for rows, prefix, amount in _facts(figure, on):
        scoped = rows.filter(**{f"{prefix or 'pk'}__in": doti.values("pk")})
        correlated = scoped.filter(**{_join(prefix, path): OuterRef("pk")})
        value: Any = F(amount)
        if dimension == "source":
            value = F(amount) * F(_join(prefix, SHARE)) / Value(Decimal(100))
        summed = (
            correlated.order_by()
            .values(_join(prefix, path))
            .annotate(total=Sum(ExpressionWrapper(value, output_field=MONEY)))
            .values("total")[:1]
        )
        total = total + Coalesce(Subquery(summed, output_field=MONEY), ZERO)
    return Round(total, 2, output_field=MONEY) if dimension == "source" else total


def _money(value: Any) -> Decimal | None:
    """A sum as euro and cents (SQLite hands back products of decimals with more places)."""
    return None if value is None else Decimal(value).quantize(CENT)


def sees_whole_region(user: AnyUser) -> bool:
    """Budgets and what is left make sense only over every Dote: the Region's (and admins')."""
    from crisi_portal.scoping import acts_as_operator

    return (
        user is not None
        and user.is_authenticated
        and readable_provinces(user) is None
        and not acts_as_operator(user)  # type: ignore[arg-type]
    )


def doti_for(user: AnyUser, within: QuerySet | None = None) -> QuerySet:
    """The Doti the figures are counted over: those the user sees, narrowed to the Doti of
    the involvements ``within`` (e.g. the dashboard's filters) when given."""
    doti = Dote.objects.visible_to(user)
    return doti if within is None else doti.filter(involvement__in=within.values("pk"))


def spending_rows(
    user: AnyUser, *, by: str, on: date | None = None, within: QuerySet | None = None
) -> list[dict[str, Any]]:
    """One row per measure, funding source, province or operator (``by``) with budget,
    assigned, committed, delivered, paid and left: one query, the rows that have Doti the user
    sees (every funding source for the whole region). ``budget``/``left``: the measure's
    total budget or the source's budget, for the whole region unnarrowed only (``within``
    None); ``None`` otherwise: a part's committed is not what the source has given."""
    if by not in _DIMENSION:
        raise ValueError(f"by must be one of {', '.join(DIMENSIONS)}")
    model, path, label = _DIMENSION[by]
    doti = doti_for(user, within)
    whole = sees_whole_region(user) and within is None
    rows = model._default_manager.all()
    if not (whole and by == "source"):
        rows = rows.filter(Exists(doti.filter(**{path: OuterRef("pk")})))
    annotations = {figure: _figure(figure, doti, by, on) for figure in FIGURES}
    budget_field = {"measure": "total_budget", "source": "budget"}.get(by)
    if whole and budget_field:
        annotations["budget_"] = F(budget_field)
    else:
        annotations["budget_"] = Value(None, output_field=MONEY)
    annotations["left"] = ExpressionWrapper(F("budget_") - F("committed"), output_field=MONEY)
    values = rows.annotate(**annotations).values("pk", label, "budget_", *FIGURES, "left")
    order = {"province": "position", "measure": "name", "operator": "name", "source": "code"}
    return [
        {
            "key": row["pk"],
            "label": row[label],
            "budget": _money(row["budget_"]),
            **{figure: _money(row[figure]) for figure in FIGURES},
            "left": _money(row["left"]),
        }
        for row in values.order_by(order[by])
    ]


def spending_totals(
    user: AnyUser, on: date | None = None, within: QuerySet | None = None
) -> dict[str, Any]:
    """The same figures over every Dote the user sees (of the involvements ``within``, when
    given); ``budget``/``left``: the sources that have a budget, whole region unnarrowed only
    (their budgets, minus what is committed on them)."""
    doti = doti_for(user, within)
    figures = {figure: per_dote(figure, on) for figure in FIGURES}
    totals = doti.annotate(**{f"{k}_": v for k, v in figures.items()}).aggregate(
        **{figure: Coalesce(Sum(f"{figure}_"), ZERO) for figure in FIGURES}
    )
    totals = {figure: _money(value) for figure, value in totals.items()}
    totals["budget"] = totals["left"] = None
    if sees_whole_region(user) and within is None:
        budgeted = Fund.objects.filter(budget__isnull=False).aggregate(
            budget=Sum("budget"), committed=Sum(_figure("committed", doti, "source", on))
        )
        if budgeted["budget"] is not None:
            totals["budget"] = _money(budgeted["budget"])
            totals["left"] = _money(budgeted["budget"] - (budgeted["committed"] or 0))
    return totals


def per_dote(figure: str, on: date | None) -> Any:
    """The figure of one Dote (the rows are Doti): a correlated subquery per kind of fact."""
    total: Any = ZERO
    for rows, prefix, amount in _facts(figure, on):
        if not prefix:
            # The Dote's own value: counted when the Dote itself is among the rows.
            total = total + Coalesce(
                Subquery(rows.filter(pk=OuterRef("pk")).values(amount)[:1], output_field=MONEY),
                ZERO,
            )
            continue
        summed = (
            rows.filter(**{prefix: OuterRef("pk")})
            .order_by()
            .values(prefix)
            .annotate(total=Sum(amount))
            .values("total")[:1]
        )
        total = total + Coalesce(Subquery(summed, output_field=MONEY), ZERO)
    return total


def dote_ledger(dote: Dote) -> list[dict[str, Any]]:
    """A Dote's four figures split across its measure's funding sources by share (one query):
    one row per source (``fund``, ``share`` and the figures), in share order."""
    doti = Dote.objects.filter(pk=dote.pk)
    figures = {figure: per_dote(figure, None) for figure in FIGURES}
    amounts = doti.annotate(**figures)
    share = F("share") / Value(Decimal(100))
    annotations = {
        figure: Round(
            ExpressionWrapper(
                Subquery(amounts.values(figure)[:1], output_field=MONEY) * share,
                output_field=MONEY,
            ),
            2,
            output_field=MONEY,
        )
        for figure in FIGURES
    }
    rows = (
        dote.measure.fundings.select_related("fund")
        .annotate(**annotations)
        .order_by("-share", "fund__code")
    )
    return [
        {"fund": row.fund, "share": row.share, **{f: _money(getattr(row, f)) for f in FIGURES}}
        for row in rows
    ]


def dote_figures(dote: Dote) -> dict[str, Decimal]:
    """A Dote's four figures (one query)."""
    figures = {figure: per_dote(figure, None) for figure in FIGURES}
    row = Dote.objects.filter(pk=dote.pk).annotate(**figures).values(*FIGURES).get()
    return {figure: _money(value) for figure, value in row.items()}


def doti_to_pay(user: AnyUser, limit: int = 20) -> list[dict[str, Any]]:
    """The Doti with the most delivered and not yet paid (one query), for the Region's
    payments: id, measure, operator, province, delivered, paid, to pay."""
    rows = (
        Dote.objects.visible_to(user)
        .annotate(delivered=per_dote("delivered", None), paid=per_dote("paid", None))
        .annotate(to_pay=ExpressionWrapper(F("delivered") - F("paid"), output_field=MONEY))
        .filter(to_pay__gt=0)
        .order_by("-to_pay", "pk")
        .values(
            "pk",
            "measure__name",
            "operator__name",
            "involvement__unit__province",
            "delivered",
            "paid",
            "to_pay",
        )[:limit]
    )
    return [
        {**row, **{key: _money(row[key]) for key in ("delivered", "paid", "to_pay")}}
        for row in rows
    ]
