"""§2 and §6: who may create and change procedures and units, and the audit trail."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cases import services
from cases.models import Company, CrisisProcedure, ProductionUnit
from tests.cases.factories import (
    CompanyFactory,
    CrisisProcedureFactory,
    ProductionUnitFactory,
    province,
)

pytestmark = pytest.mark.django_db


def procedure_data(**overrides):
    return {
        "family": "cigs_regionale",
        "opened_on": datetime.date(2025, 2, 3),
        "start_date": datetime.date(2025, 2, 10),
        "end_date": datetime.date(2025, 12, 31),
        "lead_province": province("BG"),
        **overrides,
    }


def unit_data(code="BG", **overrides):
    return {"comune": "Dalmine", "province": province(code), "workers_involved": 25, **overrides}


class TestProcedureCreate:
    def test_staff_open_a_procedure_with_its_units(self, staff_bg):
        procedure = services.procedure_create(
            user=staff_bg,
            company=CompanyFactory(),
            data=procedure_data(),
            units=[unit_data("BG"), unit_data("MI", comune="Sesto San Giovanni")],
        )
        assert procedure.lead_province_id == "BG"
        assert sorted(procedure.units.values_list("province_id", flat=True)) == ["BG", "MI"]

    def test_an_external_id_is_generated_when_left_empty(self, staff_bg):
        procedure = services.procedure_create(
            user=staff_bg, company=CompanyFactory(), data=procedure_data(), units=[unit_data()]
        )
        assert procedure.external_id.startswith("BG-")
        assert all(unit.external_id.startswith("U-") for unit in procedure.units.all())

    def test_the_lead_province_must_be_the_officers_own(self, staff_bg):
        with pytest.raises(PermissionDenied):
            services.procedure_create(
                user=staff_bg,
                company=CompanyFactory(),
                data=procedure_data(lead_province=province("MI")),
                units=[unit_data("MI")],
            )
        assert not CrisisProcedure.objects.exists()

    def test_invalid_data_saves_nothing(self, staff_bg):
        company = CompanyFactory()
        with pytest.raises(ValidationError) as excinfo:
            services.procedure_create(
                user=staff_bg,
                company=company,
                data=procedure_data(end_date=datetime.date(2025, 1, 1)),
                units=[unit_data()],
            )
        assert "end_date" in excinfo.value.message_dict
        assert CrisisProcedure.objects.count() == 0
        assert ProductionUnit.objects.count() == 0

    def test_a_bad_unit_rolls_back_the_whole_procedure(self, staff_bg):
        with pytest.raises(ValidationError):
            services.procedure_create_with_company(
                user=staff_bg,
                company_data={"tax_code": "00743110157", "name": "Tessitura Orobica"},
                data=procedure_data(),
                units=[unit_data(), unit_data(comune="")],
            )
        assert CrisisProcedure.objects.count() == 0
        assert Company.objects.count() == 0

    def test_the_history_records_who_created_the_procedure(self, staff_bg):
        procedure = services.procedure_create(
            user=staff_bg, company=CompanyFactory(), data=procedure_data(), units=[unit_data()]
        )
        record = procedure.history.first()
        assert record.history_type == "+"
        assert record.history_user == staff_bg
        assert procedure.units.get().history.first().history_user == staff_bg


class TestCompanyUpsert:
    def test_the_same_tax_code_finds_the_same_company(self, staff_bg):
        company = CompanyFactory(tax_code="00743110157", name="Vecchio nome")
        found = services.company_upsert(user=staff_bg, tax_code="007 431 101 57", name="Nuovo nome")
        assert found.pk == company.pk
        assert found.name == "Nuovo nome"
        assert Company.objects.count() == 1

    def test_an_invalid_tax_code_is_reported_on_the_company_field(self, staff_bg):
        with pytest.raises(ValidationError) as excinfo:
            services.company_upsert(user=staff_bg, tax_code="12345678900", name="Bad")
        assert "company_tax_code" in excinfo.value.message_dict
        assert not Company.objects.exists()


class TestProcedureUpdate:
    def test_lead_province_staff_change_procedure_fields(self, staff_bg):
        procedure = CrisisProcedureFactory(lead="BG")
        services.procedure_update(
            user=staff_bg, procedure=procedure, data={"notes": "Tavolo fissato"}
        )
        procedure.refresh_from_db()
        assert procedure.notes == "Tavolo fissato"

    def test_the_history_records_who_changed_the_procedure(self, staff_bg):
        procedure = CrisisProcedureFactory(lead="BG")
        services.procedure_update(user=staff_bg, procedure=procedure, data={"notes": "Nota"})
        latest = procedure.history.first()
        assert latest.history_type == "~"
        assert latest.history_user == staff_bg
        assert latest.prev_record.notes == ""
        assert latest.notes == "Nota"

    def test_staff_of_a_province_with_only_a_unit_cannot_change_procedure_fields(self, staff_bg):
        procedure = CrisisProcedureFactory(lead="MI")
        ProductionUnitFactory(procedure=procedure, in_province="BG")
        with pytest.raises(PermissionDenied):
            services.procedure_update(user=staff_bg, procedure=procedure, data={"notes": "No"})
        procedure.refresh_from_db()
        assert procedure.notes == ""

    def test_lead_staff_cannot_hand_the_procedure_to_another_province(self, staff_bg):
        procedure = CrisisProcedureFactory(lead="BG")
        with pytest.raises(PermissionDenied):
            services.procedure_update(
                user=staff_bg, procedure=procedure, data={"lead_province": province("MI")}
            )
        procedure.refresh_from_db()
        assert procedure.lead_province_id == "BG"

    def test_invalid_changes_save_nothing(self, staff_bg):
        procedure = CrisisProcedureFactory(lead="BG")
        history_before = procedure.history.count()
        with pytest.raises(ValidationError):
            services.procedure_update(
                user=staff_bg,
                procedure=procedure,
                data={"notes": "x", "end_date": datetime.date(2020, 1, 1)},
            )
        procedure.refresh_from_db()
        assert (procedure.notes, procedure.end_date) == ("", datetime.date(2026, 3, 31))
        assert procedure.history.count() == history_before


class TestUnits:
    def test_staff_of_a_non_lead_province_update_their_own_unit(self, staff_bg):
        procedure = CrisisProcedureFactory(lead="MI")
        unit = ProductionUnitFactory(procedure=procedure, in_province="BG", workers_involved=10)
        services.unit_update(user=staff_bg, unit=unit, data={"workers_involved": 12})
        unit.refresh_from_db()
        assert unit.workers_involved == 12
        assert unit.history.first().history_user == staff_bg

    def test_staff_of_a_non_lead_province_cannot_update_another_provinces_unit(self, staff_bg):
        procedure = CrisisProcedureFactory(lead="MI")
        ProductionUnitFactory(procedure=procedure, in_province="BG")
        milan_unit = ProductionUnitFactory(
            procedure=procedure, in_province="MI", workers_involved=10
        )
        with pytest.raises(PermissionDenied):
            services.unit_update(user=staff_bg, unit=milan_unit, data={"workers_involved": 99})
        milan_unit.refresh_from_db()
        assert milan_unit.workers_involved == 10

    def test_staff_cannot_move_their_unit_to_another_province(self, staff_bg):
        unit = ProductionUnitFactory(procedure=CrisisProcedureFactory(lead="MI"), in_province="BG")
        with pytest.raises(PermissionDenied):
            services.unit_update(user=staff_bg, unit=unit, data={"province": province("MI")})
        unit.refresh_from_db()
        assert unit.province_id == "BG"

    def test_staff_of_a_non_lead_province_add_a_unit_in_their_province(self, staff_bg):
        procedure = CrisisProcedureFactory(lead="MI")
        unit = services.unit_create(user=staff_bg, procedure=procedure, data=unit_data("BG"))
        assert unit.procedure == procedure

    def test_staff_of_a_non_lead_province_cannot_add_a_unit_elsewhere(self, staff_bg):
        procedure = CrisisProcedureFactory(lead="MI")
        with pytest.raises(PermissionDenied):
            services.unit_create(user=staff_bg, procedure=procedure, data=unit_data("CO"))
        assert not procedure.units.exists()

    def test_a_negative_worker_count_saves_nothing(self, staff_bg):
        unit = ProductionUnitFactory(
            procedure=CrisisProcedureFactory(lead="BG"), workers_involved=5
        )
        count_before = unit.history.count()
        with pytest.raises(ValidationError):
            services.unit_update(user=staff_bg, unit=unit, data={"workers_involved": -1})
        unit.refresh_from_db()
        assert unit.workers_involved == 5
        assert unit.history.count() == count_before
