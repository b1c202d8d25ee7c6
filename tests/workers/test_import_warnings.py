"""Worker lists with inconsistent data (issue #13, item 7): warned in the preview, confirmed by
the officer, applied all or nothing; units named by their comune; real-shaped headers."""

import datetime

import pytest
from codicefiscale import codicefiscale
from django.urls import reverse
from django.utils import translation

from crisi_portal.imports import warnings_digest
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from workers.importers import import_workers, split_full_name
from workers.models import Involvement

pytestmark = pytest.mark.django_db

HEADER = "Codice Fiscale;Cognome;Nome;Data di nascita;Sesso;Unità produttiva;Data inizio;Data fine"
# Two workers of the reference sample; the procedure's support runs 01/04/2025–31/03/2026.
CHIARA = "FMGCHR66A61G273Z;FUMAGALLI;CHIARA;21/01/1966;F;{unit};{start};{end}"
SECOND = "RSSMRA80A01A794J;ROSSI;MARIO;01/01/1980;M;{unit};{start};{end}"


@pytest.fixture(autouse=True)
def english_messages():
    with translation.override("en"):
        yield


@pytest.fixture
def procedure():
    procedure = CrisisProcedureFactory(
        lead="BG",
        external_id="BG-W-1",
        start_date=datetime.date(2025, 4, 1),
        end_date=datetime.date(2026, 3, 31),
    )
    ProductionUnitFactory(
        procedure=procedure, external_id="U-DAL", name="Reparto presse", comune="Dalmine"
    )
    ProductionUnitFactory(
        procedure=procedure, external_id="U-TRE", name="Sede di Treviglio", comune="Treviglio"
    )
    return procedure


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return "\r\n".join([header, *rows]).encode("utf-8")


def row(template: str, unit="U-DAL", start="01/04/2025", end="31/03/2026") -> str:
    return template.format(unit=unit, start=start, end=end)


# --- Warnings ----------------------------------------------------------------------------------


def test_support_dates_outside_the_procedures_period_are_warned_on_their_line_and_column(
    procedure,
):
    raw = csv_file(row(CHIARA, start="03/03/2025"), row(SECOND, end="30/06/2026"))

    result = import_workers(procedure, raw, filename="l.csv", dry_run=True)

    assert result.ok
    assert [(w.line, w.column) for w in result.warnings] == [(2, "Data inizio"), (3, "Data fine")]
    assert "03/03/2025" in result.warnings[0].message
    assert "01/04/2025 to 31/03/2026" in result.warnings[0].message
    assert "FMGCHR66A61G273Z" not in result.warnings[0].message


def test_more_workers_than_the_unit_declares_is_warned_on_the_first_line_past_it(procedure):
    procedure.units.filter(external_id="U-DAL").update(workers_involved=1)

    result = import_workers(
        procedure, csv_file(row(CHIARA), row(SECOND)), filename="l.csv", dry_run=True
    )

    assert [(w.line, w.column) for w in result.warnings] == [(3, "Unità produttiva")]
    assert "declares 1 workers" in result.warnings[0].message
    assert "would have 2" in result.warnings[0].message


def test_a_unit_declaring_no_number_and_consistent_lists_have_no_warning(procedure):
    procedure.units.update(workers_involved=0)

    result = import_workers(
        procedure, csv_file(row(CHIARA), row(SECOND)), filename="l.csv", dry_run=True
    )

    assert result.ok and result.warnings == []


def test_workers_moving_out_of_a_unit_make_room_in_it(procedure):
    procedure.units.update(workers_involved=1)
    import_workers(procedure, csv_file(row(CHIARA)), filename="l.csv")

    # Chiara moves to Treviglio; Mario takes her place in Dalmine: one each, as declared.
    raw = csv_file(row(CHIARA, unit="U-TRE"), row(SECOND))
    result = import_workers(procedure, raw, filename="l.csv", dry_run=True)

    assert result.ok and result.warnings == []


def test_a_list_with_warnings_is_applied_only_once_they_are_confirmed(procedure):
    raw = csv_file(row(CHIARA, start="03/03/2025"), row(SECOND))
    preview = import_workers(procedure, raw, filename="l.csv", dry_run=True)

    unconfirmed = import_workers(procedure, raw, filename="l.csv", accepted_warnings="")
    assert unconfirmed.ok and not unconfirmed.applied
    stale = import_workers(procedure, raw, filename="l.csv", accepted_warnings="0" * 32)
    assert not stale.applied and Involvement.objects.count() == 0

    confirmed = import_workers(
        procedure, raw, filename="l.csv", accepted_warnings=warnings_digest(preview.warnings)
    )
    assert confirmed.applied and Involvement.objects.count() == 2


def test_without_the_pages_confirmation_api_and_commands_apply_and_report(procedure):
    raw = csv_file(row(CHIARA, start="03/03/2025"))

    result = import_workers(procedure, raw, filename="l.csv")

    assert result.applied and result.as_dict()["warnings"] == [
        {"line": 2, "column": "Data inizio", "message": result.warnings[0].message}
    ]


# --- The page: upload → warnings → confirm -----------------------------------------------------


def upload(client, procedure, raw: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("workers:worker_import", args=[procedure.pk]),
        {"file": SimpleUploadedFile("lista.csv", raw)},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_the_officer_confirms_the_warnings_before_anything_is_saved(client, staff_bg, procedure):
    client.force_login(staff_bg)
    url = reverse("workers:worker_import", args=[procedure.pk])
    raw = csv_file(row(CHIARA, start="03/03/2025"), row(SECOND))

    preview = upload(client, procedure, raw)

    assert preview.status_code == 200
    page = preview.content.decode()
    assert 'id="import-warnings"' in page and 'name="accept_warnings"' in page
    assert "03/03/2025 is outside the income support period" in page
    token, digest = preview.context["token"], preview.context["warnings_digest"]
    assert digest == warnings_digest(preview.context["result"].warnings)
    assert Involvement.objects.count() == 0

    # Confirmed without ticking the box: nothing saved, the warnings again, a new token.
    again = client.post(url, {"token": token, "warnings": digest}, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 422 and Involvement.objects.count() == 0
    assert "tick the box" in again.content.decode()
    token = again.context["token"]

    done = client.post(
        url, {"token": token, "warnings": digest, "accept_warnings": "1"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert done.status_code == 302
    assert Involvement.objects.filter(procedure=procedure).count() == 2


def test_a_clean_list_needs_no_box(client, staff_bg, procedure):
    client.force_login(staff_bg)

    preview = upload(client, procedure, csv_file(row(CHIARA)))

    assert preview.context["warnings_digest"] == ""
    assert 'name="accept_warnings"' not in preview.content.decode()
    done = client.post(
        reverse("workers:worker_import", args=[procedure.pk]), {"token": preview.context["token"]}
    )
    assert done.status_code == 302 and Involvement.objects.count() == 1


# --- Units by their comune ---------------------------------------------------------------------


def test_a_text_naming_one_units_comune_is_that_unit(procedure):
    raw = csv_file(row(CHIARA, unit="Stabilimento di Dalmine"), row(SECOND, unit="TREVIGLIO (BG)"))

    result = import_workers(procedure, raw, filename="l.csv")

    assert result.ok, result.errors
    units = dict(Involvement.objects.values_list("worker__last_name", "unit__external_id"))
    assert units == {"Fumagalli": "U-DAL", "Rossi": "U-TRE"}


def test_a_text_naming_no_comune_of_the_procedure_is_an_error_on_its_line(procedure):
    raw = csv_file(row(CHIARA), row(SECOND, unit="Stabilimento di Bergamo"))

    result = import_workers(procedure, raw, filename="l.csv")

    assert not result.applied and Involvement.objects.count() == 0
    assert [(e.line, e.column) for e in result.errors] == [(3, "Unità produttiva")]
    assert "is not a unit of procedure BG-W-1" in result.errors[0].message


@pytest.mark.parametrize("text", ["Stabilimento di Dalmine", "Dalmine / Treviglio"])
def test_a_text_matching_several_units_is_an_error_naming_them(procedure, text):
    ProductionUnitFactory(
        procedure=procedure, external_id="U-DAL2", name="Magazzino", comune="Dalmine"
    )

    result = import_workers(procedure, csv_file(row(CHIARA, unit=text)), filename="l.csv")

    assert [(e.line, e.column) for e in result.errors] == [(2, "Unità produttiva")]
    assert "matches" in result.errors[0].message and "U-DAL" in result.errors[0].message
    assert Involvement.objects.count() == 0


def test_a_comune_is_matched_as_whole_words_only(procedure):
    ProductionUnitFactory(procedure=procedure, external_id="U-RHO", name="", comune="Rho")

    result = import_workers(
        procedure, csv_file(row(CHIARA, unit="Stabilimento Rhodense")), filename="l.csv"
    )

    assert not result.ok and "is not a unit" in result.errors[0].message


# --- Real-shaped headers -----------------------------------------------------------------------


def test_headers_as_companies_write_them_are_mapped(procedure):
    header = "C.F.;Cognome e nome;Nato il;M/F;Sede;Qualifica;RIDUZIONE %;DAL;AL"
    raw = csv_file(
        "FMGCHR66A61G273Z;FUMAGALLI CHIARA;21/01/1966;F;Stabilimento di Dalmine;Operaia;50%;"
        "01/04/2025;31/12/2025",
        header=header,
    )

    result = import_workers(procedure, raw, filename="l.csv")

    assert result.ok, result.errors
    assert dict(result.mapping) == {
        "C.F.": "fiscal_code",
        "Cognome e nome": "full_name",
        "Nato il": "birth_date",
        "M/F": "sex",
        "Sede": "unit",
        "Qualifica": None,
        "RIDUZIONE %": "hours_reduction_pct",
        "DAL": "period_start",
        "AL": "period_end",
    }
    involvement = Involvement.objects.select_related("worker", "unit").get()
    assert (involvement.worker.last_name, involvement.worker.first_name) == ("Fumagalli", "Chiara")
    assert involvement.unit.external_id == "U-DAL"
    assert involvement.hours_reduction_pct == 50
    assert (involvement.period_start, involvement.period_end) == (
        datetime.date(2025, 4, 1),
        datetime.date(2025, 12, 31),
    )


@pytest.mark.parametrize(
    "header",
    [
        "Codice fiscale;Cognome;Nome;Data di nascita;Sesso;Unità produttiva;% riduzione;"
        "Data inizio CIGS;Data fine",
        "Codice fiscale lavoratore;Cognome;Nome;Data nascita;Genere;Unità locale;"
        "Riduzione orario;Inizio CIGS;Fine CIGS",
    ],
)
def test_more_synonyms_of_the_usual_columns(procedure, header):
    raw = csv_file(
        "FMGCHR66A61G273Z;FUMAGALLI;CHIARA;21/01/1966;F;U-DAL;40;01/04/2025;31/12/2025",
        header=header,
    )

    result = import_workers(procedure, raw, filename="l.csv", dry_run=True)

    assert result.ok, result.errors
    assert None not in dict(result.mapping).values()


def test_a_full_name_is_split_by_the_fiscal_code():
    code = codicefiscale.encode(
        lastname="De Luca",
        firstname="Maria Grazia",
        gender="F",
        birthdate="01/02/1970",
        birthplace="Bergamo",
    )
    assert split_full_name("DE LUCA MARIA GRAZIA", code) == ("DE LUCA", "MARIA GRAZIA")
    assert split_full_name("MARIA GRAZIA DE LUCA", code) == ("DE LUCA", "MARIA GRAZIA")
    assert split_full_name("ROSSI MARIO", code) is None
    assert split_full_name("DELUCA", code) is None


def test_a_full_name_the_fiscal_code_does_not_split_is_an_error_naming_the_column(procedure):
    header = "Codice fiscale;Cognome e nome;Data di nascita;Sesso;Unità produttiva"
    raw = csv_file("FMGCHR66A61G273Z;ROSSI MARIA;21/01/1966;F;U-DAL", header=header)

    result = import_workers(procedure, raw, filename="l.csv")

    assert [(e.line, e.column) for e in result.errors] == [(2, "Cognome e nome")]
    assert "Cognome and Nome" in result.errors[0].message


def test_an_empty_full_name_is_required(procedure):
    header = "Codice fiscale;Cognome e nome;Data di nascita;Sesso;Unità produttiva"
    raw = csv_file("FMGCHR66A61G273Z;;21/01/1966;F;U-DAL", header=header)

    result = import_workers(procedure, raw, filename="l.csv")

    assert [(e.line, e.column, e.message) for e in result.errors] == [
        (2, "Cognome e nome", "Required: this cell is empty.")
    ]


def test_without_any_name_column_both_are_asked_for(procedure):
    header = "Codice fiscale;Data di nascita;Sesso;Unità produttiva"
    raw = csv_file("FMGCHR66A61G273Z;21/01/1966;F;U-DAL", header=header)

    result = import_workers(procedure, raw, filename="l.csv")

    assert {e.message.split(" (")[0] for e in result.errors} == {
        "Missing column Cognome",
        "Missing column Nome",
    }
