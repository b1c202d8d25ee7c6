"""One user per role of §1, and API clients authenticated with a real token."""

import datetime
import re

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from crisi_portal.models import ALL_SCOPES
from crisi_portal.services import api_token_issue
from tests.factories import UserFactory


@pytest.fixture
def staff_bg(db):
    return UserFactory(username="staff_bg", province_staff=True, provinces=["BG"])


@pytest.fixture
def staff_mi(db):
    return UserFactory(username="staff_mi", province_staff=True, provinces=["MI"])


@pytest.fixture
def region(db):
    return UserFactory(username="region", region_official=True)


@pytest.fixture
def operator_user(db):
    return UserFactory(username="operator", operator=True)


@pytest.fixture
def api_client(db):
    """A user with the api_client role (another regional system), unrestricted."""
    return UserFactory(username="api_system", api_client=True)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", admin=True)


OBJECT_PATH = re.compile(r"^(/api/v1/[a-z-]+/[0-9]+/)")


class IfMatchAPIClient(APIClient):
    """A client that reads the object first and sends its ETag in If-Match on every write, as
    a well-behaved system does (tests/test_concurrency.py covers clients that do not)."""

    def generic(self, method, path, *args, **kwargs):
        match = OBJECT_PATH.match(path)
        if method not in ("GET", "HEAD", "OPTIONS") and match and "HTTP_IF_MATCH" not in kwargs:
            etag = super().generic("GET", match.group(1)).get("ETag")
            if etag:
                kwargs["HTTP_IF_MATCH"] = etag
        return super().generic(method, path, *args, **kwargs)


@pytest.fixture
def api_client_for(db):
    """``api_client_for(user)``: a DRF client sending ``Authorization: Token <key>``, with a
    key issued as ``issue_token`` issues it (hashed, expiring in 90 days), with every scope
    unless ``scopes`` says otherwise."""

    def make(user, scopes=ALL_SCOPES, name: str = "tests", *, if_match: bool = False) -> APIClient:
        _token, key = api_token_issue(
            user=user,
            name=name,
            expires_at=timezone.now() + datetime.timedelta(days=90),
            scopes=scopes,
        )
        client = IfMatchAPIClient() if if_match else APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttle counters live in the cache: no test inherits another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
