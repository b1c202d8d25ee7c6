"""``manage.py run_report KIND PERIOD [--province XX] --format F --output PATH``."""

import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from monitoring.models import ReportRun
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_2025(db):
    procedure = CrisisProcedureFactory(
        opened_on=date(2025, 2, 3), start_date=date(2025, 3, 1), end_date=date(2025, 12, 31)
    )
    ProductionUnitFactory(procedure=procedure, workers_involved=42)


def run_report(*args) -> str:
    err = io.StringIO()
    call_command("run_report", *args, stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def test_writes_the_json_document_and_says_how_long_it_took(data_2025, tmp_path):
    out = tmp_path / "annual.json"
    said = run_report("annual", "2025", "--format", "json", "--output", str(out))
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["total"]["cigs_ministeriale"] == {"units": 1, "workers": 42}
    assert "annual 2025 LOM" in said and "s" in said
    assert not ReportRun.objects.exists()  # the command does not touch the archive


def test_a_province_document(data_2025, tmp_path):
    out = tmp_path / "bg.json"
    run_report("bimonthly", "2025-B3", "--province", "bg", "--format", "json", "--output", str(out))
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["scope"] == "BG"
    assert [p["workers"] for p in document["procedures"]] == [42]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["annual", "2025-Q1", "--format", "json"], "period"),
        (["quarterly", "2025-Q9", "--format", "json"], "period"),
        (["annual", "2025", "--province", "BG", "--format", "json"], "province"),
        (["bimonthly", "2025-B1", "--province", "ZZ", "--format", "json"], "province"),
    ],
)
def test_bad_arguments_name_what_is_wrong_and_write_nothing(args, field, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(CommandError, match=field):
        run_report(*args, "--output", str(out))
    assert not out.exists()


def test_a_missing_output_folder_is_refused(data_2025, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        run_report("annual", "2025", "--format", "json", "--output", str(tmp_path / "no" / "x"))
