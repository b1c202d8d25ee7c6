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
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.enums import Status as ProcedureStatus
from crisi_portal import notifications
from crisi_portal.errors import DomainError
from crisi_portal.models import NotificationKind
from crisi_portal.scoping import (
    AnyUser,
    UserOrSystem,
    ensure_editable,
    manages_reference_data,
    may_act_for_operator,
    province_officers,
)
from crisi_portal.services import delete_recorded, history_author, save_validated
from pal.enums import (
    ACTIVE_PIP_STATUSES,
    COMMITTING_PIP_STATUSES,
    EDITABLE_PIP_STATUSES,
    PIP_TRANSITIONS,
    DoteStatus,
    MemberKind,
    PIPStatus,
    RuleCode,
)
from pal.models import (
    PIP,
    CompetenceCertification,
    Dote,
    Measure,
    Network,
    NetworkMember,
    Operator,
    PIPService,
    PIPTransition,
    Qualification,
)
from workers.enums import Step
from workers.models import Involvement

ZERO = Decimal("0.00")


class PALRuleRefused(DomainError):
    """A rule of the active policies refused the change; ``code`` names the rule."""

    def __init__(self, code: RuleCode, message: str, *, field: str | None = None) -> None:
        self.code = code
        super().__init__(message, field=field)


def _euro(amount: Decimal) -> str:
    return f"€ {amount:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")


# --- Exclusivity -----------------------------------------------------------------------------


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
    """A worker in an exclusive measure (or a network) holds no other public PAL meanwhile."""
    for other in _live_doti_of(worker_id, start, end, exclude_dote):
        if other.measure_id == measure.pk:
            continue
        if measure.exclusive or other.measure.exclusive:
            exclusive = measure if measure.exclusive else other.measure
            raise PALRuleRefused(
                RuleCode.EXCLUSIVITY,
                _(
                    "Exclusivity: %(exclusive)s admits no other publicly funded active policy "
                    "in the same period, and the worker already has %(other)s."
                )
                % {"exclusive": exclusive.name, "other": other.measure.name},
                field="measure",
            )
    for network in _networks_of(worker_id, start, end):
        if network.measure_id != measure.pk:
            raise PALRuleRefused(
                RuleCode.EXCLUSIVITY,
                _(
                    "Exclusivity: the worker is served by the network %(network)s (an exclusive "
                    "measure) and cannot hold another publicly funded active policy."
                )
                % {"network": network.name},
                field="measure",
            )


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
    pip.decided_at = timezone.now()
    pip.decided_by = user if user is not None and user.is_authenticated else None
    _move(pip, PIPStatus.APPROVATO, user)
    _notify_filer(pip, NotificationKind.PIP_APPROVED, user)
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


# --- Reference data and certifications --------------------------------------------------------


def _require_region(user: UserOrSystem) -> None:
    if not manages_reference_data(user):
        raise PermissionDenied(_("Measures and operators are managed by the Region."))


@transaction.atomic
def measure_save(
    *, user: UserOrSystem, data: dict[str, Any], measure: Measure | None = None
) -> Measure:
    """Create or change a measure (Region officials)."""
    _require_region(user)
    measure = (
        Measure.objects.select_for_update().get(pk=measure.pk) if measure is not None else Measure()
    )
    for field, value in data.items():
        setattr(measure, field, value)
    save_validated(measure, user=user)
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
