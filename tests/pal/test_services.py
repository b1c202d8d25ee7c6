"""The rules of active policies (§4), one per test, each with the case that breaks it.

Every refusal is checked twice: the rule that refused (its ``code``) and that nothing changed.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from cases.enums import Status as ProcedureStatus
from pal.enums import PIP_TRANSITIONS, DoteStatus, PIPStatus
from pal.models import PIP, Dote, Measure, PIPService, PIPTransition
from pal.services import (
    PALRuleRefused,
    dote_assign,
    pip_approve,
    pip_conclude,
    pip_return,
    pip_save,
    pip_start,
    pip_submit,
    pip_withdraw,
    service_report,
)
from tests.cases.factories import CrisisProcedureFactory, OperatorFactory, ProductionUnitFactory
from tests.factories import UserFactory
from tests.pal.factories import (
    DoteFactory,
    PIPServiceFactory,
    committed_pip,
    measure,
    operator_staff,
    pip_with_service,
    service,
)
from tests.workers.factories import InvolvementFactory
from workers.enums import Step
from workers.models import StepTransition
from workers.services import involvement_move

pytestmark = pytest.mark.django_db

DOTE_FROM = datetime.date(2025, 5, 1)  # DoteFactory's validity
DOTE_UNTIL = datetime.date(2026, 4, 30)
NOTE = "Manca il bilancio di competenze."


def assign(involvement, code: str = "dote-unica-lavoro", **overrides) -> Dote:
    """dote_assign as the chosen operator's staff would call it."""
    operator = overrides.pop("operator", None) or OperatorFactory()
    arguments = {
        "user": operator_staff(operator),
        "involvement": involvement,
        "measure": measure(code),
        "operator": operator,
        "value": Decimal("1000.00"),
        "valid_from": DOTE_FROM,
        "valid_until": DOTE_UNTIL,
    }
    arguments.update(overrides)
    return dote_assign(**arguments)


def refused(code: str, call, *args, **kwargs) -> PALRuleRefused:
    with pytest.raises(PALRuleRefused) as refusal:
        call(*args, **kwargs)
    assert refusal.value.code == code, refusal.value.message
    return refusal.value


def assert_pip_unchanged(pip: PIP, status: str) -> None:
    pip.refresh_from_db()
    assert pip.status == status
    assert not pip.transitions.exists()
    assert pip.decided_by is None


def at_step(step: str, **factory_kwargs):
    """A BG involvement brought to ``step`` by the system, before the Doti start."""
    involvement = InvolvementFactory(**factory_kwargs)
    path = {Step.STEP_1: [], Step.STEP_2: [Step.STEP_2], Step.STEP_3: [Step.STEP_2, Step.STEP_3]}
    for day, to in enumerate(path[step], start=10):
        involvement_move(
            user=None, involvement=involvement, to=to, effective_date=datetime.date(2025, 4, day)
        )
    return involvement


# --- Doti: assignment ------------------------------------------------------------------------


def test_the_chosen_operator_assigns_a_dote():
    dote = assign(InvolvementFactory())
    assert dote.pk and dote.status == DoteStatus.ASSEGNATA


def test_another_operators_staff_cannot_assign_a_dote_for_an_operator():
    involvement = InvolvementFactory()
    with pytest.raises(PermissionDenied):
        assign(involvement, user=operator_staff(OperatorFactory()))
    assert not Dote.objects.exists()


def test_a_dote_above_the_measure_cap_per_worker_is_refused():
    involvement = InvolvementFactory()
    refused("cap_per_worker", assign, involvement, value=Decimal("5000.01"))
    assert not Dote.objects.exists()
    assert assign(involvement, value=Decimal("5000.00")).value == Decimal("5000.00")


@pytest.mark.parametrize(
    ("code", "start"),
    [("gol-percorso-3", datetime.date(2027, 1, 15)), ("azioni-di-rete", datetime.date(2023, 2, 1))],
    ids=["after-the-measure-ends", "before-the-measure-starts"],
)
def test_a_dote_under_a_measure_not_in_force_is_refused(code, start):
    involvement = InvolvementFactory()
    until = start + datetime.timedelta(days=90)
    refused("measure_not_in_force", assign, involvement, code, valid_from=start, valid_until=until)
    assert not Dote.objects.exists()


def test_a_dote_under_a_discontinued_measure_is_refused():
    Measure.objects.filter(code="dote-unica-lavoro").update(is_active=False)
    refused("measure_not_in_force", assign, InvolvementFactory())
    assert not Dote.objects.exists()


def test_a_dote_in_a_closed_procedure_is_refused():
    involvement = InvolvementFactory()
    type(involvement.procedure).objects.filter(pk=involvement.procedure_id).update(
        status=ProcedureStatus.CHIUSA
    )
    involvement.refresh_from_db()
    refused("procedure_closed", assign, involvement)
    assert not Dote.objects.exists()


# --- Doti: exclusivity -----------------------------------------------------------------------

EXCLUSIVE_PAIRS = [
    ("azioni-di-rete", "dote-unica-lavoro"),
    ("dote-unica-lavoro", "azioni-di-rete"),
    ("gol-percorso-5", "formazione-continua"),
]


@pytest.mark.parametrize(("held", "asked"), EXCLUSIVE_PAIRS)
@pytest.mark.parametrize(
    ("start", "until"),
    [
        (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)),
        (DOTE_UNTIL, datetime.date(2026, 10, 31)),  # one day in common is enough
        (datetime.date(2024, 5, 1), DOTE_FROM),
    ],
    ids=["overlapping", "last-day-shared", "first-day-shared"],
)
def test_an_exclusive_measure_admits_no_other_overlapping_dote(held, asked, start, until):
    involvement = InvolvementFactory()
    DoteFactory(involvement=involvement, measure=measure(held), value=Decimal("1000"))
    refused("exclusivity", assign, involvement, asked, valid_from=start, valid_until=until)
    assert Dote.objects.filter(involvement__worker=involvement.worker).count() == 1


@pytest.mark.parametrize(("held", "asked"), EXCLUSIVE_PAIRS)
def test_an_exclusive_measure_admits_another_dote_in_a_later_period(held, asked):
    involvement = InvolvementFactory()
    DoteFactory(involvement=involvement, measure=measure(held), value=Decimal("1000"))
    later = DOTE_UNTIL + datetime.timedelta(days=1)
    dote = assign(involvement, asked, valid_from=later, valid_until=datetime.date(2026, 12, 31))
    assert dote.measure.code == asked


def test_a_revoked_exclusive_dote_no_longer_excludes():
    involvement = InvolvementFactory()
    DoteFactory(
        involvement=involvement, measure=measure("azioni-di-rete"), status=DoteStatus.REVOCATA
    )
    assert assign(involvement, "dote-unica-lavoro").pk


def test_two_non_exclusive_measures_may_overlap():
    involvement = InvolvementFactory()
    DoteFactory(involvement=involvement, measure=measure("dote-unica-lavoro"))
    assert assign(involvement, "formazione-continua", value=Decimal("2000")).pk


# --- PIPs: the plan within the Dote ----------------------------------------------------------


def test_a_pip_costing_more_than_the_dote_is_refused_on_save():
    dote = DoteFactory(value=Decimal("900.00"))
    user = operator_staff(dote.operator)
    services = [service(cost=Decimal("500.00")), service(cost=Decimal("400.01"))]
    refused("dote_value", pip_save, user=user, dote=dote, objectives="", services=services)
    assert not PIP.objects.exists() and not PIPService.objects.exists()
    services[1]["cost"] = Decimal("400.00")
    pip = pip_save(user=user, dote=dote, objectives="", services=services)
    assert pip.services.count() == 2


def test_a_pip_is_refused_on_submit_when_the_dotes_other_living_pips_leave_too_little():
    dote = DoteFactory(value=Decimal("3000.00"))
    pip_with_service(PIPStatus.PRESENTATO, dote=dote, cost=Decimal("2000.00"))
    second = pip_with_service(dote=dote, cost=Decimal("1000.01"))
    refused("dote_value", pip_submit, user=operator_staff(dote.operator), pip=second)
    assert_pip_unchanged(second, PIPStatus.BOZZA)
    assert second.submitted_at is None


@pytest.mark.parametrize("other_status", [PIPStatus.BOZZA, PIPStatus.RITIRATO])
def test_draft_and_withdrawn_pips_leave_the_dote_free(other_status):
    dote = DoteFactory(value=Decimal("3000.00"))
    pip_with_service(other_status, dote=dote, cost=Decimal("2000.00"))
    second = pip_with_service(dote=dote, cost=Decimal("3000.00"))
    pip_submit(user=operator_staff(dote.operator), pip=second)
    second.refresh_from_db()
    assert second.status == PIPStatus.PRESENTATO


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (DOTE_FROM - datetime.timedelta(days=1), datetime.date(2025, 6, 30)),
        (datetime.date(2026, 3, 1), DOTE_UNTIL + datetime.timedelta(days=1)),
    ],
    ids=["starts-before-the-dote", "ends-after-the-dote"],
)
def test_a_service_outside_the_dote_validity_is_refused_on_save(start, end):
    dote = DoteFactory()
    user = operator_staff(dote.operator)
    services = [service(planned_start=start, planned_end=end)]
    refused("service_dates", pip_save, user=user, dote=dote, objectives="", services=services)
    assert not PIP.objects.exists()
    inside = [service(planned_start=DOTE_FROM, planned_end=DOTE_UNTIL)]
    assert pip_save(user=user, dote=dote, objectives="", services=inside).pk


def test_a_service_outside_the_dote_validity_is_refused_on_submit():
    pip = pip_with_service()
    PIPServiceFactory(
        pip=pip, planned_start=datetime.date(2026, 4, 1), planned_end=datetime.date(2026, 5, 31)
    )
    refused("service_dates", pip_submit, user=operator_staff(pip.dote.operator), pip=pip)
    assert_pip_unchanged(pip, PIPStatus.BOZZA)


def test_a_pip_without_costed_services_cannot_be_submitted():
    pip = pip_with_service(cost=Decimal("0"))
    refused("no_services", pip_submit, user=operator_staff(pip.dote.operator), pip=pip)
    assert_pip_unchanged(pip, PIPStatus.BOZZA)


@pytest.mark.parametrize("status", [PIPStatus.PRESENTATO, PIPStatus.APPROVATO, PIPStatus.IN_CORSO])
def test_a_pip_under_review_or_delivery_cannot_be_edited(status):
    pip = pip_with_service(status)
    user = operator_staff(pip.dote.operator)
    services = [service(cost=Decimal("100.00"))]
    refused(
        "pip_not_editable",
        pip_save,
        user=user,
        dote=pip.dote,
        objectives="",
        services=services,
        pip=pip,
    )
    assert list(pip.services.values_list("cost", flat=True)) == [Decimal("500.00")]


@pytest.mark.parametrize("dote_status", [DoteStatus.CONCLUSA, DoteStatus.REVOCATA])
def test_no_pip_is_written_on_a_closed_dote(dote_status):
    dote = DoteFactory(status=dote_status)
    user = operator_staff(dote.operator)
    refused("dote_closed", pip_save, user=user, dote=dote, objectives="", services=[service()])
    assert not PIP.objects.exists()


# --- PIPs: the measure's caps ----------------------------------------------------------------


def test_formazione_continua_allows_2000_euro_per_worker_across_pips():
    involvement = InvolvementFactory()
    first = committed_pip(involvement, Decimal("1500.00"), value=Decimal("2000.00"))
    PIP.objects.filter(pk=first.pk).update(status=PIPStatus.CONCLUSO)  # not active, still counts
    dote = DoteFactory(
        involvement=involvement, measure=measure("formazione-continua"), value=Decimal("2000")
    )
    second = pip_with_service(dote=dote, cost=Decimal("500.01"))
    user = operator_staff(dote.operator)
    refused("cap_per_worker", pip_submit, user=user, pip=second)
    assert_pip_unchanged(second, PIPStatus.BOZZA)

    PIPService.objects.filter(pip=second).update(cost=Decimal("500.00"))  # exactly 2,000
    pip_submit(user=user, pip=second)
    second.refresh_from_db()
    assert second.status == PIPStatus.PRESENTATO


def test_formazione_continua_allows_50000_euro_per_company_across_workers():
    company_procedure = CrisisProcedureFactory()
    # Two procedures of the same company: the cap is the company's, not the procedure's.
    units = [
        ProductionUnitFactory(procedure=company_procedure),
        ProductionUnitFactory(procedure=CrisisProcedureFactory(company=company_procedure.company)),
    ]
    for n in range(24):
        committed_pip(InvolvementFactory(unit=units[n % 2]), Decimal("2000.00"))

    def new_pip(unit):
        dote = DoteFactory(
            involvement=InvolvementFactory(unit=unit),
            measure=measure("formazione-continua"),
            value=Decimal("2000.00"),
        )
        return pip_with_service(dote=dote, cost=Decimal("2000.00"))

    twenty_fifth, twenty_sixth = new_pip(units[0]), new_pip(units[1])
    pip_submit(user=None, pip=twenty_fifth)  # 50,000: exactly the cap
    refused("cap_per_company", pip_submit, user=None, pip=twenty_sixth)
    assert_pip_unchanged(twenty_sixth, PIPStatus.BOZZA)
    committed = PIPService.objects.filter(
        pip__status__in=[PIPStatus.PRESENTATO, PIPStatus.APPROVATO],
        pip__dote__involvement__procedure__company=company_procedure.company,
    )
    assert sum(committed.values_list("cost", flat=True)) == Decimal("50000.00")

    another_company = new_pip(ProductionUnitFactory())
    pip_submit(user=None, pip=another_company)
    another_company.refresh_from_db()
    assert another_company.status == PIPStatus.PRESENTATO


# --- PIPs: one active PIP per worker ---------------------------------------------------------


def second_pip_of_a_worker_whose_first_is(status: str) -> PIP:
    involvement = InvolvementFactory()
    pip_with_service(status, dote=DoteFactory(involvement=involvement))
    return pip_with_service(dote=DoteFactory(involvement=involvement))


@pytest.mark.parametrize("first", [PIPStatus.PRESENTATO, PIPStatus.APPROVATO, PIPStatus.IN_CORSO])
def test_a_worker_with_an_active_pip_cannot_submit_another(first):
    second = second_pip_of_a_worker_whose_first_is(first)
    refused("one_active_pip", pip_submit, user=operator_staff(second.dote.operator), pip=second)
    assert_pip_unchanged(second, PIPStatus.BOZZA)


@pytest.mark.parametrize("first", [PIPStatus.CONCLUSO, PIPStatus.RITIRATO])
def test_a_worker_whose_pip_ended_may_submit_another(first):
    second = second_pip_of_a_worker_whose_first_is(first)
    pip_submit(user=operator_staff(second.dote.operator), pip=second)
    second.refresh_from_db()
    assert second.status == PIPStatus.PRESENTATO


# --- PIP workflow ----------------------------------------------------------------------------

# §4: bozza → presentato → (approvato | restituito → presentato …) → in_corso → concluso;
# ritirato from any non-final state; the province decides, the operator does the rest.
SPEC_TRANSITIONS = {
    (PIPStatus.BOZZA, PIPStatus.PRESENTATO): "operator",
    (PIPStatus.RESTITUITO, PIPStatus.PRESENTATO): "operator",
    (PIPStatus.PRESENTATO, PIPStatus.APPROVATO): "province",
    (PIPStatus.PRESENTATO, PIPStatus.RESTITUITO): "province",
    (PIPStatus.APPROVATO, PIPStatus.IN_CORSO): "operator",
    (PIPStatus.IN_CORSO, PIPStatus.CONCLUSO): "operator",
    (PIPStatus.BOZZA, PIPStatus.RITIRATO): "operator",
    (PIPStatus.PRESENTATO, PIPStatus.RITIRATO): "operator",
    (PIPStatus.RESTITUITO, PIPStatus.RITIRATO): "operator",
    (PIPStatus.APPROVATO, PIPStatus.RITIRATO): "operator",
    (PIPStatus.IN_CORSO, PIPStatus.RITIRATO): "operator",
}

# The service that moves a PIP to each status, and who calls it.
ACTIONS = {
    PIPStatus.PRESENTATO: ("operator", lambda user, pip: pip_submit(user=user, pip=pip)),
    PIPStatus.APPROVATO: ("province", lambda user, pip: pip_approve(user=user, pip=pip)),
    PIPStatus.RESTITUITO: ("province", lambda user, pip: pip_return(user=user, pip=pip, note=NOTE)),
    PIPStatus.IN_CORSO: ("operator", lambda user, pip: pip_start(user=user, pip=pip)),
    PIPStatus.CONCLUSO: ("operator", lambda user, pip: pip_conclude(user=user, pip=pip)),
    PIPStatus.RITIRATO: ("operator", lambda user, pip: pip_withdraw(user=user, pip=pip, note=NOTE)),
}
NOTES = {PIPStatus.RESTITUITO: NOTE, PIPStatus.RITIRATO: NOTE}
PAIRS = [(frm, to) for frm in PIPStatus.values for to in ACTIONS]


def test_the_workflow_table_is_the_one_of_the_spec():
    assert PIP_TRANSITIONS == SPEC_TRANSITIONS


def test_nothing_moves_a_pip_back_to_draft():
    assert not [pair for pair in PIP_TRANSITIONS if pair[1] == PIPStatus.BOZZA]


@pytest.mark.parametrize(("frm", "to"), PAIRS, ids=[f"{f}->{t}" for f, t in PAIRS])
def test_a_pip_moves_only_along_the_workflow_table(frm, to, staff_bg):
    pip = pip_with_service(frm)
    role, action = ACTIONS[to]
    user = staff_bg if role == "province" else operator_staff(pip.dote.operator)
    dote_status = pip.dote.status
    if (frm, to) not in SPEC_TRANSITIONS:
        refused("pip_workflow", action, user, pip)
        assert_pip_unchanged(pip, frm)
        pip.dote.refresh_from_db()
        assert pip.dote.status == dote_status
        return
    before = timezone.now()
    action(user, pip)
    pip.refresh_from_db()
    assert pip.status == to
    [move] = pip.transitions.all()
    assert (move.from_status, move.to_status, move.by, move.note) == (
        frm,
        to,
        user,
        NOTES.get(to, ""),
    )
    assert before <= move.at <= timezone.now()


def test_every_move_of_a_pip_is_logged_with_who_when_and_why(staff_bg):
    dote = DoteFactory()
    operator = operator_staff(dote.operator)
    pip = pip_save(user=operator, dote=dote, objectives="", services=[service()])
    pip_submit(user=operator, pip=pip)
    pip_return(user=staff_bg, pip=pip, note=f"  {NOTE}  ")
    pip_submit(user=operator, pip=pip)
    pip_approve(user=staff_bg, pip=pip)
    pip_start(user=operator, pip=pip)
    pip_conclude(user=operator, pip=pip)
    log = list(pip.transitions.values_list("from_status", "to_status", "by", "note"))
    assert log == [
        (PIPStatus.BOZZA, PIPStatus.PRESENTATO, operator.pk, ""),
        (PIPStatus.PRESENTATO, PIPStatus.RESTITUITO, staff_bg.pk, NOTE),
        (PIPStatus.RESTITUITO, PIPStatus.PRESENTATO, operator.pk, ""),
        (PIPStatus.PRESENTATO, PIPStatus.APPROVATO, staff_bg.pk, ""),
        (PIPStatus.APPROVATO, PIPStatus.IN_CORSO, operator.pk, ""),
        (PIPStatus.IN_CORSO, PIPStatus.CONCLUSO, operator.pk, ""),
    ]
    times = list(pip.transitions.values_list("at", flat=True))
    assert times == sorted(times)
    pip.refresh_from_db()
    dote.refresh_from_db()
    assert (pip.decided_by, dote.status) == (staff_bg, DoteStatus.CONCLUSA)


@pytest.mark.parametrize("note", ["", "   "])
def test_returning_a_pip_needs_a_note(note, staff_bg):
    pip = pip_with_service(PIPStatus.PRESENTATO)
    refused("return_note", pip_return, user=staff_bg, pip=pip, note=note)
    assert_pip_unchanged(pip, PIPStatus.PRESENTATO)
    assert pip.return_note == ""


OPERATOR_MOVES = [
    (PIPStatus.BOZZA, PIPStatus.PRESENTATO),
    (PIPStatus.APPROVATO, PIPStatus.IN_CORSO),
    (PIPStatus.IN_CORSO, PIPStatus.CONCLUSO),
    (PIPStatus.PRESENTATO, PIPStatus.RITIRATO),
]


@pytest.mark.parametrize(("frm", "to"), OPERATOR_MOVES)
@pytest.mark.parametrize("who", ["another_operator", "province_staff"])
def test_only_the_dotes_operator_moves_its_pip(frm, to, who, staff_bg):
    pip = pip_with_service(frm)
    user = operator_staff(OperatorFactory()) if who == "another_operator" else staff_bg
    with pytest.raises(PermissionDenied):
        ACTIONS[to][1](user, pip)
    assert_pip_unchanged(pip, frm)


def test_another_operator_cannot_write_a_pip_on_a_dote_it_does_not_hold():
    dote = DoteFactory()
    with pytest.raises(PermissionDenied):
        pip_save(
            user=operator_staff(OperatorFactory()), dote=dote, objectives="", services=[service()]
        )
    assert not PIP.objects.exists()


@pytest.mark.parametrize("to", [PIPStatus.APPROVATO, PIPStatus.RESTITUITO])
def test_staff_of_the_workers_province_decide_on_a_pip(to, staff_bg):
    pip = pip_with_service(PIPStatus.PRESENTATO)
    ACTIONS[to][1](staff_bg, pip)
    pip.refresh_from_db()
    assert (pip.status, pip.decided_by) == (to, staff_bg)
    assert pip.decided_at is not None


@pytest.mark.parametrize("to", [PIPStatus.APPROVATO, PIPStatus.RESTITUITO])
@pytest.mark.parametrize("who", ["staff_of_another_province", "region_official", "the_operator"])
def test_nobody_else_decides_on_a_pip(to, who, staff_mi, region):
    pip = pip_with_service(PIPStatus.PRESENTATO)  # a worker in BG
    user = {
        "staff_of_another_province": staff_mi,
        "region_official": region,
        "the_operator": operator_staff(pip.dote.operator),
    }[who]
    with pytest.raises(PermissionDenied):
        ACTIONS[to][1](user, pip)
    assert_pip_unchanged(pip, PIPStatus.PRESENTATO)


def test_approving_a_pip_brings_the_worker_from_step_3_to_step_4_under_its_measure(staff_bg):
    involvement = at_step(Step.STEP_3)
    pip = pip_with_service(PIPStatus.PRESENTATO, dote=DoteFactory(involvement=involvement))
    approval = pip_approve(user=staff_bg, pip=pip)
    involvement.refresh_from_db()
    assert approval.moved_to_step_4 and not approval.step_note
    assert involvement.current_step == Step.STEP_4
    move = involvement.transitions.order_by("-id").first()
    assert (move.from_step, move.to_step, move.measure, move.recorded_by) == (
        Step.STEP_3,
        Step.STEP_4,
        pip.dote.measure,
        staff_bg,
    )
    assert move.effective_date == timezone.localdate()
    pip.dote.refresh_from_db()
    assert pip.dote.status == DoteStatus.ATTIVA


@pytest.mark.parametrize("step", [Step.STEP_1, Step.STEP_2])
def test_approving_a_pip_of_a_worker_before_step_3_leaves_the_step_with_a_note(step, staff_bg):
    involvement = at_step(step)
    moves = StepTransition.objects.filter(involvement=involvement).count()
    pip = pip_with_service(PIPStatus.PRESENTATO, dote=DoteFactory(involvement=involvement))
    approval = pip_approve(user=staff_bg, pip=pip)
    involvement.refresh_from_db()
    pip.refresh_from_db()
    assert pip.status == PIPStatus.APPROVATO
    assert not approval.moved_to_step_4
    assert "STEP" in approval.step_note
    assert involvement.current_step == step
    assert StepTransition.objects.filter(involvement=involvement).count() == moves


# --- Rendicontazione -------------------------------------------------------------------------

YESTERDAY = timezone.localdate() - datetime.timedelta(days=1)


def report(user, item: PIPService, **overrides):
    arguments = {
        "delivered_hours": Decimal("10"),
        "delivered_cost": Decimal("500.00"),
        "delivered_on": YESTERDAY,
    }
    arguments.update(overrides)
    return service_report(user=user, service=item, **arguments)


def assert_not_reported(item: PIPService) -> None:
    item.refresh_from_db()
    assert (item.delivered_hours, item.delivered_cost, item.delivered_on) == (0, 0, None)


@pytest.mark.parametrize("status", [PIPStatus.APPROVATO, PIPStatus.IN_CORSO, PIPStatus.CONCLUSO])
def test_the_dotes_operator_reports_what_was_delivered(status):
    item = pip_with_service(status).services.get()
    report(operator_staff(item.pip.dote.operator), item, delivered_hours=Decimal("8"))
    item.refresh_from_db()
    assert (item.delivered_hours, item.delivered_cost, item.delivered_on) == (
        Decimal("8"),
        Decimal("500.00"),
        YESTERDAY,
    )


@pytest.mark.parametrize("who", ["another_operator", "province_staff"])
def test_only_the_dotes_operator_reports(who, staff_bg):
    item = pip_with_service(PIPStatus.IN_CORSO).services.get()
    user = operator_staff(OperatorFactory()) if who == "another_operator" else staff_bg
    with pytest.raises(PermissionDenied):
        report(user, item)
    assert_not_reported(item)


@pytest.mark.parametrize(
    "status", [PIPStatus.BOZZA, PIPStatus.PRESENTATO, PIPStatus.RESTITUITO, PIPStatus.RITIRATO]
)
def test_services_of_a_pip_not_approved_are_not_reported(status):
    item = pip_with_service(status).services.get()
    refused("report_status", report, operator_staff(item.pip.dote.operator), item)
    assert_not_reported(item)


@pytest.mark.parametrize(
    "beyond",
    [{"delivered_cost": Decimal("500.01")}, {"delivered_hours": Decimal("10.5")}],
    ids=["amount", "hours"],
)
def test_a_report_beyond_the_plan_is_refused(beyond):
    item = pip_with_service(PIPStatus.IN_CORSO).services.get()
    refused("report_beyond_plan", report, operator_staff(item.pip.dote.operator), item, **beyond)
    assert_not_reported(item)


def test_a_report_dated_in_the_future_is_refused():
    item = pip_with_service(PIPStatus.IN_CORSO).services.get()
    user = operator_staff(item.pip.dote.operator)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    refused("report_date", report, user, item, delivered_on=tomorrow)
    assert_not_reported(item)
    report(user, item, delivered_on=timezone.localdate())
    item.refresh_from_db()
    assert item.delivered_on == timezone.localdate()


# --- Scope of action -------------------------------------------------------------------------


def test_operator_a_cannot_act_on_operator_bs_pip():
    pip_b = pip_with_service(PIPStatus.BOZZA)
    staff_a = operator_staff(OperatorFactory())
    with pytest.raises(PermissionDenied):
        pip_submit(user=staff_a, pip=pip_b)
    with pytest.raises(PermissionDenied):
        pip_withdraw(user=staff_a, pip=pip_b)
    assert_pip_unchanged(pip_b, PIPStatus.BOZZA)
    assert not PIPTransition.objects.exists()


def test_an_admin_acts_for_any_operator():
    pip = pip_with_service(PIPStatus.BOZZA)
    pip_submit(user=UserFactory(admin=True), pip=pip)
    pip.refresh_from_db()
    assert pip.status == PIPStatus.PRESENTATO
