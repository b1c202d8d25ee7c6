"""Workers upserted from JSON: the worker-list import, fed by an API client's items.

Workers have no external id: the fiscal code is their natural key (unique, validated), and it
travels only in the body, never in a URL. A worker is visible only through an involvement, so
an upsert names the procedure and the unit: exactly what a worker list does. The items are
therefore handed to the importer (:func:`workers.importers.import_workers`) as a list in its
own CSV shape, so that the rules of the file import apply unchanged — all or nothing, scoping
of units and of workers other provinces hold, identities never overwritten, history — and
each refused row comes back as the item's index and field.
"""

import csv
import io

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import serializers

from crisi_portal import api_fields
from crisi_portal.bulk import BULK_MAX_ITEMS, BulkRefused
from crisi_portal.identifiers import normalise_tax_code, validate_fiscal_code
from crisi_portal.problems import flatten_errors
from workers.enums import IncomeSupport, Sex
from workers.importers import COLUMN_SYNONYMS, COLUMNS, import_workers

ITEM_FIELDS = (
    "fiscal_code",
    "last_name",
    "first_name",
    "birth_date",
    "sex",
    "unit",
    "income_support",
    "hours_reduction_pct",
    "period_start",
    "period_end",
    "citizenship",
    "education_level",
    "email",
    "phone",
    "cohort",
)
HEADER_LINE = 1


class WorkerItemSerializer(serializers.Serializer):
    fiscal_code = api_fields.CharField(max_length=20)
    last_name = api_fields.CharField(max_length=100)
    first_name = api_fields.CharField(max_length=100)
    birth_date = serializers.DateField()
    sex = serializers.ChoiceField(choices=Sex.choices)
    unit = api_fields.CharField(
        max_length=120, help_text="The unit's external id (or its name) in the procedure."
    )
    income_support = serializers.ChoiceField(
        choices=IncomeSupport.choices, required=False, allow_blank=True
    )
    hours_reduction_pct = api_fields.IntegerField(min_value=0, max_value=100, required=False)
    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False)
    citizenship = api_fields.CharField(
        max_length=60,
        required=False,
        allow_blank=True,
        help_text="As written (kept); mapped to a country: a name, ISTAT or ISO code, 'italiana'…",
    )
    education_level = api_fields.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="A level code or the usual words ('licenza media', 'diploma', 'laurea').",
    )
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = api_fields.CharField(max_length=30, required=False, allow_blank=True)
    cohort = api_fields.CharField(max_length=120, required=False, allow_blank=True)

    def validate_fiscal_code(self, value: str) -> str:
        validate_fiscal_code(value)
        return normalise_tax_code(value)


class WorkerBulkSerializer(serializers.Serializer):
    procedure = api_fields.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Procedure id."
    )
    procedure_external_id = api_fields.CharField(
        required=False, max_length=64, help_text="Or the procedure's external id."
    )
    dry_run = api_fields.BooleanField(default=False, help_text="Check without saving.")
    items = serializers.ListField(
        child=serializers.DictField(),
        min_length=1,
        max_length=BULK_MAX_ITEMS,
        help_text=f"1 to {BULK_MAX_ITEMS} workers (WorkerItem).",
    )

    def validate(self, attrs):
        if not attrs.get("procedure") and not attrs.get("procedure_external_id"):
            raise serializers.ValidationError(
                {"procedure": _("Give the procedure id or procedure_external_id.")}
            )
        return attrs


class WorkerBulkDocSerializer(WorkerBulkSerializer):
    """The request as documented: items are WorkerItem objects."""

    items = WorkerItemSerializer(many=True, min_length=1, max_length=BULK_MAX_ITEMS)


def _cell(value) -> str:
    return "" if value is None else str(value)


def workers_upsert(*, procedure, items: list[dict], user, dry_run: bool = False):
    """Validate every item, then import them all or none; refusals name index and field."""
    errors, rows = [], []
    for index, item in enumerate(items):
        serializer = WorkerItemSerializer(data=item)
        if serializer.is_valid():
            rows.append(serializer.validated_data)
        else:
            errors.extend({"index": index, **error} for error in flatten_errors(serializer.errors))
    if errors:
        raise _refused(errors)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([COLUMN_SYNONYMS[name][0] for name in ITEM_FIELDS])
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in ITEM_FIELDS])
    result = import_workers(
        procedure,
        buffer.getvalue().encode(),
        filename="api.csv",
        user=user,
        dry_run=dry_run,
    )
    if not result.ok:
        raise _refused(
            [
                {
                    # Line 1 is the header: item 0 is line 2.
                    "index": error.line - HEADER_LINE - 1 if error.line > HEADER_LINE else None,
                    "field": COLUMNS.field_of(error.column or ""),
                    "message": error.message,
                }
                for error in result.errors
            ]
        )
    return result


def _refused(errors: list[dict]) -> BulkRefused:
    refused = len({error["index"] for error in errors})
    return BulkRefused(
        ngettext(
            "%(n)d item was refused: nothing was saved.",
            "%(n)d items were refused: nothing was saved.",
            refused,
        )
        % {"n": refused},
        errors=errors,
    )
