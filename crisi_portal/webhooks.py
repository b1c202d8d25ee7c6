"""Events out (issue #16): webhooks for API clients.

A service that changes something another system follows calls :func:`emit` (or
:func:`emit_many` for a bulk change). Once the transaction commits, every active endpoint
subscribed to the event whose owner — an API-client account — may see the object gets a
:class:`~crisi_portal.models.WebhookDelivery`, and the Celery task
``crisi_portal.tasks.webhook_deliver`` POSTs it, signed, retrying with exponential backoff.

Scope: exactly the client's API scope. The object must be in ``visible_to(owner)`` of its
model (provinces, operator: :mod:`crisi_portal.scoping`), and one of the owner's active tokens
must read the object's resource family. Out of scope, no delivery is even recorded.

Payloads are thin: the event, when it happened, and per object its type, id, API URL and
non-personal fields (a step, a status). Never a fiscal code or a name: the receiver fetches
the object with its token, through the same scoping.

Signature (documented in README "Webhooks" and docs/api.md): ``X-Crisi-Signature: v1=<hex>``,
the HMAC-SHA256 of ``f"{timestamp}.{body}"`` with the endpoint's secret, ``timestamp`` being
``X-Crisi-Timestamp`` (Unix seconds). A receiver recomputes it over the raw body, compares in
constant time and rejects a timestamp more than 5 minutes away (:func:`verify_signature`).

The core imports no app (ADR 0006): objects are reached through their model's default
manager, and their API URL through the router's basename.
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import random
import secrets
import socket
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from crisi_portal.models import (
    SUBSCRIBABLE_EVENTS,
    Access,
    ApiToken,
    DeliveryStatus,
    ResourceFamily,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from crisi_portal.roles import Role

logger = logging.getLogger(__name__)

DELIVER_TASK = "crisi_portal.tasks.webhook_deliver"
SIGNATURE_VERSION = "v1"
TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"

# Per object type (the model's name): the API basename of its URL and its resource family.
OBJECT_TYPES: dict[str, tuple[str, str]] = {
    "crisisprocedure": ("procedure", ResourceFamily.PROCEDURES),
    "involvement": ("involvement", ResourceFamily.STEPS),
    "pip": ("pip", ResourceFamily.PAL),
    "reportrun": ("report", ResourceFamily.REPORTS),
}
# The non-personal fields a payload may carry about an object, whatever the caller passes.
SAFE_FIELDS = frozenset(
    {"step", "status", "from_step", "to_step", "kind", "period", "format", "version", "number"}
)

# --- Signing ------------------------------------------------------------------------------


def secret_generate() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """``v1=<hex>``: HMAC-SHA256 over ``f"{timestamp}.{body}"`` with ``secret``."""
    message = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def verify_signature(
    secret: str,
    body: bytes | str,
    timestamp: str | int,
    signature: str,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: the signature is the endpoint's over this body and timestamp
    (``v1=`` entries, comma-separated: one must match, compared in constant time), and the
    timestamp is within ``tolerance`` seconds of ``now`` (a replay later is refused)."""
    if isinstance(body, str):
        body = body.encode()
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance:
        return False
    expected = sign(secret, body, stamp)
    offered = [part.strip() for part in str(signature).split(",")]
    return any(hmac.compare_digest(expected, part) for part in offered)


# --- Where deliveries may go (SSRF) ---------------------------------------------------------


def _allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_HOSTS", False))


# IPv6 prefixes that carry an IPv4 address a gateway may forward to: NAT64 (RFC 6052),
# 6to4 (RFC 3056) and the deprecated IPv4-compatible ::a.b.c.d.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _SIX_TO_FOUR:
        return ip.sixtofour
    return None


def _refused_address(address: str) -> bool:
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(
        address.split("%", 1)[0]
    )
    if isinstance(ip, ipaddress.IPv6Address) and (embedded := _embedded_ipv4(ip)) is not None:
        if not embedded.is_global or embedded.is_multicast:
            return True
    return not ip.is_global or ip.is_multicast


def url_check(url: str, *, resolve: bool = True, pin: bool = False) -> list[str]:
    """Refuse (ValidationError on ``url``) a URL a delivery must not go to: not https, or a
    host that is, or resolves to, a private, loopback, link-local or reserved address —
    unless WEBHOOK_ALLOW_PRIVATE_HOSTS (tests, development). Checked when an endpoint is
    saved and again before every attempt (the name may resolve elsewhere by then). Returns
    the addresses checked: a delivery connects to one of them, never resolving the name again
    (a name that answers a public address to the check and a private one to the connection
    — DNS rebinding — gets nowhere). With WEBHOOK_ALLOW_PRIVATE_HOSTS the name is resolved
    only for a delivery (``pin``), not when an endpoint is saved."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationError({"url": _("Enter a valid URL.")}, code="invalid") from exc
    allow = _allow_private()
    if parts.scheme != "https" and not (allow and parts.scheme == "http"):
        raise ValidationError({"url": _("Webhook URLs must use https.")}, code="scheme")
    host = parts.hostname
    if not host:
        raise ValidationError({"url": _("Enter a URL with a host name.")}, code="invalid")
    if parts.username or parts.password:
        raise ValidationError(
            {"url": _("A webhook URL may not carry a user name or password.")}, code="invalid"
        )
    if allow and not pin:
        return []
    try:
        addresses = {host} if _is_ip(host) else (_resolve(host, port) if resolve else set())
    except (OSError, UnicodeError) as exc:
        raise ValidationError(
            {"url": _("The host name of this URL does not resolve.")}, code="unresolved"
        ) from exc
    if not allow and any(_refused_address(address) for address in addresses):
        raise ValidationError(
            {"url": _("Webhook URLs may not point to private or local addresses.")},
            code="private",
        )
    return sorted(addresses)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _resolve(host: str, port: int | None) -> set[str]:
    infos = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    return {str(info[4][0]) for info in infos}


# --- Backoff ------------------------------------------------------------------------------


def backoff_seconds(attempt: int, *, base: float | None = None, jitter: bool = True) -> float:
    """The wait after failed attempt number ``attempt`` (1, 2, …): ``base × 2^(attempt-1)``
    (30 s, 60 s, 120 s, … by default), plus up to 10 % random jitter so that the retries of
    one outage do not all arrive together."""
    if base is None:
        base = float(settings.WEBHOOK_BACKOFF_BASE_SECONDS)
    delay = base * 2 ** max(attempt - 1, 0)
    if jitter and delay:
        delay += random.uniform(0, delay / 10)  # noqa: S311  # nosec B311 - jitter, not a secret
    return delay


# --- Emitting ------------------------------------------------------------------------------


def _object_type(model: type[models.Model]) -> str:
    return model._meta.model_name or ""


def _api_url(model: type[models.Model], pk: Any) -> str | None:
    basename = OBJECT_TYPES.get(_object_type(model), (None, None))[0]
    if basename is None:
        return None
    try:
        path = reverse(f"{basename}-detail", args=[pk])
    except NoReverseMatch:
        return None
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def _fields(obj: models.Model, changes: Mapping[str, Any] | Iterable[str] | None) -> dict:
    """The object's entry in a payload: type, id, API URL and non-personal fields."""
    entry: dict[str, Any] = {
        "type": _object_type(type(obj)),
        "id": obj.pk,
        "url": _api_url(type(obj), obj.pk),
    }
    for key, name in (("step", "current_step"), ("status", "status")):
        value = getattr(obj, name, None)
        if isinstance(value, str) and value:
            entry[key] = value
    if isinstance(changes, Mapping):
        entry.update({k: v for k, v in changes.items() if k in SAFE_FIELDS})
    elif changes is not None:
        entry["changed"] = sorted(str(name) for name in changes)
    return entry


def emit(
    event: str, obj: models.Model, *, changes: Mapping[str, Any] | Iterable[str] | None = None
) -> None:
    """Tell the subscribed clients that ``event`` happened to ``obj``, once the current
    transaction commits (nothing if it rolls back). ``changes``: the names of the fields that
    changed (sent as ``changed``, without values), or a mapping of non-personal facts
    (``SAFE_FIELDS``: ``status``, ``from_step``, ``kind``…) added to the object's entry; other
    keys of a mapping are dropped."""
    emit_many(event, [obj], changes=changes)


def emit_many(
    event: str,
    objects: Sequence[models.Model],
    *,
    changes: Mapping[str, Any] | Iterable[str] | None = None,
) -> None:
    """:func:`emit` for a bulk change: objects of one model, sent to each endpoint in
    batches of WEBHOOK_BATCH_SIZE objects per delivery (a bulk move of 5,000 workers is 50
    deliveries per endpoint, not 5,000)."""
    if event not in SUBSCRIBABLE_EVENTS:
        raise ValueError(f"Unknown webhook event {event!r}")
    if not objects:
        return
    occurred_at = timezone.now()
    entries = [_fields(obj, changes) for obj in objects]
    model = type(objects[0])
    transaction.on_commit(lambda: _fan_out(event, model, entries, occurred_at), robust=True)


def subscribers(event: str) -> list[WebhookEndpoint]:
    """Active endpoints of active API-client accounts subscribed to ``event``."""
    endpoints = WebhookEndpoint.objects.filter(
        active=True, owner__is_active=True, owner__role=Role.API_CLIENT
    ).select_related("owner")
    return [endpoint for endpoint in endpoints if event in (endpoint.events or ())]


def reads_family(user: User, family: str, at: datetime | None = None) -> bool:
    """Whether one of ``user``'s active tokens reads the resource ``family``."""
    return any(
        token.allows(family, Access.READ) for token in ApiToken.objects.active(at).filter(user=user)
    )


def visible_ids(user: User, model: type[models.Model], ids: Iterable[Any]) -> set[Any]:
    """Of ``ids``, those of the rows of ``model`` that ``user`` sees through the API."""
    queryset = model._default_manager.all()
    visible = queryset.visible_to(user)  # type: ignore[attr-defined]
    return set(visible.filter(pk__in=list(ids)).values_list("pk", flat=True))


def _fan_out(
    event: str, model: type[models.Model], entries: list[dict], occurred_at: datetime
) -> list[int]:
    endpoints = subscribers(event)
    if not endpoints:
        return []
    family = OBJECT_TYPES.get(_object_type(model), (None, None))[1]
    batch = max(int(settings.WEBHOOK_BATCH_SIZE), 1)
    created: list[WebhookDelivery] = []
    for endpoint in endpoints:
        owner = endpoint.owner
        if family is None or not reads_family(owner, family):
            continue
        seen = visible_ids(owner, model, [entry["id"] for entry in entries])
        mine = [entry for entry in entries if entry["id"] in seen]
        for start in range(0, len(mine), batch):
            created.append(
                _delivery(endpoint, event, mine[start : start + batch], occurred_at=occurred_at)
            )
    WebhookDelivery.objects.bulk_create(created)
    ids = [delivery.pk for delivery in created]
    for pk in ids:
        enqueue(pk)
    return ids


def _delivery(
    endpoint: WebhookEndpoint,
    event: str,
    objects: list[dict],
    *,
    occurred_at: datetime,
    event_id: uuid.UUID | None = None,
) -> WebhookDelivery:
    event_id = event_id or uuid.uuid4()
    payload = {
        "id": str(event_id),
        "event": event,
        "occurred_at": occurred_at.isoformat().replace("+00:00", "Z"),
        "objects": objects,
    }
    return WebhookDelivery(
        endpoint=endpoint,
        event_id=event_id,
        event=event,
        payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder)),
        next_attempt_at=timezone.now(),
    )


def enqueue(delivery_id: int, countdown: float | None = None) -> None:
    task = current_app.tasks[DELIVER_TASK]
    if countdown:
        task.apply_async((delivery_id,), countdown=countdown)
    else:
        task.delay(delivery_id)


# --- Managing endpoints (the client's own; the API and the admin) ---------------------------


def endpoint_create(
    *, owner: User, url: str, events: list[str], description: str = "", active: bool = True
) -> WebhookEndpoint:
    """A new endpoint of ``owner`` (an API-client account) with a fresh secret: the caller
    shows ``endpoint.secret`` once; it is never returned again."""
    if owner.role != Role.API_CLIENT:
        raise ValidationError(
            {"owner": _("Only API-client accounts have webhook endpoints.")}, code="invalid"
        )
    endpoint = WebhookEndpoint(
        owner=owner,
        url=url,
        events=events,
        description=description,
        active=active,
        secret=secret_generate(),
    )
    endpoint.full_clean()
    url_check(url)
    endpoint.save()
    return endpoint


def endpoint_update(*, endpoint: WebhookEndpoint, data: Mapping[str, Any]) -> WebhookEndpoint:
    for name in ("url", "events", "description", "active"):
        if name in data:
            setattr(endpoint, name, data[name])
    endpoint.full_clean()
    if "url" in data:
        url_check(endpoint.url)
    endpoint.save()
    return endpoint


def endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> str:
    """A new secret (shown once); deliveries signed from now on use it."""
    endpoint.secret = secret_generate()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint.secret


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery's event again, as a new delivery with the same event id and payload
    (the receiver can tell it has seen the event)."""
    again = WebhookDelivery.objects.create(
        endpoint=delivery.endpoint,
        event_id=delivery.event_id,
        event=delivery.event,
        payload=delivery.payload,
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: enqueue(again.pk))
    return again


def ping(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A test event to ``endpoint`` (whatever it subscribes to)."""
    delivery = _delivery(endpoint, WebhookEvent.PING, [], occurred_at=timezone.now())
    delivery.save()
    transaction.on_commit(lambda: enqueue(delivery.pk))
    return delivery


# --- Delivering ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """What one attempt did: the delivery's new status and, if retrying, after how long."""

    status: str
    retry_in: float | None = None


def _claim(delivery_id: int) -> bool:
    """Take the delivery for one attempt, if it is due and not finished: a duplicate message
    (a lost worker's, the sweep's) finds it taken and does nothing."""
    now = timezone.now()
    lease = now + timedelta(seconds=4 * float(settings.WEBHOOK_TIMEOUT_SECONDS) + 60)
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + timedelta(seconds=2))
    return bool(
        WebhookDelivery.objects.filter(
            due,
            pk=delivery_id,
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING],
        ).update(next_attempt_at=lease)
    )


def body_of(delivery: WebhookDelivery) -> bytes:
    """The bytes POSTed (and signed): the payload as compact JSON, keys in a fixed order."""
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()


def headers_of(delivery: WebhookDelivery, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "crisi-portal-webhooks/1",
        "X-Crisi-Event": delivery.event,
        "X-Crisi-Event-Id": str(delivery.event_id),
        "X-Crisi-Delivery": str(delivery.pk),
        "X-Crisi-Timestamp": str(timestamp),
        "X-Crisi-Signature": sign(delivery.endpoint.secret, body, timestamp),
    }


def _post(url: str, body: bytes, headers: dict[str, str], address: str) -> tuple[int, str]:
    """POST to ``address`` (the checked one; the URL's host name still names the server to
    TLS — SNI and certificate — and in the Host header), without following redirects, with a
    short timeout per read and WEBHOOK_TIMEOUT_SECONDS × 3 in all; read at most the excerpt.
    No proxy from the environment, no .netrc credentials: straight to the checked address."""
    import urllib3  # noqa: PLC0415 - only workers deliver; the web process need not load it

    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    timeout = float(settings.WEBHOOK_TIMEOUT_SECONDS)
    options: dict[str, Any] = {"server_hostname": host, "assert_hostname": host} if https else {}
    pool_class = urllib3.HTTPSConnectionPool if https else urllib3.HTTPConnectionPool
    pool = pool_class(
        address,
        port=port,
        timeout=urllib3.Timeout(connect=timeout, read=timeout),
        retries=False,
        maxsize=1,
        **options,
    )
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    deadline = time.monotonic() + 3 * timeout
    try:
        response = pool.urlopen(
            "POST",
            target,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            preload_content=False,
        )
        try:
            raw = b""
            while len(raw) < WebhookDelivery.RESPONSE_EXCERPT:
                if time.monotonic() > deadline:
                    break  # a receiver that trickles its answer gets no more of our time
                chunk = response.read(WebhookDelivery.RESPONSE_EXCERPT - len(raw))
                if not chunk:
                    break
                raw += chunk
        finally:
            response.release_conn()
            response.close()
    finally:
        pool.close()
    excerpt = raw[: WebhookDelivery.RESPONSE_EXCERPT].decode("utf-8", "replace")
    return response.status, excerpt[: WebhookDelivery.RESPONSE_EXCERPT]


def _failure_kind(exc: Exception) -> str:
    """A failure to reach the receiver, said without its details."""
    import urllib3  # noqa: PLC0415

    errors = urllib3.exceptions
    # NewConnectionError is a ConnectTimeoutError to urllib3: asked first.
    if isinstance(exc, errors.NewConnectionError | ConnectionRefusedError):
        return "connection failed"
    if isinstance(exc, errors.TimeoutError | TimeoutError):
        return "timeout"
    if isinstance(exc, errors.SSLError):
        return "TLS error"
    if isinstance(exc, errors.ProtocolError):
        return "connection broken"
    if isinstance(exc, OSError):
        return "connection failed"
    return "delivery failed"


def attempt(delivery_id: int) -> Attempt | None:
    """One attempt at a delivery (the task's body): POST it signed, record the answer, and
    say whether to retry. None: not due, or already finished (nothing done)."""
    if not _claim(delivery_id):
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint__owner").get(pk=delivery_id)
    endpoint = delivery.endpoint
    delivery.attempts += 1
    status_code: int | None = None
    excerpt = ""
    error = ""
    active = endpoint.active and endpoint.owner.is_active
    if not active:
        error = "endpoint inactive"
    else:
        body = body_of(delivery)
        try:
            addresses = url_check(endpoint.url, pin=True)
            status_code, excerpt = _post(
                endpoint.url, body, headers_of(delivery, body, int(time.time())), addresses[0]
            )
        except ValidationError as exc:
            error = "; ".join(exc.messages)
        except Exception as exc:  # noqa: BLE001 - every failure of the receiver is a retry
            # The kind of failure only: the exception's text (addresses, ports, what the
            # network said) would make the delivery log a port scanner's report.
            error = _failure_kind(exc)
    delivery.last_response_status = status_code
    delivery.last_response_body = excerpt
    delivery.last_error = error[:300]
    retry_in = None
    if status_code is not None and 200 <= status_code < 300:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
    elif delivery.attempts >= int(settings.WEBHOOK_MAX_ATTEMPTS) or not active:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.status = DeliveryStatus.RETRYING
        retry_in = backoff_seconds(delivery.attempts)
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=retry_in)
    delivery.save()
    logger.info(
        "webhook delivery %s (%s) attempt %s: %s",
        delivery.pk,
        delivery.event,
        delivery.attempts,
        status_code or error[:80],
    )
    return Attempt(delivery.status, retry_in)


def due(now: datetime | None = None) -> list[int]:
    """Deliveries waiting for an attempt whose time has passed by more than a minute: the
    messages of a worker that was lost (the sweep sends them again; the claim stops
    duplicates)."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING],
            next_attempt_at__lte=now - timedelta(minutes=1),
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )
