"""``manage.py retention`` (issue #9, "Must work" 7): purge what is past its period,
pseudonymise workers long gone, change no report figure, change nothing on --dry-run.

Runs on SQLite and on PostgreSQL, where the purge of access records goes through the
append-only trigger's one open door.
"""

import datetime
import io
import json
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from cases.enums import Status
from cases.models import CrisisProcedure
from monitoring.periods import Period
from monitoring.reports import annual, bimonthly, quarterly
from tests.monitoring import builders
from tests.workers.factories import InvolvementFactory
from workers.enums import OutcomeKind, Step
from workers.models import Involvement, PersonalDataAccess, Worker
from workers.retention import PSEUDONYM_NAME, pseudonym

NOW = timezone.now()
LONG_AGO = NOW - datetime.timedelta(days=3 * 365)


def _insert_access(user, worker, accessed_at) -> None:
    """Old records as they would be (the model stamps ``accessed_at`` itself on insert)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO workers_personaldataaccess (user_id, worker_id, accessed_at, purpose,"
            " path) VALUES (%s, %s, %s, %s, %s)",
            [user.pk, worker.pk, connection.ops.adapt_datetimefield_value(accessed_at), "t", ""],
        )


def figures() -> dict:
    return {
        "annual": annual(Period.parse("annual", "2025")),
        "quarterly": quarterly(Period.parse("quarterly", "2025-Q2")),
        "quarterly-bg": quarterly(Period.parse("quarterly", "2025-Q2"), "BG"),
        "bimonthly": bimonthly(Period.parse("bimonthly", "2025-B2")),
        "bimonthly-bg": bimonthly(Period.parse("bimonthly", "2025-B2"), "BG"),
    }


@pytest.fixture
def periods(settings):
    settings.RETENTION_ACCESS_LOG_DAYS = 2 * 365
    settings.RETENTION_HISTORY_DAYS = 2 * 365
    settings.RETENTION_WORKER_YEARS = 1


@pytest.fixture
def world(db, periods, admin_user):
    """Three procedures opened in 2025: closed long ago, closed yesterday, still open."""
    closed = builders.procedure(lead="BG")
    recently_closed = builders.procedure(lead="MI")
    still_open = builders.procedure(lead="BG")
    closed_site = builders.unit(closed, workers=30)
    gone = [
        builders.worker(closed_site, step=step)
        for step in (Step.STEP_1, Step.STEP_2, Step.STEP_4, Step.STEP_4, Step.NO_PAL)
    ]
    builders.outcome(gone[2], OutcomeKind.RICOLLOCATO)
    for person in gone:
        Worker.objects.filter(pk=person.worker_id).update(
            email="x@example.org", phone="+39 035 000000"
        )
    recent = [builders.worker(builders.unit(recently_closed, "MI")) for _ in range(2)]
    open_site = builders.unit(still_open, workers=12)
    current = [builders.worker(open_site, step=Step.STEP_3) for _ in range(2)]
    # One of the workers of the closed procedure is also in the open one: not yet gone.
    InvolvementFactory(worker=gone[0].worker, unit=open_site)
    CrisisProcedure.objects.filter(pk=closed.pk).update(
        status=Status.CHIUSA,
        end_date=datetime.date(2025, 6, 30),
        updated_at=NOW - datetime.timedelta(days=500),
    )
    CrisisProcedure.objects.filter(pk=recently_closed.pk).update(
        status=Status.CHIUSA, end_date=datetime.date(2025, 6, 30)
    )
    # Access records and audit history: some past their period, some not.
    for person in [*gone, *recent]:
        _insert_access(admin_user, person.worker, LONG_AGO)
    for person in current:
        _insert_access(admin_user, person.worker, NOW - datetime.timedelta(days=30))
    old_history = Involvement.history.filter(id__in=[i.pk for i in recent])
    old_history.update(history_date=LONG_AGO)
    Worker.history.filter(id=current[0].worker_id).update(history_date=LONG_AGO)
    return {"gone": gone, "recent": recent, "current": current}


def snapshot() -> dict:
    return {
        "workers": list(Worker.objects.order_by("pk").values()),
        "worker_history": list(Worker.history.order_by("pk").values()),
        "involvement_history": Involvement.history.count(),
        "access": list(PersonalDataAccess.objects.order_by("pk").values()),
    }


def run(*args) -> str:
    out = io.StringIO()
    call_command("retention", *args, stdout=out)
    return out.getvalue()


def counts(output: str) -> list[int]:
    return [int(n) for n in re.findall(r": (\d+) (?:would be|were)", output)]


def test_a_dry_run_prints_the_counts_and_changes_nothing(world):
    before = snapshot()
    output = run("--dry-run")
    # 7 old access records; the history rows made old (one worker's, two involvements');
    # 4 workers whose every procedure closed before the cut-off.
    expected_history = Worker.history.filter(id=world["current"][0].worker_id).count()
    expected_history += Involvement.history.filter(id__in=[i.pk for i in world["recent"]]).count()
    assert "Dry run: nothing was changed." in output
    assert counts(output) == [7, expected_history, 4]
    assert snapshot() == before


def test_retention_purges_and_pseudonymises_and_report_figures_stay_the_same(world):
    gone = [i.worker for i in world["gone"][1:]]  # gone[0] is also in the open procedure
    kept = [world["gone"][0].worker] + [i.worker for i in world["recent"] + world["current"]]
    originals = {w.pk: w.fiscal_code for w in gone}
    before = figures()
    assert before["annual"]["total"]["total_workers"] > 0  # the figures are not all zeros
    # Report data are aggregates: no report carries people (so none needs an access record).
    as_text = json.dumps(before, default=str)
    assert not [w for w in gone + kept if w.fiscal_code in as_text or w.last_name in as_text]

    output = run()

    assert counts(output)[0] == 7 and counts(output)[2] == 4
    assert PersonalDataAccess.objects.count() == 2  # the recent ones
    assert not Worker.history.filter(id=world["current"][0].worker_id).exists()
    for worker in gone:
        worker.refresh_from_db()
        assert worker.fiscal_code == pseudonym(originals[worker.pk])  # stable
        assert re.fullmatch(r"00[A-Z0-9]{14}", worker.fiscal_code)
        assert (worker.last_name, worker.first_name) == (PSEUDONYM_NAME, PSEUDONYM_NAME)
        assert (worker.birth_date.month, worker.birth_date.day) == (1, 1)
        assert worker.email == worker.phone == ""
        history = Worker.history.filter(id=worker.pk)
        assert history.exists()
        assert set(history.values_list("fiscal_code", flat=True)) == {worker.fiscal_code}
        assert set(history.values_list("last_name", flat=True)) == {PSEUDONYM_NAME}
    for worker in kept:
        fresh = Worker.objects.get(pk=worker.pk)
        assert (fresh.fiscal_code, fresh.last_name) == (worker.fiscal_code, worker.last_name)
    after = figures()
    assert after == before


def test_retention_is_idempotent(world):
    run()
    first = snapshot()
    output = run()
    assert counts(output) == [0, 0, 0]
    assert snapshot() == first


def test_a_worker_arriving_later_with_the_real_fiscal_code_does_not_collide(world):
    person = world["gone"][1].worker
    code = person.fiscal_code
    run()
    newcomer = Worker.objects.create(
        fiscal_code=code,
        last_name=person.last_name,
        first_name=person.first_name,
        birth_date=person.birth_date,
        sex=person.sex,
    )
    assert Worker.objects.filter(fiscal_code__in=[code, pseudonym(code)]).count() == 2
    assert newcomer.pk != person.pk


def test_the_monthly_task_is_scheduled_and_runs(world, settings):
    from crisi_portal.celery import app
    from workers.tasks import retention

    entry = settings.CELERY_BEAT_SCHEDULE["retention"]
    assert entry["task"] == retention.name == "workers.tasks.retention"
    assert entry["schedule"].day_of_month == {2}
    app.loader.import_default_modules()
    assert retention.name in app.tasks
    result = retention.delay().get()
    assert result == {"access_records": 7, "history_rows": result["history_rows"], "workers": 4}
    assert result["history_rows"] > 0
