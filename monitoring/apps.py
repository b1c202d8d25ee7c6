from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = _("Monitoring and reports")

    def ready(self) -> None:
        # Registers the report tasks in every process (web, worker, tests): the services send
        # generate_report by its name, without importing the module that imports them.
        from monitoring import tasks  # noqa: F401
