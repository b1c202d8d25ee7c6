"""Demo money (issue #15): funding sources with budgets and periods, the measures' shares, and
payments on some of the Doti where services were delivered.

- The re-employment networks ("Azioni di rete per il lavoro") draw on the two sources of source
  003 (Linee guida reti, "Fonti finanziarie"): € 6.520.000 from the Fondo per il potenziamento
  delle competenze e la riqualificazione professionale and € 4.381.148 from the Programma GOL
  (riparto PNRR), € 10.901.148 in all, the 2022 resources usable through 2023 — shares
  59,81 % / 40,19 % (6.520.000 / 10.901.148).
- The other demo measures keep the source they had (the funds migrated from the old choices)
  and get budgets. The demo's thirty-odd Doti are a sample, so those budgets are the sample's
  share of a programme: set from what the demo already committed on each source, so that two
  sources are close to their budget (about 94 % and 87 % committed) and the next approvals on
  them may be refused as ``funding_overdrawn`` — what the report and the refusal look like
  when money runs short.
- Payments: on two Doti of every three with services delivered, in full or half (the Region's
  "regione" user records them, through the same rule: never beyond what was delivered).

Safe to run again: the funds are brought up to date, payments are added only once.
"""

import datetime
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from crisi_portal.history import bulk_create_recorded
from crisi_portal.models import User
from pal.models import Dote, Fund, Measure, MeasureFunding, Payment
from pal.spending import per_dote, spending_rows

NETWORK_MEASURE = "azioni-di-rete"
NETWORK_FUNDS = [
    (
        "fondo-competenze-2022",
        "Fondo per il potenziamento delle competenze e la riqualificazione professionale "
        "(riparto 2022)",
        "altro",
        Decimal("6520000.00"),
        Decimal("59.81"),
    ),
    (
        "gol-pnrr-reti-2022",
        "Programma GOL – riparto PNRR (reti di ricollocazione, 2022)",
        "pnrr_gol",
        Decimal("4381148.00"),
        Decimal("40.19"),
    ),
]
NETWORK_BASIS = (
    "Linee guida per la costituzione di reti per la ricollocazione e riqualificazione "
    "collettiva (Allegato 1), «Fonti finanziarie»: risorse 2022 del PAR GOL di Regione "
    "Lombardia, attivabili per tutto il 2023, € 10.901.148 in totale."
)
# Migrated fund → (share of its demo commitments the budget stands at, legal basis, period).
DEMO_BUDGETS = {
    "regionale": (
        Decimal("0.94"),
        "Bilancio regionale, politiche attive per i lavoratori in ammortizzatori sociali "
        "(quota del campione demo).",
    ),
    "fse_plus_2021_27": (
        Decimal("0.87"),
        "PR FSE+ 2021-2027 Regione Lombardia, Priorità 1 Occupazione (quota del campione demo).",
    ),
}


def _round_up(amount: Decimal, step: Decimal) -> Decimal:
    return (amount / step).to_integral_value(rounding=ROUND_UP) * step


def seed_money(today: datetime.date) -> str:
    regione = User.objects.filter(username="regione").first()
    start, end = datetime.date(2022, 1, 1), datetime.date(2023, 12, 31)
    network = Measure.objects.filter(code=NETWORK_MEASURE).first()
    if network is not None:
        shares = []
        for code, name, kind, budget, share in NETWORK_FUNDS:
            fund, _ = Fund.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "kind": kind,
                    "budget": budget,
                    "valid_from": start,
                    "valid_until": end,
                    "legal_basis": NETWORK_BASIS,
                },
            )
            shares.append(MeasureFunding(measure=network, fund=fund, share=share))
        MeasureFunding.objects.filter(measure=network).delete()
        MeasureFunding.objects.bulk_create(shares)

    # The committed per source, as the report computes it (one query), before any budget.
    committed = {row["key"]: row["committed"] for row in spending_rows(regione, by="source")}
    for code, (used, basis) in DEMO_BUDGETS.items():
        fund = Fund.objects.filter(code=code).first()
        if fund is None or not committed.get(fund.pk):
            continue
        fund.budget = _round_up(committed[fund.pk] / used, Decimal("100"))
        fund.legal_basis = basis
        fund.valid_from, fund.valid_until = (
            datetime.date(today.year - 1, 1, 1),
            datetime.date(today.year + 1, 12, 31),
        )
        fund.save()

    paid = 0
    if not Payment.objects.exists():
        doti = (
            Dote.objects.annotate(delivered=per_dote("delivered", None))
            .filter(delivered__gt=0)
            .order_by("pk")
            .values("pk", "delivered")
        )
        payments = []
        for n, row in enumerate(doti):
            if n % 3 == 2:
                continue  # delivered, not yet paid
            amount = row["delivered"] if n % 3 == 0 else row["delivered"] / 2
            amount = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
            payments.append(
                Payment(
                    dote_id=row["pk"],
                    paid_on=today - datetime.timedelta(days=10 + 7 * n),
                    amount=amount,
                    reference=f"DDUO {1200 + n}/{today.year}",
                    recorded_by=regione,
                )
            )
        bulk_create_recorded(payments, Payment, user=regione, reason="demo")
        paid = len(payments)
    return (
        f"Money: {Fund.objects.count()} funding sources ({len(NETWORK_FUNDS)} for the networks, "
        f"€ 10.901.148), {paid} payments recorded."
    )
