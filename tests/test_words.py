"""Words people read (issue #13, item 12): no masculine greeting for everyone, and the two
kinds of "operator" told apart."""

import pytest
from django.urls import reverse
from django.utils import translation

from crisi_portal.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_greeting_and_the_roles_are_gender_neutral_in_italian(client):
    user = UserFactory(first_name="Giulia", last_name="Locatelli", province_staff=True)
    client.force_login(user)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="it")
    page = response.content.decode()
    assert "Ti diamo il benvenuto, Giulia Locatelli" in page
    assert "Benvenuto" not in page
    with translation.override("it"):
        staff, operator = Role(Role.PROVINCE_STAFF).label, Role(Role.OPERATOR).label
    assert staff == "Referente del Nucleo Crisi provinciale"
    assert operator == "Operatore accreditato"
    assert staff.split()[0] != operator.split()[0]  # not both "Operatore …"


def test_yes_no_filters_offer_all_not_unknown(client):
    client.force_login(UserFactory(region_official=True))
    page = client.get(reverse("cases:procedure_list"), HTTP_ACCEPT_LANGUAGE="it").content.decode()
    field = page[page.index('name="high_complexity"') :]
    field = field[: field.index("</select>")]
    assert ">Tutti</option>" in field
    assert "Sconosciuto" not in field
    # The filter still filters (the API reads the same FilterSet).
    assert (
        client.get(reverse("cases:procedure_list"), {"high_complexity": "true"}).status_code == 200
    )


def test_step_tiles_read_as_number_then_step_and_an_empty_procedure_says_so(client):
    from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory

    procedure = CrisisProcedureFactory(lead="BG")
    ProductionUnitFactory(procedure=procedure, province_id="BG")
    client.force_login(UserFactory(province_staff=True, provinces=["BG"]))
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}  # the portal's default language is Italian
    detail = client.get(reverse("cases:procedure_detail", args=[procedure.pk]), **english)
    assert '<span class="step-count-n">0</span> <span class="step-count-label">' in (
        detail.content.decode()
    )
    workers = reverse("workers:procedure_workers", args=[procedure.pk])
    page = client.get(workers, **english).content.decode()
    assert "No worker has been taken in charge in this procedure yet." in page
    assert "No worker matches these filters." not in page


def test_a_move_to_the_step_the_worker_is_at_says_so_not_from_x_to_x():
    import datetime

    from crisi_portal.errors import DomainError
    from tests.workers.factories import InvolvementFactory
    from workers.services import involvement_move

    involvement = InvolvementFactory(unit__procedure__lead="BG")
    officer = UserFactory(province_staff=True, provinces=["BG"])
    with translation.override("it"), pytest.raises(DomainError) as refused:
        involvement_move(
            user=officer,
            involvement=involvement,
            to="STEP_1",
            effective_date=datetime.date(2025, 5, 1),
        )
    assert str(refused.value.message) == "È già a questo STEP (STEP 1): sceglierne un altro."
    assert "da STEP 1 a STEP 1" not in str(refused.value.message)


def test_reviewers_and_pdfs_do_not_show_internal_codes():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    for name in ("monitoring/pdf/_quarterly_measures.html", "pal/review/pip.html"):
        text = (root / name).read_text(encoding="utf-8")
        assert "measure.code" not in text and "rule_failure.code" not in text, name
