"""Forms of the monitoring pages and API."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cases.enums import FAMILY_SHORT_LABELS, Family
from cases.models import Province
from crisi_portal.forms import DateInput, StyledFormMixin, add_service_errors
from crisi_portal.scoping import acting_provinces, acts_as_operator, readable_provinces
from monitoring import operators, selectors
from monitoring.dashboard import MAP_MEASURES
from monitoring.enums import ReportFormat, ReportKind
from monitoring.filtersets import scope_choices
from monitoring.models import (
    PlanBudgetLine,
    PlanIndicator,
    PlanPartner,
    PlanPhase,
    PlanTargetGroup,
    ReemploymentPlan,
)
from monitoring.periods import Period, PeriodError, offered_periods
from pal.models import Measure

# --- dashboard ---


def province_filter_field() -> forms.ModelChoiceField:
    """A filter by province, by its code in the query string; empty: every province."""
    return forms.ModelChoiceField(
        label=_("Province"),
        queryset=Province.objects.order_by("position"),
        to_field_name="code",
        required=False,
        empty_label=_("All provinces"),
    )


FIRST_YEAR, LAST_YEAR = 2000, 2100
MAP_MEASURE_LABELS = {
    "workers_involved": _("Workers involved"),
    "involvements": _("Workers taken in charge"),
    "activation_rate": _("Activation rate (STEP 4)"),
    "reemployment_rate": _("Re-employment rate at 12 months"),
    "committed": _("Spending: committed (€)"),
    "delivered": _("Spending: delivered (€)"),
}


class DashboardFilterForm(StyledFormMixin, forms.Form):
    """The dashboard's filters, read from the query string by the page and by the API.

    Any province code is valid (for a province officer, another province simply has no
    figures); ``page=True`` narrows the choices to what the page offers the user.
    """

    year = forms.IntegerField(
        label=_("Year opened"),
        required=False,
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        widget=forms.Select,
    )
    province = province_filter_field()
    family = forms.ChoiceField(
        label=_("Family"),
        choices=[("", _("All families")), *[(f.value, FAMILY_SHORT_LABELS[f]) for f in Family]],
        required=False,
    )
    map = forms.ChoiceField(
        label=_("Colour the map by"),
        choices=[(key, MAP_MEASURE_LABELS[key]) for key in MAP_MEASURES],
        required=False,
    )

    def __init__(self, *args, user, years=(), page: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].widget.choices = [("", _("All years"))] + [
            (year, str(year)) for year in years
        ]
        if not page:
            del self.fields["map"]
            return
        for field in self.fields.values():
            field.widget.attrs["data-autosubmit"] = ""
        # The map's select sits by the map, outside the <form>, and still belongs to it.
        self.fields["map"].widget.attrs["form"] = "dashboard-filters"
        codes = readable_provinces(user)
        if codes is not None:
            if len(codes) > 1:
                self.fields["province"].queryset = Province.objects.filter(code__in=codes)
            else:  # one province: nothing to choose
                del self.fields["province"]

    @property
    def has_province_choice(self) -> bool:
        return "province" in self.fields

    def filters(self) -> dict:
        """Keyword arguments for ``dashboard_data`` from the fields that are valid."""
        data = getattr(self, "cleaned_data", {})
        province = data.get("province")
        return {
            "year": data.get("year"),
            "province": province.code if province else None,
            "family": data.get("family") or None,
        }

    def map_measure(self) -> str:
        return getattr(self, "cleaned_data", {}).get("map") or MAP_MEASURES[0]


# --- report archive ---


def _period_words(period: Period, today: date) -> str:
    if period.is_over(today):
        return period.words
    return _("%(period)s (under way)") % {"period": period.words}


class ReportRequestForm(StyledFormMixin, forms.Form):
    """“Generate now”: which document to produce.

    The selects offer what the user may ask for; any known value is accepted here and the
    service decides, so its refusal comes back on the field it names.
    """

    SERVICE_FIELDS = {"province": "scope"}

    kind = forms.ChoiceField(label=_("Report type"), choices=ReportKind.choices)
    period = forms.ChoiceField(
        label=_("Period"),
        error_messages={
            "invalid_choice": _("“%(value)s” is not one of the periods offered: choose one."),
        },
    )
    scope = forms.ChoiceField(label=_("Scope"), choices=scope_choices)
    format = forms.ChoiceField(label=_("Format"), choices=ReportFormat.choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = selectors.requestable_kinds(user)
        scopes = selectors.requestable_scopes(user)
        suggestions = selectors.suggested_periods()
        self.suggestions = suggestions
        self.fields["kind"].widget.choices = [(k.value, capfirst(k.label)) for k in kinds]
        self.fields["scope"].widget.choices = scopes
        self.fields["kind"].widget.attrs["data-period-suggestions"] = "report-period-suggestions"
        today = timezone.localdate()
        offered = {
            k: [(p.code, _period_words(p, today)) for p in offered_periods(k, today)]
            for k in ReportKind
        }
        # Any kind's period is valid here (the service decides who may ask for what); the
        # select shows the kinds this user may ask for.
        self.fields["period"].choices = [(capfirst(k.label), offered[k]) for k in ReportKind]
        self.fields["period"].widget.choices = [(capfirst(k.label), offered[k]) for k in kinds]
        self.period_words = {code: words for group in offered.values() for code, words in group}
        self.fields["period"].widget.attrs["data-report-period"] = ""
        self.fields["period"].help_text = _(
            "The periods of the report type chosen; the last completed one is suggested."
        )
        if kinds and scopes:
            first_kind = kinds[0].value
            self.initial.setdefault("kind", first_kind)
            self.initial.setdefault("period", suggestions[first_kind])
            self.initial.setdefault("scope", scopes[0][0])
            self.initial.setdefault("format", ReportFormat.PDF.value)

    @property
    def offers_anything(self) -> bool:
        return bool(self.fields["scope"].widget.choices)

    def clean(self):
        data = super().clean()
        kind, code = data.get("kind"), data.get("period")
        if kind and code:
            try:
                Period.parse(kind, code)
            except PeriodError:
                self.add_error(
                    "period",
                    _("“%(period)s” is not a period of the %(kind)s: choose one of its periods.")
                    % {"kind": ReportKind(kind).label, "period": self.period_words[code]},
                )
        return data

    def request_arguments(self) -> dict:
        """Keyword arguments of ``services.report_run_request`` from the cleaned data."""
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "period": data["period"],
            "province": None if data["scope"] == selectors.REGIONAL else data["scope"],
            "fmt": data["format"],
        }


# --- provincial re-employment plans ---


class PlanForm(StyledFormMixin, forms.ModelForm):
    """The plan itself; its province among those the Nucleo acts in."""

    class Meta:
        model = ReemploymentPlan
        fields = ["title", "province", "period_from", "period_to", "status", "approved_on", "notes"]
        widgets = {
            "period_from": DateInput(),
            "period_to": DateInput(),
            "approved_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        provinces = acting_provinces(user)
        if provinces is not None:
            self.fields["province"].queryset = Province.objects.filter(code__in=provinces)

    def clean(self):
        data = super().clean()
        try:
            ReemploymentPlan.check_fields(
                period_from=data.get("period_from"),
                period_to=data.get("period_to"),
                status=data.get("status"),
                approved_on=data.get("approved_on"),
            )
        except ValidationError as exc:
            add_service_errors(self, exc)
        return data

    def period(self) -> tuple[date | None, date | None]:
        data = getattr(self, "cleaned_data", {})
        return data.get("period_from"), data.get("period_to")

    def _post_clean(self):
        # The model is validated by the service (full_clean).
        pass


def not_negative(field: forms.Field, message) -> None:
    """Refuse a negative number on the form's field (the model's validator runs only in the
    service, whose refusal could not name the row)."""
    field.validators.append(MinValueValidator(0, message=message))
    field.widget.attrs["min"] = "0"


class PlanPartForm(StyledFormMixin, forms.ModelForm):
    def __init__(self, *args, period=(None, None), **kwargs):
        super().__init__(*args, **kwargs)
        self.period = period

    def _post_clean(self):
        pass


class PlanPartnerForm(PlanPartForm):
    class Meta:
        model = PlanPartner
        fields = ["role", "name"]


class PlanPhaseForm(PlanPartForm):
    class Meta:
        model = PlanPhase
        fields = ["name", "starts_on", "ends_on", "description"]
        widgets = {
            "starts_on": DateInput(),
            "ends_on": DateInput(),
            "description": forms.Textarea(attrs={"rows": 1}),
        }

    def clean(self):
        data = super().clean()
        if data.get("DELETE"):
            return data
        try:
            PlanPhase.check_dates(
                starts_on=data.get("starts_on"),
                ends_on=data.get("ends_on"),
                period_from=self.period[0],
                period_to=self.period[1],
            )
        except ValidationError as exc:
            add_service_errors(self, exc)
        return data


class PlanBudgetForm(PlanPartForm):
    class Meta:
        model = PlanBudgetLine
        fields = ["funding_source", "amount", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        not_negative(self.fields["amount"], _("The amount cannot be negative."))


class PlanTargetGroupForm(PlanPartForm):
    class Meta:
        model = PlanTargetGroup
        fields = ["description", "family", "age_band", "sex", "income_support"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["age_band"].help_text = ""  # said once, above the rows (plan_form.html)


class PlanIndicatorForm(PlanPartForm):
    class Meta:
        model = PlanIndicator
        fields = ["metric", "target", "label", "target_group"]

    def __init__(self, *args, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        not_negative(self.fields["target"], _("The target cannot be negative."))
        field = self.fields["target_group"]
        field.queryset = groups if groups is not None else PlanTargetGroup.objects.none()
        field.help_text = ""  # said once, above the rows (plan_form.html)


class PlanPartFormSet(forms.BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        # A row names only a part of this plan: Django offers every row of the table to an
        # extra form's id, and one of another plan must answer like one that does not exist.
        form.fields["id"].queryset = self.get_queryset()


def plan_formset(model, form, prefix):
    return forms.inlineformset_factory(
        ReemploymentPlan,
        model,
        form=form,
        formset=PlanPartFormSet,
        extra=1,
        can_delete=True,
        max_num=50,
    ), prefix


PLAN_FORMSETS = {
    "partners": plan_formset(PlanPartner, PlanPartnerForm, "partners"),
    "phases": plan_formset(PlanPhase, PlanPhaseForm, "phases"),
    "budget": plan_formset(PlanBudgetLine, PlanBudgetForm, "budget"),
    "target_groups": plan_formset(PlanTargetGroup, PlanTargetGroupForm, "groups"),
    "indicators": plan_formset(PlanIndicator, PlanIndicatorForm, "indicators"),
}


def plan_formsets(data=None, *, plan=None, period=(None, None)) -> dict:
    """The plan's parts as inline formsets (bound when ``data``), keyed as ``PLAN_PARTS``."""
    instance = plan or ReemploymentPlan()
    groups = plan.target_groups.all() if plan is not None else None
    formsets = {}
    for name, (formset_class, prefix) in PLAN_FORMSETS.items():
        form_kwargs: dict = {"period": period}
        if name == "indicators":
            form_kwargs["groups"] = groups
        formsets[name] = formset_class(
            data, instance=instance, prefix=prefix, form_kwargs=form_kwargs
        )
    return formsets


def plan_parts(formsets: dict) -> dict[str, list[dict]]:
    """The rows of valid formsets as the service takes them (``id``, ``delete``, fields)."""
    parts = {}
    for name, formset in formsets.items():
        rows = []
        for form in formset.forms:
            data = dict(getattr(form, "cleaned_data", {}) or {})
            if not data:
                continue  # an empty extra form
            existing = data.pop("id", None)
            delete = data.pop("DELETE", False)
            data.pop("plan", None)
            if existing is None and delete:
                continue
            row = {field: data[field] for field in form._meta.fields if field in data}
            if existing is not None:
                row["id"] = existing.pk
            row["delete"] = delete
            rows.append(row)
        parts[name] = rows
    return parts


# --- operators' results ---


def _operator_period_choices(today: date) -> list[tuple[str, str]]:
    """Each of the last five years, newest first, followed by its quarters."""
    choices: list[tuple[str, str]] = [("", _("Any period"))]
    quarters = offered_periods(ReportKind.QUARTERLY, today)
    for year in offered_periods(ReportKind.ANNUAL, today):
        choices.append((year.code, str(year.year)))
        choices += [(q.code, q.words) for q in quarters if q.year == year.year]
    return choices


class OperatorResultsFilterForm(StyledFormMixin, forms.Form):
    """The filters of the operators' results: when the Doti started, measure, province."""

    period = forms.ChoiceField(label=_("Doti started in"), required=False)
    measure = forms.ModelChoiceField(
        label=_("Measure"),
        queryset=Measure.objects.order_by("name"),
        required=False,
        empty_label=_("All measures"),
    )
    province = province_filter_field()
    ordering = forms.ChoiceField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = _operator_period_choices(today)
        self.fields["ordering"].choices = [
            (f"{sign}{key}", key) for key in operators.ORDERINGS for sign in ("", "-")
        ]
        codes = readable_provinces(user)
        if codes is not None and not acts_as_operator(user):
            if len(codes) > 1:
                self.fields["province"].queryset = Province.objects.filter(code__in=codes)
            else:  # one province: the figures are already its own
                del self.fields["province"]

    def filters(self):
        """``operators.OperatorFilters`` from a valid form."""
        data = self.cleaned_data
        period = None
        if data.get("period"):
            kind = ReportKind.QUARTERLY if "-" in data["period"] else ReportKind.ANNUAL
            period = Period.parse(kind, data["period"])
        return operators.OperatorFilters(
            start=period.start if period else None,
            end=period.end if period else None,
            measure=data["measure"].pk if data.get("measure") else None,
            province=data["province"].code if data.get("province") else None,
        )

    def chosen_ordering(self) -> str:
        return getattr(self, "cleaned_data", {}).get("ordering") or operators.DEFAULT_ORDERING
