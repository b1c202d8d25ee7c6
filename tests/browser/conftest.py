"""Playwright harness: Debian's Chromium against pytest-django's live server.

* The browser is the system ``chromium`` (Playwright's own download is not used). When it is
  missing the browser tests are skipped, unless ``CRISI_REQUIRE_BROWSER=1`` (CI sets it), in
  which case they fail.
* Playwright's sync API keeps an asyncio loop "running" in the test thread for as long as
  Playwright is started, and Django then refuses ORM calls there (SynchronousOnlyOperation).
  So Playwright lives only while this package's tests run (package-scoped fixtures below,
  overriding pytest-playwright's session-scoped ones), and ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set
  for exactly that span: the rest of the suite keeps Django's safety check.
* Every test that drives a page is marked ``browser`` and uses a transactional database with
  serialized rollback: the live server thread sees the rows the test creates, and the provinces
  loaded by the data migration come back after each flush.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
REQUIRE_ENV = "CRISI_REQUIRE_BROWSER"
MISSING_MESSAGE = "Chromium not found (apt-get install chromium); browser tests skipped"
REQUIRED_MESSAGE = (
    f"Chromium not found (apt-get install chromium) and {REQUIRE_ENV}=1: "
    "the browser tests must run here"
)
PASSWORD = "demo-password"
BROWSER_DIR = Path(__file__).resolve().parent


def browser_executable() -> str | None:
    """Path of the system Chromium, or None when it is not installed."""
    return shutil.which("chromium")


def require_browser() -> bool:
    """True when a missing browser must fail the run instead of skipping (CI)."""
    return os.environ.get(REQUIRE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def uses_browser(item: pytest.Item) -> bool:
    return "page" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config, items):
    # Called with the whole session's items: only this package's page-driving tests get marked.
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).parents and uses_browser(item):
            item.add_marker(pytest.mark.browser)
            # Under pytest-xdist (--dist loadgroup) all journeys share one worker: Playwright
            # and Chromium start once there, not once per stretch of browser tests per worker.
            item.add_marker(pytest.mark.xdist_group("browser"))
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))


def pytest_configure(config):
    """On an in-memory SQLite test database the live server serves one request at a time.

    Its threads share the test's one connection (pytest-django passes it over, as Django's
    LiveServerTestCase does): two requests at once, say a page and an htmx call while the
    machine is loaded, begin a transaction inside the other's ("cannot start a transaction
    within a transaction", a 503). Django's single-threaded server closes each connection
    after its answer, so the browser simply queues.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        from django.core.servers.basehttp import WSGIServer
        from django.test.testcases import LiveServerThread

        class OneRequestAtATime(WSGIServer):
            # The server thread itself already uses the shared connection (LiveServerThread.run).
            def __init__(self, *args, connections_override=None, **kwargs):
                super().__init__(*args, **kwargs)

        LiveServerThread.server_class = OneRequestAtATime


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's server, started only once the test database exists.

    Otherwise the server may start first, while ``default`` still names the on-disk database,
    and not share the in-memory SQLite test connection: each request thread then opens its
    own connection, never closed (ResourceWarning, an error under ``filterwarnings=error``).
    """
    return live_server


# --- Playwright lifetime: this package only ------------------------------------------------


@pytest.fixture(scope="package")
def _allow_async_unsafe():
    """ORM calls in the test thread while Playwright's loop is running (see module docstring)."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, headless; skip (or, in CI, fail) when it is not installed."""
    executable = browser_executable()
    if executable is None:
        if require_browser():
            pytest.fail(REQUIRED_MESSAGE, pytrace=False)
        pytest.skip(MISSING_MESSAGE)
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": CHROMIUM_ARGS,
        "headless": browser_type_launch_args.get("headless", True),
    }


@pytest.fixture(scope="package")
def playwright(_allow_async_unsafe, browser_type_launch_args, _pw_api_request_contexts):
    # browser_type_launch_args first: without Chromium, skip before starting Playwright at all.
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Django keeps connections in thread-critical asgiref Locals: with an event loop running
    # they are looked up in a context variable, not the thread-local, so the test thread would
    # get fresh connection objects — not the test database's (no serialized rollback data; on
    # SQLite not the in-memory connection shared with the live server). Keep the same ones.
    originals = {alias: connections[alias] for alias in connections}
    pw = sync_playwright().start()
    for alias, connection in originals.items():
        connections[alias] = connection
    if _pw_api_request_contexts:
        _pw_api_request_contexts.instrument(pw)
    yield pw
    for alias in originals:
        del connections[alias]
    pw.stop()


@pytest.fixture(scope="package")
def browser_type(playwright, browser_name):
    return getattr(playwright, browser_name)


@pytest.fixture(scope="package")
def launch_browser(browser_type_launch_args, browser_type):
    def launch(**kwargs):
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="package")
def browser(launch_browser):
    browser = launch_browser()
    yield browser
    browser.close()


@pytest.fixture(scope="package")
def browser_context_args(playwright):
    # English pages (the templates' own strings) whatever the machine's locale; Italian time.
    return {
        "locale": "en-GB",
        "timezone_id": "Europe/Rome",
        "viewport": {"width": 1280, "height": 900},
    }


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.set_default_navigation_timeout(15_000)
    return page


# --- No personal data in any log line (issue #9) -------------------------------------------


@pytest.fixture(autouse=True)
def no_personal_data_in_logs(request, caplog, monkeypatch):
    """Every browser journey: all log records (DEBUG and up, every logger, the live server's
    access records included) hold no fiscal code and no name of any worker in the database."""
    if not uses_browser(request.node):
        yield
        return
    import logging
    import re

    from django.core.servers.basehttp import WSGIRequestHandler
    from django.test import testcases

    request.getfixturevalue("transactional_db")  # read the workers before the flush
    # The live server is quiet by default; here it writes access records as runserver does.
    monkeypatch.setattr(
        testcases.QuietWSGIRequestHandler, "log_message", WSGIRequestHandler.log_message
    )
    caplog.set_level(logging.DEBUG)
    for name in ("django", "django.request", "django.server"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield
    from workers.models import Worker

    # caplog.records holds only the current phase's (teardown): take the whole test's.
    records = [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
    assert records, "no log record captured: the journey or the capture is broken"
    logs = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in records)
    found = set()
    for code, last, first in Worker.objects.values_list("fiscal_code", "last_name", "first_name"):
        if code.lower() in logs.lower():
            found.add(code)
        for name in (last, first):
            if name and re.search(rf"\b{re.escape(name)}\b", logs):
                found.add(name)
    assert not found, f"personal data in the log records of this journey: {sorted(found)}"


# --- Helpers for the journeys --------------------------------------------------------------


@pytest.fixture
def make_officer(transactional_db):
    """``make_officer("nucleo.bg", "BG")``: a province officer with the demo password."""
    from tests.factories import UserFactory

    def make(username: str, province: str):
        user = UserFactory(username=username, province_staff=True, provinces=[province])
        user.set_password(PASSWORD)
        user.save()
        return user

    return make


@pytest.fixture
def login(page, live_server):
    """``login("nucleo.bg")``: through the login form, as a person would."""

    def do_login(username: str, password: str = PASSWORD):
        page.goto(f"{live_server.url}/")
        page.get_by_role("link", name="Log in").click()
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.locator("form.portal-form").get_by_role("button", name="Log in").click()
        page.get_by_role("button", name="Log out").wait_for()

    return do_login


@pytest.fixture
def screenshot(page, pytestconfig):
    """``screenshot("journey-1")`` → test-results/browser/journey-1.png, for humans."""
    folder = pytestconfig.rootpath / pytestconfig.getoption("--output") / "browser"

    def take(name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, caret="initial")
        return path

    return take
