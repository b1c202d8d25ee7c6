"""Reads around the tables (Tavolo Regionale di coordinamento and Tavoli Bilaterali, DGR
6177/2023, decreto 5151/2025): the agenda in order, what was done after each decision, the
calendar month, the iCalendar serialization and the counts per year and province.

What followed a decision is found in the portal's own data. The apps above ``cases`` (workers,
pal) know where: they register a finder per decision kind in ``FOLLOW_UPS`` when they load
(their ``AppConfig.ready``), so this module imports nothing from them.
"""

import calendar
import datetime
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.enums import PROVINCE_CODES, DecisionKind, MeetingKind
from cases.models import AgendaItem, CrisisProcedure, Meeting, MeetingDecision
from crisi_portal.scoping import AnyUser

# --- Agenda --------------------------------------------------------------------------------


def agenda(meeting: Meeting, user: AnyUser) -> QuerySet:
    """The procedures on the meeting's agenda the user sees, in order, each with ``position``
    and ``topic`` (one query). Procedures attached outside the services come last."""
    items = AgendaItem.objects.filter(meeting=meeting, procedure=OuterRef("pk"))
    return (
        meeting.procedures.visible_to(user)
        .select_related("company", "lead_province")
        .annotate(
            position=Subquery(items.values("position")[:1]),
            topic=Coalesce(Subquery(items.values("topic")[:1]), Value("")),
        )
        .order_by(F("position").asc(nulls_last=True), "company__name", "pk")
    )


# --- Decisions and what followed -----------------------------------------------------------


@dataclass(frozen=True)
class FollowUp:
    """What the portal found done after a decision: a sentence, and where to look."""

    text: str
    url: str = ""


# kind -> finder(decisions of that kind) -> {decision id: FollowUp}; one query per kind.
type FollowUpFinder = Callable[[Sequence[MeetingDecision]], dict[int, FollowUp]]
FOLLOW_UPS: dict[str, FollowUpFinder] = {}


def register_follow_up(kind: str, finder: FollowUpFinder) -> None:
    FOLLOW_UPS[kind] = finder


def next_bilateral_tables(decisions: Sequence[MeetingDecision]) -> dict[int, FollowUp]:
    """'Convene a bilateral table': the first bilateral table after the meeting (a later one
    on the same day counts) that discusses the procedure."""
    later = Meeting.objects.filter(
        kind=MeetingKind.BILATERALE, procedures=OuterRef("procedure")
    ).filter(
        Q(date__gt=OuterRef("meeting__date"))
        | Q(date=OuterRef("meeting__date"), pk__gt=OuterRef("meeting_id"))
    )
    rows = (
        MeetingDecision.objects.filter(pk__in=[d.pk for d in decisions])
        .annotate(
            next_id=Subquery(later.order_by("date", "pk").values("pk")[:1]),
            next_date=Subquery(later.order_by("date", "pk").values("date")[:1]),
        )
        .filter(next_id__isnull=False)
        .values("pk", "next_id", "next_date")
    )
    return {
        row["pk"]: FollowUp(
            _("Bilateral table held on %(date)s.") % {"date": f"{row['next_date']:%d/%m/%Y}"},
            Meeting(pk=row["next_id"]).get_absolute_url(),
        )
        for row in rows
    }


register_follow_up(DecisionKind.TAVOLO_BILATERALE, next_bilateral_tables)


def with_follow_ups(decisions: Iterable[MeetingDecision]) -> list[MeetingDecision]:
    """The decisions, each with ``follow_up`` (a :class:`FollowUp` or None): one query per
    kind that has a finder, whatever the number of decisions."""
    decisions = list(decisions)
    found: dict[int, FollowUp] = {}
    for kind, finder in FOLLOW_UPS.items():
        of_kind = [d for d in decisions if d.kind == kind]
        if of_kind:
            found.update(finder(of_kind))
    for decision in decisions:
        decision.follow_up = found.get(decision.pk)  # type: ignore[attr-defined]
    return decisions


def decisions_for(meetings_or_procedure: Q, user: AnyUser) -> list[MeetingDecision]:
    """Decisions matching the condition, about procedures the user sees, with follow-ups."""
    visible = CrisisProcedure.objects.visible_to(user)
    rows = (
        MeetingDecision.objects.filter(meetings_or_procedure, procedure__in=visible)
        .select_related("procedure__company", "meeting")
        .order_by("meeting__date", "meeting_id", "pk")
    )
    return with_follow_ups(rows)


# --- Calendar ------------------------------------------------------------------------------


@dataclass
class Day:
    date: datetime.date
    in_month: bool
    meetings: list[Meeting] = field(default_factory=list)


def month_bounds(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, month, 1), datetime.date(
        year, month, calendar.monthrange(year, month)[1]
    )


def shift_month(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_weeks(year: int, month: int, meetings: Iterable[Meeting]) -> list[list[Day]]:
    """The month as weeks Monday to Sunday (days of the neighbouring months included, marked),
    each day with its meetings."""
    weeks = [
        [Day(day, day.month == month) for day in week]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    ]
    by_date = {day.date: day for week in weeks for day in week}
    for meeting in meetings:
        if meeting.date in by_date:
            by_date[meeting.date].meetings.append(meeting)
    return weeks


def calendar_meetings(user: AnyUser) -> QuerySet:
    """The meetings the user may see, for the calendar (regional and bilateral tables first
    of all, the other meetings too)."""
    return (
        Meeting.objects.visible_to(user)
        .select_related("province")
        .annotate(n_procedures=Count("procedures", distinct=True))
        .order_by("date", "pk")
    )


# --- iCalendar (RFC 5545) ------------------------------------------------------------------


def ical_escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11): backslash, semicolon, comma, newline."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def ical_fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character:
    continuation lines start with one space."""
    out: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


@dataclass(frozen=True)
class Event:
    uid: str
    day: datetime.date
    summary: str
    description: str
    url: str
    modified: datetime.datetime


def _utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def ical_calendar(name: str, events: Iterable[Event], now: datetime.datetime | None = None) -> str:
    """A VCALENDAR of all-day events, CRLF line ends, folded, escaped."""
    stamp = _utc(now or timezone.now())
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Regione Lombardia//crisi_portal//IT",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ical_escape(name)}",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{event.day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{event.day + datetime.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{ical_escape(event.summary)}",
            f"DESCRIPTION:{ical_escape(event.description)}",
            f"URL:{event.url}",
            f"LAST-MODIFIED:{_utc(event.modified)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(ical_fold(line) + "\r\n" for line in lines)


def meeting_events(
    meetings: Iterable[Meeting], absolute: Callable[[str], str], host: str
) -> Iterator[Event]:
    """The meetings as events: kind, convener and the number of procedures discussed — no
    worker's data, no company the subscriber might not see."""
    for meeting in meetings:
        convener = meeting.province.name if meeting.province is not None else _("Region")
        summary = f"{meeting.get_kind_display()} – {convener}"
        description = _("Convened by %(convener)s. Procedures discussed: %(n)d.") % {
            "convener": convener,
            "n": meeting.n_procedures,  # type: ignore[attr-defined]
        }
        yield Event(
            uid=f"meeting-{meeting.pk}@{host}",
            day=meeting.date,
            summary=summary,
            description=description,
            url=absolute(meeting.get_absolute_url()),
            modified=meeting.updated_at,
        )


# --- Counts per year and province ----------------------------------------------------------

TABLE_KINDS = (MeetingKind.REGIONALE, MeetingKind.BILATERALE)
REGION = "LOM"


def table_counts(meetings: QuerySet, year: int | None = None) -> list[dict]:
    """Regional and bilateral tables per year and convener: a regional table counts once, for
    the Region (``LOM``); a bilateral table for the province whose Nucleo convened it (``LOM``
    when the Region did). Rows ``{year, convener, regional, bilateral}``, counted in the
    database."""
    rows = meetings.filter(kind__in=TABLE_KINDS)
    if year is not None:
        rows = rows.filter(date__year=year)
    counted = (
        rows.order_by()
        .values("date__year", "province_id")
        .annotate(
            regional=Count("pk", filter=Q(kind=MeetingKind.REGIONALE)),
            bilateral=Count("pk", filter=Q(kind=MeetingKind.BILATERALE)),
        )
    )
    result = [
        {
            "year": row["date__year"],
            "convener": row["province_id"] or REGION,
            "regional": row["regional"],
            "bilateral": row["bilateral"],
        }
        for row in counted
    ]
    order = (REGION, *PROVINCE_CODES)
    return sorted(result, key=lambda r: (r["year"], order.index(r["convener"])))
