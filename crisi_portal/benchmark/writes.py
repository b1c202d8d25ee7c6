"""The write path of the benchmark (issue #12): imports and the bulk move, in rows per second.

Each is measured through the portal's own code, as a confirmed upload runs it (parse, check
against the database, save with the audit history), and side by side with a bare
``bulk_create`` of the same rows (no checks, no history): what the database alone costs.
Everything happens inside a transaction rolled back afterwards, so the benchmark's data is the
same after the run as before.

Keys: ``import_workers_rows`` / ``_s`` / ``_rows_per_s`` / ``_bulk_create_rows_per_s`` /
``_ratio`` (and the same for ``import_procedures`` and ``bulk_move``).
"""

import csv
import io
import random
import time
from collections.abc import Callable

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from cases.interchange import export_procedures, import_procedures
from cases.models import CrisisProcedure, ProductionUnit
from crisi_portal.demo.workers import Builder
from workers.enums import Step
from workers.importers import import_workers
from workers.models import Involvement, MoveKind, StepTransition, Worker
from workers.services import involvements_move

WORKER_ROWS = 10_000
PROCEDURE_ROWS = 5_000
MOVE_ROWS = 5_000
PREFIX = "BENCH"  # external ids of the procedures the import creates (rolled back)
WORKER_HEADER = ["Codice Fiscale", "Cognome", "Nome", "Data di nascita", "Sesso", "Sede"]


class RolledBack(Exception):
    """Raised inside the measured transaction to undo it (and nothing else)."""


def rolled_back(fn: Callable[[], object]) -> tuple[float, object]:
    """Seconds ``fn`` takes inside a transaction that is then rolled back, and its result."""
    outcome: list = []
    try:
        with transaction.atomic():
            started = time.perf_counter()
            outcome.append(fn())
            outcome.append(time.perf_counter() - started)
            raise RolledBack
    except RolledBack:
        pass
    return outcome[1], outcome[0]


def import_target() -> tuple[CrisisProcedure, ProductionUnit]:
    """The procedure with most units and its first unit: where the worker list goes."""
    procedure = (
        CrisisProcedure.objects.annotate(n=Count("units")).filter(n__gt=0).order_by("-n", "pk")
    ).first()
    if procedure is None:
        raise LookupError("No procedure with a unit: generate the data first.")
    return procedure, procedure.units.order_by("pk").first()


def new_workers(unit: ProductionUnit, n: int, seed: int = 12) -> list[Worker]:
    """``n`` workers nobody has yet, with real fiscal codes (the demo's generator)."""
    taken = set(Worker.objects.values_list("fiscal_code", flat=True))
    builder = Builder(random.Random(seed), timezone.localdate(), taken_codes=taken)
    return [builder.worker(unit, None) for _ in range(n)]


def worker_csv(workers: list[Worker], unit: ProductionUnit) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(WORKER_HEADER)
    for w in workers:
        birth = w.birth_date.strftime("%d/%m/%Y")
        writer.writerow([w.fiscal_code, w.last_name, w.first_name, birth, w.sex, unit.external_id])
    return out.getvalue().encode()


def procedure_csv(n: int) -> bytes:
    """``n`` rows of the interchange CSV: the stored procedures as exported, under new external
    ids (``BENCH<k>-…``), repeated until there are ``n``: every row a new procedure or unit."""
    out = io.StringIO()
    export_procedures(CrisisProcedure.objects.all(), out)
    header, *rows = out.getvalue().splitlines()
    if not rows:
        raise LookupError("No procedure to export: generate the data first.")
    lines = [header]
    copy = 0
    while len(lines) <= n:
        copy += 1
        for row in rows[: n - len(lines) + 1]:
            fields = next(csv.reader([row]))
            fields[0] = f"{PREFIX}{copy}-{fields[0]}"
            if fields[7]:
                fields[7] = f"{PREFIX}{copy}-{fields[7]}"
            lines.append(",".join(_csv_field(f) for f in fields))
    return ("\n".join(lines) + "\n").encode()


def _csv_field(value: str) -> str:
    if any(c in value for c in ',"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _rates(figures: dict, name: str, rows: int, portal_s: float, bare_s: float) -> None:
    figures[f"{name}_rows"] = rows
    figures[f"{name}_s"] = round(portal_s, 3)
    figures[f"{name}_rows_per_s"] = round(rows / max(portal_s, 1e-6))
    figures[f"{name}_bulk_create_rows_per_s"] = round(rows / max(bare_s, 1e-6))
    figures[f"{name}_ratio"] = round(portal_s / max(bare_s, 1e-6), 2)


def worker_import_figures(figures: dict, rows: int = WORKER_ROWS) -> None:
    procedure, unit = import_target()
    workers = new_workers(unit, rows)
    raw = worker_csv(workers, unit)

    def portal():
        result = import_workers(procedure, raw, filename="benchmark.csv")
        if not result.applied:
            raise AssertionError(f"the worker list was refused: {result.errors[:3]}")
        return result

    def bare():
        today = timezone.localdate()
        created = Worker.objects.bulk_create(workers, batch_size=2000)
        involvements = Involvement.objects.bulk_create(
            [
                Involvement(
                    worker=w,
                    procedure=procedure,
                    unit=unit,
                    current_step=Step.STEP_1,
                    current_step_since=today,
                )
                for w in created
            ],
            batch_size=2000,
        )
        StepTransition.objects.bulk_create(
            [
                StepTransition(
                    involvement=i, to_step=Step.STEP_1, kind=MoveKind.START, effective_date=today
                )
                for i in involvements
            ],
            batch_size=2000,
        )

    portal_s, _ = rolled_back(portal)
    for w in workers:  # the bare run inserts the same objects again
        w.pk = None
    bare_s, _ = rolled_back(bare)
    _rates(figures, "import_workers", rows, portal_s, bare_s)


def procedure_import_figures(figures: dict, rows: int = PROCEDURE_ROWS) -> None:
    raw = procedure_csv(rows)

    def portal():
        result = import_procedures(raw)
        if not result.applied:
            raise AssertionError(f"the procedure list was refused: {result.errors[:3]}")
        return result

    def bare():
        # The same rows without checks or history: a procedure per external id, a unit per row.
        stored = {p["external_id"]: p for p in CrisisProcedure.objects.values()}
        stored_units = {u["external_id"]: u for u in ProductionUnit.objects.values()}
        procedures: dict[str, CrisisProcedure] = {}
        units: list[tuple[str, dict]] = []
        for fields in list(csv.reader(io.StringIO(raw.decode())))[1:]:
            external_id = fields[0]
            if external_id not in procedures:
                values = dict(stored[external_id.split("-", 1)[1]], external_id=external_id)
                del values["id"]
                procedures[external_id] = CrisisProcedure(**values)
            if fields[7]:
                values = dict(stored_units[fields[7].split("-", 1)[1]], external_id=fields[7])
                del values["id"]
                units.append((external_id, values))
        CrisisProcedure.objects.bulk_create(procedures.values(), batch_size=2000)
        ProductionUnit.objects.bulk_create(
            [
                ProductionUnit(**{**values, "procedure_id": procedures[external_id].pk})
                for external_id, values in units
            ],
            batch_size=2000,
        )

    portal_s, _ = rolled_back(portal)
    bare_s, _ = rolled_back(bare)
    _rates(figures, "import_procedures", rows, portal_s, bare_s)


def movable(rows: int, user=None) -> list[Involvement]:
    """Up to ``rows`` involvements at STEP_1 since a past day (of the user's provinces, if
    given), the largest procedures first: what a Nucleo moves to STEP_2 after a meeting."""
    today = timezone.localdate()
    involvements = Involvement.objects.filter(
        current_step=Step.STEP_1, current_step_since__lt=today
    ).exclude(transitions__effective_date__gte=today)
    if user is not None:
        involvements = involvements.editable_by(user)
    return list(involvements.select_related("worker").order_by("procedure_id", "pk")[:rows])


def bulk_move_figures(figures: dict, user, rows: int = MOVE_ROWS) -> None:
    today = timezone.localdate()
    involvements = movable(rows, user)
    if not involvements:
        figures.update(dict.fromkeys(["bulk_move_rows", "bulk_move_s", "bulk_move_rows_per_s"]))
        return

    def portal():
        return involvements_move(
            user=user, involvements=involvements, to=Step.STEP_2, effective_date=today
        )

    def bare():
        StepTransition.objects.bulk_create(
            [
                StepTransition(
                    involvement=i,
                    from_step=Step.STEP_1,
                    to_step=Step.STEP_2,
                    kind=MoveKind.FORWARD,
                    effective_date=today,
                )
                for i in involvements
            ],
            batch_size=2000,
        )
        Involvement.objects.filter(pk__in=[i.pk for i in involvements]).update(
            current_step=Step.STEP_2, current_step_since=today
        )

    originals = [(i.current_step, i.current_step_since) for i in involvements]
    portal_s, _ = rolled_back(portal)
    for involvement, (step, since) in zip(involvements, originals, strict=True):
        involvement.current_step, involvement.current_step_since = step, since
    bare_s, _ = rolled_back(bare)
    _rates(figures, "bulk_move", len(involvements), portal_s, bare_s)


def write_figures(figures: dict, user) -> None:
    worker_import_figures(figures)
    procedure_import_figures(figures)
    bulk_move_figures(figures, user)
