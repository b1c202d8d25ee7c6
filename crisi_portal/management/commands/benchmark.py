"""``manage.py benchmark --workers N --output results.json`` (issue #12).

Generates (``generate_synthetic``) or reuses data of N workers, then measures the portal's
report data, dashboard and cruscotto against hand-written SQL computing the same numbers,
the HTML pages, the PDFs and ``run_report``'s start-up; writes one JSON document.
PostgreSQL only: the hand-written SQL is PostgreSQL's, and so are the figures that matter.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from crisi_portal.benchmark import dataset, table, targets
from crisi_portal.benchmark.run import (
    EXTRA_SECTIONS,
    SECTIONS,
    Mismatch,
    data_counts,
    machine,
    run,
)


class Command(BaseCommand):
    help = (
        "Measure the portal at N workers against hand-written SQL on the same database and "
        "write the figures as JSON (PostgreSQL only)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, required=True, help="Workers in the data")
        parser.add_argument("--seed", type=int, default=1, help="Seed of generate_synthetic")
        parser.add_argument("--output", required=True, help="JSON file to write")
        parser.add_argument("--runs", type=int, default=5, help="Timed runs per figure (median)")
        parser.add_argument("--pdf-runs", type=int, default=1, help="Timed runs per PDF")
        parser.add_argument(
            "--only",
            nargs="+",
            choices=SECTIONS + EXTRA_SECTIONS,
            default=list(SECTIONS),
            help=f"Measure only these sections ({', '.join(EXTRA_SECTIONS)}: only when named)",
        )
        parser.add_argument(
            "--statement-timeout",
            type=int,
            default=0,
            help="Seconds a query may take; a figure whose query is cancelled is null (0: none)",
        )
        parser.add_argument(
            "--markdown",
            action="store_true",
            help="Also print the figures as the README's tables",
        )
        parser.add_argument(
            "--flush",
            action="store_true",
            help="Let generate_synthetic empty the domain tables first (DEBUG only)",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help=(
                "Fail (exit 1, naming the figures) when a ratio exceeds its target "
                "(crisi_portal/benchmark/targets.py) times --margin"
            ),
        )
        parser.add_argument(
            "--margin",
            type=float,
            default=targets.CI_MARGIN,
            help=f"Allowance of --check over each target (default {targets.CI_MARGIN:g})",
        )
        parser.add_argument(
            "--no-generate",
            action="store_true",
            help="Measure the data already in the database, whatever made it",
        )

    def handle(
        self,
        *args,
        workers,
        seed,
        output,
        runs,
        pdf_runs,
        only,
        statement_timeout,
        markdown,
        flush,
        no_generate,
        check=False,
        margin=targets.CI_MARGIN,
        **options,
    ):
        if connection.vendor != "postgresql":
            raise CommandError(
                "The benchmark runs on PostgreSQL (its hand-written SQL is PostgreSQL's): "
                "set DATABASE_URL=postgres://…"
            )
        if workers < 1 or runs < 1 or pdf_runs < 1:
            raise CommandError("--workers, --runs and --pdf-runs must be at least 1.")
        if margin <= 0:
            raise CommandError("--margin must be positive.")
        path = Path(output)
        if not path.parent.exists():
            raise CommandError(f"--output: the folder {path.parent} does not exist.")
        if no_generate:
            data = dataset.as_found()
        else:
            data = dataset.ensure(workers, seed, flush=flush, stdout=self.stdout)
        dataset.analyze()
        verb = "generated" if data.generated else "reused"
        self.stderr.write(f"Data: {data.workers:,} workers ({verb}, seed {data.seed}).")
        try:
            result = run(
                runs=runs,
                pdf_runs=pdf_runs,
                sections=only,
                statement_timeout=statement_timeout,
                log=self.stderr.write,
            )
        except Mismatch as exc:
            raise CommandError(str(exc)) from exc
        document = {
            "machine": {
                **machine(),
                "workers_requested": workers,
                "seed": data.seed,
                "generated": data.generated,
                "date": timezone.now().isoformat(timespec="seconds"),
                "runs": runs,
                "statement_timeout_s": statement_timeout or None,
            },
            "data": data_counts(),
            "periods": result["periods"],
            "figures": result["figures"],
        }
        path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
        self.stderr.write(f"{len(result['figures'])} figures → {path}")
        if markdown:
            self.stdout.write(table.markdown(document))
        if check:
            self.check_ratios(result["figures"], margin)

    def check_ratios(self, figures: dict, margin: float) -> None:
        verdicts = targets.check(figures, margin=margin)
        for verdict in verdicts:
            self.stderr.write(f"check: {verdict.line()}")
        failed = targets.failed(verdicts)
        if failed:
            raise CommandError(
                f"{len(failed)} ratio(s) past target × {margin:g}: "
                + "; ".join(v.line() for v in failed)
            )
        self.stderr.write(f"check: {len(verdicts)} ratios within target × {margin:g}")
