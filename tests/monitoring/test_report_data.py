"""The content of the three reports (DOMAIN §5), computed from data built here."""

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from cases.enums import Family, Status
from monitoring.periods import Period
from monitoring.reports import ScopeError, annual, bimonthly, percentage, quarterly
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.pal.factories import measure
from tests.workers.factories import InvolvementFactory, exemption_reason
from workers.enums import Step
from workers.services import involvement_move

pytestmark = pytest.mark.django_db

CSV_NAME = "annual_2024_lombardia.csv"
CSV_COPY = Path(__file__).resolve().parent.parent / "data" / CSV_NAME
CSV_SHARED = Path(django_settings.BASE_DIR).parent / "shared" / "reference" / CSV_NAME
COLUMNS = {
    Family.CIGS_MINISTERIALE: "cigs_min",
    Family.CIGS_REGIONALE: "cigs_reg",
    Family.LICENZIAMENTO_COLLETTIVO: "lic",
}
ORDER = ["BG", "BS", "CO", "CR", "LC", "LO", "MN", "MI", "MB", "PV", "SO", "VA"]


def published_2024() -> list[dict[str, str]]:
    path = CSV_COPY if CSV_COPY.exists() else CSV_SHARED
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --- Percentages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (9, 87, 10.3),
        (41, 87, 47.1),
        (1, 87, 1.1),
        (2, 3, 66.7),
        (1, 3, 33.3),
        (1, 16, 6.3),  # 6.25: half up, not to even
        (1, 40, 2.5),
        (0, 87, 0.0),
        (0, 0, 0.0),  # a family with no units in the year
        (87, 87, 100.0),
    ],
)
def test_percentages_have_one_decimal_rounded_half_up(part, whole, expected):
    assert percentage(part, whole) == expected


# --- Annual table --------------------------------------------------------------------------------


def test_the_annual_2024_table_reproduces_the_published_one_cell_for_cell(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())

    data = annual(Period.parse("annual", "2024"))

    published = published_2024()
    assert [row["province"] for row in data["rows"]] == [row["province"] for row in published[:-1]]
    for ours, theirs in zip(data["rows"], published[:-1], strict=True):
        for family, prefix in COLUMNS.items():
            cell = ours[family]
            assert cell["units"] == int(theirs[f"{prefix}_units"]), (ours["province"], family)
            assert cell["units_pct"] == float(theirs[f"{prefix}_units_pct"]), ours["province"]
            assert cell["workers"] == int(theirs[f"{prefix}_workers"]), ours["province"]
            assert cell["workers_pct"] == float(theirs[f"{prefix}_workers_pct"]), ours["province"]
        assert ours["total_workers"] == int(theirs["total_workers"])
    tot = published[-1]
    assert tot["province"] == "TOT"
    for family, prefix in COLUMNS.items():
        assert data["total"][family] == {
            "units": int(tot[f"{prefix}_units"]),
            "workers": int(tot[f"{prefix}_workers"]),
        }
    assert data["total"]["total_workers"] == int(tot["total_workers"]) == 9557


def test_the_annual_json_has_the_shape_of_the_contract():
    ProductionUnitFactory(procedure=CrisisProcedureFactory(opened_on=date(2025, 5, 5)))
    data = annual(Period.parse("annual", "2025"))
    assert data["kind"] == "annual"
    assert data["period"] == "2025"
    assert [row["province"] for row in data["rows"]] == ORDER  # all twelve, always
    first = data["rows"][0]
    assert set(first) == {"province", *Family.values, "total_workers"}
    assert set(first[Family.CIGS_MINISTERIALE]) == {"units", "units_pct", "workers", "workers_pct"}
    assert set(data["total"]) == {*Family.values, "total_workers"}


def test_a_procedure_opened_on_31_december_counts_in_that_year_and_1_january_in_the_next():
    ProductionUnitFactory(
        procedure=CrisisProcedureFactory(opened_on=date(2024, 12, 31), start_date=date(2025, 1, 1)),
        workers_involved=7,
    )
    ProductionUnitFactory(
        procedure=CrisisProcedureFactory(opened_on=date(2025, 1, 1), start_date=date(2025, 1, 1)),
        workers_involved=11,
    )
    y2024 = annual(Period.parse("annual", "2024"))
    y2025 = annual(Period.parse("annual", "2025"))
    assert y2024["total"][Family.CIGS_MINISTERIALE] == {"units": 1, "workers": 7}
    assert y2025["total"][Family.CIGS_MINISTERIALE] == {"units": 1, "workers": 11}


def test_units_and_workers_count_in_the_province_of_the_unit_not_the_lead():
    procedure = CrisisProcedureFactory(lead="BG", family=Family.LICENZIAMENTO_COLLETTIVO)
    ProductionUnitFactory(procedure=procedure, workers_involved=30)
    ProductionUnitFactory(procedure=procedure, in_province="MI", workers_involved=10)

    rows = {row["province"]: row for row in annual(Period.parse("annual", "2025"))["rows"]}

    family = Family.LICENZIAMENTO_COLLETTIVO
    assert rows["BG"][family] == {"units": 1, "units_pct": 50.0, "workers": 30, "workers_pct": 75.0}
    assert rows["MI"][family] == {"units": 1, "units_pct": 50.0, "workers": 10, "workers_pct": 25.0}
    assert rows["BG"]["total_workers"] == 30
    assert rows["CO"][family] == {"units": 0, "units_pct": 0.0, "workers": 0, "workers_pct": 0.0}


def test_the_annual_table_has_no_single_province_version():
    with pytest.raises(ScopeError):
        annual(Period.parse("annual", "2025"), "BG")


# --- Bimonthly -----------------------------------------------------------------------------------


def cigs(lead="BG", **fields):
    fields.setdefault("opened_on", date(2025, 1, 10))
    fields.setdefault("start_date", date(2025, 1, 15))
    return CrisisProcedureFactory(lead=lead, **fields)


def listed(data) -> set[str]:
    return {entry["external_id"] for entry in data["procedures"]}


def test_bimester_edges_decide_which_procedures_are_in_progress():
    b2 = Period.parse("bimonthly", "2025-B2")  # March–April 2025
    ends_on_last_day = cigs(end_date=date(2025, 4, 30))
    ends_day_before = cigs(end_date=date(2025, 4, 29))
    starts_next_day = cigs(start_date=date(2025, 5, 1), end_date=date(2025, 12, 31))
    opened_after = cigs(
        opened_on=date(2025, 5, 1), start_date=date(2025, 4, 1), end_date=date(2025, 12, 31)
    )
    open_ended = cigs(end_date=None)
    closed_without_end = cigs(end_date=None, status=Status.CHIUSA)
    regional = cigs(family=Family.CIGS_REGIONALE, end_date=date(2025, 6, 30))
    dismissal = cigs(family=Family.LICENZIAMENTO_COLLETTIVO, end_date=date(2025, 6, 30))
    for procedure in (
        ends_on_last_day,
        ends_day_before,
        starts_next_day,
        opened_after,
        open_ended,
        closed_without_end,
        regional,
        dismissal,
    ):
        ProductionUnitFactory(procedure=procedure)

    data = bimonthly(b2, "BG")

    assert data["as_of"] == "2025-04-30"
    assert listed(data) == {
        ends_on_last_day.external_id,
        open_ended.external_id,
        regional.external_id,
    }


def test_a_province_document_lists_only_its_units_and_their_workers():
    procedure = cigs(end_date=date(2025, 12, 31), lead="BG")
    ProductionUnitFactory(procedure=procedure, comune="Dalmine", workers_involved=25)
    ProductionUnitFactory(procedure=procedure, comune="Bergamo", workers_involved=5)
    ProductionUnitFactory(
        procedure=procedure, in_province="MI", comune="Milano", workers_involved=9
    )
    period = Period.parse("bimonthly", "2025-B3")

    bg = bimonthly(period, "BG")
    mi = bimonthly(period, "MI")
    co = bimonthly(period, "CO")

    (entry,) = bg["procedures"]
    assert entry["workers"] == 30
    assert sorted(unit["comune"] for unit in entry["units"]) == ["Bergamo", "Dalmine"]
    assert entry["company"] == procedure.company.name
    assert [unit["comune"] for unit in mi["procedures"][0]["units"]] == ["Milano"]
    assert mi["procedures"][0]["workers"] == 9
    assert co["procedures"] == []
    # The regional summary: one procedure across two provinces counts once in the total.
    summary = {row["province"]: row for row in bg["summary"]}
    assert summary["BG"]["procedures"] == 1 and summary["BG"]["workers"] == 30
    assert summary["MI"]["procedures"] == 1 and summary["MI"]["units"] == 1
    assert bg["total"]["procedures"] == 1
    assert bg["total"]["units"] == 3
    assert bg["total"]["workers"] == 39


def test_the_regional_bimonthly_document_is_the_summary_of_all_twelve():
    ProductionUnitFactory(procedure=cigs(end_date=date(2025, 12, 31)), workers_involved=12)
    data = bimonthly(Period.parse("bimonthly", "2025-B3"))
    assert "procedures" not in data
    assert [row["province"] for row in data["summary"]] == ORDER
    assert data["total"][Family.CIGS_MINISTERIALE] == {"procedures": 1, "units": 1, "workers": 12}
    assert data["total"][Family.CIGS_REGIONALE] == {"procedures": 0, "units": 0, "workers": 0}


# --- Quarterly -----------------------------------------------------------------------------------


def walk(involvement, moves):
    for to, day, extra in moves:
        involvement_move(user=None, involvement=involvement, to=to, effective_date=day, **extra)


def test_quarterly_counts_steps_as_they_stood_at_the_end_of_each_quarter():
    dul = measure("dote-unica-lavoro")
    unit = ProductionUnitFactory(procedure=cigs(end_date=date(2026, 6, 30)))
    a = InvolvementFactory(unit=unit, taken_on=date(2025, 7, 10))
    b = InvolvementFactory(unit=unit, taken_on=date(2025, 8, 1))
    c = InvolvementFactory(unit=unit, taken_on=date(2025, 9, 30))  # last day of Q3
    d = InvolvementFactory(unit=unit, taken_on=date(2025, 10, 1))  # first day of Q4
    walk(
        a,
        [
            (Step.STEP_2, date(2025, 8, 1), {}),
            (Step.STEP_3, date(2025, 9, 1), {}),
            (Step.STEP_4, date(2025, 9, 15), {"measure": dul}),
        ],
    )
    walk(
        b,
        [
            (Step.STEP_2, date(2025, 9, 1), {}),
            (Step.STEP_3, date(2025, 10, 2), {}),
            (Step.STEP_4, date(2025, 10, 3), {"measure": dul}),
        ],
    )
    walk(
        c,
        [(Step.NO_PAL, date(2025, 11, 1), {"exemption_reason": exemption_reason()})],
    )
    # Workers of other families are not in the PAL monitoring.
    other = ProductionUnitFactory(
        procedure=cigs(family=Family.CIGS_REGIONALE, end_date=date(2026, 6, 30))
    )
    InvolvementFactory(unit=other, taken_on=date(2025, 7, 1))

    q3 = quarterly(Period.parse("quarterly", "2025-Q3"))
    q4 = quarterly(Period.parse("quarterly", "2025-Q4"))

    bg3 = q3["rows"][0]
    assert bg3["province"] == "BG"
    assert bg3["steps"] == {"STEP_1": 1, "STEP_2": 1, "STEP_3": 0, "STEP_4": 1, "NO_PAL": 0}
    assert bg3["workers"] == 3
    assert bg3["activation_rate"] == 33.3
    assert bg3["activated_in_quarter"] == 1
    bg4 = q4["rows"][0]
    assert bg4["steps"] == {"STEP_1": 1, "STEP_2": 0, "STEP_3": 0, "STEP_4": 2, "NO_PAL": 1}
    assert bg4["workers"] == 4
    assert bg4["activation_rate"] == 50.0
    assert bg4["previous"]["steps"] == bg3["steps"]
    assert bg4["change"] == {
        "STEP_1": 0,
        "STEP_2": -1,
        "STEP_3": 0,
        "STEP_4": 1,
        "NO_PAL": 1,
        "workers": 1,
        "activation_rate": 16.7,
    }
    assert q4["measures"] == [
        {
            "code": "dote-unica-lavoro",
            "name": "Dote Unica Lavoro",
            "by_province": {"BG": 1},
            "total": 1,
        }
    ]
    assert q4["total"]["workers"] == 4
    assert d.current_step == Step.STEP_1


def test_a_province_quarterly_document_has_only_that_province():
    unit_mi = ProductionUnitFactory(procedure=cigs(lead="MI", end_date=date(2026, 6, 30)))
    InvolvementFactory(unit=unit_mi, taken_on=date(2025, 7, 10))
    unit_bg = ProductionUnitFactory(procedure=cigs(lead="BG", end_date=date(2026, 6, 30)))
    InvolvementFactory(unit=unit_bg, taken_on=date(2025, 7, 10))

    data = quarterly(Period.parse("quarterly", "2025-Q3"), "MI")

    assert [row["province"] for row in data["rows"]] == ["MI"]
    assert data["total"]["workers"] == 1
    regional = quarterly(Period.parse("quarterly", "2025-Q3"))
    assert [row["province"] for row in regional["rows"]] == ORDER
    assert regional["total"]["workers"] == 2
