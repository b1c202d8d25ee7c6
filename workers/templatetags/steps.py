"""The workers' steps shown on pages of apps below this one.

A lower app never imports a higher one (docs/adr/0006-layers.md): the procedure page
(``cases``) shows how many of its workers stand at each step through this tag, which its
template loads, instead of its view importing ``workers``.
"""

from django import template
from django.db.models import Count

from workers.models import Cohort, Involvement
from workers.selectors import step_tiles

register = template.Library()


@register.simple_tag(takes_context=True)
def procedure_step_counts(context, procedure) -> list[tuple[str, str, int]]:
    """(step, short label, workers) of the procedure's workers the user sees, per step."""
    user = context["request"].user
    return step_tiles(Involvement.objects.visible_to(user).filter(procedure=procedure))


@register.simple_tag(takes_context=True)
def procedure_cohorts(context, procedure) -> list:
    """The procedure's groups the user sees, each with ``n``: how many of its workers they see."""
    user = context["request"].user
    seen = Involvement.objects.visible_through(user, "involvements")
    return list(
        Cohort.objects.visible_to(user)
        .filter(procedure=procedure)
        .annotate(n=Count("involvements", filter=seen))
        .order_by("name")
    )
