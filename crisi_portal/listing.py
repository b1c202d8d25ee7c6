"""The HTML list page of every app: scoped, filtered by the FilterSet the API uses."""

from django.views.generic import ListView

from crisi_portal.scoping import ScopedViewMixin


class FilteredListView(ScopedViewMixin, ListView):
    """A list filtered by the same FilterSet the API uses; htmx gets just the results."""

    filterset_class = None
    paginate_by = 25
    partial_template_name = None

    def get_queryset(self):
        self.filterset = self.filterset_class(
            self.request.GET or None, queryset=super().get_queryset(), request=self.request
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
        return context

    def get_template_names(self):
        if self.request.htmx and self.partial_template_name:
            return [self.partial_template_name]
        return super().get_template_names()
