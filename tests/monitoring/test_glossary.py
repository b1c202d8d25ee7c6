"""The glossary (issue #13): every step, family, period kind, measure and exemption reason the
portal offers is explained, in Italian and English, and linked from where the terms are used."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from cases.enums import Family
from pal.models import Measure
from tests.cases.factories import CrisisProcedureFactory
from tests.factories import UserFactory
from workers.enums import Step
from workers.models import ExemptionReason

pytestmark = pytest.mark.django_db
URL = reverse("glossary")


@pytest.mark.parametrize("role", ["province_staff", "region_official", "operator"])
def test_every_term_the_forms_offer_is_explained(client, role):
    client.force_login(UserFactory(**{role: True}))
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for step in Step:
        assert f'id="step-{step.value}"' in page and str(step.label) in page
    for family in Family:
        assert str(family.label) in page
    for measure in Measure.objects.all():
        assert escape(measure.name) in page
        assert measure.code not in page  # the internal code is not for people
    for reason in ExemptionReason.objects.filter(is_active=True):
        assert escape(reason.label) in page
    assert "2025-B3" in page and "B1 is January–February" in page


def test_the_glossary_speaks_italian(client):
    client.force_login(UserFactory(province_staff=True))
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "Glossario" in page
    assert "STEP 1 – presa in carico" in page


def test_the_glossary_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_pages_that_use_the_terms_link_to_them(client):
    procedure = CrisisProcedureFactory(lead="BG", with_unit=True)
    client.force_login(UserFactory(province_staff=True, provinces=["BG"]))
    for url in (
        reverse("cases:procedure_detail", args=[procedure.pk]),
        reverse("workers:procedure_workers", args=[procedure.pk]),
    ):
        assert f"{URL}#steps" in client.get(url).content.decode(), url
    client.force_login(UserFactory(operator=True))
    assert f"{URL}#terms" in client.get(reverse("pal:operator_home")).content.decode()
