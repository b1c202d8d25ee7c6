"""Demo mandatory communications (issue #16 item 1): a generated UNILAV batch imported during
the seed, so the Nucleo's queue shows proposed outcomes waiting for confirmation, and a few
already confirmed by the Bergamo and Milan officers.

The batch is a ZIP of UNILAV documents about demo workers in charge without an outcome, taken
in charge at least two months ago (Bergamo and Milan first, so their officers' queues are
filled): hirings with every kind of employee contract, some by the procedure's own company, one
with its workplace in Turin, a transformation to permanent and a termination; plus hirings of
people in charge of nobody (unmatched). Imported through ``communications_import`` as the
system; about one proposal in four is then confirmed by its province's officer through
``proposals_confirm``. Deterministic from the involvements' ids; run twice, it adds nothing
(a batch named ``demo-unilav-*`` is there already).
"""

import datetime
import io
import zipfile

from django.db.models import Exists, OuterRef

from crisi_portal.demo.identity import fiscal_code
from crisi_portal.models import User
from workers.communications import communications_import, proposals_confirm
from workers.models import (
    CommunicationBatch,
    Involvement,
    MoveKind,
    Outcome,
    ProposalStatus,
    ProposedOutcome,
    StepTransition,
)
from workers.unilav import ParsedCommunication, communication_xml

EMPLOYERS = (
    ("02877740213", "Meccanica Orobica S.r.l.", "A794"),  # Bergamo
    ("12883420155", "Logistica Padana S.p.A.", "F205"),  # Milano
    ("03449360167", "Plastica Lariana S.r.l.", "C933"),  # Como
    ("05425630968", "Servizi Integrati Brianza Soc. Coop.", "F704"),  # Monza
)
CONTRACTS = ("A.01.00", "A.02.00", "A.03.09", "A.02.00", "A.06.01", "A.01.00", "N.01.00")
HOW_MANY = 40


def _code(n: int) -> str:
    return f"13D{n:013d}"


def seed_unilav(today: datetime.date) -> str:
    if CommunicationBatch.objects.filter(file_name__startswith="demo-unilav-").exists():
        return "Demo UNILAV batch already imported: left as is."
    started = StepTransition.objects.filter(involvement=OuterRef("pk"), kind=MoveKind.START)
    has_outcome = Outcome.objects.filter(involvement=OuterRef("pk"))
    base = (
        Involvement.objects.filter(Exists(started))
        .exclude(Exists(has_outcome))
        .select_related("worker", "procedure__company", "unit")
        .order_by("pk")
    )
    chosen = list(base.filter(unit__province_id="BG")[: HOW_MANY * 3 // 8])
    chosen += list(base.filter(unit__province_id="MI")[: HOW_MANY * 3 // 8])
    chosen += list(base.exclude(unit__province_id__in=["BG", "MI"])[: HOW_MANY // 4])
    items: list[ParsedCommunication] = []
    n = 0
    for index, involvement in enumerate(chosen):
        taken_on = (
            StepTransition.objects.filter(involvement=involvement, kind=MoveKind.START)
            .order_by("effective_date")
            .values_list("effective_date", flat=True)
            .first()
        )
        start = taken_on + datetime.timedelta(days=20 + (involvement.pk * 7) % 90)
        if start >= today:
            continue
        tax_code, name, comune = EMPLOYERS[involvement.pk % len(EMPLOYERS)]
        company = involvement.procedure.company
        if index % 9 == 4 and company is not None:
            tax_code, name = company.tax_code, company.name
        if index % 13 == 7:
            comune = "L219"  # Torino: a re-employment outside Lombardy
        contract = CONTRACTS[index % len(CONTRACTS)]
        end = (
            start + datetime.timedelta(days=120 + 60 * (index % 4))
            if contract
            in (
                "A.02.00",
                "A.06.01",
            )
            else None
        )
        n += 1
        hiring = ParsedCommunication(
            code=_code(n),
            kind="ASS",
            worker_fiscal_code=involvement.worker.fiscal_code,
            employer_tax_code=tax_code,
            employer_name=name,
            event_date=start,
            start_date=start,
            end_date=end,
            contract_code=contract,
            workplace_comune=comune,
        )
        items.append(hiring)
        if index == 1 and end and end < today:
            n += 1
            items.append(
                ParsedCommunication(
                    **{**hiring.__dict__, "code": _code(n), "kind": "CES", "event_date": end}
                )
            )
    for k in range(3):  # nobody in charge
        n += 1
        items.append(
            ParsedCommunication(
                code=_code(n),
                kind="ASS",
                worker_fiscal_code=fiscal_code(
                    "Esterni", "Persona", "F", datetime.date(1985, 3, 1 + k), "Bergamo"
                ),
                employer_tax_code=EMPLOYERS[0][0],
                employer_name=EMPLOYERS[0][1],
                event_date=today - datetime.timedelta(days=30),
                start_date=today - datetime.timedelta(days=30),
                end_date=None,
                contract_code="A.01.00",
                workplace_comune="A794",
            )
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in items:
            archive.writestr(f"{item.code}.xml", communication_xml(item))
    result = communications_import(
        user=None, raw=buffer.getvalue(), file_name=f"demo-unilav-{today:%Y%m%d}.zip"
    )
    if not result.ok:
        return "Demo UNILAV batch refused: " + "; ".join(str(e) for e in result.errors[:3])
    confirmed = 0
    for username, province in (("nucleo.bg", "BG"), ("nucleo.mi", "MI")):
        officer = User.objects.filter(username=username).first()
        pending = ProposedOutcome.objects.filter(
            status=ProposalStatus.PENDING, involvement__unit__province_id=province
        ).order_by("pk")
        some = [p for p in pending if p.pk % 4 == 0]
        if officer is not None and some:
            confirmed += proposals_confirm(user=officer, proposals=some).confirmed
    batch = result.batch
    return (
        f"Demo UNILAV batch: {batch.total} communications, {batch.proposed} outcomes proposed "
        f"({confirmed} confirmed), {batch.unmatched} of nobody in charge, {batch.ended} ended."
    )
