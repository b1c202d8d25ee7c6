"""Issue #12: offset pages of a long collection stop at MAX_OFFSET and count up to COUNT_CAP;
deeper, cursor paging. Shorter collections page and count as before (tests/test_bad_input.py)."""

import pytest

from crisi_portal import pagination
from tests.cases.factories import CrisisProcedureFactory

pytestmark = pytest.mark.django_db

PROCEDURES = "/api/v1/procedures/"


@pytest.fixture
def api(staff_bg, api_client_for):
    return api_client_for(staff_bg)


@pytest.fixture
def long_collection(db, monkeypatch):
    """Seven procedures, where a collection of more than four is long."""
    monkeypatch.setattr(pagination, "COUNT_CAP", 4)
    monkeypatch.setattr(pagination, "MAX_OFFSET", 4)
    return CrisisProcedureFactory.create_batch(7, lead="BG")


def test_a_collection_up_to_the_cap_is_counted(api, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 4)
    CrisisProcedureFactory.create_batch(4, lead="BG")

    body = api.get(PROCEDURES, {"limit": 3}).json()

    assert body["count"] == 4 and len(body["results"]) == 3 and "offset=3" in body["next"]


def test_a_longer_collection_has_offset_pages_without_a_count(api, long_collection):
    body = api.get(PROCEDURES, {"limit": 3}).json()

    assert "count" not in body
    assert len(body["results"]) == 3 and "offset=3" in body["next"]


def test_the_last_offset_page_without_a_count_has_no_next(api, long_collection):
    body = api.get(PROCEDURES, {"limit": 3, "offset": 4}).json()

    assert "count" not in body and body["next"] is None
    assert len(body["results"]) == 3 and "offset=1" in body["previous"]


def test_offset_pages_read_every_row_once_up_to_max_offset(api, long_collection):
    first = api.get(PROCEDURES, {"limit": 4}).json()
    second = api.get(first["next"]).json()

    ids = [row["id"] for row in first["results"] + second["results"]]
    assert sorted(ids) == sorted(p.pk for p in long_collection)


def test_an_offset_past_max_offset_in_a_long_collection_is_a_400_pointing_at_cursors(
    api, long_collection
):
    response = api.get(PROCEDURES, {"limit": 1, "offset": 5})

    assert response.status_code == 400
    body = response.json()
    assert [error["field"] for error in body["errors"]] == ["offset"]
    assert "paging=cursor" in body["errors"][0]["message"]


def test_cursor_paging_walks_a_long_collection_past_max_offset(api, long_collection):
    seen, url = [], f"{PROCEDURES}?paging=cursor&limit=3"
    while url:
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]

    assert sorted(seen) == sorted(p.pk for p in long_collection)


def test_an_offset_past_the_end_of_a_short_collection_is_still_an_empty_page(api, monkeypatch):
    monkeypatch.setattr(pagination, "MAX_OFFSET", 1)
    CrisisProcedureFactory.create_batch(2, lead="BG")

    body = api.get(PROCEDURES, {"offset": 5}).json()

    assert body["count"] == 2 and body["results"] == []
