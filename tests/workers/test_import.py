"""Importing worker lists as companies send them (§3): all or nothing, every bad line reported."""

import csv
import datetime
import io
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.utils import translation

from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.workers.factories import WorkerFactory
from workers.enums import IncomeSupport, Step
from workers.importers import import_workers
from workers.models import Cohort, Involvement, StepTransition, Worker

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE = DATA / "lista_lavoratori_sample.csv"
SAMPLE_HEADER = (
    "Codice Fiscale;Cognome;Nome;Data di nascita;Sesso;Unità produttiva;"
    "Tipo ammortizzatore;% riduzione orario;Data inizio;Data fine"
)
# A valid row for hand-made files: Fumagalli Chiara of the sample.
GOOD = (
    "FMGCHR66A61G273Z;FUMAGALLI;CHIARA;21/01/1966;F;Stabilimento di Dalmine;"
    "CIGS;100;03/03/2025;02/03/2026"
)


@pytest.fixture(autouse=True)
def english_messages():
    """The assertions below read messages in English, whatever the site's language."""
    with translation.override("en"):
        yield


@pytest.fixture
def procedure():
    procedure = CrisisProcedureFactory(lead="BG")
    ProductionUnitFactory(procedure=procedure, name="Stabilimento di Dalmine", comune="Dalmine")
    ProductionUnitFactory(procedure=procedure, name="Sede di Treviglio", comune="Treviglio")
    return procedure


def sample_rows() -> list[list[str]]:
    with SAMPLE.open(encoding="cp1252", newline="") as f:
        return list(csv.reader(f, delimiter=";"))


def expected_involvements() -> set[tuple]:
    """What the sample says, read independently of the importer."""
    return {
        (
            cf,
            last.title(),
            first.title(),
            datetime.datetime.strptime(born, "%d/%m/%Y").date(),  # noqa: DTZ007
            sex,
            unit,
            support.lower(),
            int(hours),
            datetime.datetime.strptime(start, "%d/%m/%Y").date(),  # noqa: DTZ007
            datetime.datetime.strptime(end, "%d/%m/%Y").date(),  # noqa: DTZ007
            unit,  # default cohort: named after the unit
        )
        for cf, last, first, born, sex, unit, support, hours, start, end in sample_rows()[1:]
    }


def stored_involvements(procedure) -> set[tuple]:
    return {
        (
            i.worker.fiscal_code,
            i.worker.last_name,
            i.worker.first_name,
            i.worker.birth_date,
            i.worker.sex,
            i.unit.name,
            i.income_support,
            i.hours_reduction_pct,
            i.period_start,
            i.period_end,
            i.cohort.name,
        )
        for i in Involvement.objects.filter(procedure=procedure).select_related(
            "worker", "unit", "cohort"
        )
    }


def counts() -> dict[str, int]:
    return {
        "workers": Worker.objects.count(),
        "involvements": Involvement.objects.count(),
        "transitions": StepTransition.objects.count(),
        "cohorts": Cohort.objects.count(),
        "worker_history": Worker.history.count(),
        "involvement_history": Involvement.history.count(),
    }


def cp1252_csv(*lines: str, header: str = SAMPLE_HEADER) -> bytes:
    return "\r\n".join([header, *lines]).encode("cp1252")


def utf8_bom_comma_csv() -> bytes:
    """The sample as UTF-8 with BOM, commas, synonyms in the header and an unknown column."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "CF",
            "COGNOME ",
            "nome",
            "Data nascita",
            "Genere",
            "Sede",
            "Ammortizzatore",
            "Percentuale riduzione",
            "Inizio",
            "Fine",
            "Note",
        ]
    )
    for row in sample_rows()[1:]:
        cf, last, first, born, sex, unit, support, hours, start, end = row
        day, month, year = start.split("/")
        writer.writerow(
            [
                f" {cf} ",
                last,
                f"{first}  ",
                born,
                "Femmina" if sex == "F" else "Maschio",
                unit.upper(),
                support.lower(),
                f"{hours}%",
                f"{year}-{month}-{day}",  # ISO dates are accepted too
                end,
                "da verificare",
            ]
        )
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def tab_csv() -> bytes:
    text = SAMPLE.read_bytes().decode("cp1252").replace(";", "\t")
    return text.encode("utf-8")


def xlsx_with_title_row(rows: list[list] | None = None) -> bytes:
    """The sample as a workbook: a title row and a blank row above the header, real date cells,
    hours as numbers (some formatted as percentages)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Lavoratori"
    sheet.append(["Elenco lavoratori sospesi – CIGS 2025"])
    sheet.append([])
    header, *data = rows if rows is not None else sample_rows()
    sheet.append(header)
    for cf, last, first, born, sex, unit, support, hours, start, end in data:
        sheet.append(
            [
                cf,
                last,
                first,
                datetime.datetime.strptime(born, "%d/%m/%Y"),  # noqa: DTZ007
                sex,
                unit,
                support,
                int(hours) if hours.isdigit() else hours,
                datetime.datetime.strptime(start, "%d/%m/%Y"),  # noqa: DTZ007
                end,  # a date typed as text
            ]
        )
        if hours.isdigit() and int(hours) == 30:
            cell = sheet.cell(row=sheet.max_row, column=8)
            cell.value = 0.3
            cell.number_format = "0%"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- the real sample -------------------------------------------------------------------


def test_the_fixture_is_the_reference_sample_byte_for_byte():
    reference = Path(__file__).resolve().parents[3] / "shared/reference/sample_lista_lavoratori.csv"
    if not reference.exists():
        pytest.skip("shared reference not checked out next to the project")
    assert SAMPLE.read_bytes() == reference.read_bytes()


def test_the_sample_list_imports_its_24_workers(procedure):
    result = import_workers(procedure, SAMPLE.read_bytes(), filename=SAMPLE.name)

    assert result.ok, result.errors
    assert result.applied
    assert (result.format, result.encoding, result.delimiter) == ("csv", "cp1252", ";")
    assert result.summary() == {
        "rows": 24,
        "create": 24,
        "update": 0,
        "unchanged": 0,
        "new_workers": 24,
        "new_cohorts": 2,
        "errors": 0,
    }
    assert stored_involvements(procedure) == expected_involvements()
    assert Worker.objects.get(fiscal_code="RSSNCL87R19A794C").first_name == "Nicolò"
    assert set(Involvement.objects.values_list("current_step", flat=True)) == {Step.STEP_1}
    assert StepTransition.objects.count() == 24
    assert result.mapping[0] == ("Codice Fiscale", "fiscal_code")
    assert ("Unità produttiva", "unit") in result.mapping
    assert result.ignored_columns == []


def test_the_result_describes_each_row_for_the_preview(procedure):
    result = import_workers(procedure, SAMPLE.read_bytes(), filename=SAMPLE.name, dry_run=True)

    first = result.changes[0]
    assert (first.line, first.action, first.worker, first.fiscal_code) == (
        2,
        "create",
        "Fumagalli Chiara",
        "FMGCHR66A61G273Z",
    )
    assert first.unit.startswith("Stabilimento di Dalmine")
    data = result.as_dict()
    assert data["summary"]["create"] == 24
    assert data["mapping"][5] == {"column": "Unità produttiva", "field": "unit"}
    assert data["applied"] is False


def test_a_dry_run_saves_nothing(procedure):
    before = counts()

    result = import_workers(procedure, SAMPLE.read_bytes(), filename=SAMPLE.name, dry_run=True)

    assert result.ok and not result.applied
    assert result.summary()["create"] == 24
    assert counts() == before


def test_importing_the_same_file_twice_changes_nothing_the_second_time(procedure):
    import_workers(procedure, SAMPLE.read_bytes(), filename=SAMPLE.name)
    before = counts()

    again = import_workers(procedure, SAMPLE.read_bytes(), filename=SAMPLE.name)

    assert again.ok and again.applied
    assert again.summary()["unchanged"] == 24
    assert again.summary()["create"] == again.summary()["update"] == 0
    assert counts() == before


def test_a_changed_row_updates_the_involvement_without_a_new_transition(procedure):
    import_workers(procedure, SAMPLE.read_bytes(), filename=SAMPLE.name)
    before = counts()
    changed = SAMPLE.read_bytes().replace(
        b"RSSLSS64D57I628P;ROSSI;ALESSIA;17/04/1964;F;Stabilimento di Dalmine;CIGS;30;",
        b"RSSLSS64D57I628P;ROSSI;ALESSIA;17/04/1964;F;Sede di Treviglio;CIGS;60;",
    )

    result = import_workers(procedure, changed, filename="lista.csv")

    assert result.ok, result.errors
    assert result.summary()["update"] == 1
    update = next(c for c in result.changes if c.action == "update")
    assert (update.line, set(update.changed_fields)) == (3, {"unit", "hours_reduction_pct"})
    involvement = Involvement.objects.get(worker__fiscal_code="RSSLSS64D57I628P")
    assert (involvement.unit.name, involvement.hours_reduction_pct) == ("Sede di Treviglio", 60)
    assert StepTransition.objects.count() == before["transitions"]
    assert Involvement.history.count() == before["involvement_history"] + 1


@pytest.mark.parametrize(
    ("raw", "filename", "file_format"),
    [
        pytest.param(utf8_bom_comma_csv, "lista.csv", "csv", id="utf8-bom-comma-synonyms"),
        pytest.param(tab_csv, "lista.txt", "csv", id="utf8-tab"),
        pytest.param(xlsx_with_title_row, "lista.xlsx", "xlsx", id="xlsx-title-row"),
    ],
)
def test_the_same_list_in_other_shapes_gives_the_same_result(procedure, raw, filename, file_format):
    result = import_workers(procedure, raw(), filename=filename)

    assert result.ok, result.errors
    assert result.format == file_format
    assert result.summary()["create"] == 24
    assert stored_involvements(procedure) == expected_involvements()


def test_synonyms_are_mapped_and_unknown_columns_listed(procedure):
    result = import_workers(procedure, utf8_bom_comma_csv(), filename="lista.csv", dry_run=True)

    assert result.encoding == "utf-8-sig" and result.delimiter == ","
    assert dict(result.mapping) == {
        "CF": "fiscal_code",
        "COGNOME": "last_name",
        "nome": "first_name",
        "Data nascita": "birth_date",
        "Genere": "sex",
        "Sede": "unit",
        "Ammortizzatore": "income_support",
        "Percentuale riduzione": "hours_reduction_pct",
        "Inizio": "period_start",
        "Fine": "period_end",
        "Note": None,
    }
    assert result.ignored_columns == ["Note"]


def test_an_xlsx_header_below_a_title_row_is_found_and_lines_are_spreadsheet_rows(procedure):
    rows = sample_rows()[:3]
    rows[2][7] = "150"
    result = import_workers(procedure, xlsx_with_title_row(rows), filename="lista.xlsx")

    assert (result.sheet, result.header_line) == ("Lavoratori", 3)
    assert [e.as_dict() for e in result.errors] == [
        {"line": 5, "column": "% riduzione orario", "message": "150 is not between 0 and 100."}
    ]


def test_a_file_whose_content_does_not_match_its_name_is_refused(procedure):
    result = import_workers(procedure, SAMPLE.read_bytes(), filename="lista.xlsx")
    assert not result.ok
    assert "not an XLSX" in result.errors[0].message

    result = import_workers(procedure, xlsx_with_title_row(), filename="lista.csv")
    assert "rename it to .xlsx" in result.errors[0].message


# --- bad files -------------------------------------------------------------------------


def test_a_bad_file_reports_every_bad_line_and_saves_nothing(procedure):
    WorkerFactory()  # something already there, to see that nothing is added
    before = counts()
    raw = cp1252_csv(
        GOOD,  # line 2
        "RSSLSS64D57I628X;ROSSI;ALESSIA;17/04/1964;F;Stabilimento di Dalmine;CIGS;30;;",
        "FRRFNC89P43A794M;FERRARI;FRANCESCA;03/09/1989;F;Sede di Bergamo;CIGS;100;;",
        "RSSNCL87R19A794C;ROSSI;NICOLÒ;19/10/1987;M;Sede di Treviglio;CIGS;50;31/02/2025;",
        "RVIPLA88E05D245L;RIVA;PAOLO;05/05/1988;F;Sede di Treviglio;CIGS;100;;",
        "RVIFRC68C62A794H;RIVA;FEDERICA;22/03/1968;F;Sede di Treviglio;CIGS;150;;",
        "FMGCHR66A61G273Z;FUMAGALLI;CHIARA;21/01/1966;F;Sede di Treviglio;CIGS;100;;",
        "SLAFNC98B63A794Y;SALA;FRANCESCA;23/02/1998;F;Sede di Treviglio;CIGS;50;03/03/2025;",
    )

    result = import_workers(procedure, raw, filename="lista.csv")

    assert not result.ok and not result.applied
    found = {(e.line, e.column) for e in result.errors}
    assert found == {
        (3, "Codice Fiscale"),
        (4, "Unità produttiva"),
        (5, "Data inizio"),
        (6, "Sesso"),
        (7, "% riduzione orario"),
        (8, "Codice Fiscale"),
    }
    messages = {e.line: e.message for e in result.errors}
    assert "check character" in messages[3]
    assert "its units are: Stabilimento di Dalmine" in messages[4]
    assert "31/02/2025" in messages[5]
    assert "sex M" in messages[6]
    assert "line 2" in messages[8]
    assert counts() == before


def test_a_missing_required_column_is_named_on_the_header_line(procedure):
    header = SAMPLE_HEADER.replace(";Sesso", "")
    row = GOOD.replace(";F;Stab", ";Stab")

    result = import_workers(procedure, cp1252_csv(row, header=header), filename="lista.csv")

    assert [(e.line, e.column) for e in result.errors] == [(1, None)]
    assert "Sesso" in result.errors[0].message
    assert Worker.objects.count() == 0


def test_two_columns_meaning_the_same_field_are_an_error_not_a_guess(procedure):
    header = SAMPLE_HEADER + ";CF"
    result = import_workers(
        procedure, cp1252_csv(GOOD + ";FMGCHR66A61G273Z", header=header), filename="lista.csv"
    )

    assert [(e.line, e.column) for e in result.errors] == [(1, "CF")]
    assert "Codice Fiscale" in result.errors[0].message


def test_hours_that_are_not_a_whole_percentage_are_refused_not_rounded(procedure):
    raw = cp1252_csv(GOOD.replace(";CIGS;100;", ";CIGS;50,5;"))

    result = import_workers(procedure, raw, filename="lista.csv")

    assert [(e.line, e.column) for e in result.errors] == [(2, "% riduzione orario")]
    assert "whole" in result.errors[0].message


def test_an_unknown_income_support_lists_the_accepted_ones(procedure):
    raw = cp1252_csv(GOOD.replace(";CIGS;", ";Cassa;"))

    result = import_workers(procedure, raw, filename="lista.csv")

    assert result.errors[0].column == "Tipo ammortizzatore"
    assert "NASpI" in result.errors[0].message


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("Contratto di solidarietà", IncomeSupport.SOLIDARIETA),
        ("SOLIDARIETA", IncomeSupport.SOLIDARIETA),
        ("naspi", IncomeSupport.NASPI),
        ("Mobilità", IncomeSupport.MOBILITA),
        ("CIGO", IncomeSupport.CIGO),
        ("Fis", IncomeSupport.FIS),
    ],
)
def test_income_support_is_read_from_its_codes_and_labels(procedure, written, stored):
    raw = cp1252_csv(GOOD.replace(";CIGS;", f";{written};"))

    result = import_workers(procedure, raw, filename="lista.csv")

    assert result.ok, result.errors
    assert Involvement.objects.get().income_support == stored


# --- existing workers ------------------------------------------------------------------


def test_an_existing_worker_is_linked_not_duplicated(procedure):
    WorkerFactory(
        fiscal_code="FMGCHR66A61G273Z",
        last_name="Fumagalli",
        first_name="Chiara",
        birth_date=datetime.date(1966, 1, 21),
    )

    result = import_workers(procedure, SAMPLE.read_bytes(), filename=SAMPLE.name)

    assert result.ok, result.errors
    assert result.summary()["new_workers"] == 23
    assert Worker.objects.count() == 24
    assert Involvement.objects.filter(worker__fiscal_code="FMGCHR66A61G273Z").count() == 1


def test_an_existing_worker_with_another_birth_date_is_reported_not_overwritten(procedure):
    worker = WorkerFactory(
        fiscal_code="FMGCHR66A61G273Z",
        last_name="Fumagalli",
        first_name="Chiara",
        birth_date=datetime.date(1966, 1, 22),
    )
    before = counts()

    result = import_workers(procedure, SAMPLE.read_bytes(), filename=SAMPLE.name)

    assert [(e.line, e.column) for e in result.errors] == [(2, "Data di nascita")]
    assert "22/01/1966" in result.errors[0].message
    assert "not overwritten" in result.errors[0].message
    worker.refresh_from_db()
    assert worker.birth_date == datetime.date(1966, 1, 22)
    assert counts() == before


# --- provinces -------------------------------------------------------------------------


def test_a_bg_officer_imports_the_units_of_bergamo(procedure, staff_bg):
    result = import_workers(procedure, SAMPLE.read_bytes(), filename=SAMPLE.name, user=staff_bg)

    assert result.ok, result.errors
    assert set(StepTransition.objects.values_list("recorded_by", flat=True)) == {staff_bg.pk}


def test_a_bg_officer_cannot_import_workers_of_a_unit_in_milan(procedure, staff_bg):
    ProductionUnitFactory(
        procedure=procedure, name="Sede di Milano", comune="Milano", in_province="MI"
    )
    raw = cp1252_csv(
        GOOD,
        GOOD.replace("FMGCHR66A61G273Z", "RSSLSS64D57I628P")
        .replace("FUMAGALLI;CHIARA;21/01/1966", "ROSSI;ALESSIA;17/04/1964")
        .replace("Stabilimento di Dalmine", "Sede di Milano"),
    )

    result = import_workers(procedure, raw, filename="lista.csv", user=staff_bg)

    assert [(e.line, e.column) for e in result.errors] == [(3, "Unità produttiva")]
    assert "MI" in result.errors[0].message
    assert Involvement.objects.count() == 0


# --- the command -----------------------------------------------------------------------


def test_the_command_imports_and_prints_the_mapping_and_summary(procedure, capsys):
    call_command("import_workers", procedure.external_id, str(SAMPLE))

    out = capsys.readouterr().out
    assert "Codice Fiscale → fiscal_code" in out
    assert "24 workers: 24 taken in charge" in out
    assert Involvement.objects.count() == 24


def test_the_command_exits_1_listing_each_bad_line_on_stderr(
    procedure, tmp_path, capsys, monkeypatch
):
    bad = tmp_path / "lista.csv"
    bad.write_bytes(cp1252_csv(GOOD, GOOD.replace(";CIGS;100;", ";CIGS;150;")))
    # The command closes the connections when it ends; the test still needs its own.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)

    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "import_workers", procedure.external_id, str(bad)])

    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert f"{bad}:line 3, % riduzione orario: 150 is not between 0 and 100." in err
    assert "nothing was imported" in err
    assert Worker.objects.count() == 0


def test_the_command_refuses_an_unknown_procedure(db):
    with pytest.raises(CommandError, match="No procedure"):
        call_command("import_workers", "NOPE", str(SAMPLE))
