import json

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cases.enums import AgreementGoal, PartyRole
from cases.models import (
    Agreement,
    Company,
    Cpi,
    CrisisProcedure,
    Meeting,
    ProductionUnit,
    Province,
)
from cases.validators import validate_company_tax_code
from crisi_portal import api_fields
from crisi_portal.identifiers import normalise_tax_code
from crisi_portal.scoping_api import ScopedPrimaryKeyRelatedField
from crisi_portal.upload_guard import check_size


def bounded_upload(upload):
    """The upload guard's size cap on an uploaded file: refused as a 413 problem, like the
    imports."""
    if upload is not None:
        check_size(getattr(upload, "size", None), name=getattr(upload, "name", ""))
    return upload


def file_url(serializer, stored, route: str, pk: int) -> str | None:
    """The scoped download link of a stored file (None without one), absolute in a request."""
    if not stored:
        return None
    url = reverse(route, args=[pk])
    request = serializer.context.get("request")
    return request.build_absolute_uri(url) if request else url


class CompanySerializer(api_fields.ModelSerializer):
    class Meta:
        model = Company
        fields = ["id", "name", "tax_code", "ateco_code", "kind", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        # Uniqueness is an upsert key here, checked by the service, not a refusal.
        extra_kwargs = {"tax_code": {"validators": [validate_company_tax_code]}}

    def validate_tax_code(self, value: str) -> str:
        return normalise_tax_code(value)


class UnitInlineSerializer(api_fields.ModelSerializer):
    province = serializers.SlugRelatedField(slug_field="code", queryset=Province.objects.all())
    cpi = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Cpi.objects.all(),
        required=False,
        allow_null=True,
        help_text=(
            "Code of the competent CPI. Sent: the officer's choice, kept when the comune "
            "changes; null: derived from the comune by the reference table."
        ),
    )
    cpi_chosen = serializers.BooleanField(
        read_only=True, help_text="Whether the CPI was chosen rather than derived."
    )

    class Meta:
        model = ProductionUnit
        fields = [
            "id",
            "external_id",
            "name",
            "address",
            "comune",
            "province",
            "workers_involved",
            "cpi",
            "cpi_chosen",
        ]
        read_only_fields = ["id", "cpi_chosen"]
        extra_kwargs = {"external_id": {"required": False, "allow_blank": True}}


class UnitSerializer(UnitInlineSerializer):
    procedure = ScopedPrimaryKeyRelatedField(queryset=CrisisProcedure.objects.all())
    procedure_external_id = api_fields.CharField(source="procedure.external_id", read_only=True)

    class Meta(UnitInlineSerializer.Meta):
        fields = [
            "id",
            "procedure",
            "procedure_external_id",
            *UnitInlineSerializer.Meta.fields[1:],
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]


class UnitUpsertSerializer(UnitSerializer):
    """A unit keyed on (procedure, external_id): an existing pair is an update, not a refusal."""

    class Meta(UnitSerializer.Meta):
        validators = []
        extra_kwargs = {"external_id": {"required": True, "allow_blank": False}}


class ProcedureSerializer(api_fields.ModelSerializer):
    company = CompanySerializer()
    lead_province = serializers.SlugRelatedField(slug_field="code", queryset=Province.objects.all())
    units = UnitInlineSerializer(many=True, required=False)
    guideline = api_fields.CharField(read_only=True)
    total_workers = serializers.SerializerMethodField()

    class Meta:
        model = CrisisProcedure
        fields = [
            "id",
            "external_id",
            "number",
            "company",
            "family",
            "guideline",
            "cause",
            "concession_kind",
            "opened_on",
            "start_date",
            "end_date",
            "union_agreement_date",
            "status",
            "lead_province",
            "high_complexity",
            "complexity_note",
            "notes",
            "units",
            "total_workers",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "number", "created_at", "updated_at"]
        extra_kwargs = {"external_id": {"required": False, "allow_blank": True, "validators": []}}

    def get_total_workers(self, obj) -> int:
        annotated = getattr(obj, "total_workers", None)
        if annotated is not None:
            return annotated
        return sum(unit.workers_involved for unit in obj.units.all())

    def validate(self, attrs):
        if self.instance is not None and "units" in attrs:
            raise serializers.ValidationError(
                {"units": _("Units are changed through /api/v1/units/ once the procedure exists.")}
            )
        if self.instance is not None and "company" in attrs:
            self.instance.check_company(attrs["company"].get("tax_code"))
        return attrs


class MeetingSerializer(api_fields.ModelSerializer):
    province = serializers.SlugRelatedField(
        slug_field="code", queryset=Province.objects.all(), allow_null=True, required=False
    )
    procedures = ScopedPrimaryKeyRelatedField(queryset=CrisisProcedure.objects.all(), many=True)
    minutes = serializers.FileField(required=False, allow_null=True, write_only=True)
    minutes_url = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "kind",
            "date",
            "province",
            "procedures",
            "participants",
            "notes",
            "minutes",
            "minutes_url",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]

    def validate_minutes(self, minutes):
        return bounded_upload(minutes)

    def get_minutes_url(self, obj) -> str | None:
        return file_url(self, obj.minutes, "cases:meeting_minutes", obj.pk)


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The interchange CSV (UTF-8).")
    dry_run = api_fields.BooleanField(
        default=False, help_text="Check and preview the changes without saving anything."
    )


class ImportChangeSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["create", "update", "unchanged"])
    kind = serializers.ChoiceField(choices=["procedure", "unit"])
    external_id = api_fields.CharField()
    label = api_fields.CharField()
    changed_fields = serializers.ListField(child=api_fields.CharField())


class ImportResultSerializer(serializers.Serializer):
    applied = api_fields.BooleanField()
    summary = serializers.DictField(child=serializers.DictField(child=api_fields.IntegerField()))
    changes = ImportChangeSerializer(many=True)
    errors = serializers.ListField(child=serializers.DictField())


class AgreementPartySerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=PartyRole.choices)
    name = serializers.CharField(max_length=200)


class AgreementSerializer(api_fields.ModelSerializer):
    """An agreement on a procedure (issue #14 item 4); the document is uploaded as multipart
    (then ``parties`` and ``goals`` are JSON-encoded fields, as DRF reads nested lists only
    from JSON bodies) or left out of a JSON body."""

    procedure = ScopedPrimaryKeyRelatedField(queryset=CrisisProcedure.objects.all())
    goals = serializers.ListField(
        child=serializers.ChoiceField(choices=AgreementGoal.choices), allow_empty=False
    )
    parties = AgreementPartySerializer(many=True, required=False)
    document = serializers.FileField(required=False, allow_null=True, write_only=True)
    document_url = serializers.SerializerMethodField()

    class Meta:
        model = Agreement
        fields = [
            "id",
            "procedure",
            "kind",
            "signed_on",
            "parties",
            "goals",
            "outplacement",
            "outplacement_text",
            "workers_covered",
            "document",
            "document_url",
            "notes",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]

    # A multipart body carries its lists JSON-encoded, one field each (the document's body).
    JSON_LISTS = ("parties", "goals")

    def to_internal_value(self, data):
        if hasattr(data, "getlist"):
            encoded = {
                key: data.get(key)
                for key in self.JSON_LISTS
                if isinstance(data.get(key), str) and data.get(key).lstrip().startswith("[")
            }
            if encoded:
                plain = {
                    key: data.getlist(key) if key == "goals" else data.get(key) for key in data
                }
                for key, raw in encoded.items():
                    try:
                        plain[key] = json.loads(raw)
                    except ValueError:
                        raise serializers.ValidationError(
                            {key: [_("Send the list as JSON.")]}
                        ) from None
                data = plain
        return super().to_internal_value(data)

    def validate_procedure(self, procedure):
        if self.instance is not None and procedure.pk != self.instance.procedure_id:
            raise serializers.ValidationError(
                _("An agreement cannot be moved to another procedure.")
            )
        return procedure

    def validate_document(self, document):
        return bounded_upload(document)

    def get_document_url(self, obj) -> str | None:
        return file_url(self, obj.document, "cases:agreement_document", obj.pk)
