"""``manage.py partition_tables``: yearly partitions of the step moves and the access log
(issue #12, README "Growing to a national deployment"). PostgreSQL only."""

from django.core.management.base import BaseCommand, CommandError

from workers.partitioning import PartitioningError, partition_tables, targets


class Command(BaseCommand):
    help = (
        "Partition workers_steptransition (by effective_date) and workers_personaldataaccess "
        "(by accessed_at) by year on PostgreSQL and create the partitions of the years ahead. "
        "Idempotent: run again, it only adds missing partitions."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--years-ahead",
            type=int,
            default=1,
            help="Create the partitions of this many years after the current one (default 1)",
        )

        parser.add_argument(
            "--table",
            dest="tables",
            action="append",
            choices=[target.table for target in targets()],
            help="Only this table (repeatable; default: both)",
        )

    def handle(self, *args, years_ahead: int, tables: list[str] | None = None, **options):
        if years_ahead < 0:
            raise CommandError("--years-ahead cannot be negative")
        try:
            done = partition_tables(years_ahead=years_ahead, tables=tables)
        except PartitioningError as error:
            raise CommandError(str(error)) from error
        for line in done:
            self.stdout.write(line)
        if not done:
            self.stdout.write("Nothing to do: the tables and their partitions are in place.")
