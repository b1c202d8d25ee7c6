"""Passwords and sessions (issue #9, finding 7 and 9; ASVS V6.2, V7.3)."""

import datetime
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory, log_in

pytestmark = pytest.mark.django_db

GOOD = "vetro-quercia-ruscello-7"


@pytest.fixture
def english(settings):
    """These tests read the English messages; the portal's default language is Italian."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def mario(db):
    return UserFactory(
        username="mario.rossi", first_name="Mario", last_name="Rossi", province_staff=True
    )


# --- Password rules ------------------------------------------------------------------------


class TestPasswordRules:
    @pytest.mark.parametrize(
        ("password", "why"),
        [
            ("Lombardia2025", "a local word with a year"),
            ("Password2025!", "a common word with digits and a symbol"),
            ("milano!!2024", "a town with decoration"),
            ("short-1aA", "fewer than 12 characters"),
            ("123456789012345", "only digits"),
            ("iloveyou1234", "on the common-passwords list"),
            ("mario.rossi.12", "too like the username"),
        ],
    )
    def test_weak_passwords_are_refused(self, mario, password, why):
        with pytest.raises(ValidationError):
            validate_password(password, user=mario)

    def test_lombardia2025_is_refused_with_a_clear_reason(self, mario, english):
        with pytest.raises(ValidationError) as refused:
            validate_password("Lombardia2025", user=mario)
        assert refused.value.messages == [
            "This password is a common word with digits or symbols added."
        ]

    @pytest.mark.parametrize("password", [GOOD, "Il treno delle 7 per Lecco", "q8#Lm2!vRt0z"])
    def test_a_long_uncommon_password_is_accepted(self, mario, password):
        validate_password(password, user=mario)

    def test_the_minimum_length_is_twelve(self, mario, english):
        with pytest.raises(ValidationError) as refused:
            validate_password("q8#Lm2!vRt0", user=mario)
        assert "at least 12 characters" in refused.value.messages[0]


# --- Changing one's own password -----------------------------------------------------------


class TestPasswordChange:
    def change(self, client: Client, old: str, new: str):
        return client.post(
            reverse("password_change"),
            {"old_password": old, "new_password1": new, "new_password2": new},
        )

    def test_the_page_is_linked_from_the_header(self, client, mario):
        client.force_login(mario)
        body = client.get(reverse("home")).content.decode()
        assert f'href="{reverse("password_change")}"' in body

    def test_a_weak_new_password_is_refused_and_nothing_changes(self, client, mario, english):
        client.force_login(mario)
        response = self.change(client, "correct horse battery staple", "Lombardia2025")
        assert response.status_code == 200
        assert "common word with digits" in response.content.decode()
        mario.refresh_from_db()
        assert mario.check_password("correct horse battery staple")

    def test_a_wrong_current_password_is_refused(self, client, mario):
        client.force_login(mario)
        response = self.change(client, "not my password", GOOD)
        assert response.status_code == 200
        mario.refresh_from_db()
        assert not mario.check_password(GOOD)

    def test_a_good_password_is_set_and_other_sessions_end(self, client, mario):
        elsewhere = Client()
        elsewhere.force_login(mario)
        client.force_login(mario)

        response = self.change(client, "correct horse battery staple", GOOD)

        assert response.status_code == 302
        assert response["Location"] == reverse("password_change_done")
        mario.refresh_from_db()
        assert mario.check_password(GOOD)
        assert client.get(reverse("home")).status_code == 200  # this session goes on
        assert elsewhere.get(reverse("home")).status_code == 302  # the other one is over

    def test_the_demo_accounts_still_log_in(self, client):
        # seed_demo hashes "demo-password" directly: validators only guard changes.
        from crisi_portal.demo.reference import DEMO_PASSWORD

        UserFactory(username="nucleo.bg", password=DEMO_PASSWORD)
        assert log_in(client, "nucleo.bg", DEMO_PASSWORD)


# --- Sessions ------------------------------------------------------------------------------


def session_of(client: Client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


class TestSessions:
    def test_the_default_idle_timeout_is_thirty_minutes(self):
        assert settings.SESSION_COOKIE_AGE == 30 * 60
        assert settings.SESSION_SAVE_EVERY_REQUEST

    def test_the_idle_timeout_comes_from_the_environment(self):
        env = {**os.environ, "SESSION_IDLE_MINUTES": "5", "DJANGO_SECRET_KEY": "x"}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        code = (
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='crisi_portal.settings.base';"
            "from django.conf import settings; print(settings.SESSION_COOKIE_AGE)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == "300"

    def test_each_request_pushes_the_expiry_back(self, client, mario):
        client.force_login(mario)
        Session.objects.filter(session_key=client.session.session_key).update(
            expire_date=timezone.now() + datetime.timedelta(minutes=1)
        )
        assert client.get(reverse("home")).status_code == 200
        left = session_of(client).expire_date - timezone.now()
        assert datetime.timedelta(minutes=29) < left <= datetime.timedelta(minutes=30)

    def test_an_idle_session_is_over(self, client, mario):
        client.force_login(mario)
        assert client.get(reverse("home")).status_code == 200
        # Thirty minutes without a request.
        Session.objects.filter(session_key=client.session.session_key).update(
            expire_date=timezone.now() - datetime.timedelta(seconds=1)
        )
        response = client.get(reverse("home"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_the_session_cookie_ends_with_the_browser(self, client, mario):
        response = client.post(
            reverse("login"),
            {"username": "mario.rossi", "password": "correct horse battery staple"},
        )
        assert response.status_code == 302
        cookie = response.cookies[settings.SESSION_COOKIE_NAME]
        assert cookie["expires"] == "" and cookie["max-age"] == ""
        assert client.session[SESSION_KEY] == str(mario.pk)
