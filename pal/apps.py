from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PalConfig(AppConfig):
    name = "pal"
    verbose_name = _("Active labour policies")

    def ready(self) -> None:
        # The pal part of a procedure's story (cases.timeline), registered from above.
        # What followed a table's decision (cases.tables), found in this app's data.
        from pal import (
            tables,  # noqa: F401
            timeline,  # noqa: F401
        )
