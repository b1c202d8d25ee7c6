"""``manage.py refresh_dashboard``: rebuild the dashboard's pre-aggregated tables now.

The beat task ``monitoring.tasks.dashboard_refresh`` does the same every
``DASHBOARD_REFRESH_MINUTES``; run this after loading data behind the services' back (COPY,
``generate_synthetic``, a restore) to show it at once.
"""

from django.core.management.base import BaseCommand

from monitoring.services import dashboard_refresh


class Command(BaseCommand):
    help = "Rebuild the dashboard's pre-aggregated figures (the beat task does it periodically)."

    def handle(self, *args, **options):
        refresh = dashboard_refresh()
        self.stdout.write(f"Dashboard figures rebuilt in {refresh.seconds:.2f}s.")
