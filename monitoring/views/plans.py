"""Provincial re-employment plans: the list, the plan's progress page, create and edit.

Who sees and who writes is ``PlanQuerySet``'s (the Nucleo of the province writes its plans,
the Region reads them all); the figures are ``monitoring.plans``'; the writes
``services.plan_save``'s. The views fetch in scope, call, show.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView

from crisi_portal.forms import add_refusal
from crisi_portal.listing import FilteredListView
from crisi_portal.roles import Role
from crisi_portal.scoping import ScopedViewMixin, is_editable, readable_provinces
from monitoring import plans, services
from monitoring.filtersets import PlanFilterSet
from monitoring.forms import PlanForm, plan_formsets, plan_parts
from monitoring.models import PlanIndicator, ReemploymentPlan

READERS = frozenset({Role.PROVINCE_STAFF, Role.REGION_OFFICIAL})
WRITERS = frozenset({Role.PROVINCE_STAFF})


class PlanListView(FilteredListView):
    roles = READERS
    model = ReemploymentPlan
    filterset_class = PlanFilterSet
    template_name = "monitoring/plan_list.html"

    def base_queryset(self):
        return ReemploymentPlan.objects.select_related("province").with_totals()

    def scope_filters(self, form) -> None:
        provinces = readable_provinces(self.request.user)
        if provinces is not None:
            field = form.fields["province"]
            field.queryset = field.queryset.filter(code__in=provinces)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = self.request.user.is_admin or (
            self.request.user.role == Role.PROVINCE_STAFF
        )
        return context


class PlanDetailView(ScopedViewMixin, DetailView):
    """The plan's progress: each indicator's current value against its target, the phases
    with where today falls, the budget by source, the partners and the target groups."""

    roles = READERS
    model = ReemploymentPlan
    template_name = "monitoring/plan_detail.html"
    context_object_name = "plan"

    def base_queryset(self):
        return ReemploymentPlan.objects.select_related("province").prefetch_related(
            "partners",
            "phases",
            "budget",
            "target_groups",
            Prefetch("indicators", queryset=PlanIndicator.objects.select_related("target_group")),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        plan = self.object
        today = timezone.localdate()
        progress = plans.indicator_progress(plan, list(plan.indicators.all()))
        budget = list(plan.budget.all())
        context.update(
            today=today,
            systems=plans.by_system(progress),
            elapsed=plans.elapsed(plan, today),
            phases=[(phase, plans.phase_state(phase, today)) for phase in plan.phases.all()],
            budget=budget,
            budget_total=sum((line.amount for line in budget), start=plans.Decimal(0)),
            can_edit=is_editable(plan, self.request.user),
        )
        return context


def _render_form(request, context, status=200):
    return render(request, "monitoring/plan_form.html", context, status=status)


class PlanFormMixin(ScopedViewMixin):
    roles = WRITERS
    model = ReemploymentPlan
    pk_url_kwarg = "pk"

    def handle(self, request, plan=None):
        form = PlanForm(request.POST, instance=plan, user=request.user)
        form.is_valid()
        formsets = plan_formsets(request.POST, plan=plan, period=form.period())
        context = {"form": form, "formsets": formsets, "plan": plan}
        valid = [form.is_valid(), *(f.is_valid() for f in formsets.values())]
        if not all(valid):
            return _render_form(request, context, status=422)
        try:
            saved = services.plan_save(
                user=request.user,
                data=form.cleaned_data,
                parts=plan_parts(formsets),
                plan=plan,
            )
        except (ValidationError, PermissionDenied) as exc:
            add_refusal(form, exc, fallback=_("You cannot change this plan."))
            return _render_form(request, context, status=422)
        messages.success(request, _("Plan saved."))
        return redirect(saved)


class PlanCreateView(PlanFormMixin, View):
    def get(self, request):
        initial = {}
        if len(request.user.province_codes) == 1:
            initial["province"] = next(iter(request.user.province_codes))
        context = {
            "form": PlanForm(initial=initial, user=request.user),
            "formsets": plan_formsets(),
            "plan": None,
        }
        return _render_form(request, context)

    def post(self, request):
        return self.handle(request)


class PlanUpdateView(PlanFormMixin, View):
    require_edit = True

    def get(self, request, pk):
        plan = self.get_object()
        context = {
            "form": PlanForm(instance=plan, user=request.user),
            "formsets": plan_formsets(plan=plan),
            "plan": plan,
        }
        return _render_form(request, context)

    def post(self, request, pk):
        return self.handle(request, self.get_object())
