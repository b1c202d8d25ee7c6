"""Agreements on a procedure (issue #14 item 4; source 000, points 2-5; source 003)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Agreement
from monitoring.dashboard import chart_csv_rows, dashboard_data
from monitoring.periods import Period
from monitoring.reports import annual
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2025, 5, 1)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def data(**overrides) -> dict:
    return {
        "kind": "aziendale",
        "signed_on": DAY,
        "goals": ["retrain", "reemploy"],
        "parties": [
            {"role": "company", "name": "Acciaierie Orobiche S.p.A."},
            {"role": "union", "name": "FIOM-CGIL"},
            {"role": "union", "name": "FIM-CISL"},
        ],
        "workers_covered": 40,
        **overrides,
    }


@pytest.fixture
def procedure(db):
    """Led by BG, 40 workers involved in its one BG unit."""
    return ProductionUnitFactory(procedure=CrisisProcedureFactory(lead="BG")).procedure


def refused_on(field, call):
    with pytest.raises(ValidationError) as refused:
        call()
    assert field in refused.value.message_dict, refused.value.message_dict
    return refused.value.message_dict[field]


# --- The service's rules ------------------------------------------------------------------------


def test_the_lead_province_attaches_an_agreement_with_structured_parties(procedure, staff_bg):
    agreement = services.agreement_create(user=staff_bg, procedure=procedure, data=data())
    assert agreement.goals == ["retrain", "reemploy"]
    assert agreement.parties[1] == {"role": "union", "name": "FIOM-CGIL"}
    assert agreement.history.get().history_user == staff_bg
    # The procedure's own union_agreement_date is left as it was.
    procedure.refresh_from_db()
    assert procedure.union_agreement_date is None


def test_a_province_that_does_not_lead_the_procedure_may_not_attach_one(staff_mi, procedure):
    ProductionUnitFactory(procedure=procedure, in_province="MI")
    with pytest.raises(PermissionDenied):
        services.agreement_create(user=staff_mi, procedure=procedure, data=data())
    assert not Agreement.objects.exists()


def test_workers_covered_may_equal_the_workers_involved_but_not_exceed_them(procedure, staff_bg):
    services.agreement_create(user=staff_bg, procedure=procedure, data=data(workers_covered=40))
    message = refused_on(
        "workers_covered",
        lambda: services.agreement_create(
            user=staff_bg, procedure=procedure, data=data(workers_covered=41)
        ),
    )
    assert "40" in message[0]


def test_without_workers_involved_yet_only_the_floor_of_one_applies(staff_bg):
    procedure = ProductionUnitFactory(
        procedure=CrisisProcedureFactory(lead="BG"), workers_involved=0
    ).procedure
    services.agreement_create(user=staff_bg, procedure=procedure, data=data(workers_covered=500))
    refused_on(
        "workers_covered",
        lambda: services.agreement_create(
            user=staff_bg, procedure=procedure, data=data(workers_covered=0)
        ),
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"goals": []}, "goals"),
        ({"goals": ["sell_the_plant"]}, "goals"),
        ({"outplacement": True, "outplacement_text": "  "}, "outplacement_text"),
        ({"parties": [{"role": "church", "name": "X"}]}, "parties"),
        ({"parties": [{"role": "union", "name": ""}]}, "parties"),
        ({"parties": [{"role": "union", "name": "UGL"}] * 21}, "parties"),
        ({"kind": "informal"}, "kind"),
    ],
)
def test_refusals_name_the_field(procedure, staff_bg, overrides, field):
    refused_on(
        field,
        lambda: services.agreement_create(
            user=staff_bg, procedure=procedure, data=data(**overrides)
        ),
    )
    assert not Agreement.objects.exists()


def test_an_agreement_signed_today_is_accepted_tomorrow_refused(procedure, staff_bg):
    today = timezone.localdate()
    services.agreement_create(user=staff_bg, procedure=procedure, data=data(signed_on=today))
    refused_on(
        "signed_on",
        lambda: services.agreement_create(
            user=staff_bg,
            procedure=procedure,
            data=data(signed_on=today + datetime.timedelta(days=1)),
        ),
    )


def test_the_outplacement_text_is_dropped_when_the_clause_is_unticked(procedure, staff_bg):
    agreement = services.agreement_create(
        user=staff_bg,
        procedure=procedure,
        data=data(outplacement=True, outplacement_text="Programma di outplacement (punto 3)."),
    )
    agreement = services.agreement_update(
        user=staff_bg, agreement=agreement, data={"outplacement": False}
    )
    assert agreement.outplacement_text == ""
    assert agreement.history.count() == 2


# --- Pages --------------------------------------------------------------------------------------


def pdf(name="accordo.pdf", size=None) -> SimpleUploadedFile:
    body = b"%PDF-1.4\n% accordo sindacale\n%%EOF\n"
    if size is not None:
        body = body.ljust(size, b" ")
    return SimpleUploadedFile(name, body, "application/pdf")


def form_post(**overrides) -> dict:
    post = {
        "kind": "aziendale",
        "signed_on": "2025-05-01",
        "goals": ["keep_job"],
        "workers_covered": "12",
        "parties-TOTAL_FORMS": "2",
        "parties-INITIAL_FORMS": "0",
        "parties-MIN_NUM_FORMS": "0",
        "parties-MAX_NUM_FORMS": "20",
        "parties-0-role": "union",
        "parties-0-name": "UILM-UIL",
        "parties-1-role": "",
        "parties-1-name": "",
    }
    post.update(overrides)
    return post


@pytest.fixture
def client_bg(staff_bg):
    client = Client()
    client.force_login(staff_bg)
    return client


def test_the_form_creates_an_agreement_shown_on_the_procedure_page(procedure, client_bg):
    response = client_bg.post(
        reverse("cases:agreement_create", args=[procedure.pk]),
        form_post(document=pdf()),
    )
    assert response.status_code == 302
    agreement = Agreement.objects.get()
    assert agreement.parties == [{"role": "union", "name": "UILM-UIL"}]
    assert agreement.document.name.endswith("accordo.pdf")
    page = client_bg.get(procedure.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'id="agreement-{agreement.pk}"' in page
    assert "UILM-UIL" in page and "Keep the job" in page
    assert reverse("cases:agreement_document", args=[agreement.pk]) in page
    download = client_bg.get(reverse("cases:agreement_document", args=[agreement.pk]))
    assert download.status_code == 200
    assert b"accordo sindacale" in b"".join(download.streaming_content)
    download.close()


def test_the_form_refuses_a_document_of_another_kind_or_too_large(procedure, client_bg, settings):
    url = reverse("cases:agreement_create", args=[procedure.pk])
    response = client_bg.post(url, form_post(document=pdf("accordo.exe")))
    assert response.status_code == 422
    assert response.context["form"].errors["document"]
    settings.MAX_UPLOAD_SIZE = 100
    response = client_bg.post(url, form_post(document=pdf(size=101)))
    assert response.status_code == 422
    assert response.context["form"].errors["document"]
    assert not Agreement.objects.exists()


def test_the_form_shows_the_service_refusal_on_its_field(procedure, client_bg):
    response = client_bg.post(
        reverse("cases:agreement_create", args=[procedure.pk]),
        form_post(workers_covered="41"),
    )
    assert response.status_code == 422
    assert response.context["form"].errors["workers_covered"]


def test_editing_keeps_the_document_and_replaces_the_parties(procedure, client_bg, staff_bg):
    agreement = services.agreement_create(
        user=staff_bg, procedure=procedure, data=data(document=pdf())
    )
    response = client_bg.post(
        reverse("cases:agreement_update", args=[agreement.pk]),
        form_post(**{"parties-0-name": "UGL Metalmeccanici"}),
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.document
    assert agreement.parties == [{"role": "union", "name": "UGL Metalmeccanici"}]
    assert agreement.goals == ["keep_job"]


def test_the_procedure_page_reads_agreements_in_a_fixed_number_of_queries(
    procedure, client_bg, staff_bg, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.agreement_create(user=staff_bg, procedure=procedure, data=data())
    with CaptureQueriesContext(connection) as one:
        client_bg.get(procedure.get_absolute_url())
    for kind in ("territoriale", "settoriale", "ministeriale"):
        services.agreement_create(user=staff_bg, procedure=procedure, data=data(kind=kind))
    with django_assert_max_num_queries(len(one.captured_queries)):
        client_bg.get(procedure.get_absolute_url())


# --- API ----------------------------------------------------------------------------------------


def test_the_api_creates_and_reads_an_agreement(procedure, staff_bg, api_client_for):
    client = api_client_for(staff_bg)
    body = {
        **data(),
        "procedure": procedure.pk,
        "signed_on": "2025-05-01",
        "outplacement": True,
        "outplacement_text": "Ricollocazione con società di outplacement.",
    }
    response = client.post("/api/v1/agreements/", body, format="json")
    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["goals"] == ["retrain", "reemploy"]
    assert answer["parties"][0] == {"role": "company", "name": "Acciaierie Orobiche S.p.A."}
    assert answer["document_url"] is None
    listed = client.get(f"/api/v1/agreements/?procedure={procedure.pk}").json()
    assert [row["id"] for row in listed["results"]] == [answer["id"]]


def test_the_api_refuses_on_the_field(procedure, staff_bg, api_client_for):
    client = api_client_for(staff_bg)
    body = {**data(workers_covered=41), "procedure": procedure.pk, "signed_on": "2025-05-01"}
    response = client.post("/api/v1/agreements/", body, format="json")
    assert response.status_code in (400, 422)
    assert "workers_covered" in response.content.decode()
    assert not Agreement.objects.exists()


def test_a_multipart_body_carries_its_lists_as_json_and_they_are_checked(
    procedure, staff_bg, api_client_for
):
    """With a document the body is multipart: parties and goals come JSON-encoded, and are
    validated like a JSON body's (found by tools/api_fuzz.sh: they were silently dropped)."""
    import json

    client = api_client_for(staff_bg)
    parties = [{"role": "union", "name": "FIOM-CGIL"}]
    body = {
        "procedure": procedure.pk,
        "kind": "aziendale",
        "signed_on": "2025-05-01",
        "goals": json.dumps(["retrain"]),
        "parties": json.dumps(parties),
        "workers_covered": "1",
    }
    response = client.post("/api/v1/agreements/", body, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["parties"] == parties
    too_long = json.dumps([{"role": "union", "name": "x" * 201}])
    response = client.post("/api/v1/agreements/", {**body, "parties": too_long}, format="multipart")
    assert response.status_code in (400, 422)
    assert "parties" in response.content.decode()
    assert Agreement.objects.count() == 1


# --- Monitoring ---------------------------------------------------------------------------------


def test_the_dashboard_counts_agreements_by_kind_and_goal(staff_bg, region):
    bg = ProductionUnitFactory(procedure=CrisisProcedureFactory(lead="BG")).procedure
    mi = ProductionUnitFactory(procedure=CrisisProcedureFactory(lead="MI")).procedure
    ProductionUnitFactory(procedure=CrisisProcedureFactory(lead="BG"))  # no agreement
    services.agreement_create(user=None, procedure=bg, data=data(goals=["keep_job"]))
    services.agreement_create(
        user=None,
        procedure=bg,
        data=data(kind="territoriale", outplacement=True, outplacement_text="Punto 3."),
    )
    services.agreement_create(user=None, procedure=mi, data=data(workers_covered=10))

    regional = dashboard_data(region, live=True)["agreements"]
    rows = {row["kind"]: row for row in regional["by_kind"]}
    assert rows["aziendale"] == {
        "kind": "aziendale",
        "agreements": 2,
        "keep_job": 1,
        "retrain": 1,
        "reemploy": 1,
        "outplacement": 0,
        "workers_covered": 50,
    }
    assert rows["territoriale"]["outplacement"] == 1
    assert rows["settoriale"]["agreements"] == 0
    assert (regional["procedures"], regional["procedures_with_agreement"]) == (3, 2)
    assert regional["procedures_with_agreement_pct"] == 66.7

    mine = dashboard_data(staff_bg, live=True)["agreements"]
    assert sum(row["agreements"] for row in mine["by_kind"]) == 2
    assert (mine["procedures"], mine["procedures_with_agreement"]) == (2, 1)

    csv_rows = list(chart_csv_rows(dashboard_data(region, live=True), "agreements"))
    assert csv_rows[0][:3] == ["kind", "label", "agreements"]
    assert csv_rows[1][0] == "aziendale" and csv_rows[1][2] == 2


def test_the_dashboard_page_and_its_csv_work_without_javascript(region, procedure):
    services.agreement_create(user=None, procedure=procedure, data=data())
    client = Client()
    client.force_login(region)
    page = client.get(reverse("monitoring:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "Agreements by kind and goal" in html and "chart=agreements" in html
    response = client.get(reverse("monitoring:dashboard_csv") + "?chart=agreements")
    assert response.status_code == 200


def test_the_annual_notes_count_agreements_and_leave_the_table_as_it_was(procedure):
    period = Period.parse("annual", str(procedure.opened_on.year))
    before = annual(period)
    services.agreement_create(
        user=None, procedure=procedure, data=data(signed_on=procedure.opened_on)
    )
    after = annual(period)
    assert (after["rows"], after["total"]) == (before["rows"], before["total"])
    notes = after["notes"]
    assert (notes["procedures_opened"], notes["procedures_with_agreement"]) == (1, 1)
    aziendale = next(row for row in notes["agreements"] if row["kind"] == "aziendale")
    assert (aziendale["agreements"], aziendale["retrain"], aziendale["keep_job"]) == (1, 1, 0)
