"""One FilterSet per list, shared by the HTML list and the API viewset."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from cases.enums import AgreementKind, Family, MeetingKind, Status
from cases.models import Agreement, Company, CrisisProcedure, Meeting, ProductionUnit, Province
from crisi_portal.filtersets import BaseFilterSet, IdFilter, YearFilter, yes_no_filter
from crisi_portal.forms import DateInput


@extend_schema_field(OpenApiTypes.STR)
class ProvinceFilter(django_filters.ModelChoiceFilter):
    """A province by its code (``?province=BG``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Province.objects.all())
        kwargs.setdefault("label", _("Province"))
        kwargs.setdefault("empty_label", _("All provinces"))
        super().__init__(*args, **kwargs)


class ProcedureFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(
        method="search", label=_("Search"), widget=forms.TextInput(attrs={"type": "search"})
    )
    external_id = django_filters.CharFilter(label=_("External id"))
    family = django_filters.MultipleChoiceFilter(
        choices=Family.choices, label=_("Family"), widget=forms.CheckboxSelectMultiple
    )
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, label=_("Status"), widget=forms.CheckboxSelectMultiple
    )
    province = ProvinceFilter(
        method="filter_province", help_text=_("Lead province or province of a production unit.")
    )
    year = YearFilter(field_name="opened_on", label=_("Year opened"))
    opened_after = django_filters.DateFilter(
        field_name="opened_on", lookup_expr="gte", label=_("Opened from"), widget=DateInput()
    )
    opened_before = django_filters.DateFilter(
        field_name="opened_on", lookup_expr="lte", label=_("Opened until"), widget=DateInput()
    )
    ends_after = django_filters.DateFilter(
        field_name="end_date",
        lookup_expr="gte",
        label=_("Income support ends from"),
        widget=DateInput(),
    )
    ends_before = django_filters.DateFilter(
        field_name="end_date",
        lookup_expr="lte",
        label=_("Income support ends by"),
        widget=DateInput(),
    )
    high_complexity = yes_no_filter(_("High complexity"))
    company = IdFilter(field_name="company_id", label=_("Company id"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("opened_on", "opened_on"),
            ("company__name", "company"),
            ("family", "family"),
            ("status", "status"),
            ("external_id", "external_id"),
            ("number", "number"),
            ("end_date", "end_date"),
            ("total_workers", "workers"),
            ("updated_at", "updated_at"),
        ),
        field_labels={
            "opened_on": _("Opened on"),
            "company__name": _("Company"),
            "family": _("Family"),
            "status": _("Status"),
            "external_id": _("External id"),
            "number": _("Number"),
            "end_date": _("End of income support"),
            "total_workers": _("Workers"),
            "updated_at": _("Last change"),
        },
        label=_("Sort by"),
    )

    class Meta:
        model = CrisisProcedure
        fields = ["external_id", "family", "status", "province", "year", "high_complexity"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        units = ProductionUnit.objects.filter(procedure=OuterRef("pk")).filter(
            Q(comune__icontains=value) | Q(name__icontains=value) | Q(external_id__iexact=value)
        )
        return queryset.filter(
            Q(company__name__icontains=value)
            | Q(company__tax_code__iexact=value.replace(" ", ""))
            | Q(external_id__icontains=value)
            | Q(number__icontains=value)
            | Exists(units)
        )

    def filter_province(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.in_provinces([value.code])


class UnitFilterSet(BaseFilterSet):
    external_id = django_filters.CharFilter(label=_("Unit external id"))
    procedure = IdFilter(field_name="procedure_id", label=_("Procedure id"))
    procedure_external_id = django_filters.CharFilter(
        field_name="procedure__external_id", label=_("Procedure external id")
    )
    province = ProvinceFilter()
    family = django_filters.MultipleChoiceFilter(
        field_name="procedure__family", choices=Family.choices, label=_("Family")
    )

    class Meta:
        model = ProductionUnit
        fields = ["external_id", "procedure", "province"]


class CompanyFilterSet(BaseFilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name"))
    tax_code = django_filters.CharFilter(label=_("Tax code"))

    class Meta:
        model = Company
        fields = ["tax_code"]


class MeetingFilterSet(BaseFilterSet):
    kind = django_filters.MultipleChoiceFilter(
        choices=MeetingKind.choices, label=_("Kind"), widget=forms.CheckboxSelectMultiple
    )
    province = ProvinceFilter(label=_("Convened by"))
    procedure = IdFilter(method="filter_procedure", label=_("Procedure id"))
    date_after = django_filters.DateFilter(
        field_name="date", lookup_expr="gte", label=_("From"), widget=DateInput()
    )
    date_before = django_filters.DateFilter(
        field_name="date", lookup_expr="lte", label=_("Until"), widget=DateInput()
    )
    ordering = django_filters.OrderingFilter(
        fields=(("date", "date"), ("kind", "kind")),
        field_labels={"date": _("Date"), "kind": _("Kind")},
        label=_("Sort by"),
    )

    class Meta:
        model = Meeting
        fields = ["kind", "province", "procedure"]

    def filter_procedure(self, queryset, name, value):
        # A procedure out of scope finds no meeting, as if it did not exist.
        user = getattr(self.request, "user", None)
        visible = CrisisProcedure.objects.visible_to(user).filter(pk=value)
        return queryset.filter(procedures__in=visible)


class AgreementFilterSet(BaseFilterSet):
    kind = django_filters.MultipleChoiceFilter(
        choices=AgreementKind.choices, label=_("Kind"), widget=forms.CheckboxSelectMultiple
    )
    procedure = IdFilter(field_name="procedure", label=_("Procedure id"))
    signed_after = django_filters.DateFilter(
        field_name="signed_on", lookup_expr="gte", label=_("From"), widget=DateInput()
    )
    signed_before = django_filters.DateFilter(
        field_name="signed_on", lookup_expr="lte", label=_("Until"), widget=DateInput()
    )

    class Meta:
        model = Agreement
        fields = ["kind", "procedure"]
