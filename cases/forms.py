from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cases.enums import (
    AgreementGoal,
    CompanyKind,
    DecisionKind,
    MeetingKind,
    ParticipantRole,
    PartyRole,
)
from cases.models import (
    MAX_PARTIES,
    Agreement,
    Cpi,
    CrisisProcedure,
    Meeting,
    ProductionUnit,
    Province,
)
from cases.validators import validate_company_tax_code
from crisi_portal.forms import DateInput, StyledFormMixin
from crisi_portal.identifiers import normalise_tax_code
from crisi_portal.scoping import acting_provinces
from crisi_portal.upload_guard import UploadRefused, check_size


class CompanyForm(StyledFormMixin, forms.Form):
    """The company is found by its tax code, or created; its name is kept up to date."""

    company_tax_code = forms.CharField(
        label=_("Company tax code"),
        max_length=16,
        validators=[validate_company_tax_code],
        help_text=_("Partita IVA (11 digits) or the fiscal code of a sole trader."),
    )
    company_name = forms.CharField(label=_("Company name"), max_length=200)
    company_ateco_code = forms.CharField(label=_("ATECO code"), max_length=8, required=False)
    company_kind = forms.ChoiceField(
        label=_("Company kind"), choices=[("", "—"), *CompanyKind.choices], required=False
    )

    def clean_company_tax_code(self) -> str:
        return normalise_tax_code(self.cleaned_data["company_tax_code"])

    def company_data(self) -> dict:
        return {
            "tax_code": self.cleaned_data["company_tax_code"],
            "name": self.cleaned_data["company_name"],
            "ateco_code": self.cleaned_data["company_ateco_code"],
            "kind": self.cleaned_data["company_kind"],
        }


PROCEDURE_FORM_FIELDS = [
    "external_id",
    "family",
    "cause",
    "concession_kind",
    "lead_province",
    "opened_on",
    "start_date",
    "end_date",
    "union_agreement_date",
    "status",
    "high_complexity",
    "complexity_note",
    "notes",
]
DATE_WIDGETS = {
    name: DateInput() for name in ("opened_on", "start_date", "end_date", "union_agreement_date")
}


class ProcedureForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = CrisisProcedure
        fields = PROCEDURE_FORM_FIELDS
        widgets = {
            **DATE_WIDGETS,
            "complexity_note": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["external_id"].required = False
        provinces = acting_provinces(user)
        if provinces is not None:
            # Staff lead procedures only in their own provinces.
            self.fields["lead_province"].queryset = Province.objects.filter(code__in=provinces)
        if self.instance.pk:
            self.fields["external_id"].disabled = True

    def _post_clean(self):
        # The model is validated by the service (full_clean), with the company attached.
        pass


class UnitForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = ProductionUnit
        fields = [
            "external_id",
            "name",
            "address",
            "comune",
            "province",
            "workers_involved",
            "cpi",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["external_id"].required = False
        cpi = self.fields["cpi"]
        cpi.queryset = Cpi.objects.select_related("province")
        cpi.empty_label = _("From the municipality (reference table)")
        unit = self.instance
        # Only an officer's choice is shown as chosen; a derived CPI is named in the help.
        if unit.pk and not unit.cpi_chosen:
            self.initial["cpi"] = None
        if unit.pk and unit.cpi_id and not unit.cpi_chosen:
            cpi.help_text = _(
                "Now %(cpi)s, from the municipality. Choose one only if that is wrong."
            ) % {"cpi": unit.cpi}
        else:
            cpi.help_text = _(
                "Left empty, the CPI of the municipality is used. A CPI chosen here is kept "
                "when the municipality changes."
            )

    def _post_clean(self):
        pass


class BaseUnitFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        ids = [
            f.cleaned_data.get("external_id")
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        filled = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not filled:
            raise ValidationError(_("Add at least one production unit."))
        named = [i for i in ids if i]
        if len(named) != len(set(named)):
            raise ValidationError(_("Two units have the same external id."))


UnitFormSet = forms.formset_factory(
    UnitForm, formset=BaseUnitFormSet, extra=0, min_num=1, max_num=50, can_delete=True
)


class MeetingForm(StyledFormMixin, forms.ModelForm):
    """A meeting. Who convened it follows the model's rule (a regional table is the Region's)
    and who records it: staff their Nucleo's meetings, Region officials the Region's tables.

    The procedures are chosen with a picker (``cases/_procedure_picker.html``): the field
    accepts any procedure the user sees, the page offers the chosen ones and a search."""

    class Meta:
        model = Meeting
        # Participants are rows by role (MeetingParticipantForm, on the meeting's page); the old
        # free text stays readable there and through the API.
        fields = ["kind", "date", "province", "procedures", "notes", "minutes"]
        widgets = {
            "date": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "procedures": forms.CheckboxSelectMultiple,
        }
        error_messages = {
            "procedures": {
                "required": _("Choose at least one procedure."),
                "invalid_choice": _("Choose procedures from the list."),
                "invalid_pk_value": _("Choose procedures from the list."),
            }
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedures"].help_text = _(
            "Search by company name or external id; only procedures of your provinces are offered."
        )
        if user is None:
            return
        self.fields["procedures"].queryset = CrisisProcedure.objects.visible_to(user)
        if user.is_region_official:
            # Region officials record the tables the Region convened: no convening province.
            del self.fields["province"]
        elif (provinces := acting_provinces(user)) is not None:
            # Staff record their Nucleo's meetings; a regional table is the Region's.
            self.fields["province"].queryset = Province.objects.filter(code__in=provinces)
            self.fields["province"].required = True
            self.fields["province"].help_text = _("The Nucleo that convened the meeting.")
            kind = self.fields["kind"]
            kind.choices = [c for c in kind.choices if c[0] != MeetingKind.REGIONALE]
            kind.help_text = _("Regional tables are convened and recorded by the Region.")
        else:
            self.fields["province"].help_text = _(
                "Leave empty when the Region convened it (always for a regional table)."
            )

    def clean_minutes(self):
        return _bounded_upload(self.cleaned_data.get("minutes"))

    def _post_clean(self):
        pass


class MeetingParticipantForm(StyledFormMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role at the table"), choices=ParticipantRole.choices)
    organisation = forms.CharField(label=_("Organisation"), max_length=200)
    title = forms.CharField(
        label=_("Person's role or title"),
        max_length=200,
        required=False,
        help_text=_("E.g. “RSU delegate”, “HR director” — no names."),
    )


class MeetingDecisionForm(StyledFormMixin, forms.Form):
    """A decision about one procedure on the agenda (the choices: those the user sees)."""

    procedure = forms.TypedChoiceField(label=_("Procedure decided on"), coerce=int)
    kind = forms.ChoiceField(label=_("Decision"), choices=DecisionKind.choices)
    text = forms.CharField(
        label=_("What was decided"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    due_on = forms.DateField(label=_("Due by"), required=False, widget=DateInput())

    def __init__(self, *args, procedures=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [
            (p.pk, f"{p.company.name} ({p.reference})") for p in procedures
        ]


class ImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Interchange CSV file"),
        help_text=_("UTF-8, comma-separated, with the interchange header row."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_size(upload.size, name=upload.name)
        except UploadRefused as refused:
            raise ValidationError(str(refused)) from refused
        return upload


def _bounded_upload(upload):
    """A new upload within the upload guard's size cap (a form error naming the limit)."""
    if upload and hasattr(upload, "size"):
        try:
            check_size(upload.size, name=upload.name)
        except UploadRefused as refused:
            raise ValidationError(str(refused)) from refused
    return upload


class AgreementForm(StyledFormMixin, forms.ModelForm):
    """An agreement on a procedure; its parties come from :data:`PartyFormSet`."""

    goals = forms.MultipleChoiceField(
        label=_("Goals"),
        choices=AgreementGoal.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "CIGO: retraining to keep the job; CIGS: retraining and/or re-employment "
            "(2010 agreement, point 2)."
        ),
        error_messages={"required": _("Choose at least one goal.")},
    )

    class Meta:
        model = Agreement
        fields = [
            "kind",
            "signed_on",
            "goals",
            "outplacement",
            "outplacement_text",
            "workers_covered",
            "document",
            "notes",
        ]
        widgets = {
            "signed_on": DateInput(),
            "outplacement_text": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workers_covered"].min_value = 1
        self.fields["workers_covered"].widget.attrs["min"] = 1
        if self.instance.pk:
            self.initial.setdefault("goals", self.instance.goals)

    def clean_document(self):
        return _bounded_upload(self.cleaned_data.get("document"))

    def _post_clean(self):
        pass


class PartyForm(StyledFormMixin, forms.Form):
    role = forms.ChoiceField(label=_("Party role"), choices=[("", "—"), *PartyRole.choices])
    name = forms.CharField(
        label=_("Party name"),
        max_length=200,
        help_text=_("e.g. FIOM-CGIL, FIM-CISL, UILM-UIL, UGL, the company, Provincia di Bergamo"),
    )


PartyFormSet = forms.formset_factory(
    PartyForm, extra=2, max_num=MAX_PARTIES, validate_max=True, can_delete=True
)
