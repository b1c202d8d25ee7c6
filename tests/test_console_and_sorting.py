"""Issue #13, items 10 and 15, on the server side.

* A form refused (422) to an htmx request answers 200 with ``X-Refused: 422``
  (``crisi_portal.htmx``): browsers log every 4xx answer to a script as a console error. The same
  refusal without htmx, and any API refusal, keep their status.
* A sortable list says how it is sorted on the header cell (``aria-sort`` on the ``th``, only on
  the column sorted by), never on the link inside it.
"""

import re

import pytest
from django.urls import reverse

from crisi_portal.htmx import REFUSED_HEADER
from tests.cases.factories import CrisisProcedureFactory

pytestmark = pytest.mark.django_db

CREATE = reverse("cases:procedure_create")


@pytest.fixture
def officer(client, staff_bg):
    client.force_login(staff_bg)
    return client


def test_a_refused_form_answers_422_to_a_browser_without_htmx(officer):
    response = officer.post(CREATE, {}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert REFUSED_HEADER not in response
    assert "This field is required." in response.content.decode()


def test_a_refused_form_answers_200_and_x_refused_to_htmx(officer):
    response = officer.post(CREATE, {}, HTTP_ACCEPT_LANGUAGE="en", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response[REFUSED_HEADER] == "422"
    assert "This field is required." in response.content.decode()  # the same form, its errors


def test_a_valid_htmx_page_and_an_htmx_404_are_left_alone(officer, staff_mi):
    listing = officer.get(reverse("cases:procedure_list"), HTTP_HX_REQUEST="true")
    assert listing.status_code == 200 and REFUSED_HEADER not in listing
    other = CrisisProcedureFactory(lead="MI")
    missing = officer.get(other.get_absolute_url(), HTTP_HX_REQUEST="true")
    assert missing.status_code == 404 and REFUSED_HEADER not in missing


def test_an_api_refusal_keeps_its_status_even_with_an_hx_request_header(client, staff_bg):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(staff_bg)
    response = api.post("/api/v1/procedures/", {}, format="json", HTTP_HX_REQUEST="true")
    assert response.status_code in (400, 422)
    assert response["Content-Type"].startswith("application/")
    assert REFUSED_HEADER not in response


def headers_of(html: str) -> list[str]:
    return re.findall(r"<th\b[^>]*>.*?</th>", html, flags=re.S)


@pytest.mark.parametrize(
    ("ordering", "sorted_header", "direction"),
    [("company", "Company", "ascending"), ("-workers", "Workers", "descending")],
)
def test_the_sorted_column_says_so_on_its_header_cell(officer, ordering, sorted_header, direction):
    CrisisProcedureFactory(lead="BG")
    html = officer.get(
        reverse("cases:procedure_list"), {"ordering": ordering}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    sorted_cells = [th for th in headers_of(html) if "aria-sort" in th]
    assert len(sorted_cells) == 1
    assert f'aria-sort="{direction}"' in sorted_cells[0] and sorted_header in sorted_cells[0]
    assert f"(sorted {direction})" in sorted_cells[0]  # in words, for a header holding two links
    assert not re.search(r"<a\b[^>]*aria-sort", html)


def test_a_list_in_its_default_order_has_no_aria_sort(officer):
    html = officer.get(reverse("cases:procedure_list")).content.decode()
    assert "aria-sort" not in html


def test_the_cruscotto_puts_aria_sort_on_the_header_of_its_sort_column(client, region):
    client.force_login(region)
    html = client.get(reverse("monitoring:cruscotto")).content.decode()
    assert not re.search(r"<a\b[^>]*aria-sort", html)  # was aria-sort="none" on both links
    assert re.findall(r'<th\b[^>]*aria-sort="(\w+)"', html) == ["ascending"]  # by end date
    html = client.get(reverse("monitoring:cruscotto"), {"ordering": "-next_meeting"}).content
    assert re.findall(r'<th\b[^>]*aria-sort="(\w+)"', html.decode()) == ["descending"]
