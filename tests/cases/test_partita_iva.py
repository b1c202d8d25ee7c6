"""#11 item 6: the partita IVA is checked by python-stdnum. Three numbers the old hand-written
check digit let through (all zeros; tax office codes 890 and 789, which no office has) are
refused, with a message that says what is wrong, on the field that holds them: in the
validator, the HTML form, the API and the procedures importer."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from cases.forms import CompanyForm
from cases.interchange import import_procedures
from cases.models import Company, CrisisProcedure
from cases.validators import partita_iva_is_valid, validate_company_tax_code
from crisi_portal.identifiers import normalise_tax_code
from tests.cases.factories import CompanyFactory, partita_iva
from tests.cases.test_api import assert_problem, new_procedure, saved_counts
from tests.cases.test_interchange import SAMPLE_ROWS, csv_text, row

# The number, the refusal code, words the message must contain.
ACCEPTED_BEFORE = [
    ("00000000000", "tax_code_company_number", "company number"),
    ("12345678903", "tax_code_office", "(890)"),
    ("01234567897", "tax_code_office", "(789)"),
]
IDS = ["all-zeros", "office-890", "office-789"]


@pytest.fixture(autouse=True)
def english():
    """The messages are checked in the source language (the Italian catalogue may change)."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize(("code", "refusal", "words"), ACCEPTED_BEFORE, ids=IDS)
def test_the_validator_refuses_them_saying_why(code, refusal, words):
    assert not partita_iva_is_valid(code)
    with pytest.raises(ValidationError) as excinfo:
        validate_company_tax_code(code)
    assert excinfo.value.code == refusal
    message = excinfo.value.messages[0]
    assert code in message and "partita IVA" in message and words in message


@pytest.mark.parametrize("code", ["00743110157", "01234560017", partita_iva(4_242_424)])
def test_real_partite_iva_still_pass(code):
    assert partita_iva_is_valid(code)
    validate_company_tax_code(code)


def test_a_partita_iva_written_with_spaces_is_read_as_one():
    validate_company_tax_code("007 431 101 57")
    assert normalise_tax_code(" 007 431 101 57 ") == "00743110157"


@pytest.mark.parametrize(("code", "refusal", "words"), ACCEPTED_BEFORE, ids=IDS)
def test_the_company_form_refuses_them_on_the_tax_code_field(code, refusal, words):
    form = CompanyForm(data={"company_tax_code": code, "company_name": "Officine S.r.l."})
    assert not form.is_valid()
    assert list(form.errors) == ["company_tax_code"]
    assert words in form.errors["company_tax_code"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "refusal", "words"), ACCEPTED_BEFORE, ids=IDS)
def test_the_api_refuses_them_naming_the_field(code, refusal, words, staff_bg, api_client_for):
    body = new_procedure(company={"name": "Officine S.r.l.", "tax_code": code})
    response = api_client_for(staff_bg).post(
        "/api/v1/procedures/", body, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    problem = assert_problem(response, 422)
    errors = {error["field"]: error for error in problem["errors"]}
    assert list(errors) == ["company.tax_code"]
    assert words in str(errors["company.tax_code"])
    assert saved_counts() == (0, 0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "refusal", "words"), ACCEPTED_BEFORE, ids=IDS)
def test_the_importer_refuses_them_on_their_line_and_column(code, refusal, words):
    result = import_procedures(csv_text(SAMPLE_ROWS[2], row(company_tax_code=code)))
    assert not result.ok and not result.applied
    assert [(error.line, error.column) for error in result.errors] == [(3, "company_tax_code")]
    assert words in result.errors[0].message
    assert not CrisisProcedure.objects.exists() and not Company.objects.exists()


@pytest.mark.django_db
def test_the_factories_make_valid_partite_iva():
    companies = CompanyFactory.create_batch(20)
    for company in companies:
        company.full_clean()
        assert partita_iva_is_valid(company.tax_code)
