"""Rate limits for the API and the HTML import pages, with the ModI rate-limit headers.

Buckets (rates in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``, set from the environment):

- ``user``: every authenticated caller, keyed on the user — an API client's token is its
  user, so each token (each regional system) has its own bucket;
- ``anon``: callers without valid credentials, per client IP (stricter); requests that fail
  authentication or permission before DRF's throttles run count here too (see the middleware);
- ``import``: on top of ``user``, the bulk writes (file imports, cohort moves and assigns),
  marked on their viewset with ``bulk_actions``, and the HTML import pages.

The Italian interoperability guidelines (ModI) ask every response to say how much of the
quota is left: ``X-RateLimit-Limit``, ``X-RateLimit-Remaining``, ``X-RateLimit-Reset``
(seconds until the quota is whole again) and ``Retry-After`` on a 429. The throttles record
the most constrained bucket on the request; ``RateLimitHeadersMiddleware`` writes the headers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import wraps

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

API_PREFIX = "/api/"


@dataclass(frozen=True)
class Quota:
    limit: int
    remaining: int
    reset: int  # seconds until the bucket is full again

    def tighter_than(self, other: Quota | None) -> bool:
        return other is None or (self.remaining, self.limit) < (other.remaining, other.limit)


def _record(request, quota: Quota) -> None:
    """Keep the tightest quota seen for this request, on the Django request."""
    django_request = getattr(request, "_request", request)
    if quota.tighter_than(getattr(django_request, "rate_limit", None)):
        django_request.rate_limit = quota


class QuotaThrottleMixin:
    """A ``SimpleRateThrottle`` that reads its rate when used (so settings can change in tests)
    and records its quota for the headers."""

    def get_rate(self):
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError:  # an unknown scope is a configuration error, as in DRF
            return super().get_rate()

    def quota(self) -> Quota:
        used = len(self.history)
        if self.history:
            reset = self.duration - (self.now - self.history[-1])
        else:
            reset = self.duration
        return Quota(
            limit=self.num_requests,
            remaining=max(self.num_requests - used, 0),
            reset=max(math.ceil(reset), 0),
        )

    def retry_after(self) -> int:
        """Seconds until one more request is allowed (the oldest one in the window expires)."""
        if not self.history:
            return 0
        return max(math.ceil(self.duration - (self.now - self.history[-1])), 1)

    def wait(self):
        return self.retry_after()

    def allow_request(self, request, view):
        allowed = super().allow_request(request, view)
        if getattr(self, "key", None) is not None and hasattr(self, "history"):
            _record(request, self.quota())
        return allowed


class UserThrottle(QuotaThrottleMixin, UserRateThrottle):
    """Authenticated callers, per user (per token for API clients)."""

    scope = "user"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return super().get_cache_key(request, view)
        return None  # anonymous callers are AnonThrottle's


class AnonThrottle(QuotaThrottleMixin, AnonRateThrottle):
    """Callers without valid credentials, per client IP (REST_FRAMEWORK["NUM_PROXIES"])."""

    scope = "anon"

    def get_cache_key(self, request, view):
        # A request answered before AuthenticationMiddleware ran (a Host header not in
        # ALLOWED_HOSTS) has no user: it is anonymous, not a server error.
        if getattr(request, "user", None) is None:
            return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        return super().get_cache_key(request, view)


class ImportThrottle(QuotaThrottleMixin, SimpleRateThrottle):
    """Bulk writes: the actions a viewset lists in ``bulk_actions``, per user."""

    scope = "import"

    def get_cache_key(self, request, view):
        action = getattr(view, "action", None)
        if action is None or action not in getattr(view, "bulk_actions", ()):
            return None
        return self.cache_format % {"scope": self.scope, "ident": self._ident(request)}

    def _ident(self, request) -> str:
        if request.user and request.user.is_authenticated:
            return str(request.user.pk)
        return self.get_ident(request)


def throttled_problem(request, wait: int) -> HttpResponse:
    """A 429 problem for requests refused outside a DRF view (same body as the DRF handler)."""
    # Imported here: DRF's views load this module (DEFAULT_THROTTLE_CLASSES) while they are
    # being defined, and ``problems`` imports DRF's views.
    from crisi_portal import problems

    exc = exceptions.Throttled(wait=wait)
    body = problems.problem(429, detail=str(exc.detail), code="throttled", instance=request.path)
    response = JsonResponse(body, status=429, content_type=problems.PROBLEM_MEDIA_TYPE)
    response["Retry-After"] = str(wait)
    return response


class RateLimitHeadersMiddleware:
    """The ModI headers on every API response.

    A request that ends before DRF's throttles run (401 without credentials, 403, 404 of an
    unknown URL) is counted here, in the caller's bucket, so that probing without credentials
    is throttled too; once that bucket is empty the answer is the 429 instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        response = self.get_response(request)
        if getattr(request, "rate_limit", None) is None and response.status_code != 503:
            user = getattr(request, "user", None)  # DRF copies its authenticated user here
            throttle = UserThrottle() if user and user.is_authenticated else AnonThrottle()
            if not throttle.allow_request(request, None):
                response = throttled_problem(request, throttle.retry_after())
        quota = getattr(request, "rate_limit", None)
        if quota is not None:
            response["X-RateLimit-Limit"] = str(quota.limit)
            response["X-RateLimit-Remaining"] = str(quota.remaining)
            response["X-RateLimit-Reset"] = str(quota.reset)
        return response


def throttle_import_page(view_func):
    """Throttle an HTML import page's POSTs with the API's ``import`` bucket (same cache)."""

    @wraps(view_func)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST":
            throttle = _PageImportThrottle()
            if not throttle.allow_request(request, None):
                wait = throttle.retry_after()
                response = render(
                    request,
                    "429.html",
                    {"retry_after": wait, "message": _("Too many imports: try again later.")},
                    status=429,
                )
                response["Retry-After"] = str(wait)
                return response
        return view_func(request, *args, **kwargs)

    return wrapper


class _PageImportThrottle(ImportThrottle):
    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self._ident(request)}
