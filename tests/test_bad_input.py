"""Issue #9 finding 6: bad input is a 400 problem naming the parameter (API) or a filter error
(HTML), never a 500, and changes nothing.

Each case here was a 500 before: ``updated_since`` with an offset PostgreSQL or the UTC
conversion cannot take, ``year`` outside what a date holds, ids and ``limit`` beyond 64 bits,
deleting a unit that has workers (whose ``ProtectedError`` named them in the error log), JSON
nested deeper than Python's recursion limit, and JSON bodies of any size.
"""

import datetime
import logging

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from cases.admin import ProductionUnitInline
from cases.models import CrisisProcedure, ProductionUnit
from crisi_portal.pagination import MAX_LIMIT
from crisi_portal.parsers import MAX_DEPTH
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.workers.factories import InvolvementFactory

pytestmark = pytest.mark.django_db

PROCEDURES = "/api/v1/procedures/"
PROBLEM = "application/problem+json"
HUGE = "99999999999999999999"  # more than 64 bits


def problem_fields(response, status: int = 400) -> list[str | None]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["detail"]
    return [error["field"] for error in body.get("errors", [])]


@pytest.fixture
def api(staff_bg, api_client_for):
    return api_client_for(staff_bg)


@pytest.fixture
def changed_at_noon_utc(db):
    """A BG procedure last changed at 12:00 UTC on 1 March 2025."""
    procedure = CrisisProcedureFactory(lead="BG", with_unit=True)
    noon = datetime.datetime(2025, 3, 1, 12, 0, tzinfo=datetime.UTC)
    CrisisProcedure.objects.filter(pk=procedure.pk).update(updated_at=noon)
    return procedure


# --- updated_since ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "included"),
    [
        ("2025-03-01T17:44:00+05:45", True),  # Nepal: 11:59 UTC
        ("2025-03-01T17:46:00+05:45", False),  # 12:01 UTC
        ("2025-03-02T01:59:00+14:00", True),  # Kiribati: 11:59 UTC
        ("2025-03-02T02:01:00+1400", False),
        ("2025-03-01T12:00:00-00:00", True),
        ("2025-03-01T12:00:01Z", False),
        ("2025-03-01T11:00:00+00", True),
        ("2025-03-01T02:01:00-09:59", True),  # 11:59 UTC
        ("2025-03-01", True),
    ],
)
def test_updated_since_takes_every_iso_8601_offset(value, included, api, changed_at_noon_utc):
    response = api.get(PROCEDURES, {"updated_since": value})

    assert response.status_code == 200, response.content
    listed = [row["external_id"] for row in response.json()["results"]]
    assert listed == ([changed_at_noon_utc.external_id] if included else [])


@pytest.mark.parametrize(
    ("parameter", "value"),
    [("updated_since", ""), ("updated_since", "  "), ("year", ""), ("high_complexity", "")]
    + [("province", ""), ("status", ""), ("limit", ""), ("offset", "")],
)
def test_an_empty_value_that_is_no_free_text_is_a_400_naming_it(parameter, value, api):
    """The schema gives these a format, a type or a choice: "" is none of them (issue #10)."""
    assert problem_fields(api.get(PROCEDURES, {parameter: value})) == [parameter]


def test_an_empty_free_text_filter_filters_nothing(api, changed_at_noon_utc):
    response = api.get(PROCEDURES, {"q": "", "external_id": ""})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [changed_at_noon_utc.pk]


@pytest.mark.parametrize(
    "value",
    [
        "2025-03-01T12:00:00+05:45:30",  # offset with seconds: not ISO 8601
        "2025-03-01T12:00:00+00:00:00.5",
        "0001-01-01T00:00:00+14:00",  # before year 1 once in UTC
        "9999-12-31T23:59:59-14:00",  # after year 9999 once in UTC
        "2025-03-01T12:00:00+24:00",
        "2025-03-01T12:00:00 05:45",  # an unencoded "+" read as a space
        "garbage",
        "\x00",
        "",  # a lost sync point, not "no filter" (issue #10: the schema says date-time)
        "  ",
    ],
)
def test_updated_since_that_cannot_be_read_is_a_400_naming_it(value, api, changed_at_noon_utc):
    assert problem_fields(api.get(PROCEDURES, {"updated_since": value})) == ["updated_since"]


def test_updated_since_that_cannot_be_read_is_a_filter_error_on_the_html_list(
    client, staff_bg, changed_at_noon_utc
):
    client.force_login(staff_bg)

    response = client.get(
        reverse("cases:procedure_list"), {"updated_since": "2025-03-01T12:00:00+05:45:30"}
    )

    assert response.status_code == 200
    assert "updated_since" in response.context["filterset"].errors
    assert changed_at_noon_utc.reference not in response.content.decode()


# --- year and ids -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-1", "10000", HUGE, "-1e309", "1e309", "nan", "inf", "x"])
def test_a_year_no_date_can_hold_is_a_400_naming_year(value, api, changed_at_noon_utc):
    assert problem_fields(api.get(PROCEDURES, {"year": value})) == ["year"]


def test_a_year_that_is_a_year_still_filters(api):
    opened_2024 = CrisisProcedureFactory(lead="BG", opened_on=datetime.date(2024, 5, 2))
    CrisisProcedureFactory(lead="BG", opened_on=datetime.date(2025, 5, 2))

    response = api.get(PROCEDURES, {"year": "2024"})

    assert [row["external_id"] for row in response.json()["results"]] == [opened_2024.external_id]


@pytest.mark.parametrize("value", ["0", HUGE, "-1e309", "nan", "9" * 5000])
def test_a_bad_year_is_a_filter_error_on_the_html_lists(value, client, staff_bg):
    client.force_login(staff_bg)
    CrisisProcedureFactory(lead="BG", opened_on=datetime.date(2025, 5, 2), external_id="BG-Y-1")

    listing = client.get(reverse("cases:procedure_list"), {"year": value})
    export = client.get(reverse("cases:procedure_export"), {"year": value})
    dashboard = client.get(reverse("monitoring:dashboard"), {"year": value})

    assert listing.status_code == 200 and "year" in listing.context["filterset"].errors
    assert "BG-Y-1" not in listing.content.decode()
    # The export streams (StreamingHttpResponse): the body is read from streaming_content.
    exported = b"".join(export.streaming_content).decode()
    assert export.status_code == 200 and "BG-Y-1" not in exported
    assert dashboard.status_code == 200
    assert "year" in dashboard.context["form"].errors


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        (PROCEDURES, "company"),
        ("/api/v1/units/", "procedure"),
        ("/api/v1/meetings/", "procedure"),
        ("/api/v1/involvements/", "unit"),
        ("/api/v1/involvements/", "cohort"),
        ("/api/v1/workers/", "procedure"),
    ],
)
@pytest.mark.parametrize("value", [HUGE, "-" + HUGE, "-1e309", "0", "1.5"])
def test_an_id_beyond_64_bits_or_not_an_id_is_a_400_naming_it(path, parameter, value, api):
    assert problem_fields(api.get(path, {parameter: value})) == [parameter]


def test_a_page_number_beyond_64_bits_on_the_html_worker_list_shows_the_last_page(client, staff_bg):
    involvement = InvolvementFactory(unit=ProductionUnitFactory(in_province="BG"))
    client.force_login(staff_bg)

    response = client.get(
        reverse("workers:procedure_workers", args=[involvement.procedure_id]), {"page": HUGE}
    )

    assert response.status_code == 200
    assert response.context["rows"] == [involvement]


# --- limit and offset ---------------------------------------------------------------------------


def test_a_limit_beyond_the_maximum_is_brought_down_to_it(api):
    CrisisProcedureFactory.create_batch(3, lead="BG")

    response = api.get(PROCEDURES, {"limit": HUGE, "offset": "1"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and len(body["results"]) == 2
    assert f"limit={MAX_LIMIT}" in body["previous"]


def test_an_offset_beyond_64_bits_is_an_empty_page(api):
    CrisisProcedureFactory.create_batch(2, lead="BG")

    response = api.get(PROCEDURES, {"offset": HUGE})
    longest = api.get(PROCEDURES, {"offset": "9" * 5000, "limit": "9" * 5000})

    assert response.status_code == 200 and longest.status_code == 200
    assert response.json()["count"] == 2 and response.json()["results"] == []


@pytest.mark.parametrize(
    ("parameter", "value"),
    [("limit", "-1"), ("limit", "0"), ("limit", "1e309"), ("limit", "nan"), ("offset", "-1")]
    + [("offset", "-" + HUGE), ("offset", "x")],
)
def test_a_limit_or_offset_that_is_no_count_is_a_400_naming_it(parameter, value, api):
    assert problem_fields(api.get(PROCEDURES, {parameter: value})) == [parameter]


@pytest.mark.parametrize("query", ["limit=", "offset=", "limit=%20"])
def test_an_empty_limit_or_offset_is_a_400_naming_it(query, api):
    # Found by tools/api_fuzz.sh: a blank limit/offset was the default (the schema: an integer).
    assert problem_fields(api.get(f"{PROCEDURES}?{query}")) == [query.split("=")[0]]


def test_a_blank_cursor_with_offset_paging_is_an_offset_page(api, changed_at_noon_utc):
    # Found by tools/api_fuzz.sh: "?paging=offset&offset=0&cursor=" was refused as a cursor page.
    response = api.get(f"{PROCEDURES}?paging=offset&offset=0&cursor=")
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 1


def test_a_cursor_on_an_offset_page_is_not_used(api, changed_at_noon_utc):
    cursor_page = api.get(PROCEDURES, {"paging": "cursor", "limit": 1}).json()
    assert cursor_page["next"] is None  # one procedure: take a cursor from a longer list
    CrisisProcedureFactory(lead="BG", with_unit=True)
    next_link = api.get(PROCEDURES, {"paging": "cursor", "limit": 1}).json()["next"]
    cursor = next_link.split("cursor=")[1].split("&")[0]
    # paging=offset decides (each parameter is valid alone, as the schema says): page one.
    response = api.get(f"{PROCEDURES}?paging=offset&cursor={cursor}&limit=1")
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 2
    assert response.json()["results"] == api.get(PROCEDURES, {"limit": 1}).json()["results"]


@pytest.mark.parametrize("value", ["-15408", "yes", "2"])
def test_a_boolean_filter_that_is_not_true_or_false_is_a_400_naming_it(value, api):
    # Found by tools/api_fuzz.sh: any other word meant "no filter" (NullBooleanField's unknown).
    response = api.get(PROCEDURES, {"high_complexity": value})
    assert problem_fields(response) == ["high_complexity"]


def test_a_boolean_filter_takes_true_and_false(api, changed_at_noon_utc):
    assert api.get(PROCEDURES, {"high_complexity": "false"}).json()["count"] == 1
    assert api.get(PROCEDURES, {"high_complexity": "true"}).json()["count"] == 0


# --- Deleting a unit that has workers -----------------------------------------------------------


def test_deleting_a_unit_with_workers_is_a_409_that_names_no_worker(api, caplog):
    unit = ProductionUnitFactory(in_province="BG")
    involvement = InvolvementFactory(unit=unit)
    worker = involvement.worker

    with caplog.at_level(logging.DEBUG):
        response = api.delete(f"/api/v1/units/{unit.pk}/")

    assert problem_fields(response, 409) == []
    text = response.content.decode() + caplog.text
    for identity in (worker.last_name, worker.first_name, worker.fiscal_code):
        assert identity not in text
    assert ProductionUnit.objects.filter(pk=unit.pk).exists()


def test_deleting_a_unit_with_workers_in_the_admin_is_a_form_error_naming_no_worker(admin_user):
    unit = ProductionUnitFactory(in_province="BG")
    worker = InvolvementFactory(unit=unit).worker
    request = RequestFactory().post("/")
    request.user = admin_user
    inline = ProductionUnitInline(CrisisProcedure, admin.site)
    formset_class = inline.get_formset(request, unit.procedure)
    prefix = formset_class.get_default_prefix()
    data = {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "1",
        f"{prefix}-0-id": str(unit.pk),
        f"{prefix}-0-procedure": str(unit.procedure_id),
        f"{prefix}-0-external_id": unit.external_id,
        f"{prefix}-0-name": unit.name,
        f"{prefix}-0-comune": unit.comune,
        f"{prefix}-0-province": unit.province_id,
        f"{prefix}-0-workers_involved": str(unit.workers_involved),
        f"{prefix}-0-DELETE": "on",
    }

    formset = formset_class(data, instance=unit.procedure, prefix=prefix)

    assert not formset.is_valid()
    errors = str(formset.errors)
    assert "workers taken in charge" in errors or "lavorator" in errors
    assert worker.last_name not in errors and worker.fiscal_code not in errors
    assert ProductionUnit.objects.filter(pk=unit.pk).exists()


# --- JSON bodies --------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5_000, 200_000])
def test_json_nested_too_deep_is_a_400_and_writes_nothing(depth, api):
    body = "[" * depth + "]" * depth

    response = api.post(PROCEDURES, body, content_type="application/json")

    assert problem_fields(response) == []
    assert response.json()["type"].endswith("parse_error")
    assert not CrisisProcedure.objects.exists()


def test_json_within_the_depth_bound_reaches_validation(api):
    body = {"external_id": [[[[["x"]]]]]}

    response = api.post(PROCEDURES, body, format="json")

    assert response.status_code == 422
    assert not CrisisProcedure.objects.exists()


def test_a_json_body_larger_than_the_bound_is_a_413(api, settings):
    settings.API_JSON_MAX_BYTES = 1_000
    body = '{"external_id": "' + "x" * 2_000 + '"}'

    response = api.post(PROCEDURES, body, content_type="application/json")

    assert problem_fields(response, 413) == []
    assert not CrisisProcedure.objects.exists()


def test_malformed_json_is_a_400(api):
    response = api.post(PROCEDURES, '{"external_id": ', content_type="application/json")

    assert problem_fields(response) == []


def test_any_protected_delete_the_api_meets_is_a_409_that_lists_nothing(admin_user):
    """The safety net behind the services: a ProtectedError from any delete."""
    from django.db.models import ProtectedError
    from rest_framework.test import APIRequestFactory, force_authenticate
    from rest_framework.views import APIView

    worker = InvolvementFactory().worker

    class DeletingView(APIView):
        def delete(self, request):
            raise ProtectedError(f"Cannot delete: {worker} refers to it", {worker})

    request = APIRequestFactory().delete("/api/v1/things/1/")
    force_authenticate(request, user=admin_user)
    response = DeletingView.as_view()(request).render()

    assert response.status_code == 409
    assert response["Content-Type"].startswith(PROBLEM)
    assert response.data["type"].endswith("protected") and response.data["detail"]
    assert worker.last_name not in response.content.decode()


# --- Media types ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data; boundary=BoUnDaRy", "application/x-www-form-urlencoded"]
)
def test_a_form_body_where_only_json_can_say_it_is_a_415(content_type, api):
    # Found by tools/api_fuzz.sh: the schema offered form encodings for every write, and the
    # bulk endpoints then read "items" as a string (422), PATCH read "null" as a date.
    body = (
        b'--BoUnDaRy\r\nContent-Disposition: form-data; name="items"\r\n\r\n[]\r\n--BoUnDaRy--\r\n'
        if content_type.startswith("multipart")
        else b"items=%5B%5D"
    )
    response = api.generic("POST", f"{PROCEDURES}bulk/", body, content_type=content_type)
    assert response.status_code == 415, response.content
    assert response["Content-Type"] == "application/problem+json"


def test_the_schema_offers_form_encodings_only_where_files_are_sent(admin_user, api_client_for):
    schema = api_client_for(admin_user).get("/api/v1/schema/?format=json").json()
    with_forms = sorted(
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
    )
    # Agreements carry their document as meetings carry their minutes (issue #14).
    assert with_forms == [
        "PATCH /api/v1/agreements/{id}/",
        "PATCH /api/v1/meetings/{id}/",
        "POST /api/v1/agreements/",
        "POST /api/v1/meetings/",
        "POST /api/v1/procedures/import/",
        "POST /api/v1/workers/import/",
        "PUT /api/v1/agreements/{id}/",
        "PUT /api/v1/meetings/{id}/",
    ]


# --- JSON types, ids that name nothing, If-Match (found by tools/api_fuzz.sh) -------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"external_id": 12345}, "external_id"),  # a string: 12345 is not "12345"
        ({"high_complexity": "yes"}, "high_complexity"),  # a boolean: "yes" is not true
        ({"high_complexity": 1}, "high_complexity"),
    ],
)
def test_a_json_value_of_another_type_is_refused_naming_the_field(
    body, field, api, changed_at_noon_utc
):
    before = CrisisProcedure.objects.values().get(pk=changed_at_noon_utc.pk)
    response = api.patch(f"{PROCEDURES}{changed_at_noon_utc.pk}/", body)
    assert problem_fields(response, 422) == [field]
    assert CrisisProcedure.objects.values().get(pk=changed_at_noon_utc.pk) == before


def test_a_multipart_body_still_carries_numbers_and_booleans_as_text():
    from django.http import QueryDict
    from rest_framework import serializers

    from crisi_portal import api_fields

    class Form(serializers.Serializer):
        number = api_fields.IntegerField()
        flag = api_fields.BooleanField()

    form = Form(data=QueryDict("number=5&flag=true"))
    assert form.is_valid(), form.errors
    assert form.validated_data == {"number": 5, "flag": True}
    assert not Form(data={"number": "5", "flag": "true"}).is_valid()  # JSON: the wrong types


def test_an_amount_may_be_a_decimal_string_or_a_number(region, api_client_for):
    from tests.pal.factories import measure

    dul = measure()
    client = api_client_for(region)
    for amount in ("4500.00", 4600):
        response = client.patch(f"/api/v1/measures/{dul.pk}/", {"max_per_worker": amount})
        assert response.status_code == 200, response.content
    dul.refresh_from_db()
    assert dul.max_per_worker == 4600


@pytest.mark.parametrize("path", ["/api/v1/doti/", "/api/v1/pips/", "/api/v1/networks/"])
def test_an_id_that_names_no_object_matches_nothing_and_one_beyond_bigint_is_a_400(
    path, admin_user, api_client_for
):
    client = api_client_for(admin_user)
    name = "measure" if path.endswith("networks/") else "operator"
    response = client.get(path, {name: "99999"})
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 0
    assert problem_fields(client.get(path, {name: "9223372036854775808"})) == [name]
    assert problem_fields(client.get(path, {name: "0"})) == [name]


def test_a_report_scope_that_names_nothing_matches_nothing(admin_user, api_client_for):
    response = api_client_for(admin_user).get("/api/v1/reports/", {"province": "ZZ"})
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 0


def test_an_empty_if_match_is_a_400_naming_it_and_changes_nothing(api, changed_at_noon_utc):
    before = CrisisProcedure.objects.values().get(pk=changed_at_noon_utc.pk)
    response = api.patch(
        f"{PROCEDURES}{changed_at_noon_utc.pk}/", {"external_id": "X-1"}, HTTP_IF_MATCH=" "
    )
    assert problem_fields(response) == ["If-Match"]
    assert CrisisProcedure.objects.values().get(pk=changed_at_noon_utc.pk) == before


def test_an_empty_ordering_is_the_default_order(api, changed_at_noon_utc):
    response = api.get(PROCEDURES, {"ordering": ""})
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 1


def test_a_multipart_body_whose_parts_have_no_name_is_a_400_and_changes_nothing(
    admin_user, api_client_for
):
    from tests.cases.factories import MeetingFactory

    meeting = MeetingFactory()
    before = type(meeting).objects.values().get(pk=meeting.pk)
    boundary = "a222103b9b30b1f9e8be6882ecedb1d2"
    response = api_client_for(admin_user).generic(
        "PATCH",
        f"/api/v1/meetings/{meeting.pk}/",
        f"--{boundary}\r\n[]--{boundary}--\r\n".encode(),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert problem_fields(response) == []
    assert type(meeting).objects.values().get(pk=meeting.pk) == before
