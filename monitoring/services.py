"""Report runs: requesting them, producing their documents, and keeping them honest.

The ``ReportRun`` row is the source of truth. A request creates a queued row (the next version
of its kind, period, scope and format) and enqueues the task once the transaction commits.
The task claims the row with one conditional UPDATE, so a duplicate delivery does nothing;
the document is written to a temporary file and moved into place, then the row is marked
ready with its checksum. A run whose worker died stays ``running`` until the watchdog sees
it past its time limit, marks the attempt failed and queues it again (or gives up).
"""

import hashlib
import logging
import os
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from celery import current_app
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Count, F, Max, QuerySet, Value
from django.db.models.functions import Coalesce, ExtractYear, TruncMonth
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.enums import Status as ProcedureStatus
from cases.models import CrisisProcedure, Province
from crisi_portal import notifications, webhooks
from crisi_portal.errors import DomainError
from crisi_portal.models import NotificationKind, WebhookEvent
from crisi_portal.replica import replica_reads
from crisi_portal.scoping import (
    UserOrSystem,
    ensure_editable,
    may_act_in,
    may_request_report,
    province_officers,
)
from crisi_portal.services import delete_recorded, save_validated
from monitoring import open_data, reports
from monitoring.dashboard import activation_days
from monitoring.enums import ReportFormat, ReportKind, RunStatus, Trigger
from monitoring.models import (
    DashboardActivationDays,
    DashboardInvolvements,
    DashboardRefresh,
    DashboardStarts,
    OpenDataRelease,
    PlanBudgetLine,
    PlanIndicator,
    PlanPartner,
    PlanPhase,
    PlanTargetGroup,
    ReemploymentPlan,
    ReportContact,
    ReportRun,
)
from monitoring.periods import Period, PeriodError
from monitoring.renderers import render_document
from workers.models import Involvement, MoveKind, StepTransition

log = logging.getLogger(__name__)

# The Celery task that produces a run (``monitoring.tasks.generate_report``), sent by name.
GENERATE_REPORT_TASK = "monitoring.tasks.generate_report"
# The task that mails the recipients a link once a run succeeded.
REPORT_READY_NOTIFY_TASK = "monitoring.tasks.report_ready_notify"


class ReportRequestRefused(DomainError):
    """A run that cannot be requested; ``field`` names the offending input."""

    code = "report_refused"

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, field=field)


# --- What may be asked -------------------------------------------------------------------------


def report_request_validate(kind: str, period: str, province: str | None, fmt: str) -> Period:
    if kind not in ReportKind.values:
        raise ReportRequestRefused(
            _("Unknown report “%(kind)s”: choose %(choices)s.")
            % {"kind": kind, "choices": ", ".join(ReportKind.values)},
            "kind",
        )
    if fmt not in ReportFormat.values:
        raise ReportRequestRefused(
            _("Unknown format “%(format)s”: choose %(choices)s.")
            % {"format": fmt, "choices": ", ".join(ReportFormat.values)},
            "format",
        )
    try:
        parsed = Period.parse(kind, period)
    except PeriodError as exc:
        raise ReportRequestRefused(str(exc), "period") from exc
    if parsed.start > timezone.localdate():
        raise ReportRequestRefused(
            _("The period %(period)s has not started yet.") % {"period": parsed.code}, "period"
        )
    if province is not None:
        if kind == ReportKind.ANNUAL:
            raise ReportRequestRefused(
                _("The annual table is regional: leave the province empty."), "province"
            )
        if not Province.objects.filter(code=province).exists():
            raise ReportRequestRefused(
                _("Unknown province “%(code)s”.") % {"code": province}, "province"
            )
    return parsed


# --- Requesting ----------------------------------------------------------------------------------


def report_run_request(
    *,
    kind: str,
    period: str,
    fmt: str,
    province: str | None = None,
    trigger: str = Trigger.USER,
    user: UserOrSystem = None,
    parameters: dict[str, Any] | None = None,
) -> ReportRun:
    """Queue a new version of a document; the task starts when the transaction commits."""
    province = province or None
    parsed = report_request_validate(kind, period, province, fmt)
    if trigger != Trigger.SCHEDULE and not may_request_report(user, province):
        raise ReportRequestRefused(
            _("You may not request this document for this scope."), "province"
        )
    run = report_run_create_version(
        kind=kind,
        period=parsed.code,
        province_id=province,
        format=fmt,
        triggered_by=trigger,
        requested_by=user if user is not None and user.is_authenticated else None,
        parameters=parameters or {},
    )
    report_run_enqueue(run)
    return run


def report_run_create_version(**fields: Any) -> ReportRun:
    """Insert the next version; two concurrent requests both get a row (the loser retries)."""
    same = ReportRun.objects.of_document(
        kind=fields["kind"],
        period=fields["period"],
        format=fields["format"],
        province_id=fields["province_id"],
    )
    for _attempt in range(5):
        version = (same.aggregate(v=Max("version"))["v"] or 0) + 1
        try:
            with transaction.atomic():
                return ReportRun.objects.create(version=version, **fields)
        except IntegrityError:
            continue
    raise IntegrityError("Could not allocate a report version after 5 attempts.")


def report_run_enqueue(run: ReportRun, countdown: int | None = None) -> None:
    # The task is taken from Celery's registry by its name: ``monitoring.tasks`` imports this
    # module, so importing it back would close a loop (docs/adr/0006-layers.md). The app's
    # ready() registers it in every process, so eager mode (tests, ``make run``) still runs it.
    generate_report = current_app.tasks[GENERATE_REPORT_TASK]

    def send() -> None:
        result = generate_report.apply_async(args=[run.pk], countdown=countdown)
        ReportRun.objects.filter(pk=run.pk, task_id="").update(task_id=result.id or "")

    transaction.on_commit(send)


# --- Producing -----------------------------------------------------------------------------------


def report_run_claim(run_id: int) -> bool:
    """Take a queued run for this worker; False if it is not queued (done, or someone has it)."""
    return bool(
        ReportRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.RUNNING,
            attempts=F("attempts") + 1,
            started_at=timezone.now(),
            finished_at=None,
        )
    )


def report_run_produce(run_id: int) -> ReportRun | None:
    """Produce the document of a queued run. Idempotent: anything but a queued run is left."""
    if not report_run_claim(run_id):
        log.info("report run %s is not queued; nothing to do", run_id)
        return None
    run = ReportRun.objects.select_related("province").get(pk=run_id)
    started = time.monotonic()
    try:
        with translation.override(settings.LANGUAGE_CODE):
            period = run.period_obj
            with replica_reads():
                data = reports.build(run.kind, period, run.province_id)
            rendered = render_document(data, run.format, scope_label=run.scope_label, period=period)
        name, digest = report_run_store(run, rendered.content)
    except Exception as exc:
        report_run_fail(run, f"{type(exc).__name__}: {exc}")
        raise
    with transaction.atomic():
        updated = ReportRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.SUCCEEDED,
            file=name,
            size=len(rendered.content),
            sha256=digest,
            pages=rendered.pages,
            finished_at=timezone.now(),
        )
        if updated:
            run.refresh_from_db()
            # A Region-scope run's figures are open data (issue #16 item 4): published at
            # once, a new version only when a figure changed.
            open_data_publish_run(run, data)
            # On the e-mail queue: a slow or failing mail server neither holds a report worker
            # nor fails the run; the task retries on its own.
            notify = current_app.tasks[REPORT_READY_NOTIFY_TASK]
            transaction.on_commit(lambda: notify.delay(run.pk))
            report_run_notify_users(run)
            webhooks.emit(
                WebhookEvent.REPORT_READY,
                run,
                changes={"kind": run.kind, "period": run.period, "format": run.format},
            )
    log.info(
        "report run %s (%s) produced in %.2fs, %d bytes",
        run.pk,
        run.filename,
        time.monotonic() - started,
        len(rendered.content),
    )
    return run


def report_run_store(run: ReportRun, content: bytes) -> tuple[str, str]:
    """Write to a temporary file beside the target, then move it into place (atomic rename)."""
    name = f"reports/{run.kind}/{run.period}/{run.filename}"
    target = Path(default_storage.path(name))
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
    with temporary.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    return name, hashlib.sha256(content).hexdigest()


def report_run_fail(run: ReportRun, error: str) -> None:
    ReportRun.objects.filter(pk=run.pk).update(
        status=RunStatus.FAILED, finished_at=timezone.now(), error=error[:2000]
    )


def report_run_requeue(run_id: int) -> None:
    """After a passing database failure the task retries: let the retry claim the run again."""
    ReportRun.objects.filter(pk=run_id, status=RunStatus.FAILED).update(status=RunStatus.QUEUED)


# --- Watchdog ------------------------------------------------------------------------------------


def report_run_time_limit() -> timedelta:
    return timedelta(seconds=settings.REPORT_TIME_LIMIT)


def report_runs_watchdog(now: datetime | None = None) -> dict[str, int]:
    """Runs left ``running`` past the time limit (a worker died): mark the attempt failed,
    then queue them again while attempts remain; queued runs nobody took are sent again."""
    now = now or timezone.now()
    # A message lost before any worker took it (broker restarted without persistence).
    forgotten = list(
        ReportRun.objects.filter(
            status=RunStatus.QUEUED, requested_at__lt=now - report_run_time_limit()
        ).values_list("pk", flat=True)
    )
    stuck = ReportRun.objects.filter(
        status=RunStatus.RUNNING, started_at__lt=now - report_run_time_limit()
    )
    requeued = failed = 0
    for run in stuck.only("pk", "attempts", "error"):
        note = _("Attempt %(n)s did not finish within %(seconds)s s (worker lost).") % {
            "n": run.attempts,
            "seconds": settings.REPORT_TIME_LIMIT,
        }
        error = f"{run.error}\n{note}".strip()
        if run.attempts < settings.REPORT_MAX_ATTEMPTS:
            changed = ReportRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
                status=RunStatus.QUEUED, error=error
            )
            if changed:
                requeued += 1
                report_run_enqueue(run)
        else:
            changed = ReportRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
                status=RunStatus.FAILED, error=error, finished_at=now
            )
            failed += changed
    for pk in forgotten:
        report_run_enqueue(ReportRun(pk=pk))
    return {"requeued": requeued, "failed": failed, "resent": len(forgotten)}


# --- Schedule ------------------------------------------------------------------------------------


def report_runs_schedule(
    kind: str, today: date | None = None, span: str | None = None
) -> list[ReportRun]:
    """What the schedule produces on ``today``: the period just ended, for every scope.

    Bimonthly, quarterly and PAL monitoring: one document per province plus the regional one;
    annual: the regional table. ``span`` chooses the period of a kind that has several (the PAL
    monitoring report: ``quarterly`` or ``annual``; its default, the quarter). Formats come from
    ``REPORT_SCHEDULED_FORMATS``. Running twice on the same day adds nothing (beat may fire
    twice around a restart).
    """
    today = today or timezone.localdate()
    period = Period.just_ended(span or kind, today)
    scopes: list[str | None] = [None]
    if kind != ReportKind.ANNUAL:
        scopes += list(Province.objects.order_by("position").values_list("code", flat=True))
    created = []
    with transaction.atomic():
        for fmt in settings.REPORT_SCHEDULED_FORMATS[kind]:
            for province in scopes:
                exists = (
                    ReportRun.objects.of_document(
                        kind=kind, period=period.code, format=fmt, province_id=province
                    )
                    .filter(triggered_by=Trigger.SCHEDULE)
                    .exists()
                )
                if not exists:
                    created.append(
                        report_run_request(
                            kind=kind,
                            period=period.code,
                            fmt=fmt,
                            province=province,
                            trigger=Trigger.SCHEDULE,
                        )
                    )
    return created


# --- Notification --------------------------------------------------------------------------------


def report_run_link(run: ReportRun) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse("monitoring:report_detail", args=[run.pk])


def report_run_recipients(run: ReportRun) -> list[str]:
    """Scheduled documents go to the scope's contacts (addresses, not portal users). Who asked
    for a document is told by a notification (:func:`report_run_notify_users`), by e-mail or
    not as they prefer (issue #13)."""
    if run.triggered_by == Trigger.SCHEDULE:
        emails = ReportContact.objects.for_scope(run.province_id).values_list("email", flat=True)
        return sorted(set(emails))
    return []


def report_run_notify(run: ReportRun) -> int:
    """Tell the recipients the document is ready: a link, never the document itself."""
    to = report_run_recipients(run)
    if not to:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        context = {"run": run, "link": report_run_link(run), "period": run.period_obj}
        subject = render_to_string("monitoring/email/run_ready_subject.txt", context).strip()
        body = render_to_string("monitoring/email/run_ready.txt", context)
    return send_mail(subject, body, None, to)


def report_run_notify_users(run: ReportRun) -> None:
    """Tell, in the portal and as they prefer, who asked for the document; for a scheduled
    one, the officers of its province (none for the regional documents: their contacts get
    the e-mail above)."""
    if run.requested_by_id:
        recipients = [run.requested_by_id]
    elif run.province_id:
        recipients = list(province_officers([run.province_id]))
    else:
        recipients = []
    notifications.notify(
        recipients,
        NotificationKind.REPORT_READY,
        key=f"report:{run.pk}",
        url=reverse("monitoring:report_detail", args=[run.pk]),
        params={"report": run.filename},
    )


def deadline_notify(today: date | None = None) -> int:
    """Tell the officers of each open high-complexity procedure's provinces (the cruscotto's)
    that its income support ends within NOTIFY_DEADLINE_DAYS. Idempotent: one notification per
    deadline and officer however often it runs (a new end date is a new deadline). Returns the
    procedures told about."""
    today = today or timezone.localdate()
    last = today + timedelta(days=settings.NOTIFY_DEADLINE_DAYS)
    procedures = (
        CrisisProcedure.objects.filter(high_complexity=True, end_date__range=(today, last))
        .exclude(status=ProcedureStatus.CHIUSA)
        .select_related("company")
        .prefetch_related("units")
    )
    count = 0
    for procedure in procedures:
        provinces = {procedure.lead_province_id} | {u.province_id for u in procedure.units.all()}
        end = cast(date, procedure.end_date)  # within the range above: never empty
        notifications.notify(
            province_officers(provinces),
            NotificationKind.DEADLINE,
            key=f"deadline:{procedure.pk}:{end.isoformat()}",
            url=reverse("cases:procedure_detail", args=[procedure.pk]),
            params={
                "procedure": procedure.external_id,
                "company": procedure.company.name,
                "date": end.isoformat(),
            },
        )
        count += 1
    return count


# --- The dashboard's pre-aggregated tables (issue #12) -----------------------------------------


def _insert_from(
    model: type[models.Model], columns: list[str], rows: QuerySet, group: bool = False
) -> None:
    """``INSERT INTO model (columns) SELECT columns FROM (rows)``: counted and written by the
    database, never through Python. ``group``: count the rows per distinct ``columns``
    (the last column, the count, excluded) instead of taking ``rows`` as they are."""
    inner, params = rows.query.get_compiler(connection=connection).as_sql()
    names = ", ".join(columns)
    keys = ", ".join(columns[:-1])
    select = (
        f"SELECT {keys}, COUNT(*) FROM ({inner}) AS q GROUP BY {keys}"  # nosec B608 - inner is the ORM-compiled query; names are fields
        if group
        else f"SELECT {names} FROM ({inner}) AS q"  # nosec B608 - as above
    )
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {model._meta.db_table} ({names}) {select}", params)  # nosec B608 - as above


def dashboard_refresh() -> DashboardRefresh:
    """Rebuild the dashboard's pre-aggregated tables whole, in one transaction: readers see
    the previous figures until it commits, then the new ones. Concurrent rebuilds queue."""
    started = time.monotonic()
    by_procedure = {
        "province": F("unit__province"),
        "family": F("procedure__family"),
        "year": ExtractYear("procedure__opened_on"),
    }
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext('dashboard_refresh'))")
        for model in (DashboardInvolvements, DashboardActivationDays, DashboardStarts):
            model.objects.all().delete()
        _insert_from(
            DashboardInvolvements,
            ["province", "family", "year", "step", "outcome_kind", "workers"],
            Involvement.objects.order_by()
            .values(
                **by_procedure,
                step=F("current_step"),
                outcome_kind=Coalesce(F("outcome__kind"), Value("")),
            )
            .annotate(workers=Count("pk")),
        )
        _insert_from(
            DashboardActivationDays,
            ["province", "family", "year", "days", "workers"],
            activation_days(Involvement.objects.all(), **by_procedure),
            group=True,
        )
        _insert_from(
            DashboardStarts,
            ["province", "family", "month", "workers"],
            StepTransition.objects.filter(kind=MoveKind.START)
            .order_by()
            .values(
                province=F("involvement__unit__province"),
                family=F("involvement__procedure__family"),
                month=TruncMonth("effective_date"),
            )
            .annotate(workers=Count("involvement", distinct=True)),
        )
        DashboardRefresh.objects.all().delete()
        return DashboardRefresh.objects.create(
            finished_at=timezone.now(), seconds=round(time.monotonic() - started, 3)
        )


# --- provincial re-employment plans --------------------------------------------------------------

# The parts of a plan, in the order they are saved (indicators name target groups).
PLAN_PARTS: dict[str, type[models.Model]] = {
    "partners": PlanPartner,
    "phases": PlanPhase,
    "budget": PlanBudgetLine,
    "target_groups": PlanTargetGroup,
    "indicators": PlanIndicator,
}


def _plan_part_sync(
    plan: ReemploymentPlan,
    model: type[models.Model],
    rows: list[dict[str, Any]],
    user: UserOrSystem,
) -> None:
    """Make the plan's rows of ``model`` what ``rows`` say: a row with an ``id`` changes that
    row (``delete``: removes it), one without adds a row; rows not named stay. Only rows that
    change are written, each with its history row."""
    existing = {row.pk: row for row in model._default_manager.filter(plan=plan)}
    for data in rows:
        data = dict(data)
        pk = data.pop("id", None)
        delete = data.pop("delete", False)
        if pk is not None and pk not in existing:
            raise ValidationError(_("A row to change is not part of this plan."))
        instance = existing.get(pk) if pk is not None else None
        if delete:
            if instance is not None:
                if isinstance(instance, PlanTargetGroup):
                    # Its indicators count every worker from now on (recorded, one by one).
                    for indicator in instance.indicators.all():
                        indicator.target_group = None
                        save_validated(indicator, user=user)
                delete_recorded(instance, user=user)
            continue
        if instance is None:
            instance = model(plan=plan)
        elif all(getattr(instance, field) == value for field, value in data.items()):
            continue
        for field, value in data.items():
            setattr(instance, field, value)
        save_validated(instance, user=user)


def plan_check_parts(plan: ReemploymentPlan) -> None:
    """The rules between a plan and its parts, each refusal naming the field: phases inside
    the period, indicators counting a target group of this plan."""
    for phase in plan.phases.all():
        PlanPhase.check_dates(
            starts_on=phase.starts_on,
            ends_on=phase.ends_on,
            period_from=plan.period_from,
            period_to=plan.period_to,
        )
    foreign = plan.indicators.exclude(target_group__isnull=True).exclude(target_group__plan=plan)
    if foreign.exists():
        raise ValidationError({"target_group": _("Choose a target group of this plan.")})


@transaction.atomic
def plan_save(
    *,
    user: UserOrSystem,
    data: dict[str, Any],
    parts: dict[str, list[dict[str, Any]]] | None = None,
    plan: ReemploymentPlan | None = None,
) -> ReemploymentPlan:
    """Create or change a province's re-employment plan with its parts (``PLAN_PARTS``: lists
    of field dicts, ``id`` to change a row and ``delete`` to remove it).

    The Nucleo of the province writes its plans; the Region reads them (``PlanQuerySet``).
    The plan gets a history row at every save, each part it changes one too."""
    if plan is not None:
        if user is not None:
            ensure_editable(plan, user)
        plan = ReemploymentPlan.objects.select_for_update().get(pk=plan.pk)
    plan = plan or ReemploymentPlan()
    for field, value in data.items():
        setattr(plan, field, value)
    if plan.province_id and not may_act_in(user, plan.province_id):
        raise PermissionDenied(_("Plans are written by the Nucleo of their province."))
    save_validated(plan, user=user)
    for name, model in PLAN_PARTS.items():
        _plan_part_sync(plan, model, (parts or {}).get(name, []), user)
    plan_check_parts(plan)
    return plan


# --- Open data (issue #16 item 4) ----------------------------------------------------------------


class OpenDataWithheld(DomainError):
    """A release that would reveal a small group: a period not over yet, or a new version
    whose figures moved by less than the minimum cell since the last one."""

    code = "open_data_withheld"


def open_data_publish(
    dataset: str,
    period: str,
    *,
    data: dict | None = None,
    run: ReportRun | None = None,
    today: date | None = None,
) -> tuple[OpenDataRelease, bool]:
    """Publish the figures of ``dataset`` for ``period``: from ``data`` (a Region-scope report's,
    unsuppressed; built from the live data when None). The same figures as the latest version
    add nothing (that version, False); changed figures are version n+1 (True). Older versions
    stay. Releases are public and not historied: each row is itself a permanent record.

    Two versions side by side must not give away what the suppression withholds: only a
    period that is over is published (the running quarter's figures change every day), and a
    new version is refused (``OpenDataWithheld``) when any count moved by 1 to min_cell − 1
    since the latest version (the difference would count a small group: one worker's record
    corrected would show as +1 in every breakdown that holds them)."""
    spec = open_data.DATASETS[dataset]
    parsed = open_data.period_of(spec, period)
    if not parsed.is_over(today or timezone.localdate()):
        raise OpenDataWithheld(
            _("%(period)s is not over yet: open data publishes a period once it has ended.")
            % {"period": parsed.code}
        )
    if data is None:
        with translation.override(settings.LANGUAGE_CODE), replica_reads():
            data = reports.build(spec.kind, parsed, None)
    published = open_data.content(spec, data)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(hashtext(%s))",
                    [f"open_data:{dataset}:{parsed.code}"],
                )
        latest = OpenDataRelease.objects.of(dataset, parsed.code).order_by("-version").first()
        if (
            latest is not None
            and latest.csv_sha256 == published.csv_sha256
            and latest.json_sha256 == published.json_sha256
        ):
            return latest, False
        if latest is not None:
            moved = open_data.small_differences(latest.json, published.json, published.min_cell)
            if moved:
                raise OpenDataWithheld(
                    _(
                        "%(dataset)s %(period)s: %(count)s figures moved by less than "
                        "%(min_cell)s since version %(version)s (e.g. %(example)s); a new "
                        "version would reveal the change, so version %(version)s stays."
                    )
                    % {
                        "dataset": dataset,
                        "period": parsed.code,
                        "count": len(moved),
                        "min_cell": published.min_cell,
                        "version": latest.version,
                        "example": moved[0],
                    }
                )
        release = OpenDataRelease.objects.create(
            dataset=dataset,
            period=parsed.code,
            version=(latest.version + 1) if latest else 1,
            csv=published.csv,
            json=published.json,
            csv_sha256=published.csv_sha256,
            json_sha256=published.json_sha256,
            row_count=published.rows,
            min_cell=published.min_cell,
            suppressed_cells=published.suppressed,
            report_run=run,
        )
    log.info("open data %s published (%d rows)", release, release.row_count)
    return release, True


def open_data_publish_run(run: ReportRun, data: dict) -> OpenDataRelease | None:
    """After a Region-scope run succeeded: publish the dataset its figures feed, if any. A
    failure is logged, never the run's (the document is ready either way; the command
    ``publish_open_data`` publishes again)."""
    if run.province_id is not None:
        return None
    spec = open_data.dataset_of(run.kind, run.period_obj)
    if spec is None:
        return None
    try:
        with transaction.atomic():
            release, _created = open_data_publish(spec.slug, run.period, data=data, run=run)
    except OpenDataWithheld as withheld:
        log.info("open data from report run %s not published: %s", run.pk, withheld)
        return None
    except Exception:
        log.exception("open data from report run %s not published", run.pk)
        return None
    return release


def open_data_publish_all(dataset: str | None = None, period: str | None = None) -> list[tuple]:
    """What ``publish_open_data`` does: every dataset (or one) for every period a Region-scope
    run succeeded for (or the one named), from the live data. Returns (release, created) for
    each, or (None, why) where :class:`OpenDataWithheld` kept it back."""
    specs = [open_data.DATASETS[dataset]] if dataset else list(open_data.DATASETS.values())
    results: list[tuple[OpenDataRelease | None, bool | str]] = []
    for spec in specs:
        if period:
            periods = [period]
        else:
            runs = ReportRun.objects.filter(
                kind=spec.kind, province__isnull=True, status=RunStatus.SUCCEEDED
            ).values_list("period", flat=True)
            periods = sorted({p for p in runs if Period.parse(spec.kind, p).kind == spec.span})
        for code in periods:
            # From the live data: no run's figures, so the release names none.
            try:
                results.append(open_data_publish(spec.slug, code))
            except OpenDataWithheld as withheld:
                results.append((None, withheld.message))
    return results
