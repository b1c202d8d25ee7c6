"""Report periods: parsing, boundaries, the period before, and what a scheduled run covers."""

from datetime import date

import pytest

from monitoring.enums import ReportKind
from monitoring.periods import Period, PeriodError


@pytest.mark.parametrize(
    ("kind", "text", "start", "end"),
    [
        ("annual", "2024", date(2024, 1, 1), date(2024, 12, 31)),
        ("quarterly", "2025-Q1", date(2025, 1, 1), date(2025, 3, 31)),
        ("quarterly", "2025-q3", date(2025, 7, 1), date(2025, 9, 30)),
        ("quarterly", "2025-Q4", date(2025, 10, 1), date(2025, 12, 31)),
        ("bimonthly", "2024-B1", date(2024, 1, 1), date(2024, 2, 29)),  # leap year
        ("bimonthly", "2025-B1", date(2025, 1, 1), date(2025, 2, 28)),
        ("bimonthly", "2025-B3", date(2025, 5, 1), date(2025, 6, 30)),
        ("bimonthly", "2025-B6", date(2025, 11, 1), date(2025, 12, 31)),
    ],
)
def test_a_period_spans_its_first_to_its_last_day(kind, text, start, end):
    period = Period.parse(kind, text)
    assert (period.start, period.end) == (start, end)
    assert period.code == text.upper()


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("annual", "2025-Q1"),
        ("quarterly", "2025"),
        ("quarterly", "2025-Q5"),
        ("bimonthly", "2025-B7"),
        ("bimonthly", "2025-Q3"),
        ("bimonthly", "25-B1"),
        ("annual", "1999"),
        ("monthly", "2025"),
        ("annual", ""),
    ],
)
def test_a_malformed_period_is_refused_with_an_example(kind, text):
    with pytest.raises(PeriodError):
        Period.parse(kind, text)


def test_the_refusal_shows_how_to_write_the_period():
    with pytest.raises(PeriodError, match="2025-B3"):
        Period.parse("bimonthly", "2025-3")


@pytest.mark.parametrize(
    ("kind", "text", "previous"),
    [
        ("annual", "2025", "2024"),
        ("quarterly", "2025-Q1", "2024-Q4"),
        ("quarterly", "2025-Q3", "2025-Q2"),
        ("bimonthly", "2025-B1", "2024-B6"),
        ("bimonthly", "2025-B4", "2025-B3"),
    ],
)
def test_the_previous_period_crosses_years(kind, text, previous):
    assert Period.parse(kind, text).previous().code == previous


@pytest.mark.parametrize(
    ("kind", "day", "expected"),
    [
        # The scheduled days of DOMAIN §5: the run reports on the period just ended.
        ("bimonthly", date(2026, 1, 1), "2025-B6"),
        ("bimonthly", date(2026, 3, 1), "2026-B1"),
        ("bimonthly", date(2026, 5, 1), "2026-B2"),
        ("bimonthly", date(2026, 7, 1), "2026-B3"),
        ("bimonthly", date(2026, 9, 1), "2026-B4"),
        ("bimonthly", date(2026, 11, 1), "2026-B5"),
        ("quarterly", date(2026, 1, 1), "2025-Q4"),
        ("quarterly", date(2026, 4, 1), "2026-Q1"),
        ("quarterly", date(2026, 7, 1), "2026-Q2"),
        ("quarterly", date(2026, 10, 1), "2026-Q3"),
        ("annual", date(2026, 1, 15), "2025"),
    ],
)
def test_a_scheduled_run_covers_the_period_just_ended(kind, day, expected):
    assert Period.just_ended(kind, day).code == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2024, 12, 31), "2024-B6"),
        (date(2025, 1, 1), "2025-B1"),
        (date(2025, 2, 28), "2025-B1"),
        (date(2025, 3, 1), "2025-B2"),
        (date(2025, 4, 30), "2025-B2"),
        (date(2025, 5, 1), "2025-B3"),
    ],
)
def test_bimester_edges(day, expected):
    assert Period.containing(ReportKind.BIMONTHLY, day).code == expected


def test_labels_name_the_span(settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        assert Period.parse("annual", "2025").label == "Year 2025"
        assert "1 July" in Period.parse("quarterly", "2025-Q3").label
        assert "30 September 2025" in Period.parse("quarterly", "2025-Q3").label


# --- issue #13, item 8: periods in words, and the ones the form offers ----------------------


@pytest.mark.parametrize(
    ("kind", "code", "italian", "english"),
    [
        ("bimonthly", "2026-B5", "settembre–ottobre 2026", "September–October 2026"),
        ("quarterly", "2026-Q3", "luglio–settembre 2026", "July–September 2026"),
        ("annual", "2025", "Anno 2025", "Year 2025"),
    ],
)
def test_a_period_reads_in_words_in_the_active_language(kind, code, italian, english):
    from django.utils import translation

    period = Period.parse(kind, code)
    with translation.override("en"):
        assert period.words == english
    with translation.override("it"):
        assert period.words.lower() == italian.lower()


def test_the_form_offers_the_period_under_way_and_five_years_back_newest_first():
    from monitoring.periods import offered_periods

    today = date(2026, 9, 15)
    bimesters = offered_periods("bimonthly", today)
    assert [p.code for p in bimesters[:2]] == ["2026-B5", "2026-B4"]
    assert bimesters[-1].code == "2022-B1"
    assert [p.code for p in offered_periods("annual", today)] == [
        "2026",
        "2025",
        "2024",
        "2023",
        "2022",
    ]
