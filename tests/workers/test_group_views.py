"""Groups (cohorts) in the browser: bulk assign/remove from the workers list, the group page."""

import pytest
from django.urls import reverse

from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.workers.factories import CohortFactory, InvolvementFactory
from workers.models import Involvement

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def bg_procedure():
    procedure = CrisisProcedureFactory(lead="BG")
    unit = ProductionUnitFactory(procedure=procedure)
    cohort = CohortFactory(procedure=procedure, unit=unit, name="Officina")
    involvements = [InvolvementFactory(unit=unit) for _ in range(3)]
    return procedure, cohort, involvements


def _post(client, procedure, op, involvements, cohort=None, **extra):
    data = {"bulk-op": op, "bulk-involvements": [str(i.pk) for i in involvements]}
    if cohort is not None:
        data["bulk-cohort"] = str(cohort)
    return client.post(
        reverse("workers:procedure_workers", args=[procedure.pk]), data, **EN, **extra
    )


def _cohorts(involvements):
    return {
        i.pk: i.cohort_id for i in Involvement.objects.filter(pk__in=[i.pk for i in involvements])
    }


def test_an_officer_puts_workers_into_a_group_and_takes_one_out(client, staff_bg, bg_procedure):
    procedure, cohort, involvements = bg_procedure
    client.force_login(staff_bg)
    response = _post(client, procedure, "assign", involvements, cohort.pk)
    assert response.status_code == 302
    assert set(_cohorts(involvements).values()) == {cohort.pk}
    page = client.get(cohort.get_absolute_url(), **EN)
    assert page.status_code == 200
    assert "3 workers" in page.content.decode()
    assert "STEP 1" in page.content.decode()
    response = _post(client, procedure, "remove", involvements[:1], HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "1 workers taken out of their group." in response.content.decode()
    assert _cohorts(involvements)[involvements[0].pk] is None
    assert _cohorts(involvements)[involvements[1].pk] == cohort.pk
    history = Involvement.history.filter(id=involvements[0].pk).order_by("-history_id")
    assert history[0].cohort_id is None and history[1].cohort_id == cohort.pk
    assert history[0].history_user == staff_bg


def test_the_procedure_page_links_its_groups(client, staff_bg, bg_procedure):
    procedure, cohort, _involvements = bg_procedure
    client.force_login(staff_bg)
    body = client.get(procedure.get_absolute_url(), **EN).content.decode()
    assert cohort.get_absolute_url() in body


def test_assign_needs_a_group(client, staff_bg, bg_procedure):
    procedure, _cohort, involvements = bg_procedure
    client.force_login(staff_bg)
    response = _post(client, procedure, "assign", involvements)
    assert response.status_code == 422
    assert "Choose the group" in response.content.decode()
    assert set(_cohorts(involvements).values()) == {None}


def test_removing_workers_in_no_group_changes_nobody(client, staff_bg, bg_procedure):
    procedure, cohort, involvements = bg_procedure
    Involvement.objects.filter(pk=involvements[0].pk).update(cohort=cohort)
    client.force_login(staff_bg)
    response = _post(client, procedure, "remove", involvements)
    assert response.status_code == 422
    assert "2 of the selected workers are in no group: nobody was changed." in (
        response.content.decode()
    )
    assert _cohorts(involvements)[involvements[0].pk] == cohort.pk


def test_no_worker_selected_is_refused(client, staff_bg, bg_procedure):
    procedure, cohort, involvements = bg_procedure
    client.force_login(staff_bg)
    response = _post(client, procedure, "assign", [], cohort.pk)
    assert response.status_code == 422
    assert "Select at least one worker." in response.content.decode()


def test_a_group_of_another_province_does_not_exist(client, staff_bg, bg_procedure):
    procedure, _cohort, involvements = bg_procedure
    other = CohortFactory(procedure=CrisisProcedureFactory(lead="MI"))
    client.force_login(staff_bg)
    response = _post(client, procedure, "assign", involvements, other.pk)
    assert response.status_code == 422
    assert "This group does not exist in this procedure." in response.content.decode()
    assert set(_cohorts(involvements).values()) == {None}
    assert client.get(other.get_absolute_url()).status_code == 404


def test_a_group_of_another_procedure_does_not_exist(client, staff_bg, bg_procedure):
    procedure, _cohort, involvements = bg_procedure
    other = CohortFactory(procedure=CrisisProcedureFactory(lead="BG"))
    client.force_login(staff_bg)
    response = _post(client, procedure, "assign", involvements, other.pk)
    assert response.status_code == 422
    assert "This group does not exist in this procedure." in response.content.decode()
    assert set(_cohorts(involvements).values()) == {None}


def test_a_worker_of_another_province_does_not_exist_and_nobody_moves(
    client, staff_bg, bg_procedure
):
    procedure, cohort, involvements = bg_procedure
    foreign = InvolvementFactory(unit=ProductionUnitFactory(procedure=procedure, in_province="MI"))
    client.force_login(staff_bg)
    response = _post(client, procedure, "assign", [*involvements, foreign], cohort.pk)
    assert response.status_code == 422
    assert f"Worker {foreign.pk} does not exist in this procedure." in response.content.decode()
    assert set(_cohorts([*involvements, foreign]).values()) == {None}


def test_a_garbage_id_is_named(client, staff_bg, bg_procedure):
    procedure, cohort, _involvements = bg_procedure
    client.force_login(staff_bg)
    response = client.post(
        reverse("workers:procedure_workers", args=[procedure.pk]),
        {"bulk-op": "assign", "bulk-involvements": ["x"], "bulk-cohort": str(cohort.pk)},
        **EN,
    )
    assert response.status_code == 422
    assert "is not a worker of this procedure." in response.content.decode()


def test_region_sees_the_group_page_but_cannot_regroup(client, region, bg_procedure):
    procedure, cohort, involvements = bg_procedure
    client.force_login(region)
    assert client.get(cohort.get_absolute_url()).status_code == 200
    response = _post(client, procedure, "assign", involvements, cohort.pk)
    assert response.status_code == 422
    assert set(_cohorts(involvements).values()) == {None}


def test_the_step_move_still_works_beside_the_group_bar(client, staff_bg, bg_procedure):
    procedure, _cohort, involvements = bg_procedure
    client.force_login(staff_bg)
    response = client.post(
        reverse("workers:procedure_workers", args=[procedure.pk]),
        {
            "bulk-involvements": [str(i.pk) for i in involvements],
            "bulk-to": "STEP_2",
            "bulk-effective_date": "2025-05-02",
        },
        **EN,
    )
    assert response.status_code == 302
    assert set(
        Involvement.objects.filter(procedure=procedure).values_list("current_step", flat=True)
    ) == {"STEP_2"}


def test_the_group_page_pages(client, staff_bg, bg_procedure):
    procedure, cohort, _involvements = bg_procedure
    client.force_login(staff_bg)
    response = client.get(cohort.get_absolute_url() + "?page=x", **EN)
    assert response.status_code == 200
    assert client.get(cohort.get_absolute_url() + "?page=9", **EN).status_code == 200
