"""Operators' results: the page and its download (figures: ``monitoring.operators``)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from crisi_portal import exports
from crisi_portal.replica import ReplicaReadsMixin
from crisi_portal.roles import Role
from crisi_portal.scoping import ScopedViewMixin, acts_as_operator
from monitoring import operators
from monitoring.forms import OperatorResultsFilterForm

# The Region reviews every operator, a Nucleo those serving its province's workers, an
# operator its own organisation's results (the scoping of Doti says which rows each sees).
READERS = frozenset({Role.PROVINCE_STAFF, Role.REGION_OFFICIAL, Role.OPERATOR})


class OperatorResultsMixin(ReplicaReadsMixin, ScopedViewMixin):
    roles = READERS

    def read(self) -> dict:
        """The figures for the query string's filters; a value the form refuses lists nothing."""
        self.form = OperatorResultsFilterForm(
            self.request.GET, user=self.request.user, today=timezone.localdate()
        )
        self.valid = self.form.is_valid()
        if not self.valid:
            return {"operators": [], "total": None}
        return operators.operator_results(
            self.request.user, self.form.filters(), ordering=self.form.chosen_ordering()
        )


class OperatorResultsView(OperatorResultsMixin, TemplateView):
    template_name = "monitoring/operators.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        data = self.read()
        context.update(
            form=self.form,
            data=data,
            is_operator=acts_as_operator(self.request.user),
            query=self.request.GET.urlencode(),
        )
        return context


class OperatorResultsExportView(OperatorResultsMixin, View):
    """The list on the page, one line per operator and per office: CSV or XLSX."""

    def get(self, request, *args, **kwargs):
        exports.export_format(request)  # an unknown format is a 404 before any query
        data = self.read()
        name = "operator-results"
        if self.valid and self.form.cleaned_data.get("period"):
            name += f"-{self.form.cleaned_data['period']}"
        return exports.list_export(
            request,
            columns=operators.columns(),
            items=operators.result_lines(data),
            name=name,
            title=str(_("Operators' results")),
        )
