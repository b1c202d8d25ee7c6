from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkersConfig(AppConfig):
    name = "workers"
    verbose_name = _("Workers and steps")

    def ready(self) -> None:
        # The workers part of a procedure's story (cases.timeline), registered from above.
        # What followed a table's decision (cases.tables), found in this app's data.
        from workers import (
            tables,  # noqa: F401
            timeline,  # noqa: F401
        )
