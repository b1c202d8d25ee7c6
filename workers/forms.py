import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisi_portal.forms import DateInput, StyledFormMixin
from crisi_portal.upload_guard import UploadRefused, check_size
from workers.enums import OutcomeSource, Step
from workers.models import (
    Cohort,
    ExemptionReason,
    ImportProfile,
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


class BulkCohortForm(StyledFormMixin, forms.Form):
    """Put the selected workers into a group of the procedure, or take them out of theirs.

    Both querysets are the procedure's rows the user sees: an id out of scope is refused as
    one that does not exist."""

    ASSIGN = "assign"
    REMOVE = "remove"

    op = forms.ChoiceField(choices=[(ASSIGN, ASSIGN), (REMOVE, REMOVE)], widget=forms.HiddenInput)
    involvements = forms.ModelMultipleChoiceField(
        queryset=Involvement.objects.none(),
        widget=forms.MultipleHiddenInput,
        error_messages={
            "required": _("Select at least one worker."),
            "invalid_choice": _("Worker %(value)s does not exist in this procedure."),
            "invalid_pk_value": _("“%(pk)s” is not a worker of this procedure."),
        },
    )
    cohort = forms.ModelChoiceField(
        label=_("Group"),
        queryset=Cohort.objects.none(),
        required=False,
        empty_label="—",
        error_messages={"invalid_choice": _("This group does not exist in this procedure.")},
    )

    def __init__(self, *args, involvements_queryset, cohorts_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["involvements"].queryset = involvements_queryset
        self.fields["cohort"].queryset = cohorts_queryset

    def clean(self):
        data = super().clean()
        if data.get("op") == self.ASSIGN and not data.get("cohort") and "cohort" not in self.errors:
            self.add_error("cohort", _("Choose the group to put the selected workers into."))
        return data


class OutcomeForm(StyledFormMixin, forms.ModelForm):
    """The outcome as the province or the worker's operator records it. An operator's entry is
    declared by the operator (no source to choose); the province chooses the source, with no
    preselected answer."""

    class Meta:
        model = Outcome
        fields = ["kind", "date", "contract_kind", "contract_end", "source", "employer", "notes"]
        widgets = {
            "date": DateInput(),
            "contract_end": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "contract_kind": _(
                "A new employer: the contract with it. Back in the same company, "
                "self-employment: filled in. Retirement, other: none."
            ),
        }

    def __init__(self, *args, by_operator: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.by_operator = by_operator
        if by_operator:
            del self.fields["source"]
        else:
            source = self.fields["source"]
            source.required = True
            if self.instance.pk is None:
                source.initial = None
                self.initial.pop("source", None)
            choices = [choice for choice in source.choices if choice[0] != ""]
            source.choices = [("", "—"), *choices]

    def clean(self):
        data = super().clean()
        if self.by_operator:
            data["source"] = OutcomeSource.OPERATOR
        return data

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


def _profile_field(*, required: bool) -> forms.ModelChoiceField:
    """The import profiles in use, by code (issue #16): the source's headers and formats."""
    return forms.ModelChoiceField(
        queryset=ImportProfile.objects.filter(is_active=True),
        to_field_name="slug",
        required=required,
        label=_("Format"),
        empty_label=None if required else _("Columns recognised by their names (any company list)"),
        help_text=_("The source's format: its headers, dates and decimals, as the admin set it."),
    )


class WorkerImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Worker list (CSV or XLSX)"),
        help_text=_(
            "As the company sent it: Italian headers, ';' or ',' separated, dates as dd/mm/yyyy."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile"] = _profile_field(required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_size(upload.size, name=upload.name)
        except UploadRefused as refused:
            raise forms.ValidationError(str(refused)) from refused
        return upload


class IncomeSupportImportForm(WorkerImportForm):
    """An income-support list: the procedure is found by the company's tax code and period."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].label = _("Income-support list (CSV or XLSX)")
        self.fields["file"].help_text = _(
            "The company's list sent with the CIGS application or an INPS extract: every row "
            "names the company's tax code."
        )
        self.fields["profile"] = _profile_field(required=True)


FISCAL_CODE_SHAPE = re.compile(r"^[A-Z0-9]{16}$")
WORKER_SEARCH_MAX_LENGTH = 100


class WorkerSearchForm(StyledFormMixin, forms.Form):
    """Find a worker across the procedures in scope: a fiscal code, or words of the name.

    Sent by POST only: a name or a fiscal code in a URL would reach access logs and history.
    """

    q = forms.CharField(
        label=_("Fiscal code or name"),
        max_length=WORKER_SEARCH_MAX_LENGTH,
        help_text=_(
            "The complete fiscal code (16 characters) finds that worker only; words find workers "
            "whose first or last name contains every word."
        ),
        widget=forms.TextInput(
            attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}
        ),
    )

    def clean_q(self) -> str:
        value = " ".join(self.cleaned_data["q"].split())
        if len(value.replace(" ", "")) < 2:
            raise forms.ValidationError(
                _("Type at least two letters of the name, or the whole fiscal code."),
                code="too_short",
            )
        return value

    def fiscal_code(self) -> str | None:
        """The fiscal code sought, when the text is one (16 letters and digits)."""
        compact = self.cleaned_data["q"].replace(" ", "").upper()
        return compact if FISCAL_CODE_SHAPE.match(compact) else None


PHONE = re.compile(r"^\+?[0-9][0-9 ./-]{4,28}$")


class WorkerPersonalForm(StyledFormMixin, forms.ModelForm):
    """The worker's personal details the Nucleo keeps up to date (identity comes from the
    company's list and the fiscal code, and is not edited here)."""

    class Meta:
        model = Worker
        fields = [
            "citizenship_country",
            "citizenship",
            "education_level",
            "residence_province",
            "email",
            "phone",
        ]
        help_texts = {
            "citizenship_country": _("The country the figures count (Italian, EU, non-EU)."),
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
