"""Two staff moving the same worker at once must not both succeed (§3).

Real threads with their own database connections, released together by a barrier; the race
only means something where rows can be locked, so PostgreSQL only. Each round uses a fresh
involvement and is repeated, so that a lost update (both moves written) would show.
"""

import datetime
import threading

import pytest
from django.db import connection

from tests.workers.factories import InvolvementFactory
from workers.enums import Step
from workers.models import Involvement
from workers.services import StepConflict, StepMoveRefused, involvement_move

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks (select_for_update) need PostgreSQL"
    ),
    # Threads see only committed rows; serialized rollback brings back the data-migration rows
    # (provinces, exemption reasons, measures) that the flush after each test removes.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROUNDS = 5
DAY = datetime.date(2025, 5, 2)


def race(involvement_pk: int, user, *, expected_from: str | None) -> list:
    """Two threads move the worker STEP_1 → STEP_2 at the same moment; what each got."""
    barrier = threading.Barrier(2, timeout=10)
    outcomes: list = []

    def attempt() -> None:
        try:
            involvement = Involvement.objects.get(pk=involvement_pk)  # both read STEP_1
            barrier.wait()
            involvement_move(
                user=user,
                involvement=involvement,
                to=Step.STEP_2,
                effective_date=DAY,
                expected_from=expected_from,
            )
            outcomes.append("moved")
        except StepConflict:
            outcomes.append("conflict")
        except StepMoveRefused:
            outcomes.append("refused")
        except Exception as exc:  # reported in the assertion, not lost in the thread
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a move never finished"
    return outcomes


@pytest.mark.parametrize(
    ("expected_from", "loser"),
    [(Step.STEP_1, "conflict"), (None, "refused")],
    ids=["expected-step-is-a-conflict", "no-expected-step-is-refused-by-the-table"],
)
def test_of_two_simultaneous_moves_of_a_worker_only_one_succeeds(expected_from, loser, staff_bg):
    for round_ in range(ROUNDS):
        involvement = InvolvementFactory()
        outcomes = race(involvement.pk, staff_bg, expected_from=expected_from)
        assert sorted(map(str, outcomes)) == sorted(["moved", loser]), f"round {round_}"
        involvement.refresh_from_db()
        assert involvement.current_step == Step.STEP_2
        assert list(involvement.transitions.order_by("id").values_list("to_step", flat=True)) == [
            Step.STEP_1,
            Step.STEP_2,
        ]
