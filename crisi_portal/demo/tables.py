"""Demo tables (#14 item 3): the current year's Tavoli like 2025's ("Nel 2025 sono stati
convocati n. 4 Tavoli regionali, n. 21 Tavoli bilaterali", source 001), and on every demo
regional and bilateral table an agenda with topics, participants by role and decisions.
Loaded once: left as is when the demo tables already have participants."""

import random
from datetime import date, timedelta

from cases.enums import DecisionKind, MeetingKind, ParticipantRole, Status
from cases.models import (
    AgendaItem,
    CrisisProcedure,
    Meeting,
    MeetingDecision,
    MeetingParticipant,
)
from crisi_portal.demo.reference import DEMO_PREFIX, EMPLOYERS, PROVINCE_ORDER, UNIONS

REGIONAL_PER_YEAR = 4
BILATERAL_PER_YEAR = 21
TOPICS = (
    "Esuberi e piano di gestione",
    "Avvio delle politiche attive (STEP 2)",
    "Verifica dell'accordo sindacale",
    "Richiesta di Azioni di rete",
    "Aggiornamento sulla CIGS",
)
DECISIONS = (
    (DecisionKind.STEP_2, "Convocare i lavoratori per la scelta degli strumenti."),
    (DecisionKind.AZIONI_RETE, "Attivare le Azioni di rete sul territorio."),
    (DecisionKind.TAVOLO_BILATERALE, "Aggiornare il tavolo con la Provincia."),
    (DecisionKind.RICHIESTA_INFORMAZIONI, "Chiedere all'azienda l'elenco aggiornato."),
    (DecisionKind.ALTRO, "Verifica al prossimo incontro."),
)


def _add_current_year(rng: random.Random, demo, today: date) -> None:
    """Regional and bilateral tables of the current year up to the 2025 numbers."""
    start = date(today.year, 1, 15)
    if today <= start:
        return
    span = (today - start).days
    running = list(
        demo.filter(opened_on__lte=today, end_date__gte=start).exclude(status=Status.CHIUSA)
    ) or list(demo.filter(opened_on__year=today.year))
    if not running:
        return
    held = Meeting.objects.filter(procedures__in=demo, date__year=today.year).distinct()
    regional = held.filter(kind=MeetingKind.REGIONALE).count()
    bilateral = held.filter(kind=MeetingKind.BILATERALE).count()

    def create(kind, day, province, procedures):
        meeting = Meeting.objects.create(kind=kind, date=day, province_id=province)
        meeting.procedures.set(procedures)

    complex_first = sorted(running, key=lambda p: (not p.high_complexity, p.pk))
    for n in range(max(0, REGIONAL_PER_YEAR - regional)):
        day = start + timedelta(days=span * (n + 1) // (REGIONAL_PER_YEAR + 1))
        create(MeetingKind.REGIONALE, day, None, complex_first[n % 3 : n % 3 + 4])
    by_province = {}
    for procedure in running:
        by_province.setdefault(procedure.lead_province_id, []).append(procedure)
    provinces = [code for code in PROVINCE_ORDER if code in by_province]
    for n in range(max(0, BILATERAL_PER_YEAR - bilateral)):
        code = provinces[n % len(provinces)]
        local = by_province[code]
        day = start + timedelta(days=rng.randint(0, span))
        create(MeetingKind.BILATERALE, day, code, rng.sample(local, min(2, len(local))))


def seed_tables(today: date) -> int:
    """Agenda, participants and decisions on the demo tables; returns the tables filled."""
    demo = CrisisProcedure.objects.filter(external_id__startswith=DEMO_PREFIX)
    tables = Meeting.objects.filter(
        procedures__in=demo, kind__in=(MeetingKind.REGIONALE, MeetingKind.BILATERALE)
    ).distinct()
    if MeetingParticipant.objects.filter(meeting__in=tables).exists():
        return 0
    rng = random.Random(6177)  # DGR 6177/2023
    _add_current_year(rng, demo, today)
    items, participants, decisions = [], [], []
    done_agenda = set(AgendaItem.objects.filter(meeting__in=tables).values_list("meeting_id"))
    for meeting in tables.prefetch_related("procedures__company").order_by("date", "pk"):
        procedures = sorted(meeting.procedures.all(), key=lambda p: p.pk)
        provinces = sorted({p.lead_province_id for p in procedures}, key=PROVINCE_ORDER.index)
        if (meeting.pk,) not in done_agenda:
            AgendaItem.objects.filter(meeting=meeting).delete()
            items += [
                AgendaItem(
                    meeting=meeting, procedure=p, position=n, topic=TOPICS[(meeting.pk + n) % 5]
                )
                for n, p in enumerate(procedures, start=1)
            ]
        rows = [(ParticipantRole.REGIONE, "Regione Lombardia", "DG Formazione e Lavoro")]
        rows += [
            (ParticipantRole.PROVINCIA, f"Provincia – Nucleo Crisi {c}", "") for c in provinces
        ]
        rows += [(ParticipantRole.CPI, f"Centro per l'impiego ({c})", "") for c in provinces[:2]]
        rows += [
            (ParticipantRole.AZIENDA, p.company.name, "Direzione del personale")
            for p in procedures[:3]
        ]
        rows.append((ParticipantRole.SINDACATI, UNIONS["industry"], "Segreterie territoriali"))
        if meeting.kind == MeetingKind.REGIONALE:
            rows += [(ParticipantRole.ALTRO, EMPLOYERS[c], "") for c in provinces[:2]]
            rows.append((ParticipantRole.OPERATORI, "Operatori accreditati", "Rappresentanza"))
        participants += [
            MeetingParticipant(meeting=meeting, role=kind, organisation=org[:200], title=title)
            for kind, org, title in rows
        ]
        for n, procedure in enumerate(procedures[:3]):
            kind, text = DECISIONS[(meeting.pk + n) % len(DECISIONS)]
            due = meeting.date + timedelta(days=30)
            decisions.append(
                MeetingDecision(
                    meeting=meeting,
                    procedure=procedure,
                    kind=kind,
                    text=text,
                    due_on=due,
                    done_on=due if due < today and n % 2 == 0 else None,
                )
            )
    AgendaItem.objects.bulk_create(items)
    MeetingParticipant.objects.bulk_create(participants)
    MeetingDecision.objects.bulk_create(decisions)
    return tables.count()
