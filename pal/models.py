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


class FundingSource(models.TextChoices):
    FSE_PLUS = "fse_plus_2021_27", _("FSE+ 2021-27")
    PNRR_GOL = "pnrr_gol", _("PNRR GOL")
    FONDO_NUOVE_COMPETENZE = "fondo_nuove_competenze", _("Fondo nuove competenze")
    REGIONALE = "regionale", _("Regional funds")
    ALTRO = "altro", _("Other")


class Measure(models.Model):
    """An active-policy measure (misura) of a regional programme, e.g. Dote Unica Lavoro."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    funding_source = models.CharField(_("funding source"), max_length=32, choices=FundingSource)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    max_per_worker = models.DecimalField(
        _("maximum per worker (€)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    max_per_company = models.DecimalField(
        _("maximum per company (€)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    total_budget = models.DecimalField(
        _("total budget (€)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    exclusive = models.BooleanField(
        _("exclusive"),
        default=False,
        help_text=_("A worker in an exclusive measure may hold no other publicly funded PAL."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="measure_validity_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(max_per_worker__isnull=True) | models.Q(max_per_worker__gt=0),
                name="measure_max_per_worker_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name
