"""Small template helpers shared by every list and detail page."""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext as _

from crisi_portal import scoping
from crisi_portal.forms import error_summary

register = template.Library()


def sort_direction(ordering: str, key: str) -> str | None:
    """How the list is sorted by ``key``: "ascending", "descending" or None (not by it)."""
    if ordering == key:
        return "ascending"
    if ordering == f"-{key}":
        return "descending"
    return None


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label: str) -> str:
    """A column header's link that sorts by ``key``, toggling the direction, keeping the filters.

    The sorted state is for the header cell to say (``sort_aria``): ``aria-sort`` belongs on the
    ``th``, never on a link. The active link also says it in words, for a header holding two.
    """
    request = context["request"]
    direction = sort_direction(request.GET.get("ordering", ""), key)
    params = request.GET.copy()
    params["ordering"] = f"-{key}" if direction == "ascending" else key
    params.pop("page", None)
    if direction is None:  # not the sort column: no arrow, so the active one stands out
        return format_html('<a class="sort-link" href="?{}">{}</a>', params.urlencode(), label)
    sprite = static("vendor/bootstrap-italia/svg/sprites.svg")
    icon = "it-arrow-up-triangle" if direction == "ascending" else "it-arrow-down-triangle"
    words = _("sorted ascending") if direction == "ascending" else _("sorted descending")
    return format_html(
        '<a class="sort-link sort-active" href="?{}">{}<span class="visually-hidden"> ({})</span>'
        '<svg class="icon icon-xs" aria-hidden="true"><use href="{}#{}"></use></svg></a>',
        params.urlencode(),
        label,
        words,
        sprite,
        icon,
    )


@register.simple_tag(takes_context=True)
def sort_aria(context, *keys: str) -> str:
    """`` aria-sort="…"`` for a ``th`` whose column the list is sorted by (one of ``keys``).

    Nothing when it is not: a column not sorted carries no aria-sort (WAI-ARIA: at most one
    header of a table says how it is sorted).
    """
    ordering = context["request"].GET.get("ordering", "")
    for key in keys:
        direction = sort_direction(ordering, key)
        if direction:
            return format_html(' aria-sort="{}"', direction)
    return ""


@register.simple_tag
def icon(name: str, extra: str = "") -> str:
    sprite = static("vendor/bootstrap-italia/svg/sprites.svg")
    return format_html(
        '<svg class="icon {}" aria-hidden="true"><use href="{}#{}"></use></svg>',
        extra,
        sprite,
        name,
    )


@register.inclusion_tag("includes/error_summary.html")
def error_summary_for(*forms_and_formsets) -> dict:
    """``{% error_summary_for form formset %}``: the list of errors on top of a refused form."""
    return {"error_summary": error_summary(*forms_and_formsets)}


@register.filter
def sees_identity(user) -> bool:
    """Whether ``user`` sees workers' names and fiscal codes (and so may search by them)."""
    return scoping.sees_identity(user)
