"""Issue #9 finding 6: hostile query values never end in a 500 on any list (API and HTML).

The sweep takes every API list route of the router and every HTML page that reads filters
(its FilterSet or filter form: the lists, their CSV downloads, the dashboard, the cruscotto,
the report archive, a procedure's workers), collects the query parameters each one reads plus
the ones every list shares (pagination, ``updated_since``, ``ordering``, ``year``) and sends
each parameter each hostile value, one at a time, as a user who may use the page. Every answer
must be below 500. ``HOSTILE_REQUESTS`` counts the requests sent (issue #9's figures).
"""

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from cases.filtersets import ProcedureFilterSet
from cases.views import ProcedureExportView
from monitoring.api.views import DashboardViewSet, OperatorResultsViewSet
from monitoring.filtersets import ReportRunFilterSet
from monitoring.forms import DashboardFilterForm, OperatorResultsFilterForm
from monitoring.views.cruscotto import CruscottoCsvView, CruscottoFilterForm, CruscottoView
from monitoring.views.dashboard import DashboardCsvView, DashboardView
from monitoring.views.operators import OperatorResultsExportView, OperatorResultsView
from monitoring.views.reports import ReportListView
from pal.views.operator import OperatorHomeView
from tests.cases.factories import CrisisProcedureFactory, MeetingFactory, ProductionUnitFactory
from tests.factories import UserFactory
from tests.workers.factories import InvolvementFactory
from workers.filtersets import InvolvementFilterSet
from workers.views import ProcedureWorkersView

pytestmark = pytest.mark.django_db

HOSTILE_VALUES = [
    "0",
    "-1",
    "2147483648",  # past 32 bits
    "99999999999999999999",  # past 64 bits
    "-99999999999999999999",
    "1e309",
    "-1e309",
    "nan",
    "inf",
    "1.5",
    "",
    " ",
    "\x00",
    "2025-13-45T25:61:00+99:99",
    "0001-01-01T00:00:00+14:00",
    "2025-03-01T00:00:00+05:45:30",
    "x" * 5000,
    "9" * 5000,  # int() refuses more than 4300 digits
    "'\";--",
    "\U0001f600",
]
# Read by every list, whatever its filters.
SHARED_PARAMETERS = {"limit", "offset", "page", "updated_since", "ordering", "year"}
# Pages that read their parameters through a form or by hand rather than ``filterset_class``.
VIEW_PARAMETERS = {
    DashboardView: set(DashboardFilterForm.base_fields),
    DashboardCsvView: set(DashboardFilterForm.base_fields) | {"chart"},
    CruscottoView: set(CruscottoFilterForm.base_fields),
    CruscottoCsvView: set(CruscottoFilterForm.base_fields),
    ReportListView: set(ReportRunFilterSet.base_filters),
    ProcedureExportView: set(ProcedureFilterSet.base_filters),
    ProcedureWorkersView: set(InvolvementFilterSet.base_filters),
    OperatorHomeView: {"dote_status", "pip_status"},
    DashboardViewSet: set(DashboardFilterForm.base_fields),
    OperatorResultsViewSet: set(OperatorResultsFilterForm.base_fields),
    OperatorResultsView: set(OperatorResultsFilterForm.base_fields),
    OperatorResultsExportView: set(OperatorResultsFilterForm.base_fields) | {"format"},
}
# The query a page needs besides the hostile parameter (the chart a CSV is for).
BASE_QUERY = {DashboardCsvView: {"chart": "provinces"}}
# List pages whose URL names an object: the procedure of ``some_data``.
WITH_PROCEDURE = {ProcedureWorkersView}


def view_class(callback):
    return getattr(callback, "cls", None) or getattr(callback, "view_class", None)


def list_routes(patterns, namespace=""):
    """``(name, view class)`` of the API list routes and of the HTML pages that read filters."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from list_routes(entry.url_patterns, inner)
            continue
        cls = view_class(entry.callback)
        if not entry.name or cls is None or "format" in entry.pattern.regex.groupindex:
            continue
        name, actions = f"{namespace}{entry.name}", getattr(entry.callback, "actions", None)
        if actions is not None:  # an API route: its lists and other GETs on the collection
            if "get" in actions and not entry.pattern.regex.groupindex:
                yield name, cls
        elif cls in WITH_PROCEDURE or (
            not entry.pattern.regex.groupindex
            and (cls in VIEW_PARAMETERS or getattr(cls, "filterset_class", None))
        ):
            yield name, cls


ROUTES = dict(list_routes(get_resolver().url_patterns))


def parameters(cls) -> list[str]:
    names = set(SHARED_PARAMETERS) | VIEW_PARAMETERS.get(cls, set())
    filterset = getattr(cls, "filterset_class", None)
    if filterset is not None:
        names |= set(filterset.base_filters)
    return sorted(names)


@pytest.fixture
def users(db):
    """A user of each role; each route is swept as the first one it answers 200 to."""
    return [
        UserFactory(username="sweep_staff", province_staff=True, provinces=["BG"]),
        UserFactory(username="sweep_region", region_official=True),
        UserFactory(username="sweep_operator", operator=True),
        UserFactory(username="sweep_api", api_client=True),
        UserFactory(username="sweep_admin", admin=True),
    ]


@pytest.fixture
def procedure(db):
    """Something for the lists to show: a procedure, a unit, a worker, a meeting."""
    procedure = CrisisProcedureFactory(lead="BG", highly_complex=True)
    unit = ProductionUnitFactory(procedure=procedure, in_province="BG")
    InvolvementFactory(unit=unit)
    MeetingFactory().procedures.add(procedure)
    return procedure


HOSTILE_REQUESTS = {"sent": 0}


def test_the_sweep_covers_the_api_lists_and_the_html_list_pages():
    api_lists = [name for name in ROUTES if name.endswith("-list")]
    assert len(api_lists) >= 14  # every viewset of crisi_portal/api.py
    for page in ("cases:procedure_list", "cases:meeting_list", "monitoring:dashboard"):
        assert page in ROUTES
    assert "workers:procedure_workers" in ROUTES and "monitoring:report_list" in ROUTES


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_no_hostile_query_value_gives_a_500(name, users, procedure):
    cls = ROUTES[name]
    url = reverse(name, args=[procedure.pk] if cls in WITH_PROCEDURE else [])
    base = BASE_QUERY.get(cls, {})
    client = Client(raise_request_exception=False)
    for user in users:
        client.force_login(user)
        if client.get(url, base).status_code == 200:
            break
    else:
        pytest.fail(f"{name} answers no user with 200")
    failures = []
    for parameter in parameters(cls):
        for value in HOSTILE_VALUES:
            response = client.get(url, {**base, parameter: value})
            HOSTILE_REQUESTS["sent"] += 1
            if response.status_code >= 500:
                error = response.exc_info[1] if response.exc_info else None
                failures.append(f"{parameter}={value[:24]!r}: {type(error).__name__} {error}")
    print(f"{name}: {HOSTILE_REQUESTS['sent']} hostile requests so far")
    assert not failures, "\n".join(f[:300] for f in failures)
