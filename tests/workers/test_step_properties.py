"""Random sequences of step moves: the invariants of §3 hold after every call, and a small
pure-Python model of the rules, written from the spec rather than from TRANSITIONS, predicts
which calls succeed.

Hypothesis calls the test body once per example while pytest-django's ``db`` transaction is
shared, so every example builds its own involvement inside ``transaction.atomic()`` and rolls
it back at the end. Users and reference rows come from fixtures and are shared.
"""

import datetime
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pal.models import Measure
from tests.cases.factories import ProductionUnitFactory
from tests.workers.factories import InvolvementFactory, WorkerFactory, exemption_reason
from workers.enums import Step
from workers.models import TRANSITIONS, ExemptionReason, Involvement, MoveKind
from workers.services import StepMoveRefused, involvement_move

pytestmark = pytest.mark.django_db

TAKEN_ON = datetime.date(2025, 4, 2)
ORDERED = [Step.STEP_1, Step.STEP_2, Step.STEP_3, Step.STEP_4]
# Who moves: staff of the worker's province most often, so that sequences get somewhere.
ROLES = ["staff_bg"] * 3 + ["system", "admin", "api_client", "api_client", "region", "staff_mi"]
MAY_EDIT = {"system", "staff_bg", "admin", "api_client"}  # the worker is in BG
MAY_CORRECT = {"system", "staff_bg", "admin"}  # province staff or higher


@dataclass(frozen=True)
class Call:
    """One attempted move, described relative to where the worker stands when it is made.

    Relative targets and dates keep a fair share of the calls valid; without them most random
    sequences are refused at the first move and never reach STEP_4, NO_PAL or a correction.
    """

    target: str  # "next" | "no_pal" | "back" | "any"
    pick: int  # which step, for "back" and "any"
    when: str  # "after" (the last move) | "before" (it) | "today" | "future"
    days: int
    reason: bool
    exemption: str  # "active" | "none" | "retired"
    measure: bool
    role: str


def mostly(value, *others, weight: int = 4):
    return st.sampled_from([value] * weight + list(others))


calls = st.builds(
    Call,
    target=st.sampled_from(["next"] * 6 + ["no_pal", "back", "back", "any"]),
    pick=st.integers(0, 4),
    when=st.sampled_from(["after"] * 7 + ["before", "today", "future"]),
    days=st.integers(0, 15),
    reason=mostly(True, False),
    exemption=mostly("active", "none", "retired"),
    measure=mostly(True, False, weight=3),
    role=st.sampled_from(ROLES),
)


def target_step(call: Call, current: str) -> str:
    if call.target == "next" and current in ORDERED[:-1]:
        return ORDERED[ORDERED.index(current) + 1]
    if call.target == "no_pal":
        return Step.NO_PAL
    if call.target == "back":
        below = ORDERED[: ORDERED.index(current)] if current in ORDERED else ORDERED
        return below[call.pick % len(below)] if below else current
    return Step.values[call.pick % len(Step.values)]


def effective_date(call: Call, last: datetime.date, today: datetime.date) -> datetime.date:
    offset = datetime.timedelta(days=call.days)
    return {
        "after": last + offset,
        "before": last - offset - datetime.timedelta(days=1),
        "today": today,
        "future": today + offset + datetime.timedelta(days=1),
    }[call.when]


@dataclass
class RulesModel:
    """The step model of §3 as the spec states it, with no database."""

    current: str = Step.STEP_1
    last_date: datetime.date = TAKEN_ON

    def kind(self, to: str) -> str | None:
        if self.current in ORDERED and to in ORDERED:
            gap = ORDERED.index(to) - ORDERED.index(self.current)
            if gap == 1:
                return MoveKind.FORWARD
            return MoveKind.CORRECTION if gap < 0 else None
        if to == Step.NO_PAL:
            return MoveKind.EXEMPTION if self.current != Step.NO_PAL else None
        return MoveKind.CORRECTION  # NO_PAL back to a step

    def violations(self, call: Call, to: str, day: datetime.date, today: datetime.date):
        """(permission problems, rule problems) the call runs into."""
        permission, rules = [], []
        if call.role not in MAY_EDIT:
            permission.append("out of scope")
        kind = self.kind(to)
        if kind is None:
            return permission, ["move not allowed"]
        if day > today:
            rules.append("future")
        if day < self.last_date:
            rules.append("before previous move")
        if kind == MoveKind.EXEMPTION and call.exemption != "active":
            rules.append("exemption reason missing or retired")
        if kind == MoveKind.CORRECTION:
            if call.role not in MAY_CORRECT:
                permission.append("not province staff")
            if not call.reason:
                rules.append("correction without reason")
        if to == Step.STEP_4 and not call.measure:
            rules.append("no measure")
        return permission, rules


@pytest.fixture
def actors(staff_bg, staff_mi, region, api_client, admin_user):
    return {
        "system": None,
        "staff_bg": staff_bg,
        "staff_mi": staff_mi,
        "region": region,
        "api_client": api_client,
        "admin": admin_user,
    }


@pytest.fixture
def reference(db):
    """Rows every example shares; each example adds only its own involvement."""
    return {
        "worker": WorkerFactory(),
        "unit": ProductionUnitFactory(),  # in BG
        "active": exemption_reason(),
        "retired": ExemptionReason.objects.create(code="ritirata", label="Old", is_active=False),
        "measure": Measure.objects.get(code="gol-percorso-3"),
    }


def assert_invariants(involvement: Involvement, successes: int, today: datetime.date) -> None:
    involvement.refresh_from_db()
    transitions = list(involvement.transitions.order_by("id"))
    assert involvement.current_step in Step.values
    assert len(transitions) == 1 + successes
    assert involvement.current_step == transitions[-1].to_step
    assert involvement.current_step_since == transitions[-1].effective_date
    assert transitions[0].kind == MoveKind.START
    for previous, transition in zip([None, *transitions], transitions, strict=False):
        pair = (transition.from_step, transition.to_step)
        assert pair in TRANSITIONS and TRANSITIONS[pair] == transition.kind
        assert transition.effective_date <= today
        if previous is not None:
            assert transition.from_step == previous.to_step
            assert transition.effective_date >= previous.effective_date
        if transition.to_step == Step.NO_PAL:
            assert transition.exemption_reason_id is not None
        if transition.kind == MoveKind.CORRECTION:
            assert transition.reason.strip()
        if transition.to_step == Step.STEP_4:
            assert transition.measure_id is not None


@settings(
    max_examples=100,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(sequence=st.lists(calls, min_size=4, max_size=12))
def test_random_moves_keep_the_step_model_consistent_and_follow_the_rules(
    actors, reference, sequence
):
    today = timezone.localdate()
    with transaction.atomic():
        involvement = InvolvementFactory(
            worker=reference["worker"], unit=reference["unit"], taken_on=TAKEN_ON
        )
        model = RulesModel()
        successes = 0
        for call in sequence:
            to = target_step(call, model.current)
            day = effective_date(call, model.last_date, today)
            permission, rules = model.violations(call, to, day, today)
            try:
                involvement_move(
                    user=actors[call.role],
                    involvement=involvement,
                    to=to,
                    effective_date=day,
                    reason="Corrected after the meeting" if call.reason else "",
                    exemption_reason=reference[call.exemption]
                    if call.exemption != "none"
                    else None,
                    measure=reference["measure"] if call.measure else None,
                )
            except (StepMoveRefused, PermissionDenied) as exc:
                assert permission or rules, f"refused {to} the rules allow: {call} ({exc!r})"
                if not rules:
                    assert isinstance(exc, PermissionDenied), (call, permission)
                if not permission:
                    assert isinstance(exc, StepMoveRefused), (call, rules)
            else:
                assert not (permission or rules), f"allowed {to}: {call}: {permission + rules}"
                successes += 1
                model.current, model.last_date = to, day
            assert_invariants(involvement, successes, today)
            assert involvement.current_step == model.current
        event(f"moves that succeeded: {min(successes, 4)}{'+' if successes >= 4 else ''}")
        event(f"ended at {model.current}")
        transaction.set_rollback(True)
