"""Issue #10, scoped API clients: a token reads and writes only the resource families its
scopes name; an operator-restricted client acts like that operator's staff; every API write
names its client in the audit history."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from cases.models import CrisisProcedure
from crisi_portal.api import router
from crisi_portal.models import ALL_SCOPES, READ_SCOPES, ApiToken, ResourceFamily
from crisi_portal.scoping import readable_provinces
from crisi_portal.scoping_api import ClientScopedViewMixin, ClientScopePermission
from crisi_portal.services import api_token_issue
from pal.models import Dote
from tests.cases.factories import CrisisProcedureFactory, OperatorFactory, ProductionUnitFactory
from tests.factories import UserFactory
from tests.pal.factories import DoteFactory
from tests.workers.factories import InvolvementFactory
from workers.models import Involvement

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
MISSING_ID = 987654321

# Per family: a read (GET) and a write whose body or id is bad, so that the write, once the
# scope lets it through, is refused by validation or lookup (400/404/422) — never by the scope
# (403) — and changes nothing.
FAMILY_REQUESTS = {
    ResourceFamily.PROCEDURES: (
        ("get", "/api/v1/procedures/"),
        ("post", "/api/v1/procedures/"),
    ),
    ResourceFamily.WORKERS: (
        ("get", "/api/v1/workers/"),
        ("post", "/api/v1/cohorts/"),
    ),
    ResourceFamily.STEPS: (
        ("get", "/api/v1/involvements/"),
        ("post", f"/api/v1/involvements/{MISSING_ID}/move/"),
    ),
    ResourceFamily.PAL: (
        ("get", "/api/v1/measures/"),
        ("post", "/api/v1/measures/"),
    ),
    ResourceFamily.REPORTS: (
        ("get", "/api/v1/reports/"),
        ("post", "/api/v1/reports/"),
    ),
    ResourceFamily.WEBHOOKS: (
        ("get", "/api/v1/webhooks/"),
        ("post", "/api/v1/webhooks/"),
    ),
}


@pytest.fixture
def system(db):
    """An administrator's token, so that only the token's scopes restrict it."""
    return UserFactory(username="sistema", admin=True)


def send(client, method: str, path: str):
    return getattr(client, method)(path, {}, format="json")


def others(family: str) -> set[str]:
    """Every scope of every other family."""
    return {scope for scope in ALL_SCOPES if not scope.startswith(f"{family}:")}


@pytest.mark.parametrize("family", list(FAMILY_REQUESTS))
class TestFamilies:
    def test_without_the_familys_scopes_reads_are_refused(self, family, system, api_client_for):
        client = api_client_for(system, scopes=others(family))
        method, path = FAMILY_REQUESTS[family][0]

        response = send(client, method, path)

        assert response.status_code == 403
        assert response["Content-Type"].startswith(PROBLEM)

    def test_without_the_familys_scopes_writes_are_refused(self, family, system, api_client_for):
        client = api_client_for(system, scopes=others(family))
        method, path = FAMILY_REQUESTS[family][1]

        response = send(client, method, path)

        assert response.status_code == 403
        assert response["Content-Type"].startswith(PROBLEM)

    def test_a_read_scope_reads(self, family, system, api_client_for):
        client = api_client_for(system, scopes={f"{family}:read"})
        method, path = FAMILY_REQUESTS[family][0]

        assert send(client, method, path).status_code == 200

    def test_a_read_scope_does_not_write(self, family, system, api_client_for, english):
        client = api_client_for(system, scopes={f"{family}:read"})
        method, path = FAMILY_REQUESTS[family][1]

        response = send(client, method, path)

        assert response.status_code == 403
        assert response["Content-Type"].startswith(PROBLEM)
        assert response.json()["detail"] == f"This API client may not change {family}."

    def test_a_write_scope_reads_and_writes(self, family, system, api_client_for):
        client = api_client_for(system, scopes={f"{family}:write"})
        (read_method, read_path), (write_method, write_path) = FAMILY_REQUESTS[family]

        assert send(client, read_method, read_path).status_code == 200
        # Past the scope check: refused by the bad body or the unknown id, not by the scope.
        assert send(client, write_method, write_path).status_code in (400, 404, 422)


@pytest.fixture
def english(settings):
    """These tests read the English messages; the portal's default language is Italian."""
    settings.LANGUAGE_CODE = "en"


def test_a_posted_search_is_a_read(system, api_client_for):
    client = api_client_for(system, scopes={"workers:read"})

    response = client.post("/api/v1/workers/search/", {}, format="json")

    # Refused for its missing fiscal code (422), not for the scope.
    assert response.status_code == 422


def test_moving_a_cohort_needs_the_steps_write_scope(system, api_client_for):
    path = f"/api/v1/cohorts/{MISSING_ID}/move/"
    workers_only = api_client_for(system, scopes={"workers:write", "steps:read"})
    steps = api_client_for(system, scopes={"workers:read", "steps:write"})

    assert workers_only.post(path, {}, format="json").status_code == 403
    assert steps.post(path, {}, format="json").status_code == 404


def test_people_signed_in_are_not_scoped(system):
    client = APIClient()
    client.force_login(system)

    # Refused for the empty body (422), not for any scope.
    assert client.post("/api/v1/procedures/", {}, format="json").status_code == 422


def test_every_api_viewset_declares_its_resource_family():
    missing = [
        prefix
        for prefix, viewset, _basename in router.registry
        if not issubclass(viewset, ClientScopedViewMixin)
        or viewset.resource_family not in ResourceFamily.values
    ]
    assert missing == []


def test_a_view_without_a_resource_family_is_closed_to_tokens(system):
    token = ApiToken(user=system, scopes=sorted(ALL_SCOPES))
    request = APIView().initialize_request(APIRequestFactory().get("/api/v1/anything/"))
    request._authenticator, request.user, request.auth = None, system, token

    assert ClientScopePermission().has_permission(request, APIView()) is False


def test_unknown_scopes_are_refused_by_name():
    with pytest.raises(ValidationError) as refused:
        api_token_issue(
            user=UserFactory(api_client=True),
            name="x",
            expires_at=timezone.now() + datetime.timedelta(days=1),
            scopes=["procedures:read", "procedures:delete"],
        )
    assert "scopes" in refused.value.message_dict
    assert "procedures:delete" in refused.value.message_dict["scopes"][0]


def test_issue_token_gives_read_scopes_by_default_and_the_ones_asked_for(db):
    UserFactory(username="siul", api_client=True)
    call_command("issue_token", "siul", "--name", "ro", stdout=_Sink(), stderr=_Sink())
    call_command(
        "issue_token",
        "siul",
        "--name",
        "rw",
        "--scope",
        "procedures:write",
        "--scope",
        "reports:read",
        stdout=_Sink(),
        stderr=_Sink(),
    )

    assert set(ApiToken.objects.get(name="ro").scopes) == READ_SCOPES
    assert ApiToken.objects.get(name="rw").scopes == ["procedures:write", "reports:read"]


class _Sink:
    def write(self, text: str) -> None:
        pass


# --- Operator-restricted clients --------------------------------------------------------------


@pytest.fixture
def operator_world(db):
    """Two operators, each with a Dote on a worker of BG."""
    mine, other = OperatorFactory(), OperatorFactory()
    unit = ProductionUnitFactory(procedure=CrisisProcedureFactory(lead="BG"))
    dote_mine = DoteFactory(operator=mine, involvement=InvolvementFactory(unit=unit))
    dote_other = DoteFactory(operator=other, involvement=InvolvementFactory(unit=unit))
    staff = UserFactory(operator=True, operator_id=mine.pk)
    system = UserFactory(api_client=True, operator_id=mine.pk)
    return {"mine": mine, "dote_mine": dote_mine, "dote_other": dote_other, "staff": staff,
            "system": system}  # fmt: skip


class TestOperatorRestriction:
    def test_it_sees_exactly_what_the_operators_staff_see(self, operator_world):
        staff, system = operator_world["staff"], operator_world["system"]

        for model in (Dote, Involvement, CrisisProcedure):
            assert set(model.objects.visible_to(system)) == set(model.objects.visible_to(staff)), (
                model.__name__
            )
        assert set(Dote.objects.visible_to(system)) == {operator_world["dote_mine"]}

    def test_it_reads_no_province_even_without_a_province_restriction(self, operator_world):
        assert readable_provinces(operator_world["system"]) == frozenset()

    def test_over_the_api_it_lists_only_its_operators_doti(self, operator_world, api_client_for):
        client = api_client_for(operator_world["system"], scopes={"pal:read"})

        response = client.get("/api/v1/doti/")

        assert response.status_code == 200
        assert [row["id"] for row in response.json()["results"]] == [operator_world["dote_mine"].pk]
        other = operator_world["dote_other"].pk
        assert client.get(f"/api/v1/doti/{other}/").status_code == 404

    def test_it_moves_no_worker_between_steps(self, operator_world, api_client_for):
        client = api_client_for(operator_world["system"], scopes={"steps:write"})
        involvement = operator_world["dote_mine"].involvement

        response = client.post(
            f"/api/v1/involvements/{involvement.pk}/move/",
            {"to": "STEP_2", "effective_date": "2025-05-02", "expected_from": "STEP_1"},
            format="json",
        )

        assert response.status_code in (403, 404)
        involvement.refresh_from_db()
        assert involvement.current_step == "STEP_1"


# --- The audit history names the client ----------------------------------------------------


def test_an_api_patch_writes_a_history_row_naming_the_client(api_client_for):
    system = UserFactory(username="siul", api_client=True, provinces=["BG"])
    procedure = CrisisProcedureFactory(lead="BG")
    client = api_client_for(system, scopes={"procedures:write"}, name="SIUL Lombardia")
    token = ApiToken.objects.get(user=system)

    response = client.patch(
        f"/api/v1/procedures/{procedure.pk}/", {"notes": "Aggiornato da SIUL"}, format="json"
    )

    assert response.status_code == 200, response.content
    record = procedure.history.first()
    assert record.history_user == system
    assert record.history_api_token == token
    assert record.history_api_token.name == "SIUL Lombardia"


def test_a_change_made_in_a_session_names_no_client(staff_bg):
    procedure = CrisisProcedureFactory(lead="BG")
    client = APIClient()
    client.force_login(staff_bg)

    response = client.patch(
        f"/api/v1/procedures/{procedure.pk}/", {"notes": "A mano"}, format="json"
    )

    assert response.status_code == 200, response.content
    record = procedure.history.first()
    assert record.history_user == staff_bg
    assert record.history_api_token is None


# --- Registering a client in the admin ------------------------------------------------------


class TestAdmin:
    @pytest.fixture
    def admin_client(self, client):
        client.force_login(UserFactory(username="root", admin=True))
        return client

    def test_a_token_is_issued_with_its_scopes_and_its_key_shown_once(self, admin_client):
        system = UserFactory(username="siul", api_client=True, provinces=["BG"])
        expires = timezone.localtime(timezone.now() + datetime.timedelta(days=30))

        response = admin_client.post(
            reverse("admin:crisi_portal_apitoken_add"),
            {
                "user": system.pk,
                "name": "SIUL",
                "scopes": ["procedures:read", "workers:write"],
                "expires_at_0": expires.strftime("%Y-%m-%d"),
                "expires_at_1": expires.strftime("%H:%M:%S"),
            },
        )

        assert response.status_code == 200
        token = ApiToken.objects.get(user=system)
        assert token.scopes == ["procedures:read", "workers:write"]
        key = response.context["key"]
        assert key.startswith(f"{token.prefix}.") and key in response.content.decode()
        assert "no-store" in response["Cache-Control"]
        # The key works, within its scopes.
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert api.get("/api/v1/procedures/").status_code == 200
        assert api.get("/api/v1/reports/").status_code == 403
        # ...and is never shown again.
        change = admin_client.get(reverse("admin:crisi_portal_apitoken_change", args=[token.pk]))
        assert key.split(".")[1] not in change.content.decode()

    def test_a_bad_registration_names_the_field_and_issues_nothing(self, admin_client):
        system = UserFactory(username="siul", api_client=True)
        too_late = timezone.localtime(timezone.now() + datetime.timedelta(days=4000))

        response = admin_client.post(
            reverse("admin:crisi_portal_apitoken_add"),
            {
                "user": system.pk,
                "name": "SIUL",
                "scopes": ["procedures:read"],
                "expires_at_0": too_late.strftime("%Y-%m-%d"),
                "expires_at_1": "00:00:00",
            },
        )

        assert response.status_code == 200
        assert "expires_at" in response.context["adminform"].form.errors
        assert not ApiToken.objects.exists()

    def test_scopes_can_be_narrowed_on_an_issued_token(self, admin_client, api_client_for):
        system = UserFactory(username="siul", api_client=True)
        api = api_client_for(system)
        token = ApiToken.objects.get(user=system)

        admin_client.post(
            reverse("admin:crisi_portal_apitoken_change", args=[token.pk]),
            {"name": token.name, "scopes": ["procedures:read"]},
        )

        token.refresh_from_db()
        assert token.scopes == ["procedures:read"]
        assert api.post("/api/v1/procedures/", {}, format="json").status_code == 403


def test_only_operator_staff_and_api_clients_belong_to_an_operator(operator_world):
    operator = operator_world["mine"]
    operator_world["system"].full_clean()  # an API client restricted to the operator
    official = UserFactory(region_official=True)
    official.operator = operator
    with pytest.raises(ValidationError) as refused:
        official.full_clean()
    assert "operator" in refused.value.message_dict
