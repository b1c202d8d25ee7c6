"""Outcomes that can be measured (issue #15, item 2): the contract kind fits the outcome, the
fixed-term split at six months, the dates, the source, in the model, the database, the forms
and the API, and migration 0008's mapping of the old contract kinds."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone, translation

from tests.factories import UserFactory
from tests.pal.factories import DoteFactory
from tests.workers.factories import InvolvementFactory
from workers.enums import ContractKind, OutcomeKind, OutcomeSource
from workers.forms import OutcomeForm
from workers.models import Outcome, StepTransition
from workers.services import outcome_record

D = datetime.date
TAKEN_ON = D(2025, 4, 2)  # InvolvementFactory's default
DAY = D(2025, 5, 2)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def record(involvement=None, **data):
    data = {"kind": OutcomeKind.RICOLLOCATO, "date": DAY, **data}
    return outcome_record(user=None, involvement=involvement or InvolvementFactory(), data=data)


def refused(**data) -> dict:
    with pytest.raises(ValidationError) as refusal:
        record(**data)
    assert not Outcome.objects.exists()
    return refusal.value.message_dict


# --- the contract fits the outcome ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "contract",
    [
        ContractKind.PERMANENT,
        ContractKind.FIXED_TERM_6_PLUS,
        ContractKind.FIXED_TERM_UNDER_6,
        ContractKind.APPRENTICESHIP,
    ],
)
def test_a_new_employer_takes_an_employee_contract(contract):
    assert record(contract_kind=contract).contract_kind == contract


@pytest.mark.django_db
@pytest.mark.parametrize("contract", ["", ContractKind.SELF_EMPLOYMENT, ContractKind.SAME_COMPANY])
def test_a_new_employer_without_an_employee_contract_is_refused(contract):
    assert set(refused(contract_kind=contract)) == {"contract_kind"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "contract"),
    [
        (OutcomeKind.REINTEGRATO, ContractKind.SAME_COMPANY),
        (OutcomeKind.AUTOIMPIEGO, ContractKind.SELF_EMPLOYMENT),
    ],
)
def test_the_only_possible_contract_is_filled_in_and_no_other_accepted(kind, contract):
    assert record(kind=kind).contract_kind == contract
    Outcome.objects.all().delete()
    assert set(refused(kind=kind, contract_kind=ContractKind.PERMANENT)) == {"contract_kind"}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [OutcomeKind.PENSIONAMENTO, OutcomeKind.ALTRO_ESITO])
def test_retirement_and_other_outcomes_have_no_contract(kind):
    assert record(kind=kind).contract_kind == ""
    Outcome.objects.all().delete()
    assert set(refused(kind=kind, contract_kind=ContractKind.PERMANENT)) == {"contract_kind"}


# --- the fixed-term split -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2025, 3, 1), D(2025, 8, 31), ContractKind.FIXED_TERM_6_PLUS),  # six whole months
        (D(2025, 3, 1), D(2025, 8, 30), ContractKind.FIXED_TERM_UNDER_6),
        (D(2024, 8, 31), D(2025, 2, 27), ContractKind.FIXED_TERM_6_PLUS),  # to 28 Feb − 1 day
        (D(2024, 8, 31), D(2025, 2, 26), ContractKind.FIXED_TERM_UNDER_6),
        (D(2025, 3, 1), D(2025, 3, 1), ContractKind.FIXED_TERM_UNDER_6),
    ],
)
def test_the_contracts_end_decides_the_six_month_split(start, end, expected):
    assert Outcome.fixed_term_kind(start, end) == expected
    involvement = InvolvementFactory(taken_on=D(2024, 8, 1))
    # Left out, the kind comes from the end; given, it must agree with it.
    assert record(involvement, date=start, contract_end=end).contract_kind == expected
    Outcome.objects.all().delete()
    wrong = next(
        k
        for k in (ContractKind.FIXED_TERM_6_PLUS, ContractKind.FIXED_TERM_UNDER_6)
        if k != expected
    )
    with pytest.raises(ValidationError) as refusal:
        record(involvement, date=start, contract_end=end, contract_kind=wrong)
    assert set(refusal.value.message_dict) == {"contract_kind"}


@pytest.mark.django_db
def test_a_contract_end_only_for_a_fixed_term_and_not_before_the_outcome():
    errors = refused(contract_kind=ContractKind.PERMANENT, contract_end=D(2026, 1, 1))
    assert set(errors) == {"contract_end"}
    errors = refused(
        contract_kind=ContractKind.FIXED_TERM_UNDER_6, contract_end=DAY - datetime.timedelta(1)
    )
    assert set(errors) == {"contract_end"}


# --- the dates ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_date_is_neither_in_the_future_nor_before_the_taking_in_charge():
    base = {"contract_kind": ContractKind.PERMANENT}
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert set(refused(date=tomorrow, **base)) == {"date"}
    assert set(refused(date=TAKEN_ON - datetime.timedelta(days=1), **base)) == {"date"}
    assert record(date=TAKEN_ON, **base).date == TAKEN_ON
    assert record(date=timezone.localdate(), **base).date == timezone.localdate()


@pytest.mark.django_db
def test_the_source_defaults_to_the_operator_in_the_model_and_is_kept():
    assert record(contract_kind=ContractKind.PERMANENT).source == OutcomeSource.OPERATOR
    outcome = record(
        contract_kind=ContractKind.PERMANENT, source=OutcomeSource.MANDATORY_COMMUNICATION
    )
    assert outcome.source == OutcomeSource.MANDATORY_COMMUNICATION


# --- the database refuses what the model refuses ---------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        {"kind": OutcomeKind.REINTEGRATO, "contract_kind": ContractKind.PERMANENT},
        {"kind": OutcomeKind.AUTOIMPIEGO, "contract_kind": ""},
        {"kind": OutcomeKind.RICOLLOCATO, "contract_kind": ContractKind.SAME_COMPANY},
        {"kind": OutcomeKind.PENSIONAMENTO, "contract_kind": ContractKind.PERMANENT},
        {"kind": OutcomeKind.RICOLLOCATO, "contract_kind": "determinato"},  # an old kind
        {"kind": OutcomeKind.RICOLLOCATO, "source": "altro"},
        {
            "kind": OutcomeKind.RICOLLOCATO,
            "contract_kind": ContractKind.PERMANENT,
            "contract_end": D(2026, 1, 1),
        },
        {
            "kind": OutcomeKind.RICOLLOCATO,
            "contract_kind": ContractKind.FIXED_TERM_UNDER_6,
            "contract_end": DAY - datetime.timedelta(days=1),
        },
    ],
)
def test_the_database_refuses_an_inconsistent_outcome(fields):
    involvement = InvolvementFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Outcome.objects.create(involvement=involvement, date=DAY, **fields)


@pytest.mark.django_db
def test_the_database_accepts_an_old_new_employer_without_contract():
    # Outcomes recorded before issue #15 may not say which contract (migration 0008).
    Outcome.objects.create(involvement=InvolvementFactory(), kind=OutcomeKind.RICOLLOCATO, date=DAY)


# --- the forms --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_province_chooses_the_source_the_operator_declares_it():
    officer_form = OutcomeForm()
    assert officer_form.fields["source"].required
    assert officer_form["source"].value() in (None, "")
    assert "source" not in OutcomeForm(by_operator=True).fields
    data = {"kind": OutcomeKind.RICOLLOCATO, "date": "02/05/2025", "contract_kind": "indeterminato"}
    assert not OutcomeForm(data).is_valid()
    assert "source" in OutcomeForm(data).errors
    form = OutcomeForm(data, by_operator=True)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["source"] == OutcomeSource.OPERATOR


@pytest.mark.django_db
def test_an_operator_records_an_outcome_declared_by_the_operator(client):
    user = UserFactory(operator=True)
    involvement = DoteFactory(operator_id=user.operator_id).involvement
    client.force_login(user)
    response = client.post(
        reverse("workers:outcome_record", args=[involvement.pk]),
        {
            "kind": OutcomeKind.RICOLLOCATO,
            "date": "02/05/2025",
            "contract_kind": ContractKind.FIXED_TERM_6_PLUS,
            "contract_end": "31/12/2025",
            "source": OutcomeSource.WORKER,  # not a field of the operator's form: ignored
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    outcome = Outcome.objects.get(involvement=involvement)
    assert (outcome.source, outcome.contract_end) == (OutcomeSource.OPERATOR, D(2025, 12, 31))


@pytest.mark.django_db
def test_the_province_records_the_source_and_the_worker_page_shows_it(client, staff_bg):
    from tests.cases.factories import ProductionUnitFactory

    involvement = InvolvementFactory(unit=ProductionUnitFactory(in_province="BG"))
    client.force_login(staff_bg)
    url = reverse("workers:outcome_record", args=[involvement.pk])
    data = {"kind": OutcomeKind.REINTEGRATO, "date": "02/05/2025"}
    response = client.post(url, data)
    assert response.status_code == 422
    assert "source" in response.context["form"].errors
    response = client.post(url, {**data, "source": OutcomeSource.MANDATORY_COMMUNICATION})
    assert response.status_code == 302
    outcome = Outcome.objects.get(involvement=involvement)
    assert outcome.contract_kind == ContractKind.SAME_COMPANY
    with translation.override("en"):  # the labels compared are the English ones
        page = client.get(
            involvement.worker.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
    assert "Back at the same company" in page
    assert "Confirmed by mandatory communications (UNILAV)" in page


# --- migration 0010 ---------------------------------------------------------------------------


OLD_ROWS = [
    # (kind, old contract, new contract, note expected)
    ("ricollocato", "indeterminato", "indeterminato", False),
    ("ricollocato", "determinato", "determinato_meno_6", True),
    ("ricollocato", "somministrazione", "determinato_meno_6", True),
    ("ricollocato", "apprendistato", "apprendistato", False),
    ("ricollocato", "autonomo", "", True),
    ("ricollocato", "", "", False),
    ("reintegrato", "indeterminato", "stessa_azienda", False),
    ("autoimpiego", "", "autonomo", False),
    ("pensionamento", "determinato", "", True),
    ("altro_esito", "", "", False),
]


# serialized_rollback: the rows the migrations seed come back for the tests after this one.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migration_0010_maps_the_old_contract_kinds():
    involvements = [InvolvementFactory() for _ in OLD_ROWS]
    before, after = (
        [("workers", "0009_countries")],
        [("workers", "0010_outcome_contract_source")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old_apps = executor.loader.project_state(before).apps
        OldOutcome = old_apps.get_model("workers", "Outcome")
        for involvement, (kind, old, _new, _note) in zip(involvements, OLD_ROWS, strict=True):
            OldOutcome.objects.create(
                involvement_id=involvement.pk, kind=kind, date=DAY, contract_kind=old, notes=""
            )
        executor = MigrationExecutor(connection)
        executor.migrate(after)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
        ContentType.objects.clear_cache()  # as tests/workers/test_partitioning.py does
    for involvement, (kind, old, new, note) in zip(involvements, OLD_ROWS, strict=True):
        outcome = Outcome.objects.get(involvement=involvement)
        assert (outcome.kind, outcome.contract_kind) == (kind, new), old
        assert outcome.source == OutcomeSource.OPERATOR
        assert (f"«{old}»" in outcome.notes) is note, outcome.notes
    assert StepTransition.objects.exists()


# --- the API ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_round_trip_of_an_outcome(staff_bg, api_client_for):
    from tests.cases.factories import ProductionUnitFactory

    involvement = InvolvementFactory(unit=ProductionUnitFactory(in_province="BG"))
    client = api_client_for(staff_bg, if_match=True)
    path = f"/api/v1/involvements/{involvement.pk}/outcome/"
    body = {"kind": "ricollocato", "date": "2025-05-02", "contract_end": "2025-10-31"}
    missing = client.put(path, body)
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["source"]
    response = client.put(path, {**body, "source": "comunicazione_obbligatoria"})
    assert response.status_code == 201, response.content
    expected = {
        "kind": "ricollocato",
        "date": "2025-05-02",
        "contract_kind": "determinato_meno_6",  # 2 May – 31 October: under six months
        "contract_end": "2025-10-31",
        "source": "comunicazione_obbligatoria",
    }
    assert {k: response.json()[k] for k in expected} == expected
    item = client.get(f"/api/v1/involvements/{involvement.pk}/").json()
    assert {k: item["outcome"][k] for k in expected} == expected
    wrong = client.put(path, {**body, "source": "lavoratore", "contract_kind": "determinato_6_piu"})
    assert wrong.status_code == 422
    assert [e["field"] for e in wrong.json()["errors"]] == ["contract_kind"]


@pytest.mark.django_db
def test_the_schema_documents_the_outcome_fields(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    properties = schema["components"]["schemas"]["Outcome"]["properties"]
    assert {"contract_kind", "contract_end", "source"} <= set(properties)
    assert "determinato_6_piu" in str(schema["components"]["schemas"])
