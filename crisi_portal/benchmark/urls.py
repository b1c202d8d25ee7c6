"""The benchmark's URLconf: every URL of the portal, plus the baseline the API is measured
against. Only the gunicorn of ``benchmark --only api`` loads it
(:mod:`crisi_portal.benchmark.settings`); the portal's own URLconf never includes it."""

from django.urls import path

from crisi_portal.benchmark.api import baseline_workers
from crisi_portal.urls import handler404, handler500, urlpatterns

__all__ = ["handler404", "handler500", "urlpatterns"]

urlpatterns = [path("benchmark/baseline/workers/", baseline_workers), *urlpatterns]
