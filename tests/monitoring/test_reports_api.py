"""Issue 5 item 7: /api/v1/reports/ — list runs in scope, request one (202), download it."""

import hashlib
from datetime import date

import pytest
from django.urls import reverse

from monitoring.enums import Trigger
from monitoring.models import ReportRun
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.factories import UserFactory
from tests.monitoring.downloads import downloaded
from tests.monitoring.factories import ReportRunFactory

pytestmark = pytest.mark.django_db

LIST = reverse("report-list")
PROBLEM = "application/problem+json"


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def data_2025(db):
    ProductionUnitFactory(
        procedure=CrisisProcedureFactory(opened_on=date(2025, 2, 3)), workers_involved=42
    )


@pytest.fixture
def api_client_bg(db):
    return UserFactory(username="api_bg", api_client=True, provinces=["BG"])


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- Reading -----------------------------------------------------------------------------------


@pytest.fixture
def bg_mi_regional(db) -> dict[str, ReportRun]:
    return {
        "bg": ReportRunFactory(in_province="BG", ready=True),
        "mi": ReportRunFactory(in_province="MI", ready=True),
        "regional": ReportRunFactory(regional=True, ready=True),
    }


@pytest.mark.parametrize("who", ["staff_bg", "api_client_bg"])
def test_province_callers_list_their_province_and_the_regional_runs(
    request, api_client_for, bg_mi_regional, who
):
    client = api_client_for(request.getfixturevalue(who))
    assert ids(client.get(LIST)) == {bg_mi_regional["bg"].pk, bg_mi_regional["regional"].pk}


@pytest.mark.parametrize("who", ["region", "api_client", "admin_user"])
def test_regional_callers_list_every_run(request, api_client_for, bg_mi_regional, who):
    client = api_client_for(request.getfixturevalue(who))
    assert ids(client.get(LIST)) == {run.pk for run in bg_mi_regional.values()}


def test_operators_are_refused(api_client_for, operator_user, bg_mi_regional):
    client = api_client_for(operator_user)

    assert client.get(LIST).status_code == 403
    assert client.get(reverse("report-detail", args=[bg_mi_regional["bg"].pk])).status_code == 403
    response = client.post(
        LIST, {"kind": "annual", "period": "2025", "province": None, "format": "json"}
    )
    assert response.status_code == 403
    assert response["Content-Type"].startswith(PROBLEM)


def test_another_provinces_run_is_not_found(api_client_for, staff_bg, bg_mi_regional):
    client = api_client_for(staff_bg)
    mi = bg_mi_regional["mi"].pk

    assert client.get(reverse("report-detail", args=[mi])).status_code == 404
    assert client.get(reverse("report-download", args=[mi])).status_code == 404


def test_latest_true_keeps_only_the_newest_version_of_each_document(api_client_for, region):
    ReportRunFactory(version=1, ready=True)
    v2 = ReportRunFactory(version=2)
    ReportRunFactory(regional=True, version=1, ready=True)
    regional_v2 = ReportRunFactory(regional=True, version=2, ready=True)
    client = api_client_for(region)

    assert ids(client.get(LIST, {"latest": "true"})) == {v2.pk, regional_v2.pk}
    assert len(ids(client.get(LIST))) == 4


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "bimonthly"}, {"b3"}),
        ({"period": "2025"}, {"q3", "b3", "annual"}),
        ({"province": "regional"}, {"annual"}),
        ({"province": "MI"}, {"b3"}),
        ({"file_format": "csv"}, {"b3"}),
        ({"status": "succeeded"}, {"q3"}),
    ],
)
def test_list_filters(api_client_for, region, query, expected):
    runs = {
        "q3": ReportRunFactory(in_province="BG", ready=True),
        "b3": ReportRunFactory(in_province="MI", kind="bimonthly", period="2025-B3", format="csv"),
        "annual": ReportRunFactory(regional=True),
    }
    assert ids(api_client_for(region).get(LIST, query)) == {runs[name].pk for name in expected}


def test_the_list_is_paginated_with_limit_and_offset(api_client_for, region):
    for quarter in (1, 2, 3):
        ReportRunFactory(period=f"2025-Q{quarter}")

    body = api_client_for(region).get(LIST, {"limit": 2, "offset": 1}).json()

    assert body["count"] == 3 and len(body["results"]) == 2 and body["previous"]


def test_a_run_links_to_its_status_and_to_its_document(api_client_for, region, english):
    run = ReportRunFactory(in_province="BG", ready=True)

    body = api_client_for(region).get(reverse("report-detail", args=[run.pk])).json()

    assert body["status_url"] == f"http://testserver/api/v1/reports/{run.pk}/"
    assert body["download_url"] == f"http://testserver/api/v1/reports/{run.pk}/download/"
    assert body["web_url"] == f"http://testserver{run.get_absolute_url()}"
    assert (body["province"], body["scope_label"], body["status"]) == ("BG", "Bergamo", "succeeded")
    assert body["period_label"].startswith("Quarter 3 2025")
    assert (body["sha256"], body["size"]) == (run.sha256, run.size)
    assert body["filename"] == "quarterly_2025-Q3_BG_v1.json"


def test_a_run_not_yet_ready_has_no_download_url(api_client_for, region):
    run = ReportRunFactory(running=True)
    body = api_client_for(region).get(reverse("report-detail", args=[run.pk])).json()
    assert (body["status"], body["download_url"]) == ("running", None)


# --- Requesting --------------------------------------------------------------------------------


def test_a_request_is_accepted_with_the_queued_run_and_where_to_poll_it(
    api_client_for, api_client, data_2025, django_capture_on_commit_callbacks
):
    client = api_client_for(api_client)
    payload = {"kind": "annual", "period": "2025", "province": None, "format": "json"}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LIST, payload)

    assert response.status_code == 202
    body = response.json()
    run = ReportRun.objects.get()
    assert body["id"] == run.pk and body["status"] == "queued"  # as it was when answered
    assert response["Location"] == body["status_url"]
    assert (run.triggered_by, run.requested_by) == (Trigger.API, api_client)
    polled = client.get(response["Location"]).json()
    assert polled["status"] == "succeeded"
    download = client.get(polled["download_url"])
    assert hashlib.sha256(downloaded(download)).hexdigest() == run.sha256 == polled["sha256"]


def test_an_omitted_province_means_the_regional_document(
    api_client_for, region, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(region).post(
            LIST, {"kind": "annual", "period": "2025", "format": "json"}
        )
    assert response.status_code == 202
    assert response.json()["province"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"period": "2025-Q3"}, "period"),
        ({"period": "2099"}, "period"),
        ({"kind": "monthly"}, "kind"),
        ({"format": "docx"}, "format"),
        ({"province": "XX", "kind": "quarterly", "period": "2025-Q3"}, "province"),
        ({"province": "BG"}, "province"),  # the annual table is regional
    ],
)
def test_a_refused_request_is_a_422_problem_naming_the_field(
    api_client_for, region, payload, field
):
    body = {"kind": "annual", "period": "2025", "province": None, "format": "json", **payload}

    response = api_client_for(region).post(LIST, body)

    assert response.status_code == 422
    assert response["Content-Type"].startswith(PROBLEM)
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert not ReportRun.objects.exists()


def test_an_api_client_restricted_to_bg_requests_bg_but_not_mi(
    api_client_for, api_client_bg, english, django_capture_on_commit_callbacks
):
    client = api_client_for(api_client_bg)
    payload = {"kind": "quarterly", "period": "2025-Q3", "format": "json"}

    refused = client.post(LIST, {**payload, "province": "MI"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "province", "message": "You may not request this document for this scope."}
    ]
    assert not ReportRun.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post(LIST, {**payload, "province": "BG"})
    assert accepted.status_code == 202
    assert ReportRun.objects.get().province_id == "BG"


def test_a_nucleo_cannot_request_the_annual_table(api_client_for, staff_bg):
    response = api_client_for(staff_bg).post(
        LIST, {"kind": "annual", "period": "2025", "province": None, "format": "json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "province"
    assert not ReportRun.objects.exists()


# --- Downloading -------------------------------------------------------------------------------


def test_download_is_the_file_with_its_content_type_and_digest(api_client_for, staff_bg):
    run = ReportRunFactory(in_province="BG", ready=True, document=b'{"ok": true}\n')

    response = api_client_for(staff_bg).get(reverse("report-download", args=[run.pk]))

    assert response.status_code == 200
    assert downloaded(response) == b'{"ok": true}\n'
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="{run.filename}"'
    assert response["Repr-Digest"].startswith("sha-256=:")


def test_download_honours_a_client_asking_for_the_documents_own_type(api_client_for, region):
    run = ReportRunFactory(ready=True, format="csv", document=b"a;b\n1;2\n")

    response = api_client_for(region).get(
        reverse("report-download", args=[run.pk]), HTTP_ACCEPT="text/csv"
    )

    assert response.status_code == 200
    assert downloaded(response) == b"a;b\n1;2\n"
    assert response["Content-Type"] == "text/csv; charset=utf-8"


@pytest.mark.parametrize(
    ("state", "status"),
    [({}, "queued"), ({"running": True}, "running"), ({"failed": True}, "failed")],
)
def test_download_of_a_run_not_ready_is_a_409_naming_its_status(
    api_client_for, region, english, state, status
):
    run = ReportRunFactory(**state)

    response = api_client_for(region).get(reverse("report-download", args=[run.pk]))

    assert response.status_code == 409
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["detail"] == f"Not ready: status {status}."
    assert body["type"] == "about:blank#not_ready"


def test_the_reports_api_is_in_the_openapi_schema(client):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()

    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/reports/"])
    download = paths["/api/v1/reports/{id}/download/"]["get"]["responses"]
    assert download["200"]["content"]["application/pdf"]["schema"]["format"] == "binary"
    assert "409" in download
    created = paths["/api/v1/reports/"]["post"]
    assert "202" in created["responses"] and "422" in created["responses"]
    request = schema["components"]["schemas"]["ReportRequestRequest"]["properties"]
    assert set(request) == {"kind", "period", "province", "format"}
