"""Small template helpers shared by every list and detail page."""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

from crisi_portal import scoping
from crisi_portal.forms import error_summary

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label: str) -> str:
    """A column header that sorts by ``key``, toggling the direction, keeping the filters."""
    request = context["request"]
    current = request.GET.get("ordering", "")
    if current == key:
        target, icon, aria = f"-{key}", "it-arrow-up-triangle", "ascending"
    elif current == f"-{key}":
        target, icon, aria = key, "it-arrow-down-triangle", "descending"
    else:
        target, icon, aria = key, None, "none"
    params = request.GET.copy()
    params["ordering"] = target
    params.pop("page", None)
    if icon is None:  # not the sort column: no arrow, so the active one stands out
        return format_html('<a class="sort-link" href="?{}">{}</a>', params.urlencode(), label)
    sprite = static("vendor/bootstrap-italia/svg/sprites.svg")
    return format_html(
        '<a class="sort-link sort-active" href="?{}" aria-sort="{}">{}'
        '<svg class="icon icon-xs" aria-hidden="true"><use href="{}#{}"></use></svg></a>',
        params.urlencode(),
        aria,
        label,
        sprite,
        icon,
    )


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
