from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisi_portal import numbering
from crisi_portal.history import AuditedHistoricalRecords, AuditedModel, TimestampedModel
from crisi_portal.scoping import ScopedQuerySet, reviewable
from pal.enums import (
    COMMITTING_PIP_STATUSES,
    Delivery,
    DoteStatus,
    MemberKind,
    PIPStatus,
    RuleCode,
    ServiceKind,
)
from workers.enums import IncomeSupport

ZERO = models.Value(
    Decimal("0.00"), output_field=models.DecimalField(max_digits=12, decimal_places=2)
)


class ReferenceQuerySet(ScopedQuerySet):
    """Reference data every role reads and the Region manages."""

    def in_provinces(self, codes):
        return self.all()

    def for_operator(self, operator_id):
        return self.all()

    def editable_in_provinces(self, codes):
        return self.none()

    def editable_by_region(self):
        return self.all()


class MeasureQuerySet(ReferenceQuerySet):
    def in_force_on(self, day):
        """The measures in force on ``day``: the database side of :meth:`Measure.in_force_on`."""
        return self.filter(is_active=True, valid_from__lte=day).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day)
        )


class Operator(AuditedModel):
    """An accredited operator (ente accreditato), public employment centres (CPI) included."""

    name = models.CharField(_("name"), max_length=200)
    accreditation_number = models.CharField(_("accreditation number"), max_length=40, unique=True)
    accredited_for_labour = models.BooleanField(_("accredited for labour services"), default=True)
    accredited_for_training = models.BooleanField(_("accredited for training"), default=False)
    is_public = models.BooleanField(_("public employment centre (CPI)"), default=False)

    objects = ReferenceQuerySet.as_manager()

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


class Fund(AuditedModel):
    """A funding source as data (issue #15): a fund with its budget, period and legal basis,
    which measures draw on by shares (:class:`MeasureFunding`). ``kind`` is the family it
    belongs to (the choices a measure's ``funding_source`` and a plan's budget lines use).

    The budget is the ceiling the approvals may commit (``pal.services.pip_approve`` refuses,
    under a lock on these rows, an approval that would pass it); empty: no ceiling recorded."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(
        _("kind"), max_length=32, choices=FundingSource, default=FundingSource.ALTRO
    )
    legal_basis = models.TextField(
        _("legal basis and notes"),
        blank=True,
        help_text=_("The act that allocates the resources (decree, programme, allocation)."),
    )
    budget = models.DecimalField(
        _("budget (€)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty: no ceiling recorded, approvals are not checked against it."),
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    province = models.ForeignKey(
        "cases.Province",
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Only for a fund allocated to one province."),
    )

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("funding source")
        verbose_name_plural = _("funding sources")
        constraints = [
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0), name="fund_budget_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gte=F("valid_from")),
                name="fund_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("The period cannot end before it starts.")})


class MeasureFunding(models.Model):
    """The share (%) of a measure's spending charged to a fund; a measure's shares sum to 100
    (``pal.services.measure_fundings_set`` checks it)."""

    measure = models.ForeignKey(
        "Measure", verbose_name=_("measure"), on_delete=models.CASCADE, related_name="fundings"
    )
    fund = models.ForeignKey(
        Fund, verbose_name=_("funding source"), on_delete=models.PROTECT, related_name="fundings"
    )
    share = models.DecimalField(
        _("share (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )

    class Meta:
        ordering = ["measure", "-share", "fund__code"]
        verbose_name = _("measure's funding share")
        verbose_name_plural = _("measures' funding shares")
        constraints = [
            models.UniqueConstraint(fields=["measure", "fund"], name="measure_funding_unique"),
            models.CheckConstraint(
                condition=Q(share__gt=0) & Q(share__lte=100), name="measure_funding_share_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure_id} – {self.fund_id}: {self.share} %"


class HoursCutComparison(models.TextChoices):
    """How a worker's hours cut is compared with a measure's minimum."""

    MORE_THAN = "more_than", _("more than (strict)")
    AT_LEAST = "at_least", _("at least (inclusive)")


class EmploymentStatus(models.TextChoices):
    """The employment status a measure asks of the worker (see ``pal.eligibility``)."""

    ANY = "any", _("any")
    EMPLOYED = "employed", _("still employed")
    DISMISSED = "dismissed", _("dismissed")


class Measure(TimestampedModel):
    """An active-policy measure (misura) of a regional programme, e.g. Dote Unica Lavoro.

    Besides its caps and validity it carries who may receive it (its eligibility rules, data
    the Region edits; evaluated by ``pal.eligibility``): income-support kinds admitted, a
    minimum hours cut, the employment status, a unit in Lombardy, age limits, income support
    ongoing, and the measures it is incompatible with (``exclusive``: with every other one).
    """

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
    incompatible_with = models.ManyToManyField(
        "self",
        verbose_name=_("incompatible with"),
        symmetrical=True,
        blank=True,
        help_text=_(
            "Measures a worker may not hold in the same period as this one (both ways). An "
            "exclusive measure is incompatible with every other measure."
        ),
    )
    income_supports = models.JSONField(
        _("income support admitted"),
        default=list,
        blank=True,
        help_text=_("The worker's income support must be one of these; none ticked: any."),
    )
    min_hours_cut_pct = models.PositiveSmallIntegerField(
        _("minimum hours cut (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Empty: no minimum."),
    )
    hours_cut_comparison = models.CharField(
        _("hours cut compared as"),
        max_length=12,
        choices=HoursCutComparison,
        default=HoursCutComparison.MORE_THAN,
    )
    employment_status = models.CharField(
        _("employment status required"),
        max_length=12,
        choices=EmploymentStatus,
        default=EmploymentStatus.ANY,
        help_text=_(
            "Dismissed: a collective dismissal, or NASpI or mobility; still employed: otherwise."
        ),
    )
    unit_in_lombardy = models.BooleanField(_("unit located in Lombardy required"), default=False)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(
        _("maximum age"),
        null=True,
        blank=True,
        help_text=_("Completed years on the reference date, inclusive: 29 means under 30."),
    )
    support_ongoing = models.BooleanField(
        _("income support ongoing required"),
        default=False,
        help_text=_("The reference date falls within the worker's income-support period."),
    )
    # The audit history AuditedModel would give, with the incompatibilities recorded too.
    history = AuditedHistoricalRecords(m2m_fields=[incompatible_with])

    objects = MeasureQuerySet.as_manager()

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
            models.CheckConstraint(
                condition=models.Q(min_age__isnull=True)
                | models.Q(max_age__isnull=True)
                | models.Q(max_age__gte=models.F("min_age")),
                name="measure_age_limits_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        unknown = set(self.income_supports or []) - set(IncomeSupport.values)
        if not isinstance(self.income_supports, list) or unknown:
            errors["income_supports"] = _("Choose income-support kinds from the list.")
        if self.min_age is not None and self.max_age is not None and self.max_age < self.min_age:
            errors["max_age"] = _("The maximum age is lower than the minimum age.")
        if errors:
            raise ValidationError(errors)

    def in_force_on(self, day) -> bool:
        """Active, and ``day`` inside its validity (open-ended when ``valid_until`` is empty).

        The one definition of "in force"; :meth:`MeasureQuerySet.in_force_on` is its SQL twin."""
        return (
            self.is_active
            and self.valid_from <= day
            and (self.valid_until is None or day <= self.valid_until)
        )


class OperatorOffice(models.Model):
    """An office (sede) of an operator; its province says where the operator works."""

    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="offices")
    address = models.CharField(_("address"), max_length=200, blank=True)
    comune = models.CharField(_("municipality"), max_length=80)
    province = models.ForeignKey(
        "cases.Province", verbose_name=_("province"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["operator", "province__position", "comune"]
        verbose_name = _("operator office")
        verbose_name_plural = _("operator offices")

    def __str__(self) -> str:
        return f"{self.operator} – {self.comune} ({self.province_id})"


class DoteQuerySet(ScopedQuerySet):
    def in_provinces(self, codes):
        return self.filter(involvement__unit__province__in=list(codes))

    def editable_in_provinces(self, codes):
        return self.none()  # Doti belong to the operator the worker chose

    def for_operator(self, operator_id):
        return self.filter(operator_id=operator_id)

    def editable_by_operator(self, operator_id):
        return self.filter(operator_id=operator_id)

    def in_networks(self, networks):
        """The lead's Doti for the workers of ``networks``: a Dote of the network's lead, under
        the network's measure, of a worker of a procedure or cohort the network serves."""
        served = networks.filter(lead=OuterRef("operator"), measure=OuterRef("measure")).filter(
            Q(procedures=OuterRef("involvement__procedure"))
            | Q(cohorts=OuterRef("involvement__cohort"))
        )
        return self.filter(Exists(served)).exclude(status=DoteStatus.REVOCATA)

    def with_ledger(self):
        """Committed (by living PIPs) and delivered amounts, computed in the database.

        Delivered counts the PIP services reported and the services the members of a network
        reported against the Dote (``NetworkServiceLine``)."""
        committed = PIPService.objects.filter(
            pip__dote=OuterRef("pk"), pip__status__in=COMMITTING_PIP_STATUSES
        )
        delivered = PIPService.objects.filter(pip__dote=OuterRef("pk"))
        by_members = NetworkServiceLine.objects.filter(dote=OuterRef("pk"))
        return self.annotate(
            committed_amount=Coalesce(
                Subquery(
                    committed.values("pip__dote").annotate(total=Sum("cost")).values("total")[:1]
                ),
                ZERO,
            ),
            delivered_amount=Coalesce(
                Subquery(
                    delivered.values("pip__dote")
                    .annotate(total=Sum("delivered_cost"))
                    .values("total")[:1]
                ),
                ZERO,
            )
            + Coalesce(
                Subquery(by_members.values("dote").annotate(total=Sum("cost")).values("total")[:1]),
                ZERO,
            ),
        ).annotate(remaining_amount=F("value") - F("committed_amount"))


class Dote(AuditedModel):
    """A worker's budget under one measure, with the operator the worker chose."""

    involvement = models.ForeignKey(
        "workers.Involvement",
        verbose_name=_("worker in procedure"),
        on_delete=models.PROTECT,
        related_name="doti",
    )
    measure = models.ForeignKey(
        Measure, verbose_name=_("measure"), on_delete=models.PROTECT, related_name="doti"
    )
    operator = models.ForeignKey(
        Operator, verbose_name=_("operator"), on_delete=models.PROTECT, related_name="doti"
    )
    value = models.DecimalField(_("value (€)"), max_digits=10, decimal_places=2)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"), max_length=12, choices=DoteStatus, default=DoteStatus.ASSEGNATA
    )

    objects = DoteQuerySet.as_manager()

    class Meta:
        ordering = ["-valid_from", "-id"]
        verbose_name = _("Dote")
        verbose_name_plural = _("Doti")
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="dote_value_positive"),
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")), name="dote_validity_ordered"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DoteStatus.values), name="dote_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure} – {self.operator}"

    def get_absolute_url(self) -> str:
        return reverse("pal:dote_detail", args=[self.pk])

    @staticmethod
    def check_validity(valid_from, valid_until) -> None:
        """A Dote cannot end before it starts (RuleCode.DOTE_DATES), an error on ``valid_until``.

        The one statement of the rule (the constraint ``dote_validity_ordered`` backs it in the
        database): ``clean()``, the assignment service, its form and serializer call it."""
        if valid_from and valid_until and valid_until < valid_from:
            raise ValidationError(
                {
                    "valid_until": ValidationError(
                        _("The Dote cannot end before it starts."), code=RuleCode.DOTE_DATES
                    )
                }
            )

    def clean(self) -> None:
        self.check_validity(self.valid_from, self.valid_until)


class PIPQuerySet(ScopedQuerySet):
    def in_provinces(self, codes):
        return self.filter(dote__involvement__unit__province__in=list(codes))

    def editable_in_provinces(self, codes):
        return self.none()  # staff review PIPs (reviewable_by), operators write them

    def for_operator(self, operator_id):
        return self.filter(dote__operator_id=operator_id)

    def editable_by_operator(self, operator_id):
        return self.filter(dote__operator_id=operator_id)

    def reviewable_by(self, user):
        """PIPs whose approval belongs to the user: staff of the worker's province."""
        return reviewable(self, user)

    def with_total(self):
        return self.annotate(total_cost=Coalesce(Sum("services__cost"), ZERO))


class PIP(AuditedModel):
    """Piano di Intervento Personalizzato: the services planned for a worker on a Dote."""

    number = numbering.number_field(
        _(
            "The PIP's number by the worker's province and year (BG-2026-0123): given once, "
            "never changed or reused."
        )
    )
    dote = models.ForeignKey(
        Dote, verbose_name=_("Dote"), on_delete=models.PROTECT, related_name="pips"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=PIPStatus, default=PIPStatus.BOZZA
    )
    objectives = models.TextField(_("objectives"), blank=True)
    return_note = models.TextField(_("note from the province"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = PIPQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("PIP")
        verbose_name_plural = _("PIPs")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PIPStatus.values), name="pip_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=PIPStatus.RESTITUITO) | ~Q(return_note=""),
                name="pip_return_has_note",
            ),
        ]

    def __str__(self) -> str:
        return f"PIP {self.reference} – {self.dote}"

    @property
    def reference(self) -> str:
        """What people read: the number (BG-2026-0123), or the id of a PIP not numbered."""
        return self.number or str(self.pk)

    def give_number(self) -> None:
        """Number a PIP about to be created: the province of the worker's unit, this year."""
        if self.number or not self.dote_id:
            return
        province = (
            Dote.objects.filter(pk=self.dote_id)
            .values_list("involvement__unit__province_id", flat=True)
            .first()
        )
        if province:
            year = timezone.localdate().year
            self.number = numbering.next_number(f"pip:{province}", province, year)

    def save(self, *args, **kwargs) -> None:
        if self._state.adding:
            self.give_number()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("pal:pip_detail", args=[self.pk])

    def check_dote(self, dote_id) -> None:
        """A PIP stays on the Dote it was filed on (RuleCode.PIP_DOTE_FIXED).

        ``dote_id`` is the Dote asked for; the one filed on is read from the database, so the
        rule holds whatever was assigned to the instance. A PIP not yet saved takes any Dote."""
        if self.pk is None:
            return
        filed_on = PIP.objects.filter(pk=self.pk).values_list("dote_id", flat=True).first()
        if filed_on is not None and dote_id != filed_on:
            raise ValidationError(
                _("A PIP stays on the Dote it was filed on."), code=RuleCode.PIP_DOTE_FIXED
            )

    def clean(self) -> None:
        try:
            self.check_dote(self.dote_id)
        except ValidationError as exc:
            raise ValidationError({"dote": exc}) from exc


class PIPService(models.Model):
    """One service of the catalogue planned in a PIP, and what was delivered of it."""

    pip = models.ForeignKey(PIP, on_delete=models.CASCADE, related_name="services")
    kind = models.CharField(_("service"), max_length=32, choices=ServiceKind)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1)
    cost = models.DecimalField(_("cost (€)"), max_digits=10, decimal_places=2)
    delivery = models.CharField(
        _("delivery"), max_length=12, choices=Delivery, default=Delivery.INDIVIDUALE
    )
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned end"))
    delivered_hours = models.DecimalField(
        _("hours delivered"), max_digits=6, decimal_places=1, default=0
    )
    delivered_cost = models.DecimalField(
        _("amount reported (€)"), max_digits=10, decimal_places=2, default=0
    )
    delivered_on = models.DateField(_("reported on"), null=True, blank=True)

    class Meta:
        ordering = ["planned_start", "id"]
        verbose_name = _("PIP service")
        verbose_name_plural = _("PIP services")
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="pip_service_hours_positive"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="pip_service_cost_not_negative"),
            models.CheckConstraint(
                condition=Q(planned_end__gte=F("planned_start")), name="pip_service_dates_ordered"
            ),
            models.CheckConstraint(
                condition=Q(delivered_cost__lte=F("cost")) & Q(delivered_hours__lte=F("hours")),
                name="pip_service_delivered_within_plan",
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class PIPTransition(models.Model):
    """Every move of a PIP through its workflow: who, when, from, to, and the note."""

    pip = models.ForeignKey(PIP, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(_("from status"), max_length=12, choices=PIPStatus)
    to_status = models.CharField(_("to status"), max_length=12, choices=PIPStatus)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("PIP transition")
        verbose_name_plural = _("PIP transitions")

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class Qualification(AuditedModel):
    """A profile of a reference qualifications framework: what a competence certification
    certifies against (2010 agreement, point 6: competences certified as l.r. 19/2007, art. 10
    provides). The regional framework is Lombardy's QRSP (Quadro Regionale degli Standard
    Professionali); the Region edits the catalogue in the admin and imports its export with
    ``manage.py import_qualifications``."""

    class Framework(models.TextChoices):
        QRSP = "qrsp", _("QRSP – Lombardy's regional framework")
        ATLANTE = "atlante", _("National Atlas of work and qualifications")
        OTHER = "other", _("Other framework")

    framework = models.CharField(
        _("framework"), max_length=16, choices=Framework, default=Framework.QRSP
    )
    code = models.CharField(_("code"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    eqf_level = models.PositiveSmallIntegerField(
        _("EQF level"), help_text=_("European Qualifications Framework level, 1 to 8.")
    )
    is_active = models.BooleanField(_("offered"), default=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        ordering = ["framework", "code"]
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "code"], name="qualification_code_unique_in_framework"
            ),
            models.CheckConstraint(
                condition=Q(eqf_level__gte=1, eqf_level__lte=8), name="qualification_eqf_level"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.title} (EQF {self.eqf_level})"


class CertificationQuerySet(ScopedQuerySet):
    def in_provinces(self, codes):
        return self.filter(worker__involvements__unit__province__in=list(codes)).distinct()

    def for_operator(self, operator_id):
        return self.filter(operator_id=operator_id)

    def editable_by_operator(self, operator_id):
        return self.filter(operator_id=operator_id)


class CompetenceCertification(AuditedModel):
    """Competences certified at the end of a training path."""

    worker = models.ForeignKey(
        "workers.Worker", on_delete=models.PROTECT, related_name="certifications"
    )
    pip = models.ForeignKey(
        PIP, on_delete=models.SET_NULL, null=True, blank=True, related_name="certifications"
    )
    operator = models.ForeignKey(Operator, on_delete=models.PROTECT, related_name="+")
    qualification = models.ForeignKey(
        Qualification,
        verbose_name=_("qualification"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certifications",
        help_text=_(
            "Required for every new certification (pal.services.certification_record); "
            "certifications recorded before the catalogue have none."
        ),
    )
    title = models.CharField(_("qualification or path"), max_length=200)
    competences = models.TextField(_("competences certified"))
    certified_on = models.DateField(_("certified on"))

    objects = CertificationQuerySet.as_manager()

    class Meta:
        ordering = ["-certified_on", "-id"]
        verbose_name = _("competence certification")
        verbose_name_plural = _("competence certifications")

    def __str__(self) -> str:
        return self.title


class NetworkQuerySet(ScopedQuerySet):
    def in_provinces(self, codes):
        return self.filter(province__in=list(codes))

    def editable_in_provinces(self, codes):
        return self.none()  # the Region manages networks

    def editable_by_region(self):
        return self.all()

    def for_operator(self, operator_id):
        members = NetworkMember.objects.filter(network=OuterRef("pk"), operator_id=operator_id)
        return self.filter(Q(lead_id=operator_id) | Exists(members))


class Network(TimestampedModel):
    """A network for collective relocation and requalification (rete), led by a capofila."""

    name = models.CharField(_("name"), max_length=200)
    lead = models.ForeignKey(
        Operator,
        verbose_name=_("lead (capofila)"),
        on_delete=models.PROTECT,
        related_name="led_networks",
    )
    province = models.ForeignKey(
        "cases.Province", verbose_name=_("territory"), on_delete=models.PROTECT, related_name="+"
    )
    measure = models.ForeignKey(
        Measure,
        verbose_name=_("measure"),
        on_delete=models.PROTECT,
        related_name="networks",
        help_text=_("The exclusive measure the network's workers are enrolled in."),
    )
    procedures = models.ManyToManyField(
        "cases.CrisisProcedure",
        verbose_name=_("procedures served"),
        blank=True,
        related_name="networks",
    )
    cohorts = models.ManyToManyField(
        "workers.Cohort", verbose_name=_("cohorts served"), blank=True, related_name="networks"
    )
    valid_from = models.DateField(_("active from"))
    valid_until = models.DateField(_("active until"), null=True, blank=True)
    history = AuditedHistoricalRecords(m2m_fields=[procedures, cohorts])

    objects = NetworkQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("network")
        verbose_name_plural = _("networks")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("pal:network_detail", args=[self.pk])


class NetworkMember(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="members")
    kind = models.CharField(_("kind"), max_length=32, choices=MemberKind)
    name = models.CharField(_("name"), max_length=200)
    operator = models.ForeignKey(
        Operator,
        verbose_name=_("accredited operator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="network_memberships",
    )
    province = models.ForeignKey(
        "cases.Province",
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For the Province member and the CPI: which one."),
    )
    history = AuditedHistoricalRecords()

    class Meta:
        ordering = ["network", "kind", "name"]
        verbose_name = _("network member")
        verbose_name_plural = _("network members")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=MemberKind.values), name="member_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


# --- STEP 3: meetings with the workers to explain the PAL (issue #14 item 2) ------------------


class Step3MeetingQuerySet(ScopedQuerySet):
    """A STEP 3 meeting belongs to the provinces of its cohorts (``Cohort.in_provinces``): a
    Nucleo sees the meetings of its cohorts, changes those it convened; the Region reads all;
    an operator sees the meetings it presents."""

    def in_provinces(self, codes):
        from workers.models import Cohort

        cohorts = Cohort.objects.in_provinces(codes).filter(step3_meetings=OuterRef("pk"))
        return self.filter(Exists(cohorts))

    def editable_in_provinces(self, codes):
        return self.in_provinces(codes).filter(province__in=list(codes))

    def for_operator(self, operator_id):
        presenting = Step3Meeting.presenters.through.objects.filter(
            step3meeting=OuterRef("pk"), operator_id=operator_id
        )
        return self.filter(Exists(presenting))


class Step3Meeting(TimestampedModel):
    """A STEP 3 meeting (incontro, anche di gruppo, con i lavoratori per illustrazione PAL,
    source 001): one or more cohorts, convened by a province's Nucleo, presented by operators."""

    province = models.ForeignKey(
        "cases.Province",
        verbose_name=_("convening Nucleo"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    cohorts = models.ManyToManyField(
        "workers.Cohort", verbose_name=_("cohorts"), related_name="step3_meetings"
    )
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("start time"))
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    video_link = models.URLField(_("video link"), max_length=300, blank=True)
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    presenters = models.ManyToManyField(
        Operator,
        verbose_name=_("operators presenting"),
        blank=True,
        related_name="step3_meetings",
    )
    notes = models.TextField(_("notes"), blank=True)
    follow_up_of = models.ForeignKey(
        "self",
        verbose_name=_("second meeting of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
    )
    history = AuditedHistoricalRecords(m2m_fields=[cohorts, presenters])

    objects = Step3MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-start_time", "-id"]
        verbose_name = _("STEP 3 meeting")
        verbose_name_plural = _("STEP 3 meetings")
        constraints = [
            models.CheckConstraint(
                condition=~Q(place="") | ~Q(video_link=""), name="step3_meeting_place_or_link"
            ),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="step3_capacity_positive"),
            models.CheckConstraint(
                condition=Q(end_time__isnull=True) | Q(end_time__gt=F("start_time")),
                name="step3_meeting_times_ordered",
            ),
        ]

    def __str__(self) -> str:
        return str(_("STEP 3 meeting of %(date)s") % {"date": self.date.strftime("%d/%m/%Y")})

    def get_absolute_url(self) -> str:
        return reverse("pal:step3_detail", args=[self.pk])

    def clean(self) -> None:
        errors = {}
        if not (self.place or "").strip() and not (self.video_link or "").strip():
            errors["place"] = _("Give the place of the meeting or its video link.")
        if self.end_time and self.start_time and self.end_time <= self.start_time:
            errors["end_time"] = _("The meeting must end after it starts.")
        if errors:
            raise ValidationError(errors)


class InvitationChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")


class Attendance(models.TextChoices):
    PRESENT = "present", _("Present")
    JUSTIFIED = "justified", _("Absent, justified")
    ABSENT = "absent", _("Absent")


class Step3InvitationQuerySet(ScopedQuerySet):
    province_path = "involvement__unit__province"

    def in_provinces(self, codes):
        return self.filter(involvement__unit__province__in=list(codes))

    def for_operator(self, operator_id):
        from workers.models import Involvement

        return self.filter(involvement__in=Involvement.objects.for_operator(operator_id))


class Step3Invitation(AuditedModel):
    """A worker invited to a STEP 3 meeting: how and when the invitation went, and whether
    they came. One per worker and meeting: sending again does not invite twice."""

    meeting = models.ForeignKey(Step3Meeting, on_delete=models.CASCADE, related_name="invitations")
    involvement = models.ForeignKey(
        "workers.Involvement",
        verbose_name=_("worker in procedure"),
        on_delete=models.PROTECT,
        related_name="step3_invitations",
    )
    channel = models.CharField(_("sent by"), max_length=8, choices=InvitationChannel, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    attendance = models.CharField(_("attendance"), max_length=10, choices=Attendance, blank=True)

    objects = Step3InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["meeting", "involvement__worker__last_name", "involvement__worker__first_name"]
        verbose_name = _("STEP 3 invitation")
        verbose_name_plural = _("STEP 3 invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "involvement"], name="step3_invitation_once"
            ),
            models.CheckConstraint(
                condition=Q(attendance="") | Q(attendance__in=Attendance.values),
                name="step3_attendance_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} – {self.involvement_id}"


# --- Services delivered by a network's members (source 003) ---------------------------------


class MeasureCatalogue(models.Model):
    """The service catalogue a measure is delivered with: its own admitted kinds
    (``AdmittedService``), or those of another measure (``services_from``), as GOL Percorso 5
    is delivered with the services of Percorso 3 (source 003, "Attivazione dei percorsi")."""

    measure = models.OneToOneField(
        Measure, verbose_name=_("measure"), on_delete=models.CASCADE, related_name="catalogue"
    )
    services_from = models.ForeignKey(
        Measure,
        verbose_name=_("services of the measure"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=200, blank=True)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("service catalogue")
        verbose_name_plural = _("service catalogues")

    def __str__(self) -> str:
        return str(self.measure)


class AdmittedService(models.Model):
    """A service kind admitted by a measure's catalogue."""

    measure = models.ForeignKey(
        Measure,
        verbose_name=_("measure"),
        on_delete=models.CASCADE,
        related_name="admitted_services",
    )
    kind = models.CharField(_("service"), max_length=32, choices=ServiceKind)

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        ordering = ["measure", "kind"]
        verbose_name = _("admitted service")
        verbose_name_plural = _("admitted services")
        constraints = [
            models.UniqueConstraint(fields=["measure", "kind"], name="admitted_service_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.measure} – {self.get_kind_display()}"


class NetworkRowQuerySet(ScopedQuerySet):
    """A network's shares and reported services: the Nucleo of the network's territory and the
    Region read them all; the lead's staff every row of its networks, a member's its own."""

    province_path = "network__province"

    def in_provinces(self, codes):
        return self.filter(network__province__in=list(codes))

    def for_operator(self, operator_id):
        return self.filter(Q(network__lead_id=operator_id) | Q(operator_id=operator_id))


class NetworkShareQuerySet(NetworkRowQuerySet):
    def editable_by_operator(self, operator_id):
        return self.filter(network__lead_id=operator_id)


class NetworkShare(AuditedModel):
    """The part of the lead's Dote (in euro) a member of the network may deliver and report."""

    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.PROTECT, related_name="shares"
    )
    dote = models.ForeignKey(
        Dote, verbose_name=_("Dote"), on_delete=models.PROTECT, related_name="network_shares"
    )
    operator = models.ForeignKey(
        Operator,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="network_shares",
    )
    amount = models.DecimalField(_("share (€)"), max_digits=10, decimal_places=2)

    objects = NetworkShareQuerySet.as_manager()

    class Meta:
        ordering = ["network", "dote", "operator__name"]
        verbose_name = _("member's share")
        verbose_name_plural = _("members' shares")
        constraints = [
            models.UniqueConstraint(fields=["dote", "operator"], name="network_share_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="network_share_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.operator} – Dote {self.dote_id}"


class NetworkService(AuditedModel):
    """A service a member of a network delivered to the network's workers (individually or to a
    group), reported by the member itself against the lead's Doti."""

    network = models.ForeignKey(
        Network, verbose_name=_("network"), on_delete=models.PROTECT, related_name="services"
    )
    operator = models.ForeignKey(
        Operator,
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="network_services",
    )
    kind = models.CharField(_("service"), max_length=32, choices=ServiceKind)
    delivery = models.CharField(
        _("delivery"), max_length=12, choices=Delivery, default=Delivery.GRUPPO
    )
    delivered_on = models.DateField(_("delivered on"))
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1)
    cost = models.DecimalField(_("cost (€)"), max_digits=10, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = NetworkRowQuerySet.as_manager()

    class Meta:
        ordering = ["-delivered_on", "-id"]
        verbose_name = _("network service")
        verbose_name_plural = _("network services")
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="network_service_hours"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="network_service_cost"),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class NetworkServiceLine(models.Model):
    """A worker's part of a reported service: the hours they attended and the cost charged to
    their Dote (a group service's cost split among its workers)."""

    service = models.ForeignKey(NetworkService, on_delete=models.CASCADE, related_name="lines")
    dote = models.ForeignKey(
        Dote, verbose_name=_("Dote"), on_delete=models.PROTECT, related_name="network_lines"
    )
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1)
    cost = models.DecimalField(_("cost (€)"), max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["service", "dote"]
        verbose_name = _("network service line")
        verbose_name_plural = _("network service lines")
        constraints = [
            models.UniqueConstraint(fields=["service", "dote"], name="network_line_unique"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="network_line_cost"),
        ]

    def __str__(self) -> str:
        return f"{self.service} – Dote {self.dote_id}"


class PaymentQuerySet(ScopedQuerySet):
    def in_provinces(self, codes):
        return self.filter(dote__involvement__unit__province__in=list(codes))

    def for_operator(self, operator_id):
        return self.filter(dote__operator_id=operator_id)

    def editable_in_provinces(self, codes):
        return self.none()  # the Region pays

    def editable_by_region(self):
        return self.all()


class Payment(AuditedModel):
    """Money paid on a Dote (liquidazione), recorded by the Region; the payments of a Dote
    never exceed what was delivered on it (``pal.services.payment_record``)."""

    dote = models.ForeignKey(
        Dote, verbose_name=_("Dote"), on_delete=models.PROTECT, related_name="payments"
    )
    paid_on = models.DateField(_("paid on"))
    amount = models.DecimalField(_("amount (€)"), max_digits=10, decimal_places=2)
    reference = models.CharField(
        _("reference"), max_length=80, help_text=_("The payment order or decree.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["-paid_on", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} – Dote {self.dote_id}"
