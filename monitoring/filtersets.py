"""One FilterSet per list, shared by the HTML list and the API viewset."""

import django_filters
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cases.models import Province
from crisi_portal.filtersets import BaseFilterSet, UpdatedSinceFilter, YearFilter
from crisi_portal.forms import StyledFormMixin
from monitoring.enums import PlanStatus, ReportFormat, ReportKind, RunStatus
from monitoring.models import ReemploymentPlan, ReportRun
from monitoring.selectors import REGIONAL


def scope_choices(codes=None) -> list[tuple[str, str]]:
    """The Region's document, then the provinces in their official order (``codes`` only)."""
    provinces = Province.objects.order_by("position")
    if codes is not None:
        provinces = provinces.filter(code__in=list(codes))
    return [(REGIONAL, _("Regione Lombardia")), *provinces.values_list("code", "name")]


class ReportRunFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(
        choices=[(kind.value, capfirst(kind.label)) for kind in ReportKind],
        label=_("Report type"),
        empty_label=_("All reports"),
    )
    period = django_filters.CharFilter(
        method="filter_period",
        label=_("Period"),
        help_text=_("A year (2025), a quarter (2025-Q3) or a bimester (2025-B3)."),
    )
    province = django_filters.ChoiceFilter(
        choices=scope_choices,
        method="filter_scope",
        label=_("Scope"),
        empty_label=_("All scopes"),
        help_text=_("A province code, or “regional” for the Region's documents."),
    )
    # Not "format": the API reads ?format= as a request for another renderer (DRF).
    file_format = django_filters.ChoiceFilter(
        field_name="format",
        choices=ReportFormat.choices,
        label=_("Format"),
        empty_label=_("All formats"),
    )
    status = django_filters.ChoiceFilter(
        choices=RunStatus.choices, label=_("Status"), empty_label=_("Any status")
    )
    latest = django_filters.BooleanFilter(
        method="filter_latest",
        label=_("Newest version only"),
        help_text=_("true: only the newest version of each document."),
    )

    # Sync (issue #10): a run changes when requested, started and finished.
    updated_since = UpdatedSinceFilter(
        method="filter_updated_since",
        label=_("Updated since"),
        help_text=_("ISO 8601 date-time, e.g. 2025-03-01T00:00:00+01:00"),
    )

    class Meta:
        model = ReportRun
        fields = ["kind", "period", "province", "file_format", "status", "latest"]

    def get_form_class(self):
        form_class = super().get_form_class()
        return type(form_class.__name__, (StyledFormMixin, form_class), {})

    def filter_period(self, queryset, name, value):
        value = value.strip().upper()
        return queryset.filter(period__startswith=value) if value else queryset

    def filter_scope(self, queryset, name, value):
        if value == REGIONAL:
            return queryset.filter(province__isnull=True)
        return queryset.filter(province_id=value) if value else queryset

    def filter_updated_since(self, queryset, name, value):
        return queryset.filter(
            Q(requested_at__gte=value) | Q(started_at__gte=value) | Q(finished_at__gte=value)
        )

    def filter_latest(self, queryset, name, value):
        return queryset.latest_versions() if value else queryset


class PlanFilterSet(BaseFilterSet):
    """Re-employment plans by province and by a year their period touches."""

    province = django_filters.ModelChoiceFilter(
        queryset=Province.objects.order_by("position"),
        label=_("Province"),
        empty_label=_("All provinces"),
    )
    year = YearFilter(
        method="filter_year",
        label=_("Year"),
        help_text=_("Plans whose period includes part of this year."),
    )
    status = django_filters.ChoiceFilter(
        choices=PlanStatus.choices, label=_("Status"), empty_label=_("Any status")
    )

    class Meta:
        model = ReemploymentPlan
        fields = ["province", "year", "status", "updated_since"]

    def filter_year(self, queryset, name, value):
        year = int(value)
        return queryset.filter(period_from__year__lte=year, period_to__year__gte=year)
