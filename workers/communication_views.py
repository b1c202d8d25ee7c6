"""Pages of the mandatory communications (issue #16 item 1): the upload of a batch, its result,
and the Nucleo's queue of proposed outcomes with bulk confirm / reject (plain forms: no
JavaScript needed). Who may: ``workers.communications.may_import`` for the upload; the queue
lists the proposals the user sees (province staff their provinces, Region officials and admins
all), and only those who may change them (province staff, admins) decide."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from cases.models import Province
from crisi_portal.roles import Role
from crisi_portal.scoping import ScopedViewMixin, readable_provinces
from crisi_portal.throttling import throttle_import_page
from crisi_portal.upload_guard import UploadRefused, read_upload
from workers.communications import (
    communications_import,
    may_import,
    proposals_confirm,
    proposals_reject,
)
from workers.enums import OutcomeKind
from workers.models import CommunicationBatch, ProposalStatus, ProposedOutcome
from workers.selectors import can_see_identity, log_identity_reads

QUEUE_ROLES = frozenset({Role.PROVINCE_STAFF, Role.REGION_OFFICIAL})
# Who uploads (besides admins): the Nucleo; Region officials read (communications.may_import).
IMPORT_ROLES = frozenset({Role.PROVINCE_STAFF})
QUEUE_LIMIT = 200


class CommunicationsUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File of communications"),
        help_text=gettext_lazy(
            "A UNILAV XML document, a ZIP of them, or the CSV extract (see the guide below)."
        ),
    )


def _visible_batches(user):
    batches = CommunicationBatch.objects.all()
    if readable_provinces(user) is None:
        return batches
    return batches.filter(uploaded_by=user)


class CommunicationsImportView(ScopedViewMixin, View):
    roles = IMPORT_ROLES
    template_name = "workers/communications_import.html"

    def _render(self, request, form, status=200, **context):
        recent = _visible_batches(request.user).select_related("uploaded_by")[:10]
        return render(
            request,
            self.template_name,
            {"form": form, "batches": recent, **context},
            status=status,
        )

    def get(self, request):
        return self._render(request, CommunicationsUploadForm())

    @method_decorator(throttle_import_page)
    def post(self, request):
        form = CommunicationsUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, form, status=422)
        upload = form.cleaned_data["file"]
        try:
            raw = read_upload(upload)
            result = communications_import(user=request.user, raw=raw, file_name=upload.name)
        except UploadRefused as exc:
            form.add_error("file", str(exc))
            return self._render(request, form, status=exc.status)
        if not result.ok:
            return self._render(request, form, status=422, errors=result.errors)
        if result.already_imported:
            messages.info(
                request,
                _("This file was already imported on %(day)s: nothing changed.")
                % {"day": f"{result.batch.created_at:%d/%m/%Y %H:%M}"},
            )
        else:
            messages.success(request, _("Communications imported."))
        request.session[f"communications-invalid-{result.batch.pk}"] = [
            str(error) for error in result.invalid[:50]
        ]
        return redirect("workers:communications_batch", pk=result.batch.pk)


class CommunicationsBatchView(ScopedViewMixin, View):
    roles = QUEUE_ROLES

    def get(self, request, pk):
        batch = _visible_batches(request.user).filter(pk=pk).first()
        if batch is None:
            raise Http404
        invalid = request.session.get(f"communications-invalid-{batch.pk}", [])
        rows = [
            (_("Communications in the file"), batch.total),
            (_("Of workers in charge"), batch.matched),
            (_("Outcomes proposed"), batch.proposed),
            (_("Outcomes applied at once"), batch.applied),
            (_("Earlier outcomes ended by a termination"), batch.ended),
            (_("No worker in charge (or outside your provinces)"), batch.unmatched),
            (_("Outcome already recorded or proposed"), batch.already_applied),
            (_("Already imported with another file"), batch.duplicates),
            (_("Workplace outside Lombardy (matched all the same)"), batch.out_of_region),
            (_("Nothing to propose (date, contract or kind)"), batch.not_relevant),
            (_("Set aside: invalid fiscal code"), batch.invalid),
        ]
        return render(
            request,
            "workers/communications_batch.html",
            {
                "batch": batch,
                "rows": rows,
                "invalid": invalid,
                "may_import": may_import(request.user),
            },
        )


class ProposalFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), choices=ProposalStatus.choices, required=False
    )
    province = forms.ModelChoiceField(
        label=gettext_lazy("Province"),
        queryset=Province.objects.all(),
        required=False,
        empty_label=gettext_lazy("All"),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[("", gettext_lazy("All"))]
        + [(k, label) for k, label in OutcomeKind.choices if k in ("ricollocato", "reintegrato")],
        required=False,
    )


def _may_decide(user) -> bool:
    return bool(user.is_admin or user.role == Role.PROVINCE_STAFF)


class ProposalQueueView(ScopedViewMixin, View):
    """The proposed outcomes waiting for the Nucleo (pending first), with bulk decisions."""

    roles = QUEUE_ROLES
    model = ProposedOutcome

    def filtered(self, request):
        form = ProposalFilterForm(request.GET or None)
        queryset = self.get_queryset().select_related(
            "involvement__worker",
            "involvement__procedure__company",
            "involvement__unit",
            "involvement__outcome",
            "communication__contract_type",
            "communication__kind",
        )
        status = ProposalStatus.PENDING
        if form.is_valid():
            status = form.cleaned_data["status"] or status
            if province := form.cleaned_data["province"]:
                queryset = queryset.filter(involvement__unit__province=province)
            if form.cleaned_data["kind"]:
                queryset = queryset.filter(kind=form.cleaned_data["kind"])
        return form, status, queryset.filter(status=status).order_by("date", "pk")

    def get(self, request):
        return self.render_queue(request)

    def render_queue(self, request, *, error: str = "", status_code: int = 200):
        form, status, queryset = self.filtered(request)
        total = queryset.count()
        proposals = list(queryset[:QUEUE_LIMIT])
        show_identity = can_see_identity(request.user)
        if show_identity:
            log_identity_reads(
                request.user,
                [p.involvement.worker for p in proposals],
                purpose="communications queue",
                path=request.path,
            )
        return render(
            request,
            "workers/communications_queue.html",
            {
                "filter_form": form,
                "status": status,
                "proposals": proposals,
                "total": total,
                "limit": QUEUE_LIMIT,
                "show_identity": show_identity,
                "may_decide": _may_decide(request.user) and status == ProposalStatus.PENDING,
                "may_import": may_import(request.user),
                "query": request.GET.urlencode(),
                "error": error,
            },
            status=status_code,
        )

    def post(self, request):
        if not _may_decide(request.user):
            raise PermissionDenied
        action = request.POST.get("action")
        ids = [value for value in request.POST.getlist("proposal") if value.isdigit()]
        back = reverse("workers:communications_queue")
        kept = QueryDict(request.POST.get("query", "")).copy()
        for key in list(kept):
            if key not in ProposalFilterForm.base_fields:
                del kept[key]
        if kept:
            back += "?" + kept.urlencode()
        proposals = list(
            self.get_queryset()
            .filter(pk__in=ids)
            .filter(Q(status=ProposalStatus.PENDING))
            .select_related("involvement__worker")
        )
        if action not in ("confirm", "reject") or not proposals:
            # Nothing ticked, or only proposals already decided (or that the user cannot see,
            # which answer the same).
            return self.render_queue(
                request,
                error=_("Tick at least one pending proposal, then confirm or reject."),
                status_code=422,
            )
        if action == "reject":
            count = proposals_reject(user=request.user, proposals=proposals)
            messages.success(request, _("Proposals rejected: %(n)d.") % {"n": count})
            return redirect(back)
        result = proposals_confirm(
            user=request.user, proposals=proposals, replace=request.POST.get("replace") == "1"
        )
        messages.success(request, _("Outcomes confirmed: %(n)d.") % {"n": result.confirmed})
        for proposal, message in result.refused:
            worker = proposal.involvement.worker
            messages.warning(request, f"{worker.last_name} {worker.first_name}: {message}")
        return redirect(back)
