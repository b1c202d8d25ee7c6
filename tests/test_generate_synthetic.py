"""``manage.py generate_synthetic``: synthetic data at scale, deterministic for a seed.

Small sizes here (300 workers); on PostgreSQL the COPY path is compared with the bulk_create
path row for row, history included.
"""

import io
from collections import Counter, defaultdict
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from cases.enums import Family
from cases.models import Company, CrisisProcedure, Meeting, ProductionUnit, Province
from crisi_portal.demo import synthetic
from crisi_portal.demo.profile import PROFILE
from pal.models import PIP, Dote
from workers.enums import Step
from workers.models import TRANSITIONS, Cohort, Involvement, Outcome, StepTransition, Worker
from workers.validators import validate_fiscal_code

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)
WORKERS = 300


def generate(*extra: str, workers: int = WORKERS, seed: int = 3) -> str:
    out = io.StringIO()
    call_command(
        "generate_synthetic",
        f"--workers={workers}",
        f"--seed={seed}",
        f"--as-of={AS_OF.isoformat()}",
        *extra,
        stdout=out,
    )
    return out.getvalue()


@pytest.fixture
def generated():
    return generate()


def test_the_counts_follow_the_profile(generated):
    target = PROFILE.counts(WORKERS)
    assert Worker.objects.count() == WORKERS
    assert CrisisProcedure.objects.count() == target["procedures"]
    assert Company.objects.count() == target["procedures"]
    assert ProductionUnit.objects.count() == target["units"]
    assert Cohort.objects.count() == target["units"]
    assert Involvement.objects.count() == target["involvements"]
    # Some workers are in a second crisis, never twice in one procedure.
    per_worker = Counter(Involvement.objects.values_list("worker_id", flat=True))
    assert max(per_worker.values()) >= 2
    # Each unit holds as many involvements as it declares.
    for unit in ProductionUnit.objects.all():
        assert unit.involvements.count() == unit.workers_involved
    assert f"workers: {WORKERS}" in generated
    assert "rows/s" in generated


def test_at_scale_a_few_procedures_are_giants_of_the_heavy_tail():
    """At 1,000,000 workers, five procedures have 5,000 workers each (a large plant's closure,
    the benchmark's largest page); the others share the rest. Planned only: nothing written."""
    target = PROFILE.counts(1_000_000)
    generator = synthetic.Generator(
        1_000_000, 1, AS_OF, writer=synthetic.BulkWriter(), profile=PROFILE
    )
    plans = generator.plan_procedures()
    sizes = sorted((sum(u.workers for u in plan.units) for plan in plans), reverse=True)
    assert len(plans) == target["procedures"]
    assert sum(sizes) == target["involvements"]
    assert sizes[:6] == [5_000] * 5 + [sizes[5]] and sizes[5] < 5_000
    assert PROFILE.giants(1_000, 1_212) == (1, 24)  # capped at one in fifty on small data


@pytest.mark.parametrize("workers", [1, 7, 100])
def test_exactly_the_workers_asked_for_even_when_few(workers):
    generate(workers=workers)
    assert Worker.objects.count() == workers
    target = PROFILE.counts(workers)
    assert Involvement.objects.count() == target["involvements"]


def test_procedures_workers_and_codes_are_valid(generated):
    provinces = set(Province.objects.values_list("code", flat=True))
    for procedure in CrisisProcedure.objects.all():
        procedure.full_clean(validate_unique=False)
        assert procedure.external_id.startswith(synthetic.SYNTHETIC_PREFIX)
        assert procedure.opened_on <= AS_OF
    assert set(ProductionUnit.objects.values_list("province_id", flat=True)) <= provinces
    assert set(CrisisProcedure.objects.values_list("family", flat=True)) <= set(Family.values)
    codes = list(Worker.objects.values_list("fiscal_code", flat=True))
    assert len(set(codes)) == len(codes)
    for code in codes:
        validate_fiscal_code(code)
    for worker in Worker.objects.all()[:50]:
        worker.full_clean()


def test_every_step_history_follows_the_table_and_the_audit_history_matches(generated):
    rows = defaultdict(list)
    for row in StepTransition.objects.order_by("involvement_id", "id"):
        rows[row.involvement_id].append(row)
    steps = Counter()
    for involvement in Involvement.objects.all():
        history = rows[involvement.pk]
        assert (history[0].from_step, history[0].to_step) == ("", Step.STEP_1)
        for previous, row in zip(history, history[1:], strict=False):
            assert row.from_step == previous.to_step
            assert row.effective_date >= previous.effective_date
        for row in history:
            assert TRANSITIONS[(row.from_step, row.to_step)] == row.kind
            assert row.effective_date <= AS_OF
        assert involvement.current_step == history[-1].to_step
        assert involvement.current_step_since == history[-1].effective_date
        steps[involvement.current_step] += 1
    assert steps[Step.STEP_4] and steps[Step.NO_PAL] and steps[Step.STEP_1]
    # The audit history is the one the services leave: one record per move.
    assert Involvement.history.count() == StepTransition.objects.count()
    assert Involvement.history.filter(history_type="+").count() == Involvement.objects.count()
    others = (Company, CrisisProcedure, ProductionUnit, Cohort, Worker, Outcome, Dote, PIP)
    for model in others:
        assert model.history.count() == model.objects.count(), model
    total = Involvement.history.count() + sum(model.history.count() for model in others)
    total += Meeting.history.count()  # a meeting's history holds the procedures it discussed
    assert f"history: {total:,}" in generated
    assert set(Worker.history.values_list("history_change_reason", flat=True)) == {
        synthetic.CHANGE_REASON
    }


def test_meetings_discuss_the_synthetic_procedures_and_some_lie_ahead(generated):
    meetings = Meeting.objects.prefetch_related("procedures")
    assert meetings.exists()
    for meeting in meetings:
        assert meeting.procedures.all()
        assert all(
            p.external_id.startswith(synthetic.SYNTHETIC_PREFIX) for p in meeting.procedures.all()
        )
    assert Meeting.objects.filter(date__gt=AS_OF).exists()  # the cruscotto's next tables


def test_some_workers_have_outcomes_and_doti(generated):
    assert Outcome.objects.exists()
    assert Dote.objects.exists()
    for dote in Dote.objects.select_related("involvement"):
        assert dote.involvement.current_step == Step.STEP_4
        assert dote.valid_until >= dote.valid_from
        assert dote.pips.count() == 1


def test_same_seed_same_rows_other_seed_other_rows(settings):
    settings.DEBUG = True
    generate()
    first = synthetic.digest()
    generate("--flush")
    assert synthetic.digest() == first
    generate("--flush", seed=4)
    assert synthetic.digest() != first


def test_it_refuses_to_mix_with_existing_data(settings, generated):
    with pytest.raises(CommandError, match="already has procedures or workers"):
        generate()
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        generate("--flush")
    assert Worker.objects.count() == WORKERS


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY needs PostgreSQL")
def test_copy_writes_the_rows_and_history_of_bulk_create(settings):
    settings.DEBUG = True

    def history_rows():
        rows = []
        for model in (Involvement, Worker, Dote, PIP, CrisisProcedure, Outcome):
            historical = model.history.model
            fields = [
                f.attname
                for f in historical._meta.concrete_fields
                if f.attname not in ("history_id", "history_date", "created_at", "updated_at")
            ]
            rows.append(sorted(map(repr, historical.objects.values_list(*fields))))
        return rows

    generate("--no-copy")
    digest, history = synthetic.digest(), history_rows()
    output = generate("--flush")
    assert "COPY" in output
    assert synthetic.digest() == digest
    assert history_rows() == history
    # The sequences follow the copied keys: the next row gets a fresh one.
    top = Worker.objects.order_by("-pk").first()
    clone = Worker.objects.create(
        fiscal_code="RSSMRA80A01F205X",
        last_name="Rossi",
        first_name="Mario",
        birth_date=date(1980, 1, 1),
        sex="M",
    )
    assert clone.pk > top.pk
