"""§7: every API error is an RFC 9457 problem document (type, title, status, detail, instance)."""

import pytest
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from crisi_portal.errors import ConflictError, DomainError
from crisi_portal.problems import flatten_errors
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory

pytestmark = pytest.mark.django_db

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def assert_problem(response, status: int, title: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json() if hasattr(response, "json") else response.data
    assert PROBLEM_KEYS <= set(body)
    assert body["status"] == status
    assert body["title"] == title
    assert body["type"].startswith("about:blank")
    assert body["detail"]
    return body


class RefusingView(APIView):
    """A view whose domain rule refuses: the way services report conflicts."""

    error: Exception | None = None

    def post(self, request):
        raise self.error


def call(error: Exception, user):
    request = APIRequestFactory().post("/api/v1/things/7/move/", {}, format="json")
    force_authenticate(request, user=user)
    response = RefusingView.as_view(error=error)(request)
    return response.render()


def test_not_found(staff_bg, api_client_for):
    response = api_client_for(staff_bg).get("/api/v1/procedures/999999/")
    body = assert_problem(response, 404, "Not Found")
    assert body["instance"] == "/api/v1/procedures/999999/"
    assert body["type"] == "about:blank#not_found"


def test_not_found_outside_any_view(staff_bg, api_client_for):
    response = api_client_for(staff_bg).get("/api/v1/nowhere/")
    body = assert_problem(response, 404, "Not Found")
    assert body["instance"] == "/api/v1/nowhere/"


def test_forbidden(staff_bg, api_client_for):
    procedure = CrisisProcedureFactory(lead="MI")
    ProductionUnitFactory(procedure=procedure, in_province="BG")
    response = api_client_for(staff_bg).patch(f"/api/v1/procedures/{procedure.pk}/", {"notes": "x"})
    body = assert_problem(response, 403, "Forbidden")
    assert body["instance"] == f"/api/v1/procedures/{procedure.pk}/"


def test_validation_error_lists_each_field(staff_bg, api_client_for):
    response = api_client_for(staff_bg).post(
        "/api/v1/procedures/",
        {"company": {"name": "X", "tax_code": "123"}, "family": "x", "lead_province": "BG"},
    )
    body = assert_problem(response, 422, "Unprocessable Content")
    assert body["type"] == "about:blank#validation_error"
    fields = {error["field"] for error in body["errors"]}
    assert {"company.tax_code", "family", "opened_on", "start_date"} <= fields
    assert all(error["message"] for error in body["errors"])


def test_a_domain_rule_is_a_422(staff_bg):
    response = call(DomainError("Too late to change.", field="end_date"), staff_bg)
    body = assert_problem(response, 422, "Unprocessable Content")
    assert body["type"] == "about:blank#rule_violated"
    assert body["errors"] == [{"field": "end_date", "message": "Too late to change."}]


def test_a_conflict_is_a_409(staff_bg):
    response = call(ConflictError("Someone else moved this worker first."), staff_bg)
    body = assert_problem(response, 409, "Conflict")
    assert body["type"] == "about:blank#conflict"
    assert body["detail"] == "Someone else moved this worker first."
    assert body["instance"] == "/api/v1/things/7/move/"


def test_nested_list_errors_name_the_item():
    detail = {"units": {1: {"province": ["Unknown."]}}, "non_field_errors": ["Bad."]}
    assert flatten_errors(detail) == [
        {"field": "units[1].province", "message": "Unknown."},
        {"field": None, "message": "Bad."},
    ]
