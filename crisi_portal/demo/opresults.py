"""Demo outcomes for the operators' results (issue #15, part 5).

The demo's outcomes (``demo.workers``) fall on workers without a Dote, so no operator would
have a result to show. Here, about two in five of the Doti's workers who have no outcome yet
are re-employed 7 to 56 days after their Dote started (the demo's Doti are recent: a day
still to come is skipped), with a permanent contract or an apprenticeship declared by the
operator, with the new employer's name, through the outcome service, so that the operators'
rates and median days differ. Deterministic: the Dote's id alone chooses (not its place in the
list, which shrinks once outcomes exist); a worker with an outcome is left as is, so running
it twice adds nothing.
"""

import datetime

from django.core.exceptions import ValidationError

from pal.enums import DoteStatus
from pal.models import Dote
from workers.enums import ContractKind, OutcomeKind, OutcomeSource
from workers.services import outcome_record

EMPLOYERS = (
    "Meccanica Orobica S.r.l.",
    "Logistica Padana S.p.A.",
    "Servizi Integrati Brianza Soc. Coop.",
    "Plastica Lariana S.r.l.",
)


def seed_operator_outcomes(today: datetime.date) -> str:
    doti = (
        Dote.objects.exclude(status=DoteStatus.REVOCATA)
        .filter(involvement__outcome__isnull=True)
        .order_by("pk")
        .values_list("pk", "involvement_id", "valid_from", "operator__name")
    )
    recorded = 0
    seen = set()
    for pk, involvement_id, start, _operator in doti:
        if involvement_id in seen or (pk * 7) % 5 > 1:
            continue
        seen.add(involvement_id)
        day = start + datetime.timedelta(days=7 + (pk * 13) % 50)
        if day > today:
            continue
        try:
            outcome_record(
                user=None,
                involvement=Dote.objects.get(pk=pk).involvement,
                data={
                    "kind": OutcomeKind.RICOLLOCATO,
                    "date": day,
                    "contract_kind": (
                        ContractKind.PERMANENT if pk % 3 else ContractKind.APPRENTICESHIP
                    ),
                    "source": OutcomeSource.OPERATOR,
                    "employer": EMPLOYERS[pk % len(EMPLOYERS)],
                },
            )
        except ValidationError:  # e.g. a Dote older than the taking in charge: no outcome
            continue
        recorded += 1
    return f"Operators' results: {recorded} workers with a Dote re-employed after its start."
