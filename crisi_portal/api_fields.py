"""Serializer fields that read a JSON body as the schema types it.

DRF is lenient: a ``CharField`` takes ``0`` as ``"0"``, an ``IntegerField`` takes ``"5"``, a
``BooleanField`` takes ``"yes"`` or ``1``. The published schema says ``string``, ``integer``,
``boolean``: a client that sends another JSON type has a bug, and accepting it would hide it
(found by tools/api_fuzz.sh). These fields refuse another JSON type with DRF's own "invalid"
message, naming the field. Amounts (decimals) are the exception: a decimal string such as
``"4500.00"`` keeps its exact value, clients are right to send money that way, and the schema
says so (crisi_portal/schema.py). A multipart body (meetings with their minutes) carries every
value as text, so there the usual conversion applies.

``ModelSerializer`` maps model fields to these; declared fields use them by name
(``api_fields.CharField(...)``).
"""

from django.db import models
from django.http import QueryDict
from rest_framework import serializers


class StrictJSONType:
    json_types: tuple[type, ...] = ()

    def to_internal_value(self, data):
        if self._reads_json() and (
            not isinstance(data, self.json_types)
            or (isinstance(data, bool) and bool not in self.json_types)
        ):
            self.fail("invalid")
        return super().to_internal_value(data)

    def _reads_json(self) -> bool:
        # Multipart and form bodies reach the serializer as a QueryDict of strings.
        return not isinstance(getattr(self.root, "initial_data", None), QueryDict)


class CharField(StrictJSONType, serializers.CharField):
    json_types = (str,)


class IntegerField(StrictJSONType, serializers.IntegerField):
    json_types = (int,)


class BooleanField(StrictJSONType, serializers.BooleanField):
    json_types = (bool,)


class FloatField(StrictJSONType, serializers.FloatField):
    json_types = (int, float)


class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = serializers.ModelSerializer.serializer_field_mapping | {
        models.CharField: CharField,
        models.TextField: CharField,
        models.IntegerField: IntegerField,
        models.PositiveIntegerField: IntegerField,
        models.PositiveSmallIntegerField: IntegerField,
        models.SmallIntegerField: IntegerField,
        models.BigIntegerField: IntegerField,
        models.BooleanField: BooleanField,
        models.FloatField: FloatField,
    }
