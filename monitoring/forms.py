"""Forms of the monitoring pages and API."""

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cases.enums import FAMILY_SHORT_LABELS, Family
from cases.models import Province
from crisi_portal.forms import StyledFormMixin
from crisi_portal.scoping import readable_provinces
from monitoring import selectors
from monitoring.dashboard import MAP_MEASURES
from monitoring.enums import ReportFormat, ReportKind
from monitoring.filtersets import scope_choices
from monitoring.periods import Period, PeriodError, offered_periods

# --- dashboard ---

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAP_MEASURE_LABELS = {
    "workers_involved": _("Workers involved"),
    "involvements": _("Workers taken in charge"),
    "activation_rate": _("Activation rate (STEP 4)"),
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
    province = forms.ModelChoiceField(
        label=_("Province"),
        queryset=Province.objects.order_by("position"),
        to_field_name="code",
        required=False,
        empty_label=_("All provinces"),
    )
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
