"""Forms of a network's members: the lead's shares of its Doti, a member's report of a service."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from crisi_portal.forms import DateInput, StyledFormMixin
from pal.enums import Delivery, ServiceKind
from pal.forms import HoursInput, MoneyInput
from pal.models import Network, Operator
from pal.services import network_doti


class DoteChoiceMixin:
    """Doti read as "Dote 12", with the worker's name only where the viewer reads it."""

    names: dict[int, str]

    def label_from_instance(self, obj) -> str:
        name = self.names.get(obj.pk)
        label = _("Dote %(id)s") % {"id": obj.pk}
        return f"{label} · {name}" if name else str(label)


class DoteChoiceField(DoteChoiceMixin, forms.ModelChoiceField):
    pass


class DoteMultipleChoiceField(DoteChoiceMixin, forms.ModelMultipleChoiceField):
    pass


def _doti_queryset(network: Network):
    return network_doti(network).order_by("pk")


class NetworkShareForm(StyledFormMixin, forms.Form):
    operator = forms.ModelChoiceField(label=_("Member"), queryset=Operator.objects.none())
    dote = DoteChoiceField(label=_("Lead's Dote"), queryset=Operator.objects.none())
    amount = forms.DecimalField(
        label=_("Share (€)"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=MoneyInput(),
    )

    def __init__(self, *args, network: Network, names: dict[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].queryset = Operator.objects.filter(
            network_memberships__network=network
        ).distinct()
        dote = self.fields["dote"]
        dote.queryset = _doti_queryset(network)
        dote.names = names


class NetworkServiceForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Service"), choices=ServiceKind.choices)
    delivery = forms.ChoiceField(
        label=_("Delivery"),
        choices=Delivery.choices,
        initial=Delivery.GRUPPO,
        help_text=_("Group delivery is preferred where the service provides for it."),
    )
    delivered_on = forms.DateField(label=_("Delivered on"), widget=DateInput())
    hours = forms.DecimalField(
        label=_("Hours"),
        max_digits=6,
        decimal_places=1,
        min_value=Decimal("0.5"),
        widget=HoursInput(),
        help_text=_("The hours each worker attended."),
    )
    cost = forms.DecimalField(
        label=_("Cost (€)"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0"),
        widget=MoneyInput(),
        help_text=_("For a group service, the whole cost: it is split among the workers' Doti."),
    )
    doti = DoteMultipleChoiceField(
        label=_("Workers (lead's Doti)"),
        queryset=Operator.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, network: Network, names: dict[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        doti = self.fields["doti"]
        doti.queryset = _doti_queryset(network)
        doti.names = names
