"""§2 and §7: the import/export commands and issue_token, as operators run them."""

import io

import pytest
from django.core.management import CommandError, call_command

from cases.models import CrisisProcedure
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.cases.test_interchange import SAMPLE_ROWS, csv_text, row
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


class TestImportProcedures:
    def test_a_clean_file_is_imported_and_summarised(self, tmp_path):
        path = tmp_path / "procedures.csv"
        path.write_text(csv_text(*SAMPLE_ROWS), encoding="utf-8")
        out, _err = run("import_procedures", str(path))
        assert CrisisProcedure.objects.count() == 2
        assert "procedures: 2 created, 0 updated, 0 unchanged" in out
        assert "units: 3 created" in out

    def test_a_dry_run_imports_nothing(self, tmp_path):
        path = tmp_path / "procedures.csv"
        path.write_text(csv_text(*SAMPLE_ROWS), encoding="utf-8")
        out, _err = run("import_procedures", str(path), "--dry-run")
        assert "procedures: 2 created" in out
        assert not CrisisProcedure.objects.exists()

    def test_a_bad_file_fails_and_lists_every_bad_line(self, tmp_path):
        path = tmp_path / "bad.csv"
        path.write_text(
            csv_text(row(unit_province="XX"), SAMPLE_ROWS[2], row(external_id="X", family="x")),
            encoding="utf-8",
        )
        err = io.StringIO()
        with pytest.raises(CommandError) as excinfo:
            call_command("import_procedures", str(path), stdout=io.StringIO(), stderr=err)
        assert "2" in str(excinfo.value)
        lines = err.getvalue().splitlines()
        assert len(lines) == 2
        assert lines[0].startswith(f"{path}:") and "unit_province" in lines[0]
        assert "family" in lines[1]
        assert not CrisisProcedure.objects.exists()

    def test_a_missing_file_is_a_command_error(self, tmp_path):
        with pytest.raises(CommandError):
            run("import_procedures", str(tmp_path / "missing.csv"))


class TestExportProcedures:
    def test_every_unit_is_written_as_a_row(self, tmp_path):
        procedure = CrisisProcedureFactory(external_id="BG-1", lead="BG")
        ProductionUnitFactory(procedure=procedure, external_id="U-1", comune="Dalmine")
        ProductionUnitFactory(procedure=procedure, external_id="U-2", in_province="MI")
        path = tmp_path / "out.csv"
        _out, err = run("export_procedures", "--output", str(path))
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("external_id,family,company_name")
        assert [line.split(",")[7:9] for line in lines[1:]] == [["U-1", "BG"], ["U-2", "MI"]]
        assert "2 rows" in err

    def test_the_export_can_be_imported_back_without_changes(self, tmp_path):
        ProductionUnitFactory(procedure=CrisisProcedureFactory(lead="CO"))
        path = tmp_path / "out.csv"
        run("export_procedures", "--output", str(path))
        out, _err = run("import_procedures", str(path))
        assert "procedures: 0 created, 0 updated, 1 unchanged" in out

    def test_the_export_can_be_limited_to_a_province(self, tmp_path):
        ProductionUnitFactory(procedure=CrisisProcedureFactory(external_id="BG-1", lead="BG"))
        ProductionUnitFactory(procedure=CrisisProcedureFactory(external_id="MI-1", lead="MI"))
        path = tmp_path / "out.csv"
        run("export_procedures", "--output", str(path), "--province", "mi")
        lines = path.read_text(encoding="utf-8").splitlines()
        assert [line.split(",")[0] for line in lines[1:]] == ["MI-1"]


class TestIssueToken:
    def test_the_printed_key_authenticates_api_requests(self, client):
        UserFactory(username="sistema_regionale", api_client=True)
        CrisisProcedureFactory(external_id="BG-1")
        out, _err = run("issue_token", "sistema_regionale")
        key = out.strip()
        response = client.get("/api/v1/procedures/", headers={"Authorization": f"Token {key}"})
        assert response.status_code == 200
        assert [p["external_id"] for p in response.json()["results"]] == ["BG-1"]

    def test_each_call_issues_a_new_key_and_rotate_revokes_the_earlier_ones(self, client):
        # Keys are stored hashed: one cannot be printed twice, so each call issues another.
        UserFactory(username="sistema_regionale", api_client=True)
        first, _ = run("issue_token", "sistema_regionale")
        again, _ = run("issue_token", "sistema_regionale")
        rotated, _ = run("issue_token", "sistema_regionale", "--rotate")
        assert len({first, again, rotated}) == 3

        def status(key: str) -> int:
            headers = {"Authorization": f"Token {key.strip()}"}
            return client.get("/api/v1/procedures/", headers=headers).status_code

        assert [status(first), status(again), status(rotated)] == [401, 401, 200]

    def test_an_unknown_user_is_a_command_error(self):
        with pytest.raises(CommandError):
            run("issue_token", "nobody")
