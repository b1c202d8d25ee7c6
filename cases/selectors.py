"""Reads that need more than a queryset method."""

from dataclasses import dataclass
from datetime import datetime

from cases.models import CrisisProcedure


@dataclass
class HistoryEntry:
    when: datetime
    action: str  # "+", "~" or "-"
    user: object
    reason: str
    changes: list[tuple[str, object, object]]


def procedure_history(procedure: CrisisProcedure, limit: int = 15) -> list[HistoryEntry]:
    """The latest audit records of a procedure, each with its field-level before/after."""
    records = list(procedure.history.select_related("history_user")[: limit + 1])
    entries = []
    for record, previous in zip(records, [*records[1:], None], strict=False):
        if len(entries) == limit:
            break
        changes = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            for change in delta.changes:
                field = CrisisProcedure._meta.get_field(change.field)
                changes.append((field.verbose_name, change.old, change.new))
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
