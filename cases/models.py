import unicodedata
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.enums import (
    FAMILY_SHORT_LABELS,
    GUIDELINE_LETTERS,
    AgreementGoal,
    AgreementKind,
    Cause,
    CompanyKind,
    ConcessionKind,
    DecisionKind,
    Family,
    MeetingKind,
    ParticipantRole,
    PartyRole,
    RuleCode,
    Status,
)
from cases.validators import validate_company_tax_code
from crisi_portal import numbering
from crisi_portal.history import AuditedHistoricalRecords, AuditedModel, TimestampedModel
from crisi_portal.identifiers import normalise_tax_code
from crisi_portal.scoping import ScopedQuerySet


class Province(models.Model):
    """One of Lombardy's twelve provinces (reference data shipped with the migrations)."""

    code = models.CharField(_("code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=60)
    position = models.PositiveSmallIntegerField(
        _("position"), unique=True, help_text=_("Order used by the official tables.")
    )

    class Meta:
        ordering = ["position"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class Cpi(models.Model):
    """A Centro per l'Impiego of Lombardy (reference data, migration ``0011_cpi_reference``)."""

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=120)
    province = models.ForeignKey(
        Province, verbose_name=_("province"), on_delete=models.PROTECT, related_name="cpis"
    )
    comune = models.CharField(_("seat (municipality)"), max_length=80)

    class Meta:
        ordering = ["province__position", "name"]
        verbose_name = _("employment centre (CPI)")
        verbose_name_plural = _("employment centres (CPI)")

    def __str__(self) -> str:
        return self.name


class CpiMunicipality(models.Model):
    """Which CPI is competent for a municipality (reference data, migration ``0011_cpi_reference``).

    ``derived`` marks the rows not taken from a source but filled by the fallback rule (the
    CPI of the province's capoluogo); an officer overrides the unit's CPI where it is wrong.
    """

    istat_code = models.CharField(_("ISTAT code"), max_length=6, unique=True)
    name = models.CharField(_("name"), max_length=80)
    # The name folded (lower case, no accents, no punctuation) for matching what was typed.
    name_key = models.CharField(max_length=80, editable=False, db_index=True)
    province = models.ForeignKey(
        Province, verbose_name=_("province"), on_delete=models.PROTECT, related_name="+"
    )
    cpi = models.ForeignKey(
        Cpi, verbose_name=_("CPI"), on_delete=models.PROTECT, related_name="municipalities"
    )
    derived = models.BooleanField(
        _("derived"),
        default=False,
        help_text=_("Assigned by the fallback rule (the capoluogo's CPI), not by a source."),
    )

    class Meta:
        ordering = ["province__position", "name"]
        verbose_name = _("municipality's CPI")
        verbose_name_plural = _("municipalities' CPIs")

    def __str__(self) -> str:
        return f"{self.name} → {self.cpi}"


class CompanyQuerySet(ScopedQuerySet):
    def in_provinces(self, codes):
        procedures = CrisisProcedure.objects.in_provinces(codes).filter(company=OuterRef("pk"))
        return self.filter(Exists(procedures))

    def editable_in_provinces(self, codes):
        # A company record is shared by every procedure on it: a province renames it only when
        # it leads all of them (a procedure with no lead province blocks it too; a company
        # left with no procedure at all blocks nobody).
        led_elsewhere = CrisisProcedure.objects.filter(company=OuterRef("pk")).exclude(
            lead_province__in=list(codes)
        )
        return self.filter(~Exists(led_elsewhere))


class Company(AuditedModel):
    name = models.CharField(_("company name"), max_length=200)
    tax_code = models.CharField(
        _("tax code"),
        max_length=16,
        unique=True,
        validators=[validate_company_tax_code],
        help_text=_("Partita IVA (11 digits) or, for sole traders, the owner's fiscal code."),
    )
    ateco_code = models.CharField(
        _("ATECO code"), max_length=8, blank=True, help_text=_("Sector code, e.g. 25.62.00")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=CompanyKind, blank=True)

    objects = CompanyQuerySet.as_manager()
    # Not a field: cases.services.company_upsert sets it when the caller's differing details
    # became a CompanyChangeProposal instead of changing the record.
    change_proposed: bool = False

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[*CompanyKind.values, ""]), name="company_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.tax_code})"

    def clean(self) -> None:
        self.tax_code = normalise_tax_code(self.tax_code or "")
        self.name = " ".join((self.name or "").split())


class CompanyChangeProposal(models.Model):
    """A change to a shared company record asked by someone who may not make it.

    A province that does not lead every procedure of a company cannot rename it (the other
    provinces would see the new name); what it typed is kept here for the Region to accept or
    reject in the admin.
    """

    class Decision(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="proposals"
    )
    name = models.CharField(_("proposed name"), max_length=200, blank=True)
    ateco_code = models.CharField(_("proposed ATECO code"), max_length=8, blank=True)
    kind = models.CharField(_("proposed kind"), max_length=24, choices=CompanyKind, blank=True)
    proposed_by = models.ForeignKey(
        "crisi_portal.User",
        verbose_name=_("proposed by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision, default=Decision.PENDING
    )
    decided_by = models.ForeignKey(
        "crisi_portal.User",
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at"]
        verbose_name = _("company change proposal")
        verbose_name_plural = _("company change proposals")

    def __str__(self) -> str:
        return f"{self.company.tax_code}: {self.name or self.ateco_code or self.kind}"


class CrisisProcedureQuerySet(ScopedQuerySet):
    def in_provinces(self, codes):
        codes = list(codes)
        units = ProductionUnit.objects.filter(procedure=OuterRef("pk"), province__in=codes)
        return self.filter(Q(lead_province__in=codes) | Exists(units))

    def editable_in_provinces(self, codes):
        # Procedure-level fields belong to the lead province.
        return self.filter(lead_province__in=list(codes))

    def deleted_in_provinces(self, history, codes):
        # Led there, or with a unit there when it went (its units are deleted with it).
        codes = list(codes)
        units = ProductionUnit.history.filter(procedure_id=OuterRef("id"), province_id__in=codes)
        return history.filter(Q(lead_province_id__in=codes) | Exists(units))

    def with_totals(self):
        # Aggregating drops Meta.ordering (GROUP BY), so the order is restated.
        return self.annotate(
            unit_count=models.Count("units", distinct=True),
            total_workers=models.Sum("units__workers_involved"),
        ).order_by(*self.model._meta.ordering)


class CrisisProcedure(AuditedModel):
    external_id = models.CharField(
        _("external id"),
        max_length=64,
        unique=True,
        help_text=_("Identifier shared with other regional systems; generated when left empty."),
    )
    number = numbering.number_field(
        _(
            "The procedure's number by lead province and year (BG-2026-0007): given once, "
            "never changed or reused."
        )
    )
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.PROTECT, related_name="procedures"
    )
    family = models.CharField(_("family"), max_length=32, choices=Family)
    cause = models.CharField(_("cause"), max_length=32, choices=Cause, blank=True)
    concession_kind = models.CharField(
        _("concession"), max_length=32, choices=ConcessionKind, blank=True
    )
    opened_on = models.DateField(
        _("opened on"),
        help_text=_("The day the Nucleo took the case; the annual report counts by it."),
    )
    start_date = models.DateField(_("income support from"))
    end_date = models.DateField(_("income support until"), null=True, blank=True)
    union_agreement_date = models.DateField(_("union agreement date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.APERTA)
    lead_province = models.ForeignKey(
        Province,
        verbose_name=_("lead province"),
        on_delete=models.PROTECT,
        related_name="led_procedures",
    )
    high_complexity = models.BooleanField(_("high complexity"), default=False)
    complexity_note = models.TextField(_("complexity note"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = CrisisProcedureQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_on", "-id"]
        verbose_name = _("crisis procedure")
        verbose_name_plural = _("crisis procedures")
        constraints = [
            models.CheckConstraint(
                condition=Q(family__in=Family.values), name="procedure_family_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="procedure_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="procedure_end_after_start",
            ),
        ]
        indexes = [models.Index(fields=["family", "opened_on"])]

    def __str__(self) -> str:
        return f"{self.reference} – {self.company.name}"

    def get_absolute_url(self) -> str:
        return reverse("cases:procedure_detail", args=[self.pk])

    @property
    def reference(self) -> str:
        """What people read and quote: the number, or the external id of a row not numbered."""
        return self.number or self.external_id

    def give_number(self) -> None:
        """Number a procedure about to be created (its lead province, the year it opened)."""
        if self.number or not self.lead_province_id or not self.opened_on:
            return
        self.number = numbering.next_number(
            f"procedure:{self.lead_province_id}", self.lead_province_id, self.opened_on.year
        )

    def save(self, *args, **kwargs) -> None:
        if self._state.adding:
            self.give_number()
        super().save(*args, **kwargs)

    @property
    def family_short(self) -> str:
        return FAMILY_SHORT_LABELS[Family(self.family)]

    @property
    def guideline(self) -> str:
        return GUIDELINE_LETTERS[Family(self.family)]

    def check_company(self, company: "Company | str | None") -> None:
        """A procedure cannot be moved to another company (RuleCode.PROCEDURE_COMPANY_FIXED).

        ``company`` is the company asked for, or its tax code; the one the procedure was filed
        under is read from the database. Raises a ValidationError on ``company``; a procedure
        not yet saved takes any company."""
        if self.pk is None or not company:
            return
        filed = (
            CrisisProcedure.objects.filter(pk=self.pk)
            .values_list("company_id", "company__tax_code")
            .first()
        )
        if filed is None:
            return
        if isinstance(company, Company):
            same = company.pk == filed[0]
        else:
            same = normalise_tax_code(company) == filed[1]
        if not same:
            raise ValidationError(
                {
                    "company": ValidationError(
                        _("A procedure cannot be moved to another company."),
                        code=RuleCode.PROCEDURE_COMPANY_FIXED,
                    )
                }
            )

    def clean(self) -> None:
        errors = {}
        if self.company_id is not None:
            try:
                self.check_company(Company(pk=self.company_id))
            except ValidationError as exc:
                errors.update(exc.error_dict)
        today = timezone.localdate()
        if self.opened_on and self.opened_on > today:
            errors["opened_on"] = _("The opening date cannot be in the future.")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end of income support cannot precede its start.")
        if self.high_complexity and not self.complexity_note.strip():
            errors["complexity_note"] = _("Say why the procedure is highly complex.")
        if errors:
            raise ValidationError(errors)


def number_procedures(procedures: "list[CrisisProcedure]") -> None:
    """Number procedures about to be created in bulk (``bulk_create`` skips ``save()``): one
    counter lock per lead province and year, numbers in the order given."""
    groups: dict[tuple[str, int], list[CrisisProcedure]] = {}
    for procedure in procedures:
        if not procedure.number and procedure.lead_province_id and procedure.opened_on:
            key = (procedure.lead_province_id, procedure.opened_on.year)
            groups.setdefault(key, []).append(procedure)
    for (province, year), members in groups.items():
        numbers = numbering.allocate(f"procedure:{province}", year, len(members))
        for procedure, n in zip(members, numbers, strict=True):
            procedure.number = numbering.formatted(province, year, n)


class ProductionUnitQuerySet(ScopedQuerySet):
    def in_provinces(self, codes):
        # A province that sees a procedure sees all its sites (no personal data, and the
        # context every Nucleo needs); it changes only the units in its own province.
        procedures = CrisisProcedure.objects.in_provinces(codes).filter(pk=OuterRef("procedure"))
        return self.filter(Exists(procedures))

    def editable_in_provinces(self, codes):
        return self.filter(province__in=list(codes))

    def deleted_in_provinces(self, history, codes):
        # In the province, or of a procedure the province sees (as live units are).
        codes = list(codes)
        procedures = CrisisProcedure.objects.in_provinces(codes).values("pk")
        return history.filter(Q(province_id__in=codes) | Q(procedure_id__in=procedures))


class ProductionUnit(AuditedModel):
    """A production site (sede operativa) of the company involved in the procedure."""

    procedure = models.ForeignKey(
        CrisisProcedure,
        verbose_name=_("procedure"),
        on_delete=models.CASCADE,
        related_name="units",
    )
    external_id = models.CharField(
        _("unit external id"),
        max_length=64,
        help_text=_("Identifier of the unit in other systems; generated when left empty."),
    )
    name = models.CharField(
        _("name"), max_length=120, blank=True, help_text=_("e.g. Stabilimento di Dalmine")
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    comune = models.CharField(_("municipality"), max_length=80)
    province = models.ForeignKey(
        Province, verbose_name=_("province"), on_delete=models.PROTECT, related_name="units"
    )
    workers_involved = models.PositiveIntegerField(
        _("workers involved"),
        default=0,
        help_text=_("Entered before the worker lists arrive; the reports count it."),
    )
    cpi = models.ForeignKey(
        Cpi,
        verbose_name=_("competent CPI"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
        help_text=_("Derived from the municipality unless chosen by an officer."),
    )
    cpi_chosen = models.BooleanField(
        _("CPI chosen by an officer"),
        default=False,
        help_text=_("When set, the CPI is kept when the municipality changes."),
    )

    objects = ProductionUnitQuerySet.as_manager()

    class Meta:
        ordering = ["procedure", "province__position", "comune", "id"]
        verbose_name = _("production unit")
        verbose_name_plural = _("production units")
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "external_id"], name="unit_external_id_unique_in_procedure"
            ),
            models.CheckConstraint(
                condition=Q(workers_involved__gte=0), name="unit_workers_not_negative"
            ),
        ]

    def __str__(self) -> str:
        label = self.name or self.comune
        return f"{label} ({self.province_id})"

    def get_absolute_url(self) -> str:
        return reverse("cases:procedure_detail", args=[self.procedure_id]) + f"#unit-{self.pk}"

    def derive_cpi(self) -> None:
        """The CPI of the unit's municipality, unless an officer chose one (``cpi_chosen``)."""
        if self.cpi_chosen and self.cpi_id:
            return
        self.cpi_chosen = False
        self.cpi_id = cpi_of_comune(self.comune, self.province_id)

    def save(self, *args, **kwargs):
        self.derive_cpi()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "comune" in update_fields:
            kwargs["update_fields"] = {*update_fields, "cpi", "cpi_chosen"}
        super().save(*args, **kwargs)


def fold_name(name: str) -> str:
    """A municipality's name for matching: lower case, no accents, apostrophes, hyphens or
    repeated spaces ("Sant'Angelo Lodigiano" and "SANT ANGELO LODIGIANO" are the same)."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = "".join(c if c.isalnum() else " " for c in text)
    return " ".join(text.split())


def assign_cpis(units, using: str = "default") -> None:
    """:meth:`ProductionUnit.derive_cpi` for many units at once (one query), e.g. before a
    ``bulk_create``, which does not call ``save()``."""
    units = [u for u in units if not (u.cpi_chosen and u.cpi_id)]
    keys = {fold_name(u.comune) for u in units}
    known: dict[tuple[str, str | None], int] = {}
    rows = CpiMunicipality.objects.using(using).filter(name_key__in=keys).order_by("istat_code")
    for key, province, cpi in rows.values_list("name_key", "province_id", "cpi_id"):
        known.setdefault((key, province), cpi)
        known.setdefault((key, None), cpi)
    for unit in units:
        unit.cpi_chosen = False
        unit.cpi_id = known.get((fold_name(unit.comune), unit.province_id or None))


def cpi_of_comune(comune: str, province_code: str | None) -> int | None:
    """The id of the CPI competent for a municipality (by its name, in the province when
    given), or None when the reference table does not know it."""
    key = fold_name(comune)
    if not key:
        return None
    rows = CpiMunicipality.objects.filter(name_key=key)
    if province_code:
        rows = rows.filter(province_id=province_code)
    return rows.order_by("istat_code").values_list("cpi_id", flat=True).first()


class MeetingQuerySet(ScopedQuerySet):
    def in_provinces(self, codes):
        codes = list(codes)
        procedures = CrisisProcedure.objects.in_provinces(codes).filter(meetings=OuterRef("pk"))
        return self.filter(Q(province__in=codes) | Exists(procedures))

    def editable_in_provinces(self, codes):
        return self.filter(province__in=list(codes))

    def editable_by_region(self):
        # Region officials keep the record of the regional tables they convene.
        return self.filter(province__isnull=True)

    def deleted_in_provinces(self, history, codes):
        return history.filter(province_id__in=list(codes))


def minutes_upload_to(instance: "Meeting", filename: str) -> str:
    return f"minutes/{instance.date:%Y/%m}/{PurePath(filename).name}"


class Meeting(TimestampedModel):
    """A table (tavolo) where procedures are discussed."""

    kind = models.CharField(_("kind"), max_length=24, choices=MeetingKind)
    date = models.DateField(_("date"))
    province = models.ForeignKey(
        Province,
        verbose_name=_("convened by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
        help_text=_(
            "The Nucleo that convened it; empty when the Region convened it, as it always "
            "does a regional table."
        ),
    )
    procedures = models.ManyToManyField(
        CrisisProcedure, verbose_name=_("procedures discussed"), related_name="meetings"
    )
    participants = models.TextField(_("participants"), blank=True)
    minutes = models.FileField(
        _("minutes"),
        upload_to=minutes_upload_to,
        blank=True,
        validators=[FileExtensionValidator(["pdf", "odt", "docx", "doc", "txt"])],
    )
    notes = models.TextField(_("notes"), blank=True)
    history = AuditedHistoricalRecords(m2m_fields=[procedures])

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=MeetingKind.values), name="meeting_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind=MeetingKind.REGIONALE) | Q(province__isnull=True),
                name="meeting_regional_convened_by_region",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date:%d/%m/%Y}"

    def clean(self) -> None:
        # The Tavolo Regionale di coordinamento is the Region's (DGR 6177/2023): no Nucleo
        # convenes it. Other tables may be convened by a Nucleo or by the Region.
        if self.kind == MeetingKind.REGIONALE and self.province_id is not None:
            raise ValidationError(
                {
                    "province": _(
                        "A regional table is convened by the Region: leave “Convened by” empty."
                    )
                }
            )

    def get_absolute_url(self) -> str:
        return reverse("cases:meeting_detail", args=[self.pk])


class AgreementQuerySet(ScopedQuerySet):
    """An agreement is seen with its procedure and changed by who changes the procedure
    (its lead province)."""

    def in_provinces(self, codes):
        procedures = CrisisProcedure.objects.in_provinces(codes).filter(pk=OuterRef("procedure"))
        return self.filter(Exists(procedures))

    def editable_in_provinces(self, codes):
        return self.filter(procedure__lead_province__in=list(codes))

    def deleted_in_provinces(self, history, codes):
        procedures = CrisisProcedure.objects.in_provinces(codes).values("pk")
        return history.filter(procedure_id__in=procedures)


def agreement_upload_to(instance: "Agreement", filename: str) -> str:
    return f"agreements/{instance.signed_on:%Y/%m}/{PurePath(filename).name}"


# The documents an agreement may carry: the same kinds as a meeting's minutes.
DOCUMENT_EXTENSIONS = ["pdf", "odt", "docx", "doc", "txt"]
MAX_PARTIES = 20


class Agreement(AuditedModel):
    """A union, territorial, sectoral or ministerial agreement on a procedure.

    Source 000 (2010 agreement), point 2: company agreements set goals of requalification to
    keep the job (CIGO) or of requalification and/or re-employment (CIGS); point 3:
    outplacement programmes defined in company agreements; points 4-5: territorial and
    sectoral agreements. Source 003: the path is written into the union agreement. The
    procedure's ``union_agreement_date`` stays as it is (the date the reports already read);
    agreements are the full record beside it.
    """

    procedure = models.ForeignKey(
        CrisisProcedure,
        verbose_name=_("procedure"),
        on_delete=models.CASCADE,
        related_name="agreements",
    )
    kind = models.CharField(_("kind of agreement"), max_length=16, choices=AgreementKind)
    signed_on = models.DateField(_("signed on"))
    parties = models.JSONField(
        _("parties"),
        default=list,
        blank=True,
        help_text=_("Who signed: a list of {role, name}."),
    )
    goal_keep_job = models.BooleanField(_("goal: keep the job"), default=False)
    goal_retrain = models.BooleanField(_("goal: retrain"), default=False)
    goal_reemploy = models.BooleanField(_("goal: re-employ"), default=False)
    outplacement = models.BooleanField(_("outplacement clause"), default=False)
    outplacement_text = models.TextField(_("outplacement clause text"), blank=True)
    workers_covered = models.PositiveIntegerField(
        _("workers covered"),
        validators=[MinValueValidator(1)],
        help_text=_("At least one, and not more than the procedure's workers involved."),
    )
    document = models.FileField(
        _("agreement document"),
        upload_to=agreement_upload_to,
        blank=True,
        validators=[FileExtensionValidator(DOCUMENT_EXTENSIONS)],
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_on", "-id"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=AgreementKind.values), name="agreement_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(workers_covered__gte=1), name="agreement_workers_covered_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.signed_on:%d/%m/%Y}"

    def get_absolute_url(self) -> str:
        return reverse("cases:procedure_detail", args=[self.procedure_id]) + f"#agreement-{self.pk}"

    @property
    def goals(self) -> list[str]:
        return [goal.value for goal in AgreementGoal if getattr(self, f"goal_{goal.value}")]

    @property
    def goal_labels(self) -> list[str]:
        return [str(AgreementGoal(goal).label) for goal in self.goals]

    @property
    def party_rows(self) -> list[tuple[str, str]]:
        """(role label, name) of each party, for pages."""
        labels = dict(PartyRole.choices)
        return [(str(labels.get(p.get("role"), "")), p.get("name", "")) for p in self.parties]

    def clean(self) -> None:
        errors: dict[str, object] = {}
        if self.signed_on and self.signed_on > timezone.localdate():
            errors["signed_on"] = _("The agreement cannot be signed in the future.")
        if not self.goals:
            errors["goals"] = _("Choose at least one goal.")
        if self.outplacement and not self.outplacement_text.strip():
            errors["outplacement_text"] = _("Give the text of the outplacement clause.")
        parties = self.parties if isinstance(self.parties, list) else None
        if parties is None or len(parties) > MAX_PARTIES:
            errors["parties"] = _("List at most %(n)d parties.") % {"n": MAX_PARTIES}
        else:
            cleaned = []
            for party in parties:
                role = party.get("role") if isinstance(party, dict) else None
                name = " ".join(str(party.get("name") or "").split()) if role else ""
                if role not in PartyRole.values or not name or len(name) > 200:
                    errors["parties"] = _(
                        "Each party needs a role from the list and a name (200 characters at most)."
                    )
                    break
                cleaned.append({"role": role, "name": name})
            else:
                self.parties = cleaned
        if errors:
            raise ValidationError(errors)


class AgendaItem(models.Model):
    """One procedure on a meeting's agenda, in order, with what was to be discussed.

    Kept in step with ``Meeting.procedures`` by the services (``cases.services``): the
    many-to-many stays the contract (API field, forms, scoping); the agenda adds the order and
    the topic. A procedure attached without the services (admin, fixtures) has no item yet and
    is listed last, without a topic."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    procedure = models.ForeignKey(
        CrisisProcedure, on_delete=models.CASCADE, related_name="agenda_items"
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    topic = models.CharField(_("topic"), max_length=300, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "procedure"], name="agenda_item_unique")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.topic}"


class MeetingParticipant(models.Model):
    """Who sat at the table: a role, the organisation, and the person's role or title (never
    a name: the record is shared across provinces)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendees")
    role = models.CharField(_("role"), max_length=16, choices=ParticipantRole)
    organisation = models.CharField(_("organisation"), max_length=200)
    title = models.CharField(_("person's role or title"), max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=ParticipantRole.values), name="participant_role_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.organisation}"


class MeetingDecision(TimestampedModel):
    """What a table decided about one procedure on its agenda, and whether it was done."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    procedure = models.ForeignKey(
        CrisisProcedure,
        verbose_name=_("procedure"),
        on_delete=models.CASCADE,
        related_name="table_decisions",
    )
    kind = models.CharField(_("decision"), max_length=24, choices=DecisionKind)
    text = models.TextField(_("text"), blank=True)
    due_on = models.DateField(_("due by"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked done by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=DecisionKind.values), name="decision_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class CalendarFeed(models.Model):
    """A user's personal iCalendar subscription: only the SHA-256 of its secret is stored.
    Revoking deletes the row; the feed then answers 404."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"calendar feed {self.pk}"
