"""Filters every list offers, in the browser and in the API alike."""

import django_filters
from django.utils.translation import gettext_lazy as _

from crisi_portal.forms import StyledFormMixin


class BaseFilterSet(django_filters.FilterSet):
    """``updated_since`` lets other systems fetch only what changed since their last sync."""

    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label=_("Updated since"),
        help_text=_("ISO 8601 date-time, e.g. 2025-03-01T00:00:00+01:00"),
    )

    def get_form_class(self):
        form_class = super().get_form_class()
        return type(form_class.__name__, (StyledFormMixin, form_class), {})
