"""The accredited operator's area: its workers, Doti and PIPs; filing PIPs, reporting services.

Thin views (STYLE.md): fetch in the operator's scope (404 outside it), call a service of
``pal.services`` (403 when the operator may not act), turn a PALRuleRefused into a message or
a form error naming the rule. Fiscal codes travel only in POST bodies, never in URLs.
"""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from crisi_portal.forms import add_refusal
from crisi_portal.roles import Role
from crisi_portal.scoping import ScopedViewMixin
from pal import eligibility, selectors, services
from pal.enums import EDITABLE_PIP_STATUSES, PIP_TRANSITIONS, DoteStatus, PIPStatus
from pal.forms import (
    CertificationForm,
    DoteAssignForm,
    FiscalCodeForm,
    OperatorListFilterForm,
    PIPForm,
    PIPServiceFormSet,
    ServiceReportForm,
)
from pal.models import PIP, Dote, Measure, Network, PIPService
from pal.services import PALRuleRefused
from pal.views.printing import pdf_response
from workers.models import Worker
from workers.selectors import can_see_identity

OPERATOR = frozenset({Role.OPERATOR})
LIST_LIMIT = 100  # rows per list on the operator's home; the status tiles filter them

# The operator's workflow buttons: URL action → (target status, service, success message).
ACTIONS = {
    "submit": (PIPStatus.PRESENTATO, services.pip_submit),
    "start": (PIPStatus.IN_CORSO, services.pip_start),
    "conclude": (PIPStatus.CONCLUSO, services.pip_conclude),
    "withdraw": (PIPStatus.RITIRATO, services.pip_withdraw),
}
# A refusal says which move failed, then the rule (PALRuleRefused.message); nothing changed.
REFUSED = {
    "submit": gettext_lazy("The PIP was not submitted. %(rule)s"),
    "start": gettext_lazy("Delivery was not started. %(rule)s"),
    "conclude": gettext_lazy("The PIP was not concluded. %(rule)s"),
    "withdraw": gettext_lazy("The PIP was not withdrawn. %(rule)s"),
}
REPORTABLE_PIP_STATUSES = (PIPStatus.APPROVATO, PIPStatus.IN_CORSO, PIPStatus.CONCLUSO)
CERTIFIABLE_PIP_STATUSES = (PIPStatus.IN_CORSO, PIPStatus.CONCLUSO)


def _doti(user):
    return (
        Dote.objects.visible_to(user)
        .with_ledger()
        .select_related(
            "measure",
            "operator",
            "involvement__worker",
            "involvement__procedure__company",
            "involvement__unit",
        )
    )


def _pips(user):
    return (
        PIP.objects.visible_to(user)
        .with_total()
        .select_related(
            "dote__measure",
            "dote__operator",
            "dote__involvement__worker",
            "dote__involvement__procedure__company",
        )
    )


def _budget(dote: Dote, total: Decimal) -> dict:
    """The live figure of the PIP form: what the plan being edited leaves on the Dote.

    ``dote`` comes from ``with_ledger()``; a PIP being edited (draft or returned) commits
    nothing yet, so everything committed belongs to the Dote's other PIPs.
    """
    remaining = dote.value - dote.committed_amount - total
    return {
        "dote": dote,
        "total": total,
        "remaining": remaining,
        "over": remaining < 0,
    }


# --- Home ------------------------------------------------------------------------------------


class OperatorHomeView(ScopedViewMixin, View):
    """Tiles (workers, Doti and PIPs by status) and the lists of the operator's Doti and PIPs."""

    roles = OPERATOR

    def get(self, request):
        user = request.user
        dote_status = request.GET.get("dote_status", "")
        pip_status = request.GET.get("pip_status", "")
        doti = _doti(user).order_by("-valid_from", "-id")
        pips = _pips(user).order_by("-updated_at", "-id")
        if dote_status in DoteStatus.values:
            doti = doti.filter(status=dote_status)
        else:
            dote_status = ""
        if pip_status in PIPStatus.values:
            pips = pips.filter(status=pip_status)
        else:
            pip_status = ""
        filters = OperatorListFilterForm(
            request.GET,
            measures=Measure.objects.filter(
                pk__in=Dote.objects.visible_to(user).values("measure")
            ).order_by("name"),
        )
        doti, pips = filters.narrow(doti, pips)
        kept = request.GET.copy()  # the filters, kept by the status tiles' links
        for name in ("dote_status", "pip_status", "page"):
            kept.pop(name, None)
        context = {
            "filter_query": kept.urlencode(),
            "filters": filters,
            **selectors.operator_overview(user),
            "doti": list(doti[:LIST_LIMIT]),
            "pips": list(pips[:LIST_LIMIT]),
            "list_limit": LIST_LIMIT,
            "dote_status": dote_status,
            "pip_status": pip_status,
            "show_identity": can_see_identity(user),
            # The networks it leads or belongs to: where its members report their services.
            "networks": list(
                Network.objects.visible_to(user)
                .select_related("lead")
                .order_by("name")[:LIST_LIMIT]
            ),
        }
        return render(request, "pal/operator/home.html", context)


# --- Finding a worker and assigning a Dote -----------------------------------------------------


class WorkerFindView(ScopedViewMixin, View):
    """Find a worker by exact fiscal code (POST only), then open a Dote for them."""

    roles = OPERATOR
    template_name = "pal/operator/worker_find.html"

    def _render(self, request, status=200, **context):
        context.setdefault("form", FiscalCodeForm())
        context["show_identity"] = can_see_identity(request.user)
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self._render(request)

    def _found(self, request, worker: Worker, assign_form=None, status=200):
        involvements = list(selectors.active_involvements(worker))
        # Which measures the worker may receive today, and why not the others (one rule a
        # sentence): shown with the worker, to the operator who found them.
        verdicts = eligibility.measures_for(involvements, on=timezone.localdate())
        return self._render(
            request,
            status=status,
            form=FiscalCodeForm(initial={"fiscal_code": worker.fiscal_code}),
            worker=worker,
            involvements=involvements,
            eligibility_rows=[
                (
                    involvement,
                    [v for v in verdicts[involvement.pk] if v.eligible],
                    [v for v in verdicts[involvement.pk] if not v.eligible],
                )
                for involvement in involvements
            ],
            own_doti=list(
                _doti(request.user).filter(involvement__worker=worker).order_by("-valid_from")
            ),
            assign_form=assign_form,
        )

    def _assign_form(self, request, worker, data=None):
        return DoteAssignForm(
            data,
            initial={"fiscal_code": worker.fiscal_code},
            involvements=selectors.active_involvements(worker),
            needs_operator=request.user.operator_id is None,
        )

    def post(self, request):
        if "involvement" in request.POST:
            return self._assign(request)
        form = FiscalCodeForm(request.POST)
        if not form.is_valid():
            return self._render(request, form=form, status=422)
        worker = selectors.find_worker_for_operator(form.cleaned_data["fiscal_code"])
        if worker is None:
            return self._render(request, form=form, not_found=True)
        selectors.log_operator_lookup(request.user, worker, path=request.path)
        return self._found(request, worker, self._assign_form(request, worker))

    def _assign(self, request):
        worker = selectors.find_worker_for_operator(request.POST.get("fiscal_code", ""))
        if worker is None:
            return self._render(request, not_found=True, status=422)
        form = self._assign_form(request, worker, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                dote = services.dote_assign(
                    user=request.user,
                    involvement=data["involvement"],
                    measure=data["measure"],
                    operator=request.user.operator or data["operator"],
                    value=data["value"],
                    valid_from=data["valid_from"],
                    valid_until=data["valid_until"],
                )
            except (PALRuleRefused, ValidationError) as exc:
                add_refusal(form, exc)
            else:
                messages.success(
                    request,
                    _("Dote opened for %(worker)s under %(measure)s.")
                    % {"worker": worker, "measure": dote.measure},
                )
                return redirect(dote)
        return self._found(request, worker, form, status=422)


# --- Doti ------------------------------------------------------------------------------------


class DoteDetailView(ScopedViewMixin, View):
    roles = OPERATOR

    def get(self, request, pk):
        dote = get_object_or_404(_doti(request.user), pk=pk)
        pips = list(dote.pips.with_total().order_by("-updated_at", "-id"))
        can_file = (
            dote.status not in (DoteStatus.CONCLUSA, DoteStatus.REVOCATA)
            and Dote.objects.editable_by(request.user).filter(pk=dote.pk).exists()
        )
        return render(
            request,
            "pal/operator/dote_detail.html",
            {
                "dote": dote,
                "pips": pips,
                "can_file": can_file,
                "show_identity": can_see_identity(request.user),
            },
        )


# --- Filing a PIP ----------------------------------------------------------------------------


class PIPFormView(ScopedViewMixin, View):
    """Objectives and services of a PIP, saved as a draft; the Dote's remainder updates live."""

    roles = OPERATOR
    template_name = "pal/operator/pip_form.html"
    creating = True

    def get_target(self) -> tuple[Dote, PIP | None]:
        raise NotImplementedError

    def _render(self, request, dote, pip, form, formset, status=200):
        context = {
            "dote": dote,
            "pip": pip,
            "form": form,
            "formset": formset,
            "budget": _budget(
                dote, formset.posted_total() if formset.is_bound else services.pip_total(pip)
            ),
            "creating": self.creating,
            "show_identity": can_see_identity(request.user),
        }
        return render(request, self.template_name, context, status=status)

    def _initial_services(self, dote: Dote, pip: PIP | None) -> list[dict]:
        if pip is not None:
            return list(
                pip.services.values(
                    "kind", "delivery", "hours", "cost", "planned_start", "planned_end"
                )
            )
        return []  # one empty row (min_num) dated with the Dote's validity (form_kwargs)

    def get(self, request, pk):
        dote, pip = self.get_target()
        if pip is not None and pip.status not in EDITABLE_PIP_STATUSES:
            messages.warning(
                request, _("A PIP can be changed only while it is a draft or returned.")
            )
            return redirect(pip)
        form = PIPForm(initial={"objectives": pip.objectives if pip else ""})
        formset = PIPServiceFormSet(
            prefix="services",
            initial=self._initial_services(dote, pip),
            form_kwargs={"default_dates": (dote.valid_from, dote.valid_until)},
        )
        return self._render(request, dote, pip, form, formset)

    def post(self, request, pk):
        dote, pip = self.get_target()
        form = PIPForm(request.POST)
        formset = PIPServiceFormSet(
            request.POST,
            prefix="services",
            form_kwargs={"default_dates": (dote.valid_from, dote.valid_until)},
        )
        if form.is_valid() and formset.is_valid():
            try:
                saved = services.pip_save(
                    user=request.user,
                    dote=dote,
                    objectives=form.cleaned_data["objectives"],
                    services=formset.services(),
                    pip=pip,
                )
            except (PALRuleRefused, ValidationError) as exc:
                add_refusal(form, exc)
            else:
                if saved.status == PIPStatus.RESTITUITO:
                    text = _("Changes saved. Submit the PIP again when the province's note is met.")
                else:
                    text = _("PIP saved as a draft. Submit it to the province when it is complete.")
                messages.success(request, text)
                return redirect(saved)
        return self._render(request, dote, pip, form, formset, status=422)


class PIPCreateView(PIPFormView):
    def get_target(self):
        return get_object_or_404(_doti(self.request.user), pk=self.kwargs["pk"]), None


class PIPUpdateView(PIPFormView):
    creating = False

    def get_target(self):
        pip = get_object_or_404(PIP.objects.visible_to(self.request.user), pk=self.kwargs["pk"])
        return get_object_or_404(_doti(self.request.user), pk=pip.dote_id), pip


class PIPBudgetView(ScopedViewMixin, View):
    """htmx: the costs typed so far in the PIP form → the fragment with total and remainder."""

    roles = OPERATOR

    def post(self, request, pk):
        dote = get_object_or_404(_doti(request.user), pk=pk)
        formset = PIPServiceFormSet(request.POST, prefix="services")
        return render(
            request,
            "pal/operator/_budget.html",
            {"budget": _budget(dote, formset.posted_total())},
        )


# --- A PIP and its workflow ------------------------------------------------------------------


def operator_actions(pip: PIP) -> list[str]:
    """The workflow moves the table in pal.services allows the operator from here."""
    return [
        action
        for action, (target, _service) in ACTIONS.items()
        if PIP_TRANSITIONS.get((pip.status, target)) == "operator"
    ]


class PIPDetailView(ScopedViewMixin, View):
    roles = OPERATOR

    def get(self, request, pk):
        pip = get_object_or_404(
            _pips(request.user).select_related("dote__involvement__outcome"), pk=pk
        )
        services_ = list(pip.services.all())
        totals = pip.services.aggregate(
            hours=Sum("hours"),
            cost=Sum("cost"),
            delivered_hours=Sum("delivered_hours"),
            delivered_cost=Sum("delivered_cost"),
        )
        editable = PIP.objects.editable_by(request.user).filter(pk=pip.pk).exists()
        return render(
            request,
            "pal/operator/pip_detail.html",
            {
                "pip": pip,
                "dote": pip.dote,
                "involvement": pip.dote.involvement,
                "services": services_,
                "totals": totals,
                "transitions": list(pip.transitions.select_related("by")),
                "certifications": list(pip.certifications.all()),
                "actions": operator_actions(pip) if editable else [],
                "can_edit": editable and pip.status in EDITABLE_PIP_STATUSES,
                "can_report": editable and pip.status in REPORTABLE_PIP_STATUSES,
                "can_certify": editable and pip.status in CERTIFIABLE_PIP_STATUSES,
                # Operators record the outcomes of the workers who chose them (workers app).
                "can_record_outcome": editable,
                "show_identity": can_see_identity(request.user),
            },
        )


class PIPPrintView(ScopedViewMixin, View):
    """The PIP as a document the worker signs: an A4 PDF with the plan, the Dote, the services
    and the signature blocks. Personal data: not cached, no name in the file name."""

    roles = OPERATOR

    def get(self, request, pk):
        pip = get_object_or_404(
            _pips(request.user).select_related("dote__involvement__unit"), pk=pk
        )
        context = {
            "pip": pip,
            "dote": pip.dote,
            "involvement": pip.dote.involvement,
            "worker": pip.dote.involvement.worker,
            "operator": pip.dote.operator,
            "office": pip.dote.operator.offices.select_related("province").first(),
            "services": list(pip.services.all()),
            "total": pip.services.aggregate(hours=Sum("hours"), cost=Sum("cost")),
            "printed_on": timezone.localdate(),
        }
        html = render(request, "pal/operator/pip_print.html", context).content.decode()
        return pdf_response(html, f"pip-{pip.reference}.pdf")


class PIPActionView(ScopedViewMixin, View):
    """POST submit / start / conclude / withdraw; a refusal names the rule, nothing changes."""

    roles = OPERATOR

    def post(self, request, pk, action):
        if action not in ACTIONS:
            raise Http404
        pip = get_object_or_404(PIP.objects.visible_to(request.user), pk=pk)
        _target, service = ACTIONS[action]
        kwargs = {"note": request.POST.get("note", "").strip()} if action == "withdraw" else {}
        try:
            pip = service(user=request.user, pip=pip, **kwargs)
        except PALRuleRefused as exc:
            messages.error(request, REFUSED[action] % {"rule": exc.message})
        else:
            messages.success(
                request,
                _("The PIP is now %(status)s.") % {"status": pip.get_status_display().lower()},
            )
        return redirect(reverse("pal:pip_detail", args=[pk]))


# --- Rendicontazione and certifications ------------------------------------------------------


class ServiceReportView(ScopedViewMixin, View):
    """Rendicontazione of one service: hours delivered, amount, date."""

    roles = OPERATOR

    def get_service(self) -> PIPService:
        return get_object_or_404(
            PIPService.objects.filter(
                pip__in=PIP.objects.visible_to(self.request.user)
            ).select_related("pip__dote__measure", "pip__dote__involvement__worker"),
            pk=self.kwargs["pk"],
        )

    def _render(self, request, service, form, status=200):
        return render(
            request,
            "pal/operator/service_report.html",
            {
                "service": service,
                "pip": service.pip,
                "form": form,
                "show_identity": can_see_identity(request.user),
            },
            status=status,
        )

    def get(self, request, pk):
        service = self.get_service()
        initial = {
            "delivered_hours": service.delivered_hours or service.hours,
            "delivered_cost": service.delivered_cost or service.cost,
            "delivered_on": service.delivered_on or timezone.localdate(),
        }
        return self._render(request, service, ServiceReportForm(initial=initial))

    def post(self, request, pk):
        service = self.get_service()
        form = ServiceReportForm(request.POST)
        if form.is_valid():
            try:
                services.service_report(user=request.user, service=service, **form.cleaned_data)
            except PALRuleRefused as exc:
                add_refusal(form, exc)
            else:
                messages.success(
                    request,
                    _("Delivery of “%(service)s” reported.")
                    % {"service": service.get_kind_display()},
                )
                return redirect(service.pip)
        return self._render(request, service, form, status=422)


class CertificationCreateView(ScopedViewMixin, View):
    roles = OPERATOR

    def get_pip(self) -> PIP:
        return get_object_or_404(
            _pips(self.request.user).select_related("dote__involvement__worker"),
            pk=self.kwargs["pk"],
        )

    def _render(self, request, pip, form, status=200):
        return render(
            request,
            "pal/operator/certification_form.html",
            {"pip": pip, "form": form, "show_identity": can_see_identity(request.user)},
            status=status,
        )

    def get(self, request, pk):
        return self._render(request, self.get_pip(), CertificationForm())

    def post(self, request, pk):
        pip = self.get_pip()
        form = CertificationForm(request.POST)
        if form.is_valid():
            try:
                services.certification_record(user=request.user, pip=pip, **form.cleaned_data)
            except (PALRuleRefused, ValidationError) as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, _("Competence certification recorded."))
                return redirect(pip)
        return self._render(request, pip, form, status=422)
