"""The services a network's members deliver (source 003): the ledger of the network, the
lead's shares of its Doti and a member's report of a service it delivered.

Who reads what is ``NetworkQuerySet`` / ``NetworkRowQuerySet``: the Nucleo of the territory and
the Region read every row, the lead's staff every row of its networks, a member's its own rows
and the network's totals. The writes are ``pal.services.network_share_set`` (the lead) and
``network_service_report`` (a member).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView

from crisi_portal.errors import DomainError
from crisi_portal.forms import add_refusal
from crisi_portal.roles import Role
from crisi_portal.scoping import ScopedViewMixin, may_act_for_operator
from pal import selectors, services
from pal.forms_network import NetworkServiceForm, NetworkShareForm
from pal.models import Network, NetworkMember, Operator

READERS = frozenset({Role.PROVINCE_STAFF, Role.REGION_OFFICIAL, Role.OPERATOR})
OPERATOR = frozenset({Role.OPERATOR})


def _network_queryset():
    return Network.objects.select_related("lead", "province", "measure")


def member_operator(user, network: Network) -> Operator | None:
    """The member the user reports for: its own organisation (an admin: the lead)."""
    if user.is_admin and not user.operator_id:
        return network.lead
    if (
        user.operator_id
        and NetworkMember.objects.filter(network=network, operator_id=user.operator_id).exists()
    ):
        return user.operator
    return None


class NetworkServicesView(ScopedViewMixin, DetailView):
    roles = READERS
    model = Network
    template_name = "pal/network/services.html"
    context_object_name = "network"

    def base_queryset(self):
        return _network_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        network = self.object
        context.update(
            ledger=selectors.network_ledger(network, user),
            is_lead=bool(user.operator_id) and may_act_for_operator(user, network.lead),
            is_member=bool(user.operator_id) and member_operator(user, network) is not None,
        )
        return context


class _NetworkFormView(ScopedViewMixin, View):
    roles = OPERATOR
    model = Network
    pk_url_kwarg = "pk"
    template_name = "pal/network/form.html"
    title = intro = submit = ""

    def base_queryset(self):
        return _network_queryset()

    def _names(self, network):
        return selectors.network_worker_names(
            self.request.user, set(services.network_doti(network).values_list("pk", flat=True))
        )

    def _render(self, form, network, status=200):
        context = {
            "form": form,
            "network": network,
            "title": self.title,
            "intro": self.intro,
            "submit": self.submit,
        }
        return render(self.request, self.template_name, context, status=status)


class NetworkShareView(_NetworkFormView):
    """The lead gives a member its share of one of the lead's Doti."""

    title = gettext_lazy("Give a share")
    intro = gettext_lazy(
        "The part of your Dote, in euro, a member may deliver and report. The shares of a Dote "
        "cannot exceed its value."
    )
    submit = gettext_lazy("Save")

    def get_network(self):
        network = self.get_object()
        if not may_act_for_operator(self.request.user, network.lead):
            raise PermissionDenied
        return network

    def get(self, request, pk):
        network = self.get_network()
        return self._render(NetworkShareForm(network=network, names=self._names(network)), network)

    def post(self, request, pk):
        network = self.get_network()
        form = NetworkShareForm(request.POST, network=network, names=self._names(network))
        if form.is_valid():
            try:
                services.network_share_set(user=request.user, network=network, **form.cleaned_data)
            except (DomainError, ValidationError, PermissionDenied) as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, _("Share saved."))
                return redirect(reverse("pal:network_services", args=[network.pk]))
        return self._render(form, network, status=422)


class NetworkServiceReportView(_NetworkFormView):
    """A member reports a service it delivered to the network's workers."""

    title = gettext_lazy("Report a service")
    intro = gettext_lazy(
        "A service delivered by your organisation to the network's workers, charged to your "
        "share of the lead's Dote for each of them."
    )
    submit = gettext_lazy("Report")

    def get_network(self):
        network = self.get_object()
        operator = member_operator(self.request.user, network)
        if operator is None:
            raise PermissionDenied
        return network, operator

    def get(self, request, pk):
        network, _operator = self.get_network()
        form = NetworkServiceForm(
            network=network,
            names=self._names(network),
            initial={"delivered_on": timezone.localdate()},
        )
        return self._render(form, network)

    def post(self, request, pk):
        network, operator = self.get_network()
        form = NetworkServiceForm(request.POST, network=network, names=self._names(network))
        if form.is_valid():
            try:
                services.network_service_report(
                    user=request.user, network=network, operator=operator, **form.cleaned_data
                )
            except (DomainError, ValidationError, PermissionDenied) as exc:
                add_refusal(form, exc)
            else:
                messages.success(request, _("Service reported."))
                return redirect(reverse("pal:network_services", args=[network.pk]))
        return self._render(form, network, status=422)
