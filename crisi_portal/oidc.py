"""Single sign-on with OpenID Connect (mozilla-django-oidc), off unless OIDC_ENABLED.

The Region's identity provider, or a SPID/CIE proxy, tells us who signed in; the fiscal-number
claim (OIDC_FISCAL_NUMBER_CLAIM, SPID style ``TINIT-<code>`` accepted) picks the portal account
an administrator linked to it (``User.fiscal_number``). Nobody is ever created: powers in the
portal come from a role and provinces an administrator gives, never from the provider. An
identity with no active linked account is refused with a message that says what to do.
"""

import logging

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from crisi_portal.models import User

logger = logging.getLogger(__name__)

SPID_FISCAL_NUMBER_PREFIX = "TINIT-"


def normalise_fiscal_number(value) -> str:
    """``TINIT-RSSMRA80A01F205X`` or ``rssmra80a01f205x`` → ``RSSMRA80A01F205X``."""
    if not isinstance(value, str):
        return ""
    value = value.strip().upper()
    if value.startswith(SPID_FISCAL_NUMBER_PREFIX):
        value = value[len(SPID_FISCAL_NUMBER_PREFIX) :]
    return value if value.isalnum() and len(value) <= 16 else ""


class NoLinkedAccount(SuspiciousOperation):
    """The provider vouched for someone with no active portal account."""


class FiscalNumberOIDCBackend(OIDCAuthenticationBackend):
    """Signs in the active user whose fiscal number the provider asserts; never creates one."""

    def _verify_jws(self, payload, key):
        # The library checks signature and expiry but not audience or issuer: a token issued
        # by the same provider to another client must not sign anyone in here.
        alg = jwt.get_unverified_header(payload).get("alg")
        if alg != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation("The id_token is not signed with the expected algorithm.")
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[alg],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_OP_ISSUER or None,
                options={"require": ["exp", "iat", "aud"]},
            )
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"The id_token was refused: {exc}") from exc

    def verify_claims(self, claims) -> bool:
        return bool(self.fiscal_number(claims))

    def fiscal_number(self, claims) -> str:
        return normalise_fiscal_number(claims.get(settings.OIDC_FISCAL_NUMBER_CLAIM))

    def describe_user_by_claims(self, claims) -> str:
        return "the asserted fiscal number"  # never the number itself: logs hold no identities

    def filter_users_by_claims(self, claims):
        return User.objects.filter(fiscal_number=self.fiscal_number(claims), is_active=True)

    def get_or_create_user(self, access_token, id_token, payload):
        # The claim may come in the userinfo answer or only in the id_token.
        claims = {**payload, **self.get_userinfo(access_token, id_token, payload)}
        if not self.verify_claims(claims):
            self.request.oidc_refusal = _(
                "The identity provider did not send a fiscal code: the portal cannot tell "
                "who you are."
            )
            raise SuspiciousOperation("No usable fiscal-number claim.")
        users = list(self.filter_users_by_claims(claims)[:2])
        if len(users) != 1:
            self.request.oidc_refusal = _(
                "Your identity was verified, but no active account of this portal is linked to "
                "it. Ask your administrator to register your fiscal code on your account."
            )
            raise NoLinkedAccount("No active user holds the asserted fiscal number.")
        logger.info("Single sign-on of user id %s", users[0].pk)
        return users[0]

    def authenticate(self, request, **kwargs):
        # A provider that is down or answers with a forged or foreign token: refuse with a
        # message on the login page, not a 400 or a 500.
        try:
            return super().authenticate(request, **kwargs)
        except (SuspiciousOperation, requests.RequestException, ValueError) as exc:
            logger.warning("Single sign-on refused: %s", exc.__class__.__name__)
            return None

    def create_user(self, claims):  # pragma: no cover - get_or_create_user never calls it
        raise SuspiciousOperation("Single sign-on never creates users.")


def _enabled_or_404() -> None:
    if not settings.OIDC_ENABLED:
        raise Http404


class RequestView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider (404 while single sign-on is off)."""

    def __init__(self, *args, **kwargs):
        _enabled_or_404()  # before the library reads its settings, unset while it is off
        super().__init__(*args, **kwargs)


class CallbackView(OIDCAuthenticationCallbackView):
    """Where the provider sends the browser back; a refusal is explained on the login page."""

    def dispatch(self, request, *args, **kwargs):
        _enabled_or_404()
        return super().dispatch(request, *args, **kwargs)

    def login_failure(self):
        reason = getattr(self.request, "oidc_refusal", None) or _(
            "Single sign-on did not complete. Try again, or log in with your password."
        )
        messages.error(self.request, reason)
        return HttpResponseRedirect(resolve_url("login"))
