"""The CPI competent for a unit and a worker (issue #15, part 1): the reference tables shipped by
the data migrations, the unit's CPI derived from its municipality unless an officer chose one,
and the worker's override."""

import pytest
from django.db.models import F
from django.urls import reverse

from cases import services
from cases.forms import UnitForm
from cases.models import Cpi, CpiMunicipality, ProductionUnit, assign_cpis, fold_name
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.workers.factories import InvolvementFactory
from workers.models import Country

pytestmark = pytest.mark.django_db


def cpi(seat: str) -> Cpi:
    return Cpi.objects.get(comune=seat)


# --- Reference tables -------------------------------------------------------------------------


def test_the_countries_are_istats_with_the_eu_group_of_2026():
    assert Country.objects.count() == 227
    assert Country.objects.get(istat_code="235").name == "Romania"
    assert Country.objects.get(istat_code="436").name == "Marocco"
    assert Country.objects.get(istat_code="100").group == "italian"
    assert Country.objects.filter(group="eu").count() == 26
    assert Country.objects.filter(eu_member=True).count() == 27
    assert Country.objects.get(istat_code="219").group == "non_eu"  # the United Kingdom
    assert Country.objects.get(istat_code="250").group == "eu"  # Croatia, since 2013
    assert not Country.objects.filter(istat_code="998").exists()  # "not stated"


def test_every_lombard_comune_has_a_cpi_of_its_province_and_seats_are_sourced():
    assert CpiMunicipality.objects.count() == 1504
    assert Cpi.objects.values("province").distinct().count() == 12
    assert not CpiMunicipality.objects.exclude(cpi__province=F("province")).exists()
    for seat in Cpi.objects.values_list("comune", "province"):
        row = CpiMunicipality.objects.get(name=seat[0], province=seat[1])
        assert not row.derived and row.cpi.comune == seat[0]
    dalmine = CpiMunicipality.objects.get(istat_code="016091")
    assert (dalmine.name, dalmine.derived, dalmine.cpi.comune) == ("Dalmine", True, "Bergamo")


@pytest.mark.parametrize(
    ("typed", "folded"),
    [("Sant'Angelo Lodigiano", "sant angelo lodigiano"), ("  SALÒ ", "salo"), ("Cantù", "cantu")],
)
def test_names_are_folded_for_matching(typed, folded):
    assert fold_name(typed) == folded


# --- The unit's CPI ---------------------------------------------------------------------------


def test_a_units_cpi_is_derived_from_its_comune_as_typed():
    unit = ProductionUnitFactory(comune="TREVIGLIO")

    assert unit.cpi == cpi("Treviglio") and not unit.cpi_chosen


def test_a_comune_of_another_province_or_unknown_gives_no_cpi():
    assert ProductionUnitFactory(comune="Atlantide").cpi is None
    assert ProductionUnitFactory(comune="Monza", in_province="BG").cpi is None


def test_an_officers_choice_is_kept_when_the_comune_changes_and_empty_derives_again(staff_bg):
    procedure = CrisisProcedureFactory(lead="BG")
    unit = services.unit_create(
        user=staff_bg,
        procedure=procedure,
        data={"comune": "Dalmine", "province_id": "BG", "cpi": cpi("Ponte San Pietro")},
    )
    assert unit.cpi_chosen

    unit = services.unit_update(user=staff_bg, unit=unit, data={"comune": "Treviglio"})
    assert unit.cpi == cpi("Ponte San Pietro")

    unit = services.unit_update(user=staff_bg, unit=unit, data={"cpi": None})
    assert (unit.cpi, unit.cpi_chosen) == (cpi("Treviglio"), False)


def test_bulk_created_units_get_their_cpis_in_one_query(django_assert_num_queries):
    procedure = CrisisProcedureFactory(lead="BG")
    units = [
        ProductionUnit(procedure=procedure, comune=c, province_id="BG", external_id=c)
        for c in ("Zogno", "Dalmine", "nowhere")
    ]
    with django_assert_num_queries(1):
        assign_cpis(units)

    assert [u.cpi_id for u in units] == [cpi("Zogno").pk, cpi("Bergamo").pk, None]


def test_the_unit_form_shows_the_derived_cpi_and_offers_a_choice():
    unit = ProductionUnitFactory(comune="Zogno")
    form = UnitForm(instance=unit)

    assert form.initial["cpi"] is None
    assert "CPI Zogno" in str(form.fields["cpi"].help_text)

    unit.cpi, unit.cpi_chosen = cpi("Clusone"), True
    unit.save()
    assert UnitForm(instance=unit).initial["cpi"] == cpi("Clusone").pk


def test_the_unit_edit_page_saves_the_officers_choice(staff_bg, client):
    unit = ProductionUnitFactory(comune="Zogno")
    client.force_login(staff_bg)
    url = reverse("cases:unit_update", args=[unit.pk])
    body = {
        "external_id": unit.external_id,
        "comune": "Zogno",
        "province": "BG",
        "workers_involved": 3,
        "cpi": cpi("Lovere").pk,
    }

    response = client.post(url, body)

    assert response.status_code == 302
    unit.refresh_from_db()
    assert (unit.cpi, unit.cpi_chosen) == (cpi("Lovere"), True)


# --- API --------------------------------------------------------------------------------------


def test_the_api_shows_and_sets_the_cpi_by_code(staff_bg, api_client_for):
    procedure = CrisisProcedureFactory(lead="BG")
    client = api_client_for(staff_bg)
    body = {"procedure": procedure.pk, "external_id": "U-9", "comune": "Zogno", "province": "BG"}

    created = client.post("/api/v1/units/upsert/", body).json()
    assert (created["cpi"], created["cpi_chosen"]) == (cpi("Zogno").code, False)

    changed = client.post("/api/v1/units/upsert/", {**body, "cpi": cpi("Albino").code}).json()
    assert (changed["cpi"], changed["cpi_chosen"]) == (cpi("Albino").code, True)


def test_a_workers_cpi_override_is_set_through_the_involvement(staff_bg, api_client_for):
    involvement = InvolvementFactory(unit=ProductionUnitFactory(comune="Zogno"))
    client = api_client_for(staff_bg, if_match=True)
    path = f"/api/v1/involvements/{involvement.pk}/"
    assert client.get(path).json()["cpi"] is None

    response = client.patch(path, {"cpi": cpi("Lovere").code})

    assert response.status_code == 200, response.content
    assert response.json()["cpi"] == cpi("Lovere").code
    involvement.refresh_from_db()
    assert involvement.cpi == cpi("Lovere")
