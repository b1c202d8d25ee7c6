"""Yearly range partitions of the two tables that grow with time (issue #12). PostgreSQL only.

``manage.py partition_tables`` turns the step moves (``StepTransition``, by
``effective_date``) and the access log (``PersonalDataAccess``, by ``accessed_at``) into
``PARTITION BY RANGE`` tables with one partition per year plus a default partition for dates
outside them, and creates the partitions of the years ahead; the monthly beat task
``workers.tasks.partitions_extend`` keeps creating them (README "Growing to a national
deployment"). Run again, it only adds missing partitions.

What changes for Django, which keeps managing the tables through migrations:

- PostgreSQL wants the partition key in every unique index, so the primary key becomes
  ``(id, <date column>)``. ``id`` stays an identity column filled by one sequence, so it stays
  unique in practice and Django keeps using it as the primary key; nothing enforces it across
  partitions any more. Later migrations may add columns, indexes, checks and foreign keys *from*
  these tables, not a unique constraint without the date column.
- A foreign key *to* a partitioned table must name the whole key: none exists today; the
  conversion refuses while one does (a future model pointing at a move would need one).
- The conversion copies the rows into the new table in one transaction holding an exclusive
  lock: a maintenance window, minutes at millions of rows. Run it (and migrations) against
  PostgreSQL directly, not through PgBouncer.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, transaction

# (model label, date column): the tables partitioned by year.
PARTITIONED = (
    ("workers.StepTransition", "effective_date"),
    ("workers.PersonalDataAccess", "accessed_at"),
)


class PartitioningError(Exception):
    pass


@dataclass(frozen=True)
class Target:
    table: str
    column: str
    timestamp: bool  # timestamptz column: year bounds at midnight UTC

    def partition(self, year: int) -> str:
        return f"{self.table}_y{year}"

    @property
    def default(self) -> str:
        return f"{self.table}_default"

    def bounds(self, year: int) -> tuple[str, str]:
        suffix = " 00:00:00+00" if self.timestamp else ""
        return f"{year}-01-01{suffix}", f"{year + 1}-01-01{suffix}"


def targets() -> list[Target]:
    found = []
    for label, column in PARTITIONED:
        model = apps.get_model(label)
        field = model._meta.get_field(column)
        found.append(
            Target(
                table=model._meta.db_table,
                column=field.column,
                timestamp=field.get_internal_type() == "DateTimeField",
            )
        )
    return found


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def is_partitioned(cursor, table: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table])
    return cursor.fetchone() is not None


def partitions(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(%s) ORDER BY c.relname",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def this_year() -> int:
    return datetime.datetime.now(tz=datetime.UTC).year


def convert(cursor, target: Target, years_ahead: int) -> list[str]:
    """Rebuild ``target.table`` as a partitioned table holding the same rows; what it did."""
    table, column = target.table, target.column
    cursor.execute(
        "SELECT conrelid::regclass::text, conname FROM pg_constraint "
        "WHERE contype = 'f' AND confrelid = to_regclass(%s)",
        [table],
    )
    referencing = cursor.fetchall()
    if referencing:
        raise PartitioningError(
            f"{table} is referenced by foreign keys {referencing}: a foreign key to a "
            "partitioned table must name its whole primary key (id and the partition column)"
        )
    cursor.execute(
        "SELECT indexrelid::regclass::text FROM pg_index "
        "WHERE indrelid = to_regclass(%s) AND indisunique AND NOT indisprimary",
        [table],
    )
    unique = [row[0] for row in cursor.fetchall()]
    if unique:
        raise PartitioningError(f"{table} has unique indexes without {column}: {unique}")

    cursor.execute(f"LOCK TABLE {q(table)} IN ACCESS EXCLUSIVE MODE")
    # What LIKE does not copy, taken before the old table goes: its indexes (but the primary
    # key), foreign keys and triggers, re-created under their own names on the new table.
    cursor.execute(
        "SELECT pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = to_regclass(%s) AND NOT indisprimary ORDER BY indexrelid",
        [table],
    )
    indexes = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(%s) AND contype = 'f' ORDER BY conname",
        [table],
    )
    foreign_keys = cursor.fetchall()
    cursor.execute(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
        "WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal ORDER BY tgname",
        [table],
    )
    triggers = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype = 'p'",
        [table],
    )
    primary_key = cursor.fetchone()[0]
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0].split(".")[-1].strip('"')

    cursor.execute(
        f"SELECT DISTINCT extract(year FROM {q(column)})::int FROM {q(table)} "  # nosec B608 - quoted model table names
        f"WHERE {q(column)} IS NOT NULL"
    )
    years = {row[0] for row in cursor.fetchall()}
    now = this_year()
    years |= set(range(now, now + years_ahead + 1))

    new = f"{table}__partitioned"
    cursor.execute(
        f"CREATE TABLE {q(new)} (LIKE {q(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        "INCLUDING IDENTITY INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMMENTS) "
        f"PARTITION BY RANGE ({q(column)})"
    )
    for year in sorted(years):
        low, high = target.bounds(year)
        cursor.execute(
            f"CREATE TABLE {q(target.partition(year))} PARTITION OF {q(new)} "
            "FOR VALUES FROM (%s) TO (%s)",
            [low, high],
        )
    cursor.execute(f"CREATE TABLE {q(target.default)} PARTITION OF {q(new)} DEFAULT")
    cursor.execute(f"INSERT INTO {q(new)} SELECT * FROM {q(table)}")  # nosec B608 - quoted model table names
    cursor.execute(f"DROP TABLE {q(table)}")
    cursor.execute(f"ALTER TABLE {q(new)} RENAME TO {q(table)}")
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    cursor.execute(f"ALTER SEQUENCE {cursor.fetchone()[0]} RENAME TO {q(sequence)}")
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence(%s, 'id'), coalesce(max(id), 1), "  # nosec B608 - quoted model table names
        f"max(id) IS NOT NULL) FROM {q(table)}",
        [table],
    )
    cursor.execute(
        f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(primary_key)} PRIMARY KEY (id, {q(column)})"
    )
    for statement in indexes:
        cursor.execute(statement)
    for name, definition in foreign_keys:
        cursor.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {definition}")
    for statement in triggers:
        cursor.execute(statement)
    return [f"{table}: partitioned by {column}, years {min(years)}-{max(years)} and default"]


def extend(cursor, target: Target, through: int) -> list[str]:
    """Create the missing yearly partitions from this year up to ``through``, and those of the
    years the default partition holds rows of (a date typed years back, a partition not made in
    time); those rows move into their year (PostgreSQL refuses the partition otherwise)."""
    done = []
    existing = set(partitions(cursor, target.table))
    cursor.execute(
        f"SELECT DISTINCT extract(year FROM {q(target.column)})::int FROM {q(target.default)}"  # nosec B608 - quoted model table names
    )
    years = {row[0] for row in cursor.fetchall()} | set(range(this_year(), through + 1))
    for year in sorted(years):
        name = target.partition(year)
        if name in existing:
            continue
        low, high = target.bounds(year)
        column = q(target.column)
        where = f"{column} >= %s AND {column} < %s"
        cursor.execute(
            f"CREATE TEMPORARY TABLE crisi_moving ON COMMIT DROP AS "  # nosec B608 - quoted model table names
            f"SELECT * FROM {q(target.default)} WHERE {where}",
            [low, high],
        )
        if cursor.rowcount:
            # Not a deletion: the rows move to their year. The access log's append-only
            # trigger (workers migration 0004) lets a DELETE through only with this set.
            cursor.execute("SET LOCAL crisi.retention = 'on'")
            cursor.execute(f"DELETE FROM {q(target.default)} WHERE {where}", [low, high])  # nosec B608 - quoted model table names
            cursor.execute("SET LOCAL crisi.retention = 'off'")
        cursor.execute(
            f"CREATE TABLE {q(name)} PARTITION OF {q(target.table)} FOR VALUES FROM (%s) TO (%s)",
            [low, high],
        )
        cursor.execute(f"INSERT INTO {q(target.table)} SELECT * FROM crisi_moving")  # nosec B608 - quoted model table names
        cursor.execute("DROP TABLE crisi_moving")
        done.append(f"{target.table}: partition {name} created")
    return done


def partition_tables(
    *, years_ahead: int = 1, convert_tables: bool = True, tables: list[str] | None = None
) -> list[str]:
    """Partition the tables (``tables``: some of them, by name; unless ``convert_tables`` is
    false: then only those already partitioned) and make sure the partitions of this year and
    ``years_ahead`` more exist. One transaction; returns what it did (empty: nothing to do)."""
    if connection.vendor != "postgresql":
        raise PartitioningError("table partitioning needs PostgreSQL")
    done: list[str] = []
    with transaction.atomic(), connection.cursor() as cursor:
        for target in targets():
            if tables is not None and target.table not in tables:
                continue
            if not is_partitioned(cursor, target.table):
                if not convert_tables:
                    continue
                done += convert(cursor, target, years_ahead)
            done += extend(cursor, target, this_year() + years_ahead)
    return done
