"""GET /api/v1/dashboard/: the figures of the dashboard page, same filters, problem+json errors."""

import json

import pytest

from monitoring.dashboard import dashboard_data
from tests.factories import UserFactory
from tests.monitoring.builders import procedure, unit, worker
from workers.enums import Step

pytestmark = pytest.mark.django_db

URL = "/api/v1/dashboard/"
PROBLEM = "application/problem+json"


@pytest.fixture
def figures():
    """BG: 40 workers involved, two taken in charge (one at STEP_4); MI: 100, one at STEP_3."""
    bg = unit(procedure(), workers=40)
    worker(bg, Step.STEP_4)
    worker(bg, Step.STEP_2)
    worker(unit(procedure(lead="MI"), workers=100), Step.STEP_3)


def as_json(data: dict) -> dict:
    return json.loads(json.dumps(data))


@pytest.mark.parametrize(
    "params",
    [{}, {"year": "2025"}, {"family": "cigs_ministeriale"}, {"province": "MI", "year": "2025"}],
)
def test_the_api_answers_the_selectors_dict(api_client_for, region, figures, params):
    response = api_client_for(region).get(URL, params)

    assert response.status_code == 200
    filters = {
        "year": int(params["year"]) if "year" in params else None,
        "province": params.get("province"),
        "family": params.get("family"),
    }
    assert response.json() == as_json(dashboard_data(region, **filters))


def test_province_staff_get_their_province_only(api_client_for, staff_bg, figures):
    body = api_client_for(staff_bg).get(URL).json()

    assert body["provinces"] == ["BG"]
    assert body["kpis"]["workers_involved"] == 40
    assert body["kpis"]["involvements"] == 2
    assert body["kpis"]["activation_rate"] == 50.0


def test_another_province_gives_empty_figures_not_an_error(api_client_for, staff_bg, figures):
    response = api_client_for(staff_bg).get(URL, {"province": "MI"})

    assert response.status_code == 200
    assert response.json()["kpis"]["workers_involved"] == 0


def test_a_province_restricted_api_client_is_scoped_like_the_province(api_client_for, figures):
    client_bg = UserFactory(username="api_bg", api_client=True, provinces=["BG"])

    body = api_client_for(client_bg).get(URL).json()

    assert body["kpis"]["workers_involved"] == 40


def test_an_unrestricted_api_client_reads_the_region(api_client_for, api_client, figures):
    assert api_client_for(api_client).get(URL).json()["kpis"]["workers_involved"] == 140


def test_operators_are_refused(api_client_for, operator_user):
    response = api_client_for(operator_user).get(URL)

    assert response.status_code == 403
    assert response["Content-Type"].startswith(PROBLEM)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"year": "next"}, "year"),
        ({"year": "1999"}, "year"),
        ({"province": "XX"}, "province"),
        ({"family": "cassa"}, "family"),
    ],
)
def test_a_bad_parameter_is_400_naming_it(api_client_for, region, params, field):
    response = api_client_for(region).get(URL, params)

    assert response.status_code == 400
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == 400
    assert [error["field"] for error in body["errors"]] == [field]
    assert field in body["detail"]


def test_the_endpoint_is_in_the_api_root_and_the_schema(api_client_for, region, client):
    root = api_client_for(region).get("/api/v1/").json()
    assert root["dashboard"].endswith(URL)

    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"][URL]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"year", "province", "family"}
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/Dashboard"}  # one object, not a list
    assert "400" in operation["responses"]
