from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cases import interchange, services
from cases.api.serializers import (
    AgreementSerializer,
    CompanySerializer,
    ImportRequestSerializer,
    ImportResultSerializer,
    MeetingSerializer,
    ProcedureSerializer,
    UnitSerializer,
    UnitUpsertSerializer,
)
from cases.filtersets import (
    AgreementFilterSet,
    CompanyFilterSet,
    MeetingFilterSet,
    ProcedureFilterSet,
    UnitFilterSet,
)
from cases.models import Agreement, Company, CrisisProcedure, Meeting, ProductionUnit
from crisi_portal import exports
from crisi_portal.bulk import (
    BULK_MAX_ITEMS,
    BulkRequestSerializer,
    BulkResultSerializer,
    bulk_apply,
)
from crisi_portal.changes import ChangesFeedMixin
from crisi_portal.concurrency import (
    IF_MATCH,
    ConditionalViewSetMixin,
    PreconditionFailed,
    check_if_match,
    representation_etag,
)
from crisi_portal.errors import DomainError
from crisi_portal.models import ResourceFamily
from crisi_portal.parsers import JSONParser, MultiPartParser
from crisi_portal.roles import Role
from crisi_portal.scoping import visible_related
from crisi_portal.scoping_api import ScopedViewSetMixin
from crisi_portal.upload_guard import read_upload

READERS = frozenset({Role.PROVINCE_STAFF, Role.REGION_OFFICIAL, Role.API_CLIENT})
WRITERS = frozenset({Role.PROVINCE_STAFF, Role.API_CLIENT})


class CasesViewSet(ConditionalViewSetMixin, ScopedViewSetMixin, viewsets.ModelViewSet):
    resource_family = ResourceFamily.PROCEDURES
    read_roles = READERS
    write_roles = WRITERS
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]


def problem_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(description=f"{description} (application/problem+json)")


UPSERT_RESPONSES = {
    400: problem_response("The body is not JSON"),
    403: problem_response("The object is visible but yours to change is not"),
    412: problem_response("If-Match does not match the stored object's ETag: nothing changed"),
    413: problem_response("The body is too large"),
    422: problem_response("Not valid: errors[] names each field; nothing was saved"),
}
BULK_RESPONSES = {
    200: BulkResultSerializer,
    400: problem_response("The body is not JSON"),
    413: problem_response("The body is too large"),
    422: problem_response(
        "Some items are refused: errors[] gives each one's index, field and reason; "
        "nothing was saved"
    ),
}


class UpsertMixin:
    """Upsert by external id (one object, or up to BULK_MAX_ITEMS all or nothing)."""

    def upsert_one(self, item) -> tuple:
        raise NotImplementedError

    def stored_for(self, item):
        """The stored object the item names, among those the caller sees (or None)."""
        raise NotImplementedError

    def _upsert(self, request) -> Response:
        item = request.data
        with transaction.atomic():
            if request.headers.get("If-Match") is not None:
                stored = self.stored_for(item) if isinstance(item, dict) else None
                if stored is None:
                    raise PreconditionFailed(
                        _("If-Match names a version, but there is no such object."),
                        field="If-Match",
                    )
                check_if_match(request, self.object_etag(stored), required=False)
            obj, created = self.upsert_one(item)
        body = self.get_serializer(self.get_queryset().get(pk=obj.pk)).data
        response = Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
        response["ETag"] = representation_etag(body)
        return response

    def _bulk(self, request) -> Response:
        params = BulkRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        results = bulk_apply(params.validated_data["items"], self.upsert_one)
        items = [
            {"index": index, "id": obj.pk, "external_id": obj.external_id, "created": created}
            for index, (obj, created) in enumerate(results)
        ]
        created = sum(1 for item in items if item["created"])
        return Response({"created": created, "updated": len(items) - created, "items": items})


def bulk_request(serializer_class):
    return inline_serializer(
        name=f"{serializer_class.__name__.removesuffix('Serializer')}BulkRequest",
        fields={
            "items": serializer_class(many=True, min_length=1, max_length=BULK_MAX_ITEMS),
        },
    )


class ProcedureViewSet(ChangesFeedMixin, UpsertMixin, CasesViewSet):
    """Crisis procedures in the caller's provinces (lead province or a production unit)."""

    queryset = CrisisProcedure.objects.select_related("company", "lead_province").prefetch_related(
        Prefetch("units", queryset=ProductionUnit.objects.select_related("province", "cpi"))
    )
    serializer_class = ProcedureSerializer
    filterset_class = ProcedureFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    # The "import" throttle (crisi_portal.throttling).
    bulk_actions = frozenset({"import_csv", "bulk"})

    def get_queryset(self):
        return super().get_queryset().with_totals()

    def upsert_one(self, item) -> tuple[CrisisProcedure, bool]:
        serializer = ProcedureSerializer(data=item, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        company_data = data.pop("company")
        units = data.pop("units", [])
        return services.procedure_upsert(
            user=self.request.user, company_data=company_data, data=data, units=units
        )

    def stored_for(self, item):
        external_id = item.get("external_id")
        if not isinstance(external_id, str) or not external_id:
            return None
        return self.get_queryset().filter(external_id=external_id).first()

    @extend_schema(
        request=ProcedureSerializer,
        responses={200: ProcedureSerializer, 201: ProcedureSerializer, **UPSERT_RESPONSES},
        parameters=[IF_MATCH],
        summary="Create (201) or update (200) the procedure with this external_id",
        description=(
            "The external_id in the body is the key. A procedure in another province's scope "
            "answers as if it did not exist (its external id stays taken: 422). Units listed "
            "are upserted by their own external_id; others are kept. The answer carries the "
            "ETag; If-Match makes the update conditional."
        ),
    )
    @action(detail=False, methods=["post"], url_path="upsert", filterset_class=None)
    def upsert(self, request):
        return self._upsert(request)

    @extend_schema(
        request=bulk_request(ProcedureSerializer),
        responses=BULK_RESPONSES,
        summary=f"Upsert up to {BULK_MAX_ITEMS} procedures by external_id, all or nothing",
    )
    @action(detail=False, methods=["post"], url_path="bulk", filterset_class=None)
    def bulk(self, request):
        return self._bulk(request)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        company_data = data.pop("company")
        units = data.pop("units", [])
        # One transaction: a refused procedure must not leave its company behind.
        serializer.instance = services.procedure_create_with_company(
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
        parser_classes=[MultiPartParser],
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
        return exports.csv_response(
            interchange.export_rows(queryset), filename="procedures.csv", lineterminator="\n"
        )


class UnitViewSet(ChangesFeedMixin, UpsertMixin, CasesViewSet):
    """Production units (sedi operative); staff change the units of their own province."""

    queryset = ProductionUnit.objects.select_related("procedure", "province", "cpi")
    serializer_class = UnitSerializer
    filterset_class = UnitFilterSet
    bulk_actions = frozenset({"bulk"})  # the "import" throttle (crisi_portal.throttling)

    def upsert_one(self, item) -> tuple[ProductionUnit, bool]:
        serializer = UnitUpsertSerializer(data=item, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        procedure = data.pop("procedure")
        return services.unit_upsert(user=self.request.user, procedure=procedure, data=data)

    def stored_for(self, item):
        external_id, procedure = item.get("external_id"), item.get("procedure")
        if not isinstance(external_id, str) or not isinstance(procedure, int):
            return None
        return self.get_queryset().filter(procedure=procedure, external_id=external_id).first()

    @extend_schema(
        request=UnitUpsertSerializer,
        responses={200: UnitSerializer, 201: UnitSerializer, **UPSERT_RESPONSES},
        parameters=[IF_MATCH],
        summary="Create (201) or update (200) the unit with this external_id in the procedure",
    )
    @action(detail=False, methods=["post"], url_path="upsert", filterset_class=None)
    def upsert(self, request):
        return self._upsert(request)

    @extend_schema(
        request=bulk_request(UnitUpsertSerializer),
        responses=BULK_RESPONSES,
        summary=f"Upsert up to {BULK_MAX_ITEMS} units by (procedure, external_id), all or nothing",
    )
    @action(detail=False, methods=["post"], url_path="bulk", filterset_class=None)
    def bulk(self, request):
        return self._bulk(request)

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


# One content type per body (generated clients build one body per operation): a meeting's
# writes carry the minutes file, so the contract says multipart; JSON without minutes is
# still read, as before.
MEETING_MULTIPART = extend_schema(request={"multipart/form-data": MeetingSerializer})


@extend_schema_view(
    create=MEETING_MULTIPART, update=MEETING_MULTIPART, partial_update=MEETING_MULTIPART
)
class MeetingViewSet(ChangesFeedMixin, CasesViewSet):
    """Tables (tavoli) where procedures are discussed; minutes are uploaded as multipart."""

    queryset = Meeting.objects.select_related("province")
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilterSet
    parser_classes = [JSONParser, MultiPartParser]

    def get_queryset(self):
        # Only the procedures the caller sees are listed (a regional table's other provinces
        # are left out, not named).
        return (
            super()
            .get_queryset()
            .prefetch_related(
                visible_related("procedures", CrisisProcedure.objects.all(), self.request.user)
            )
        )

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


# As a meeting's: the writes carry the document, so the contract says multipart; JSON without
# a document is still read.
AGREEMENT_MULTIPART = extend_schema(request={"multipart/form-data": AgreementSerializer})


@extend_schema_view(
    create=AGREEMENT_MULTIPART, update=AGREEMENT_MULTIPART, partial_update=AGREEMENT_MULTIPART
)
class AgreementViewSet(ChangesFeedMixin, CasesViewSet):
    """Union and territorial agreements on the procedures in scope; written by who may change
    the procedure (its lead province)."""

    queryset = Agreement.objects.all()
    serializer_class = AgreementSerializer
    filterset_class = AgreementFilterSet
    parser_classes = [JSONParser, MultiPartParser]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        procedure = data.pop("procedure")
        serializer.instance = services.agreement_create(
            user=self.request.user, procedure=procedure, data=data
        )

    def perform_update(self, serializer):
        serializer.instance = services.agreement_update(
            user=self.request.user,
            agreement=serializer.instance,
            data=dict(serializer.validated_data),
        )

    def perform_destroy(self, instance):
        services.agreement_delete(user=self.request.user, agreement=instance)
