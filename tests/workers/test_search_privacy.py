"""The name search of a procedure's workers is POSTed and kept in the session (issue #9):
a name never travels in a URL, where access logs and browser history would keep it."""

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.workers.factories import InvolvementFactory, WorkerFactory
from workers.views import PAGE_SIZE


@pytest.fixture
def two_procedures(db):
    procedures = []
    for names in (("Zanzottera", "Brambillasca"), ("Quadranti", "Zanzotti")):
        unit = ProductionUnitFactory(procedure=CrisisProcedureFactory(lead="BG"))
        involvements = [
            InvolvementFactory(unit=unit, worker=WorkerFactory(last_name=name)) for name in names
        ]
        procedures.append((unit.procedure, involvements))
    return procedures


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rows(response) -> int:
    return len(response.context["rows"])


def test_the_search_is_a_post_form_and_no_link_carries_a_term(two_procedures, staff_bg):
    procedure, involvements = two_procedures[0]
    client = client_of(staff_bg)
    url = reverse("workers:procedure_workers", args=[procedure.pk])
    client.post(url, {"search": "1", "q": involvements[0].worker.last_name})
    page = client.get(url).content.decode()
    assert 'id="workers-search" method="post"' in page
    assert "q=" not in page


def test_a_search_narrows_the_list_of_its_procedure_only(two_procedures, staff_bg):
    (first, involvements), (second, _others) = two_procedures
    client = client_of(staff_bg)
    first_url = reverse("workers:procedure_workers", args=[first.pk])
    response = client.post(f"{first_url}?step=STEP_1", {"search": "1", "q": "zanzott"})
    assert response.status_code == 302
    assert response["Location"] == f"{first_url}?step=STEP_1"  # filters kept, term not added
    shown = client.get(first_url).context["rows"]
    assert [i.worker.last_name for i in shown] == ["Zanzottera"]
    # The other procedure (its "Zanzotti" too) is not searched.
    assert rows(client.get(reverse("workers:procedure_workers", args=[second.pk]))) == 2
    client.post(first_url, {"search": "1", "q": ""})  # clearing it
    assert rows(client.get(first_url)) == 2


def test_a_term_in_the_query_string_is_ignored(two_procedures, staff_bg):
    procedure, involvements = two_procedures[0]
    url = reverse("workers:procedure_workers", args=[procedure.pk])
    response = client_of(staff_bg).get(url, {"q": "no-such-worker"})
    assert rows(response) == 2


def test_who_may_not_see_identities_cannot_search_by_name(two_procedures, region):
    procedure, involvements = two_procedures[0]
    url = reverse("workers:procedure_workers", args=[procedure.pk])
    client = client_of(region)
    client.post(url, {"search": "1", "q": "no-such-worker"})
    assert not [key for key in client.session.keys() if key.startswith("workers-search")]
    assert rows(client.get(url)) == 2


URL_ATTRIBUTES = re.compile(r'(?:href|action|hx-get|hx-post|src)="([^"]*)"')


def urls_in(response) -> list[str]:
    urls = URL_ATTRIBUTES.findall(response.content.decode())
    return [*urls, response.get("Location", ""), response.get("HX-Location", "")]


def test_pages_and_sorting_keep_the_search_and_no_generated_url_carries_the_name(staff_bg):
    """Issue #10: more matches than a page; every link the pages generate is name-free, and
    following them (next page, sorting) keeps searching."""
    unit = ProductionUnitFactory(procedure=CrisisProcedureFactory(lead="BG"), in_province="BG")
    for _ in range(PAGE_SIZE + 3):
        InvolvementFactory(unit=unit, worker=WorkerFactory(last_name="Zanzottera"))
    for _ in range(4):
        InvolvementFactory(unit=unit, worker=WorkerFactory(last_name="Brambillasca"))
    client = client_of(staff_bg)
    url = reverse("workers:procedure_workers", args=[unit.procedure.pk])
    posted = client.post(f"{url}?ordering=worker", {"search": "1", "q": "Zanzottera"})
    first = client.get(posted["Location"])
    assert (first.context["total"], first.context["has_next"]) == (PAGE_SIZE + 3, True)
    next_link = re.search(r'<a class="page-link" href="([^"]*)">', first.content.decode())[1]
    second = client.get(url + html.unescape(next_link))
    assert len(second.context["rows"]) == 3
    assert {i.worker.last_name for i in second.context["rows"]} == {"Zanzottera"}
    resorted = client.get(url, {"ordering": "-step"})
    assert resorted.context["total"] == PAGE_SIZE + 3
    htmx = client.post(url, {"search": "1", "q": "zanzottera"}, HTTP_HX_REQUEST="true")
    for response in (posted, first, second, resorted, htmx):
        assert not [u for u in urls_in(response) if "zanzott" in u.lower()]


def test_an_officer_cannot_search_another_provinces_workers(staff_bg, staff_mi):
    shared = CrisisProcedureFactory(lead="BG")
    for province in ("BG", "MI"):
        unit = ProductionUnitFactory(procedure=shared, in_province=province)
        InvolvementFactory(unit=unit, worker=WorkerFactory(last_name=f"Zanzottera{province}"))
    theirs = CrisisProcedureFactory(lead="MI")
    InvolvementFactory(
        unit=ProductionUnitFactory(procedure=theirs, in_province="MI"),
        worker=WorkerFactory(last_name="Zanzotteri"),
    )
    client = client_of(staff_bg)
    shared_url = reverse("workers:procedure_workers", args=[shared.pk])
    client.post(shared_url, {"search": "1", "q": "zanzott"})
    shown = client.get(shared_url).context["rows"]
    assert [i.worker.last_name for i in shown] == ["ZanzotteraBG"]  # not Milan's, same procedure
    # Milan's own procedure: not found at all, and nothing is kept for it.
    theirs_url = reverse("workers:procedure_workers", args=[theirs.pk])
    assert client.post(theirs_url, {"search": "1", "q": "zanzott"}).status_code == 404
    assert f"workers-search:{theirs.pk}" not in client.session
