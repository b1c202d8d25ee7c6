"""Reads that need more than a queryset method."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Field
from django.utils.functional import Promise

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
