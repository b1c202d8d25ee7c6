"""Issue #10 item 4: every collection syncs (updated_since, stable order, cursor paging)."""

import datetime

import pytest
from django.utils import timezone

from cases.models import Company, CrisisProcedure
from crisi_portal.api import router
from tests.cases.factories import CompanyFactory, CrisisProcedureFactory

pytestmark = pytest.mark.django_db

LIST_ROUTES = sorted(
    f"/api/v1/{prefix}/"
    for prefix, viewset, _basename in router.registry
    if hasattr(viewset, "list") and prefix not in ("dashboard", "operator-results")
)


def walk(client, path: str, **params) -> list[dict]:
    """Every row of a collection, following the cursor's next links."""
    # A next link already carries its query (the test client would replace it with params).
    first = client.get(path) if "?" in path else client.get(path, {"paging": "cursor", **params})
    rows, page = [], first
    while True:
        assert page.status_code == 200, page.content
        body = page.json()
        assert "count" not in body
        rows.extend(body["results"])
        if body["next"] is None:
            return rows
        page = client.get(body["next"])


@pytest.mark.parametrize("path", LIST_ROUTES)
def test_every_collection_filters_on_updated_since(path, admin_user, api_client_for):
    client = api_client_for(admin_user)
    future = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    response = client.get(path, {"updated_since": future})
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []
    assert client.get(path, {"updated_since": "ieri"}).status_code == 400


@pytest.mark.parametrize("path", LIST_ROUTES)
def test_an_empty_updated_since_is_a_400_naming_it(path, admin_user, api_client_for):
    # Found by tools/api_fuzz.sh: ``?updated_since=`` listed everything, as if no sync point
    # had been given; a client whose stored sync time got lost must hear it, not re-sync all.
    response = api_client_for(admin_user).get(f"{path}?updated_since=")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == ["updated_since"]


@pytest.mark.parametrize(
    "path, query, field",
    [
        ("/api/v1/units/", "procedure=", "procedure"),
        ("/api/v1/procedures/", "high_complexity=", "high_complexity"),
        ("/api/v1/procedures/", "opened_after=", "opened_after"),
        ("/api/v1/procedures/", "family=", "family"),
        ("/api/v1/reports/", "kind=", "kind"),
    ],
)
def test_an_empty_typed_filter_is_a_400_naming_it(path, query, field, admin_user, api_client_for):
    # An id, a boolean or a date cannot be empty: the schema says so, and so does the API.
    response = api_client_for(admin_user).get(f"{path}?{query}")
    assert response.status_code == 400, response.content
    assert [error["field"] for error in response.json()["errors"]] == [field]


@pytest.mark.parametrize("path", LIST_ROUTES)
def test_an_unknown_query_parameter_is_a_400_naming_it(path, admin_user, api_client_for):
    # Found by tools/api_fuzz.sh: unknown parameters were ignored, so a misspelt sync filter
    # (?udpated_since=) listed everything.
    response = api_client_for(admin_user).get(f"{path}?udpated_since=2025-01-01T00:00:00Z")
    assert response.status_code == 400, response.content
    assert [error["field"] for error in response.json()["errors"]] == ["udpated_since"]


def test_paging_parameters_are_known_to_every_list(admin_user, api_client_for):
    response = api_client_for(admin_user).get(
        "/api/v1/procedures/?limit=1&offset=0&paging=offset&format=json"
    )
    assert response.status_code == 200, response.content


def test_an_empty_free_text_filter_still_means_no_filter(staff_bg, api_client_for):
    CrisisProcedureFactory(lead="BG")
    response = api_client_for(staff_bg).get("/api/v1/procedures/?external_id=")
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 1


def test_an_empty_code_naming_an_object_is_a_400_as_the_schema_says(staff_bg, api_client_for):
    # The schema gives ``province`` minLength 1: a client that sends it blank has lost a value.
    CrisisProcedureFactory(lead="BG")
    response = api_client_for(staff_bg).get("/api/v1/procedures/?province=")
    assert response.status_code == 400, response.content
    assert [error["field"] for error in response.json()["errors"]] == ["province"]


def test_a_code_naming_no_object_matches_nothing(staff_bg, api_client_for):
    # ``?province=ZZ`` is a string the schema allows: like an id naming nothing, no rows.
    CrisisProcedureFactory(lead="BG")
    response = api_client_for(staff_bg).get("/api/v1/procedures/?province=ZZ")
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 0


def test_a_code_with_a_nul_character_names_nothing_either(staff_bg, api_client_for):
    # Found by tools/api_fuzz.sh: a NUL is in no code, and Django's forms refuse it before
    # looking; a string the schema allows, so no rows rather than a 400.
    CrisisProcedureFactory(lead="BG")
    for path in ("/api/v1/procedures/", "/api/v1/plans/"):
        response = api_client_for(staff_bg).get(path, {"province": "B\x00G"})
        assert response.status_code == 200, (path, response.content)
        assert response.json()["count"] == 0


@pytest.mark.parametrize("path", LIST_ROUTES)
def test_every_collection_pages_by_cursor(path, admin_user, api_client_for):
    response = api_client_for(admin_user).get(path, {"paging": "cursor", "limit": 1})
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"next", "previous", "results"}


class TestCursor:
    def test_a_full_sync_sees_every_row_once_in_updated_order(self, staff_bg, api_client_for):
        procedures = [CrisisProcedureFactory(lead="BG") for _ in range(5)]
        rows = walk(api_client_for(staff_bg), "/api/v1/procedures/", limit=2)
        assert sorted(row["id"] for row in rows) == sorted(p.pk for p in procedures)
        assert len(rows) == 5
        keys = [(row["updated_at"], row["id"]) for row in rows]
        assert keys == sorted(keys)

    def test_a_row_changed_during_the_sync_is_met_again_later(self, staff_bg, api_client_for):
        procedures = [CrisisProcedureFactory(lead="BG") for _ in range(4)]
        client = api_client_for(staff_bg)
        first = client.get("/api/v1/procedures/", {"paging": "cursor", "limit": 2}).json()
        seen = [row["id"] for row in first["results"]]
        CrisisProcedure.objects.filter(pk=seen[0]).update(
            notes="cambiata", updated_at=timezone.now()
        )
        rest = walk(client, first["next"])
        assert {row["id"] for row in rest} == {p.pk for p in procedures} - {seen[1]}

    def test_the_cursor_stays_in_scope(self, staff_bg, api_client_for):
        CrisisProcedureFactory(lead="MI")
        mine = CrisisProcedureFactory(lead="BG")
        rows = walk(api_client_for(staff_bg), "/api/v1/procedures/")
        assert [row["id"] for row in rows] == [mine.pk]

    @pytest.mark.parametrize("cursor", ["not-base64!", "cD1pZXJp"])  # p=ieri: no date-time
    def test_a_cursor_that_names_no_page_is_a_404_problem(self, cursor, staff_bg, api_client_for):
        # A cursor is a page the server handed out: one it never did names no page (DRF's own
        # answer). Any string is a cursor as far as the schema can say, so this is no 400.
        response = api_client_for(staff_bg).get("/api/v1/procedures/", {"cursor": cursor})
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/problem+json")
        assert "cursor" in response.json()["detail"]

    def test_an_offset_on_a_cursor_page_is_not_used(self, staff_bg, api_client_for):
        # offset and paging=cursor are each valid (the schema cannot say "not both"): paging
        # decides, and a cursor page starts at its cursor.
        CrisisProcedureFactory.create_batch(3, lead="BG")
        client = api_client_for(staff_bg)
        plain = client.get("/api/v1/procedures/", {"paging": "cursor", "limit": 2}).json()
        with_offset = client.get(
            "/api/v1/procedures/", {"paging": "cursor", "limit": 2, "offset": "1"}
        ).json()
        assert with_offset == plain
        assert len(plain["results"]) == 2

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"paging": "pages"}, "paging"),
            ({"paging": "cursor", "offset": "-1"}, "offset"),
            ({"paging": "cursor", "limit": "0"}, "limit"),
        ],
    )
    def test_a_bad_cursor_or_paging_is_a_400_naming_it(
        self, params, field, staff_bg, api_client_for
    ):
        response = api_client_for(staff_bg).get("/api/v1/procedures/", params)
        assert response.status_code == 400
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["field"] == field


class TestStableOrder:
    def test_rows_tied_on_the_list_order_are_paged_by_id(self, admin_user, api_client_for):
        # Companies are listed by name: two of the same name must not swap between pages.
        tied = [CompanyFactory(name="Omonima S.r.l.") for _ in range(3)]
        # An update moves the row on disk (PostgreSQL): without the id it would come last.
        Company.objects.filter(pk=tied[0].pk).update(ateco_code="25.62.00")
        client = api_client_for(admin_user)
        ids = []
        for offset in range(Company.objects.count()):
            page = client.get("/api/v1/companies/", {"limit": 1, "offset": offset}).json()
            ids.extend(row["id"] for row in page["results"])
        assert len(ids) == len(set(ids)) == Company.objects.count()
        assert [i for i in ids if i in {c.pk for c in tied}] == sorted(c.pk for c in tied)
