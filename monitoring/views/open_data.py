"""Open data (issue #16 item 4): public, read-only, cached, throttled; no login anywhere.

Numbered versions never change: they are cached for a year (``immutable``). The catalogue,
the landing pages and the ``latest`` files change when a version is published: cached for
``OPEN_DATA_CACHE_SECONDS``; the files and the RDF answer ``If-None-Match`` with 304. HTML
pages are cached by the browser only (the portal's frame carries the visitor's session).
Anonymous callers are throttled per address (``OPEN_DATA_THROTTLE_RATE``).
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.http import require_safe
from rest_framework.throttling import AnonRateThrottle

from monitoring import dcat
from monitoring.models import OpenDataRelease
from monitoring.open_data import COLUMNS, DATASETS, LICENSE_URI, period_of
from monitoring.periods import PeriodError

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "rdf": "application/rdf+xml; charset=utf-8",
}
YEAR = 365 * 24 * 60 * 60


class OpenDataThrottle(AnonRateThrottle):
    """The anonymous rate of the open-data pages and files, per address."""

    scope = "open_data"

    def get_rate(self) -> str:
        return settings.OPEN_DATA_THROTTLE_RATE


def public(view):
    """GET/HEAD only, throttled for anonymous callers (429 with Retry-After)."""

    @require_safe
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        throttle = OpenDataThrottle()
        if not throttle.allow_request(request, None):
            response = HttpResponse("Too many requests.", status=429, content_type="text/plain")
            wait = throttle.wait()
            response["Retry-After"] = str(int(wait or 1))
            return response
        return view(request, *args, **kwargs)

    return wrapper


def _html(request, template: str, context: dict) -> HttpResponse:
    response = render(request, template, context)
    patch_cache_control(response, private=True, max_age=settings.OPEN_DATA_CACHE_SECONDS)
    return response


def _spec(dataset: str):
    spec = DATASETS.get(dataset)
    if spec is None:
        raise Http404("No such dataset.")
    return spec


def _releases(dataset: str, period: str):
    spec = _spec(dataset)
    try:
        period_of(spec, period)
    except PeriodError as exc:
        raise Http404("No such period.") from exc
    return OpenDataRelease.objects.of(dataset, period).order_by("-version")


def _state() -> tuple:
    """What the catalogue depends on: the releases there are (one cheap query)."""
    return tuple(OpenDataRelease.objects.aggregate(n=Max("pk"), m=Max("published_at")).values())


def _latest_by_dataset() -> list[OpenDataRelease]:
    return list(
        OpenDataRelease.objects.latest_versions()
        .defer("csv", "json")
        .order_by("dataset", "-period")
    )


@public
def catalog(request):
    releases = _latest_by_dataset()
    datasets = []
    for slug, spec in DATASETS.items():
        datasets.append({"spec": spec, "releases": [r for r in releases if r.dataset == slug]})
    return _html(
        request,
        "open_data/catalog.html",
        {"datasets": datasets, "license_uri": LICENSE_URI, "columns": COLUMNS},
    )


@public
def catalog_rdf(request):
    key = "open_data.catalog_rdf." + hashlib.sha256(repr(_state()).encode()).hexdigest()
    body = cache.get(key)
    if body is None:
        releases = list(OpenDataRelease.objects.latest_versions().order_by("dataset", "period"))
        body = dcat.catalog(releases)
        cache.set(key, body, settings.OPEN_DATA_CACHE_SECONDS)
    return _file(request, body, "rdf", max_age=settings.OPEN_DATA_CACHE_SECONDS)


@public
def dataset(request, dataset):
    spec = _spec(dataset)
    releases = list(
        OpenDataRelease.objects.filter(dataset=dataset)
        .defer("csv", "json")
        .order_by("-period", "-version")
    )
    return _html(
        request,
        "open_data/dataset.html",
        {"spec": spec, "releases": releases, "period": None, "columns": COLUMNS},
    )


@public
def period(request, dataset, period):
    releases = list(_releases(dataset, period).defer("csv", "json"))
    if not releases:
        raise Http404("Not published.")
    return _html(
        request,
        "open_data/dataset.html",
        {
            "spec": DATASETS[dataset],
            "releases": releases,
            "period": period,
            "identifier": dcat.dataset_identifier(releases[0]),
            "columns": COLUMNS,
        },
    )


def _file(request, body, fmt: str, *, max_age: int, etag: str | None = None, name=None):
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    if etag:
        response["ETag"] = f'"{etag}"'
        conditional = get_conditional_response(request, etag=response["ETag"], response=response)
        if conditional is not response:
            response = conditional
    patch_cache_control(response, public=True, max_age=max_age)
    if max_age == YEAR:
        patch_cache_control(response, immutable=True)
    if name:
        response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _release_file(request, release: OpenDataRelease, fmt: str, max_age: int):
    body = release.csv if fmt == "csv" else release.json
    digest = release.csv_sha256 if fmt == "csv" else release.json_sha256
    name = f"{release.dataset}_{release.period}_v{release.version}.{fmt}"
    response = _file(request, body, fmt, max_age=max_age, etag=digest, name=name)
    response["X-Open-Data-Version"] = str(release.version)
    response["Digest"] = f"sha-256={digest}"
    return response


def _numbered(fmt: str):
    @public
    def view(request, dataset, period, version):
        release = _releases(dataset, period).filter(version=version).first()
        if release is None:
            raise Http404("No such version.")
        return _release_file(request, release, fmt, YEAR)

    view.__name__ = f"release_{fmt}"
    return view


def _latest(fmt: str):
    @public
    def view(request, dataset, period):
        release = _releases(dataset, period).first()
        if release is None:
            raise Http404("Not published.")
        return _release_file(request, release, fmt, settings.OPEN_DATA_CACHE_SECONDS)

    view.__name__ = f"latest_{fmt}"
    return view


release_csv = _numbered("csv")
release_json = _numbered("json")
latest_csv = _latest("csv")
latest_json = _latest("json")
