"""Forms of the Region's pages: measures, accredited operators with their offices, networks.

The forms only collect and check input; the writes go through ``pal.services``.
"""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import CrisisProcedure, Province
from crisi_portal.forms import DateInput, StyledFormMixin
from pal.enums import MemberKind
from pal.models import Measure, Network, Operator
from workers.enums import IncomeSupport
from workers.models import Cohort


class MeasureRulesFormMixin(forms.ModelForm):
    """The eligibility rules of a measure (``pal.eligibility``): the income supports as boxes
    to tick (stored as a list), the other measures it is incompatible with."""

    income_supports = forms.MultipleChoiceField(
        label=_("Income support admitted"),
        choices=IncomeSupport.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The worker's income support must be one of these; none ticked: any."),
    )

    # Not sent (an older client, a form without the rules): the model's default, no rule.
    DEFAULTED = ("hours_cut_comparison", "employment_status")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.DEFAULTED:
            if name in self.fields:
                self.fields[name].required = False
        others = self.fields.get("incompatible_with")
        if others is not None and self.instance.pk:
            others.queryset = others.queryset.exclude(pk=self.instance.pk)

    def clean(self):
        data = super().clean()
        for name in self.DEFAULTED:
            if name in self.fields and not data.get(name):
                data[name] = Measure._meta.get_field(name).get_default()
        return data


class MeasureForm(MeasureRulesFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Measure
        fields = [
            "code",
            "name",
            "funding_source",
            "valid_from",
            "valid_until",
            "max_per_worker",
            "max_per_company",
            "total_budget",
            "exclusive",
            "is_active",
            "income_supports",
            "min_hours_cut_pct",
            "hours_cut_comparison",
            "employment_status",
            "unit_in_lombardy",
            "min_age",
            "max_age",
            "support_ongoing",
            "incompatible_with",
        ]
        widgets = {
            "valid_from": DateInput(),
            "valid_until": DateInput(),
            "incompatible_with": forms.CheckboxSelectMultiple,
        }
        help_texts = {"code": _("Short identifier used by other systems, e.g. dote-unica-lavoro.")}


class OperatorForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Operator
        fields = [
            "name",
            "accreditation_number",
            "accredited_for_labour",
            "accredited_for_training",
            "is_public",
        ]


class OfficeForm(StyledFormMixin, forms.Form):
    comune = forms.CharField(label=_("Municipality"), max_length=80)
    province = forms.ModelChoiceField(label=_("Province"), queryset=Province.objects.all())
    address = forms.CharField(label=_("Address"), max_length=200, required=False)


OfficeFormSet = forms.formset_factory(OfficeForm, extra=1, can_delete=True)


class ProcedureChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.external_id} – {obj.company.name}"


class CohortChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.procedure.external_id} – {obj.name}"


class NetworkForm(StyledFormMixin, forms.ModelForm):
    procedures = ProcedureChoiceField(
        label=_("Procedures served"),
        queryset=CrisisProcedure.objects.select_related("company").order_by("-opened_on"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Hold Ctrl (⌘ on a Mac) to choose more than one."),
    )
    cohorts = CohortChoiceField(
        label=_("Cohorts served"),
        queryset=Cohort.objects.select_related("procedure").order_by(
            "procedure__external_id", "name"
        ),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Hold Ctrl (⌘ on a Mac) to choose more than one."),
    )

    class Meta:
        model = Network
        fields = [
            "name",
            "lead",
            "province",
            "measure",
            "valid_from",
            "valid_until",
            "procedures",
            "cohorts",
        ]
        widgets = {"valid_from": DateInput(), "valid_until": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only a CPI or an operator accredited for labour services can lead (§4).
        # The current lead stays selectable, so that a lead that lost its accreditation is
        # refused by the service with the rule's words rather than silently dropped.
        self.fields["lead"].queryset = Operator.objects.filter(
            Q(accredited_for_labour=True) | Q(is_public=True) | Q(pk=self.instance.lead_id)
        )
        self.fields["lead"].help_text = _(
            "A public employment centre (CPI) or an operator accredited for labour services."
        )
        if not self.fields["cohorts"].queryset.exists():
            self.fields["cohorts"].help_text = _("No cohort has been formed yet.")


class MemberForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *MemberKind.choices])
    name = forms.CharField(label=_("Name"), max_length=200)
    operator = forms.ModelChoiceField(
        label=_("Accredited operator"), queryset=Operator.objects.all(), required=False
    )
    province = forms.ModelChoiceField(
        label=_("Province"), queryset=Province.objects.all(), required=False
    )


MemberFormSet = forms.formset_factory(MemberForm, extra=0, can_delete=True)


def formset_rows(formset: forms.BaseFormSet) -> list[dict]:
    """The filled, not deleted rows of a valid formset, as dicts for the services."""
    rows = []
    for form in formset.forms:
        data = dict(form.cleaned_data or {})
        if not data or data.pop("DELETE", False):
            continue
        rows.append(data)
    return rows
