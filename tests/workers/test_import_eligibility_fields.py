"""The worker list brings what the measures' eligibility rules read (issue #14): the kind of
income support, the hours cut and the support period, under the headers companies use."""

import datetime

import pytest

from pal import eligibility
from pal.models import Measure
from tests.workers import test_import
from workers.enums import IncomeSupport
from workers.importers import import_workers
from workers.models import Involvement

pytestmark = pytest.mark.django_db

# The import tests' fixtures: English messages, a BG procedure with the Dalmine unit.
english_messages = test_import.english_messages
procedure = test_import.procedure

HEADER = (
    "Codice Fiscale;Cognome;Nome;Data di nascita;Sesso;Unità produttiva;"
    "Tipo di ammortizzatore;% di riduzione;Data inizio ammortizzatore;Data fine ammortizzatore"
)


def row(support: str, cut: str) -> str:
    return (
        f"FMGCHR66A61G273Z;FUMAGALLI;CHIARA;21/01/1966;F;Stabilimento di Dalmine;"
        f"{support};{cut};03/03/2025;02/03/2026"
    )


def test_the_headers_map_to_the_fields_the_rules_read(procedure):
    raw = "\n".join([HEADER, row("Cassa integrazione straordinaria", "30")]).encode()
    result = import_workers(procedure, raw, filename="lista.csv", dry_run=True)
    mapping = dict(result.mapping)
    assert mapping["Tipo di ammortizzatore"] == "income_support"
    assert mapping["% di riduzione"] == "hours_reduction_pct"
    assert mapping["Data inizio ammortizzatore"] == "period_start"
    assert mapping["Data fine ammortizzatore"] == "period_end"


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("Cassa integrazione straordinaria", IncomeSupport.CIGS),
        ("Cassa integrazione ordinaria", IncomeSupport.CIGO),
        ("Fondo di integrazione salariale", IncomeSupport.FIS),
        ("Indennità di mobilità", IncomeSupport.MOBILITA),
        ("NASpI", IncomeSupport.NASPI),
        ("Contratto di solidarietà", IncomeSupport.SOLIDARIETA),
    ],
)
def test_the_kind_of_income_support_is_read_as_written(procedure, written, kind):
    raw = "\n".join([HEADER, row(written, "50")]).encode()
    result = import_workers(procedure, raw, filename="lista.csv")
    assert result.applied, result.errors
    assert Involvement.objects.get().income_support == kind


def test_an_imported_cut_of_30_is_not_more_than_30_and_31_is(procedure):
    rete = Measure.objects.get(code="azioni-di-rete")
    on = datetime.date(2025, 6, 2)
    import_workers(procedure, "\n".join([HEADER, row("CIGS", "30")]).encode(), filename="a.csv")
    involvement = Involvement.objects.select_related("worker", "procedure", "unit").get()
    assert (involvement.period_start, involvement.period_end) == (
        datetime.date(2025, 3, 3),
        datetime.date(2026, 3, 2),
    )
    assert [f.code for f in eligibility.rule_failures(involvement, rete, on=on)] == [
        "hours_cut_below_minimum"
    ]
    import_workers(procedure, "\n".join([HEADER, row("CIGS", "31")]).encode(), filename="b.csv")
    involvement = Involvement.objects.select_related("worker", "procedure", "unit").get()
    assert involvement.hours_reduction_pct == 31
    assert eligibility.rule_failures(involvement, rete, on=on) == []
