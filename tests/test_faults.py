"""Issue #9, must-work 9: faults. The database going away mid-request answers a clean 503
(problem+json for the API, a page for HTML); bulk imports and moves stay all-or-nothing when a
failure is injected halfway.

The database faults are real: a closed port, and the request's PostgreSQL backend terminated
with pg_terminate_backend() from a second connection while the request runs. The halfway
failures are injected in our own code path (a post_save receiver raising on the Nth row).
"""

import contextlib
import socket

import psycopg2
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_started
from django.db import OperationalError, connection

from cases.models import Company, CrisisProcedure, ProductionUnit
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.cases.test_interchange import SAMPLE_ROWS, csv_text
from tests.workers.factories import CohortFactory
from tests.workers.test_services import DAY, at_step, snapshot
from workers.enums import Step
from workers.models import Involvement, StepTransition, Worker
from workers.services import involvements_move

PROBLEM = "application/problem+json"
WORKER_LIST = __import__("pathlib").Path(__file__).parent / "data" / "lista_lavoratori_sample.csv"

postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="needs PostgreSQL (DATABASE_URL=postgres://...): a server to stop or terminate",
)


def closed_port() -> int:
    """A local TCP port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def database_at(**settings_changes):
    """Point the default connection elsewhere for the block, then reconnect normally."""
    saved = {key: connection.settings_dict[key] for key in settings_changes}
    connection.close()
    connection.settings_dict.update(settings_changes)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def assert_503_problem(response):
    assert response.status_code == 503
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == 503
    assert body["type"].endswith("database_unavailable")
    assert int(response["Retry-After"]) > 0
    text = response.content.decode()
    assert "Traceback" not in text and "127.0.0.1" not in text and "connection" not in text


# --- the database going away ------------------------------------------------------------------


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_api_answers_503_problem_when_the_database_port_is_closed(api_client, api_client_for):
    client = api_client_for(api_client)
    with database_at(HOST="127.0.0.1", PORT=str(closed_port())):
        response = client.get("/api/v1/procedures/")
    assert_503_problem(response)
    assert client.get("/api/v1/procedures/").status_code == 200  # back once it is back


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_html_answers_a_503_page_when_the_database_port_is_closed(client, staff_bg):
    client.force_login(staff_bg)
    with database_at(HOST="127.0.0.1", PORT=str(closed_port())):
        response = client.get("/procedures/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert b"Service unavailable" in response.content
    assert b"Traceback" not in response.content and b"127.0.0.1" not in response.content


@contextlib.contextmanager
def backend_terminated_when_a_request_starts():
    """During the next request, a second connection kills the request's PostgreSQL backend."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)

    def terminate(**_kwargs):
        killer = psycopg2.connect(**params)
        try:
            killer.autocommit = True
            with killer.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
                assert cursor.fetchone()[0] is True
        finally:
            killer.close()

    request_started.connect(terminate, dispatch_uid="terminate-backend")
    try:
        yield
    finally:
        request_started.disconnect(dispatch_uid="terminate-backend")
        connection.close()  # the broken connection; the next query reconnects


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_api_answers_503_problem_when_the_backend_is_terminated_mid_request(
    api_client, api_client_for
):
    client = api_client_for(api_client)
    with backend_terminated_when_a_request_starts():
        response = client.get("/api/v1/procedures/")
    assert_503_problem(response)
    assert client.get("/api/v1/procedures/").status_code == 200


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_html_answers_503_when_the_backend_is_terminated_mid_request(client, staff_bg):
    client.force_login(staff_bg)
    with backend_terminated_when_a_request_starts():
        response = client.get("/procedures/")
    assert response.status_code == 503
    assert b"Service unavailable" in response.content


# --- all or nothing under a failure halfway ---------------------------------------------------


@contextlib.contextmanager
def failing_on_write(model, nth: int, error: Exception, *, table: str | None = None, lost=False):
    """The ``nth`` statement writing into ``model``'s table (or ``table``) raises ``error``: a
    fault halfway through the work, after other rows were written.

    At the SQL level, so it fires on the row-by-row paths and the bulk ones alike (a bulk
    ``INSERT`` of many rows is one statement). ``lost``: the connection stays lost — every
    later statement fails too, as after a real disconnection (a retry cannot succeed)."""
    table = table or model._meta.db_table
    writes = {"n": 0, "fired": False, "before": []}  # before: the statements written first

    def wrapper(execute, sql, params, many, context):
        head = sql.lstrip()[:7].upper()
        is_write = head.startswith(("INSERT", "UPDATE"))
        if is_write and not writes["fired"]:
            writes["before"].append(sql[:60])
        if is_write and f'"{table}"' in sql[: sql.find("(") if "(" in sql else 200]:
            writes["n"] += 1
            if writes["n"] == nth:
                writes["fired"] = True
                raise error
        if lost and writes["fired"] and head.startswith(("INSERT", "UPDATE", "SELECT", "DELETE")):
            raise error
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield writes


@pytest.mark.django_db
def test_a_worker_import_failing_halfway_writes_nothing(staff_bg, api_client_for):
    procedure = CrisisProcedureFactory(lead="BG", external_id="IMP-1")
    ProductionUnitFactory(procedure=procedure, name="Stabilimento di Dalmine", comune="Dalmine")
    ProductionUnitFactory(procedure=procedure, name="Sede di Treviglio", comune="Treviglio")
    upload = SimpleUploadedFile("lista.csv", WORKER_LIST.read_bytes())
    # The first INSERT of involvements: after the workers were written; the connection stays
    # lost, so the importer's row-by-row retry of the bulk path fails too.
    with failing_on_write(Involvement, 1, OperationalError("connection lost"), lost=True) as saves:
        response = api_client_for(staff_bg).post(
            "/api/v1/workers/import/",
            {"procedure": procedure.pk, "file": upload},
            format="multipart",
        )
    assert saves["fired"] and Worker._meta.db_table in " ".join(saves["before"])
    # The importer reports a row that failed to save as that line's problem; either way the
    # answer is a refusal and nothing is written.
    assert response.status_code in (422, 503)
    assert response["Content-Type"] == PROBLEM
    assert Worker.objects.count() == 0
    assert Involvement.objects.count() == 0
    assert StepTransition.objects.count() == 0


@pytest.mark.django_db
def test_a_procedure_import_failing_halfway_writes_nothing(staff_bg, api_client_for):
    before = (Company.objects.count(), CrisisProcedure.objects.count())
    units_before = ProductionUnit.objects.count()
    upload = SimpleUploadedFile("p.csv", csv_text(*SAMPLE_ROWS).encode(), content_type="text/csv")
    # The first INSERT of units: after the companies and procedures were written.
    with failing_on_write(ProductionUnit, 1, OperationalError("connection lost")) as saves:
        response = api_client_for(staff_bg).post(
            "/api/v1/procedures/import/", {"file": upload}, format="multipart"
        )
    assert saves["fired"] and CrisisProcedure._meta.db_table in " ".join(saves["before"])
    assert_503_problem(response)
    assert (Company.objects.count(), CrisisProcedure.objects.count()) == before
    assert ProductionUnit.objects.count() == units_before


@pytest.mark.django_db
def test_a_bulk_move_failing_halfway_moves_nobody(staff_bg):
    cohort = CohortFactory()
    involvements = [at_step(Step.STEP_2, unit=cohort.unit, cohort=cohort) for _ in range(4)]
    before = snapshot(*involvements)
    transitions_before = StepTransition.objects.count()
    # The involvements' audit history is the move's last write: the moves and the new steps are
    # already written when it fails.
    history = Involvement.history.model
    with failing_on_write(history, 1, RuntimeError("fault injected")) as saves:
        with pytest.raises(RuntimeError):
            involvements_move(
                user=staff_bg, involvements=involvements, to=Step.STEP_3, effective_date=DAY
            )
    assert saves["fired"]
    written = " ".join(saves["before"])  # halfway: the moves and the new steps were written
    assert StepTransition._meta.db_table in written and 'UPDATE "workers_involvement"' in written
    assert snapshot(*involvements) == before
    assert StepTransition.objects.count() == transitions_before


@pytest.mark.django_db
def test_a_bulk_move_through_the_api_failing_halfway_answers_503_and_moves_nobody(
    staff_bg, api_client_for
):
    cohort = CohortFactory()
    involvements = [at_step(Step.STEP_2, unit=cohort.unit, cohort=cohort) for _ in range(4)]
    before = snapshot(*involvements)
    with failing_on_write(Involvement.history.model, 1, OperationalError("connection lost")):
        response = api_client_for(staff_bg).post(
            f"/api/v1/cohorts/{cohort.pk}/move/",
            {"to": Step.STEP_3, "effective_date": DAY.isoformat()},
        )
    assert_503_problem(response)
    assert snapshot(*involvements) == before
