"""Test settings: the same as base, with fast hashing and an isolated media root.

Under pytest-xdist (``make test`` runs ``-n auto``) every worker process imports this module
once: it gets its own media root (``mkdtemp``), its own local-memory cache, its own test
database (pytest-django adds the ``_gw<N>`` suffix) and its own Redis database (below).
"""

import os
import tempfile
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key")

from crisi_portal.settings.base import *  # noqa: E402,F403
from crisi_portal.settings.base import STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="crisi-media-")
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
WHITENOISE_AUTOREFRESH = True
LANGUAGE_CODE = "it"

# Tasks run in-process in tests, whatever the broker; tests/monitoring/test_worker.py turns this
# off to drive a real Celery worker through the broker when CELERY_BROKER_URL is set.
CELERY_TASK_ALWAYS_EAGER = True

# Webhooks (issue #16): the tests' receivers listen on loopback, and retries follow at once.
WEBHOOK_ALLOW_PRIVATE_HOSTS = True
WEBHOOK_BACKOFF_BASE_SECONDS = 0
WEBHOOK_TIMEOUT_SECONDS = 2

# A second alias mirroring the test database, for the read-replica router's tests
# (tests/test_replica.py switches DATABASE_READ_REPLICA on); other tests never read from it.
DATABASES = {
    **DATABASES,  # noqa: F405
    "replica": {**DATABASES["default"], "TEST": {"MIRROR": "default"}},  # noqa: F405
}
DATABASE_READ_REPLICA = None


def xdist_broker_url(url: str, worker: str) -> str:
    """The broker URL for pytest-xdist worker ``worker`` ("gw0", "gw1", …; "" when not under
    xdist): Redis database ``N + k`` for worker ``gwk`` when the URL names database ``N``.

    Two workers sharing one Redis database would take each other's tasks, and purge or delete
    each other's keys (tests/monitoring/test_worker.py does both)."""
    if not url or not worker:
        return url
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        return url
    base = int(parts.path.strip("/") or 0)
    number = base + int(worker.removeprefix("gw"))
    if number > 15:
        raise ImproperlyConfigured(
            f"xdist worker {worker} would use Redis database {number} (from {url}): "
            "Redis has 16 by default; run fewer workers (make test PYTEST_WORKERS=2) "
            "or give a lower database number"
        )
    return urlunsplit(parts._replace(path=f"/{number}"))


CELERY_BROKER_URL = xdist_broker_url(
    CELERY_BROKER_URL,  # noqa: F405
    os.environ.get("PYTEST_XDIST_WORKER", ""),
)
if CELERY_BROKER_URL:
    # Celery takes the CELERY_BROKER_URL environment variable before its configuration: without
    # this, the app in the test process would still send to (and purge) the shared database.
    os.environ["CELERY_BROKER_URL"] = CELERY_BROKER_URL
REPORT_SCHEDULED_FORMATS = {
    "annual": ["json"],
    "bimonthly": ["json"],
    "quarterly": ["json"],
    "pal_monitoring": ["json"],
}

# Throttling: generous rates so that no other test trips them; tests/test_throttling.py sets
# small ones. The counters live in the local-memory cache, emptied before every test (conftest).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {
        "anon": "10000/minute",
        "user": "10000/minute",
        "import": "10000/minute",
    },
}

# The test client speaks plain HTTP; tests/test_deployment.py checks the production defaults.
SECURE_SSL_REDIRECT = False
