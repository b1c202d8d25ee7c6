"""The to-do home page (issue #13): each role's sections, counted within its scope, with links
to the filtered lists, and the same counts on the menu."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from monitoring import todo
from pal.enums import PIPStatus
from tests.cases.factories import CrisisProcedureFactory, MeetingFactory, ProductionUnitFactory
from tests.pal.factories import DoteFactory, pip_with_service
from tests.workers.factories import CohortFactory, InvolvementFactory
from workers.enums import Step
from workers.models import Cohort
from workers.services import involvement_move

pytestmark = pytest.mark.django_db


def pip_in(province: str, status: str, **kwargs):
    unit = ProductionUnitFactory(procedure=CrisisProcedureFactory(lead=province))
    dote = DoteFactory(involvement=InvolvementFactory(unit=unit), **kwargs)
    return pip_with_service(status, dote=dote, submitted_at=timezone.now())


def cohort_in(province: str, *, moved_days_ago: int | None, created_days_ago: int = 200):
    procedure = CrisisProcedureFactory(lead=province)
    cohort = CohortFactory(procedure=procedure)
    Cohort.objects.filter(pk=cohort.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=created_days_ago)
    )
    involvement = InvolvementFactory(unit=cohort.unit, cohort=cohort)
    if moved_days_ago is not None:
        involvement_move(
            user=None,
            involvement=involvement,
            to=Step.STEP_2,
            effective_date=timezone.localdate() - datetime.timedelta(days=moved_days_ago),
        )
    return cohort


def test_a_province_officer_sees_their_provinces_items_only(staff_bg):
    today = timezone.localdate()
    pip_in("BG", PIPStatus.PRESENTATO)
    pip_in("MI", PIPStatus.PRESENTATO)
    pip_in("BG", PIPStatus.RESTITUITO)
    bg = CrisisProcedureFactory(lead="BG", end_date=today + datetime.timedelta(days=10))
    CrisisProcedureFactory(lead="BG", end_date=today + datetime.timedelta(days=40))
    CrisisProcedureFactory(lead="MI", end_date=today + datetime.timedelta(days=10))
    CrisisProcedureFactory(lead="BG", end_date=today + datetime.timedelta(days=5), status="chiusa")
    MeetingFactory(procedures=[bg], date=today + datetime.timedelta(days=3))
    MeetingFactory(procedures=[bg], date=today + datetime.timedelta(days=20))
    MeetingFactory(convened_by="MI", date=today + datetime.timedelta(days=3))
    cohort_in("BG", moved_days_ago=90)
    cohort_in("BG", moved_days_ago=None)
    cohort_in("BG", moved_days_ago=10)
    cohort_in("BG", moved_days_ago=None, created_days_ago=5)
    cohort_in("MI", moved_days_ago=90)
    counts = todo.todo_counts(staff_bg)
    assert counts == {
        "review": 1,
        "meetings": 1,
        "ending": 1,
        "stale": 2,
        "step3_missed": 0,
        "total": 5,
    }


def test_the_thresholds_come_from_the_settings(staff_bg, settings):
    today = timezone.localdate()
    CrisisProcedureFactory(lead="BG", end_date=today + datetime.timedelta(days=40))
    assert todo.todo_counts(staff_bg)["ending"] == 0
    settings.TODO_SUPPORT_END_DAYS = 45
    assert todo.todo_counts(staff_bg)["ending"] == 1


def test_an_operator_sees_the_pips_returned_to_their_organisation(operator_user):
    from pal.models import Operator

    mine = pip_in(
        "BG", PIPStatus.RESTITUITO, operator=Operator.objects.get(pk=operator_user.operator_id)
    )
    pip_in("BG", PIPStatus.RESTITUITO)
    assert todo.todo_counts(operator_user) == {"returned": 1, "total": 1}
    (section,) = todo.todo_sections(operator_user)
    assert section.items[0]["url"] == reverse("pal:pip_detail", args=[mine.pk])
    assert section.url == reverse("pal:operator_home") + "?pip_status=restituito#pips"


def test_a_region_official_reviews_nothing_and_an_api_client_has_no_list(region, api_client):
    assert set(todo.todo_counts(region)) == {
        "meetings",
        "ending",
        "stale",
        "step3_missed",
        "total",
    }
    assert todo.todo_counts(api_client) == {"total": 0}
    assert todo.cached_counts(None) == {}
    assert todo.todo_counts(None) == {"total": 0}


def test_the_home_page_lists_each_section_and_links_to_the_filtered_lists(client, staff_bg):
    today = timezone.localdate()
    pip = pip_in("BG", PIPStatus.PRESENTATO)
    procedure = CrisisProcedureFactory(lead="BG", end_date=today + datetime.timedelta(days=10))
    meeting = MeetingFactory(procedures=[procedure], date=today + datetime.timedelta(days=2))
    cohort = cohort_in("BG", moved_days_ago=None)
    client.force_login(staff_bg)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    text = response.text
    assert "PIPs waiting for my review" in text and "Meetings in the next 14 days" in text
    assert reverse("pal:review_pip", args=[pip.pk]) in text
    assert reverse("pal:review_queue") + "?status=presentato" in text
    assert meeting.get_absolute_url() in text
    assert f"date_after={today.isoformat()}" in text
    assert procedure.get_absolute_url() in text
    assert f"ends_before={(today + datetime.timedelta(days=30)).isoformat()}" in text
    assert f"?cohort={cohort.pk}" in text
    # The menu shows the same counts: the total on Home, each on its own entry.
    assert 'portal-todo-badge">4<' in text


def test_the_filtered_lists_the_links_open_show_what_was_counted(client, staff_bg):
    today = timezone.localdate()
    soon = CrisisProcedureFactory(lead="BG", end_date=today + datetime.timedelta(days=10))
    later = CrisisProcedureFactory(lead="BG", end_date=today + datetime.timedelta(days=60))
    client.force_login(staff_bg)
    (section,) = [s for s in todo.todo_sections(staff_bg) if s.key == "ending"]
    response = client.get(section.url, HTTP_ACCEPT_LANGUAGE="en")
    assert soon.get_absolute_url() in response.text
    assert later.get_absolute_url() not in response.text


def test_the_menu_counts_are_cached_per_user(client, staff_bg, django_assert_num_queries):
    client.force_login(staff_bg)
    client.get(reverse("cases:procedure_list"))
    assert cache.get(todo.CACHE_KEY.format(staff_bg.pk)) == {
        "review": 0,
        "meetings": 0,
        "ending": 0,
        "stale": 0,
        "step3_missed": 0,
        "total": 0,
    }
    # Cached: only the unread notifications are counted (one query, as on every page).
    with django_assert_num_queries(1):
        assert todo.header_counts(staff_bg)["unread"] == 0


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response.url
