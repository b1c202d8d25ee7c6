"""Login protection: the client's address, django-axes' lockout answer, a per-address brake.

django-axes locks a (username, address) pair after AXES_FAILURE_LIMIT failures, so one person
mistyping cannot lock a colleague out. That leaves an address free to try a few passwords on
many usernames (password spraying): ``LoginView`` below also stops an address after
LOGIN_FAILURES_PER_ADDRESS failures in LOGIN_FAILURE_WINDOW, whatever the usernames.
"""

import math

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from crisi_portal.problems import PROBLEM_MEDIA_TYPE, problem


def client_ip(request: HttpRequest) -> str:
    """The caller's address: REMOTE_ADDR, or, behind TRUSTED_PROXY_COUNT reverse proxies, the
    address the outermost trusted proxy saw (X-Forwarded-For, counted from the right, so a
    client cannot pick its own address by sending the header)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if not proxies:
        return remote
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part
    ]
    return forwarded[-proxies] if len(forwarded) >= proxies else remote


def _retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """django-axes' answer to a locked (username, address): 429, a page or a problem."""
    cool_off = settings.AXES_COOLOFF_TIME
    minutes = math.ceil(cool_off.total_seconds() / 60)
    detail = _(
        "Too many failed login attempts for this account from this device. Try again in "
        "%(minutes)d minutes, or ask an administrator to unlock the account."
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        response = JsonResponse(
            problem(429, detail=detail, code="locked_out", instance=request.path),
            status=429,
            content_type=PROBLEM_MEDIA_TYPE,
        )
    else:
        response = render(request, "registration/locked_out.html", {"detail": detail}, status=429)
    response["Retry-After"] = _retry_after(cool_off.total_seconds())
    return response


def _failures_key(request: HttpRequest) -> str:
    return f"login-failures:{client_ip(request)}"


class LoginView(auth_views.LoginView):
    """Django's login, refused with 429 to an address that failed too often lately; offers
    single sign-on when it is on."""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "oidc_enabled": settings.OIDC_ENABLED}

    def post(self, request, *args, **kwargs):
        if cache.get(_failures_key(request), 0) >= settings.LOGIN_FAILURES_PER_ADDRESS:
            response = render(
                request,
                "registration/locked_out.html",
                {
                    "detail": _(
                        "Too many failed login attempts from this network address. Try again later."
                    )
                },
                status=429,
            )
            response["Retry-After"] = _retry_after(settings.LOGIN_FAILURE_WINDOW.total_seconds())
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form) -> HttpResponse:
        key = _failures_key(self.request)
        window = int(settings.LOGIN_FAILURE_WINDOW.total_seconds())
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
        return super().form_invalid(form)
