from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crisi_portal.concurrency import ConditionalViewSetMixin
from crisi_portal.models import ResourceFamily
from crisi_portal.roles import Role
from crisi_portal.scoping import has_role
from crisi_portal.scoping_api import RolePermission, ScopedViewSetMixin
from pal import selectors, services
from pal.api.serializers import (
    CertificationSerializer,
    DoteSerializer,
    FundSerializer,
    MeasureSerializer,
    NetworkSerializer,
    NetworkServiceSerializer,
    NetworkShareSerializer,
    OperatorSerializer,
    PIPApprovalSerializer,
    PIPApproveSerializer,
    PIPReturnSerializer,
    PIPSerializer,
    PIPServiceSerializer,
    PIPWithdrawSerializer,
    QualificationSerializer,
)
from pal.filtersets import (
    CertificationFilterSet,
    DoteFilterSet,
    FundFilterSet,
    MeasureFilterSet,
    NetworkFilterSet,
    NetworkServiceFilterSet,
    NetworkShareFilterSet,
    OperatorFilterSet,
    PIPFilterSet,
    QualificationFilterSet,
)
from pal.models import (
    PIP,
    CompetenceCertification,
    Dote,
    Fund,
    Measure,
    Network,
    NetworkMember,
    NetworkService,
    NetworkShare,
    Operator,
    PIPTransition,
    Qualification,
)
from workers.api.views import WorkersViewSet

EVERYONE = frozenset({Role.PROVINCE_STAFF, Role.REGION_OFFICIAL, Role.OPERATOR, Role.API_CLIENT})
REGION = frozenset({Role.REGION_OFFICIAL})
OPERATORS = frozenset({Role.OPERATOR})
REVIEWERS = frozenset({Role.PROVINCE_STAFF})

HTTP_METHODS = ["get", "post", "patch", "head", "options"]


def problem_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(description=f"{description} (application/problem+json)")


class ActionRolePermission(RolePermission):
    """``RolePermission`` where an action may name its own roles in the viewset's ``action_roles``.

    PIPs are written by operators but reviewed (approve, return) by province staff.
    """

    def has_permission(self, request, view) -> bool:
        roles = getattr(view, "action_roles", {}).get(getattr(view, "action", None))
        if roles is None:
            return super().has_permission(request, view)
        return has_role(request.user, roles)


# --- Reference data: everyone reads, the Region manages ------------------------------------------


class ReferenceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ConditionalViewSetMixin,
    ScopedViewSetMixin,
    viewsets.GenericViewSet,
):
    resource_family = ResourceFamily.PAL
    read_roles = EVERYONE
    write_roles = REGION
    http_method_names = HTTP_METHODS


class OperatorViewSet(ReferenceViewSet):
    """Accredited operators (enti accreditati, CPI included) with their offices."""

    queryset = Operator.objects.prefetch_related("offices__province")
    serializer_class = OperatorSerializer
    filterset_class = OperatorFilterSet

    def _save(self, serializer, operator=None):
        data = dict(serializer.validated_data)
        offices = data.pop("offices", None)
        operator = services.operator_save(
            user=self.request.user, data=data, offices=offices, operator=operator
        )
        serializer.instance = self.get_queryset().get(pk=operator.pk)

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)


class MeasureViewSet(ReferenceViewSet):
    """Active-policy measures (misure) with their caps, budget and exclusivity."""

    queryset = Measure.objects.all()
    serializer_class = MeasureSerializer
    filterset_class = MeasureFilterSet

    def perform_create(self, serializer):
        serializer.instance = services.measure_save(
            user=self.request.user, data=serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.measure_save(
            user=self.request.user, data=serializer.validated_data, measure=serializer.instance
        )


# --- Doti and PIPs: they carry workers, so the personal-data rules of §6 apply ----------------


class PALViewSet(WorkersViewSet):
    permission_classes = [ActionRolePermission]
    resource_family = ResourceFamily.PAL
    read_roles = EVERYONE
    action_roles: dict[str, frozenset[str]] = {}
    http_method_names = HTTP_METHODS


@extend_schema_view(
    create=extend_schema(
        summary="Open a Dote for a worker who chose the caller's organisation",
        responses={
            201: DoteSerializer,
            403: problem_response("Only operator staff assign Doti"),
            422: problem_response("A rule refuses the Dote; code names it (e.g. cap_per_worker)"),
        },
    )
)
class DoteViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, PALViewSet
):
    """Doti with their ledger: committed by PIPs, delivered, remaining.

    Operators see their organisation's Doti, province staff those of their workers.
    """

    queryset = Dote.objects.select_related(
        "involvement__worker", "measure", "operator"
    ).with_ledger()
    serializer_class = DoteSerializer
    filterset_class = DoteFilterSet
    write_roles = OPERATORS

    def perform_create(self, serializer):
        user = self.request.user
        if user.operator is None:
            self.permission_denied(self.request, message="Only operator staff assign Doti.")
        data = serializer.validated_data
        # The worker is not (yet) the operator's: reading their identity is logged, as in the
        # browser's fiscal-code lookup.
        selectors.log_operator_lookup(user, data["involvement"].worker, path=self.request.path)
        dote = services.dote_assign(
            user=user,
            involvement=data["involvement"],
            measure=data["measure"],
            operator=user.operator,
            value=data["value"],
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
        )
        serializer.instance = self.get_queryset().get(pk=dote.pk)


PIP_ACTION_RESPONSES = {
    200: PIPSerializer,
    403: problem_response("Not allowed for the caller's role or organisation"),
    404: problem_response("No such PIP in your scope"),
    422: problem_response("The workflow or a rule refuses the move; code names it"),
}


@extend_schema_view(
    create=extend_schema(
        summary="File a draft PIP on one of the organisation's Doti",
        responses={201: PIPSerializer, **PIP_ACTION_RESPONSES},
    ),
    partial_update=extend_schema(
        summary="Change a draft (or returned) PIP; services sent replace the previous ones",
        responses=PIP_ACTION_RESPONSES,
    ),
)
class PIPViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    PALViewSet,
):
    """PIPs (Piani di Intervento Personalizzati) with their services and workflow.

    The Dote's operator files, submits, starts, concludes or withdraws them; the crisis unit
    of the worker's province approves them or returns them with a note.
    """

    queryset = PIP.objects.select_related(
        "dote__involvement__worker", "dote__measure", "decided_by"
    ).prefetch_related(
        "services",
        Prefetch("transitions", queryset=PIPTransition.objects.select_related("by")),
    )
    serializer_class = PIPSerializer
    filterset_class = PIPFilterSet
    write_roles = OPERATORS
    action_roles = {"approve": REVIEWERS, "return_pip": REVIEWERS}
    # Reviewers see the PIP but may not edit it: their actions skip the edit check and the
    # service decides (reviewable_by).
    review_actions = frozenset({"approve", "return_pip"})
    conditional_actions = frozenset(
        {"partial_update", "submit", "approve", "return_pip", "withdraw", "start", "conclude"}
    )

    def get_queryset(self):
        return super().get_queryset().with_total()

    def get_object(self):
        if self.action in self.review_actions:
            if self._is_conditional_write():
                self._lock()
            pip = viewsets.GenericViewSet.get_object(self)
            self.check_preconditions(pip)
            return pip
        return super().get_object()

    def _fresh(self, pip: PIP) -> PIP:
        return self.get_queryset().get(pk=pip.pk)

    def perform_create(self, serializer):
        data = serializer.validated_data
        pip = services.pip_save(
            user=self.request.user,
            dote=data["dote"],
            objectives=data.get("objectives", ""),
            services=data["services"],
        )
        serializer.instance = self._fresh(pip)

    def perform_update(self, serializer):
        pip = serializer.instance
        data = serializer.validated_data
        if "services" in data:
            planned = data["services"]
        else:
            fields = [name for name in PIPServiceSerializer.Meta.fields if name != "id"]
            fields = [f for f in fields if not f.startswith("delivered")]
            planned = list(pip.services.values(*fields))
        pip = services.pip_save(
            user=self.request.user,
            dote=pip.dote,
            objectives=data.get("objectives", pip.objectives),
            services=planned,
            pip=pip,
        )
        serializer.instance = self._fresh(pip)

    def _respond(self, pip: PIP) -> Response:
        return Response(PIPSerializer(self._fresh(pip), context=self.get_serializer_context()).data)

    @extend_schema(
        request=None,
        responses=PIP_ACTION_RESPONSES,
        summary="Submit the PIP to the province (checks caps, Dote value, exclusivity)",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def submit(self, request, pk=None):
        return self._respond(services.pip_submit(user=request.user, pip=self.get_object()))

    @extend_schema(
        request=PIPApproveSerializer,
        responses={**PIP_ACTION_RESPONSES, 200: PIPApprovalSerializer},
        summary="Approve the PIP (province staff); the worker may reach STEP 4",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def approve(self, request, pk=None):
        pip = self.get_object()
        params = PIPApproveSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        approval = services.pip_approve(
            user=request.user, pip=pip, activate_step_4=params.validated_data["activate_step_4"]
        )
        pip = self._fresh(approval.pip)
        pip.moved_to_step_4 = approval.moved_to_step_4
        pip.step_note = approval.step_note
        return Response(PIPApprovalSerializer(pip, context=self.get_serializer_context()).data)

    @extend_schema(
        request=PIPReturnSerializer,
        responses=PIP_ACTION_RESPONSES,
        summary="Return the PIP to the operator with a note (province staff)",
    )
    @action(
        detail=True, methods=["post"], url_path="return", url_name="return", filterset_class=None
    )
    def return_pip(self, request, pk=None):
        pip = self.get_object()
        params = PIPReturnSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        return self._respond(
            services.pip_return(user=request.user, pip=pip, note=params.validated_data["note"])
        )

    @extend_schema(
        request=PIPWithdrawSerializer,
        responses=PIP_ACTION_RESPONSES,
        summary="Withdraw the PIP (from any state but concluded or withdrawn)",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def withdraw(self, request, pk=None):
        pip = self.get_object()
        params = PIPWithdrawSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        return self._respond(
            services.pip_withdraw(user=request.user, pip=pip, note=params.validated_data["note"])
        )

    @extend_schema(
        request=None,
        responses=PIP_ACTION_RESPONSES,
        summary="Start delivering an approved PIP",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def start(self, request, pk=None):
        return self._respond(services.pip_start(user=request.user, pip=self.get_object()))

    @extend_schema(
        request=None,
        responses=PIP_ACTION_RESPONSES,
        summary="Conclude a PIP in progress (its Dote is concluded too)",
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def conclude(self, request, pk=None):
        return self._respond(services.pip_conclude(user=request.user, pip=self.get_object()))


# --- Networks ------------------------------------------------------------------------------


@extend_schema_view(
    create=extend_schema(
        responses={
            201: NetworkSerializer,
            403: problem_response("Networks are managed by the Region"),
            422: problem_response("A rule refuses the network (e.g. network_lead)"),
        }
    )
)
class NetworkViewSet(ReferenceViewSet):
    """Networks for collective relocation (reti), with their members and validity checklist.

    Operators see the networks they lead or belong to; province staff those of their territory.
    """

    queryset = Network.objects.select_related("lead", "province", "measure").prefetch_related(
        "procedures",
        "cohorts",
        Prefetch("members", queryset=NetworkMember.objects.select_related("operator", "province")),
    )
    serializer_class = NetworkSerializer
    filterset_class = NetworkFilterSet

    def _save(self, serializer, network=None):
        data = dict(serializer.validated_data)
        members = data.pop("members", None)
        if members is None:  # a PATCH without members keeps them
            members = [
                {field: getattr(m, field) for field in ("kind", "name", "operator", "province")}
                for m in network.members.all()
            ]
        network = services.network_save(
            user=self.request.user, data=data, members=members, network=network
        )
        serializer.instance = self.get_queryset().get(pk=network.pk)

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)


# --- Services delivered by a network's members (source 003) -----------------------------------


class NetworkRowsViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, ScopedViewSetMixin, viewsets.GenericViewSet
):
    resource_family = ResourceFamily.PAL
    read_roles = EVERYONE
    write_roles = OPERATORS
    http_method_names = ["get", "post", "head", "options"]


@extend_schema_view(
    create=extend_schema(
        summary="The lead gives a member its share (in euro) of one of the lead's Doti",
        responses={
            201: NetworkShareSerializer,
            403: problem_response("Only the lead's staff give shares"),
            422: problem_response("The shares would exceed the Dote (code network_share)"),
        },
    )
)
class NetworkShareViewSet(NetworkRowsViewSet):
    """Members' shares of the lead's Doti, with what each member delivered and what remains.

    The Nucleo of the network's territory and the Region read all; the lead's staff the shares
    of its networks; a member its own. No worker identity: Doti are named by id.
    """

    queryset = NetworkShare.objects.all()
    serializer_class = NetworkShareSerializer
    filterset_class = NetworkShareFilterSet

    def get_queryset(self):
        return selectors.shares_with_delivered(super().get_queryset()).order_by("pk")

    def perform_create(self, serializer):
        data = serializer.validated_data
        share = services.network_share_set(
            user=self.request.user,
            network=data["network"],
            operator=data["operator"],
            dote=data["dote"],
            amount=data["amount"],
        )
        serializer.instance = self.get_queryset().get(pk=share.pk)


@extend_schema_view(
    create=extend_schema(
        summary="A member reports a service it delivered to the network's workers",
        responses={
            201: NetworkServiceSerializer,
            403: problem_response("Only the network's members report its services"),
            422: problem_response("A rule refuses the report; code names it"),
        },
    )
)
class NetworkServiceViewSet(NetworkRowsViewSet):
    """Services the members of a network delivered, each split per worker's Dote (lines)."""

    queryset = NetworkService.objects.prefetch_related(selectors.LINES).order_by(
        "-delivered_on", "-id"
    )
    serializer_class = NetworkServiceSerializer
    filterset_class = NetworkServiceFilterSet

    def perform_create(self, serializer):
        user = self.request.user
        data = dict(serializer.validated_data)
        network = data.pop("network")
        operator = user.operator or (network.lead if user.is_admin else None)
        if operator is None:
            self.permission_denied(self.request, message="Only operator staff report services.")
        service = services.network_service_report(
            user=user, network=network, operator=operator, **data
        )
        serializer.instance = self.get_queryset().get(pk=service.pk)


class QualificationViewSet(ReferenceViewSet):
    """The qualifications catalogue (Lombardy's QRSP) certifications are recorded against."""

    queryset = Qualification.objects.all()
    serializer_class = QualificationSerializer
    filterset_class = QualificationFilterSet

    def perform_create(self, serializer):
        serializer.instance = services.qualification_save(
            user=self.request.user, data=dict(serializer.validated_data)
        )

    def perform_update(self, serializer):
        serializer.instance = services.qualification_save(
            user=self.request.user,
            data=dict(serializer.validated_data),
            qualification=serializer.instance,
        )


class CertificationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    ScopedViewSetMixin,
    viewsets.GenericViewSet,
):
    """Competence certifications: staff read those of their provinces' workers, operators
    their own; an operator's staff record them on their PIPs."""

    resource_family = ResourceFamily.PAL
    read_roles = EVERYONE
    write_roles = OPERATORS
    http_method_names = ["get", "post", "head", "options"]

    queryset = CompetenceCertification.objects.select_related("qualification")
    serializer_class = CertificationSerializer
    filterset_class = CertificationFilterSet

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        pip = PIP.objects.select_related("dote__operator", "dote__involvement__worker").get(
            pk=data.pop("pip").pk
        )
        serializer.instance = services.certification_record(user=self.request.user, pip=pip, **data)


class FundViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    ConditionalViewSetMixin,
    ScopedViewSetMixin,
    viewsets.GenericViewSet,
):
    """Funding sources (issue #15): budgets, periods and the measures' shares; reference data
    every role reads, the Region edits them in the portal."""

    resource_family = ResourceFamily.PAL
    read_roles = EVERYONE
    http_method_names = ["get", "head", "options"]
    queryset = Fund.objects.prefetch_related("fundings")
    serializer_class = FundSerializer
    filterset_class = FundFilterSet
