"""The procedures import in the browser: upload → preview (nothing saved) → confirm."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.interchange import HEADER
from cases.models import CrisisProcedure
from tests.cases.factories import partita_iva
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("cases:procedure_import")


def csv_file(*rows: str) -> SimpleUploadedFile:
    content = "\n".join([",".join(HEADER), *rows]) + "\n"
    return SimpleUploadedFile("procedures.csv", content.encode(), content_type="text/csv")


def good_row(external_id: str = "IMP-1", province: str = "BG") -> str:
    tax_code = partita_iva(7_000_001)
    return (
        f"{external_id},cigs_ministeriale,Officine Import S.p.A.,{tax_code},2025-03-01,"
        f"2025-03-10,2026-03-09,{external_id}-U1,{province},Dalmine,40"
    )


def token_of(response) -> str:
    return re.search(r'name="token" value="([0-9a-f]+)"', response.content.decode()).group(1)


@pytest.fixture
def officer_client(client, staff_bg):
    client.force_login(staff_bg)
    return client


def test_the_preview_saves_nothing_and_the_confirmation_imports(officer_client):
    preview = officer_client.post(URL, {"file": csv_file(good_row())})
    assert preview.status_code == 200
    assert not CrisisProcedure.objects.exists()

    confirmed = officer_client.post(URL, {"token": token_of(preview)})

    assert confirmed.status_code == 302
    assert CrisisProcedure.objects.get().external_id == "IMP-1"


def test_a_confirmation_cannot_be_replayed(officer_client):
    token = token_of(officer_client.post(URL, {"file": csv_file(good_row())}))
    officer_client.post(URL, {"token": token})

    assert officer_client.post(URL, {"token": token}).status_code == 404
    assert CrisisProcedure.objects.count() == 1


def test_another_user_cannot_confirm_someone_elses_preview(officer_client, client):
    token = token_of(officer_client.post(URL, {"file": csv_file(good_row())}))
    other = UserFactory(username="other_bg", province_staff=True, provinces=["BG"])
    client.force_login(other)  # the same test client, now logged in as someone else

    assert client.post(URL, {"token": token}).status_code == 404
    assert not CrisisProcedure.objects.exists()


def test_a_bad_file_lists_its_lines_and_offers_no_confirmation(officer_client):
    response = officer_client.post(
        URL, {"file": csv_file(good_row(), good_row("IMP-2", province="XX"))}
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert re.search(r'<td class="num">3</td><td>unit_province</td>', body)
    assert 'name="token"' not in body
    assert not CrisisProcedure.objects.exists()


def test_the_procedure_list_opens_on_the_procedures_still_running(client):
    from tests.cases.factories import CrisisProcedureFactory
    from tests.factories import UserFactory

    running = CrisisProcedureFactory(lead="BG", external_id="RUNNING-1")
    closed = CrisisProcedureFactory(lead="BG", closed=True, external_id="CLOSED-1")
    client.force_login(UserFactory(province_staff=True, provinces=["BG"]))
    url = reverse("cases:procedure_list")
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}

    page = client.get(url, **english).content.decode()
    assert running.reference in page and closed.reference not in page
    assert "Showing the procedures still open or in progress." in page
    # The boxes say what the list shows; the export exports the same.
    boxes = {
        value: "checked" in re.search(rf'<input[^>]*value="{value}"[^>]*>', page).group(0)
        for value in ("aperta", "in_corso", "chiusa")
    }
    assert boxes == {"aperta": True, "in_corso": True, "chiusa": False}
    assert "status=aperta&amp;status=in_corso" in page
    # Sorting or paging keeps the default; choosing any filter replaces it.
    assert closed.reference not in client.get(url, {"ordering": "company"}).content.decode()
    everything = client.get(url, {"status": ["aperta", "in_corso", "chiusa"]}, **english)
    assert closed.reference in everything.content.decode()
    assert "Showing the procedures still open" not in everything.content.decode()
    searched = client.get(url, {"q": "CLOSED"}).content.decode()
    assert closed.reference in searched
    # The API reads the same FilterSet without the browser's default.
    assert client.get("/api/v1/procedures/").json()["count"] == 2
