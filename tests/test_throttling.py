"""Issue #9, must-work 6: rate limits per token/user, anonymous stricter, bulk writes stricter,
with the ModI headers (X-RateLimit-Limit/Remaining/Reset) and Retry-After on a 429."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
LIST = "/api/v1/procedures/"


@pytest.fixture
def rates(settings):
    """``rates(anon=..., user=..., import_=...)``: small limits for one test."""

    def set_rates(*, anon="3/minute", user="5/minute", import_="1000/minute"):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"anon": anon, "user": user, "import": import_},
        }

    return set_rates


def quota(response) -> tuple[int, int, int]:
    return (
        int(response["X-RateLimit-Limit"]),
        int(response["X-RateLimit-Remaining"]),
        int(response["X-RateLimit-Reset"]),
    )


def test_every_api_response_says_the_quota_left(rates, api_client, api_client_for):
    rates(user="5/minute")
    client = api_client_for(api_client)
    seen = [quota(client.get(LIST)) for _ in range(3)]
    assert [(limit, remaining) for limit, remaining, _reset in seen] == [(5, 4), (5, 3), (5, 2)]
    assert all(0 < reset <= 60 for _limit, _remaining, reset in seen)


def test_errors_and_unknown_api_urls_carry_the_headers_too(rates, api_client, api_client_for):
    rates(user="5/minute")
    client = api_client_for(api_client)
    for response in (
        client.get("/api/v1/procedures/999999/"),  # 404 from the viewset
        client.get("/api/v1/no-such-resource/"),  # 404 from the URL resolver
        client.get(LIST, {"limit": "x" * 5}),
    ):
        assert response.has_header("X-RateLimit-Remaining"), response.status_code


def test_past_the_limit_the_api_answers_429_problem_with_retry_after(
    rates, api_client, api_client_for
):
    rates(user="3/minute")
    client = api_client_for(api_client)
    statuses = [client.get(LIST).status_code for _ in range(3)]
    refused = client.get(LIST)
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused["Content-Type"] == PROBLEM
    assert refused.json()["status"] == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert quota(refused)[:2] == (3, 0)


def test_each_token_has_its_own_bucket(rates, api_client_for):
    rates(user="2/minute")
    first = api_client_for(UserFactory(username="system_a", api_client=True))
    second = api_client_for(UserFactory(username="system_b", api_client=True))
    for _ in range(2):
        assert first.get(LIST).status_code == 200
    assert first.get(LIST).status_code == 429
    response = second.get(LIST)
    assert response.status_code == 200
    assert quota(response)[1] == 1


def test_anonymous_callers_are_throttled_sooner_even_when_refused(
    rates, api_client, api_client_for
):
    rates(anon="2/minute", user="5/minute")
    anonymous = APIClient()
    answers = [anonymous.get(LIST) for _ in range(3)]
    assert [r.status_code for r in answers] == [401, 401, 429]
    assert quota(answers[0])[:2] == (2, 1)
    assert int(answers[2]["Retry-After"]) > 0
    assert answers[2]["Content-Type"] == PROBLEM
    # From the same address, a client with a token has its own (larger) bucket.
    assert api_client_for(api_client).get(LIST).status_code == 200


def test_a_wrong_token_counts_as_anonymous(rates):
    rates(anon="2/minute")
    guesser = APIClient()
    guesser.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    statuses = [guesser.get(LIST).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]


def test_a_forged_forwarded_for_header_does_not_open_a_new_bucket(rates):
    rates(anon="2/minute")
    anonymous = APIClient()
    statuses = [
        anonymous.get(LIST, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(3)
    ]
    assert statuses == [401, 401, 429]


def test_anonymous_allowed_endpoints_use_the_anonymous_bucket(rates):
    rates(anon="2/minute")
    anonymous = APIClient()
    statuses = [anonymous.get("/api/v1/").status_code for _ in range(3)]
    assert statuses[2] == 429
    assert statuses[:2] != [429, 429]


def test_imports_have_a_stricter_bucket_than_reads(rates, api_client, api_client_for):
    rates(user="100/minute", import_="2/minute")
    client = api_client_for(api_client)

    def upload():
        file = SimpleUploadedFile("p.csv", b"not,a,procedure,file\n", content_type="text/csv")
        return client.post("/api/v1/procedures/import/", {"file": file}, format="multipart")

    first, second, third = upload(), upload(), upload()
    assert first.status_code != 429 and second.status_code != 429
    assert third.status_code == 429
    assert quota(third)[:2] == (2, 0)
    assert third["Content-Type"] == PROBLEM
    # The import bucket is shared by every bulk endpoint, and reads still go through.
    file = SimpleUploadedFile("w.csv", b"x\n", content_type="text/csv")
    workers = client.post("/api/v1/workers/import/", {"file": file}, format="multipart")
    assert workers.status_code == 429
    assert client.get(LIST).status_code == 200


def test_cohort_moves_are_bulk_writes(rates, api_client, api_client_for):
    rates(user="100/minute", import_="1/minute")
    client = api_client_for(api_client)
    statuses = [client.post("/api/v1/cohorts/999999/move/", {}).status_code for _ in range(2)]
    assert statuses == [404, 429]


def test_html_import_pages_are_throttled(rates, client, staff_bg):
    rates(import_="2/minute")
    client.force_login(staff_bg)
    answers = [client.post("/procedures/import/", {}) for _ in range(3)]
    assert [a.status_code for a in answers[:2]] == [422, 422]
    assert answers[2].status_code == 429
    assert int(answers[2]["Retry-After"]) > 0
    # Only the POSTs count: the page itself still opens.
    assert client.get("/procedures/import/").status_code == 200


def test_an_api_request_with_a_host_not_allowed_is_a_400_not_a_server_error(db):
    # Refused before authentication runs, it has no user: counted as anonymous.
    response = APIClient().get(LIST, HTTP_HOST="not-allowed.example")
    assert response.status_code == 400
