"""Issue #10 item 3: two systems cannot overwrite each other silently (ETag / If-Match)."""

import datetime

import pytest

from cases.models import CrisisProcedure
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.workers.factories import CohortFactory, InvolvementFactory
from workers.enums import Step
from workers.models import Involvement, Outcome, StepTransition

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
DAY = datetime.date(2025, 5, 2)


@pytest.fixture
def procedure():
    unit = ProductionUnitFactory(procedure=CrisisProcedureFactory(lead="BG"))
    return unit.procedure


@pytest.fixture
def involvement(procedure):
    unit = procedure.units.get()
    return InvolvementFactory(unit=unit, cohort=CohortFactory(procedure=procedure, unit=unit))


def procedure_path(procedure) -> str:
    return f"/api/v1/procedures/{procedure.pk}/"


def involvement_path(involvement, action: str = "") -> str:
    return f"/api/v1/involvements/{involvement.pk}/" + (f"{action}/" if action else "")


class TestETags:
    def test_an_object_read_carries_a_strong_etag(self, staff_bg, api_client_for, procedure):
        response = api_client_for(staff_bg).get(procedure_path(procedure))
        assert response.status_code == 200
        assert response["ETag"].startswith('"') and not response["ETag"].startswith("W/")

    def test_the_etag_changes_when_the_object_changes(self, staff_bg, api_client_for, procedure):
        client = api_client_for(staff_bg)
        before = client.get(procedure_path(procedure))["ETag"]
        CrisisProcedure.objects.filter(pk=procedure.pk).update(notes="Cambiata altrove.")
        assert client.get(procedure_path(procedure))["ETag"] != before

    def test_a_write_answers_with_the_etag_a_read_then_shows(
        self, staff_bg, api_client_for, procedure
    ):
        client = api_client_for(staff_bg)
        etag = client.get(procedure_path(procedure))["ETag"]
        written = client.patch(procedure_path(procedure), {"notes": "Nuove."}, HTTP_IF_MATCH=etag)
        assert written.status_code == 200, written.content
        assert written["ETag"] == client.get(procedure_path(procedure))["ETag"] != etag

    def test_if_none_match_with_the_current_etag_is_a_304(
        self, staff_bg, api_client_for, procedure
    ):
        client = api_client_for(staff_bg)
        etag = client.get(procedure_path(procedure))["ETag"]
        response = client.get(procedure_path(procedure), HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 304
        assert response.content == b""
        assert response["ETag"] == etag

    def test_if_none_match_with_an_old_etag_gets_the_object(
        self, staff_bg, api_client_for, procedure
    ):
        response = api_client_for(staff_bg).get(procedure_path(procedure), HTTP_IF_NONE_MATCH='"x"')
        assert response.status_code == 200
        assert response.json()["id"] == procedure.pk


class TestTwoClients:
    def test_the_second_write_with_the_first_etag_is_refused_and_changes_nothing(
        self, staff_bg, api_client_for, procedure
    ):
        first, second = api_client_for(staff_bg), api_client_for(staff_bg)
        etag = first.get(procedure_path(procedure))["ETag"]
        assert second.get(procedure_path(procedure))["ETag"] == etag

        ok = first.patch(procedure_path(procedure), {"notes": "Dal primo."}, HTTP_IF_MATCH=etag)
        late = second.patch(
            procedure_path(procedure), {"notes": "Dal secondo."}, HTTP_IF_MATCH=etag
        )

        assert ok.status_code == 200
        assert late.status_code == 412
        assert late["Content-Type"].startswith(PROBLEM)
        assert late.json()["errors"][0]["field"] == "If-Match"
        procedure.refresh_from_db()
        assert procedure.notes == "Dal primo."

    def test_a_weak_etag_never_matches_a_write(self, staff_bg, api_client_for, procedure):
        client = api_client_for(staff_bg)
        etag = client.get(procedure_path(procedure))["ETag"]
        response = client.patch(
            procedure_path(procedure), {"notes": "X"}, HTTP_IF_MATCH=f"W/{etag}"
        )
        assert response.status_code == 412
        procedure.refresh_from_db()
        assert procedure.notes != "X"

    def test_procedures_may_be_written_without_if_match(self, staff_bg, api_client_for, procedure):
        response = api_client_for(staff_bg).patch(procedure_path(procedure), {"notes": "Senza."})
        assert response.status_code == 200

    def test_out_of_scope_stays_a_404_whatever_the_if_match(
        self, staff_mi, api_client_for, procedure
    ):
        response = api_client_for(staff_mi).patch(
            procedure_path(procedure), {"notes": "X"}, HTTP_IF_MATCH='"stale"'
        )
        assert response.status_code == 404


class TestWorkersData:
    def test_a_move_without_if_match_is_a_428_and_nobody_moves(
        self, staff_bg, api_client_for, involvement
    ):
        response = api_client_for(staff_bg).post(
            involvement_path(involvement, "move"), {"to": "STEP_2", "effective_date": DAY}
        )
        assert response.status_code == 428
        assert response["Content-Type"].startswith(PROBLEM)
        involvement.refresh_from_db()
        assert involvement.current_step == Step.STEP_1
        assert StepTransition.objects.filter(involvement=involvement).count() == 1

    def test_if_match_star_is_not_enough_for_workers_data(
        self, staff_bg, api_client_for, involvement
    ):
        response = api_client_for(staff_bg).patch(
            involvement_path(involvement), {"hours_reduction_pct": 50}, HTTP_IF_MATCH="*"
        )
        # RFC 9110 §13.1.1: "*" is a condition that holds (the object exists), so a 412 would
        # say it failed; what is missing is the tag of the version read, a 428 (RFC 6585).
        assert response.status_code == 428
        assert response["Content-Type"].startswith(PROBLEM)
        assert [error["field"] for error in response.json()["errors"]] == ["If-Match"]
        involvement.refresh_from_db()
        assert involvement.hours_reduction_pct != 50

    def test_two_systems_moving_the_same_worker_one_gets_a_412(
        self, staff_bg, api_client, api_client_for, involvement
    ):
        first, second = api_client_for(staff_bg), api_client_for(api_client)
        etag = first.get(involvement_path(involvement))["ETag"]
        moved = first.post(
            involvement_path(involvement, "move"),
            {"to": "STEP_2", "effective_date": DAY},
            HTTP_IF_MATCH=etag,
        )
        late = second.post(
            involvement_path(involvement, "move"),
            {"to": "STEP_2", "effective_date": DAY},
            HTTP_IF_MATCH=etag,
        )
        assert moved.status_code == 201, moved.content
        assert moved["ETag"] == first.get(involvement_path(involvement))["ETag"]
        assert late.status_code == 412
        involvement.refresh_from_db()
        assert involvement.current_step == Step.STEP_2

    def test_an_outcome_with_a_stale_etag_is_refused(self, staff_bg, api_client_for, involvement):
        client = api_client_for(staff_bg)
        etag = client.get(involvement_path(involvement))["ETag"]
        Involvement.objects.filter(pk=involvement.pk).update(hours_reduction_pct=30)
        response = client.put(
            involvement_path(involvement, "outcome"),
            {
                "kind": "ricollocato",
                "date": DAY,
                "contract_kind": "indeterminato",
                "source": "operatore",
            },
            HTTP_IF_MATCH=etag,
        )
        assert response.status_code == 412
        assert not Outcome.objects.exists()

    def test_the_current_etag_lets_the_outcome_through(self, staff_bg, api_client_for, involvement):
        client = api_client_for(staff_bg)
        etag = client.get(involvement_path(involvement))["ETag"]
        response = client.put(
            involvement_path(involvement, "outcome"),
            {
                "kind": "ricollocato",
                "date": DAY,
                "contract_kind": "indeterminato",
                "source": "operatore",
            },
            HTTP_IF_MATCH=etag,
        )
        assert response.status_code == 201, response.content
        assert Outcome.objects.filter(involvement=involvement).exists()


class TestSchema:
    @pytest.fixture
    def schema(self, staff_bg, api_client_for):
        response = api_client_for(staff_bg).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
        assert response.status_code == 200
        return response.json()["paths"]

    def test_workers_data_documents_a_required_if_match_and_428(self, schema):
        move = schema["/api/v1/involvements/{id}/move/"]["post"]
        if_match = next(p for p in move["parameters"] if p["name"] == "If-Match")
        assert if_match["in"] == "header" and if_match["required"] is True
        assert {"412", "428"} <= set(move["responses"])
        assert "ETag" in move["responses"]["201"]["headers"]

    def test_other_writes_document_an_optional_if_match_and_412(self, schema):
        patch = schema["/api/v1/procedures/{id}/"]["patch"]
        if_match = next(p for p in patch["parameters"] if p["name"] == "If-Match")
        assert if_match.get("required", False) is False
        assert "412" in patch["responses"] and "428" not in patch["responses"]

    def test_reads_document_if_none_match_and_304(self, schema):
        read = schema["/api/v1/procedures/{id}/"]["get"]
        assert "If-None-Match" in {p["name"] for p in read["parameters"]}
        assert "304" in read["responses"]
