"""Region officials manage measures, accredited operators and networks.

Province staff read them (networks only of their own provinces, as ``NetworkQuerySet``
decides); only the Region (and administrators) change them, through ``pal.services``.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView

from crisi_portal.errors import DomainError
from crisi_portal.forms import add_refusal
from crisi_portal.listing import FilteredListView
from crisi_portal.roles import Role
from crisi_portal.scoping import ScopedViewMixin
from pal import selectors, services
from pal.enums import MemberKind
from pal.filtersets import MeasureFilterSet, NetworkFilterSet, OperatorFilterSet
from pal.forms_region import (
    MeasureForm,
    MemberFormSet,
    NetworkForm,
    OfficeFormSet,
    OperatorForm,
    formset_rows,
)
from pal.models import Measure, Network, NetworkMember, Operator, OperatorOffice

STAFF_AND_REGION = frozenset({Role.PROVINCE_STAFF, Role.REGION_OFFICIAL})
REGION = frozenset({Role.REGION_OFFICIAL})


def _region_manages(user) -> bool:
    return user.is_admin or user.is_region_official


# --- Measures --------------------------------------------------------------------------------


class MeasureListView(FilteredListView):
    roles = STAFF_AND_REGION
    model = Measure
    filterset_class = MeasureFilterSet
    template_name = "pal/region/measure_list.html"
    partial_template_name = "pal/region/_measure_table.html"

    def base_queryset(self):
        return Measure.objects.order_by("-is_active", "name")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_edit"] = _region_manages(self.request.user)
        return context


class MeasureFormView(ScopedViewMixin, View):
    roles = REGION
    model = Measure
    require_edit = True
    pk_url_kwarg = "pk"

    def _render(self, form, measure=None, status=200):
        return render(
            self.request,
            "pal/region/measure_form.html",
            {"form": form, "measure": measure},
            status=status,
        )

    def get(self, request, pk=None):
        measure = self.get_object() if pk else None
        return self._render(MeasureForm(instance=measure), measure)

    def post(self, request, pk=None):
        measure = self.get_object() if pk else None
        form = MeasureForm(request.POST, instance=measure)
        if form.is_valid():
            try:
                saved = services.measure_save(
                    user=request.user, data=form.cleaned_data, measure=measure
                )
            except (DomainError, ValidationError, PermissionDenied) as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, _("Measure %(name)s saved.") % {"name": saved.name})
                return redirect(reverse("pal:measure_list"))
        return self._render(form, measure, status=422)


# --- Operators -------------------------------------------------------------------------------


class OperatorListView(FilteredListView):
    roles = STAFF_AND_REGION
    model = Operator
    filterset_class = OperatorFilterSet
    template_name = "pal/region/operator_list.html"
    partial_template_name = "pal/region/_operator_table.html"

    def base_queryset(self):
        return Operator.objects.prefetch_related(
            Prefetch("offices", queryset=OperatorOffice.objects.order_by("province__position"))
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_edit"] = _region_manages(self.request.user)
        return context


class OperatorFormView(ScopedViewMixin, View):
    roles = REGION
    model = Operator
    require_edit = True
    pk_url_kwarg = "pk"

    def _render(self, form, formset, operator=None, status=200):
        return render(
            self.request,
            "pal/region/operator_form.html",
            {"form": form, "office_formset": formset, "operator": operator},
            status=status,
        )

    def get(self, request, pk=None):
        operator = self.get_object() if pk else None
        initial = list(operator.offices.values("comune", "province", "address")) if operator else []
        formset = OfficeFormSet(prefix="offices", initial=initial)
        return self._render(OperatorForm(instance=operator), formset, operator)

    def post(self, request, pk=None):
        operator = self.get_object() if pk else None
        form = OperatorForm(request.POST, instance=operator)
        formset = OfficeFormSet(request.POST, prefix="offices")
        if form.is_valid() and formset.is_valid():
            try:
                saved = services.operator_save(
                    user=request.user,
                    data=form.cleaned_data,
                    offices=formset_rows(formset),
                    operator=operator,
                )
            except (DomainError, ValidationError, PermissionDenied) as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, _("Operator %(name)s saved.") % {"name": saved.name})
                return redirect(reverse("pal:operator_list"))
        return self._render(form, formset, operator, status=422)


# --- Networks --------------------------------------------------------------------------------


def _network_queryset():
    # network_checks reads the members and their operators: prefetched, a fixed query count.
    return Network.objects.select_related("lead", "province", "measure").prefetch_related(
        "members__operator"
    )


class NetworkListView(FilteredListView):
    roles = STAFF_AND_REGION
    model = Network
    filterset_class = NetworkFilterSet
    template_name = "pal/region/network_list.html"
    partial_template_name = "pal/region/_network_table.html"

    def base_queryset(self):
        return (
            _network_queryset()
            .annotate(member_count=Count("members", distinct=True))
            .order_by("name", "id")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # network_checks reads each network's members: bounded by the page size.
        context["rows"] = [
            (network, services.network_is_valid(network)) for network in context["object_list"]
        ]
        context["can_edit"] = _region_manages(self.request.user)
        return context


class NetworkDetailView(ScopedViewMixin, DetailView):
    roles = STAFF_AND_REGION
    model = Network
    template_name = "pal/region/network_detail.html"
    context_object_name = "network"

    def base_queryset(self):
        return _network_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        network = self.object
        user = self.request.user
        checks = services.network_checks(network)
        context.update(
            checks=checks,
            is_valid=all(check.ok for check in checks),
            members=network.members.select_related("operator", "province"),
            # Only what the viewer may see of the procedures and cohorts served.
            procedures=network.procedures.visible_to(user).select_related(
                "company", "lead_province"
            ),
            cohorts=network.cohorts.visible_to(user).select_related("procedure", "unit"),
            hidden_served=(
                network.procedures.count() - network.procedures.visible_to(user).count()
            ),
            can_edit=Network.objects.editable_by(user).filter(pk=network.pk).exists(),
            ledger=selectors.network_ledger(network, user, services=5),
        )
        return context


def _default_members() -> list[dict]:
    """A new network starts with the members every network needs (§4)."""
    return [
        {"kind": MemberKind.OPERATORE_LAVORO, "name": ""},
        {"kind": MemberKind.PROVINCIA, "name": ""},
        {"kind": MemberKind.CPI, "name": ""},
    ]


class NetworkFormView(ScopedViewMixin, View):
    roles = REGION
    model = Network
    require_edit = True
    pk_url_kwarg = "pk"

    def base_queryset(self):
        return _network_queryset()

    def _render(self, form, formset, network=None, status=200):
        return render(
            self.request,
            "pal/region/network_form.html",
            {"form": form, "member_formset": formset, "network": network},
            status=status,
        )

    def get(self, request, pk=None):
        network = self.get_object() if pk else None
        if network is not None:
            initial = list(
                NetworkMember.objects.filter(network=network).values(
                    "kind", "name", "operator", "province"
                )
            )
        else:
            initial = _default_members()
        formset = MemberFormSet(prefix="members", initial=initial)
        return self._render(NetworkForm(instance=network), formset, network)

    def post(self, request, pk=None):
        network = self.get_object() if pk else None
        form = NetworkForm(request.POST, instance=network)
        formset = MemberFormSet(request.POST, prefix="members")
        if form.is_valid() and formset.is_valid():
            try:
                saved = services.network_save(
                    user=request.user,
                    data=dict(form.cleaned_data),
                    members=formset_rows(formset),
                    network=network,
                )
            except (DomainError, ValidationError, PermissionDenied) as exc:
                add_refusal(form, exc)
            else:
                if services.network_is_valid(saved):
                    messages.success(request, _("Network saved: every check is met."))
                else:
                    messages.warning(
                        request,
                        _("Network saved, but it is not valid yet: see the checks below."),
                    )
                return redirect(saved)
        return self._render(form, formset, network, status=422)
