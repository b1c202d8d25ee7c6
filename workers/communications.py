"""Mandatory communications in (issue #16 item 1): import, matching, confirmation.

``communications_import`` stores a file's communications (``workers.unilav`` reads them) and,
for each one whose worker is **in charge** (an involvement with its START move), proposes or
ends outcomes, one per involvement, each judged against its own STEP 1 and company:

* a **hiring** (ASS), or a **transformation to permanent** (DI, AI), dated on or after the
  day the worker was taken in charge proposes RICOLLOCATO with the date, the employer and the
  contract (``UnilavContractType.maps_to``; a fixed term split at six months from its end,
  ``Outcome.fixed_term_kind``); hired by the procedure's own company (same tax code) it
  proposes REINTEGRATO / SAME_COMPANY instead. A contract the monitoring does not count
  (traineeship, collaboration, intermittent work…) or a date before the taking in charge
  proposes nothing (``not_relevant``). A newer proposal supersedes the involvement's pending
  ones (the outcome is where the worker is now); confirmed ones stay as decided.
* a **termination** (CES) by the employer of an earlier proposal (pending or confirmed, dated
  on or before it) *ends* it: the proposal's ``ended_on`` is set and a pending one becomes
  ENDED (it is no longer offered for confirmation). When the proposal had been confirmed and
  the involvement's outcome is still the one it applied (source "mandatory communication"),
  a fixed-term contract's end is brought forward to the termination (and its duration class
  recomputed) through ``outcome_record``; a permanent one gets a note. An outcome declared by
  an operator or by the worker is never changed, and no outcome is ever deleted.
* extensions (PRO) and the other transformations propose nothing.

Counted, never failing the batch: communications of nobody in charge (``unmatched``; for a
Nucleo officer, also those of workers in charge in other provinces), already stored ones
(``duplicates``: stored once, and matched again for the importer's scope, so that a file a
Nucleo imported first still reaches the other provinces' workers when the Region or their
Nucleo imports it), those whose outcome the involvement already has (``already_applied``),
workplaces outside Lombardy (``out_of_region``: still a re-employment of a worker in charge,
so matched like the others), fiscal codes set aside as invalid (``invalid``). The same file
imported twice from the same scope changes nothing (its SHA-256 is kept).

Who imports: admins (the whole region), province staff (their provinces) and the command (the
system); Region officials read the queue and the batches but change no outcome. The import's
writes are recorded in the history as the importing officer's or admin's (the command's as the
system's). With ``settings.COMMUNICATIONS_AUTO_APPLY``
the proposals are applied at once,
where the involvement has no outcome or one from a communication (one dated in the future,
or one the outcome rules refuse, stays pending).
"""

import datetime
import re
from dataclasses import dataclass, field
from functools import lru_cache

from codicefiscale import codicefiscale
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Province
from crisi_portal.imports import RowError
from crisi_portal.roles import Role
from crisi_portal.scoping import UserOrSystem, ensure_editable
from crisi_portal.services import save_validated
from workers.enums import (
    FIXED_TERM_CONTRACTS,
    ContractKind,
    OutcomeKind,
    OutcomeSource,
)
from workers.models import (
    CommunicationBatch,
    CommunicationEvent,
    Involvement,
    MandatoryCommunication,
    MoveKind,
    Outcome,
    ProposalStatus,
    ProposedOutcome,
    StepTransition,
    UnilavCommunicationType,
    UnilavContractCategory,
    UnilavContractType,
)
from workers.services import outcome_record
from workers.unilav import ParsedBatch, ParsedCommunication, read_communications

COUNTERS = (
    "total",
    "matched",
    "proposed",
    "applied",
    "ended",
    "unmatched",
    "already_applied",
    "duplicates",
    "out_of_region",
    "not_relevant",
    "invalid",
)


@dataclass
class CommunicationsImport:
    """What an import did: the batch (None when the file was refused), its errors (the file
    was refused: nothing changed), the communications set aside, and whether the same file had
    already been imported (then ``batch`` is that earlier import and nothing changed)."""

    batch: CommunicationBatch | None = None
    errors: list[RowError] = field(default_factory=list)
    invalid: list[RowError] = field(default_factory=list)
    already_imported: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def may_import(user: UserOrSystem) -> bool:
    """Admins (the whole region), province staff (their provinces) and the system (the command:
    the Region's flow). Region officials read and report, and change no outcome: they see the
    queue and the batches but import nothing."""
    if user is None:
        return True
    return bool(user.is_active and (user.is_admin or user.role == Role.PROVINCE_STAFF))


def _actor(user: UserOrSystem) -> UserOrSystem:
    """Whom an import's writes are recorded as: the importing officer or admin (the system for
    the command)."""
    return user


# A fiscal code as people name files after it (omocodia letters included): kept out of the
# batch's file name, which Region officials and admins see without the personal-data permission.
FISCAL_CODE_IN_NAME = re.compile(
    r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]", re.I
)


def _batch_file_name(file_name: str) -> str:
    """The name a batch keeps: without the fiscal codes it may carry, at most 200 characters."""
    return FISCAL_CODE_IN_NAME.sub("****************", file_name)[:200]


def _matching_provinces(user: UserOrSystem) -> frozenset[str] | None:
    """Whose workers an import matches: ``None`` for all (system, admin, Region), else the
    province officer's provinces."""
    if user is None or user.is_admin or user.role == Role.REGION_OFFICIAL:
        return None
    return user.province_codes


@lru_cache(maxsize=4096)
def comune_province(cadastral_code: str, on: datetime.date | None = None) -> str:
    """The province (its two letters) of a comune, by the cadastral code the model uses; blank
    when the code names none (the codicefiscale package's list of comuni, by date)."""
    try:
        place = codicefiscale._get_birthplace(cadastral_code, on.isoformat() if on else None)
    except (ValueError, TypeError, KeyError):
        place = None
    if place is None and on is not None:
        return comune_province(cadastral_code, None)
    return (place or {}).get("province", "") or ""


def _in_charge(fiscal_code: str, provinces: frozenset[str] | None) -> list[Involvement]:
    started = StepTransition.objects.filter(involvement=OuterRef("pk"), kind=MoveKind.START)
    involvements = (
        Involvement.objects.of_worker(fiscal_code)
        .filter(Exists(started))
        .select_related("procedure__company")
    )
    if provinces is not None:
        involvements = involvements.filter(unit__province__in=list(provinces))
    return list(involvements.order_by("pk"))


def _taken_on(involvement: Involvement) -> datetime.date | None:
    return (
        StepTransition.objects.filter(involvement=involvement, kind=MoveKind.START)
        .order_by("effective_date")
        .values_list("effective_date", flat=True)
        .first()
    )


def _proposal_fields(
    communication: MandatoryCommunication, involvement: Involvement
) -> dict | None:
    """The outcome a hiring or a transformation to permanent proposes for ``involvement``, or
    None when it proposes none."""
    taken_on = _taken_on(involvement)
    day = communication.event_date
    if taken_on is None or day < taken_on:
        return None
    company = involvement.procedure.company
    if company is not None and communication.employer_tax_code == company.tax_code:
        return {
            "kind": OutcomeKind.REINTEGRATO,
            "date": day,
            "employer": communication.employer_name,
            "contract_kind": ContractKind.SAME_COMPANY,
            "contract_end": None,
        }
    contract = communication.contract_type
    contract_kind: str
    end: datetime.date | None
    if communication.kind.to_permanent:
        contract_kind, end = ContractKind.PERMANENT, None
    elif contract is None:
        return None
    elif contract.category == UnilavContractCategory.FIXED:
        end = communication.end_date
        if end is None or end < day:
            return None
        contract_kind = Outcome.fixed_term_kind(day, end)
    elif contract.maps_to:
        contract_kind, end = contract.maps_to, None
    else:
        return None
    return {
        "kind": OutcomeKind.RICOLLOCATO,
        "date": day,
        "employer": communication.employer_name,
        "contract_kind": contract_kind,
        "contract_end": end,
    }


def _same_outcome(outcome: Outcome | None, fields: dict) -> bool:
    return bool(
        outcome is not None
        and outcome.kind == fields["kind"]
        and outcome.date == fields["date"]
        and outcome.contract_kind == fields["contract_kind"]
        and outcome.employer == fields["employer"]
    )


def _propose(
    communication: MandatoryCommunication,
    involvement: Involvement,
    counts: dict,
    actor: UserOrSystem,
) -> ProposedOutcome | None:
    fields = _proposal_fields(communication, involvement)
    if fields is None:
        counts["not_relevant"] += 1
        return None
    outcome = Outcome.objects.filter(involvement=involvement).first()
    if _same_outcome(outcome, fields):
        counts["already_applied"] += 1
        return None
    active = ProposedOutcome.objects.filter(
        involvement=involvement, status__in=[ProposalStatus.PENDING, ProposalStatus.CONFIRMED]
    )
    if any(_same_outcome(p, fields) for p in active):  # type: ignore[arg-type]
        counts["already_applied"] += 1
        return None
    for pending in active.filter(status=ProposalStatus.PENDING):
        pending.status = ProposalStatus.SUPERSEDED
        save_validated(pending, user=actor, reason=_("superseded by a newer communication"))
    proposal = ProposedOutcome(involvement=involvement, communication=communication, **fields)
    save_validated(proposal, user=actor, reason=_("proposed by a mandatory communication"))
    counts["proposed"] += 1
    return proposal


def _end(
    communication: MandatoryCommunication,
    involvement: Involvement,
    counts: dict,
    actor: UserOrSystem,
) -> None:
    day = communication.event_date
    earlier = ProposedOutcome.objects.filter(
        involvement=involvement,
        communication__employer_tax_code=communication.employer_tax_code,
        status__in=[ProposalStatus.PENDING, ProposalStatus.CONFIRMED],
        ended_on__isnull=True,
        date__lte=day,
    ).select_related("involvement")
    ended = False
    for proposal in earlier:
        ended = True
        proposal.ended_on = day
        if proposal.status == ProposalStatus.PENDING:
            proposal.status = ProposalStatus.ENDED
            save_validated(proposal, user=actor, reason=_("ended by a termination"))
            continue
        save_validated(proposal, user=actor, reason=_("ended by a termination"))
        outcome = Outcome.objects.filter(involvement=involvement).first()
        if (
            outcome is None
            or outcome.source != OutcomeSource.MANDATORY_COMMUNICATION
            or not _same_outcome(outcome, {**proposal.outcome_data()})
        ):
            continue  # another outcome now: an operator's declaration is never changed
        note = _("Ended on %(day)s (termination communicated).") % {"day": f"{day:%d/%m/%Y}"}
        data: dict[str, object] = {"notes": f"{outcome.notes}\n{note}".strip()}
        if outcome.contract_kind in FIXED_TERM_CONTRACTS and (
            outcome.contract_end is None or day < outcome.contract_end
        ):
            data["contract_end"] = day
            data["contract_kind"] = Outcome.fixed_term_kind(outcome.date, day)
        outcome_record(user=actor, involvement=involvement, data=data)
    counts["ended" if ended else "not_relevant"] += 1


def _store(
    parsed: ParsedCommunication, batch: CommunicationBatch, lombard: frozenset[str]
) -> MandatoryCommunication:
    province = comune_province(parsed.workplace_comune, parsed.event_date)
    return MandatoryCommunication.objects.create(
        code=parsed.code,
        batch=batch,
        kind=UnilavCommunicationType.objects.get(pk=parsed.kind),
        worker_fiscal_code=parsed.worker_fiscal_code,
        employer_tax_code=parsed.employer_tax_code,
        employer_name=parsed.employer_name[:200],
        event_date=parsed.event_date,
        start_date=parsed.start_date,
        end_date=parsed.end_date,
        contract_type=UnilavContractType.objects.filter(pk=parsed.contract_code).first(),
        workplace_comune=parsed.workplace_comune,
        workplace_province=province,
        in_region=province in lombard,
        previous_code=parsed.previous_code,
    )


def _stored_communications(codes: list[str]) -> dict[str, MandatoryCommunication]:
    """The communications of ``codes`` already received, by code (one query per thousand)."""
    stored: dict[str, MandatoryCommunication] = {}
    for start in range(0, len(codes), 1000):
        chunk = MandatoryCommunication.objects.filter(code__in=codes[start : start + 1000])
        stored.update((c.code, c) for c in chunk.select_related("kind", "contract_type"))
    return stored


def communications_import(
    *, user: UserOrSystem, raw: bytes, file_name: str
) -> CommunicationsImport:
    """Read, validate and match a file of communications (see the module docstring). Raises
    ``UploadRefused`` for a hostile file and ``PermissionDenied`` for who may not import; a
    file with errors changes nothing."""
    if not may_import(user):
        raise PermissionDenied
    parsed: ParsedBatch = read_communications(raw, file_name)
    result = CommunicationsImport(errors=parsed.errors, invalid=parsed.invalid)
    if not parsed.ok:
        return result
    provinces = _matching_provinces(user)
    scope = ",".join(sorted(provinces)) if provinces is not None else ""
    # The same file from the same scope changes nothing. From another scope (a second
    # province's officer, then the Region) it is matched again for that scope's workers: the
    # communications are stored once, and what the first import proposed is "already applied".
    existing = CommunicationBatch.objects.filter(digest=parsed.digest, provinces=scope)
    if user is not None and provinces is not None:
        existing = existing.filter(uploaded_by=user)
    if (batch := existing.first()) is not None:
        result.batch, result.already_imported = batch, True
        return result
    actor = _actor(user)
    lombard = frozenset(Province.objects.values_list("code", flat=True))
    stored = _stored_communications([item.code for item in parsed.communications])
    counts = dict.fromkeys(COUNTERS, 0)
    counts["total"] = len(parsed.communications) + len(parsed.invalid)
    counts["invalid"] = len(parsed.invalid)
    proposals: list[ProposedOutcome] = []
    with transaction.atomic():
        batch = CommunicationBatch.objects.create(
            file_name=_batch_file_name(file_name),
            digest=parsed.digest,
            file_format=parsed.file_format,
            uploaded_by=user,
            provinces=scope,
        )
        for item in parsed.communications:
            communication = stored.get(item.code)
            if communication is not None:
                counts["duplicates"] += 1  # received before: matched again, in this scope
            else:
                communication = stored[item.code] = _store(item, batch, lombard)
            if not communication.in_region:
                counts["out_of_region"] += 1
            involvements = _in_charge(item.worker_fiscal_code, provinces)
            if not involvements:
                counts["unmatched"] += 1
                continue
            counts["matched"] += 1
            event = communication.kind.event
            for involvement in involvements:
                if event == CommunicationEvent.HIRING or communication.kind.to_permanent:
                    proposal = _propose(communication, involvement, counts, actor)
                    if proposal is not None:
                        proposals.append(proposal)
                elif event == CommunicationEvent.TERMINATION:
                    _end(communication, involvement, counts, actor)
                else:
                    counts["not_relevant"] += 1
        if getattr(settings, "COMMUNICATIONS_AUTO_APPLY", False):
            counts["applied"] = _auto_apply(proposals, actor)
        for name, value in counts.items():
            setattr(batch, name, value)
        batch.save()
    result.batch = batch
    return result


def _auto_apply(proposals: list[ProposedOutcome], actor: UserOrSystem) -> int:
    applied = 0
    for proposal in proposals:
        proposal.refresh_from_db()
        if proposal.status != ProposalStatus.PENDING:
            continue
        try:
            with transaction.atomic():
                _confirm_one(proposal, user=actor, replace=False)
        except ProposalRefused:
            continue
        applied += 1
    return applied


class ProposalRefused(Exception):
    def __init__(self, message: str, outcome: Outcome | None = None):
        super().__init__(message)
        self.message = message
        self.outcome = outcome


def _confirm_one(proposal: ProposedOutcome, *, user: UserOrSystem, replace: bool) -> None:
    locked = ProposedOutcome.objects.select_for_update().get(pk=proposal.pk)
    if locked.status != ProposalStatus.PENDING:
        raise ProposalRefused(_("This proposal was already decided."))
    outcome = Outcome.objects.filter(involvement_id=locked.involvement_id).first()
    if (
        outcome is not None
        and outcome.source != OutcomeSource.MANDATORY_COMMUNICATION
        and not replace
    ):
        raise ProposalRefused(
            _(
                "The worker already has an outcome %(source)s: %(kind)s on %(date)s. "
                "Tick “replace” to replace it with this one."
            )
            % {
                "source": str(outcome.get_source_display()).lower(),
                "kind": outcome.get_kind_display(),
                "date": f"{outcome.date:%d/%m/%Y}",
            },
            outcome,
        )
    data = locked.outcome_data()
    if outcome is not None and outcome.notes:
        data["notes"] = outcome.notes
    try:
        outcome_record(user=user, involvement=locked.involvement, data=data)
    except ValidationError as exc:
        raise ProposalRefused(" ".join(exc.messages)) from None
    locked.status = ProposalStatus.CONFIRMED
    locked.decided_by = user
    locked.decided_at = timezone.now()
    save_validated(locked, user=user, reason=_("confirmed"))
    for other in ProposedOutcome.objects.filter(
        involvement_id=locked.involvement_id, status=ProposalStatus.PENDING
    ).exclude(pk=locked.pk):
        other.status = ProposalStatus.SUPERSEDED
        save_validated(other, user=user, reason=_("another proposal was confirmed"))


@dataclass
class ConfirmResult:
    confirmed: int = 0
    refused: list[tuple[ProposedOutcome, str]] = field(default_factory=list)


def proposals_confirm(
    *, user: UserOrSystem, proposals: list[ProposedOutcome], replace: bool = False
) -> ConfirmResult:
    """Confirm each proposal: the involvement's outcome is recorded (or corrected) from it
    through ``outcome_record`` (audited; the outcome rules apply). A proposal whose involvement
    has an outcome declared otherwise is refused, naming that outcome, unless ``replace``.
    Each proposal on its own: the others are confirmed even when one is refused."""
    result = ConfirmResult()
    for proposal in proposals:
        if user is not None:
            ensure_editable(proposal, user)
        try:
            with transaction.atomic():
                _confirm_one(proposal, user=user, replace=replace)
        except ProposalRefused as exc:
            result.refused.append((proposal, exc.message))
            continue
        result.confirmed += 1
    return result


@transaction.atomic
def proposals_reject(*, user: UserOrSystem, proposals: list[ProposedOutcome]) -> int:
    """Reject pending proposals (the outcome is left as it is); returns how many."""
    rejected = 0
    for proposal in proposals:
        if user is not None:
            ensure_editable(proposal, user)
        locked = ProposedOutcome.objects.select_for_update().get(pk=proposal.pk)
        if locked.status != ProposalStatus.PENDING:
            continue
        locked.status = ProposalStatus.REJECTED
        locked.decided_by = user
        locked.decided_at = timezone.now()
        save_validated(locked, user=user, reason=_("rejected"))
        rejected += 1
    return rejected
