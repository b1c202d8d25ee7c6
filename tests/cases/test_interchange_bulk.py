"""The interchange import saves new procedures and units in bulk (issue #12): the same rows and
history as one by one, in a number of queries that does not grow with the rows; a row the
database refuses is still refused as one by one refuses it."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import interchange
from cases.interchange import HEADER, import_procedures
from cases.models import CrisisProcedure, ProductionUnit
from tests.cases.factories import CrisisProcedureFactory, partita_iva

pytestmark = pytest.mark.django_db


def procedures_csv(n: int, start: int) -> str:
    lines = [",".join(HEADER)]
    for k in range(start, start + n):
        company = f"BG-B-{k},cigs_ministeriale,Fonderie {k} S.p.A.,{partita_iva(1_000_000 + k)}"
        lines.append(f"{company},2025-01-15,2025-02-01,2026-01-31,U-B-{k}-1,BG,Dalmine,12")
        lines.append(f"{company},2025-01-15,2025-02-01,2026-01-31,U-B-{k}-2,BG,Treviglio,3")
    return "\n".join(lines) + "\n"


def queries_of(raw: str, user) -> int:
    with CaptureQueriesContext(connection) as queries:
        result = import_procedures(raw, user=user)
    assert result.applied, result.errors
    return len(queries)


def test_new_procedures_cost_as_many_queries_for_12_as_for_3(staff_bg):
    queries_of(procedures_csv(1, 0), staff_bg)  # the user's provinces, read once
    assert queries_of(procedures_csv(12, 10), staff_bg) == queries_of(
        procedures_csv(3, 30), staff_bg
    )
    assert CrisisProcedure.objects.filter(external_id__startswith="BG-B-").count() == 16


def test_procedures_in_bulk_have_the_history_of_procedures_one_by_one(staff_bg):
    import_procedures(procedures_csv(2, 0), user=staff_bg)
    for procedure in CrisisProcedure.objects.filter(external_id__startswith="BG-B-"):
        (created,) = procedure.history.all()
        assert (created.history_type, created.history_user) == ("+", staff_bg)
        assert created.history_change_reason is None
        assert procedure.lead_province_id == "BG"
        assert sorted(procedure.units.values_list("comune", "workers_involved")) == [
            ("Dalmine", 12),
            ("Treviglio", 3),
        ]
        for unit in procedure.units.all():
            assert unit.history.get().history_user == staff_bg


def test_a_procedure_stored_meanwhile_is_refused_as_one_by_one_refuses_it(staff_bg, monkeypatch):
    real_plan = interchange.plan_import

    def racing_plan(*args, **kwargs):
        planned = real_plan(*args, **kwargs)
        CrisisProcedureFactory(lead="BG", external_id="BG-B-1")
        return planned

    monkeypatch.setattr(interchange, "plan_import", racing_plan)
    with pytest.raises(ValidationError) as refused:
        import_procedures(procedures_csv(2, 0), user=staff_bg)
    assert "external_id" in refused.value.message_dict
    assert not ProductionUnit.objects.filter(external_id__startswith="U-B-").exists()
