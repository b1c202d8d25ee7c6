"""Test settings: the same as base, with fast hashing and an isolated media root."""

import os
import tempfile

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
REPORT_SCHEDULED_FORMATS = {"annual": ["json"], "bimonthly": ["json"], "quarterly": ["json"]}

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
