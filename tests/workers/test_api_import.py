"""POST /api/v1/workers/import/: the worker-list import through the API (§3)."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from workers.models import Involvement, Worker

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "lista_lavoratori_sample.csv"
URL = "/api/v1/workers/import/"


@pytest.fixture
def procedure():
    procedure = CrisisProcedureFactory(lead="BG", external_id="IMP-1")
    ProductionUnitFactory(procedure=procedure, name="Stabilimento di Dalmine", comune="Dalmine")
    ProductionUnitFactory(procedure=procedure, name="Sede di Treviglio", comune="Treviglio")
    return procedure


def upload(content: bytes = None, name: str = "lista.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, SAMPLE.read_bytes() if content is None else content)


def test_a_dry_run_previews_and_saves_nothing(procedure, staff_bg, api_client_for):
    response = api_client_for(staff_bg).post(
        URL, {"procedure": procedure.pk, "file": upload(), "dry_run": True}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["summary"]["create"] == 24
    assert Worker.objects.count() == 0


def test_the_import_takes_the_workers_in_charge_once(procedure, staff_bg, api_client_for):
    client = api_client_for(staff_bg)
    for _attempt in range(2):
        response = client.post(
            URL,
            {"procedure_external_id": "IMP-1", "file": upload()},
            format="multipart",
        )
        assert response.status_code == 200, response.json()
    assert Involvement.objects.filter(procedure=procedure, current_step="STEP_1").count() == 24
    assert response.json()["summary"]["unchanged"] == 24


def test_a_bad_file_is_a_problem_listing_its_lines_and_saves_nothing(
    procedure, staff_bg, api_client_for
):
    lines = SAMPLE.read_bytes().splitlines()
    bad = b"\r\n".join([lines[0], lines[1].replace(b"FMGCHR66A61G273Z", b"FMGCHR66A61G273A")])
    response = api_client_for(staff_bg).post(
        URL, {"procedure": procedure.pk, "file": upload(bad)}, format="multipart"
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert [error["line"] for error in response.json()["errors"]] == [2]
    assert Worker.objects.count() == 0


def test_a_procedure_out_of_scope_is_not_found(staff_mi, procedure, api_client_for):
    response = api_client_for(staff_mi).post(
        URL, {"procedure": procedure.pk, "file": upload()}, format="multipart"
    )
    assert response.status_code == 404
    assert Worker.objects.count() == 0


def test_region_officials_cannot_import(region, procedure, api_client_for):
    response = api_client_for(region).post(
        URL, {"procedure": procedure.pk, "file": upload()}, format="multipart"
    )
    assert response.status_code == 403
