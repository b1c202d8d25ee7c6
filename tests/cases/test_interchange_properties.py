"""Any bytes as a procedures interchange CSV (#9 Must work 3): through the API, a 200 that
wrote exactly what it reports, or a 413/422 problem that wrote nothing. Never a 500 (the
DRF test client re-raises an unhandled exception), never a partial write.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import event, given
from hypothesis.control import currently_in_test_context

from cases.interchange import HEADER
from cases.models import Company, CrisisProcedure, ProductionUnit
from tests.cases.factories import partita_iva
from tests.fuzz import FUZZ, any_bytes, mutated

pytestmark = pytest.mark.django_db

URL = "/api/v1/procedures/import/"
TAX_A, TAX_B = partita_iva(1_111_111), partita_iva(2_222_222)
VALID = (
    "\n".join(
        [
            ",".join(HEADER),
            f"BG-1,cigs_ministeriale,Fonderie Orobiche,{TAX_A},2025-01-15,2025-02-01,2026-01-31,"
            "U-1,BG,Dalmine,120",
            f"BG-1,cigs_ministeriale,Fonderie Orobiche,{TAX_A},2025-01-15,2025-02-01,2026-01-31,"
            "U-2,BG,Treviglio,35",
            f"BG-2,licenziamento_collettivo,Tessitura Seriana,{TAX_B},2025-03-03,2025-03-10,,"
            "U-3,BG,Albino,18",
        ]
    )
    + "\n"
).encode()


@pytest.fixture
def client(staff_bg, api_client_for):
    return api_client_for(staff_bg)


def counts() -> dict[str, int]:
    return {
        "companies": Company.objects.count(),
        "procedures": CrisisProcedure.objects.count(),
        "units": ProductionUnit.objects.count(),
    }


def import_checked(client, raw: bytes) -> None:
    before = counts()
    with transaction.atomic():
        response = client.post(
            URL, {"file": SimpleUploadedFile("procedures.csv", raw)}, format="multipart"
        )
        after = counts()
        transaction.set_rollback(True)
    if currently_in_test_context():
        event(f"status {response.status_code}")
    assert response.status_code in (200, 413, 422), response.content
    body = response.json()
    if response.status_code == 200:
        assert body["applied"] is True
        summary = body["summary"]
        assert after["procedures"] - before["procedures"] == summary["procedure"]["create"]
        assert after["units"] - before["units"] == summary["unit"]["create"]
    else:
        assert after == before
        assert body["detail"]
        assert body["errors"] and all(error["message"] for error in body["errors"])


def test_the_valid_file_imports(client):
    import_checked(client, VALID)


@FUZZ
@given(raw=any_bytes)
def test_any_bytes_give_a_clear_answer_and_never_a_partial_write(client, raw):
    import_checked(client, raw)


@FUZZ
@given(raw=mutated(VALID))
def test_a_mutated_file_imports_whole_or_not_at_all(client, raw):
    import_checked(client, raw)
