"""Single sign-on with OpenID Connect (issue #9, must-work 5), against a real provider.

The provider below is a small HTTP server on 127.0.0.1, run in a thread for each test: an
authorization endpoint (the person is taken as signed in: it sends the browser straight back
with a code), a token endpoint issuing RS256-signed id_tokens and checking PKCE, a JWKS
endpoint and a userinfo endpoint. The portal talks to it over HTTP exactly as to the Region's.
"""

import base64
import hashlib
import json
import logging
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from crisi_portal.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CLIENT_ID = "crisi-portal"
CLIENT_SECRET = "provider-shared-secret"
FISCAL_CODE = "RSSMRA80A01F205X"
SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeProvider(ThreadingHTTPServer):
    """An OpenID provider with fixed endpoints (no discovery), for one test."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ProviderHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.issuer = self.url
        self.identity: dict = {}  # the claims of whoever signs in next
        self.claims_in_id_token = False
        self.audience = CLIENT_ID
        self.signing_key = SIGNING_KEY
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.requests_seen: list[str] = []


class ProviderHandler(BaseHTTPRequestHandler):
    server: FakeProvider

    def log_message(self, format, *args):  # keep the test output quiet
        pass

    def reply(self, status: int, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlsplit(self.path)
        self.server.requests_seen.append(url.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if url.path == "/authorize":
            return self.authorize(query)
        if url.path == "/jwks":
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(SIGNING_KEY.public_key()))
            return self.reply(200, {"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]})
        if url.path == "/userinfo":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in self.server.access_tokens:
                return self.reply(401, {"error": "invalid_token"})
            return self.reply(200, self.server.access_tokens[token])
        return self.reply(404, {"error": "not_found"})

    def authorize(self, query):
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            return self.reply(400, {"error": "invalid_request"})
        code = secrets.token_urlsafe(16)
        self.server.codes[code] = {
            "nonce": query.get("nonce"),
            "challenge": query.get("code_challenge"),
            "redirect_uri": query["redirect_uri"],
            "identity": dict(self.server.identity),
        }
        target = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})
        return self.reply(302, headers={"Location": target})

    def do_POST(self):
        self.server.requests_seen.append(self.path)
        if self.path != "/token":
            return self.reply(404, {"error": "not_found"})
        length = int(self.headers.get("Content-Length", 0))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        grant = self.server.codes.pop(form.get("code", ""), None)
        if (
            grant is None
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("redirect_uri") != grant["redirect_uri"]
        ):
            return self.reply(400, {"error": "invalid_grant"})
        verifier = form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if challenge.decode() != grant["challenge"]:
            return self.reply(400, {"error": "invalid_grant", "error_description": "PKCE"})
        identity = grant["identity"]
        now = int(time.time())
        claims = {
            "iss": self.server.issuer,
            "sub": identity.get("sub", "subject-1"),
            "aud": self.server.audience,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
        }
        if self.server.claims_in_id_token:
            claims.update(identity)
        id_token = jwt.encode(
            claims, self.server.signing_key, algorithm="RS256", headers={"kid": "k1"}
        )
        access_token = secrets.token_urlsafe(16)
        self.server.access_tokens[access_token] = (
            {"sub": claims["sub"]} if self.server.claims_in_id_token else identity
        )
        return self.reply(
            200,
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            },
        )


@pytest.fixture
def provider(settings):
    server = FakeProvider()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.OIDC_ENABLED = True
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "crisi_portal.oidc.FiscalNumberOIDCBackend",
    ]
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{server.url}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{server.url}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{server.url}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{server.url}/jwks"
    settings.OIDC_OP_ISSUER = server.issuer
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def linked(db):
    return UserFactory(username="mario", province_staff=True, fiscal_number=FISCAL_CODE)


def sign_in(client: Client, provider: FakeProvider, **identity):
    """The browser's round trip: portal → provider (signed in) → portal's callback."""
    provider.identity = identity
    start = client.get(reverse("oidc_authentication_init"))
    assert start.status_code == 302
    assert start["Location"].startswith(f"{provider.url}/authorize?")
    back = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert back.status_code == 302, back.text
    callback = urlsplit(back.headers["Location"])
    assert callback.path == reverse("oidc_authentication_callback")
    return client.get(f"{callback.path}?{callback.query}")


def signed_in_as(client: Client):
    return client.session.get(SESSION_KEY)


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


class TestSignIn:
    def test_the_linked_user_signs_in_with_the_spid_fiscal_number(self, client, provider, linked):
        response = sign_in(client, provider, fiscal_number=f"TINIT-{FISCAL_CODE}")
        assert response.status_code == 302
        assert response["Location"] == reverse("home")
        assert signed_in_as(client) == str(linked.pk)
        # Every endpoint was really called.
        assert {"/authorize", "/token", "/jwks", "/userinfo"} <= set(provider.requests_seen)
        assert client.get(reverse("home")).status_code == 200

    def test_a_plain_lower_case_fiscal_number_is_accepted(self, client, provider, linked):
        sign_in(client, provider, fiscal_number=FISCAL_CODE.lower())
        assert signed_in_as(client) == str(linked.pk)

    def test_the_claim_may_travel_in_the_id_token(self, client, provider, linked):
        provider.claims_in_id_token = True
        sign_in(client, provider, fiscal_number=f"TINIT-{FISCAL_CODE}")
        assert signed_in_as(client) == str(linked.pk)

    def test_the_claim_name_is_configurable(self, client, provider, linked, settings):
        settings.OIDC_FISCAL_NUMBER_CLAIM = "https://attributes.eid.gov.it/fiscal_number"
        sign_in(client, provider, **{settings.OIDC_FISCAL_NUMBER_CLAIM: FISCAL_CODE})
        assert signed_in_as(client) == str(linked.pk)
        other = Client()
        sign_in(other, provider, fiscal_number=FISCAL_CODE)  # the default name is not read now
        assert signed_in_as(other) is None


class TestRefusals:
    def test_an_unknown_person_is_refused_and_nobody_is_created(
        self, client, provider, linked, english, caplog
    ):
        users = User.objects.count()
        with caplog.at_level(logging.DEBUG):
            response = sign_in(client, provider, fiscal_number="TINIT-VRDGPP70B02L219Y")
        assert response.status_code == 302
        assert response["Location"] == reverse("login")
        assert signed_in_as(client) is None
        assert User.objects.count() == users
        assert any(
            "no active account of this portal is linked" in m for m in message_texts(response)
        )
        assert "VRDGPP70B02L219Y" not in caplog.text  # no identity in the logs

    def test_an_inactive_linked_user_is_refused(self, client, provider, linked):
        linked.is_active = False
        linked.save()
        response = sign_in(client, provider, fiscal_number=FISCAL_CODE)
        assert response["Location"] == reverse("login")
        assert signed_in_as(client) is None

    def test_no_fiscal_number_claim_is_refused(self, client, provider, linked, english):
        response = sign_in(client, provider, email="mario@example.org")
        assert signed_in_as(client) is None
        assert any("did not send a fiscal code" in m for m in message_texts(response))

    def test_a_token_for_another_client_is_refused(self, client, provider, linked):
        provider.audience = "another-application"
        response = sign_in(client, provider, fiscal_number=FISCAL_CODE)
        assert response["Location"] == reverse("login")
        assert signed_in_as(client) is None

    def test_a_token_signed_with_another_key_is_refused(self, client, provider, linked):
        provider.signing_key = OTHER_KEY
        sign_in(client, provider, fiscal_number=FISCAL_CODE)
        assert signed_in_as(client) is None

    def test_a_token_from_another_issuer_is_refused(self, client, provider, linked):
        provider.issuer = "https://idp.example.org"
        sign_in(client, provider, fiscal_number=FISCAL_CODE)
        assert signed_in_as(client) is None

    def test_a_provider_that_is_down_gives_a_message_not_an_error(
        self, client, provider, linked, english
    ):
        provider.identity = {"fiscal_number": FISCAL_CODE}
        start = client.get(reverse("oidc_authentication_init"))
        back = requests.get(start["Location"], allow_redirects=False, timeout=5)
        provider.shutdown()
        provider.server_close()
        callback = urlsplit(back.headers["Location"])
        response = client.get(f"{callback.path}?{callback.query}")
        assert response.status_code == 302
        assert response["Location"] == reverse("login")
        assert any("did not complete" in m for m in message_texts(response))

    def test_a_code_cannot_be_replayed(self, client, provider, linked):
        provider.identity = {"fiscal_number": FISCAL_CODE}
        start = client.get(reverse("oidc_authentication_init"))
        back = requests.get(start["Location"], allow_redirects=False, timeout=5)
        callback = urlsplit(back.headers["Location"])
        client.get(f"{callback.path}?{callback.query}")
        assert signed_in_as(client) == str(linked.pk)
        replay = Client()
        replay.get(reverse("oidc_authentication_init"))  # a session of its own, another state
        response = replay.get(f"{callback.path}?{callback.query}")
        assert response.status_code in (302, 400)
        assert signed_in_as(replay) is None


class TestOffByDefault:
    def test_single_sign_on_is_off_by_default(self, client, settings):
        assert settings.OIDC_ENABLED is False
        assert "crisi_portal.oidc.FiscalNumberOIDCBackend" not in settings.AUTHENTICATION_BACKENDS
        assert client.get(reverse("oidc_authentication_init")).status_code == 404
        assert client.get(reverse("oidc_authentication_callback")).status_code == 404
        assert 'id="sso-login"' not in client.get(reverse("login")).content.decode()

    def test_the_login_page_offers_it_when_on(self, client, provider, english):
        body = client.get(reverse("login")).content.decode()
        assert 'id="sso-login"' in body
        assert "Sign in with SPID/CIE" in body


class TestLinkingAnAccount:
    def test_the_fiscal_number_is_checked_and_normalised(self, linked):
        linked.fiscal_number = "rssmra80a01f205x"
        linked.full_clean(exclude=["password"])
        assert linked.fiscal_number == FISCAL_CODE

    def test_a_wrong_fiscal_number_is_refused_naming_the_field(self, linked):
        linked.fiscal_number = "RSSMRA80A01F205Y"  # wrong check character
        with pytest.raises(ValidationError) as refused:
            linked.full_clean(exclude=["password"])
        assert list(refused.value.message_dict) == ["fiscal_number"]

    def test_one_fiscal_number_links_one_account(self, linked):
        other = UserFactory(username="lucia", fiscal_number=None)
        other.fiscal_number = FISCAL_CODE
        with pytest.raises(ValidationError) as refused:
            other.full_clean(exclude=["password"])
        assert "fiscal_number" in refused.value.message_dict
