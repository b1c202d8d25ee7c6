import time
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from crisi_portal.demo import synthetic
from crisi_portal.demo.profile import PROFILE


class Command(BaseCommand):
    help = (
        "Generate synthetic data at scale: procedures, units, N workers, their involvements "
        "(about 1.21 per worker), step histories, outcomes and some Doti with PIPs, in the "
        "proportions of crisi_portal/demo/profile.py. Deterministic for N, the seed and the "
        "reference date. Refuses a database that already has procedures or workers, unless "
        "--flush (DEBUG only) empties it first. COPY on PostgreSQL, bulk_create elsewhere."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            help="reference date (YYYY-MM-DD): no date after it; default today",
        )
        parser.add_argument("--batch", type=int, default=synthetic.BATCH)
        parser.add_argument(
            "--flush", action="store_true", help="empty the domain tables first (DEBUG only)"
        )
        parser.add_argument("--no-copy", action="store_true", help="bulk_create even on PostgreSQL")
        parser.add_argument("--digest", action="store_true", help="print a digest of the rows")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, workers, seed, as_of, batch, flush, no_copy, digest, database, **_):
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        if synthetic.has_data(database):
            if not flush:
                raise CommandError(
                    "This database already has procedures or workers: synthetic data is not "
                    "mixed with other data. Use an empty database, or --flush (DEBUG only)."
                )
            if not settings.DEBUG:
                raise CommandError("--flush empties the domain tables: it only runs with DEBUG on.")
            self.stdout.write("Flushing the domain tables…")
            synthetic.flush(database)
        today = as_of or timezone.localdate()
        copy = connections[database].vendor == "postgresql" and not no_copy
        target = PROFILE.counts(workers)
        self.stdout.write(
            "Generating {procedures:,} procedures, {units:,} units, {workers:,} workers, "
            "{involvements:,} involvements".format(**target)
            + f" (seed {seed}, as of {today}, {'COPY' if copy else 'bulk_create'})…"
        )
        started = time.monotonic()
        counts = synthetic.generate(
            workers, seed, today, using=database, copy=copy, batch=batch, progress=self.stdout.write
        )
        elapsed = time.monotonic() - started
        rows = sum(counts.values())
        self.stdout.write(", ".join(f"{key}: {value:,}" for key, value in counts.items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"{rows:,} rows ({counts['history']:,} of them audit history) in {elapsed:.1f}s: "
                f"{rows / max(elapsed, 1e-9):,.0f} rows/s."
            )
        )
        if digest:
            self.stdout.write(f"digest: {synthetic.digest(database)}")
