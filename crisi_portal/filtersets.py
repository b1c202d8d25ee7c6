"""Filters every list offers, in the browser and in the API alike.

Query values come from anyone: each filter bounds what it accepts so that a bad value is a
filter error naming the parameter (HTML: the form shows it; API: a 400 problem through
``FilterBackend``), never a database error. Ids are positive 64-bit integers, years lie in
1–9999 (what a date can hold), ``updated_since`` is an ISO 8601 date-time whose UTC offset is
whole minutes.
"""

import re
from datetime import UTC

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend

from crisi_portal.forms import StyledFormMixin

MAX_ID = 2**63 - 1  # bigint
# A time followed by an offset that has seconds (``…+05:45:30``, ``…+00:00:00.5``).
OFFSET_WITH_SECONDS = re.compile(r"[0-9]{2}[+-][0-9]{2}:?[0-9]{2}:?[0-9]{2}(\.[0-9]+)?$")


class IdFilter(django_filters.NumberFilter):
    """An object id: a whole number from 1 to the largest bigint."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)

    def get_max_validator(self):
        return None  # max_value above says it


class YearFilter(django_filters.NumberFilter):
    """A calendar year (``lookup_expr="year"``): 1–9999, the years a date can hold."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("lookup_expr", "year")
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 9999)
        super().__init__(*args, **kwargs)

    def get_max_validator(self):
        return None


class UtcIsoDateTimeField(IsoDateTimeField):
    """ISO 8601 date-time (``Z``, ``±hh``, ``±hhmm`` or ``±hh:mm`` offsets), given back in UTC.

    Offsets with seconds are not ISO 8601 and a moment that leaves years 1–9999 once in UTC
    cannot be stored: both are errors here rather than a failure in the database driver.
    """

    default_error_messages = {
        "offset": _(
            "Give the UTC offset in hours and minutes, e.g. 2025-03-01T00:00:00+01:00 or …Z."
        ),
        "range": _("The date-time is out of range."),
    }

    def to_python(self, value):
        if isinstance(value, str) and OFFSET_WITH_SECONDS.search(value.strip()):
            raise ValidationError(self.error_messages["offset"], code="offset")
        result = super().to_python(value)
        if result is None:
            return None
        offset = result.utcoffset()
        if offset is not None and (offset.seconds % 60 or offset.microseconds):
            raise ValidationError(self.error_messages["offset"], code="offset")
        try:
            return result.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValidationError(self.error_messages["range"], code="range") from None


class UpdatedSinceFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


def yes_no_filter(label):
    """A boolean filter offering All / Yes / No in its form (not django-filter's "Unknown",
    which reads as a value of its own where "All" is meant)."""
    return django_filters.BooleanFilter(
        label=label,
        widget=forms.Select(choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))]),
    )


class BaseFilterSet(django_filters.FilterSet):
    """``updated_since`` lets other systems fetch only what changed since their last sync."""

    updated_since = UpdatedSinceFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label=_("Updated since"),
        help_text=_("ISO 8601 date-time, e.g. 2025-03-01T00:00:00+01:00"),
    )

    def get_form_class(self):
        form_class = super().get_form_class()
        return type(form_class.__name__, (StyledFormMixin, form_class), {})


# What every list takes besides its filters: paging (crisi_portal/pagination.py) and DRF's
# renderer choice.
API_QUERY_PARAMS = frozenset({"limit", "offset", "cursor", "paging", "format"})


class FilterBackend(DjangoFilterBackend):
    """The API's filters: invalid query values are a 400 problem naming each parameter."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        from crisi_portal.errors import InvalidQuery  # DRF loads this module early

        # A misspelt filter (``?udpated_since=``) would otherwise list everything: for a syncing
        # client that is silent data loss, so a parameter the schema does not name is a 400.
        known = set(filterset.filters) | API_QUERY_PARAMS
        unknown = [
            {"field": name, "message": str(_("Unknown query parameter."))}
            for name in request.query_params
            if name not in known
        ]
        if unknown:
            raise InvalidQuery(unknown)
        # A browser form sends its empty fields and means "any"; an API client that sends
        # ``?updated_since=`` or ``?procedure=`` has lost a value: the schema says such a value
        # is never empty (minLength 1, or a typed value). Free text may still be blank.
        message = str(_("Give a value, or leave the parameter out."))
        empty = [
            {"field": name, "message": message}
            for name in empty_parameters(filterset, request.query_params)
        ]
        # NullBooleanField reads any other word as "unknown", i.e. no filter at all.
        not_boolean = [
            {"field": name, "message": str(_("Must be true or false."))}
            for name, query_filter in filterset.filters.items()
            if issubclass(query_filter.field_class, forms.NullBooleanField)
            and any(
                value.strip().lower() not in ("true", "false")
                for value in request.query_params.getlist(name)
                if value.strip()
            )
        ]
        if empty or not_boolean:
            raise InvalidQuery(empty + not_boolean)
        if not filterset.is_valid():
            if only_unknown_objects(filterset, request.query_params):
                # ``?measure=XYZ`` names no measure the user sees: like ``?procedure=<an id
                # that names nothing>``, nothing matches (and out of scope looks the same).
                return queryset.none()
            raise InvalidQuery(
                [
                    {"field": name, "message": str(message)}
                    for name, messages in filterset.errors.items()
                    for message in messages
                ]
            )
        return filterset.qs


def is_free_text(filter_) -> bool:
    """A filter whose value is any text ("" included): the others take a date, number, choice…"""
    return isinstance(filter_, django_filters.CharFilter) and not isinstance(
        filter_, django_filters.ChoiceFilter | django_filters.MultipleChoiceFilter
    )


MODEL_CHOICE_FILTERS = django_filters.ModelChoiceFilter | django_filters.ModelMultipleChoiceFilter


def names_objects(filter_) -> bool:
    """A filter whose value is the code or id of an object (a province, a measure, an operator).

    Model choices, and choices computed at request time (a province code or "regional"): the
    schema cannot list them, so a value naming nothing is no malformed request.
    """
    if isinstance(filter_, MODEL_CHOICE_FILTERS):
        return True
    return isinstance(filter_, django_filters.ChoiceFilter) and callable(
        filter_.extra.get("choices")
    )


# A value that names no object: none of the choices, or text with a NUL character (which no
# code or name holds; Django's forms refuse it before looking).
NAMES_NOTHING = frozenset({"invalid_choice", "null_characters_not_allowed"})


def only_unknown_objects(filterset, query) -> bool:
    """Every error is a value naming no object (``invalid_choice``) of a filter that names one.

    An id must still be an id (a whole number from 1 to the largest bigint, as the schema
    says): ``?operator=9223372036854775808`` is a 400, ``?operator=99999`` matches nothing.
    """
    errors = filterset.form.errors.as_data()

    def unknown(name, field_errors) -> bool:
        filter_ = filterset.filters.get(name)
        if not names_objects(filter_) or any(e.code not in NAMES_NOTHING for e in field_errors):
            return False
        if isinstance(filter_, MODEL_CHOICE_FILTERS) and _takes_ids(filter_):
            return all(is_id(value) for value in query.getlist(name))
        return True

    return bool(errors) and all(unknown(name, errs) for name, errs in errors.items())


def _takes_ids(filter_) -> bool:
    """A model-choice filter keyed on an integer primary key (the schema says an id)."""
    if filter_.extra.get("to_field_name"):
        return False
    model = getattr(filter_.extra.get("queryset"), "model", None)
    return model is None or isinstance(
        model._meta.pk, models.AutoField | models.BigAutoField | models.IntegerField
    )


def is_id(value: str) -> bool:
    """A whole number from 1 to the largest bigint, as the schema says an id is."""
    value = value.strip()
    return value.isascii() and value.isdigit() and 1 <= int(value[:20]) <= MAX_ID


def empty_parameters(filterset, query) -> list[str]:
    """Parameters given empty (``?updated_since=``) that are not free text.

    An empty date, id, choice or boolean is no value of its type: the API refuses it, as the
    schema says, rather than ignoring the filter as the HTML forms do.
    """
    return [
        name
        for name, filter_ in filterset.filters.items()
        if name in query
        and not is_free_text(filter_)
        and not isinstance(filter_, django_filters.OrderingFilter)  # empty: the default order
        and all(not value.strip() for value in query.getlist(name))
    ]
