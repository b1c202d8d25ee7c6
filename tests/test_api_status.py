"""Issue #10, must-work 6: ``GET /api/v1/status`` as the AgID ModI guidelines ask — no
credentials, a problem document with status 200 while the service works, 503 while a vital
service is down, never cached, and documented in the schema.

The outages are real: the database's port closed (PostgreSQL, the technique of
tests/test_faults.py) and a broker address where nothing listens.
"""

import pytest
from django.db import connection
from django.test import Client

from tests.test_faults import closed_port, database_at, postgres_only

STATUS = "/api/v1/status"
PROBLEM = "application/problem+json"


def assert_status_problem(response, status: int, title: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert (body["status"], body["title"]) == (status, title)
    return body


@pytest.mark.django_db
def test_the_status_is_200_ok_without_credentials():
    body = assert_status_problem(Client().get(STATUS), 200, "OK")
    assert body["type"] == "about:blank"


@pytest.mark.django_db
def test_a_bad_key_does_not_matter_to_the_status():
    response = Client().get(STATUS, HTTP_AUTHORIZATION="Token not-a-key")
    assert_status_problem(response, 200, "OK")


@pytest.mark.django_db
def test_the_status_only_answers_get():
    response = Client().post(STATUS)
    assert response.status_code == 405
    assert response["Content-Type"] == PROBLEM


@pytest.mark.django_db
def test_the_status_is_503_when_the_broker_cannot_be_reached(settings):
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = Client().get(STATUS)
    body = assert_status_problem(response, 503, "Service Unavailable")
    assert body["type"].endswith("#service_unavailable")
    assert int(response["Retry-After"]) > 0
    assert "127.0.0.1" not in response.content.decode()


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_status_is_503_when_the_database_port_is_closed():
    client = Client()
    with database_at(HOST="127.0.0.1", PORT=str(closed_port())):
        response = client.get(STATUS)
    body = assert_status_problem(response, 503, "Service Unavailable")
    assert int(response["Retry-After"]) > 0
    text = response.content.decode()
    assert "127.0.0.1" not in text and "connection" not in text
    assert_status_problem(client.get(STATUS), 200, "OK")  # up again once it is back
    assert connection.vendor == "postgresql"
    assert body["detail"]


@pytest.mark.django_db
def test_the_status_is_in_the_schema_with_both_answers_and_no_security():
    schema = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/status"]["get"]
    # No requirement at all (none at the top either), or an explicitly anonymous one.
    assert "security" not in schema
    assert operation.get("security", []) in ([], [{}])
    assert set(operation["responses"]) >= {"200", "503"}
    for code in ("200", "503"):
        assert PROBLEM in operation["responses"][code]["content"]
