"""Networks for collective relocation (§4): the validity checklist and exclusivity through them."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from pal.enums import MemberKind, PIPStatus
from pal.models import Dote, Network, NetworkMember
from pal.services import (
    PALRuleRefused,
    dote_assign,
    network_checks,
    network_is_valid,
    network_save,
    pip_submit,
)
from tests.cases.factories import OperatorFactory, province
from tests.pal.factories import (
    DoteFactory,
    NetworkFactory,
    NetworkMemberFactory,
    measure,
    pip_with_service,
)
from tests.workers.factories import CohortFactory, InvolvementFactory

pytestmark = pytest.mark.django_db

DOTE_FROM = datetime.date(2025, 5, 1)
DOTE_UNTIL = datetime.date(2026, 4, 30)


def checks(network: Network) -> dict[str, bool]:
    return {check.code: check.ok for check in network_checks(network)}


def members_of(lead, territory: str = "BG") -> list[dict]:
    """The three members a valid network needs, as network_save takes them."""
    return [
        {"kind": MemberKind.OPERATORE_LAVORO, "name": lead.name, "operator": lead},
        {"kind": MemberKind.PROVINCIA, "name": "Provincia", "province": province(territory)},
        {
            "kind": MemberKind.CPI,
            "name": "CPI",
            "operator": OperatorFactory(cpi=True),
            "province": province(territory),
        },
    ]


def network_data(lead, **overrides) -> dict:
    data = {
        "name": "Rete Valle Seriana",
        "lead": lead,
        "province": province("BG"),
        "measure": measure("azioni-di-rete"),
        "valid_from": datetime.date(2025, 1, 1),
    }
    data.update(overrides)
    return data


# --- The checklist ---------------------------------------------------------------------------


def test_a_network_with_lead_province_and_competent_cpi_passes_every_check():
    network = NetworkFactory(complete=True)
    assert checks(network) == dict.fromkeys(checks(network), True)
    assert network_is_valid(network)


def test_a_network_with_fewer_than_three_members_fails_that_check():
    network = NetworkFactory()
    NetworkMemberFactory(network=network, kind=MemberKind.OPERATORE_LAVORO, operator=network.lead)
    NetworkMemberFactory(network=network, kind=MemberKind.PROVINCIA, province=network.province)
    assert checks(network)["three_members"] is False
    assert not network_is_valid(network)
    # The lead listed twice is still one member.
    NetworkMemberFactory(network=network, kind=MemberKind.OPERATORE_LAVORO, operator=network.lead)
    assert checks(network)["three_members"] is False
    NetworkMemberFactory(network=network, kind=MemberKind.CPI, province=network.province)
    assert checks(network)["three_members"] is True


@pytest.mark.parametrize(
    "lead",
    [
        {"accredited_for_labour": False, "accredited_for_training": True},
        {"accredited_for_labour": False, "accredited_for_training": False},
    ],
    ids=["training-only", "no-accreditation"],
)
def test_a_lead_neither_cpi_nor_accredited_for_labour_is_refused(lead, region):
    lead = OperatorFactory(**lead)
    with pytest.raises(PALRuleRefused) as refusal:
        network_save(user=region, data=network_data(lead), members=members_of(lead))
    assert refusal.value.code == "network_lead"
    assert not Network.objects.exists() and not NetworkMember.objects.exists()
    # A network that already has such a lead shows the check failed.
    assert checks(NetworkFactory(complete=True, lead=lead))["lead_accredited"] is False


def test_a_cpi_may_lead_a_network_without_a_labour_accreditation(region):
    lead = OperatorFactory(cpi=True, accredited_for_labour=False)
    network = network_save(user=region, data=network_data(lead), members=members_of(lead))
    assert checks(network)["lead_accredited"] is True


@pytest.mark.parametrize("province_member", [None, "MI"], ids=["no-province", "another-province"])
def test_a_network_without_the_province_of_its_territory_fails_that_check(province_member):
    network = NetworkFactory(complete=True)
    network.members.filter(kind=MemberKind.PROVINCIA).delete()
    NetworkMemberFactory(network=network, kind=MemberKind.ALTRO)  # keep three members
    if province_member:
        NetworkMemberFactory(
            network=network, kind=MemberKind.PROVINCIA, province=province(province_member)
        )
    result = checks(network)
    assert result["province_member"] is False
    assert [code for code, ok in result.items() if not ok] == ["province_member"]


@pytest.mark.parametrize(
    "cpi_member",
    [None, {"province": "MI"}, {"private_operator": True}],
    ids=["no-cpi", "cpi-of-another-province", "a-private-operator-posing-as-cpi"],
)
def test_a_network_without_the_competent_cpi_fails_that_check(cpi_member):
    network = NetworkFactory(complete=True)
    network.members.filter(kind=MemberKind.CPI).delete()
    NetworkMemberFactory(network=network, kind=MemberKind.ALTRO)  # keep three members
    if cpi_member:
        NetworkMemberFactory(
            network=network,
            kind=MemberKind.CPI,
            province=province(cpi_member.get("province", "BG")),
            operator=OperatorFactory() if cpi_member.get("private_operator") else None,
        )
    result = checks(network)
    assert [code for code, ok in result.items() if not ok] == ["cpi_member"]


def test_the_region_saves_a_network_with_its_members_and_cohorts(region):
    lead = OperatorFactory()
    cohort = CohortFactory()
    network = network_save(
        user=region, data=network_data(lead, cohorts=[cohort]), members=members_of(lead)
    )
    assert list(network.cohorts.all()) == [cohort]
    assert network.members.count() == 3
    assert network_is_valid(network)


@pytest.mark.parametrize("who", ["staff_bg", "operator_user"])
def test_only_the_region_manages_networks(who, request):
    user = request.getfixturevalue(who)
    lead = OperatorFactory()
    with pytest.raises(PermissionDenied):
        network_save(user=user, data=network_data(lead), members=members_of(lead))
    assert not Network.objects.exists()


# --- Exclusivity through networks ------------------------------------------------------------


def assign(involvement, code: str, **overrides) -> Dote:
    arguments = {
        "user": None,
        "involvement": involvement,
        "measure": measure(code),
        "operator": OperatorFactory(),
        "value": Decimal("1000.00"),
        "valid_from": DOTE_FROM,
        "valid_until": DOTE_UNTIL,
    }
    arguments.update(overrides)
    return dote_assign(**arguments)


def worker_in_a_served_cohort(**network_kwargs):
    cohort = CohortFactory()
    involvement = InvolvementFactory(unit=cohort.unit, cohort=cohort)
    NetworkFactory(complete=True, cohorts=[cohort], **network_kwargs)
    return involvement


@pytest.mark.parametrize("code", ["dote-unica-lavoro", "formazione-continua", "gol-percorso-3"])
def test_a_worker_in_a_cohort_served_by_a_network_gets_no_other_measures_dote(code):
    involvement = worker_in_a_served_cohort()
    with pytest.raises(PALRuleRefused) as refusal:
        assign(involvement, code)
    assert refusal.value.code == "exclusivity"
    assert not Dote.objects.exists()


def test_a_worker_in_a_cohort_served_by_a_network_gets_the_networks_measure():
    involvement = worker_in_a_served_cohort()
    assert assign(involvement, "azioni-di-rete").pk


def test_a_worker_of_the_same_procedure_outside_the_cohort_is_free():
    served = worker_in_a_served_cohort()
    outside = InvolvementFactory(unit=served.unit)
    assert assign(outside, "dote-unica-lavoro").pk


def test_a_network_serving_the_procedure_binds_all_its_workers():
    involvement = InvolvementFactory()
    NetworkFactory(complete=True, procedures=[involvement.procedure])
    with pytest.raises(PALRuleRefused) as refusal:
        assign(involvement, "dote-unica-lavoro")
    assert refusal.value.code == "exclusivity"
    assert not Dote.objects.exists()


def test_a_network_that_ended_before_the_dote_does_not_bind():
    involvement = worker_in_a_served_cohort(valid_until=DOTE_FROM - datetime.timedelta(days=1))
    assert assign(involvement, "dote-unica-lavoro").pk


def test_a_pip_is_refused_once_a_network_serves_the_workers_cohort():
    cohort = CohortFactory()
    involvement = InvolvementFactory(unit=cohort.unit, cohort=cohort)
    pip = pip_with_service(dote=DoteFactory(involvement=involvement))  # Dote Unica Lavoro
    NetworkFactory(complete=True, cohorts=[cohort])
    with pytest.raises(PALRuleRefused) as refusal:
        pip_submit(user=None, pip=pip)
    assert refusal.value.code == "exclusivity"
    pip.refresh_from_db()
    assert pip.status == PIPStatus.BOZZA and not pip.transitions.exists()
