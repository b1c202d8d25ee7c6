"""Region officials manage measures, operators and networks; networks show their checks."""

import datetime
import re

import pytest
from django.urls import reverse

from pal.enums import MemberKind
from pal.models import Measure, Network, NetworkMember, Operator
from tests.cases.factories import OperatorFactory, province
from tests.pal.factories import measure

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    """These tests read the English messages; the portal's default language is Italian."""
    settings.LANGUAGE_CODE = "en"


CHECK = re.compile(r'data-check="(\w+)" data-ok="(true|false)"')


def checklist(response) -> dict[str, bool]:
    return {code: ok == "true" for code, ok in CHECK.findall(response.text)}


def network_post(lead: Operator, members: list[dict], **overrides) -> dict:
    data = {
        "name": "Rete Bergamo Meccanica",
        "lead": lead.pk,
        "province": "BG",
        "measure": measure("gol-percorso-5").pk,
        "valid_from": "2025-06-01",
        "valid_until": "",
        "members-TOTAL_FORMS": len(members),
        "members-INITIAL_FORMS": 0,
        "members-MIN_NUM_FORMS": 0,
        "members-MAX_NUM_FORMS": 1000,
    }
    for index, member in enumerate(members):
        for key, value in member.items():
            data[f"members-{index}-{key}"] = value
    data.update(overrides)
    return data


def valid_members(lead: Operator, cpi: Operator) -> list[dict]:
    return [
        {"kind": MemberKind.OPERATORE_LAVORO, "name": lead.name, "operator": lead.pk},
        {"kind": MemberKind.PROVINCIA, "name": "Provincia di Bergamo", "province": "BG"},
        {"kind": MemberKind.CPI, "name": cpi.name, "operator": cpi.pk, "province": "BG"},
    ]


def invalid_network() -> Network:
    """Two members, a lead not accredited for labour, no CPI (made directly: the service
    refuses such a lead)."""
    lead = OperatorFactory(accredited_for_labour=False, accredited_for_training=True)
    network = Network.objects.create(
        name="Rete incompleta",
        lead=lead,
        province=province("BG"),
        measure=measure("gol-percorso-5"),
        valid_from=datetime.date(2025, 6, 1),
    )
    NetworkMember.objects.create(
        network=network, kind=MemberKind.OPERATORE_FORMAZIONE, name=lead.name, operator=lead
    )
    NetworkMember.objects.create(
        network=network, kind=MemberKind.PROVINCIA, name="Provincia", province=province("BG")
    )
    return network


def test_a_region_official_creates_a_valid_network_and_sees_every_check_met(client, region):
    lead, cpi = OperatorFactory(), OperatorFactory(cpi=True)
    client.force_login(region)
    response = client.post(
        reverse("pal:network_create"), network_post(lead, valid_members(lead, cpi)), follow=True
    )
    assert response.status_code == 200
    network = Network.objects.get(name="Rete Bergamo Meccanica")
    assert network.members.count() == 3
    checks = checklist(response)
    assert len(checks) == 6
    assert all(checks.values())


def test_the_checklist_shows_each_failing_check_of_an_invalid_network(client, region):
    network = invalid_network()
    client.force_login(region)
    checks = checklist(client.get(reverse("pal:network_detail", args=[network.pk])))
    assert checks == {
        "three_members": False,
        "lead_accredited": False,
        "lead_member": True,
        "province_member": True,
        "cpi_member": False,
        "measure_exclusive": True,
    }


def test_the_network_list_badges_valid_and_invalid_networks(client, region):
    invalid_network()
    client.force_login(region)
    response = client.get(reverse("pal:network_list"))
    assert response.context["rows"][0][1] is False
    assert "Not valid" in response.text


def test_a_lead_not_accredited_for_labour_is_refused_on_the_form(client, region):
    lead = OperatorFactory(accredited_for_labour=False)
    cpi = OperatorFactory(cpi=True)
    client.force_login(region)
    response = client.post(
        reverse("pal:network_create"), network_post(lead, valid_members(lead, cpi))
    )
    assert response.status_code == 422
    assert not Network.objects.exists()


def test_a_region_official_edits_the_members_of_a_network(client, region):
    network = invalid_network()
    lead = OperatorFactory()
    cpi = OperatorFactory(cpi=True)
    client.force_login(region)
    response = client.post(
        reverse("pal:network_update", args=[network.pk]),
        network_post(lead, valid_members(lead, cpi), name="Rete completa"),
    )
    assert response.status_code == 302
    network.refresh_from_db()
    assert network.name == "Rete completa"
    assert set(network.members.values_list("kind", flat=True)) == {
        MemberKind.OPERATORE_LAVORO,
        MemberKind.PROVINCIA,
        MemberKind.CPI,
    }


def test_province_staff_read_networks_of_their_province_only(client, staff_bg, staff_mi):
    network = invalid_network()
    client.force_login(staff_bg)
    assert client.get(reverse("pal:network_detail", args=[network.pk])).status_code == 200
    client.force_login(staff_mi)
    assert client.get(reverse("pal:network_detail", args=[network.pk])).status_code == 404
    assert network not in client.get(reverse("pal:network_list")).context["object_list"]


def test_province_staff_cannot_edit_networks_nor_measures_nor_operators(client, staff_bg):
    network = invalid_network()
    dote_unica = measure()
    client.force_login(staff_bg)
    for url in (
        reverse("pal:network_create"),
        reverse("pal:network_update", args=[network.pk]),
        reverse("pal:measure_create"),
        reverse("pal:measure_update", args=[dote_unica.pk]),
        reverse("pal:operator_create"),
        reverse("pal:operator_update", args=[network.lead_id]),
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {}).status_code == 403, url
    assert client.get(reverse("pal:measure_list")).status_code == 200


def test_operators_cannot_open_any_region_page(client, operator_user):
    network = invalid_network()
    client.force_login(operator_user)
    for name, args in (
        ("measure_list", []),
        ("measure_create", []),
        ("measure_update", [measure().pk]),
        ("operator_list", []),
        ("operator_create", []),
        ("operator_update", [network.lead_id]),
        ("network_list", []),
        ("network_create", []),
        ("network_detail", [network.pk]),
        ("network_update", [network.pk]),
    ):
        assert client.get(reverse(f"pal:{name}", args=args)).status_code == 403, name


def test_a_region_official_creates_and_edits_a_measure(client, region):
    client.force_login(region)
    data = {
        "code": "dote-test",
        "name": "Dote di prova",
        "funding_source": "regionale",
        "valid_from": "2025-01-01",
        "valid_until": "2026-12-31",
        "max_per_worker": "2000",
        "is_active": "on",
    }
    assert client.post(reverse("pal:measure_create"), data).status_code == 302
    created = Measure.objects.get(code="dote-test")
    data["name"] = "Dote di prova 2"
    url = reverse("pal:measure_update", args=[created.pk])
    assert client.post(url, data).status_code == 302
    created.refresh_from_db()
    assert created.name == "Dote di prova 2"
    assert created.history.first().history_user == region


def test_a_measure_ending_before_it_starts_is_refused(client, region):
    client.force_login(region)
    response = client.post(
        reverse("pal:measure_create"),
        {
            "code": "dote-storta",
            "name": "Dote storta",
            "funding_source": "regionale",
            "valid_from": "2025-01-01",
            "valid_until": "2024-12-31",
        },
    )
    assert response.status_code == 422
    assert not Measure.objects.filter(code="dote-storta").exists()


def test_a_region_official_creates_an_operator_with_its_offices(client, region):
    client.force_login(region)
    response = client.post(
        reverse("pal:operator_create"),
        {
            "name": "Formazione Orobica",
            "accreditation_number": "ACC-9999",
            "accredited_for_labour": "on",
            "offices-TOTAL_FORMS": 2,
            "offices-INITIAL_FORMS": 0,
            "offices-MIN_NUM_FORMS": 0,
            "offices-MAX_NUM_FORMS": 1000,
            "offices-0-comune": "Bergamo",
            "offices-0-province": "BG",
            "offices-0-address": "Via Roma 1",
            "offices-1-comune": "",
            "offices-1-province": "",
            "offices-1-address": "",
        },
    )
    assert response.status_code == 302
    operator = Operator.objects.get(accreditation_number="ACC-9999")
    assert list(operator.offices.values_list("comune", "province")) == [("Bergamo", "BG")]


def test_the_network_list_runs_a_bounded_number_of_queries(
    client, region, django_assert_max_num_queries
):
    for _ in range(3):
        invalid_network()
    client.force_login(region)
    with django_assert_max_num_queries(12 + 3 * 3):
        client.get(reverse("pal:network_list"))
