from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.models import Cpi, CrisisProcedure, ProductionUnit
from crisi_portal import api_fields
from crisi_portal.identifiers import normalise_tax_code, validate_fiscal_code
from crisi_portal.scoping import acts_as_operator
from crisi_portal.scoping_api import ScopedPrimaryKeyRelatedField
from workers import services
from workers.enums import EducationLevel, OutcomeSource, Step
from workers.models import (
    TRANSITIONS,
    Cohort,
    ExemptionReason,
    ImportProfile,
    Involvement,
    MoveKind,
    Outcome,
    StepTransition,
    Worker,
    allowed_targets,
    measure_model,
)
from workers.selectors import can_see_identity


class StepField(serializers.ChoiceField):
    """A step of the model; ``null`` stands for "none yet" (before the first move)."""

    def __init__(self, **kwargs):
        super().__init__(choices=Step.choices, **kwargs)

    def to_representation(self, value):
        return value or None


class StepFieldSchema(OpenApiSerializerFieldExtension):
    """Every step field refers to one ``StepEnum`` component, whatever the field is called."""

    target_class = StepField

    def map_serializer_field(self, auto_schema, direction):
        component = ResolvedComponent(
            name="StepEnum",
            type=ResolvedComponent.SCHEMA,
            object="StepEnum",
            schema={
                "type": "string",
                "enum": Step.values,
                "description": "\n".join(f"* `{value}` - {label}" for value, label in Step.choices),
            },
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


class WorkerSummarySerializer(api_fields.ModelSerializer):
    """A worker as shown inside other resources; identity masked for those who may not see it."""

    fiscal_code = api_fields.CharField(
        read_only=True,
        help_text=_("Masked (e.g. RSS************X) for users who may not see identities."),
    )
    last_name = api_fields.CharField(read_only=True, help_text=_("The initial when masked."))
    first_name = api_fields.CharField(read_only=True, help_text=_("The initial when masked."))
    birth_date = serializers.DateField(
        read_only=True, allow_null=True, help_text=_("Null when masked.")
    )
    identity_masked = serializers.SerializerMethodField()

    class Meta:
        model = Worker
        fields = ["id", "fiscal_code", "last_name", "first_name", "birth_date", "identity_masked"]
        read_only_fields = fields

    def _sees_identity(self) -> bool:
        if "sees_identity" not in self.context:
            request = self.context.get("request")
            self.context["sees_identity"] = can_see_identity(request and request.user)
        return self.context["sees_identity"]

    def get_identity_masked(self, obj) -> bool:
        return not self._sees_identity()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self._sees_identity():
            data.update(
                fiscal_code=instance.masked_fiscal_code,
                last_name=f"{instance.last_name[:1]}.",
                first_name=f"{instance.first_name[:1]}.",
                birth_date=None,
            )
            for field in ("email", "phone"):
                if field in data:
                    data[field] = ""
        else:
            # The view logs the workers shown, when §6 asks for it.
            reads = self.context.get("identity_reads")
            if reads is not None:
                reads[instance.pk] = instance
        return data


class WorkerInvolvementSerializer(api_fields.ModelSerializer):
    procedure_external_id = api_fields.CharField(source="procedure.external_id", read_only=True)
    step = StepField(source="current_step", read_only=True)
    step_since = serializers.DateField(source="current_step_since", read_only=True)

    class Meta:
        model = Involvement
        fields = [
            "id",
            "procedure",
            "procedure_external_id",
            "unit",
            "cohort",
            "step",
            "step_since",
        ]
        read_only_fields = fields


DATETIME = serializers.DateTimeField()  # the API's date-time format and time zone


def _iso_date(value) -> str | None:
    return None if value is None else value.isoformat()


class WorkerListSerializer(serializers.ListSerializer):
    """A list of workers (every API page of workers) written field by field: DRF's generic
    path, fields resolved and called one by one for each worker and each of its involvements,
    took most of a page's time in Python (issue #12: ~35 ms for 50 workers). The output is
    the generic path's, key for key (tests/workers/test_api_worker_list.py compares them)."""

    def to_representation(self, data):
        workers = data.all() if isinstance(data, models.manager.BaseManager) else data
        if type(self.child) is not WorkerSerializer:  # a subclass may change the fields
            return super().to_representation(workers)
        return [self.child.fast_representation(worker) for worker in workers]


class WorkerSerializer(WorkerSummarySerializer):
    # "" when the portal has no address or the caller may not see it (identity masked).
    # Declared for the schema: the read-only model field lost allow_blank and the schema said
    # format: email alone, which "" is not (a validating client refused the worker).
    email = serializers.EmailField(allow_blank=True, read_only=True, label=_("e-mail"))
    residence_province = serializers.SlugRelatedField(slug_field="code", read_only=True)
    citizenship_country = api_fields.CharField(
        source="citizenship_country_id",
        read_only=True,
        allow_null=True,
        help_text=_(
            "ISTAT code of the citizenship's country (100 for Italy); null when not known. "
            "'citizenship' is the text as received."
        ),
    )
    # Declared so that the schema says what the API sends: "" when not known (a read-only
    # model field would lose allow_blank, and a generated client would refuse the "").
    education_level = serializers.ChoiceField(
        choices=EducationLevel.choices, allow_blank=True, read_only=True
    )
    involvements = WorkerInvolvementSerializer(
        many=True,
        read_only=True,
        help_text=_("The worker's involvements the caller can see."),
    )

    class Meta(WorkerSummarySerializer.Meta):
        fields = [
            *WorkerSummarySerializer.Meta.fields,
            "sex",
            "citizenship",
            "citizenship_country",
            "education_level",
            "residence_province",
            "email",
            "phone",
            "involvements",
            "updated_at",
        ]
        read_only_fields = fields
        list_serializer_class = WorkerListSerializer

    def fast_representation(self, worker: Worker) -> dict:
        """What ``to_representation`` answers for ``worker``, without the generic machinery."""
        sees = self._sees_identity()
        data = {
            "id": worker.pk,
            "fiscal_code": worker.fiscal_code,
            "last_name": worker.last_name,
            "first_name": worker.first_name,
            "birth_date": _iso_date(worker.birth_date),
            "identity_masked": not sees,
            "sex": worker.sex,
            "citizenship": worker.citizenship,
            "citizenship_country": worker.citizenship_country_id,
            "education_level": worker.education_level,
            "residence_province": worker.residence_province_id,  # the province's code
            "email": worker.email,
            "phone": worker.phone,
            "involvements": [
                {
                    "id": involvement.pk,
                    "procedure": involvement.procedure_id,
                    "procedure_external_id": involvement.procedure.external_id,
                    "unit": involvement.unit_id,
                    "cohort": involvement.cohort_id,
                    "step": involvement.current_step or None,
                    "step_since": _iso_date(involvement.current_step_since),
                }
                for involvement in worker.involvements.all()
            ],
            "updated_at": DATETIME.to_representation(worker.updated_at),
        }
        if not sees:
            data.update(
                fiscal_code=worker.masked_fiscal_code,
                last_name=f"{worker.last_name[:1]}.",
                first_name=f"{worker.first_name[:1]}.",
                birth_date=None,
                email="",
                phone="",
            )
        else:
            reads = self.context.get("identity_reads")
            if reads is not None:
                reads[worker.pk] = worker
        return data


NAME_SEARCH_MAX_LENGTH = 100


class WorkerSearchSerializer(serializers.Serializer):
    """Exactly one of ``fiscal_code`` (the one worker) or ``name`` (a page of workers)."""

    fiscal_code = api_fields.CharField(
        max_length=20,
        required=False,
        help_text=_("The worker's fiscal code (exact match): the answer is that worker."),
    )
    name = api_fields.CharField(
        max_length=NAME_SEARCH_MAX_LENGTH,
        required=False,
        help_text=_(
            'Words of the last or first name, each contained in one of them ("rossi chiara"): '
            "the answer is a page of workers. Needs access to identities."
        ),
    )

    def validate_fiscal_code(self, value: str) -> str:
        validate_fiscal_code(value)
        return normalise_tax_code(value)

    def validate_name(self, value: str) -> str:
        return " ".join(value.split())

    def validate(self, attrs):
        if ("fiscal_code" in attrs) == ("name" in attrs):
            raise serializers.ValidationError(_("Give either fiscal_code or name (not both)."))
        return attrs


class OutcomeSerializer(api_fields.ModelSerializer):
    """Where the worker ended up. ``source`` may be left out by an operator (declared by the
    operator); the province says who declared or confirmed it. ``contract_kind`` is filled in
    for the outcomes that allow one contract only, and from ``contract_end`` for a fixed term."""

    class Meta:
        model = Outcome
        fields = [
            "kind",
            "date",
            "contract_kind",
            "contract_end",
            "source",
            "employer",
            "notes",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]
        # PUT replaces the outcome: what is left out is cleared.
        extra_kwargs = {
            "contract_kind": {"default": ""},
            "contract_end": {"default": None},
            "source": {
                "required": False,
                "help_text": _(
                    "Who says so. May be left out by an operator (declared by the operator); "
                    "required from the province."
                ),
            },
            "employer": {"default": ""},
            "notes": {"default": ""},
        }

    def validate(self, attrs):
        if "source" not in attrs:
            user = self.context.get("request") and self.context["request"].user
            if user is None or not acts_as_operator(user):
                raise serializers.ValidationError(
                    {"source": _("Say who declared or confirmed the outcome.")}
                )
            attrs["source"] = OutcomeSource.OPERATOR
        return attrs


class AllowedMoveSerializer(serializers.Serializer):
    to = StepField()
    kind = api_fields.CharField(
        help_text=_("forward, exemption (needs exemption_reason) or correction (needs reason).")
    )


class InvolvementSerializer(api_fields.ModelSerializer):
    worker = WorkerSummarySerializer(read_only=True)
    procedure_external_id = api_fields.CharField(source="procedure.external_id", read_only=True)
    step = StepField(source="current_step", read_only=True)
    step_since = serializers.DateField(source="current_step_since", read_only=True)
    allowed_moves = serializers.SerializerMethodField()
    outcome = OutcomeSerializer(read_only=True, allow_null=True)
    # Units and cohorts only among those the client can see.
    unit = ScopedPrimaryKeyRelatedField(queryset=ProductionUnit.objects.all(), required=False)
    cohort = ScopedPrimaryKeyRelatedField(
        queryset=Cohort.objects.all(), required=False, allow_null=True
    )
    cpi = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Cpi.objects.all(),
        required=False,
        allow_null=True,
        help_text=_(
            "Code of the CPI competent for this worker when it is not the unit's (an "
            "override); null: the unit's."
        ),
    )

    class Meta:
        model = Involvement
        fields = [
            "id",
            "worker",
            "procedure",
            "procedure_external_id",
            "unit",
            "cohort",
            "income_support",
            "hours_reduction_pct",
            "period_start",
            "period_end",
            "cpi",
            "step",
            "step_since",
            "allowed_moves",
            "outcome",
            "updated_at",
        ]
        read_only_fields = ["id", "worker", "procedure", "updated_at"]

    @extend_schema_field(AllowedMoveSerializer(many=True))
    def get_allowed_moves(self, obj) -> list[dict]:
        request = self.context.get("request")
        may_correct = request is None or services._may_correct(request.user)
        moves = []
        for target in allowed_targets(obj.current_step):
            kind = TRANSITIONS[(obj.current_step, target)]
            if kind == MoveKind.CORRECTION and not may_correct:
                continue
            moves.append({"to": target, "kind": kind})
        return moves


class TransitionSerializer(api_fields.ModelSerializer):
    from_step = StepField(read_only=True, allow_null=True, help_text=_("Null for the first move."))
    to_step = StepField(read_only=True)
    recorded_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    exemption_reason = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    measure = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = StepTransition
        fields = [
            "id",
            "involvement",
            "from_step",
            "to_step",
            "kind",
            "effective_date",
            "recorded_at",
            "recorded_by",
            "reason",
            "exemption_reason",
            "measure",
        ]
        read_only_fields = fields


class MoveSerializer(serializers.Serializer):
    to = StepField()
    effective_date = serializers.DateField()
    reason = api_fields.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Required for a correction (moving back)."),
    )
    exemption_reason = serializers.SlugRelatedField(
        slug_field="code",
        queryset=ExemptionReason.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Code of the exemption reason; required to move to NO_PAL."),
    )
    measure = serializers.SlugRelatedField(
        slug_field="code",
        queryset=measure_model().objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Code of the measure; required to move to STEP_4."),
    )


class InvolvementMoveSerializer(MoveSerializer):
    expected_from = StepField(
        required=False,
        help_text=_(
            "The step the client last saw; if the worker has moved since, the move is refused "
            "with 409."
        ),
    )


class CohortMoveSerializer(MoveSerializer):
    involvements = serializers.ListField(
        child=api_fields.IntegerField(),
        required=False,
        allow_empty=False,
        help_text=_("Move only these involvements of the cohort (default: all of them)."),
    )


class CohortMoveResultSerializer(serializers.Serializer):
    moved = api_fields.IntegerField()
    to = StepField()


class CohortAssignSerializer(serializers.Serializer):
    involvements = serializers.ListField(child=api_fields.IntegerField(), allow_empty=False)


class CohortAssignResultSerializer(serializers.Serializer):
    assigned = api_fields.IntegerField()


class CohortSerializer(api_fields.ModelSerializer):
    procedure = ScopedPrimaryKeyRelatedField(queryset=CrisisProcedure.objects.all())
    unit = ScopedPrimaryKeyRelatedField(
        queryset=ProductionUnit.objects.all(), required=False, allow_null=True
    )
    procedure_external_id = api_fields.CharField(source="procedure.external_id", read_only=True)
    workers = serializers.SerializerMethodField(help_text=_("Workers in the cohort."))

    class Meta:
        model = Cohort
        fields = [
            "id",
            "procedure",
            "procedure_external_id",
            "unit",
            "name",
            "notes",
            "workers",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]

    def get_workers(self, obj) -> int:
        annotated = getattr(obj, "involvement_count", None)
        if annotated is not None:
            return annotated
        return obj.involvements.count()


class WorkerImportRequestSerializer(serializers.Serializer):
    procedure = api_fields.IntegerField(required=False, help_text="Procedure id.")
    procedure_external_id = api_fields.CharField(
        required=False, help_text="Or the procedure's external id."
    )
    file = serializers.FileField(help_text="The worker list, CSV or XLSX, as the company sent it.")
    dry_run = api_fields.BooleanField(
        default=False, help_text="Check and preview without saving anything."
    )
    profile = api_fields.CharField(
        required=False,
        max_length=60,
        help_text=(
            "Code of an active import profile (the source's headers and formats, e.g. "
            "estratto-inps-cigs); without it the columns are recognised by their names."
        ),
    )

    def validate_profile(self, value: str) -> ImportProfile:
        profile = ImportProfile.objects.filter(is_active=True, slug=value).first()
        if profile is None:
            raise serializers.ValidationError(
                _("No import profile %(slug)s.") % {"slug": value}, code="does_not_exist"
            )
        return profile

    def validate(self, attrs):
        if not attrs.get("procedure") and not attrs.get("procedure_external_id"):
            raise serializers.ValidationError(
                {"procedure": "Give the procedure id or procedure_external_id."}
            )
        return attrs
