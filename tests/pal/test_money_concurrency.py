"""Two approvals at once must not both overdraw a funding source (issue #15, "Money").

Two PIPs under two different measures (so the measures' row locks do not serialise them) draw
100 % on one source whose budget has room for only one. Real threads with their own database
connections, released together by a barrier; the window between the check and the commit is
widened (a pause after the funding check passes), so that without the lock on the source's row
both would pass every time. PostgreSQL only: SQLite has no row locks.
"""

import time
from decimal import Decimal

import pytest
from django.db import connection

from pal import services
from pal.enums import PIPStatus
from pal.models import Fund
from pal.services import pip_approve, pip_withdraw
from tests.pal.factories import DoteFactory, measure, pip_with_service
from tests.pal.test_concurrency import race

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks (select_for_update) need PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROUNDS = 3


def test_of_two_simultaneous_approvals_only_the_one_within_the_budget_passes(monkeypatch):
    fund = Fund.objects.create(code="shared", name="Fondo condiviso", budget=Decimal("2000"))
    codes = ["formazione-continua", "dote-unica-lavoro"]
    for code in codes:
        services.measure_fundings_set(user=None, measure=measure(code), shares=[(fund, 100)])

    check = services.funding_check

    def slow_check(pip):
        check(pip)
        time.sleep(0.3)  # both threads would now approve, had they both passed

    monkeypatch.setattr(services, "funding_check", slow_check)

    for round_ in range(ROUNDS):
        pips = [
            pip_with_service(
                "presentato",
                dote=DoteFactory(measure=measure(code), value=Decimal("2000")),
                cost=Decimal("1500.00"),
            )
            for code in codes
        ]
        outcomes = race(
            pips, lambda pip: pip_approve(user=None, pip=pip, activate_step_4=False), "approved"
        )
        assert sorted(map(str, outcomes.values())) == ["approved", "funding_overdrawn"], (
            f"round {round_}: {outcomes}"
        )
        [winner] = [pip for pip in pips if outcomes[pip.pk] == "approved"]
        [loser] = [pip for pip in pips if pip is not winner]
        loser.refresh_from_db()
        assert loser.status == PIPStatus.PRESENTATO and loser.decided_at is None
        winner.refresh_from_db()
        pip_withdraw(user=None, pip=winner)  # frees the budget for the next round
        pip_withdraw(user=None, pip=loser)
