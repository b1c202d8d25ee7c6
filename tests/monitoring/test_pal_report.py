"""The PAL monitoring report (issue #15): every figure pinned on hand-built data."""

import datetime
import io
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from cases.enums import CompanyKind, ConcessionKind, Family
from monitoring import services
from monitoring.dashboard import quantile_of_histogram
from monitoring.enums import ReportKind, RunStatus, Trigger
from monitoring.models import ReportRun
from monitoring.pal_report import DIMENSIONS, pal_monitoring, pal_settings, suppress_table
from monitoring.periods import Period, PeriodError
from monitoring.renderers import render_document
from monitoring.reports import build
from pal.enums import PIPStatus, ServiceKind
from pal.models import Measure
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.monitoring.downloads import downloaded
from tests.pal.factories import DoteFactory, PIPFactory, PIPServiceFactory
from tests.workers.factories import InvolvementFactory, exemption_reason
from workers.enums import ContractKind, EducationLevel, OutcomeKind, Sex, Step
from workers.models import Country
from workers.services import involvement_move, outcome_record

pytestmark = pytest.mark.django_db

D = datetime.date
Q3 = Period.parse(ReportKind.PAL_MONITORING, "2025-Q3")  # 1 July – 30 September 2025
ROME = ZoneInfo("Europe/Rome")


@pytest.fixture
def english():
    with translation.override("en"):
        yield


TAKEN_ON = D(2025, 4, 2)
TRAINING = (D(2025, 8, 1), D(2025, 10, 31))


def person(site, *, taken_on=TAKEN_ON, step=Step.STEP_1, days_to_step_4=28, **worker):
    """A worker of ``site`` taken in charge on ``taken_on`` and moved on to ``step`` (STEP 2 and
    STEP 3 one and two days later, STEP 4 ``days_to_step_4`` days after STEP 1)."""
    fields = {f"worker__{name}": value for name, value in worker.items()}
    involvement = InvolvementFactory(unit=site, taken_on=taken_on, **fields)
    if step == Step.NO_PAL:
        involvement_move(
            user=None,
            involvement=involvement,
            to=Step.NO_PAL,
            effective_date=taken_on + datetime.timedelta(days=1),
            exemption_reason=exemption_reason(),
        )
        return involvement
    path = [Step.STEP_2, Step.STEP_3, Step.STEP_4]
    for offset, to in enumerate(path[: [Step.STEP_1, *path].index(step)], start=1):
        day = taken_on + datetime.timedelta(days=offset)
        if to == Step.STEP_4:
            day = taken_on + datetime.timedelta(days=days_to_step_4)
        involvement_move(
            user=None,
            involvement=involvement,
            to=to,
            effective_date=day,
            measure=Measure.objects.get(code="dote-unica-lavoro"),
        )
    return involvement


GROUPS = ("italian", "eu", "non_eu")
CONTRACTS = {
    OutcomeKind.RICOLLOCATO: ContractKind.PERMANENT,
    OutcomeKind.REINTEGRATO: ContractKind.SAME_COMPANY,
    OutcomeKind.AUTOIMPIEGO: ContractKind.SELF_EMPLOYMENT,
}


def outcome(involvement, kind, day):
    data = {"kind": kind, "date": day}
    if kind in CONTRACTS:
        data["contract_kind"] = CONTRACTS[kind]
    return outcome_record(user=None, involvement=involvement, data=data)


def training(involvement, status=PIPStatus.APPROVATO, dates=TRAINING):
    start, end = dates
    pip = PIPFactory(dote=DoteFactory(involvement=involvement), status=status)
    return PIPServiceFactory(
        pip=pip, kind=ServiceKind.FORMAZIONE, planned_start=start, planned_end=end
    )


@pytest.fixture
def world(db):
    """Eight workers, six in Bergamo and two in Milan (see each line)."""
    bg = CrisisProcedureFactory(
        lead="BG",
        family=Family.CIGS_MINISTERIALE,
        opened_on=D(2025, 3, 10),
        concession_kind=ConcessionKind.PRIMA_CONCESSIONE,
        company__kind=CompanyKind.INDUSTRIALE_OLTRE_15,
        company__ateco_code="25.62.00",
    )
    mi = CrisisProcedureFactory(
        lead="MI",
        family=Family.LICENZIAMENTO_COLLETTIVO,
        opened_on=D(2025, 8, 1),
        concession_kind="",
        company__kind=CompanyKind.SERVIZI,
        company__ateco_code="49.41.00",
    )
    site_bg = ProductionUnitFactory(procedure=bg, in_province="BG")
    site_mi = ProductionUnitFactory(procedure=mi, in_province="MI")
    upper = EducationLevel.UPPER_SECONDARY
    italian, eu, non_eu = (Country.objects.filter(group=g).first() for g in GROUPS)
    w = {
        # Activated after 28 days, re-employed on 1 September; 24 when taken in charge.
        "w1": person(
            site_bg,
            step=Step.STEP_4,
            sex=Sex.F,
            education_level=upper,
            birth_date=D(2000, 5, 1),
            citizenship_country=eu,
        ),
        # Activated after 60 days, in training (an approved PIP, training from August); 50 on
        # the day taken in charge.
        "w2": person(
            site_bg,
            step=Step.STEP_4,
            days_to_step_4=60,
            sex=Sex.F,
            education_level=upper,
            birth_date=D(1975, 4, 2),
            citizenship_country=non_eu,
        ),
        # PAL illustrated only; 29 (30 the day after).
        "w3": person(
            site_bg,
            step=Step.STEP_3,
            sex=Sex.F,
            education_level=upper,
            birth_date=D(1995, 4, 3),
            citizenship_country=italian,
        ),
        # Taken in charge in the quarter.
        "w4": person(
            site_bg,
            taken_on=D(2025, 7, 15),
            sex=Sex.M,
            education_level=upper,
            birth_date=D(1980, 1, 1),
            citizenship_country=italian,
        ),
        # Taken in charge after the quarter: informed only.
        "w5": person(site_bg, taken_on=D(2025, 10, 5), sex=Sex.M, education_level=upper),
        # Exempted, retired in August: another exit.
        "w6": person(
            site_bg,
            step=Step.NO_PAL,
            sex=Sex.M,
            education_level=upper,
            birth_date=D(1960, 6, 1),
            citizenship_country=italian,
        ),
        # Milan, a procedure opened in the quarter: activated after 10 days, back at the company
        # on the quarter's last day.
        "w7": person(
            site_mi,
            taken_on=D(2025, 8, 5),
            step=Step.STEP_4,
            days_to_step_4=10,
            sex=Sex.M,
            birth_date=D(1985, 1, 1),
            citizenship_country=None,
        ),
        # Re-employed the day after the quarter.
        "w8": person(
            site_mi,
            taken_on=D(2025, 8, 5),
            sex=Sex.F,
            birth_date=D(1990, 1, 1),
            citizenship_country=italian,
        ),
    }
    outcome(w["w1"], OutcomeKind.RICOLLOCATO, D(2025, 9, 1))
    training(w["w2"])
    outcome(w["w6"], OutcomeKind.PENSIONAMENTO, D(2025, 8, 1))
    outcome(w["w7"], OutcomeKind.REINTEGRATO, D(2025, 9, 30))
    outcome(w["w8"], OutcomeKind.RICOLLOCATO, D(2025, 10, 1))
    return w


def stages(data) -> dict:
    return {s["stage"]: (s["count"], s["pct"], s["in_period"]) for s in data["funnel"]}


def table(data, dimension) -> dict:
    rows = next(t for t in data["breakdowns"] if t["dimension"] == dimension)["rows"]
    return {r["key"]: (r["taken_in_charge"], r["pal_activated"], r["reemployed"]) for r in rows}


# --- Periods -------------------------------------------------------------------------------------


def test_the_pal_report_takes_quarters_and_years():
    assert Period.parse("pal_monitoring", "2025-Q3").code == "2025-Q3"
    year = Period.parse("pal_monitoring", "2025")
    assert (year.start, year.end) == (D(2025, 1, 1), D(2025, 12, 31))
    with pytest.raises(PeriodError):
        Period.parse("pal_monitoring", "2025-B3")
    assert Period.just_ended("pal_monitoring", D(2025, 10, 1)).code == "2025-Q3"


# --- The funnel ----------------------------------------------------------------------------------


def test_the_funnel_counts_each_stage_by_the_periods_end_and_within_it(world):
    data = pal_monitoring(Q3)
    assert stages(data) == {
        "informed": (8, 100.0, 2),
        "taken_in_charge": (7, 87.5, 3),
        "pal_illustrated": (4, 50.0, 1),
        "pal_activated": (3, 37.5, 1),
        "in_training": (1, 12.5, None),
        "reemployed": (2, 25.0, 2),
    }
    assert data["other_exits"] == 1
    assert data["scope"] == "LOM" and data["span"] == "quarterly"


def test_the_target_is_re_employed_over_taken_in_charge(world, settings):
    assert pal_monitoring(Q3)["target"] == {"pct": 40, "reemployed_pct": 28.6, "reached": False}
    settings.PAL_REPORT_TARGET_PCT = 25
    assert pal_monitoring(Q3)["target"] == {"pct": 25, "reemployed_pct": 28.6, "reached": True}


def test_training_needs_an_approved_pip_with_training_planned_in_the_period(world):
    # A draft PIP and a training planned before the quarter do not count.
    training(world["w1"], status=PIPStatus.BOZZA)
    training(world["w7"], dates=(D(2025, 5, 1), D(2025, 6, 30)))
    assert stages(pal_monitoring(Q3))["in_training"][0] == 1


def test_the_annual_report_counts_the_year(world):
    data = pal_monitoring(Period.parse("pal_monitoring", "2025"))
    # By 31 December w5 was taken in charge and w8 re-employed.
    assert stages(data)["taken_in_charge"] == (8, 100.0, 8)
    assert stages(data)["reemployed"] == (3, 37.5, 3)
    assert data["span"] == "annual"


def test_a_province_document_counts_its_units_only(world, settings):
    settings.PAL_REPORT_MIN_CELL = 1  # nothing withheld
    data = pal_monitoring(Q3, "MI")
    assert stages(data)["informed"] == (2, 100.0, 2)
    assert stages(data)["reemployed"] == (1, 50.0, 1)
    assert data["scope"] == "MI" and data["min_cell"] == 1


# --- Breakdowns ----------------------------------------------------------------------------------


def test_each_breakdown_counts_taken_in_charge_activated_and_re_employed(world, english):
    data = pal_monitoring(Q3)
    assert table(data, "sex") == {"F": (4, 2, 1), "M": (3, 1, 1)}
    assert table(data, "province") == {"BG": (5, 2, 1), "MI": (2, 1, 1)}
    assert table(data, "family") == {
        Family.CIGS_MINISTERIALE: (5, 2, 1),
        Family.LICENZIAMENTO_COLLETTIVO: (2, 1, 1),
    }
    assert table(data, "company_kind") == {
        CompanyKind.INDUSTRIALE_OLTRE_15: (5, 2, 1),
        CompanyKind.SERVIZI: (2, 1, 1),
    }
    assert table(data, "ateco_section") == {"C": (5, 2, 1), "H": (2, 1, 1)}
    assert table(data, "concession_kind") == {
        ConcessionKind.PRIMA_CONCESSIONE: (5, 2, 1),
        "_none": (2, 1, 1),
    }
    operator = str(world["w2"].doti.get().operator_id)
    assert table(data, "operator") == {operator: (1, 1, 0), "_none": (6, 2, 2)}
    assert table(data, "measure") == {"dote-unica-lavoro": (3, 3, 2), "_none": (4, 0, 0)}
    assert table(data, "age_band") == {
        "under_30": (2, 1, 1),
        "30_49": (3, 1, 1),
        "50_plus": (2, 1, 0),
    }
    assert table(data, "citizenship") == {
        "italian": (4, 0, 0),
        "eu": (1, 1, 1),
        "non_eu": (1, 1, 0),
        "unknown": (1, 1, 1),
    }
    units = {inv.unit for inv in world.values()}
    cpis: dict = {}
    for unit in units:
        unit.refresh_from_db()
        key = str(unit.cpi_id) if unit.cpi_id else "_none"
        taken = (5, 2, 1) if unit.province_id == "BG" else (2, 1, 1)
        cpis[key] = tuple(a + b for a, b in zip(cpis.get(key, (0, 0, 0)), taken, strict=True))
    assert table(data, "cpi") == cpis
    education = table(data, "education")
    assert education[EducationLevel.UPPER_SECONDARY] == (5, 2, 1)
    rows = next(t for t in data["breakdowns"] if t["dimension"] == "concession_kind")["rows"]
    assert [r["label"] for r in rows] == ["First concession", "Not recorded"]
    assert rows[0]["reemployed_pct"] == 20.0


# --- Re-employment within 6 and 12 months ----------------------------------------------------


def test_re_employment_at_6_and_12_months_counts_the_windows_elapsed_and_their_last_day(db):
    site = ProductionUnitFactory(in_province="CO", procedure__opened_on=D(2024, 9, 1))
    # Q3 2025 ends on 30 September: a 6-month window elapsed for workers taken in charge by
    # 31 March, a 12-month one by 30 September 2024; an outcome on the window's last day counts.
    a = person(site, taken_on=D(2025, 3, 31))
    outcome(a, OutcomeKind.RICOLLOCATO, D(2025, 9, 30))  # on the 6-month window's last day
    person(site, taken_on=D(2025, 4, 1))  # its window ends on 1 October: not yet counted
    c = person(site, taken_on=D(2025, 1, 15))
    outcome(c, OutcomeKind.RICOLLOCATO, D(2025, 7, 16))  # the day after its 6-month window
    d = person(site, taken_on=D(2024, 9, 30))
    outcome(d, OutcomeKind.AUTOIMPIEGO, D(2025, 9, 30))  # on the 12-month window's last day
    data = pal_monitoring(Q3)
    assert data["reemployment"] == [
        {"months": 6, "eligible": 3, "reemployed": 1, "rate": 33.3},
        {"months": 12, "eligible": 1, "reemployed": 1, "rate": 100.0},
    ]
    rows = next(t for t in data["breakdowns"] if t["dimension"] == "province")["rows"]
    assert [
        (r["key"], r["eligible_6m"], r["reemployed_6m"], r["rate_6m"], r["rate_12m"]) for r in rows
    ] == [("CO", 3, 1, 33.3, 100.0)]


def test_nobody_eligible_has_no_rate(world):
    assert pal_monitoring(Q3)["reemployment"] == [
        {"months": 6, "eligible": 0, "reemployed": 0, "rate": None},
        {"months": 12, "eligible": 0, "reemployed": 0, "rate": None},
    ]
    year = pal_monitoring(Period.parse("pal_monitoring", "2025"))
    assert year["reemployment"][0] == {"months": 6, "eligible": 4, "reemployed": 1, "rate": 25.0}


# --- Times ---------------------------------------------------------------------------------------


def test_days_to_step_4_and_to_re_employment_have_quartiles(world):
    times = {t["measure"]: t for t in pal_monitoring(Q3)["times"]}
    # STEP 4 after 10, 28 and 60 days; re-employed after 56 (w7) and 152 days (w1).
    assert times["step1_to_step4"] == {
        "measure": "step1_to_step4",
        "n": 3,
        "q1": 19.0,
        "median": 28.0,
        "q3": 44.0,
    }
    assert times["step1_to_reemployment"] == {
        "measure": "step1_to_reemployment",
        "n": 2,
        "q1": 80.0,
        "median": 104.0,
        "q3": 128.0,
    }


@pytest.mark.parametrize(
    ("counts", "fraction", "expected"),
    [
        ([(10, 1), (28, 1), (60, 1)], 0.25, 19.0),
        ([(10, 1), (28, 1), (60, 1)], 0.75, 44.0),
        ([(5, 3), (9, 1)], 0.5, 5.0),
        ([(1, 1), (2, 1), (3, 1), (4, 1)], 0.25, 1.75),
        ([], 0.5, None),
    ],
)
def test_quantiles_of_a_histogram_are_percentile_conts(counts, fraction, expected):
    assert quantile_of_histogram(counts, fraction) == expected


# --- Disclosure control --------------------------------------------------------------------------


def rows_of(*values):
    return [{"key": str(i), "n": v, "suppressed": []} for i, v in enumerate(values)]


def test_a_small_cell_is_withheld_with_the_next_smallest_so_the_total_cannot_reveal_it():
    rows = rows_of(10, 3, 12)  # the total, 25, is shown elsewhere: 25 − 10 − 12 = 3
    assert suppress_table(rows, ["n"], 5) == 2
    assert [r["n"] for r in rows] == [None, None, 12]
    assert [r["suppressed"] for r in rows] == [["n"], ["n"], []]


def test_a_zero_stays_and_the_complement_is_a_positive_cell():
    rows = rows_of(0, 3, 12, 40)
    suppress_table(rows, ["n"], 5)
    assert [r["n"] for r in rows] == [0, None, None, 40]


def test_two_small_cells_protect_each_other():
    rows = rows_of(2, 3, 12)
    assert suppress_table(rows, ["n"], 5) == 2
    assert [r["n"] for r in rows] == [None, None, 12]


def test_a_province_document_withholds_small_counts_and_what_reveals_them(world, settings):
    settings.PAL_REPORT_MIN_CELL = 3
    data = pal_monitoring(Q3, "BG")
    # Bergamo: 6 informed, 5 taken in charge, 3 illustrated, 2 activated, 1 in training,
    # 1 re-employed (w1), 1 other exit.
    assert stages(data) == {
        "informed": (6, 100.0, 0),  # a zero tells nothing about anyone: shown
        "taken_in_charge": (5, 83.3, None),
        "pal_illustrated": (3, 50.0, 0),
        "pal_activated": (None, None, 0),
        "in_training": (None, None, None),
        "reemployed": (None, None, None),
    }
    assert data["other_exits"] is None
    assert data["target"]["reemployed_pct"] is None
    # By sex: 3 women and 2 men taken in charge; the 2 are withheld, and the 3 with them, since
    # the 5 taken in charge in the funnel would give them away.
    rows = next(t for t in data["breakdowns"] if t["dimension"] == "sex")["rows"]
    assert [(r["key"], r["taken_in_charge"]) for r in rows] == [("F", None), ("M", None)]
    assert all("taken_in_charge" in r["suppressed"] for r in rows)
    assert all(r["reemployed_pct"] is None for r in rows)
    times = {t["measure"]: t for t in data["times"]}
    assert times["step1_to_step4"]["median"] is None  # two workers only
    assert data["suppressed_cells"] > 0


def test_the_regional_document_is_not_suppressed(world, settings):
    settings.PAL_REPORT_MIN_CELL = 3
    data = pal_monitoring(Q3)
    assert data["min_cell"] is None and data["suppressed_cells"] == 0
    assert stages(data)["in_training"][0] == 1


def test_the_configuration_is_checked(settings):
    settings.PAL_REPORT_MIN_CELL = 0
    with pytest.raises(Exception, match="PAL_REPORT_MIN_CELL"):
        pal_settings()


# --- Queries -------------------------------------------------------------------------------------


def test_the_report_takes_the_same_few_queries_whatever_the_workers(world):
    def queries(province=None) -> int:
        with CaptureQueriesContext(connection) as captured:
            build(ReportKind.PAL_MONITORING, Q3, province)
        return len(captured)

    queries()  # the provinces, cached from then on
    before = queries()
    site = ProductionUnitFactory(in_province="CO", procedure__opened_on=D(2025, 1, 10))
    for _n in range(5):
        person(site, step=Step.STEP_4)
    assert queries() == before
    # The funnel and every breakdown (1), the quartiles (1), the names of the operators, the
    # measures and the CPIs met (3), the 6/12-month rates overall and per dimension.
    bound = 5 + 1 + len(DIMENSIONS)
    assert before <= bound
    assert queries("BG") <= bound


# --- Documents -----------------------------------------------------------------------------------


def render(data, fmt, scope="Regione Lombardia"):
    return render_document(data, fmt, scope_label=scope, period=Q3)


def test_the_report_renders_in_every_format(world, english, tmp_path, settings):
    settings.PAL_REPORT_MIN_CELL = 3
    regional = pal_monitoring(Q3)
    bergamo = pal_monitoring(Q3, "BG")

    payload = render(regional, "json").content.decode()
    assert '"kind": "pal_monitoring"' in payload

    lines = render(regional, "csv").content.decode().splitlines()
    assert lines[0] == "section,dimension,key,label,figure,value"
    assert "funnel,,informed,Informed,count,8" in lines
    assert "funnel,,reemployed,Re-employed,pct,25.0" in lines
    assert "breakdown,sex,F,Female,taken_in_charge,4" in lines
    assert "days,,step1_to_step4,From STEP 1 to STEP 4,median,28.0" in lines
    province_lines = render(bergamo, "csv").content.decode().splitlines()
    assert "funnel,,pal_activated,PAL activated (STEP 4),count,n.d." in province_lines

    book = load_workbook(io.BytesIO(render(regional, "xlsx").content))
    assert book.sheetnames[:3] == ["Funnel", "Re-employment", "Times"]
    assert "Sex" in book.sheetnames and "ATECO section" in book.sheetnames
    funnel = [[c.value for c in row] for row in book["Funnel"].iter_rows()]
    assert ["Informed", 8, 100.0, 2] in funnel
    book = load_workbook(io.BytesIO(render(bergamo, "xlsx", "Bergamo").content))
    funnel = [[c.value for c in row] for row in book["Funnel"].iter_rows()]
    assert ["PAL activated (STEP 4)", "n.d.", "n.d.", 0] in funnel

    pdf = render(regional, "pdf")
    assert pdf.pages >= 2
    text = pdftotext(pdf.content, tmp_path)
    assert "From informed to re-employed" in text
    assert "Target: 40% of the workers taken in charge re-employed; reached: 28,6%." in text
    assert "statistical disclosure control applies to the provinces" in text
    text = pdftotext(render(bergamo, "pdf", "Bergamo").content, tmp_path)
    assert "Provincia di Bergamo" in text
    assert "n.d." in text and "not disclosed" in text


def pdftotext(content: bytes, tmp: Path) -> str:
    path = tmp / "pal.pdf"
    path.write_bytes(content)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


# --- Engine, schedule, access --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "span", "after", "fires_on", "period"),
    [
        ("pal-quarterly-reports", "quarterly", (2027, 9, 15), D(2027, 10, 1), "2027-Q3"),
        ("pal-quarterly-reports", "quarterly", (2026, 11, 21), D(2027, 1, 1), "2026-Q4"),
        ("pal-annual-report", "annual", (2026, 11, 21), D(2027, 1, 15), "2026"),
    ],
)
def test_the_pal_report_is_scheduled_quarterly_and_yearly(entry, span, after, fires_on, period):
    beat = django_settings.CELERY_BEAT_SCHEDULE[entry]
    assert beat["task"] == "monitoring.tasks.scheduled_reports"
    assert beat["args"] == ("pal_monitoring", span)
    last, delta, _now = beat["schedule"].remaining_delta(datetime.datetime(*after, tzinfo=ROME))
    fired = last + delta
    assert fired.date() == fires_on
    assert Period.just_ended(span, fired.date()).code == period


@pytest.mark.parametrize(
    ("span", "today", "period"),
    [("quarterly", D(2025, 10, 1), "2025-Q3"), ("annual", D(2026, 1, 15), "2025")],
)
def test_a_scheduled_day_queues_the_region_and_every_province(
    world, django_capture_on_commit_callbacks, span, today, period
):
    with django_capture_on_commit_callbacks(execute=True):
        created = services.report_runs_schedule("pal_monitoring", today=today, span=span)
    assert len(created) == 13
    assert {run.period for run in created} == {period}
    assert {run.kind for run in created} == {"pal_monitoring"}
    run = ReportRun.objects.get(pk=created[0].pk)
    assert run.status == RunStatus.SUCCEEDED and run.triggered_by == Trigger.SCHEDULE


def test_a_nucleo_asks_for_its_provinces_report_only(world, staff_bg):
    run = services.report_run_request(
        kind="pal_monitoring", period="2025-Q3", fmt="json", province="BG", user=staff_bg
    )
    assert run.period == "2025-Q3"
    with pytest.raises(services.ReportRequestRefused):
        services.report_run_request(
            kind="pal_monitoring", period="2025-Q3", fmt="json", province="MI", user=staff_bg
        )


def test_a_nucleo_sees_its_provinces_and_the_regional_pal_documents_only(
    client, world, staff_bg, region, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        runs = {
            scope: services.report_run_request(
                kind="pal_monitoring",
                period="2025-Q3",
                fmt="json",
                province=scope,
                user=region,
            )
            for scope in ("BG", "MI", None)
        }
    client.force_login(staff_bg)

    def status(scope) -> int:
        response = client.get(reverse("monitoring:report_download", args=[runs[scope].pk]))
        if response.status_code == 200:
            assert b'"kind": "pal_monitoring"' in downloaded(response)
        return response.status_code

    assert (status("BG"), status(None), status("MI")) == (200, 200, 404)
