"""Mandatory communications in (issue #16 item 1): reading real-shaped UNILAV files and matching
them to the workers in charge (workers.unilav, workers.communications)."""

import datetime
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.utils import translation

from crisi_portal.upload_guard import UploadRefused
from tests.cases.factories import CompanyFactory, ProductionUnitFactory
from tests.factories import UserFactory
from tests.workers.factories import InvolvementFactory, fiscal_code, unused_fiscal_code
from workers.communications import communications_import, proposals_confirm, proposals_reject
from workers.enums import ContractKind, OutcomeKind, OutcomeSource
from workers.models import (
    CommunicationBatch,
    MandatoryCommunication,
    Outcome,
    ProposalStatus,
    ProposedOutcome,
)
from workers.services import outcome_record
from workers.unilav import ParsedCommunication, communication_xml, communications_csv

pytestmark = pytest.mark.django_db

TAKEN_ON = datetime.date(2025, 4, 2)
NEW_EMPLOYER = "02877740213"  # a partita IVA that is none of the factories' companies
_codes = iter(range(1, 10**6))


def communication(worker_code: str, **overrides) -> ParsedCommunication:
    values = {
        "code": f"1300025{next(_codes):09d}",
        "kind": "ASS",
        "worker_fiscal_code": worker_code,
        "employer_tax_code": NEW_EMPLOYER,
        "employer_name": "Meccanica Orobica S.r.l.",
        "event_date": datetime.date(2025, 6, 2),
        "start_date": datetime.date(2025, 6, 2),
        "end_date": None,
        "contract_code": "A.01.00",
        "workplace_comune": "A794",  # Bergamo
    }
    values.update(overrides)
    if "event_date" not in overrides and values["kind"] == "ASS":
        values["event_date"] = values["start_date"]
    return ParsedCommunication(**values)


def run(items, *, user=None, name=None, fmt="xml"):
    if fmt == "csv":
        raw, name = communications_csv(items), name or "estrazione.csv"
    elif fmt == "zip" or len(items) > 1:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for item in items:
                archive.writestr(f"{item.code}.xml", communication_xml(item))
        raw, name = buffer.getvalue(), name or "lotto.zip"
    else:
        raw, name = communication_xml(items[0]), name or f"{items[0].code}.xml"
    return communications_import(user=user, raw=raw, file_name=name)


@pytest.fixture
def involvement():
    return InvolvementFactory(unit=ProductionUnitFactory(procedure__lead="BG"), taken_on=TAKEN_ON)


def cf(involvement):
    return involvement.worker.fiscal_code


@pytest.mark.parametrize(
    ("contract", "end", "expected"),
    [
        ("A.01.00", None, ContractKind.PERMANENT),
        ("A.02.00", datetime.date(2025, 12, 1), ContractKind.FIXED_TERM_6_PLUS),
        ("A.02.00", datetime.date(2026, 6, 1), ContractKind.FIXED_TERM_6_PLUS),
        ("A.02.00", datetime.date(2025, 11, 30), ContractKind.FIXED_TERM_UNDER_6),
        ("A.02.01", datetime.date(2025, 8, 31), ContractKind.FIXED_TERM_UNDER_6),
        ("A.03.00", None, ContractKind.APPRENTICESHIP),
        ("A.03.08", None, ContractKind.APPRENTICESHIP),
        ("A.03.09", None, ContractKind.APPRENTICESHIP),
        ("A.03.10", None, ContractKind.APPRENTICESHIP),
        ("A.04.00", None, ContractKind.PERMANENT),
        ("A.04.01", datetime.date(2026, 6, 1), ContractKind.FIXED_TERM_6_PLUS),
        ("A.06.00", None, ContractKind.PERMANENT),
        ("A.06.01", datetime.date(2025, 7, 1), ContractKind.FIXED_TERM_UNDER_6),
        ("N.01.00", None, ContractKind.PERMANENT),
        ("N.02.00", datetime.date(2026, 1, 1), ContractKind.FIXED_TERM_6_PLUS),
        ("N.03.00", datetime.date(2025, 7, 1), ContractKind.FIXED_TERM_UNDER_6),
    ],
)
def test_every_employee_contract_kind_proposes_its_outcome(involvement, contract, end, expected):
    result = run([communication(cf(involvement), contract_code=contract, end_date=end)])
    assert result.ok, result.errors
    proposal = ProposedOutcome.objects.get(involvement=involvement)
    assert proposal.kind == OutcomeKind.RICOLLOCATO
    assert proposal.contract_kind == expected
    assert proposal.contract_end == (
        end
        if expected in (ContractKind.FIXED_TERM_6_PLUS, ContractKind.FIXED_TERM_UNDER_6)
        else None
    )
    assert proposal.status == ProposalStatus.PENDING
    assert proposal.employer == "Meccanica Orobica S.r.l."
    assert result.batch.proposed == 1 and result.batch.matched == 1
    assert not Outcome.objects.filter(involvement=involvement).exists()


@pytest.mark.parametrize(
    "contract", ["A.05.02", "A.08.02", "B.01.00", "B.02.00", "B.03.00", "C.01.00"]
)
def test_contracts_the_monitoring_does_not_count_propose_nothing(involvement, contract):
    result = run([communication(cf(involvement), contract_code=contract)])
    assert result.ok
    assert not ProposedOutcome.objects.exists()
    assert result.batch.matched == 1 and result.batch.not_relevant == 1


def test_hiring_by_the_procedures_company_proposes_back_at_the_company(involvement):
    company = involvement.procedure.company
    run(
        [
            communication(
                cf(involvement), employer_tax_code=company.tax_code, employer_name=company.name
            )
        ]
    )
    proposal = ProposedOutcome.objects.get()
    assert proposal.kind == OutcomeKind.REINTEGRATO
    assert proposal.contract_kind == ContractKind.SAME_COMPANY


def test_hiring_before_the_taking_in_charge_proposes_nothing(involvement):
    day = TAKEN_ON - datetime.timedelta(days=1)
    result = run([communication(cf(involvement), start_date=day)])
    assert not ProposedOutcome.objects.exists()
    assert result.batch.not_relevant == 1


def test_transformation_to_permanent_proposes_a_permanent_contract(involvement):
    hiring = communication(
        cf(involvement), contract_code="A.02.00", end_date=datetime.date(2025, 9, 1)
    )
    run([hiring])
    transformation = communication(
        cf(involvement),
        kind="DI",
        contract_code="A.01.00",
        start_date=hiring.start_date,
        event_date=datetime.date(2025, 8, 1),
        previous_code=hiring.code,
    )
    result = run([transformation])
    assert result.ok, result.errors
    old, new = ProposedOutcome.objects.order_by("pk")
    assert old.status == ProposalStatus.SUPERSEDED
    assert (new.contract_kind, new.date, new.status) == (
        ContractKind.PERMANENT,
        datetime.date(2025, 8, 1),
        ProposalStatus.PENDING,
    )


def test_other_transformations_and_extensions_propose_nothing(involvement):
    result = run(
        [
            communication(cf(involvement), kind="PP", event_date=datetime.date(2025, 7, 1)),
            communication(
                cf(involvement),
                kind="PRO",
                contract_code="A.02.00",
                end_date=datetime.date(2025, 9, 1),
                event_date=datetime.date(2025, 12, 1),
            ),
        ]
    )
    assert result.ok, result.errors
    assert not ProposedOutcome.objects.exists()
    assert result.batch.not_relevant == 2


def test_termination_ends_a_pending_proposal(involvement):
    hiring = communication(
        cf(involvement), contract_code="A.02.00", end_date=datetime.date(2026, 2, 1)
    )
    run([hiring])
    result = run(
        [
            communication(
                cf(involvement),
                kind="CES",
                contract_code="A.02.00",
                start_date=hiring.start_date,
                end_date=hiring.end_date,
                event_date=datetime.date(2025, 7, 15),
                previous_code=hiring.code,
            )
        ]
    )
    proposal = ProposedOutcome.objects.get()
    assert proposal.status == ProposalStatus.ENDED
    assert proposal.ended_on == datetime.date(2025, 7, 15)
    assert result.batch.ended == 1


def test_termination_shortens_a_confirmed_fixed_term_outcome(involvement, staff_bg):
    hiring = communication(
        cf(involvement), contract_code="A.02.00", end_date=datetime.date(2026, 2, 1)
    )
    run([hiring])
    assert (
        proposals_confirm(user=staff_bg, proposals=list(ProposedOutcome.objects.all())).confirmed
        == 1
    )
    assert Outcome.objects.get().contract_kind == ContractKind.FIXED_TERM_6_PLUS
    run(
        [
            communication(
                cf(involvement),
                kind="CES",
                contract_code="A.02.00",
                start_date=hiring.start_date,
                end_date=hiring.end_date,
                event_date=datetime.date(2025, 7, 15),
            )
        ]
    )
    outcome = Outcome.objects.get()
    assert outcome.contract_end == datetime.date(2025, 7, 15)
    assert outcome.contract_kind == ContractKind.FIXED_TERM_UNDER_6
    assert outcome.source == OutcomeSource.MANDATORY_COMMUNICATION
    assert "15/07/2025" in outcome.notes
    proposal = ProposedOutcome.objects.get()
    assert (proposal.status, proposal.ended_on) == (
        ProposalStatus.CONFIRMED,
        datetime.date(2025, 7, 15),
    )


def test_termination_never_changes_an_operators_declaration(involvement, staff_bg):
    hiring = communication(cf(involvement))
    run([hiring])
    outcome_record(
        user=None,
        involvement=involvement,
        data={
            "kind": OutcomeKind.RICOLLOCATO,
            "date": datetime.date(2025, 6, 1),
            "contract_kind": ContractKind.PERMANENT,
            "source": OutcomeSource.OPERATOR,
            "employer": "Altra S.r.l.",
        },
    )
    before = Outcome.objects.values().get()
    run([communication(cf(involvement), kind="CES", event_date=datetime.date(2025, 9, 1))])
    assert Outcome.objects.values().get() == before


def test_a_worker_in_two_procedures_gets_one_proposal_each(involvement):
    other_company = CompanyFactory()
    second = InvolvementFactory(
        worker=involvement.worker,
        unit=ProductionUnitFactory(procedure__lead="MI", procedure__company=other_company),
        taken_on=datetime.date(2025, 7, 1),
    )
    # Hired by the second procedure's company on 2025-06-02: a re-employment for the first,
    # before STEP 1 for the second (nothing proposed there).
    result = run(
        [
            communication(
                cf(involvement),
                employer_tax_code=other_company.tax_code,
                employer_name=other_company.name,
            )
        ]
    )
    assert ProposedOutcome.objects.get().involvement == involvement
    assert result.batch.matched == 1 and result.batch.proposed == 1
    assert result.batch.not_relevant == 1
    # Later, the same company again: back at the company for the second, re-employed for the first.
    run(
        [
            communication(
                cf(involvement),
                employer_tax_code=other_company.tax_code,
                employer_name=other_company.name,
                start_date=datetime.date(2025, 8, 1),
            )
        ]
    )
    assert (
        ProposedOutcome.objects.get(involvement=second, status="pending").kind
        == OutcomeKind.REINTEGRATO
    )
    assert (
        ProposedOutcome.objects.get(involvement=involvement, status="pending").kind
        == OutcomeKind.RICOLLOCATO
    )


def test_unmatched_and_duplicates_are_counted(involvement):
    first = communication(cf(involvement))
    run([first])
    result = run([first, communication(unused_fiscal_code(3))], name="altro.zip")
    assert result.ok
    batch = result.batch
    assert (batch.total, batch.duplicates, batch.unmatched, batch.proposed) == (2, 1, 1, 0)
    assert ProposedOutcome.objects.count() == 1


def test_the_same_file_twice_changes_nothing(involvement):
    items = [communication(cf(involvement)), communication(unused_fiscal_code(4))]
    first = run(items, name="lotto.zip")
    before = (MandatoryCommunication.objects.count(), ProposedOutcome.objects.count())
    again = run(items, name="lotto.zip")
    assert again.already_imported and again.batch == first.batch
    assert CommunicationBatch.objects.count() == 1
    assert (MandatoryCommunication.objects.count(), ProposedOutcome.objects.count()) == before


def test_already_applied_is_counted(involvement, staff_bg):
    item = communication(cf(involvement))
    run([item])
    proposals_confirm(user=staff_bg, proposals=list(ProposedOutcome.objects.all()))
    # The same hiring, communicated again under another code (e.g. a correction).
    result = run([communication(cf(involvement))])
    assert result.batch.already_applied == 1 and result.batch.proposed == 0


def test_a_wrong_fiscal_code_sets_only_that_communication_aside(involvement):
    wrong = cf(involvement)[:-1] + ("A" if cf(involvement)[-1] != "A" else "B")
    result = run([communication(wrong), communication(cf(involvement))], fmt="csv")
    assert result.ok
    assert result.batch.invalid == 1 and result.batch.proposed == 1
    (error,) = result.invalid
    assert error.line == 2 and error.column == "Codice Fiscale Lavoratore"
    assert wrong not in error.message  # masked


def test_a_workplace_outside_lombardy_is_still_a_reemployment(involvement):
    result = run([communication(cf(involvement), workplace_comune="L219")])  # Torino
    communication_row = MandatoryCommunication.objects.get()
    assert (communication_row.workplace_province, communication_row.in_region) == ("TO", False)
    assert result.batch.out_of_region == 1 and result.batch.proposed == 1


def test_csv_extract_and_zip_batch_read_the_same(involvement):
    items = [
        communication(
            cf(involvement), contract_code="A.02.00", end_date=datetime.date(2025, 10, 1)
        ),
        communication(unused_fiscal_code(5)),
    ]
    result = run(items, fmt="csv")
    assert result.ok, result.errors
    assert result.batch.file_format == "csv"
    assert ProposedOutcome.objects.get().contract_kind == ContractKind.FIXED_TERM_UNDER_6


def test_a_structurally_invalid_file_changes_nothing(involvement):
    good = communication(cf(involvement))
    bad = communication(cf(involvement), contract_code="Z.99.99")
    with translation.override("en"):
        result = run([good, bad])
    assert not result.ok
    (error,) = result.errors
    assert error.column == f"{bad.code}.xml: InizioRapporto@TipologiaContrattuale"
    assert "Z.99.99 is not a contract type" in error.message
    assert not CommunicationBatch.objects.exists()
    assert not MandatoryCommunication.objects.exists()


@pytest.mark.parametrize(
    ("mutate", "column"),
    [
        (
            lambda x: x.replace(b' TipologiaContrattuale="A.01.00"', b""),
            "InizioRapporto@TipologiaContrattuale",
        ),
        (
            lambda x: x.replace(b'dataInizio="2025-06-02"', b'dataInizio="2025-13-40"'),
            "InizioRapporto@dataInizio",
        ),
        (
            lambda x: x.replace(b"<Comune>A794</Comune>", b"<Comune>Bergamo</Comune>"),
            "SedeLavoro/Comune",
        ),
        (
            lambda x: x.replace(b'codiceFiscale="02877740213"', b'codiceFiscale="02877740214"'),
            "DatoreLavoro@codiceFiscale",
        ),
    ],
)
def test_structure_errors_name_the_element(involvement, mutate, column):
    item = communication(cf(involvement))
    raw = mutate(communication_xml(item))
    result = communications_import(user=None, raw=raw, file_name="c.xml")
    assert [e.column for e in result.errors] == [f"c.xml: {column}"]


def test_not_a_unilav_document():
    result = communications_import(user=None, raw=b"<foo/>", file_name="c.xml")
    assert not result.ok


@pytest.mark.parametrize(
    "raw",
    [
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<UniLav xmlns="http://servizi.lavoro.gov.it/unilav">&e;</UniLav>',
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;">]>'
        b"<UniLav>&lol2;</UniLav>",
        b"<a>" * 50 + b"</a>" * 50,
        b"<UniLav>" + b" " * (1024 * 1024 + 1) + b"</UniLav>",
    ],
    ids=["xxe", "billion-laughs", "deep", "oversized"],
)
def test_hostile_xml_is_refused(raw):
    with pytest.raises(UploadRefused):
        communications_import(user=None, raw=raw, file_name="c.xml")
    assert not CommunicationBatch.objects.exists()


def test_zip_bomb_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.xml", b"<a>" + b" " * (900 * 1024) + b"</a>")
    with pytest.raises(UploadRefused, match="zip bomb"):
        communications_import(user=None, raw=buffer.getvalue(), file_name="b.zip")


def test_nested_archive_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inner.zip", b"PK")
    with pytest.raises(UploadRefused):
        communications_import(user=None, raw=buffer.getvalue(), file_name="b.zip")


def test_province_staff_match_only_their_provinces(involvement):
    mi = InvolvementFactory(unit=ProductionUnitFactory(procedure__lead="MI"), taken_on=TAKEN_ON)
    staff = UserFactory(province_staff=True, provinces=["MI"])
    result = run([communication(cf(involvement)), communication(cf(mi))], user=staff)
    assert result.batch.unmatched == 1 and result.batch.proposed == 1
    assert ProposedOutcome.objects.get().involvement == mi


def test_operators_may_not_import(operator_user):
    with pytest.raises(PermissionDenied):
        communications_import(user=operator_user, raw=b"", file_name="x.xml")


def test_confirm_records_the_outcome_with_its_source(involvement, staff_bg):
    run([communication(cf(involvement))])
    result = proposals_confirm(user=staff_bg, proposals=list(ProposedOutcome.objects.all()))
    assert result.confirmed == 1
    outcome = Outcome.objects.get(involvement=involvement)
    assert outcome.source == OutcomeSource.MANDATORY_COMMUNICATION
    assert (outcome.kind, outcome.date) == (OutcomeKind.RICOLLOCATO, datetime.date(2025, 6, 2))
    proposal = ProposedOutcome.objects.get()
    assert (proposal.status, proposal.decided_by) == (ProposalStatus.CONFIRMED, staff_bg)
    assert outcome.history.first().history_user == staff_bg


def test_confirm_refuses_over_another_sources_outcome_unless_replace(involvement, staff_bg):
    run([communication(cf(involvement))])
    outcome_record(
        user=None,
        involvement=involvement,
        data={
            "kind": OutcomeKind.PENSIONAMENTO,
            "date": datetime.date(2025, 5, 1),
            "source": OutcomeSource.OPERATOR,
        },
    )
    proposals = list(ProposedOutcome.objects.all())
    result = proposals_confirm(user=staff_bg, proposals=proposals)
    assert result.confirmed == 0 and len(result.refused) == 1
    assert Outcome.objects.get().kind == OutcomeKind.PENSIONAMENTO
    result = proposals_confirm(user=staff_bg, proposals=proposals, replace=True)
    assert result.confirmed == 1
    assert Outcome.objects.get().kind == OutcomeKind.RICOLLOCATO


def test_bulk_confirm_and_reject_are_scoped(involvement, staff_mi, staff_bg):
    run([communication(cf(involvement))])
    proposals = list(ProposedOutcome.objects.all())
    with pytest.raises(PermissionDenied):
        proposals_confirm(user=staff_mi, proposals=proposals)
    assert proposals_reject(user=staff_bg, proposals=proposals) == 1
    assert ProposedOutcome.objects.get().status == ProposalStatus.REJECTED


def test_a_future_hiring_stays_pending_and_confirming_it_is_refused(involvement, staff_bg):
    from django.utils import timezone

    day = timezone.localdate() + datetime.timedelta(days=10)
    run([communication(cf(involvement), start_date=day)])
    result = proposals_confirm(user=staff_bg, proposals=list(ProposedOutcome.objects.all()))
    assert result.confirmed == 0
    assert ProposedOutcome.objects.get().status == ProposalStatus.PENDING


@override_settings(COMMUNICATIONS_AUTO_APPLY=True)
def test_auto_apply(involvement):
    declared = InvolvementFactory(unit=ProductionUnitFactory(), taken_on=TAKEN_ON)
    outcome_record(
        user=None,
        involvement=declared,
        data={
            "kind": OutcomeKind.ALTRO_ESITO,
            "date": datetime.date(2025, 5, 1),
            "source": OutcomeSource.OPERATOR,
        },
    )
    result = run([communication(cf(involvement)), communication(cf(declared))])
    assert result.batch.applied == 1 and result.batch.proposed == 2
    assert (
        Outcome.objects.get(involvement=involvement).source == OutcomeSource.MANDATORY_COMMUNICATION
    )
    assert Outcome.objects.get(involvement=declared).kind == OutcomeKind.ALTRO_ESITO
    assert ProposedOutcome.objects.get(involvement=declared).status == ProposalStatus.PENDING


def test_fiscal_code_helper_is_valid():
    assert len(fiscal_code(1)) == 16


SAMPLES = __import__("pathlib").Path(__file__).resolve().parents[2] / "docs/samples/unilav"


@pytest.mark.parametrize("path", sorted(SAMPLES.iterdir()), ids=lambda p: p.name)
def test_the_samples_in_the_repository_read_cleanly(path):
    from workers.unilav import read_communications

    parsed = read_communications(path.read_bytes(), path.name)
    assert parsed.ok and not parsed.invalid, parsed.errors
    assert len(parsed.communications) == (9 if path.suffix in (".zip", ".csv") else 1)


def test_the_sample_batch_imports_twice_without_change():
    raw = (SAMPLES / "lotto-comunicazioni.zip").read_bytes()
    first = communications_import(user=None, raw=raw, file_name="lotto-comunicazioni.zip")
    assert first.batch.total == 9 and first.batch.unmatched == 9
    assert first.batch.out_of_region == 1
    assert communications_import(user=None, raw=raw, file_name="x.zip").already_imported
