import calendar
import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisi_portal.history import AuditedModel
from crisi_portal.identifiers import normalise_tax_code, validate_fiscal_code
from crisi_portal.scoping import ScopedQuerySet
from workers.enums import (
    EMPLOYEE_CONTRACTS,
    FIXED_TERM_CONTRACTS,
    FIXED_TERM_SPLIT_MONTHS,
    STEP_SHORT_LABELS,
    CitizenshipGroup,
    ContractKind,
    EducationLevel,
    HoursFormat,
    IncomeSupport,
    OutcomeKind,
    OutcomeSource,
    Sex,
    Step,
)


class MoveKind(models.TextChoices):
    START = "start", _("Taken in charge")
    FORWARD = "forward", _("Step forward")
    EXEMPTION = "exemption", _("Exemption from PAL")
    CORRECTION = "correction", _("Correction")


# The step model as one table: (from, to) → kind of move. Anything not here is refused.
# Forward moves go one step at a time; NO_PAL is reachable from any step; moving back is
# a correction (needs a reason and province staff or higher).
TRANSITIONS: dict[tuple[str, str], str] = {
    ("", Step.STEP_1): MoveKind.START,
    (Step.STEP_1, Step.STEP_2): MoveKind.FORWARD,
    (Step.STEP_2, Step.STEP_3): MoveKind.FORWARD,
    (Step.STEP_3, Step.STEP_4): MoveKind.FORWARD,
    (Step.STEP_1, Step.NO_PAL): MoveKind.EXEMPTION,
    (Step.STEP_2, Step.NO_PAL): MoveKind.EXEMPTION,
    (Step.STEP_3, Step.NO_PAL): MoveKind.EXEMPTION,
    (Step.STEP_4, Step.NO_PAL): MoveKind.EXEMPTION,
    (Step.STEP_2, Step.STEP_1): MoveKind.CORRECTION,
    (Step.STEP_3, Step.STEP_1): MoveKind.CORRECTION,
    (Step.STEP_3, Step.STEP_2): MoveKind.CORRECTION,
    (Step.STEP_4, Step.STEP_1): MoveKind.CORRECTION,
    (Step.STEP_4, Step.STEP_2): MoveKind.CORRECTION,
    (Step.STEP_4, Step.STEP_3): MoveKind.CORRECTION,
    (Step.NO_PAL, Step.STEP_1): MoveKind.CORRECTION,
    (Step.NO_PAL, Step.STEP_2): MoveKind.CORRECTION,
    (Step.NO_PAL, Step.STEP_3): MoveKind.CORRECTION,
    (Step.NO_PAL, Step.STEP_4): MoveKind.CORRECTION,
}


def allowed_targets(current: str) -> list[str]:
    return [to for (frm, to) in TRANSITIONS if frm == current]


class ExemptionReason(models.Model):
    """Why a worker is exempted from PAL (NO_PAL); the list is managed in the admin."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("label"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "label"]
        verbose_name = _("exemption reason")
        verbose_name_plural = _("exemption reasons")

    def __str__(self) -> str:
        return self.label


class Country(models.Model):
    """A citizenship: ISTAT's code of a foreign country, and Italy (reference data).

    Shipped by the data migration ``0009_countries`` from ISTAT's "Elenco dei codici e delle
    denominazioni delle unità territoriali estere"; Italy, which that list does not hold, has
    the code 100 that ISTAT gives Italian citizenship in its population statistics. ``group``
    is derived from EU membership as of 2026.
    """

    istat_code = models.CharField(_("ISTAT code"), max_length=3, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    iso_alpha2 = models.CharField(_("ISO 3166 alpha-2 code"), max_length=2, blank=True)
    group = models.CharField(_("citizenship group"), max_length=8, choices=CitizenshipGroup)
    eu_member = models.BooleanField(_("EU member state"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    group__in=[
                        CitizenshipGroup.ITALIAN,
                        CitizenshipGroup.EU,
                        CitizenshipGroup.NON_EU,
                    ]
                ),
                name="country_group_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WorkerQuerySet(ScopedQuerySet):
    def in_provinces(self, codes):
        involvements = Involvement.objects.filter(
            worker=OuterRef("pk"), unit__province__in=list(codes)
        )
        return self.filter(Exists(involvements))

    def for_operator(self, operator_id):
        # An operator sees the workers who chose it: those with one of its Doti.
        involvements = Involvement.objects.for_operator(operator_id).filter(worker=OuterRef("pk"))
        return self.filter(Exists(involvements))


class Worker(AuditedModel):
    fiscal_code = models.CharField(
        _("fiscal code"), max_length=16, unique=True, validators=[validate_fiscal_code]
    )
    last_name = models.CharField(_("last name"), max_length=100)
    first_name = models.CharField(_("first name"), max_length=100)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex)
    citizenship = models.CharField(
        _("citizenship (as received)"),
        max_length=60,
        blank=True,
        default="",
        help_text=_("The text imported; the country below is what the figures count."),
    )
    citizenship_country = models.ForeignKey(
        Country,
        verbose_name=_("citizenship"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    education_level = models.CharField(
        _("education level"), max_length=32, choices=EducationLevel, blank=True
    )
    residence_province = models.ForeignKey(
        "cases.Province",
        verbose_name=_("province of residence"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    objects = WorkerQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        verbose_name = _("worker")
        verbose_name_plural = _("workers")
        indexes = [
            # The lists' order (API and HTML): a page is read from the index, not a sort of
            # every worker (the first API page at 100,000 workers: 105 ms -> 1 ms).
            models.Index(fields=["last_name", "first_name", "id"], name="worker_list_order"),
            # Cursor paging and updated_since walk (updated_at, id).
            models.Index(fields=["updated_at", "id"], name="worker_cursor_order"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(sex__in=Sex.values), name="worker_sex_valid"),
            models.CheckConstraint(
                condition=Q(fiscal_code__regex=r"^[A-Z0-9]{16}$"), name="worker_fiscal_code_form"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.last_name} {self.first_name}"

    def get_absolute_url(self) -> str:
        return reverse("workers:worker_detail", args=[self.pk])

    def clean_fields(self, exclude=None) -> None:
        # Normalise before the field validators run, or max_length refuses "rss chr …".
        self.fiscal_code = normalise_tax_code(self.fiscal_code or "")
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        self.fiscal_code = normalise_tax_code(self.fiscal_code or "")

    @property
    def masked_fiscal_code(self) -> str:
        return f"{self.fiscal_code[:3]}{'*' * 12}{self.fiscal_code[-1:]}"

    @property
    def initials(self) -> str:
        return f"{self.last_name[:1]}. {self.first_name[:1]}."


class CohortQuerySet(ScopedQuerySet):
    def in_provinces(self, codes):
        codes = list(codes)
        return self.filter(
            Q(unit__province__in=codes) | Q(unit__isnull=True, procedure__lead_province__in=codes)
        )


class Cohort(AuditedModel):
    """A group of workers of one procedure (usually one unit) handled together."""

    procedure = models.ForeignKey(
        "cases.CrisisProcedure",
        verbose_name=_("procedure"),
        on_delete=models.CASCADE,
        related_name="cohorts",
    )
    unit = models.ForeignKey(
        "cases.ProductionUnit",
        verbose_name=_("production unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cohorts",
    )
    name = models.CharField(_("name"), max_length=120)
    notes = models.TextField(_("notes"), blank=True)

    objects = CohortQuerySet.as_manager()

    class Meta:
        ordering = ["procedure", "name"]
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")
        constraints = [
            models.UniqueConstraint(fields=["procedure", "name"], name="cohort_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("workers:cohort_detail", args=[self.pk])

    def clean(self) -> None:
        if self.unit_id and self.procedure_id and self.unit.procedure_id != self.procedure_id:
            raise ValidationError({"unit": _("The unit belongs to another procedure.")})


class InvolvementQuerySet(ScopedQuerySet):
    province_path = "unit__province"

    def in_provinces(self, codes):
        return self.filter(**{f"{self.province_path}__in": list(codes)})

    def for_operator(self, operator_id):
        # A worker is an operator's when a Dote (pal, a layer above) ties them: the Dote model
        # is reached through its reverse relation, never imported (docs/adr/0006-layers.md).
        doti = self.model._meta.get_field("doti").related_model._default_manager
        return self.filter(Exists(doti.filter(involvement=OuterRef("pk"), operator_id=operator_id)))

    def editable_by_operator(self, operator_id):
        # Operators record outcomes of the workers who chose them; steps stay with the province.
        return self.for_operator(operator_id)

    def of_worker(self, fiscal_code: str):
        """The involvements of the worker with exactly this fiscal code (none for anything that
        is not one)."""
        code = normalise_tax_code(fiscal_code or "")
        return self.filter(worker__fiscal_code=code) if code else self.none()

    def open_of_worker(self, fiscal_code: str):
        """Those of :meth:`of_worker` in procedures that are not closed."""
        from cases.enums import Status as ProcedureStatus

        return self.of_worker(fiscal_code).exclude(procedure__status=ProcedureStatus.CHIUSA)

    def step_counts(self) -> dict[str, int]:
        """Workers per current step, counted in the database."""
        rows = self.order_by().values("current_step").annotate(n=models.Count("id"))
        counts = dict.fromkeys(Step.values, 0)
        counts.update({row["current_step"]: row["n"] for row in rows})
        return counts


class Involvement(AuditedModel):
    """A worker in a crisis procedure, and where they stand in the step model."""

    worker = models.ForeignKey(
        Worker, verbose_name=_("worker"), on_delete=models.PROTECT, related_name="involvements"
    )
    procedure = models.ForeignKey(
        "cases.CrisisProcedure",
        verbose_name=_("procedure"),
        on_delete=models.PROTECT,
        related_name="involvements",
    )
    unit = models.ForeignKey(
        "cases.ProductionUnit",
        verbose_name=_("production unit"),
        on_delete=models.PROTECT,
        related_name="involvements",
    )
    cohort = models.ForeignKey(
        Cohort,
        verbose_name=_("cohort"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="involvements",
    )
    income_support = models.CharField(
        _("income support"), max_length=16, choices=IncomeSupport, default=IncomeSupport.CIGS
    )
    hours_reduction_pct = models.PositiveSmallIntegerField(
        _("hours reduction (%)"),
        default=100,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    period_start = models.DateField(_("support from"), null=True, blank=True)
    period_end = models.DateField(_("support until"), null=True, blank=True)
    cpi = models.ForeignKey(
        "cases.Cpi",
        verbose_name=_("competent CPI"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Only when it is not the unit's CPI (e.g. the worker lives elsewhere)."),
    )
    current_step = models.CharField(
        _("current step"), max_length=8, choices=Step, default=Step.STEP_1, editable=False
    )
    current_step_since = models.DateField(_("in this step since"), null=True, editable=False)

    objects = InvolvementQuerySet.as_manager()

    class Meta:
        ordering = ["worker__last_name", "worker__first_name", "id"]
        verbose_name = _("involvement")
        verbose_name_plural = _("involvements")
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "procedure"], name="involvement_worker_once_per_procedure"
            ),
            models.CheckConstraint(
                condition=Q(current_step__in=Step.values), name="involvement_step_valid"
            ),
            models.CheckConstraint(
                condition=Q(hours_reduction_pct__gte=0) & Q(hours_reduction_pct__lte=100),
                name="involvement_hours_reduction_range",
            ),
            models.CheckConstraint(
                condition=Q(period_end__isnull=True)
                | Q(period_start__isnull=True)
                | Q(period_end__gte=models.F("period_start")),
                name="involvement_period_ordered",
            ),
        ]
        indexes = [models.Index(fields=["procedure", "current_step"])]

    def __str__(self) -> str:
        return f"{self.worker} – {self.procedure.external_id}"

    def get_absolute_url(self) -> str:
        return reverse("workers:worker_detail", args=[self.worker_id]) + f"#involvement-{self.pk}"

    @property
    def step_label(self) -> str:
        return STEP_SHORT_LABELS[Step(self.current_step)]

    def clean(self) -> None:
        errors = {}
        if self.unit_id and self.procedure_id and self.unit.procedure_id != self.procedure_id:
            errors["unit"] = _("The unit belongs to another procedure.")
        if self.cohort_id and self.procedure_id and self.cohort.procedure_id != self.procedure_id:
            errors["cohort"] = _("The cohort belongs to another procedure.")
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = _("The end of the period precedes its start.")
        if errors:
            raise ValidationError(errors)


class StepTransitionQuerySet(ScopedQuerySet):
    def latest_first(self):
        """The moves newest first: by effective date, then by recording order (id).

        The single definition of "the latest move"; ``.first()`` of it is the move that
        decides the current step, and it orders subqueries on ``OuterRef`` the same way."""
        return self.order_by("-effective_date", "-id")

    def in_provinces(self, codes):
        return self.filter(involvement__unit__province__in=list(codes))

    def for_operator(self, operator_id):
        return self.filter(involvement__in=Involvement.objects.for_operator(operator_id))


class StepTransition(models.Model):
    """One move in the step model; the involvement's current step is the last of these."""

    involvement = models.ForeignKey(
        Involvement, on_delete=models.CASCADE, related_name="transitions"
    )
    from_step = models.CharField(_("from step"), max_length=8, choices=Step, blank=True, default="")
    to_step = models.CharField(_("to step"), max_length=8, choices=Step)
    kind = models.CharField(_("kind"), max_length=12, choices=MoveKind)
    effective_date = models.DateField(_("effective date"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    exemption_reason = models.ForeignKey(
        ExemptionReason,
        verbose_name=_("exemption reason"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transitions",
    )
    measure = models.ForeignKey(
        "pal.Measure",
        verbose_name=_("measure activated"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transitions",
    )

    objects = StepTransitionQuerySet.as_manager()

    class Meta:
        ordering = ["effective_date", "id"]
        verbose_name = _("step transition")
        verbose_name_plural = _("step transitions")
        constraints = [
            models.CheckConstraint(
                condition=Q(to_step__in=Step.values), name="transition_to_step_valid"
            ),
            models.CheckConstraint(
                condition=~Q(to_step=Step.NO_PAL) | Q(exemption_reason__isnull=False),
                name="transition_exemption_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(kind=MoveKind.CORRECTION) | ~Q(reason=""),
                name="transition_correction_has_reason",
            ),
        ]
        # An involvement's moves newest first: its step on a day (the quarterly report's
        # steps_on, the move history) without sorting the table (issue #12).
        indexes = [
            models.Index(
                fields=["involvement", "-effective_date", "-id"], name="transition_latest_first"
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_step or '—'} → {self.to_step} ({self.effective_date})"


def measure_model() -> type[models.Model]:
    """``pal.Measure``, which a move to STEP 4 names.

    ``pal`` sits above ``workers`` (docs/adr/0006-layers.md): its model is taken from the app
    registry through the foreign key that names it, never imported.
    """
    return StepTransition._meta.get_field("measure").related_model


class OutcomeQuerySet(ScopedQuerySet):
    def in_provinces(self, codes):
        return self.filter(involvement__unit__province__in=list(codes))

    def for_operator(self, operator_id):
        return self.filter(involvement__in=Involvement.objects.for_operator(operator_id))

    def editable_by_operator(self, operator_id):
        return self.for_operator(operator_id)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` calendar months later, or the month's last day when that month
    is shorter: 31 August + 6 months = 28 February (29 in a leap year), 30 June + 6 = 30
    December. PostgreSQL's ``date + interval 'n months'`` and dateutil's relativedelta agree."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return datetime.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


# The contract each outcome kind allows: a new employer's employee contract for a worker
# re-employed elsewhere, the same company for one back in it, self-employment for one who
# set up on their own, none for retirement or another outcome. The model's clean() and the
# database's check constraint both read it.
OUTCOME_CONTRACTS: dict[str, tuple[str, ...]] = {
    OutcomeKind.RICOLLOCATO: tuple(EMPLOYEE_CONTRACTS),
    OutcomeKind.REINTEGRATO: (ContractKind.SAME_COMPANY,),
    OutcomeKind.AUTOIMPIEGO: (ContractKind.SELF_EMPLOYMENT,),
    OutcomeKind.PENSIONAMENTO: (),
    OutcomeKind.ALTRO_ESITO: (),
}


def _contracts_consistent() -> Q:
    """The outcome kind ↔ contract kind rule as a check constraint. A blank contract is
    accepted for RICOLLOCATO only in the database: outcomes recorded before issue #15 may not
    say which contract (migration 0008); every save through the application needs one."""
    condition = Q()
    for kind, contracts in OUTCOME_CONTRACTS.items():
        if kind == OutcomeKind.RICOLLOCATO:
            allowed = Q(contract_kind__in=[*contracts, ""])
        elif contracts:
            allowed = Q(contract_kind__in=list(contracts))
        else:
            allowed = Q(contract_kind="")
        condition |= Q(kind=kind) & allowed
    return condition


class Outcome(AuditedModel):
    """Where the worker ended up, after or without PAL: when, with which contract, and who
    says so (issue #15).

    Rules (``clean()``; the contract rule and the dates' order also as check constraints):
    the contract fits the kind (``OUTCOME_CONTRACTS``; a blank one is filled in where the kind
    allows only one); ``contract_end`` only for fixed terms, not before ``date``, and when given
    it decides the split at six months (:meth:`fixed_term_kind`); ``date`` neither in the
    future nor before the worker was taken in charge (the START move's date).
    """

    involvement = models.OneToOneField(
        Involvement, on_delete=models.CASCADE, related_name="outcome"
    )
    kind = models.CharField(_("outcome"), max_length=16, choices=OutcomeKind)
    date = models.DateField(_("date"))
    contract_kind = models.CharField(_("contract"), max_length=20, choices=ContractKind, blank=True)
    contract_end = models.DateField(
        _("contract end"),
        null=True,
        blank=True,
        help_text=_("For a fixed-term contract: its last day (decides the 6-month split)."),
    )
    source = models.CharField(
        _("source"), max_length=26, choices=OutcomeSource, default=OutcomeSource.OPERATOR
    )
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = OutcomeQuerySet.as_manager()

    class Meta:
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=OutcomeKind.values), name="outcome_kind_valid"
            ),
            models.CheckConstraint(
                condition=_contracts_consistent(), name="outcome_contract_fits_kind"
            ),
            models.CheckConstraint(
                condition=Q(source__in=OutcomeSource.values), name="outcome_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(contract_end__isnull=True)
                | (
                    Q(contract_kind__in=list(FIXED_TERM_CONTRACTS))
                    & Q(contract_end__gte=models.F("date"))
                ),
                name="outcome_contract_end_fixed_term",
            ),
        ]
        indexes = [models.Index(fields=["kind", "date"], name="outcome_kind_date")]

    def __str__(self) -> str:
        return self.get_kind_display()

    def taken_on(self) -> datetime.date | None:
        """The day the worker was taken in charge (STEP 1): the date of the START move."""
        if not self.involvement_id:
            return None
        return (
            StepTransition.objects.filter(involvement_id=self.involvement_id, kind=MoveKind.START)
            .order_by("effective_date")
            .values_list("effective_date", flat=True)
            .first()
        )

    @staticmethod
    def fixed_term_kind(start: datetime.date, end: datetime.date) -> str:
        """A fixed term from ``start`` to ``end``, both days worked: "6 months or more" when
        the day after ``end`` is ``start`` + 6 months (:func:`add_months`) or later, else
        "under 6 months" (1 March – 31 August is 6 months; 1 March – 30 August is under)."""
        if end + datetime.timedelta(days=1) >= add_months(start, FIXED_TERM_SPLIT_MONTHS):
            return ContractKind.FIXED_TERM_6_PLUS
        return ContractKind.FIXED_TERM_UNDER_6

    def clean(self) -> None:
        errors: dict[str, str] = {}
        allowed = OUTCOME_CONTRACTS.get(self.kind)
        if allowed is not None:
            if not self.contract_kind and len(allowed) == 1:
                self.contract_kind = allowed[0]
            elif not self.contract_kind and self.contract_end and self.date:
                # A new employer's contract with an end: fixed term, split by its duration.
                self.contract_kind = self.fixed_term_kind(self.date, self.contract_end)
            if not allowed and self.contract_kind:
                errors["contract_kind"] = _("This outcome has no contract: leave it empty.")
            elif allowed and self.contract_kind not in allowed:
                errors["contract_kind"] = (
                    _("Choose the contract with the new employer.")
                    if self.kind == OutcomeKind.RICOLLOCATO
                    else _("For this outcome the contract can only be: %(kinds)s.")
                    % {"kinds": ", ".join(str(ContractKind(k).label) for k in allowed)}
                )
        if self.contract_end and self.contract_kind not in FIXED_TERM_CONTRACTS:
            errors["contract_end"] = _("Only a fixed-term contract has an end date.")
        elif self.contract_end and self.date:
            if self.contract_end < self.date:
                errors["contract_end"] = _("The contract cannot end before the outcome's date.")
            elif "contract_kind" not in errors:
                expected = self.fixed_term_kind(self.date, self.contract_end)
                if self.contract_kind != expected:
                    errors["contract_kind"] = _(
                        "The contract ends on %(end)s: that is %(kind)s."
                    ) % {
                        "end": self.contract_end.strftime("%d/%m/%Y"),
                        "kind": str(ContractKind(expected).label).lower(),
                    }
        if self.date:
            if self.date > timezone.localdate():
                errors["date"] = _("The outcome date cannot be in the future.")
            else:
                taken_on = self.taken_on()
                if taken_on and self.date < taken_on:
                    errors["date"] = _(
                        "The outcome cannot precede the day the worker was taken in charge."
                    )
        if errors:
            raise ValidationError(errors)


class AccessRecordImmutable(Exception):
    """Access records are evidence: the application never changes or deletes them."""


class PersonalDataAccessQuerySet(models.QuerySet):
    """Rows are added, never updated or deleted, except by ``purge_older_than``."""

    def update(self, **kwargs):
        raise AccessRecordImmutable("personal data access records cannot be changed")

    def delete(self):
        raise AccessRecordImmutable("personal data access records cannot be deleted")

    def purge_older_than(self, cutoff) -> int:
        """The retention purge (``manage.py retention``): the one documented way to delete.

        On PostgreSQL a trigger refuses every UPDATE and DELETE on the table unless the
        transaction has set ``crisi.retention = on`` (``SET LOCAL``: it ends with the
        transaction), so nothing else — not even raw SQL from the application — deletes rows.
        """
        rows = self.filter(accessed_at__lt=cutoff)
        connection = connections[self.db]
        postgresql = connection.vendor == "postgresql"
        with transaction.atomic(using=self.db), connection.cursor() as cursor:
            if postgresql:
                cursor.execute("SET LOCAL crisi.retention = 'on'")
            deleted = rows._raw_delete(self.db)
            if postgresql:
                # Also off again at once when called inside a longer transaction.
                cursor.execute("SET LOCAL crisi.retention = 'off'")
        return deleted


class PersonalDataAccess(models.Model):
    """A read of a worker's identity by someone outside the worker's province or operator.

    Append-only: ``save()`` refuses updates, ``delete()`` refuses, the queryset refuses bulk
    updates and deletes, the admin is read-only, and on PostgreSQL a trigger (migration 0004)
    refuses UPDATE and DELETE outside the retention purge.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # PROTECT: deleting a worker must not silently erase who read their data.
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="identity_reads")
    accessed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=200)
    path = models.CharField(max_length=300, blank=True)

    objects = PersonalDataAccessQuerySet.as_manager()

    class Meta:
        ordering = ["-accessed_at"]
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")

    def __str__(self) -> str:
        return f"{self.user} → {self.worker_id} ({self.accessed_at:%Y-%m-%d %H:%M})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AccessRecordImmutable("personal data access records cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AccessRecordImmutable("personal data access records cannot be deleted")


# --- Mandatory communications (UNILAV), issue #16 item 1 -------------------------------------


class UnilavContractCategory(models.TextChoices):
    PERMANENT = "permanent", _("Permanent")
    FIXED = "fixed", _("Fixed term")
    APPRENTICESHIP = "apprenticeship", _("Apprenticeship")
    OTHER = "other", _("Other (not an employee contract the monitoring counts)")


class UnilavContractType(models.Model):
    """A "tipologia contrattuale" of the Ministry of Labour's standard classifications
    (sheet "ST-Tipo contratti"), shipped by a data migration that names its source; what it
    becomes in an outcome (``maps_to``: blank when it is no employee contract the monitoring
    counts, e.g. a traineeship or a collaboration)."""

    code = models.CharField(_("code"), max_length=7, primary_key=True)
    description = models.CharField(_("description"), max_length=200)
    category = models.CharField(_("category"), max_length=16, choices=UnilavContractCategory)
    maps_to = models.CharField(
        _("outcome contract"), max_length=20, choices=ContractKind, blank=True
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("UNILAV contract type")
        verbose_name_plural = _("UNILAV contract types")

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class CommunicationEvent(models.TextChoices):
    HIRING = "hiring", _("Hiring")
    EXTENSION = "extension", _("Extension")
    TRANSFORMATION = "transformation", _("Transformation")
    TERMINATION = "termination", _("Termination")


class UnilavCommunicationType(models.Model):
    """What a communication tells: the section of the UNILAV model it carries (InizioRapporto,
    Proroga, Trasformazione, Cessazione) and, for transformations, the model's transformation
    codes ("ST-Trasformazioni"); ``to_permanent`` says whether it makes the contract permanent.
    Shipped by a data migration that names its source and its assumptions."""

    code = models.CharField(_("code"), max_length=3, primary_key=True)
    description = models.CharField(_("description"), max_length=200)
    event = models.CharField(_("event"), max_length=16, choices=CommunicationEvent)
    to_permanent = models.BooleanField(_("makes the contract permanent"), default=False)

    class Meta:
        ordering = ["event", "code"]
        verbose_name = _("UNILAV communication type")
        verbose_name_plural = _("UNILAV communication types")

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class CommunicationBatch(models.Model):
    """One imported file of mandatory communications and what its import did (counts only:
    no personal data). The digest makes a second import of the same file, from the same scope,
    change nothing."""

    file_name = models.CharField(_("file"), max_length=200)
    digest = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    file_format = models.CharField(_("format"), max_length=4)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    provinces = models.CharField(
        _("matched in provinces"),
        max_length=100,
        blank=True,
        help_text=_("The uploader's provinces (blank: the whole region)."),
    )
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    total = models.PositiveIntegerField(_("communications"), default=0)
    matched = models.PositiveIntegerField(_("of workers in charge"), default=0)
    proposed = models.PositiveIntegerField(_("outcomes proposed"), default=0)
    applied = models.PositiveIntegerField(_("outcomes applied"), default=0)
    ended = models.PositiveIntegerField(_("outcomes ended"), default=0)
    unmatched = models.PositiveIntegerField(_("no worker in charge"), default=0)
    already_applied = models.PositiveIntegerField(_("already applied"), default=0)
    duplicates = models.PositiveIntegerField(_("already imported"), default=0)
    out_of_region = models.PositiveIntegerField(_("workplace outside Lombardy"), default=0)
    not_relevant = models.PositiveIntegerField(_("no outcome to propose"), default=0)
    invalid = models.PositiveIntegerField(_("set aside as invalid"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("communications batch")
        verbose_name_plural = _("communications batches")

    def __str__(self) -> str:
        return self.file_name


class MandatoryCommunication(models.Model):
    """One UNILAV communication, as much of it as the matching needs. ``code`` is the
    ministry's "codice comunicazione": a communication already stored is never read again."""

    code = models.CharField(_("communication code"), max_length=16, unique=True)
    batch = models.ForeignKey(
        CommunicationBatch,
        verbose_name=_("batch"),
        on_delete=models.CASCADE,
        related_name="communications",
    )
    kind = models.ForeignKey(
        UnilavCommunicationType,
        verbose_name=_("kind"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    worker_fiscal_code = models.CharField(_("worker's fiscal code"), max_length=16)
    employer_tax_code = models.CharField(_("employer's tax code"), max_length=16)
    employer_name = models.CharField(_("employer"), max_length=200)
    event_date = models.DateField(_("date"))
    start_date = models.DateField(_("contract start"), null=True, blank=True)
    end_date = models.DateField(_("contract end"), null=True, blank=True)
    contract_type = models.ForeignKey(
        UnilavContractType,
        verbose_name=_("contract type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    workplace_comune = models.CharField(_("workplace comune (cadastral code)"), max_length=4)
    workplace_province = models.CharField(_("workplace province"), max_length=2, blank=True)
    in_region = models.BooleanField(_("workplace in Lombardy"), default=True)
    previous_code = models.CharField(_("previous communication"), max_length=16, blank=True)

    class Meta:
        ordering = ["event_date", "code"]
        verbose_name = _("mandatory communication")
        verbose_name_plural = _("mandatory communications")
        indexes = [models.Index(fields=["worker_fiscal_code"], name="communication_worker")]

    def __str__(self) -> str:
        return self.code


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded")
    ENDED = "ended", _("Ended by a termination")


class ProposedOutcomeQuerySet(ScopedQuerySet):
    province_path = "involvement__unit__province"

    def in_provinces(self, codes):
        return self.filter(involvement__unit__province__in=list(codes))


class ProposedOutcome(AuditedModel):
    """An outcome a mandatory communication suggests for one involvement in charge, waiting for
    a Nucleo officer (or applied at once with ``COMMUNICATIONS_AUTO_APPLY``). Its fields are
    an :class:`Outcome`'s; ``ended_on`` is the day a later termination ended the contract."""

    involvement = models.ForeignKey(
        Involvement,
        verbose_name=_("involvement"),
        on_delete=models.CASCADE,
        related_name="proposed_outcomes",
    )
    communication = models.ForeignKey(
        MandatoryCommunication,
        verbose_name=_("communication"),
        on_delete=models.PROTECT,
        related_name="proposals",
    )
    kind = models.CharField(_("outcome"), max_length=16, choices=OutcomeKind)
    date = models.DateField(_("date"))
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    contract_kind = models.CharField(_("contract"), max_length=20, choices=ContractKind)
    contract_end = models.DateField(_("contract end"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ProposalStatus, default=ProposalStatus.PENDING
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = ProposedOutcomeQuerySet.as_manager()

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("proposed outcome")
        verbose_name_plural = _("proposed outcomes")
        constraints = [
            models.UniqueConstraint(
                fields=["involvement", "communication"], name="proposal_once_per_communication"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ProposalStatus.values), name="proposal_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "date"], name="proposal_status_date")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date:%d/%m/%Y}"

    def outcome_data(self) -> dict:
        """What confirming records as the involvement's outcome (``outcome_record`` data)."""
        return {
            "kind": self.kind,
            "date": self.date,
            "contract_kind": self.contract_kind,
            "contract_end": self.contract_end,
            "employer": self.employer,
            "source": OutcomeSource.MANDATORY_COMMUNICATION,
        }


class ImportSourceKind(models.TextChoices):
    COMPANY_LIST = "company_list", _("Company's list sent with the CIGS application")
    INPS_EXTRACT = "inps_extract", _("INPS extract")
    OTHER = "other", _("Other source")


PROFILE_ENCODINGS = (
    ("", _("UTF-8, else Windows-1252")),
    ("utf-8", "UTF-8"),
    ("cp1252", "Windows-1252"),
    ("iso-8859-1", "ISO-8859-1"),
)
PROFILE_DELIMITERS = (("", _("Recognised")), (";", ";"), (",", ","), ("tab", _("Tab")), ("|", "|"))


class ImportProfile(AuditedModel):
    """How one source writes an income-support list (issue #16 item 2): which header means
    which field of the worker-list importer, and how dates, decimals and the hours cut are
    written. Data the admin adds without code; ``clean`` refuses, naming the field, a mapping
    the importer could not follow."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("code"), max_length=60, unique=True)
    source_kind = models.CharField(_("source"), max_length=20, choices=ImportSourceKind)
    source = models.TextField(
        _("source described"),
        blank=True,
        help_text=_("Who sends files in this format and which document defines them."),
    )
    columns = models.JSONField(
        _("columns"),
        default=dict,
        help_text=_(
            'Field → the header as the source writes it, e.g. {"fiscal_code": "Codice fiscale '
            'lavoratore", "unit": "Unità produttiva"}.'
        ),
    )
    date_formats = models.CharField(
        _("date formats"),
        max_length=100,
        default="dd/mm/yyyy",
        help_text=_(
            "One or more, separated by commas: dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy, "
            "yyyy-mm-dd, yyyymmdd, dd/mm/yy."
        ),
    )
    decimal_separator = models.CharField(
        _("decimal separator"), max_length=1, default=",", choices=((",", ","), (".", "."))
    )
    delimiter = models.CharField(
        _("CSV delimiter"), max_length=3, blank=True, default="", choices=PROFILE_DELIMITERS
    )
    encoding = models.CharField(
        _("CSV encoding"), max_length=20, blank=True, default="", choices=PROFILE_ENCODINGS
    )
    hours_format = models.CharField(
        _("hours cut written as"), max_length=10, default=HoursFormat.PERCENT, choices=HoursFormat
    )
    income_support = models.CharField(
        _("income support of every row"),
        max_length=20,
        blank=True,
        choices=IncomeSupport,
        help_text=_("When the file has no such column (e.g. CIGS for an authorised CIGS list)."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("import profile")
        verbose_name_plural = _("import profiles")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        # Here, not at the top: workers.profiles reads files (crisi_portal.imports), and the
        # models load in every process, run_report's too (tests/test_startup.py).
        from workers.profiles import profile_errors  # noqa: PLC0415

        errors = profile_errors(self)
        if errors:
            raise ValidationError(errors)
