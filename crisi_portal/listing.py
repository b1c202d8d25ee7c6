"""The HTML list page of every app: scoped, filtered by the FilterSet the API uses."""

from django.http import QueryDict
from django.views.generic import ListView

from crisi_portal.scoping import ScopedViewMixin

# Query parameters that page or sort a list without filtering it.
NOT_FILTERS = frozenset({"page", "ordering"})


class FilteredListView(ScopedViewMixin, ListView):
    """A list filtered by the same FilterSet the API uses; htmx gets just the results."""

    filterset_class = None
    paginate_by = 25
    partial_template_name = None
    # The filters a list opens with when the query string chooses none (only pages or sorts):
    # {"status": ["aperta", "in_corso"]}. Any filter the user sets replaces them all.
    default_filters: dict[str, list[str]] = {}

    def filter_data(self) -> QueryDict:
        data = self.request.GET
        self.filtered_by_default = bool(self.default_filters) and set(data) <= NOT_FILTERS
        if self.filtered_by_default:
            data = data.copy()
            for name, values in self.default_filters.items():
                data.setlist(name, values)
        return data

    def get_queryset(self):
        self.filter_query = self.filter_data()
        self.filterset = self.filterset_class(
            self.filter_query or None, queryset=super().get_queryset(), request=self.request
        )
        self.scope_filters(self.filterset.form)
        if self.filterset.is_bound and not self.filterset.is_valid():
            return self.filterset.queryset.none()
        return self.filterset.qs

    def scope_filters(self, form) -> None:
        """Narrow the filter form's choices to what the user may see; it then validates
        against them (a value out of scope is refused, naming its field). Default: as is."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filterset"] = self.filterset
        context["current_ordering"] = self.request.GET.get("ordering", "")
        context["filtered_by_default"] = self.filtered_by_default
        # What the list shows, defaults included: for exports and "show all" links.
        context["filter_query"] = self.filter_query.urlencode()
        return context

    def get_template_names(self):
        if self.request.htmx and self.partial_template_name:
            return [self.partial_template_name]
        return super().get_template_names()
