"""The API under load (issue #12): the workers list through gunicorn on loopback, 8 clients at
once, side by side with a plain ``values()`` view over the same rows.

gunicorn runs the portal as in production (``gunicorn.conf.py``, workers from the cores,
``DEBUG`` off) with :mod:`crisi_portal.benchmark.settings`, whose URLconf adds the baseline
view to the portal's URLs. Clients authenticate as real API clients do, with API tokens of
two benchmark users (a regional client, and one restricted to a province), issued
for the run and revoked after it (a key cannot be read back, so it cannot be kept between runs).

Cases: ``first`` (the first page), ``offset`` (the deepest offset page the API serves:
``pagination.MAX_OFFSET``, ``api_offset_depth``), ``deep`` (the page 900,000 rows deep by
cursor paging, the way the API walks past that, or the deepest full page when there are fewer
workers: ``api_deep_depth``), ``filtered`` (``step=STEP_2``), ``province`` (the restricted
client's first page) and ``updated_since`` (what changed after the row at that depth). For each:
``api_<case>_p50_ms``, ``_p95_ms``, ``_rps``; ``baseline_<case>_…`` the same for the baseline;
``api_<case>_ratio`` = API p95 / baseline p95.
"""

import datetime
import os
import socket
import statistics
import subprocess  # nosec B404 - runs this project's own gunicorn
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.client import HTTPConnection, HTTPException
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import orjson
from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.pagination import Cursor

from crisi_portal.benchmark.accounts import benchmark_user
from crisi_portal.models import ApiToken, User
from crisi_portal.pagination import COUNT_CAP, MAX_OFFSET, SyncCursorPagination
from crisi_portal.roles import Role
from crisi_portal.services import api_token_issue, api_token_revoke
from workers.models import Involvement, Worker


def dumps(document) -> bytes:
    """The baseline's JSON: orjson, the fastest encoder (the issue names it)."""
    return orjson.dumps(document)


SERIALIZER = "orjson"

CLIENTS = 8
LIMIT = 50
DEPTH = 900_000
REGION_CLIENT = "benchmark.api"
PROVINCE_CLIENT = "benchmark.api.mi"
FILTER_STEP = "STEP_2"
WORKERS_URL = "/api/v1/workers/"
BASELINE_URL = "/benchmark/baseline/workers/"
# The columns of a worker the API sends (its involvements aside).
BASELINE_FIELDS = (
    "id",
    "fiscal_code",
    "last_name",
    "first_name",
    "birth_date",
    "sex",
    "citizenship",
    "education_level",
    "residence_province_id",
    "email",
    "phone",
    "updated_at",
)


# --- The baseline -----------------------------------------------------------------------------


def baseline_workers(request: HttpRequest) -> HttpResponse:
    """The rows of the API's page, as plain as Django reads them: the same conditions, order
    and page (and the capped count, as the API's offset pages), ``values()`` and a JSON dump. No
    authentication: it is reachable only on the benchmark's own loopback gunicorn."""
    params = request.GET
    workers: QuerySet = Worker.objects.all()
    if params.get("province"):
        involvements = Involvement.objects.filter(
            worker=OuterRef("pk"), unit__province=params["province"]
        )
        workers = workers.filter(Exists(involvements))
    if params.get("step"):
        involvements = Involvement.objects.filter(
            worker=OuterRef("pk"), current_step=params["step"]
        )
        workers = workers.filter(Exists(involvements))
    if params.get("updated_since"):
        workers = workers.filter(updated_at__gte=parse_datetime(params["updated_since"]))
    limit = int(params.get("limit", LIMIT))
    document: dict = {}
    if params.get("after"):  # keyset: the page after (updated_at, id)
        at, _sep, pk = params["after"].rpartition(",")
        since = parse_datetime(at)
        workers = workers.filter(Q(updated_at__gt=since) | Q(updated_at=since, pk__gt=int(pk)))
        rows = workers.order_by("updated_at", "pk").values(*BASELINE_FIELDS)[:limit]
    else:
        offset = int(params.get("offset", 0))
        # Counted as the API counts (up to COUNT_CAP rows): the same work, not a full COUNT.
        counted = workers.order_by()[: COUNT_CAP + 1].count()
        if counted <= COUNT_CAP:
            document["count"] = counted
        rows = workers.order_by("last_name", "first_name", "pk").values(*BASELINE_FIELDS)
        rows = rows[offset : offset + limit]
    document["results"] = list(rows)
    return HttpResponse(dumps(document), content_type="application/json")


# --- The clients ------------------------------------------------------------------------------


def api_clients(province: str) -> tuple[User, User]:
    """A regional API client and one restricted to ``province``, made once."""
    return (
        benchmark_user(REGION_CLIENT, Role.API_CLIENT),
        benchmark_user(PROVINCE_CLIENT, Role.API_CLIENT, province),
    )


@contextmanager
def tokens(*users: User) -> Iterator[list[str]]:
    """A workers:read key for each user, revoked when the run ends."""
    issued = []
    keys = []
    expires = timezone.now() + datetime.timedelta(days=1)
    try:
        for user in users:
            token, key = api_token_issue(
                user=user, name="benchmark", expires_at=expires, scopes=["workers:read"]
            )
            issued.append(token.pk)
            keys.append(key)
        yield keys
    finally:
        api_token_revoke(tokens=ApiToken.objects.filter(pk__in=issued))


# --- gunicorn ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The database this process uses (the test database, under pytest), as a URL."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def gunicorn(workers: int | None = None) -> Iterator[int]:
    """The portal under gunicorn on a free loopback port, as in production but for the
    throttle (eight clients would meet the per-user rate in seconds); yields the port."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crisi_portal.benchmark.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "benchmark-only-not-a-secret",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url(),
        "THROTTLE_RATE_USER": "1000000/minute",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
    }
    if workers:
        env["GUNICORN_WORKERS"] = str(workers)
    env.pop("DATABASE_REPLICA_URL", None)
    conf = Path(settings.BASE_DIR) / "gunicorn.conf.py"
    command = [sys.executable, "-m", "gunicorn", "-c", str(conf), "crisi_portal.wsgi:application"]
    # Its logs go to a file: a pipe nobody reads would block gunicorn once full.
    with tempfile.TemporaryFile() as logs:
        process = subprocess.Popen(  # nosec B603 - fixed argv
            command, cwd=settings.BASE_DIR, env=env, stdout=logs, stderr=subprocess.STDOUT
        )
        try:
            wait_until_up(port, process, logs)
            yield port
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:  # pragma: no cover
                process.kill()
                process.wait()


def wait_until_up(port: int, process: subprocess.Popen, logs, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            logs.seek(0)
            raise RuntimeError(f"gunicorn stopped: {logs.read().decode()[-2000:]}")
        conn = HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            if get(conn, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz in time")


def get(conn: HTTPConnection, url: str, key: str | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Token {key}"} if key else {}
    conn.request("GET", url, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


# --- Load -------------------------------------------------------------------------------------


@dataclass
class Load:
    """What ``CLIENTS`` threads measured on one URL."""

    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    def figures(self, prefix: str) -> dict:
        ordered = sorted(self.latencies)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return {
            f"{prefix}_p50_ms": round(statistics.median(ordered), 2),
            f"{prefix}_p95_ms": round(p95, 2),
            f"{prefix}_rps": round(len(ordered) / self.seconds, 1),
        }


def load(port: int, url: str, key: str | None, requests_per_client: int) -> Load:
    """``CLIENTS`` threads, each with its own keep-alive connection, GET ``url`` in a loop
    (one untimed request each first); every answer must be a 200."""
    result = Load()
    lock = threading.Lock()
    ready = threading.Barrier(CLIENTS + 1)

    def client() -> None:
        conn = HTTPConnection("127.0.0.1", port, timeout=120)
        mine = []
        try:
            get(conn, url, key)
            ready.wait()
            for _ in range(requests_per_client):
                started = time.perf_counter()
                status, body = get(conn, url, key)
                mine.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    with lock:
                        result.failures.append(f"{status} {body[:300]!r}")
        except threading.BrokenBarrierError:
            return
        except (OSError, HTTPException) as exc:
            ready.abort()
            with lock:
                result.failures.append(repr(exc))
            return
        finally:
            conn.close()
        with lock:
            result.latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        pass
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    if result.failures or not result.latencies:
        raise RuntimeError(f"GET {url}: {result.failures[:3] or 'no answer'}")
    return result


# --- The cases --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    query: dict
    baseline: dict
    restricted: bool = False  # as the province-restricted client


def cursor_after(worker: Worker) -> str:
    """The portal's own cursor for the page that starts after ``worker`` (cursor order)."""
    pager = SyncCursorPagination(LIMIT)
    pager.base_url = "http://127.0.0.1/"
    link = pager.encode_cursor(Cursor(offset=0, reverse=False, position=str(worker.updated_at)))
    return parse_qs(urlsplit(link).query)["cursor"][0]


def cases(province: str) -> tuple[list[Case], int]:
    """The cases on this data, and the depth of the deep one."""
    total = Worker.objects.count()
    depth = max(0, min(DEPTH, total - LIMIT))
    offset = max(0, min(MAX_OFFSET, total - LIMIT))
    by_update = Worker.objects.order_by("updated_at", "pk").only("pk", "updated_at")
    found = list(by_update[max(depth - 1, 0) : depth]) or list(by_update[:1])
    page = {"limit": LIMIT}
    listed = [
        Case("first", page, page),
        Case("offset", {**page, "offset": offset}, {**page, "offset": offset}),
        Case("filtered", {**page, "step": FILTER_STEP}, {**page, "step": FILTER_STEP}),
        Case("province", page, {**page, "province": province}, restricted=True),
    ]
    if found:
        at = found[0]
        deep = Case(
            "deep",
            {**page, "paging": "cursor", "cursor": cursor_after(at)},
            {**page, "after": f"{at.updated_at.isoformat()},{at.pk}"},
        )
        since = {**page, "updated_since": at.updated_at.isoformat()}
        listed[2:2] = [deep]
        listed.append(Case("updated_since", since, since))
    return listed, depth


def api_figures(figures: dict, runs: int, province: str, *, workers: int | None = None) -> None:
    """Every case against the API and the baseline: ``runs`` × 5 requests per client."""
    region, restricted = api_clients(province)
    listed, depth = cases(province)
    figures["api_deep_depth"] = depth
    figures["api_offset_depth"] = listed[1].query["offset"]
    figures["api_clients"] = CLIENTS
    requests_per_client = max(runs * 5, 3)
    with tokens(region, restricted) as (region_key, restricted_key), gunicorn(workers) as port:
        for case in listed:
            key = restricted_key if case.restricted else region_key
            api = load(port, f"{WORKERS_URL}?{urlencode(case.query)}", key, requests_per_client)
            base = load(
                port, f"{BASELINE_URL}?{urlencode(case.baseline)}", None, requests_per_client
            )
            figures.update(api.figures(f"api_{case.name}"))
            figures.update(base.figures(f"baseline_{case.name}"))
            ratio = api.figures("x")["x_p95_ms"] / max(base.figures("x")["x_p95_ms"], 0.01)
            figures[f"api_{case.name}_ratio"] = round(ratio, 2)
    figures["api_gunicorn_workers"] = workers or gunicorn_workers()


def gunicorn_workers() -> int:
    from importlib.util import module_from_spec, spec_from_file_location

    spec = spec_from_file_location("gunicorn_conf", Path(settings.BASE_DIR) / "gunicorn.conf.py")
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.workers
