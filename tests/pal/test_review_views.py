"""Province staff review PIPs: the queue of their province, approve, return with a note."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from pal.enums import PIPStatus
from pal.models import PIP, Measure, PIPTransition
from pal.services import pip_save, pip_submit
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.pal.factories import DoteFactory, service
from tests.workers.factories import InvolvementFactory
from workers.enums import Step
from workers.models import StepTransition
from workers.services import involvement_move

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    """These tests read the English messages; the portal's default language is Italian."""
    settings.LANGUAGE_CODE = "en"


def submitted_pip(*, province: str = "BG", step: str = Step.STEP_3) -> PIP:
    """A PIP submitted by the operator for a worker of ``province`` standing at ``step``."""
    unit = ProductionUnitFactory(procedure=CrisisProcedureFactory(lead=province))
    involvement = InvolvementFactory(unit=unit)
    moves = {Step.STEP_2: [Step.STEP_2], Step.STEP_3: [Step.STEP_2, Step.STEP_3]}[step]
    for day, to in enumerate(moves, start=10):
        involvement_move(
            user=None, involvement=involvement, to=to, effective_date=datetime.date(2025, 4, day)
        )
    dote = DoteFactory(involvement=involvement)
    pip = pip_save(user=None, dote=dote, objectives="Ricollocazione", services=[service()])
    return pip_submit(user=None, pip=pip)


def approve(client, pip, **data):
    return client.post(
        reverse("pal:review_pip_approve", args=[pip.pk]),
        {"approve-activate_step_4": "on", **data},
        follow=True,
    )


def test_staff_see_only_the_pips_of_their_province_in_the_queue(client, staff_bg):
    bg, mi = submitted_pip(province="BG"), submitted_pip(province="MI")
    client.force_login(staff_bg)
    response = client.get(reverse("pal:review_queue"))
    assert response.status_code == 200
    assert reverse("pal:review_pip", args=[bg.pk]) in response.text
    assert reverse("pal:review_pip", args=[mi.pk]) not in response.text


def test_the_queue_puts_submitted_pips_first_oldest_first(client, staff_bg):
    returned, recent, oldest = submitted_pip(), submitted_pip(), submitted_pip()
    PIP.objects.filter(pk=returned.pk).update(
        status=PIPStatus.RESTITUITO,
        return_note="x",
        submitted_at=datetime.datetime(2025, 4, 1, tzinfo=datetime.UTC),
    )
    PIP.objects.filter(pk=oldest.pk).update(
        submitted_at=datetime.datetime(2025, 5, 1, tzinfo=datetime.UTC)
    )
    client.force_login(staff_bg)
    response = client.get(reverse("pal:review_queue"))
    assert list(response.context["object_list"]) == [oldest, recent, returned]


def test_the_queue_filters_by_status(client, staff_bg):
    pip = submitted_pip()
    client.force_login(staff_bg)
    response = client.get(reverse("pal:review_queue"), {"status": PIPStatus.APPROVATO})
    assert pip not in response.context["object_list"]


def test_staff_of_another_province_get_404_on_the_pip(client, staff_mi):
    pip = submitted_pip(province="BG")
    client.force_login(staff_mi)
    assert client.get(reverse("pal:review_pip", args=[pip.pk])).status_code == 404
    assert approve(client, pip).status_code == 404
    pip.refresh_from_db()
    assert pip.status == PIPStatus.PRESENTATO


def test_the_review_page_says_all_rules_are_satisfied(client, staff_bg):
    pip = submitted_pip()
    client.force_login(staff_bg)
    response = client.get(reverse("pal:review_pip", args=[pip.pk]))
    assert response.status_code == 200
    assert "All rules are satisfied" in response.text
    assert response.context["dote"].committed_amount == Decimal("500.00")


def test_approving_moves_the_worker_at_step_3_to_step_4_naming_the_measure(client, staff_bg):
    pip = submitted_pip(step=Step.STEP_3)
    client.force_login(staff_bg)
    response = approve(client, pip)
    assert response.status_code == 200
    pip.refresh_from_db()
    involvement = pip.dote.involvement
    involvement.refresh_from_db()
    assert pip.status == PIPStatus.APPROVATO
    assert involvement.current_step == Step.STEP_4
    move = StepTransition.objects.filter(involvement=involvement).latest("id")
    assert move.to_step == Step.STEP_4
    assert move.measure == pip.dote.measure
    logged = PIPTransition.objects.get(pip=pip, to_status=PIPStatus.APPROVATO)
    assert (logged.from_status, logged.by) == (PIPStatus.PRESENTATO, staff_bg)


def test_approving_without_the_step_box_leaves_the_step(client, staff_bg):
    pip = submitted_pip(step=Step.STEP_3)
    client.force_login(staff_bg)
    client.post(reverse("pal:review_pip_approve", args=[pip.pk]), {})
    involvement = pip.dote.involvement
    involvement.refresh_from_db()
    assert involvement.current_step == Step.STEP_3


def test_approving_a_worker_at_step_2_leaves_the_step_and_says_so(client, staff_bg):
    # The box was disabled and unticked (the page said the step will not change): a ticked
    # box posted anyway is read as unticked, and the message agrees with the page.
    pip = submitted_pip(step=Step.STEP_2)
    client.force_login(staff_bg)
    response = approve(client, pip)
    involvement = pip.dote.involvement
    involvement.refresh_from_db()
    assert involvement.current_step == Step.STEP_2
    texts = [str(m) for m in response.context["messages"]]
    assert texts == [f"PIP {pip.reference} approved; the worker stays at STEP 2."]


def test_a_refused_approval_is_a_message_naming_the_rule(client, staff_bg):
    pip = submitted_pip()
    Measure.objects.filter(pk=pip.dote.measure_id).update(max_per_worker=Decimal("100"))
    client.force_login(staff_bg)
    page = client.get(reverse("pal:review_pip", args=[pip.pk]))
    assert "Cap per worker" in page.text
    response = approve(client, pip)
    assert any("Cap per worker" in str(m) for m in response.context["messages"])
    pip.refresh_from_db()
    assert pip.status == PIPStatus.PRESENTATO


def test_returning_without_a_note_is_refused(client, staff_bg):
    pip = submitted_pip()
    client.force_login(staff_bg)
    response = client.post(reverse("pal:review_pip_return", args=[pip.pk]), {"return-note": " "})
    assert response.status_code == 422
    pip.refresh_from_db()
    assert pip.status == PIPStatus.PRESENTATO


def test_returning_with_a_note_keeps_the_note_for_the_operator(client, staff_bg):
    pip = submitted_pip()
    client.force_login(staff_bg)
    response = client.post(
        reverse("pal:review_pip_return", args=[pip.pk]),
        {"return-note": "Il tirocinio supera la validità della Dote."},
    )
    assert response.status_code == 302
    pip.refresh_from_db()
    assert pip.status == PIPStatus.RESTITUITO
    assert pip.return_note == "Il tirocinio supera la validità della Dote."
    logged = PIPTransition.objects.get(pip=pip, to_status=PIPStatus.RESTITUITO)
    assert logged.note == pip.return_note


@pytest.mark.parametrize("name", ["review_queue", "review_pip"])
def test_operators_and_region_officials_cannot_open_the_review_pages(
    client, operator_user, region, name
):
    pip = submitted_pip()
    args = [] if name == "review_queue" else [pip.pk]
    for user in (operator_user, region):
        client.force_login(user)
        assert client.get(reverse(f"pal:{name}", args=args)).status_code == 403


def test_the_queue_runs_a_fixed_number_of_queries(client, staff_bg, django_assert_max_num_queries):
    for _ in range(4):
        submitted_pip()
    client.force_login(staff_bg)
    # 12, and the header's unread notifications and to-do counts (one query, issue #13).
    with django_assert_max_num_queries(13):
        client.get(reverse("pal:review_queue"))


# --- issue #13, item 9: the count, the filters and the STEP 4 box agree with the list -------


def test_the_queue_count_and_the_waiting_count_describe_the_list_below(client, staff_bg):
    waiting, decided = submitted_pip(), submitted_pip()
    client.force_login(staff_bg)
    approve(client, decided)
    response = client.get(reverse("pal:review_queue"))
    assert response.context["paginator"].count == 2
    assert response.context["waiting_count"] == 1
    assert "2 PIPs listed · 1 waiting for your decision" in response.text
    only_waiting = client.get(reverse("pal:review_queue"), {"status": "presentato"})
    assert "1 PIP listed · 1 waiting for your decision" in only_waiting.text
    assert waiting.pk in [p.pk for p in only_waiting.context["object_list"]]


def test_a_one_province_officer_gets_no_province_filter_and_only_operators_in_the_queue(
    client, staff_bg
):
    bg, mi = submitted_pip(province="BG"), submitted_pip(province="MI")
    client.force_login(staff_bg)
    response = client.get(reverse("pal:review_queue"))
    form = response.context["filterset"].form
    assert not response.context["offer_province"]
    assert 'name="province"' not in response.text
    assert list(form.fields["operator"].queryset) == [bg.dote.operator]
    assert mi.dote.operator.name not in response.text


def test_filtering_the_queue_by_a_province_out_of_scope_is_refused_naming_the_field(
    client, staff_bg
):
    submitted_pip(province="BG")
    client.force_login(staff_bg)
    response = client.get(reverse("pal:review_queue"), {"province": "MI"})
    assert response.context["paginator"].count == 0
    assert "province" in response.context["filterset"].errors


def test_an_officer_of_two_provinces_may_filter_by_either(client, django_user_model):
    from tests.factories import UserFactory

    officer = UserFactory(username="staff_bg_bs", province_staff=True, provinces=["BG", "BS"])
    submitted_pip(province="BG")
    client.force_login(officer)
    response = client.get(reverse("pal:review_queue"))
    assert response.context["offer_province"]
    codes = {p.code for p in response.context["filterset"].form.fields["province"].queryset}
    assert codes == {"BG", "BS"}


def test_the_step_4_box_is_ticked_only_for_a_worker_at_step_3(client, staff_bg):
    at_3, at_2 = submitted_pip(step=Step.STEP_3), submitted_pip(step=Step.STEP_2)
    client.force_login(staff_bg)
    box_3 = client.get(reverse("pal:review_pip", args=[at_3.pk])).context["approve_form"]
    box_2 = client.get(reverse("pal:review_pip", args=[at_2.pk])).context["approve_form"]
    assert box_3["activate_step_4"].value() is True
    assert "moves from STEP 3 to STEP 4" in box_3.fields["activate_step_4"].help_text
    assert box_2["activate_step_4"].value() is False
    assert box_2.fields["activate_step_4"].disabled
    assert "will not change" in box_2.fields["activate_step_4"].help_text
