"""Income-support lists in (issue #16 item 2): import profiles, data the admin adds, and the
import that finds the procedure by the company's tax code and the list's period.

The files are the samples in docs/samples/income-support/ (the company's list sent with the
CIGS application, an INPS extract) and lists written here in an admin-added profile's format.
"""

import datetime
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from tests.cases.factories import CompanyFactory, CrisisProcedureFactory, ProductionUnitFactory
from tests.workers.factories import WorkerFactory
from workers.importers import import_workers
from workers.income_support import import_income_support
from workers.models import ImportProfile, Involvement, Worker

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_pages(client):
    """The pages in English, whatever the portal's default language: the tests read their
    words."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples" / "income-support"
COMPANY_LIST = SAMPLES / "lista_azienda_cigs.csv"
INPS_EXTRACT = SAMPLES / "estratto_inps_cigs.csv"
COMPANY = "55952410151"  # the demo's Trafileria Crippa S.r.l. (DEMO-2026-0005)
UNIT = "Stabilimento di Abbiategrasso"
INPS_HEADER = (
    "Matricola INPS;Codice fiscale azienda;Codice fiscale lavoratore;Unità produttiva;"
    "Periodo dal;Periodo al;Percentuale riduzione"
)
# Not in the samples: a worker the portal does not know yet.
NEWCOMER = "RSSMRA80A01F205X"


@pytest.fixture(autouse=True)
def english_messages():
    with translation.override("en"):
        yield


@pytest.fixture
def procedure():
    procedure = CrisisProcedureFactory(
        lead="MI",
        company=CompanyFactory(tax_code=COMPANY, name="Trafileria Crippa S.r.l."),
        start_date=datetime.date(2026, 5, 5),
        end_date=datetime.date(2027, 8, 4),
    )
    ProductionUnitFactory(
        procedure=procedure, name=UNIT, comune="Abbiategrasso", workers_involved=10
    )
    return procedure


def profile(slug: str) -> ImportProfile:
    return ImportProfile.objects.get(slug=slug)


def company_list() -> ImportProfile:
    return profile("lista-azienda-cigs")


def inps() -> ImportProfile:
    return profile("estratto-inps-cigs")


def income_support(raw: bytes, chosen: ImportProfile, user=None, **kwargs):
    return import_income_support(raw, filename="lista.csv", profile=chosen, user=user, **kwargs)


def inps_csv(*rows: str) -> bytes:
    return "\r\n".join([INPS_HEADER, *rows]).encode()


def inps_row(code: str, hours: str = "50,00", company: str = COMPANY, start="2026-06-01") -> str:
    return f"4907213655;{company};{code};{UNIT};{start};2027-05-31;{hours}"


def state(procedure) -> set[tuple]:
    return set(
        Involvement.objects.filter(procedure=procedure).values_list(
            "worker__fiscal_code",
            "worker__last_name",
            "income_support",
            "hours_reduction_pct",
            "period_start",
            "period_end",
            "unit__name",
        )
    )


def errors(result) -> list[tuple]:
    return [(e.line, e.column, e.message) for e in result.errors]


# --- The seeded profiles ---------------------------------------------------------------------


def test_the_two_seeded_profiles_name_their_source_and_are_valid():
    for chosen in (company_list(), inps()):
        chosen.full_clean()
        assert chosen.is_active and chosen.source
    assert company_list().source_kind == "company_list"
    assert "D.Lgs. 148/2015" in company_list().source
    assert inps().source_kind == "inps_extract" and "UniEmens" in inps().source
    assert inps().income_support == "cigs"


def test_the_companys_list_finds_its_procedure_and_takes_the_workers_in_charge(procedure):
    result = income_support(COMPANY_LIST.read_bytes(), company_list())

    assert result.ok and result.applied, errors(result)
    assert result.procedure == procedure
    assert result.summary()["create"] == 6 and result.summary()["new_workers"] == 6
    bianchi = Worker.objects.get(fiscal_code="BNCMRT71D52A010R")
    assert (bianchi.last_name, bianchi.first_name, bianchi.sex) == ("Bianchi", "Marta", "F")
    assert bianchi.birth_date == datetime.date(1971, 4, 12)
    assert ("BNCMRT71D52A010R", "Bianchi", "cigs", 100, datetime.date(2026, 6, 1),
            datetime.date(2027, 5, 31), UNIT) in state(procedure)  # fmt: skip
    assert dict(result.mapping)["Codice fiscale azienda"] == "company_tax_code"


def test_the_inps_extract_updates_the_support_of_the_workers_known(procedure):
    income_support(COMPANY_LIST.read_bytes(), company_list())
    before = {row[0]: row for row in state(procedure)}

    result = income_support(INPS_EXTRACT.read_bytes(), inps())

    assert result.ok and result.applied, errors(result)
    assert result.summary() | {"rows": 6} == {
        "rows": 6,
        "create": 0,
        "update": 2,
        "unchanged": 4,
        "new_workers": 0,
        "new_cohorts": 0,
        "errors": 0,
    }
    after = {row[0]: row for row in state(procedure)}
    assert after["CLMDVD68S03E801L"][3] == 80 and before["CLMDVD68S03E801L"][3] == 100
    assert after["BRBLSE90P48A010Q"][3] == 60
    assert {code: row[1] for code, row in after.items()} == {
        code: row[1] for code, row in before.items()
    }  # names untouched: the extract has none
    assert "Matricola INPS" in result.ignored_columns


def test_the_same_file_twice_changes_nothing(procedure):
    for path, chosen in ((COMPANY_LIST, company_list()), (INPS_EXTRACT, inps())):
        income_support(path.read_bytes(), chosen)
        snapshot = state(procedure), Worker.history.count(), Involvement.history.count()

        again = income_support(path.read_bytes(), chosen)

        assert again.ok and again.summary()["unchanged"] == 6
        assert (state(procedure), Worker.history.count(), Involvement.history.count()) == snapshot


def test_a_known_worker_from_another_procedure_joins_this_one_from_the_extract(procedure):
    WorkerFactory(fiscal_code=NEWCOMER, last_name="Rossi", first_name="Mario")

    result = income_support(inps_csv(inps_row(NEWCOMER)), inps())

    assert result.ok and result.summary()["create"] == 1, errors(result)
    assert (NEWCOMER, "Rossi", "cigs", 50) in {row[:4] for row in state(procedure)}


def test_a_worker_not_yet_in_the_portal_without_names_is_refused_on_their_line(procedure):
    income_support(COMPANY_LIST.read_bytes(), company_list())
    snapshot = state(procedure)

    result = income_support(
        inps_csv(inps_row("BNCMRT71D52A010R", "30,00"), inps_row(NEWCOMER)), inps()
    )

    assert not result.applied
    assert errors(result) == [
        (
            3,
            "Codice fiscale lavoratore",
            "No worker of yours has this fiscal code and the list gives no last and first "
            "name: import the company's list (with names) first, or add them.",
        )
    ]
    assert state(procedure) == snapshot and not Worker.objects.filter(fiscal_code=NEWCOMER)


# --- Finding the procedure -------------------------------------------------------------------


def test_several_companies_in_one_list_is_an_error_naming_the_line(procedure):
    other = CompanyFactory().tax_code

    result = income_support(
        inps_csv(inps_row(NEWCOMER), inps_row("BNCMRT71D52A010R", company=other)), inps()
    )

    assert errors(result) == [
        (
            3,
            "Codice fiscale azienda",
            f"The list is about company {COMPANY} (line 2); this row names {other}: one "
            "company per list.",
        )
    ]


def test_a_company_with_no_procedure_and_one_out_of_scope_answer_alike(
    procedure, staff_bg, staff_mi
):
    # MI's staff see the procedure; BG's do not: to them it is a company with no procedure.
    nowhere = CompanyFactory().tax_code
    raw = COMPANY_LIST.read_bytes()

    out_of_scope = income_support(raw, company_list(), user=staff_bg, dry_run=True)
    missing = income_support(
        raw.replace(COMPANY.encode(), nowhere.encode()), company_list(), user=staff_mi
    )

    assert out_of_scope.procedure is None and missing.procedure is None
    assert [(e.line, e.column, e.message.replace(COMPANY, "X")) for e in out_of_scope.errors] == [
        (e.line, e.column, e.message.replace(nowhere, "X")) for e in missing.errors
    ]
    assert errors(out_of_scope) == [
        (
            2,
            "Codice fiscale azienda",
            f"No procedure of company {COMPANY} has income support from 01/06/2026 to 31/05/2027.",
        )
    ]
    mine = income_support(raw, company_list(), user=staff_mi, dry_run=True)
    assert mine.ok and mine.procedure == procedure and not mine.applied


def test_the_period_picks_the_procedure_among_the_companys(procedure):
    later = CrisisProcedureFactory(
        lead="MI",
        company=procedure.company,
        start_date=datetime.date(2027, 9, 1),
        end_date=datetime.date(2028, 8, 31),
    )
    ProductionUnitFactory(procedure=later, name=UNIT, comune="Abbiategrasso")

    assert income_support(COMPANY_LIST.read_bytes(), company_list()).procedure == procedure
    result = income_support(
        inps_csv(inps_row(NEWCOMER, start="2027-06-01").replace("2027-05-31", "2027-12-31")),
        inps(),
    )
    assert result.procedure is None
    assert errors(result)[0][2].startswith(
        f"Several procedures of company {COMPANY} have income support from 01/06/2027 to "
        f"31/12/2027 ({procedure.external_id}, {later.external_id})"
    )


def test_from_the_procedures_page_the_company_must_be_the_procedures(procedure):
    other = CrisisProcedureFactory(lead="MI")
    ProductionUnitFactory(procedure=other, name=UNIT, comune="Abbiategrasso")

    result = import_workers(
        other, COMPANY_LIST.read_bytes(), filename="lista.csv", profile=company_list()
    )

    assert not result.ok and len(result.errors) == 6
    assert result.errors[0].column == "Codice fiscale azienda"
    assert result.errors[0].message == (
        f"{COMPANY} is not the tax code of the company of procedure {other.external_id} "
        f"({other.company.tax_code})."
    )


def test_a_list_without_the_companys_column_cannot_find_its_procedure(procedure):
    raw = Path(__file__).resolve().parents[1].joinpath("data", "lista_lavoratori_sample.csv")

    result = income_support(raw.read_bytes(), company_list())

    assert result.procedure is None
    assert "no column for the company's tax code (Codice fiscale azienda)" in errors(result)[0][2]
    # From the procedure's page the same list imports with the profile (the column is optional).
    bergamo = CrisisProcedureFactory(lead="BG")
    ProductionUnitFactory(procedure=bergamo, name="Stabilimento di Dalmine", comune="Dalmine")
    ProductionUnitFactory(procedure=bergamo, name="Sede di Treviglio", comune="Treviglio")
    done = import_workers(bergamo, raw.read_bytes(), filename="l.csv", profile=company_list())
    rows = len(raw.read_bytes().strip().splitlines()) - 1
    assert done.ok and done.summary()["create"] == rows, errors(done)


# --- A profile the admin adds: data, no code ---------------------------------------------------


PAYROLL = {
    "name": "Export paghe Studio Rossi",
    "slug": "paghe-studio-rossi",
    "source_kind": "other",
    "source": "The payroll office's export",
    "columns": {
        "fiscal_code": "CF dipendente",
        "full_name": "Dipendente",
        "unit": "Reparto",
        "hours_reduction_pct": "Quota riduzione",
        "period_start": "Inizio sosp.",
        "period_end": "Fine sosp.",
    },
    "date_formats": "dd.mm.yyyy",
    "decimal_separator": ",",
    "delimiter": "|",
    "encoding": "cp1252",
    "hours_format": "fraction",
    "income_support": "solidarieta",
}


def admin_profile(**changes) -> ImportProfile:
    chosen = ImportProfile(**{**PAYROLL, **changes})
    chosen.full_clean()
    chosen.save()
    return chosen


def test_a_profile_added_as_data_imports_a_list_in_its_own_format(procedure):
    chosen = admin_profile()
    raw = (
        "CF dipendente|Dipendente|Reparto|Quota riduzione|Inizio sosp.|Fine sosp.\r\n"
        f"GLLSRA85B67F205W|GALLI SARA|{UNIT}|0,3|01.06.2026|31.05.2027\r\n"
        f"FNTGRG63A15H264Q|FONTANA GIORGIO|Abbiategrasso|1|01.06.2026|31.05.2027\r\n"
    ).encode("cp1252")

    result = import_workers(procedure, raw, filename="paghe.txt", profile=chosen)

    assert result.ok and result.applied, errors(result)
    assert result.delimiter == "|" and result.encoding == "cp1252" and result.profile == chosen.slug
    assert {row[:6] for row in state(procedure)} == {
        ("GLLSRA85B67F205W", "Galli", "solidarieta", 30, datetime.date(2026, 6, 1),
         datetime.date(2027, 5, 31)),
        ("FNTGRG63A15H264Q", "Fontana", "solidarieta", 100, datetime.date(2026, 6, 1),
         datetime.date(2027, 5, 31)),
    }  # fmt: skip
    # Birth date and sex come from the fiscal code when the list has no such column.
    galli = Worker.objects.get(fiscal_code="GLLSRA85B67F205W")
    assert (galli.birth_date, galli.sex) == (datetime.date(1985, 2, 27), "F")


def test_with_a_profile_the_synonyms_no_longer_map_a_header(procedure):
    result = import_workers(
        procedure,
        b"CF;Dipendente;Reparto;Quota riduzione;Inizio sosp.;Fine sosp.\n",
        filename="x.csv",
        profile=admin_profile(delimiter=";", encoding=""),
    )

    assert not result.ok
    assert "Missing column CF dipendente (fiscal code)" in errors(result)[0][2]


@pytest.mark.parametrize(
    ("hours_format", "decimal", "cell", "expected"),
    [
        ("percent", ",", "30,00", 30),
        ("percent", ",", "30%", 30),
        ("percent", ".", "45.0", 45),
        ("fraction", ",", "0,3", 30),
        ("fraction", ".", "0.55", 55),
        ("fraction", ",", "1", 100),
        ("fraction", ",", "30%", 30),
        ("percent", ",", "30,5", "'30,5' is not a whole percentage"),
        ("percent", ".", "30,0", "'30,0' is not a percentage"),
        ("fraction", ",", "0.3", "'0.3' is not a fraction"),
        ("fraction", ",", "1,5", "1,5 is not between 0 and 100"),
    ],
)
def test_hours_are_read_as_the_profile_writes_them(
    procedure, hours_format, decimal, cell, expected
):
    chosen = admin_profile(
        hours_format=hours_format, decimal_separator=decimal, delimiter=";", encoding=""
    )
    raw = (
        "CF dipendente;Dipendente;Reparto;Quota riduzione;Inizio sosp.;Fine sosp.\n"
        f"GLLSRA85B67F205W;GALLI SARA;{UNIT};{cell};01.06.2026;31.05.2027\n"
    ).encode()

    result = import_workers(procedure, raw, filename="x.csv", profile=chosen, dry_run=True)

    if isinstance(expected, int):
        assert result.ok, errors(result)
        assert Involvement.objects.count() == 0
        applied = import_workers(procedure, raw, filename="x.csv", profile=chosen)
        assert Involvement.objects.get().hours_reduction_pct == expected, errors(applied)
    else:
        assert [(e.line, e.column) for e in result.errors] == [(2, "Quota riduzione")]
        assert result.errors[0].message.startswith(expected)


def test_dates_not_in_the_profiles_format_are_errors_naming_it(procedure):
    chosen = admin_profile(delimiter=";", encoding="", date_formats="dd.mm.yyyy, yyyymmdd")
    raw = (
        "CF dipendente;Dipendente;Reparto;Quota riduzione;Inizio sosp.;Fine sosp.\n"
        f"GLLSRA85B67F205W;GALLI SARA;{UNIT};0,3;20260601;01/06/2027\n"
    ).encode()

    result = import_workers(procedure, raw, filename="x.csv", profile=chosen)

    assert errors(result) == [
        (
            2,
            "Fine sosp.",
            "'01/06/2027' is not a date in this list's format: write dd.mm.yyyy or yyyymmdd.",
        )
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"columns": {**PAYROLL["columns"], "salary": "Stipendio"}}, "columns",
         "'salary' is not a field of the importer"),
        ({"columns": {**PAYROLL["columns"], "unit": "CF dipendente"}}, "columns",
         "Header 'CF dipendente' is given for both 'fiscal_code' and 'unit'."),
        ({"columns": {**PAYROLL["columns"], "unit": "cf  DIPENDENTE"}}, "columns",
         "is given for both"),
        ({"columns": {"unit": "Reparto"}}, "columns",
         "Name the column of field 'fiscal_code'"),
        ({"columns": ["Codice fiscale"]}, "columns", "Write the columns as an object"),
        ({"columns": {**PAYROLL["columns"], "last_name": "Cognome"}}, "columns",
         "Map either 'full_name' or 'last_name' and 'first_name', not both."),
        ({"columns": {**PAYROLL["columns"], "income_support": "Tipo"}}, "income_support",
         "leave this empty"),
        ({"date_formats": "dd/mm/yyyy, mm/dd/yyyy"}, "date_formats",
         "'mm/dd/yyyy' is not a date format we read"),
        ({"date_formats": " , "}, "date_formats", "Name at least one date format."),
        ({"delimiter": ",", "decimal_separator": ","}, "decimal_separator",
         "cannot be the CSV delimiter"),
        ({"delimiter": "#"}, "delimiter", ""),
        ({"hours_format": "per mille"}, "hours_format", ""),
    ],
)  # fmt: skip
def test_a_profile_the_importer_could_not_follow_is_refused_naming_the_field(
    changes, field, message
):
    with pytest.raises(ValidationError) as refused:
        ImportProfile(**{**PAYROLL, **changes}).full_clean()

    assert field in refused.value.message_dict
    assert any(message in m for m in refused.value.message_dict[field])


def test_the_admin_adds_a_profile_with_a_form_and_sees_errors_by_field(client, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:workers_importprofile_add")
    data = {
        **PAYROLL,
        "columns": '{"fiscal_code": "CF", "unit": "CF"}',
        "date_formats": "dd/mm/yyyy",
        "is_active": "on",
    }

    refused = client.post(url, data)

    assert refused.status_code == 200
    assert "is given for both" in refused.content.decode()
    done = client.post(url, {**data, "columns": '{"fiscal_code": "CF", "unit": "Sede"}'})
    assert done.status_code == 302
    assert ImportProfile.objects.get(slug=PAYROLL["slug"]).columns == {
        "fiscal_code": "CF",
        "unit": "Sede",
    }


# --- Pages, commands -------------------------------------------------------------------------


def test_the_page_finds_the_procedure_previews_and_imports_on_confirmation(
    client, staff_mi, procedure
):
    client.force_login(staff_mi)
    url = reverse("workers:income_support_import")
    assert "estratto-inps-cigs" in client.get(url).content.decode()
    upload = SimpleUploadedFile("lista.csv", COMPANY_LIST.read_bytes(), "text/csv")

    preview = client.post(url, {"file": upload, "profile": "lista-azienda-cigs"})

    assert preview.status_code == 200, preview.context["result"].errors
    assert preview.context["result"].procedure == procedure
    assert procedure.external_id in preview.content.decode()
    assert Involvement.objects.count() == 0
    # The format travels with the kept file: another one does not confirm it.
    token = preview.context["token"]
    assert client.post(url, {"token": token, "profile": "estratto-inps-cigs"}).status_code == 404
    preview = client.post(
        url,
        {
            "file": SimpleUploadedFile("lista.csv", COMPANY_LIST.read_bytes()),
            "profile": "lista-azienda-cigs",
        },
    )
    done = client.post(url, {"token": preview.context["token"], "profile": "lista-azienda-cigs"})
    assert done.status_code == 302
    assert done.url == reverse("workers:procedure_workers", args=[procedure.pk])
    assert Involvement.objects.filter(procedure=procedure).count() == 6


def test_the_page_answers_an_out_of_scope_company_as_one_with_no_procedure(
    client, staff_bg, procedure
):
    client.force_login(staff_bg)
    upload = SimpleUploadedFile("lista.csv", COMPANY_LIST.read_bytes(), "text/csv")

    refused = client.post(
        reverse("workers:income_support_import"),
        {"file": upload, "profile": "lista-azienda-cigs"},
    )

    assert refused.status_code == 422
    assert f"No procedure of company {COMPANY}" in refused.content.decode()
    assert procedure.external_id not in refused.content.decode()


def test_the_page_refuses_an_unknown_or_retired_format_naming_it(client, staff_mi, procedure):
    client.force_login(staff_mi)
    retired = admin_profile(is_active=False)
    for slug in ("nessuno", retired.slug, ""):
        upload = SimpleUploadedFile("lista.csv", COMPANY_LIST.read_bytes(), "text/csv")
        refused = client.post(
            reverse("workers:income_support_import"), {"file": upload, "profile": slug}
        )
        assert refused.status_code == 422 and "profile" in refused.context["form"].errors


def test_the_worker_import_page_takes_a_format(client, staff_mi, procedure):
    client.force_login(staff_mi)
    url = reverse("workers:worker_import", args=[procedure.pk])
    page = client.get(url).content.decode()
    assert 'name="profile"' in page and "Columns recognised by their names" in page
    income_support(COMPANY_LIST.read_bytes(), company_list())
    upload = SimpleUploadedFile("inps.csv", INPS_EXTRACT.read_bytes(), "text/csv")

    preview = client.post(url, {"file": upload, "profile": "estratto-inps-cigs"})

    assert preview.status_code == 200, preview.context["result"].errors
    assert preview.context["result"].summary()["update"] == 2
    assert 'name="profile" value="estratto-inps-cigs"' in preview.content.decode()
    done = client.post(url, {"token": preview.context["token"], "profile": "estratto-inps-cigs"})
    assert done.status_code == 302
    assert Involvement.objects.get(worker__fiscal_code="CLMDVD68S03E801L").hours_reduction_pct == 80
    # Without a format the extract's headers are not a worker list's.
    upload = SimpleUploadedFile("inps.csv", INPS_EXTRACT.read_bytes(), "text/csv")
    assert client.post(url, {"file": upload}).status_code == 422


def test_the_commands_take_a_profile(procedure, capsys):
    call_command("import_income_support", str(COMPANY_LIST), "--profile", "lista-azienda-cigs")
    assert Involvement.objects.filter(procedure=procedure).count() == 6
    call_command(
        "import_workers", procedure.external_id, str(INPS_EXTRACT), "--profile",
        "estratto-inps-cigs",
    )  # fmt: skip
    out = capsys.readouterr().out
    assert f"Procedure: {procedure.external_id}" in out and "2 updated" in out
    with pytest.raises(CommandError, match="No import profile nessuno"):
        call_command(
            "import_workers", procedure.external_id, str(COMPANY_LIST), "--profile=nessuno"
        )
    with pytest.raises(CommandError, match="problems found"):
        call_command("import_income_support", str(INPS_EXTRACT), "--profile=lista-azienda-cigs")


# --- The API: POST /api/v1/workers/import/ takes a profile -------------------------------------


def test_the_api_import_takes_a_profile_by_code(procedure, staff_mi, api_client_for):
    client = api_client_for(staff_mi)

    def post(path: Path, **extra):
        upload = SimpleUploadedFile(path.name, path.read_bytes(), "text/csv")
        return client.post(
            "/api/v1/workers/import/",
            {"procedure": procedure.pk, "file": upload, **extra},
            format="multipart",
        )

    assert post(COMPANY_LIST, profile="lista-azienda-cigs").status_code == 200
    response = post(INPS_EXTRACT, profile="estratto-inps-cigs")
    assert response.status_code == 200, response.json()
    assert response.json()["summary"]["update"] == 2
    # Without the profile the extract's headers are not a worker list's.
    assert post(INPS_EXTRACT).status_code == 422


@pytest.mark.parametrize("value", ["nessuno", "x" * 60, "estratto inps", "\u00e8", "x" * 61])
def test_the_api_refuses_an_unknown_profile_naming_it(value, procedure, staff_mi, api_client_for):
    admin_profile(is_active=False)
    for slug in (value, PAYROLL["slug"]):
        response = api_client_for(staff_mi).post(
            "/api/v1/workers/import/",
            {
                "procedure": procedure.pk,
                "file": SimpleUploadedFile("l.csv", COMPANY_LIST.read_bytes()),
                "profile": slug,
            },
            format="multipart",
        )
        # The project's answer to a request body it refuses (crisi_portal.problems): 422.
        assert response.status_code == 422, response.json()
        assert [error["field"] for error in response.json()["errors"]] == ["profile"]
    assert Involvement.objects.count() == 0
