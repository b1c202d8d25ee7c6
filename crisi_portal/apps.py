from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrisiPortalConfig(AppConfig):
    name = "crisi_portal"
    verbose_name = _("Accounts and access")

    def ready(self) -> None:
        # The audit history's receiver that names the API client of each change.
        # Registers the notification tasks in every process: notify() sends them by name.
        from crisi_portal import (
            history,  # noqa: F401
            tasks,  # noqa: F401
        )
