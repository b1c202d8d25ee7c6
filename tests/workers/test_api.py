"""§3, §6, §7: workers, cohorts and involvements through the API — scoping, identities, moves."""

import datetime

import jsonschema
import pytest
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.utils import timezone

from pal.models import Measure
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.factories import UserFactory
from tests.workers.factories import (
    CohortFactory,
    InvolvementFactory,
    WorkerFactory,
    exemption_reason,
)
from workers.enums import IncomeSupport, OutcomeKind, Step
from workers.filtersets import InvolvementSearchFilterSet
from workers.models import (
    Cohort,
    Involvement,
    Outcome,
    PersonalDataAccess,
    StepTransition,
    Worker,
)
from workers.services import involvement_move

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
RESOURCES = ["workers", "cohorts", "involvements"]
TAKEN_ON = datetime.date(2025, 4, 2)
DAY = datetime.date(2025, 5, 2)


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    return body


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["results"]]


def move(involvement, to, day=DAY, **kwargs):
    return involvement_move(user=None, involvement=involvement, to=to, effective_date=day, **kwargs)


def cohort_in(province: str, size: int = 1) -> tuple[Cohort, list[Involvement]]:
    unit = ProductionUnitFactory(procedure=CrisisProcedureFactory(lead=province))
    cohort = CohortFactory(procedure=unit.procedure, unit=unit)
    involvements = [InvolvementFactory(unit=unit, cohort=cohort) for _ in range(size)]
    return cohort, involvements


@pytest.fixture
def world():
    """One cohort with one worker in Bergamo and one in Milan."""
    cohort_bg, (bg,) = cohort_in("BG")
    cohort_mi, (mi,) = cohort_in("MI")
    return {"bg": bg, "mi": mi, "cohort_bg": cohort_bg, "cohort_mi": cohort_mi}


def pk_of(world, resource: str, province: str) -> int:
    involvement = world[province]
    return {
        "workers": involvement.worker_id,
        "cohorts": world[f"cohort_{province}"].pk,
        "involvements": involvement.pk,
    }[resource]


@pytest.fixture
def region_with_identities(db):
    user = UserFactory(username="region_pd", region_official=True)
    user.user_permissions.add(
        Permission.objects.get(
            codename="view_personal_data", content_type__app_label="crisi_portal"
        )
    )
    return user


@pytest.fixture
def api_client_bg(db):
    return UserFactory(username="api_bg", api_client=True, provinces=["BG"])


class TestInvolvementList:
    def test_an_involvement_shows_its_step_worker_procedure_and_allowed_moves(
        self, staff_bg, api_client_for, world
    ):
        involvement = world["bg"]
        response = api_client_for(staff_bg).get("/api/v1/involvements/")
        assert response.status_code == 200
        (item,) = response.json()["results"]
        assert item["step"] == "STEP_1"
        assert item["step_since"] == TAKEN_ON.isoformat()
        assert item["worker"]["fiscal_code"] == involvement.worker.fiscal_code
        assert item["worker"]["identity_masked"] is False
        assert item["procedure"] == involvement.procedure_id
        assert item["procedure_external_id"] == involvement.procedure.external_id
        assert item["unit"] == involvement.unit_id
        assert item["cohort"] == world["cohort_bg"].pk
        assert item["income_support"] == "cigs"
        assert item["hours_reduction_pct"] == 100
        assert item["period_start"] == "2025-04-01"
        assert item["outcome"] is None
        assert item["allowed_moves"] == [
            {"to": "STEP_2", "kind": "forward"},
            {"to": "NO_PAL", "kind": "exemption"},
        ]

    def test_corrections_are_not_offered_to_those_who_cannot_make_them(
        self, staff_bg, api_client, api_client_for, world
    ):
        move(world["bg"], Step.STEP_2)
        path = f"/api/v1/involvements/{world['bg'].pk}/"
        by_staff = api_client_for(staff_bg).get(path).json()["allowed_moves"]
        by_system = api_client_for(api_client).get(path).json()["allowed_moves"]
        assert {"to": "STEP_1", "kind": "correction"} in by_staff
        assert [m["kind"] for m in by_system] == ["forward", "exemption"]

    @pytest.mark.parametrize(
        ("param", "value_of"),
        [
            ("procedure", lambda i: i.procedure_id),
            ("unit", lambda i: i.unit_id),
            ("cohort", lambda i: i.cohort_id),
            ("procedure_external_id", lambda i: i.procedure.external_id),
        ],
    )
    def test_filters_by_procedure_unit_and_cohort(
        self, param, value_of, region, api_client_for, world
    ):
        response = api_client_for(region).get(
            "/api/v1/involvements/", {param: value_of(world["mi"])}
        )
        assert ids(response) == [world["mi"].pk]

    def test_filters_by_one_or_more_steps(self, region, api_client_for, world):
        third = InvolvementFactory()
        move(world["mi"], Step.STEP_2)
        move(third, Step.NO_PAL, exemption_reason=exemption_reason())
        client = api_client_for(region)
        assert ids(client.get("/api/v1/involvements/", {"step": "STEP_2"})) == [world["mi"].pk]
        both = client.get("/api/v1/involvements/?step=STEP_2&step=NO_PAL")
        assert sorted(ids(both)) == sorted([world["mi"].pk, third.pk])

    def test_an_unknown_step_is_a_400(self, region, api_client_for, world):
        # A query parameter that cannot be read is a bad request (issue #9), not a rule.
        response = api_client_for(region).get("/api/v1/involvements/", {"step": "STEP_9"})
        body = assert_problem(response, 400)
        assert body["errors"][0]["field"] == "step"

    def test_filters_by_income_support(self, region, api_client_for, world):
        Involvement.objects.filter(pk=world["mi"].pk).update(income_support=IncomeSupport.NASPI)
        response = api_client_for(region).get("/api/v1/involvements/", {"income_support": "naspi"})
        assert ids(response) == [world["mi"].pk]

    def test_filters_by_outcome_recorded_or_not(self, region, api_client_for, world):
        Outcome.objects.create(involvement=world["mi"], kind=OutcomeKind.RICOLLOCATO, date=DAY)
        client = api_client_for(region)
        assert ids(client.get("/api/v1/involvements/", {"has_outcome": "true"})) == [world["mi"].pk]
        assert ids(client.get("/api/v1/involvements/", {"has_outcome": "false"})) == [
            world["bg"].pk
        ]

    def test_a_name_in_the_query_string_is_refused_not_ignored(self, staff_bg, api_client_for):
        # Names are personal data: never in a URL. The search by name is POSTed (TestNameSearch).
        unit = ProductionUnitFactory()
        InvolvementFactory(unit=unit, worker=WorkerFactory(n=0))  # Rossi Chiara
        response = api_client_for(staff_bg).get("/api/v1/involvements/", {"q": "rossi chiara"})
        body = assert_problem(response, 400)
        assert body["type"].endswith("#name_in_query_string")
        assert body["errors"] == [{"field": "q", "message": body["detail"]}]
        assert "POST /api/v1/workers/search/" in body["detail"]

    def test_orders_by_step_in_the_order_of_the_model(self, region, api_client_for, world):
        move(world["bg"], Step.NO_PAL, exemption_reason=exemption_reason())
        move(world["mi"], Step.STEP_2)
        client = api_client_for(region)
        assert ids(client.get("/api/v1/involvements/", {"ordering": "step"})) == [
            world["mi"].pk,
            world["bg"].pk,
        ]
        assert ids(client.get("/api/v1/involvements/", {"ordering": "-step"})) == [
            world["bg"].pk,
            world["mi"].pk,
        ]

    def test_orders_by_worker_name(self, region, api_client_for):
        unit = ProductionUnitFactory()
        colombo = InvolvementFactory(unit=unit, worker=WorkerFactory(n=1))
        rossi = InvolvementFactory(unit=unit, worker=WorkerFactory(n=0))
        response = api_client_for(region).get("/api/v1/involvements/", {"ordering": "-worker"})
        assert ids(response) == [rossi.pk, colombo.pk]


class TestWorkersAndCohortsLists:
    def test_a_worker_shows_the_involvements_the_caller_can_see(self, staff_bg, api_client_for):
        worker = WorkerFactory()
        here = InvolvementFactory(worker=worker)
        InvolvementFactory(worker=worker, unit=ProductionUnitFactory(in_province="MI"))
        response = api_client_for(staff_bg).get(f"/api/v1/workers/{worker.pk}/")
        assert response.status_code == 200
        body = response.json()
        assert body["fiscal_code"] == worker.fiscal_code
        assert [i["id"] for i in body["involvements"]] == [here.pk]
        assert body["involvements"][0]["step"] == "STEP_1"

    def test_workers_filter_by_procedure_and_step_of_the_same_involvement(
        self, region, api_client_for, world
    ):
        other = InvolvementFactory(worker=world["bg"].worker)
        move(other, Step.STEP_2)
        client = api_client_for(region)
        path = "/api/v1/workers/"
        # STEP_2 in `other`'s procedure, not in the BG one where she is still at STEP_1.
        assert ids(client.get(path, {"procedure": other.procedure_id, "step": "STEP_2"})) == [
            world["bg"].worker_id
        ]
        assert (
            ids(client.get(path, {"procedure": world["bg"].procedure_id, "step": "STEP_2"})) == []
        )
        assert ids(client.get(path, {"unit": world["mi"].unit_id})) == [world["mi"].worker_id]

    def test_cohorts_filter_by_procedure_and_count_their_workers(
        self, region, api_client_for, world
    ):
        response = api_client_for(region).get(
            "/api/v1/cohorts/", {"procedure": world["cohort_mi"].procedure_id}
        )
        assert ids(response) == [world["cohort_mi"].pk]
        assert response.json()["results"][0]["workers"] == 1

    @pytest.mark.parametrize("resource", RESOURCES)
    def test_updated_since_returns_only_what_changed(self, resource, region, api_client_for, world):
        model = {"workers": Worker, "cohorts": Cohort, "involvements": Involvement}[resource]
        old, recent = pk_of(world, resource, "bg"), pk_of(world, resource, "mi")
        long_ago = timezone.now() - datetime.timedelta(days=30)
        model.objects.filter(pk=old).update(updated_at=long_ago)
        since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
        response = api_client_for(region).get(f"/api/v1/{resource}/", {"updated_since": since})
        assert ids(response) == [recent]

    @pytest.mark.parametrize("resource", RESOURCES)
    @pytest.mark.parametrize("size", [2, 12])
    def test_a_list_costs_a_fixed_number_of_queries(
        self, resource, size, region_with_identities, api_client_for, django_assert_max_num_queries
    ):
        cohort, involvements = cohort_in("BG", size)
        Outcome.objects.create(involvement=involvements[0], kind=OutcomeKind.ALTRO_ESITO, date=DAY)
        client = api_client_for(region_with_identities)
        # Token and user, the token's first use recorded, two for permissions, count, rows, then
        # per resource: workers prefetch their involvements and log the identities shown;
        # involvements log them.
        queries = {"workers": 8, "cohorts": 6, "involvements": 7}[resource]
        with django_assert_max_num_queries(queries):
            response = client.get(f"/api/v1/{resource}/")
        assert response.json()["count"] == (1 if resource == "cohorts" else size)


class TestScoping:
    @pytest.mark.parametrize("resource", RESOURCES)
    def test_staff_list_only_their_provinces(self, resource, staff_bg, api_client_for, world):
        response = api_client_for(staff_bg).get(f"/api/v1/{resource}/")
        assert ids(response) == [pk_of(world, resource, "bg")]

    @pytest.mark.parametrize("resource", RESOURCES)
    def test_an_object_out_of_scope_is_not_found(self, resource, staff_bg, api_client_for, world):
        pk = pk_of(world, resource, "mi")
        response = api_client_for(staff_bg).get(f"/api/v1/{resource}/{pk}/")
        body = assert_problem(response, 404)
        assert body["instance"] == f"/api/v1/{resource}/{pk}/"

    @pytest.mark.parametrize("resource", RESOURCES)
    def test_a_province_restricted_system_sees_only_its_province(
        self, resource, api_client_bg, api_client_for, world
    ):
        response = api_client_for(api_client_bg).get(f"/api/v1/{resource}/")
        assert ids(response) == [pk_of(world, resource, "bg")]

    @pytest.mark.parametrize("resource", RESOURCES)
    def test_region_officials_read_every_province(self, resource, region, api_client_for, world):
        response = api_client_for(region).get(f"/api/v1/{resource}/")
        assert response.json()["count"] == 2

    @pytest.mark.parametrize("resource", RESOURCES)
    def test_operators_cannot_read_for_now(self, resource, operator_user, api_client_for, world):
        assert_problem(api_client_for(operator_user).get(f"/api/v1/{resource}/"), 403)

    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/workers/search/",
            "/api/v1/cohorts/{cohort}/move/",
            "/api/v1/cohorts/{cohort}/assign/",
            "/api/v1/involvements/{involvement}/move/",
            "/api/v1/involvements/{involvement}/outcome/",
        ],
    )
    def test_a_get_on_a_write_action_is_a_405_after_the_role_check(
        self, path, staff_bg, operator_user, api_client_for, world
    ):
        path = path.format(cohort=world["cohort_mi"].pk, involvement=world["mi"].pk)
        assert_problem(api_client_for(staff_bg).get(path), 405)
        assert_problem(api_client_for(operator_user).get(path), 403)

    def test_an_anonymous_request_is_refused(self, client, world):
        assert_problem(client.get("/api/v1/involvements/"), 401)

    def test_region_officials_cannot_move_workers(self, region, api_client_for, world):
        response = api_client_for(region).post(
            f"/api/v1/involvements/{world['bg'].pk}/move/",
            {"to": "STEP_2", "effective_date": DAY.isoformat()},
        )
        assert_problem(response, 403)

    def test_staff_cannot_move_a_worker_of_another_province(self, staff_bg, api_client_for, world):
        response = api_client_for(staff_bg).post(
            f"/api/v1/involvements/{world['mi'].pk}/move/",
            {"to": "STEP_2", "effective_date": DAY.isoformat()},
        )
        assert_problem(response, 404)
        world["mi"].refresh_from_db()
        assert world["mi"].current_step == Step.STEP_1


class TestIdentities:
    def test_region_officials_see_masked_identities(self, region, api_client_for, world):
        worker = world["bg"].worker
        body = api_client_for(region).get(f"/api/v1/workers/{worker.pk}/").json()
        assert body["identity_masked"] is True
        assert body["fiscal_code"] == worker.masked_fiscal_code
        assert body["fiscal_code"] != worker.fiscal_code
        assert (body["last_name"], body["first_name"]) == (
            f"{worker.last_name[0]}.",
            f"{worker.first_name[0]}.",
        )
        assert body["birth_date"] is None
        assert not PersonalDataAccess.objects.exists()

    def test_identities_nested_in_involvements_are_masked_too(self, region, api_client_for, world):
        response = api_client_for(region).get("/api/v1/involvements/")
        workers = [item["worker"] for item in response.json()["results"]]
        assert all(w["identity_masked"] and w["birth_date"] is None for w in workers)
        assert {w["fiscal_code"] for w in workers} == {
            world["bg"].worker.masked_fiscal_code,
            world["mi"].worker.masked_fiscal_code,
        }

    def test_with_the_permission_they_see_them_and_the_read_is_logged(
        self, region_with_identities, api_client_for, world
    ):
        worker = world["bg"].worker
        path = f"/api/v1/workers/{worker.pk}/"
        body = api_client_for(region_with_identities).get(path).json()
        assert body["identity_masked"] is False
        assert body["fiscal_code"] == worker.fiscal_code
        assert body["birth_date"] == worker.birth_date.isoformat()
        (access,) = PersonalDataAccess.objects.all()
        assert (access.user, access.worker, access.purpose, access.path) == (
            region_with_identities,
            worker,
            "api",
            path,
        )

    @pytest.mark.parametrize("resource", ["workers", "involvements"])
    def test_a_list_logs_one_read_per_worker_shown(
        self, resource, region_with_identities, api_client_for, world
    ):
        api_client_for(region_with_identities).get(f"/api/v1/{resource}/", {"limit": 1})
        shown = PersonalDataAccess.objects.values_list("worker", flat=True)
        assert list(shown) == [min(world["bg"].worker, world["mi"].worker, key=str).pk]

    def test_staff_reads_in_their_province_are_not_logged(self, staff_bg, api_client_for, world):
        response = api_client_for(staff_bg).get("/api/v1/workers/")
        assert response.json()["results"][0]["identity_masked"] is False
        assert not PersonalDataAccess.objects.exists()

    def test_searching_by_name_is_not_offered_without_identities(
        self, region, api_client_for, world
    ):
        response = api_client_for(region).post("/api/v1/workers/search/", {"name": "zzz"})
        assert_problem(response, 403)
        request = RequestFactory().get("/", {"q": "zzz"})
        request.user = region
        assert InvolvementSearchFilterSet(request.GET, request=request).form.fields["q"].disabled


class TestFiscalCodeSearch:
    def test_a_worker_is_found_by_fiscal_code_with_post(self, staff_bg, api_client_for, world):
        worker = world["bg"].worker
        response = api_client_for(staff_bg).post(
            "/api/v1/workers/search/", {"fiscal_code": f" {worker.fiscal_code.lower()} "}
        )
        assert response.status_code == 200
        assert response.json()["id"] == worker.pk

    def test_a_worker_out_of_scope_is_not_found(self, staff_bg, api_client_for, world):
        response = api_client_for(staff_bg).post(
            "/api/v1/workers/search/", {"fiscal_code": world["mi"].worker.fiscal_code}
        )
        assert_problem(response, 404)

    def test_region_officials_search_and_get_the_masked_worker(self, region, api_client_for, world):
        worker = world["mi"].worker
        response = api_client_for(region).post(
            "/api/v1/workers/search/", {"fiscal_code": worker.fiscal_code}
        )
        assert response.json()["fiscal_code"] == worker.masked_fiscal_code

    def test_an_invalid_fiscal_code_is_a_422(self, staff_bg, api_client_for, world):
        response = api_client_for(staff_bg).post(
            "/api/v1/workers/search/", {"fiscal_code": "RSSMRA80A01H501X"}
        )
        body = assert_problem(response, 422)
        assert body["errors"][0]["field"] == "fiscal_code"

    def test_operators_cannot_search(self, operator_user, api_client_for, world):
        response = api_client_for(operator_user).post(
            "/api/v1/workers/search/", {"fiscal_code": world["bg"].worker.fiscal_code}
        )
        assert_problem(response, 403)

    @pytest.mark.parametrize("resource", RESOURCES)
    def test_a_fiscal_code_in_the_query_string_is_refused(
        self, resource, staff_bg, api_client_for, world
    ):
        response = api_client_for(staff_bg).get(
            f"/api/v1/{resource}/", {"fiscal_code": world["bg"].worker.fiscal_code}
        )
        body = assert_problem(response, 400)
        assert "POST /api/v1/workers/search/" in body["detail"]
        assert body["errors"][0]["field"] == "fiscal_code"
        assert world["bg"].worker.fiscal_code not in response.content.decode()  # not echoed

    def test_a_fiscal_code_in_any_parameter_is_refused(self, staff_bg, api_client_for, world):
        response = api_client_for(staff_bg).get(
            "/api/v1/involvements/", {"q": world["bg"].worker.fiscal_code.lower()}
        )
        assert_problem(response, 400)


class TestNameSearch:
    """Names are searched with POST /api/v1/workers/search/ and {"name": ...}: never in a URL."""

    SEARCH = "/api/v1/workers/search/"

    @pytest.fixture
    def namesakes(self, db):
        """A Zanzottera in Bergamo (two words of her name match) and one in Milan."""
        found = []
        for province, first in (("BG", "Ermenegilda"), ("MI", "Ermenegilda")):
            unit = ProductionUnitFactory(procedure=CrisisProcedureFactory(lead=province))
            worker = WorkerFactory(last_name="Zanzottera", first_name=first)
            found.append(InvolvementFactory(unit=unit, worker=worker).worker)
        InvolvementFactory(unit=unit, worker=WorkerFactory(last_name="Brambilla"))
        return found

    @pytest.mark.parametrize("term", ["zanzottera", "ERMENEGILDA  zanzott", " zanz "])
    def test_a_province_officer_finds_only_their_provinces_worker(
        self, term, staff_bg, api_client_for, namesakes
    ):
        response = api_client_for(staff_bg).post(self.SEARCH, {"name": term})
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["count"], ids(response)) == (1, [namesakes[0].pk])
        assert body["results"][0]["last_name"] == "Zanzottera"

    def test_a_province_restricted_api_client_is_scoped_too(self, api_client_for, namesakes):
        client_user = UserFactory(username="siul_mi", api_client=True, provinces=["MI"])
        response = api_client_for(client_user).post(self.SEARCH, {"name": "zanzottera"})
        assert ids(response) == [namesakes[1].pk]

    def test_the_region_with_identities_finds_both_and_every_read_is_logged(
        self, region_with_identities, api_client_for, namesakes
    ):
        response = api_client_for(region_with_identities).post(self.SEARCH, {"name": "Zanzottera"})
        assert sorted(ids(response)) == sorted(w.pk for w in namesakes)
        logged = PersonalDataAccess.objects.filter(user=region_with_identities)
        assert sorted(logged.values_list("worker_id", flat=True)) == sorted(w.pk for w in namesakes)

    def test_results_are_paged_with_limit_and_offset_in_the_query_string(
        self, region_with_identities, api_client_for, namesakes
    ):
        client = api_client_for(region_with_identities)
        first = client.post(f"{self.SEARCH}?limit=1", {"name": "zanzottera"}).json()
        second = client.post(f"{self.SEARCH}?limit=1&offset=1", {"name": "zanzottera"}).json()
        assert (first["count"], len(first["results"]), len(second["results"])) == (2, 1, 1)
        assert first["results"][0]["id"] != second["results"][0]["id"]
        assert "zanzottera" not in first["next"].lower()  # the link carries no name

    @pytest.mark.parametrize(
        "body",
        [{}, {"name": ""}, {"fiscal_code": "RSSCHR60A41A794Z", "name": "rossi"}],
        ids=["nothing", "blank", "both"],
    )
    def test_neither_or_both_terms_is_a_422(self, body, staff_bg, api_client_for, namesakes):
        assert_problem(api_client_for(staff_bg).post(self.SEARCH, body, format="json"), 422)

    @pytest.mark.parametrize("resource", RESOURCES)
    @pytest.mark.parametrize("name", ["q", "name", "last_name", "Search"])
    def test_a_name_parameter_on_any_list_is_a_400_naming_it(
        self, resource, name, staff_bg, api_client_for, namesakes
    ):
        response = api_client_for(staff_bg).get(f"/api/v1/{resource}/", {name: "zanzottera"})
        body = assert_problem(response, 400)
        assert body["errors"][0]["field"] == name
        # The name is not echoed back either (the problem's instance is the bare path).
        assert "zanzottera" not in response.content.decode().lower()
        assert body["instance"] == f"/api/v1/{resource}/"


class TestMove:
    def path(self, involvement) -> str:
        return f"/api/v1/involvements/{involvement.pk}/move/"

    def test_a_move_is_a_201_with_the_transition(self, staff_bg, api_client_for, world):
        involvement = world["bg"]
        response = api_client_for(staff_bg, if_match=True).post(
            self.path(involvement),
            {"to": "STEP_2", "effective_date": DAY.isoformat(), "expected_from": "STEP_1"},
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["from_step"], body["to_step"], body["kind"]) == ("STEP_1", "STEP_2", "forward")
        assert body["recorded_by"] == staff_bg.username
        involvement.refresh_from_db()
        assert (involvement.current_step, involvement.current_step_since) == (Step.STEP_2, DAY)

    def test_skipping_a_step_is_a_422(self, staff_bg, api_client_for, world):
        response = api_client_for(staff_bg, if_match=True).post(
            self.path(world["bg"]), {"to": "STEP_3", "effective_date": DAY.isoformat()}
        )
        body = assert_problem(response, 422)
        assert body["type"].endswith("#step_move_refused")
        assert body["errors"][0]["field"] == "to"

    def test_a_date_in_the_future_is_a_422(self, staff_bg, api_client_for, world):
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        response = api_client_for(staff_bg, if_match=True).post(
            self.path(world["bg"]), {"to": "STEP_2", "effective_date": tomorrow.isoformat()}
        )
        body = assert_problem(response, 422)
        assert body["errors"][0]["field"] == "effective_date"

    def test_an_exemption_without_a_reason_is_a_422(self, staff_bg, api_client_for, world):
        response = api_client_for(staff_bg, if_match=True).post(
            self.path(world["bg"]), {"to": "NO_PAL", "effective_date": DAY.isoformat()}
        )
        body = assert_problem(response, 422)
        assert body["errors"][0]["field"] == "exemption_reason"

    def test_an_exemption_names_its_reason_by_code(self, staff_bg, api_client_for, world):
        response = api_client_for(staff_bg, if_match=True).post(
            self.path(world["bg"]),
            {
                "to": "NO_PAL",
                "effective_date": DAY.isoformat(),
                "exemption_reason": "pensionamento_imminente",
            },
        )
        assert response.status_code == 201
        assert response.json()["exemption_reason"] == "pensionamento_imminente"

    def test_an_unknown_exemption_reason_is_a_422(self, staff_bg, api_client_for, world):
        response = api_client_for(staff_bg, if_match=True).post(
            self.path(world["bg"]),
            {"to": "NO_PAL", "effective_date": DAY.isoformat(), "exemption_reason": "boh"},
        )
        body = assert_problem(response, 422)
        assert body["errors"][0]["field"] == "exemption_reason"

    def test_step_4_names_the_measure(self, staff_bg, api_client_for, world):
        involvement = world["bg"]
        move(involvement, Step.STEP_2)
        move(involvement, Step.STEP_3)
        client = api_client_for(staff_bg, if_match=True)
        without = client.post(
            self.path(involvement), {"to": "STEP_4", "effective_date": DAY.isoformat()}
        )
        assert assert_problem(without, 422)["errors"][0]["field"] == "measure"
        measure = Measure.objects.get(code="gol-percorso-5")
        with_it = client.post(
            self.path(involvement),
            {"to": "STEP_4", "effective_date": DAY.isoformat(), "measure": measure.code},
        )
        assert with_it.status_code == 201
        assert StepTransition.objects.get(pk=with_it.json()["id"]).measure == measure

    def test_a_correction_by_province_staff_with_a_reason_is_accepted(
        self, staff_bg, api_client_for, world
    ):
        move(world["bg"], Step.STEP_2)
        response = api_client_for(staff_bg, if_match=True).post(
            self.path(world["bg"]),
            {"to": "STEP_1", "effective_date": DAY.isoformat(), "reason": "Inserito per errore"},
        )
        assert response.status_code == 201
        assert response.json()["kind"] == "correction"

    def test_a_correction_without_a_reason_is_a_422(self, staff_bg, api_client_for, world):
        move(world["bg"], Step.STEP_2)
        response = api_client_for(staff_bg, if_match=True).post(
            self.path(world["bg"]), {"to": "STEP_1", "effective_date": DAY.isoformat()}
        )
        assert assert_problem(response, 422)["errors"][0]["field"] == "reason"

    def test_a_correction_by_another_system_is_a_403(self, api_client, api_client_for, world):
        move(world["bg"], Step.STEP_2)
        response = api_client_for(api_client, if_match=True).post(
            self.path(world["bg"]),
            {"to": "STEP_1", "effective_date": DAY.isoformat(), "reason": "Errore"},
        )
        assert_problem(response, 403)
        world["bg"].refresh_from_db()
        assert world["bg"].current_step == Step.STEP_2

    def test_a_stale_expected_step_is_a_409(self, staff_bg, api_client_for, world):
        move(world["bg"], Step.STEP_2)  # someone else, meanwhile
        response = api_client_for(staff_bg, if_match=True).post(
            self.path(world["bg"]),
            {"to": "STEP_2", "effective_date": DAY.isoformat(), "expected_from": "STEP_1"},
        )
        body = assert_problem(response, 409)
        assert body["type"].endswith("#step_conflict")
        assert world["bg"].transitions.count() == 2

    def test_the_timeline_lists_every_move_oldest_first(self, region, api_client_for, world):
        move(world["bg"], Step.STEP_2)
        move(world["bg"], Step.NO_PAL, exemption_reason=exemption_reason())
        response = api_client_for(region).get(f"/api/v1/involvements/{world['bg'].pk}/transitions/")
        assert response.status_code == 200
        assert [(t["from_step"], t["to_step"]) for t in response.json()] == [
            (None, "STEP_1"),
            ("STEP_1", "STEP_2"),
            ("STEP_2", "NO_PAL"),
        ]

    def test_the_timeline_out_of_scope_is_not_found(self, staff_bg, api_client_for, world):
        path = f"/api/v1/involvements/{world['mi'].pk}/transitions/"
        assert_problem(api_client_for(staff_bg, if_match=True).get(path), 404)


class TestInvolvementChanges:
    def test_staff_change_hours_and_period(self, staff_bg, api_client_for, world):
        response = api_client_for(staff_bg, if_match=True).patch(
            f"/api/v1/involvements/{world['bg'].pk}/",
            {"hours_reduction_pct": 50, "period_end": "2025-12-31", "income_support": "fis"},
        )
        assert response.status_code == 200, response.content
        assert response.json()["hours_reduction_pct"] == 50
        world["bg"].refresh_from_db()
        assert (world["bg"].period_end, world["bg"].income_support) == (
            datetime.date(2025, 12, 31),
            IncomeSupport.FIS,
        )

    def test_a_period_ending_before_it_starts_is_a_422(self, staff_bg, api_client_for, world):
        response = api_client_for(staff_bg, if_match=True).patch(
            f"/api/v1/involvements/{world['bg'].pk}/", {"period_end": "2024-01-01"}
        )
        body = assert_problem(response, 422)
        assert "period_end" in {e["field"] for e in body["errors"]}

    def test_the_step_cannot_be_patched(self, staff_bg, api_client_for, world):
        api_client_for(staff_bg, if_match=True).patch(
            f"/api/v1/involvements/{world['bg'].pk}/", {"step": "STEP_4"}
        )
        world["bg"].refresh_from_db()
        assert world["bg"].current_step == Step.STEP_1

    def test_a_cohort_of_another_province_is_not_an_option(self, staff_bg, api_client_for, world):
        response = api_client_for(staff_bg, if_match=True).patch(
            f"/api/v1/involvements/{world['bg'].pk}/", {"cohort": world["cohort_mi"].pk}
        )
        assert assert_problem(response, 422)["errors"][0]["field"] == "cohort"

    def test_put_on_an_involvement_is_not_allowed(self, staff_bg, api_client_for, world):
        response = api_client_for(staff_bg, if_match=True).put(
            f"/api/v1/involvements/{world['bg'].pk}/", {"hours_reduction_pct": 50}
        )
        assert_problem(response, 405)

    def test_region_officials_cannot_change_involvements(self, region, api_client_for, world):
        response = api_client_for(region).patch(
            f"/api/v1/involvements/{world['bg'].pk}/", {"hours_reduction_pct": 50}
        )
        assert_problem(response, 403)

    def test_an_outcome_is_recorded_then_replaced(self, staff_bg, api_client_for, world):
        client = api_client_for(staff_bg, if_match=True)
        path = f"/api/v1/involvements/{world['bg'].pk}/outcome/"
        first = client.put(
            path,
            {
                "kind": "ricollocato",
                "date": DAY.isoformat(),
                "contract_kind": "indeterminato",
                "employer": "Meccanica Orobica S.r.l.",
            },
        )
        assert first.status_code == 201, first.content
        second = client.put(path, {"kind": "pensionamento", "date": DAY.isoformat()})
        assert second.status_code == 200
        outcome = Outcome.objects.get(involvement=world["bg"])
        assert (outcome.kind, outcome.employer) == (OutcomeKind.PENSIONAMENTO, "")
        item = client.get(f"/api/v1/involvements/{world['bg'].pk}/").json()
        assert item["outcome"]["kind"] == "pensionamento"

    def test_an_outcome_in_the_future_is_a_422(self, staff_bg, api_client_for, world):
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        response = api_client_for(staff_bg, if_match=True).put(
            f"/api/v1/involvements/{world['bg'].pk}/outcome/",
            {"kind": "ricollocato", "date": tomorrow.isoformat(), "contract_kind": "indeterminato"},
        )
        assert assert_problem(response, 422)["errors"][0]["field"] == "date"
        assert not Outcome.objects.exists()


class TestCohorts:
    def test_staff_create_a_cohort_in_their_province(self, staff_bg, api_client_for, world):
        unit = world["bg"].unit
        response = api_client_for(staff_bg).post(
            "/api/v1/cohorts/",
            {"procedure": unit.procedure_id, "unit": unit.pk, "name": " Turno B "},
        )
        assert response.status_code == 201, response.content
        assert response.json()["name"] == "Turno B"
        assert response.json()["workers"] == 0
        assert Cohort.objects.filter(procedure=unit.procedure, name="Turno B").exists()

    def test_a_procedure_out_of_scope_is_not_an_option(self, staff_bg, api_client_for, world):
        response = api_client_for(staff_bg).post(
            "/api/v1/cohorts/", {"procedure": world["mi"].procedure_id, "name": "Turno B"}
        )
        assert assert_problem(response, 422)["errors"][0]["field"] == "procedure"

    def test_a_unit_of_another_procedure_is_a_422(self, staff_bg, api_client_for, world):
        other = ProductionUnitFactory()
        response = api_client_for(staff_bg).post(
            "/api/v1/cohorts/",
            {"procedure": world["bg"].procedure_id, "unit": other.pk, "name": "Turno B"},
        )
        assert assert_problem(response, 422)["errors"][0]["field"] == "unit"

    def test_region_officials_cannot_create_cohorts(self, region, api_client_for, world):
        response = api_client_for(region).post(
            "/api/v1/cohorts/", {"procedure": world["bg"].procedure_id, "name": "Turno B"}
        )
        assert_problem(response, 403)

    def test_workers_are_assigned_to_a_cohort(self, staff_bg, api_client_for):
        cohort, _members = cohort_in("BG")
        newcomer = InvolvementFactory(unit=cohort.unit)
        response = api_client_for(staff_bg).post(
            f"/api/v1/cohorts/{cohort.pk}/assign/", {"involvements": [newcomer.pk]}
        )
        assert response.status_code == 200, response.content
        assert response.json() == {"assigned": 1}
        newcomer.refresh_from_db()
        assert newcomer.cohort == cohort

    def test_workers_out_of_scope_cannot_be_assigned(self, staff_bg, api_client_for, world):
        response = api_client_for(staff_bg).post(
            f"/api/v1/cohorts/{world['cohort_bg'].pk}/assign/", {"involvements": [world["mi"].pk]}
        )
        assert assert_problem(response, 422)["errors"][0]["field"] == "involvements"

    def test_workers_of_another_procedure_cannot_be_assigned(self, staff_bg, api_client_for, world):
        other = InvolvementFactory()
        response = api_client_for(staff_bg).post(
            f"/api/v1/cohorts/{world['cohort_bg'].pk}/assign/", {"involvements": [other.pk]}
        )
        assert assert_problem(response, 422)["errors"][0]["field"] == "cohort"
        other.refresh_from_db()
        assert other.cohort is None


class TestCohortMove:
    def path(self, cohort) -> str:
        return f"/api/v1/cohorts/{cohort.pk}/move/"

    def test_the_whole_cohort_moves(self, staff_bg, api_client_for):
        cohort, members = cohort_in("BG", 3)
        response = api_client_for(staff_bg).post(
            self.path(cohort), {"to": "STEP_2", "effective_date": DAY.isoformat()}
        )
        assert response.status_code == 200, response.content
        assert response.json() == {"moved": 3, "to": "STEP_2"}
        assert set(Involvement.objects.values_list("current_step", flat=True)) == {Step.STEP_2}

    def test_some_of_the_cohort_move(self, staff_bg, api_client_for):
        cohort, (first, second) = cohort_in("BG", 2)
        response = api_client_for(staff_bg).post(
            self.path(cohort),
            {"to": "STEP_2", "effective_date": DAY.isoformat(), "involvements": [second.pk]},
        )
        assert response.json()["moved"] == 1
        first.refresh_from_db()
        second.refresh_from_db()
        assert (first.current_step, second.current_step) == (Step.STEP_1, Step.STEP_2)

    def test_a_worker_outside_the_cohort_is_a_422(self, staff_bg, api_client_for, world):
        response = api_client_for(staff_bg).post(
            self.path(world["cohort_bg"]),
            {"to": "STEP_2", "effective_date": DAY.isoformat(), "involvements": [world["mi"].pk]},
        )
        assert assert_problem(response, 422)["errors"][0]["field"] == "involvements"

    def test_a_bulk_move_is_all_or_nothing_and_names_who_could_not_move(
        self, staff_bg, api_client_for
    ):
        cohort, (ahead, *others) = cohort_in("BG", 3)
        for involvement in cohort.involvements.all():
            move(involvement, Step.STEP_2)
        move(ahead, Step.STEP_3)
        response = api_client_for(staff_bg).post(
            self.path(cohort), {"to": "STEP_3", "effective_date": DAY.isoformat()}
        )
        body = assert_problem(response, 422)
        assert body["type"].endswith("#bulk_move_refused")
        assert [(e["involvement"], e["worker"]) for e in body["errors"]] == [
            (ahead.pk, str(ahead.worker))
        ]
        assert body["errors"][0]["message"]
        steps = dict(Involvement.objects.values_list("pk", "current_step"))
        assert steps == {ahead.pk: Step.STEP_3, **{i.pk: Step.STEP_2 for i in others}}
        assert StepTransition.objects.filter(to_step=Step.STEP_3).count() == 1

    def test_region_officials_cannot_move_a_cohort(self, region, api_client_for, world):
        response = api_client_for(region).post(
            self.path(world["cohort_bg"]), {"to": "STEP_2", "effective_date": DAY.isoformat()}
        )
        assert_problem(response, 403)

    def test_a_cohort_out_of_scope_is_not_found(self, staff_bg, api_client_for, world):
        response = api_client_for(staff_bg).post(
            self.path(world["cohort_mi"]), {"to": "STEP_2", "effective_date": DAY.isoformat()}
        )
        assert_problem(response, 404)


class TestSchema:
    def test_the_openapi_schema_documents_the_worker_resources(
        self, region_with_identities, api_client_for
    ):
        response = api_client_for(region_with_identities).get("/api/v1/schema/", {"format": "json"})
        assert response.status_code == 200
        paths = response.json()["paths"]
        for path in (
            "/api/v1/workers/",
            "/api/v1/workers/search/",
            "/api/v1/cohorts/{id}/move/",
            "/api/v1/cohorts/{id}/assign/",
            "/api/v1/involvements/{id}/move/",
            "/api/v1/involvements/{id}/transitions/",
            "/api/v1/involvements/{id}/outcome/",
        ):
            assert path in paths
        move_body = paths["/api/v1/involvements/{id}/move/"]["post"]["requestBody"]
        assert move_body["content"]["application/json"]["schema"]["$ref"].endswith(
            "/InvolvementMoveRequest"
        )
        worker_params = {p["name"] for p in paths["/api/v1/workers/"]["get"]["parameters"]}
        assert "fiscal_code" not in worker_params


class TestWorkerEmailInTheSchema:
    """Found by tools/api_fuzz.sh: the API sends ``email: ""`` (not known, or not shown to the
    caller) and the schema said ``format: email``, which "" is not: a validating client refused
    the worker."""

    @pytest.fixture
    def email_schema(self, admin_user, api_client_for):
        schema = api_client_for(admin_user).get("/api/v1/schema/?format=json").json()
        return schema["components"]["schemas"]["Worker"]["properties"]["email"]

    @pytest.mark.parametrize("value", ["", "mario.rossi@example.it"])
    def test_what_the_api_sends_is_valid_against_the_schema(self, email_schema, value):
        jsonschema.validate(value, email_schema, format_checker=jsonschema.FormatChecker())

    def test_a_served_worker_without_email_validates(
        self, email_schema, region_with_identities, api_client_for, world
    ):
        world["bg"].worker.__class__.objects.filter(pk=world["bg"].worker_id).update(email="")
        response = api_client_for(region_with_identities).get(
            f"/api/v1/workers/{world['bg'].worker_id}/"
        )
        assert response.status_code == 200, response.content
        assert response.json()["email"] == ""
        jsonschema.validate(
            response.json()["email"], email_schema, format_checker=jsonschema.FormatChecker()
        )

    def test_an_address_that_is_not_one_does_not_validate(self, email_schema):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(
                "not an address", email_schema, format_checker=jsonschema.FormatChecker()
            )


@pytest.mark.parametrize("query", ["limit=0", "offset=-252", "limit=abc"])
def test_a_search_by_fiscal_code_still_reads_its_page_parameters(
    query, staff_bg, api_client_for, world
):
    # Found by tools/api_fuzz.sh: the page parameters were ignored when a fiscal code answered.
    response = api_client_for(staff_bg).post(
        f"/api/v1/workers/search/?{query}", {"fiscal_code": world["bg"].worker.fiscal_code}
    )
    body = assert_problem(response, 400)
    assert [error["field"] for error in body["errors"]] == [query.split("=")[0]]
