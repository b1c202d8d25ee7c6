"""Issue #10 item 4: upsert by external_id and bulk upserts, all or nothing."""

import pytest

from cases.models import CrisisProcedure, ProductionUnit
from crisi_portal.bulk import BULK_MAX_ITEMS
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.cases.test_api import NEW_TAX_CODE, assert_problem, new_procedure, saved_counts

pytestmark = pytest.mark.django_db

UPSERT = "/api/v1/procedures/upsert/"
BULK = "/api/v1/procedures/bulk/"


def procedure_item(n: int, **overrides) -> dict:
    return new_procedure(
        external_id=f"BG-BULK-{n}",
        units=[{"external_id": f"U-{n}", "comune": "Dalmine", "province": "BG"}],
        **overrides,
    )


class TestProcedureUpsert:
    def test_an_unknown_external_id_is_created_201(self, staff_bg, api_client_for):
        response = api_client_for(staff_bg).post(UPSERT, new_procedure())
        assert response.status_code == 201, response.content
        assert response["ETag"]
        procedure = CrisisProcedure.objects.get(external_id="BG-API-1")
        assert procedure.units.count() == 2
        assert procedure.history.first().history_user == staff_bg

    def test_the_same_external_id_again_updates_200(self, staff_bg, api_client_for):
        client = api_client_for(staff_bg)
        client.post(UPSERT, new_procedure())
        response = client.post(UPSERT, new_procedure(notes="Aggiornata", status="in_corso"))
        assert response.status_code == 200, response.content
        procedure = CrisisProcedure.objects.get(external_id="BG-API-1")
        assert (procedure.notes, procedure.status) == ("Aggiornata", "in_corso")
        assert saved_counts() == (1, 1, 2)
        assert response["ETag"] == client.get(f"/api/v1/procedures/{procedure.pk}/")["ETag"]

    def test_a_unit_listed_again_is_updated_not_duplicated(self, staff_bg, api_client_for):
        client = api_client_for(staff_bg)
        client.post(UPSERT, new_procedure())
        body = new_procedure()
        body["units"][0]["workers_involved"] = 95
        assert client.post(UPSERT, body).status_code == 200
        unit = ProductionUnit.objects.get(external_id="U-1")
        assert unit.workers_involved == 95
        assert ProductionUnit.objects.count() == 2

    def test_another_provinces_procedure_is_as_if_taken_and_unchanged(
        self, staff_bg, api_client_for
    ):
        theirs = CrisisProcedureFactory(lead="MI", external_id="MI-1", notes="Loro")
        response = api_client_for(staff_bg).post(UPSERT, new_procedure(external_id="MI-1"))
        body = assert_problem(response, 422)
        assert body["errors"][0]["field"] == "external_id"
        assert "MI" not in response.content.decode().replace("MI-1", "")
        theirs.refresh_from_db()
        assert theirs.notes == "Loro"

    def test_a_shared_procedure_led_elsewhere_is_a_403(self, staff_bg, api_client_for):
        shared = CrisisProcedureFactory(lead="MI", external_id="MI-2", notes="Loro")
        ProductionUnitFactory(procedure=shared, in_province="BG")
        response = api_client_for(staff_bg).post(
            UPSERT,
            new_procedure(
                external_id="MI-2",
                lead_province="MI",
                company={"name": shared.company.name, "tax_code": shared.company.tax_code},
                units=[],
                notes="Nostra",
            ),
        )
        assert_problem(response, 403)
        shared.refresh_from_db()
        assert shared.notes == "Loro"

    def test_a_stale_if_match_is_a_412(self, staff_bg, api_client_for):
        client = api_client_for(staff_bg)
        etag = client.post(UPSERT, new_procedure())["ETag"]
        client.post(UPSERT, new_procedure(notes="Primo"))
        response = client.post(UPSERT, new_procedure(notes="Secondo"), HTTP_IF_MATCH=etag)
        assert_problem(response, 412)
        assert CrisisProcedure.objects.get().notes == "Primo"

    def test_the_company_cannot_change(self, staff_bg, api_client_for):
        client = api_client_for(staff_bg)
        client.post(UPSERT, new_procedure())
        other = new_procedure(company={"name": "Altra", "tax_code": "01234560017"})
        assert assert_problem(client.post(UPSERT, other), 422)["errors"][0]["field"] == "company"
        assert CrisisProcedure.objects.get().company.tax_code == NEW_TAX_CODE


class TestProcedureBulk:
    def test_a_clean_batch_creates_and_updates(self, staff_bg, api_client_for):
        client = api_client_for(staff_bg)
        client.post(UPSERT, procedure_item(0))
        response = client.post(BULK, {"items": [procedure_item(0, notes="x"), procedure_item(1)]})
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["created"], body["updated"]) == (1, 1)
        assert [item["index"] for item in body["items"]] == [0, 1]
        assert CrisisProcedure.objects.get(external_id="BG-BULK-0").notes == "x"

    def test_one_bad_item_saves_nothing_and_names_its_index_and_field(
        self, staff_bg, api_client_for
    ):
        items = [procedure_item(0), procedure_item(1, family="nope"), procedure_item(2)]
        items[2]["lead_province"] = "MI"  # not BG's to lead
        response = api_client_for(staff_bg).post(BULK, {"items": items})
        body = assert_problem(response, 422)
        assert {(e["index"], e["field"]) for e in body["errors"]} == {(1, "family"), (2, None)}
        assert saved_counts() == (0, 0, 0)

    def test_more_than_the_maximum_is_refused(self, staff_bg, api_client_for):
        items = [procedure_item(n) for n in range(BULK_MAX_ITEMS + 1)]
        response = api_client_for(staff_bg).post(BULK, {"items": items})
        assert assert_problem(response, 422)["errors"][0]["field"] == "items"
        assert saved_counts() == (0, 0, 0)

    def test_an_empty_batch_is_refused(self, staff_bg, api_client_for):
        response = api_client_for(staff_bg).post(BULK, {"items": []})
        assert assert_problem(response, 422)["errors"][0]["field"] == "items"

    def test_region_officials_cannot_bulk_write(self, region, api_client_for):
        response = api_client_for(region).post(BULK, {"items": [procedure_item(0)]})
        assert_problem(response, 403)


class TestUnitUpsert:
    def test_a_unit_is_created_then_updated_by_external_id(self, staff_bg, api_client_for):
        procedure = CrisisProcedureFactory(lead="BG")
        client = api_client_for(staff_bg)
        body = {
            "procedure": procedure.pk,
            "external_id": "U-9",
            "comune": "Dalmine",
            "province": "BG",
            "workers_involved": 10,
        }
        assert client.post("/api/v1/units/upsert/", body).status_code == 201
        body["workers_involved"] = 12
        response = client.post("/api/v1/units/upsert/", body)
        assert response.status_code == 200, response.content
        assert ProductionUnit.objects.get(external_id="U-9").workers_involved == 12

    def test_a_procedure_out_of_scope_does_not_exist(self, staff_bg, api_client_for):
        procedure = CrisisProcedureFactory(lead="MI")
        body = {
            "procedure": procedure.pk,
            "external_id": "U-9",
            "comune": "Milano",
            "province": "MI",
        }
        response = api_client_for(staff_bg).post("/api/v1/units/bulk/", {"items": [body]})
        error = assert_problem(response, 422)["errors"][0]
        assert (error["index"], error["field"]) == (0, "procedure")
        assert not ProductionUnit.objects.exists()
