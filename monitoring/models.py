from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.enums import Family
from crisi_portal.history import AuditedModel
from crisi_portal.scoping import ScopedQuerySet
from monitoring.enums import (
    AgeBand,
    OpenDataset,
    PartnerRole,
    PlanMetric,
    PlanStatus,
    ReportFormat,
    ReportKind,
    RunStatus,
    Trigger,
)
from monitoring.periods import Period
from pal.models import FundingSource
from workers.enums import IncomeSupport, Sex


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


class OpenDataReleaseQuerySet(models.QuerySet):
    """Releases are public: no scoping, every version of every dataset is open to all."""

    def of(self, dataset: str, period: str):
        return self.filter(dataset=dataset, period=period)

    def latest_versions(self):
        """Only the newest version of each (dataset, period)."""
        newer = OpenDataRelease.objects.filter(
            dataset=models.OuterRef("dataset"),
            period=models.OuterRef("period"),
            version__gt=models.OuterRef("version"),
        )
        return self.filter(~models.Exists(newer))


class OpenDataRelease(models.Model):
    """One published version of an open dataset for one period (issue #16 item 4).

    The content is aggregates only, with small cells withheld; it holds no version or date, so
    the same figures give the same bytes: publishing them again adds nothing, a changed figure
    is version n+1, and older versions stay downloadable."""

    dataset = models.CharField(_("dataset"), max_length=32, choices=OpenDataset)
    period = models.CharField(_("period"), max_length=8, help_text=_("2025 or 2025-Q3"))
    version = models.PositiveIntegerField(_("version"))
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    csv = models.TextField(_("CSV content"))
    json = models.TextField(_("JSON content"))
    csv_sha256 = models.CharField(_("CSV SHA-256"), max_length=64)
    json_sha256 = models.CharField(_("JSON SHA-256"), max_length=64)
    row_count = models.PositiveIntegerField(_("rows"))
    min_cell = models.PositiveSmallIntegerField(
        _("smallest count shown"), help_text=_("Counts from 1 to this minus one are withheld.")
    )
    suppressed_cells = models.PositiveIntegerField(_("withheld cells"), default=0)
    report_run = models.ForeignKey(
        ReportRun,
        verbose_name=_("report run"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="open_data_releases",
        help_text=_(
            "The Region-scope run whose figures these are; empty when published from "
            "the live data by the command."
        ),
    )

    objects = OpenDataReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["dataset", "-period", "-version"]
        verbose_name = _("open data release")
        verbose_name_plural = _("open data releases")
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "period", "version"], name="open_data_release_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(dataset__in=OpenDataset.values), name="open_data_release_dataset_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dataset} {self.period} v{self.version}"


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


# --- provincial re-employment plans (source 002: Piano di Azione provinciale per il Reimpiego) --


class PlanQuerySet(ScopedQuerySet):
    province_path = "province"

    def in_provinces(self, codes):
        return self.filter(province__in=list(codes))

    def with_totals(self):
        """``budget_total`` and ``indicator_count``, each in its own subquery (one join for
        both would multiply the budget by the indicators)."""
        budget = (
            PlanBudgetLine.objects.filter(plan=models.OuterRef("pk"))
            .order_by()
            .values("plan")
            .annotate(total=models.Sum("amount"))
            .values("total")
        )
        indicators = (
            PlanIndicator.objects.filter(plan=models.OuterRef("pk"))
            .order_by()
            .values("plan")
            .annotate(n=models.Count("id"))
            .values("n")
        )
        return self.annotate(
            budget_total=Coalesce(
                models.Subquery(budget),
                models.Value(0),
                output_field=models.DecimalField(max_digits=14, decimal_places=2),
            ),
            indicator_count=Coalesce(models.Subquery(indicators), models.Value(0)),
        )

    # Staff of the province write their plans (the default editable_in_provinces); the Region
    # reads and monitors every plan but does not write them: the plan is the Province's
    # territorial programming (L.R. 22/2006, source 002), so editable_by_region stays none.
    # Operators see none (the default for_operator).


class ReemploymentPlan(AuditedModel):
    """A province's re-employment plan for a period: partners, phases, budget, target groups
    and expected results whose current values the portal computes (``monitoring.plans``)."""

    title = models.CharField(_("title"), max_length=200)
    province = models.ForeignKey(
        "cases.Province",
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        related_name="reemployment_plans",
    )
    period_from = models.DateField(_("period from"))
    period_to = models.DateField(_("period to"))
    status = models.CharField(
        _("status"), max_length=12, choices=PlanStatus, default=PlanStatus.DRAFT
    )
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["-period_from", "province__position", "id"]
        verbose_name = _("re-employment plan")
        verbose_name_plural = _("re-employment plans")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_to__gte=models.F("period_from")), name="plan_period_ordered"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PlanStatus.values), name="plan_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=PlanStatus.DRAFT) | Q(approved_on__isnull=False),
                name="plan_approved_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.province_id} {self.period_from:%Y})"

    def get_absolute_url(self) -> str:
        return reverse("monitoring:plan_detail", args=[self.pk])

    @staticmethod
    def check_fields(*, period_from, period_to, status, approved_on) -> None:
        """The plan's own rules, each refusal on the field it names."""
        errors = {}
        if period_from and period_to and period_to < period_from:
            errors["period_to"] = _("The period ends before it starts.")
        if status in (PlanStatus.APPROVED, PlanStatus.CLOSED) and not approved_on:
            errors["approved_on"] = _("An approved or closed plan needs its approval date.")
        if errors:
            raise ValidationError(errors)

    def clean(self) -> None:
        self.check_fields(
            period_from=self.period_from,
            period_to=self.period_to,
            status=self.status,
            approved_on=self.approved_on,
        )


class PlanPartner(AuditedModel):
    plan = models.ForeignKey(ReemploymentPlan, on_delete=models.CASCADE, related_name="partners")
    role = models.CharField(_("role"), max_length=20, choices=PartnerRole)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["id"]
        verbose_name = _("plan partner")
        verbose_name_plural = _("plan partners")

    def __str__(self) -> str:
        return self.name


class PlanPhase(AuditedModel):
    plan = models.ForeignKey(ReemploymentPlan, on_delete=models.CASCADE, related_name="phases")
    name = models.CharField(_("phase"), max_length=200)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["starts_on", "id"]
        verbose_name = _("plan phase")
        verbose_name_plural = _("plan phases")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="plan_phase_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def check_dates(*, starts_on, ends_on, period_from, period_to) -> None:
        """A phase ends after it starts and lies inside the plan's period."""
        errors = {}
        if starts_on and ends_on and ends_on < starts_on:
            errors["ends_on"] = _("The phase ends before it starts.")
        if starts_on and period_from and period_to and not period_from <= starts_on <= period_to:
            errors["starts_on"] = _("The phase starts outside the plan's period.")
        if ends_on and period_from and period_to and not period_from <= ends_on <= period_to:
            errors["ends_on"] = _("The phase ends outside the plan's period.")
        if errors:
            raise ValidationError(errors)


class PlanBudgetLine(AuditedModel):
    plan = models.ForeignKey(ReemploymentPlan, on_delete=models.CASCADE, related_name="budget")
    funding_source = models.CharField(_("funding source"), max_length=32, choices=FundingSource)
    amount = models.DecimalField(
        _("amount (€)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    description = models.CharField(_("purpose"), max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="plan_budget_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_funding_source_display()}: {self.amount}"


class PlanTargetGroup(AuditedModel):
    """Whom the plan addresses; the criteria the portal stores narrow its indicators."""

    plan = models.ForeignKey(
        ReemploymentPlan, on_delete=models.CASCADE, related_name="target_groups"
    )
    description = models.CharField(_("description"), max_length=200)
    family = models.CharField(_("procedure family"), max_length=32, choices=Family, blank=True)
    age_band = models.CharField(
        _("age band"),
        max_length=10,
        choices=AgeBand,
        blank=True,
        help_text=_("Age on the plan's first day."),
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex, blank=True)
    income_support = models.CharField(
        _("income support"), max_length=16, choices=IncomeSupport, blank=True
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("target group")
        verbose_name_plural = _("target groups")

    def __str__(self) -> str:
        return self.description

    @property
    def has_filter(self) -> bool:
        return bool(self.family or self.age_band or self.sex or self.income_support)

    @property
    def criteria(self) -> list[str]:
        """The criteria set, as people read them."""
        labels = [
            self.get_family_display() if self.family else "",
            self.get_age_band_display() if self.age_band else "",
            self.get_sex_display() if self.sex else "",
            self.get_income_support_display() if self.income_support else "",
        ]
        return [str(label) for label in labels if label]


class PlanIndicator(AuditedModel):
    """An expected result: a metric the portal computes, with the plan's target value."""

    plan = models.ForeignKey(ReemploymentPlan, on_delete=models.CASCADE, related_name="indicators")
    metric = models.CharField(_("metric"), max_length=24, choices=PlanMetric)
    target = models.DecimalField(
        _("target value"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    label = models.CharField(_("label"), max_length=200, blank=True)
    target_group = models.ForeignKey(
        PlanTargetGroup,
        verbose_name=_("target group"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="indicators",
        help_text=_("Counts only the workers of this group (empty: every worker of the plan)."),
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.CheckConstraint(
                condition=Q(metric__in=PlanMetric.values), name="plan_indicator_metric_valid"
            ),
            models.CheckConstraint(condition=Q(target__gte=0), name="plan_indicator_target"),
        ]

    def __str__(self) -> str:
        return self.label or self.get_metric_display()
