"""The pages of the mandatory communications: upload, batch summary, the Nucleo's queue with bulk
confirm / reject (plain forms), scoped per role; and the management command."""

import datetime
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from tests.cases.factories import ProductionUnitFactory
from tests.workers.factories import InvolvementFactory
from tests.workers.test_communications import TAKEN_ON, communication
from workers.enums import OutcomeSource
from workers.models import CommunicationBatch, Outcome, ProposalStatus, ProposedOutcome
from workers.unilav import communication_xml, communications_csv

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_pages(client):
    """The pages in English, whatever the portal's default language: the tests read their
    words."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def involvements():
    return {
        code: InvolvementFactory(
            unit=ProductionUnitFactory(procedure__lead=code), taken_on=TAKEN_ON
        )
        for code in ("BG", "MI")
    }


def zipped(items) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in items:
            archive.writestr(f"{item.code}.xml", communication_xml(item))
    return buffer.getvalue()


def upload(client, raw: bytes, name: str):
    return client.post(
        reverse("workers:communications_import"),
        {"file": SimpleUploadedFile(name, raw)},
    )


def test_an_officer_uploads_and_sees_the_summary(client, involvements, staff_bg):
    client.force_login(staff_bg)
    items = [communication(i.worker.fiscal_code) for i in involvements.values()]
    response = upload(client, zipped(items), "lotto.zip")
    batch = CommunicationBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("workers:communications_batch", args=[batch.pk])
    # BG's officer: the MI worker is out of their scope, counted as nobody in charge.
    assert (batch.proposed, batch.unmatched, batch.provinces) == (1, 1, "BG")
    page = client.get(response.url)
    assert page.status_code == 200
    for item in items:
        assert item.worker_fiscal_code not in page.content.decode()


def test_a_structurally_invalid_upload_lists_its_errors(client, involvements, staff_bg):
    client.force_login(staff_bg)
    bad = communication(involvements["BG"].worker.fiscal_code, contract_code="Z.00.00")
    with translation.override("en"):
        response = upload(client, communication_xml(bad), "c.xml")
    assert response.status_code == 422
    assert "Z.00.00 is not a contract type" in response.content.decode()
    assert not CommunicationBatch.objects.exists()


def test_a_hostile_upload_is_refused(client, staff_bg):
    client.force_login(staff_bg)
    raw = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><UniLav>&e;</UniLav>'
    response = upload(client, raw, "c.xml")
    assert response.status_code == 422
    assert b"root:" not in response.content


def test_queue_is_scoped_per_role(client, involvements, staff_bg, region, operator_user):
    from workers.communications import communications_import

    items = [communication(i.worker.fiscal_code) for i in involvements.values()]
    communications_import(user=None, raw=zipped(items), file_name="l.zip")
    url = reverse("workers:communications_queue")
    client.force_login(staff_bg)
    page = client.get(url).content.decode()
    bg, mi = (involvements[c].worker for c in ("BG", "MI"))
    assert (
        bg.last_name in page
        and f'value="{ProposedOutcome.objects.get(involvement=involvements["MI"]).pk}"' not in page
    )
    client.force_login(region)
    response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["proposals"]) == 2
    assert 'name="proposal"' not in response.content.decode()  # the Region reads, does not decide
    assert client.post(url, {"action": "confirm", "proposal": ["1"]}).status_code == 403
    client.force_login(operator_user)
    assert client.get(url).status_code == 403


def test_bulk_confirm_without_javascript(client, involvements, staff_bg):
    from workers.communications import communications_import

    other = InvolvementFactory(unit=ProductionUnitFactory(procedure__lead="BG"), taken_on=TAKEN_ON)
    items = [
        communication(i.worker.fiscal_code) for i in (involvements["BG"], other, involvements["MI"])
    ]
    communications_import(user=None, raw=zipped(items), file_name="l.zip")
    mine = list(ProposedOutcome.objects.filter(involvement__unit__province_id="BG"))
    theirs = ProposedOutcome.objects.get(involvement=involvements["MI"])
    client.force_login(staff_bg)
    response = client.post(
        reverse("workers:communications_queue"),
        {
            "action": "confirm",
            "proposal": [str(p.pk) for p in mine] + [str(theirs.pk)],
            "query": "status=pending&province=BG&evil=1",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("workers:communications_queue") + "?status=pending&province=BG"
    assert Outcome.objects.filter(source=OutcomeSource.MANDATORY_COMMUNICATION).count() == 2
    theirs.refresh_from_db()
    assert theirs.status == ProposalStatus.PENDING  # out of scope: as if it did not exist


def test_bulk_reject(client, involvements, staff_bg):
    from workers.communications import communications_import

    communications_import(
        user=None,
        raw=communication_xml(communication(involvements["BG"].worker.fiscal_code)),
        file_name="c.xml",
    )
    proposal = ProposedOutcome.objects.get()
    client.force_login(staff_bg)
    client.post(
        reverse("workers:communications_queue"),
        {"action": "reject", "proposal": [str(proposal.pk)]},
    )
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REJECTED
    assert not Outcome.objects.exists()


def test_province_staff_see_only_their_own_batches(client, staff_bg, staff_mi):
    from workers.communications import communications_import

    raw = communications_csv([communication("RSSMRA80A01H501U")])
    result = communications_import(user=staff_mi, raw=raw, file_name="e.csv")
    client.force_login(staff_bg)
    url = reverse("workers:communications_batch", args=[result.batch.pk])
    assert client.get(url).status_code == 404
    client.force_login(staff_mi)
    assert client.get(url).status_code == 200


def test_management_command(tmp_path, involvements):
    path = tmp_path / "lotto.csv"
    path.write_bytes(communications_csv([communication(involvements["BG"].worker.fiscal_code)]))
    out = io.StringIO()
    call_command("import_communications", str(path), stdout=out)
    assert "proposed 1" in out.getvalue()
    call_command("import_communications", str(path), stdout=out)
    assert ProposedOutcome.objects.count() == 1
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<UniLav/>")
    with pytest.raises(CommandError):
        call_command("import_communications", str(bad), stdout=out, stderr=io.StringIO())


def test_replace_an_operator_outcome_from_the_queue(client, involvements, staff_bg):
    from workers.communications import communications_import
    from workers.enums import OutcomeKind
    from workers.services import outcome_record

    involvement = involvements["BG"]
    communications_import(
        user=None,
        raw=communication_xml(communication(involvement.worker.fiscal_code)),
        file_name="c.xml",
    )
    outcome_record(
        user=None,
        involvement=involvement,
        data={
            "kind": OutcomeKind.ALTRO_ESITO,
            "date": datetime.date(2025, 5, 1),
            "source": OutcomeSource.OPERATOR,
        },
    )
    proposal = ProposedOutcome.objects.get()
    client.force_login(staff_bg)
    url = reverse("workers:communications_queue")
    with translation.override("en"):
        response = client.post(
            url, {"action": "confirm", "proposal": [str(proposal.pk)]}, follow=True
        )
    assert "already has an outcome" in response.content.decode()
    assert Outcome.objects.get().kind == OutcomeKind.ALTRO_ESITO
    client.post(url, {"action": "confirm", "proposal": [str(proposal.pk)], "replace": "1"})
    assert Outcome.objects.get().source == OutcomeSource.MANDATORY_COMMUNICATION


def test_a_file_one_nucleo_imported_first_still_reaches_the_other_provinces(
    involvements, staff_bg, staff_mi, admin_user
):
    from workers.communications import communications_import

    raw = zipped([communication(i.worker.fiscal_code) for i in involvements.values()])
    first = communications_import(user=staff_bg, raw=raw, file_name="regione.zip")

    def proposed():
        return sorted(ProposedOutcome.objects.values_list("involvement__unit__province", flat=True))

    assert first.batch.proposed == 1 and proposed() == ["BG"]
    # Bergamo's import again: nothing changes. Milan's, of the same file: Milan's worker.
    again = communications_import(user=staff_bg, raw=raw, file_name="regione.zip")
    assert again.already_imported and again.batch == first.batch
    second = communications_import(user=staff_mi, raw=raw, file_name="regione.zip")
    assert not second.already_imported
    assert (second.batch.proposed, second.batch.duplicates) == (1, 2)
    assert proposed() == ["BG", "MI"]
    # The Region's (an admin's) import of it then proposes nothing new.
    third = communications_import(user=admin_user, raw=raw, file_name="regione.zip")
    assert (third.batch.proposed, third.batch.already_applied) == (0, 2)
    assert ProposedOutcome.objects.count() == 2


def test_region_officials_read_but_do_not_import(client, involvements, region):
    from django.core.exceptions import PermissionDenied

    from workers.communications import communications_import

    raw = zipped([communication(involvements["BG"].worker.fiscal_code)])
    with pytest.raises(PermissionDenied):
        communications_import(user=region, raw=raw, file_name="l.zip")
    client.force_login(region)
    assert upload(client, raw, "l.zip").status_code == 403
    assert not ProposedOutcome.objects.exists() and not CommunicationBatch.objects.exists()
    page = client.get(reverse("workers:communications_queue")).content.decode()
    assert reverse("workers:communications_import") not in page


def test_a_fiscal_code_in_the_file_name_is_not_kept(involvements, staff_bg):
    from workers.communications import communications_import

    worker = involvements["BG"].worker
    raw = communication_xml(communication(worker.fiscal_code))
    result = communications_import(
        user=staff_bg, raw=raw, file_name=f"UNILAV_{worker.fiscal_code.lower()}.xml"
    )
    assert result.batch.file_name == "UNILAV_****************.xml"
