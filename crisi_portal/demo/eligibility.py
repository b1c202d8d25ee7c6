"""Demo eligibility (issue #14): workers on each side of the measures' rules.

The demo workers already include CIGS workers with a cut of exactly 30 % (refused by Azioni di
rete, "more than 30 %") and dismissed workers on NASpI (refused by Dote Unica Lavoro, admitted
by Dote Lavoro Ammortizzatori). This adds, once, in the BG demo procedures still open, a worker
with a cut of 31 % (just inside Azioni di rete) and one on FIS (Dote Unica Lavoro yes, Azioni di
rete no), through the workers' service, and returns a line counting who may receive what.
"""

from datetime import date

from cases.enums import Family
from cases.enums import Status as ProcedureStatus
from crisi_portal.demo.workers import demo_involvements
from pal.eligibility import measures_for
from workers.enums import IncomeSupport
from workers.services import involvement_update

SAMPLE = 300  # involvements counted in the summary (fixed queries whatever the size)


def seed_eligibility(today: date) -> str:
    """Set the two edge cases once (idempotent) and summarise the verdicts on ``today``."""
    open_bg = (
        demo_involvements()
        .filter(unit__province_id="BG", doti__isnull=True)
        .exclude(procedure__status=ProcedureStatus.CHIUSA)
        .exclude(procedure__family=Family.LICENZIAMENTO_COLLETTIVO)
        .order_by("pk")
    )
    cases = [
        ({"hours_reduction_pct": 31}, {"hours_reduction_pct": 31}),
        ({"income_support": IncomeSupport.FIS}, {"income_support": IncomeSupport.FIS}),
    ]
    used: set[int] = set()
    for present, change in cases:
        done = open_bg.filter(**present).first()
        if done is None:
            target = (
                open_bg.filter(income_support=IncomeSupport.CIGS, hours_reduction_pct=50)
                .exclude(pk__in=used)
                .first()
            )
            if target is None:
                continue
            done = involvement_update(user=None, involvement=target, data=change)
        used.add(done.pk)
    sample = list(demo_involvements().order_by("pk")[:SAMPLE])
    eligible: dict[str, list[int]] = {}
    for verdicts in measures_for(sample, on=today).values():
        for verdict in verdicts:
            counts = eligible.setdefault(verdict.measure.name, [0, 0])
            counts[0 if verdict.eligible else 1] += 1
    parts = [f"{name} {yes} yes / {no} no" for name, (yes, no) in sorted(eligible.items())]
    return f"Eligibility (first {len(sample)} demo workers, today): " + "; ".join(parts) + "."
