"""WSGI entry point (gunicorn crisi_portal.wsgi:application)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisi_portal.settings.base")

application = get_wsgi_application()
