"""Issue #10 item 4: workers upserted in bulk by fiscal code (in the body), all or nothing."""

import pytest

from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.workers.factories import InvolvementFactory, WorkerFactory
from workers.enums import Step
from workers.models import Involvement, Worker

pytestmark = pytest.mark.django_db

BULK = "/api/v1/workers/bulk/"


@pytest.fixture
def unit():
    return ProductionUnitFactory(
        procedure=CrisisProcedureFactory(lead="BG"), external_id="U-DALMINE"
    )


def valid_items(count: int) -> list[dict]:
    """Items whose identity matches their fiscal code (the importer checks it)."""
    items = []
    for n in range(count):
        worker = WorkerFactory.build()
        items.append(
            {
                "fiscal_code": worker.fiscal_code,
                "last_name": worker.last_name,
                "first_name": worker.first_name,
                "birth_date": worker.birth_date.isoformat(),
                "sex": worker.sex,
                "unit": "U-DALMINE",
                "hours_reduction_pct": 20 + n,
            }
        )
    return items


def test_new_workers_are_taken_in_charge_and_a_repeat_changes_nothing(
    staff_bg, api_client_for, unit
):
    client = api_client_for(staff_bg)
    items = valid_items(3)
    response = client.post(BULK, {"procedure": unit.procedure.pk, "items": items})
    assert response.status_code == 200, response.content
    assert response.json()["summary"]["create"] == 3
    involvements = Involvement.objects.filter(procedure=unit.procedure, unit=unit)
    assert involvements.count() == 3
    assert {i.current_step for i in involvements} == {Step.STEP_1}
    again = client.post(BULK, {"procedure": unit.procedure.pk, "items": items})
    assert again.json()["summary"]["unchanged"] == 3
    assert Worker.objects.count() == 3


def test_the_procedure_may_be_named_by_its_external_id(staff_bg, api_client_for, unit):
    response = api_client_for(staff_bg).post(
        BULK, {"procedure_external_id": unit.procedure.external_id, "items": valid_items(1)}
    )
    assert response.status_code == 200, response.content
    assert Involvement.objects.filter(unit=unit).count() == 1


def test_one_bad_item_saves_nothing_and_names_its_index_and_field(staff_bg, api_client_for, unit):
    items = valid_items(3)
    items[1]["fiscal_code"] = "RSSMRA70A01F205X"  # wrong check character
    items[2]["birth_date"] = "01/01/1970"
    response = api_client_for(staff_bg).post(BULK, {"procedure": unit.procedure.pk, "items": items})
    assert response.status_code == 422
    assert {(e["index"], e["field"]) for e in response.json()["errors"]} == {
        (1, "fiscal_code"),
        (2, "birth_date"),
    }
    assert not Worker.objects.exists()


def test_a_unit_of_another_province_is_refused_by_index(staff_bg, api_client_for, unit):
    ProductionUnitFactory(procedure=unit.procedure, in_province="MI", external_id="U-MI")
    items = valid_items(2)
    items[1]["unit"] = "U-MI"
    response = api_client_for(staff_bg).post(BULK, {"procedure": unit.procedure.pk, "items": items})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(1, "unit")]
    assert not Involvement.objects.exists()


def test_a_procedure_out_of_scope_does_not_exist(staff_bg, api_client_for):
    theirs = ProductionUnitFactory(procedure=CrisisProcedureFactory(lead="MI"))
    response = api_client_for(staff_bg).post(
        BULK, {"procedure": theirs.procedure.pk, "items": valid_items(1)}
    )
    assert response.status_code == 404
    assert not Worker.objects.exists()


def test_region_officials_cannot_write_workers(region, api_client_for, unit):
    response = api_client_for(region).post(
        BULK, {"procedure": unit.procedure.pk, "items": valid_items(1)}
    )
    assert response.status_code == 403


def test_an_existing_workers_identity_is_not_overwritten(staff_bg, api_client_for, unit):
    involvement = InvolvementFactory(unit=unit)
    worker = involvement.worker
    items = [
        {
            "fiscal_code": worker.fiscal_code,
            "last_name": "Altro",
            "first_name": worker.first_name,
            "birth_date": worker.birth_date.isoformat(),
            "sex": worker.sex,
            "unit": "U-DALMINE",
        }
    ]
    response = api_client_for(staff_bg).post(BULK, {"procedure": unit.procedure.pk, "items": items})
    assert response.status_code == 422
    assert response.json()["errors"][0]["index"] == 0
    worker.refresh_from_db()
    assert worker.last_name != "Altro"
