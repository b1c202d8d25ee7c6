from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crisi_portal.scoping import ScopedQuerySet
from monitoring.enums import ReportFormat, ReportKind, RunStatus, Trigger
from monitoring.periods import Period


class ReportRunQuerySet(ScopedQuerySet):
    def in_provinces(self, codes):
        # A Nucleo reads its own province's reports and the regional ones.
        return self.filter(Q(province__in=list(codes)) | Q(province__isnull=True))

    def editable_in_provinces(self, codes):
        return self.filter(province__in=list(codes))

    def editable_by_region(self):
        return self.all()

    def of_document(self, *, kind, period, format, province_id):
        """Every version of one document (kind, period, scope, format)."""
        return self.filter(kind=kind, period=period, format=format, province_id=province_id)

    def same_document(self):
        """Rows of the same document as the outer row of a subquery (its versions).

        The scope is compared through COALESCE so that regional runs (province NULL) match each
        other, which a plain ``province=OuterRef("province")`` never does in SQL.
        """
        return (
            self.annotate(scope_key=Coalesce("province_id", models.Value("")))
            .filter(
                kind=models.OuterRef("kind"),
                period=models.OuterRef("period"),
                format=models.OuterRef("format"),
                scope_key=Coalesce(models.OuterRef("province_id"), models.Value("")),
            )
            .order_by()
        )

    def latest_versions(self):
        """Only the newest version of each (kind, period, scope, format)."""
        newer = ReportRun.objects.same_document().filter(version__gt=models.OuterRef("version"))
        return self.filter(~models.Exists(newer))


def report_upload_to(run: "ReportRun", filename: str) -> str:
    return f"reports/{run.kind}/{run.period}/{filename}"


class ReportRun(models.Model):
    """One production of one report document: the source of truth, not Celery's result.

    A re-run of the same kind, period, scope and format is a new row with the next version;
    nothing is overwritten.
    """

    kind = models.CharField(_("report"), max_length=16, choices=ReportKind)
    period = models.CharField(_("period"), max_length=8, help_text=_("2025, 2025-Q3 or 2025-B3"))
    province = models.ForeignKey(
        "cases.Province",
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="report_runs",
        help_text=_("Empty for the regional document."),
    )
    format = models.CharField(_("format"), max_length=8, choices=ReportFormat)
    version = models.PositiveIntegerField(_("version"), default=1)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=RunStatus, default=RunStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    triggered_by = models.CharField(_("triggered by"), max_length=12, choices=Trigger)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to=report_upload_to, blank=True, max_length=200)
    size = models.PositiveBigIntegerField(_("size (bytes)"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    error = models.TextField(
        _("problems"), blank=True, help_text=_("Why an attempt failed; kept when a retry succeeds.")
    )
    task_id = models.CharField(max_length=64, blank=True)

    objects = ReportRunQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("report run")
        verbose_name_plural = _("report runs")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "period", "province", "format", "version"],
                condition=Q(province__isnull=False),
                name="report_run_version_unique_province",
            ),
            models.UniqueConstraint(
                fields=["kind", "period", "format", "version"],
                condition=Q(province__isnull=True),
                name="report_run_version_unique_region",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ReportKind.values), name="report_run_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(format__in=ReportFormat.values), name="report_run_format_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RunStatus.values), name="report_run_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=RunStatus.SUCCEEDED) | ~Q(sha256=""),
                name="report_run_succeeded_has_checksum",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "period"]),
            models.Index(fields=["status", "started_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period} {self.scope_code} v{self.version}"

    def get_absolute_url(self) -> str:
        return reverse("monitoring:report_detail", args=[self.pk])

    @property
    def scope_code(self) -> str:
        return self.province_id or "LOM"

    @property
    def scope_label(self) -> str:
        return self.province.name if self.province_id else str(_("Regione Lombardia"))

    @property
    def period_obj(self) -> Period:
        return Period.parse(self.kind, self.period)

    @property
    def filename(self) -> str:
        return f"{self.kind}_{self.period}_{self.scope_code}_v{self.version}.{self.format}"

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class ReportContactQuerySet(models.QuerySet):
    def for_scope(self, province_id: str | None):
        """Who is told about a document: a province's contacts, or everyone for regional ones."""
        active = self.filter(is_active=True)
        if province_id is None:
            return active
        return active.filter(province_id=province_id)


class ReportContact(models.Model):
    """Someone told by email when a report of their province (or a regional one) is ready."""

    province = models.ForeignKey(
        "cases.Province",
        verbose_name=_("province"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="report_contacts",
        help_text=_("Empty for the Region's own contacts."),
    )
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("email"))
    is_active = models.BooleanField(_("active"), default=True)

    objects = ReportContactQuerySet.as_manager()

    class Meta:
        ordering = ["province__position", "name"]
        verbose_name = _("report contact")
        verbose_name_plural = _("report contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["province", "email"], name="report_contact_unique_per_province"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


# --- The dashboard's pre-aggregated figures (issue #12) -----------------------------------------
# Counting every involvement and step move of the region on each request costs seconds at a
# million workers. These tables hold the same counts grouped by what the dashboard filters and
# groups by (province of the unit, family and year opened of the procedure), so a request sums a
# few hundred rows. They are derived data, rebuilt whole by ``services.dashboard_refresh`` (a
# beat task every few minutes, ``manage.py refresh_dashboard``): no foreign keys, plain codes.


class DashboardInvolvements(models.Model):
    """Involvements per province, family, year opened, current step and outcome kind."""

    province = models.CharField(max_length=2)
    family = models.CharField(max_length=32)
    year = models.IntegerField()
    step = models.CharField(max_length=8)
    outcome_kind = models.CharField(max_length=16, blank=True)  # "" without an outcome
    workers = models.IntegerField()

    def __str__(self) -> str:
        where = f"{self.province} {self.family} {self.year}"
        return f"{where} {self.step} {self.outcome_kind}: {self.workers}"


class DashboardActivationDays(models.Model):
    """Workers now at STEP_4 per province, family, year opened and whole days from their first
    STEP_1 move to their latest STEP_4 move: a histogram, from which the medians are exact."""

    province = models.CharField(max_length=2)
    family = models.CharField(max_length=32)
    year = models.IntegerField()
    days = models.IntegerField()
    workers = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.province} {self.family} {self.year} {self.days} days: {self.workers}"


class DashboardStarts(models.Model):
    """Workers taken in charge (a START move) per province, family and month of the move."""

    province = models.CharField(max_length=2)
    family = models.CharField(max_length=32)
    month = models.DateField()
    workers = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.province} {self.family} {self.month:%Y-%m}: {self.workers}"


class DashboardRefresh(models.Model):
    """The one row saying when the tables above were last rebuilt (none: never, read live)."""

    finished_at = models.DateTimeField()
    seconds = models.FloatField()

    def __str__(self) -> str:
        return f"{self.finished_at:%Y-%m-%d %H:%M} ({self.seconds} s)"
