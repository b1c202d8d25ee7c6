"""One FilterSet per list, shared by the HTML list and the API viewset.

Fiscal codes and names are never a query-string filter: they would travel in a URL (and end
up in access logs and browser histories). The API finds workers by fiscal code or by name
through ``POST /api/v1/workers/search/``; the HTML list of a procedure's workers POSTs its name
search and keeps the term in the session (``InvolvementSearchFilterSet`` reads it from there,
never from the URL: ``workers.views.ProcedureWorkersView``).
"""

import django_filters
from django import forms
from django.db.models import Case, Exists, OuterRef, Q, Value, When
from django.utils.translation import gettext_lazy as _

from crisi_portal.filtersets import BaseFilterSet, IdFilter
from workers.enums import IncomeSupport, Step
from workers.models import Cohort, Involvement, Worker
from workers.selectors import can_see_identity

# Steps in the order of the step model (NO_PAL last), not alphabetically.
STEP_RANK = Case(
    *[When(current_step=step, then=Value(rank)) for rank, step in enumerate(Step.values)]
)


class OrderingFilter(django_filters.OrderingFilter):
    """Ordering where one choice may sort on several columns (last name, then first name)."""

    def __init__(self, *args, expand=None, **kwargs):
        self.expand = expand or {}
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = []
        for param in value:
            descending = param.startswith("-")
            field = self.get_ordering_value(param).lstrip("-")
            for term in self.expand.get(field, [field]):
                if isinstance(term, str):
                    ordering.append(f"-{term}" if descending else term)
                else:
                    ordering.append(term.desc() if descending else term.asc())
        return qs.order_by(*ordering, "pk")


class IdentitySearchMixin:
    """Searching by name is reading identities: disabled for those who may not see them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.request is None or not can_see_identity(self.request.user):
            # Disabled, not removed: the sidebar still shows it, and a value sent is ignored.
            self.filters["q"].extra.update(
                disabled=True, help_text=_("Searching by name needs access to identities.")
            )


class InvolvementFilterSet(BaseFilterSet):
    step = django_filters.MultipleChoiceFilter(
        field_name="current_step",
        choices=Step.choices,
        label=_("Step"),
        widget=forms.CheckboxSelectMultiple,
    )
    procedure = IdFilter(field_name="procedure_id", label=_("Procedure id"))
    procedure_external_id = django_filters.CharFilter(
        field_name="procedure__external_id", label=_("Procedure external id")
    )
    unit = IdFilter(field_name="unit_id", label=_("Production unit id"))
    cohort = IdFilter(field_name="cohort_id", label=_("Cohort id"))
    income_support = django_filters.MultipleChoiceFilter(
        choices=IncomeSupport.choices,
        label=_("Income support"),
        widget=forms.CheckboxSelectMultiple,
    )
    has_outcome = django_filters.BooleanFilter(method="filter_has_outcome", label=_("Outcome"))
    ordering = OrderingFilter(
        fields=(
            ("worker__last_name", "worker"),
            ("current_step", "step"),
            ("current_step_since", "step_since"),
        ),
        field_labels={
            "worker__last_name": _("Worker"),
            "current_step": _("Step"),
            "current_step_since": _("In this step since"),
        },
        expand={
            "worker__last_name": ["worker__last_name", "worker__first_name"],
            "current_step": [STEP_RANK],
        },
        label=_("Sort by"),
    )

    class Meta:
        model = Involvement
        fields = ["step", "procedure", "unit", "cohort", "income_support"]

    def filter_has_outcome(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(outcome__isnull=not value)


class InvolvementSearchFilterSet(IdentitySearchMixin, InvolvementFilterSet):
    """The HTML list's filters plus the name search, whose term the view takes from the
    session (the search form is POSTed), never from the query string."""

    q = django_filters.CharFilter(
        method="search",
        label=_("Search"),
        help_text=_("Worker's last or first name."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    def search(self, queryset, name, value):
        return queryset.filter(name_matches(value, prefix="worker__"))


class WorkerFilterSet(BaseFilterSet):
    procedure = IdFilter(method="through_involvements", label=_("Procedure id"))
    unit = IdFilter(method="through_involvements", label=_("Production unit id"))
    step = django_filters.MultipleChoiceFilter(
        method="through_involvements",
        choices=Step.choices,
        label=_("Step"),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Worker
        fields = ["procedure", "unit", "step"]

    def through_involvements(self, queryset, name, value):
        return queryset  # applied together in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # Procedure, unit and step must hold for the same involvement, and one the user sees.
        data = self.form.cleaned_data
        conditions = Q()
        if data.get("procedure") is not None:
            conditions &= Q(procedure_id=data["procedure"])
        if data.get("unit") is not None:
            conditions &= Q(unit_id=data["unit"])
        if data.get("step"):
            conditions &= Q(current_step__in=data["step"])
        if not conditions:
            return queryset
        involvements = Involvement.objects.filter(conditions, worker=OuterRef("pk"))
        if self.request is not None:
            involvements = involvements.visible_to(self.request.user)
        return queryset.filter(Exists(involvements))


class CohortFilterSet(BaseFilterSet):
    procedure = IdFilter(field_name="procedure_id", label=_("Procedure id"))
    unit = IdFilter(field_name="unit_id", label=_("Production unit id"))

    class Meta:
        model = Cohort
        fields = ["procedure", "unit"]


def name_matches(value: str, prefix: str = "") -> Q:
    """Every word of ``value`` in the last or the first name ("rossi chiara" finds her)."""
    condition = Q()
    for word in value.split():
        condition &= Q(**{f"{prefix}last_name__icontains": word}) | Q(
            **{f"{prefix}first_name__icontains": word}
        )
    return condition
