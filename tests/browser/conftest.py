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
* Every page a journey opens is watched (issue #13, items 10 and 15; ``page`` below): a console
  error or an uncaught exception anywhere in the test fails it, and axe-core (npm, pinned in
  package-lock.json, ``npm ci --ignore-scripts``) must find no WCAG 2.1 A/AA violation on the
  page's last state, on the login form, on every ``screenshot(...)`` state and wherever a test
  calls ``assert_accessible(page)``. A missing axe-core skips the browser tests like a missing
  Chromium (fails them with ``CRISI_REQUIRE_BROWSER=1``).
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, Response

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
AXE_PATH = BROWSER_DIR.parents[1] / "node_modules" / "axe-core" / "axe.min.js"
AXE_MISSING_MESSAGE = (
    f"axe-core not found at {AXE_PATH} (npm ci --ignore-scripts); browser tests skipped"
)
AXE_REQUIRED_MESSAGE = (
    f"axe-core not found at {AXE_PATH} (npm ci --ignore-scripts) and {REQUIRE_ENV}=1: "
    "the accessibility checks must run here"
)
# WCAG 2.0 and 2.1, levels A and AA (axe-core's rule tags).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


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


# --- Console, page errors and accessibility on every page (issue #13, items 10 and 15) -----


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the item: the page's teardown checks only a passed test."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def axe_script_path() -> Path:
    """axe-core's built script; skip (or, in CI, fail) when ``npm ci`` has not been run."""
    if not AXE_PATH.is_file():
        if require_browser():
            pytest.fail(AXE_REQUIRED_MESSAGE, pytrace=False)
        pytest.skip(AXE_MISSING_MESSAGE)
    return AXE_PATH


def axe_violations(page: Page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now (each with its nodes)."""
    return page.evaluate(
        """async (tags) => {
            // Colours are read as painted: let finite transitions end (a menu fading in).
            await Promise.all(document.getAnimations()
                .filter((a) => a.effect && a.effect.getComputedTiming().endTime !== Infinity)
                .map((a) => a.finished.catch(() => null)));
            const result = await window.axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
            });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => ({
                    target: n.target.join(" "), summary: n.failureSummary,
                })),
            }));
        }""",
        AXE_TAGS,
    )


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe-core: {len(violations)} WCAG 2.1 AA violation(s) on {url}"]
    for violation in violations:
        nodes = violation["nodes"]
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in nodes[:5]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    {node['target']}: {summary[:300]}")
        if len(nodes) > 5:
            lines.append(f"    … and {len(nodes) - 5} more")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """No axe-core violation at WCAG 2.1 A/AA on the page as it is now.

    axe-core is injected into every document of the ``page`` fixture (an init script, outside
    the page's CSP); call this on the states a journey cares about (a form with its errors, an
    open panel, a list after an htmx swap). Pages whose document is not HTML (a PDF) are skipped.
    """
    page.wait_for_load_state("load")
    if not page.evaluate("typeof window.axe === 'object' && !!document.body"):
        return
    violations = axe_violations(page)
    assert not violations, format_violations(page.url, violations)


# A page (top-level document) may deliberately answer with these: 404 for what is out of scope
# or does not exist, 422 for a form refused (no JavaScript needed to read its errors). Chromium
# logs such a page's status as a console error, "Failed to load resource"; the person sees the
# page as designed. Any other 4xx/5xx page, and any failed script request, image, stylesheet or
# htmx call (an htmx refusal answers 200 + X-Refused, crisi_portal/htmx.py), is an error.
DOCUMENT_STATUSES_BY_DESIGN = {404, 422}
FAILED_RESOURCE = re.compile(
    r"^Failed to load resource: the server responded with a status of (\d+)"
)


class PageProblems:
    """What the browser reported while a test ran: console errors and uncaught exceptions."""

    def __init__(self) -> None:
        self.console: list[tuple[str, str]] = []
        self.exceptions: list[str] = []
        self.documents: set[tuple[str, int]] = set()  # (url, status) of each page loaded

    def watch(self, tab: Page, axe_script: Path) -> Page:
        tab.add_init_script(path=str(axe_script))
        tab.on("console", self.on_console)
        tab.on("pageerror", self.on_page_error)
        tab.on("response", self.on_response)
        return tab

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console.append((message.text, (message.location or {}).get("url", "")))

    def on_page_error(self, error) -> None:
        self.exceptions.append(str(error))

    def on_response(self, response: Response) -> None:
        if response.request.resource_type == "document":
            self.documents.add((response.url, response.status))

    def by_design(self, text: str, url: str) -> bool:
        failed = FAILED_RESOURCE.match(text)
        if failed is None or int(failed.group(1)) not in DOCUMENT_STATUSES_BY_DESIGN:
            return False
        return (url, int(failed.group(1))) in self.documents

    def report(self) -> str:
        lines = [
            f"console error: {text} ({url})"
            for text, url in self.console
            if not self.by_design(text, url)
        ]
        lines += [f"uncaught exception: {text}" for text in self.exceptions]
        return "\n".join(lines)


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(request, context, axe_script_path, page_problems):
    """A new tab for the test, watched: see the module docstring.

    At teardown (when the test itself passed) the test fails on any console error or uncaught
    exception seen on any page it opened, then on any axe-core violation of the page's last
    state. A journey that expects neither needs nothing more; ``assert_accessible(page)`` checks
    an intermediate state.
    """
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.set_default_navigation_timeout(15_000)
    page_problems.watch(page, axe_script_path)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is None or not report.passed or page.is_closed():
        return
    problems = page_problems.report()
    assert not problems, f"the browser reported errors during this test:\n{problems}"
    assert_accessible(page)


@pytest.fixture
def watch(page, page_problems, axe_script_path):
    """``tab = watch(context.new_page())``: a tab of the test's own context (another viewport,
    another user) watched like ``page``: its console errors fail the test at ``page``'s teardown,
    and ``assert_accessible(tab)`` works on it."""

    def do_watch(tab: Page) -> Page:
        return page_problems.watch(tab, axe_script_path)

    return do_watch


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
        assert_accessible(page)
        page.locator("form.portal-form").get_by_role("button", name="Log in").click()
        page.get_by_role("button", name="Log out").wait_for()

    return do_login


@pytest.fixture
def screenshot(page, pytestconfig):
    """``screenshot("journey-1")`` → test-results/browser/journey-1.png, for humans.

    Each state worth a screenshot is worth an accessibility check: axe-core runs first.
    """
    folder = pytestconfig.rootpath / pytestconfig.getoption("--output") / "browser"

    def take(name: str) -> Path:
        assert_accessible(page)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, caret="initial")
        return path

    return take
