"""The worker page (issue #13, item 6): the unit once, the Doti and PIPs the viewer may see,
and the personal details the Nucleo of the worker's province may edit."""

import pytest
from django.urls import reverse

from pal.enums import PIPStatus
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.pal.factories import DoteFactory, PIPFactory
from tests.workers.factories import CohortFactory, InvolvementFactory, WorkerFactory
from workers.models import Worker

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def involvement(db):
    unit = ProductionUnitFactory(
        procedure=CrisisProcedureFactory(lead="BG"), name="Stabilimento di Dalmine"
    )
    cohort = CohortFactory(procedure=unit.procedure, unit=unit, name="Stabilimento di Dalmine")
    return InvolvementFactory(unit=unit, cohort=cohort, worker=WorkerFactory(citizenship=""))


def page_of(client, user, worker):
    client.force_login(user)
    return client.get(reverse("workers:worker_detail", args=[worker.pk]), **EN)


def test_the_unit_is_printed_once_when_the_group_is_named_after_it(client, staff_bg, involvement):
    body = page_of(client, staff_bg, involvement.worker).content.decode()
    assert body.count("Stabilimento di Dalmine") == 1


def test_a_group_named_otherwise_is_shown_as_the_group(client, staff_bg, involvement):
    involvement.cohort.name = "Operai turnisti"
    involvement.cohort.save()
    body = page_of(client, staff_bg, involvement.worker).content.decode()
    assert "group Operai turnisti" in body


def test_the_nucleo_sees_the_doti_and_opens_the_pip_to_review(client, staff_bg, involvement):
    dote = DoteFactory(involvement=involvement)
    pip = PIPFactory(dote=dote, status=PIPStatus.PRESENTATO)
    body = page_of(client, staff_bg, involvement.worker).content.decode()
    assert dote.measure.name in body
    assert reverse("pal:review_pip", args=[pip.pk]) in body
    assert reverse("pal:dote_detail", args=[dote.pk]) not in body  # the operator's page


def test_the_region_sees_the_pip_but_no_link_it_could_not_open(client, region, involvement):
    pip = PIPFactory(dote=DoteFactory(involvement=involvement), status=PIPStatus.PRESENTATO)
    body = page_of(client, region, involvement.worker).content.decode()
    assert f"PIP {pip.reference}" in body
    assert reverse("pal:review_pip", args=[pip.pk]) not in body
    assert "Edit personal details" not in body


def test_an_admin_opens_the_dote(client, admin_user, involvement):
    dote = DoteFactory(involvement=involvement)
    body = page_of(client, admin_user, involvement.worker).content.decode()
    assert reverse("pal:dote_detail", args=[dote.pk]) in body


def test_the_nucleo_edits_the_personal_details_and_the_change_is_in_history(
    client, staff_bg, involvement
):
    worker = involvement.worker
    assert "Edit personal details" in page_of(client, staff_bg, worker).content.decode()
    url = reverse("workers:worker_personal", args=[worker.pk])
    response = client.post(
        url,
        {
            "citizenship": "  rumena ",
            "education_level": "diploma",
            "residence_province": "BG",
            "email": "lavoratore@example.org",
            "phone": "+39 035 123456",
        },
    )
    assert response.status_code == 302
    worker.refresh_from_db()
    assert (worker.citizenship, worker.residence_province_id, worker.phone) == (
        "rumena",
        "BG",
        "+39 035 123456",
    )
    latest = worker.history.first()
    assert latest.history_user == staff_bg
    # Recorded in the language of the request: the portal's default, Italian.
    assert latest.history_change_reason == "dati personali aggiornati"


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "not-an-address"), ("phone", "call me"), ("education_level", "phd")],
)
def test_bad_personal_details_are_refused_naming_the_field_and_nothing_changes(
    client, staff_bg, involvement, field, value
):
    worker = involvement.worker
    client.force_login(staff_bg)
    before = Worker.objects.filter(pk=worker.pk).values().get()
    response = client.post(
        reverse("workers:worker_personal", args=[worker.pk]), {field: value}, **EN
    )
    assert response.status_code == 422
    assert list(response.context["form"].errors) == [field]
    assert worker.fiscal_code not in response.content.decode().split("<form")[1]
    after = Worker.objects.filter(pk=worker.pk).values().get()
    assert after == before


def test_another_province_and_the_region_may_not_edit(client, staff_mi, region, involvement):
    url = reverse("workers:worker_personal", args=[involvement.worker.pk])
    client.force_login(staff_mi)
    assert client.get(url).status_code == 404
    client.force_login(region)
    assert client.get(url).status_code == 403
