"""Two reports at once by a member must not both slip under its share of a Dote (source 003).

As tests/pal/test_concurrency.py: real threads with their own connections, released together;
the window between reading what the member delivered and writing is widened, so that without
the lock on the share both would read €0 delivered and both succeed. PostgreSQL only.
"""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from pal import services
from pal.enums import Delivery, ServiceKind
from pal.models import Dote, NetworkServiceLine
from pal.services import PALRuleRefused
from tests.pal.network_world import network_world

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks (select_for_update) need PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_of_two_simultaneous_reports_only_one_fits_in_the_share(monkeypatch):
    world = network_world()
    dote_id = world.doti[0].pk
    services.network_share_set(
        user=None,
        network=world.network,
        operator=world.member,
        dote=world.doti[0],
        amount=Decimal("100.00"),
    )
    delivered_by = services._delivered_by

    def slow(*args, **kwargs):
        result = delivered_by(*args, **kwargs)
        time.sleep(0.3)  # both threads would now write, had they both read €0
        return result

    monkeypatch.setattr(services, "_delivered_by", slow)
    barrier = threading.Barrier(2, timeout=10)
    outcomes: list[object] = []

    def attempt() -> None:
        try:
            dote = Dote.objects.get(pk=dote_id)
            barrier.wait()
            services.network_service_report(
                user=None,
                network=world.network,
                operator=world.member,
                kind=ServiceKind.ORIENTAMENTO,
                delivery=Delivery.INDIVIDUALE,
                delivered_on=timezone.localdate() - datetime.timedelta(days=1),
                hours=Decimal("2.0"),
                cost=Decimal("60.00"),
                doti=[dote],
            )
            outcomes.append("reported")
        except PALRuleRefused as refusal:
            outcomes.append(refusal.code)
        except Exception as exc:  # reported in the assertion, not lost in the thread
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(map(str, outcomes)) == ["network_share", "reported"], outcomes
    assert NetworkServiceLine.objects.get(dote_id=dote_id).cost == Decimal("60.00")
