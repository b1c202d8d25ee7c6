"""Two systems writing the same object at the same moment with the same ETag: one wins, the
other gets 412 — the If-Match check and the write share a row lock (crisi_portal.concurrency).

Real threads with their own connections, released together by a barrier; PostgreSQL only
(SQLite has no row locks). Without the lock both would pass the check and the first write would
be silently lost.
"""

import threading

import pytest
from django.db import connection

from cases.models import CrisisProcedure
from tests.cases.factories import CrisisProcedureFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks (select_for_update) need PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROUNDS = 5


def race(clients, path: str, etag: str) -> list:
    """Each client PATCHes the object with the same If-Match at the same moment."""
    barrier = threading.Barrier(len(clients), timeout=10)
    statuses: list = []

    def write(client, notes: str) -> None:
        try:
            barrier.wait()
            response = client.patch(path, {"notes": notes}, HTTP_IF_MATCH=etag)
            statuses.append(response.status_code)
        except Exception as exc:  # reported in the assertion, not lost in the thread
            statuses.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=write, args=(client, f"Scrittura {n}"))
        for n, client in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a write never finished"
    return statuses


def test_of_two_simultaneous_writes_with_one_etag_one_is_refused(staff_bg, api_client_for):
    for round_ in range(ROUNDS):
        procedure = CrisisProcedureFactory(lead="BG")
        path = f"/api/v1/procedures/{procedure.pk}/"
        clients = [api_client_for(staff_bg) for _ in range(2)]
        etag = clients[0].get(path)["ETag"]
        statuses = race(clients, path, etag)
        assert sorted(map(str, statuses)) == ["200", "412"], f"round {round_}: {statuses}"
        notes = CrisisProcedure.objects.get(pk=procedure.pk).notes
        assert notes in {"Scrittura 0", "Scrittura 1"}
