"""Find a worker anywhere (issue #13): from the header, by fiscal code or name, POST only,
across every procedure in the caller's scope and nowhere else."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import UserFactory
from tests.workers.factories import InvolvementFactory
from workers.models import PersonalDataAccess

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
SEARCH = reverse("workers:worker_search")


@pytest.fixture
def people():
    bg_one = InvolvementFactory(unit__procedure__lead="BG", worker__last_name="Locatelli")
    # The same person in a second Bergamo procedure: one row, both procedures listed.
    bg_two = InvolvementFactory(unit__procedure__lead="BG", worker=bg_one.worker)
    mi = InvolvementFactory(unit__procedure__lead="MI", worker__last_name="Locatelli")
    return {"bg": bg_one, "bg_two": bg_two, "mi": mi}


def search(client, q):
    return client.post(SEARCH, {"q": q}, **EN)


def test_a_name_finds_the_workers_in_scope_with_all_their_procedures(client, people):
    client.force_login(UserFactory(province_staff=True, provinces=["BG"]))
    response = search(client, "locat")
    page = response.content.decode()
    assert response.status_code == 200
    bg, mi = people["bg"].worker, people["mi"].worker
    assert bg.fiscal_code in page
    assert mi.fiscal_code not in page  # Milano's Locatelli is out of scope: not there at all
    assert "1 worker found" in page
    assert people["bg"].procedure.company.name in page
    assert people["bg_two"].procedure.company.name in page
    assert reverse("workers:worker_detail", args=[bg.pk]) in page


def test_a_fiscal_code_finds_exactly_that_worker_and_spaces_or_case_do_not_matter(client, people):
    client.force_login(UserFactory(province_staff=True, provinces=["BG"]))
    code = people["bg"].worker.fiscal_code
    spaced = " ".join([code[:6].lower(), code[6:11], code[11:]])
    page = search(client, spaced).content.decode()
    assert code in page and "1 worker found" in page
    # Another province's worker is "not found", exactly as a code nobody has.
    other = search(client, people["mi"].worker.fiscal_code).content.decode()
    assert "0 workers found" in other


def test_region_officials_search_everywhere_only_with_access_to_identities(client, people):
    official = UserFactory(region_official=True)
    client.force_login(official)
    refused = search(client, "Locatelli")
    assert refused.status_code == 403
    assert people["bg"].worker.fiscal_code not in refused.content.decode()
    assert "not available to you" in refused.content.decode()
    assert PersonalDataAccess.objects.count() == 0

    official.user_permissions.add(Permission.objects.get(codename="view_personal_data"))
    client.force_login(type(official).objects.get(pk=official.pk))
    page = search(client, "Locatelli").content.decode()
    assert people["bg"].worker.fiscal_code in page and people["mi"].worker.fiscal_code in page
    # A Region official's reads of identities are recorded, one row per worker shown.
    assert set(PersonalDataAccess.objects.values_list("worker_id", flat=True)) == {
        people["bg"].worker_id,
        people["mi"].worker_id,
    }


@pytest.mark.parametrize(("q", "message"), [("", "This field is required"), ("a", "two letters")])
def test_too_little_to_search_says_so_and_finds_nobody(client, people, q, message):
    client.force_login(UserFactory(province_staff=True, provinces=["BG"]))
    response = search(client, q)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert people["bg"].worker.fiscal_code not in response.content.decode()


def test_the_search_is_never_in_a_url(client, people):
    client.force_login(UserFactory(province_staff=True, provinces=["BG"]))
    page = client.get(reverse("home"), **EN).content.decode()
    header = page[page.index('class="portal-header-search"') :]
    header = header[: header.index("</form>")]
    assert 'method="post"' in header and 'name="q"' in header
    # A name in the query string is not a search: the GET page is the empty form.
    got = client.get(SEARCH, {"q": "Locatelli"}, **EN).content.decode()
    assert people["bg"].worker.fiscal_code not in got


def test_operators_search_from_the_header_by_fiscal_code_in_their_own_area(client):
    client.force_login(UserFactory(operator=True))
    page = client.get(reverse("home"), **EN).content.decode()
    header = page[page.index('class="portal-header-search"') :]
    header = header[: header.index("</form>")]
    assert reverse("pal:worker_find") in header and 'name="fiscal_code"' in header


def test_too_many_matches_are_capped_and_the_page_says_how_to_narrow(client, settings):
    from workers.views import WorkerSearchView

    unit = InvolvementFactory(unit__procedure__lead="BG", worker__last_name="Rota").unit
    for _ in range(WorkerSearchView.limit):
        InvolvementFactory(unit=unit, worker__last_name="Rota")
    client.force_login(UserFactory(province_staff=True, provinces=["BG"]))
    page = search(client, "rota").content.decode()
    assert f"{WorkerSearchView.limit} workers found" in page
    assert f"Only the first {WorkerSearchView.limit} workers are shown" in page
