"""Writes on workers and the step model. The only way to change a step is involvement_move.

Refusals carry a code of ``workers.enums.RuleCode`` (listed and explained there); the latest
move is ``StepTransition.objects.latest_first()``, a measure in force ``Measure.in_force_on``.
"""

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import CrisisProcedure, ProductionUnit
from crisi_portal import webhooks
from crisi_portal.errors import ConflictError, DomainError
from crisi_portal.history import bulk_history_recorded
from crisi_portal.models import WebhookEvent
from crisi_portal.scoping import UserOrSystem, acts_as_operator, ensure_editable, may_act_in
from crisi_portal.services import history_author, save_validated
from workers.enums import STEP_SHORT_LABELS, RuleCode, Step
from workers.models import (
    TRANSITIONS,
    Cohort,
    ExemptionReason,
    Involvement,
    MoveKind,
    Outcome,
    StepTransition,
    Worker,
)

if TYPE_CHECKING:
    # Only for the checker: pal is built on workers, not the other way round.
    from pal.models import Measure


class StepMoveRefused(DomainError):
    """A move the step table or its rules do not allow."""

    code = RuleCode.STEP_MOVE_REFUSED


class StepConflict(ConflictError):
    """Someone else moved the worker in the meantime."""

    code = RuleCode.STEP_CONFLICT


@dataclass
class BulkFailure:
    involvement: Involvement
    message: str


class BulkMoveRefused(DomainError):
    code = RuleCode.BULK_MOVE_REFUSED

    def __init__(self, failures: list[BulkFailure]) -> None:
        self.failures = failures
        super().__init__(
            ngettext(
                "%(n)d worker could not be moved: nobody was moved.",
                "%(n)d workers could not be moved: nobody was moved.",
                len(failures),
            )
            % {"n": len(failures)},
            errors=[
                {
                    "involvement": f.involvement.pk,
                    "worker": str(f.involvement.worker),
                    "message": f.message,
                }
                for f in failures
            ],
        )


BULK_BATCH_SIZE = 1000


def _label(step: str) -> str:
    return STEP_SHORT_LABELS[Step(step)] if step else "—"


def _refuse_operators(user: UserOrSystem) -> None:
    """Operators see their workers' involvements (and record outcomes) but the step model
    and the procedure data belong to the province's crisis unit."""
    if user is not None and acts_as_operator(user):
        raise PermissionDenied(_("Only the province's crisis unit moves workers between steps."))


def _may_correct(user: UserOrSystem) -> bool:
    return user is None or user.is_admin or user.is_province_staff


def _transition(
    involvement: Involvement,
    current: str,
    to: str,
    kind: str,
    effective_date: date,
    user: UserOrSystem,
    reason: str,
    exemption_reason: ExemptionReason | None,
    measure: "Measure | None",
) -> StepTransition:
    """The move of ``involvement`` from ``current`` to ``to``, not yet saved."""
    return StepTransition(
        involvement=involvement,
        from_step=current,
        to_step=to,
        kind=kind,
        effective_date=effective_date,
        recorded_by=user if user is not None and user.is_authenticated else None,
        reason=reason,
        exemption_reason=exemption_reason if to == Step.NO_PAL else None,
        measure=measure if to == Step.STEP_4 else None,
    )


@transaction.atomic
def involvement_move(
    *,
    user: UserOrSystem,
    involvement: Involvement,
    to: str,
    effective_date: date,
    reason: str = "",
    exemption_reason: ExemptionReason | None = None,
    measure: "Measure | None" = None,
    expected_from: str | None = None,
) -> StepTransition:
    """Move one worker in the step model, or refuse with the rule that forbids it.

    The involvement row is locked, so of two concurrent moves of the same worker one waits
    for the other and then finds the step changed (``expected_from``): a conflict.
    """
    locked = Involvement.objects.select_for_update().get(pk=involvement.pk)
    if user is not None:
        _refuse_operators(user)
        ensure_editable(locked, user)
    current = locked.current_step
    if expected_from is not None and expected_from != current:
        raise StepConflict(
            _("The worker is now at %(now)s, not %(expected)s: someone else moved them. Reload.")
            % {"now": _label(current), "expected": _label(expected_from)}
        )
    if to not in Step.values:
        raise StepMoveRefused(_("Unknown step %(to)s.") % {"to": to}, field="to")
    if to == current:
        raise StepMoveRefused(
            _("The worker is already at %(step)s: choose another step.")
            % {"step": _label(current)},
            field="to",
        )
    kind = TRANSITIONS.get((current, to))
    if kind is None:
        raise StepMoveRefused(
            _("A worker at %(frm)s cannot move to %(to)s.")
            % {"frm": _label(current), "to": _label(to)},
            field="to",
        )
    reason = (reason or "").strip()
    today = timezone.localdate()
    if effective_date > today:
        raise StepMoveRefused(
            _("The effective date cannot be in the future."), field="effective_date"
        )
    last = locked.transitions.latest_first().first()
    if last is not None and effective_date < last.effective_date:
        raise StepMoveRefused(
            _("The effective date cannot precede the previous move (%(date)s).")
            % {"date": last.effective_date.strftime("%d/%m/%Y")},
            field="effective_date",
        )
    if kind == MoveKind.EXEMPTION and exemption_reason is None:
        raise StepMoveRefused(
            _("Exempting a worker from PAL needs a reason."), field="exemption_reason"
        )
    if (
        exemption_reason is not None
        and not exemption_reason.is_active
        and kind == MoveKind.EXEMPTION
    ):
        raise StepMoveRefused(
            _("That exemption reason is no longer in use."), field="exemption_reason"
        )
    if kind == MoveKind.CORRECTION:
        if not _may_correct(user):
            raise PermissionDenied(_("Only province staff can move a worker back."))
        if not reason:
            raise StepMoveRefused(_("Moving a worker back needs a reason."), field="reason")
    if to == Step.STEP_4:
        if measure is None:
            raise StepMoveRefused(
                _("Activating a PAL (STEP 4) requires the measure."), field="measure"
            )
        if not measure.in_force_on(effective_date):
            raise StepMoveRefused(
                _("The measure %(measure)s is not in force on %(date)s.")
                % {"measure": measure.name, "date": effective_date.strftime("%d/%m/%Y")},
                field="measure",
            )

    transition = _transition(
        locked, current, to, kind, effective_date, user, reason, exemption_reason, measure
    )
    transition.full_clean()
    transition.save()
    locked.current_step = to
    locked.current_step_since = effective_date
    history_author(locked, user=user, reason=f"{_label(current)} → {_label(to)}")
    locked.save(update_fields=["current_step", "current_step_since", "updated_at"])
    involvement.current_step = to
    involvement.current_step_since = effective_date
    webhooks.emit(
        WebhookEvent.INVOLVEMENT_STEP_MOVED, locked, changes=_move_changes(current, to, kind)
    )
    return transition


def _move_changes(current: str, to: str, kind: str) -> dict[str, str]:
    """What a step-moved event says about the move (no personal data)."""
    return {"from_step": current, "to_step": to, "kind": kind}


def _move_in_bulk(
    *,
    user: UserOrSystem,
    involvements: list[Involvement],
    to: str,
    effective_date: date,
    reason: str,
    exemption_reason: ExemptionReason | None,
    measure: "Measure | None",
) -> list[StepTransition] | None:
    """The moves of :func:`involvements_move` when every one of them is allowed, in a fixed
    number of queries: the rows locked, the scope and the latest moves read at once, the
    moves inserted and the involvements updated in batches, with their history rows.

    The rules are :func:`involvement_move`'s; None, with nothing saved, as soon as one worker
    cannot move (or the same involvement is named twice): the caller then moves them one by
    one, to name every refusal exactly as it always has.
    """
    ids = [involvement.pk for involvement in involvements]
    if len(set(ids)) != len(ids) or to not in Step.values:
        return None
    if user is not None and acts_as_operator(user):
        return None
    reason = (reason or "").strip()
    today = timezone.localdate()
    if effective_date > today:
        return None
    with transaction.atomic():
        locked = {
            i.pk: i
            for i in Involvement.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        }
        if len(locked) != len(ids):
            return None
        if user is not None:
            editable = set(
                Involvement.objects.editable_by(user)
                .filter(pk__in=ids)
                .values_list("pk", flat=True)
            )
            if len(editable) != len(ids):
                return None
        latest = dict(
            StepTransition.objects.filter(involvement_id__in=ids)
            .order_by()
            .values("involvement_id")
            .annotate(last=Max("effective_date"))
            .values_list("involvement_id", "last")
        )
        now = timezone.now()
        transitions, changed = [], []
        for pk in ids:
            involvement = locked[pk]
            current = involvement.current_step
            kind = TRANSITIONS.get((current, to))
            last = latest.get(pk)
            if kind is None or (last is not None and effective_date < last):
                return None
            if kind == MoveKind.EXEMPTION and (
                exemption_reason is None or not exemption_reason.is_active
            ):
                return None
            if kind == MoveKind.CORRECTION and (not _may_correct(user) or not reason):
                return None
            if to == Step.STEP_4 and (measure is None or not measure.in_force_on(effective_date)):
                return None
            transition = _transition(
                involvement,
                current,
                to,
                kind,
                effective_date,
                user,
                reason,
                exemption_reason,
                measure,
            )
            # The rules above are the check constraints; the database enforces them again.
            transition.full_clean(
                exclude=["involvement", "recorded_by", "exemption_reason", "measure"],
                validate_constraints=False,
            )
            transitions.append(transition)
            involvement.current_step = to
            involvement.current_step_since = effective_date
            involvement.updated_at = now
            involvement._history_date = now  # type: ignore[attr-defined]  # one move, one moment
            history_author(involvement, user=user, reason=f"{_label(current)} → {_label(to)}")
            changed.append(involvement)
        StepTransition.objects.bulk_create(transitions, batch_size=BULK_BATCH_SIZE)
        # Every row gets the same values: one UPDATE, not bulk_update's CASE per row.
        Involvement.objects.filter(pk__in=ids).update(
            current_step=to, current_step_since=effective_date, updated_at=now
        )
        bulk_history_recorded(
            changed, Involvement, user=user, update=True, batch_size=BULK_BATCH_SIZE
        )
        # One event per kind of move, its deliveries in batches (webhooks.emit_many).
        groups: dict[tuple[str, str], list[Involvement]] = {}
        for transition in transitions:
            key = (transition.from_step, transition.kind)
            groups.setdefault(key, []).append(transition.involvement)
        for (current, kind), moved in groups.items():
            webhooks.emit_many(
                WebhookEvent.INVOLVEMENT_STEP_MOVED, moved, changes=_move_changes(current, to, kind)
            )
    for involvement in involvements:
        involvement.current_step = to
        involvement.current_step_since = effective_date
    return transitions


def involvements_move(
    *,
    user: UserOrSystem,
    involvements: list[Involvement],
    to: str,
    effective_date: date,
    reason: str = "",
    exemption_reason: ExemptionReason | None = None,
    measure: "Measure | None" = None,
) -> list[StepTransition]:
    """Move many workers at once (e.g. after a group meeting): all of them or none.

    Every worker that cannot move is listed with the reason; then nothing is saved.
    """
    if not involvements:
        raise StepMoveRefused(_("Select at least one worker."), field="involvements")
    try:
        moved = _move_in_bulk(
            user=user,
            involvements=involvements,
            to=to,
            effective_date=effective_date,
            reason=reason,
            exemption_reason=exemption_reason,
            measure=measure,
        )
    except (ValidationError, IntegrityError):
        moved = None  # rolled back: moved one by one below, each refusal named
    if moved is not None:
        return moved
    failures: list[BulkFailure] = []
    transitions: list[StepTransition] = []
    with transaction.atomic():
        for involvement in involvements:
            try:
                with transaction.atomic():
                    transitions.append(
                        involvement_move(
                            user=user,
                            involvement=involvement,
                            to=to,
                            effective_date=effective_date,
                            reason=reason,
                            exemption_reason=exemption_reason,
                            measure=measure,
                        )
                    )
            except (DomainError, ValidationError, PermissionDenied) as exc:
                message = getattr(exc, "message", None) or "; ".join(
                    getattr(exc, "messages", [str(exc)])
                )
                # ensure_editable's PermissionDenied carries no text: still say why.
                failures.append(
                    BulkFailure(involvement, str(message) or _("You cannot move this worker."))
                )
        if failures:
            transaction.set_rollback(True)
    if failures:
        raise BulkMoveRefused(failures)
    return transitions


@transaction.atomic
def involvement_create(
    *,
    user: UserOrSystem,
    worker: Worker,
    procedure: CrisisProcedure,
    unit: ProductionUnit,
    cohort: Cohort | None = None,
    data: dict[str, Any] | None = None,
    taken_in_charge_on: date | None = None,
) -> Involvement:
    """A worker taken in charge: the involvement starts at STEP_1 with its first transition."""
    if user is not None and not user.is_admin:
        if not may_act_in(user, unit.province_id):
            raise PermissionDenied(
                _("You cannot take in charge workers of a unit in province %(code)s.")
                % {"code": unit.province_id}
            )
    involvement = Involvement(worker=worker, procedure=procedure, unit=unit, cohort=cohort)
    for field, value in (data or {}).items():
        setattr(involvement, field, value)
    start = taken_in_charge_on or timezone.localdate()
    involvement.current_step = Step.STEP_1
    involvement.current_step_since = start
    save_validated(involvement, user=user)
    StepTransition.objects.create(
        involvement=involvement,
        from_step="",
        to_step=Step.STEP_1,
        kind=MoveKind.START,
        effective_date=start,
        recorded_by=user if user is not None and user.is_authenticated else None,
    )
    webhooks.emit(WebhookEvent.INVOLVEMENT_TAKEN_IN_CHARGE, involvement)
    return involvement


@transaction.atomic
def involvement_update(
    *, user: UserOrSystem, involvement: Involvement, data: dict[str, Any]
) -> Involvement:
    locked = Involvement.objects.select_for_update().get(pk=involvement.pk)
    if user is not None:
        _refuse_operators(user)
        ensure_editable(locked, user)
    new_unit = data.get("unit")
    if user is not None and new_unit is not None and new_unit.pk != locked.unit_id:
        # Moving a worker to another unit must not hand them to a province one doesn't serve.
        if not may_act_in(user, new_unit.province_id):
            raise PermissionDenied(
                _("You cannot move workers to a unit in province %(code)s.")
                % {"code": new_unit.province_id}
            )
    for field in (
        "unit",
        "cohort",
        "income_support",
        "hours_reduction_pct",
        "period_start",
        "period_end",
        "cpi",
    ):
        if field in data:
            setattr(locked, field, data[field])
    save_validated(locked, user=user)
    return locked


@transaction.atomic
def cohort_create(
    *,
    user: UserOrSystem,
    procedure: CrisisProcedure,
    name: str,
    unit: ProductionUnit | None = None,
    notes: str = "",
) -> Cohort:
    if user is not None and not user.is_admin:
        province = unit.province_id if unit is not None else procedure.lead_province_id
        if not may_act_in(user, province):
            raise PermissionDenied(
                _("You cannot create cohorts in province %(code)s.") % {"code": province}
            )
    cohort = Cohort(procedure=procedure, unit=unit, name=name.strip(), notes=notes)
    save_validated(cohort, user=user)
    return cohort


class CohortChangeRefused(DomainError):
    """Workers that cannot join (or leave) a group: nobody's group changes."""

    code = RuleCode.COHORT_CHANGE_REFUSED


def _regroup(
    *, user: UserOrSystem, involvements: list[Involvement], cohort: Cohort | None, reason: str
) -> int:
    """Set the group of ``involvements`` (None: no group), in a fixed number of queries, each
    with its history row (one moment for all: the procedure's history shows one line)."""
    ids = [i.pk for i in involvements]
    locked = list(Involvement.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if user is not None:
        _refuse_operators(user)
        editable = Involvement.objects.filter(pk__in=ids).editable_by(user).count()
        if editable != len(locked):
            raise PermissionDenied(_("Some of these workers are not in your provinces."))
    now = timezone.now()
    for involvement in locked:
        involvement.cohort = cohort
        involvement.updated_at = now
        involvement._history_date = now  # type: ignore[attr-defined]
        history_author(involvement, user=user, reason=reason)
    Involvement.objects.filter(pk__in=ids).update(
        cohort=cohort.pk if cohort is not None else None, updated_at=now
    )
    bulk_history_recorded(
        locked, Involvement, user=user, reason=reason, update=True, batch_size=BULK_BATCH_SIZE
    )
    for involvement in involvements:
        involvement.cohort = cohort
    return len(locked)


@transaction.atomic
def cohort_assign(*, user: UserOrSystem, cohort: Cohort, involvements: list[Involvement]) -> int:
    """Put workers into a cohort of their own procedure: all of them or none."""
    if not involvements:
        raise CohortChangeRefused(_("Select at least one worker."), field="involvements")
    if user is not None:
        ensure_editable(cohort, user)
    wrong = [i for i in involvements if i.procedure_id != cohort.procedure_id]
    if wrong:
        raise ValidationError(
            {"cohort": _("%(n)d workers belong to another procedure.") % {"n": len(wrong)}}
        )
    return _regroup(
        user=user,
        involvements=involvements,
        cohort=cohort,
        reason=_("Group: %(name)s") % {"name": cohort.name},
    )


@transaction.atomic
def cohort_remove(*, user: UserOrSystem, involvements: list[Involvement]) -> int:
    """Take workers out of their group: all of them or none (each must be in one)."""
    if not involvements:
        raise CohortChangeRefused(_("Select at least one worker."), field="involvements")
    ungrouped = sum(1 for i in involvements if i.cohort_id is None)
    if ungrouped:
        raise CohortChangeRefused(
            ngettext(
                "%(n)d of the selected workers is in no group: nobody was changed.",
                "%(n)d of the selected workers are in no group: nobody was changed.",
                ungrouped,
            )
            % {"n": ungrouped},
            field="involvements",
        )
    return _regroup(
        user=user, involvements=involvements, cohort=None, reason=_("Removed from the group")
    )


# What an outcome form or body may set.
OUTCOME_FIELDS = ("kind", "date", "contract_kind", "contract_end", "source", "employer", "notes")


@transaction.atomic
def outcome_record(
    *, user: UserOrSystem, involvement: Involvement, data: dict[str, Any]
) -> Outcome:
    """Record (or correct) where the worker ended up."""
    locked = Involvement.objects.select_for_update().get(pk=involvement.pk)
    if user is not None:
        ensure_editable(locked, user)
    outcome = Outcome.objects.filter(involvement=locked).first() or Outcome(involvement=locked)
    for field in OUTCOME_FIELDS:
        if field in data:
            setattr(outcome, field, data[field])
    # The date's rules (not in the future, not before the taking in charge) and the contract's
    # are the model's (Outcome.clean).
    save_validated(outcome, user=user)
    return outcome


# The personal details an officer keeps up to date on the worker page (issue #13, item 6).
WORKER_PERSONAL_FIELDS = (
    "citizenship",
    "citizenship_country",
    "education_level",
    "residence_province",
    "email",
    "phone",
)


@transaction.atomic
def worker_update_personal(*, user: UserOrSystem, worker: Worker, data: dict[str, Any]) -> Worker:
    """Citizenship, education, residence and contacts. Who may: the Nucleo of a province the
    worker is involved in, and admins (``Worker.objects.editable_by``); recorded in history."""
    locked = Worker.objects.select_for_update().get(pk=worker.pk)
    if user is not None:
        ensure_editable(locked, user)
    for field in WORKER_PERSONAL_FIELDS:
        if field in data:
            setattr(locked, field, data[field])
    save_validated(locked, user=user, reason=_("personal details updated"))
    return locked
