"""Storage limitation (GDPR art. 5(1)(e)): what ``manage.py retention`` and the monthly task do.

1. Access records (``workers.PersonalDataAccess``) older than ``RETENTION_ACCESS_LOG_DAYS``
   are deleted, through the one path the append-only trigger lets through.
2. Audit history rows (every simple-history ``Historical*`` model) older than
   ``RETENTION_HISTORY_DAYS`` are deleted.
3. Workers whose every procedure closed more than ``RETENTION_WORKER_YEARS`` ago are
   pseudonymised: the fiscal code becomes a stable keyed pseudonym, names become
   ``ANONIMO``, the birth date keeps only its year, e-mail and phone are blanked, and their
   audit history rows get the same values; one new history row (reason "retention:
   pseudonymised", no user) records when it happened. Sex, citizenship, education, province
   of residence and everything about the procedures stay, so every report figure stays the
   same.

A procedure counts as closed "more than N years ago" when its status is closed, its income
support ended before the cut-off (or has no end date) and it has not been changed since the
cut-off (``updated_at``: the closing itself is a change, so it happened before then).
"""

import base64
import datetime
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from simple_history.models import HistoricalChanges

from cases.enums import Status
from crisi_portal.history import bulk_update_recorded
from workers.models import Involvement, PersonalDataAccess, Worker

# A real personal fiscal code starts with six letters: a pseudonym starting with digits can
# never collide with a worker who arrives later, and still fits the column's constraint.
PSEUDONYM_PREFIX = "00"
PSEUDONYM_NAME = "ANONIMO"
# The key of every pseudonym made so far: it keeps the module's first name, or a worker
# pseudonymised again would get another one.
PSEUDONYM_SALT = "crisi_portal.retention.pseudonym"
PSEUDONYMISED_REASON = "retention: pseudonymised"


def pseudonym(fiscal_code: str) -> str:
    """16 characters [A-Z0-9], the same for the same fiscal code, not reversible without the
    secret key (HMAC-SHA256 keyed with SECRET_KEY)."""
    digest = salted_hmac(PSEUDONYM_SALT, fiscal_code, algorithm="sha256").digest()
    return PSEUDONYM_PREFIX + base64.b32encode(digest).decode("ascii")[:14]


def is_pseudonym(fiscal_code: str) -> bool:
    return fiscal_code.startswith(PSEUDONYM_PREFIX)


def years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def old_history(cutoff: datetime.datetime) -> dict:
    """Label → queryset of history rows older than ``cutoff``, for every Historical* model.

    Many-to-many history rows (``history`` → their parent row) come first, so deleting them
    in this order never leaves a row pointing at a deleted parent.
    """
    children, parents = {}, {}
    for model in apps.get_models():
        if not issubclass(model, HistoricalChanges):
            continue
        names = {f.name for f in model._meta.get_fields()}
        if "history_date" in names:
            parents[model._meta.label] = model.objects.filter(history_date__lt=cutoff)
        elif "history" in names:
            children[model._meta.label] = model.objects.filter(history__history_date__lt=cutoff)
    return {**children, **parents}


@dataclass
class RetentionReport:
    dry_run: bool
    access_cutoff: datetime.datetime
    history_cutoff: datetime.datetime
    worker_cutoff: datetime.date
    access_records: int = 0
    history_rows: dict[str, int] = field(default_factory=dict)
    workers: int = 0
    worker_history_rows: int = 0

    @property
    def history_total(self) -> int:
        return sum(self.history_rows.values())

    def lines(self) -> list[str]:
        verb = "would be" if self.dry_run else "were"
        lines = [
            f"Access records older than {self.access_cutoff:%Y-%m-%d}: "
            f"{self.access_records} {verb} deleted.",
            f"Audit history rows older than {self.history_cutoff:%Y-%m-%d}: "
            f"{self.history_total} {verb} deleted.",
        ]
        lines += [f"  {label}: {n}" for label, n in sorted(self.history_rows.items()) if n]
        lines.append(
            f"Workers whose procedures all closed before {self.worker_cutoff:%Y-%m-%d}: "
            f"{self.workers} {verb} pseudonymised ({self.worker_history_rows} history rows)."
        )
        return lines


def workers_to_pseudonymise(cutoff: datetime.date):
    cutoff_moment = timezone.make_aware(datetime.datetime.combine(cutoff, datetime.time.min))
    closed_long_ago = (
        Q(procedure__status=Status.CHIUSA)
        & Q(procedure__updated_at__lt=cutoff_moment)
        & (Q(procedure__end_date__isnull=True) | Q(procedure__end_date__lt=cutoff))
    )
    involvements = Involvement.objects.filter(worker=OuterRef("pk"))
    return (
        Worker.objects.filter(Exists(involvements))
        .exclude(Exists(involvements.exclude(closed_long_ago)))
        .exclude(fiscal_code__startswith=PSEUDONYM_PREFIX)
    )


PSEUDONYMISED_FIELDS = ("fiscal_code", "last_name", "first_name", "birth_date", "email", "phone")


def _pseudonymise(workers: list[Worker]) -> int:
    """Pseudonymise the workers and every history row they have; returns how many history
    rows were rewritten. Each worker then gets one new history row, holding only the
    pseudonymised values, so the audit (and the API's change feed) shows when it happened."""
    history = Worker.history.model
    history_rows = 0
    for worker in workers:
        values = {
            "fiscal_code": pseudonym(worker.fiscal_code),
            "last_name": PSEUDONYM_NAME,
            "first_name": PSEUDONYM_NAME,
            "birth_date": worker.birth_date.replace(month=1, day=1),
            "email": "",
            "phone": "",
        }
        # The past rows are rewritten in place: no copy of the removed values may remain.
        history_rows += history.objects.filter(id=worker.pk).update(**values)
        for name, value in values.items():
            setattr(worker, name, value)
    bulk_update_recorded(workers, Worker, PSEUDONYMISED_FIELDS, reason=PSEUDONYMISED_REASON)
    return history_rows


def retention_run(
    *, dry_run: bool = False, now: datetime.datetime | None = None
) -> RetentionReport:
    """Purge and pseudonymise as configured; with ``dry_run`` only count. Idempotent."""
    now = now or timezone.now()
    report = RetentionReport(
        dry_run=dry_run,
        access_cutoff=now - datetime.timedelta(days=settings.RETENTION_ACCESS_LOG_DAYS),
        history_cutoff=now - datetime.timedelta(days=settings.RETENTION_HISTORY_DAYS),
        worker_cutoff=years_before(timezone.localdate(now), settings.RETENTION_WORKER_YEARS),
    )
    with transaction.atomic():
        workers = list(workers_to_pseudonymise(report.worker_cutoff).order_by("pk"))
        report.workers = len(workers)
        report.access_records = PersonalDataAccess.objects.filter(
            accessed_at__lt=report.access_cutoff
        ).count()
        history = old_history(report.history_cutoff)
        report.history_rows = {label: rows.count() for label, rows in history.items()}
        if dry_run:
            report.worker_history_rows = Worker.history.filter(
                id__in=[w.pk for w in workers], history_date__gte=report.history_cutoff
            ).count()
            return report
        report.access_records = PersonalDataAccess.objects.purge_older_than(report.access_cutoff)
        for label, rows in history.items():
            # Nothing refers to history rows: a plain DELETE, without loading them.
            report.history_rows[label] = rows._raw_delete(rows.db)
        report.worker_history_rows = _pseudonymise(workers)
    return report
