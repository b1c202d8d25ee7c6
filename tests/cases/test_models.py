"""§2: companies' tax codes, procedure consistency, and the constraints kept by the database."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.enums import PROVINCE_CODES
from cases.models import CrisisProcedure, Province
from cases.validators import partita_iva_is_valid, validate_company_tax_code
from tests.cases.factories import CompanyFactory, CrisisProcedureFactory, partita_iva

VALID_PARTITA_IVA = "00743110157"
VALID_FISCAL_CODE = "RSSMRA80A01F205X"  # Mario Rossi, born in Milan on 1 January 1980


def assert_valid(instance) -> None:
    try:
        instance.full_clean()
    except ValidationError as exc:
        pytest.fail(f"{instance!r} is unexpectedly invalid: {exc.message_dict}")


def wrong_check_digit(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


class TestCompanyTaxCode:
    def test_a_partita_iva_with_the_right_check_digit_is_valid(self):
        assert partita_iva_is_valid(VALID_PARTITA_IVA)

    @pytest.mark.django_db
    def test_a_company_with_a_valid_partita_iva_is_valid(self):
        assert_valid(CompanyFactory.build(tax_code=VALID_PARTITA_IVA))

    def test_the_factory_check_digit_agrees_with_the_validator(self):
        assert all(partita_iva_is_valid(partita_iva(base)) for base in range(1000, 1100))

    def test_a_partita_iva_with_a_wrong_check_digit_is_refused(self):
        with pytest.raises(ValidationError) as excinfo:
            validate_company_tax_code(wrong_check_digit(VALID_PARTITA_IVA))
        assert excinfo.value.code == "tax_code_check_digit"

    @pytest.mark.parametrize("code", ["1234567890", "123456789012"])
    def test_a_numeric_tax_code_must_have_eleven_digits(self, code):
        with pytest.raises(ValidationError) as excinfo:
            validate_company_tax_code(code)
        assert excinfo.value.code == "tax_code_length"

    @pytest.mark.django_db
    def test_a_personal_fiscal_code_of_a_sole_trader_is_valid(self):
        assert_valid(CompanyFactory.build(tax_code=VALID_FISCAL_CODE))

    def test_a_personal_fiscal_code_with_a_wrong_check_character_is_refused(self):
        with pytest.raises(ValidationError) as excinfo:
            validate_company_tax_code(VALID_FISCAL_CODE[:-1] + "Y")
        assert excinfo.value.code == "tax_code_invalid"

    @pytest.mark.parametrize("code", ["RSSMRA80A01F205", "RSSMRA80A01F205XX", "IT12345678903"])
    def test_other_lengths_are_refused(self, code):
        with pytest.raises(ValidationError) as excinfo:
            validate_company_tax_code(code)
        assert excinfo.value.code == "tax_code_format"

    @pytest.mark.django_db
    def test_a_company_tax_code_is_upper_cased(self):
        company = CompanyFactory.build(tax_code="rssmra80a01f205x")
        company.full_clean()
        assert company.tax_code == VALID_FISCAL_CODE

    @pytest.mark.django_db
    def test_a_company_with_an_invalid_tax_code_does_not_pass_full_clean(self):
        company = CompanyFactory.build(tax_code=wrong_check_digit(VALID_PARTITA_IVA))
        with pytest.raises(ValidationError) as excinfo:
            company.full_clean()
        assert "tax_code" in excinfo.value.message_dict


@pytest.mark.django_db
class TestProcedureClean:
    def test_a_consistent_procedure_is_valid(self):
        assert_valid(CrisisProcedureFactory.build(company=CompanyFactory()))

    def test_the_end_of_income_support_cannot_precede_its_start(self):
        procedure = CrisisProcedureFactory.build(
            company=CompanyFactory(),
            start_date=datetime.date(2025, 4, 1),
            end_date=datetime.date(2025, 3, 31),
        )
        with pytest.raises(ValidationError) as excinfo:
            procedure.full_clean()
        assert list(excinfo.value.message_dict) == ["end_date"]

    def test_the_opening_date_cannot_be_in_the_future(self):
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        procedure = CrisisProcedureFactory.build(company=CompanyFactory(), opened_on=tomorrow)
        with pytest.raises(ValidationError) as excinfo:
            procedure.full_clean()
        assert list(excinfo.value.message_dict) == ["opened_on"]

    def test_a_procedure_may_be_opened_today(self):
        procedure = CrisisProcedureFactory.build(
            company=CompanyFactory(), opened_on=timezone.localdate()
        )
        assert_valid(procedure)

    def test_a_highly_complex_procedure_needs_a_note(self):
        procedure = CrisisProcedureFactory.build(
            company=CompanyFactory(), high_complexity=True, complexity_note="  "
        )
        with pytest.raises(ValidationError) as excinfo:
            procedure.full_clean()
        assert list(excinfo.value.message_dict) == ["complexity_note"]

    def test_a_highly_complex_procedure_with_a_note_is_valid(self):
        assert_valid(CrisisProcedureFactory.build(company=CompanyFactory(), highly_complex=True))

    def test_the_guideline_letter_follows_the_family(self):
        procedure = CrisisProcedureFactory.build(family="licenziamento_collettivo")
        assert procedure.guideline == "D"


@pytest.mark.django_db
class TestDatabaseConstraints:
    """The rules hold even for writes that skip full_clean()."""

    def test_the_database_refuses_an_end_date_before_the_start_date(self):
        procedure = CrisisProcedureFactory(start_date=datetime.date(2025, 4, 1))
        with pytest.raises(IntegrityError), transaction.atomic():
            CrisisProcedure.objects.filter(pk=procedure.pk).update(
                end_date=datetime.date(2025, 3, 1)
            )
        procedure.refresh_from_db()
        assert procedure.end_date == datetime.date(2026, 3, 31)

    def test_the_database_refuses_an_unknown_family(self):
        procedure = CrisisProcedureFactory()
        with pytest.raises(IntegrityError), transaction.atomic():
            CrisisProcedure.objects.filter(pk=procedure.pk).update(family="cassa_integrazione")
        procedure.refresh_from_db()
        assert procedure.family == "cigs_ministeriale"

    def test_the_database_refuses_an_unknown_status(self):
        procedure = CrisisProcedureFactory()
        with pytest.raises(IntegrityError), transaction.atomic():
            CrisisProcedure.objects.filter(pk=procedure.pk).update(status="sospesa")

    def test_two_companies_cannot_share_a_tax_code(self):
        company = CompanyFactory()
        with pytest.raises(IntegrityError), transaction.atomic():
            CompanyFactory(tax_code=company.tax_code)

    def test_two_procedures_cannot_share_an_external_id(self):
        procedure = CrisisProcedureFactory()
        with pytest.raises(IntegrityError), transaction.atomic():
            CrisisProcedureFactory(external_id=procedure.external_id)


@pytest.mark.django_db
def test_the_province_codes_the_schema_lists_are_the_province_table():
    assert tuple(Province.objects.order_by("position").values_list("code", flat=True)) == (
        PROVINCE_CODES
    )
