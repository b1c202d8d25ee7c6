"""Synthetic data at scale for ``manage.py generate_synthetic --workers N --seed S``.

Procedures across the twelve provinces (families weighted as in the 2024 table, a decade of
opening dates up to the reference date), their companies and units, one cohort per unit, and
``N`` workers streamed in batches: involvements (about 1.21 per worker: some workers meet a
second crisis), step histories replayed by the demo's :class:`~crisi_portal.demo.workers.Builder`
(the step table, exemptions, corrections, PAL measures in force), outcomes, and Doti with a PIP
for some of the workers at STEP_4. Proportions come from :mod:`crisi_portal.demo.profile`.

Deterministic: the rows (timestamps aside) depend only on ``N``, the seed and the reference
date. Memory is bounded by the batch size and the number of units, not by ``N``: workers are
written and forgotten batch by batch; only a set of 64-bit hashes of the fiscal codes taken
(to keep them unique) and a bounded pool of recent workers (for second involvements) stay.

Rows are written by a :class:`BulkWriter` (``bulk_create`` in batches, audit history through
:mod:`crisi_portal.history`) or, on PostgreSQL, a :class:`CopyWriter` (``COPY ... FROM STDIN``)
that writes the same history rows the helpers would: one per row created (type ``+``, reason
``generate_synthetic``) and, for involvements, one per later move, as ``involvement_move``.
"""

import hashlib
import io
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache

from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.core.management.color import no_style
from django.db import connections, transaction
from django.db.models import Max
from django.utils import timezone

from cases.enums import Family
from cases.models import Company, CrisisProcedure, Meeting, ProductionUnit, assign_cpis
from crisi_portal.demo import accounts
from crisi_portal.demo.common import random_day, source, split_workers, weighted
from crisi_portal.demo.procedures import (
    CompanyNames,
    ProcedurePlan,
    UnitPlan,
    build_meetings,
    build_procedure,
)
from crisi_portal.demo.profile import PROFILE, ScaleProfile
from crisi_portal.demo.reference import PROVINCE_ORDER, annual_2024
from crisi_portal.demo.workers import Builder, distribute_end_states, replay_moves, unit_plan
from crisi_portal.history import bulk_create_recorded
from pal.enums import DoteStatus, PIPStatus
from pal.models import PIP, Dote, Operator
from workers.enums import STEP_SHORT_LABELS, Step
from workers.models import Cohort, Involvement, Outcome, StepTransition, Worker
from workers.reference import CitizenshipMatcher

SYNTHETIC_PREFIX = "SYN-"
CHANGE_REASON = "generate_synthetic"
BATCH = 5_000  # involvements per batch
POOL = 20_000  # recent workers a second involvement may be drawn from
DOTE_VALUES = (1500, 2000, 2500, 3000, 4000, 5000)

# What --flush empties: the domain rows (reference data — provinces, measures, exemption
# reasons, operators — and accounts stay). Their history and many-to-many tables go too.
FLUSHED = (
    "cases.Company",
    "cases.CompanyChangeProposal",
    "cases.CrisisProcedure",
    "cases.ProductionUnit",
    "cases.Meeting",
    # Issue #14: agreements, the tables' agenda, participants and decisions.
    "cases.Agreement",
    "cases.AgendaItem",
    "cases.MeetingParticipant",
    "cases.MeetingDecision",
    "workers.Worker",
    "workers.Cohort",
    "workers.Involvement",
    "workers.StepTransition",
    "workers.Outcome",
    "workers.PersonalDataAccess",
    "pal.Dote",
    "pal.PIP",
    "pal.PIPService",
    "pal.PIPTransition",
    "pal.CompetenceCertification",
    "pal.Network",
    "pal.NetworkMember",
    # Issue #14: STEP 3 meetings and their invitations, network members' shares and services.
    "pal.Step3Meeting",
    "pal.Step3Invitation",
    "pal.NetworkShare",
    "pal.NetworkService",
    "pal.NetworkServiceLine",
    # Issue #15: payments on the Doti.
    "pal.Payment",
    # Issue #16: mandatory communications (UNILAV) and the outcomes they propose.
    "workers.ProposedOutcome",
    "workers.MandatoryCommunication",
    "workers.CommunicationBatch",
    # The dashboard's figures pre-aggregated from the rows above.
    "monitoring.DashboardInvolvements",
    "monitoring.DashboardActivationDays",
    "monitoring.DashboardStarts",
    "monitoring.DashboardRefresh",
    # Issue #16 item 4: the open data published from the rows above.
    "monitoring.OpenDataRelease",
    # Issue #16: the webhook delivery log (events about the rows above); endpoints are the
    # API clients' configuration and stay.
    "crisi_portal.WebhookDelivery",
)
# What the digest covers, primary key order, timestamps left out.
DIGESTED = {
    Company: ["id", "name", "tax_code", "kind"],
    CrisisProcedure: ["id", "external_id", "company_id", "family", "opened_on", "end_date"],
    ProductionUnit: ["id", "procedure_id", "province_id", "comune", "workers_involved"],
    Cohort: ["id", "procedure_id", "unit_id", "name"],
    Worker: ["id", "fiscal_code", "last_name", "birth_date", "residence_province_id"],
    Involvement: ["id", "worker_id", "procedure_id", "unit_id", "current_step", "period_end"],
    StepTransition: ["id", "involvement_id", "to_step", "kind", "effective_date", "measure_id"],
    Outcome: ["id", "involvement_id", "kind", "date"],
    Dote: ["id", "involvement_id", "measure_id", "operator_id", "value", "valid_until"],
    PIP: ["id", "dote_id", "status"],
    Meeting: ["id", "kind", "date", "province_id"],
}


def flushed_tables() -> list[str]:
    tables = []
    for label in FLUSHED:
        model = apps.get_model(label)
        related = [model]
        if hasattr(model, "history"):
            related.append(model.history.model)
        for m in related:
            tables.append(m._meta.db_table)
            tables.extend(
                f.remote_field.through._meta.db_table
                for f in m._meta.local_many_to_many
                if f.remote_field.through._meta.auto_created
            )
    return tables


def flush(using: str = "default") -> None:
    """Empty the domain tables (one TRUNCATE on PostgreSQL: it refuses when a table left out
    still points at them)."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks still pending in this transaction would block TRUNCATE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for statement in connection.ops.sql_flush(no_style(), flushed_tables()):
            cursor.execute(statement)


def has_data(using: str = "default") -> bool:
    return CrisisProcedure.objects.using(using).exists() or Worker.objects.using(using).exists()


def digest(using: str = "default") -> str:
    """A SHA-256 of the generated rows (timestamps aside): equal for equal N, seed and date."""
    sha = hashlib.sha256()
    for model, fields in DIGESTED.items():
        for row in model.objects.using(using).order_by("pk").values_list(*fields).iterator():
            sha.update(repr(row).encode())
        history = getattr(model, "history", None)
        if history is not None:
            sha.update(f"{model.__name__}:{history.using(using).count()}".encode())
    return sha.hexdigest()


def _label(step: str) -> str:
    return STEP_SHORT_LABELS[Step(step)] if step else "—"


# --- Writers ----------------------------------------------------------------------------------


class BulkWriter:
    """``bulk_create`` in batches; the audit history through ``bulk_create_recorded`` and, for
    the involvements' moves, the demo's ``replay_moves`` (``bulk_update_recorded``)."""

    def __init__(self, using: str = "default"):
        self.using = using

    def create(self, model, objs: list, *, history: bool = True) -> None:
        if not objs:
            return
        if history:
            bulk_create_recorded(objs, model, reason=CHANGE_REASON, batch_size=1000)
        else:
            model.objects.using(self.using).bulk_create(objs, batch_size=1000)

    def involvements(self, objs: list, paths: list) -> None:
        replay_moves(objs, paths, reason=CHANGE_REASON)

    def finish(self, models) -> None:
        """SQLite's AUTOINCREMENT follows explicit keys by itself."""


class CopyWriter(BulkWriter):
    """PostgreSQL ``COPY`` of the rows and of the history rows the helpers would write."""

    def __init__(self, using: str = "default"):
        super().__init__(using)
        self.connection = connections[using]

    @staticmethod
    def _text(value) -> str:
        """``value`` in COPY's text format."""
        kind = type(value)
        if kind is str:
            if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
                value = value.replace("\\", "\\\\").replace("\t", "\\t")
                value = value.replace("\n", "\\n").replace("\r", "\\r")
            return value
        if value is None:
            return "\\N"
        if kind is int:
            return str(value)
        if kind is bool:
            return "t" if value else "f"
        if kind is date or kind is datetime:
            return value.isoformat()
        return CopyWriter._text(str(value))

    # Values of these column types are written as they are (``_text``); others go through
    # ``get_db_prep_save`` first.
    PLAIN = frozenset(
        ("AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField",
         "DateField", "DateTimeField", "DecimalField", "ForeignKey", "IntegerField",
         "PositiveIntegerField", "PositiveSmallIntegerField", "SmallIntegerField", "TextField")
    )  # fmt: skip

    @staticmethod
    @cache
    def _columns(model) -> list[tuple[str, object]]:
        """``(attname, prepare or None)`` of the columns COPY fills (not ``history_id``)."""
        columns = []
        for f in model._meta.concrete_fields:
            if f.primary_key and f.name == "history_id":
                continue
            plain = f.get_internal_type() in CopyWriter.PLAIN
            columns.append((f, None if plain else f.get_db_prep_save))
        return columns

    def _copy(self, model, rows: list[dict]) -> None:
        if not rows:
            return
        columns = self._columns(model)
        missing = {f.attname for f, _prepare in columns} - set(rows[0])
        if missing:
            raise RuntimeError(f"{model.__name__}: no value for {sorted(missing)}")
        text, connection = self._text, self.connection
        buffer = io.StringIO()
        for row in rows:
            buffer.write(
                "\t".join(
                    text(row[f.attname] if prepare is None else prepare(row[f.attname], connection))
                    for f, prepare in columns
                )
            )
            buffer.write("\n")
        buffer.seek(0)
        names = ", ".join(connection.ops.quote_name(f.column) for f, _prepare in columns)
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN", buffer)

    @staticmethod
    @cache
    def _fields(model) -> tuple[list, list]:
        """The model's fields read as they are, and those ``pre_save`` fills (auto_now)."""
        direct, computed = [], []
        for f in model._meta.concrete_fields:
            auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            (computed if auto else direct).append(f)
        return [f.attname for f in direct], computed

    @classmethod
    def _values(cls, model, obj) -> dict:
        direct, computed = cls._fields(model)
        row = {attname: getattr(obj, attname) for attname in direct}
        for f in computed:
            row[f.attname] = f.pre_save(obj, add=True)  # auto_now(_add) as bulk_create does
        return row

    @staticmethod
    @cache
    def _history_of(model) -> tuple:
        historical = model.history.model
        return historical, [f.attname for f in historical.tracked_fields]

    @classmethod
    def _historical(cls, model, row: dict, obj, *, when, reason: str, kind: str) -> dict:
        """The row ``bulk_history_create`` would write for ``obj`` (no request: no user unless
        the object names one, no API token)."""
        _historical, tracked = cls._history_of(model)
        values = {attname: row[attname] for attname in tracked}
        user = getattr(obj, "_history_user", None)
        values.update(
            history_date=when,
            history_change_reason=reason,
            history_type=kind,
            history_user_id=user.pk if user is not None else None,
            history_api_token_id=None,
        )
        return values

    def create(self, model, objs: list, *, history: bool = True) -> None:
        rows = [self._values(model, obj) for obj in objs]
        self._copy(model, rows)
        if history:
            now = timezone.now()
            self._copy(
                self._history_of(model)[0],
                [
                    self._historical(model, row, obj, when=now, reason=CHANGE_REASON, kind="+")
                    for row, obj in zip(rows, objs, strict=True)
                ],
            )

    def involvements(self, objs: list, paths: list) -> None:
        now = timezone.now()
        rows, records = [], []
        for obj, path in zip(objs, paths, strict=True):
            obj.current_step, obj.current_step_since = path[-1].to, path[-1].day
            row = self._values(Involvement, obj)
            rows.append(row)
            state = dict(row)
            previous = ""
            for index, move in enumerate(path):
                state["current_step"], state["current_step_since"] = move.to, move.day
                first = index == 0
                reason = CHANGE_REASON if first else f"{_label(previous)} → {_label(move.to)}"
                kind = "+" if first else "~"
                records.append(
                    self._historical(Involvement, state, obj, when=now, reason=reason, kind=kind)
                )
                previous = move.to
        self._copy(Involvement, rows)
        self._copy(self._history_of(Involvement)[0], records)

    def finish(self, models) -> None:
        with self.connection.cursor() as cursor:
            for statement in self.connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)


def writer_for(using: str = "default", *, copy: bool | None = None) -> BulkWriter:
    vendor = connections[using].vendor
    if copy is None:
        copy = vendor == "postgresql"
    if copy and vendor != "postgresql":
        raise ValueError("COPY needs PostgreSQL")
    return CopyWriter(using) if copy else BulkWriter(using)


# --- Generation -------------------------------------------------------------------------------


class Ids:
    """Primary keys handed out in order from the table's current maximum."""

    def __init__(self, model, using: str):
        self.next = (model.objects.using(using).aggregate(top=Max("pk"))["top"] or 0) + 1

    def __call__(self) -> int:
        self.next += 1
        return self.next - 1


class Generator:
    def __init__(
        self,
        workers: int,
        seed: int,
        today: date,
        *,
        writer: BulkWriter,
        using: str = "default",
        profile: ScaleProfile = PROFILE,
        batch: int = BATCH,
        progress: Callable[[str], None] = lambda message: None,
    ):
        self.target = profile.counts(workers)
        self.seed, self.today, self.writer, self.using = seed, today, writer, using
        self.profile, self.batch, self.progress = profile, batch, progress
        self.counts = dict.fromkeys(
            ("companies", "procedures", "units", "cohorts", "meetings", "workers",
             "involvements", "transitions", "outcomes", "doti", "pips", "history"),
            0,
        )  # fmt: skip
        self.started = time.monotonic()

    # Procedures

    def plan_procedures(self) -> list[ProcedurePlan]:
        rng = source(self.seed, "procedures")
        target = self.target
        table = annual_2024()
        weights = [(p, sum(table[p, f.value][1] for f in Family)) for p in PROVINCE_ORDER]
        last_year = self.today.year
        years = list(range(min(self.profile.first_year, last_year), last_year + 1))
        year_weights = [(year, 1 + index / 3) for index, year in enumerate(years)]
        plans = []
        for _ in range(target["procedures"]):
            lead = weighted(rng, weights)
            year = weighted(rng, year_weights)
            latest = min(date(year, 12, 20), self.today - timedelta(days=1))
            opened = random_day(rng, min(date(year, 1, 2), latest), latest)
            family = weighted(rng, self.profile.families)
            plans.append(ProcedurePlan(family, [UnitPlan(lead, 0)], opened))
        for _ in range(target["units"] - target["procedures"]):
            plan = plans[rng.randrange(len(plans))]
            province = plan.lead
            if rng.random() < self.profile.other_province_share:
                province = weighted(rng, [(p, w) for p, w in weights if p != plan.lead])
            plan.units.append(UnitPlan(province, 0))
        # The heavy tail of real crises: a few procedures the size of a large plant's closure
        # (see ``giants``); the other units share the rest unevenly.
        giants, giant_size = self.profile.giants(target["workers"], target["involvements"])
        giants = [plan for plan in plans[:giants] if giant_size >= len(plan.units)]
        for plan in giants:
            for unit, size in zip(
                plan.units, split_workers(rng, len(plan.units), giant_size), strict=True
            ):
                unit.workers = size
        units = [unit for plan in plans if plan not in giants for unit in plan.units]
        rest = target["involvements"] - giant_size * len(giants)
        for unit, size in zip(units, split_workers(rng, len(units), rest), strict=True):
            unit.workers = size
        cap_procedures(plans, target["workers"])
        plans.sort(key=lambda plan: plan.opened_on)
        numbers: dict[int, int] = {}
        for plan in plans:
            numbers[plan.opened_on.year] = numbers.get(plan.opened_on.year, 0) + 1
            plan.external_id = (
                f"{SYNTHETIC_PREFIX}{plan.opened_on.year}-{numbers[plan.opened_on.year]:05d}"
            )
        for plan in sorted(plans, key=lambda plan: -plan.workers)[: max(1, len(plans) // 200)]:
            plan.high_complexity = True
        return plans

    def write_procedures(self) -> list:
        rng = source(self.seed, "companies")
        names = CompanyNames(
            set(), set(Company.objects.using(self.using).values_list("tax_code", flat=True))
        )
        company_id, procedure_id = Ids(Company, self.using), Ids(CrisisProcedure, self.using)
        unit_id, cohort_id = Ids(ProductionUnit, self.using), Ids(Cohort, self.using)
        all_units, all_procedures = [], []
        plans = self.plan_procedures()
        for start in range(0, len(plans), 2000):
            companies, procedures, units, cohorts = [], [], [], []
            for plan in plans[start : start + 2000]:
                company = names.company(rng, plan)
                company.pk = company_id()
                procedure, procedure_units = build_procedure(rng, plan, company, self.today)
                procedure.pk = procedure_id()
                procedure.company_id = company.pk
                taken = set()
                for unit in procedure_units:
                    unit.pk = unit_id()
                    unit.procedure_id = procedure.pk
                    name = (
                        unit.name
                        if unit.name not in taken
                        else f"{unit.name} ({unit.external_id[-3:]})"
                    )
                    taken.add(name)
                    cohorts.append(
                        Cohort(
                            pk=cohort_id(),
                            procedure=procedure,
                            unit=unit,
                            name=name,
                            notes=f"Lavoratori di {unit.name} ({unit.comune}).",
                        )
                    )
                companies.append(company)
                procedures.append(procedure)
                units.extend(procedure_units)
            self.writer.create(Company, companies)
            self.writer.create(CrisisProcedure, procedures)
            assign_cpis(units, using=self.using)  # one query per batch
            self.writer.create(ProductionUnit, units)
            self.writer.create(Cohort, cohorts)
            self.counts["companies"] += len(companies)
            self.counts["procedures"] += len(procedures)
            self.counts["units"] += len(units)
            self.counts["cohorts"] += len(cohorts)
            self.counts["history"] += len(companies) + len(procedures) + len(units) + len(cohorts)
            all_units.extend(zip(units, cohorts, strict=True))
            all_procedures.extend(procedures)
        self.write_meetings(all_procedures)
        self.report("procedures")
        # Company names are no longer needed: only the units and their cohorts stay.
        return all_units

    def write_meetings(self, procedures: list) -> None:
        """The demo's tables and meetings (regional, bilateral, union, with the workers) over
        the synthetic procedures, a couple still ahead for the cruscotto: a few hundred, saved
        one by one like the demo's (their history includes the procedures discussed)."""
        # Explicit keys, as for the other rows: the digest does not depend on the sequence.
        meeting_id = Ids(Meeting, self.using)
        for meeting, discussed in build_meetings(
            source(self.seed, "meetings"), procedures, self.today
        ):
            meeting.pk = meeting_id()
            meeting._change_reason = CHANGE_REASON
            meeting.save(using=self.using)
            meeting.procedures.set(discussed)
            self.counts["meetings"] += 1
            self.counts["history"] += meeting.history.count()

    # Workers

    def write_workers(self, units) -> None:
        rng = source(self.seed, "workers")
        taken = CodeHashes()
        builder = Builder(rng, self.today, taken_codes=taken)
        citizenships = CitizenshipMatcher(using=self.using)  # one query; memoised per text
        operators = list(Operator.objects.using(self.using).order_by("accreditation_number"))
        plans = [unit_plan(rng, unit, unit.workers_involved, self.today, None) for unit, _ in units]
        distribute_end_states(plans)
        ids = {
            model: Ids(model, self.using)
            for model in (Worker, Involvement, StepTransition, Outcome, Dote, PIP)
        }
        pool: list[tuple[Worker, set]] = []
        remaining_slots = self.target["involvements"]
        remaining_reuses = self.target["involvements"] - self.target["workers"]
        pending = Pending()
        for plan, (_unit, cohort) in zip(plans, units, strict=True):
            procedure_id = plan.unit.procedure_id
            finals = [step for step, count in plan.counts.items() for _ in range(count)]
            rng.shuffle(finals)
            for final in finals:
                worker = None
                # Once N workers exist, every further involvement must reuse one.
                must_reuse = remaining_reuses >= remaining_slots or (
                    self.counts["workers"] + len(pending.workers) >= self.target["workers"]
                )
                if remaining_reuses and (
                    must_reuse or rng.random() < remaining_reuses / remaining_slots
                ):
                    worker = reuse(rng, pool, procedure_id, exhaustive=must_reuse)
                    if worker is not None:
                        remaining_reuses -= 1
                if worker is None:
                    worker = builder.worker(plan.unit, None)
                    worker.citizenship_country_id = citizenships.match(worker.citizenship)
                    worker.pk = ids[Worker]()
                    pending.workers.append(worker)
                    entry = (worker, {procedure_id})
                    if len(pool) < POOL:
                        pool.append(entry)
                    else:
                        pool[rng.randrange(POOL)] = entry
                remaining_slots -= 1
                involvement = builder.involvement(plan, worker, cohort)
                involvement.pk = ids[Involvement]()
                moves = builder.moves(plan, final, involvement, worker)
                involvement.current_step = moves[-1].to
                involvement.current_step_since = moves[-1].day
                pending.involvements.append(involvement)
                pending.paths.append(moves)
                rows = builder.transitions(involvement, moves, None)
                for row in rows:
                    row.pk = ids[StepTransition]()
                pending.transitions.extend(rows)
                outcome = builder.outcome(involvement, worker, rows)
                if outcome is not None:
                    outcome.pk = ids[Outcome]()
                    pending.outcomes.append(outcome)
                if (
                    operators
                    and final == Step.STEP_4
                    and rows[-1].measure is not None
                    and rng.random() < self.profile.dote_share
                ):
                    self.dote(rng, ids, pending, involvement, rows[-1], operators)
                if len(pending.involvements) >= self.batch:
                    self.flush(pending)
                    pending = Pending()
        self.flush(pending)
        self.writer.finish([Company, CrisisProcedure, ProductionUnit, Cohort, Meeting, *ids])

    def dote(self, rng, ids, pending, involvement, activation, operators) -> None:
        start = activation.effective_date
        end = start + relativedelta(months=12) - timedelta(days=1)
        concluded = end < self.today
        dote = Dote(
            pk=ids[Dote](),
            involvement=involvement,
            measure=activation.measure,
            operator=rng.choice(operators),
            value=Decimal(rng.choice(DOTE_VALUES)),
            valid_from=start,
            valid_until=end,
            status=DoteStatus.CONCLUSA if concluded else DoteStatus.ATTIVA,
        )
        submitted = datetime(start.year, start.month, start.day, 10, tzinfo=UTC)
        pip = PIP(
            pk=ids[PIP](),
            dote=dote,
            status=PIPStatus.CONCLUSO if concluded else PIPStatus.IN_CORSO,
            objectives="Ricollocazione nel settore di provenienza o in settori affini.",
            submitted_at=submitted,
            decided_at=submitted + timedelta(days=rng.randint(2, 15)),
        )
        pending.doti.append(dote)
        pending.pips.append(pip)

    def flush(self, pending: "Pending") -> None:
        with transaction.atomic(using=self.using):
            self.writer.create(Worker, pending.workers)
            self.writer.involvements(pending.involvements, pending.paths)
            self.writer.create(StepTransition, pending.transitions, history=False)
            self.writer.create(Outcome, pending.outcomes)
            self.writer.create(Dote, pending.doti)
            self.writer.create(PIP, pending.pips)
        for key in ("workers", "involvements", "transitions", "outcomes", "doti", "pips"):
            self.counts[key] += len(getattr(pending, key))
        self.counts["history"] += sum(map(len, pending.paths)) + sum(
            len(getattr(pending, key)) for key in ("workers", "outcomes", "doti", "pips")
        )
        self.report("workers")

    def report(self, stage: str) -> None:
        elapsed = time.monotonic() - self.started
        done = self.counts["workers"] if stage == "workers" else self.counts["procedures"]
        total = self.target["workers"] if stage == "workers" else self.target["procedures"]
        self.progress(
            f"  {stage}: {done:,}/{total:,} ({elapsed:.1f}s, "
            f"{self.rows() / max(elapsed, 1e-9):,.0f} rows/s)"
        )

    def rows(self) -> int:
        return sum(self.counts.values())

    def run(self) -> dict[str, int]:
        with transaction.atomic(using=self.using):
            accounts.seed_operators({"created": 0, "updated": 0})
        units = self.write_procedures()
        self.write_workers(units)
        return self.counts


def cap_procedures(plans: list[ProcedurePlan], workers: int) -> None:
    """No procedure with more involvements than there are workers (a worker meets a procedure
    once): on small data, the excess moves to the smallest procedures. Totals are kept."""
    excess = 0
    for plan in plans:
        over = plan.workers - workers
        for unit in sorted(plan.units, key=lambda unit: -unit.workers):
            if over <= 0:
                break
            taken = min(over, unit.workers - 1)
            unit.workers -= taken
            over -= taken
            excess += taken
    for plan in sorted(plans, key=lambda plan: plan.workers):
        if not excess:
            break
        room = min(excess, workers - plan.workers)
        if room > 0:
            plan.units[0].workers += room
            excess -= room


def reuse(rng, pool: list[tuple[Worker, set]], procedure_id: int, *, exhaustive: bool):
    """A worker of ``pool`` not yet involved in the procedure (marked as involved now): five
    random draws, then, if ``exhaustive``, the whole pool from a random start; or None."""
    if not pool:
        return None
    draws = [rng.randrange(len(pool)) for _ in range(5)]
    if exhaustive:
        start = rng.randrange(len(pool))
        draws += [(start + offset) % len(pool) for offset in range(len(pool))]
    for index in draws:
        candidate, seen = pool[index]
        if procedure_id not in seen:
            seen.add(procedure_id)
            return candidate
    return None


class Pending:
    def __init__(self):
        self.workers, self.involvements, self.paths, self.transitions = [], [], [], []
        self.outcomes, self.doti, self.pips = [], [], []


class CodeHashes:
    """The fiscal codes taken, as 64-bit hashes (a fraction of the memory of the strings)."""

    def __init__(self):
        self.hashes: set[int] = set()

    @staticmethod
    def _key(code: str) -> int:
        return int.from_bytes(hashlib.blake2b(code.encode(), digest_size=8).digest())

    def __contains__(self, code: str) -> bool:
        return self._key(code) in self.hashes

    def add(self, code: str) -> None:
        self.hashes.add(self._key(code))


def generate(
    workers: int,
    seed: int,
    today: date,
    *,
    using="default",
    copy=None,
    batch=BATCH,
    progress=lambda m: None,
) -> dict[str, int]:
    """Generate the data into an empty database (see ``has_data`` and ``flush``)."""
    generator = Generator(
        workers,
        seed,
        today,
        writer=writer_for(using, copy=copy),
        using=using,
        batch=batch,
        progress=progress,
    )
    return generator.run()
