"""The worker import maps citizenship and education to the reference data (issue #15): the usual
spellings to a country and a level; what it cannot map is warned on its line, the text kept."""

import datetime

import pytest
from django.utils import translation

from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from workers.importers import import_workers
from workers.models import Worker
from workers.reference import CitizenshipMatcher, education_level_of

pytestmark = pytest.mark.django_db

HEADER = (
    "Codice Fiscale;Cognome;Nome;Data di nascita;Sesso;Unità produttiva;Cittadinanza;"
    "Titolo di studio"
)
CHIARA = "FMGCHR66A61G273Z;FUMAGALLI;CHIARA;21/01/1966;F;U-DAL;{c};{e}"
MARIO = "RSSMRA80A01A794J;ROSSI;MARIO;01/01/1980;M;U-DAL;{c};{e}"


@pytest.fixture(autouse=True)
def english_messages():
    with translation.override("en"):
        yield


@pytest.fixture
def procedure():
    procedure = CrisisProcedureFactory(
        lead="BG", start_date=datetime.date(2025, 4, 1), end_date=datetime.date(2026, 3, 31)
    )
    ProductionUnitFactory(procedure=procedure, external_id="U-DAL", comune="Dalmine")
    return procedure


def csv_file(*rows: str) -> bytes:
    return "\r\n".join([HEADER, *rows]).encode("utf-8")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("ITALIANA", "100"),
        ("Italia", "100"),
        ("IT", "100"),
        ("ITA", "100"),
        ("italiano", "100"),
        ("100", "100"),
        ("Cittadinanza italiana", "100"),
        ("Romania", "235"),
        ("rumena", "235"),
        ("ROMENO", "235"),
        ("RO", "235"),
        ("235", "235"),
        ("Marocco", "436"),
        ("marocchina", "436"),
        ("MAR", "436"),
        ("Costa d'Avorio", "404"),
        ("Perù", "615"),
        ("peru", "615"),
        ("Sao Tomé e Principe", "448"),
    ],
)
def test_the_usual_spellings_of_a_citizenship_map_to_its_country(text, code):
    assert CitizenshipMatcher().match(text) == code


@pytest.mark.parametrize("text", ["", "Atlantide", "extracomunitario", "UE", "998"])
def test_what_names_no_country_maps_to_none(text):
    assert CitizenshipMatcher().match(text) is None


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("Licenza media", "licenza_media"),
        ("LICENZA ELEMENTARE", "nessuno"),
        ("qualifica professionale", "qualifica_professionale"),
        ("IeFP", "qualifica_professionale"),
        ("Diploma di maturità", "diploma"),
        ("IFTS", "ifts"),
        ("ITS Academy", "its"),
        ("Laurea triennale", "laurea_triennale"),
        ("laurea", "laurea_triennale"),
        ("Laurea magistrale", "laurea_magistrale"),
        ("Master", "laurea_magistrale"),
        ("Dottorato di ricerca", "dottorato"),
        ("ISCED 3", "diploma"),
        ("laurea_magistrale", "laurea_magistrale"),
    ],
)
def test_the_usual_spellings_of_an_education_map_to_its_level(text, level):
    assert education_level_of(text) == level


def test_the_import_stores_the_country_the_level_and_the_text_as_written(procedure):
    raw = csv_file(CHIARA.format(c="ITALIANA", e="Diploma"), MARIO.format(c="rumena", e="laurea"))

    result = import_workers(procedure, raw, filename="l.csv")

    assert result.ok and not result.warnings
    rows = Worker.objects.order_by("last_name").values_list(
        "citizenship", "citizenship_country_id", "education_level"
    )
    assert list(rows) == [("ITALIANA", "100", "diploma"), ("rumena", "235", "laurea_triennale")]


def test_what_cannot_be_mapped_is_warned_on_its_line_and_the_text_kept(procedure):
    raw = csv_file(
        CHIARA.format(c="Italia", e="scuola di vita"), MARIO.format(c="Atlantide", e="media")
    )

    preview = import_workers(procedure, raw, filename="l.csv", dry_run=True)

    assert preview.ok
    warned = [(w.line, w.column) for w in preview.warnings]
    assert warned == [(2, "Titolo di studio"), (3, "Cittadinanza")]
    assert "'scuola di vita'" in preview.warnings[0].message
    assert "'Atlantide'" in preview.warnings[1].message

    import_workers(procedure, raw, filename="l.csv")
    rows = Worker.objects.order_by("last_name").values_list(
        "citizenship", "citizenship_country_id", "education_level"
    )
    assert list(rows) == [("Italia", "100", ""), ("Atlantide", None, "licenza_media")]


def test_a_stored_worker_gets_the_country_and_level_only_where_blank(procedure):
    import_workers(procedure, csv_file(CHIARA.format(c="", e="")), filename="l.csv")
    worker = Worker.objects.get()
    assert (worker.citizenship_country_id, worker.education_level) == (None, "")

    result = import_workers(
        procedure, csv_file(CHIARA.format(c="Romania", e="Diploma")), filename="l.csv"
    )

    worker.refresh_from_db()
    assert (worker.citizenship_country_id, worker.education_level) == ("235", "diploma")
    assert set(result.changes[0].changed_fields) >= {"citizenship_country", "education_level"}
