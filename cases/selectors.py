"""Reads that need more than a queryset method."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Field, Q
from django.utils.functional import Promise

from cases.enums import Status
from cases.models import CrisisProcedure
from crisi_portal.models import User

# A field's label (a translatable string), its value before and after.
type FieldChange = tuple[str | Promise, object, object]


@dataclass
class HistoryEntry:
    when: datetime
    action: str  # "+", "~" or "-"
    user: User | None
    reason: str
    changes: list[FieldChange]


def procedure_history(procedure: CrisisProcedure, limit: int = 15) -> list[HistoryEntry]:
    """The latest audit records of a procedure, each with its field-level before/after."""
    records = list(procedure.history.select_related("history_user")[: limit + 1])
    entries: list[HistoryEntry] = []
    for record, previous in zip(records, [*records[1:], None], strict=False):
        if len(entries) == limit:
            break
        changes: list[FieldChange] = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            for change in delta.changes:
                field = CrisisProcedure._meta.get_field(change.field)
                # A diff compares the record's own fields, never a reverse relation.
                label = field.verbose_name if isinstance(field, Field) else change.field
                changes.append((label, change.old, change.new))
        entries.append(
            HistoryEntry(
                when=record.history_date,
                action=record.history_type,
                user=record.history_user,
                reason=record.history_change_reason or "",
                changes=changes,
            )
        )
    return entries


# The meeting form's procedure picker: a search over the procedures in scope, a page of them.
PICKER_LIMIT = 20


@dataclass
class ProcedurePicker:
    query: str
    selected: list[CrisisProcedure]
    matches: list[CrisisProcedure]
    more: bool  # more procedures match than are shown


def procedure_picker(
    user: User, *, selected_ids: Iterable[int | str], query: str = ""
) -> ProcedurePicker:
    """The procedures chosen so far (those the user sees) and, besides them, the ones matching
    ``query`` by company name or external id — the latest opened first, at most PICKER_LIMIT.
    Without a query: the latest open procedures."""
    visible = CrisisProcedure.objects.visible_to(user).select_related("company", "lead_province")
    ids = {int(i) for i in selected_ids if str(i).isdigit()}
    selected = list(visible.filter(pk__in=ids).order_by("company__name", "pk")) if ids else []
    query = query.strip()[:100]
    candidates = visible.exclude(pk__in=[p.pk for p in selected])
    if query:
        candidates = candidates.filter(
            Q(company__name__icontains=query) | Q(external_id__icontains=query)
        )
    else:
        candidates = candidates.exclude(status=Status.CHIUSA)
    found = list(candidates.order_by("-opened_on", "-pk")[: PICKER_LIMIT + 1])
    return ProcedurePicker(
        query=query, selected=selected, matches=found[:PICKER_LIMIT], more=len(found) > PICKER_LIMIT
    )
