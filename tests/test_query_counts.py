"""A page issues a fixed number of SQL queries whatever the size of what it shows (issue #12):
each page below is read at two sizes of data, for a Region official and a province officer,
and must issue exactly as many queries at the larger size as at the smaller one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from monitoring.services import dashboard_refresh
from tests.cases.factories import CrisisProcedureFactory, MeetingFactory
from tests.monitoring.builders import outcome, procedure, unit, worker
from workers.enums import OutcomeKind, Step

pytestmark = pytest.mark.django_db

PROVINCES = ["BG", "MI", "BS", "VA"]


def grow_procedures(count: int) -> None:
    """``count`` procedures, each with units in two provinces, workers at every step, an
    outcome, a meeting, and high complexity (so that the cruscotto lists them too)."""
    for n in range(count):
        lead = PROVINCES[n % len(PROVINCES)]
        proc = CrisisProcedureFactory(lead=lead, highly_complex=True)
        MeetingFactory(procedures=[proc])
        site = unit(proc)
        unit(proc, province=PROVINCES[(n + 1) % len(PROVINCES)])
        for step in Step.values:
            worker(site, step)
        outcome(worker(site, Step.STEP_4), OutcomeKind.RICOLLOCATO)


def grow_workers(proc, count: int) -> None:
    site = proc.units.get(province="BG")
    for n in range(count):
        worker(site, Step.values[n % len(Step.values)])


@pytest.fixture
def largest():
    """A BG procedure with one worker; the tests give it more."""
    proc = procedure(lead="BG")
    worker(unit(proc), Step.STEP_2)
    return proc


def queries(client, url: str) -> int:
    client.get(url)  # the first request of a session may do more (last login, session row)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


PAGES = {
    "home (to-do)": lambda proc: reverse("home"),
    "procedure list": lambda proc: reverse("cases:procedure_list"),
    "procedure": lambda proc: reverse("cases:procedure_detail", args=[proc.pk]),
    "its workers": lambda proc: reverse("workers:procedure_workers", args=[proc.pk]),
    "dashboard": lambda proc: reverse("monitoring:dashboard"),
    "cruscotto": lambda proc: reverse("monitoring:cruscotto"),
    "operators' results": lambda proc: reverse("monitoring:operator_results"),
}


@pytest.mark.parametrize("user", ["region", "staff_bg"])
@pytest.mark.parametrize("name", list(PAGES))
def test_the_page_issues_as_many_queries_for_many_rows_as_for_few(
    client, request, user, name, largest, django_assert_num_queries
):
    client.force_login(request.getfixturevalue(user))
    url = PAGES[name](largest)
    grow_procedures(2)
    dashboard_refresh()
    few = queries(client, url)

    grow_procedures(8)
    grow_workers(largest, 30)
    dashboard_refresh()
    client.get(url)
    with django_assert_num_queries(few):
        response = client.get(url)
    assert response.status_code == 200


def test_the_pages_show_more_rows_at_the_larger_size(client, region, largest):
    """The counts above compare pages that did grow."""
    client.force_login(region)
    grow_procedures(2)
    dashboard_refresh()
    small = client.get(reverse("monitoring:dashboard")).context["kpis"]["involvements"]
    grow_procedures(8)
    grow_workers(largest, 30)
    dashboard_refresh()
    large = client.get(reverse("monitoring:dashboard")).context["kpis"]["involvements"]
    workers = client.get(reverse("workers:procedure_workers", args=[largest.pk]))
    assert (small, large) == (1 + 2 * 6, 1 + 10 * 6 + 30)
    assert workers.status_code == 200
    assert len(client.get(reverse("monitoring:cruscotto")).context["procedures"]) == 10
