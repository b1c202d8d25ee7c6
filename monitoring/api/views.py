"""Monitoring API views."""

import dataclasses
import re

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from cases.enums import PROVINCE_CODES, Family
from crisi_portal.concurrency import ConditionalViewSetMixin
from crisi_portal.errors import ConflictError, DomainError
from crisi_portal.filtersets import MAX_ID, NAMES_NOTHING, is_id
from crisi_portal.models import ResourceFamily
from crisi_portal.replica import ReplicaReadsMixin
from crisi_portal.roles import Role
from crisi_portal.scoping_api import ClientScopedViewMixin, RolePermission, ScopedViewSetMixin
from monitoring import services
from monitoring.api.serializers import (
    DashboardSerializer,
    OperatorResultsSerializer,
    PlanDetailSerializer,
    PlanSerializer,
    ReportRequestSerializer,
    ReportRunSerializer,
)
from monitoring.dashboard import dashboard_data
from monitoring.downloads import document_response
from monitoring.enums import CONTENT_TYPES, ReportKind, RunStatus, Trigger
from monitoring.filtersets import PlanFilterSet, ReportRunFilterSet
from monitoring.forms import (
    FIRST_YEAR,
    LAST_YEAR,
    DashboardFilterForm,
    OperatorResultsFilterForm,
)
from monitoring.models import PlanIndicator, ReemploymentPlan, ReportRun
from monitoring.operators import ORDERINGS, operator_results
from monitoring.periods import Period, PeriodError

# A year (2025) or a quarter (2025-Q3) from 2000 (periods.FIRST_YEAR), as the schema declares
# the operators' period.
PERIOD_PATTERN = r"^20\d{2}(-Q[1-4])?$"


def invalid_parameters(errors: list[dict]) -> "InvalidDashboardParameter":
    """The 400 naming each query parameter of ``errors`` ({"field", "message"} items)."""
    names = ", ".join(dict.fromkeys(error["field"] for error in errors))
    return InvalidDashboardParameter(
        _("Invalid query parameter: %(names)s.") % {"names": names}, errors=errors
    )


# --- dashboard ---


class InvalidDashboardParameter(DomainError):
    """A query parameter of the dashboard that cannot be read."""

    status = 400
    code = "invalid_parameter"


class OneObjectSchema(AutoSchema):
    """``list`` answers one object (the figures), not an array of them."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class DashboardViewSet(ReplicaReadsMixin, ClientScopedViewMixin, viewsets.ViewSet):
    """The aggregates behind the dashboard page, with the same filters (DOMAIN §5)."""

    schema = OneObjectSchema()
    permission_classes = [RolePermission]
    resource_family = ResourceFamily.REPORTS
    read_roles = frozenset({Role.PROVINCE_STAFF, Role.REGION_OFFICIAL, Role.API_CLIENT})

    @extend_schema(
        summary="Dashboard figures (KPIs, steps, provinces, families, months, outcomes)",
        description=(
            "Counted in the caller's scope: province staff and province-restricted clients get "
            "their own provinces only (another province yields empty figures). Units and "
            "workers count in the province of the production unit."
        ),
        parameters=[
            OpenApiParameter(
                "year",
                {"type": "integer", "minimum": FIRST_YEAR, "maximum": LAST_YEAR},
                description="Procedures opened in this year (default: every year). "
                "Also selects the twelve months of per_month.",
            ),
            OpenApiParameter(
                "province",
                OpenApiTypes.STR,
                enum=list(PROVINCE_CODES),
                description="Province code, e.g. BG (default: every province in scope).",
            ),
            OpenApiParameter("family", OpenApiTypes.STR, enum=Family.values),
        ],
        responses={
            200: DashboardSerializer,
            400: OpenApiResponse(description="A parameter is not valid (application/problem+json)"),
            403: OpenApiResponse(description="Operators have no dashboard"),
        },
    )
    def list(self, request):
        form = DashboardFilterForm(request.query_params, user=request.user)
        if not form.is_valid():
            raise invalid_parameters(
                [
                    {"field": field, "message": str(message)}
                    for field, messages in form.errors.items()
                    for message in messages
                ]
            )
        return Response(dashboard_data(request.user, **form.filters()))


# --- operators' results ---


class OperatorResultsViewSet(ReplicaReadsMixin, ClientScopedViewMixin, viewsets.ViewSet):
    """The operators' results page as data (issue #15): per operator and office."""

    schema = OneObjectSchema()
    permission_classes = [RolePermission]
    resource_family = ResourceFamily.REPORTS
    read_roles = frozenset(
        {Role.PROVINCE_STAFF, Role.REGION_OFFICIAL, Role.OPERATOR, Role.API_CLIENT}
    )

    @extend_schema(
        summary="Operators' results (workers taken, PIPs approved, services, re-employment)",
        description=(
            "Counted over the Doti in the caller's scope: the Region every operator, province "
            "staff the Doti of their provinces' workers, an operator (or a client restricted to "
            "one) its own. The office is the operator's office in the province of the worker's "
            "production unit; re-employed: an outcome dated on or after the Dote's start; "
            "median_days: from the Dote's start."
        ),
        parameters=[
            OpenApiParameter(
                "period",
                {"type": "string", "pattern": PERIOD_PATTERN},
                description="Doti started in this year (2025) or quarter (2025-Q3), among the "
                "last five years.",
            ),
            OpenApiParameter(
                "measure",
                {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                description="Measure id (one naming no measure matches nothing).",
            ),
            OpenApiParameter("province", OpenApiTypes.STR, enum=list(PROVINCE_CODES)),
            OpenApiParameter(
                "ordering",
                OpenApiTypes.STR,
                enum=[f"{sign}{key}" for key in ORDERINGS for sign in ("", "-")],
            ),
        ],
        responses={
            200: OperatorResultsSerializer,
            400: OpenApiResponse(description="A parameter is not valid (application/problem+json)"),
        },
    )
    def list(self, request):
        form = OperatorResultsFilterForm(
            request.query_params, user=request.user, today=timezone.localdate()
        )
        query = request.query_params
        empty = [
            name
            for name in ("period", "measure", "province")
            if name in query and not any(value.strip() for value in query.getlist(name))
        ]
        if empty:  # as for the collections: a blank value is no value of its type
            raise invalid_parameters(
                [
                    {"field": name, "message": _("Give a value, or leave the parameter out.")}
                    for name in empty
                ]
            )
        province = query.get("province", "").strip()
        if province and "province" not in form.fields:
            # An officer of one province has no province choice: theirs is the only one, any
            # other province matches nothing, and a code no province has is refused.
            if province.upper() not in PROVINCE_CODES:
                raise invalid_parameters(
                    [
                        {
                            "field": "province",
                            "message": _("%(code)s is not a Lombardy province code.")
                            % {"code": province[:8]},
                        }
                    ]
                )
        if form.is_valid():
            filters = form.filters()
            if province and "province" not in form.fields:
                filters = dataclasses.replace(filters, province=province.upper())
        elif (unknown := _unknown_objects(form, request.query_params)) is not None:
            # ``?measure=<an id naming no measure>`` or a province outside the caller's:
            # nothing matches, as for the collections' filters (out of scope looks the same).
            filters = dataclasses.replace(form.filters(), **unknown)
        else:
            raise invalid_parameters(
                [
                    {"field": field, "message": str(message)}
                    for field, messages in form.errors.items()
                    for message in messages
                ]
            )
        return Response(operator_results(request.user, filters, ordering=form.chosen_ordering()))


def _unknown_objects(form, query) -> dict | None:
    """The filters whose only fault is naming no object the form offers (a measure id, a
    province code), as values to filter by, so that they match nothing; None otherwise."""
    unknown: dict = {}
    for name, field_errors in form.errors.as_data().items():
        value = query.get(name, "").strip()
        if any(error.code not in NAMES_NOTHING for error in field_errors):
            return None
        if name == "measure" and is_id(value):
            unknown["measure"] = int(value)
        elif name == "period" and re.fullmatch(PERIOD_PATTERN, value):
            # A year or quarter the page does not offer (older than five years, or to come).
            kind = ReportKind.QUARTERLY if "-" in value else ReportKind.ANNUAL
            try:
                period = Period.parse(kind, value)
            except PeriodError:
                return None
            unknown["start"], unknown["end"] = period.start, period.end
        elif name == "province" and (value.upper() in PROVINCE_CODES or "\x00" in value):
            unknown["province"] = value.upper()
        else:
            return None
    return unknown


# --- report archive ---

REPORT_ROLES = frozenset({Role.PROVINCE_STAFF, Role.REGION_OFFICIAL, Role.API_CLIENT})


def problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(description=f"{description} (application/problem+json)")


class ReportNotReady(ConflictError):
    code = "not_ready"


class DocumentRenderer(BaseRenderer):
    """Lets a client ask for the document's own type (``Accept: application/pdf``): the action
    answers with the file itself, this renderer only passes content negotiation."""

    media_type = "*/*"
    format = "document"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


@extend_schema_view(
    list=extend_schema(summary="Report runs in the caller's scope, newest request first"),
    retrieve=extend_schema(
        summary="One report run: its status, checksum and links",
        responses={200: ReportRunSerializer, 404: problem("No such run in your scope")},
    ),
    create=extend_schema(
        summary="Request a document: a new version is queued",
        description=(
            "Answers 202 Accepted with the queued run and a Location header: poll "
            "`status_url` until `status` is `succeeded` (then fetch `download_url`) or "
            "`failed`. Province staff and province-restricted clients ask for their own "
            "provinces' bimonthly and quarterly documents; the annual table is regional."
        ),
        # JSON only in the schema, as for cohort moves (workers/api/views.py).
        request={"application/json": ReportRequestSerializer},
        responses={
            202: ReportRunSerializer,
            403: problem("Operators do not request reports"),
            422: problem("Refused: errors[].field names the input (kind, period, province…)"),
        },
    ),
)
class ReportRunViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    ConditionalViewSetMixin,
    ScopedViewSetMixin,
    viewsets.GenericViewSet,
):
    """Official report documents (DOMAIN §5): the annual table, bimonthly reports and
    quarterly PAL monitoring, every version kept. Province staff and province-restricted
    clients see their provinces' documents and the regional ones."""

    queryset = ReportRun.objects.select_related("province", "requested_by")
    serializer_class = ReportRunSerializer
    filterset_class = ReportRunFilterSet
    resource_family = ResourceFamily.REPORTS
    read_roles = REPORT_ROLES
    write_roles = REPORT_ROLES
    http_method_names = ["get", "post", "head", "options"]
    # Runs are written by the workers, not by clients: ETags on reads (polling gets 304).
    etag_after_actions = frozenset()

    def get_serializer_class(self):
        if self.action == "create":
            return ReportRequestSerializer
        return ReportRunSerializer

    def create(self, request, *args, **kwargs):
        params = ReportRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        run = services.report_run_request(
            kind=data["kind"],
            period=data["period"],
            fmt=data["format"],
            province=data["province"],
            trigger=Trigger.API,
            user=request.user,
        )
        body = ReportRunSerializer(run, context=self.get_serializer_context()).data
        headers = {"Location": body["status_url"]}
        return Response(body, status=status.HTTP_202_ACCEPTED, headers=headers)

    @extend_schema(
        summary="Download the document of a run that has succeeded",
        description=(
            "The file as an attachment, with `Repr-Digest: sha-256=:…:` (RFC 9530) and an "
            "ETag equal to the run's SHA-256."
        ),
        responses={
            **{(200, ct.split(";")[0]): OpenApiTypes.BINARY for ct in CONTENT_TYPES.values()},
            404: problem("No such run in your scope"),
            409: problem("The run has not succeeded (yet): detail gives its status"),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, DocumentRenderer])
    def download(self, request, pk=None):
        run = self.get_object()
        if run.status != RunStatus.SUCCEEDED:
            raise ReportNotReady(_("Not ready: status %(status)s.") % {"status": run.status})
        return document_response(run)


# --- provincial re-employment plans ---


@extend_schema_view(
    list=extend_schema(
        summary="Re-employment plans in the caller's scope",
        description=(
            "Province staff and province-restricted clients see their provinces' plans; "
            "the list carries no figures (open a plan for its indicators' current values)."
        ),
    ),
    retrieve=extend_schema(
        summary="One plan with its parts and each indicator's current value",
        description=(
            "Values are computed at the request from the portal's data: workers of production "
            "units in the plan's province, events dated within its period."
        ),
        responses={200: PlanDetailSerializer, 404: problem("No such plan in your scope")},
    ),
)
class PlanViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    ReplicaReadsMixin,
    ScopedViewSetMixin,
    viewsets.GenericViewSet,
):
    """Provincial re-employment plans (source 002), read-only: they are written on the
    plan pages by the Nucleo of their province."""

    queryset = ReemploymentPlan.objects.select_related("province").order_by(
        *ReemploymentPlan._meta.ordering
    )
    serializer_class = PlanSerializer
    filterset_class = PlanFilterSet
    resource_family = ResourceFamily.REPORTS
    read_roles = REPORT_ROLES

    def get_queryset(self):
        queryset = super().get_queryset().with_totals()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                "partners",
                "phases",
                "budget",
                "target_groups",
                Prefetch(
                    "indicators", queryset=PlanIndicator.objects.select_related("target_group")
                ),
            )
        return queryset

    def get_serializer_class(self):
        return PlanDetailSerializer if self.action == "retrieve" else PlanSerializer
