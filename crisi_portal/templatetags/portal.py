"""Small template helpers shared by every list and detail page."""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

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
        target, icon, aria = key, "it-arrow-up-triangle", "none"
    params = request.GET.copy()
    params["ordering"] = target
    params.pop("page", None)
    sprite = static("vendor/bootstrap-italia/svg/sprites.svg")
    active = " sort-active" if aria != "none" else ""
    return format_html(
        '<a class="sort-link{}" href="?{}" aria-sort="{}">{}'
        '<svg class="icon icon-xs" aria-hidden="true"><use href="{}#{}"></use></svg></a>',
        active,
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
