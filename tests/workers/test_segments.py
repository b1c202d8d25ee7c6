"""The segmentation dimensions (issue #15, part 1): ``annotate_segments`` on hand-built data."""

import datetime

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from cases.models import Cpi, Province
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.workers.factories import InvolvementFactory, WorkerFactory
from workers.enums import CitizenshipGroup, EducationLevel, Sex
from workers.models import Country, Involvement
from workers.segments import AGE_BANDS, SEGMENTS, annotate_segments

pytestmark = pytest.mark.django_db

D = datetime.date
TAKEN = D(2025, 4, 2)


def country(code: str, name: str, group: str) -> Country:
    return Country.objects.get_or_create(istat_code=code, defaults={"name": name, "group": group})[
        0
    ]


def cpi(code: str, province: str = "BG") -> Cpi:
    return Cpi.objects.get_or_create(
        code=code,
        defaults={
            "name": f"CPI {code}",
            "province": Province.objects.get(code=province),
            "comune": "X",
        },
    )[0]


def segments_of(involvement: Involvement) -> dict:
    row = annotate_segments(Involvement.objects.filter(pk=involvement.pk)).get()
    return {
        name: getattr(row, f"seg_{name}")
        for name in ("sex", "age", "age_band", "citizenship", "education", "cpi")
    }


def born(birth: datetime.date, **worker) -> Involvement:
    return InvolvementFactory(worker=WorkerFactory(birth_date=birth, **worker), taken_on=TAKEN)


@pytest.mark.parametrize(
    ("birth", "age", "band"),
    [
        (D(1995, 4, 3), 29, "under_30"),  # turns 30 the day after
        (D(1995, 4, 2), 30, "30_49"),  # 30th birthday on the day taken in charge
        (D(1975, 4, 3), 49, "30_49"),
        (D(1975, 4, 2), 50, "50_plus"),
        (D(1975, 4, 1), 50, "50_plus"),
        (D(2004, 2, 29), 21, "under_30"),
    ],
)
def test_age_is_completed_years_on_the_day_taken_in_charge(birth, age, band):
    segments = segments_of(born(birth))

    assert (segments["age"], segments["age_band"]) == (age, band)


def test_a_leap_day_birth_is_a_year_older_on_1_march_of_a_common_year():
    worker = WorkerFactory(birth_date=D(2004, 2, 29))
    unit = ProductionUnitFactory()
    before = InvolvementFactory(worker=worker, unit=unit, taken_on=D(2025, 2, 28))
    after = InvolvementFactory(worker=worker, unit=ProductionUnitFactory(), taken_on=D(2025, 3, 1))

    assert segments_of(before)["age"] == 20
    assert segments_of(after)["age"] == 21


def test_the_age_counts_from_the_first_step_1_move_not_a_later_correction():
    involvement = born(D(1995, 4, 10))  # 29 on TAKEN; 30 a week later
    involvement.transitions.create(
        from_step="STEP_2",
        to_step="STEP_1",
        kind="correction",
        reason="x",
        effective_date=D(2025, 5, 1),
    )

    assert segments_of(involvement)["age"] == 29


def test_citizenship_group_comes_from_the_country_and_is_unknown_without_one():
    romania = country("235", "Romania", CitizenshipGroup.EU)
    morocco = country("436", "Marocco", CitizenshipGroup.NON_EU)
    italy = country("100", "Italia", CitizenshipGroup.ITALIAN)
    rows = [born(D(1980, 1, 1), citizenship_country=c) for c in (romania, morocco, italy, None)]

    assert [segments_of(r)["citizenship"] for r in rows] == ["eu", "non_eu", "italian", "unknown"]


def test_sex_and_education_with_unknown_for_an_empty_level():
    graduate = born(D(1980, 1, 1), sex=Sex.M, education_level=EducationLevel.DOCTORATE)
    unknown = born(D(1980, 1, 1), education_level="")

    assert segments_of(graduate)["sex"] == "M"
    assert segments_of(graduate)["education"] == "dottorato"
    assert segments_of(unknown)["education"] == "unknown"


def test_the_involvements_cpi_overrides_the_units_and_none_is_null():
    procedure = CrisisProcedureFactory(lead="BG")
    unit = ProductionUnitFactory(procedure=procedure, comune="Paese sconosciuto")
    unit.cpi, unit.cpi_chosen = cpi("T-UNIT"), True
    unit.save()
    bare = ProductionUnitFactory(procedure=procedure, comune="Paese sconosciuto")
    on_unit = InvolvementFactory(unit=unit)
    overridden = InvolvementFactory(unit=unit)
    overridden.cpi = cpi("T-OWN")
    overridden.save()
    neither = InvolvementFactory(unit=bare)

    assert segments_of(on_unit)["cpi"] == cpi("T-UNIT").pk
    assert segments_of(overridden)["cpi"] == cpi("T-OWN").pk
    assert segments_of(neither)["cpi"] is None


def test_one_statement_whatever_the_rows_and_segments_iterate_generically():
    for birth in (D(1960, 1, 1), D(1990, 1, 1), D(2000, 1, 1)):
        born(birth)

    with CaptureQueriesContext(connection) as queries:
        rows = list(annotate_segments(Involvement.objects.all()).values("seg_age_band"))
    assert len(queries) == 1
    assert sorted(r["seg_age_band"] for r in rows) == ["30_49", "50_plus", "under_30"]

    assert set(SEGMENTS) == {"sex", "age_band", "citizenship", "education", "cpi"}
    assert SEGMENTS["age_band"].labels_for([]) == dict(AGE_BANDS)
    assert SEGMENTS["cpi"].labels_for([cpi("T-L").pk, None]) == {cpi("T-L").pk: "CPI T-L"}
    assert SEGMENTS["education"].labels_for([])["unknown"]


def test_every_dimension_groups_and_counts_in_the_database():
    born(D(1960, 1, 1), sex=Sex.M)
    born(D(1990, 1, 1), citizenship_country=country("235", "Romania", CitizenshipGroup.EU))
    born(D(2000, 1, 1), education_level=EducationLevel.UPPER_SECONDARY)

    for segment in SEGMENTS.values():
        rows = (
            annotate_segments(Involvement.objects.all())
            .order_by()
            .values(segment.annotation)
            .annotate(n=Count("id"))
        )
        counts = {row[segment.annotation]: row["n"] for row in rows}
        assert sum(counts.values()) == 3
        labels = segment.labels_for(counts)
        assert all(value is None or value in labels for value in counts), segment
