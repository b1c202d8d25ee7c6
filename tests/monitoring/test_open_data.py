"""Open data (issue #16 item 4): figures, suppression, versions, public URLs, DCAT-AP_IT."""

import csv
import datetime
import io
import json

import pytest
from defusedxml import ElementTree
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cases.enums import Family
from monitoring import services
from monitoring.dcat import NS
from monitoring.enums import OpenDataset, ReportFormat, ReportKind, Trigger
from monitoring.models import OpenDataRelease
from monitoring.open_data import COLUMNS, suppress_grid
from monitoring.pal_report import pal_monitoring
from monitoring.periods import Period
from monitoring.reports import annual, quarterly
from tests.monitoring.builders import procedure, unit

pytestmark = pytest.mark.django_db

D = datetime.date
YEAR = Period.parse(ReportKind.ANNUAL, "2025")
Q3 = Period.parse(ReportKind.QUARTERLY, "2025-Q3")
ANNUAL = OpenDataset.ANNUAL_PROVINCES.value


@pytest.fixture(autouse=True)
def min_cell(settings):
    settings.PAL_REPORT_MIN_CELL = 5
    settings.PORTAL_BASE_URL = "https://crisi.example.it"


@pytest.fixture
def units(db):
    """Procedures opened in 2025: BG ministerial CIGS 40 workers, BG regional CIGS 3 (a small
    cell), MI regional CIGS 7, MI ministerial 100, MI collective dismissal 60."""
    opened = D(2025, 3, 10)
    figures = [
        ("BG", Family.CIGS_MINISTERIALE, 40),
        ("BG", Family.CIGS_REGIONALE, 3),
        ("MI", Family.CIGS_REGIONALE, 7),
        ("MI", Family.CIGS_MINISTERIALE, 100),
        ("MI", Family.LICENZIAMENTO_COLLETTIVO, 60),
    ]
    made = {}
    for province, family, workers in figures:
        proc = procedure(lead=province, family=family, opened_on=opened)
        made[(province, family)] = unit(proc, province=province, workers=workers)
    return made


def rows_of(release: OpenDataRelease) -> list[dict]:
    return list(csv.DictReader(io.StringIO(release.csv)))


def cell(rows, territory, category, measure, dimension=None) -> dict:
    found = [
        r
        for r in rows
        if r["territory"] == territory
        and r["category"] == category
        and r["measure"] == measure
        and (dimension is None or r["dimension"] == dimension)
    ]
    assert len(found) == 1, (territory, category, measure)
    return found[0]


# --- The figures and their suppression ------------------------------------------------------------


def test_the_annual_figures_are_the_reports_and_a_cell_of_3_is_withheld_with_its_secondaries(
    units,
):
    release, created = services.open_data_publish(ANNUAL, "2025")
    assert created and release.version == 1
    rows = rows_of(release)
    assert list(rows[0]) == list(COLUMNS)
    report = annual(YEAR)
    by_province = {row["province"]: row for row in report["rows"]}
    shown = withheld = 0
    for row in rows:
        if row["dimension"] != "family":
            continue
        source = (
            report["total"][row["category"]]
            if row["territory"] == "LOM"
            else by_province[row["territory"]][row["category"]]
        )
        if row["suppressed"] == "true":
            assert row["value"] == ""
            withheld += 1
        else:
            assert int(row["value"]) == source[row["measure"]]
            shown += 1
    assert shown and withheld
    # The primary cell: BG regional CIGS, 3 workers (and its one unit).
    bg_regional = cell(rows, "BG", Family.CIGS_REGIONALE, "workers")
    assert bg_regional["value"] == "" and bg_regional["suppressed"] == "true"
    # Its column (regional CIGS workers add up to the regional total): MI's 7 goes too.
    assert cell(rows, "MI", Family.CIGS_REGIONALE, "workers")["suppressed"] == "true"
    # Its row (BG's families add up to BG's workers): the next smallest, BG ministerial's 40.
    assert cell(rows, "BG", Family.CIGS_MINISTERIALE, "workers")["suppressed"] == "true"
    # Shown: the regional totals and the zeros.
    assert cell(rows, "LOM", Family.CIGS_MINISTERIALE, "workers")["value"] == "140"
    assert cell(rows, "CO", Family.CIGS_MINISTERIALE, "workers")["value"] == "0"
    # No column or row of workers has a single withheld cell left to give away.
    families = list(Family.values)
    for family in families:
        column = [r for r in rows if r["category"] == family and r["measure"] == "workers"]
        assert sum(r["suppressed"] == "true" for r in column if r["territory"] != "LOM") != 1
    assert release.suppressed_cells == sum(r["suppressed"] == "true" for r in rows)
    payload = json.loads(release.json)
    assert payload["suppression"]["min_cell"] == 5
    json_bg = [
        r
        for r in payload["rows"]
        if r["territory"] == "BG"
        and r["category"] == Family.CIGS_REGIONALE
        and r["measure"] == "workers"
    ]
    assert json_bg == [{**json_bg[0], "value": None, "suppressed": True}]


def test_suppress_grid_withholds_across_rows_and_down_columns():
    rows = [
        {"a": 3, "b": 40, "t": 43},
        {"a": 7, "b": 100, "t": 107},
        {"a": 10, "b": 140, "t": 150},  # the totals
    ]
    withheld = suppress_grid(rows, ["a", "b", "t"], ["a", "b", "t"], 5)
    assert rows[0]["a"] is None and rows[1]["a"] is None  # primary, then down the column
    assert rows[0]["b"] is None and rows[1]["b"] is None  # across the row, then down
    assert rows[2] == {"a": 10, "b": 140, "t": 150, "suppressed": []}
    assert withheld == 4


def test_the_quarterly_pal_table_is_the_reports_with_small_counts_withheld(world):
    release, _ = services.open_data_publish(OpenDataset.PAL_STEPS_QUARTERLY, "2025-Q3")
    rows = rows_of(release)
    report = quarterly(Q3)
    # The region: 3 + 2 + 1 ... every regional step count is what the report says, or withheld.
    for step, count in report["total"]["steps"].items():
        row = cell(rows, "LOM", step, "workers", "step")
        if 0 < count < 5:
            assert row["value"] == "" and row["suppressed"] == "true"
        else:
            assert row["value"] == str(count) and row["suppressed"] == "false"
    total = cell(rows, "LOM", "all", "workers")
    assert total["value"] == str(report["total"]["workers"])


def test_the_pal_outcomes_are_the_regional_reports_suppressed_as_a_provinces_document(world):
    quarter, _ = services.open_data_publish(OpenDataset.PAL_OUTCOMES_QUARTERLY, "2025-Q3")
    year, _ = services.open_data_publish(OpenDataset.PAL_OUTCOMES_ANNUAL, "2025")
    data = pal_monitoring(Period.parse(ReportKind.PAL_MONITORING, "2025-Q3"))
    assert data["min_cell"] is None  # the Region's own document is not suppressed ...
    rows = rows_of(quarter)
    funnel = {stage["stage"]: stage for stage in data["funnel"]}
    for stage, figures in funnel.items():
        row = cell(rows, "LOM", stage, "count", "stage")
        if 0 < figures["count"] < 5:  # ... its open data is
            assert (row["value"], row["suppressed"]) == ("", "true")
        else:
            assert row["value"] == str(figures["count"])
    assert cell(rows, "LOM", "taken_in_charge", "count", "stage")["value"] == "8"
    reemployed = cell(rows, "LOM", "reemployed", "count", "stage")
    assert funnel["reemployed"]["count"] == 2 and reemployed["suppressed"] == "true"
    # The operators' breakdown is not published; the provinces' is.
    assert not [r for r in rows if r["dimension"] == "operator"]
    assert [r for r in rows if r["dimension"] == "province"]
    assert rows_of(year)[0]["period"] == "2025"


def test_no_personal_data_and_no_company_in_any_dataset(world, units):
    from cases.models import Company
    from workers.models import Worker

    for slug, period in [
        (ANNUAL, "2025"),
        (OpenDataset.PAL_STEPS_QUARTERLY, "2025-Q3"),
        (OpenDataset.PAL_OUTCOMES_QUARTERLY, "2025-Q3"),
        (OpenDataset.PAL_OUTCOMES_ANNUAL, "2025"),
    ]:
        release, _ = services.open_data_publish(slug, period)
        text = release.csv + release.json
        for worker in Worker.objects.all():
            assert worker.fiscal_code not in text
            assert worker.last_name not in text
        for company in Company.objects.all():
            assert company.tax_code not in text
            assert company.name not in text
        assert set(rows_of(release)[0]) == set(COLUMNS)


# --- Versions ----------------------------------------------------------------------------------


def test_the_same_figures_are_the_same_version_and_a_changed_one_is_the_next(units):
    first, created = services.open_data_publish(ANNUAL, "2025")
    again, created_again = services.open_data_publish(ANNUAL, "2025")
    assert created and not created_again and again.pk == first.pk
    # Five new procedures of 10 workers each: every figure that moves, moves by 5 or more.
    for _ in range(5):
        unit(procedure(lead="BG", opened_on=D(2025, 6, 1)), workers=10)
    second, created = services.open_data_publish(ANNUAL, "2025")
    assert created and second.version == 2 and second.csv_sha256 != first.csv_sha256
    client = Client()
    old = client.get(
        reverse("open_data:release_csv", kwargs={"dataset": ANNUAL, "period": "2025", "version": 1})
    )
    assert old.content.decode() == first.csv
    latest = client.get(
        reverse("open_data:latest_csv", kwargs={"dataset": ANNUAL, "period": "2025"})
    )
    assert latest.content.decode() == second.csv and latest["X-Open-Data-Version"] == "2"


def test_a_new_version_that_would_reveal_a_small_group_is_refused(units):
    first, _ = services.open_data_publish(ANNUAL, "2025")
    # One more procedure of 3 workers: v2 minus v1 would count them in BG's cells.
    unit(procedure(lead="BG", opened_on=D(2025, 6, 1)), workers=3)
    with translation.override("en"), pytest.raises(services.OpenDataWithheld) as refused:
        services.open_data_publish(ANNUAL, "2025")
    assert "moved by less than 5 since version 1" in refused.value.message
    assert "LOM/" in refused.value.message or "BG/" in refused.value.message
    assert list(OpenDataRelease.objects.filter(dataset=ANNUAL).values_list("pk", flat=True)) == [
        first.pk
    ]


def test_a_period_not_over_is_not_published(units):
    with translation.override("en"), pytest.raises(services.OpenDataWithheld) as refused:
        services.open_data_publish(ANNUAL, "2025", today=D(2025, 12, 31))
    assert "2025 is not over yet" in refused.value.message
    assert not OpenDataRelease.objects.exists()
    release, created = services.open_data_publish(ANNUAL, "2025", today=D(2026, 1, 1))
    assert created and release.version == 1


def test_a_region_scope_run_publishes_and_a_province_run_does_not(
    units, world, django_capture_on_commit_callbacks
):
    def run(kind, period, province=None, fmt=ReportFormat.JSON):
        with django_capture_on_commit_callbacks(execute=True):
            made = services.report_run_request(
                kind=kind, period=period, fmt=fmt, province=province, trigger=Trigger.SCHEDULE
            )
        made.refresh_from_db()
        return made

    regional = run(ReportKind.ANNUAL, "2025")
    release = OpenDataRelease.objects.get(dataset=ANNUAL, period="2025")
    assert release.report_run == regional and release.version == 1
    # Another format of the same figures: the same version.
    run(ReportKind.ANNUAL, "2025", fmt=ReportFormat.CSV)
    assert OpenDataRelease.objects.filter(dataset=ANNUAL).count() == 1
    run(ReportKind.PAL_MONITORING, "2025-Q3", province="BG")
    assert not OpenDataRelease.objects.filter(dataset=OpenDataset.PAL_OUTCOMES_QUARTERLY).exists()
    run(ReportKind.PAL_MONITORING, "2025-Q3")
    assert OpenDataRelease.objects.filter(dataset=OpenDataset.PAL_OUTCOMES_QUARTERLY).exists()
    # The bimonthly report lists procedures and companies: it feeds no dataset.
    run(ReportKind.BIMONTHLY, "2025-B3")
    assert OpenDataRelease.objects.count() == 2


def test_the_command_publishes_every_period_a_regional_run_succeeded_for(units, world):
    out = io.StringIO()
    call_command("publish_open_data", stdout=out)
    assert "no Region-scope report run" in out.getvalue()
    call_command("publish_open_data", "--dataset", ANNUAL, "--period", "2025", stdout=out)
    assert "annual-provinces 2025: v1 published" in out.getvalue()
    out = io.StringIO()
    call_command("publish_open_data", "--dataset", ANNUAL, "--period", "2025", stdout=out)
    assert "v1 unchanged" in out.getvalue()


# --- Public URLs -------------------------------------------------------------------------------


@pytest.fixture
def published(units, world):
    return {
        slug: services.open_data_publish(slug, period)[0]
        for slug, period in [
            (ANNUAL, "2025"),
            (OpenDataset.PAL_STEPS_QUARTERLY, "2025-Q3"),
            (OpenDataset.PAL_OUTCOMES_QUARTERLY, "2025-Q3"),
            (OpenDataset.PAL_OUTCOMES_ANNUAL, "2025"),
        ]
    }


def test_every_page_and_file_is_public_with_its_content_type_and_caching(published):
    client = Client()  # nobody logged in
    release = published[ANNUAL]
    kwargs = {"dataset": ANNUAL, "period": "2025"}
    numbered = {**kwargs, "version": 1}
    cases = [
        ("open_data:catalog", {}, "text/html", "private"),
        ("open_data:dataset", {"dataset": ANNUAL}, "text/html", "private"),
        ("open_data:period", kwargs, "text/html", "private"),
        ("open_data:catalog_rdf", {}, "application/rdf+xml", "public"),
        ("open_data:release_csv", numbered, "text/csv; charset=utf-8", "immutable"),
        ("open_data:release_json", numbered, "application/json", "immutable"),
        ("open_data:latest_csv", kwargs, "text/csv; charset=utf-8", "public"),
        ("open_data:latest_json", kwargs, "application/json", "public"),
    ]
    for name, args, content_type, cache in cases:
        response = client.get(reverse(name, kwargs=args))
        assert response.status_code == 200, name
        assert response["Content-Type"].startswith(content_type), name
        assert cache in response["Cache-Control"] and "max-age=" in response["Cache-Control"]
    files = client.get(reverse("open_data:release_csv", kwargs=numbered))
    assert files["ETag"] == f'"{release.csv_sha256}"'
    assert "max-age=31536000" in files["Cache-Control"]
    again = client.get(
        reverse("open_data:release_csv", kwargs=numbered), HTTP_IF_NONE_MATCH=files["ETag"]
    )
    assert again.status_code == 304
    assert client.post(reverse("open_data:latest_csv", kwargs=kwargs)).status_code == 405
    missing = {**kwargs, "version": 9}
    assert client.get(reverse("open_data:release_csv", kwargs=missing)).status_code == 404
    assert client.get("/open-data/nothing/2025/latest.csv").status_code == 404
    # A quarter is not a period of the annual dataset.
    assert client.get(f"/open-data/{ANNUAL}/2025-Q3/latest.csv").status_code == 404


def test_the_catalogue_page_lists_the_datasets_in_both_languages(published):
    client = Client()
    for language, title in (("en", "PAL outcomes monitoring (quarterly)"),):
        with translation.override(language):
            page = client.get(reverse("open_data:catalog"), HTTP_ACCEPT_LANGUAGE=language)
        assert title in page.content.decode()
        assert "catalog.rdf" in page.content.decode()


def test_anonymous_callers_are_throttled(published, settings):
    settings.OPEN_DATA_THROTTLE_RATE = "2/minute"
    client = Client()
    url = reverse("open_data:catalog_rdf")
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]


# --- DCAT-AP_IT --------------------------------------------------------------------------------


def q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


MANDATORY = {
    "dcatapit:Catalog": [
        "dct:title",
        "dct:description",
        "dct:publisher",
        "dct:modified",
        "foaf:homepage",
        "dcat:dataset",
        "dct:language",
    ],
    "dcatapit:Dataset": [
        "dct:identifier",
        "dct:title",
        "dct:description",
        "dct:modified",
        "dcat:theme",
        "dct:publisher",
        "dct:rightsHolder",
        "dct:accrualPeriodicity",
        "dcat:contactPoint",
        "dcat:distribution",
        "dct:temporal",
        "dct:spatial",
        "dct:language",
        "owl:versionInfo",
    ],
    "dcatapit:Distribution": [
        "dct:format",
        "dcat:accessURL",
        "dcat:downloadURL",
        "dct:license",
        "dct:title",
    ],
    "dcatapit:Agent": ["dct:identifier", "foaf:name"],
    "dcatapit:Organization": ["vcard:fn", "vcard:hasEmail"],
    "dcatapit:LicenseDocument": ["dct:type", "foaf:name"],
}


def test_the_catalogue_is_dcat_ap_it_with_every_mandatory_property(published):
    body = Client().get(reverse("open_data:catalog_rdf")).content
    root = ElementTree.fromstring(body)
    about = q("rdf:about")
    resource = q("rdf:resource")
    for cls, properties in MANDATORY.items():
        nodes = list(root.iter(q(cls)))
        assert nodes, cls
        for node in nodes:
            for prop in properties:
                assert node.find(q(prop)) is not None, f"{cls} {node.get(about)} lacks {prop}"
    datasets = list(root.iter(q("dcatapit:Dataset")))
    assert len(datasets) == 4
    annual_ds = next(d for d in datasets if d.get(about).endswith(f"/{ANNUAL}/2025/"))
    assert annual_ds.find(q("dct:identifier")).text == f"r_lombar:crisi-{ANNUAL}-2025"
    titles = {
        t.get("{http://www.w3.org/XML/1998/namespace}lang") for t in annual_ds.iter(q("dct:title"))
    }
    assert titles == {"it", "en"}
    assert annual_ds.find(q("dct:accrualPeriodicity")).get(resource).endswith("/frequency/ANNUAL")
    assert (
        annual_ds.find(q("dcat:theme"))
        .get(resource)
        .startswith("http://publications.europa.eu/resource/authority/data-theme/")
    )
    for agent in root.iter(q("dcatapit:Agent")):
        assert agent.find(q("dct:identifier")).text == "r_lombar"
    formats = {d.find(q("dct:format")).get(resource) for d in root.iter(q("dcatapit:Distribution"))}
    assert formats == {
        "http://publications.europa.eu/resource/authority/file-type/CSV",
        "http://publications.europa.eu/resource/authority/file-type/JSON",
    }
    licences = {d.get(about) for d in root.iter(q("dcatapit:LicenseDocument"))}
    assert licences == {"http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"}
    # Every download URL answers, and is the numbered version's.
    client = Client()
    for url in root.iter(q("dcat:downloadURL")):
        path = url.get(resource).removeprefix("https://crisi.example.it")
        assert path.endswith(("/v1.csv", "/v1.json"))
        assert client.get(path).status_code == 200
    temporal = annual_ds.find(q("dct:temporal")).find(q("dct:PeriodOfTime"))
    assert temporal.find(q("schema:startDate")).text == "2025-01-01"
    assert temporal.find(q("schema:endDate")).text == "2025-12-31"
