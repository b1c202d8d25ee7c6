from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Operator(models.Model):
    """An accredited operator (ente accreditato), public employment centres (CPI) included."""

    name = models.CharField(_("name"), max_length=200)
    accreditation_number = models.CharField(_("accreditation number"), max_length=40, unique=True)
    accredited_for_labour = models.BooleanField(_("accredited for labour services"), default=True)
    accredited_for_training = models.BooleanField(_("accredited for training"), default=False)
    is_public = models.BooleanField(_("public employment centre (CPI)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("accredited operator")
        verbose_name_plural = _("accredited operators")

    def __str__(self) -> str:
        return self.name
