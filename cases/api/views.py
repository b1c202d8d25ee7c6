import io

from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils.translation import ngettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from cases import interchange, services
from cases.api.serializers import (
    CompanySerializer,
    ImportRequestSerializer,
    ImportResultSerializer,
    MeetingSerializer,
    ProcedureSerializer,
    UnitSerializer,
)
from cases.filtersets import (
    CompanyFilterSet,
    MeetingFilterSet,
    ProcedureFilterSet,
    UnitFilterSet,
)
from cases.models import Company, CrisisProcedure, Meeting, ProductionUnit
from crisi_portal.concurrency import ConditionalViewSetMixin
from crisi_portal.parsers import JSONParser
from crisi_portal.problems import DomainError
from crisi_portal.roles import Role
from crisi_portal.scoping import ScopedViewSetMixin
from crisi_portal.upload_guard import read_upload

READERS = frozenset({Role.PROVINCE_STAFF, Role.REGION_OFFICIAL, Role.API_CLIENT})
WRITERS = frozenset({Role.PROVINCE_STAFF, Role.API_CLIENT})


class CasesViewSet(ConditionalViewSetMixin, ScopedViewSetMixin, viewsets.ModelViewSet):
    read_roles = READERS
    write_roles = WRITERS
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]


class ProcedureViewSet(CasesViewSet):
    """Crisis procedures in the caller's provinces (lead province or a production unit)."""

    queryset = CrisisProcedure.objects.select_related("company", "lead_province").prefetch_related(
        Prefetch("units", queryset=ProductionUnit.objects.select_related("province"))
    )
    serializer_class = ProcedureSerializer
    filterset_class = ProcedureFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    bulk_actions = frozenset({"import_csv"})  # the "import" throttle (crisi_portal.throttling)

    def get_queryset(self):
        return super().get_queryset().with_totals()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        company_data = data.pop("company")
        units = data.pop("units", [])
        # One transaction: a refused procedure must not leave its company behind.
        serializer.instance = services.create_procedure_with_company(
            user=self.request.user, company_data=company_data, data=data, units=units
        )

    @transaction.atomic
    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        company_data = data.pop("company", None)
        if company_data:
            services.company_upsert(
                user=self.request.user,
                **{"tax_code": serializer.instance.company.tax_code, **company_data},
            )
        serializer.instance = services.procedure_update(
            user=self.request.user, procedure=serializer.instance, data=data
        )

    @extend_schema(
        request={"multipart/form-data": ImportRequestSerializer},
        responses={200: ImportResultSerializer, 422: OpenApiResponse(description="Bad rows")},
        summary="Import the interchange CSV (idempotent upsert, all or nothing)",
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_csv(self, request):
        if not request.user.can_manage_procedures and request.user.role != Role.API_CLIENT:
            self.permission_denied(request)
        params = ImportRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        upload = params.validated_data["file"]
        # The upload guard's refusals (size, rows) reach the problem handler: 413 / 422.
        result = interchange.import_procedures(
            read_upload(upload), user=request.user, dry_run=params.validated_data["dry_run"]
        )
        if not result.ok:
            raise DomainError(
                ngettext(
                    "The file has %(n)d problem: nothing was imported.",
                    "The file has %(n)d problems: nothing was imported.",
                    len(result.errors),
                )
                % {"n": len(result.errors)},
                errors=[e.as_dict() for e in result.errors],
            )
        return Response(result.as_dict(), status=status.HTTP_200_OK)

    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.STR},
        summary="Export the procedures (filtered) as the interchange CSV",
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export_csv(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        buffer = io.StringIO()
        interchange.export_procedures(queryset, buffer)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="procedures.csv"'
        return response


class UnitViewSet(CasesViewSet):
    """Production units (sedi operative); staff change the units of their own province."""

    queryset = ProductionUnit.objects.select_related("procedure", "province")
    serializer_class = UnitSerializer
    filterset_class = UnitFilterSet

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        procedure = data.pop("procedure")
        serializer.instance = services.unit_create(
            user=self.request.user, procedure=procedure, data=data
        )

    def perform_update(self, serializer):
        serializer.instance = services.unit_update(
            user=self.request.user, unit=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.unit_delete(user=self.request.user, unit=instance)


class CompanyViewSet(CasesViewSet):
    """Companies with a procedure in the caller's provinces. Created with their procedure."""

    queryset = Company.objects.all()
    serializer_class = CompanySerializer
    filterset_class = CompanyFilterSet
    http_method_names = ["get", "head", "options"]


class MeetingViewSet(CasesViewSet):
    """Tables (tavoli) where procedures are discussed; minutes are uploaded as multipart."""

    queryset = Meeting.objects.select_related("province").prefetch_related("procedures")
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilterSet
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        procedures = data.pop("procedures")
        serializer.instance = services.meeting_create(
            user=self.request.user, data=data, procedures=procedures
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        procedures = data.pop("procedures", None)
        serializer.instance = services.meeting_update(
            user=self.request.user, meeting=serializer.instance, data=data, procedures=procedures
        )

    def perform_destroy(self, instance):
        services.meeting_delete(user=self.request.user, meeting=instance)
