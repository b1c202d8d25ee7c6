"""Meetings (issue #13, items 3 and 4): the form's rule on who convened a table, its scoped
procedure picker, and the names of other provinces' companies kept out of every view."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from cases.enums import MeetingKind
from cases.models import Meeting
from tests.cases.factories import CompanyFactory, CrisisProcedureFactory, MeetingFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def procedures(db):
    """A Bergamo, a Milano and a Pavia procedure, each with its unit in its province."""
    return {
        code: CrisisProcedureFactory(
            lead=code, with_unit=True, company=CompanyFactory(name=f"Azienda {name} S.p.A.")
        )
        for code, name in (("BG", "Bergamasca"), ("MI", "Milanese"), ("PV", "Pavese"))
    }


@pytest.fixture
def regional_table(procedures):
    return MeetingFactory(regional=True, procedures=list(procedures.values()))


def login(client, user):
    client.force_login(user)
    return client


# --- item 4: other provinces' companies ------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("staff_bg", {"Bergamasca"}),
        ("staff_mi", {"Milanese"}),
        ("region", {"Bergamasca", "Milanese", "Pavese"}),
        ("admin_user", {"Bergamasca", "Milanese", "Pavese"}),
    ],
)
def test_the_meeting_list_and_page_name_only_the_companies_the_viewer_sees(
    client, request, regional_table, role, sees
):
    login(client, request.getfixturevalue(role))
    listing = client.get(reverse("cases:meeting_list"), **EN).content.decode()
    detail = client.get(regional_table.get_absolute_url(), **EN).content.decode()
    for name in ("Bergamasca", "Milanese", "Pavese"):
        assert (f"Azienda {name}" in listing) == (name in sees), name
        assert (f"Azienda {name}" in detail) == (name in sees), name


def test_an_operator_sees_no_meeting_at_all(client, operator_user, regional_table):
    login(client, operator_user)
    assert client.get(reverse("cases:meeting_list")).status_code == 403


def test_the_api_lists_only_the_procedure_ids_the_caller_sees(
    staff_bg, region, procedures, regional_table
):
    api = APIClient()
    api.force_authenticate(staff_bg)
    listed = api.get(reverse("meeting-list")).json()["results"]
    one = api.get(reverse("meeting-detail", args=[regional_table.pk])).json()
    assert [m["procedures"] for m in listed] == [[procedures["BG"].pk]]
    assert one["procedures"] == [procedures["BG"].pk]
    api.force_authenticate(region)
    assert sorted(
        api.get(reverse("meeting-detail", args=[regional_table.pk])).json()["procedures"]
    ) == sorted(p.pk for p in procedures.values())


def test_filtering_meetings_by_a_procedure_out_of_scope_finds_nothing(
    client, staff_bg, procedures, regional_table
):
    login(client, staff_bg)
    url = reverse("cases:meeting_list")
    assert client.get(url, {"procedure": procedures["MI"].pk}).context["paginator"].count == 0
    assert client.get(url, {"procedure": procedures["BG"].pk}).context["paginator"].count == 1


def test_saving_a_meeting_keeps_the_procedures_its_editor_does_not_see(
    client, staff_bg, procedures
):
    shared = MeetingFactory(convened_by="BG", procedures=[procedures["BG"], procedures["MI"]])
    login(client, staff_bg)
    response = client.post(
        reverse("cases:meeting_update", args=[shared.pk]),
        {
            "kind": "bilaterale",
            "date": "2025-05-06",
            "province": "BG",
            "procedures": [procedures["BG"].pk],
        },
    )
    assert response.status_code == 302
    assert set(shared.procedures.values_list("external_id", flat=True)) == {
        procedures["BG"].external_id,
        procedures["MI"].external_id,
    }


# --- item 3: who convened it, and the picker -------------------------------------------------


def test_a_regional_table_with_a_convening_province_is_refused_on_that_field(procedures):
    meeting = Meeting(kind=MeetingKind.REGIONALE, date=datetime.date(2025, 5, 6), province_id="BG")
    with pytest.raises(ValidationError) as refused:
        meeting.full_clean()
    assert list(refused.value.message_dict) == ["province"]


def test_the_api_refuses_a_regional_table_with_a_province_naming_the_field(admin_user, procedures):
    api = APIClient()
    api.force_authenticate(admin_user)
    response = api.post(
        reverse("meeting-list"),
        {
            "kind": "regionale",
            "date": "2025-05-06",
            "province": "BG",
            "procedures": [procedures["BG"].pk],
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code in (400, 422)
    assert "province" in response.content.decode()
    assert not Meeting.objects.exists()


def test_staff_must_name_their_nucleo_and_are_not_offered_the_regional_table(client, staff_bg):
    login(client, staff_bg)
    form = client.get(reverse("cases:meeting_create"), **EN).context["form"]
    assert form.fields["province"].required
    assert MeetingKind.REGIONALE not in [value for value, _ in form.fields["kind"].choices]
    assert "Region" not in str(form.fields["province"].help_text)


def test_region_officials_record_the_region_tables_without_a_province(client, region, procedures):
    login(client, region)
    assert "province" not in client.get(reverse("cases:meeting_create")).context["form"].fields
    response = client.post(
        reverse("cases:meeting_create"),
        {"kind": "regionale", "date": "2025-05-06", "procedures": [procedures["MI"].pk]},
    )
    assert response.status_code == 302
    assert Meeting.objects.get().province is None


def test_admins_may_not_give_a_regional_table_a_province(client, admin_user, procedures):
    login(client, admin_user)
    response = client.post(
        reverse("cases:meeting_create"),
        {
            "kind": "regionale",
            "date": "2025-05-06",
            "province": "BG",
            "procedures": [procedures["BG"].pk],
        },
        **EN,
    )
    assert response.status_code == 422
    assert "leave “Convened by” empty" in response.content.decode()
    assert not Meeting.objects.exists()


def test_the_picker_offers_only_procedures_in_scope(client, staff_bg, procedures):
    login(client, staff_bg)
    body = client.get(reverse("cases:meeting_create"), **EN).content.decode()
    assert "Azienda Bergamasca" in body
    assert "Azienda Milanese" not in body
    assert '<legend class="portal-legend">Procedures discussed' in body


def test_the_picker_search_keeps_what_was_typed_and_ticked_without_javascript(
    client, staff_bg, procedures
):
    other = CrisisProcedureFactory(
        lead="BG", with_unit=True, company=CompanyFactory(name="Tessiture Orobiche")
    )
    login(client, staff_bg)
    response = client.post(
        reverse("cases:meeting_create"),
        {
            "kind": "sindacale",
            "date": "2025-05-06",
            "province": "BG",
            "notes": "RSU",
            "procedures": [procedures["BG"].pk],
            "procedure_q": "tessit",
            "search_procedures": "1",
        },
        **EN,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert not Meeting.objects.exists()
    picker = response.context["picker"]
    assert picker.selected == [procedures["BG"]]
    assert picker.matches == [other]
    assert "RSU</textarea>" in body
    assert "is-invalid" not in body


def test_the_htmx_search_answers_with_the_options_in_scope(client, staff_bg, procedures):
    login(client, staff_bg)
    url = reverse("cases:meeting_procedure_picker")
    for query, found in (("azienda", "Bergamasca"), ("milanese", None)):
        body = client.post(url, {"procedure_q": query}, **EN).content.decode()
        assert ("Azienda Bergamasca" in body) == (found == "Bergamasca")
        assert "Azienda Milanese" not in body
    assert client.post(url, {"procedures": [procedures["MI"].pk]}).context["picker"].selected == []


def test_a_procedure_out_of_scope_posted_anyway_is_refused_on_the_field(
    client, staff_bg, procedures
):
    login(client, staff_bg)
    response = client.post(
        reverse("cases:meeting_create"),
        {
            "kind": "sindacale",
            "date": "2025-05-06",
            "province": "BG",
            "procedures": [procedures["MI"].pk],
        },
        **EN,
    )
    assert response.status_code == 422
    assert "Choose procedures from the list." in response.content.decode()
    assert not Meeting.objects.exists()
