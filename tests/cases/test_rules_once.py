"""A procedure cannot change company (#11): the model states the rule, the API and the upsert
service call it, and the refusal names the field and its code."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation

from cases.enums import RuleCode
from cases.models import CrisisProcedure
from cases.services import procedure_upsert
from tests.cases.factories import CompanyFactory, CrisisProcedureFactory

pytestmark = pytest.mark.django_db


def test_the_model_refuses_a_procedure_moved_to_another_company():
    procedure = CrisisProcedureFactory(lead="MI")
    procedure.company = CompanyFactory()
    with pytest.raises(ValidationError) as refusal:
        procedure.full_clean()  # what the admin's form and every service run
    errors = refusal.value.error_dict
    assert [e.code for e in errors["company"]] == [RuleCode.PROCEDURE_COMPANY_FIXED]


def test_a_procedure_kept_on_its_company_is_clean_and_a_new_one_takes_any():
    procedure = CrisisProcedureFactory(lead="MI")
    procedure.full_clean()
    procedure.check_company(procedure.company.tax_code)
    CrisisProcedure(company=CompanyFactory()).check_company(CompanyFactory())


def test_the_upsert_service_refuses_another_company():
    procedure = CrisisProcedureFactory(lead="MI")
    other = CompanyFactory()
    with pytest.raises(ValidationError) as refusal:
        procedure_upsert(
            user=None,
            company_data={"tax_code": other.tax_code, "name": other.name},
            data={"external_id": procedure.external_id, "notes": "x"},
        )
    assert [e.code for e in refusal.value.error_dict["company"]] == [
        RuleCode.PROCEDURE_COMPANY_FIXED
    ]
    procedure.refresh_from_db()
    assert procedure.company_id != other.pk
    assert procedure.notes == ""


def test_the_api_refuses_another_company_in_the_callers_language(staff_mi, api_client_for):
    procedure = CrisisProcedureFactory(lead="MI")
    other = CompanyFactory()
    response = api_client_for(staff_mi).patch(
        f"/api/v1/procedures/{procedure.pk}/",
        {"company": {"tax_code": other.tax_code, "name": other.name}},
        format="json",
    )
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    english = "A procedure cannot be moved to another company."
    with translation.override(settings.LANGUAGE_CODE):
        expected = translation.gettext(english)
    assert expected != english  # the message is in the catalogue: it was a bare string
    assert errors == [{"field": "company", "message": expected}]
    procedure.refresh_from_db()
    assert procedure.company_id != other.pk
