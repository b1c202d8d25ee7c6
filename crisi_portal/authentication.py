"""API authentication with the portal's own hashed, expiring, revocable tokens."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from crisi_portal.services import api_token_authenticate


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Token <key>`` (the documented form) or ``Authorization: Bearer <key>``.

    An unknown, wrong, expired or revoked key, or one of a deactivated user, is refused with
    the same 401 and the same words: the answer does not tell which.
    """

    keywords = (b"token", b"bearer")
    # request.auth is the ApiToken; the challenge names the documented scheme.
    www_authenticate = 'Token realm="api"'

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid token header: send 'Token <key>' with no spaces in the key.")
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token.")) from exc
        token = api_token_authenticate(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        # The audit history names the token behind each change (crisi_portal.history), and
        # reads it from the Django request simple-history's middleware keeps.
        request._request.api_token = token
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.www_authenticate


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes ApiTokenAuthentication."""

    target_class = "crisi_portal.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": _(
                "'Token <key>' (or 'Bearer <key>'), with a key from the issue_token command."
            ),
        }
