import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisi_portal.forms import DateInput, StyledFormMixin
from crisi_portal.upload_guard import UploadRefused, check_size
from workers.enums import Step
from workers.models import (
    Cohort,
    ExemptionReason,
    Involvement,
    Outcome,
    Worker,
    allowed_targets,
    measure_model,
)


class MoveFieldsMixin(forms.Form):
    """What a step move needs; which fields matter depends on the target step."""

    to = forms.ChoiceField(label=_("Move to"), choices=Step.choices)
    effective_date = forms.DateField(label=_("Effective date"), widget=DateInput())
    exemption_reason = forms.ModelChoiceField(
        label=_("Exemption reason"),
        queryset=ExemptionReason.objects.filter(is_active=True),
        required=False,
        help_text=_("Required for NO PAL."),
    )
    measure = forms.ModelChoiceField(
        label=_("Measure activated"),
        queryset=measure_model().objects.filter(is_active=True),
        required=False,
        help_text=_("Required for STEP 4."),
    )
    reason = forms.CharField(
        label=_("Reason / note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to move a worker back (a correction)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["effective_date"].initial = timezone.localdate()


class MoveForm(StyledFormMixin, MoveFieldsMixin):
    expected_from = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, involvement: Involvement, **kwargs):
        super().__init__(*args, **kwargs)
        targets = allowed_targets(involvement.current_step)
        self.fields["to"].choices = [(s, label) for s, label in Step.choices if s in targets]
        self.fields["expected_from"].initial = involvement.current_step


class BulkMoveForm(StyledFormMixin, MoveFieldsMixin):
    involvements = forms.ModelMultipleChoiceField(
        queryset=Involvement.objects.none(),
        widget=forms.MultipleHiddenInput,
        error_messages={"required": _("Select at least one worker.")},
    )

    def __init__(self, *args, involvements_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["involvements"].queryset = involvements_queryset
        # No default target: a bulk move must be chosen, never happen by accident.
        self.fields["to"].choices = [("", "—"), *Step.choices]


class OutcomeForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Outcome
        fields = ["kind", "date", "contract_kind", "employer", "notes"]
        widgets = {"date": DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}

    def _post_clean(self):
        pass  # validated by the service


class CohortForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Cohort
        fields = ["name", "unit", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, procedure, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = procedure.units.all()

    def _post_clean(self):
        pass


class WorkerImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Worker list (CSV or XLSX)"),
        help_text=_(
            "As the company sent it: Italian headers, ';' or ',' separated, dates as dd/mm/yyyy."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_size(upload.size, name=upload.name)
        except UploadRefused as refused:
            raise forms.ValidationError(str(refused)) from refused
        return upload


PHONE = re.compile(r"^\+?[0-9][0-9 ./-]{4,28}$")


class WorkerPersonalForm(StyledFormMixin, forms.ModelForm):
    """The worker's personal details the Nucleo keeps up to date (identity comes from the
    company's list and the fiscal code, and is not edited here)."""

    class Meta:
        model = Worker
        fields = ["citizenship", "education_level", "residence_province", "email", "phone"]
        help_texts = {
            "citizenship": _("As on the identity document, e.g. italiana, rumena."),
            "phone": _("Digits, spaces and an optional leading +, e.g. +39 035 123456."),
        }

    def clean_citizenship(self) -> str:
        return " ".join(self.cleaned_data["citizenship"].split())

    def clean_phone(self) -> str:
        phone = " ".join(self.cleaned_data["phone"].split())
        if phone and not PHONE.match(phone):
            raise forms.ValidationError(
                _("Write the phone number with digits, spaces and an optional leading +.")
            )
        return phone

    def _post_clean(self):
        pass  # the service validates the model (full_clean) and records the change
