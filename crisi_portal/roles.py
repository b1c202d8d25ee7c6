"""The roles of §1 of the domain specification."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PROVINCE_STAFF = "province_staff", _("Province crisis-unit officer")
    REGION_OFFICIAL = "region_official", _("Region official")
    OPERATOR = "operator", _("Accredited operator")
    API_CLIENT = "api_client", _("API client")
    ADMIN = "admin", _("Administrator")
