"""``manage.py publish_open_data``: publish the open datasets (issue #16 item 4) now.

A Region-scope report run publishes its dataset when it succeeds; this publishes from the live
data every dataset for every period such a run succeeded for, or ``--dataset`` and
``--period`` named. The same figures as the latest version add nothing.
"""

from django.core.management.base import BaseCommand, CommandError

from monitoring.open_data import DATASETS
from monitoring.periods import PeriodError
from monitoring.services import open_data_publish_all


class Command(BaseCommand):
    help = (
        "Publish the open datasets from the live data: every period a Region-scope report run "
        "succeeded for, or the dataset and period named. Unchanged figures add no version."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dataset", choices=sorted(DATASETS), help="Only this dataset.")
        parser.add_argument("--period", help="Only this period (2025 or 2025-Q3); needs --dataset.")

    def handle(self, *args, dataset=None, period=None, **options):
        if period and not dataset:
            raise CommandError("--period: name the dataset too (--dataset).")
        try:
            results = open_data_publish_all(dataset, period)
        except PeriodError as exc:
            raise CommandError(f"--period: {exc}") from exc
        for release, created in results:
            if release is None:
                self.stdout.write(f"not published: {created}")
                continue
            state = "published" if created else "unchanged"
            self.stdout.write(
                f"{release.dataset} {release.period}: v{release.version} {state} "
                f"({release.row_count} rows, {release.suppressed_cells} withheld)"
            )
        if not results:
            self.stdout.write("Nothing to publish: no Region-scope report run has succeeded yet.")
