"""History has no holes (#11 item 3): every service that changes a historied model leaves a
history row for each object it changed, naming the user.

The walk is over the public functions of the service modules: each one is either in
SCENARIOS (run for real; the objects it changed must have new history rows, and every
INSERT/UPDATE/DELETE it sends to a historied table must come with an INSERT into that
table's history) or in NO_HISTORIED_WRITES with the reason. A new service in neither table
fails the first test, so it cannot be added without saying how its writes are audited.
"""

import datetime
import importlib
import inspect
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services as cases_services
from cases.models import CompanyChangeProposal
from crisi_portal.models import ApiToken
from monitoring import services as monitoring_services
from pal import services as pal_services
from pal.enums import DoteStatus, MemberKind, PIPStatus
from pal.models import Network, Qualification
from tests.cases.factories import (
    CompanyFactory,
    CrisisProcedureFactory,
    MeetingFactory,
    OperatorFactory,
    ProductionUnitFactory,
    partita_iva,
    province,
)
from tests.factories import UserFactory
from tests.pal.factories import NetworkFactory, measure, pip_with_service, service
from tests.pal.step3_factories import step3_meeting
from tests.workers.factories import CohortFactory, InvolvementFactory, WorkerFactory
from workers import retention
from workers import services as workers_services
from workers.enums import OutcomeKind, Step

SERVICE_MODULES = (
    "cases.services",
    "workers.services",
    "pal.services",
    "monitoring.services",
    "crisi_portal.services",
    "workers.retention",
    "workers.communications",
)

# Services that write no historied model, and why.
NO_HISTORIED_WRITES = {
    "cases.services.external_id_generate": "computes an identifier",
    # The tables' details (#14 item 3) are not historied: the agenda's order and topics (the
    # procedures discussed are the Meeting's historied many-to-many), the participants, the
    # decisions (done_on and done_by say who marked one done) and a user's own calendar secret.
    "cases.services.meeting_agenda_update": "writes AgendaItem, not historied",
    "cases.services.meeting_participant_add": "writes MeetingParticipant, not historied",
    "cases.services.meeting_participant_remove": "writes MeetingParticipant, not historied",
    "cases.services.meeting_decision_add": "writes MeetingDecision, not historied",
    "cases.services.meeting_decision_mark_done": "writes MeetingDecision, not historied",
    "cases.services.calendar_feed_issue": "writes CalendarFeed, not historied",
    "cases.services.calendar_feed_revoke": "writes CalendarFeed, not historied",
    "pal.services.worker_exclusivity_check": "a check: reads only",
    "pal.services.pip_rules_check": "a check: reads only",
    "pal.services.eligibility_check": "a check: reads only",
    "pal.services.network_editable_check": "a check: reads only",
    "pal.services.network_checks": "a check: reads only",
    "pal.services.network_is_valid": "a check: reads only",
    "pal.services.pip_total": "a sum: reads only",
    "pal.services.funding_check": "a check: reads only (locks the funding sources' rows)",
    "pal.services.step3_movable": "a selection: reads only",
    "pal.services.network_doti": "a queryset: reads only",
    "pal.services.admitted_service_kinds": "reads only",
    # PIPService is not historied: its changes are the PIP's services, audited by the report
    # figures themselves (delivered hours and cost, date).
    "pal.services.service_report": "writes PIPService, not historied",
    "monitoring.services.report_run_claim": "writes ReportRun, not historied",
    "monitoring.services.report_run_create_version": "writes ReportRun, not historied",
    "monitoring.services.report_run_enqueue": "writes ReportRun, not historied",
    "monitoring.services.report_run_fail": "writes ReportRun, not historied",
    "monitoring.services.report_run_notify": "sends mail",
    "monitoring.services.report_run_notify_users": "sends a notification task (not historied)",
    "monitoring.services.deadline_notify": "sends notification tasks (not historied)",
    "monitoring.services.report_run_produce": "writes ReportRun, not historied",
    "monitoring.services.report_run_recipients": "reads only",
    "monitoring.services.report_run_request": "writes ReportRun, not historied",
    "monitoring.services.report_run_requeue": "writes ReportRun, not historied",
    "monitoring.services.report_run_link": "builds a URL",
    "monitoring.services.report_runs_schedule": "writes ReportRun, not historied",
    "monitoring.services.report_run_store": "writes ReportRun, not historied",
    "monitoring.services.plan_check_parts": "a check: reads only",
    "monitoring.services.report_run_time_limit": "a setting",
    # Open data releases (issue #16 item 4): each row is itself the permanent public record
    # (a new figure is a new version; nothing is changed or deleted).
    "monitoring.services.open_data_publish": "writes OpenDataRelease, not historied",
    "monitoring.services.open_data_publish_run": "writes OpenDataRelease, not historied",
    "monitoring.services.open_data_publish_all": "writes OpenDataRelease, not historied",
    "monitoring.services.report_request_validate": "a check: reads only",
    "monitoring.services.report_runs_watchdog": "writes ReportRun, not historied",
    "monitoring.services.dashboard_refresh": (
        "rebuilds the dashboard's pre-aggregated tables (figures derived from historied rows, "
        "not historied themselves)"
    ),
    "crisi_portal.services.api_token_authenticate": "writes ApiToken.last_used_at, not historied",
    "crisi_portal.services.api_token_check": "a check: reads only",
    "crisi_portal.services.api_token_issue": "writes ApiToken, not historied",
    "crisi_portal.services.api_token_revoke": "writes ApiToken, not historied",
    # The helpers every service writes through: covered by every scenario below.
    "crisi_portal.services.save_validated": "the save every scenario goes through",
    "crisi_portal.services.delete_recorded": "the delete the scenarios go through",
    "crisi_portal.services.history_author": "names who and why on the row the scenarios save",
    "workers.retention.is_pseudonym": "a check",
    "workers.retention.old_history": "selects history rows",
    "workers.retention.pseudonym": "computes a pseudonym",
    "workers.retention.workers_to_pseudonymise": "selects workers",
    "workers.retention.years_before": "date arithmetic",
    "workers.communications.may_import": "a check: reads only",
}

DAY = datetime.date(2025, 5, 2)


def procedure_data(**overrides):
    return {
        "family": "cigs_regionale",
        "opened_on": datetime.date(2025, 2, 3),
        "start_date": datetime.date(2025, 2, 10),
        "end_date": datetime.date(2025, 12, 31),
        "lead_province": province("BG"),
        **overrides,
    }


def unit_data(**overrides):
    return {"comune": "Dalmine", "province": province("BG"), "workers_involved": 25, **overrides}


def members_of(lead):
    return [
        {"kind": MemberKind.OPERATORE_LAVORO, "name": lead.name, "operator": lead},
        {"kind": MemberKind.PROVINCIA, "name": "Provincia", "province": province("BG")},
        {
            "kind": MemberKind.CPI,
            "name": "CPI",
            "operator": OperatorFactory(cpi=True),
            "province": province("BG"),
        },
    ]


def network_data(lead):
    return {
        "name": "Rete di prova",
        "lead": lead,
        "province": province("BG"),
        "measure": measure("azioni-di-rete"),
        "valid_from": datetime.date(2025, 1, 1),
    }


# --- One scenario per service: it runs the service and returns the objects it changed ---------


def _company_upsert(user, walk):
    company = CompanyFactory(name="Vecchio nome")
    found = walk(cases_services.company_upsert)(
        user=user, tax_code=company.tax_code, name="Nuovo nome"
    )
    return [found]


def _company_proposal_decide(user, walk):
    company = CompanyFactory(name="Vecchio nome")
    proposal = CompanyChangeProposal.objects.create(company=company, name="Nuovo nome")
    walk(cases_services.company_proposal_decide)(user=user, proposal=proposal, accept=True)
    return [company]


def _procedure_create_with_company(user, walk):
    procedure = walk(cases_services.procedure_create_with_company)(
        user=user,
        company_data={"tax_code": partita_iva(4_444_444), "name": "Tessitura Orobica"},
        data=procedure_data(),
        units=[unit_data()],
    )
    return [procedure, procedure.company, procedure.units.get()]


def _procedure_create(user, walk):
    procedure = walk(cases_services.procedure_create)(
        user=user, company=CompanyFactory(), data=procedure_data(), units=[unit_data()]
    )
    return [procedure, procedure.units.get()]


def _procedure_update(user, walk):
    procedure = CrisisProcedureFactory(lead="BG")
    return [
        walk(cases_services.procedure_update)(user=user, procedure=procedure, data={"notes": "x"})
    ]


def _procedure_upsert(user, walk):
    procedure, _created = walk(cases_services.procedure_upsert)(
        user=user,
        company_data={"tax_code": partita_iva(5_555_555), "name": "Filati Bergamaschi"},
        data={**procedure_data(), "external_id": "SIUL-1"},
        units=[{**unit_data(), "external_id": "SIUL-1-U1"}],
    )
    return [procedure, procedure.company, procedure.units.get()]


def _unit_create(user, walk):
    procedure = CrisisProcedureFactory(lead="BG")
    return [walk(cases_services.unit_create)(user=user, procedure=procedure, data=unit_data())]


def _unit_update(user, walk):
    unit = ProductionUnitFactory()
    return [walk(cases_services.unit_update)(user=user, unit=unit, data={"workers_involved": 7})]


def _unit_upsert(user, walk):
    procedure = CrisisProcedureFactory(lead="BG")
    unit, _created = walk(cases_services.unit_upsert)(
        user=user, procedure=procedure, data={**unit_data(), "external_id": "U-1"}
    )
    return [unit]


def _unit_delete(user, walk):
    unit = ProductionUnitFactory()
    pk = unit.pk
    walk(cases_services.unit_delete)(user=user, unit=unit)
    return [(type(unit), pk)]


def _meeting_create(user, walk):
    procedure = CrisisProcedureFactory(lead="BG")
    meeting = walk(cases_services.meeting_create)(
        user=user,
        data={"kind": "bilaterale", "date": DAY, "province": province("BG"), "participants": "x"},
        procedures=[procedure],
    )
    return [meeting]


def _meeting_update(user, walk):
    meeting = MeetingFactory(procedures=[CrisisProcedureFactory(lead="BG")])
    meeting = walk(cases_services.meeting_update)(
        user=user, meeting=meeting, data={"participants": "RSU"}, procedures=None
    )
    return [meeting]


def _meeting_delete(user, walk):
    meeting = MeetingFactory(procedures=[CrisisProcedureFactory(lead="BG")])
    pk = meeting.pk
    walk(cases_services.meeting_delete)(user=user, meeting=meeting)
    return [(type(meeting), pk)]


def _cohort_create(user, walk):
    unit = ProductionUnitFactory()
    cohort = walk(workers_services.cohort_create)(
        user=user, procedure=unit.procedure, name="Gruppo A", unit=unit
    )
    return [cohort]


def _cohort_assign(user, walk):
    cohort = CohortFactory()
    involvements = [InvolvementFactory(unit=cohort.unit) for _ in range(2)]
    walk(workers_services.cohort_assign)(user=user, cohort=cohort, involvements=involvements)
    return involvements


def _cohort_remove(user, walk):
    cohort = CohortFactory()
    involvements = [InvolvementFactory(unit=cohort.unit, cohort=cohort) for _ in range(2)]
    walk(workers_services.cohort_remove)(user=user, involvements=involvements)
    return involvements


def _involvement_create(user, walk):
    unit = ProductionUnitFactory()
    involvement = walk(workers_services.involvement_create)(
        user=user,
        worker=WorkerFactory(),
        procedure=unit.procedure,
        unit=unit,
        data={"period_start": datetime.date(2025, 4, 1)},
        taken_in_charge_on=datetime.date(2025, 4, 2),
    )
    return [involvement]


def _involvement_update(user, walk):
    involvement = InvolvementFactory()
    walk(workers_services.involvement_update)(
        user=user, involvement=involvement, data={"hours_reduction_pct": 50}
    )
    return [involvement]


def _worker_update_personal(user, walk):
    worker = InvolvementFactory().worker
    walk(workers_services.worker_update_personal)(
        user=user, worker=worker, data={"citizenship": "rumena", "phone": "+39 035 123456"}
    )
    return [worker]


def _involvement_move(user, walk):
    involvement = InvolvementFactory()
    walk(workers_services.involvement_move)(
        user=user, involvement=involvement, to=Step.STEP_2, effective_date=DAY
    )
    return [involvement]


def _involvements_move(user, walk):
    unit = ProductionUnitFactory()
    involvements = [InvolvementFactory(unit=unit) for _ in range(3)]
    walk(workers_services.involvements_move)(
        user=user, involvements=involvements, to=Step.STEP_2, effective_date=DAY
    )
    return involvements


def _outcome_record(user, walk):
    involvement = InvolvementFactory()
    outcome = walk(workers_services.outcome_record)(
        user=user,
        involvement=involvement,
        data={"kind": OutcomeKind.RICOLLOCATO, "date": DAY, "contract_kind": "indeterminato"},
    )
    return [outcome]


def _unilav_hiring(code: str):
    """A worker taken in charge on DAY and a UNILAV document of their hiring that day."""
    from workers.unilav import ParsedCommunication, communication_xml

    involvement = InvolvementFactory(taken_on=DAY)
    item = ParsedCommunication(
        code=code,
        kind="ASS",
        worker_fiscal_code=involvement.worker.fiscal_code,
        employer_tax_code="02877740213",
        employer_name="Meccanica Orobica S.r.l.",
        event_date=DAY,
        start_date=DAY,
        end_date=None,
        contract_code="A.01.00",
        workplace_comune="A794",
    )
    return involvement, communication_xml(item)


def _communications_import(user, walk):
    from workers.communications import communications_import
    from workers.models import ProposedOutcome

    involvement, raw = _unilav_hiring("1300025000000001")
    walk(communications_import)(user=user, raw=raw, file_name="c.xml")
    return list(ProposedOutcome.objects.filter(involvement=involvement))


def _proposal(user):
    from workers.communications import communications_import
    from workers.models import ProposedOutcome

    involvement, raw = _unilav_hiring("1300025000000002")
    communications_import(user=user, raw=raw, file_name="c.xml")
    return ProposedOutcome.objects.get(involvement=involvement)


def _proposals_confirm(user, walk):
    from workers.communications import proposals_confirm

    proposal = _proposal(user)
    walk(proposals_confirm)(user=user, proposals=[proposal])
    return [proposal, proposal.involvement.outcome]


def _proposals_reject(user, walk):
    from workers.communications import proposals_reject

    proposal = _proposal(user)
    walk(proposals_reject)(user=user, proposals=[proposal])
    return [proposal]


def _dote_assign(user, walk):
    dote = walk(pal_services.dote_assign)(
        user=user,
        involvement=InvolvementFactory(),
        measure=measure(),
        operator=OperatorFactory(),
        value=Decimal("1000.00"),
        valid_from=datetime.date(2025, 5, 1),
        valid_until=datetime.date(2026, 4, 30),
    )
    return [dote]


def _pip_save(user, walk):
    pip = pip_with_service("bozza")
    pip = walk(pal_services.pip_save)(
        user=user, dote=pip.dote, objectives="Nuovi obiettivi", services=[service()], pip=pip
    )
    return [pip]


def _pip_submit(user, walk):
    pip = pip_with_service("bozza")
    return [walk(pal_services.pip_submit)(user=user, pip=pip)]


def _pip_approve(user, walk):
    pip = pip_with_service("presentato")
    approval = walk(pal_services.pip_approve)(user=user, pip=pip)
    approval.pip.dote.refresh_from_db()
    assert approval.pip.dote.status == DoteStatus.ATTIVA
    return [approval.pip, approval.pip.dote]


def _pip_return(user, walk):
    pip = pip_with_service("presentato")
    return [walk(pal_services.pip_return)(user=user, pip=pip, note="Mancano le date.")]


def _pip_start(user, walk):
    pip = pip_with_service("approvato")
    return [walk(pal_services.pip_start)(user=user, pip=pip)]


def _pip_conclude(user, walk):
    pip = pip_with_service("in_corso")
    pip = walk(pal_services.pip_conclude)(user=user, pip=pip)
    pip.dote.refresh_from_db()
    assert pip.dote.status == DoteStatus.CONCLUSA
    return [pip, pip.dote]


def _pip_withdraw(user, walk):
    pip = pip_with_service("bozza")
    return [walk(pal_services.pip_withdraw)(user=user, pip=pip, note="Il lavoratore rinuncia.")]


def _certification_record(user, walk):
    pip = pip_with_service("in_corso", dote__operator__accredited_for_training=True)
    certification = walk(pal_services.certification_record)(
        user=user,
        pip=pip,
        qualification=Qualification.objects.first(),
        title="Carrellista",
        competences="Guida del carrello",
        certified_on=DAY,
    )
    return [certification]


def _qualification_save(user, walk):
    item = Qualification.objects.first()
    return [
        walk(pal_services.qualification_save)(
            user=user, data={"title": "Operatore meccanico"}, qualification=item
        )
    ]


def _agreement_data() -> dict:
    return {
        "kind": "aziendale",
        "signed_on": DAY,
        "goals": ["retrain"],
        "parties": [{"role": "union", "name": "FIOM-CGIL"}],
        "workers_covered": 5,
    }


def _agreement_create(user, walk):
    procedure = ProductionUnitFactory(in_province="BG", workers_involved=10).procedure
    return [
        walk(cases_services.agreement_create)(
            user=user, procedure=procedure, data=_agreement_data()
        )
    ]


def _agreement_update(user, walk):
    procedure = ProductionUnitFactory(in_province="BG", workers_involved=10).procedure
    agreement = cases_services.agreement_create(
        user=None, procedure=procedure, data=_agreement_data()
    )
    return [
        walk(cases_services.agreement_update)(
            user=user, agreement=agreement, data={"workers_covered": 7}
        )
    ]


def _agreement_delete(user, walk):
    procedure = ProductionUnitFactory(in_province="BG", workers_involved=10).procedure
    agreement = cases_services.agreement_create(
        user=None, procedure=procedure, data=_agreement_data()
    )
    pk = agreement.pk
    walk(cases_services.agreement_delete)(user=user, agreement=agreement)
    return [(type(agreement), pk)]


def _network_save(user, walk):
    lead = OperatorFactory(accredited_for_labour=True)
    network = NetworkFactory(complete=True, lead=lead)
    removed = list(network.members.all())
    network = walk(pal_services.network_save)(
        user=user, data={"name": "Rete rinnovata"}, members=members_of(lead), network=network
    )
    return [network, *removed, *network.members.all()]


def _network_create(user, walk):
    lead = OperatorFactory(accredited_for_labour=True)
    network = walk(pal_services.network_save)(
        user=user, data=network_data(lead), members=members_of(lead)
    )
    return [network, *network.members.all()]


def _network_share_set(user, walk):
    from tests.pal.network_world import network_world

    world = network_world(tag="-share")
    share = walk(pal_services.network_share_set)(
        user=user,
        network=world.network,
        operator=world.member,
        dote=world.doti[0],
        amount=Decimal("100.00"),
    )
    return [share]


def _network_service_report(user, walk):
    from tests.pal.network_world import network_world

    world = network_world(tag="-report")
    pal_services.network_share_set(
        user=None,
        network=world.network,
        operator=world.member,
        dote=world.doti[0],
        amount=Decimal("100.00"),
    )
    service = walk(pal_services.network_service_report)(
        user=user,
        network=world.network,
        operator=world.member,
        kind="orientamento",
        delivery="individuale",
        delivered_on=timezone.localdate(),
        hours=Decimal("2.0"),
        cost=Decimal("50.00"),
        doti=[world.doti[0]],
    )
    return [service]


def _measure_save(user, walk):
    item = measure()
    return [walk(pal_services.measure_save)(user=user, data={"name": "Dote Unica"}, measure=item)]


def _fund_save(user, walk):
    from pal.models import Fund

    fund = Fund.objects.get(code="regionale")
    return [walk(pal_services.fund_save)(user=user, data={"budget": Decimal("1000")}, fund=fund)]


def _fund_create(user, walk):
    data = {"code": "nuovo-fondo", "name": "Nuovo fondo", "budget": Decimal("1000")}
    return [walk(pal_services.fund_save)(user=user, data=data)]


def _measure_fundings_set(user, walk):
    from pal.models import Fund, MeasureFunding

    item = measure("dote-unica-lavoro")
    kept = MeasureFunding.objects.get(measure=item)  # 100 % on FSE+, becomes 60 %
    other = Fund.objects.get(code="regionale")
    walk(pal_services.measure_fundings_set)(
        user=user,
        measure=item,
        shares=[(kept.fund, Decimal("60")), (other, Decimal("40"))],
    )
    return list(MeasureFunding.objects.filter(measure=item))


def _payment_record(user, walk):
    pip = pip_with_service("approvato")
    service_row = pip.services.get()
    service_row.delivered_cost, service_row.delivered_hours = Decimal("100"), Decimal("1")
    service_row.delivered_on = DAY
    service_row.save()
    payment = walk(pal_services.payment_record)(
        user=user, dote=pip.dote, paid_on=DAY, amount=Decimal("100"), reference="DDS 1"
    )
    return [payment]


def _operator_save(user, walk):
    operator = OperatorFactory()
    return [
        walk(pal_services.operator_save)(user=user, data={"name": "Nuovo nome"}, operator=operator)
    ]


def _plan_save(user, walk):
    from monitoring.enums import PlanMetric
    from monitoring.models import PlanBudgetLine, PlanPhase
    from tests.monitoring.plan_factories import group, indicator, partner, plan

    existing = plan("BG")
    changed, removed = partner(existing, "Vecchio nome"), group(existing, "Da togliere")
    counted = indicator(existing, PlanMetric.REEMPLOYED, target_group=removed)
    phase = PlanPhase.objects.create(
        plan=existing,
        name="Fase",
        starts_on=datetime.date(2025, 2, 1),
        ends_on=datetime.date(2025, 3, 1),
    )
    saved = walk(monitoring_services.plan_save)(
        user=user,
        data={"title": "Piano rinnovato"},
        parts={
            "partners": [{"id": changed.pk, "name": "Nuovo nome"}],
            "phases": [{"id": phase.pk, "delete": True}],
            "budget": [{"funding_source": "regionale", "amount": Decimal("7726497")}],
            # The group goes: its indicator counts every worker from now on (a change too).
            "target_groups": [{"id": removed.pk, "delete": True}],
        },
        plan=existing,
    )
    return [
        saved,
        changed,
        counted,
        (type(removed), removed.pk),
        phase,
        *PlanBudgetLine.objects.all(),
    ]


def _plan_create(user, walk):
    saved = walk(monitoring_services.plan_save)(
        user=user,
        data={
            "title": "Piano",
            "province_id": "BG",
            "period_from": datetime.date(2025, 1, 1),
            "period_to": datetime.date(2025, 12, 31),
        },
        parts={"partners": [{"role": "cciaa", "name": "CCIAA"}]},
    )
    return [saved, *saved.partners.all()]


def _retention_run(user, walk):
    involvement = InvolvementFactory()
    # Closed long enough ago for RETENTION_WORKER_YEARS = 0: before today, not changed since.
    type(involvement.procedure).objects.filter(pk=involvement.procedure_id).update(
        status="chiusa", updated_at=timezone.now() - datetime.timedelta(days=30)
    )
    with override_settings(RETENTION_WORKER_YEARS=0):
        report = walk(retention.retention_run)()
    assert report.workers == 1
    return [involvement.worker]


def _step3_cohort(n: int = 2):
    cohort = CohortFactory()
    for _ in range(n):
        involvement = InvolvementFactory(unit=cohort.unit, cohort=cohort)
        workers_services.involvement_move(
            user=None, involvement=involvement, to=Step.STEP_2, effective_date=DAY
        )
    return cohort


def _step3_meeting_save(user, walk):
    cohort = _step3_cohort()
    meeting = walk(pal_services.step3_meeting_save)(
        user=user,
        data={
            "province": cohort.unit.province,
            "date": DAY,
            "start_time": datetime.time(9, 30),
            "place": "Sala",
            "capacity": 10,
        },
        cohorts=[cohort],
    )
    return [meeting, *meeting.invitations.all()]


def _step3_meeting(cohort):
    return step3_meeting([cohort], province=cohort.unit.province_id, date=DAY)


def _step3_invitations_send(user, walk):
    meeting = _step3_meeting(_step3_cohort())
    walk(pal_services.step3_invitations_send)(user=user, meeting=meeting)
    return list(meeting.invitations.all())


def _step3_attendance_record(user, walk):
    meeting = _step3_meeting(_step3_cohort())
    walk(pal_services.step3_attendance_record)(
        user=user,
        meeting=meeting,
        attendance={pk: "present" for pk in meeting.invitations.values_list("pk", flat=True)},
    )
    return list(meeting.invitations.all())


def _step3_move_present(user, walk):
    cohort = _step3_cohort()
    meeting = _step3_meeting(cohort)
    meeting.invitations.update(attendance="present")
    walk(pal_services.step3_move_present)(user=user, meeting=meeting)
    return list(cohort.involvements.all())


SCENARIOS = {
    "cases.services.company_upsert": _company_upsert,
    "cases.services.company_proposal_decide": _company_proposal_decide,
    "cases.services.procedure_create_with_company": _procedure_create_with_company,
    "cases.services.procedure_create": _procedure_create,
    "cases.services.procedure_update": _procedure_update,
    "cases.services.procedure_upsert": _procedure_upsert,
    "cases.services.unit_create": _unit_create,
    "cases.services.unit_update": _unit_update,
    "cases.services.unit_upsert": _unit_upsert,
    "cases.services.unit_delete": _unit_delete,
    "cases.services.meeting_create": _meeting_create,
    "cases.services.meeting_update": _meeting_update,
    "cases.services.meeting_delete": _meeting_delete,
    "cases.services.agreement_create": _agreement_create,
    "cases.services.agreement_update": _agreement_update,
    "cases.services.agreement_delete": _agreement_delete,
    "workers.services.cohort_create": _cohort_create,
    "workers.services.cohort_assign": _cohort_assign,
    "workers.services.cohort_remove": _cohort_remove,
    "workers.services.involvement_create": _involvement_create,
    "workers.services.involvement_update": _involvement_update,
    "workers.services.involvement_move": _involvement_move,
    "workers.services.worker_update_personal": _worker_update_personal,
    "workers.services.involvements_move": _involvements_move,
    "workers.services.outcome_record": _outcome_record,
    "workers.communications.communications_import": _communications_import,
    "workers.communications.proposals_confirm": _proposals_confirm,
    "workers.communications.proposals_reject": _proposals_reject,
    "pal.services.dote_assign": _dote_assign,
    "pal.services.pip_save": _pip_save,
    "pal.services.pip_submit": _pip_submit,
    "pal.services.pip_approve": _pip_approve,
    "pal.services.pip_return": _pip_return,
    "pal.services.pip_start": _pip_start,
    "pal.services.pip_conclude": _pip_conclude,
    "pal.services.pip_withdraw": _pip_withdraw,
    "pal.services.certification_record": _certification_record,
    "pal.services.qualification_save": _qualification_save,
    "pal.services.network_save": _network_save,
    "pal.services.network_save (new)": _network_create,
    "pal.services.network_share_set": _network_share_set,
    "pal.services.network_service_report": _network_service_report,
    "pal.services.measure_save": _measure_save,
    "pal.services.operator_save": _operator_save,
    "pal.services.fund_save": _fund_save,
    "pal.services.fund_save (new)": _fund_create,
    "pal.services.measure_fundings_set": _measure_fundings_set,
    "pal.services.payment_record": _payment_record,
    "workers.retention.retention_run": _retention_run,
    "pal.services.step3_meeting_save": _step3_meeting_save,
    "pal.services.step3_invitations_send": _step3_invitations_send,
    "pal.services.step3_attendance_record": _step3_attendance_record,
    "pal.services.step3_move_present": _step3_move_present,
    "monitoring.services.plan_save": _plan_save,
    "monitoring.services.plan_save (new)": _plan_create,
}

# Scenarios whose history rows name no user: the monthly task acts for nobody.
SYSTEM_SCENARIOS = {"workers.retention.retention_run"}


def public_services() -> set[str]:
    names = set()
    for module_name in SERVICE_MODULES:
        module = importlib.import_module(module_name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module_name and not name.startswith("_"):
                names.add(f"{module_name}.{name}")
    return names


def historied_tables() -> dict[str, str]:
    """db_table of every historied model → db_table of its history."""
    return {
        model._meta.db_table: model.history.model._meta.db_table
        for model in apps.get_models()
        if getattr(model._meta, "simple_history_manager_attribute", None) == "history"
    }


WRITE = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.IGNORECASE)


def test_every_public_service_is_walked_or_said_to_write_no_historied_model():
    walked = {name.split(" ")[0] for name in SCENARIOS}
    services = public_services()
    assert services - walked - set(NO_HISTORIED_WRITES) == set(), (
        "a service is neither walked by a scenario nor listed as writing no historied model"
    )
    # The tables name only services that exist (a renamed service is not silently dropped).
    assert (walked | set(NO_HISTORIED_WRITES)) - services == set()
    assert not walked & set(NO_HISTORIED_WRITES)


def test_the_walk_knows_the_historied_models():
    tables = historied_tables()
    assert {"pal_dote", "pal_networkmember", "workers_worker", "cases_crisisprocedure"} <= set(
        tables
    )


class Walk:
    """``walk(service)(...)``: the one call of a scenario, timed and with its SQL captured."""

    def __init__(self):
        self.started = None
        self.queries = CaptureQueriesContext(connection)

    def __call__(self, function):
        def run(*args, **kwargs):
            assert self.started is None, "a scenario calls one service"
            self.started = timezone.now()
            with self.queries:
                return function(*args, **kwargs)

        return run

    def written(self) -> dict[str, set[str]]:
        """Table → the kinds of write (INSERT INTO, UPDATE, DELETE FROM) sent to it."""
        written = {}
        for query in self.queries.captured_queries:
            match = WRITE.match(query["sql"])
            if match:
                written.setdefault(match.group(2), set()).add(match.group(1).upper())
        return written


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_each_service_leaves_a_history_row_for_each_object_it_changed(name):
    user = UserFactory(username="auditor", admin=True)
    walk = Walk()
    changed = SCENARIOS[name](user, walk)

    assert walk.started is not None, "the scenario calls its service through walk()"
    assert changed, "a scenario names the objects it changed"
    expected_user = None if name in SYSTEM_SCENARIOS else user
    for item in changed:
        model, pk = item if isinstance(item, tuple) else (type(item), item.pk)
        rows = model.history.filter(id=pk, history_date__gte=walk.started)
        assert rows.exists(), f"{model.__name__} {pk} has no new history row"
        assert {row.history_user for row in rows} == {expected_user}

    tables = historied_tables()
    written = walk.written()
    for table in written.keys() & tables.keys():
        assert "INSERT INTO" in written.get(tables[table], set()), (
            f"{name} wrote {table} ({written[table]}) without a history row"
        )
    # Every history row the service wrote is one the checks above looked for, or its user
    # is the acting user: none is anonymous.
    for model in apps.get_models():
        if getattr(model._meta, "simple_history_manager_attribute", None) != "history":
            continue
        anonymous = model.history.filter(history_date__gte=walk.started)
        users = set(anonymous.values_list("history_user", flat=True))
        assert users <= {expected_user.pk if expected_user else None}, model.__name__


@pytest.mark.django_db
def test_a_history_hole_would_be_caught():
    """The walk's SQL check fails on a queryset.update(), as pip_approve's was before."""
    pip = pip_with_service("presentato")
    tables = historied_tables()
    with CaptureQueriesContext(connection) as queries:
        type(pip.dote).objects.filter(pk=pip.dote_id).update(status=DoteStatus.ATTIVA)
    written = {WRITE.match(q["sql"]).group(2) for q in queries.captured_queries}
    assert "pal_dote" in written
    assert tables["pal_dote"] not in written


@pytest.mark.django_db
def test_the_dote_changes_of_an_api_approval_name_the_client(api_client_for):
    """pip_approve's Dote row, like the PIP's, names the user and the API token."""
    staff = UserFactory(username="siul", province_staff=True, provinces=["BG"])
    pip = pip_with_service("presentato")
    client = api_client_for(staff, name="SIUL Lombardia")
    token = ApiToken.objects.get(user=staff)

    response = client.post(f"/api/v1/pips/{pip.pk}/approve/", {}, format="json")

    assert response.status_code == 200, response.content
    record = pip.dote.history.first()
    assert record.status == DoteStatus.ATTIVA
    assert (record.history_user, record.history_api_token) == (staff, token)
    assert pip.history.first().status == PIPStatus.APPROVATO


@pytest.mark.django_db
def test_a_bulk_update_names_the_user_and_the_api_client_of_the_request():
    """bulk_update_recorded rows carry what save() rows get from the signal and middleware."""
    from simple_history.models import HistoricalRecords

    from crisi_portal.history import bulk_update_recorded
    from crisi_portal.services import api_token_issue

    staff = UserFactory(username="bulk", province_staff=True, provinces=["BG"])
    token, _key = api_token_issue(
        user=staff,
        name="SIUL",
        expires_at=timezone.now() + datetime.timedelta(days=1),
        scopes=["workers:write"],
    )
    workers = [WorkerFactory() for _ in range(3)]
    for worker in workers:
        worker.email = f"{worker.pk}@example.org"

    # What HistoryRequestMiddleware keeps for a request that ApiTokenAuthentication served.
    request = RequestFactory().post("/api/v1/")
    request.user, request.api_token = staff, token
    HistoricalRecords.context.request = request
    try:
        assert bulk_update_recorded(workers, type(workers[0]), ["email"], batch_size=2) == 3
    finally:
        del HistoricalRecords.context.request
    for worker in workers:
        record = worker.history.first()
        assert (record.history_type, record.email) == ("~", worker.email)
        assert (record.history_user, record.history_api_token) == (staff, token)


@pytest.mark.django_db
def test_network_members_removed_by_a_save_are_recorded_with_the_user():
    user = UserFactory(username="region2", region_official=True)
    lead = OperatorFactory(accredited_for_labour=True)
    network = NetworkFactory(complete=True, lead=lead)
    removed = list(network.members.values_list("pk", flat=True))
    pal_services.network_save(user=user, data={}, members=members_of(lead), network=network)
    gone = Network.members.rel.related_model.history.filter(id__in=removed, history_type="-")
    assert gone.count() == len(removed)
    assert set(gone.values_list("history_user", flat=True)) == {user.pk}
