"""``manage.py seed_demo`` fills the active policies (§4) through the services."""

import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from crisi_portal.demo import pal as pal_demo
from crisi_portal.demo import reference
from crisi_portal.models import User
from pal.enums import ACTIVE_PIP_STATUSES, COMMITTING_PIP_STATUSES, PIP_TRANSITIONS, PIPStatus
from pal.models import PIP, Dote, Network, Operator, OperatorOffice, PIPService, PIPTransition
from pal.services import network_checks, network_is_valid
from workers.enums import Step
from workers.models import Involvement, StepTransition

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_both_demo_operators_have_pips_in_every_status(seeded):
    for username in ("operatore.a", "operatore.b"):
        operator = User.objects.get(username=username).operator
        statuses = set(PIP.objects.filter(dote__operator=operator).values_list("status", flat=True))
        assert statuses == set(PIPStatus.values), username
    assert "Active policies:" in seeded and "PIPs (bozza:" in seeded


def test_the_review_queues_of_nucleo_bg_and_nucleo_mi_are_not_empty(seeded):
    for username in ("nucleo.bg", "nucleo.mi"):
        user = User.objects.get(username=username)
        waiting = PIP.objects.reviewable_by(user).filter(status=PIPStatus.PRESENTATO)
        assert waiting.count() >= 3, username


def test_every_pip_respects_the_rules(seeded):
    today = timezone.localdate()
    pips = PIP.objects.select_related(
        "dote__measure", "dote__involvement__procedure", "dote__operator"
    )
    assert pips.count() >= 25
    per_worker, per_company, active = defaultdict(Decimal), defaultdict(Decimal), defaultdict(int)
    for pip in pips:
        dote = pip.dote
        measure = dote.measure
        assert dote.operator.accreditation_number in (pal_demo.OPERATOR_A, pal_demo.OPERATOR_B)
        assert dote.value <= measure.max_per_worker
        assert measure.valid_from <= dote.valid_from <= today
        assert measure.valid_until is None or dote.valid_until <= measure.valid_until
        services = list(pip.services.all())
        assert services
        total = sum(s.cost for s in services)
        assert 0 < total <= dote.value
        for service in services:
            assert dote.valid_from <= service.planned_start <= service.planned_end
            assert service.planned_end <= dote.valid_until
            assert service.delivered_cost <= service.cost
            assert service.delivered_hours <= service.hours
            if service.delivered_on is not None:
                assert service.delivered_on <= today
        reported = [s for s in services if s.delivered_on is not None]
        if pip.status == PIPStatus.CONCLUSO:
            assert len(reported) == len(services)
        elif pip.status == PIPStatus.IN_CORSO:
            assert reported
        else:
            assert not reported
        if pip.status == PIPStatus.RESTITUITO:
            assert pip.return_note
        if pip.status in COMMITTING_PIP_STATUSES:
            per_worker[measure, dote.involvement.worker_id] += total
            per_company[measure, dote.involvement.procedure.company_id] += total
        if pip.status in ACTIVE_PIP_STATUSES:
            active[dote.involvement.worker_id] += 1
        # Each move is logged and allowed by the workflow table.
        moves = list(pip.transitions.order_by("at", "pk"))
        previous = PIPStatus.BOZZA
        for move in moves:
            assert move.from_status == previous
            assert (move.from_status, move.to_status) in PIP_TRANSITIONS
            assert move.by is not None
            previous = move.to_status
        assert previous == pip.status
    for (measure, _worker), total in per_worker.items():
        assert total <= measure.max_per_worker
    for (measure, _company), total in per_company.items():
        assert measure.max_per_company is None or total <= measure.max_per_company
    assert all(count == 1 for count in active.values())
    # Committed amounts per Dote, as the ledger computes them.
    for dote in Dote.objects.with_ledger():
        assert dote.committed_amount <= dote.value


def test_approvals_are_by_the_province_officer_and_move_step_3_workers_to_step_4(seeded):
    officers = {"BG": "nucleo.bg", "MI": "nucleo.mi"}
    approvals = PIPTransition.objects.filter(to_status=PIPStatus.APPROVATO).select_related(
        "by", "pip__dote__involvement__unit"
    )
    assert approvals.exists()
    for move in approvals:
        province = move.pip.dote.involvement.unit.province_id
        assert move.by.username == officers[province]
    moved = StepTransition.objects.filter(reason__startswith="PIP ", to_step=Step.STEP_4)
    assert moved.exists()
    assert all(row.measure_id for row in moved)
    counts = Involvement.objects.step_counts()
    assert 0.45 <= counts[Step.STEP_4] / sum(counts.values()) <= 0.57


def test_one_valid_and_one_invalid_network(seeded):
    networks = {network.name: network for network in Network.objects.all()}
    valid = networks[pal_demo.NETWORK_VALID]
    invalid = networks[pal_demo.NETWORK_INVALID]
    assert network_is_valid(valid)
    assert valid.province_id == "MI" and valid.measure.code == "azioni-di-rete"
    assert valid.lead.accredited_for_labour
    failed = {check.code for check in network_checks(invalid) if not check.ok}
    assert {"three_members", "cpi_member"} <= failed
    # The workers the valid network serves hold no Dote (it is an exclusive measure) but the
    # lead's own, under the network's measure, on which its members report their services
    # (crisi_portal/demo/netsvc.py, source 003).
    served = Involvement.objects.filter(cohort__in=valid.cohorts.all())
    assert served.exists()
    doti = Dote.objects.filter(involvement__worker__in=served.values("worker"))
    assert not doti.exclude(operator=valid.lead, measure=valid.measure).exists()


def test_one_cpi_per_province_and_offices_for_every_operator(seeded):
    for code in reference.PROVINCE_ORDER:
        cpis = Operator.objects.filter(is_public=True, offices__province_id=code)
        assert cpis.count() == 1, code
        assert cpis.get().accredited_for_labour
    for number, provinces in (
        (pal_demo.OPERATOR_A, ["BG", "MI"]),
        (pal_demo.OPERATOR_B, ["MI", "MB"]),
    ):
        operator = Operator.objects.get(accreditation_number=number)
        assert operator.accredited_for_labour and operator.accredited_for_training
        assert sorted(operator.offices.values_list("province_id", flat=True)) == sorted(provinces)


def test_running_again_adds_nothing(seeded, settings):
    def counts():
        return {
            "doti": Dote.objects.count(),
            "pips": PIP.objects.count(),
            "services": PIPService.objects.count(),
            "reported": PIPService.objects.aggregate(n=Sum("delivered_cost"))["n"],
            "transitions": PIPTransition.objects.count(),
            "networks": Network.objects.count(),
            "operators": Operator.objects.count(),
            "offices": OperatorOffice.objects.count(),
            "step_moves": StepTransition.objects.count(),
        }

    first = counts()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert counts() == first
    assert "Demo Doti already present" in out.getvalue()
