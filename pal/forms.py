"""Operator forms: finding a worker, assigning a Dote, filing a PIP, reporting services."""

import datetime
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from crisi_portal.forms import DateInput, StyledFormMixin
from crisi_portal.identifiers import normalise_tax_code, validate_fiscal_code
from pal.enums import Delivery, ServiceKind
from pal.models import Dote, Measure, Operator, Qualification


class MoneyInput(forms.NumberInput):
    def __init__(self, attrs=None):
        super().__init__(
            attrs={"step": "0.01", "min": "0", "inputmode": "decimal", **(attrs or {})}
        )


class HoursInput(forms.NumberInput):
    def __init__(self, attrs=None):
        super().__init__(attrs={"step": "0.5", "min": "0", "inputmode": "decimal", **(attrs or {})})


class FiscalCodeForm(StyledFormMixin, forms.Form):
    fiscal_code = forms.CharField(
        label=_("Worker's fiscal code"),
        max_length=24,
        help_text=_("The complete fiscal code (16 characters): only an exact match is found."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_fiscal_code(self) -> str:
        code = normalise_tax_code(self.cleaned_data["fiscal_code"])
        validate_fiscal_code(code)
        return code


def measures_in_force(day=None):
    day = day or timezone.localdate()
    return Measure.objects.in_force_on(day)


class DoteAssignForm(StyledFormMixin, forms.Form):
    """A Dote for one of the worker's active involvements; the service checks the rules."""

    fiscal_code = forms.CharField(widget=forms.HiddenInput)
    involvement = forms.ModelChoiceField(label=_("Procedure"), queryset=Measure.objects.none())
    measure = forms.ModelChoiceField(label=_("Measure"), queryset=Measure.objects.none())
    operator = forms.ModelChoiceField(
        label=_("Operator"), queryset=Operator.objects.all(), required=False
    )
    value = forms.DecimalField(
        label=_("Value (€)"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=MoneyInput(),
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput())
    valid_until = forms.DateField(label=_("Valid until"), widget=DateInput())

    def __init__(self, *args, involvements, needs_operator: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["involvement"]
        field.queryset = involvements
        field.label_from_instance = lambda i: (
            f"{i.procedure.company.name} – {i.procedure.external_id} ({i.unit.comune})"
        )
        if len(involvements) == 1:
            field.initial = involvements[0].pk
        measure = self.fields["measure"]
        measure.queryset = measures_in_force()
        measure.label_from_instance = lambda m: (
            _("%(name)s – up to € %(cap)s per worker")
            % {"name": m.name, "cap": number_format(m.max_per_worker, 2, force_grouping=True)}
            if m.max_per_worker
            else m.name
        )
        if needs_operator:  # an administrator acts for an operator of their choice
            self.fields["operator"].required = True
        else:
            del self.fields["operator"]
        if not self.is_bound:
            today = timezone.localdate()
            self.fields["valid_from"].initial = today
            self.fields["valid_until"].initial = today.replace(year=today.year + 1)

    def clean(self):
        data = super().clean()
        Dote.check_validity(data.get("valid_from"), data.get("valid_until"))
        return data


class PIPForm(StyledFormMixin, forms.Form):
    objectives = forms.CharField(
        label=_("Objectives"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the path aims at: the job, the skills, the constraints."),
    )


class PIPServiceForm(StyledFormMixin, forms.Form):
    """One planned service. Plain form (not a ModelForm): the model's check constraints would
    answer with their technical names, so the limits are stated here in words."""

    kind = forms.ChoiceField(label=_("Service"), choices=ServiceKind.choices)
    delivery = forms.ChoiceField(
        label=_("Delivery"), choices=Delivery.choices, initial=Delivery.INDIVIDUALE
    )
    hours = forms.DecimalField(
        label=_("Hours"),
        max_digits=6,
        decimal_places=1,
        min_value=Decimal("0.1"),
        widget=HoursInput(),
    )
    cost = forms.DecimalField(
        label=_("Cost (€)"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0"),
        widget=MoneyInput(),
    )
    planned_start = forms.DateField(label=_("Planned start"), widget=DateInput())
    planned_end = forms.DateField(label=_("Planned end"), widget=DateInput())

    def __init__(self, *args, default_dates=None, **kwargs):
        super().__init__(*args, **kwargs)
        if default_dates:  # a new row starts with the Dote's validity
            self.fields["planned_start"].initial, self.fields["planned_end"].initial = default_dates

    def clean(self):
        data = super().clean()
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", _("The service cannot end before it starts."))
        return data


class BasePIPServiceFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this service")

    def services(self) -> list[dict]:
        """The kept services, as the pal services take them."""
        return [
            {k: v for k, v in form.cleaned_data.items() if k != "DELETE"}
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def clean(self):
        super().clean()
        if not any(self.errors) and not self.services():
            raise ValidationError(_("Plan at least one service."))

    def posted_total(self) -> Decimal:
        """Sum of the costs typed so far, ignoring rows being deleted and unreadable amounts.

        For the live "remaining on the Dote" figure: it must answer while the form is still
        half filled, so it reads each cost on its own instead of validating the formset.
        """
        total = Decimal("0.00")
        for form in self.forms:
            if form["DELETE"].value():
                continue
            try:
                cost = form.fields["cost"].clean(form["cost"].value())
            except ValidationError:
                continue
            total += cost or 0
        return total


PIPServiceFormSet = forms.formset_factory(
    PIPServiceForm,
    formset=BasePIPServiceFormSet,
    extra=0,
    min_num=1,
    max_num=30,
    absolute_max=30,
    can_delete=True,
)


class ServiceReportForm(StyledFormMixin, forms.Form):
    """Rendicontazione: what was delivered of a planned service (the service checks the plan)."""

    delivered_hours = forms.DecimalField(
        label=_("Hours delivered"),
        max_digits=6,
        decimal_places=1,
        min_value=Decimal("0"),
        widget=HoursInput(),
    )
    delivered_cost = forms.DecimalField(
        label=_("Amount reported (€)"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0"),
        widget=MoneyInput(),
    )
    delivered_on = forms.DateField(label=_("Reported on"), widget=DateInput())


class CertificationForm(StyledFormMixin, forms.Form):
    qualification = forms.ModelChoiceField(
        label=_("Qualification certified"),
        queryset=Qualification.objects.filter(is_active=True),
        help_text=_("From the regional framework (QRSP) catalogue."),
        error_messages={"invalid_choice": _("Choose a qualification from the list.")},
    )
    title = forms.CharField(
        label=_("Path or unit of competence"),
        max_length=200,
        required=False,
        help_text=_("Optional: the path or the single competences, when not the whole profile."),
    )
    competences = forms.CharField(
        label=_("Competences certified"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One competence per line, as in the certificate."),
    )
    certified_on = forms.DateField(label=_("Certified on"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["certified_on"].initial = timezone.localdate()


class OperatorListFilterForm(StyledFormMixin, forms.Form):
    """The operator's home: narrow both its Doti and its PIPs (statuses are the tiles)."""

    EXPIRING_DAYS = 30

    measure = forms.ModelChoiceField(
        label=_("Measure"), queryset=Measure.objects.none(), required=False, empty_label=_("All")
    )
    company = forms.CharField(
        label=_("Company or procedure"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    expiring = forms.BooleanField(
        label=_("Doti ending within 30 days"),
        required=False,
    )

    def __init__(self, *args, measures=None, **kwargs):
        super().__init__(*args, **kwargs)
        if measures is not None:
            self.fields["measure"].queryset = measures

    def narrow(self, doti, pips):
        """``doti`` and ``pips`` with the chosen filters (unchanged when the form is invalid):
        one condition on the Dote, read from a PIP through ``dote__``."""
        if not self.is_valid():
            return doti, pips
        return doti.filter(self._dote_condition("")), pips.filter(self._dote_condition("dote__"))

    def _dote_condition(self, prefix: str) -> Q:
        data = self.cleaned_data
        condition = Q()
        if data["measure"]:
            condition &= Q(**{f"{prefix}measure": data["measure"]})
        procedure = f"{prefix}involvement__procedure__"
        for word in data["company"].split():
            condition &= Q(**{f"{procedure}company__name__icontains": word}) | Q(
                **{f"{procedure}external_id__icontains": word}
            )
        if data["expiring"]:
            today = timezone.localdate()
            until = today + datetime.timedelta(days=self.EXPIRING_DAYS)
            condition &= Q(
                **{f"{prefix}valid_until__gte": today, f"{prefix}valid_until__lte": until}
            )
        return condition

    @property
    def active(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())
