from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrisiPortalConfig(AppConfig):
    name = "crisi_portal"
    verbose_name = _("Accounts and access")
