"""``run_report`` starts without the libraries it does not need (issue #12: start-up ≤ 0.5 s).

Django REST framework (with ``requests`` and drf-spectacular behind it) costs about 0.1 s to
import; only the API needs it. The models, services and management commands import
``crisi_portal.scoping`` and ``crisi_portal.errors``, which stay free of it. Checked in a fresh
process: in this one the test client has long imported everything. (The packages
``rest_framework`` and ``drf_spectacular`` themselves are installed apps, cheap to import.)
"""

import os
import subprocess  # nosec B404 - runs this project's own interpreter
import sys

from django.conf import settings

PROBE = """
import sys
import django
django.setup()
from django.core.management import load_command_class
load_command_class("monitoring", "run_report").create_parser("manage.py", "run_report")
heavy = (
    "rest_framework.views",
    "rest_framework.serializers",
    "drf_spectacular.plumbing",
    "requests",
    "weasyprint",
    "matplotlib",
)
print(" ".join(name for name in heavy if name in sys.modules))
"""


def test_run_report_starts_without_drf_or_the_renderers():
    completed = subprocess.run(  # nosec B603 - fixed argv
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "crisi_portal.settings.test"},
        check=True,
    )
    assert completed.stdout.split("\n")[-2] == ""
