"""§5, issue 5 item 5: the report archive in the browser — scoped list with versions, filters,
"generate now" with its progress panel, re-runs as new versions, scoped downloads."""

import base64
import hashlib
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.enums import ReportFormat, ReportKind, RunStatus, Trigger
from monitoring.models import ReportRun
from monitoring.periods import Period
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.monitoring.downloads import downloaded
from tests.monitoring.factories import ReportRunFactory

pytestmark = pytest.mark.django_db

LIST = reverse("monitoring:report_list")


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def data_2025(db):
    ProductionUnitFactory(
        procedure=CrisisProcedureFactory(opened_on=date(2025, 2, 3)), workers_involved=42
    )


def listed(response) -> set[int]:
    return {run.pk for run in response.context["object_list"]}


# --- The list ----------------------------------------------------------------------------------


@pytest.fixture
def bg_mi_regional(db) -> dict[str, ReportRun]:
    return {
        "bg": ReportRunFactory(in_province="BG", ready=True),
        "mi": ReportRunFactory(in_province="MI", ready=True),
        "regional": ReportRunFactory(regional=True, ready=True),
    }


def test_a_nucleo_sees_its_province_and_the_regional_documents_only(
    client, staff_bg, bg_mi_regional
):
    client.force_login(staff_bg)

    response = client.get(LIST)

    assert response.status_code == 200
    assert listed(response) == {bg_mi_regional["bg"].pk, bg_mi_regional["regional"].pk}
    assert bg_mi_regional["mi"].get_absolute_url().encode() not in response.content


def test_region_officials_see_every_document(client, region, bg_mi_regional):
    client.force_login(region)
    assert listed(client.get(LIST)) == {run.pk for run in bg_mi_regional.values()}


@pytest.mark.parametrize("who", ["operator_user", "api_client"])
def test_operators_and_api_clients_have_no_archive_page(request, client, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(LIST).status_code == 403


def test_a_document_is_one_row_with_its_newest_version_and_a_count_of_earlier_ones(
    client, region, english
):
    v1 = ReportRunFactory(version=1, ready=True)
    v2 = ReportRunFactory(version=2, ready=True)
    v3 = ReportRunFactory(version=3)  # queued
    other_format = ReportRunFactory(format=ReportFormat.CSV, ready=True)
    client.force_login(region)

    response = client.get(LIST)

    assert listed(response) == {v3.pk, other_format.pk}
    html = response.content.decode()
    assert "2 earlier versions" in html
    # v3 is not ready: the row offers v2's document instead.
    assert reverse("monitoring:report_download", args=[v2.pk]) in html
    assert reverse("monitoring:report_download", args=[v3.pk]) not in html
    assert reverse("monitoring:report_download", args=[v1.pk]) not in html


def test_regional_versions_are_grouped_like_province_ones(client, region, english):
    ReportRunFactory(regional=True, version=1, ready=True)
    newest = ReportRunFactory(regional=True, version=2, ready=True)
    client.force_login(region)

    response = client.get(LIST)

    assert listed(response) == {newest.pk}
    assert "1 earlier version" in response.content.decode()


def test_the_list_is_newest_request_first(client, region):
    older = ReportRunFactory(period="2025-Q1")
    newer = ReportRunFactory(period="2025-Q2")
    client.force_login(region)

    runs = list(client.get(LIST).context["object_list"])

    assert [run.pk for run in runs] == [newer.pk, older.pk]


@pytest.fixture
def assorted(db) -> dict[str, ReportRun]:
    return {
        "q3_bg": ReportRunFactory(in_province="BG", period="2025-Q3", ready=True),
        "q4_2024_mi": ReportRunFactory(in_province="MI", period="2024-Q4"),
        "b3_bg_csv": ReportRunFactory(
            in_province="BG", kind=ReportKind.BIMONTHLY, period="2025-B3", format="csv"
        ),
        "annual": ReportRunFactory(regional=True, period="2025", failed=True),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "quarterly"}, {"q3_bg", "q4_2024_mi"}),
        ({"period": "2025"}, {"q3_bg", "b3_bg_csv", "annual"}),
        ({"period": "2025-q3"}, {"q3_bg"}),
        ({"province": "regional"}, {"annual"}),
        ({"province": "BG"}, {"q3_bg", "b3_bg_csv"}),
        ({"file_format": "csv"}, {"b3_bg_csv"}),
        ({"status": "succeeded"}, {"q3_bg"}),
        ({"status": "failed"}, {"annual"}),
        ({"kind": "quarterly", "period": "2024"}, {"q4_2024_mi"}),
    ],
)
def test_filters(client, region, assorted, query, expected):
    client.force_login(region)
    assert listed(client.get(LIST, query)) == {assorted[name].pk for name in expected}


def test_htmx_filtering_answers_with_the_table_only(client, region, assorted):
    client.force_login(region)

    response = client.get(LIST, {"file_format": "csv"}, headers={"HX-Request": "true"})

    assert [t.name for t in response.templates][0] == "monitoring/_report_table.html"
    assert listed(response) == {assorted["b3_bg_csv"].pk}


def test_a_nucleo_is_offered_only_the_scopes_it_sees_as_filters(client, staff_bg):
    client.force_login(staff_bg)

    field = client.get(LIST).context["filterset"].form.fields["province"]

    assert [value for value, _label in field.choices] == ["", "regional", "BG"]


def test_the_list_costs_the_same_queries_for_many_documents(
    client, region, django_assert_max_num_queries
):
    for quarter in range(1, 5):
        for code in ("BG", "MI", "CO", "LC", "VA"):
            ReportRunFactory(in_province=code, period=f"2025-Q{quarter}", ready=True)
            ReportRunFactory(in_province=code, period=f"2025-Q{quarter}", version=2)
    client.force_login(region)

    # 14: the page's own queries, plus what every page of a Region official now asks — the
    # menu's to-do counts (one query) and, for the header's worker search, whether they may see
    # identities (their permissions: two queries, cached on the user for the request).
    with django_assert_max_num_queries(14):
        response = client.get(LIST)

    assert response.context["paginator"].count == 20


# --- Generate now ------------------------------------------------------------------------------


def generate(client, capture, **fields):
    data = {"kind": "annual", "period": "2025", "scope": "regional", "format": "json", **fields}
    with capture(execute=True):
        return client.post(LIST, data)


def test_region_generates_the_annual_table_and_downloads_it_when_ready(
    client, region, data_2025, english, django_capture_on_commit_callbacks
):
    client.force_login(region)

    response = generate(client, django_capture_on_commit_callbacks)

    run = ReportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == run.get_absolute_url()
    assert (run.kind, run.period, run.province_id, run.format) == ("annual", "2025", None, "json")
    assert (run.status, run.triggered_by, run.requested_by) == (
        RunStatus.SUCCEEDED,
        Trigger.USER,
        region,
    )
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Ready" in page and run.sha256 in page
    download = client.get(reverse("monitoring:report_download", args=[run.pk]))
    content = downloaded(download)
    assert hashlib.sha256(content).hexdigest() == run.sha256
    assert len(content) == run.size


def test_a_generated_run_waits_in_the_queue_until_the_request_commits(client, region, english):
    client.force_login(region)

    response = client.post(
        LIST, {"kind": "annual", "period": "2025", "scope": "regional", "format": "json"}
    )

    run = ReportRun.objects.get()
    assert response.status_code == 302
    assert run.status == RunStatus.QUEUED
    assert 'hx-trigger="every 2s"' in client.get(response["Location"]).content.decode()


def test_a_nucleo_generates_its_own_quarterly_document(
    client, staff_bg, django_capture_on_commit_callbacks
):
    client.force_login(staff_bg)

    response = generate(
        client, django_capture_on_commit_callbacks, kind="quarterly", period="2025-Q3", scope="BG"
    )

    run = ReportRun.objects.get()
    assert response.status_code == 302
    assert (run.province_id, run.status) == ("BG", RunStatus.SUCCEEDED)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        # Another province's document.
        ({"kind": "quarterly", "period": "2025-Q3", "scope": "MI"}, "may not request"),
        # The annual table is regional: not for a Nucleo, whichever scope it picks.
        ({"kind": "annual", "period": "2025", "scope": "BG"}, "annual table is regional"),
        ({"kind": "annual", "period": "2025", "scope": "regional"}, "may not request"),
    ],
)
def test_a_nucleo_asking_beyond_its_province_is_refused_on_the_scope_field(
    client, staff_bg, english, django_capture_on_commit_callbacks, fields, message
):
    client.force_login(staff_bg)

    response = generate(client, django_capture_on_commit_callbacks, **fields)

    assert response.status_code == 422
    form = response.context["request_form"]
    assert list(form.errors) == ["scope"]
    assert message in form.errors["scope"][0]
    assert 'href="#id_scope"' in response.content.decode()  # the error summary links to it
    assert not ReportRun.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"period": "2025-Q3"}, "period"),  # not a period of an annual table
        ({"period": "2099"}, "period"),  # not started yet
        ({"kind": "monthly"}, "kind"),
        ({"format": "docx"}, "format"),
        ({"scope": "XX"}, "scope"),
    ],
)
def test_bad_requests_are_refused_on_the_field_and_create_nothing(
    client, region, django_capture_on_commit_callbacks, fields, field
):
    client.force_login(region)

    response = generate(client, django_capture_on_commit_callbacks, **fields)

    assert response.status_code == 422
    assert field in response.context["request_form"].errors
    assert not ReportRun.objects.exists()


def test_a_nucleo_is_offered_its_province_and_no_annual_table(client, staff_bg):
    client.force_login(staff_bg)

    form = client.get(LIST).context["request_form"]

    assert [value for value, _label in form.fields["scope"].widget.choices] == ["BG"]
    assert [value for value, _label in form.fields["kind"].widget.choices] == [
        "bimonthly",
        "quarterly",
        "pal_monitoring",
    ]


def test_region_is_offered_the_region_first_then_every_province(client, region):
    client.force_login(region)

    form = client.get(LIST).context["request_form"]

    scopes = [value for value, _label in form.fields["scope"].widget.choices]
    assert scopes[:2] == ["regional", "BG"] and len(scopes) == 13
    assert form.fields["kind"].widget.choices[0][0] == "annual"


def test_the_period_suggested_is_the_last_completed_one(client, region):
    client.force_login(region)

    response = client.get(LIST)

    form = response.context["request_form"]
    assert form.initial["period"] == Period.just_ended("annual", timezone.localdate()).code
    # The script that updates the period when the kind changes reads every kind's suggestion.
    assert 'id="report-period-suggestions"' in response.content.decode()
    assert set(response.context["period_suggestions"]) == {
        "annual",
        "bimonthly",
        "quarterly",
        "pal_monitoring",
    }


# --- The run's page and its status panel -------------------------------------------------------


def status_panel(client, run) -> str:
    response = client.get(reverse("monitoring:report_status", args=[run.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("state", [{}, {"running": True}])
def test_the_status_panel_polls_while_the_run_is_unfinished(client, region, english, state):
    run = ReportRunFactory(**state)
    client.force_login(region)

    panel = status_panel(client, run)

    assert 'hx-trigger="every 2s"' in panel
    assert reverse("monitoring:report_status", args=[run.pk]) in panel
    assert "progress-indeterminate" in panel


@pytest.mark.parametrize("state", [{"ready": True}, {"failed": True}])
def test_the_status_panel_stops_polling_once_the_run_is_finished(client, region, state):
    run = ReportRunFactory(**state)
    client.force_login(region)

    panel = status_panel(client, run)

    assert "hx-trigger" not in panel and "hx-get" not in panel


def test_a_finished_panel_offers_the_download_with_size_and_checksum(client, region, english):
    run = ReportRunFactory(ready=True)
    client.force_login(region)

    panel = status_panel(client, run)

    assert reverse("monitoring:report_download", args=[run.pk]) in panel
    assert run.sha256 in panel and "Download JSON" in panel


def test_a_failed_run_shows_why_and_offers_a_new_version(client, region, english):
    run = ReportRunFactory(failed=True)
    client.force_login(region)

    panel = status_panel(client, run)

    assert "RuntimeError: the renderer stopped" in panel
    assert reverse("monitoring:report_rerun", args=[run.pk]) in panel


def test_the_detail_page_lists_every_version_of_the_document(client, region, english):
    v1 = ReportRunFactory(version=1, ready=True)
    v2 = ReportRunFactory(version=2, failed=True)
    ReportRunFactory(version=1, in_province="MI")  # another document
    client.force_login(region)

    response = client.get(v1.get_absolute_url())

    assert [v.pk for v in response.context["versions"]] == [v2.pk, v1.pk]
    assert v2.get_absolute_url().encode() in response.content
    assert "Generate a new version" in response.content.decode()


def test_a_nucleo_reads_a_regional_document_but_is_not_offered_to_rerun_it(
    client, staff_bg, english
):
    run = ReportRunFactory(regional=True, ready=True)
    client.force_login(staff_bg)

    response = client.get(run.get_absolute_url())

    assert response.status_code == 200
    assert reverse("monitoring:report_rerun", args=[run.pk]).encode() not in response.content


# --- Re-runs -----------------------------------------------------------------------------------


def test_a_rerun_is_version_2_and_leaves_version_1_as_it_was(
    client, region, data_2025, django_capture_on_commit_callbacks
):
    client.force_login(region)
    generate(client, django_capture_on_commit_callbacks)
    first = ReportRun.objects.get()
    first_bytes = downloaded(client.get(reverse("monitoring:report_download", args=[first.pk])))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("monitoring:report_rerun", args=[first.pk]))

    second = ReportRun.objects.get(version=2)
    assert response["Location"] == second.get_absolute_url()
    assert (second.status, second.requested_by, second.triggered_by) == (
        RunStatus.SUCCEEDED,
        region,
        Trigger.USER,
    )
    assert second.file.name != first.file.name
    first_again = ReportRun.objects.get(pk=first.pk)
    assert (first_again.sha256, first_again.file.name) == (first.sha256, first.file.name)
    again = downloaded(client.get(reverse("monitoring:report_download", args=[first.pk])))
    assert again == first_bytes
    assert hashlib.sha256(again).hexdigest() == first.sha256


def test_a_nucleo_reruns_its_own_province_document(
    client, staff_bg, django_capture_on_commit_callbacks
):
    run = ReportRunFactory(in_province="BG", failed=True)
    client.force_login(staff_bg)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("monitoring:report_rerun", args=[run.pk]))

    new = ReportRun.objects.get(version=2)
    assert response.status_code == 302
    assert (new.province_id, new.status) == ("BG", RunStatus.SUCCEEDED)
    assert ReportRun.objects.get(pk=run.pk).status == RunStatus.FAILED


# --- Downloads ---------------------------------------------------------------------------------


def test_a_download_is_the_file_with_its_name_type_and_checksum(client, staff_bg):
    run = ReportRunFactory(in_province="BG", ready=True, document=b'{"a": 1}\n')
    client.force_login(staff_bg)

    response = client.get(reverse("monitoring:report_download", args=[run.pk]))

    assert downloaded(response) == b'{"a": 1}\n'
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == (
        'attachment; filename="quarterly_2025-Q3_BG_v1.json"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    digest = base64.b64encode(hashlib.sha256(b'{"a": 1}\n').digest()).decode()
    assert response["Repr-Digest"] == f"sha-256=:{digest}:"


def test_another_provinces_document_is_not_found(client, staff_bg):
    run = ReportRunFactory(in_province="MI", ready=True)
    client.force_login(staff_bg)

    assert client.get(reverse("monitoring:report_download", args=[run.pk])).status_code == 404
    assert client.get(run.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("state", [{}, {"running": True}, {"failed": True}])
def test_a_run_without_a_document_has_nothing_to_download(client, region, state):
    run = ReportRunFactory(**state)
    client.force_login(region)

    assert client.get(reverse("monitoring:report_download", args=[run.pk])).status_code == 404


def test_region_generates_the_annual_table_as_a_pdf_and_downloads_it(
    client, region, data_2025, django_capture_on_commit_callbacks
):
    client.force_login(region)

    generate(client, django_capture_on_commit_callbacks, format="pdf")

    run = ReportRun.objects.get()
    assert (run.status, run.format) == (RunStatus.SUCCEEDED, "pdf")
    assert run.pages >= 1
    response = client.get(reverse("monitoring:report_download", args=[run.pk]))
    content = downloaded(response)
    assert content.startswith(b"%PDF-")
    assert hashlib.sha256(content).hexdigest() == run.sha256
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="annual_2025_LOM_v1.pdf"'


# --- issue #13, item 8: a picker of periods in words ----------------------------------------


def test_the_period_is_chosen_from_periods_in_words_grouped_by_report_type(client, region, english):
    client.force_login(region)
    body = client.get(LIST).content.decode()
    assert '<optgroup label="Bimonthly report">' in body
    bimester = Period.containing("bimonthly", timezone.localdate()).previous()
    assert f'<option value="{bimester.code}">{bimester.words}</option>' in body
    assert 'maxlength="8"' not in body


def test_a_period_of_another_report_type_is_refused_naming_the_field(
    client, region, english, django_capture_on_commit_callbacks
):
    client.force_login(region)
    response = generate(client, django_capture_on_commit_callbacks, period="2025-Q3")
    form = response.context["request_form"]
    assert response.status_code == 422
    assert form.errors["period"] == [
        "“July–September 2025” is not a period of the annual table: choose one of its periods."
    ]
    assert not ReportRun.objects.exists()


def test_text_typed_as_a_period_is_refused_naming_the_field(
    client, region, english, django_capture_on_commit_callbacks
):
    client.force_login(region)
    response = generate(client, django_capture_on_commit_callbacks, period="settembre 2026")
    assert response.status_code == 422
    assert response.context["request_form"].errors["period"] == [
        "“settembre 2026” is not one of the periods offered: choose one."
    ]
    assert not ReportRun.objects.exists()
