"""Report periods: ``2025`` (year), ``2025-Q3`` (quarter), ``2025-B3`` (bimester, B1 = Jan–Feb).

A period knows its first and last day, the period before it, and which period a scheduled run
on a given day reports on (the one that has just ended).
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date

from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from monitoring.enums import ReportKind

# Bimonthly reports cover bimesters, quarterly reports quarters, annual reports years.
MONTHS_PER_PART = {ReportKind.BIMONTHLY: 2, ReportKind.QUARTERLY: 3, ReportKind.ANNUAL: 12}
PART_LETTER = {ReportKind.BIMONTHLY: "B", ReportKind.QUARTERLY: "Q"}
PATTERNS = {
    ReportKind.ANNUAL: re.compile(r"^(?P<year>\d{4})$"),
    ReportKind.QUARTERLY: re.compile(r"^(?P<year>\d{4})-Q(?P<part>[1-4])$"),
    ReportKind.BIMONTHLY: re.compile(r"^(?P<year>\d{4})-B(?P<part>[1-6])$"),
}
EXAMPLES = {
    ReportKind.ANNUAL: "2025",
    ReportKind.QUARTERLY: "2025-Q3",
    ReportKind.BIMONTHLY: "2025-B3",
    ReportKind.PAL_MONITORING: "2025-Q3 / 2025",
}
FIRST_YEAR = 2000

# The PAL monitoring report (issue #15) comes quarterly and annually: its periods are quarters
# and years, the first its default (scheduled runs name the one they produce). A Period of it
# is a quarter's or a year's: ``Period.kind`` is the span, the report kind stays on the run.
SPANS = {ReportKind.PAL_MONITORING: (ReportKind.QUARTERLY, ReportKind.ANNUAL)}


def spans(kind: str) -> tuple[ReportKind, ...]:
    """The spans a report kind's periods may have: its own, or those of ``SPANS``."""
    kind = ReportKind(kind)
    return SPANS.get(kind, (kind,))


def long_date(day: date, fmt: str) -> str:
    """``1 settembre 2026``: Django's Italian month names are capitalised; Italian writes them
    in lower case inside a date."""
    text = date_format(day, fmt)
    return text.lower() if get_language().startswith("it") else text


class PeriodError(ValueError):
    """A period that does not parse, or does not fit the report kind."""


@dataclass(frozen=True, slots=True)
class Period:
    kind: ReportKind
    year: int
    part: int = 1  # quarter 1–4, bimester 1–6; 1 for a year

    @classmethod
    def parse(cls, kind: str, text: str) -> "Period":
        try:
            kind = ReportKind(kind)
        except ValueError as exc:
            raise PeriodError(_("Unknown report kind “%(kind)s”.") % {"kind": kind}) from exc
        cleaned = (text or "").strip().upper()
        for span in spans(kind):
            match = PATTERNS[span].match(cleaned)
            if match:
                break
        else:
            raise PeriodError(
                _("“%(text)s” is not a period of a %(kind)s report: write it like %(example)s.")
                % {
                    "text": text,
                    "kind": kind.label,
                    "example": EXAMPLES[kind],
                }
            )
        year = int(match["year"])
        if year < FIRST_YEAR:
            raise PeriodError(_("Reports start from %(year)s.") % {"year": FIRST_YEAR})
        return cls(span, year, int(match.groupdict().get("part") or 1))

    @classmethod
    def containing(cls, kind: str, day: date) -> "Period":
        kind = spans(kind)[0]
        return cls(kind, day.year, (day.month - 1) // MONTHS_PER_PART[kind] + 1)

    @classmethod
    def just_ended(cls, kind: str, today: date) -> "Period":
        """The period a scheduled run on ``today`` reports on: the last one fully past."""
        return cls.containing(kind, today).previous()

    @property
    def code(self) -> str:
        if self.kind == ReportKind.ANNUAL:
            return str(self.year)
        return f"{self.year}-{PART_LETTER[self.kind]}{self.part}"

    @property
    def start(self) -> date:
        month = (self.part - 1) * MONTHS_PER_PART[self.kind] + 1
        return date(self.year, month, 1)

    @property
    def end(self) -> date:
        month = self.part * MONTHS_PER_PART[self.kind]
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    def previous(self) -> "Period":
        if self.part > 1:
            return Period(self.kind, self.year, self.part - 1)
        return Period(self.kind, self.year - 1, 12 // MONTHS_PER_PART[self.kind])

    def is_over(self, today: date) -> bool:
        return self.end < today

    @property
    def label(self) -> str:
        """Label in the active language, e.g. “3° trimestre 2025 (1 luglio – 30 settembre 2025)”."""
        if self.kind == ReportKind.ANNUAL:
            return _("Year %(year)s") % {"year": self.year}
        span = f"{long_date(self.start, 'j F')} – {long_date(self.end, 'j F Y')}"
        if self.kind == ReportKind.QUARTERLY:
            name = _("Quarter %(part)s %(year)s") % {"part": self.part, "year": self.year}
        else:
            name = _("Bimester %(part)s %(year)s") % {"part": self.part, "year": self.year}
        return f"{name} ({span})"

    @property
    def words(self) -> str:
        """The period as people say it, in the active language: “settembre–ottobre 2026”
        (bimester), “luglio–settembre 2026” (quarter), “Anno 2026”."""
        if self.kind == ReportKind.ANNUAL:
            return _("Year %(year)s") % {"year": self.year}
        months = f"{long_date(self.start, 'F')}–{long_date(self.end, 'F')}"
        return f"{months} {self.year}"

    def __str__(self) -> str:
        return self.code


def offered_periods(kind: str, today: date, years: int = 5) -> list["Period"]:
    """The periods a report of ``kind`` may be asked for in the form, newest first: the one
    under way and those of the ``years`` calendar years before it. (The API accepts any code.)"""
    periods = []
    for span in spans(kind):
        period = Period.containing(span, today)
        while period.year > today.year - years and period.year >= FIRST_YEAR:
            periods.append(period)
            period = period.previous()
    return periods
