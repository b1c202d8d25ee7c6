"""Issue #10 item 4: deletions reach syncing clients through the changes feed, in scope."""

import datetime

import pytest
from django.utils import timezone

from cases import services
from tests.cases.factories import CrisisProcedureFactory, MeetingFactory, ProductionUnitFactory

pytestmark = pytest.mark.django_db


def events(client, resource: str, **params) -> list[tuple[int, str]]:
    response = client.get(f"/api/v1/{resource}/changes/", params)
    assert response.status_code == 200, response.content
    return [(row["id"], row["action"]) for row in response.json()["results"]]


@pytest.fixture
def deleted_units():
    """A BG unit, an MI unit of a BG-led procedure and an MI unit of an MI procedure, deleted."""
    bg = ProductionUnitFactory(procedure=CrisisProcedureFactory(lead="BG"))
    mi_of_bg = ProductionUnitFactory(procedure=bg.procedure, in_province="MI")
    mi = ProductionUnitFactory(procedure=CrisisProcedureFactory(lead="MI"))
    ids = {"bg": bg.pk, "mi_of_bg": mi_of_bg.pk, "mi": mi.pk}
    for unit in (bg, mi_of_bg, mi):
        services.unit_delete(user=None, unit=unit)
    return ids


def test_a_deleted_unit_is_a_deleted_event(staff_bg, api_client_for, deleted_units):
    feed = events(api_client_for(staff_bg), "units")
    assert (deleted_units["bg"], "deleted") in feed
    assert (deleted_units["bg"], "created") not in feed  # gone: only its tombstone


def test_deletions_are_scoped_on_the_deleted_rows_fields(
    staff_bg, staff_mi, api_client_for, deleted_units
):
    bg_feed = {id_ for id_, action in events(api_client_for(staff_bg), "units")}
    mi_feed = {id_ for id_, action in events(api_client_for(staff_mi), "units")}
    # BG sees the units of the procedure it leads, wherever they were; never MI's own.
    assert bg_feed == {deleted_units["bg"], deleted_units["mi_of_bg"]}
    assert mi_feed == {deleted_units["mi_of_bg"], deleted_units["mi"]}


def test_the_region_sees_every_deletion(region, api_client_for, deleted_units):
    feed = set(events(api_client_for(region), "units"))
    assert {(pk, "deleted") for pk in deleted_units.values()} <= feed


def test_creations_and_updates_are_those_of_rows_in_scope(staff_bg, api_client_for):
    mine = CrisisProcedureFactory(lead="BG")
    CrisisProcedureFactory(lead="MI")
    services.procedure_update(user=None, procedure=mine, data={"notes": "Aggiornata"})
    assert events(api_client_for(staff_bg), "procedures") == [
        (mine.pk, "created"),
        (mine.pk, "updated"),
    ]


def test_a_deleted_meeting_is_seen_by_its_province_only(staff_bg, staff_mi, api_client_for):
    meeting = MeetingFactory(convened_by="MI", procedures=[CrisisProcedureFactory(lead="MI")])
    pk = meeting.pk
    services.meeting_delete(user=None, meeting=meeting)
    assert (pk, "deleted") in events(api_client_for(staff_mi), "meetings")
    assert (pk, "deleted") not in events(api_client_for(staff_bg), "meetings")


def test_since_leaves_out_older_changes(staff_bg, api_client_for, deleted_units):
    later = (timezone.now() + datetime.timedelta(seconds=1)).isoformat()
    assert events(api_client_for(staff_bg), "units", since=later) == []


def test_a_bad_since_is_a_400_naming_it(staff_bg, api_client_for):
    response = api_client_for(staff_bg).get("/api/v1/units/changes/", {"since": "ieri"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "since"


def test_the_feed_pages_by_cursor(staff_bg, api_client_for, deleted_units):
    client = api_client_for(staff_bg)
    page = client.get("/api/v1/units/changes/", {"paging": "cursor", "limit": 1}).json()
    assert len(page["results"]) == 1 and page["next"]


def test_operators_have_no_procedure_feed(operator_user, api_client_for):
    assert api_client_for(operator_user).get("/api/v1/units/changes/").status_code == 403
