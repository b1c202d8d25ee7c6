"""Demo open data (issue #16 item 4): every dataset published for its latest periods.

In production a dataset is published when the Region-scope report run of its kind succeeds
(or by ``publish_open_data``); the demo has no runs, so it publishes from the demo's figures:
the annual table of 2024 (the Region's published year) and of the year just ended, the
quarterly tables of the quarter just ended and the one before. Unchanged figures add no
version, so seeding again leaves the releases as they are.
"""

import datetime

from monitoring.enums import ReportKind
from monitoring.open_data import DATASETS
from monitoring.periods import Period
from monitoring.services import OpenDataWithheld, open_data_publish


def seed_open_data(today: datetime.date) -> str:
    published = unchanged = withheld = 0
    for spec in DATASETS.values():
        latest = Period.just_ended(spec.span, today)
        periods = [latest, latest.previous()]
        region_year = Period.parse(ReportKind.ANNUAL, "2024")
        if spec.kind == ReportKind.ANNUAL and region_year not in periods:
            periods.append(region_year)
        for period in periods:
            try:
                _release, created = open_data_publish(spec.slug, period.code, today=today)
            except OpenDataWithheld:
                withheld += 1  # figures moved a little since the release kept
                continue
            published += created
            unchanged += not created
    return (
        f"Open data: {published} releases published, {unchanged} unchanged, {withheld} kept "
        "as they were (/open-data/)."
    )
