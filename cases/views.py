"""Staff pages for crisis procedures and meetings: fetch in scope, call a service, show."""

import itertools
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView

from cases import interchange, services, tables
from cases.enums import Status
from cases.filtersets import MeetingFilterSet, ProcedureFilterSet
from cases.forms import (
    AgreementForm,
    CompanyForm,
    ImportForm,
    MeetingDecisionForm,
    MeetingForm,
    MeetingParticipantForm,
    PartyFormSet,
    ProcedureForm,
    UnitForm,
    UnitFormSet,
)
from cases.list_exports import PROCEDURE_COLUMNS
from cases.models import Agreement, CrisisProcedure, Meeting, ProductionUnit
from cases.selectors import ProcedurePicker, procedure_picker
from cases.timeline import LIMIT as HISTORY_LIMIT
from cases.timeline import procedure_timeline
from crisi_portal import exports
from crisi_portal.forms import add_service_errors
from crisi_portal.imports import ImportView
from crisi_portal.listing import FilteredListView
from crisi_portal.roles import Role
from crisi_portal.scoping import ScopedViewMixin, visible_related

STAFF_AND_REGION = frozenset({Role.PROVINCE_STAFF, Role.REGION_OFFICIAL})
STAFF = frozenset({Role.PROVINCE_STAFF})
PROCEDURE_FIELD_MAP = {"company": "company_tax_code"}


class ProcedureListView(FilteredListView):
    roles = STAFF_AND_REGION
    model = CrisisProcedure
    filterset_class = ProcedureFilterSet
    template_name = "cases/procedure_list.html"
    partial_template_name = "cases/_procedure_table.html"
    # Officers work on the procedures still running; closed ones are one tick away.
    default_filters = {"status": [Status.APERTA, Status.IN_CORSO]}

    def base_queryset(self):
        return (
            CrisisProcedure.objects.select_related("company", "lead_province")
            .prefetch_related(
                Prefetch(
                    "units", queryset=ProductionUnit.objects.only("procedure_id", "province_id")
                )
            )
            .with_totals()
        )


class ProcedureDetailView(ScopedViewMixin, DetailView):
    roles = STAFF_AND_REGION
    model = CrisisProcedure
    template_name = "cases/procedure_detail.html"
    context_object_name = "procedure"

    def base_queryset(self):
        return CrisisProcedure.objects.select_related("company", "lead_province").with_totals()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        procedure = self.object
        user = self.request.user
        units = list(procedure.units.select_related("province"))
        editable_units = set(
            ProductionUnit.objects.filter(procedure=procedure)
            .editable_by(user)
            .values_list("pk", flat=True)
        )
        context.update(
            units=units,
            editable_units=editable_units,
            can_edit=CrisisProcedure.objects.editable_by(user).filter(pk=procedure.pk).exists(),
            can_add_unit=user.can_manage_procedures,
            can_edit_agreements=CrisisProcedure.objects.editable_by(user)
            .filter(pk=procedure.pk)
            .exists(),
            meetings=procedure.meetings.visible_to(user).select_related("province")[:20],
            agreements=list(procedure.agreements.all()),
            decisions=tables.decisions_for(Q(procedure=procedure), user),
            history=procedure_timeline(procedure, user),
            history_limit=HISTORY_LIMIT,
        )
        return context


def _render_procedure_form(request, context, status=200):
    return render(request, "cases/procedure_form.html", context, status=status)


class ProcedureCreateView(ScopedViewMixin, View):
    roles = STAFF

    def get(self, request):
        initial = {"opened_on": timezone.localdate()}
        if len(request.user.province_codes) == 1:
            initial["lead_province"] = next(iter(request.user.province_codes))
        return _render_procedure_form(
            request,
            {
                "company_form": CompanyForm(),
                "form": ProcedureForm(initial=initial, user=request.user),
                "unit_formset": UnitFormSet(
                    prefix="units", initial=[{"province": initial.get("lead_province")}]
                ),
                "creating": True,
            },
        )

    def post(self, request):
        company_form = CompanyForm(request.POST)
        form = ProcedureForm(request.POST, user=request.user)
        unit_formset = UnitFormSet(request.POST, prefix="units")
        context = {
            "company_form": company_form,
            "form": form,
            "unit_formset": unit_formset,
            "creating": True,
        }
        if not (company_form.is_valid() and form.is_valid() and unit_formset.is_valid()):
            return _render_procedure_form(request, context, status=422)
        units = [
            f.cleaned_data
            for f in unit_formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        for unit in units:
            unit.pop("DELETE", None)
        try:
            procedure = services.procedure_create_with_company(
                user=request.user,
                company_data=company_form.company_data(),
                data=form.cleaned_data,
                units=units,
            )
        except ValidationError as exc:
            _spread_errors(exc, company_form, form, unit_formset)
            return _render_procedure_form(request, context, status=422)
        except PermissionDenied as exc:
            form.add_error("lead_province", str(exc) or _("Not allowed."))
            return _render_procedure_form(request, context, status=422)
        messages.success(request, _("Procedure %(id)s created.") % {"id": procedure.reference})
        if getattr(procedure.company, "change_proposed", False):
            messages.info(
                request,
                _(
                    "The company was already registered and other Nuclei work on it: its "
                    "registered details were kept, and yours were sent to the Region as a "
                    "proposed change."
                ),
            )
        return redirect(procedure)


def _spread_errors(exc, company_form, form, unit_formset=None):
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        if field.startswith("company_") and field in company_form.fields:
            company_form.add_error(field, errors)
        elif field in form.fields:
            form.add_error(field, errors)
        elif (
            unit_formset is not None
            and unit_formset.forms
            and field in unit_formset.forms[0].fields
        ):
            unit_formset.forms[0].add_error(field, errors)
        else:
            form.add_error(None, errors)


class ProcedureUpdateView(ScopedViewMixin, View):
    roles = STAFF
    model = CrisisProcedure
    require_edit = True
    pk_url_kwarg = "pk"

    def get(self, request, pk):
        procedure = self.get_object()
        return _render_procedure_form(
            request,
            {
                "procedure": procedure,
                "form": ProcedureForm(instance=procedure, user=request.user),
                "creating": False,
            },
        )

    def post(self, request, pk):
        procedure = self.get_object()
        form = ProcedureForm(request.POST, instance=procedure, user=request.user)
        context = {"procedure": procedure, "form": form, "creating": False}
        if not form.is_valid():
            return _render_procedure_form(request, context, status=422)
        data = {k: v for k, v in form.cleaned_data.items() if k != "external_id"}
        try:
            services.procedure_update(user=request.user, procedure=procedure, data=data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return _render_procedure_form(request, context, status=422)
        messages.success(request, _("Procedure updated."))
        return redirect(procedure)


class UnitCreateView(ScopedViewMixin, View):
    roles = STAFF
    model = CrisisProcedure
    pk_url_kwarg = "pk"

    def _render(self, request, procedure, form, status=200):
        return render(
            request,
            "cases/unit_form.html",
            {"procedure": procedure, "form": form, "unit": None},
            status=status,
        )

    def get(self, request, pk):
        procedure = self.get_object()
        initial = {}
        if len(request.user.province_codes) == 1:
            initial["province"] = next(iter(request.user.province_codes))
        return self._render(request, procedure, UnitForm(initial=initial))

    def post(self, request, pk):
        procedure = self.get_object()
        form = UnitForm(request.POST)
        if form.is_valid():
            try:
                services.unit_create(user=request.user, procedure=procedure, data=form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error("province", str(exc))
            else:
                messages.success(request, _("Production unit added."))
                return redirect(procedure)
        return self._render(request, procedure, form, status=422)


class UnitUpdateView(ScopedViewMixin, View):
    roles = STAFF
    model = ProductionUnit
    require_edit = True
    pk_url_kwarg = "pk"

    def base_queryset(self):
        return ProductionUnit.objects.select_related("procedure__company")

    def _render(self, request, unit, form, status=200):
        return render(
            request,
            "cases/unit_form.html",
            {"procedure": unit.procedure, "form": form, "unit": unit},
            status=status,
        )

    def get(self, request, pk):
        unit = self.get_object()
        return self._render(request, unit, UnitForm(instance=unit))

    def post(self, request, pk):
        unit = self.get_object()
        form = UnitForm(request.POST, instance=unit)
        if form.is_valid():
            try:
                services.unit_update(user=request.user, unit=unit, data=form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error("province", str(exc))
            else:
                messages.success(request, _("Production unit updated."))
                return redirect(unit.procedure)
        return self._render(request, unit, form, status=422)


class ProcedureExportView(ScopedViewMixin, View):
    """The filtered list for Excel (``?format=csv``, the default, or ``xlsx``), or as the
    interchange CSV (``?format=technical``)."""

    roles = STAFF_AND_REGION
    model = CrisisProcedure

    def get(self, request):
        filterset = ProcedureFilterSet(request.GET or None, queryset=self.get_queryset())
        if filterset.is_bound and not filterset.is_valid():
            queryset = filterset.queryset.none()
        else:
            queryset = filterset.qs
        stamp = timezone.localdate().isoformat()
        chunks = exports.keyset_chunks(
            queryset.select_related("company").prefetch_related("units"), key="external_id"
        )
        return exports.list_export(
            request,
            columns=PROCEDURE_COLUMNS,
            items=itertools.chain.from_iterable(chunks),
            name=f"procedure-{stamp}",
            title=_("Procedures"),
            technical=lambda: exports.csv_response(
                interchange.export_rows(queryset),
                filename=f"procedure-{stamp}.csv",
                lineterminator="\n",
            ),
        )


class ProcedureImportView(ImportView):
    """Upload the interchange CSV → preview of what would change (nothing saved) → confirm."""

    roles = STAFF
    form_class = ImportForm
    title = gettext_lazy("Import procedures")
    intro_template = "cases/_procedure_import_intro.html"
    preview_template = "cases/_procedure_import_preview.html"

    def purpose(self) -> str:
        return "procedures"

    def run_import(
        self,
        raw: bytes,
        *,
        filename: str,
        dry_run: bool = False,
        accepted_warnings: str | None = None,
    ):
        # The interchange has no warnings: a clean file is applied as confirmed.
        return interchange.import_procedures(raw, user=self.request.user, dry_run=dry_run)

    def done_message(self, result) -> str:
        summary = result.summary()
        return _(
            "Import done. Procedures: %(pc)d new, %(pu)d changed. "
            "Production units: %(uc)d new, %(uu)d changed."
        ) % {
            "pc": summary["procedure"]["create"],
            "pu": summary["procedure"]["update"],
            "uc": summary["unit"]["create"],
            "uu": summary["unit"]["update"],
        }

    def success_url(self) -> str:
        return reverse("cases:procedure_list")


class MeetingListView(FilteredListView):
    roles = STAFF_AND_REGION
    model = Meeting
    filterset_class = MeetingFilterSet
    template_name = "cases/meeting_list.html"
    partial_template_name = "cases/_meeting_table.html"

    def base_queryset(self):
        # The names of procedures out of scope (a regional table's other provinces) stay out.
        procedures = CrisisProcedure.objects.select_related("company")
        return Meeting.objects.select_related("province").prefetch_related(
            visible_related("procedures", procedures, self.request.user)
        )


class MeetingDetailView(ScopedViewMixin, DetailView):
    roles = STAFF_AND_REGION
    model = Meeting
    template_name = "cases/meeting_detail.html"
    context_object_name = "meeting"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(meeting_context(self.request.user, self.object))
        return context


def meeting_context(user, meeting: Meeting, **forms) -> dict:
    """The meeting page: agenda, participants, decisions with what followed, and the forms of
    whoever may change it (``forms``: bound ones, when a submission was refused)."""
    procedures = list(tables.agenda(meeting, user))
    can_edit = Meeting.objects.editable_by(user).filter(pk=meeting.pk).exists()
    decisions = tables.decisions_for(Q(meeting=meeting), user)
    editable_procedures = set(
        CrisisProcedure.objects.editable_by(user)
        .filter(pk__in=[d.procedure_id for d in decisions])
        .values_list("pk", flat=True)
    )
    context = {
        "meeting": meeting,
        "procedures": procedures,
        "can_edit": can_edit,
        "participants": list(meeting.attendees.all()),
        "decisions": decisions,
        "can_mark": {d.pk for d in decisions if can_edit or d.procedure_id in editable_procedures},
        "participant_form": MeetingParticipantForm() if can_edit else None,
        "decision_form": (
            MeetingDecisionForm(procedures=procedures) if can_edit and procedures else None
        ),
    }
    context.update(forms)
    return context


def _picker_for(request, form) -> ProcedurePicker:
    """The procedure picker as the form stands: the chosen procedures, and the search."""
    if form.is_bound:
        chosen = form.data.getlist("procedures")
    else:
        chosen = [getattr(p, "pk", p) for p in form.initial.get("procedures") or []]
    query = request.POST.get("procedure_q", "") if request.method == "POST" else ""
    return procedure_picker(request.user, selected_ids=chosen, query=query)


class MeetingFormView(ScopedViewMixin, View):
    roles = STAFF_AND_REGION
    model = Meeting
    require_edit = True
    pk_url_kwarg = "pk"

    def _render(self, request, form, meeting=None, status=200):
        context = {"form": form, "meeting": meeting, "picker": _picker_for(request, form)}
        return render(request, "cases/meeting_form.html", context, status=status)

    def get(self, request, pk=None):
        meeting = self.get_object() if pk else None
        initial = {}
        if meeting is None:
            initial["date"] = timezone.localdate()
            if len(request.user.province_codes) == 1:
                initial["province"] = next(iter(request.user.province_codes))
            if procedure_id := request.GET.get("procedure"):
                initial["procedures"] = [procedure_id]
        else:
            # Only the procedures this user sees: the others stay on the meeting untouched.
            initial["procedures"] = list(
                meeting.procedures.visible_to(request.user).values_list("pk", flat=True)
            )
        form = MeetingForm(instance=meeting, initial=initial, user=request.user)
        return self._render(request, form, meeting)

    def post(self, request, pk=None):
        meeting = self.get_object() if pk else None
        if "search_procedures" in request.POST:
            # The picker's search without JavaScript: the form comes back as typed, unsaved,
            # with the procedures matching the search (no errors: nothing was submitted).
            form = MeetingForm(instance=meeting, user=request.user)
            form.initial.update(_initial_from(request.POST, form))
            return self._render(request, form, meeting)
        form = MeetingForm(request.POST, request.FILES, instance=meeting, user=request.user)
        if form.is_valid():
            data = dict(form.cleaned_data)
            procedures = data.pop("procedures")
            if data.get("minutes") is None:
                data.pop("minutes", None)  # no new upload: keep the current file
            elif data.get("minutes") is False:
                data["minutes"] = None  # "clear" ticked
            try:
                if meeting is None:
                    meeting = services.meeting_create(
                        user=request.user, data=data, procedures=procedures
                    )
                else:
                    meeting = services.meeting_update(
                        user=request.user, meeting=meeting, data=data, procedures=procedures
                    )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error("province", str(exc))
            else:
                messages.success(request, _("Meeting saved."))
                return redirect(meeting)
        return self._render(request, form, meeting, status=422)


def _initial_from(data, form) -> dict:
    """A submitted form's values as the initial values of a fresh form."""
    initial = {}
    for name, field in form.fields.items():
        if isinstance(field, forms.ModelMultipleChoiceField):
            initial[name] = data.getlist(name)
        elif name in data:
            initial[name] = data.get(name)
    return initial


class MeetingProcedurePickerView(ScopedViewMixin, View):
    """The picker's options for htmx: the ticked procedures and those matching the search.
    POST, so what is typed stays out of URLs and access logs."""

    roles = STAFF_AND_REGION

    def post(self, request):
        picker = procedure_picker(
            request.user,
            selected_ids=request.POST.getlist("procedures"),
            query=request.POST.get("procedure_q", ""),
        )
        return render(request, "cases/_procedure_options.html", {"picker": picker})


class AgreementFormView(ScopedViewMixin, View):
    """A new agreement on a procedure (``creating``: ``pk`` is the procedure's) or an
    agreement changed (``pk`` is the agreement's): by who may change the procedure (its lead
    province's staff)."""

    roles = STAFF
    creating = False

    def _objects(self) -> tuple[CrisisProcedure, Agreement | None]:
        user = self.request.user
        if self.creating:
            procedure = get_object_or_404(
                CrisisProcedure.objects.visible_to(user).select_related("company"),
                pk=self.kwargs["pk"],
            )
            if not CrisisProcedure.objects.editable_by(user).filter(pk=procedure.pk).exists():
                raise PermissionDenied
            return procedure, None
        agreement = get_object_or_404(
            Agreement.objects.visible_to(user).select_related("procedure__company"),
            pk=self.kwargs["pk"],
        )
        if not Agreement.objects.editable_by(user).filter(pk=agreement.pk).exists():
            raise PermissionDenied
        return agreement.procedure, agreement

    def _render(self, request, procedure, agreement, form, parties, status=200):
        context = {"procedure": procedure, "agreement": agreement, "form": form, "parties": parties}
        return render(request, "cases/agreement_form.html", context, status=status)

    def get(self, request, **kwargs):
        procedure, agreement = self._objects()
        initial = {} if agreement else {"signed_on": timezone.localdate()}
        form = AgreementForm(instance=agreement, initial=initial)
        parties = PartyFormSet(prefix="parties", initial=agreement.parties if agreement else None)
        return self._render(request, procedure, agreement, form, parties)

    def post(self, request, **kwargs):
        procedure, agreement = self._objects()
        form = AgreementForm(request.POST, request.FILES, instance=agreement)
        parties = PartyFormSet(request.POST, prefix="parties")
        if form.is_valid() and parties.is_valid():
            data = dict(form.cleaned_data)
            if data.get("document") is None:
                data.pop("document", None)  # no new upload: keep the current file
            elif data.get("document") is False:
                data["document"] = None  # "clear" ticked
            data["parties"] = [
                {"role": f.cleaned_data["role"], "name": f.cleaned_data["name"]}
                for f in parties.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            try:
                if agreement is None:
                    services.agreement_create(user=request.user, procedure=procedure, data=data)
                else:
                    services.agreement_update(user=request.user, agreement=agreement, data=data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Agreement saved."))
                return redirect(procedure)
        return self._render(request, procedure, agreement, form, parties, status=422)


class FileDownloadView(ScopedViewMixin, View):
    """A stored file of a row in scope (``file_field``), downloaded through here, never
    straight from MEDIA_ROOT: out of scope, or no file, is 404."""

    roles = STAFF_AND_REGION
    pk_url_kwarg = "pk"
    file_field = ""

    def get(self, request, pk):
        stored = getattr(self.get_object(), self.file_field)
        if not stored:
            raise Http404
        return FileResponse(stored.open("rb"), as_attachment=True, filename=Path(stored.name).name)


class AgreementDocumentView(FileDownloadView):
    model = Agreement
    file_field = "document"


class MeetingMinutesView(FileDownloadView):
    model = Meeting
    file_field = "minutes"


@login_required
def procedure_detail_redirect(request, external_id):
    """Stable links by external id, e.g. from other regional systems."""
    procedure = get_object_or_404(
        CrisisProcedure.objects.visible_to(request.user), external_id=external_id
    )
    return redirect(reverse("cases:procedure_detail", args=[procedure.pk]))
