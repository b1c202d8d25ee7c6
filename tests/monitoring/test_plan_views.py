"""Re-employment plans: the pages, the form's refusals, who writes, the API, the demo."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from crisi_portal.demo.plans import seed_plan
from monitoring.enums import PlanMetric, PlanStatus
from monitoring.models import PlanBudgetLine, PlanIndicator, PlanPhase, ReemploymentPlan
from tests.monitoring.builders import procedure, unit
from tests.monitoring.plan_factories import group, indicator, partner, plan, plan_form_data
from tests.workers.factories import InvolvementFactory
from workers.enums import Sex

pytestmark = pytest.mark.django_db

D = datetime.date
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- create and edit -----------------------------------------------------------------------------


def test_a_nucleo_officer_creates_a_plan_with_its_parts(staff_bg):
    data = plan_form_data(
        partners=[{"role": "cciaa", "name": "Camera di Commercio di Bergamo"}],
        phases=[{"name": "Presa in carico", "starts_on": "2025-01-01", "ends_on": "2025-12-31"}],
        budget=[
            {"funding_source": "regionale", "amount": "7726497.00", "description": "PAL"},
            {"funding_source": "pnrr_gol", "amount": "1000.50"},
        ],
        target_groups=[{"description": "Lavoratrici", "sex": "F"}],
        indicators=[{"metric": "taken_in_charge", "target": "120"}],
    )
    response = client_of(staff_bg).post(reverse("monitoring:plan_create"), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    saved = ReemploymentPlan.objects.get()
    assert response["Location"] == saved.get_absolute_url()
    assert saved.province_id == "BG"
    assert saved.partners.get().name == "Camera di Commercio di Bergamo"
    assert saved.phases.count() == 1
    assert sorted(saved.budget.values_list("amount", flat=True)) == [
        Decimal("1000.50"),
        Decimal("7726497.00"),
    ]
    assert saved.indicators.get().metric == PlanMetric.TAKEN_IN_CHARGE
    assert saved.history.get().history_user == staff_bg


def test_editing_changes_removes_and_adds_rows_and_ties_an_indicator_to_a_group(staff_bg):
    existing = plan("BG", D(2025, 1, 1), D(2025, 12, 31))
    women = group(existing, "Lavoratrici", sex=Sex.F)
    gone = partner(existing, "Da togliere")
    kept = indicator(existing, PlanMetric.REEMPLOYED, Decimal(10))
    data = plan_form_data(
        existing,
        plan={"title": "Piano rinnovato"},
        partners=[{"role": "inps", "name": "INPS Bergamo"}],
    )
    data["partners-0-DELETE"] = "on"  # the existing partner
    data["indicators-0-target_group"] = str(women.pk)
    data["indicators-0-target"] = "12"

    response = client_of(staff_bg).post(reverse("monitoring:plan_update", args=[existing.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    existing.refresh_from_db()
    assert existing.title == "Piano rinnovato"
    assert list(existing.partners.values_list("name", flat=True)) == ["INPS Bergamo"]
    assert not type(gone).objects.filter(pk=gone.pk).exists()
    kept.refresh_from_db()
    assert (kept.target_group, kept.target) == (women, Decimal(12))
    assert kept.history.count() == 2  # created, changed


@pytest.mark.parametrize(
    ("parts", "field", "message"),
    [
        (
            {"phases": [{"name": "F", "starts_on": "2025-03-01", "ends_on": "2025-02-28"}]},
            "phases-0-ends_on",
            "The phase ends before it starts.",
        ),
        (
            {"phases": [{"name": "F", "starts_on": "2024-12-31", "ends_on": "2025-02-28"}]},
            "phases-0-starts_on",
            "The phase starts outside the plan's period.",
        ),
        (
            {"phases": [{"name": "F", "starts_on": "2025-12-01", "ends_on": "2026-01-01"}]},
            "phases-0-ends_on",
            "The phase ends outside the plan's period.",
        ),
        (
            {"budget": [{"funding_source": "regionale", "amount": "-0.01"}]},
            "budget-0-amount",
            "The amount cannot be negative.",
        ),
        (
            {"indicators": [{"metric": "reemployed", "target": "-1"}]},
            "indicators-0-target",
            "The target cannot be negative.",
        ),
        (
            {"plan": {"period_to": "2024-12-31"}},
            "period_to",
            "The period ends before it starts.",
        ),
        (
            {"plan": {"status": PlanStatus.APPROVED}},
            "approved_on",
            "An approved or closed plan needs its approval date.",
        ),
    ],
)
def test_refusals_name_the_field(staff_bg, parts, field, message):
    response = client_of(staff_bg).post(
        reverse("monitoring:plan_create"), plan_form_data(**parts), **EN
    )

    assert response.status_code == 422
    body = response.content.decode()
    assert message.replace("'", "&#x27;") in body
    assert f'id="id_{field}"' in body and f'id="id_{field}_error"' in body
    assert not ReemploymentPlan.objects.exists()


def test_phases_on_the_plans_edges_are_accepted(staff_bg):
    data = plan_form_data(
        phases=[{"name": "Tutto", "starts_on": "2025-01-01", "ends_on": "2025-12-31"}]
    )
    assert client_of(staff_bg).post(reverse("monitoring:plan_create"), data).status_code == 302
    assert PlanPhase.objects.get().ends_on == D(2025, 12, 31)


def test_shortening_the_period_past_a_phase_is_refused_on_the_phase(staff_bg):
    existing = plan("BG", D(2025, 1, 1), D(2025, 12, 31))
    PlanPhase.objects.create(
        plan=existing, name="Autunno", starts_on=D(2025, 9, 1), ends_on=D(2025, 11, 30)
    )
    data = plan_form_data(existing, plan={"period_to": "2025-06-30"})

    response = client_of(staff_bg).post(
        reverse("monitoring:plan_update", args=[existing.pk]), data, **EN
    )

    assert response.status_code == 422
    assert 'id="id_phases-0-starts_on_error"' in response.content.decode()
    existing.refresh_from_db()
    assert existing.period_to == D(2025, 12, 31)


def test_an_officer_cannot_write_a_plan_for_another_province(staff_bg):
    response = client_of(staff_bg).post(
        reverse("monitoring:plan_create"), plan_form_data(plan={"province": "MI"}), **EN
    )

    assert response.status_code == 422
    assert 'id="id_province_error"' in response.content.decode()
    assert not ReemploymentPlan.objects.exists()


def test_region_officials_read_plans_but_do_not_write_them(region):
    bg = plan("BG")
    client = client_of(region)

    assert client.get(bg.get_absolute_url()).status_code == 200
    assert client.get(reverse("monitoring:plan_update", args=[bg.pk])).status_code == 403
    assert client.get(reverse("monitoring:plan_create")).status_code == 403
    page = client.get(bg.get_absolute_url(), **EN).content.decode()
    assert reverse("monitoring:plan_update", args=[bg.pk]) not in page


def test_another_provinces_plan_does_not_exist_for_an_officer(staff_bg):
    mi = plan("MI")
    client = client_of(staff_bg)

    assert client.get(mi.get_absolute_url()).status_code == 404
    assert client.get(reverse("monitoring:plan_update", args=[mi.pk])).status_code == 404
    assert client.post(reverse("monitoring:plan_update", args=[mi.pk]), {}).status_code == 404


# --- list and page -------------------------------------------------------------------------------


def test_the_list_filters_by_province_and_year_in_scope(region, staff_bg):
    plan("BG", D(2025, 1, 1), D(2025, 12, 31), title="BG 2025")
    plan("BG", D(2024, 7, 1), D(2025, 6, 30), title="BG 2024-25")
    plan("MI", D(2025, 1, 1), D(2025, 12, 31), title="MI 2025")
    url = reverse("monitoring:plan_list")

    def titles(client, **query):
        return [p.title for p in client.get(url, query).context["object_list"]]

    assert titles(client_of(region)) == ["BG 2025", "MI 2025", "BG 2024-25"]
    assert titles(client_of(region), province="MI") == ["MI 2025"]
    assert titles(client_of(region), year="2024") == ["BG 2024-25"]
    assert titles(client_of(region), year="2025", province="BG") == ["BG 2025", "BG 2024-25"]
    assert titles(client_of(staff_bg)) == ["BG 2025", "BG 2024-25"]
    assert titles(client_of(staff_bg), province="MI") == []  # not offered: refused, nothing


def test_the_list_totals_the_budget_whatever_the_indicators(region, api_client_for):
    bg = plan("BG")
    for amount in ("7726497", "1000"):
        PlanBudgetLine.objects.create(plan=bg, funding_source="regionale", amount=Decimal(amount))
    for metric in (PlanMetric.REEMPLOYED, PlanMetric.PROCEDURES, PlanMetric.PIPS_APPROVED):
        indicator(bg, metric)
    plan("MI")  # no budget line: 0

    listed = client_of(region).get(reverse("monitoring:plan_list")).context["object_list"]
    api = api_client_for(region).get("/api/v1/plans/").json()["results"]

    assert {p.province_id: (p.budget_total, p.indicator_count) for p in listed} == {
        "BG": (Decimal("7727497"), 3),
        "MI": (Decimal(0), 0),
    }
    assert sorted(p["budget_total"] for p in api) == [0, 7727497]


def test_the_plan_page_shows_value_target_and_progress(staff_bg):
    bg = plan("BG", D(2025, 1, 1), D(2025, 12, 31))
    site = unit(procedure("BG"))
    for day in (D(2025, 2, 1), D(2025, 3, 1), D(2025, 4, 1)):
        InvolvementFactory(unit=site, taken_on=day)
    InvolvementFactory(unit=unit(procedure("MI")), taken_on=D(2025, 2, 1))
    indicator(bg, PlanMetric.TAKEN_IN_CHARGE, Decimal(4), label="Prese in carico")
    PlanBudgetLine.objects.create(plan=bg, funding_source="regionale", amount=Decimal("7726497"))
    PlanBudgetLine.objects.create(plan=bg, funding_source="pnrr_gol", amount=Decimal("3"))

    response = client_of(staff_bg).get(bg.get_absolute_url(), **EN)
    body = response.content.decode()

    row = body[body.index('data-metric="taken_in_charge"') :]
    row = row[: row.index("</tr>")]
    assert "Prese in carico" in row
    assert '<td class="num" data-value>3</td>' in row
    assert 'max="100" value="75"' in row and "data-progress>75%</span>" in row
    assert "7,726,500.00" in body  # the budget's total
    assert "Service delivery" in body


def test_the_plan_page_costs_the_same_queries_whatever_its_indicators(
    staff_bg, django_assert_max_num_queries
):
    bg = plan("BG", D(2025, 1, 1), D(2025, 12, 31))
    partner(bg)
    women = group(bg, sex=Sex.F)
    client = client_of(staff_bg)
    client.get(bg.get_absolute_url())  # session, caches
    indicator(bg, PlanMetric.TAKEN_IN_CHARGE)
    with django_assert_max_num_queries(40) as few:
        assert client.get(bg.get_absolute_url()).status_code == 200
    for metric in PlanMetric:
        indicator(bg, metric)
        indicator(bg, metric, target_group=women)
    with django_assert_max_num_queries(40) as many:
        assert client.get(bg.get_absolute_url()).status_code == 200
    # One more query per source table the extra metrics read (six tables at most), never
    # one per indicator.
    assert len(many.captured_queries) <= len(few.captured_queries) + 5


# --- API ------------------------------------------------------------------------------------------


def test_the_api_gives_a_plan_with_its_current_values(staff_bg, api_client_for):
    bg = plan("BG", D(2025, 1, 1), D(2025, 12, 31))
    InvolvementFactory(unit=unit(procedure("BG")), taken_on=D(2025, 2, 1))
    item = indicator(bg, PlanMetric.TAKEN_IN_CHARGE, Decimal(4))
    plan("MI")
    client = api_client_for(staff_bg)

    listed = client.get("/api/v1/plans/").json()
    detail = client.get(f"/api/v1/plans/{bg.pk}/").json()

    assert [p["id"] for p in listed["results"]] == [bg.pk]
    assert detail["indicators"] == [
        {
            "id": item.pk,
            "metric": "taken_in_charge",
            "system": "services",
            "label": "",
            "target_group": None,
            "target": 4.0,
            "value": 1.0,
            "progress": 25,
        }
    ]


# --- demo -----------------------------------------------------------------------------------------


def test_the_demo_plan_is_created_once_with_live_indicators():
    assert seed_plan(D(2026, 12, 6)) is True
    assert seed_plan(D(2026, 12, 6)) is False
    demo = ReemploymentPlan.objects.get()
    assert demo.province_id == "BG"
    assert 5 <= PlanIndicator.objects.filter(plan=demo).count() <= 7
    assert demo.partners.count() and demo.phases.count() and demo.target_groups.count()
    assert sum(demo.budget.values_list("amount", flat=True)) > Decimal("7726497")
