import re

from django.db.models import Count, Prefetch
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from cases.models import CrisisProcedure
from crisi_portal import api_fields
from crisi_portal.concurrency import ConditionalViewSetMixin
from crisi_portal.errors import DomainError
from crisi_portal.models import ResourceFamily
from crisi_portal.parsers import MultiPartParser
from crisi_portal.roles import Role
from crisi_portal.scoping import has_role
from crisi_portal.scoping_api import RolePermission, ScopedViewSetMixin
from crisi_portal.upload_guard import read_upload
from workers import services
from workers.api.bulk import WorkerBulkDocSerializer, WorkerBulkSerializer, workers_upsert
from workers.api.serializers import (
    CohortAssignResultSerializer,
    CohortAssignSerializer,
    CohortMoveResultSerializer,
    CohortMoveSerializer,
    CohortSerializer,
    InvolvementMoveSerializer,
    InvolvementSerializer,
    OutcomeSerializer,
    TransitionSerializer,
    WorkerImportRequestSerializer,
    WorkerSearchSerializer,
    WorkerSerializer,
)
from workers.filtersets import (
    CohortFilterSet,
    InvolvementFilterSet,
    WorkerFilterSet,
    name_matches,
)
from workers.importers import import_workers
from workers.models import Cohort, Involvement, Outcome, Worker
from workers.selectors import can_see_identity, identity_reads_are_logged, log_identity_reads


class WorkerSearchPageSerializer(serializers.Serializer):
    """A page of workers, as every list answers it (the name search's answer)."""

    count = api_fields.IntegerField(required=False, help_text="Total rows (offset paging only).")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = WorkerSerializer(many=True)


READERS = frozenset({Role.PROVINCE_STAFF, Role.REGION_OFFICIAL, Role.API_CLIENT})
WRITERS = frozenset({Role.PROVINCE_STAFF, Role.API_CLIENT})

FISCAL_CODE_PARAMS = frozenset({"fiscal_code", "codice_fiscale", "cf"})
FISCAL_CODE_SHAPE = re.compile(
    r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$",
    re.IGNORECASE,
)


class FiscalCodeInQueryString(DomainError):
    """Fiscal codes never travel in a URL: they would be written to every access log."""

    status = 400
    code = "fiscal_code_in_query_string"
    echo_query = False


class NameInQueryString(DomainError):
    """Names never travel in a URL either: ``?q=`` was the name search, now POSTed."""

    status = 400
    code = "name_in_query_string"
    echo_query = False


NAME_PARAMS = frozenset({"q", "name", "search", "last_name", "first_name"})


def problem_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(description=f"{description} (application/problem+json)")


class ReadActionRolePermission(RolePermission):
    """``RolePermission`` where the viewset's ``read_actions`` count as reads even when POSTed."""

    def has_permission(self, request, view) -> bool:
        if getattr(view, "action", None) in getattr(view, "read_actions", ()):
            return has_role(request.user, view.read_roles)
        return super().has_permission(request, view)


class WorkersViewSet(ConditionalViewSetMixin, ScopedViewSetMixin, viewsets.GenericViewSet):
    """Scoped like every API viewset, plus the personal-data rules of §6."""

    permission_classes = [ReadActionRolePermission]
    resource_family = ResourceFamily.WORKERS
    read_roles = READERS
    write_roles = WRITERS
    read_actions: frozenset[str] = frozenset()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.identity_reads: dict[int, Worker] = {}
        for name, values in request.query_params.lists():
            if name.lower() in FISCAL_CODE_PARAMS or any(
                FISCAL_CODE_SHAPE.match(value.strip()) for value in values
            ):
                raise FiscalCodeInQueryString(
                    _("Fiscal codes never go in a URL: search with POST /api/v1/workers/search/."),
                    field=name,
                )
            if name.lower() in NAME_PARAMS:
                # Refused, not ignored: a client that believes it filtered would otherwise
                # receive (and store) every worker of its scope.
                raise NameInQueryString(
                    _(
                        "Names never go in a URL: search with POST /api/v1/workers/search/ "
                        "and the name in the body."
                    ),
                    field=name,
                )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        reads = getattr(self, "identity_reads", None)  # None outside a request (schema)
        if reads is not None and identity_reads_are_logged(self.request.user):
            context["identity_reads"] = reads
        return context

    def finalize_response(self, request, response, *args, **kwargs):
        # One row per worker whose identity was shown, written in one query.
        reads = getattr(self, "identity_reads", None)
        if reads and response.status_code < 400:
            log_identity_reads(request.user, reads.values(), purpose="api", path=request.path)
            reads.clear()
        return super().finalize_response(request, response, *args, **kwargs)


def procedure_in_scope(user, data: dict) -> CrisisProcedure:
    """The procedure a request body names by ``procedure`` (id) or ``procedure_external_id``,
    among those the user sees: out of scope is 404, like one that does not exist."""
    procedures = CrisisProcedure.objects.visible_to(user)
    if data.get("procedure"):
        procedure = procedures.filter(pk=data["procedure"]).first()
    else:
        procedure = procedures.filter(external_id=data.get("procedure_external_id")).first()
    if procedure is None:
        raise Http404
    return procedure


class WorkerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkersViewSet):
    """Workers with an involvement in the caller's provinces. Written through imports.

    Identities (fiscal code, names, birth date, contacts) are masked for Region officials
    without the personal-data permission; with it, every worker shown is logged.
    """

    queryset = Worker.objects.select_related("residence_province")
    serializer_class = WorkerSerializer
    filterset_class = WorkerFilterSet
    read_actions = frozenset({"search"})
    # The "import" throttle (crisi_portal.throttling).
    bulk_actions = frozenset({"import_list", "bulk"})

    def get_queryset(self):
        involvements = Involvement.objects.visible_to(self.request.user).select_related("procedure")
        return (
            super()
            .get_queryset()
            .prefetch_related(Prefetch("involvements", queryset=involvements.order_by("pk")))
        )

    @extend_schema(
        request=WorkerSearchSerializer,
        responses={
            200: PolymorphicProxySerializer(
                component_name="WorkerSearchResult",
                serializers=[WorkerSerializer, WorkerSearchPageSerializer],
                resource_type_field_name=None,
            ),
            400: problem_response("limit, offset or paging is not valid"),
            403: problem_response("Searching by name needs access to identities"),
            404: problem_response("No worker with that fiscal code in your scope"),
            422: problem_response("Not a valid fiscal code, or neither/both of fiscal_code, name"),
        },
        parameters=[
            OpenApiParameter(
                "limit",
                OpenApiTypes.INT,
                description="Name search: results per page, 1 to 500 (default 50).",
            ),
            OpenApiParameter(
                "offset", OpenApiTypes.INT, description="Name search: index of the first result."
            ),
        ],
        summary="Find workers by fiscal code (one worker) or by name (a page), in your scope",
        description=(
            "Fiscal codes and names are searched with POST so they never appear in a URL. "
            "fiscal_code: exact match, the answer is the worker (404 if none in your scope). "
            "name: every word in the last or first name, the answer is a page of workers "
            "(limit/offset in the query string; the next link is POSTed again with the same "
            "body)."
        ),
    )
    @action(detail=False, methods=["post"], url_path="search", filterset_class=None)
    def search(self, request):
        params = WorkerSearchSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        # The page parameters are the same contract whichever term is searched: read (or
        # refused with a 400) even when a fiscal code answers with one worker.
        self.paginator.get_limit(request)
        self.paginator.get_offset(request)
        if "name" in data:
            if not can_see_identity(request.user):
                raise PermissionDenied(_("Searching by name needs access to identities."))
            workers = self.get_queryset().filter(name_matches(data["name"]))
            workers = workers.order_by("last_name", "first_name", "pk")
            page = self.paginate_queryset(workers)
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        worker = self.get_queryset().filter(fiscal_code=data["fiscal_code"]).first()
        if worker is None:
            raise Http404
        return Response(self.get_serializer(worker).data)

    @extend_schema(
        request=WorkerBulkDocSerializer,
        responses={
            200: OpenApiResponse(description="What was (or, with dry_run, would be) saved"),
            400: problem_response("The body is not JSON"),
            404: problem_response("No such procedure in your scope"),
            413: problem_response("The body is too large"),
            422: problem_response(
                "Some items are refused: errors[] gives each one's index, field and reason; "
                "nothing was saved"
            ),
        },
        summary="Upsert up to 500 workers of a procedure by fiscal code, all or nothing",
        description=(
            "Workers are keyed on their fiscal code, sent only in the body. Each item takes "
            "the worker in charge in the procedure's unit (its external id), or updates the "
            "involvement; identities of stored workers are never overwritten. The same rules "
            "as POST /api/v1/workers/import/ (a worker list)."
        ),
    )
    @action(detail=False, methods=["post"], url_path="bulk", filterset_class=None)
    def bulk(self, request):
        params = WorkerBulkSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        procedure = procedure_in_scope(request.user, data)
        result = workers_upsert(
            procedure=procedure, items=data["items"], user=request.user, dry_run=data["dry_run"]
        )
        return Response(result.as_dict())

    @extend_schema(
        request={"multipart/form-data": WorkerImportRequestSerializer},
        responses={
            200: OpenApiResponse(description="What was (or, with dry_run, would be) imported"),
            404: problem_response("No such procedure in your scope"),
            422: problem_response("The file has bad rows: every bad line is listed"),
        },
        summary="Import a company's worker list (CSV or XLSX) into a procedure",
        description=(
            "Idempotent on fiscal code + procedure; a file with any bad row imports nothing "
            "and the problem lists every bad line with its column."
        ),
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        filterset_class=None,
        parser_classes=[MultiPartParser],
    )
    def import_list(self, request):
        params = WorkerImportRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        procedure = procedure_in_scope(request.user, data)
        upload = data["file"]
        # The upload guard's refusals (size, rows, hostile XLSX) reach the problem handler.
        result = import_workers(
            procedure,
            read_upload(upload),
            filename=upload.name,
            user=request.user,
            dry_run=data["dry_run"],
            profile=data.get("profile"),
        )
        if not result.ok:
            raise DomainError(
                ngettext(
                    "The file has %(n)d problem: nothing was imported.",
                    "The file has %(n)d problems: nothing was imported.",
                    len(result.errors),
                )
                % {"n": len(result.errors)},
                errors=[error.as_dict() for error in result.errors],
            )
        return Response(result.as_dict())


class CohortViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, WorkersViewSet
):
    """Cohorts (gruppi omogenei): workers of one procedure handled, and moved, together."""

    queryset = Cohort.objects.select_related("procedure", "unit")
    serializer_class = CohortSerializer
    filterset_class = CohortFilterSet
    # Moving a cohort moves its workers through the steps.
    action_resource_families = {"move": ResourceFamily.STEPS}
    bulk_actions = frozenset({"move", "assign"})  # the "import" throttle (crisi_portal.throttling)
    # If-Match on the cohort (optional): each worker's own move is guarded by its row lock.
    conditional_actions = frozenset({"move", "assign"})

    def get_queryset(self):
        return super().get_queryset().annotate(involvement_count=Count("involvements"))

    def perform_create(self, serializer):
        data = serializer.validated_data
        cohort = services.cohort_create(
            user=self.request.user,
            procedure=data["procedure"],
            unit=data.get("unit"),
            name=data["name"],
            notes=data.get("notes", ""),
        )
        serializer.instance = self.get_queryset().get(pk=cohort.pk)

    def _involvements_of(self, cohort: Cohort, ids: list[int] | None):
        involvements = cohort.involvements.select_related("worker").order_by("pk")
        if ids is None:
            return list(involvements)
        found = list(involvements.filter(pk__in=ids))
        missing = sorted(set(ids) - {i.pk for i in found})
        if missing:
            raise DomainError(
                _("Some involvements are not in this cohort: %(ids)s.")
                % {"ids": ", ".join(map(str, missing))},
                field="involvements",
            )
        return found

    @extend_schema(
        # JSON only: one content type per body, which generated clients need
        # (openapi-python-client emits broken code for several).
        request={"application/json": CohortMoveSerializer},
        responses={
            200: CohortMoveResultSerializer,
            403: problem_response("Not allowed to move these workers"),
            422: problem_response("Some workers cannot move; errors lists each, nobody moved"),
        },
        summary="Move the cohort's workers (or some of them) to a step, all or nothing",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def move(self, request, pk=None):
        cohort = self.get_object()
        params = CohortMoveSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        transitions = services.involvements_move(
            user=request.user,
            involvements=self._involvements_of(cohort, data.get("involvements")),
            to=data["to"],
            effective_date=data["effective_date"],
            reason=data["reason"],
            exemption_reason=data["exemption_reason"],
            measure=data["measure"],
        )
        return Response({"moved": len(transitions), "to": data["to"]})

    @extend_schema(
        request=CohortAssignSerializer,
        responses={
            200: CohortAssignResultSerializer,
            403: problem_response("Some workers are not in your provinces"),
            422: problem_response("Unknown involvements, or of another procedure"),
        },
        summary="Put workers (their involvements) into this cohort",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def assign(self, request, pk=None):
        cohort = self.get_object()
        params = CohortAssignSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        ids = set(params.validated_data["involvements"])
        involvements = list(Involvement.objects.visible_to(request.user).filter(pk__in=ids))
        missing = sorted(ids - {i.pk for i in involvements})
        if missing:
            raise DomainError(
                _("Unknown involvements: %(ids)s.") % {"ids": ", ".join(map(str, missing))},
                field="involvements",
            )
        assigned = services.cohort_assign(
            user=request.user, cohort=cohort, involvements=involvements
        )
        return Response({"assigned": assigned})


class InvolvementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, WorkersViewSet):
    """Workers in procedures and where they stand in the step model (§3).

    Steps change only through ``move``; every move is a transition of the timeline.
    """

    queryset = Involvement.objects.select_related(
        "worker", "procedure", "unit", "cohort", "outcome", "cpi"
    )
    serializer_class = InvolvementSerializer
    filterset_class = InvolvementFilterSet
    resource_family = ResourceFamily.STEPS
    # Workers' data: a write must show the version it was based on (428 without If-Match).
    conditional_actions = frozenset({"partial_update", "move", "outcome"})
    if_match_required = conditional_actions

    @extend_schema(
        request=InvolvementSerializer,
        responses={200: InvolvementSerializer, 403: problem_response("Not in your provinces")},
        summary="Change income support, hours reduction, period, unit or cohort",
    )
    def partial_update(self, request, pk=None):
        involvement = self.get_object()
        serializer = self.get_serializer(involvement, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.involvement_update(
            user=request.user, involvement=involvement, data=serializer.validated_data
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=involvement.pk)).data)

    @extend_schema(
        request=InvolvementMoveSerializer,
        responses={
            201: TransitionSerializer,
            403: problem_response("Not allowed (e.g. a correction by someone not province staff)"),
            409: problem_response("The worker was moved by someone else (expected_from)"),
            422: problem_response("The step model or its rules refuse the move"),
        },
        summary="Move the worker to another step",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def move(self, request, pk=None):
        involvement = self.get_object()
        params = InvolvementMoveSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        transition = services.involvement_move(
            user=request.user, involvement=involvement, **params.validated_data
        )
        return Response(TransitionSerializer(transition).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: TransitionSerializer(many=True)},
        summary="The worker's timeline in the step model, oldest move first",
    )
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def transitions(self, request, pk=None):
        involvement = self.get_object()
        transitions = involvement.transitions.select_related(
            "recorded_by", "exemption_reason", "measure"
        )
        return Response(TransitionSerializer(transitions, many=True).data)

    @extend_schema(
        request=OutcomeSerializer,
        responses={
            200: OutcomeSerializer,
            201: OutcomeSerializer,
            403: problem_response("Not in your provinces"),
            422: problem_response("Not a valid outcome (e.g. a date in the future)"),
        },
        summary="Record (201) or replace (200) where the worker ended up",
    )
    @action(detail=True, methods=["put"], filterset_class=None)
    def outcome(self, request, pk=None):
        involvement = self.get_object()
        params = OutcomeSerializer(data=request.data, context={"request": request})
        params.is_valid(raise_exception=True)
        existed = Outcome.objects.filter(involvement=involvement).exists()
        outcome = services.outcome_record(
            user=request.user, involvement=involvement, data=params.validated_data
        )
        return Response(
            OutcomeSerializer(outcome).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )
