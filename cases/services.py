"""Writes on crisis procedures: the only code that creates or changes them.

Rules that belong to a procedure whatever the path (HTML, API, admin) live on the model and
are called from here (``CrisisProcedure.check_company``); their refusal codes are listed in
``cases.enums.RuleCode``.
"""

import datetime
import secrets
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.enums import AgreementGoal
from cases.models import (
    AgendaItem,
    Agreement,
    CalendarFeed,
    Company,
    CompanyChangeProposal,
    CrisisProcedure,
    Meeting,
    MeetingDecision,
    MeetingParticipant,
    ProductionUnit,
    Province,
)
from cases.selectors import feed_hash
from crisi_portal import notifications, webhooks
from crisi_portal.errors import ConflictError
from crisi_portal.identifiers import normalise_tax_code
from crisi_portal.models import NotificationKind, User, WebhookEvent
from crisi_portal.scoping import (
    UserOrSystem,
    ensure_editable,
    is_editable,
    may_act_in,
    province_officers,
)
from crisi_portal.services import delete_recorded, save_validated

PROCEDURE_FIELDS = (
    "external_id",
    "family",
    "cause",
    "concession_kind",
    "opened_on",
    "start_date",
    "end_date",
    "union_agreement_date",
    "status",
    "lead_province",
    "high_complexity",
    "complexity_note",
    "notes",
)
UNIT_FIELDS = ("external_id", "name", "address", "comune", "province", "workers_involved")
COMPANY_FIELDS = ("name", "tax_code", "ateco_code", "kind")


def _require_province(user: UserOrSystem, province: Province | str, message: str) -> None:
    """Refuse with ``message`` (a sentence with %(code)s) unless the user acts there."""
    if not may_act_in(user, province):
        code = province.code if isinstance(province, Province) else province
        raise PermissionDenied(message % {"code": code})


def _lead_message() -> str:
    return _("You can lead procedures only in your own provinces, not in %(code)s.")


def _unit_message() -> str:
    return _("You can add or change production units only in your own provinces, not in %(code)s.")


def _meeting_message() -> str:
    return _("You can record only the meetings your own Nucleo convened, not %(code)s's.")


def _assign(instance: models.Model, data: dict[str, Any], fields: Iterable[str]) -> None:
    """Copy the named fields from ``data``; foreign keys may be given as ``<name>_id``."""
    for field in fields:
        if field in data:
            setattr(instance, field, data[field])
        elif f"{field}_id" in data:
            setattr(instance, f"{field}_id", data[f"{field}_id"])


def _choose_cpi(unit: ProductionUnit, data: dict[str, Any]) -> None:
    """A CPI given is the officer's choice, kept when the municipality changes; ``None`` given
    hands the unit back to the reference table (``ProductionUnit.derive_cpi`` on save)."""
    if "cpi" in data:
        unit.cpi = data["cpi"]
        unit.cpi_chosen = data["cpi"] is not None


def external_id_generate(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10].upper()}"


@transaction.atomic
def company_upsert(
    *, user: UserOrSystem, tax_code: str, name: str, ateco_code: str = "", kind: str = ""
) -> Company:
    """The company with this tax code, created or with its name and details brought up to date.

    The tax code is unique, so a stored company is always the one used. Its details change only
    if ``user`` may change the record (``scoping``: an admin, the system, or a province leading
    all its procedures); anyone else's differing details become a
    :class:`~cases.models.CompanyChangeProposal` and the record stays as it is — a province
    never renames a company other provinces work on. ``company.change_proposed`` tells.
    """
    code = normalise_tax_code(tax_code)
    company = Company.objects.select_for_update().filter(tax_code=code).first()
    if company is None:
        company = Company(tax_code=code)
    wanted = {
        field: value
        for field, value in (
            ("name", " ".join(name.split())),
            ("ateco_code", ateco_code),
            ("kind", kind),
        )
        if value and getattr(company, field) != value
    }
    company.change_proposed = False
    if company.pk is not None and wanted and user is not None and not is_editable(company, user):
        CompanyChangeProposal.objects.create(company=company, proposed_by=user, **wanted)
        company.change_proposed = True
        return company
    for field, value in wanted.items():
        setattr(company, field, value)
    if company.pk is None or wanted:
        try:
            save_validated(company, user=user)
        except ValidationError as exc:
            raise ValidationError(
                {
                    f"company_{key}" if key != "__all__" else key: value
                    for key, value in exc.message_dict.items()
                }
            ) from exc
    return company


@transaction.atomic
def company_proposal_decide(
    *, user: UserOrSystem, proposal: CompanyChangeProposal, accept: bool
) -> None:
    """The Region (an admin) accepts a proposed change to a company record, or rejects it."""
    if user is not None and not user.is_admin:
        raise PermissionDenied(_("Only the Region's administrators decide company changes."))
    proposal = CompanyChangeProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.decision != CompanyChangeProposal.Decision.PENDING:
        return
    if accept:
        company = Company.objects.select_for_update().get(pk=proposal.company_id)
        for field in ("name", "ateco_code", "kind"):
            if getattr(proposal, field):
                setattr(company, field, getattr(proposal, field))
        save_validated(company, user=user)
    proposal.decision = (
        CompanyChangeProposal.Decision.ACCEPTED
        if accept
        else CompanyChangeProposal.Decision.REJECTED
    )
    proposal.decided_by = user
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["decision", "decided_by", "decided_at"])


@transaction.atomic
def procedure_create(
    *,
    user: UserOrSystem,
    company: Company,
    data: dict[str, Any],
    units: Sequence[dict[str, Any]] = (),
) -> CrisisProcedure:
    """Open a procedure with its production units; the lead province must be the user's."""
    procedure = CrisisProcedure(company=company)
    _assign(procedure, data, PROCEDURE_FIELDS)
    if procedure.lead_province_id:
        _require_province(user, procedure.lead_province_id, _lead_message())
    if not procedure.external_id:
        procedure.external_id = external_id_generate(procedure.lead_province_id or "NC")
    save_validated(procedure, user=user)
    for unit_data in units:
        unit_create(user=user, procedure=procedure, data=unit_data, _lead_checked=True)
    webhooks.emit(WebhookEvent.PROCEDURE_CREATED, procedure)
    return procedure


@transaction.atomic
def procedure_update(
    *, user: UserOrSystem, procedure: CrisisProcedure, data: dict[str, Any]
) -> CrisisProcedure:
    """Change procedure-level fields: only the lead province's staff (or an admin) may."""
    procedure = CrisisProcedure.objects.select_for_update().get(pk=procedure.pk)
    if user is not None:
        ensure_editable(procedure, user)
    _assign(procedure, data, PROCEDURE_FIELDS)
    if "lead_province" in data and user is not None:
        _require_province(user, procedure.lead_province_id, _lead_message())
    save_validated(procedure, user=user)
    webhooks.emit(
        WebhookEvent.PROCEDURE_UPDATED,
        procedure,
        changes=[field for field in data if field in PROCEDURE_FIELDS],
    )
    return procedure


@transaction.atomic
def unit_create(
    *,
    user: UserOrSystem,
    procedure: CrisisProcedure,
    data: dict[str, Any],
    _lead_checked: bool = False,
) -> ProductionUnit:
    """Add a production unit. The lead province adds units anywhere; others in their own."""
    unit = ProductionUnit(procedure=procedure)
    _assign(unit, data, UNIT_FIELDS)
    _choose_cpi(unit, data)
    is_lead = user is None or may_act_in(user, procedure.lead_province_id)
    if not (_lead_checked or is_lead) and unit.province_id:
        _require_province(user, unit.province_id, _unit_message())
    if not unit.external_id:
        unit.external_id = external_id_generate("U")
    save_validated(unit, user=user)
    return unit


@transaction.atomic
def unit_update(
    *, user: UserOrSystem, unit: ProductionUnit, data: dict[str, Any]
) -> ProductionUnit:
    """Change a unit: staff of the unit's province (before and after the change)."""
    unit = ProductionUnit.objects.select_for_update().get(pk=unit.pk)
    if user is not None:
        ensure_editable(unit, user)
    data = {key: value for key, value in data.items() if key != "procedure"}
    _assign(unit, data, UNIT_FIELDS)
    _choose_cpi(unit, data)
    if user is not None and unit.province_id:
        _require_province(user, unit.province_id, _unit_message())
    save_validated(unit, user=user)
    return unit


@transaction.atomic
def unit_delete(*, user: UserOrSystem, unit: ProductionUnit) -> None:
    if user is not None:
        ensure_editable(unit, user)
    try:
        delete_recorded(unit, user=user)
    except ProtectedError:
        # The exception lists the workers by name: keep it out of the answer and the logs.
        raise ConflictError(
            _(
                "The production unit still has workers taken in charge: move them to another "
                "unit first. Nothing was deleted."
            )
        ) from None


def _check_meeting_procedures(
    user: UserOrSystem, procedures: Iterable[CrisisProcedure]
) -> list[CrisisProcedure]:
    procedures = list(procedures)
    if not procedures:
        raise ValidationError({"procedures": _("Choose at least one procedure.")})
    if user is not None:
        visible = set(
            CrisisProcedure.objects.visible_to(user)
            .filter(pk__in=[p.pk for p in procedures])
            .values_list("pk", flat=True)
        )
        if len(visible) != len({p.pk for p in procedures}):
            raise ValidationError({"procedures": _("Some procedures are not in your provinces.")})
    return procedures


def _check_meeting_convener(user: UserOrSystem, meeting: Meeting) -> None:
    """Province staff record their Nucleo's meetings; Region officials the regional tables."""
    if user is None or user.is_admin:
        return
    if user.is_region_official:
        if meeting.province_id is not None:
            raise ValidationError(
                {"province": _("Region officials record the tables convened by the Region.")}
            )
        return
    if meeting.province_id is None:
        raise ValidationError({"province": _("Say which Nucleo convened the meeting.")})
    _require_province(user, meeting.province_id, _meeting_message())


@transaction.atomic
def meeting_create(
    *, user: UserOrSystem, data: dict[str, Any], procedures: Iterable[CrisisProcedure]
) -> Meeting:
    meeting = Meeting()
    _assign(meeting, data, ("kind", "date", "province", "participants", "notes", "minutes"))
    procedures = _check_meeting_procedures(user, procedures)
    _check_meeting_convener(user, meeting)
    save_validated(meeting, user=user)
    meeting.procedures.set(procedures)
    _sync_agenda(meeting)
    _notify_meeting(meeting, user)
    return meeting


def _notify_meeting(meeting: Meeting, user: UserOrSystem) -> None:
    """Tell the officers of the provinces whose procedures the meeting discusses (the lead
    province and the units' provinces)."""
    provinces = set(
        ProductionUnit.objects.filter(procedure__meetings=meeting).values_list(
            "province_id", flat=True
        )
    ) | set(meeting.procedures.values_list("lead_province_id", flat=True))
    notifications.notify(
        province_officers(provinces),
        NotificationKind.MEETING,
        key=f"meeting:{meeting.pk}",
        url=meeting.get_absolute_url(),
        params={"date": meeting.date.isoformat()},
        actor=user,
    )


@transaction.atomic
def meeting_update(
    *,
    user: UserOrSystem,
    meeting: Meeting,
    data: dict[str, Any],
    procedures: Iterable[CrisisProcedure] | None,
) -> Meeting:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if user is not None:
        ensure_editable(meeting, user)
    _assign(meeting, data, ("kind", "date", "province", "participants", "notes", "minutes"))
    _check_meeting_convener(user, meeting)
    save_validated(meeting, user=user)
    if procedures is not None:
        chosen = _check_meeting_procedures(user, procedures)
        if user is not None:
            # The procedures the user does not see stay discussed: another province's business.
            visible = CrisisProcedure.objects.visible_to(user).values("pk")
            chosen += list(meeting.procedures.exclude(pk__in=visible))
        meeting.procedures.set(chosen)
        _sync_agenda(meeting)
    return meeting


def _sync_agenda(meeting: Meeting) -> None:
    """Keep the agenda in step with ``meeting.procedures``: an item per procedure discussed,
    new ones appended in order, those no longer discussed dropped."""
    discussed = set(meeting.procedures.values_list("pk", flat=True))
    meeting.agenda.exclude(procedure_id__in=discussed).delete()
    items = list(meeting.agenda.values_list("procedure_id", "position"))
    listed = {procedure for procedure, _position in items}
    last = max((position for _procedure, position in items), default=0)
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, procedure_id=pk, position=last + n)
        for n, pk in enumerate(sorted(discussed - listed), start=1)
    )


def _editable_meeting(user: UserOrSystem, meeting: Meeting) -> Meeting:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if user is not None:
        ensure_editable(meeting, user)
    return meeting


def _agenda_procedure(user: UserOrSystem, meeting: Meeting, procedure_id: Any) -> CrisisProcedure:
    """A procedure on the meeting's agenda the user sees; anything else is refused the same
    way, whether it exists or not."""
    procedures = meeting.procedures.all()
    if user is not None:
        procedures = procedures.visible_to(user)
    try:
        return procedures.get(pk=int(procedure_id))
    except (CrisisProcedure.DoesNotExist, TypeError, ValueError):
        raise ValidationError(
            {"procedure": _("Choose a procedure on this meeting's agenda.")}
        ) from None


@transaction.atomic
def meeting_agenda_update(
    *, user: UserOrSystem, meeting: Meeting, items: dict[int, tuple[int, str]]
) -> Meeting:
    """Set the order and topic of agenda items: ``{procedure id: (position, topic)}``. Items of
    procedures the user does not see keep theirs."""
    meeting = _editable_meeting(user, meeting)
    _sync_agenda(meeting)
    for procedure_id, (position, topic) in items.items():
        procedure = _agenda_procedure(user, meeting, procedure_id)
        if len(topic) > 300:
            raise ValidationError({"topic": _("A topic is at most 300 characters long.")})
        meeting.agenda.filter(procedure=procedure).update(position=position, topic=topic.strip())
    return meeting


@transaction.atomic
def meeting_participant_add(
    *, user: UserOrSystem, meeting: Meeting, role: str, organisation: str, title: str = ""
) -> MeetingParticipant:
    meeting = _editable_meeting(user, meeting)
    participant = MeetingParticipant(
        meeting=meeting, role=role, organisation=organisation.strip(), title=title.strip()
    )
    participant.full_clean()
    participant.save()
    return participant


@transaction.atomic
def meeting_participant_remove(
    *, user: UserOrSystem, meeting: Meeting, participant_id: Any
) -> None:
    meeting = _editable_meeting(user, meeting)
    try:
        meeting.attendees.get(pk=int(participant_id)).delete()
    except (MeetingParticipant.DoesNotExist, TypeError, ValueError):
        raise ValidationError({"participant": _("Choose a participant of this meeting.")}) from None


@transaction.atomic
def meeting_decision_add(
    *,
    user: UserOrSystem,
    meeting: Meeting,
    procedure_id: Any,
    kind: str,
    text: str = "",
    due_on: datetime.date | None = None,
) -> MeetingDecision:
    """A decision of the table about one procedure on its agenda (that the user sees)."""
    meeting = _editable_meeting(user, meeting)
    procedure = _agenda_procedure(user, meeting, procedure_id)
    if due_on is not None and due_on < meeting.date:
        raise ValidationError({"due_on": _("The due date cannot come before the meeting.")})
    decision = MeetingDecision(
        meeting=meeting, procedure=procedure, kind=kind, text=text.strip(), due_on=due_on
    )
    decision.full_clean()
    decision.save()
    return decision


@transaction.atomic
def meeting_decision_mark_done(
    *, user: UserOrSystem, meeting: Meeting, decision_id: Any, done: bool = True
) -> MeetingDecision:
    """Mark a decision done (today) or not done. Whoever may change the meeting, or the
    procedure the decision is about, may: the table decides, the Nucleo acts."""
    decisions = MeetingDecision.objects.select_for_update().filter(meeting=meeting)
    if user is not None:
        decisions = decisions.filter(procedure__in=CrisisProcedure.objects.visible_to(user))
    try:
        decision = decisions.get(pk=int(decision_id))
    except (MeetingDecision.DoesNotExist, TypeError, ValueError):
        raise ValidationError({"decision": _("Choose a decision of this meeting.")}) from None
    if user is not None and not (
        is_editable(meeting, user) or is_editable(decision.procedure, user)
    ):
        raise PermissionDenied(_("You cannot change this decision."))
    decision.done_on = timezone.localdate() if done else None
    decision.done_by = user if done else None
    decision.save(update_fields=["done_on", "done_by", "updated_at"])
    return decision


@transaction.atomic
def calendar_feed_issue(*, user: User) -> str:
    """A new secret for the user's calendar subscription, replacing any earlier one (which
    stops working). Only its hash is stored: the secret is shown once."""
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.filter(user=user).delete()
    CalendarFeed.objects.create(user=user, token_hash=feed_hash(token))
    return token


def calendar_feed_revoke(*, user: User) -> None:
    CalendarFeed.objects.filter(user=user).delete()


@transaction.atomic
def meeting_delete(*, user: UserOrSystem, meeting: Meeting) -> None:
    if user is not None:
        ensure_editable(meeting, user)
    delete_recorded(meeting, user=user)


@transaction.atomic
def procedure_create_with_company(
    *,
    user: UserOrSystem,
    company_data: dict[str, Any],
    data: dict[str, Any],
    units: Sequence[dict[str, Any]],
) -> CrisisProcedure:
    """The browser's "new procedure": find or create the company, then open the procedure."""
    company = company_upsert(user=user, **company_data)
    return procedure_create(user=user, company=company, data=data, units=units)


# --- Upserts by external id (API sync, issue #10) ---------------------------------------------


def _external_id_taken() -> ValidationError:
    # The same words whether the procedure is out of the caller's scope or not: an external id
    # is unique, so it cannot be taken again, and nothing else of that procedure is told.
    return ValidationError(
        {"external_id": _("This external id is already in use: give the procedure another.")}
    )


@transaction.atomic
def procedure_upsert(
    *,
    user: UserOrSystem,
    company_data: dict[str, Any],
    data: dict[str, Any],
    units: Sequence[dict[str, Any]] = (),
) -> tuple[CrisisProcedure, bool]:
    """Create the procedure with this ``external_id``, or bring the stored one up to date.

    Returns ``(procedure, created)``. A procedure out of the caller's scope is one that does
    not exist, and its external id cannot be taken (:func:`_external_id_taken`); one they see
    but do not lead is refused (403) by :func:`procedure_update`. Units are matched on their
    own external id within the procedure: listed ones are created or updated (each by the
    rules of :func:`unit_create` / :func:`unit_update`), others are left as they are.
    """
    external_id = (data.get("external_id") or "").strip()
    if not external_id:
        raise ValidationError({"external_id": _("Give the external id to upsert by.")})
    stored = CrisisProcedure.objects.select_for_update().filter(external_id=external_id).first()
    if stored is None:
        procedure = procedure_create_with_company(
            user=user, company_data=company_data, data=data, units=list(units)
        )
        return procedure, True
    if user is not None and not CrisisProcedure.objects.visible_to(user).filter(pk=stored.pk):
        raise _external_id_taken()
    stored.check_company(company_data.get("tax_code"))
    changed = {
        field: value
        for field, value in data.items()
        if field == "external_id" or getattr(stored, field) != value
    }
    if len(changed) > 1:
        stored = procedure_update(user=user, procedure=stored, data=changed)
    company_changes = {
        key: value
        for key, value in company_data.items()
        if key != "tax_code" and value and getattr(stored.company, key) != value
    }
    if company_changes:
        company_upsert(
            user=user, **{"tax_code": stored.company.tax_code, "name": "", **company_changes}
        )
    for unit_data in units:
        unit_upsert(user=user, procedure=stored, data=unit_data)
    return stored, False


@transaction.atomic
def unit_upsert(
    *, user: UserOrSystem, procedure: CrisisProcedure, data: dict[str, Any]
) -> tuple[ProductionUnit, bool]:
    """Create the unit with this external id in ``procedure``, or update the stored one."""
    external_id = (data.get("external_id") or "").strip()
    if not external_id:
        raise ValidationError({"external_id": _("Give the unit's external id to upsert by.")})
    stored = (
        ProductionUnit.objects.select_for_update()
        .filter(procedure=procedure, external_id=external_id)
        .first()
    )
    if stored is None:
        return unit_create(user=user, procedure=procedure, data=data), True
    changed = {
        field: value
        for field, value in data.items()
        if field != "procedure" and getattr(stored, field) != value
    }
    if not changed:
        return stored, False
    return unit_update(user=user, unit=stored, data=changed), False


# --- Agreements (issue #14 item 4) ------------------------------------------------------------

AGREEMENT_FIELDS = (
    "kind",
    "signed_on",
    "parties",
    "outplacement",
    "outplacement_text",
    "workers_covered",
    "document",
    "notes",
)


def _agreement_assign(agreement: Agreement, data: dict[str, Any]) -> None:
    _assign(agreement, data, AGREEMENT_FIELDS)
    if "goals" in data:
        goals = set(data["goals"] or ())
        unknown = goals - set(AgreementGoal.values)
        if unknown:
            raise ValidationError({"goals": _("Choose goals from the list.")})
        for goal in AgreementGoal.values:
            setattr(agreement, f"goal_{goal}", goal in goals)
    if not agreement.outplacement:
        agreement.outplacement_text = ""


def _check_workers_covered(agreement: Agreement) -> None:
    """Not more workers than the procedure involves (the sum of its units' counts, what the
    reports read), when those counts are entered: an agreement covers workers of this
    procedure. With no count yet (0) only the model's floor of one applies."""
    if agreement.workers_covered is None:
        return
    involved = (
        ProductionUnit.objects.filter(procedure_id=agreement.procedure_id).aggregate(
            n=Sum("workers_involved")
        )["n"]
        or 0
    )
    if involved and agreement.workers_covered > involved:
        raise ValidationError(
            {
                "workers_covered": _(
                    "The agreement cannot cover more workers than the procedure involves (%(n)d)."
                )
                % {"n": involved}
            }
        )


@transaction.atomic
def agreement_create(
    *, user: UserOrSystem, procedure: CrisisProcedure, data: dict[str, Any]
) -> Agreement:
    """Attach an agreement to a procedure: who may change the procedure (its lead province's
    staff, an admin, the system) may."""
    procedure = CrisisProcedure.objects.select_for_update().get(pk=procedure.pk)
    if user is not None:
        ensure_editable(procedure, user)
    agreement = Agreement(procedure=procedure)
    _agreement_assign(agreement, data)
    _check_workers_covered(agreement)
    save_validated(agreement, user=user)
    return agreement


@transaction.atomic
def agreement_update(
    *, user: UserOrSystem, agreement: Agreement, data: dict[str, Any]
) -> Agreement:
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if user is not None:
        ensure_editable(agreement, user)
    data = {key: value for key, value in data.items() if key != "procedure"}
    _agreement_assign(agreement, data)
    _check_workers_covered(agreement)
    save_validated(agreement, user=user)
    return agreement


@transaction.atomic
def agreement_delete(*, user: UserOrSystem, agreement: Agreement) -> None:
    if user is not None:
        ensure_editable(agreement, user)
    delete_recorded(agreement, user=user)
