"""§4, §7: active policies through the API — scoping by organisation and province, the PIP
workflow, rules refused as problems naming them, networks with their checklist."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from pal import services
from pal.enums import DoteStatus, MemberKind, PIPStatus
from pal.models import PIP, Dote, Measure, Network, Operator
from tests.cases.factories import CrisisProcedureFactory, OperatorFactory, ProductionUnitFactory
from tests.factories import UserFactory
from tests.pal.factories import DoteFactory, PIPFactory, PIPServiceFactory, measure
from tests.workers.factories import InvolvementFactory
from workers.enums import Step
from workers.models import PersonalDataAccess
from workers.services import involvement_move

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
SERVICE = {
    "kind": "orientamento",
    "hours": 10,
    "cost": 500,
    "delivery": "individuale",
    "planned_start": "2025-06-01",
    "planned_end": "2025-07-31",
}


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    return body


def assert_rule(response, code: str) -> dict:
    """A 422 problem that names the rule refused."""
    body = assert_problem(response, 422)
    assert body["type"] == f"about:blank#{code}"
    return body


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return sorted(item["id"] for item in response.json()["results"])


def involvement_in(province: str, step: str = Step.STEP_1):
    unit = ProductionUnitFactory(procedure=CrisisProcedureFactory(lead=province))
    involvement = InvolvementFactory(unit=unit)
    path = [Step.STEP_2, Step.STEP_3]
    for day, to in enumerate(path[: path.index(step) + 1] if step in path else [], start=10):
        involvement_move(
            user=None, involvement=involvement, to=to, effective_date=datetime.date(2025, 4, day)
        )
    return involvement


def pip_for(dote: Dote, *, cost="500.00", status=PIPStatus.BOZZA) -> PIP:
    pip = PIPFactory(dote=dote, status=status)
    PIPServiceFactory(pip=pip, cost=Decimal(cost))
    return pip


def a_valid_network(*, name="Rete Bergamo", province="BG", lead=None, operator_members=()):
    lead = lead or OperatorFactory()
    cpi = OperatorFactory(cpi=True)
    members = [
        {"kind": MemberKind.OPERATORE_LAVORO, "name": lead.name, "operator": lead},
        {"kind": MemberKind.PROVINCIA, "name": "Provincia", "province_id": province},
        {"kind": MemberKind.CPI, "name": cpi.name, "operator": cpi, "province_id": province},
        *(
            {"kind": MemberKind.OPERATORE_FORMAZIONE, "name": op.name, "operator": op}
            for op in operator_members
        ),
    ]
    return services.network_save(
        user=None,
        data={
            "name": name,
            "lead": lead,
            "province_id": province,
            "measure": measure("azioni-di-rete"),
            "valid_from": datetime.date(2025, 5, 1),
        },
        members=members,
    )


@pytest.fixture
def operator_b(db):
    return UserFactory(username="operator_b", operator=True)


@pytest.fixture
def api_client_bg(db):
    return UserFactory(username="api_bg", api_client=True, provinces=["BG"])


@pytest.fixture
def world(operator_user, operator_b):
    """Operator A holds a Dote (with a PIP) of a Bergamo worker, operator B one in Milan."""
    dote_a = DoteFactory(
        involvement=involvement_in("BG", Step.STEP_3), operator=operator_user.operator
    )
    dote_b = DoteFactory(involvement=involvement_in("MI"), operator=operator_b.operator)
    return {
        "dote_a": dote_a,
        "dote_b": dote_b,
        "pip_a": pip_for(dote_a),
        "pip_b": pip_for(dote_b),
    }


class TestOperatorScope:
    """The issue: "operator tokens see only their organisation's data"."""

    @pytest.mark.parametrize("resource", ["doti", "pips"])
    def test_an_operator_lists_only_its_organisation(
        self, resource, operator_user, api_client_for, world
    ):
        response = api_client_for(operator_user).get(f"/api/v1/{resource}/")
        key = {"doti": "dote_a", "pips": "pip_a"}[resource]
        assert ids(response) == [world[key].pk]

    @pytest.mark.parametrize("resource", ["doti", "pips"])
    def test_another_organisation_s_object_is_not_found(
        self, resource, operator_user, api_client_for, world
    ):
        pk = world[{"doti": "dote_b", "pips": "pip_b"}[resource]].pk
        response = api_client_for(operator_user).get(f"/api/v1/{resource}/{pk}/")
        body = assert_problem(response, 404)
        assert body["instance"] == f"/api/v1/{resource}/{pk}/"

    def test_an_operator_sees_the_networks_it_belongs_to(
        self, operator_user, operator_b, api_client_for
    ):
        mine = a_valid_network(operator_members=[operator_user.operator])
        a_valid_network(name="Rete di altri", operator_members=[operator_b.operator])
        response = api_client_for(operator_user).get("/api/v1/networks/")
        assert ids(response) == [mine.pk]

    def test_an_operator_cannot_change_another_organisation_s_pip(
        self, operator_user, api_client_for, world
    ):
        response = api_client_for(operator_user).patch(
            f"/api/v1/pips/{world['pip_b'].pk}/", {"objectives": "x"}
        )
        assert_problem(response, 404)

    def test_an_operator_cannot_file_a_pip_on_another_organisation_s_dote(
        self, operator_user, api_client_for, world
    ):
        response = api_client_for(operator_user).post(
            "/api/v1/pips/", {"dote": world["dote_b"].pk, "services": [SERVICE]}
        )
        body = assert_problem(response, 422)
        assert body["errors"][0]["field"] == "dote"
        assert PIP.objects.filter(dote=world["dote_b"]).count() == 1


class TestProvinceScope:
    @pytest.mark.parametrize("resource", ["doti", "pips"])
    def test_staff_list_only_their_province(self, resource, staff_bg, api_client_for, world):
        key = {"doti": "dote_a", "pips": "pip_a"}[resource]
        assert ids(api_client_for(staff_bg).get(f"/api/v1/{resource}/")) == [world[key].pk]

    @pytest.mark.parametrize("resource", ["doti", "pips"])
    def test_out_of_province_is_not_found(self, resource, staff_bg, api_client_for, world):
        pk = world[{"doti": "dote_b", "pips": "pip_b"}[resource]].pk
        assert_problem(api_client_for(staff_bg).get(f"/api/v1/{resource}/{pk}/"), 404)

    @pytest.mark.parametrize("resource", ["doti", "pips"])
    def test_a_province_restricted_system_sees_only_its_province(
        self, resource, api_client_bg, api_client_for, world
    ):
        key = {"doti": "dote_a", "pips": "pip_a"}[resource]
        assert ids(api_client_for(api_client_bg).get(f"/api/v1/{resource}/")) == [world[key].pk]

    @pytest.mark.parametrize("resource", ["doti", "pips"])
    def test_region_officials_read_everything(self, resource, region, api_client_for, world):
        assert api_client_for(region).get(f"/api/v1/{resource}/").json()["count"] == 2

    def test_staff_see_the_networks_of_their_territory(self, staff_bg, api_client_for):
        bg = a_valid_network()
        a_valid_network(name="Rete Milano", province="MI")
        assert ids(api_client_for(staff_bg).get("/api/v1/networks/")) == [bg.pk]

    def test_region_officials_see_masked_workers(self, region, api_client_for, world):
        response = api_client_for(region).get(f"/api/v1/doti/{world['dote_a'].pk}/")
        worker = response.json()["worker"]
        assert worker["identity_masked"] is True
        assert worker["fiscal_code"] != world["dote_a"].involvement.worker.fiscal_code

    def test_with_the_permission_they_see_workers_and_the_read_is_logged(
        self, api_client_for, world
    ):
        region = UserFactory(username="region_pd", region_official=True)
        region.user_permissions.add(
            Permission.objects.get(
                codename="view_personal_data", content_type__app_label="crisi_portal"
            )
        )
        response = api_client_for(region).get(f"/api/v1/pips/{world['pip_a'].pk}/")
        worker = world["dote_a"].involvement.worker
        assert response.json()["worker"]["fiscal_code"] == worker.fiscal_code
        assert PersonalDataAccess.objects.filter(user=region, worker=worker).count() == 1


class TestReferenceData:
    @pytest.mark.parametrize("resource", ["operators", "measures"])
    @pytest.mark.parametrize("role", ["staff_bg", "region", "operator_user", "api_client"])
    def test_every_role_reads_them(self, resource, role, request, api_client_for):
        OperatorFactory()
        response = api_client_for(request.getfixturevalue(role)).get(f"/api/v1/{resource}/")
        assert response.status_code == 200
        assert response.json()["count"] >= 1

    def test_the_region_registers_an_operator_with_its_offices(self, region, api_client_for):
        response = api_client_for(region).post(
            "/api/v1/operators/",
            {
                "name": "Formazione Orobica",
                "accreditation_number": "ACC-99001",
                "accredited_for_training": True,
                "offices": [{"comune": "Bergamo", "province": "BG", "address": "Via Roma 1"}],
            },
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["offices"][0]["province"] == "BG"
        operator = Operator.objects.get(pk=body["id"])
        assert operator.history.first().history_user == region

    def test_the_region_changes_a_measure(self, region, api_client_for):
        dul = measure()
        response = api_client_for(region).patch(
            f"/api/v1/measures/{dul.pk}/", {"max_per_worker": "4500.00"}
        )
        assert response.status_code == 200, response.content
        dul.refresh_from_db()
        assert dul.max_per_worker == Decimal("4500.00")

    def test_a_measure_ending_before_it_starts_is_a_422(self, region, api_client_for):
        response = api_client_for(region).patch(
            f"/api/v1/measures/{measure().pk}/", {"valid_until": "2020-01-01"}
        )
        assert_problem(response, 422)

    @pytest.mark.parametrize("role", ["staff_bg", "operator_user", "api_client"])
    def test_other_roles_cannot_change_them(self, role, request, api_client_for):
        client = api_client_for(request.getfixturevalue(role))
        assert_problem(client.patch(f"/api/v1/measures/{measure().pk}/", {"name": "x"}), 403)
        response = client.post("/api/v1/operators/", {"name": "x", "accreditation_number": "x"})
        assert_problem(response, 403)

    def test_measures_filter_by_exclusivity(self, region, api_client_for):
        response = api_client_for(region).get("/api/v1/measures/", {"exclusive": "true"})
        codes = {item["code"] for item in response.json()["results"]}
        assert codes == set(Measure.objects.filter(exclusive=True).values_list("code", flat=True))


class TestDoti:
    def assign(self, client, involvement, **overrides):
        body = {
            "involvement": involvement.pk,
            "fiscal_code": involvement.worker.fiscal_code,
            "measure": "dote-unica-lavoro",
            "value": "3000.00",
            "valid_from": "2025-05-01",
            "valid_until": "2026-04-30",
            **overrides,
        }
        return client.post("/api/v1/doti/", body)

    def test_an_operator_opens_a_dote_for_its_organisation(self, operator_user, api_client_for):
        response = self.assign(api_client_for(operator_user), involvement_in("BG"))
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["operator"] == operator_user.operator_id
        assert body["measure"] == "dote-unica-lavoro"
        assert body["status"] == DoteStatus.ASSEGNATA
        assert body["committed_amount"] == 0
        assert body["remaining_amount"] == 3000

    def test_the_measure_may_be_named_by_id(self, operator_user, api_client_for):
        response = self.assign(
            api_client_for(operator_user), involvement_in("BG"), measure=measure().pk
        )
        assert response.status_code == 201, response.content

    def test_a_dote_above_the_cap_per_worker_is_refused_naming_the_rule(
        self, operator_user, api_client_for
    ):
        response = self.assign(
            api_client_for(operator_user),
            involvement_in("BG"),
            measure="formazione-continua",
            value="2500.00",
        )
        body = assert_rule(response, "cap_per_worker")
        assert "2.000,00" in body["detail"]
        assert body["errors"][0]["field"] == "value"
        assert not Dote.objects.exists()

    def test_a_closed_procedure_is_refused_naming_the_rule(self, operator_user, api_client_for):
        unit = ProductionUnitFactory(procedure=CrisisProcedureFactory(closed=True))
        response = self.assign(api_client_for(operator_user), InvolvementFactory(unit=unit))
        assert_rule(response, "procedure_closed")

    @pytest.mark.parametrize("role", ["staff_bg", "region", "api_client"])
    def test_only_operators_assign_doti(self, role, request, api_client_for):
        response = self.assign(api_client_for(request.getfixturevalue(role)), involvement_in("BG"))
        assert_problem(response, 403)

    def test_the_ledger_counts_what_submitted_pips_commit(
        self, operator_user, api_client_for, world
    ):
        pip = world["pip_a"]
        PIP.objects.filter(pk=pip.pk).update(status=PIPStatus.PRESENTATO)
        body = api_client_for(operator_user).get(f"/api/v1/doti/{pip.dote_id}/").json()
        assert body["committed_amount"] == 500
        assert body["remaining_amount"] == 2500
        assert body["delivered_amount"] == 0


class TestPIPFiling:
    def test_an_operator_files_a_draft_with_its_services(
        self, operator_user, api_client_for, world
    ):
        response = api_client_for(operator_user).post(
            "/api/v1/pips/",
            {"dote": world["dote_a"].pk, "objectives": "Logistica", "services": [SERVICE] * 2},
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["status"] == PIPStatus.BOZZA
        assert body["total_cost"] == 1000
        assert [s["kind"] for s in body["services"]] == ["orientamento", "orientamento"]
        assert body["transitions"] == []

    def test_a_plan_above_the_dote_value_is_refused(self, operator_user, api_client_for, world):
        response = api_client_for(operator_user).post(
            "/api/v1/pips/", {"dote": world["dote_a"].pk, "services": [{**SERVICE, "cost": 5000}]}
        )
        assert_rule(response, "dote_value")

    def test_a_service_outside_the_dote_validity_is_refused(
        self, operator_user, api_client_for, world
    ):
        response = api_client_for(operator_user).post(
            "/api/v1/pips/",
            {"dote": world["dote_a"].pk, "services": [{**SERVICE, "planned_end": "2026-12-31"}]},
        )
        assert_rule(response, "service_dates")

    def test_patching_the_services_replaces_them(self, operator_user, api_client_for, world):
        pip = world["pip_a"]
        response = api_client_for(operator_user).patch(
            f"/api/v1/pips/{pip.pk}/", {"services": [{**SERVICE, "kind": "formazione"}]}
        )
        assert response.status_code == 200, response.content
        assert [s["kind"] for s in response.json()["services"]] == ["formazione"]

    def test_patching_the_objectives_keeps_the_services(self, operator_user, api_client_for, world):
        pip = world["pip_a"]
        response = api_client_for(operator_user).patch(
            f"/api/v1/pips/{pip.pk}/", {"objectives": "Nuovo obiettivo"}
        )
        assert response.status_code == 200, response.content
        assert response.json()["objectives"] == "Nuovo obiettivo"
        assert response.json()["total_cost"] == 500

    def test_a_submitted_pip_cannot_be_changed(self, operator_user, api_client_for, world):
        pip = world["pip_a"]
        PIP.objects.filter(pk=pip.pk).update(status=PIPStatus.PRESENTATO)
        response = api_client_for(operator_user).patch(
            f"/api/v1/pips/{pip.pk}/", {"objectives": "x"}
        )
        assert_rule(response, "pip_not_editable")

    def test_province_staff_cannot_file_pips(self, staff_bg, api_client_for, world):
        response = api_client_for(staff_bg).post(
            "/api/v1/pips/", {"dote": world["dote_a"].pk, "services": [SERVICE]}
        )
        assert_problem(response, 403)


class TestPIPWorkflow:
    def post(self, client, pip, verb, body=None):
        return client.post(f"/api/v1/pips/{pip.pk}/{verb}/", body or {})

    def test_submitting_presents_the_pip_and_logs_the_move(
        self, operator_user, api_client_for, world
    ):
        response = self.post(api_client_for(operator_user), world["pip_a"], "submit")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["status"] == PIPStatus.PRESENTATO
        assert body["submitted_at"] is not None
        (transition,) = body["transitions"]
        assert transition["from_status"] == PIPStatus.BOZZA
        assert transition["to_status"] == PIPStatus.PRESENTATO
        assert transition["by"] == operator_user.username

    def test_a_pip_over_the_cap_per_worker_is_refused_on_submit(
        self, operator_user, api_client_for
    ):
        dote = DoteFactory(
            involvement=involvement_in("BG"),
            operator=operator_user.operator,
            measure=measure("formazione-continua"),
            value=Decimal("3000.00"),
        )
        pip = pip_for(dote, cost="2500.00")
        body = assert_rule(
            self.post(api_client_for(operator_user), pip, "submit"), "cap_per_worker"
        )
        assert "Formazione Continua" in body["detail"]
        pip.refresh_from_db()
        assert pip.status == PIPStatus.BOZZA

    def test_province_staff_cannot_submit(self, staff_bg, api_client_for, world):
        assert_problem(self.post(api_client_for(staff_bg), world["pip_a"], "submit"), 403)

    def test_approval_moves_the_worker_to_step_4(self, staff_bg, api_client_for, world):
        pip = world["pip_a"]
        services.pip_submit(user=None, pip=pip)
        response = self.post(api_client_for(staff_bg), pip, "approve", {"activate_step_4": True})
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["status"] == PIPStatus.APPROVATO
        assert body["moved_to_step_4"] is True
        assert body["step_note"] == ""
        assert body["decided_by"] == staff_bg.username
        involvement = pip.dote.involvement
        involvement.refresh_from_db()
        assert involvement.current_step == Step.STEP_4
        assert involvement.transitions.last().measure == pip.dote.measure

    def test_approval_without_activating_leaves_the_step(self, staff_bg, api_client_for, world):
        pip = world["pip_a"]
        services.pip_submit(user=None, pip=pip)
        response = self.post(api_client_for(staff_bg), pip, "approve", {"activate_step_4": False})
        assert response.json()["moved_to_step_4"] is False
        pip.dote.involvement.refresh_from_db()
        assert pip.dote.involvement.current_step == Step.STEP_3

    def test_approval_of_a_worker_not_at_step_3_says_why_the_step_did_not_change(
        self, staff_bg, operator_user, api_client_for
    ):
        dote = DoteFactory(involvement=involvement_in("BG"), operator=operator_user.operator)
        pip = pip_for(dote)
        services.pip_submit(user=None, pip=pip)
        body = self.post(api_client_for(staff_bg), pip, "approve").json()
        assert body["status"] == PIPStatus.APPROVATO
        assert body["moved_to_step_4"] is False
        assert "STEP 3" in body["step_note"]

    def test_a_draft_cannot_be_approved(self, staff_bg, api_client_for, world):
        assert_rule(self.post(api_client_for(staff_bg), world["pip_a"], "approve"), "pip_workflow")

    @pytest.mark.parametrize("role", ["operator_user", "region", "api_client"])
    @pytest.mark.parametrize("verb", ["approve", "return"])
    def test_only_province_staff_review(self, role, verb, request, api_client_for, world):
        pip = world["pip_a"]
        services.pip_submit(user=None, pip=pip)
        client = api_client_for(request.getfixturevalue(role))
        assert_problem(self.post(client, pip, verb, {"note": "x"}), 403)

    def test_staff_of_another_province_do_not_find_the_pip(self, staff_mi, api_client_for, world):
        pip = world["pip_a"]
        services.pip_submit(user=None, pip=pip)
        assert_problem(self.post(api_client_for(staff_mi), pip, "approve"), 404)

    def test_returning_needs_a_note_and_records_it(self, staff_bg, api_client_for, world):
        pip = world["pip_a"]
        services.pip_submit(user=None, pip=pip)
        client = api_client_for(staff_bg)
        assert_rule(self.post(client, pip, "return", {"note": "  "}), "return_note")
        response = self.post(client, pip, "return", {"note": "Manca il bilancio"})
        assert response.status_code == 200, response.content
        assert response.json()["status"] == PIPStatus.RESTITUITO
        assert response.json()["return_note"] == "Manca il bilancio"

    def test_the_operator_starts_and_concludes_an_approved_pip(
        self, operator_user, staff_bg, api_client_for, world
    ):
        pip = world["pip_a"]
        services.pip_submit(user=None, pip=pip)
        services.pip_approve(user=staff_bg, pip=pip)
        client = api_client_for(operator_user)
        assert self.post(client, pip, "start").json()["status"] == PIPStatus.IN_CORSO
        assert self.post(client, pip, "conclude").json()["status"] == PIPStatus.CONCLUSO
        assert Dote.objects.get(pk=pip.dote_id).status == DoteStatus.CONCLUSA

    def test_a_draft_cannot_start(self, operator_user, api_client_for, world):
        assert_rule(
            self.post(api_client_for(operator_user), world["pip_a"], "start"), "pip_workflow"
        )

    def test_the_operator_withdraws_with_an_optional_note(
        self, operator_user, api_client_for, world
    ):
        client = api_client_for(operator_user)
        response = self.post(client, world["pip_a"], "withdraw", {"note": "Il lavoratore rinuncia"})
        assert response.status_code == 200, response.content
        assert response.json()["status"] == PIPStatus.RITIRATO
        assert response.json()["transitions"][-1]["note"] == "Il lavoratore rinuncia"
        assert_rule(self.post(client, world["pip_a"], "withdraw"), "pip_workflow")

    def test_an_operator_cannot_act_on_another_organisation_s_pip(
        self, operator_user, api_client_for, world
    ):
        assert_problem(self.post(api_client_for(operator_user), world["pip_b"], "submit"), 404)


class TestNetworks:
    def payload(self, lead: Operator, cpi: Operator, **overrides) -> dict:
        return {
            "name": "Rete Valle Seriana",
            "lead": lead.pk,
            "province": "BG",
            "measure": "azioni-di-rete",
            "valid_from": "2025-05-01",
            "members": [
                {"kind": "operatore_lavoro", "name": lead.name, "operator": lead.pk},
                {"kind": "provincia", "name": "Provincia di Bergamo", "province": "BG"},
                {"kind": "cpi", "name": cpi.name, "operator": cpi.pk, "province": "BG"},
            ],
            **overrides,
        }

    def test_the_region_creates_a_valid_network_with_its_checklist(self, region, api_client_for):
        response = api_client_for(region).post(
            "/api/v1/networks/", self.payload(OperatorFactory(), OperatorFactory(cpi=True))
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["valid"] is True
        assert len(body["members"]) == 3
        assert {check["code"] for check in body["checks"]} >= {
            "three_members",
            "province_member",
            "cpi_member",
        }
        assert all(check["ok"] and check["label"] for check in body["checks"])

    def test_a_network_without_the_province_shows_the_failed_check(self, region, api_client_for):
        payload = self.payload(OperatorFactory(), OperatorFactory(cpi=True))
        payload["members"] = [m for m in payload["members"] if m["kind"] != "provincia"]
        payload["members"].append({"kind": "azienda", "name": "Officine Seriane"})
        body = api_client_for(region).post("/api/v1/networks/", payload).json()
        assert body["valid"] is False
        failed = [check["code"] for check in body["checks"] if not check["ok"]]
        assert failed == ["province_member"]

    def test_a_lead_not_accredited_for_labour_is_refused_naming_the_rule(
        self, region, api_client_for
    ):
        lead = OperatorFactory(accredited_for_labour=False, accredited_for_training=True)
        response = api_client_for(region).post(
            "/api/v1/networks/", self.payload(lead, OperatorFactory(cpi=True))
        )
        assert_rule(response, "network_lead")
        assert not Network.objects.exists()

    def test_patching_the_name_keeps_the_members(self, region, api_client_for):
        network = a_valid_network()
        response = api_client_for(region).patch(
            f"/api/v1/networks/{network.pk}/", {"name": "Rete rinominata"}
        )
        assert response.status_code == 200, response.content
        assert response.json()["name"] == "Rete rinominata"
        assert len(response.json()["members"]) == 3
        assert response.json()["valid"] is True

    @pytest.mark.parametrize("role", ["staff_bg", "operator_user", "api_client"])
    def test_only_the_region_manages_networks(self, role, request, api_client_for):
        client = api_client_for(request.getfixturevalue(role))
        payload = self.payload(OperatorFactory(), OperatorFactory(cpi=True))
        assert_problem(client.post("/api/v1/networks/", payload), 403)


RESOURCES = ["operators", "measures", "doti", "pips", "networks"]


def make_rows(resource: str, n: int, operator: Operator) -> None:
    for index in range(n):
        if resource == "operators":
            OperatorFactory()
        elif resource == "measures":
            Measure.objects.create(
                code=f"misura-{index}",
                name=f"Misura {index}",
                funding_source="regionale",
                valid_from=datetime.date(2025, 1, 1),
            )
        elif resource == "doti":
            DoteFactory(operator=operator)
        elif resource == "pips":
            pip = pip_for(DoteFactory(operator=operator))
            if index % 2:
                services.pip_submit(user=None, pip=pip)
            PIPServiceFactory(pip=pip)
        else:
            a_valid_network(name=f"Rete {index}", operator_members=[operator])


class TestLists:
    @pytest.mark.parametrize("resource", RESOURCES)
    def test_lists_are_paginated(self, resource, region, api_client_for, operator_user):
        make_rows(resource, 3, operator_user.operator)
        response = api_client_for(region).get(f"/api/v1/{resource}/", {"limit": 1})
        body = response.json()
        assert set(body) == {"count", "next", "previous", "results"}
        assert len(body["results"]) == 1
        assert body["count"] >= 3
        assert "offset=1" in body["next"]

    @pytest.mark.parametrize("resource", RESOURCES)
    def test_updated_since_returns_only_what_changed(
        self, resource, region, api_client_for, operator_user
    ):
        make_rows(resource, 2, operator_user.operator)
        model = {
            "operators": Operator,
            "measures": Measure,
            "doti": Dote,
            "pips": PIP,
            "networks": Network,
        }[resource]
        recent = model.objects.order_by("-pk").first()
        long_ago = timezone.now() - datetime.timedelta(days=30)
        model.objects.exclude(pk=recent.pk).update(updated_at=long_ago)
        since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
        response = api_client_for(region).get(f"/api/v1/{resource}/", {"updated_since": since})
        assert ids(response) == [recent.pk]

    def test_pips_filter_by_status(self, region, api_client_for, world):
        services.pip_submit(user=None, pip=world["pip_a"])
        response = api_client_for(region).get("/api/v1/pips/", {"status": "presentato"})
        assert ids(response) == [world["pip_a"].pk]

    def test_doti_filter_by_province(self, region, api_client_for, world):
        response = api_client_for(region).get("/api/v1/doti/", {"province": "MI"})
        assert ids(response) == [world["dote_b"].pk]

    @pytest.mark.parametrize("resource", RESOURCES)
    @pytest.mark.parametrize("size", [2, 10])
    @pytest.mark.parametrize("role", ["region", "operator_user"])
    def test_a_list_costs_a_fixed_number_of_queries(
        self, resource, size, role, request, api_client_for, django_assert_max_num_queries
    ):
        user = request.getfixturevalue(role)
        operator = user.operator or OperatorFactory()
        make_rows(resource, size, operator)
        client = api_client_for(user)
        # Token and user, the token's first use recorded, count, rows, then what each resource
        # prefetches: offices; services and transitions; procedures, cohorts and members. Doti
        # and PIPs show workers: one more to learn whether a Region official may see identities.
        queries = {"operators": 6, "measures": 5, "doti": 6, "pips": 8, "networks": 8}[resource]
        with django_assert_max_num_queries(queries):
            response = client.get(f"/api/v1/{resource}/")
        assert response.status_code == 200
        assert response.json()["count"] >= size
