"""Yearly partitions of the step moves and the access log (issue #12, workers/partitioning.py).

The PostgreSQL test builds its own database: the schema as it was before the access log's
trigger (workers 0003), ``partition_tables``, then the later migrations, then the app's writes
and reads on the partitioned tables.
"""

import datetime
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import UserFactory
from tests.workers.factories import InvolvementFactory
from workers import tasks
from workers.enums import Step
from workers.models import MoveKind, PersonalDataAccess, StepTransition
from workers.partitioning import this_year

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="table partitioning is PostgreSQL's"
)
sqlite_only = pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite's refusal")

MOVES = "workers_steptransition"
ACCESS_LOG = "workers_personaldataaccess"


def command(*args) -> str:
    out = io.StringIO()
    call_command("partition_tables", *args, stdout=out)
    return out.getvalue()


def rows(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def children(table) -> list[str]:
    return [
        name
        for (name,) in rows(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass ORDER BY 1",
            [table],
        )
    ]


@pytest.fixture
def own_database(transactional_db):
    """The default connection pointed at a new, empty database for the test's length."""
    conn = connections["default"]
    original = conn.settings_dict["NAME"]
    name = f"{original}_partitions"
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    conn.settings_dict["NAME"] = name
    try:
        yield conn
    finally:
        conn.close()
        conn.settings_dict["NAME"] = original
        ContentType.objects.clear_cache()
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


@postgres_only
# serialized_rollback: the flush after it then leaves the content types to the next
# transactional test's restore; without, its post_migrate re-created them and the next
# serialized test's restore met them (a duplicate-key error in that test's setup).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_partitioned_schema_migrates_and_the_app_reads_and_writes_it(own_database):
    executor = MigrationExecutor(own_database)
    executor.migrate([("workers", "0003_transition_field_labels")])
    now = this_year()

    # What the conversion cannot keep, it refuses, changing nothing: a foreign key pointing at
    # the table, a unique index without the date column.
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE crisi_pointer (record bigint REFERENCES {ACCESS_LOG} (id))")
        with pytest.raises(CommandError, match="crisi_pointer"):
            command()
        cursor.execute("DROP TABLE crisi_pointer")
        cursor.execute(f"CREATE UNIQUE INDEX crisi_unique ON {MOVES} (involvement_id, id)")
        with pytest.raises(CommandError, match="crisi_unique"):
            command("--table", MOVES)
        cursor.execute("DROP INDEX crisi_unique")
    assert not children(MOVES) and not children(ACCESS_LOG)

    # One table at a time if asked (the access log alone: see the README on the moves' cost).
    assert command("--table", ACCESS_LOG) == (
        f"{ACCESS_LOG}: partitioned by accessed_at, years {now}-{now + 1} and default\n"
    )
    assert not children(MOVES)
    assert "partitioned by effective_date" in command()
    # Later migrations run on the partitioned tables (0004 puts its trigger on the parent).
    executor = MigrationExecutor(own_database)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(leaves)
    assert not MigrationExecutor(own_database).migration_plan(leaves)

    for table in (MOVES, ACCESS_LOG):
        assert f"{table}_y{now}" in children(table)
        assert f"{table}_y{now + 1}" in children(table)
        assert f"{table}_default" in children(table)
        (key,) = rows(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'p'",
            [table],
        )
        assert "id" in key[0] and ("effective_date" in key[0] or "accessed_at" in key[0])

    # Writes and reads through the ORM.
    involvement = InvolvementFactory()
    move = StepTransition.objects.create(
        involvement=involvement,
        from_step=Step.STEP_1,
        to_step=Step.STEP_2,
        kind=MoveKind.FORWARD,
        effective_date=datetime.date(now, 2, 3),
    )
    assert StepTransition.objects.filter(involvement=involvement).latest_first().first() == move
    assert rows(f"SELECT count(*) FROM {MOVES}_y{now} WHERE id = %s", [move.pk]) == [(1,)]
    move.effective_date = datetime.date(now + 1, 5, 6)  # moves to next year's partition
    move.save()
    assert rows(f"SELECT count(*) FROM {MOVES}_y{now + 1} WHERE id = %s", [move.pk]) == [(1,)]
    assert StepTransition.objects.get(pk=move.pk).effective_date.year == now + 1

    user = UserFactory()
    record = PersonalDataAccess.objects.create(user=user, worker=involvement.worker, purpose="test")
    assert list(PersonalDataAccess.objects.filter(worker=involvement.worker)) == [record]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {ACCESS_LOG} SET purpose = 'changed'")
    # The retention purge still deletes, and only what is old.
    assert PersonalDataAccess.objects.purge_older_than(timezone.now()) == 1
    assert not PersonalDataAccess.objects.exists()

    # The involvement's own first move is dated before the data the tables held: it went to the
    # default partition, and the next run gives it its year.
    first = involvement.transitions.earliest("effective_date").effective_date.year
    assert first < now
    assert rows(f"SELECT count(*) FROM {MOVES}_default") == [(1,)]
    assert command() == f"{MOVES}: partition {MOVES}_y{first} created\n"
    assert rows(f"SELECT count(*) FROM {MOVES}_y{first}") == [(1,)]

    # Idempotent: a further run changes nothing.
    before = {table: children(table) for table in (MOVES, ACCESS_LOG)}
    assert "Nothing to do" in command()
    assert {table: children(table) for table in (MOVES, ACCESS_LOG)} == before

    # A missing year: rows that went to the default partition move into it when it is made,
    # also through the access log's trigger.
    later = now + 3
    StepTransition.objects.create(
        involvement=involvement,
        to_step=Step.STEP_1,
        kind=MoveKind.START,
        effective_date=datetime.date(later, 1, 1),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ACCESS_LOG} (accessed_at, purpose, path, user_id, worker_id) "
            "VALUES (%s, 'later', '', %s, %s)",
            [datetime.datetime(later, 6, 1, tzinfo=datetime.UTC), user.pk, involvement.worker_id],
        )
    assert rows(f"SELECT count(*) FROM {MOVES}_default") == [(1,)]
    output = command("--years-ahead", "3")
    assert f"partition {MOVES}_y{later} created" in output
    assert f"partition {ACCESS_LOG}_y{later} created" in output
    for table in (MOVES, ACCESS_LOG):
        assert rows(f"SELECT count(*) FROM {table}_default") == [(0,)]
        assert rows(f"SELECT count(*) FROM {table}_y{later}") == [(1,)]
    assert StepTransition.objects.filter(effective_date__year=later).count() == 1
    # The beat task only extends: nothing left to create.
    assert tasks.partitions_extend.delay().get() == []


@postgres_only
def test_the_beat_task_leaves_tables_that_are_not_partitioned_alone(db):
    assert tasks.partitions_extend.delay().get() == []
    assert not rows("SELECT 1 FROM pg_partitioned_table WHERE partrelid = %s::regclass", [MOVES])


@sqlite_only
def test_partitioning_refuses_sqlite_and_the_beat_task_does_nothing(db):
    with pytest.raises(CommandError, match="PostgreSQL"):
        command()
    assert tasks.partitions_extend.delay().get() == []


def test_negative_years_ahead_are_refused():
    with pytest.raises(CommandError, match="negative"):
        command("--years-ahead", "-1")
