"""Who may receive which measure: the eligibility rules a measure carries, evaluated.

The rules are data on :class:`pal.models.Measure` that the Region edits (measure form, admin,
with history); this module only reads them. For a worker's involvement on a reference date
``on`` a measure is refused when any of these fails (each failure names the rule, the
measure's requirement and the worker's value, with a ``RuleCode``):

* period: the measure is active and ``on`` falls within its validity (``measure_not_in_force``);
* income support admitted: the involvement's kind is one of the measure's (none listed: any);
* minimum hours cut: the involvement's reduction is more than (strict) or at least (inclusive)
  the measure's minimum, as the measure says;
* employment status: ``dismissed`` when the procedure is a collective dismissal or the support
  is NASpI or mobility (benefits of people out of work), ``employed`` otherwise;
* unit located in Lombardy: the unit's province is one of Lombardy's twelve
  (``cases.enums.PROVINCE_CODES``);
* age limits: completed years on ``on``, both limits inclusive (``max_age`` 29: under 30);
* income support ongoing: ``on`` falls within the involvement's support period (a bound not
  recorded does not refuse);
* incompatibilities (``exclusivity``): the worker holds, on ``on``, a Dote (not revoked) under
  a measure incompatible with this one, both ways, an exclusive measure being incompatible
  with every other; or a network serves them under another measure.

Two entry points. :func:`rule_failures` judges one involvement against one measure without a
query (the services use it when a Dote is assigned and a PIP submitted or approved; the
Dote-overlap part of the incompatibilities runs there over the Dote's whole period). And
:func:`measures_for` judges many involvements against many measures with a fixed number of
queries (six), for pages and lists::

    verdicts = measures_for(involvements, on=date.today())
    for verdict in verdicts[involvement.pk]:
        verdict.measure, verdict.eligible, verdict.reasons  # reasons: one sentence per rule
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import F, Prefetch, Q
from django.utils.translation import gettext as _

from cases.enums import PROVINCE_CODES, Family
from pal.enums import DoteStatus, RuleCode
from pal.models import Dote, EmploymentStatus, HoursCutComparison, Measure, Network
from workers.enums import IncomeSupport
from workers.models import Involvement

# Benefits paid to people whose employment has ended (the rest are paid while employed).
OUT_OF_WORK_SUPPORT = frozenset({IncomeSupport.NASPI, IncomeSupport.MOBILITA})


@dataclass(frozen=True)
class Failure:
    """One rule that refuses: its code, the field a form shows it on, the sentence."""

    code: RuleCode
    field: str
    message: str


@dataclass
class MeasureVerdict:
    measure: Measure
    eligible: bool
    reasons: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def employment_status_of(involvement: Involvement) -> str:
    """``dismissed`` for a collective dismissal or NASpI / mobility, else ``employed``."""
    if (
        involvement.procedure.family == Family.LICENZIAMENTO_COLLETTIVO
        or involvement.income_support in OUT_OF_WORK_SUPPORT
    ):
        return EmploymentStatus.DISMISSED
    return EmploymentStatus.EMPLOYED


def age_on(birth_date: date, day: date) -> int:
    """Completed years on ``day``."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "…"


def _period(measure: Measure, on: date) -> Failure | None:
    if measure.in_force_on(on):
        return None
    if not measure.is_active:
        message = _("Period: %(measure)s is not active.") % {"measure": measure.name}
    else:
        message = _(
            "Period: %(measure)s is open from %(start)s to %(end)s; the reference date is %(date)s."
        ) % {
            "measure": measure.name,
            "start": _day(measure.valid_from),
            "end": _day(measure.valid_until),
            "date": _day(on),
        }
    return Failure(RuleCode.MEASURE_NOT_IN_FORCE, "measure", message)


def _income_support(measure: Measure, involvement: Involvement) -> Failure | None:
    admitted = measure.income_supports or []
    if not admitted or involvement.income_support in admitted:
        return None
    labels = ", ".join(str(IncomeSupport(kind).label) for kind in admitted)
    return Failure(
        RuleCode.INCOME_SUPPORT_NOT_ADMITTED,
        "involvement",
        _(
            "Income support: %(measure)s admits %(admitted)s; the worker's income support is "
            "%(value)s."
        )
        % {
            "measure": measure.name,
            "admitted": labels,
            "value": involvement.get_income_support_display(),
        },
    )


def _hours_cut(measure: Measure, involvement: Involvement) -> Failure | None:
    minimum = measure.min_hours_cut_pct
    if minimum is None:
        return None
    value = involvement.hours_reduction_pct
    if measure.hours_cut_comparison == HoursCutComparison.AT_LEAST:
        if value >= minimum:
            return None
        template = _(
            "Minimum hours cut: %(measure)s requires at least %(min)s %%; the worker's "
            "reduction is %(value)s %%."
        )
    else:
        if value > minimum:
            return None
        template = _(
            "Minimum hours cut: %(measure)s requires more than %(min)s %%; the worker's "
            "reduction is %(value)s %%."
        )
    return Failure(
        RuleCode.HOURS_CUT_BELOW_MINIMUM,
        "involvement",
        template % {"measure": measure.name, "min": minimum, "value": value},
    )


def _employment(measure: Measure, involvement: Involvement) -> Failure | None:
    required = measure.employment_status
    actual = employment_status_of(involvement)
    if required == EmploymentStatus.ANY or required == actual:
        return None
    return Failure(
        RuleCode.EMPLOYMENT_STATUS,
        "involvement",
        _("Employment status: %(measure)s is for workers %(required)s; the worker is %(value)s.")
        % {
            "measure": measure.name,
            "required": EmploymentStatus(required).label,
            "value": EmploymentStatus(actual).label,
        },
    )


def _lombardy(measure: Measure, involvement: Involvement) -> Failure | None:
    province = involvement.unit.province_id
    if not measure.unit_in_lombardy or province in PROVINCE_CODES:
        return None
    return Failure(
        RuleCode.UNIT_OUTSIDE_LOMBARDY,
        "involvement",
        _(
            "Unit located in Lombardy: %(measure)s requires a unit in Lombardy; the worker's "
            "unit is in the province %(value)s."
        )
        % {"measure": measure.name, "value": province},
    )


def _age(measure: Measure, involvement: Involvement, on: date) -> Failure | None:
    low, high = measure.min_age, measure.max_age
    if low is None and high is None:
        return None
    age = age_on(involvement.worker.birth_date, on)
    if (low is None or age >= low) and (high is None or age <= high):
        return None
    if low is not None and high is not None:
        limits = _("aged %(min)s to %(max)s") % {"min": low, "max": high}
    elif low is not None:
        limits = _("aged %(min)s or more") % {"min": low}
    else:
        limits = _("aged up to %(max)s") % {"max": high}
    return Failure(
        RuleCode.AGE_LIMITS,
        "involvement",
        _("Age limits: %(measure)s is for workers %(limits)s on %(date)s; the worker is %(age)s.")
        % {"measure": measure.name, "limits": limits, "date": _day(on), "age": age},
    )


def _support_ongoing(measure: Measure, involvement: Involvement, on: date) -> Failure | None:
    start, end = involvement.period_start, involvement.period_end
    if not measure.support_ongoing or (
        (start is None or start <= on) and (end is None or on <= end)
    ):
        return None
    return Failure(
        RuleCode.SUPPORT_NOT_ONGOING,
        "involvement",
        _(
            "Income support ongoing: %(measure)s requires income support on %(date)s; the "
            "worker's support runs %(start)s – %(end)s."
        )
        % {"measure": measure.name, "date": _day(on), "start": _day(start), "end": _day(end)},
    )


def rule_failures(involvement: Involvement, measure: Measure, *, on: date) -> list[Failure]:
    """The measure's rules about the worker that fail on ``on`` (no query when the involvement
    has its worker, procedure and unit loaded). Incompatibilities are not among them."""
    checks = [
        _period(measure, on),
        _income_support(measure, involvement),
        _hours_cut(measure, involvement),
        _employment(measure, involvement),
        _lombardy(measure, involvement),
        _age(measure, involvement, on),
        _support_ongoing(measure, involvement, on),
    ]
    return [failure for failure in checks if failure is not None]


def incompatible(measure: Measure, other: Measure, incompatible_ids: Iterable[int]) -> bool:
    """May a worker not hold ``other`` with ``measure``? ``incompatible_ids``: ``measure``'s."""
    if other.pk == measure.pk:
        return False
    return measure.exclusive or other.exclusive or other.pk in set(incompatible_ids)


def dote_conflict(measure: Measure, other: Measure) -> Failure:
    """The refusal for a worker holding ``other``, incompatible with ``measure``."""
    if measure.exclusive or other.exclusive:
        exclusive = measure if measure.exclusive else other
        message = _(
            "Exclusivity: %(exclusive)s admits no other publicly funded active policy "
            "in the same period, and the worker already has %(other)s."
        ) % {"exclusive": exclusive.name, "other": other.name}
    else:
        message = _(
            "Incompatibility: %(measure)s cannot be held with %(other)s in the same period, "
            "and the worker already has %(other)s."
        ) % {"measure": measure.name, "other": other.name}
    return Failure(RuleCode.EXCLUSIVITY, "measure", message)


def network_conflict(network_name: str) -> Failure:
    return Failure(
        RuleCode.EXCLUSIVITY,
        "measure",
        _(
            "Exclusivity: the worker is served by the network %(network)s (an exclusive "
            "measure) and cannot hold another publicly funded active policy."
        )
        % {"network": network_name},
    )


def _networks_on(worker_ids: list[int], on: date) -> dict[int, list[tuple[int, str]]]:
    """(measure id, name) of the networks serving each worker on ``on``: two queries."""
    live = Network.objects.filter(valid_from__lte=on).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=on)
    )
    served: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for path in ("cohorts__involvements__worker_id", "procedures__involvements__worker_id"):
        rows = live.filter(**{f"{path}__in": worker_ids}).values_list(path, "measure_id", "name")
        for worker_id, measure_id, name in rows.distinct():
            if (measure_id, name) not in served[worker_id]:
                served[worker_id].append((measure_id, name))
    return served


def measures_for(
    involvements: Iterable[Involvement], *, on: date, measures: Iterable[Measure] | None = None
) -> dict[int, list[MeasureVerdict]]:
    """For each involvement (by id), a verdict per measure (default: every active measure,
    by name) on the reference date ``on``: eligible, or the reasons it is not.

    Six queries whatever the numbers: the involvements with worker, procedure and unit, the
    measures and their incompatibilities, the workers' Doti live on ``on``, their networks."""
    ids = [involvement.pk for involvement in involvements]
    if not ids:
        return {}
    rows = list(
        Involvement.objects.filter(pk__in=ids).select_related("worker", "procedure", "unit")
    )
    chosen = Measure.objects.filter(is_active=True).order_by("name")
    if measures is not None:
        chosen = Measure.objects.filter(pk__in=[m.pk for m in measures]).order_by("name")
    catalogue = list(
        chosen.prefetch_related(Prefetch("incompatible_with", queryset=Measure.objects.only("pk")))
    )
    worker_ids = sorted({row.worker_id for row in rows})
    held: dict[int, list[Measure]] = defaultdict(list)
    doti = (
        Dote.objects.filter(involvement__worker_id__in=worker_ids, valid_from__lte=on)
        .filter(valid_until__gte=on)
        .exclude(status=DoteStatus.REVOCATA)
        .select_related("measure")
        .annotate(holder_id=F("involvement__worker_id"))
        .order_by("valid_from", "pk")
    )
    for dote in doti:
        held[dote.holder_id].append(dote.measure)
    networks = _networks_on(worker_ids, on)

    verdicts: dict[int, list[MeasureVerdict]] = {}
    for involvement in rows:
        listed = []
        for measure in catalogue:
            failures = rule_failures(involvement, measure, on=on)
            own = {m.pk for m in measure.incompatible_with.all()}
            for other in held.get(involvement.worker_id, []):
                if incompatible(measure, other, own):
                    failures.append(dote_conflict(measure, other))
                    break
            for measure_id, name in networks.get(involvement.worker_id, []):
                if measure_id != measure.pk:
                    failures.append(network_conflict(name))
                    break
            listed.append(
                MeasureVerdict(
                    measure=measure,
                    eligible=not failures,
                    reasons=[failure.message for failure in failures],
                    failures=failures,
                )
            )
        verdicts[involvement.pk] = listed
    return verdicts
