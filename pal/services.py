"""Writes on active policies: Doti, PIPs and their workflow, reporting, networks.

Every rule of §4 is checked here, inside a transaction, and refused with a PALRuleRefused
that names the rule in plain words and by a code of ``pal.enums.RuleCode`` (listed and
explained there). Caps are counted in the database across PIPs, with the measure's row locked
so that two submissions for the same company cannot both slip under. Rules that hold whatever
the path (HTML, API, admin) live on the models and are called from here: a Dote's dates
(``Dote.check_validity``), a PIP's Dote (``PIP.check_dote``). The PIP workflow table is
``pal.enums.PIP_TRANSITIONS``.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q, QuerySet, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.enums import Status as ProcedureStatus
from crisi_portal import notifications, webhooks
from crisi_portal.errors import DomainError
from crisi_portal.models import NotificationKind, WebhookEvent
from crisi_portal.scoping import (
    AnyUser,
    UserOrSystem,
    ensure_editable,
    manages_reference_data,
    may_act_for_operator,
    may_act_in,
    province_officers,
)
from crisi_portal.services import delete_recorded, history_author, save_validated
from pal import eligibility
from pal.enums import (
    ACTIVE_PIP_STATUSES,
    APPROVED_PIP_STATUSES,
    COMMITTING_PIP_STATUSES,
    EDITABLE_PIP_STATUSES,
    PIP_TRANSITIONS,
    Delivery,
    DoteStatus,
    MemberKind,
    PIPStatus,
    RuleCode,
    ServiceKind,
)
from pal.models import (
    PIP,
    AdmittedService,
    Attendance,
    CompetenceCertification,
    Dote,
    Fund,
    InvitationChannel,
    Measure,
    MeasureCatalogue,
    MeasureFunding,
    Network,
    NetworkMember,
    NetworkService,
    NetworkServiceLine,
    NetworkShare,
    Operator,
    Payment,
    PIPService,
    PIPTransition,
    Qualification,
    Step3Invitation,
    Step3Meeting,
)
from pal.spending import dote_figures
from pal.step3 import invitation_measures
from workers.enums import Step
from workers.models import Cohort, Involvement
from workers.services import involvements_move

ZERO = Decimal("0.00")


class PALRuleRefused(DomainError):
    """A rule of the active policies refused the change; ``code`` names the rule."""

    def __init__(self, code: RuleCode, message: str, *, field: str | None = None) -> None:
        self.code = code
        super().__init__(message, field=field)

    @classmethod
    def of(cls, failure: "eligibility.Failure", message: str | None = None) -> "PALRuleRefused":
        """The refusal for a rule of ``pal.eligibility`` (whose ``Failure`` names its
        RuleCode member, as every refusal here does)."""
        return cls(failure.code, message or failure.message, field=failure.field)


def _euro(amount: Decimal) -> str:
    return f"€ {amount:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")


# --- Exclusivity -----------------------------------------------------------------------------


def _pct(share: Decimal) -> str:
    """A percentage without trailing zeros: 40, 59.81."""
    return f"{share.normalize():f}"


def _overlaps(start: date, end: date | None) -> Q:
    """Doti whose validity overlaps [start, end]."""
    condition = Q(valid_until__gte=start)
    if end is not None:
        condition &= Q(valid_from__lte=end)
    return condition


def _live_doti_of(
    worker_id: int, start: date, end: date | None, exclude_dote: int | None
) -> QuerySet[Dote]:
    doti = Dote.objects.filter(involvement__worker_id=worker_id).exclude(status=DoteStatus.REVOCATA)
    if exclude_dote is not None:
        doti = doti.exclude(pk=exclude_dote)
    return doti.filter(_overlaps(start, end)).select_related("measure")


def _networks_of(worker_id: int, start: date, end: date | None) -> QuerySet[Network]:
    """Networks serving a cohort or procedure of the worker in the period."""
    involvements = Involvement.objects.filter(worker_id=worker_id)
    networks = Network.objects.filter(
        Q(cohorts__involvements__in=involvements) | Q(procedures__involvements__in=involvements)
    ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=start))
    if end is not None:
        networks = networks.filter(valid_from__lte=end)
    return networks.distinct()


def worker_exclusivity_check(
    *,
    worker_id: int,
    measure: Measure,
    start: date,
    end: date | None,
    exclude_dote: int | None = None,
) -> None:
    """A worker holds no two incompatible measures meanwhile (``pal.eligibility``): an
    exclusive measure (or a network) with no other, a measure with none it is marked
    incompatible with, both ways."""
    own = set(measure.incompatible_with.values_list("pk", flat=True))
    for other in _live_doti_of(worker_id, start, end, exclude_dote):
        if eligibility.incompatible(measure, other.measure, own):
            raise PALRuleRefused.of(eligibility.dote_conflict(measure, other.measure))
    for network in _networks_of(worker_id, start, end):
        if network.measure_id != measure.pk:
            raise PALRuleRefused.of(eligibility.network_conflict(network.name))


def eligibility_check(*, involvement: Involvement, measure: Measure, on: date) -> None:
    """The measure's rules about the worker (``pal.eligibility.rule_failures``) on ``on``:
    refused with the first failing rule's code, every failing rule named in the message."""
    failures = eligibility.rule_failures(involvement, measure, on=on)
    if failures:
        raise PALRuleRefused.of(failures[0], " ".join(f.message for f in failures))


# --- Doti ------------------------------------------------------------------------------------


def _require_operator_staff(user: AnyUser, operator: Operator) -> None:
    if not may_act_for_operator(user, operator):
        raise PermissionDenied(_("Only the operator's own staff can do this."))


@transaction.atomic
def dote_assign(
    *,
    user: UserOrSystem,
    involvement: Involvement,
    measure: Measure,
    operator: Operator,
    value: Decimal,
    valid_from: date,
    valid_until: date,
) -> Dote:
    """The worker chose this operator: open a Dote under the measure."""
    _require_operator_staff(user, operator)
    Dote.check_validity(valid_from, valid_until)
    if involvement.procedure.status == ProcedureStatus.CHIUSA:
        raise PALRuleRefused(
            RuleCode.PROCEDURE_CLOSED, _("The worker's procedure is closed."), field="involvement"
        )
    Measure.objects.select_for_update().get(pk=measure.pk)
    if not measure.in_force_on(valid_from):
        raise PALRuleRefused(
            RuleCode.MEASURE_NOT_IN_FORCE,
            _("The measure %(measure)s is not in force on %(date)s.")
            % {"measure": measure.name, "date": valid_from.strftime("%d/%m/%Y")},
            field="measure",
        )
    eligibility_check(involvement=involvement, measure=measure, on=valid_from)
    if measure.max_per_worker is not None and value > measure.max_per_worker:
        raise PALRuleRefused(
            RuleCode.CAP_PER_WORKER,
            _("The Dote (%(value)s) exceeds the measure's cap per worker (%(cap)s).")
            % {"value": _euro(value), "cap": _euro(measure.max_per_worker)},
            field="value",
        )
    worker_exclusivity_check(
        worker_id=involvement.worker_id, measure=measure, start=valid_from, end=valid_until
    )
    dote = Dote(
        involvement=involvement,
        measure=measure,
        operator=operator,
        value=value,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    save_validated(dote, user=user)
    return dote


# --- PIPs ------------------------------------------------------------------------------------


def _check_services(dote: Dote, services: Sequence[Mapping[str, Any]]) -> Decimal:
    """Each service inside the Dote validity; the plan within the Dote. Returns the total."""
    errors = []
    total = ZERO
    for index, service in enumerate(services):
        start, end = service["planned_start"], service["planned_end"]
        if start < dote.valid_from or end > dote.valid_until:
            errors.append(
                _("Service %(n)d: its dates must fall within the Dote (%(start)s – %(end)s).")
                % {
                    "n": index + 1,
                    "start": dote.valid_from.strftime("%d/%m/%Y"),
                    "end": dote.valid_until.strftime("%d/%m/%Y"),
                }
            )
        if end < start:
            errors.append(_("Service %(n)d ends before it starts.") % {"n": index + 1})
        total += Decimal(service["cost"])
    if errors:
        raise PALRuleRefused(RuleCode.SERVICE_DATES, " ".join(errors), field="services")
    return total


def _replace_services(pip: PIP, services: list[dict[str, Any]]) -> None:
    pip.services.all().delete()
    for service in services:
        item = PIPService(pip=pip, **{k: v for k, v in service.items() if k != "id"})
        item.full_clean(exclude=["pip"])
        item.save()


def _log(pip: PIP, frm: str, to: str, user: UserOrSystem, note: str = "") -> None:
    PIPTransition.objects.create(
        pip=pip,
        from_status=frm,
        to_status=to,
        by=user if user is not None and user.is_authenticated else None,
        note=note,
    )


@transaction.atomic
def pip_save(
    *,
    user: UserOrSystem,
    dote: Dote,
    objectives: str,
    services: list[dict[str, Any]],
    pip: PIP | None = None,
) -> PIP:
    """Create or edit a PIP while it is a draft (or returned); the rules run again on submit."""
    _require_operator_staff(user, dote.operator)
    if dote.status in (DoteStatus.CONCLUSA, DoteStatus.REVOCATA):
        raise PALRuleRefused(
            RuleCode.DOTE_CLOSED,
            _("The Dote is %(status)s.") % {"status": dote.get_status_display()},
        )
    if pip is not None:
        pip = PIP.objects.select_for_update().get(pk=pip.pk)
        try:
            pip.check_dote(dote.pk)
        except ValidationError as exc:
            raise ValidationError({"dote": exc}) from exc
        if pip.status not in EDITABLE_PIP_STATUSES:
            raise PALRuleRefused(
                RuleCode.PIP_NOT_EDITABLE,
                _("A PIP can be changed only while it is a draft or returned."),
            )
    total = _check_services(dote, services)
    if total > dote.value:
        raise PALRuleRefused(
            RuleCode.DOTE_VALUE,
            _("The PIP costs %(total)s, more than the Dote's value (%(value)s).")
            % {"total": _euro(total), "value": _euro(dote.value)},
            field="services",
        )
    pip = pip or PIP(dote=dote)
    pip.objectives = objectives
    save_validated(pip, user=user)
    _replace_services(pip, services)
    return pip


def pip_total(pip: PIP | None) -> Decimal:
    """What the PIP's services cost, summed in the database (zero for a PIP not yet saved)."""
    if pip is None:
        return ZERO
    return pip.services.aggregate(total=Sum("cost"))["total"] or ZERO


def pip_rules_check(pip: PIP) -> None:
    """The rules a PIP must meet to be submitted (measure row locked by the caller)."""
    dote = pip.dote
    measure = dote.measure
    involvement = dote.involvement
    # Who may receive the measure, judged on the Dote's first day (the age, the support then).
    eligibility_check(involvement=involvement, measure=measure, on=dote.valid_from)
    total = pip_total(pip)
    if total <= 0:
        raise PALRuleRefused(
            RuleCode.NO_SERVICES, _("A PIP needs at least one service with a cost.")
        )
    services = list(pip.services.values("planned_start", "planned_end", "cost"))
    _check_services(dote, services)

    committed_on_dote = (
        PIPService.objects.filter(pip__dote=dote, pip__status__in=COMMITTING_PIP_STATUSES)
        .exclude(pip=pip)
        .aggregate(total=Sum("cost"))["total"]
        or ZERO
    )
    if committed_on_dote + total > dote.value:
        raise PALRuleRefused(
            RuleCode.DOTE_VALUE,
            _("The PIP (%(total)s) exceeds what is left on the Dote (%(left)s).")
            % {"total": _euro(total), "left": _euro(dote.value - committed_on_dote)},
            field="services",
        )

    same_measure = PIPService.objects.filter(
        pip__dote__measure=measure, pip__status__in=COMMITTING_PIP_STATUSES
    ).exclude(pip=pip)
    if measure.max_per_worker is not None:
        worker_total = (
            same_measure.filter(pip__dote__involvement__worker=involvement.worker_id).aggregate(
                total=Sum("cost")
            )["total"]
            or ZERO
        )
        if worker_total + total > measure.max_per_worker:
            raise PALRuleRefused(
                RuleCode.CAP_PER_WORKER,
                _(
                    "Cap per worker: %(measure)s allows %(cap)s per worker; with this PIP "
                    "the worker would reach %(sum)s."
                )
                % {
                    "measure": measure.name,
                    "cap": _euro(measure.max_per_worker),
                    "sum": _euro(worker_total + total),
                },
                field="services",
            )
    if measure.max_per_company is not None:
        company_id = involvement.procedure.company_id
        company_total = (
            same_measure.filter(pip__dote__involvement__procedure__company=company_id).aggregate(
                total=Sum("cost")
            )["total"]
            or ZERO
        )
        if company_total + total > measure.max_per_company:
            raise PALRuleRefused(
                RuleCode.CAP_PER_COMPANY,
                _(
                    "Cap per company: %(measure)s allows %(cap)s per company; with this PIP "
                    "the company would reach %(sum)s."
                )
                % {
                    "measure": measure.name,
                    "cap": _euro(measure.max_per_company),
                    "sum": _euro(company_total + total),
                },
                field="services",
            )
    if measure.total_budget is not None:
        spent = same_measure.aggregate(total=Sum("cost"))["total"] or ZERO
        if spent + total > measure.total_budget:
            raise PALRuleRefused(
                RuleCode.MEASURE_BUDGET,
                _("The measure %(measure)s has no budget left for this PIP.")
                % {"measure": measure.name},
                field="services",
            )

    active = (
        PIP.objects.filter(
            dote__involvement__worker=involvement.worker_id, status__in=ACTIVE_PIP_STATUSES
        )
        .exclude(pk=pip.pk)
        .exists()
    )
    if active:
        raise PALRuleRefused(
            RuleCode.ONE_ACTIVE_PIP,
            _("The worker already has an active PIP: one at a time."),
        )
    worker_exclusivity_check(
        worker_id=involvement.worker_id,
        measure=measure,
        start=dote.valid_from,
        end=dote.valid_until,
        exclude_dote=dote.pk,
    )


def _move(pip: PIP, to: str, user: UserOrSystem, note: str = "") -> PIP:
    frm = pip.status
    if (frm, to) not in PIP_TRANSITIONS:
        raise PALRuleRefused(
            RuleCode.PIP_WORKFLOW,
            _("A PIP that is %(frm)s cannot become %(to)s.")
            % {"frm": PIPStatus(frm).label, "to": PIPStatus(to).label},
        )
    pip.status = to
    history_author(pip, user=user)
    pip.save()
    _log(pip, frm, to, user, note)
    return pip


def _dote_status(
    dote: Dote, status: str, user: UserOrSystem, *, only_from: str | None = None
) -> None:
    """Change the Dote's status through save(), so the audit history records it and who
    (never with ``queryset.update()``, which history does not see)."""
    locked = Dote.objects.select_for_update().get(pk=dote.pk)
    if only_from is not None and locked.status != only_from:
        return
    locked.status = status
    history_author(locked, user=user)
    locked.save(update_fields=["status", "updated_at"])
    dote.status, dote.updated_at = locked.status, locked.updated_at


def _locked(pip: PIP) -> PIP:
    # Lock the measure first, always in this order, so concurrent submissions serialise.
    Measure.objects.select_for_update().get(pk=pip.dote.measure_id)
    return (
        PIP.objects.select_for_update()
        .select_related("dote__measure", "dote__involvement__procedure", "dote__operator")
        .get(pk=pip.pk)
    )


@transaction.atomic
def pip_submit(*, user: UserOrSystem, pip: PIP) -> PIP:
    pip = _locked(pip)
    _require_operator_staff(user, pip.dote.operator)
    pip_rules_check(pip)
    pip.submitted_at = timezone.now()
    pip.return_note = pip.return_note if pip.status == PIPStatus.RESTITUITO else ""
    pip = _move(pip, PIPStatus.PRESENTATO, user)
    notifications.notify(
        province_officers([pip.dote.involvement.unit.province_id]),
        NotificationKind.PIP_SUBMITTED,
        key=f"pip-submitted:{pip.pk}:{pip.submitted_at:%Y%m%d%H%M%S%f}",
        url=reverse("pal:review_pip", args=[pip.pk]),
        params={"pip": pip.reference},
        actor=user,
    )
    return pip


def _notify_filer(pip: PIP, kind: str, user: UserOrSystem) -> None:
    """Tell the operator's staff member who last submitted ``pip`` of its decision."""
    filed = (
        PIPTransition.objects.filter(pip=pip, to_status=PIPStatus.PRESENTATO)
        .order_by("-at", "-pk")
        .values_list("by", flat=True)
        .first()
    )
    notifications.notify(
        [filed],
        kind,
        key=f"{kind}:{pip.pk}:{pip.decided_at:%Y%m%d%H%M%S%f}",
        url=reverse("pal:pip_detail", args=[pip.pk]),
        params={"pip": pip.reference},
        actor=user,
    )


def _require_reviewer(user: UserOrSystem, pip: PIP) -> None:
    if user is None:
        return
    if not PIP.objects.reviewable_by(user).filter(pk=pip.pk).exists():
        raise PermissionDenied(_("Only the crisis unit of the worker's province reviews PIPs."))


@dataclass
class Approval:
    pip: PIP
    moved_to_step_4: bool
    step_note: str


@transaction.atomic
def pip_approve(*, user: UserOrSystem, pip: PIP, activate_step_4: bool = True) -> Approval:
    """Approve; the worker's involvement reaches STEP 4 (through the step service) if at STEP 3."""
    pip = _locked(pip)
    _require_reviewer(user, pip)
    pip_rules_check(pip)
    funding_check(pip)
    pip.decided_at = timezone.now()
    pip.decided_by = user if user is not None and user.is_authenticated else None
    _move(pip, PIPStatus.APPROVATO, user)
    _notify_filer(pip, NotificationKind.PIP_APPROVED, user)
    webhooks.emit(WebhookEvent.PIP_DECIDED, pip, changes={"status": pip.status})
    _dote_status(pip.dote, DoteStatus.ATTIVA, user, only_from=DoteStatus.ASSEGNATA)
    involvement = pip.dote.involvement
    moved, note = False, ""
    if activate_step_4:
        if involvement.current_step == Step.STEP_3:
            from workers.services import involvement_move

            involvement_move(
                user=user,
                involvement=involvement,
                to=Step.STEP_4,
                effective_date=timezone.localdate(),
                measure=pip.dote.measure,
                reason=_("PIP %(id)s approved") % {"id": pip.reference},
            )
            moved = True
        elif involvement.current_step != Step.STEP_4:
            note = _(
                "The worker is at %(step)s: STEP 4 is reached from STEP 3, so the step was not "
                "changed."
            ) % {"step": Step(involvement.current_step).label}
    return Approval(pip, moved, note)


def funding_check(pip: PIP, *, lock: bool = True) -> None:
    """Approving ``pip`` commits its cost on its measure's funding sources, by share: refuse
    (``funding_overdrawn``) if any source would pass its budget.

    The sources' rows are locked first, in a fixed order (by id), so that two approvals
    drawing on the same source (through the same measure or different ones) serialise: the
    second reads what the first committed. ``lock=False``: only a preview (the review page),
    outside the approval's transaction."""
    shares = {
        row.fund_id: row.share
        for row in MeasureFunding.objects.filter(measure=pip.dote.measure_id).order_by("fund_id")
    }
    rows = Fund.objects.filter(pk__in=shares).order_by("pk")
    funds = list(rows.select_for_update() if lock else rows)
    budgeted = [fund for fund in funds if fund.budget is not None]
    if not budgeted:
        return
    share_path = "pip__dote__measure__fundings__share"
    committed = dict(
        PIPService.objects.filter(
            pip__status__in=APPROVED_PIP_STATUSES,
            pip__dote__measure__fundings__fund__in=[fund.pk for fund in budgeted],
        )
        .exclude(pip=pip)
        .order_by()
        .values_list("pip__dote__measure__fundings__fund")
        .annotate(total=Sum(F("cost") * F(share_path) / Decimal(100)))
    )
    total = pip_total(pip)
    for fund in budgeted:
        assert fund.budget is not None
        already = (committed.get(fund.pk) or ZERO).quantize(Decimal("0.01"))
        part = (total * shares[fund.pk] / Decimal(100)).quantize(Decimal("0.01"))
        if already + part > fund.budget:
            raise PALRuleRefused(
                RuleCode.FUNDING_OVERDRAWN,
                _(
                    "Funding source %(fund)s: its budget is %(budget)s, %(committed)s is "
                    "already committed; this PIP would add %(part)s (%(share)s %% of "
                    "%(total)s), %(over)s over the budget."
                )
                % {
                    "fund": fund.name,
                    "budget": _euro(fund.budget),
                    "committed": _euro(already),
                    "part": _euro(part),
                    "share": _pct(shares[fund.pk]),
                    "total": _euro(total),
                    "over": _euro(already + part - fund.budget),
                },
                field="services",
            )


@transaction.atomic
def pip_return(*, user: UserOrSystem, pip: PIP, note: str) -> PIP:
    pip = _locked(pip)
    _require_reviewer(user, pip)
    if not note.strip():
        raise PALRuleRefused(
            RuleCode.RETURN_NOTE, _("Say what the operator must fix."), field="note"
        )
    pip.return_note = note.strip()
    pip.decided_at = timezone.now()
    pip.decided_by = user if user is not None and user.is_authenticated else None
    pip = _move(pip, PIPStatus.RESTITUITO, user, note.strip())
    _notify_filer(pip, NotificationKind.PIP_RETURNED, user)
    webhooks.emit(WebhookEvent.PIP_DECIDED, pip, changes={"status": pip.status})
    return pip


@transaction.atomic
def pip_start(*, user: UserOrSystem, pip: PIP) -> PIP:
    pip = _locked(pip)
    _require_operator_staff(user, pip.dote.operator)
    return _move(pip, PIPStatus.IN_CORSO, user)


@transaction.atomic
def pip_conclude(*, user: UserOrSystem, pip: PIP) -> PIP:
    pip = _locked(pip)
    _require_operator_staff(user, pip.dote.operator)
    _move(pip, PIPStatus.CONCLUSO, user)
    _dote_status(pip.dote, DoteStatus.CONCLUSA, user)
    return pip


@transaction.atomic
def pip_withdraw(*, user: UserOrSystem, pip: PIP, note: str = "") -> PIP:
    pip = _locked(pip)
    _require_operator_staff(user, pip.dote.operator)
    return _move(pip, PIPStatus.RITIRATO, user, note)


@transaction.atomic
def service_report(
    *,
    user: UserOrSystem,
    service: PIPService,
    delivered_hours: Decimal,
    delivered_cost: Decimal,
    delivered_on: date,
) -> PIPService:
    """Rendicontazione: the operator that delivers the service reports what was done."""
    service = PIPService.objects.select_for_update().select_related("pip__dote").get(pk=service.pk)
    _require_operator_staff(user, service.pip.dote.operator)
    if service.pip.status not in (PIPStatus.APPROVATO, PIPStatus.IN_CORSO, PIPStatus.CONCLUSO):
        raise PALRuleRefused(
            RuleCode.REPORT_STATUS, _("Services are reported once the PIP is approved.")
        )
    if delivered_on > timezone.localdate():
        raise PALRuleRefused(
            RuleCode.REPORT_DATE,
            _("The report date cannot be in the future."),
            field="delivered_on",
        )
    service.delivered_hours = delivered_hours
    service.delivered_cost = delivered_cost
    service.delivered_on = delivered_on
    try:
        service.full_clean()
    except ValidationError as exc:
        raise PALRuleRefused(
            RuleCode.REPORT_BEYOND_PLAN,
            _("Reported hours and amount cannot exceed what the PIP planned."),
            field="delivered_cost",
        ) from exc
    service.save()
    return service


# --- Networks --------------------------------------------------------------------------------


@dataclass
class Check:
    code: str
    label: str
    ok: bool


def network_checks(network: Network) -> list[Check]:
    """The validity checklist of §4, each item true or false (shown as a checklist)."""
    members = list(network.members.all())  # callers prefetch members__operator
    lead = network.lead
    return [
        Check(
            "three_members",
            _("At least three members, the lead included"),
            len({m.operator_id or ("name", m.name) for m in members} | {lead.pk}) >= 3,
        ),
        Check(
            "lead_accredited",
            _("The lead is a CPI or an operator accredited for labour services"),
            lead.is_public or lead.accredited_for_labour,
        ),
        Check(
            "lead_member",
            _("The lead is among the members"),
            any(m.operator_id == lead.pk for m in members),
        ),
        Check(
            "province_member",
            _("The Province of the territory is a member"),
            any(
                m.kind == MemberKind.PROVINCIA and m.province_id == network.province_id
                for m in members
            ),
        ),
        Check(
            "cpi_member",
            _("The competent CPI of the territory is a member"),
            any(
                m.kind == MemberKind.CPI
                and (m.province_id == network.province_id)
                and (m.operator is None or m.operator.is_public)
                for m in members
            ),
        ),
        Check(
            "measure_exclusive",
            _("Its measure is exclusive (network workers hold no other PAL)"),
            network.measure.exclusive,
        ),
    ]


def network_is_valid(network: Network) -> bool:
    return all(check.ok for check in network_checks(network))


def network_editable_check(user: UserOrSystem, network: Network) -> None:
    if user is not None:
        ensure_editable(network, user)


@transaction.atomic
def network_save(
    *,
    user: UserOrSystem,
    data: dict[str, Any],
    members: list[dict[str, Any]],
    network: Network | None = None,
) -> Network:
    """Create or change a network with its members (Region officials)."""
    if network is not None:
        network_editable_check(user, network)
        network = Network.objects.select_for_update().get(pk=network.pk)
    elif user is not None and not (user.is_admin or user.is_region_official):
        raise PermissionDenied(_("Networks are managed by the Region."))
    network = network or Network()
    procedures = data.pop("procedures", None)
    cohorts = data.pop("cohorts", None)
    for field, value in data.items():
        setattr(network, field, value)
    lead = network.lead
    if not (lead.is_public or lead.accredited_for_labour):
        raise PALRuleRefused(
            RuleCode.NETWORK_LEAD,
            _("The lead must be a CPI or an operator accredited for labour services."),
            field="lead",
        )
    save_validated(network, user=user)
    if procedures is not None:
        network.procedures.set(procedures)
    if cohorts is not None:
        network.cohorts.set(cohorts)
    # One by one, so the history records each member removed and who removed it.
    for old in network.members.all():
        delete_recorded(old, user=user)
    for member in members:
        save_validated(NetworkMember(network=network, **member), user=user)
    return network


# --- Services delivered by the members of a network (source 003) ------------------------------
#
# "Ciascun operatore della rete possa effettuare singolarmente la rendicontazione dei servizi che
# eroga": the lead (capofila) gives each member a share, in euro, of its Dote for a network
# worker; the member reports the services it delivered against that Dote, within its share.
# Shares are amounts, not percentages: the Dote's value and the measure's caps are money, and a
# share in euro never rounds nor moves when nothing else changes.

CENT = Decimal("0.01")


def network_doti(network: Network) -> QuerySet[Dote]:
    """The lead's Doti for the workers the network serves (see ``DoteQuerySet.in_networks``)."""
    return Dote.objects.in_networks(Network.objects.filter(pk=network.pk))


def admitted_service_kinds(measure: Measure) -> frozenset[str] | None:
    """The service kinds of the measure's catalogue (another measure's, when its catalogue says
    ``services_from``); ``None``: the measure has no catalogue and admits every kind."""
    source = (
        MeasureCatalogue.objects.filter(measure=measure, services_from__isnull=False)
        .values_list("services_from", flat=True)
        .first()
    )
    kinds = AdmittedService.objects.filter(measure_id=source or measure.pk).values_list(
        "kind", flat=True
    )
    return frozenset(kinds) or None


def _does_not_exist(field: str, pk: object) -> ValidationError:
    """The answer for a reference outside the network: the same as for one that does not exist."""
    return ValidationError({field: _('Invalid pk "%(pk)s" - object does not exist.') % {"pk": pk}})


def _delivered_by(operator_id: int, dote_ids: Sequence[int]) -> dict[int, Decimal]:
    rows = (
        NetworkServiceLine.objects.filter(service__operator_id=operator_id, dote_id__in=dote_ids)
        .values("dote")
        .annotate(total=Sum("cost"))
        .values_list("dote", "total")
    )
    return dict(rows)


@transaction.atomic
def network_share_set(
    *, user: UserOrSystem, network: Network, operator: Operator, dote: Dote, amount: Decimal
) -> NetworkShare:
    """The lead gives a member (itself included) a share of its Dote for a network worker."""
    _require_operator_staff(user, network.lead)
    if not NetworkMember.objects.filter(network=network, operator=operator).exists():
        raise _does_not_exist("operator", operator.pk)
    if not network_doti(network).filter(pk=dote.pk).exists():
        raise _does_not_exist("dote", dote.pk)
    locked = Dote.objects.select_for_update().get(pk=dote.pk)
    share = NetworkShare.objects.select_for_update().filter(dote=dote, operator=operator).first()
    others = (
        NetworkShare.objects.filter(dote=dote)
        .exclude(operator=operator)
        .aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    left = locked.value - others
    if amount > left:
        raise PALRuleRefused(
            RuleCode.NETWORK_SHARE,
            _(
                "The shares of Dote %(dote)s cannot exceed its value (%(value)s): "
                "%(left)s remain for this member."
            )
            % {"dote": dote.pk, "value": _euro(locked.value), "left": _euro(left)},
            field="amount",
        )
    delivered = _delivered_by(operator.pk, [dote.pk]).get(dote.pk, ZERO)
    if amount < delivered:
        raise PALRuleRefused(
            RuleCode.NETWORK_SHARE,
            _(
                "The member already reported %(delivered)s on Dote %(dote)s: the share "
                "cannot be less."
            )
            % {"delivered": _euro(delivered), "dote": dote.pk},
            field="amount",
        )
    share = share or NetworkShare(network=network, dote=dote, operator=operator)
    share.amount = amount
    save_validated(share, user=user)
    return share


def _split(total: Decimal, parts: int) -> list[Decimal]:
    """``total`` in ``parts`` amounts to the cent that add up to it (the first take the cents
    left over)."""
    cents = int((total / CENT).to_integral_value())
    base, extra = divmod(cents, parts)
    return [(base + (1 if i < extra else 0)) * CENT for i in range(parts)]


@transaction.atomic
def network_service_report(
    *,
    user: UserOrSystem,
    network: Network,
    operator: Operator,
    kind: str,
    delivery: str = Delivery.INDIVIDUALE,  # the model's default, when a body leaves it out
    delivered_on: date,
    hours: Decimal,
    cost: Decimal,
    doti: Sequence[Dote],
    note: str = "",
) -> NetworkService:
    """A member reports a service it delivered to the network's workers, on the lead's Doti.

    A group service is reported once for its workers: each attended its hours, and its cost is
    split among their Doti (to the cent). Each worker's part must fit in what remains of the
    member's share of that Dote: the shares are locked, so two reports cannot both slip under.
    """
    _require_operator_staff(user, operator)
    network = (
        Network.objects.select_related("lead", "measure")
        .prefetch_related("members__operator")
        .get(pk=network.pk)
    )
    if not any(m.operator_id == operator.pk for m in network.members.all()):
        raise PermissionDenied(_("Only the network's members report its services."))
    if not network_is_valid(network):
        raise PALRuleRefused(
            RuleCode.NETWORK_NOT_VALID,
            _("The network does not meet every validity check: no service can be reported."),
        )
    admitted = admitted_service_kinds(network.measure)
    if admitted is not None and kind not in admitted:
        raise PALRuleRefused(
            RuleCode.SERVICE_NOT_ADMITTED,
            _("%(measure)s is not delivered with this service; it admits: %(kinds)s.")
            % {
                "measure": network.measure.name,
                "kinds": ", ".join(
                    str(label) for value, label in ServiceKind.choices if value in admitted
                ),
            },
            field="kind",
        )
    dote_ids = sorted({d.pk for d in doti})
    if not dote_ids:
        raise ValidationError({"doti": _("Choose the workers the service was delivered to.")})
    if delivery == Delivery.INDIVIDUALE and len(dote_ids) != 1:
        raise PALRuleRefused(
            RuleCode.GROUP_SIZE,
            _("An individual service is delivered to one worker."),
            field="doti",
        )
    if delivery == Delivery.GRUPPO and len(dote_ids) < 2:
        raise PALRuleRefused(
            RuleCode.GROUP_SIZE,
            _("A group service is delivered to two workers or more."),
            field="doti",
        )
    served = {d.pk: d for d in network_doti(network).filter(pk__in=dote_ids)}
    for pk in dote_ids:
        if pk not in served:
            raise _does_not_exist("doti", pk)
    if delivered_on > timezone.localdate():
        raise PALRuleRefused(
            RuleCode.REPORT_DATE,
            _("The delivery date cannot be in the future."),
            field="delivered_on",
        )
    for pk in dote_ids:
        dote = served[pk]
        if dote.status == DoteStatus.CONCLUSA:
            raise PALRuleRefused(
                RuleCode.DOTE_CLOSED,
                _("Dote %(dote)s is concluded.") % {"dote": pk},
                field="doti",
            )
        if not (dote.valid_from <= delivered_on <= dote.valid_until):
            raise PALRuleRefused(
                RuleCode.SERVICE_DATES,
                _("Dote %(dote)s is valid from %(start)s to %(end)s: the service falls outside.")
                % {
                    "dote": pk,
                    "start": dote.valid_from.strftime("%d/%m/%Y"),
                    "end": dote.valid_until.strftime("%d/%m/%Y"),
                },
                field="delivered_on",
            )
    # Lock the member's shares of these Doti (in id order, so concurrent reports serialise).
    shares = {
        share.dote_id: share
        for share in NetworkShare.objects.select_for_update()
        .filter(network=network, operator=operator, dote_id__in=dote_ids)
        .order_by("pk")
    }
    delivered = _delivered_by(operator.pk, dote_ids)
    parts = _split(cost, len(dote_ids))
    for pk, part in zip(dote_ids, parts, strict=True):
        share = shares.get(pk)
        if share is None:
            raise PALRuleRefused(
                RuleCode.NETWORK_SHARE,
                _("The lead gave you no share of Dote %(dote)s.") % {"dote": pk},
                field="doti",
            )
        left = share.amount - delivered.get(pk, ZERO)
        if part > left:
            raise PALRuleRefused(
                RuleCode.NETWORK_SHARE,
                _(
                    "Your share of Dote %(dote)s is %(share)s and %(left)s of it remain: "
                    "this service charges it %(part)s."
                )
                % {
                    "dote": pk,
                    "share": _euro(share.amount),
                    "left": _euro(left),
                    "part": _euro(part),
                },
                field="cost",
            )
    service = NetworkService(
        network=network,
        operator=operator,
        kind=kind,
        delivery=delivery,
        delivered_on=delivered_on,
        hours=hours,
        cost=cost,
        note=note,
    )
    save_validated(service, user=user)
    NetworkServiceLine.objects.bulk_create(
        NetworkServiceLine(service=service, dote_id=pk, hours=hours, cost=part)
        for pk, part in zip(dote_ids, parts, strict=True)
    )
    return service


# --- Reference data and certifications --------------------------------------------------------


def _require_region(user: UserOrSystem) -> None:
    if not manages_reference_data(user):
        raise PermissionDenied(_("Measures and operators are managed by the Region."))


@transaction.atomic
def measure_save(
    *, user: UserOrSystem, data: dict[str, Any], measure: Measure | None = None
) -> Measure:
    """Create or change a measure and its eligibility rules (Region officials).

    ``incompatible_with`` (other measures, symmetric) is set after the save, so the history
    records the change of the pairs with the measure's."""
    _require_region(user)
    measure = (
        Measure.objects.select_for_update().get(pk=measure.pk) if measure is not None else Measure()
    )
    data = dict(data)
    incompatible = data.pop("incompatible_with", None)
    for field, value in data.items():
        setattr(measure, field, value)
    save_validated(measure, user=user)
    if incompatible is not None:
        measure.incompatible_with.set([m for m in incompatible if m.pk != measure.pk])
    if not MeasureFunding.objects.filter(measure=measure).exists():
        # A new measure draws 100 % on the fund of its kind of source, until the Region
        # splits it (measure_fundings_set).
        fund = Fund.objects.filter(code=measure.funding_source).first()
        if fund is not None:
            save_validated(MeasureFunding(measure=measure, fund=fund, share=100), user=user)
    return measure


@transaction.atomic
def operator_save(
    *,
    user: UserOrSystem,
    data: dict[str, Any],
    offices: list[dict[str, Any]] | None = None,
    operator: Operator | None = None,
) -> Operator:
    """Create or change an accredited operator and, when given, its offices (Region)."""
    from pal.models import OperatorOffice

    _require_region(user)
    operator = (
        Operator.objects.select_for_update().get(pk=operator.pk)
        if operator is not None
        else Operator()
    )
    for field, value in data.items():
        setattr(operator, field, value)
    save_validated(operator, user=user)
    if offices is not None:
        operator.offices.all().delete()
        for office in offices:
            item = OperatorOffice(operator=operator, **office)
            item.full_clean()
            item.save()
    return operator


@transaction.atomic
def certification_record(
    *,
    user: UserOrSystem,
    pip: PIP,
    qualification: Qualification | None,
    competences: str,
    certified_on: date,
    title: str = "",
) -> CompetenceCertification:
    """Competences certified at the end of a PIP's training, by the PIP's operator.

    Against a qualification of the catalogue (2010 agreement, point 6), by an operator
    accredited for training: certifying competences belongs to the training system (l.r.
    19/2007, art. 10). The worker is the PIP's, so one the operator's staff see."""
    _require_operator_staff(user, pip.dote.operator)
    if qualification is None or not qualification.is_active:
        raise PALRuleRefused(
            RuleCode.CERTIFICATION_QUALIFICATION,
            _("Choose the qualification certified from the catalogue."),
            field="qualification",
        )
    if not pip.dote.operator.accredited_for_training:
        raise PALRuleRefused(
            RuleCode.CERTIFICATION_ACCREDITATION,
            _("Only an operator accredited for training can certify competences."),
            field="qualification",
        )
    if pip.status not in (PIPStatus.IN_CORSO, PIPStatus.CONCLUSO):
        raise PALRuleRefused(
            RuleCode.CERTIFICATION_STATUS,
            _("Competences are certified once the PIP's training is under way or concluded."),
        )
    if certified_on > timezone.localdate():
        raise PALRuleRefused(
            RuleCode.CERTIFICATION_DATE,
            _("The certification date cannot be in the future."),
            field="certified_on",
        )
    certification = CompetenceCertification(
        worker=pip.dote.involvement.worker,
        pip=pip,
        operator=pip.dote.operator,
        qualification=qualification,
        title=(title or qualification.title)[:200],
        competences=competences,
        certified_on=certified_on,
    )
    save_validated(certification, user=user)
    return certification


# --- STEP 3 meetings (issue #14 item 2) -------------------------------------------------------


def _require_convener(user: UserOrSystem, province: str) -> None:
    """STEP 3 meetings are convened by a province's Nucleo (admins, and the system, too)."""
    if user is None or user.is_admin:
        return
    if not (user.is_province_staff and may_act_in(user, province)):
        raise PermissionDenied(_("STEP 3 meetings are convened by the province's Nucleo."))


def _invitees(
    user: UserOrSystem,
    cohorts: Sequence[Cohort],
    involvements: Sequence[Involvement] | None,
) -> QuerySet[Involvement]:
    """Whom a meeting invites: the workers named (a second meeting), or the cohorts' workers
    not exempted from PAL; always among the workers the convener may act on."""
    rows = Involvement.objects.all() if user is None else Involvement.objects.editable_by(user)
    if involvements is not None:
        return rows.filter(pk__in=[i.pk for i in involvements])
    return rows.filter(cohort__in=list(cohorts)).exclude(current_step=Step.NO_PAL)


@transaction.atomic
def step3_meeting_save(
    *,
    user: UserOrSystem,
    data: dict[str, Any],
    cohorts: Sequence[Cohort],
    presenters: Sequence[Operator] = (),
    involvements: Sequence[Involvement] | None = None,
    follow_up_of: Step3Meeting | None = None,
    meeting: Step3Meeting | None = None,
) -> Step3Meeting:
    """Create or change a STEP 3 meeting and the list of workers it invites.

    ``involvements`` names the workers of a second meeting (only they are invited); otherwise
    the cohorts' workers are, and a change of cohorts adds the new ones and drops those not
    yet invited of the cohorts removed. The invited may not exceed the capacity (a refusal on
    ``capacity``); the presenters must be accredited operators (``presenters``).
    """
    if meeting is not None:
        if user is not None:
            ensure_editable(meeting, user)
        meeting = Step3Meeting.objects.select_for_update().get(pk=meeting.pk)
        follow_up_of = meeting.follow_up_of
    else:
        meeting = Step3Meeting(follow_up_of=follow_up_of)
    for field, value in data.items():
        setattr(meeting, field, value)
    _require_convener(user, meeting.province_id)
    if not cohorts:
        raise ValidationError({"cohorts": _("Choose at least one cohort.")})
    if user is not None:
        visible = Cohort.objects.visible_to(user).filter(pk__in=[c.pk for c in cohorts]).count()
        if visible != len({c.pk for c in cohorts}):
            raise ValidationError({"cohorts": _("Choose cohorts you can see.")})
    if any(not (p.accredited_for_labour or p.is_public) for p in presenters):
        raise ValidationError(
            {"presenters": _("Only operators accredited for labour services (or CPIs) present.")}
        )
    if involvements is None and follow_up_of is not None:
        # A second meeting keeps the workers it was made for.
        involvements = (
            list(Involvement.objects.filter(step3_invitations__meeting=meeting))
            if meeting.pk
            else []
        )
    wanted = set(_invitees(user, cohorts, involvements).values_list("pk", flat=True))
    if involvements is not None and len(wanted) != len({i.pk for i in involvements}):
        raise ValidationError({"involvements": _("Choose workers you can act on.")})
    existing = dict(meeting.invitations.values_list("involvement_id", "pk")) if meeting.pk else {}
    # Invitations already sent, or with attendance, stay whatever the cohorts now say.
    kept = set(
        meeting.invitations.filter(Q(sent_at__isnull=False) | ~Q(attendance="")).values_list(
            "involvement_id", flat=True
        )
        if meeting.pk
        else []
    )
    final = wanted | kept
    if len(final) > (meeting.capacity or 0):
        raise ValidationError(
            {
                "capacity": _(
                    "The meeting invites %(n)d workers: more than its capacity of %(capacity)d."
                )
                % {"n": len(final), "capacity": meeting.capacity or 0}
            }
        )
    save_validated(meeting, user=user)
    meeting.cohorts.set(cohorts)
    meeting.presenters.set(presenters)
    for stale in meeting.invitations.filter(
        involvement_id__in=set(existing) - final
    ).select_related("involvement"):
        delete_recorded(stale, user=user, reason=_("no longer in the meeting's cohorts"))
    for involvement_id in sorted(final - set(existing)):
        save_validated(
            Step3Invitation(meeting=meeting, involvement_id=involvement_id),
            user=user,
            exclude=["meeting", "involvement"],
        )
    return meeting


def _send_invitation_email(invitation_id: int, measures: list[str]) -> None:
    invitation = Step3Invitation.objects.select_related(
        "meeting", "involvement__worker", "involvement__procedure__company"
    ).get(pk=invitation_id)
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "invitation": invitation,
            "meeting": invitation.meeting,
            "worker": invitation.involvement.worker,
            "measures": measures,
        }
        subject = _("Invitation to a meeting on the active labour policies (STEP 3)")
        body = render_to_string("pal/step3/invitation_email.txt", context)
    send_mail(str(subject), body, None, [invitation.involvement.worker.email])


@transaction.atomic
def step3_invitations_send(*, user: UserOrSystem, meeting: Step3Meeting) -> dict[str, int]:
    """Send the invitations not yet sent: by e-mail to the workers with an address, as a
    printable letter to the others. Each is recorded (channel, when, by whom) once: sending
    again reaches only those not yet invited. Returns how many went by each channel."""
    if user is not None:
        ensure_editable(meeting, user)
    pending = list(
        meeting.invitations.select_for_update(of=("self",))
        .filter(sent_at__isnull=True)
        .select_related("involvement__worker")
    )
    measures = invitation_measures([i.involvement for i in pending], meeting.date)
    now = timezone.now()
    sent = {InvitationChannel.EMAIL: 0, InvitationChannel.LETTER: 0}
    for invitation in pending:
        email = invitation.involvement.worker.email
        invitation.channel = InvitationChannel.EMAIL if email else InvitationChannel.LETTER
        invitation.sent_at = now
        invitation.sent_by = user if user is not None and user.is_authenticated else None
        save_validated(invitation, user=user, reason=_("invitation sent"))
        sent[invitation.channel] += 1
        if email:
            names = [m.name for m in measures.get(invitation.involvement_id, [])]
            transaction.on_commit(partial(_send_invitation_email, invitation.pk, names))
    return {str(k): v for k, v in sent.items()}


@transaction.atomic
def step3_attendance_record(
    *, user: UserOrSystem, meeting: Step3Meeting, attendance: Mapping[int, str]
) -> int:
    """Record who came (present, absent justified, absent), by invitation id; an empty value
    leaves a worker unrecorded. Not before the meeting's day. Returns how many changed."""
    if user is not None:
        ensure_editable(meeting, user)
    if meeting.date > timezone.localdate():
        raise ValidationError(
            {"attendance": _("Attendance is recorded on or after the day of the meeting.")}
        )
    unknown = [value for value in attendance.values() if value and value not in Attendance.values]
    if unknown:
        raise ValidationError({"attendance": _("Choose present, absent justified or absent.")})
    changed = 0
    for invitation in meeting.invitations.select_for_update().filter(pk__in=list(attendance)):
        value = attendance[invitation.pk]
        if value != invitation.attendance:
            invitation.attendance = value
            save_validated(invitation, user=user, reason=_("attendance recorded"))
            changed += 1
    return changed


def step3_movable(meeting: Step3Meeting) -> QuerySet[Involvement]:
    """The present workers still at STEP 1 or 2: those the meeting brings to STEP 3."""
    return Involvement.objects.filter(
        step3_invitations__meeting=meeting,
        step3_invitations__attendance=Attendance.PRESENT,
        current_step__in=(Step.STEP_1, Step.STEP_2),
    )


@transaction.atomic
def step3_move_present(*, user: UserOrSystem, meeting: Step3Meeting) -> list:
    """Move the meeting's present workers at STEP 1/2 to STEP 3 on the meeting's day, all of
    them or none, through the step service (``workers.services.involvements_move``). The step
    model moves one step at a time: those at STEP 1 go through STEP 2 on the same day, in the
    same transaction; any refusal (``BulkMoveRefused``, each worker named) undoes both."""
    if user is not None:
        ensure_editable(meeting, user)
    involvements = list(step3_movable(meeting).select_related("worker").order_by("pk"))
    reason = _("STEP 3 meeting of %(date)s") % {"date": meeting.date.strftime("%d/%m/%Y")}
    at_step_1 = [i for i in involvements if i.current_step == Step.STEP_1]
    moved = []
    for group, to in ((at_step_1, Step.STEP_2), (involvements, Step.STEP_3)):
        if group or to == Step.STEP_3:  # an empty list is refused by name (field involvements)
            moved += involvements_move(
                user=user, involvements=group, to=to, effective_date=meeting.date, reason=reason
            )
    return moved


@transaction.atomic
def qualification_save(
    *, user: UserOrSystem, data: dict[str, Any], qualification: Qualification | None = None
) -> Qualification:
    """Create or change a qualification of the catalogue (the Region); by framework and code
    when ``qualification`` is not given (the import of the Region's export)."""
    _require_region(user)
    if qualification is None and data.get("code"):
        qualification = Qualification.objects.filter(
            framework=data.get("framework", Qualification.Framework.QRSP), code=data["code"]
        ).first()
    qualification = (
        Qualification.objects.select_for_update().get(pk=qualification.pk)
        if qualification is not None
        else Qualification()
    )
    for field, value in data.items():
        setattr(qualification, field, value)
    save_validated(qualification, user=user)
    return qualification


# --- Money: funding sources, measures' shares, payments ------------------------------------


@transaction.atomic
def fund_save(*, user: UserOrSystem, data: dict[str, Any], fund: Fund | None = None) -> Fund:
    """Create or change a funding source (Region officials); the history records who."""
    _require_region(user)
    fund = Fund.objects.select_for_update().get(pk=fund.pk) if fund is not None else Fund()
    for field, value in data.items():
        setattr(fund, field, value)
    save_validated(fund, user=user)
    return fund


@transaction.atomic
def measure_fundings_set(
    *, user: UserOrSystem, measure: Measure, shares: Sequence[tuple[Fund, Decimal]]
) -> None:
    """Replace the measure's funding shares: each source once, shares that sum to 100 %
    (``funding_shares``, an error on ``shares``)."""
    _require_region(user)
    Measure.objects.select_for_update().get(pk=measure.pk)
    funds = [fund.pk for fund, _share in shares]
    if not shares:
        raise PALRuleRefused(
            RuleCode.FUNDING_SHARES,
            _("A measure draws on at least one funding source."),
            field="shares",
        )
    if len(set(funds)) != len(funds):
        raise PALRuleRefused(
            RuleCode.FUNDING_SHARES,
            _("Each funding source appears once among the measure's shares."),
            field="shares",
        )
    total = sum((share for _fund, share in shares), ZERO)
    if any(share <= 0 for _fund, share in shares) or total != Decimal(100):
        raise PALRuleRefused(
            RuleCode.FUNDING_SHARES,
            _(
                "The shares of the measure's funding sources must sum to 100 %% (they sum to "
                "%(total)s %%)."
            )
            % {"total": _pct(total)},
            field="shares",
        )
    wanted = {fund.pk: share for fund, share in shares}
    for row in MeasureFunding.objects.filter(measure=measure):
        share = wanted.pop(row.fund_id, None)
        if share is None:
            delete_recorded(row, user=user)
        elif row.share != share:
            row.share = share
            save_validated(row, user=user)
    for fund_id, share in wanted.items():
        save_validated(MeasureFunding(measure=measure, fund_id=fund_id, share=share), user=user)


@transaction.atomic
def payment_record(
    *, user: UserOrSystem, dote: Dote, paid_on: date, amount: Decimal, reference: str
) -> Payment:
    """Record a payment on a Dote (the Region): never beyond what was delivered on it
    (``payment_beyond_delivered``, an error on ``amount``); the Dote's row is locked, so two
    payments recorded at once cannot both slip under."""
    if not manages_reference_data(user):
        raise PermissionDenied(_("Payments are recorded by the Region."))
    locked = Dote.objects.select_for_update().get(pk=dote.pk)
    if paid_on > timezone.localdate():
        raise PALRuleRefused(
            RuleCode.REPORT_DATE, _("The payment date cannot be in the future."), field="paid_on"
        )
    figures = dote_figures(locked)
    if figures["paid"] + amount > figures["delivered"]:
        raise PALRuleRefused(
            RuleCode.PAYMENT_BEYOND_DELIVERED,
            _(
                "The payments would reach %(paid)s, more than the %(delivered)s delivered on "
                "the Dote (%(left)s can still be paid)."
            )
            % {
                "paid": _euro(figures["paid"] + amount),
                "delivered": _euro(figures["delivered"]),
                "left": _euro(max(figures["delivered"] - figures["paid"], ZERO)),
            },
            field="amount",
        )
    payment = Payment(
        dote=locked,
        paid_on=paid_on,
        amount=amount,
        reference=reference.strip(),
        recorded_by=user if user is not None and user.is_authenticated else None,
    )
    save_validated(payment, user=user)
    return payment
