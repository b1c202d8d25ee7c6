"""Reads of the report archive that need more than a queryset method."""

from datetime import date

from django.db.models import Count, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Province
from crisi_portal.scoping import AnyUser, may_request_report
from monitoring.enums import ReportKind, RunStatus
from monitoring.models import ReportRun, ReportRunQuerySet
from monitoring.periods import Period

REGIONAL = "regional"  # the scope value of the regional document in forms and filters


def archive(runs: ReportRunQuerySet | None = None) -> QuerySet[ReportRun]:
    """The archive as its list shows it: the newest version of each document, with how many
    versions it has and the newest version that is ready to download. Scope it with
    ``visible_to`` (the views' mixins do)."""
    runs = ReportRun.objects.all() if runs is None else runs
    versions = ReportRun.objects.same_document().values("kind").annotate(n=Count("pk")).values("n")
    ready = (
        ReportRun.objects.same_document().filter(status=RunStatus.SUCCEEDED).order_by("-version")
    )
    return (
        runs.latest_versions()
        .select_related("province", "requested_by")
        .annotate(
            version_count=Subquery(versions),
            ready_pk=Subquery(ready.values("pk")[:1]),
            ready_version=Subquery(ready.values("version")[:1]),
        )
    )


def versions_of(run: ReportRun) -> QuerySet[ReportRun]:
    """Every version of ``run``'s document, newest first."""
    return ReportRun.objects.of_document(
        kind=run.kind, period=run.period, format=run.format, province_id=run.province_id
    ).order_by("-version")


def requestable_scopes(user: AnyUser) -> list[tuple[str, str]]:
    """(value, label) of the scopes ``user`` may ask documents for, the Region first."""
    scopes = []
    if may_request_report(user, None):
        scopes.append((REGIONAL, _("Regione Lombardia")))
    for code, name in Province.objects.order_by("position").values_list("code", "name"):
        if may_request_report(user, code):
            scopes.append((code, name))
    return scopes


def requestable_kinds(user: AnyUser) -> list[ReportKind]:
    """The annual table is regional only: who may not ask for regional documents skips it."""
    kinds = [ReportKind.BIMONTHLY, ReportKind.QUARTERLY, ReportKind.PAL_MONITORING]
    if may_request_report(user, None):
        kinds.insert(0, ReportKind.ANNUAL)
    return kinds


def suggested_periods(today: date | None = None) -> dict[str, str]:
    """The last completed period of each kind, e.g. {"annual": "2025", "quarterly": "2026-Q3"}."""
    today = today or timezone.localdate()
    return {kind.value: Period.just_ended(kind, today).code for kind in ReportKind}
