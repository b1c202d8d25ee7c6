"""One FilterSet per active-policy list, shared by the HTML lists and the API viewsets."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from cases.filtersets import ProvinceFilter
from crisi_portal.filtersets import BaseFilterSet, IdFilter, yes_no_filter
from pal.enums import DoteStatus, PIPStatus
from pal.models import (
    PIP,
    CompetenceCertification,
    Dote,
    Fund,
    FundingSource,
    Measure,
    Network,
    NetworkService,
    NetworkShare,
    Operator,
    OperatorOffice,
    Qualification,
)


class _MeasureChoice(django_filters.ModelChoiceFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Measure.objects.all())
        kwargs.setdefault("label", _("Measure"))
        kwargs.setdefault("empty_label", _("All measures"))
        super().__init__(*args, **kwargs)


class _OperatorChoice(django_filters.ModelChoiceFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Operator.objects.all())
        kwargs.setdefault("label", _("Operator"))
        kwargs.setdefault("empty_label", _("All operators"))
        super().__init__(*args, **kwargs)


class PIPFilterSet(BaseFilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=PIPStatus.choices, label=_("Status"), widget=forms.CheckboxSelectMultiple
    )
    measure = _MeasureChoice(field_name="dote__measure")
    operator = _OperatorChoice(field_name="dote__operator")
    province = ProvinceFilter(
        field_name="dote__involvement__unit__province",
        help_text=_("Province of the worker's unit."),
    )
    dote = IdFilter(field_name="dote_id", label=_("Dote id"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("submitted_at", "submitted_at"),
            ("status", "status"),
            ("total_cost", "total"),
            ("updated_at", "updated_at"),
        ),
        field_labels={
            "submitted_at": _("Submitted at"),
            "status": _("Status"),
            "total_cost": _("Total cost"),
            "updated_at": _("Last change"),
        },
        label=_("Sort by"),
    )

    class Meta:
        model = PIP
        fields = ["status", "measure", "operator", "province", "dote"]


class DoteFilterSet(BaseFilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=DoteStatus.choices, label=_("Status"), widget=forms.CheckboxSelectMultiple
    )
    measure = _MeasureChoice()
    operator = _OperatorChoice()
    province = ProvinceFilter(
        field_name="involvement__unit__province", help_text=_("Province of the worker's unit.")
    )
    involvement = IdFilter(field_name="involvement_id", label=_("Worker in procedure id"))

    class Meta:
        model = Dote
        fields = ["status", "measure", "operator", "province", "involvement"]


class MeasureFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(
        method="search", label=_("Search"), widget=forms.TextInput(attrs={"type": "search"})
    )
    funding_source = django_filters.MultipleChoiceFilter(
        choices=FundingSource.choices,
        label=_("Funding source"),
        widget=forms.CheckboxSelectMultiple,
    )
    is_active = yes_no_filter(_("Active"))
    exclusive = yes_no_filter(_("Exclusive"))

    class Meta:
        model = Measure
        fields = ["funding_source", "is_active", "exclusive"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(name__icontains=value) | queryset.filter(code__icontains=value)


class OperatorFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(
        method="search", label=_("Search"), widget=forms.TextInput(attrs={"type": "search"})
    )
    province = ProvinceFilter(method="filter_province", help_text=_("Has an office there."))
    accredited_for_labour = yes_no_filter(_("Accredited for labour"))
    accredited_for_training = yes_no_filter(_("Accredited for training"))
    is_public = yes_no_filter(_("Public employment centre (CPI)"))

    class Meta:
        model = Operator
        fields = [
            "province",
            "accredited_for_labour",
            "accredited_for_training",
            "is_public",
        ]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(name__icontains=value) | queryset.filter(
            accreditation_number__iexact=value
        )

    def filter_province(self, queryset, name, value):
        if not value:
            return queryset
        offices = OperatorOffice.objects.filter(operator=OuterRef("pk"), province=value)
        return queryset.filter(Exists(offices))


class NetworkFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(
        field_name="name",
        lookup_expr="icontains",
        label=_("Name"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    province = ProvinceFilter(label=_("Territory"))
    measure = _MeasureChoice()
    lead = _OperatorChoice(label=_("Lead (capofila)"))
    procedure = IdFilter(field_name="procedures", label=_("Procedure id"))

    class Meta:
        model = Network
        fields = ["province", "measure", "lead", "procedure"]


# --- Issue #14: the API's new collections sync like every other (updated_since, no unknown
# parameter). Their rows are found by id, so only what names no other object is a filter.


class QualificationFilterSet(BaseFilterSet):
    is_active = yes_no_filter(_("Offered"))

    class Meta:
        model = Qualification
        fields = ["framework", "is_active"]


class FundFilterSet(BaseFilterSet):
    class Meta:
        model = Fund
        fields = ["kind", "province"]


class CertificationFilterSet(BaseFilterSet):
    class Meta:
        model = CompetenceCertification
        fields: list[str] = []


class NetworkShareFilterSet(BaseFilterSet):
    class Meta:
        model = NetworkShare
        fields: list[str] = []


class NetworkServiceFilterSet(BaseFilterSet):
    class Meta:
        model = NetworkService
        fields = ["kind", "delivery"]
