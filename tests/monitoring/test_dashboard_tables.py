"""The dashboard's pre-aggregated tables (issue #12): the page reads them once built, and they
give exactly the figures counted live, for every scope and filter; they are as old as the
last rebuild, and the page says how old."""

import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cases.enums import Family
from monitoring import tasks
from monitoring.dashboard import dashboard_data, median_of_histogram
from monitoring.models import DashboardInvolvements, DashboardRefresh
from monitoring.services import dashboard_refresh
from tests.factories import UserFactory
from tests.monitoring.builders import procedure, unit, worker
from workers.enums import Step

pytestmark = pytest.mark.django_db

D = datetime.date
FILTERS = [
    {},
    {"year": 2025},
    {"year": 2024},
    {"year": 2019},
    {"family": Family.CIGS_MINISTERIALE},
    {"family": Family.LICENZIAMENTO_COLLETTIVO, "year": 2024},
    {"province": "MI"},
    {"province": "BG", "year": 2025, "family": Family.CIGS_MINISTERIALE},
    {"province": "VA"},
]


def without_age(data: dict) -> dict:
    return {key: value for key, value in data.items() if key != "updated_at"}


@pytest.mark.parametrize(
    ("values", "median"),
    [
        ([(7, 1)], 7),
        ([(10, 1), (28, 1)], 19),
        ([(10, 1), (28, 1), (40, 1)], 28),
        ([(10, 2), (28, 1), (40, 1)], 19),
        ([(-3, 1), (5, 3)], 5),
        ([(1, 1), (2, 1)], 1.5),
        ([], None),
    ],
)
def test_the_median_of_a_histogram_is_percentile_cont(values, median):
    assert median_of_histogram(values) == median


def test_without_a_rebuild_the_figures_are_counted_live(world, region):
    data = dashboard_data(region)
    assert data["updated_at"] is None
    assert data["kpis"]["involvements"] == 8


def test_the_tables_give_the_live_figures_for_every_scope_and_filter(
    world, region, staff_bg, staff_mi, operator_user
):
    # Two more workers in MI so that its median is of an even count (60 and 10, 12 and 30).
    site = unit(procedure(lead="MI", opened_on=D(2024, 2, 1)), province="MI")
    worker(site, Step.STEP_4, taken_on=D(2024, 12, 20), days_to_step_4=12)
    worker(site, Step.STEP_4, taken_on=D(2025, 1, 3), days_to_step_4=30)
    both = UserFactory(username="staff_both", province_staff=True, provinces=["BG", "MI"])
    refresh = dashboard_refresh()

    for user in (region, staff_bg, staff_mi, both, operator_user):
        for filters in FILTERS:
            live = dashboard_data(user, live=True, **filters)
            tables = dashboard_data(user, **filters)
            assert tables["updated_at"] == refresh.finished_at
            assert without_age(tables) == without_age(live), (user.username, filters)


def test_the_figures_are_those_of_the_last_rebuild(world, region):
    dashboard_refresh()
    worker(unit(procedure()), Step.STEP_4)

    assert dashboard_data(region)["kpis"]["involvements"] == 8
    later = dashboard_refresh()
    data = dashboard_data(region)
    assert data["kpis"]["involvements"] == 9
    assert data["updated_at"] == later.finished_at


def test_a_rebuild_replaces_the_figures_and_keeps_one_refresh_row(world):
    dashboard_refresh()
    rows = DashboardInvolvements.objects.count()
    dashboard_refresh()
    assert DashboardInvolvements.objects.count() == rows
    assert DashboardRefresh.objects.count() == 1


def test_the_command_and_the_beat_task_rebuild(world, region):
    out = io.StringIO()
    call_command("refresh_dashboard", stdout=out)
    assert "rebuilt" in out.getvalue()
    worker(unit(procedure()), Step.STEP_2)
    assert tasks.dashboard_refresh.delay().get() >= 0
    assert dashboard_data(region)["kpis"]["involvements"] == 9


def test_the_beat_schedule_rebuilds_every_few_minutes(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["dashboard-refresh"]
    assert entry["task"] == "monitoring.tasks.dashboard_refresh"


def test_the_page_says_when_the_figures_were_computed(client, world, region, settings):
    settings.LANGUAGE_CODE = "en"
    client.force_login(region)
    assert "updated at" not in client.get(reverse("monitoring:dashboard")).text

    refresh = dashboard_refresh()
    html = client.get(reverse("monitoring:dashboard")).text
    at = timezone.localtime(refresh.finished_at).strftime("%H:%M")
    assert re.search(rf"updated at {at}", html)


def test_the_api_says_when_the_figures_were_computed(api_client_for, world, region):
    refresh = dashboard_refresh()
    body = api_client_for(region).get("/api/v1/dashboard/").json()
    assert body["updated_at"] is not None
    assert datetime.datetime.fromisoformat(body["updated_at"]) == refresh.finished_at
    assert body["kpis"]["involvements"] == 8
