"""Two PIPs submitted at once for one company must not both slip under its cap (§4).

Real threads with their own database connections, released together by a barrier. The
company already has €48,500 committed under Formazione Continua (cap €50,000): of two new
€1,500 PIPs exactly one fits. The window between checking the cap and committing is widened
(a pause after the rules pass), so that without the measure's row lock both would read
€48,500 and both succeed every time, not once in a while. PostgreSQL only: SQLite has no
row locks to test.
"""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection

from pal import services
from pal.enums import COMMITTING_PIP_STATUSES, PIPStatus
from pal.models import PIP, PIPService
from pal.services import PALRuleRefused, pip_submit, pip_withdraw
from tests.cases.factories import ProductionUnitFactory
from tests.pal.factories import DoteFactory, committed_pip, measure, pip_with_service
from tests.workers.factories import InvolvementFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks (select_for_update) need PostgreSQL"
    ),
    # Threads see only committed rows; serialized rollback brings back the data-migration rows
    # (provinces, measures) that the flush after each test removes.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CAP = Decimal("50000.00")
ROUNDS = 3


def new_pip(unit) -> PIP:
    dote = DoteFactory(
        involvement=InvolvementFactory(unit=unit),
        measure=measure("formazione-continua"),
        value=Decimal("2000.00"),
    )
    return pip_with_service(dote=dote, cost=Decimal("1500.00"))


def committed_for(company) -> Decimal:
    return sum(
        PIPService.objects.filter(
            pip__status__in=COMMITTING_PIP_STATUSES,
            pip__dote__measure__code="formazione-continua",
            pip__dote__involvement__procedure__company=company,
        ).values_list("cost", flat=True),
        Decimal("0"),
    )


def race(pips: list[PIP], act=None, done: str = "submitted") -> dict[int, object]:
    """Each thread submits one PIP (or does ``act(pip)``, saying ``done``) at the same moment;
    what each got, by PIP."""
    act = act or (lambda pip: pip_submit(user=None, pip=pip))
    barrier = threading.Barrier(len(pips), timeout=10)
    outcomes: dict[int, object] = {}

    def attempt(pk: int) -> None:
        try:
            pip = PIP.objects.get(pk=pk)
            barrier.wait()
            act(pip)
            outcomes[pk] = done
        except PALRuleRefused as refusal:
            outcomes[pk] = refusal.code
        except Exception as exc:  # reported in the assertion, not lost in the thread
            outcomes[pk] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(pip.pk,)) for pip in pips]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a submission never finished"
    return outcomes


def test_of_two_simultaneous_pips_only_the_one_under_the_company_cap_is_submitted(monkeypatch):
    unit = ProductionUnitFactory()
    for _ in range(24):
        committed_pip(InvolvementFactory(unit=unit), Decimal("2000.00"))
    committed_pip(InvolvementFactory(unit=unit), Decimal("500.00"))
    company = unit.procedure.company
    assert committed_for(company) == Decimal("48500.00")

    check = services.pip_rules_check

    def slow_check(pip):
        check(pip)
        time.sleep(0.3)  # both threads would now write, had they both passed

    monkeypatch.setattr(services, "pip_rules_check", slow_check)

    for round_ in range(ROUNDS):
        pips = [new_pip(unit), new_pip(unit)]
        outcomes = race(pips)
        assert sorted(map(str, outcomes.values())) == ["cap_per_company", "submitted"], (
            f"round {round_}: {outcomes}"
        )
        assert committed_for(company) == CAP
        [winner] = [pip for pip in pips if outcomes[pip.pk] == "submitted"]
        [loser] = [pip for pip in pips if pip is not winner]
        loser.refresh_from_db()
        assert loser.status == PIPStatus.BOZZA and not loser.transitions.exists()
        pip_withdraw(user=None, pip=winner)  # frees €1,500 for the next round
        assert committed_for(company) == Decimal("48500.00")
