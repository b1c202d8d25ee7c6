"""Numbers and dates in the Region's print format, whatever the active language (§5)."""

import datetime

import pytest
from django.utils import translation

from monitoring import formatting

MINUS = "\u2212"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (7, "7"),
        (999, "999"),
        (1000, "1.000"),
        (1615, "1.615"),
        (11800, "11.800"),
        (1234567, "1.234.567"),
        (-3, f"{MINUS}3"),
        (-1615, f"{MINUS}1.615"),
    ],
)
def test_integers_group_thousands_with_a_dot(value, expected):
    assert formatting.integer(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0,0"),
        (0.0, "0,0"),
        (10.3, "10,3"),
        (10.25, "10,3"),  # half up, not to even, and not spoiled by 10.25's binary error
        (10.35, "10,4"),
        (47.1, "47,1"),
        (1234.5, "1.234,5"),
        (-1.2, f"{MINUS}1,2"),
        (-0.04, "0,0"),  # no negative zero
    ],
)
def test_percentages_have_one_decimal_after_a_comma(value, expected):
    assert formatting.percent(value) == expected


@pytest.mark.parametrize(("value", "expected"), [(100, "100,00"), (0, "0,00"), (99.999, "100,00")])
def test_the_tot_row_percentage_has_two_decimals(value, expected):
    assert formatting.total_percent(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12, "+12"), (-3, f"{MINUS}3"), (0, "0"), (1615, "+1.615"), (-1000, f"{MINUS}1.000")],
)
def test_changes_carry_their_sign(value, expected):
    assert formatting.signed_integer(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1.5, "+1,5"), (-1.2, f"{MINUS}1,2"), (0.0, "0,0"), (-0.04, "0,0"), (0.05, "+0,1")],
)
def test_decimal_changes_carry_their_sign(value, expected):
    assert formatting.signed_decimal(value) == expected


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (10.3, 1, "10.3"),
        (0, 1, "0.0"),
        (100, 2, "100.00"),
        (-1.2, 1, "-1.2"),
        (1234.5, 1, "1234.5"),
    ],
)
def test_csv_decimals_use_a_dot_and_no_grouping(value, places, expected):
    assert formatting.plain_decimal(value, places) == expected


def test_the_format_does_not_follow_the_active_language():
    with translation.override("en"):
        assert formatting.integer(1615) == "1.615"
        assert formatting.percent(10.3) == "10,3"
    with translation.override("it"):
        assert formatting.integer(1615) == "1.615"


def test_dates_read_day_month_year():
    assert formatting.day(datetime.date(2026, 10, 31)) == "31/10/2026"
    assert formatting.day("2026-01-05") == "05/01/2026"
    assert formatting.day(None) == ""


def test_the_generation_moment_is_shown_on_rome_time():
    winter = datetime.datetime(2026, 11, 21, 22, 5, tzinfo=datetime.UTC)
    summer = datetime.datetime(2026, 7, 1, 22, 5, tzinfo=datetime.UTC)
    assert formatting.moment(winter) == "21/11/2026 23:05"
    assert formatting.moment(summer) == "02/07/2026 00:05"
