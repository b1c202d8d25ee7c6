"""Re-employment at 6 and 12 months after STEP 1 (issue #15, item 2): every figure of
``monitoring.reemployment`` pinned on hand-built data at the windows' edges.

``AS_OF`` is 28 February 2025, the last day of a short month, so the clamped "+ n months"
(31 August + 6 months = 28 February) is at the edge too. Who is who (BG and MI units):

==== ============ ============================ ===================== =====================
name taken on     outcome                      6 months              12 months
==== ============ ============================ ===================== =====================
a    31/08/2024   new employer 28/02/2025      ends 28/02: in, re    ends 31/08/25: out
b    01/09/2024   new employer 01/10/2024      ends 01/03/25: out    out
c    31/03/2024   new employer 30/09/2024      ends 30/09: in, re    ends 31/03/25: out
d    31/03/2024   new employer 01/10/2024      in, day after: not re out
e    28/02/2024   same company 28/08/2024      in, last day: re      ends 28/02/25: in, re
f    28/02/2024   retirement 01/05/2024        in, not re            in, not re
g    28/02/2024   none                         in                    in
h    29/02/2024   self-employment 28/02/2025   ends 29/08/24: in, not ends 28/02/25: in, re
i    01/03/2024   self-employment 01/03/2024   in, re (first day)    ends 01/03/25: out
==== ============ ============================ ===================== =====================

BG (a–d): 6 months 2 of 3 (66.7 %), 12 months nobody eligible (None).
MI (e–i): 6 months 2 of 5 (40.0 %), 12 months 2 of 4 (50.0 %).
All: 6 months 4 of 8 (50.0 %), 12 months 2 of 4 (50.0 %).
"""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError

from monitoring.reemployment import (
    REEMPLOYED_KINDS,
    WINDOWS,
    eligible_until,
    reemployment,
    reemployment_table,
)
from tests.monitoring.builders import outcome, procedure, unit
from tests.workers.factories import InvolvementFactory
from workers.enums import ContractKind, OutcomeKind
from workers.models import Involvement, add_months
from workers.services import outcome_record

D = datetime.date
AS_OF = D(2025, 2, 28)

PEOPLE = {
    # name: (province, taken on, outcome kind or None, outcome date)
    "a": ("BG", D(2024, 8, 31), OutcomeKind.RICOLLOCATO, D(2025, 2, 28)),
    "b": ("BG", D(2024, 9, 1), OutcomeKind.RICOLLOCATO, D(2024, 10, 1)),
    "c": ("BG", D(2024, 3, 31), OutcomeKind.RICOLLOCATO, D(2024, 9, 30)),
    "d": ("BG", D(2024, 3, 31), OutcomeKind.RICOLLOCATO, D(2024, 10, 1)),
    "e": ("MI", D(2024, 2, 28), OutcomeKind.REINTEGRATO, D(2024, 8, 28)),
    "f": ("MI", D(2024, 2, 28), OutcomeKind.PENSIONAMENTO, D(2024, 5, 1)),
    "g": ("MI", D(2024, 2, 28), None, None),
    "h": ("MI", D(2024, 2, 29), OutcomeKind.AUTOIMPIEGO, D(2025, 2, 28)),
    "i": ("MI", D(2024, 3, 1), OutcomeKind.AUTOIMPIEGO, D(2024, 3, 1)),
}


@pytest.fixture
def people(db):
    sites = {"BG": unit(procedure("BG")), "MI": unit(procedure("MI"))}
    made = {}
    for name, (province, taken_on, kind, day) in PEOPLE.items():
        made[name] = InvolvementFactory(unit=sites[province], taken_on=taken_on)
        if kind:
            outcome(made[name], kind, day)
    return made


def everyone():
    return Involvement.objects.all()


def test_the_constants():
    assert WINDOWS == (6, 12)
    assert set(REEMPLOYED_KINDS) == {
        OutcomeKind.RICOLLOCATO,
        OutcomeKind.REINTEGRATO,
        OutcomeKind.AUTOIMPIEGO,
    }


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2024, 8, 31), 6, D(2025, 2, 28)),
        (D(2023, 8, 31), 6, D(2024, 2, 29)),  # leap year
        (D(2024, 3, 31), 6, D(2024, 9, 30)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 5, 15), 12, D(2025, 5, 15)),
        (D(2024, 12, 31), 2, D(2025, 2, 28)),
        (D(2025, 2, 28), -6, D(2024, 8, 28)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(day, months, expected):
    assert add_months(day, months) == expected


def test_add_months_and_eligible_until_agree_with_dateutil_over_four_years():
    day = D(2023, 1, 1)
    while day < D(2027, 1, 1):
        for months in WINDOWS:
            assert add_months(day, months) == day + relativedelta(months=months)
            cutoff = eligible_until(day, months)
            # The largest taken_on whose window has elapsed on ``day``.
            assert add_months(cutoff, months) <= day
            assert add_months(cutoff + datetime.timedelta(days=1), months) > day
        day += datetime.timedelta(days=1)


def test_six_months_overall(people, django_assert_num_queries):
    with django_assert_num_queries(1):
        figures = reemployment(everyone(), as_of=AS_OF, months=6)
    assert figures == {"eligible": 8, "reemployed": 4, "rate": 50.0}


def test_twelve_months_overall(people):
    assert reemployment(everyone(), as_of=AS_OF, months=12) == {
        "eligible": 4,
        "reemployed": 2,
        "rate": 50.0,
    }


def test_grouped_by_province(people, django_assert_num_queries):
    with django_assert_num_queries(1):
        six = reemployment(everyone(), as_of=AS_OF, months=6, by="unit__province")
    assert six == [
        {"key": "BG", "eligible": 3, "reemployed": 2, "rate": 66.7},
        {"key": "MI", "eligible": 5, "reemployed": 2, "rate": 40.0},
    ]
    assert reemployment(everyone(), as_of=AS_OF, months=12, by="unit__province") == [
        {"key": "BG", "eligible": 0, "reemployed": 0, "rate": None},
        {"key": "MI", "eligible": 4, "reemployed": 2, "rate": 50.0},
    ]


def test_a_window_ending_on_as_of_counts_one_ending_the_day_after_does_not(people):
    day_before = AS_OF - datetime.timedelta(days=1)
    # a's 6-month window and e–h's 12-month windows end on 28 February 2025.
    assert reemployment(everyone(), as_of=day_before, months=6) == {
        "eligible": 7,
        "reemployed": 3,
        "rate": 42.9,
    }
    assert reemployment(everyone(), as_of=day_before, months=12) == {
        "eligible": 0,
        "reemployed": 0,
        "rate": None,
    }


def test_an_outcome_on_the_windows_last_day_counts_the_day_after_does_not(people):
    by_person = reemployment(everyone(), as_of=AS_OF, months=6, by="worker__fiscal_code")
    figures = {row["key"]: row["reemployed"] for row in by_person}
    codes = {name: involvement.worker.fiscal_code for name, involvement in people.items()}
    assert figures[codes["c"]] == 1  # 30 September: the last day of 31 March + 6 months
    assert figures[codes["d"]] == 0  # 1 October
    assert figures[codes["a"]] == 1  # 28 February: 31 August + 6 months
    assert figures[codes["i"]] == 1  # on the day of the taking in charge
    assert figures[codes["e"]] == 1  # same company: back at work
    assert figures[codes["f"]] == 0  # retirement is not


def test_grouped_by_an_annotation(people):
    from django.db.models import Value

    rows = reemployment(
        everyone().annotate(everybody=Value("all")), as_of=AS_OF, months=6, by="everybody"
    )
    assert rows == [{"key": "all", "eligible": 8, "reemployed": 4, "rate": 50.0}]


def test_nobody_has_no_rate(db):
    assert reemployment(everyone(), as_of=AS_OF, months=6) == {
        "eligible": 0,
        "reemployed": 0,
        "rate": None,
    }
    assert reemployment(everyone(), as_of=AS_OF, months=6, by="unit__province") == []


def test_table_has_both_windows_per_group_in_one_query(people, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = reemployment_table(everyone(), as_of=AS_OF, by="unit__province")
    assert rows == [
        {
            "key": "BG",
            "eligible_6": 3,
            "reemployed_6": 2,
            "rate_6": 66.7,
            "eligible_12": 0,
            "reemployed_12": 0,
            "rate_12": None,
        },
        {
            "key": "MI",
            "eligible_6": 5,
            "reemployed_6": 2,
            "rate_6": 40.0,
            "eligible_12": 4,
            "reemployed_12": 2,
            "rate_12": 50.0,
        },
    ]
    assert reemployment_table(everyone(), as_of=AS_OF) == [
        {
            "key": None,
            "eligible_6": 8,
            "reemployed_6": 4,
            "rate_6": 50.0,
            "eligible_12": 4,
            "reemployed_12": 2,
            "rate_12": 50.0,
        }
    ]


def test_an_outcome_before_the_taking_in_charge_is_refused(people):
    involvement = people["g"]
    with pytest.raises(ValidationError) as refused:
        outcome_record(
            user=None,
            involvement=involvement,
            data={
                "kind": OutcomeKind.RICOLLOCATO,
                "date": D(2024, 2, 27),
                "contract_kind": ContractKind.PERMANENT,
            },
        )
    assert "date" in refused.value.message_dict
    assert reemployment(everyone(), as_of=AS_OF, months=6)["reemployed"] == 4
