"""The report archive: every document the user sees, its versions, "generate now", downloads.

Scoping is the queryset's (``ReportRun.objects.visible_to``); who may ask for which document
is the service's (``scoping.may_request_report`` and ``report_run_request``): the views only
show and ask.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView

from crisi_portal.forms import add_refusal
from crisi_portal.roles import Role
from crisi_portal.scoping import ScopedViewMixin, may_request_report, readable_provinces
from monitoring import selectors, services
from monitoring.downloads import document_response
from monitoring.enums import Trigger
from monitoring.filtersets import ReportRunFilterSet, scope_choices
from monitoring.forms import ReportRequestForm
from monitoring.models import ReportRun

READERS = frozenset({Role.PROVINCE_STAFF, Role.REGION_OFFICIAL})


class ReportRunMixin(ScopedViewMixin):
    roles = READERS
    model = ReportRun
    context_object_name = "run"

    def base_queryset(self):
        return ReportRun.objects.select_related("province", "requested_by")


class ReportListView(ReportRunMixin, ListView):
    """The newest version of each document, with its history a click away; POST generates."""

    template_name = "monitoring/report_list.html"
    partial_template_name = "monitoring/_report_table.html"
    paginate_by = 25

    def base_queryset(self):
        return selectors.archive()

    def get_queryset(self):
        self.filterset = ReportRunFilterSet(
            self.request.GET or None, queryset=super().get_queryset(), request=self.request
        )
        user = self.request.user
        provinces = readable_provinces(user)
        if provinces is not None:
            # The page offers the scopes the user sees (any other matches nothing anyway).
            self.filterset.form.fields["province"].choices = scope_choices(provinces)
        if self.filterset.is_bound and not self.filterset.is_valid():
            return self.filterset.queryset.none()
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = kwargs.get("request_form") or ReportRequestForm(user=self.request.user)
        context.update(
            filterset=self.filterset,
            request_form=form if form.offers_anything else None,
            period_suggestions=form.suggestions,
        )
        return context

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return [self.partial_template_name]
        return [self.template_name]

    def post(self, request, *args, **kwargs):
        form = ReportRequestForm(request.POST, user=request.user)
        if not form.offers_anything:
            raise PermissionDenied
        if form.is_valid():
            try:
                run = services.report_run_request(
                    **form.request_arguments(), trigger=Trigger.USER, user=request.user
                )
            except services.ReportRequestRefused as exc:
                add_refusal(form, exc, field_map=form.SERVICE_FIELDS)
            else:
                messages.success(
                    request,
                    _("%(report)s: version %(version)s requested.")
                    % {"report": run_title(run), "version": run.version},
                )
                return redirect(run)
        self.object_list = self.get_queryset()
        context = self.get_context_data(request_form=form)
        return render(request, self.template_name, context, status=422)


def run_title(run: ReportRun) -> str:
    """E.g. "Quarterly PAL monitoring 2025-Q3, Bergamo"."""
    return f"{capfirst(run.get_kind_display())} {run.period}, {run.scope_label}"


class ReportDetailView(ReportRunMixin, DetailView):
    template_name = "monitoring/report_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = self.object
        context.update(
            title=run_title(run),
            versions=selectors.versions_of(run)
            .visible_to(self.request.user)
            .select_related("requested_by"),
            can_request=may_request_report(self.request.user, run.province_id),
        )
        return context


class ReportStatusView(ReportRunMixin, DetailView):
    """The status panel alone: the detail page polls it every 2 s until the run is finished
    (the finished panel carries no trigger, so the polling stops with it)."""

    template_name = "monitoring/_report_status.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_request"] = may_request_report(self.request.user, self.object.province_id)
        context["oob"] = bool(self.request.htmx)
        return context


class ReportDownloadView(ReportRunMixin, View):
    pk_url_kwarg = "pk"

    def get(self, request, pk):
        return document_response(self.get_object())


class ReportRerunView(ReportRunMixin, View):
    """POST: a new version of the same document (the earlier ones stay as they are)."""

    http_method_names = ["post"]
    pk_url_kwarg = "pk"

    def post(self, request, pk):
        run = self.get_object()
        if not may_request_report(request.user, run.province_id):
            raise PermissionDenied
        try:
            new = services.report_run_request(
                kind=run.kind,
                period=run.period,
                fmt=run.format,
                province=run.province_id,
                trigger=Trigger.USER,
                user=request.user,
                parameters=run.parameters,
            )
        except services.ReportRequestRefused as exc:
            messages.error(request, exc.message)
            return redirect(run)
        messages.success(
            request,
            _("%(report)s: version %(version)s requested.")
            % {"report": run_title(new), "version": new.version},
        )
        return redirect(new)
