"""Login lockout and throttling (issue #9, finding 7; ASVS V6.3): django-axes per username and
address, and a brake per address against password spraying."""

import datetime
import logging
import os
import subprocess
import sys

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RIGHT = "correct horse battery staple"
HOME_IP = "10.0.0.1"


@pytest.fixture(autouse=True)
def fresh_cache():
    # The per-address failure counters live in the cache, which outlives a test's transaction.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def mario(db):
    return UserFactory(username="mario", province_staff=True)


def attempt(client: Client, username: str, password: str, ip: str = HOME_IP):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def hammer(username: str, times: int = 30, ip: str = HOME_IP) -> None:
    client = Client()
    for number in range(times):
        attempt(client, username, f"wrong password {number}", ip)


class TestLockout:
    def test_thirty_wrong_passwords_then_the_right_one_is_refused(self, mario, english):
        hammer("mario")
        client = Client()

        response = attempt(client, "mario", RIGHT)

        assert response.status_code == 429
        assert not logged_in(client)
        body = response.content.decode()
        assert "Too many failed login attempts for this account" in body
        assert "15 minutes" in body
        assert response["Retry-After"] == str(15 * 60)

    def test_the_lockout_starts_at_the_failure_limit(self, mario, settings):
        client = Client()
        for number in range(settings.AXES_FAILURE_LIMIT - 1):
            assert attempt(client, "mario", f"wrong {number}").status_code == 200
        assert attempt(client, "mario", "wrong again").status_code == 429

    def test_failures_are_recorded(self, mario, caplog):
        with caplog.at_level(logging.WARNING, logger="axes"):
            hammer("mario", times=6)
        record = AccessAttempt.objects.get(username="mario", ip_address=HOME_IP)
        assert record.failures_since_start >= 5
        assert AccessFailureLog.objects.filter(username="mario").count() == 6
        assert any("Locking out" in message for message in caplog.messages)
        assert not any("wrong password" in message for message in caplog.messages)

    def test_another_user_from_the_same_address_is_not_affected(self, mario):
        UserFactory(username="lucia")
        hammer("mario")
        client = Client()
        attempt(client, "lucia", RIGHT)
        assert logged_in(client)

    def test_the_same_user_from_another_address_is_not_affected(self, mario):
        hammer("mario")
        client = Client()
        attempt(client, "mario", RIGHT, ip="10.0.0.2")
        assert logged_in(client)

    def test_the_admin_login_is_locked_too(self, mario):
        UserFactory(username="root", admin=True)
        hammer("root")
        client = Client()
        response = client.post(
            reverse("admin:login"), {"username": "root", "password": RIGHT}, REMOTE_ADDR=HOME_IP
        )
        assert response.status_code == 429
        assert not logged_in(client)

    def test_after_the_cool_off_the_user_logs_in(self, mario):
        hammer("mario")
        AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
        client = Client()
        attempt(client, "mario", RIGHT)
        assert logged_in(client)

    def test_the_cool_off_and_limit_come_from_the_environment(self):
        env = {
            **os.environ,
            "AXES_COOLOFF_MINUTES": "60",
            "AXES_FAILURE_LIMIT": "3",
            "DJANGO_SECRET_KEY": "x",
            "DJANGO_SETTINGS_MODULE": "crisi_portal.settings.base",
        }
        code = (
            "from django.conf import settings;"
            "print(settings.AXES_COOLOFF_TIME.total_seconds(), settings.AXES_FAILURE_LIMIT)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.split() == ["3600.0", "3"]


class TestUnlock:
    def test_axes_reset_unlocks(self, mario):
        hammer("mario")
        assert attempt(Client(), "mario", RIGHT).status_code == 429
        call_command("axes_reset_username", "mario")
        client = Client()
        attempt(client, "mario", RIGHT)
        assert logged_in(client)

    def test_axes_reset_unlocks_everyone(self, mario):
        hammer("mario")
        assert attempt(Client(), "mario", RIGHT).status_code == 429
        call_command("axes_reset")
        client = Client()
        attempt(client, "mario", RIGHT)
        assert logged_in(client)

    def test_an_administrator_unlocks_from_the_admin(self, mario):
        hammer("mario")
        assert attempt(Client(), "mario", RIGHT).status_code == 429
        admin = Client()
        admin.force_login(UserFactory(username="root", admin=True))
        changelist = reverse("admin:axes_accessattempt_changelist")
        assert "mario" in admin.get(changelist).content.decode()
        pks = list(AccessAttempt.objects.filter(username="mario").values_list("pk", flat=True))
        admin.post(
            changelist, {"action": "delete_selected", "_selected_action": pks, "post": "yes"}
        )
        assert not AccessAttempt.objects.filter(username="mario").exists()
        client = Client()
        attempt(client, "mario", RIGHT)
        assert logged_in(client)


class TestAddressBrake:
    def test_an_address_trying_many_usernames_is_stopped(self, mario, settings, english):
        settings.LOGIN_FAILURES_PER_ADDRESS = 10
        client = Client()
        for number in range(10):  # one failure each: axes alone would never lock
            assert attempt(client, f"guess{number}", "Lombardia2025").status_code == 200

        response = attempt(client, "mario", RIGHT)

        assert response.status_code == 429
        assert "from this network address" in response.content.decode()
        assert int(response["Retry-After"]) > 0
        assert not logged_in(client)

    def test_other_addresses_go_on(self, mario, settings):
        settings.LOGIN_FAILURES_PER_ADDRESS = 10
        for number in range(10):
            attempt(Client(), f"guess{number}", "Lombardia2025")
        client = Client()
        attempt(client, "mario", RIGHT, ip="10.0.0.9")
        assert logged_in(client)

    def test_behind_a_proxy_the_forwarded_address_counts(self, mario, settings):
        settings.TRUSTED_PROXY_COUNT = 1
        proxy = "10.9.9.9"

        def through_proxy(client, password, forwarded):
            return client.post(
                reverse("login"),
                {"username": "mario", "password": password},
                REMOTE_ADDR=proxy,
                HTTP_X_FORWARDED_FOR=forwarded,
            )

        # An attacker who also sends their own X-Forwarded-For: the proxy appends the real one.
        for number in range(30):
            through_proxy(Client(), f"wrong {number}", "192.0.2.1, 203.0.113.5")
        assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.5"]
        assert through_proxy(Client(), RIGHT, "203.0.113.5").status_code == 429
        # Mario at his desk, behind the same proxy, is not locked out.
        assert through_proxy(Client(), RIGHT, "198.51.100.7").status_code == 302


def test_a_locked_api_caller_gets_a_problem(rf, english):
    # The API has no password login today; should one be added, its lockout is a problem.
    from crisi_portal.security import lockout_response

    response = lockout_response(rf.post("/api/v1/login/"))
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == str(15 * 60)
    assert "Too many failed login attempts" in response.content.decode()
