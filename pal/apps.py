from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PalConfig(AppConfig):
    name = "pal"
    verbose_name = _("Active labour policies")

    def ready(self) -> None:
        # The pal part of a procedure's story (cases.timeline), registered from above.
        from pal import timeline  # noqa: F401
