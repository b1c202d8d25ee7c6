from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.models import CrisisProcedure, Province
from crisi_portal import api_fields
from crisi_portal.scoping import dote_involvements
from crisi_portal.scoping_api import ScopedPrimaryKeyRelatedField
from pal import services
from pal.enums import DoteStatus, PIPStatus, ServiceKind
from pal.models import (
    PIP,
    CompetenceCertification,
    Dote,
    Fund,
    Measure,
    MeasureFunding,
    Network,
    NetworkMember,
    NetworkService,
    NetworkServiceLine,
    NetworkShare,
    Operator,
    OperatorOffice,
    PIPService,
    PIPTransition,
    Qualification,
)
from workers.api.serializers import WorkerSummarySerializer
from workers.models import Cohort, Involvement


class NamedChoiceField(serializers.ChoiceField):
    """A choice field whose choices are one named enum component in the schema.

    Dote, PIP and procedure statuses are all fields called ``status``: without a name of
    their own the schema generator could only tell them apart by a hash.
    """

    enum_name = ""
    enum = None

    def __init__(self, **kwargs):
        super().__init__(choices=self.enum.choices, **kwargs)


class PIPStatusField(NamedChoiceField):
    enum_name = "PIPStatusEnum"
    enum = PIPStatus


class DoteStatusField(NamedChoiceField):
    enum_name = "DoteStatusEnum"
    enum = DoteStatus


class NamedChoiceFieldSchema(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        component = ResolvedComponent(
            name=field.enum_name,
            type=ResolvedComponent.SCHEMA,
            object=field.enum_name,
            schema={
                "type": "string",
                "enum": field.enum.values,
                "description": "\n".join(
                    f"* `{value}` - {label}" for value, label in field.enum.choices
                ),
            },
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


# --- Reference data ----------------------------------------------------------------------------


class OperatorOfficeSerializer(api_fields.ModelSerializer):
    province = serializers.SlugRelatedField(slug_field="code", queryset=Province.objects.all())

    class Meta:
        model = OperatorOffice
        fields = ["id", "address", "comune", "province"]
        read_only_fields = ["id"]


class OperatorSerializer(api_fields.ModelSerializer):
    offices = OperatorOfficeSerializer(
        many=True,
        required=False,
        help_text=_("When sent, replaces every office of the operator."),
    )

    class Meta:
        model = Operator
        fields = [
            "id",
            "name",
            "accreditation_number",
            "accredited_for_labour",
            "accredited_for_training",
            "is_public",
            "offices",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class MeasureSerializer(api_fields.ModelSerializer):
    class Meta:
        model = Measure
        fields = [
            "id",
            "code",
            "name",
            "funding_source",
            "valid_from",
            "valid_until",
            "max_per_worker",
            "max_per_company",
            "total_budget",
            "exclusive",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class MeasureField(serializers.SlugRelatedField):
    """A measure by its code (``"dote-unica-lavoro"``) or by its id."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Measure.objects.all())
        super().__init__(slug_field="code", **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, int) and not isinstance(data, bool):
            measure = self.get_queryset().filter(pk=data).first()
            if measure is None:
                self.fail("does_not_exist", slug_name="id", value=data)
            return measure
        return super().to_internal_value(data)


# --- Doti ----------------------------------------------------------------------------------


class DoteInvolvementField(ScopedPrimaryKeyRelatedField):
    """The involvement a Dote opens on, resolved among those of the worker whose fiscal code the
    request carries (``scoping.dote_involvements``): any other id — of another worker, another
    province, or none at all — gets the same "does not exist" answer."""

    def get_queryset(self):
        request = self.context.get("request")
        data = getattr(self.parent, "initial_data", None)
        fiscal_code = data.get("fiscal_code", "") if hasattr(data, "get") else ""
        return dote_involvements(
            getattr(request, "user", None), fiscal_code if isinstance(fiscal_code, str) else ""
        ).select_related("procedure", "worker")


class DoteSerializer(api_fields.ModelSerializer):
    involvement = DoteInvolvementField(
        queryset=Involvement.objects.none(),
        help_text=_("The worker in procedure who chose the operator."),
    )
    fiscal_code = api_fields.CharField(
        write_only=True,
        max_length=16,
        help_text=_(
            "The fiscal code of the worker who chose the operator (they bring it): the "
            "involvement must be theirs."
        ),
    )
    worker = WorkerSummarySerializer(source="involvement.worker", read_only=True)
    procedure = api_fields.IntegerField(source="involvement.procedure_id", read_only=True)
    measure = MeasureField(help_text=_("The measure's code (or its id)."))
    measure_name = api_fields.CharField(source="measure.name", read_only=True)
    operator = serializers.PrimaryKeyRelatedField(read_only=True)
    operator_name = api_fields.CharField(source="operator.name", read_only=True)
    status = DoteStatusField(read_only=True)
    committed_amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        help_text=_("Held by PIPs submitted, approved, in progress or concluded."),
    )
    delivered_amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        help_text=_("Reported as delivered (rendicontato)."),
    )
    remaining_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, help_text=_("Value less committed.")
    )

    class Meta:
        model = Dote
        fields = [
            "id",
            "involvement",
            "fiscal_code",
            "worker",
            "procedure",
            "measure",
            "measure_name",
            "operator",
            "operator_name",
            "value",
            "valid_from",
            "valid_until",
            "status",
            "committed_amount",
            "delivered_amount",
            "remaining_amount",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "status", "created_at", "updated_at"]

    def validate(self, attrs):
        Dote.check_validity(attrs["valid_from"], attrs["valid_until"])
        return attrs


# --- PIPs ----------------------------------------------------------------------------------


class PIPServiceSerializer(api_fields.ModelSerializer):
    class Meta:
        model = PIPService
        fields = [
            "id",
            "kind",
            "hours",
            "cost",
            "delivery",
            "planned_start",
            "planned_end",
            "delivered_hours",
            "delivered_cost",
            "delivered_on",
        ]
        read_only_fields = ["id", "delivered_hours", "delivered_cost", "delivered_on"]


class PIPTransitionSerializer(api_fields.ModelSerializer):
    from_status = PIPStatusField(read_only=True)
    to_status = PIPStatusField(read_only=True)
    by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = PIPTransition
        fields = ["id", "from_status", "to_status", "at", "by", "note"]
        read_only_fields = fields


class PIPSerializer(api_fields.ModelSerializer):
    dote = ScopedPrimaryKeyRelatedField(queryset=Dote.objects.all(), editable=True)
    worker = WorkerSummarySerializer(source="dote.involvement.worker", read_only=True)
    measure = api_fields.CharField(source="dote.measure.code", read_only=True)
    operator = api_fields.IntegerField(source="dote.operator_id", read_only=True)
    status = PIPStatusField(read_only=True)
    total_cost = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, help_text=_("Sum of the services' costs.")
    )
    services = PIPServiceSerializer(
        many=True, help_text=_("The planned services; when sent, they replace the previous ones.")
    )
    transitions = PIPTransitionSerializer(
        many=True, read_only=True, help_text=_("The workflow so far, oldest move first.")
    )
    decided_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = PIP
        fields = [
            "id",
            "number",
            "dote",
            "worker",
            "measure",
            "operator",
            "status",
            "objectives",
            "total_cost",
            "services",
            "return_note",
            "submitted_at",
            "decided_at",
            "decided_by",
            "transitions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "number",
            "status",
            "return_note",
            "submitted_at",
            "decided_at",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"objectives": {"required": False}}

    def validate_dote(self, dote: Dote) -> Dote:
        if self.instance is not None:
            self.instance.check_dote(dote.pk)
        return dote


class PIPApprovalSerializer(PIPSerializer):
    moved_to_step_4 = api_fields.BooleanField(
        read_only=True, help_text=_("Whether the approval moved the worker from STEP 3 to STEP 4.")
    )
    step_note = api_fields.CharField(
        read_only=True, help_text=_("Why the step was not changed, when it was not.")
    )

    class Meta(PIPSerializer.Meta):
        fields = [*PIPSerializer.Meta.fields, "moved_to_step_4", "step_note"]


class PIPApproveSerializer(serializers.Serializer):
    activate_step_4 = api_fields.BooleanField(
        default=True,
        help_text=_("Move the worker from STEP 3 to STEP 4 (PAL activated) with the approval."),
    )


class PIPReturnSerializer(serializers.Serializer):
    note = api_fields.CharField(
        allow_blank=True, help_text=_("What the operator must fix (required).")
    )


class PIPWithdrawSerializer(serializers.Serializer):
    note = api_fields.CharField(required=False, allow_blank=True, default="")


# --- Networks --------------------------------------------------------------------------------


class NetworkMemberSerializer(api_fields.ModelSerializer):
    province = serializers.SlugRelatedField(
        slug_field="code", queryset=Province.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = NetworkMember
        fields = ["id", "kind", "name", "operator", "province"]
        read_only_fields = ["id"]


class NetworkCheckSerializer(serializers.Serializer):
    code = api_fields.CharField()
    label = api_fields.CharField()
    ok = api_fields.BooleanField()


class NetworkSerializer(api_fields.ModelSerializer):
    lead = serializers.PrimaryKeyRelatedField(queryset=Operator.objects.all())
    province = serializers.SlugRelatedField(slug_field="code", queryset=Province.objects.all())
    measure = MeasureField(help_text=_("The measure's code (or its id)."))
    procedures = ScopedPrimaryKeyRelatedField(
        queryset=CrisisProcedure.objects.all(), many=True, required=False
    )
    cohorts = ScopedPrimaryKeyRelatedField(queryset=Cohort.objects.all(), many=True, required=False)
    members = NetworkMemberSerializer(
        many=True, help_text=_("The lead included; when sent, they replace the previous ones.")
    )
    checks = serializers.SerializerMethodField(
        help_text=_("The validity checklist of the network.")
    )
    valid = serializers.SerializerMethodField(help_text=_("Whether every check is met."))

    class Meta:
        model = Network
        fields = [
            "id",
            "name",
            "lead",
            "province",
            "measure",
            "procedures",
            "cohorts",
            "valid_from",
            "valid_until",
            "members",
            "checks",
            "valid",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._checks: dict[int, list[services.Check]] = {}

    def _checks_of(self, obj: Network) -> list[services.Check]:
        if obj.pk not in self._checks:
            self._checks[obj.pk] = services.network_checks(obj)
        return self._checks[obj.pk]

    @extend_schema_field(NetworkCheckSerializer(many=True))
    def get_checks(self, obj) -> list[dict]:
        return [
            {"code": check.code, "label": str(check.label), "ok": check.ok}
            for check in self._checks_of(obj)
        ]

    def get_valid(self, obj) -> bool:
        return all(check.ok for check in self._checks_of(obj))


# --- Services delivered by a network's members -------------------------------------------------


class ServiceKindField(NamedChoiceField):
    enum_name = "ServiceKindEnum"
    enum = ServiceKind


@extend_schema_field(OpenApiTypes.INT)
class NetworkDoteField(serializers.PrimaryKeyRelatedField):
    """A Dote id in a body, resolved among the lead's Doti for the workers of the networks the
    caller sees (a member reads no Dote of its own there): any other id does not exist."""

    def get_queryset(self):
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return Dote.objects.in_networks(Network.objects.visible_to(user))


def _same_network(network: Network, doti) -> None:
    """A Dote of another of the caller's networks answers like one that does not exist."""
    ids = {d.pk for d in doti}
    served = set(services.network_doti(network).filter(pk__in=ids).values_list("pk", flat=True))
    for pk in sorted(ids - served):
        raise serializers.ValidationError(
            {"doti": [_('Invalid pk "%(pk)s" - object does not exist.') % {"pk": pk}]}
        )


class NetworkShareSerializer(api_fields.ModelSerializer):
    network = ScopedPrimaryKeyRelatedField(queryset=Network.objects.all())
    operator = serializers.PrimaryKeyRelatedField(
        queryset=Operator.objects.all(), help_text=_("The member's accredited operator.")
    )
    dote = NetworkDoteField(help_text=_("The lead's Dote for a worker of the network."))
    delivered = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    remaining = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = NetworkShare
        fields = ["id", "network", "operator", "dote", "amount", "delivered", "remaining"]
        read_only_fields = ["id"]
        validators: list = []  # one share per (dote, operator): set_share updates it

    def validate(self, attrs):
        _same_network(attrs["network"], [attrs["dote"]])
        return attrs


class NetworkServiceLineSerializer(api_fields.ModelSerializer):
    class Meta:
        model = NetworkServiceLine
        fields = ["dote", "hours", "cost"]
        read_only_fields = fields


class NetworkServiceSerializer(api_fields.ModelSerializer):
    network = ScopedPrimaryKeyRelatedField(queryset=Network.objects.all())
    doti = NetworkDoteField(
        many=True,
        write_only=True,
        help_text=_(
            "The lead's Doti of the workers served: one for an individual service, two or more "
            "for a group service (its cost is split among them)."
        ),
    )
    lines = NetworkServiceLineSerializer(many=True, read_only=True)
    kind = ServiceKindField()

    class Meta:
        model = NetworkService
        fields = [
            "id",
            "network",
            "operator",
            "kind",
            "delivery",
            "delivered_on",
            "hours",
            "cost",
            "note",
            "doti",
            "lines",
            "created_at",
        ]
        read_only_fields = ["id", "operator", "lines", "created_at"]

    def validate(self, attrs):
        _same_network(attrs["network"], attrs["doti"])
        return attrs


class QualificationSerializer(api_fields.ModelSerializer):
    class Meta:
        model = Qualification
        fields = ["id", "framework", "code", "title", "eqf_level", "is_active", "updated_at"]
        read_only_fields = ["id", "updated_at"]


class CertificationSerializer(api_fields.ModelSerializer):
    """A competence certification: recorded on a PIP (its worker and operator follow) against
    an offered qualification of the catalogue."""

    pip = ScopedPrimaryKeyRelatedField(queryset=PIP.objects.all())
    qualification = ScopedPrimaryKeyRelatedField(
        queryset=Qualification.objects.filter(is_active=True)
    )

    class Meta:
        model = CompetenceCertification
        fields = [
            "id",
            "pip",
            "worker",
            "operator",
            "qualification",
            "title",
            "competences",
            "certified_on",
            "updated_at",
        ]
        read_only_fields = ["id", "worker", "operator", "updated_at"]
        extra_kwargs = {"title": {"required": False, "allow_blank": True}}


class FundShareSerializer(api_fields.ModelSerializer):
    class Meta:
        model = MeasureFunding
        fields = ["measure", "share"]


class FundSerializer(api_fields.ModelSerializer):
    """A funding source with its budget, period and the measures drawing on it (by share)."""

    measures = FundShareSerializer(source="fundings", many=True, read_only=True)

    class Meta:
        model = Fund
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "legal_basis",
            "budget",
            "valid_from",
            "valid_until",
            "province",
            "measures",
            "updated_at",
        ]
        read_only_fields = fields
