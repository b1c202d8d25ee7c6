"""API tokens (issue #9, finding 7): hashed at rest, expiring, revocable, shown once."""

import datetime
import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from crisi_portal.models import ALL_SCOPES, ApiToken
from crisi_portal.services import api_token_issue
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
PATH = "/api/v1/procedures/"


def issue(user, days: int = 30, name: str = "gestionale") -> tuple[ApiToken, str]:
    return api_token_issue(
        user=user,
        name=name,
        expires_at=timezone.now() + datetime.timedelta(days=days),
        scopes=ALL_SCOPES,
    )


def get(key: str | None, scheme: str = "Token"):
    client = APIClient()
    if key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"{scheme} {key}")
    return client.get(PATH)


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def system(db):
    return UserFactory(username="sistema", api_client=True)


class TestStorage:
    def test_the_key_is_not_stored_only_its_digest(self, system):
        token, key = issue(system)
        prefix, secret = key.split(".")
        row = ApiToken.objects.filter(pk=token.pk).values().get()
        assert row["prefix"] == prefix
        assert row["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()
        assert not any(secret in str(value) for value in row.values())

    def test_issue_token_prints_the_key_once_and_it_works(self, system):
        out, err = run("issue_token", "sistema", "--name", "SIUL", "--expires", "10d")
        key = out.strip()
        token = ApiToken.objects.get()
        assert token.name == "SIUL"
        assert key.startswith(token.prefix + ".")
        assert key not in err  # the note on stderr names the prefix, never the key
        assert "cannot be shown again" in err
        expected = timezone.now() + datetime.timedelta(days=10)
        assert abs(token.expires_at - expected) < datetime.timedelta(minutes=1)
        assert get(key).status_code == 200


class TestExpiry:
    def test_expires_takes_a_date(self, system):
        run("issue_token", "sistema", "--expires", "2027-01-31")
        expires = timezone.localtime(ApiToken.objects.get().expires_at)
        assert (expires.date(), expires.hour) == (datetime.date(2027, 1, 31), 23)

    @pytest.mark.parametrize("value", ["0d", "2020-01-01", "yesterday", "9999d"])
    def test_a_bad_or_past_or_too_long_expiry_is_refused(self, system, value):
        with pytest.raises(CommandError):
            run("issue_token", "sistema", "--expires", value)
        assert not ApiToken.objects.exists()

    def test_an_expired_token_is_refused_like_no_credentials(self, system):
        token, key = issue(system)
        assert get(key).status_code == 200
        ApiToken.objects.filter(pk=token.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=2),
            expires_at=timezone.now() - datetime.timedelta(seconds=1),
        )
        response, anonymous = get(key), get(None)
        assert response.status_code == anonymous.status_code == 401
        assert response["Content-Type"].startswith(PROBLEM)
        assert response["WWW-Authenticate"] == anonymous["WWW-Authenticate"]


class TestRevocation:
    def test_a_revoked_token_is_refused(self, system):
        token, key = issue(system)
        other, other_key = issue(system, name="other")
        assert get(key).status_code == 200
        run("issue_token", "sistema", "--rotate")
        token.refresh_from_db()
        assert token.revoked_at is not None
        response = get(key)
        assert response.status_code == 401
        assert response["Content-Type"].startswith(PROBLEM)
        assert "WWW-Authenticate" in response
        assert get(other_key).status_code == 401

    def test_a_deactivated_user_s_token_is_refused(self, system):
        _token, key = issue(system)
        system.is_active = False
        system.save()
        assert get(key).status_code == 401

    def test_a_wrong_secret_with_a_real_prefix_is_refused(self, system):
        token, key = issue(system)
        assert get(f"{token.prefix}.{'A' * 43}").status_code == 401
        assert get(token.prefix).status_code == 401
        assert get(key + "x").status_code == 401


class TestSchemes:
    @pytest.mark.parametrize("scheme", ["Token", "Bearer", "bearer"])
    def test_token_and_bearer_are_accepted(self, system, scheme):
        _token, key = issue(system)
        assert get(key, scheme).status_code == 200

    def test_the_last_use_is_recorded(self, system):
        token, key = issue(system)
        assert token.last_used_at is None
        get(key)
        token.refresh_from_db()
        assert token.last_used_at is not None

    def test_the_answer_does_not_tell_expired_from_unknown(self, system):
        token, key = issue(system)
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
        assert get(key).json()["detail"] == get("nope.nope").json()["detail"]


class TestAdmin:
    def test_the_admin_lists_tokens_without_secrets_and_revokes_them(self, client):
        admin = UserFactory(username="root", admin=True)
        token, key = issue(UserFactory(username="sistema", api_client=True))
        client.force_login(admin)
        changelist = reverse("admin:crisi_portal_apitoken_changelist")
        body = client.get(changelist).content.decode()
        assert token.prefix in body
        assert key.split(".")[1] not in body and token.secret_hash not in body
        change = client.get(reverse("admin:crisi_portal_apitoken_change", args=[token.pk]))
        assert token.secret_hash not in change.content.decode()

        response = client.post(
            changelist, {"action": "revoke", "_selected_action": [token.pk]}, follow=True
        )
        assert response.status_code == 200
        token.refresh_from_db()
        assert token.revoked_at is not None
        assert get(key).status_code == 401

    def test_the_admin_cannot_delete_tokens(self, client):
        # Issuing through the admin (issue #10): tests/test_api_scopes.py::TestAdmin.
        token, _key = issue(UserFactory(username="sistema", api_client=True))
        client.force_login(UserFactory(username="root", admin=True))
        delete = reverse("admin:crisi_portal_apitoken_delete", args=[token.pk])
        assert client.get(delete).status_code == 403
        assert ApiToken.objects.filter(pk=token.pk).exists()
