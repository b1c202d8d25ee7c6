"""Webhooks (issue #16 item 3): signed deliveries to a real HTTP server on loopback, retries
with backoff, the delivery log and redelivery, scoping like the client's token, SSRF.

Tasks run in-process here (crisi_portal/settings/test.py: eager, WEBHOOK_BACKOFF_BASE_SECONDS
= 0, so a retry follows at once); the last test drives a real Celery worker through Redis when
CELERY_BROKER_URL is set and the database is PostgreSQL, like tests/monitoring/test_worker.py.
"""

import datetime
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from cases import services as cases_services
from cases.enums import Family
from crisi_portal import webhooks
from crisi_portal.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from crisi_portal.services import api_token_issue
from crisi_portal.tasks import webhook_deliver
from tests.cases.factories import CompanyFactory, OperatorFactory
from tests.factories import UserFactory
from tests.pal.factories import DoteFactory, PIPFactory
from tests.workers.factories import InvolvementFactory
from workers import services as workers_services
from workers.enums import Step

pytestmark = pytest.mark.django_db

ALL_READ = ["procedures:read", "steps:read", "pal:read", "reports:read", "webhooks:write"]


class Receiver:
    """An HTTP server on 127.0.0.1 (a free port) that records what it receives and answers
    with the next of ``statuses`` (then 200)."""

    def __init__(self):
        self.received: list[dict] = []
        self.statuses: list[int] = []
        self.body = b"ok"
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.received.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if status in (301, 302, 307):
                    self.send_header("Location", receiver.url + "elsewhere")
                self.send_header("Content-Length", str(len(receiver.body)))
                self.end_headers()
                self.wfile.write(receiver.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def client_user(*, provinces=(), operator=None, scopes=ALL_READ, username=None):
    user = UserFactory(
        api_client=True,
        provinces=list(provinces),
        operator_id=operator.pk if operator else None,
        **({"username": username} if username else {}),
    )
    token, key = api_token_issue(
        user=user,
        name="sistema regionale",
        expires_at=timezone.now() + datetime.timedelta(days=30),
        scopes=scopes,
    )
    return user, key


def endpoint_for(user, receiver, events=None):
    return webhooks.endpoint_create(
        owner=user, url=receiver.url, events=events or sorted(webhooks.SUBSCRIBABLE_EVENTS)
    )


def api(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def open_procedure(lead="BG"):
    return cases_services.procedure_create(
        user=None,
        company=CompanyFactory(),
        data={
            "lead_province_id": lead,
            "family": Family.CIGS_MINISTERIALE,
            "opened_on": datetime.date(2025, 3, 10),
            "start_date": datetime.date(2025, 4, 1),
            "end_date": datetime.date(2026, 3, 31),
        },
    )


# --- Signing ---------------------------------------------------------------------------------


def test_a_delivery_is_signed_and_the_receiver_verifies_it(
    receiver, django_capture_on_commit_callbacks
):
    user, _key = client_user()
    endpoint = endpoint_for(user, receiver)

    with django_capture_on_commit_callbacks(execute=True):
        procedure = open_procedure()

    assert len(receiver.received) == 1
    request = receiver.received[0]
    headers, body = request["headers"], request["body"]
    assert headers["X-Crisi-Event"] == "procedure.created"
    assert webhooks.verify_signature(
        endpoint.secret, body, headers["X-Crisi-Timestamp"], headers["X-Crisi-Signature"]
    )
    assert headers["X-Crisi-Signature"].startswith("v1=")
    payload = json.loads(body)
    assert payload["event"] == "procedure.created"
    assert headers["X-Crisi-Event-Id"] == payload["id"]
    [entry] = payload["objects"]
    assert entry["type"] == "crisisprocedure"
    assert entry["id"] == procedure.pk
    assert entry["url"].endswith(f"/api/v1/procedures/{procedure.pk}/")
    # Thin: no company name, no tax code, nothing personal.
    assert procedure.company.name not in body.decode()
    assert procedure.company.tax_code not in body.decode()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert (delivery.attempts, delivery.last_response_status) == (1, 200)
    assert delivery.last_response_body == "ok"
    assert delivery.delivered_at is not None
    assert str(delivery.pk) == headers["X-Crisi-Delivery"]


def test_a_stale_replayed_or_altered_delivery_is_rejected():
    secret, body = "whsec_test", b'{"event":"ping"}'
    now = 1_800_000_000
    signature = webhooks.sign(secret, body, now)

    assert webhooks.verify_signature(secret, body, str(now), signature, now=now + 299)
    # Replayed six minutes later: refused, however right the signature.
    assert not webhooks.verify_signature(secret, body, str(now), signature, now=now + 301)
    assert not webhooks.verify_signature(secret, body, str(now), signature, now=now - 301)
    # Another timestamp with the old signature, another body, another secret: refused.
    assert not webhooks.verify_signature(secret, body, str(now + 1), signature, now=now)
    assert not webhooks.verify_signature(secret, body + b" ", str(now), signature, now=now)
    assert not webhooks.verify_signature("whsec_other", body, str(now), signature, now=now)
    assert not webhooks.verify_signature(secret, body, "yesterday", signature, now=now)
    # Several signatures (a secret being rotated): one matching is enough.
    assert webhooks.verify_signature(secret, body, now, f"v1=00, {signature}", now=now)


# --- Retries ---------------------------------------------------------------------------------


def test_a_receiver_that_fails_twice_then_succeeds_gets_three_attempts(
    receiver, django_capture_on_commit_callbacks
):
    user, _key = client_user()
    endpoint_for(user, receiver)
    receiver.statuses = [500, 500]

    with django_capture_on_commit_callbacks(execute=True):
        open_procedure()

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.attempts == 3
    assert len(receiver.received) == 3
    # The same event, the same body, every time (a new timestamp and signature each).
    assert len({r["body"] for r in receiver.received}) == 1
    assert len({r["headers"]["X-Crisi-Event-Id"] for r in receiver.received}) == 1


@override_settings(WEBHOOK_MAX_ATTEMPTS=3)
def test_a_receiver_that_always_fails_ends_failed_after_the_last_attempt(
    receiver, django_capture_on_commit_callbacks
):
    user, _key = client_user()
    endpoint_for(user, receiver)
    receiver.statuses = [503] * 10
    receiver.body = b"x" * 10_000

    with django_capture_on_commit_callbacks(execute=True):
        open_procedure()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    assert delivery.last_response_status == 503
    # The answer is kept, bounded.
    assert len(delivery.last_response_body) == WebhookDelivery.RESPONSE_EXCERPT
    assert delivery.next_attempt_at is None


def test_a_redirect_is_not_followed_and_counts_as_a_failure(receiver):
    user, _key = client_user()
    endpoint = endpoint_for(user, receiver)
    receiver.statuses = [302]
    delivery = webhooks.ping(endpoint)

    with override_settings(WEBHOOK_BACKOFF_BASE_SECONDS=60):
        result = webhooks.attempt(delivery.pk)

    assert result.status == DeliveryStatus.RETRYING
    assert 60 <= result.retry_in <= 66
    assert [r["headers"]["X-Crisi-Event"] for r in receiver.received] == ["ping"]
    delivery.refresh_from_db()
    assert delivery.last_response_status == 302
    # Not due yet: a duplicate message does nothing.
    assert webhooks.attempt(delivery.pk) is None
    assert len(receiver.received) == 1


def test_a_timeout_is_retried_with_the_error_logged():
    user, _key = client_user()
    # A socket that accepts and never answers.
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        endpoint = webhooks.endpoint_create(
            owner=user,
            url=f"http://127.0.0.1:{listener.getsockname()[1]}/",
            events=["procedure.created"],
        )
        delivery = webhooks.ping(endpoint)
        with override_settings(WEBHOOK_TIMEOUT_SECONDS=0.5):
            result = webhooks.attempt(delivery.pk)
    finally:
        listener.close()
    assert result.status == DeliveryStatus.RETRYING
    delivery.refresh_from_db()
    assert delivery.last_response_status is None
    # The kind of failure, not the network's words (addresses and ports stay out of the log).
    assert delivery.last_error == "timeout"


def test_backoff_doubles_from_the_base_with_bounded_jitter():
    assert [webhooks.backoff_seconds(n, base=30, jitter=False) for n in range(1, 9)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3840,
    ]
    for n in range(1, 9):
        exact = 30 * 2 ** (n - 1)
        assert exact <= webhooks.backoff_seconds(n, base=30) <= exact * 1.1
    assert webhooks.backoff_seconds(3, base=0) == 0


# --- Scope -----------------------------------------------------------------------------------


def test_a_province_restricted_client_hears_nothing_about_another_province(
    receiver, django_capture_on_commit_callbacks
):
    bg_client, _ = client_user(provinces=["BG"])
    endpoint_for(bg_client, receiver)

    with django_capture_on_commit_callbacks(execute=True):
        open_procedure(lead="MI")
    assert receiver.received == []
    assert not WebhookDelivery.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        mine = open_procedure(lead="BG")
    assert [json.loads(r["body"])["objects"][0]["id"] for r in receiver.received] == [mine.pk]


def test_a_client_without_the_family_s_read_scope_hears_nothing(
    receiver, django_capture_on_commit_callbacks
):
    user, _ = client_user(scopes=["steps:read", "webhooks:write"])
    endpoint_for(user, receiver)

    with django_capture_on_commit_callbacks(execute=True):
        open_procedure()

    assert receiver.received == []


def test_an_operator_restricted_client_hears_only_its_operator_s_pips(
    receiver, django_capture_on_commit_callbacks
):
    ours, theirs = OperatorFactory(), OperatorFactory()
    user, _ = client_user(operator=ours)
    endpoint_for(user, receiver, events=[WebhookEvent.PIP_DECIDED])
    our_pip = PIPFactory(dote=DoteFactory(operator=ours))
    their_pip = PIPFactory(dote=DoteFactory(operator=theirs))

    with django_capture_on_commit_callbacks(execute=True):
        webhooks.emit(WebhookEvent.PIP_DECIDED, their_pip, changes={"status": "approvato"})
        webhooks.emit(WebhookEvent.PIP_DECIDED, our_pip, changes={"status": "approvato"})

    [request] = receiver.received
    [entry] = json.loads(request["body"])["objects"]
    assert (entry["type"], entry["id"], entry["status"]) == ("pip", our_pip.pk, "approvato")


def test_nothing_is_sent_when_the_transaction_rolls_back(
    receiver, django_capture_on_commit_callbacks
):
    user, _ = client_user()
    endpoint_for(user, receiver)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        open_procedure()
    # Captured, not run: a rollback discards them (on_commit), so nothing was recorded.
    assert len(callbacks) == 1
    assert not WebhookDelivery.objects.exists()


def test_step_moves_and_taking_in_charge_are_sent_without_personal_data(
    receiver, django_capture_on_commit_callbacks
):
    user, _ = client_user()
    endpoint_for(
        user,
        receiver,
        events=[WebhookEvent.INVOLVEMENT_TAKEN_IN_CHARGE, WebhookEvent.INVOLVEMENT_STEP_MOVED],
    )
    with django_capture_on_commit_callbacks(execute=True):
        involvements = [InvolvementFactory() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        workers_services.involvements_move(
            user=None,
            involvements=involvements,
            to=Step.STEP_2,
            effective_date=timezone.localdate(),
        )

    events = [json.loads(r["body"]) for r in receiver.received]
    assert [e["event"] for e in events] == ["involvement.taken_in_charge"] * 3 + [
        "involvement.step_moved"
    ]
    moved = events[-1]["objects"]  # one delivery for the bulk move
    assert sorted(o["id"] for o in moved) == sorted(i.pk for i in involvements)
    assert {(o["from_step"], o["to_step"], o["step"]) for o in moved} == {
        ("STEP_1", "STEP_2", "STEP_2")
    }
    text = b"".join(r["body"] for r in receiver.received).decode()
    for involvement in involvements:
        assert involvement.worker.fiscal_code not in text
        assert involvement.worker.last_name not in text


@override_settings(WEBHOOK_BATCH_SIZE=2)
def test_a_bulk_change_is_sent_in_bounded_batches(receiver, django_capture_on_commit_callbacks):
    user, _ = client_user()
    endpoint_for(user, receiver, events=[WebhookEvent.INVOLVEMENT_STEP_MOVED])
    involvements = [InvolvementFactory() for _ in range(5)]

    with django_capture_on_commit_callbacks(execute=True):
        webhooks.emit_many(WebhookEvent.INVOLVEMENT_STEP_MOVED, involvements)

    sizes = [len(json.loads(r["body"])["objects"]) for r in receiver.received]
    assert sorted(sizes) == [1, 2, 2]


# --- SSRF ------------------------------------------------------------------------------------


@override_settings(WEBHOOK_ALLOW_PRIVATE_HOSTS=False)
@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        # IPv6 forms a gateway turns into a private IPv4 address: NAT64, 6to4, IPv4-compatible.
        "https://[64:ff9b::a9fe:a9fe]/hook",
        "https://[2002:7f00:1::]/hook",
        "https://[::7f00:1]/hook",
        "https://localhost/hook",
        "https://0.0.0.0/hook",
        "https://user:pw@93.184.215.14/hook",
    ],
)
def test_urls_to_private_or_local_hosts_are_refused(url):
    user, _ = client_user()
    with pytest.raises(ValidationError) as refused:
        webhooks.endpoint_create(owner=user, url=url, events=["procedure.created"])
    assert "url" in refused.value.message_dict
    assert not WebhookEndpoint.objects.exists()


def test_a_refused_connection_is_logged_without_its_address():
    user, _ = client_user()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there any more: the connection is refused
    endpoint = webhooks.endpoint_create(
        owner=user, url=f"http://127.0.0.1:{port}/", events=["procedure.created"]
    )
    delivery = webhooks.ping(endpoint)
    assert webhooks.attempt(delivery.pk).status == DeliveryStatus.RETRYING
    delivery.refresh_from_db()
    assert delivery.last_error == "connection failed"
    assert str(port) not in delivery.last_error


def test_an_inactive_owner_gets_no_more_attempts(receiver):
    user, _ = client_user()
    endpoint = endpoint_for(user, receiver)
    delivery = webhooks.ping(endpoint)
    user.is_active = False
    user.save()
    assert webhooks.attempt(delivery.pk).status == DeliveryStatus.FAILED
    assert receiver.received == []


def test_a_delivery_checks_the_address_again(receiver):
    user, _ = client_user()
    endpoint = endpoint_for(user, receiver)  # allowed when saved (tests allow loopback)
    delivery = webhooks.ping(endpoint)

    with override_settings(WEBHOOK_ALLOW_PRIVATE_HOSTS=False):
        result = webhooks.attempt(delivery.pk)

    assert result.status == DeliveryStatus.RETRYING
    assert receiver.received == []
    delivery.refresh_from_db()
    assert "https" in delivery.last_error


# --- The API ---------------------------------------------------------------------------------


def test_a_client_registers_an_endpoint_sees_its_log_and_redelivers(
    receiver, django_capture_on_commit_callbacks
):
    user, key = client_user()
    client = api(key)

    created = client.post(
        "/api/v1/webhooks/",
        {"url": receiver.url, "events": ["procedure.created", "pip.decided"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    endpoint_id = created.json()["id"]
    # The secret is never shown again.
    assert "secret" not in client.get(f"/api/v1/webhooks/{endpoint_id}/").json()
    assert secret not in client.get("/api/v1/webhooks/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/webhooks/{endpoint_id}/ping/")
    assert response.status_code == 202
    ping = receiver.received[-1]
    assert webhooks.verify_signature(
        secret,
        ping["body"],
        ping["headers"]["X-Crisi-Timestamp"],
        ping["headers"]["X-Crisi-Signature"],
    )

    log = client.get(f"/api/v1/webhooks/{endpoint_id}/deliveries/")
    assert log.status_code == 200
    [entry] = log.json()["results"]
    assert (entry["event"], entry["status"], entry["last_response_status"]) == (
        "ping",
        "succeeded",
        200,
    )
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(f"/api/v1/webhooks/{endpoint_id}/deliveries/{entry['id']}/redeliver/")
    assert again.status_code == 202
    assert again.json()["event_id"] == entry["event_id"]
    assert len(receiver.received) == 2
    assert json.loads(receiver.received[0]["body"]) == json.loads(receiver.received[1]["body"])
    statuses = client.get(f"/api/v1/webhooks/{endpoint_id}/deliveries/?status=succeeded")
    assert statuses.json()["count"] == 2


def test_another_client_s_endpoint_is_not_found(receiver):
    owner, _ = client_user()
    endpoint = endpoint_for(owner, receiver)
    delivery = webhooks.ping(endpoint)
    _other, key = client_user()
    client = api(key)
    missing = 987654321

    for path in (
        f"/api/v1/webhooks/{endpoint.pk}/",
        f"/api/v1/webhooks/{endpoint.pk}/deliveries/",
    ):
        assert client.get(path).status_code == 404
    assert client.get(f"/api/v1/webhooks/{missing}/").status_code == 404
    assert client.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"active": False}).status_code == 404
    assert client.delete(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 404
    redeliver = f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/"
    assert client.post(redeliver).status_code == 404
    assert client.get("/api/v1/webhooks/").json()["count"] == 0
    # Nor a delivery of another endpoint through one's own.
    mine = endpoint_for(_other, receiver)
    path = f"/api/v1/webhooks/{mine.pk}/deliveries/{delivery.pk}/redeliver/"
    assert client.post(path).status_code == 404
    endpoint.refresh_from_db()
    assert endpoint.active


def test_bad_endpoints_are_refused_naming_the_field():
    _user, key = client_user()
    client = api(key)

    blank = client.post("/api/v1/webhooks/", {"url": "", "events": []}, format="json")
    assert blank.status_code in (400, 422)
    fields = {error["field"].split("[")[0] for error in blank.json()["errors"]}
    assert {"url", "events"} <= fields
    unknown = client.post(
        "/api/v1/webhooks/", {"url": "https://example.org/h", "events": ["x"]}, format="json"
    )
    assert "events" in {e["field"].split("[")[0] for e in unknown.json()["errors"]}
    with override_settings(WEBHOOK_ALLOW_PRIVATE_HOSTS=False):
        private = client.post(
            "/api/v1/webhooks/",
            {"url": "https://10.0.0.1/hook", "events": ["procedure.created"]},
            format="json",
        )
    assert private.status_code == 422
    assert [e["field"] for e in private.json()["errors"]] == ["url"]


def test_managing_webhooks_needs_the_webhooks_scope():
    _user, key = client_user(scopes=["procedures:read"])
    assert api(key).get("/api/v1/webhooks/").status_code == 403


def test_endpoints_belong_to_api_clients_only():
    with pytest.raises(ValidationError):
        webhooks.endpoint_create(
            owner=UserFactory(province_staff=True),
            url="https://example.org/h",
            events=["procedure.created"],
        )


# --- A real worker ---------------------------------------------------------------------------


@pytest.fixture
def celery_worker(monkeypatch, tmp_path):
    """A real ``celery worker`` on the test database, through the broker (PostgreSQL + Redis
    only); its retries wait 0.2 s × 2^n and it may POST to loopback."""
    import redis
    from django.conf import settings
    from django.db import connection

    from crisi_portal.celery import app
    from tests.monitoring.test_worker import Worker

    if not settings.CELERY_BROKER_URL or connection.vendor != "postgresql":
        pytest.skip("needs a broker (CELERY_BROKER_URL) and PostgreSQL")
    monkeypatch.setenv("WEBHOOK_BACKOFF_BASE_SECONDS", "0.2")
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE_HOSTS", "1")
    app.conf.task_always_eager = False
    app.control.purge()
    worker = Worker(connection.settings_dict, tmp_path / "worker.log")
    yield worker
    worker.stop()
    app.control.purge()
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("unacked", "unacked_index")
    app.conf.task_always_eager = True


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_retries_through_the_broker(receiver, celery_worker):
    worker = celery_worker
    user, _ = client_user(username="webhook-worker-client")
    endpoint_for(user, receiver)
    receiver.statuses = [500, 500]

    open_procedure()  # autocommit: on_commit runs at once, the task goes to the broker

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        delivery = WebhookDelivery.objects.first()
        if delivery and delivery.status == DeliveryStatus.SUCCEEDED:
            break
        time.sleep(0.25)
    else:
        raise AssertionError("not delivered within 60 s; worker said:\n" + worker.output()[-4000:])
    assert delivery.attempts == 3
    assert len(receiver.received) == 3
    assert webhook_deliver.name == webhooks.DELIVER_TASK


@pytest.mark.parametrize(
    "path", ["/api/v1/webhooks/abc/", "/api/v1/webhooks/99999999999999999999999/deliveries/"]
)
def test_an_id_that_is_not_a_number_is_not_found(path):
    _user, key = client_user()
    assert api(key).get(path).status_code == 404


# --- The admin -------------------------------------------------------------------------------


def test_the_admin_shows_the_secret_once_and_redelivers(
    client, receiver, django_capture_on_commit_callbacks
):
    owner, _ = client_user()
    client.force_login(UserFactory(admin=True))

    with override_settings(LANGUAGE_CODE="en"):
        created = client.post(
            "/admin/crisi_portal/webhookendpoint/add/",
            {
                "owner": owner.pk,
                "url": receiver.url,
                "description": "sistema regionale",
                "events": ["procedure.created"],
                "active": "on",
                "deliveries-TOTAL_FORMS": "0",
                "deliveries-INITIAL_FORMS": "0",
            },
        )
    assert created.status_code == 200, created.content[:2000]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in created.content.decode()
    assert "no-store" in created["Cache-Control"]
    change = client.get(f"/admin/crisi_portal/webhookendpoint/{endpoint.pk}/change/")
    assert change.status_code == 200
    assert endpoint.secret not in change.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhooks.ping(endpoint)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/crisi_portal/webhookdelivery/",
            {"action": "redeliver", "_selected_action": [delivery.pk]},
        )
    assert response.status_code == 302
    assert WebhookDelivery.objects.filter(event_id=delivery.event_id).count() == 2
    assert len(receiver.received) == 2
    assert client.get("/admin/crisi_portal/webhookdelivery/").status_code == 200
    assert (
        client.get(f"/admin/crisi_portal/webhookdelivery/{delivery.pk}/change/").status_code == 200
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://example.org:99999/h", "events": ["ping"]}, "url"),
        ({"url": "https://" + "a" * 300 + ".org/h", "events": ["procedure.created"]}, "url"),
        ({"url": "https://example.org/h", "events": "procedure.created"}, "events"),
        ({"url": "https://example.org/h", "events": ["pip.decided"], "active": "yes"}, "active"),
        (
            {"url": "https://example.org/h", "events": ["pip.decided"], "description": "\x00"},
            "description",
        ),
        ({"url": "https://example.org/h", "events": ["pip.decided"] * 50}, "events"),
    ],
)
def test_odd_bodies_are_refused_naming_the_field(body, field):
    _user, key = client_user()
    with override_settings(WEBHOOK_ALLOW_PRIVATE_HOSTS=False):
        response = api(key).post("/api/v1/webhooks/", body, format="json")
    assert response.status_code in (400, 422), response.content
    assert field in {e["field"].split("[")[0] for e in response.json()["errors"]}
    assert not WebhookEndpoint.objects.exists()
