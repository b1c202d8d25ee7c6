"""§7: the REST API under /api/v1/ — pagination, filters, scoping, writes and problem documents."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from cases.interchange import HEADER
from cases.models import Company, CrisisProcedure, ProductionUnit
from tests.cases.factories import (
    CompanyFactory,
    CrisisProcedureFactory,
    MeetingFactory,
    ProductionUnitFactory,
    partita_iva,
)
from tests.cases.test_interchange import SAMPLE_ROWS, csv_text, row

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
RESOURCES = ["procedures", "units", "companies", "meetings"]
NEW_TAX_CODE = partita_iva(7_654_321)


def in_bg_and_mi():
    """One procedure led by each province, each with a unit and a meeting there."""
    bg = CrisisProcedureFactory(external_id="BG-1", lead="BG", with_unit=True)
    mi = CrisisProcedureFactory(external_id="MI-1", lead="MI", with_unit=True)
    MeetingFactory(convened_by="BG", procedures=[bg])
    MeetingFactory(convened_by="MI", procedures=[mi])
    return bg, mi


def saved_counts() -> tuple[int, int, int]:
    return Company.objects.count(), CrisisProcedure.objects.count(), ProductionUnit.objects.count()


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    return body


def new_procedure(**overrides) -> dict:
    body = {
        "external_id": "BG-API-1",
        "company": {"name": "Meccanica Bergamasca S.r.l.", "tax_code": NEW_TAX_CODE},
        "family": "cigs_ministeriale",
        "opened_on": "2025-05-02",
        "start_date": "2025-05-05",
        "end_date": "2026-05-04",
        "lead_province": "BG",
        "units": [
            {"external_id": "U-1", "comune": "Dalmine", "province": "BG", "workers_involved": 80},
            {"external_id": "U-2", "comune": "Sesto", "province": "MI", "workers_involved": 20},
        ],
    }
    body.update(overrides)
    return body


def ids(response, key="id") -> list:
    return [item[key] for item in response.json()["results"]]


class TestLists:
    @pytest.mark.parametrize("resource", RESOURCES)
    def test_lists_are_paginated_with_limit_and_offset(self, resource, region, api_client_for):
        in_bg_and_mi()
        response = api_client_for(region).get(f"/api/v1/{resource}/", {"limit": 1, "offset": 1})
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"count", "next", "previous", "results"}
        assert body["count"] == 2
        assert len(body["results"]) == 1
        assert body["next"] is None
        assert "offset" not in body["previous"] and "limit=1" in body["previous"]

    @pytest.mark.parametrize("resource", ["procedures", "units"])
    def test_the_external_id_filter_finds_exactly_one(self, resource, region, api_client_for):
        bg, _mi = in_bg_and_mi()
        wanted = bg.external_id if resource == "procedures" else bg.units.get().external_id
        response = api_client_for(region).get(f"/api/v1/{resource}/", {"external_id": wanted})
        assert ids(response, "external_id") == [wanted]

    def test_the_company_tax_code_filter_finds_exactly_one(self, region, api_client_for):
        bg, _mi = in_bg_and_mi()
        response = api_client_for(region).get(
            "/api/v1/companies/", {"tax_code": bg.company.tax_code}
        )
        assert ids(response) == [bg.company_id]

    @pytest.mark.parametrize("resource", RESOURCES)
    def test_updated_since_returns_only_what_changed(self, resource, region, api_client_for):
        bg, mi = in_bg_and_mi()
        rows = {
            "procedures": (bg, mi),
            "units": (bg.units.get(), mi.units.get()),
            "companies": (bg.company, mi.company),
            "meetings": (bg.meetings.get(), mi.meetings.get()),
        }[resource]
        old, recent = rows
        long_ago = timezone.now() - datetime.timedelta(days=30)
        type(old).objects.filter(pk=old.pk).update(updated_at=long_ago)
        since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
        response = api_client_for(region).get(f"/api/v1/{resource}/", {"updated_since": since})
        assert ids(response) == [recent.pk]


class TestScoping:
    @pytest.mark.parametrize("resource", RESOURCES)
    def test_staff_list_only_their_provinces(self, resource, staff_bg, api_client_for):
        bg, _mi = in_bg_and_mi()
        expected = {
            "procedures": [bg.pk],
            "units": [bg.units.get().pk],
            "companies": [bg.company_id],
            "meetings": [bg.meetings.get().pk],
        }[resource]
        response = api_client_for(staff_bg).get(f"/api/v1/{resource}/")
        assert response.json()["count"] == 1
        assert ids(response) == expected

    @pytest.mark.parametrize("resource", RESOURCES)
    def test_an_object_out_of_scope_is_not_found(self, resource, staff_bg, api_client_for):
        _bg, mi = in_bg_and_mi()
        pk = {
            "procedures": mi.pk,
            "units": mi.units.get().pk,
            "companies": mi.company_id,
            "meetings": mi.meetings.get().pk,
        }[resource]
        response = api_client_for(staff_bg).get(f"/api/v1/{resource}/{pk}/")
        body = assert_problem(response, 404)
        assert body["instance"] == f"/api/v1/{resource}/{pk}/"

    def test_a_procedure_led_elsewhere_with_a_unit_here_is_visible(self, staff_bg, api_client_for):
        procedure = CrisisProcedureFactory(lead="MI")
        ProductionUnitFactory(procedure=procedure, in_province="BG")
        response = api_client_for(staff_bg).get(f"/api/v1/procedures/{procedure.pk}/")
        assert response.status_code == 200
        assert response.json()["lead_province"] == "MI"

    def test_but_only_the_lead_province_may_change_it(self, staff_bg, api_client_for):
        procedure = CrisisProcedureFactory(lead="MI")
        ProductionUnitFactory(procedure=procedure, in_province="BG")
        response = api_client_for(staff_bg).patch(
            f"/api/v1/procedures/{procedure.pk}/", {"notes": "Da Bergamo"}
        )
        assert_problem(response, 403)
        procedure.refresh_from_db()
        assert procedure.notes == ""

    def test_the_lead_province_changes_its_procedure(self, staff_mi, api_client_for):
        procedure = CrisisProcedureFactory(lead="MI")
        response = api_client_for(staff_mi).patch(
            f"/api/v1/procedures/{procedure.pk}/", {"notes": "Tavolo il 12"}
        )
        assert response.status_code == 200
        procedure.refresh_from_db()
        assert procedure.notes == "Tavolo il 12"
        assert procedure.history.first().history_user == staff_mi

    @pytest.mark.parametrize("resource", RESOURCES)
    def test_region_officials_read_every_province(self, resource, region, api_client_for):
        in_bg_and_mi()
        response = api_client_for(region).get(f"/api/v1/{resource}/")
        assert response.json()["count"] == 2

    def test_region_officials_cannot_create_procedures(self, region, api_client_for):
        response = api_client_for(region).post("/api/v1/procedures/", new_procedure())
        assert_problem(response, 403)
        assert saved_counts() == (0, 0, 0)

    @pytest.mark.parametrize("resource", RESOURCES)
    def test_operators_cannot_read_procedures(self, resource, operator_user, api_client_for):
        in_bg_and_mi()
        response = api_client_for(operator_user).get(f"/api/v1/{resource}/")
        assert_problem(response, 403)

    def test_an_anonymous_request_is_refused(self):
        response = APIClient().get("/api/v1/procedures/")
        assert response.status_code in (401, 403)
        assert response["Content-Type"].startswith(PROBLEM)
        assert response.json()["status"] == response.status_code

    def test_a_wrong_token_is_refused(self, db):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
        response = client.get("/api/v1/procedures/")
        # 403 rather than 401 while session authentication comes first in the settings.
        assert response.status_code in (401, 403)
        assert response["Content-Type"].startswith(PROBLEM)
        assert response.json()["type"].endswith("authentication_failed")


class TestCreateProcedure:
    def test_staff_create_a_procedure_with_its_company_and_units(self, staff_bg, api_client_for):
        response = api_client_for(staff_bg).post("/api/v1/procedures/", new_procedure())
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["external_id"] == "BG-API-1"
        assert body["company"]["tax_code"] == NEW_TAX_CODE
        assert sorted(u["province"] for u in body["units"]) == ["BG", "MI"]
        assert body["total_workers"] == 100
        procedure = CrisisProcedure.objects.get(external_id="BG-API-1")
        assert procedure.units.count() == 2
        assert procedure.history.first().history_user == staff_bg

    def test_an_existing_company_is_reused(self, staff_bg, api_client_for):
        company = CompanyFactory(tax_code=NEW_TAX_CODE)
        response = api_client_for(staff_bg).post("/api/v1/procedures/", new_procedure())
        assert response.status_code == 201
        assert CrisisProcedure.objects.get().company == company

    def test_staff_cannot_create_a_procedure_led_by_another_province(
        self, staff_bg, api_client_for
    ):
        response = api_client_for(staff_bg).post(
            "/api/v1/procedures/", new_procedure(lead_province="MI")
        )
        assert_problem(response, 403)
        assert saved_counts() == (0, 0, 0)

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"company": {"name": "X", "tax_code": "12345678900"}}, "company.tax_code"),
            ({"lead_province": "XX"}, "lead_province"),
            (
                {"units": [{"comune": "Dalmine", "province": "XX", "workers_involved": 1}]},
                "units[0].province",
            ),
            ({"family": "cassa_integrazione"}, "family"),
            ({"end_date": "2025-05-01"}, "end_date"),
            ({"opened_on": "2999-01-01"}, "opened_on"),
            ({"high_complexity": True, "complexity_note": ""}, "complexity_note"),
        ],
        ids=[
            "bad-tax-code",
            "unknown-province",
            "unknown-unit-province",
            "unknown-family",
            "end-before-start",
            "future-opened-on",
            "complexity-without-note",
        ],
    )
    def test_bad_input_is_a_422_naming_the_field_and_saves_nothing(
        self, overrides, field, staff_bg, api_client_for
    ):
        response = api_client_for(staff_bg).post("/api/v1/procedures/", new_procedure(**overrides))
        body = assert_problem(response, 422)
        assert field in [error["field"] for error in body["errors"]]
        assert saved_counts() == (0, 0, 0)


class TestImportExport:
    def upload(self, text: str, **extra) -> dict:
        return {
            "file": SimpleUploadedFile("procedures.csv", text.encode(), content_type="text/csv"),
            **extra,
        }

    def test_a_clean_file_is_imported(self, staff_bg, api_client_for):
        response = api_client_for(staff_bg).post(
            "/api/v1/procedures/import/", self.upload(csv_text(*SAMPLE_ROWS)), format="multipart"
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["applied"] is True
        assert body["summary"]["procedure"]["create"] == 2
        assert CrisisProcedure.objects.count() == 2

    def test_a_dry_run_previews_without_saving(self, staff_bg, api_client_for):
        response = api_client_for(staff_bg).post(
            "/api/v1/procedures/import/",
            self.upload(csv_text(*SAMPLE_ROWS), dry_run="true"),
            format="multipart",
        )
        assert response.status_code == 200
        assert response.json()["applied"] is False
        assert len(response.json()["changes"]) == 5
        assert not CrisisProcedure.objects.exists()

    def test_a_bad_file_is_a_422_listing_every_bad_line(self, staff_bg, api_client_for):
        text = csv_text(row(unit_province="XX"), SAMPLE_ROWS[2], row(external_id="X", family="x"))
        response = api_client_for(staff_bg).post(
            "/api/v1/procedures/import/", self.upload(text), format="multipart"
        )
        body = assert_problem(response, 422)
        assert [(e["line"], e["column"]) for e in body["errors"]] == [
            (2, "unit_province"),
            (4, "family"),
        ]
        assert not CrisisProcedure.objects.exists()

    def test_region_officials_cannot_import(self, region, api_client_for):
        response = api_client_for(region).post(
            "/api/v1/procedures/import/", self.upload(csv_text(*SAMPLE_ROWS)), format="multipart"
        )
        assert_problem(response, 403)
        assert not CrisisProcedure.objects.exists()

    def test_the_export_is_the_interchange_csv_of_the_visible_procedures(
        self, staff_bg, api_client_for
    ):
        in_bg_and_mi()
        response = api_client_for(staff_bg).get("/api/v1/procedures/export/")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        # The export streams (StreamingHttpResponse): the body is read from streaming_content.
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert lines[0] == ",".join(HEADER)
        assert [line.split(",")[0] for line in lines[1:]] == ["BG-1"]


class TestSchemaAndErrors:
    def test_an_unknown_url_under_the_api_is_a_problem_document(self, staff_bg, api_client_for):
        response = api_client_for(staff_bg).get("/api/v1/no-such-thing/")
        body = assert_problem(response, 404)
        assert body["instance"] == "/api/v1/no-such-thing/"

    def test_the_openapi_schema_lists_the_four_resources(self, client):
        response = client.get("/api/v1/schema/", {"format": "json"})
        assert response.status_code == 200
        paths = response.json()["paths"]
        for resource in RESOURCES:
            assert f"/api/v1/{resource}/" in paths
            assert f"/api/v1/{resource}/{{id}}/" in paths
        assert "/api/v1/procedures/import/" in paths

    def test_the_interactive_docs_open_for_a_logged_in_user(self, client, staff_bg):
        client.force_login(staff_bg)
        response = client.get("/api/v1/docs/")
        assert response.status_code == 200
        assert b"swagger" in response.content.lower()
