"""The read-replica router (issue #12): dashboards, the cruscotto and report data read the domain
apps from the ``replica`` alias when one is configured; writes and accounts data never do.

The test settings define ``replica`` as a mirror of the test database (Django's way of testing
a primary/replica set-up: a second connection to the same database), with the router switched
off; these tests switch it on and look at which connection ran which query. Transactional: the
replica connection only sees committed rows, as a real replica would.
"""

import json
import re
from datetime import date

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crisi_portal.models import User
from crisi_portal.replica import ReplicaRouter, replica_alias, replica_reads
from monitoring import services
from monitoring.enums import RunStatus
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.factories import UserFactory
from workers.models import Involvement

# serialized_rollback: the reference data the migrations seed (provinces, measures) survive.
pytestmark = pytest.mark.django_db(
    transaction=True, serialized_rollback=True, databases=["default", "replica"]
)

DOMAIN_TABLE = re.compile(r'FROM "(cases|workers|pal|monitoring)_', re.IGNORECASE)


@pytest.fixture
def with_replica(settings):
    settings.DATABASE_READ_REPLICA = "replica"


@pytest.fixture
def official():
    ProductionUnitFactory(
        procedure=CrisisProcedureFactory(opened_on=date(2025, 2, 3)), workers_involved=42
    )
    return UserFactory(username="official", region_official=True)


# The header's to-do counts and unread notifications (monitoring.todo.header_counts): one
# query on the user's own row, on every page, the user's live state — read from the primary
# like the user and the session (issue #13), not a figure of the page.
HEADER_COUNTS = re.compile(r'FROM "crisi_portal_user" WHERE "crisi_portal_user"\."id" = \d+')


def domain_reads(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith("SELECT")
        and DOMAIN_TABLE.search(q["sql"])
        and not HEADER_COUNTS.search(q["sql"])
    ]


def test_the_router_sends_domain_reads_to_the_replica_only_inside_the_block(with_replica):
    router = ReplicaRouter()
    assert router.db_for_read(Involvement) == "default"
    with replica_reads():
        assert router.db_for_read(Involvement) == "replica"
        assert router.db_for_read(User) == "default"  # accounts: always the primary
        assert router.db_for_write(Involvement) == "default"
    assert router.db_for_read(Involvement) == "default"
    assert router.allow_migrate("replica", "workers") is False
    assert router.allow_migrate("default", "workers") is True


def test_without_a_replica_everything_reads_from_the_primary(settings):
    settings.DATABASE_READ_REPLICA = None
    assert replica_alias() is None
    with replica_reads():
        assert ReplicaRouter().db_for_read(Involvement) == "default"
    settings.DATABASE_READ_REPLICA = "nowhere"  # a name without a DATABASES entry
    assert replica_alias() is None


@pytest.mark.parametrize(
    "route", ["monitoring:dashboard", "monitoring:cruscotto", "dashboard-list"]
)
def test_dashboards_read_their_figures_from_the_replica(client, official, with_replica, route):
    client.force_login(official)
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        response = client.get(reverse(route))
    assert response.status_code == 200
    assert domain_reads(replica.captured_queries), "no figure was read from the replica"
    assert domain_reads(primary.captured_queries) == []
    # The user and the session still come from the primary.
    assert any('"crisi_portal_user"' in q["sql"] for q in primary.captured_queries)


def test_the_dashboard_says_the_same_from_either_database(client, official, settings):
    client.force_login(official)
    url = reverse("dashboard-list")
    settings.DATABASE_READ_REPLICA = None
    from_primary = client.get(url).json()
    settings.DATABASE_READ_REPLICA = "replica"
    assert client.get(url).json() == from_primary
    assert from_primary["kpis"]


def test_report_data_is_read_from_the_replica_and_the_run_written_to_the_primary(
    official, with_replica
):
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        run = services.report_run_request(user=official, kind="annual", period="2025", fmt="json")
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    with run.file.open("rb") as handle:
        assert json.load(handle)["total"]["cigs_ministeriale"] == {"units": 1, "workers": 42}
    assert domain_reads(replica.captured_queries)
    assert not any(
        q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        for q in replica.captured_queries
    )
    assert any('UPDATE "monitoring_reportrun"' in q["sql"] for q in primary.captured_queries)
