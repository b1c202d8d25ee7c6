"""Issue #10, must-work 6: the API guide (docs/api.md) tells the truth.

Every ``curl`` example of the guide is read out of the Markdown: its route must exist and take
its method, and each one is then run, in order, against the real API (a province-restricted
API client with a real key) and must answer the status the guide writes under it
(``# → NNN``). The guide is also served as a page, and linked from the interactive docs.
"""

import datetime
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import resolve
from rest_framework.test import APIClient

from cases.models import CrisisProcedure
from crisi_portal.models import ALL_SCOPES, ApiToken
from crisi_portal.views import render_guide
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.factories import UserFactory
from tests.workers.factories import InvolvementFactory, WorkerFactory

GUIDE = Path(settings.BASE_DIR) / "docs" / "api.md"
SH_BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)
EXPECTED = re.compile(r"^# → (\d{3})$")


@dataclass
class Example:
    command: str
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    expected: int | None = None


def parse_curl(command: str) -> Example:
    args = shlex.split(command)
    assert args[0] == "curl", command
    method, url, headers, body = None, None, {}, None
    words = iter(args[1:])
    for word in words:
        if word == "-X":
            method = next(words)
        elif word == "-H":
            name, _, value = next(words).partition(":")
            headers[name.strip()] = value.strip()
        elif word in ("-d", "--data", "--data-raw"):
            body = next(words)
        elif word in ("-i", "-s", "-sS"):
            continue
        elif word.startswith("-"):
            raise AssertionError(f"an option the guide's parser does not know: {word}")
        else:
            url = word
    assert url and url.startswith("$BASE/"), command
    parts = urlsplit(url.removeprefix("$BASE"))
    return Example(
        command=command,
        method=method or ("POST" if body is not None else "GET"),
        path=parts.path,
        query=parse_qsl(parts.query, keep_blank_values=True),
        headers=headers,
        body=body,
    )


def curl_examples() -> list[Example]:
    examples = []
    for block in SH_BLOCK.findall(GUIDE.read_text(encoding="utf-8")):
        lines = block.replace("\\\n", " ").splitlines()
        for number, line in enumerate(lines):
            if not line.startswith("curl "):
                continue
            example = parse_curl(line)
            following = lines[number + 1] if number + 1 < len(lines) else ""
            if match := EXPECTED.match(following.strip()):
                example.expected = int(match[1])
            examples.append(example)
    return examples


EXAMPLES = curl_examples()


def test_the_guide_has_curl_examples_for_each_topic():
    paths = {(example.method, example.path) for example in EXAMPLES}
    assert len(EXAMPLES) >= 15
    for expected in [
        ("GET", "/api/v1/status"),
        ("GET", "/api/v1/procedures/changes/"),
        ("POST", "/api/v1/procedures/upsert/"),
        ("POST", "/api/v1/procedures/bulk/"),
        ("PATCH", "/api/v1/procedures/42/"),
        ("POST", "/api/v1/workers/search/"),
    ]:
        assert expected in paths
    assert {name for example in EXAMPLES for name, _value in example.query} >= {
        "limit",
        "offset",
        "paging",
        "updated_since",
        "since",
    }
    assert any("If-Match" in example.headers for example in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"{e.method} {e.path}")
def test_every_example_names_a_route_that_takes_its_method_and_says_its_answer(example):
    match = resolve(example.path)  # Resolver404 if the route does not exist
    # An id, not a misspelt action that the router's detail route would take for one.
    assert all(value.isdigit() for value in match.kwargs.values()), example.command
    view = match.func
    actions = getattr(view, "actions", None)
    if actions is not None:  # a DRF viewset route: the methods it maps
        allowed = set(actions)
    else:
        view_class = getattr(view, "view_class", None) or view.cls
        allowed = {name for name in view_class.http_method_names if hasattr(view_class, name)}
    assert example.method.lower() in allowed, example.command
    assert example.expected is not None, f"no '# → status' under: {example.command}"


# --- running the examples ----------------------------------------------------------------------


@pytest.fixture
def scene(db):
    """What the examples talk about, in Bergamo, for a client restricted to Bergamo."""
    client_user = UserFactory(username="siul", api_client=True, provinces=["BG"])
    unit = ProductionUnitFactory(procedure=CrisisProcedureFactory(lead="BG"), in_province="BG")
    rossi = InvolvementFactory(
        unit=unit, worker=WorkerFactory(n=0), taken_on=datetime.date(2026, 1, 15)
    )
    elsewhere = ProductionUnitFactory(procedure=CrisisProcedureFactory(lead="MI"), in_province="MI")
    InvolvementFactory(unit=elsewhere, worker=WorkerFactory(n=8))  # another Rossi, in Milan
    return {"user": client_user, "involvement": rossi}


def client_with_key(user) -> tuple[APIClient, str]:
    from django.utils import timezone

    from crisi_portal.services import api_token_issue

    _token, key = api_token_issue(
        user=user,
        name="SIUL sync",
        expires_at=timezone.now() + datetime.timedelta(days=90),
        scopes=ALL_SCOPES,
    )
    return APIClient(), key


def concrete(example: Example, scene) -> str:
    """The example's path with the ids of this database (42: the procedure the upsert made)."""
    path = example.path
    if "/procedures/42/" in path:
        procedure = CrisisProcedure.objects.get(external_id="BG-2026-0042")
        path = path.replace("/procedures/42/", f"/procedures/{procedure.pk}/")
    return path.replace("/involvements/7/", f"/involvements/{scene['involvement'].pk}/")


def run(example: Example, scene, client: APIClient, key: str):
    path = concrete(example, scene)
    headers = {}
    for name, value in example.headers.items():
        value = value.replace("$TOKEN", key)
        if name == "If-Match" and "…" in value:
            # The guide abbreviates the tag: send the one a GET gives now, as a client would.
            read_path = path.removesuffix("move/")
            value = client.get(read_path, HTTP_AUTHORIZATION=f"Token {key}")["ETag"]
        headers[name] = value
    query = "&".join(f"{name}={value}" for name, value in example.query)
    url = f"{path}?{query}" if query else path
    return client.generic(
        example.method,
        url,
        data=example.body or "",
        content_type=headers.pop("Content-Type", "application/octet-stream"),
        headers=headers,
    )


@pytest.mark.django_db
def test_every_curl_example_answers_what_the_guide_says(scene):
    client, key = client_with_key(scene["user"])
    answers = []
    for example in EXAMPLES:
        response = run(example, scene, client, key)
        answers.append((example.method, example.path, response.status_code))
        assert response.status_code == example.expected, (example.command, response.content)
        if response.status_code >= 400:
            assert response["Content-Type"] == "application/problem+json"
        assert response.has_header("X-RateLimit-Remaining") or example.path == "/api/v1/status"
    # What the examples did is what the guide says they do.
    procedure = CrisisProcedure.objects.get(external_id="BG-2026-0042")
    assert procedure.notes == "Agreement signed on 2 March."
    assert not CrisisProcedure.objects.filter(external_id="BG-2026-0043").exists()  # all or none
    scene["involvement"].refresh_from_db()
    assert scene["involvement"].current_step == "STEP_2"


@pytest.mark.django_db
def test_the_name_search_example_finds_only_the_worker_of_the_clients_province(scene):
    client, key = client_with_key(scene["user"])
    (example,) = [e for e in EXAMPLES if e.body and e.body.startswith('{"name"')]
    body = run(example, scene, client, key).json()
    assert [worker["id"] for worker in body["results"]] == [scene["involvement"].worker_id]


@pytest.mark.django_db
def test_the_issue_token_example_issues_a_key_with_those_scopes(capsys):
    text = GUIDE.read_text(encoding="utf-8").replace("\\\n", " ")
    (line,) = [line for line in text.splitlines() if "manage.py issue_token" in line]
    args = shlex.split(line.split("manage.py", 1)[1])
    UserFactory(username=args[1], api_client=True)
    call_command(*args)
    token = ApiToken.objects.get(user__username=args[1])
    assert (token.name, sorted(token.scopes)) == (
        "SIUL sync",
        ["procedures:read", "steps:write", "workers:write"],
    )
    assert capsys.readouterr().out.strip().startswith(token.prefix)


# --- the guide as a page ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_guide_is_served_as_a_page_without_logging_in():
    response = Client().get("/api/v1/guide/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>crisi_portal API guide</h1>" in page
    assert "<table>" in page and "<pre><code" in page
    assert 'href="/api/v1/docs/"' in page
    assert "If-Match: &quot;9b1d2e4f…&quot;" in page  # code shown as text, not as markup


def test_raw_html_in_the_markdown_is_escaped_not_rendered():
    html = render_guide('Hi <script>alert(1)</script> <img src=x onerror="a()">\n\n<div>x</div>')
    assert "<script>" not in html and "<img" not in html and "<div>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.django_db
def test_the_interactive_docs_link_the_guide():
    schema = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert "](/api/v1/guide/)" in schema.json()["info"]["description"]
