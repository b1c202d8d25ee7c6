"""§7: /healthz (process alive) and /readyz (database and broker reachable)."""

import os

import pytest
from django.test import override_settings

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1
READYZ_TOKEN = "readyz-token-for-tests"


@pytest.fixture
def client(client, settings):
    """The probe with the configured token: it may see the details."""
    settings.READYZ_TOKEN = READYZ_TOKEN
    client.defaults["HTTP_X_READYZ_TOKEN"] = READYZ_TOKEN
    return client


def test_healthz_answers_while_the_process_is_alive(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_the_database_reachable(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_readyz_is_never_cached(client):
    response = client.get("/readyz")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL="")
def test_without_a_broker_tasks_run_in_process_and_readyz_says_so(client):
    body = client.get("/readyz").json()
    assert body["broker"] == "in-process"
    assert body["checks"]["broker"] == "ok"


@pytest.mark.django_db
@pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL"), reason="needs a real broker (CELERY_BROKER_URL)"
)
def test_readyz_reports_the_configured_broker_reachable(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["broker"] == "redis"
    assert body["checks"]["broker"] == "ok"


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL=UNREACHABLE_BROKER)
def test_readyz_is_unavailable_when_the_broker_cannot_be_reached(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] != "ok"
    assert body["broker"] == "redis"


def test_healthz_only_answers_get(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL=UNREACHABLE_BROKER, READYZ_TOKEN=READYZ_TOKEN)
def test_anonymous_readyz_gives_the_status_without_error_text(rf_client):
    response = rf_client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL=UNREACHABLE_BROKER, READYZ_TOKEN=READYZ_TOKEN)
def test_a_wrong_readyz_token_gives_no_details(rf_client):
    response = rf_client.get("/readyz", HTTP_X_READYZ_TOKEN="guess")
    assert response.json() == {"status": "unavailable"}


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL=UNREACHABLE_BROKER, READYZ_TOKEN="")
def test_staff_see_the_readyz_details(rf_client, admin_user):
    rf_client.force_login(admin_user)
    body = rf_client.get("/readyz").json()
    assert body["checks"]["broker"] != "ok"
    assert body["checks"]["database"] == "ok"


@pytest.fixture
def rf_client():
    """A plain client, without the token."""
    from django.test import Client

    return Client()
