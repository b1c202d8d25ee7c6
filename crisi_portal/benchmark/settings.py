"""The settings of the gunicorn the API benchmark starts: the portal's own, with the
benchmark's URLconf (:mod:`crisi_portal.benchmark.urls`: the portal's URLs and the baseline
view, which the portal's production URLconf does not have)."""

from crisi_portal.settings.base import *  # noqa: F403

ROOT_URLCONF = "crisi_portal.benchmark.urls"
