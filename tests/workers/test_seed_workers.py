"""``manage.py seed_demo`` puts workers in the step model, as the services would (§3)."""

import io
import random
from collections import Counter, defaultdict
from datetime import date

import pytest
from codicefiscale import codicefiscale
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from cases.enums import Family
from cases.models import ProductionUnit
from crisi_portal.demo import common, identity, reference
from crisi_portal.demo import procedures as cases_demo
from crisi_portal.demo import workers as workers_demo
from monitoring.reemployment import reemployment
from workers.enums import ContractKind, IncomeSupport, OutcomeKind, OutcomeSource, Sex, Step
from workers.models import (
    TRANSITIONS,
    Cohort,
    Involvement,
    MoveKind,
    Outcome,
    StepTransition,
    Worker,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def histories() -> dict[int, list[StepTransition]]:
    by_involvement = defaultdict(list)
    for row in StepTransition.objects.select_related("exemption_reason", "measure").order_by(
        "involvement_id", "effective_date", "id"
    ):
        by_involvement[row.involvement_id].append(row)
    return by_involvement


def test_every_history_follows_the_step_table_and_ends_at_the_current_step(seeded):
    today = timezone.localdate()
    involvements = Involvement.objects.select_related("procedure", "unit")
    assert involvements.count() > 2000
    by_involvement = histories()
    officers = {"BG": "nucleo.bg", "MI": "nucleo.mi"}
    for involvement in involvements:
        rows = by_involvement[involvement.pk]
        assert rows, involvement.pk
        first = rows[0]
        assert (first.from_step, first.to_step, first.kind) == ("", Step.STEP_1, MoveKind.START)
        assert first.effective_date >= involvement.procedure.opened_on
        previous = ""
        for before, row in zip([None, *rows], rows, strict=False):
            assert row.from_step == previous, involvement.pk
            assert TRANSITIONS.get((row.from_step, row.to_step)) == row.kind, row
            if before is not None:
                assert row.effective_date >= before.effective_date, involvement.pk
            assert row.effective_date <= today
            if row.to_step == Step.NO_PAL:
                assert row.exemption_reason is not None and row.reason
            else:
                assert row.exemption_reason is None
            if row.to_step == Step.STEP_4:
                assert row.measure is not None, row
            else:
                assert row.measure is None
            if row.kind == MoveKind.CORRECTION:
                assert row.reason
            expected = officers.get(involvement.unit.province_id)
            assert (row.recorded_by.username if row.recorded_by else None) == expected
            previous = row.to_step
        last = rows[-1]
        assert involvement.current_step == last.to_step, involvement.pk
        assert involvement.current_step_since == last.effective_date, involvement.pk
        assert involvement.cohort.unit_id == involvement.unit_id
        assert involvement.unit.procedure_id == involvement.procedure_id
    # The audit history has one record per move, like involvement_create + involvement_move.
    assert Involvement.history.count() == StepTransition.objects.count()
    assert Involvement.history.filter(history_type="+").count() == involvements.count()
    assert Worker.history.count() == Worker.objects.count()
    assert Cohort.history.count() == Cohort.objects.count()
    assert Outcome.history.count() == Outcome.objects.count()


def test_about_half_reach_step_4_as_in_the_regions_2025_figures(seeded):
    counts = Involvement.objects.step_counts()
    total = sum(counts.values())
    assert 0.45 <= counts[Step.STEP_4] / total <= 0.57
    assert 0.08 <= counts[Step.NO_PAL] / total <= 0.16
    assert all(counts[step] > 0.05 * total for step in (Step.STEP_1, Step.STEP_2, Step.STEP_3))
    # Recent procedures are less advanced than those of 2024.
    shares = {}
    for years in ((2024,), (2026,)):
        step_counts = Involvement.objects.filter(procedure__opened_on__year__in=years).step_counts()
        shares[years] = step_counts[Step.STEP_4] / (sum(step_counts.values()) or 1)
    if Involvement.objects.filter(procedure__opened_on__year=2026).count() > 100:
        assert shares[(2026,)] < shares[(2024,)]
    corrections = StepTransition.objects.filter(kind=MoveKind.CORRECTION)
    assert 0.01 * total <= corrections.count() <= 0.08 * total
    assert corrections.filter(from_step=Step.NO_PAL).exists()
    measures = Counter(
        StepTransition.objects.filter(to_step=Step.STEP_4).values_list("measure__code", flat=True)
    )
    assert {"gol-percorso-3", "dote-unica-lavoro", "azioni-di-rete", "formazione-continua"} <= {
        code for code, _n in measures.most_common(5)
    }
    assert "Workers per step" in seeded and "STEP 4" in seeded


def test_workers_sit_on_current_and_2024_ministerial_cigs_units_within_their_numbers(seeded):
    assert Involvement.objects.count() <= workers_demo.MAX_INVOLVEMENTS
    units = ProductionUnit.objects.annotate(n=Count("involvements")).filter(n__gt=0)
    for unit in units.select_related("procedure"):
        assert unit.n <= unit.workers_involved
        year, family = unit.procedure.opened_on.year, unit.procedure.family
        assert year >= 2025 or (year == 2024 and family == Family.CIGS_MINISTERIALE)
    assert not workers_demo.demo_units().exclude(involvements__isnull=False).exists()
    assert Cohort.objects.count() == units.count()
    for involvement in Involvement.objects.select_related("procedure"):
        if involvement.procedure.family == Family.LICENZIAMENTO_COLLETTIVO:
            assert involvement.income_support in (IncomeSupport.NASPI, IncomeSupport.MOBILITA)
            assert involvement.hours_reduction_pct == 100
        else:
            assert involvement.income_support == IncomeSupport.CIGS
            assert involvement.hours_reduction_pct in (30, 50, 70, 100)
        involvement.full_clean()


def test_outcomes_are_dated_after_the_taking_in_charge_with_measurable_rates(seeded):
    """Issue #15 (crisi_portal.demo.outcomes): outcomes on every year's procedures, between
    STEP 1 and today, valid; re-employment at 12 months near the 2011 report's 27 % overall and
    lower for the dismissed (15 % for mobility workers there)."""
    today = timezone.localdate()
    outcomes = Outcome.objects.select_related("involvement__procedure")
    assert outcomes.count() > 300
    first = {i: rows[0] for i, rows in histories().items()}
    kinds, contracts, sources = Counter(), Counter(), Counter()
    for outcome in outcomes:
        involvement = outcome.involvement
        assert first[involvement.pk].effective_date <= outcome.date <= today
        if outcome.kind == OutcomeKind.RICOLLOCATO:
            assert outcome.contract_kind and outcome.employer
        kinds[outcome.kind] += 1
        contracts[outcome.contract_kind] += 1
        sources[outcome.source] += 1
        outcome.full_clean()
    assert kinds.most_common(1)[0][0] == OutcomeKind.RICOLLOCATO
    assert set(contracts) == {*ContractKind.values, ""}
    assert set(sources) == set(OutcomeSource.values)
    assert Outcome.objects.filter(contract_end__isnull=False).exists()
    assert {o.involvement.procedure.opened_on.year for o in outcomes} >= {2024, 2025}
    dismissed = Q(income_support__in=[IncomeSupport.NASPI, IncomeSupport.MOBILITA])
    everyone = reemployment(Involvement.objects.all(), as_of=today, months=12)
    mobility = reemployment(Involvement.objects.filter(dismissed), as_of=today, months=12)
    assert 22 <= everyone["rate"] <= 32
    assert mobility["rate"] < everyone["rate"]
    assert reemployment(Involvement.objects.all(), as_of=today, months=6)["rate"] < 20


def test_workers_have_valid_unique_fiscal_codes_and_plausible_data(seeded):
    workers = list(Worker.objects.all())
    codes = [worker.fiscal_code for worker in workers]
    assert len(codes) == len(set(codes))
    for worker in workers:
        assert codicefiscale.is_valid(worker.fiscal_code), worker.fiscal_code
        decoded = codicefiscale.decode(worker.fiscal_code)
        assert decoded["birthdate"].date() == worker.birth_date
        assert decoded["gender"] == worker.sex
        assert date(1960, 1, 1) <= worker.birth_date <= date(2001, 1, 31)
    citizenships = Counter(worker.citizenship for worker in workers)
    assert citizenships["italiana"] > 0.8 * len(workers)
    assert Counter(worker.sex for worker in workers)[Sex.F] > 0.2 * len(workers)
    for worker in random.Random(1).sample(workers, 50):
        worker.full_clean()


def test_workers_come_once_and_leave_the_2024_units_alone(settings):
    settings.DEBUG = True
    # A database seeded before the workers existed: running again adds them, once.
    cases_demo.seed()
    units = list(ProductionUnit.objects.order_by("pk").values_list("pk", "workers_involved"))
    assert not Involvement.objects.exists()
    call_command("seed_demo", stdout=io.StringIO())
    first = {
        "workers": Worker.objects.count(),
        "involvements": Involvement.objects.count(),
        "transitions": StepTransition.objects.count(),
        "cohorts": Cohort.objects.count(),
        "outcomes": Outcome.objects.count(),
        "history": Involvement.history.count(),
    }
    assert first["involvements"] > 2000
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "Demo workers already present" in out.getvalue()
    assert Worker.objects.count() == first["workers"]
    assert Involvement.objects.count() == first["involvements"]
    assert StepTransition.objects.count() == first["transitions"]
    assert Cohort.objects.count() == first["cohorts"]
    assert Outcome.objects.count() == first["outcomes"]
    assert Involvement.history.count() == first["history"]
    assert list(ProductionUnit.objects.order_by("pk").values_list("pk", "workers_involved")) == (
        units
    )


@pytest.mark.parametrize("seed", range(3))
def test_the_fast_fiscal_code_is_what_codicefiscale_encode_gives(seed):
    rng = random.Random(seed)
    places = ["Bergamo", "Sesto San Giovanni", "Cantù", "Napoli", "Romania", "Marocco", "Perù"]
    for _ in range(40):
        sex = rng.choice([Sex.M, Sex.F])
        last = rng.choice(reference.LOMBARD_SURNAMES + reference.SOUTHERN_SURNAMES)
        first = rng.choice(reference.FIRST_NAMES[sex])
        birth = common.random_day(rng, date(1960, 1, 1), date(2000, 12, 31))
        place = rng.choice(places)
        expected = codicefiscale.encode(
            lastname=last,
            firstname=first,
            gender=sex,
            birthdate=birth.strftime("%d/%m/%Y"),
            birthplace=place,
        )
        assert identity.fiscal_code(last, first, sex, birth, place) == expected


def test_cap_per_unit_keeps_the_total_under_the_limit():
    assert common.cap_per_unit([5, 10, 100], 200) == 100
    assert common.cap_per_unit([5, 10, 100], 60) == 45
    assert common.cap_per_unit([], 60) == 0
