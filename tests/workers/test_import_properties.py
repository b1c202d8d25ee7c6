"""Any bytes as a worker list (CSV or XLSX, #9 Must work 3): through the API, a 200 that
wrote exactly what it reports, or a 413/422 problem naming the problem that wrote nothing.
Never a 500 (the DRF test client re-raises an unhandled exception), never a partial write.

Hypothesis runs every example inside the test's transaction: each example rolls back its
own writes, so examples do not see each other's workers.
"""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import event, given
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from tests import hostile
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.fuzz import FUZZ, any_bytes, cell_values, mutated
from workers.models import Cohort, Involvement, Worker

pytestmark = pytest.mark.django_db

URL = "/api/v1/workers/import/"
SAMPLE = (
    Path(__file__).resolve().parent.parent / "data" / "lista_lavoratori_sample.csv"
).read_bytes()
SAMPLE_ROWS = [line.split(";") for line in SAMPLE.decode("cp1252").splitlines()]
SAMPLE_XLSX = hostile.workbook_bytes(SAMPLE_ROWS)


@pytest.fixture
def procedure(db):
    procedure = CrisisProcedureFactory(lead="BG", external_id="FUZZ-1")
    ProductionUnitFactory(procedure=procedure, name="Stabilimento di Dalmine", comune="Dalmine")
    ProductionUnitFactory(procedure=procedure, name="Sede di Treviglio", comune="Treviglio")
    return procedure


@pytest.fixture
def client(staff_bg, api_client_for):
    return api_client_for(staff_bg)


def counts() -> dict[str, int]:
    return {
        "workers": Worker.objects.count(),
        "involvements": Involvement.objects.count(),
        "cohorts": Cohort.objects.count(),
    }


def import_checked(client, procedure, raw: bytes, name: str) -> None:
    before = counts()
    with transaction.atomic():
        response = client.post(
            URL,
            {"procedure": procedure.pk, "file": SimpleUploadedFile(name, raw)},
            format="multipart",
        )
        after = counts()
        transaction.set_rollback(True)
    if currently_in_test_context():
        event(f"{name}: {response.status_code}")
    assert response.status_code in (200, 413, 422), response.content
    body = response.json()
    if response.status_code == 200:
        assert body["applied"] is True
        summary = body["summary"]
        assert after["involvements"] - before["involvements"] == summary["create"]
        assert after["workers"] - before["workers"] == summary["new_workers"]
        assert after["cohorts"] - before["cohorts"] == summary["new_cohorts"]
    else:
        assert after == before
        assert body["detail"]
        assert body["errors"] and all(error["message"] for error in body["errors"])


@FUZZ
@given(raw=any_bytes, name=st.sampled_from(["lista.csv", "lista.xlsx", "lista.txt"]))
def test_any_bytes_give_a_clear_answer_and_never_a_partial_write(client, procedure, raw, name):
    import_checked(client, procedure, raw, name)


@FUZZ
@given(raw=mutated(SAMPLE))
def test_a_mutated_csv_list_imports_whole_or_not_at_all(client, procedure, raw):
    import_checked(client, procedure, raw, "lista.csv")


@FUZZ
@given(raw=mutated(SAMPLE_XLSX, max_mutations=3))
def test_a_mutated_xlsx_file_imports_whole_or_not_at_all(client, procedure, raw):
    import_checked(client, procedure, raw, "lista.xlsx")


@FUZZ
@given(
    cells=st.lists(
        st.tuples(st.integers(1, 10), st.integers(0, 9), cell_values), min_size=1, max_size=12
    )
)
def test_a_workbook_with_arbitrary_cells_imports_whole_or_not_at_all(client, procedure, cells):
    rows = [list(row) for row in SAMPLE_ROWS[:11]]
    for row_index, column, value in cells:
        rows[row_index][column] = value
    import_checked(client, procedure, hostile.workbook_bytes(rows), "lista.xlsx")


def test_a_nul_character_in_a_cell_is_a_line_error_not_a_500(client, procedure):
    """Found by the properties on PostgreSQL, which cannot store a NUL character."""
    raw = SAMPLE.replace(b"GALLI;STEFANO", b"\x00ALLI;STEFANO")
    import_checked(client, procedure, raw, "lista.csv")
    response = client.post(
        URL,
        {"procedure": procedure.pk, "file": SimpleUploadedFile("lista.csv", raw)},
        format="multipart",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["column"] == "Cognome"
