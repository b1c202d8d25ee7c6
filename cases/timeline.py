"""A procedure's story on its page (its *Cronologia*): what happened to it, who did it, when.

Told from the audit history (django-simple-history) of the procedure and of the rows around it,
newest first and capped. ``cases`` tells what it owns (the procedure, its units, the meetings
that discussed it); the apps above it add theirs (workers taken in charge, step moves and group
changes in bulk, PIP decisions) by registering a source here from their ``AppConfig.ready``: a
lower app never imports a higher one (docs/adr/0006-layers.md).

A source answers with at most ``limit`` entries, in a fixed number of queries whatever the
number of rows (a bulk move of 24 workers is one entry with its count), and only what the
viewer may see (:mod:`crisi_portal.scoping`).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Field
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from cases.models import CrisisProcedure, Meeting, ProductionUnit
from crisi_portal.models import User
from crisi_portal.scoping import AnyUser, visible_changes

LIMIT = 30

# A field's label (a translatable string), its value before and after.
type FieldChange = tuple[str | Promise, object, object]


@dataclass
class TimelineEntry:
    when: datetime
    user: User | None
    text: str
    changes: list[FieldChange] = field(default_factory=list)
    url: str = ""


type TimelineSource = Callable[[CrisisProcedure, AnyUser, int], list[TimelineEntry]]

_SOURCES: list[TimelineSource] = []


def register(source: TimelineSource) -> TimelineSource:
    """Add a source of entries to every procedure's story (once: a reload does not repeat it)."""
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def procedure_timeline(
    procedure: CrisisProcedure, user: AnyUser, limit: int = LIMIT
) -> list[TimelineEntry]:
    """The latest ``limit`` entries of the procedure's story that ``user`` may see, newest
    first."""
    entries = [entry for source in _SOURCES for entry in source(procedure, user, limit)]
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries[:limit]


PROCEDURE_ACTIONS = {
    "+": lambda: _("Procedure opened"),
    "~": lambda: _("Procedure changed"),
    "-": lambda: _("Procedure deleted"),
}


@register
def procedure_records(procedure: CrisisProcedure, user: AnyUser, limit: int):
    """The procedure's own records, each change with its fields before and after."""
    records = list(procedure.history.select_related("history_user")[: limit + 1])
    entries = []
    for record, previous in zip(records[:limit], records[1:] + [None], strict=False):
        changes: list[FieldChange] = []
        if previous is not None and record.history_type == "~":
            for change in record.diff_against(previous).changes:
                model_field = CrisisProcedure._meta.get_field(change.field)
                # A diff compares the record's own fields, never a reverse relation.
                label = model_field.verbose_name if isinstance(model_field, Field) else change.field
                changes.append((label, change.old, change.new))
        text = PROCEDURE_ACTIONS[record.history_type]()
        if record.history_change_reason:
            text = f"{text} ({record.history_change_reason})"
        entries.append(TimelineEntry(record.history_date, record.history_user, text, changes))
    return entries


@register
def unit_records(procedure: CrisisProcedure, user: AnyUser, limit: int):
    """Units added, changed or removed (those the viewer sees, or saw)."""
    history = ProductionUnit.history.filter(procedure_id=procedure.pk)
    records = (
        visible_changes(ProductionUnit, user, history)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:limit]
    )
    texts = {
        "+": _("Production unit %(name)s added"),
        "~": _("Production unit %(name)s changed"),
        "-": _("Production unit %(name)s removed"),
    }
    return [
        TimelineEntry(
            record.history_date,
            record.history_user,
            texts[record.history_type] % {"name": record.name or record.comune},
        )
        for record in records
    ]


@register
def meeting_records(procedure: CrisisProcedure, user: AnyUser, limit: int):
    """Meetings that discussed the procedure (those the viewer sees), when they were recorded."""
    meetings = Meeting.objects.visible_to(user).filter(procedures=procedure).values("pk")
    records = (
        Meeting.history.filter(history_type="+", id__in=meetings)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:limit]
    )
    return [
        TimelineEntry(
            record.history_date,
            record.history_user,
            _("Meeting of %(date)s recorded (%(kind)s)")
            % {"date": record.date.strftime("%d/%m/%Y"), "kind": record.get_kind_display()},
            url=Meeting(pk=record.id).get_absolute_url(),
        )
        for record in records
    ]
