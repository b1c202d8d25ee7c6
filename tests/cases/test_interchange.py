"""§2, interchange CSV: idempotent upsert, all or nothing, every bad row reported."""

import datetime
import io

import pytest
from django.utils import timezone

from cases.interchange import HEADER, export_procedures, import_procedures
from cases.models import Company, CrisisProcedure, ProductionUnit
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory, partita_iva

pytestmark = pytest.mark.django_db

HEADER_LINE = ",".join(HEADER)
TAX_A = partita_iva(1_111_111)
TAX_B = partita_iva(2_222_222)
FONDERIE = f"BG-2025-001,cigs_ministeriale,Fonderie Orobiche S.p.A.,{TAX_A}"
TESSITURA = f"BG-2025-002,licenziamento_collettivo,Tessitura Seriana S.r.l.,{TAX_B}"
# Sorted as the export writes them: by procedure external_id, then unit external_id.
SAMPLE_ROWS = [
    f"{FONDERIE},2025-01-15,2025-02-01,2026-01-31,U-BG-1,BG,Dalmine,120",
    f"{FONDERIE},2025-01-15,2025-02-01,2026-01-31,U-BG-2,BG,Treviglio,35",
    f"{TESSITURA},2025-03-03,2025-03-10,,U-BG-3,BG,Albino,18",
]


def csv_text(*rows: str, header: str = HEADER_LINE) -> str:
    return "\n".join([header, *rows]) + "\n"


def row(**changes) -> str:
    """The first sample row with some columns changed."""
    values = dict(zip(HEADER, SAMPLE_ROWS[0].split(","), strict=True))
    values.update(changes)
    return ",".join(values[column] for column in HEADER)


def exported() -> str:
    out = io.StringIO()
    export_procedures(CrisisProcedure.objects.all(), out)
    return out.getvalue()


def snapshot() -> dict:
    """Everything an import could touch: rows, their last change and their history."""
    return {
        "procedures": sorted(CrisisProcedure.objects.values_list("external_id", "updated_at")),
        "units": sorted(ProductionUnit.objects.values_list("external_id", "updated_at")),
        "companies": sorted(Company.objects.values_list("tax_code", "updated_at")),
        "history": (
            CrisisProcedure.history.count(),
            ProductionUnit.history.count(),
            Company.history.count(),
        ),
    }


def errors_of(result) -> list[tuple[int, str | None]]:
    return [(error.line, error.column) for error in result.errors]


class TestRoundTrip:
    def test_importing_the_sample_creates_its_procedures_and_units(self):
        result = import_procedures(csv_text(*SAMPLE_ROWS))
        assert result.ok and result.applied
        assert result.summary() == {
            "procedure": {"create": 2, "update": 0, "unchanged": 0},
            "unit": {"create": 3, "update": 0, "unchanged": 0},
        }
        procedure = CrisisProcedure.objects.get(external_id="BG-2025-001")
        assert procedure.lead_province_id == "BG"
        assert procedure.company.tax_code == TAX_A
        assert sorted(procedure.units.values_list("comune", "workers_involved")) == [
            ("Dalmine", 120),
            ("Treviglio", 35),
        ]
        assert CrisisProcedure.objects.get(external_id="BG-2025-002").end_date is None

    def test_export_gives_back_the_imported_rows(self):
        text = csv_text(*SAMPLE_ROWS)
        import_procedures(text)
        assert exported() == text

    def test_importing_the_same_file_twice_changes_nothing_the_second_time(self):
        text = csv_text(*SAMPLE_ROWS)
        import_procedures(text)
        before = snapshot()
        result = import_procedures(text)
        assert result.ok
        assert {change.action for change in result.changes} == {"unchanged"}
        assert len(result.changes) == 5
        assert snapshot() == before

    def test_importing_an_export_changes_nothing(self):
        procedure = CrisisProcedureFactory(lead="MI", open_ended=True)
        ProductionUnitFactory(procedure=procedure, in_province="MI")
        ProductionUnitFactory(procedure=procedure, in_province="BG")
        before = snapshot()
        result = import_procedures(exported())
        assert result.ok
        assert result.summary()["unit"] == {"create": 0, "update": 0, "unchanged": 2}
        assert snapshot() == before

    def test_a_changed_row_updates_only_what_changed(self):
        import_procedures(csv_text(*SAMPLE_ROWS))
        untouched = ProductionUnit.objects.get(external_id="U-BG-2").updated_at
        changed = [SAMPLE_ROWS[0].replace(",120", ",130"), *SAMPLE_ROWS[1:]]
        result = import_procedures(csv_text(*changed))
        assert [
            (c.action, c.external_id, c.changed_fields)
            for c in result.changes
            if c.action != "unchanged"
        ] == [("update", "U-BG-1", ["workers_involved"])]
        assert ProductionUnit.objects.get(external_id="U-BG-1").workers_involved == 130
        assert ProductionUnit.objects.get(external_id="U-BG-2").updated_at == untouched

    def test_a_dry_run_saves_nothing(self):
        result = import_procedures(csv_text(*SAMPLE_ROWS), dry_run=True)
        assert result.ok and not result.applied
        assert result.summary()["procedure"]["create"] == 2
        assert not CrisisProcedure.objects.exists()

    def test_a_utf8_file_with_a_byte_order_mark_is_read(self):
        result = import_procedures(("\ufeff" + csv_text(SAMPLE_ROWS[2])).encode("utf-8"))
        assert result.ok
        assert CrisisProcedure.objects.count() == 1


class TestBadRows:
    """Each kind of problem names its line and column, and the file imports nothing."""

    @pytest.mark.parametrize(
        ("bad_row", "column"),
        [
            (row(company_tax_code="12345678900"), "company_tax_code"),
            (row(company_tax_code="ABC"), "company_tax_code"),
            (row(unit_province="XX"), "unit_province"),
            (row(family="cassa_integrazione"), "family"),
            (row(end_date="2025-01-31"), "end_date"),
            (row(opened_on="2025-13-01"), "opened_on"),
            (row(workers_involved="-3"), "workers_involved"),
            (row(unit_comune=""), "unit_comune"),
        ],
        ids=[
            "check-digit",
            "tax-code-format",
            "unknown-province",
            "unknown-family",
            "end-before-start",
            "not-a-date",
            "negative-workers",
            "unit-without-comune",
        ],
    )
    def test_a_bad_value_is_reported_and_nothing_is_saved(self, bad_row, column):
        result = import_procedures(csv_text(SAMPLE_ROWS[2], bad_row))
        assert not result.ok and not result.applied
        assert errors_of(result) == [(3, column)]
        assert not CrisisProcedure.objects.exists()
        assert not Company.objects.exists()

    def test_an_opening_date_in_the_future_is_reported(self):
        tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
        result = import_procedures(
            csv_text(row(opened_on=tomorrow, start_date=tomorrow, end_date=""))
        )
        assert errors_of(result) == [(2, "opened_on")]
        assert not CrisisProcedure.objects.exists()

    def test_a_wrong_header_is_reported_on_line_one(self):
        header = HEADER_LINE.replace("unit_comune", "comune")
        result = import_procedures(csv_text(*SAMPLE_ROWS, header=header))
        assert errors_of(result) == [(1, None)]
        assert "external_id,family" in result.errors[0].message
        assert not CrisisProcedure.objects.exists()

    def test_a_row_with_the_wrong_number_of_columns_is_reported(self):
        result = import_procedures(csv_text(SAMPLE_ROWS[2], SAMPLE_ROWS[0] + ",extra"))
        assert errors_of(result) == [(3, None)]
        assert "12" in result.errors[0].message
        assert not CrisisProcedure.objects.exists()

    def test_a_file_that_is_not_utf8_is_reported_at_its_line(self):
        raw = csv_text(*SAMPLE_ROWS).replace("Albino", "Alzano Lombardo è").encode("cp1252")
        result = import_procedures(raw)
        assert errors_of(result) == [(4, None)]
        assert "UTF-8" in result.errors[0].message
        assert not CrisisProcedure.objects.exists()

    def test_rows_of_one_procedure_must_agree_on_procedure_columns(self):
        disagreeing = SAMPLE_ROWS[1].replace("2025-02-01", "2025-02-02")
        result = import_procedures(csv_text(SAMPLE_ROWS[0], disagreeing))
        assert errors_of(result) == [(3, "start_date")]
        assert "line 2" in result.errors[0].message or "riga 2" in result.errors[0].message
        assert not CrisisProcedure.objects.exists()

    def test_a_unit_listed_twice_in_one_procedure_is_reported(self):
        duplicate = SAMPLE_ROWS[1].replace("U-BG-2", "U-BG-1")
        result = import_procedures(csv_text(SAMPLE_ROWS[0], duplicate))
        assert errors_of(result) == [(3, "unit_external_id")]
        assert not ProductionUnit.objects.exists()

    def test_a_file_cannot_move_a_procedure_to_another_company(self):
        import_procedures(csv_text(*SAMPLE_ROWS))
        before = snapshot()
        result = import_procedures(csv_text(row(company_tax_code=TAX_B)))
        assert errors_of(result) == [(2, "company_tax_code")]
        assert TAX_A in result.errors[0].message
        assert snapshot() == before

    def test_a_new_procedure_needs_a_unit(self):
        result = import_procedures(
            csv_text(
                row(unit_external_id="", unit_province="", unit_comune="", workers_involved="")
            )
        )
        assert errors_of(result) == [(2, "unit_province")]

    def test_one_bad_row_among_good_ones_saves_none_of_them(self):
        result = import_procedures(
            csv_text(*SAMPLE_ROWS, row(external_id="X-1", unit_province="XX"))
        )
        assert errors_of(result) == [(5, "unit_province")]
        assert CrisisProcedure.objects.count() == 0
        assert ProductionUnit.objects.count() == 0

    def test_a_bad_file_leaves_existing_data_as_it_was(self):
        import_procedures(csv_text(*SAMPLE_ROWS))
        before = snapshot()
        changed = [
            SAMPLE_ROWS[0].replace(",120", ",130"),
            SAMPLE_ROWS[1],
            row(external_id="X-1", family="x"),
        ]
        result = import_procedures(csv_text(*changed))
        assert not result.ok
        assert snapshot() == before

    def test_every_bad_line_of_a_file_is_reported(self):
        text = csv_text(
            row(company_tax_code="12345678900"),
            SAMPLE_ROWS[2],
            row(external_id="X-2", unit_province="XX"),
            row(external_id="X-3", family="altro"),
            "too,few,columns",
            row(external_id="X-5", end_date="2020-01-01"),
        )
        result = import_procedures(text)
        assert errors_of(result) == [
            (2, "company_tax_code"),
            (4, "unit_province"),
            (5, "family"),
            (6, None),
            (7, "end_date"),
        ]
        assert not CrisisProcedure.objects.exists()

    def test_a_row_with_several_bad_columns_reports_each_of_them(self):
        result = import_procedures(csv_text(row(family="x", unit_province="XX")))
        assert errors_of(result) == [(2, "family"), (2, "unit_province")]


class TestScoping:
    def test_an_officer_imports_in_their_own_province(self, staff_bg):
        result = import_procedures(csv_text(*SAMPLE_ROWS), user=staff_bg)
        assert result.ok and result.applied
        procedure = CrisisProcedure.objects.get(external_id="BG-2025-001")
        assert procedure.history.first().history_user == staff_bg

    def test_an_officer_cannot_import_a_unit_in_another_province(self, staff_bg):
        in_milan = SAMPLE_ROWS[1].replace(",BG,Treviglio", ",MI,Sesto San Giovanni")
        result = import_procedures(
            csv_text(SAMPLE_ROWS[0], in_milan, SAMPLE_ROWS[2]), user=staff_bg
        )
        assert errors_of(result) == [(3, "unit_province")]
        assert "MI" in result.errors[0].message
        assert not CrisisProcedure.objects.exists()

    def test_an_officer_cannot_open_a_procedure_in_another_province(self, staff_mi):
        result = import_procedures(csv_text(SAMPLE_ROWS[2]), user=staff_mi)
        assert (2, "unit_province") in errors_of(result)
        assert not CrisisProcedure.objects.exists()

    def test_only_the_lead_province_changes_procedure_columns(self, staff_bg):
        import_procedures(csv_text(*SAMPLE_ROWS))
        CrisisProcedure.objects.filter(external_id="BG-2025-001").update(lead_province_id="MI")
        before = snapshot()
        text = csv_text(SAMPLE_ROWS[0].replace("2026-01-31", "2026-06-30"))
        result = import_procedures(text, user=staff_bg)
        assert errors_of(result) == [(2, "end_date")]
        assert snapshot() == before

    def test_an_officer_updates_their_unit_of_a_procedure_led_elsewhere(self, staff_bg):
        import_procedures(csv_text(*SAMPLE_ROWS))
        CrisisProcedure.objects.filter(external_id="BG-2025-001").update(lead_province_id="MI")
        result = import_procedures(csv_text(SAMPLE_ROWS[0].replace(",120", ",110")), user=staff_bg)
        assert result.ok and result.applied
        assert ProductionUnit.objects.get(external_id="U-BG-1").workers_involved == 110
