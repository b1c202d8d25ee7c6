"""Where the money goes (issue #15): the spending report, the funding sources and the measures'
shares (the Region edits them), a Dote's ledger and its payments (the Region records them).

Every figure comes from ``pal.spending`` (summed in the database, scoped by ``visible_to``);
every write goes through ``pal.services``."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from crisi_portal import exports
from crisi_portal.errors import DomainError
from crisi_portal.forms import add_refusal
from crisi_portal.roles import Role
from crisi_portal.scoping import ScopedViewMixin, manages_reference_data
from pal import services, spending
from pal.forms_money import FundForm, PaymentForm, ShareFormSet, SpendingForm
from pal.forms_region import formset_rows
from pal.models import Dote, Fund, Measure

READERS = frozenset({Role.PROVINCE_STAFF, Role.REGION_OFFICIAL, Role.OPERATOR})
STAFF_AND_REGION = frozenset({Role.PROVINCE_STAFF, Role.REGION_OFFICIAL})
REGION = frozenset({Role.REGION_OFFICIAL})

COLUMNS = [
    ("label", gettext_lazy("Name")),
    ("budget", gettext_lazy("Budget (€)")),
    ("assigned", gettext_lazy("Assigned (€)")),
    ("committed", gettext_lazy("Committed (€)")),
    ("delivered", gettext_lazy("Delivered (€)")),
    ("paid", gettext_lazy("Paid (€)")),
    ("left", gettext_lazy("Left (€)")),
]


def _used(row: dict) -> float | None:
    """The share of the budget committed (%), for the bar of the report."""
    if not row.get("budget"):
        return None
    return round(float(row["committed"] / row["budget"] * 100), 1)


class SpendingView(ScopedViewMixin, View):
    """The spending report: per measure, funding source, province or operator (``?by=``), the
    budget, assigned, committed, delivered, paid and what is left; ``?format=`` downloads it
    (csv, xlsx, technical) like every list."""

    roles = READERS

    def get(self, request):
        form = SpendingForm(request.GET)
        if not form.is_valid():
            return render(request, "pal/money/spending.html", {"form": form}, status=400)
        by = form.cleaned_data["by"] or "measure"
        on = form.cleaned_data["on"]
        rows = spending.spending_rows(request.user, by=by, on=on)
        if "format" in request.GET:
            name = f"spending-{by}" + (f"-{on:%Y-%m-%d}" if on else "")
            columns = [
                exports.Column(key, label, (lambda row, key=key: row[key]))
                for key, label in COLUMNS
            ]
            return exports.list_export(
                request, columns=columns, items=rows, name=name, title=_("Spending")
            )
        for row in rows:
            row["used"] = _used(row)
        whole = spending.sees_whole_region(request.user)
        return render(
            request,
            "pal/money/spending.html",
            {
                "form": form,
                "by": by,
                "on": on,
                "rows": rows,
                "totals": spending.spending_totals(request.user, on),
                "whole_region": whole,
                "show_budget": whole and by in ("measure", "source"),
                "by_label": dict(form.fields["by"].choices)[by],
                "funds_tab": request.user.is_admin or request.user.role in STAFF_AND_REGION,
                "to_pay": spending.doti_to_pay(request.user),
                "query": request.GET.urlencode(),
                "can_edit": manages_reference_data(request.user),
            },
        )


class FundListView(ScopedViewMixin, View):
    roles = STAFF_AND_REGION
    model = Fund

    def get(self, request):
        funds = self.get_queryset().select_related("province").annotate(measures=Count("fundings"))
        return render(
            request,
            "pal/money/fund_list.html",
            {"funds": funds, "can_edit": manages_reference_data(request.user)},
        )


class FundFormView(ScopedViewMixin, View):
    roles = REGION
    model = Fund
    require_edit = True
    pk_url_kwarg = "pk"

    def _render(self, form, fund=None, status=200):
        changes = fund.history.select_related("history_user")[:10] if fund else []
        shares = fund.fundings.select_related("measure") if fund else []
        return render(
            self.request,
            "pal/money/fund_form.html",
            {"form": form, "fund": fund, "changes": changes, "shares": shares},
            status=status,
        )

    def get(self, request, pk=None):
        fund = self.get_object() if pk else None
        return self._render(FundForm(instance=fund), fund)

    def post(self, request, pk=None):
        fund = self.get_object() if pk else None
        form = FundForm(request.POST, instance=fund)
        if form.is_valid():
            try:
                saved = services.fund_save(user=request.user, data=form.cleaned_data, fund=fund)
            except (DomainError, ValidationError, PermissionDenied) as exc:
                add_refusal(form, exc)
            else:
                messages.success(
                    request, _("Funding source %(name)s saved.") % {"name": saved.name}
                )
                return redirect(reverse("pal:fund_list"))
        return self._render(form, fund, status=422)


class MeasureFundingView(ScopedViewMixin, View):
    """The funding sources a measure draws on and their shares (summing to 100 %)."""

    roles = REGION
    model = Measure
    require_edit = True
    pk_url_kwarg = "pk"

    def _render(self, measure, formset, error=None, status=200):
        return render(
            self.request,
            "pal/money/measure_funding.html",
            {"measure": measure, "formset": formset, "error": error},
            status=status,
        )

    def get(self, request, pk):
        measure = self.get_object()
        initial = list(measure.fundings.values("fund", "share"))
        return self._render(measure, ShareFormSet(prefix="shares", initial=initial))

    def post(self, request, pk):
        measure = self.get_object()
        formset = ShareFormSet(request.POST, prefix="shares")
        error = None
        if formset.is_valid():
            shares = [(row["fund"], row["share"]) for row in formset_rows(formset)]
            try:
                services.measure_fundings_set(user=request.user, measure=measure, shares=shares)
            except (DomainError, PermissionDenied) as exc:
                error = str(exc)
            else:
                messages.success(
                    request,
                    _("Funding shares of %(measure)s saved.") % {"measure": measure.name},
                )
                return redirect(reverse("pal:fund_list"))
        return self._render(measure, formset, error, status=422)


class DoteLedgerView(ScopedViewMixin, View):
    """A Dote's money: its figures, split by funding source, and its payments; the Region
    records a payment here."""

    roles = READERS
    model = Dote
    pk_url_kwarg = "pk"

    def render_ledger(self, dote, form=None, status=200):
        can_pay = manages_reference_data(self.request.user)
        if can_pay and form is None:
            form = PaymentForm()
        return render(
            self.request,
            "pal/money/dote_ledger.html",
            {
                "dote": dote,
                "figures": spending.dote_figures(dote),
                "ledger": spending.dote_ledger(dote),
                "payments": dote.payments.select_related("recorded_by"),
                "form": form if can_pay else None,
            },
            status=status,
        )

    def get_queryset(self):
        return super().get_queryset().select_related("measure", "operator", "involvement__unit")

    def get_dote(self) -> Dote:
        return self.get_object()  # type: ignore[return-value]

    def get(self, request, pk):
        return self.render_ledger(self.get_dote())


class PaymentCreateView(DoteLedgerView):
    roles = REGION

    def get(self, request, pk):
        return redirect(reverse("pal:dote_ledger", args=[self.get_dote().pk]))

    def post(self, request, pk):
        dote = self.get_dote()
        form = PaymentForm(request.POST)
        if form.is_valid():
            try:
                services.payment_record(user=request.user, dote=dote, **form.cleaned_data)
            except (DomainError, ValidationError, PermissionDenied) as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, _("Payment recorded."))
                return redirect(reverse("pal:dote_ledger", args=[dote.pk]))
        return self.render_ledger(dote, form, status=422)
