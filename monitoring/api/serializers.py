"""Serializers of the monitoring API."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.enums import Family
from crisi_portal import api_fields
from monitoring.enums import (
    CONTENT_TYPES,
    PlanMetric,
    ReportFormat,
    ReportKind,
    ResultSystem,
    RunStatus,
)
from monitoring.models import (
    PlanBudgetLine,
    PlanPartner,
    PlanPhase,
    PlanTargetGroup,
    ReemploymentPlan,
    ReportRun,
)
from monitoring.plans import indicator_progress
from workers.enums import OutcomeKind, Step

# --- dashboard ---
# They describe (for the OpenAPI schema) the dict ``monitoring.dashboard.dashboard_data``
# returns; the view sends that dict as it is. Percentages: one decimal, null when there is
# nothing to divide by.


class DashboardFiltersSerializer(serializers.Serializer):
    year = api_fields.IntegerField(allow_null=True)
    province = api_fields.CharField(allow_null=True)
    family = serializers.ChoiceField(choices=Family.choices, allow_null=True)


class DashboardKpisSerializer(serializers.Serializer):
    procedures = api_fields.IntegerField()
    units = api_fields.IntegerField()
    workers_involved = api_fields.IntegerField(help_text="Sum of the units' workers involved.")
    involvements = api_fields.IntegerField(help_text="Workers taken in charge.")
    step_4 = api_fields.IntegerField()
    activation_rate = api_fields.FloatField(allow_null=True, help_text="STEP_4 share, %.")
    no_pal = api_fields.IntegerField()
    no_pal_share = api_fields.FloatField(allow_null=True)
    with_outcome = api_fields.IntegerField()
    with_outcome_share = api_fields.FloatField(allow_null=True)
    median_days_to_step_4 = api_fields.FloatField(
        allow_null=True,
        help_text="Median days from the first STEP_1 to the latest STEP_4 of workers at STEP_4.",
    )
    median_days_sample = api_fields.IntegerField()


class DashboardFunnelSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=Step.choices)
    current = api_fields.IntegerField(help_text="Workers now at this step.")
    current_pct = api_fields.FloatField(allow_null=True)
    reached = api_fields.IntegerField(
        help_text="Workers at this step or a later one (STEP_1..STEP_4); NO_PAL: as current."
    )
    reached_pct = api_fields.FloatField(allow_null=True)


class DashboardProvinceSerializer(serializers.Serializer):
    province = api_fields.CharField()
    name = api_fields.CharField()
    procedures = api_fields.IntegerField()
    units = api_fields.IntegerField()
    workers_involved = api_fields.IntegerField()
    involvements = api_fields.IntegerField()
    step_4 = api_fields.IntegerField()
    activation_rate = api_fields.FloatField(allow_null=True)
    median_days_to_step_4 = api_fields.FloatField(allow_null=True)
    reemployment_rate = api_fields.FloatField(
        allow_null=True, help_text="Re-employed within 12 months of STEP_1 (%), survival-style."
    )
    committed = api_fields.FloatField(
        allow_null=True, help_text="€ committed by approved PIPs; null: no Dote there."
    )
    delivered = api_fields.FloatField(
        allow_null=True, help_text="€ of services reported as delivered; null: no Dote there."
    )


class DashboardFamilySerializer(serializers.Serializer):
    family = serializers.ChoiceField(choices=Family.choices)
    procedures = api_fields.IntegerField()
    units = api_fields.IntegerField()
    workers_involved = api_fields.IntegerField()
    involvements = api_fields.IntegerField()
    step_4 = api_fields.IntegerField()
    activation_rate = api_fields.FloatField(allow_null=True)


class DashboardMonthSerializer(serializers.Serializer):
    month = api_fields.CharField(help_text="YYYY-MM")
    taken_in_charge = api_fields.IntegerField()


class DashboardOutcomeSerializer(serializers.Serializer):
    # A plain string: a second choice set named "kind" would collide in the schema's enums.
    kind = api_fields.CharField(help_text="One of: " + ", ".join(OutcomeKind.values))
    workers = api_fields.IntegerField()
    pct = api_fields.FloatField(allow_null=True)


class DashboardTablesSerializer(serializers.Serializer):
    year = api_fields.IntegerField()
    convener = api_fields.CharField(help_text="Province code, or LOM for the Region.")
    regional = api_fields.IntegerField(help_text="Tavoli Regionali di coordinamento.")
    bilateral = api_fields.IntegerField(help_text="Tavoli Bilaterali.")


class DashboardWindowsSerializer(serializers.Serializer):
    eligible_6 = api_fields.IntegerField(help_text="Taken in charge at least 6 months ago.")
    reemployed_6 = api_fields.IntegerField(help_text="Of them, re-employed within 6 months.")
    rate_6 = api_fields.FloatField(allow_null=True)
    eligible_12 = api_fields.IntegerField(help_text="Taken in charge at least 12 months ago.")
    reemployed_12 = api_fields.IntegerField(help_text="Of them, re-employed within 12 months.")
    rate_12 = api_fields.FloatField(allow_null=True)


class DashboardSegmentRowSerializer(DashboardWindowsSerializer):
    key = api_fields.CharField(
        allow_null=True, help_text="The segment's code (the CPI's name for cpi); null: unknown."
    )
    label = api_fields.CharField()


class DashboardDimensionSerializer(serializers.Serializer):
    dimension = api_fields.CharField(
        help_text="One of: sex, age_band, citizenship, education, cpi."
    )
    label = api_fields.CharField()
    rows = DashboardSegmentRowSerializer(many=True)


class DashboardReemploymentSerializer(serializers.Serializer):
    as_of = api_fields.CharField(help_text="The day the windows are measured at (today).")
    windows = serializers.ListField(child=api_fields.IntegerField())
    total = DashboardWindowsSerializer()
    by_province = serializers.DictField(child=DashboardWindowsSerializer())
    dimensions = DashboardDimensionSerializer(many=True)


class DashboardMoneyFiguresSerializer(serializers.Serializer):
    budget = api_fields.FloatField(
        allow_null=True, help_text="€; only for those who see the whole region."
    )
    assigned = api_fields.FloatField()
    committed = api_fields.FloatField()
    delivered = api_fields.FloatField()
    paid = api_fields.FloatField()
    left = api_fields.FloatField(allow_null=True, help_text="budget − committed.")


class DashboardMoneyRowSerializer(DashboardMoneyFiguresSerializer):
    key = serializers.JSONField(help_text="The source's or measure's id; the province's code.")
    label = api_fields.CharField()


class DashboardMoneySerializer(serializers.Serializer):
    totals = DashboardMoneyFiguresSerializer()
    by_source = DashboardMoneyRowSerializer(many=True)
    by_measure = DashboardMoneyRowSerializer(many=True)
    by_province = serializers.DictField(child=DashboardMoneyRowSerializer())


class DashboardSerializer(serializers.Serializer):
    filters = DashboardFiltersSerializer()
    provinces = serializers.ListField(
        child=api_fields.CharField(),
        allow_null=True,
        help_text="Provinces the figures are restricted to; null: the whole region.",
    )
    updated_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the workers' figures were last recomputed (every few minutes); "
        "null: counted for this answer.",
    )
    kpis = DashboardKpisSerializer()
    funnel = DashboardFunnelSerializer(many=True)
    by_province = DashboardProvinceSerializer(many=True)
    by_family = DashboardFamilySerializer(many=True)
    per_month = DashboardMonthSerializer(
        many=True,
        help_text="Twelve months: the selected year's, or the last twelve. By the date of "
        "STEP_1, whatever year the procedure was opened in.",
    )
    outcomes = DashboardOutcomeSerializer(many=True)
    tables = DashboardTablesSerializer(
        many=True,
        help_text="Regional and bilateral tables per year held and convener (a regional table "
        "counts once, for the Region).",
    )
    reemployment = DashboardReemploymentSerializer(
        help_text="Re-employment at 6 and 12 months after STEP_1, survival-style: only workers "
        "whose window has passed count; overall, by province and by sex, age band, "
        "citizenship group, education and CPI."
    )
    money = DashboardMoneySerializer(
        help_text="Assigned, committed, delivered and paid over the Doti in the caller's scope "
        "(not narrowed by year or family)."
    )


# --- operators' results ---


class OperatorFiguresSerializer(serializers.Serializer):
    workers = api_fields.IntegerField(help_text="Workers with a Dote (revoked ones excluded).")
    doti = api_fields.IntegerField()
    pips_approved = api_fields.IntegerField(help_text="Approved, in progress or concluded.")
    services_delivered = api_fields.IntegerField(help_text="PIP services reported.")
    delivered_amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    reemployed = api_fields.IntegerField(help_text="Re-employed on or after the Dote's start.")
    reemployment_rate = api_fields.FloatField(allow_null=True, help_text="% of workers.")
    median_days = api_fields.FloatField(
        allow_null=True, help_text="Median days from the Dote's start to re-employment."
    )


class OperatorOfficeResultsSerializer(OperatorFiguresSerializer):
    province = api_fields.CharField(help_text="The workers' unit province.")
    offices = serializers.ListField(
        child=api_fields.CharField(),
        help_text="The comuni of the operator's offices in that province (may be empty).",
    )


class OperatorLineSerializer(OperatorFiguresSerializer):
    operator = api_fields.IntegerField(help_text="Operator id.")
    operator_name = api_fields.CharField()
    is_public = serializers.BooleanField(help_text="A public employment centre (CPI).")
    offices = OperatorOfficeResultsSerializer(many=True)


class OperatorResultsSerializer(serializers.Serializer):
    operators = OperatorLineSerializer(many=True)
    total = OperatorFiguresSerializer(
        allow_null=True, help_text="A worker with Doti of two operators counts once."
    )


# --- report archive ---


class ReportRunSerializer(api_fields.ModelSerializer):
    """One version of one document, with where to poll it and where to download it."""

    province = api_fields.CharField(
        source="province_id",
        allow_null=True,
        read_only=True,
        help_text="Province code; null for the regional document.",
    )
    scope_label = api_fields.CharField(
        read_only=True, help_text="Regione Lombardia or the province's name."
    )
    period_label = serializers.SerializerMethodField()
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    duration_seconds = serializers.SerializerMethodField()
    filename = api_fields.CharField(read_only=True)
    content_type = serializers.SerializerMethodField()
    status_url = serializers.SerializerMethodField(
        help_text="This resource: poll it until status is succeeded or failed."
    )
    download_url = serializers.SerializerMethodField(
        help_text="The document; null until the run has succeeded."
    )
    web_url = serializers.SerializerMethodField(help_text="The run's page in the portal.")

    class Meta:
        model = ReportRun
        fields = [
            "id",
            "kind",
            "period",
            "period_label",
            "province",
            "scope_label",
            "format",
            "version",
            "status",
            "attempts",
            "triggered_by",
            "requested_by",
            "requested_at",
            "started_at",
            "finished_at",
            "duration_seconds",
            "filename",
            "content_type",
            "size",
            "sha256",
            "pages",
            "error",
            "parameters",
            "status_url",
            "download_url",
            "web_url",
        ]
        read_only_fields = fields

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_period_label(self, run: ReportRun) -> str:
        return run.period_obj.label

    def get_duration_seconds(self, run: ReportRun) -> float | None:
        return round(run.duration.total_seconds(), 3) if run.duration is not None else None

    def get_content_type(self, run: ReportRun) -> str:
        return CONTENT_TYPES[ReportFormat(run.format)]

    def get_status_url(self, run: ReportRun) -> str:
        return self._absolute(reverse("report-detail", args=[run.pk]))

    def get_download_url(self, run: ReportRun) -> str | None:
        if run.status != RunStatus.SUCCEEDED:
            return None
        return self._absolute(reverse("report-download", args=[run.pk]))

    def get_web_url(self, run: ReportRun) -> str:
        return self._absolute(run.get_absolute_url())


class ReportRequestSerializer(serializers.Serializer):
    """What to produce. The service decides whether the caller may ask for it."""

    kind = serializers.ChoiceField(choices=ReportKind.choices)
    period = api_fields.CharField(
        max_length=8,
        help_text="2025 (annual), 2025-Q3 (quarterly), 2025-B3 (bimonthly); 2025-Q3 or 2025 "
        "(pal_monitoring).",
    )
    province = api_fields.CharField(
        max_length=2,
        allow_null=True,
        allow_blank=True,
        required=False,
        default=None,
        help_text="Province code (bimonthly, quarterly, pal_monitoring); null or omitted: the "
        "regional "
        "document. The annual table is regional only.",
    )
    format = serializers.ChoiceField(choices=ReportFormat.choices)

    def validate_province(self, value: str | None) -> str | None:
        return value.strip().upper() or None if value else None


# --- provincial re-employment plans ---


class PlanPartnerSerializer(api_fields.ModelSerializer):
    class Meta:
        model = PlanPartner
        fields = ["role", "name"]


class PlanPhaseSerializer(api_fields.ModelSerializer):
    class Meta:
        model = PlanPhase
        fields = ["name", "starts_on", "ends_on", "description"]


class PlanBudgetLineSerializer(api_fields.ModelSerializer):
    class Meta:
        model = PlanBudgetLine
        fields = ["funding_source", "amount", "description"]


class PlanTargetGroupSerializer(api_fields.ModelSerializer):
    class Meta:
        model = PlanTargetGroup
        fields = ["id", "description", "family", "age_band", "sex", "income_support"]


class PlanIndicatorSerializer(serializers.Serializer):
    """One expected result with the value the portal computes now."""

    id = api_fields.IntegerField(source="indicator.pk")
    metric = serializers.ChoiceField(choices=PlanMetric.choices, source="indicator.metric")
    system = serializers.ChoiceField(choices=ResultSystem.choices)
    label = api_fields.CharField(source="indicator.label")
    target_group = api_fields.IntegerField(
        source="indicator.target_group_id", allow_null=True, help_text="A target group's id."
    )
    target = serializers.DecimalField(max_digits=14, decimal_places=2)
    value = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="Current value, computed now."
    )
    progress = api_fields.IntegerField(
        allow_null=True, help_text="The value as a percentage of the target (null: no target)."
    )


class PlanSerializer(api_fields.ModelSerializer):
    province = serializers.SlugRelatedField(slug_field="code", read_only=True)
    budget_total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = ReemploymentPlan
        fields = [
            "id",
            "title",
            "province",
            "period_from",
            "period_to",
            "status",
            "approved_on",
            "budget_total",
            "updated_at",
        ]


class PlanDetailSerializer(PlanSerializer):
    """A plan with its parts and the current value of each indicator."""

    notes = api_fields.CharField()
    partners = PlanPartnerSerializer(many=True, read_only=True)
    phases = PlanPhaseSerializer(many=True, read_only=True)
    budget = PlanBudgetLineSerializer(many=True, read_only=True)
    target_groups = PlanTargetGroupSerializer(many=True, read_only=True)
    indicators = serializers.SerializerMethodField()

    class Meta(PlanSerializer.Meta):
        fields = [
            *PlanSerializer.Meta.fields,
            "notes",
            "partners",
            "phases",
            "budget",
            "target_groups",
            "indicators",
        ]

    @extend_schema_field(PlanIndicatorSerializer(many=True))
    def get_indicators(self, plan):
        progress = indicator_progress(plan, list(plan.indicators.all()))
        return PlanIndicatorSerializer(progress, many=True).data
