"""Province staff review PIPs: a queue of the worker's province, approve or return with a note.

Thin views: fetch in scope (``PIP.objects.reviewable_by``; out of province is 404), call the
service, turn a refusal into a message that names the rule.
"""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from cases.models import Province
from crisi_portal.errors import DomainError
from crisi_portal.forms import StyledFormMixin
from crisi_portal.listing import FilteredListView
from crisi_portal.roles import Role
from crisi_portal.scoping import ScopedViewMixin, acting_provinces
from pal import services
from pal.enums import PIPStatus
from pal.filtersets import PIPFilterSet
from pal.models import PIP, Dote, Operator
from workers.enums import STEP_SHORT_LABELS, Step
from workers.selectors import can_see_identity, log_identity_reads

STAFF = frozenset({Role.PROVINCE_STAFF})


class ApproveForm(StyledFormMixin, forms.Form):
    """Approve, and move the worker to STEP 4 when the step allows it.

    The box says what will happen to *this* worker: ticked and open at STEP 3 (the one step
    STEP 4 is reached from), unticked and disabled otherwise — then the server reads it as
    unticked whatever is posted, so the step stays, as the help text says."""

    activate_step_4 = forms.BooleanField(
        label=gettext_lazy("Move the worker to STEP 4 naming the measure"),
        required=False,
    )

    def __init__(self, *args, current_step: str, measure: str, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["activate_step_4"]
        if current_step == Step.STEP_3:
            field.initial = True
            field.help_text = _("The worker moves from STEP 3 to STEP 4 under %(measure)s.") % {
                "measure": measure
            }
        else:
            field.initial = False
            field.disabled = True
            field.help_text = _(
                "The worker is at %(step)s: STEP 4 is reached from STEP 3, so the step will "
                "not change."
            ) % {"step": STEP_SHORT_LABELS[Step(current_step)]}


class ReturnForm(StyledFormMixin, forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What the operator must fix"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text=gettext_lazy("The operator sees this note on the PIP."),
    )

    def clean_note(self) -> str:
        note = self.cleaned_data["note"].strip()
        if not note:
            raise ValidationError(_("Say what the operator must fix."))
        return note


def approve_form_for(pip: PIP, data=None) -> ApproveForm:
    return ApproveForm(
        data,
        prefix="approve",
        current_step=pip.dote.involvement.current_step,
        measure=pip.dote.measure.name,
    )


def _reviewable(user):
    return PIP.objects.reviewable_by(user).select_related(
        "dote__involvement__worker",
        "dote__involvement__procedure__company",
        "dote__involvement__unit",
        "dote__operator",
        "dote__measure",
        "decided_by",
    )


class ReviewQueueView(FilteredListView):
    """Submitted PIPs first, the longest waiting on top; then the others, latest first."""

    roles = STAFF
    model = PIP
    filterset_class = PIPFilterSet
    template_name = "pal/review/queue.html"
    partial_template_name = "pal/review/_queue_table.html"

    def base_queryset(self):
        return (
            _reviewable(self.request.user)
            .exclude(status=PIPStatus.BOZZA)  # drafts are the operator's business
            .with_total()
            .annotate(
                waiting=Case(
                    When(status=PIPStatus.PRESENTATO, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .order_by("waiting", F("submitted_at").asc(nulls_last=True), "id")
        )

    def scope_filters(self, form) -> None:
        # Drafts never reach the queue, so the sidebar does not offer them.
        status = form.fields["status"]
        status.choices = [c for c in status.choices if c[0] != PIPStatus.BOZZA]
        # Offer only what is in the reviewer's scope: their provinces (none to choose from with
        # one) and the operators with a PIP in the queue. (The filter form validates against
        # these, so a value out of scope is refused, naming the field.)
        user = self.request.user
        in_queue = PIP.objects.reviewable_by(user).exclude(status=PIPStatus.BOZZA)
        provinces = acting_provinces(user)
        if provinces is not None:
            form.fields["province"].queryset = Province.objects.filter(code__in=provinces)
        self.offer_province = provinces is None or len(provinces) > 1
        form.fields["operator"].queryset = Operator.objects.filter(
            Exists(in_queue.filter(dote__operator=OuterRef("pk")))
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["show_identity"] = show_identity = can_see_identity(user)
        if show_identity:
            log_identity_reads(
                user,
                [pip.dote.involvement.worker for pip in context["object_list"]],
                purpose=_("PIP review queue"),
                path=self.request.path,
            )
        # Both figures count the list below, as filtered: its length, and how many of them
        # wait for a decision (the submitted ones, listed first).
        context["waiting_count"] = self.object_list.filter(status=PIPStatus.PRESENTATO).count()
        context["offer_province"] = self.offer_province
        return context


class ReviewPIPView(ScopedViewMixin, View):
    """The PIP in full, the rules as they stand now, and the two decisions."""

    roles = STAFF

    def get_pip(self) -> PIP:
        return get_object_or_404(_reviewable(self.request.user), pk=self.kwargs["pk"])

    def context(self, pip, approve_form=None, return_form=None) -> dict:
        user = self.request.user
        show_identity = can_see_identity(user)
        if show_identity:
            log_identity_reads(
                user, [pip.dote.involvement.worker], purpose=_("PIP review"), path=self.request.path
            )
        dote = Dote.objects.with_ledger().select_related("measure", "operator").get(pk=pip.dote_id)
        services_list = list(pip.services.all())
        total = sum((s.cost for s in services_list), start=Decimal("0.00"))
        rule_failure = None
        if pip.status == PIPStatus.PRESENTATO:
            # pip_rules_check only reads; what it refuses is what approving would refuse.
            try:
                services.pip_rules_check(pip)
                services.funding_check(pip, lock=False)
            except DomainError as exc:
                rule_failure = exc
        involvement = pip.dote.involvement
        return {
            "pip": pip,
            "dote": dote,
            "involvement": involvement,
            "worker": involvement.worker,
            "show_identity": show_identity,
            "step_label": STEP_SHORT_LABELS[Step(involvement.current_step)],
            "step_full_label": Step(involvement.current_step).label,
            "services": services_list,
            "total": total,
            "rule_failure": rule_failure,
            "can_decide": pip.status == PIPStatus.PRESENTATO,
            "approve_form": approve_form or approve_form_for(pip),
            "return_form": return_form or ReturnForm(prefix="return"),
            "transitions": pip.transitions.select_related("by"),
        }

    def render(self, pip, status=200, **forms_):
        return render(
            self.request, "pal/review/pip.html", self.context(pip, **forms_), status=status
        )

    def get(self, request, pk):
        return self.render(self.get_pip())


class ApprovePIPView(ReviewPIPView):
    def get(self, request, pk):
        return redirect(reverse("pal:review_pip", args=[self.get_pip().pk]))

    def post(self, request, pk):
        pip = self.get_pip()
        form = approve_form_for(pip, request.POST)
        if not form.is_valid():
            return self.render(pip, status=422, approve_form=form)
        try:
            approval = services.pip_approve(
                user=request.user, pip=pip, activate_step_4=form.cleaned_data["activate_step_4"]
            )
        except DomainError as exc:
            messages.error(request, _("Not approved: %(reason)s") % {"reason": exc.message})
            return redirect(reverse("pal:review_pip", args=[pip.pk]))
        except ValidationError as exc:
            messages.error(
                request, _("Not approved: %(reason)s") % {"reason": " ".join(exc.messages)}
            )
            return redirect(reverse("pal:review_pip", args=[pip.pk]))
        if approval.moved_to_step_4:
            messages.success(
                request,
                _("PIP %(id)s approved; the worker moved to STEP 4 under %(measure)s.")
                % {"id": pip.reference, "measure": pip.dote.measure.name},
            )
        else:
            step = pip.dote.involvement.current_step
            messages.success(
                request,
                _("PIP %(id)s approved; the worker stays at %(step)s.")
                % {"id": pip.reference, "step": STEP_SHORT_LABELS[Step(step)]},
            )
        if approval.step_note:
            messages.warning(request, approval.step_note)
        return redirect(reverse("pal:review_pip", args=[pip.pk]))


class ReturnPIPView(ReviewPIPView):
    def get(self, request, pk):
        return redirect(reverse("pal:review_pip", args=[self.get_pip().pk]))

    def post(self, request, pk):
        pip = self.get_pip()
        form = ReturnForm(request.POST, prefix="return")
        if not form.is_valid():
            return self.render(pip, status=422, return_form=form)
        try:
            services.pip_return(user=request.user, pip=pip, note=form.cleaned_data["note"])
        except DomainError as exc:
            if exc.field == "note":
                form.add_error("note", exc.message)
                return self.render(pip, status=422, return_form=form)
            messages.error(request, _("Not returned: %(reason)s") % {"reason": exc.message})
            return redirect(reverse("pal:review_pip", args=[pip.pk]))
        text = _("PIP %(id)s returned to the operator with your note.") % {"id": pip.reference}
        messages.success(request, text)
        return redirect(reverse("pal:review_queue"))
