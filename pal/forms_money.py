"""Forms of the money pages (issue #15): funding sources, a measure's shares, payments.

The forms only collect and check input; the writes go through ``pal.services``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crisi_portal.forms import DateInput, StyledFormMixin
from pal.models import Fund
from pal.spending import DIMENSIONS


class FundForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Fund
        fields = [
            "code",
            "name",
            "kind",
            "budget",
            "valid_from",
            "valid_until",
            "province",
            "legal_basis",
        ]
        widgets = {
            "valid_from": DateInput(),
            "valid_until": DateInput(),
            "legal_basis": forms.Textarea(attrs={"rows": 3}),
        }


class ShareForm(StyledFormMixin, forms.Form):
    fund = forms.ModelChoiceField(label=_("Funding source"), queryset=Fund.objects.all())
    share = forms.DecimalField(
        label=_("Share (%)"), max_digits=5, decimal_places=2, min_value=0.01, max_value=100
    )


ShareFormSet = forms.formset_factory(ShareForm, extra=2, can_delete=True)


class PaymentForm(StyledFormMixin, forms.Form):
    paid_on = forms.DateField(label=_("Paid on"), widget=DateInput())
    amount = forms.DecimalField(
        label=_("Amount (€)"), max_digits=10, decimal_places=2, min_value=0.01
    )
    reference = forms.CharField(
        label=_("Reference"),
        max_length=80,
        help_text=_("The payment order or decree."),
    )


class SpendingForm(StyledFormMixin, forms.Form):
    """The spending report's choices: the dimension of the rows and the day of the figures."""

    by = forms.ChoiceField(
        label=_("Rows"),
        required=False,
        choices=list(
            zip(
                DIMENSIONS,
                [_("Measure"), _("Funding source"), _("Province"), _("Operator")],
                strict=True,
            )
        ),
    )
    on = forms.DateField(
        label=_("Figures as of"),
        required=False,
        widget=DateInput(),
        help_text=_("Empty: today's figures."),
    )
