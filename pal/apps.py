from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PalConfig(AppConfig):
    name = "pal"
    verbose_name = _("Active labour policies")
