"""Province staff's daily work on workers: lists per procedure, step moves, timelines."""

from functools import cached_property, partial
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView

from cases.models import CrisisProcedure, ProductionUnit
from crisi_portal import exports
from crisi_portal.errors import DomainError
from crisi_portal.forms import add_refusal, add_service_errors
from crisi_portal.imports import ImportView
from crisi_portal.roles import Role
from crisi_portal.scoping import ScopedViewMixin, is_editable, reviewable
from workers import services
from workers.enums import STEP_SHORT_LABELS, Step
from workers.filtersets import InvolvementSearchFilterSet, name_matches
from workers.forms import (
    BulkCohortForm,
    BulkMoveForm,
    CohortForm,
    IncomeSupportImportForm,
    MoveForm,
    OutcomeForm,
    WorkerImportForm,
    WorkerPersonalForm,
    WorkerSearchForm,
)
from workers.importers import import_workers
from workers.income_support import import_income_support
from workers.list_exports import worker_columns
from workers.models import Cohort, ImportProfile, Involvement, StepTransition, Worker
from workers.profiles import PROFILE_LABELS
from workers.selectors import can_see_identity, log_identity_reads, step_tiles

STAFF_AND_REGION = frozenset({Role.PROVINCE_STAFF, Role.REGION_OFFICIAL})
STAFF = frozenset({Role.PROVINCE_STAFF})
PAGE_SIZE = 50
SIDEBAR_FILTERS = ("step", "unit", "cohort", "income_support", "has_outcome")
# The name search is POSTed and kept in the session, one term per procedure: a name in the
# query string would be written to every access log and to the browser's history (issue #9).
SEARCH_SESSION_KEY = "workers-search:{pk}"
SEARCH_MAX_LENGTH = 100


def _offer_procedure_choices(form, procedure: CrisisProcedure) -> None:
    """In the browser, units and cohorts are picked by name among the procedure's own."""
    form.fields["has_outcome"].widget.choices = [
        ("", "—"),
        ("true", _("With an outcome")),
        ("false", _("Without an outcome")),
    ]
    for name, label, options in (
        ("unit", _("Production unit"), procedure.units.all()),
        ("cohort", _("Cohort"), procedure.cohorts.all()),
    ):
        form.fields[name] = forms.TypedChoiceField(
            label=label,
            choices=[("", "—"), *((option.pk, str(option)) for option in options)],
            coerce=int,
            required=False,
            widget=forms.Select(attrs={"class": "form-select"}),
        )


def _page_of(request, rows) -> dict:
    """The page asked for (``?page=``) of ``rows``: past the last page, the last page (a huge
    number would overflow the SQL OFFSET); anything else than a number, the first."""
    total = rows.count()
    try:
        page = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        page = 1
    page = min(page, max(1, -(-total // PAGE_SIZE)))
    return {
        "rows": list(rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]),
        "total": total,
        "page": page,
        "has_next": page * PAGE_SIZE < total,
    }


class ProcedureWorkersView(ScopedViewMixin, View):
    """The workers of one procedure with their step, filters, and single and bulk moves."""

    roles = STAFF_AND_REGION

    def get_procedure(self) -> CrisisProcedure:
        return get_object_or_404(
            CrisisProcedure.objects.visible_to(self.request.user).select_related(
                "company", "lead_province"
            ),
            pk=self.kwargs["pk"],
        )

    def involvements(self, procedure):
        return (
            Involvement.objects.visible_to(self.request.user)
            .filter(procedure=procedure)
            .select_related("worker", "unit", "cohort")
        )

    def search_term(self, procedure) -> str:
        if not can_see_identity(self.request.user):
            return ""
        return self.request.session.get(SEARCH_SESSION_KEY.format(pk=procedure.pk), "")

    def filter_data(self, procedure):
        """The sidebar's filters from the query string, the name search from the session."""
        data = self.request.GET.copy()
        data.pop("q", None)  # an old bookmark or a hand-made URL: ignored, never a search
        term = self.search_term(procedure)
        if term:
            data["q"] = term
        return data or None

    def cohorts(self, procedure):
        return Cohort.objects.visible_to(self.request.user).filter(procedure=procedure)

    def cohort_form(self, procedure, data=None):
        return BulkCohortForm(
            data,
            involvements_queryset=self.involvements(procedure),
            cohorts_queryset=self.cohorts(procedure),
            prefix="bulk",
        )

    def context(self, procedure, bulk_form=None, bulk_failures=None, selected=(), cohort_form=None):
        request = self.request
        base = self.involvements(procedure)
        filterset = InvolvementSearchFilterSet(
            self.filter_data(procedure), queryset=base, request=request
        )
        _offer_procedure_choices(filterset.form, procedure)
        rows = base.none() if filterset.is_bound and not filterset.is_valid() else filterset.qs
        paged = _page_of(request, rows)
        page_rows = paged["rows"]
        show_identity = can_see_identity(request.user)
        if show_identity:
            log_identity_reads(
                request.user,
                [i.worker for i in page_rows],
                purpose=_("list of workers of procedure %(id)s") % {"id": procedure.external_id},
                path=request.path,
            )
        tiles = step_tiles(base)
        can_move = (
            Involvement.objects.filter(procedure=procedure).editable_by(request.user).exists()
        )
        # Importing and grouping need a unit of one's own, not workers already in charge.
        can_take_in_charge = (
            request.user.can_manage_procedures
            and ProductionUnit.objects.filter(procedure=procedure)
            .editable_by(request.user)
            .exists()
        )
        return {
            "procedure": procedure,
            "filterset": filterset,
            "filter_fields": [filterset.form[name] for name in SIDEBAR_FILTERS],
            "search_field": filterset.form["q"],
            **paged,
            "step_counts": tiles,
            "all_count": sum(n for _step, _label, n in tiles),
            "show_identity": show_identity,
            "can_move": can_move,
            "can_take_in_charge": can_take_in_charge,
            "bulk_form": bulk_form or BulkMoveForm(involvements_queryset=base, prefix="bulk"),
            "cohort_form": cohort_form or self.cohort_form(procedure),
            "bulk_failures": bulk_failures,
            "selected": {str(pk) for pk in selected},
        }

    def get(self, request, pk):
        procedure = self.get_procedure()
        template = (
            "workers/_involvement_table.html"
            if request.htmx and request.htmx.target == "workers-results"
            else "workers/procedure_workers.html"
        )
        return render(request, template, self.context(procedure))

    def post(self, request, pk):
        """Bulk move of the selected workers (all of them or none), or the name search."""
        procedure = self.get_procedure()
        if "search" in request.POST:
            return self.search(request, procedure)
        if request.POST.get("bulk-op") in (BulkCohortForm.ASSIGN, BulkCohortForm.REMOVE):
            return self.regroup(request, procedure)
        base = self.involvements(procedure)
        form = BulkMoveForm(request.POST, involvements_queryset=base, prefix="bulk")
        failures = None
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                moved = services.involvements_move(
                    user=request.user,
                    involvements=list(data["involvements"]),
                    to=data["to"],
                    effective_date=data["effective_date"],
                    reason=data["reason"],
                    exemption_reason=data["exemption_reason"],
                    measure=data["measure"],
                )
            except services.BulkMoveRefused as exc:
                failures = exc.failures
            except (DomainError, PermissionDenied) as exc:
                add_refusal(form, exc, fallback=_("You cannot move these workers."))
            else:
                messages.success(
                    request,
                    _("%(n)d workers moved to %(step)s.")
                    % {"n": len(moved), "step": STEP_SHORT_LABELS[Step(data["to"])]},
                )
                if not request.htmx:
                    return redirect(reverse("workers:procedure_workers", args=[procedure.pk]))
                form = None
                status = 200
        return self.answer(procedure, status, bulk_form=form, bulk_failures=failures)

    def answer(self, procedure, status: int, **context):
        """The list after a bulk POST: the htmx fragment, or the whole page without htmx."""
        request = self.request
        template = (
            "workers/_involvement_table.html" if request.htmx else "workers/procedure_workers.html"
        )
        # After a refusal the selection stays, so the user can fix and retry.
        selected = request.POST.getlist("bulk-involvements") if status == 422 else ()
        return render(
            request,
            template,
            self.context(procedure, selected=selected, **context),
            status=status,
        )

    def regroup(self, request, procedure):
        """The selected workers into a group, or out of theirs: all of them or none."""
        form = self.cohort_form(procedure, request.POST)
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            involvements = list(data["involvements"])
            try:
                if data["op"] == BulkCohortForm.ASSIGN:
                    n = services.cohort_assign(
                        user=request.user, cohort=data["cohort"], involvements=involvements
                    )
                    text = _("%(n)d workers put into the group %(name)s.") % {
                        "n": n,
                        "name": data["cohort"].name,
                    }
                else:
                    n = services.cohort_remove(user=request.user, involvements=involvements)
                    text = _("%(n)d workers taken out of their group.") % {"n": n}
            except (DomainError, ValidationError, PermissionDenied) as exc:
                add_refusal(form, exc, fallback=_("You cannot change the group of these workers."))
            else:
                messages.success(request, text)
                if not request.htmx:
                    return redirect(request.get_full_path())
                form = None
                status = 200
        return self.answer(procedure, status, cohort_form=form)

    def search(self, request, procedure):
        """Keep the term in the session; the list (htmx) or the page (redirect) reloads."""
        key = SEARCH_SESSION_KEY.format(pk=procedure.pk)
        term = " ".join(request.POST.get("q", "").split())[:SEARCH_MAX_LENGTH]
        if term and can_see_identity(request.user):
            request.session[key] = term
        else:
            request.session.pop(key, None)
        if request.htmx:
            response = HttpResponse(status=200)
            response["HX-Trigger"] = "workers-changed"
            return response
        # The query string of the page (sidebar filters) stays; the term never joins it.
        return redirect(request.get_full_path())


class ProcedureWorkersExportView(ProcedureWorkersView):
    """The list of the page (its filters and name search) for Excel or as a technical CSV
    (``crisi_portal.exports.list_export``): streamed a chunk at a time, each chunk's
    identities recorded as read when they are written (§6)."""

    def get(self, request, pk):
        procedure = self.get_procedure()
        exports.export_format(request)  # an unknown format is a 404 before any query
        base = self.involvements(procedure)
        filterset = InvolvementSearchFilterSet(
            self.filter_data(procedure), queryset=base, request=request
        )
        rows = base.none() if filterset.is_bound and not filterset.is_valid() else filterset.qs
        rows = rows.select_related("outcome")
        show_identity = can_see_identity(request.user)
        purpose = _("export of the workers of procedure %(id)s") % {"id": procedure.external_id}

        def items():
            for chunk in exports.ordered_chunks(rows):
                if show_identity:
                    log_identity_reads(
                        request.user, [i.worker for i in chunk], purpose=purpose, path=request.path
                    )
                yield from chunk

        return exports.list_export(
            request,
            columns=worker_columns(show_identity=show_identity),
            items=items(),
            name=f"lavoratori-{procedure.external_id}-{timezone.localdate().isoformat()}",
            title=_("Workers"),
        )


class InvolvementMoveView(ScopedViewMixin, View):
    """One worker's move; in the list it is an htmx panel, alone it is a page."""

    roles = STAFF
    model = Involvement
    require_edit = True
    pk_url_kwarg = "pk"

    def base_queryset(self):
        return Involvement.objects.select_related("worker", "procedure", "unit")

    def _render(self, request, involvement, form, status=200):
        template = "workers/_move_form.html" if request.htmx else "workers/move_page.html"
        return render(
            request,
            template,
            {
                "involvement": involvement,
                "form": form,
                "show_identity": can_see_identity(request.user),
            },
            status=status,
        )

    def get(self, request, pk):
        involvement = self.get_object()
        return self._render(request, involvement, MoveForm(involvement=involvement))

    def post(self, request, pk):
        involvement = self.get_object()
        form = MoveForm(request.POST, involvement=involvement)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.involvement_move(
                    user=request.user,
                    involvement=involvement,
                    to=data["to"],
                    effective_date=data["effective_date"],
                    reason=data["reason"],
                    exemption_reason=data["exemption_reason"],
                    measure=data["measure"],
                    expected_from=data["expected_from"],
                )
            except (DomainError, PermissionDenied) as exc:
                add_refusal(form, exc, fallback=_("You cannot move this worker."))
            else:
                text = _("%(worker)s moved to %(step)s.") % {
                    "worker": involvement.worker
                    if can_see_identity(request.user)
                    else involvement.worker.initials,
                    "step": STEP_SHORT_LABELS[Step(data["to"])],
                }
                if request.htmx:
                    response = render(
                        request, "workers/_move_done.html", {"message": text}, status=200
                    )
                    response["HX-Trigger"] = "workers-changed"
                    return response
                messages.success(request, text)
                return redirect(
                    reverse("workers:procedure_workers", args=[involvement.procedure_id])
                )
        return self._render(request, involvement, form, status=422)


class WorkerDetailView(ScopedViewMixin, DetailView):
    """A worker: identity (as the viewer may see it), involvements with their timelines."""

    roles = STAFF_AND_REGION
    model = Worker
    template_name = "workers/worker_detail.html"
    context_object_name = "worker"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        show_identity = can_see_identity(user)
        if show_identity:
            log_identity_reads(
                user, [self.object], purpose=_("worker page"), path=self.request.path
            )
        involvements = (
            Involvement.objects.visible_to(user)
            .filter(worker=self.object)
            .select_related("procedure__company", "unit", "cohort", "outcome")
            .prefetch_related(
                Prefetch(
                    "transitions",
                    queryset=StepTransition.objects.select_related(
                        "recorded_by", "exemption_reason", "measure"
                    ).order_by("effective_date", "id"),
                )
            )
        )
        editable = set(
            Involvement.objects.filter(worker=self.object)
            .editable_by(user)
            .values_list("pk", flat=True)
        )
        # Each involvement's Doti and their PIPs, as far as the viewer sees them; a PIP links
        # to its review page when its decision is the viewer's.
        dote_model = Involvement._meta.get_field("doti").related_model
        pip_model = dote_model._meta.get_field("pips").related_model
        pips = pip_model.objects.visible_to(user).exclude(status="bozza").order_by("-id")
        involvements = involvements.prefetch_related(
            Prefetch(
                "doti",
                queryset=dote_model.objects.visible_to(user)
                .select_related("measure", "operator")
                .prefetch_related(Prefetch("pips", queryset=pips)),
            )
        )
        reviewable_pips = set(
            reviewable(
                pip_model.objects.filter(dote__involvement__worker=self.object), user
            ).values_list("pk", flat=True)
        )
        context.update(
            show_identity=show_identity,
            involvements=involvements,
            editable=editable,
            reviewable_pips=reviewable_pips,
            can_edit_personal=show_identity and is_editable(self.object, user),
            # The competence certifications the viewer sees (pal's, reached by the relation).
            certifications=self.object.certifications.visible_to(user)
            .select_related("qualification", "operator")
            .order_by("-certified_on", "-id"),
        )
        return context


class WorkerSearchView(ScopedViewMixin, View):
    """Find a worker across every procedure in scope, from the header: fiscal code or name.

    POST only (a name or a fiscal code in a URL would reach access logs and browser history);
    out of scope is simply not found. Whoever may not see identities may not search by them.
    """

    roles = STAFF_AND_REGION
    template_name = "workers/worker_search.html"
    limit = 50

    def _render(self, request, form, status=200, **context):
        context.update(form=form, may_search=can_see_identity(request.user), limit=self.limit)
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self._render(request, WorkerSearchForm())

    def post(self, request):
        form = WorkerSearchForm(request.POST)
        if not can_see_identity(request.user):
            return self._render(request, WorkerSearchForm(), status=403)
        if not form.is_valid():
            return self._render(request, form, status=422)
        fiscal_code = form.fiscal_code()
        condition = (
            Q(fiscal_code=fiscal_code) if fiscal_code else name_matches(form.cleaned_data["q"])
        )
        found = list(
            Worker.objects.visible_to(request.user)
            .filter(condition)
            .order_by("last_name", "first_name", "id")
            .prefetch_related(
                Prefetch(
                    "involvements",
                    queryset=Involvement.objects.visible_to(request.user)
                    .select_related("procedure__company", "unit")
                    .order_by("-procedure__opened_on", "id"),
                )
            )[: self.limit + 1]
        )
        workers = found[: self.limit]
        log_identity_reads(request.user, workers, purpose=_("worker search"), path=request.path)
        return self._render(
            request, form, workers=workers, searched=True, truncated=len(found) > self.limit
        )


class WorkerPersonalView(ScopedViewMixin, View):
    """Citizenship, education, residence and contacts: the Nucleo of the worker's province
    and admins (403 for who sees the worker but may not change them, 404 out of scope)."""

    roles = STAFF
    model = Worker
    require_edit = True
    pk_url_kwarg = "pk"

    def _render(self, request, worker, form, status=200):
        context = {"worker": worker, "form": form}
        return render(request, "workers/worker_personal_form.html", context, status=status)

    def get(self, request, pk):
        worker = self.get_object()
        return self._render(request, worker, WorkerPersonalForm(instance=worker))

    def post(self, request, pk):
        worker = self.get_object()
        form = WorkerPersonalForm(request.POST, instance=worker)
        if form.is_valid():
            try:
                services.worker_update_personal(
                    user=request.user, worker=worker, data=form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Personal details saved."))
                return redirect(worker)
        return self._render(request, worker, form, status=422)


class OutcomeView(ScopedViewMixin, View):
    """Where the worker ended up: recorded by the province or by the worker's operator."""

    roles = frozenset({Role.PROVINCE_STAFF, Role.OPERATOR})
    model = Involvement
    require_edit = True
    pk_url_kwarg = "pk"

    def base_queryset(self):
        return Involvement.objects.select_related("worker", "procedure")

    def _return_url(self, request, involvement) -> str:
        target = request.POST.get("next") or request.GET.get("next", "")
        if url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return target
        if request.user.is_operator:
            return reverse("pal:operator_home")
        return involvement.worker.get_absolute_url()

    def _render(self, request, involvement, form, status=200):
        return render(
            request,
            "workers/outcome_form.html",
            {
                "involvement": involvement,
                "form": form,
                "show_identity": can_see_identity(request.user),
                "return_url": self._return_url(request, involvement),
                "next": request.POST.get("next") or request.GET.get("next", ""),
            },
            status=status,
        )

    def get(self, request, pk):
        involvement = self.get_object()
        instance = getattr(involvement, "outcome", None)
        form = OutcomeForm(instance=instance, by_operator=request.user.is_operator)
        return self._render(request, involvement, form)

    def post(self, request, pk):
        involvement = self.get_object()
        form = OutcomeForm(request.POST, by_operator=request.user.is_operator)
        if form.is_valid():
            try:
                services.outcome_record(
                    user=request.user, involvement=involvement, data=form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Outcome recorded."))
                return redirect(self._return_url(request, involvement))
        return self._render(request, involvement, form, status=422)


class CohortCreateView(ScopedViewMixin, View):
    roles = STAFF

    def get_procedure(self):
        return get_object_or_404(
            CrisisProcedure.objects.visible_to(self.request.user), pk=self.kwargs["pk"]
        )

    def _render(self, request, procedure, form, status=200):
        return render(
            request,
            "workers/cohort_form.html",
            {"procedure": procedure, "form": form},
            status=status,
        )

    def get(self, request, pk):
        procedure = self.get_procedure()
        return self._render(request, procedure, CohortForm(procedure=procedure))

    def post(self, request, pk):
        procedure = self.get_procedure()
        form = CohortForm(request.POST, procedure=procedure)
        if form.is_valid():
            try:
                services.cohort_create(
                    user=request.user,
                    procedure=procedure,
                    name=form.cleaned_data["name"],
                    unit=form.cleaned_data["unit"],
                    notes=form.cleaned_data["notes"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error("unit", str(exc))
            else:
                messages.success(request, _("Cohort created."))
                return redirect(reverse("workers:procedure_workers", args=[procedure.pk]))
        return self._render(request, procedure, form, status=422)


class CohortDetailView(ScopedViewMixin, DetailView):
    """A group: its workers (those the viewer sees) with their current step."""

    roles = STAFF_AND_REGION
    model = Cohort
    template_name = "workers/cohort_detail.html"
    context_object_name = "cohort"

    def base_queryset(self):
        return Cohort.objects.select_related("procedure__company", "unit")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        rows = (
            Involvement.objects.visible_to(user)
            .filter(cohort=self.object)
            .select_related("worker", "unit")
        )
        paged = _page_of(self.request, rows)
        page_rows = paged["rows"]
        show_identity = can_see_identity(user)
        if show_identity:
            log_identity_reads(
                user,
                [i.worker for i in page_rows],
                purpose=_("workers of a group of procedure %(id)s")
                % {"id": self.object.procedure.external_id},
                path=self.request.path,
            )
        context.update(
            procedure=self.object.procedure,
            **paged,
            step_counts=step_tiles(rows),
            show_identity=show_identity,
        )
        return context


class ProfileImportMixin:
    """An import page with a format (``ImportProfile``) select: the profile chosen travels with
    the kept file (in its purpose), so the confirmation imports with the same one."""

    request: Any
    base_form_class: Any = None

    @cached_property
    def profile(self) -> ImportProfile | None:
        slug = self.request.POST.get("profile", "") or self.request.GET.get("profile", "")
        if not slug:
            return None
        return ImportProfile.objects.filter(is_active=True, slug=slug).first()

    @property
    def form_class(self):
        initial = {"profile": self.profile.slug} if self.profile else {}
        return partial(self.base_form_class, initial=initial)

    def profile_purpose(self) -> str:
        return f":{self.profile.slug}" if self.profile else ""

    def confirmation(self, raw: bytes, filename: str, result) -> dict:
        return {
            **super().confirmation(raw, filename, result),  # type: ignore[misc]
            "confirm_fields": [("profile", self.profile.slug if self.profile else "")],
        }

    def preview_context(self, result) -> dict:
        return {
            "mapping_labels": [
                (source, PROFILE_LABELS.get(field) if field else None)
                for source, field in result.mapping
            ],
            "profile": self.profile,
        }


class WorkerImportView(ProfileImportMixin, ImportView):
    """Upload a company's worker list → preview with the column mapping → confirm."""

    roles = STAFF
    base_form_class = WorkerImportForm
    title = gettext_lazy("Import worker list")
    intro_template = "workers/_worker_import_intro.html"
    preview_template = "workers/_worker_import_preview.html"

    @cached_property
    def procedure(self) -> CrisisProcedure:
        return get_object_or_404(
            CrisisProcedure.objects.visible_to(self.request.user).select_related("company"),
            pk=self.kwargs["pk"],
        )

    def page_context(self) -> dict:
        procedure = self.procedure
        return {
            "procedure": procedure,
            "heading": f"{self.title} – {procedure.company.name}",
            "breadcrumbs": [
                (reverse("cases:procedure_list"), _("Procedures")),
                (procedure.get_absolute_url(), procedure.external_id),
                (reverse("workers:procedure_workers", args=[procedure.pk]), _("Workers")),
            ],
            "back_url": reverse("workers:procedure_workers", args=[procedure.pk]),
        }

    def purpose(self) -> str:
        return f"workers:{self.procedure.pk}{self.profile_purpose()}"

    def run_import(
        self,
        raw: bytes,
        *,
        filename: str,
        dry_run: bool = False,
        accepted_warnings: str | None = None,
    ):
        return import_workers(
            self.procedure,
            raw,
            filename=filename,
            user=self.request.user,
            dry_run=dry_run,
            accepted_warnings=accepted_warnings,
            profile=self.profile,
        )

    def done_message(self, result) -> str:
        return _done_message(result)

    def success_url(self) -> str:
        return reverse("workers:procedure_workers", args=[self.procedure.pk])


def _done_message(result) -> str:
    summary = result.summary()
    return _(
        "Worker list imported: %(c)d workers taken in charge, %(u)d updated, %(n)d unchanged."
    ) % {"c": summary["create"], "u": summary["update"], "n": summary["unchanged"]}


class IncomeSupportImportView(ProfileImportMixin, ImportView):
    """An income-support list (the company's list for the CIGS application, an INPS extract)
    → the procedure of its company and period found → preview → confirm (issue #16)."""

    roles = STAFF
    base_form_class = IncomeSupportImportForm
    title = gettext_lazy("Import an income-support list")
    intro_template = "workers/_income_support_import_intro.html"
    preview_template = "workers/_income_support_import_preview.html"

    def page_context(self) -> dict:
        return {
            "breadcrumbs": [(reverse("cases:procedure_list"), _("Procedures"))],
            "back_url": reverse("cases:procedure_list"),
        }

    def purpose(self) -> str:
        return f"income-support{self.profile_purpose()}"

    def run_import(
        self,
        raw: bytes,
        *,
        filename: str,
        dry_run: bool = False,
        accepted_warnings: str | None = None,
    ):
        if self.profile is None:  # the form requires one; a confirmation without it is a 404
            raise Http404
        self.result = import_income_support(
            raw,
            filename=filename,
            profile=self.profile,
            user=self.request.user,
            dry_run=dry_run,
            accepted_warnings=accepted_warnings,
        )
        return self.result

    def done_message(self, result) -> str:
        return _done_message(result)

    def success_url(self) -> str:
        return reverse("workers:procedure_workers", args=[self.result.procedure.pk])
