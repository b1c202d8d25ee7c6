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
