"""Issue #10 item 1: the published schema is complete and exact (crisi_portal/schema.py).

The schema is read as the server publishes it (``/api/v1/schema/``) and walked: every
operation lists the statuses the stack can answer, as problems of one ``Problem`` component;
real problem bodies, as the server answers them, validate against that component; parameters
carry their bounds; the generator neither warns nor emits an invalid document.
"""

import copy
import json
import re

import jsonschema
import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import RequestFactory
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.test import APIClient

from crisi_portal.faults import database_unavailable_response
from crisi_portal.filtersets import MAX_ID
from crisi_portal.problems import PROBLEM_MEDIA_TYPE
from tests.cases.factories import CrisisProcedureFactory
from tests.workers.factories import InvolvementFactory

METHODS = ("get", "put", "post", "patch", "delete")
PROBLEM_REF = "#/components/schemas/Problem"
SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = APIClient().get(
            "/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
        )
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method.upper(), item[method]


def json_schema(node, components: dict):
    """An OpenAPI 3.0 schema as JSON Schema: references inlined, ``nullable`` as null."""
    if isinstance(node, list):
        return [json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return json_schema(components[node["$ref"].rsplit("/", 1)[1]], components)
    node = {key: json_schema(value, components) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def assert_matches(body, component: str, schema: dict) -> None:
    components = schema["components"]["schemas"]
    jsonschema.validate(
        body,
        json_schema(copy.deepcopy(components[component]), components),
        format_checker=jsonschema.FormatChecker(),
    )


# --- the generator ------------------------------------------------------------------------------


def test_the_schema_generates_without_warnings_and_validates(tmp_path):
    GENERATOR_STATS.reset()  # warnings of earlier generations in this process are not ours
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3.0")


def test_info_has_contact_summary_and_a_semver_version(schema, settings):
    info = schema["info"]
    assert SEMVER.match(info["version"]) and info["version"] == settings.API_VERSION
    assert info["contact"] == {
        "name": settings.API_SUPPORT_NAME,
        "email": settings.API_SUPPORT_EMAIL,
        "url": settings.API_SUPPORT_URL,
    }
    assert info["x-summary"] and len(info["x-summary"]) <= 200


def test_paths_are_lowercase_kebab_case(schema):
    for path in schema["paths"]:
        literal = [part for part in path.strip("/").split("/") if not part.startswith("{")]
        assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", part) for part in literal), path


# --- statuses ----------------------------------------------------------------------------------


def test_every_operation_documents_the_problems_it_can_answer(schema):
    count = 0
    for path, method, operation in operations(schema):
        count += 1
        responses = operation["responses"]
        parameters = operation.get("parameters", [])
        expected = {"401", "403", "429", "503"}
        if any(p["in"] == "path" for p in parameters):
            expected.add("404")
        if any(p["in"] == "query" for p in parameters) or "requestBody" in operation:
            expected.add("400")
        if method != "GET":
            expected |= {"400", "413", "415", "422"}
        if method == "DELETE":
            expected.add("409")
        if_match = [p for p in parameters if p["name"] == "If-Match" and p["in"] == "header"]
        if if_match:
            expected.add("412")
        if if_match and if_match[0].get("required"):
            expected.add("428")
        where = f"{method} {path}"
        assert expected <= set(responses), (where, sorted(expected - set(responses)))
        for status, response in responses.items():
            headers = response.get("headers", {})
            if int(status) >= 400:
                assert response["content"] == {
                    PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}
                }, (where, status)
            if status in ("429", "503"):
                assert "Retry-After" in headers, (where, status)
            if status != "503":
                assert {"X-RateLimit-Limit", "X-RateLimit-Remaining"} <= set(headers)
    assert count >= 74


def test_every_detail_operation_answers_404(schema):
    details = [(p, m, o) for p, m, o in operations(schema) if "{id}" in p]
    assert len(details) >= 30
    for path, method, operation in details:
        assert "404" in operation["responses"], (method, path)


def test_object_reads_and_writes_document_the_etag(schema):
    item = schema["paths"]["/api/v1/procedures/{id}/"]
    assert "ETag" in item["get"]["responses"]["200"]["headers"]
    assert "304" in item["get"]["responses"]
    assert {"412"} <= set(item["patch"]["responses"]) and "428" not in item["patch"]["responses"]
    move = schema["paths"]["/api/v1/involvements/{id}/move/"]["post"]
    assert {"409", "412", "428"} <= set(move["responses"])


# --- bodies and parameters ---------------------------------------------------------------------


def test_every_body_has_one_content_type_json_unless_it_carries_a_file(schema):
    components = schema["components"]["schemas"]
    for path, method, operation in operations(schema):
        if "requestBody" not in operation:
            continue
        content = operation["requestBody"]["content"]
        assert len(content) == 1, (method, path, list(content))
        (media_type,) = content
        body = components[content[media_type]["schema"]["$ref"].rsplit("/", 1)[1]]
        binary = [
            name
            for name, field in body.get("properties", {}).items()
            if field.get("format") == "binary"
        ]
        expected = "multipart/form-data" if binary else "application/json"
        assert media_type == expected, (method, path)


def test_parameters_carry_their_real_bounds(schema):
    seen = set()
    for path, method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            name, bounds = parameter["name"], parameter["schema"]
            seen.add(name)
            if parameter["in"] == "path":
                assert bounds == {
                    "type": "integer",
                    "format": "int64",
                    "minimum": 1,
                    "maximum": MAX_ID,
                }, (method, path)
            elif name == "limit":
                assert bounds["minimum"] == 1 and "500" in parameter["description"]
            elif name == "offset":
                assert bounds == {"type": "integer", "minimum": 0}
            elif name in ("updated_since", "since"):
                assert bounds["format"] == "date-time", (method, path)
            elif name in ("procedure", "unit", "cohort", "company", "dote", "involvement"):
                assert bounds["minimum"] == 1 and bounds["maximum"] == MAX_ID, (path, name)
            elif name == "year":
                assert bounds["minimum"] >= 1 and bounds["maximum"] <= 9999, path
    assert {"limit", "offset", "cursor", "paging", "updated_since", "since"} <= seen


def test_ids_in_bodies_are_bounded_like_ids_in_paths(schema):
    components = schema["components"]["schemas"]
    assert components["CohortRequest"]["properties"]["procedure"]["minimum"] == 1
    assert components["MeetingRequest"]["properties"]["procedures"]["items"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_ID,
    }


def test_a_blank_email_is_allowed_where_the_field_may_be_blank(schema, api_client_for, staff_bg):
    involvement = InvolvementFactory(unit__in_province="BG", worker__email="")
    worker = api_client_for(staff_bg).get(f"/api/v1/workers/{involvement.worker_id}/")

    assert worker.status_code == 200 and worker.json()["email"] == ""
    assert_matches(worker.json(), "Worker", schema)


# --- real problems against the Problem component -----------------------------------------------


def test_the_server_accepts_any_iso_8601_offset_and_refuses_an_empty_date_time(
    api_client_for, staff_bg
):
    CrisisProcedureFactory(lead="BG")
    api = api_client_for(staff_bg)
    for value in ("2025-03-01T10:00:00+05:30", "2025-03-01T10:00:00Z", "2025-03-01T10:00:00-03"):
        assert api.get("/api/v1/procedures/", {"updated_since": value}).status_code == 200
    assert api.get("/api/v1/procedures/", {"updated_since": ""}).status_code == 400
    assert api.get("/api/v1/procedures/changes/", {"since": ""}).status_code == 400


@pytest.fixture
def throttled(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1/minute", "user": "1/minute", "import": "1/minute"},
    }


def test_real_problems_match_the_problem_component(schema, api_client_for, staff_bg):
    api = api_client_for(staff_bg)
    answers = {
        401: APIClient().get("/api/v1/procedures/"),
        400: api.get("/api/v1/procedures/", {"updated_since": "x", "year": "0"}),
        404: api.get("/api/v1/procedures/999999/"),
        415: api.post("/api/v1/procedures/", "external_id=X", content_type="text/plain"),
        422: api.post("/api/v1/procedures/", {"external_id": ""}, format="json"),
        503: database_unavailable_response(
            RequestFactory().get("/api/v1/procedures/"), OperationalError("gone")
        ),
    }
    for status, response in answers.items():
        assert response.status_code == status, (status, response.content)
        assert response["Content-Type"].startswith(PROBLEM_MEDIA_TYPE)
        assert_matches(json.loads(response.content), "Problem", schema)
    assert {e["field"] for e in answers[400].json()["errors"]} == {"updated_since", "year"}
    assert answers[422].json()["errors"]
    assert answers[503]["Retry-After"]


def test_a_form_encoded_write_is_a_415_problem(api_client_for, staff_bg):
    response = api_client_for(staff_bg).post(
        "/api/v1/procedures/", "external_id=X", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert response["Content-Type"].startswith(PROBLEM_MEDIA_TYPE)


def test_a_429_matches_the_problem_component(schema, throttled, api_client_for, staff_bg):
    api = api_client_for(staff_bg)
    api.get("/api/v1/procedures/")
    response = api.get("/api/v1/procedures/")

    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert response["X-RateLimit-Remaining"] == "0"
    assert_matches(response.json(), "Problem", schema)


def test_file_import_problems_with_line_and_column_match_the_component(
    schema, api_client_for, staff_bg
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api_client_for(staff_bg).post(
        "/api/v1/procedures/import/",
        {"file": SimpleUploadedFile("p.csv", b"external_id,family\nX,nonsense\n")},
        format="multipart",
    )

    assert response.status_code == 422, response.content
    assert any("line" in error for error in response.json()["errors"])
    assert_matches(response.json(), "Problem", schema)


def test_simple_probes_of_every_operation_get_only_documented_statuses(
    schema, api_client_for, staff_bg
):
    """No credentials, an object that does not exist, an empty or unreadable body, a bad
    query value: whatever each operation answers, its schema lists (a guard between fuzz runs).
    """
    api, anonymous = api_client_for(staff_bg), APIClient()
    undocumented = []
    for path, method, operation in operations(schema):
        url = path.replace("{id}", "999999")
        documented = set(operation["responses"])
        send = getattr(api, method.lower())
        answers = [getattr(anonymous, method.lower())(url), send(url, {"limit": "x"})]
        if method != "GET":
            answers += [
                send(url, {}, format="json"),
                send(url, "not json", content_type="application/json"),
                send(url, "x", content_type="text/plain"),
            ]
        for response in answers:
            if str(response.status_code) not in documented:
                undocumented.append((method, path, response.status_code))
    assert undocumented == []
