from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisi_portal.identifiers import normalise_tax_code, validate_fiscal_code
from crisi_portal.roles import Role


class User(AbstractUser):
    """A person or a system using the portal; what they see follows from role and scope."""

    role = models.CharField(_("role"), max_length=20, choices=Role, default=Role.PROVINCE_STAFF)
    provinces = models.ManyToManyField(
        "cases.Province",
        verbose_name=_("provinces"),
        blank=True,
        related_name="users",
        help_text=_("For province staff and API clients: the provinces whose data they see."),
    )
    operator = models.ForeignKey(
        "pal.Operator",
        verbose_name=_("accredited operator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        help_text=_(
            "For operator staff: the organisation they work for. For an API client: the "
            "operator it is restricted to (it then acts like that operator's staff)."
        ),
    )
    # The language of the e-mails the portal sends them (notifications, issue #13).
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of the e-mails the portal sends."),
    )
    # Who the identity provider (OIDC: the Region's IdP or a SPID/CIE proxy) says this is.
    # Only users an administrator has given a fiscal number can sign in that way.
    fiscal_number = models.CharField(
        _("fiscal number"),
        max_length=16,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_fiscal_code],
        help_text=_("For single sign-on (SPID/CIE): the person's fiscal code."),
    )

    class Meta(AbstractUser.Meta):
        permissions = [
            ("view_personal_data", _("Can see workers' identities (every view is logged)")),
        ]

    def clean(self) -> None:
        super().clean()
        if self.fiscal_number is not None:
            self.fiscal_number = normalise_tax_code(self.fiscal_number) or None
        if self.role == Role.OPERATOR and not self.operator_id:
            raise ValidationError({"operator": _("Operator staff must belong to an operator.")})
        if self.role not in (Role.OPERATOR, Role.API_CLIENT) and self.operator_id:
            raise ValidationError(
                {"operator": _("Only operator staff and API clients belong to an operator.")}
            )

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def is_region_official(self) -> bool:
        return self.role == Role.REGION_OFFICIAL

    @property
    def is_province_staff(self) -> bool:
        return self.role == Role.PROVINCE_STAFF

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR

    @cached_property
    def province_codes(self) -> frozenset[str]:
        """The provinces a province officer or a province-restricted API client acts in."""
        if not self.pk:
            return frozenset()
        return frozenset(self.provinces.values_list("code", flat=True))

    @property
    def sees_all_provinces(self) -> bool:
        if self.is_admin or self.is_region_official:
            return True
        # An API client without a province or operator restriction reads the whole region.
        return self.role == Role.API_CLIENT and not self.operator_id and not self.province_codes

    @property
    def can_manage_procedures(self) -> bool:
        """May create procedures and import files (in their own provinces, for staff)."""
        return self.is_active and (self.is_admin or self.is_province_staff)

    @property
    def can_record_meetings(self) -> bool:
        """Staff record their Nucleo's meetings, Region officials the regional tables."""
        return self.is_active and (
            self.is_admin or self.is_province_staff or self.is_region_official
        )


class ResourceFamily(models.TextChoices):
    """The families of API resources a token's scopes name; each API viewset declares its
    own (``resource_family``)."""

    PROCEDURES = "procedures", _("Procedures, units, companies, meetings")
    WORKERS = "workers", _("Workers and cohorts")
    STEPS = "steps", _("Involvements and their steps (moves, outcomes)")
    PAL = "pal", _("PAL: operators, measures, Doti, PIPs, networks")
    REPORTS = "reports", _("Reports and dashboard")
    WEBHOOKS = "webhooks", _("Webhooks: the client's own endpoints and delivery log")


class Access(models.TextChoices):
    READ = "read", _("read")
    WRITE = "write", _("read and write")


def scope_name(family: str, access: str) -> str:
    return f"{family}:{access}"


SCOPE_CHOICES = [
    (scope_name(family, access), f"{family_label}: {access_label}")
    for family, family_label in ResourceFamily.choices
    for access, access_label in Access.choices
]
ALL_SCOPES = frozenset(value for value, _label in SCOPE_CHOICES)
READ_SCOPES = frozenset(scope_name(family, Access.READ) for family in ResourceFamily.values)


def unknown_names(value, known: frozenset[str], not_a_list: str) -> list[str]:
    """The names of the list ``value`` that are not ``known`` (a JSON list of names: scopes,
    webhook events); ``not_a_list`` refuses anything else."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(not_a_list)
    return sorted(set(value) - known)


def validate_scopes(value) -> None:
    message = _("Scopes are a list of names such as 'procedures:read'.")
    unknown = unknown_names(value, ALL_SCOPES, message)
    if unknown:
        raise ValidationError(
            _("Unknown scopes: %(scopes)s.") % {"scopes": ", ".join(unknown)}, code="invalid"
        )


class ApiTokenQuerySet(models.QuerySet):
    def active(self, at=None) -> "ApiTokenQuerySet":
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=at)


class ApiToken(models.Model):
    """A key another system sends as ``Authorization: Token <key>`` (or ``Bearer <key>``).

    Only a SHA-256 digest of the secret part is stored: the key is shown once, when issued
    (``issue_token``), and cannot be read back. The public ``prefix`` finds the row; the
    secret is then compared in constant time. Every token expires; revoking keeps the row,
    so the record of who held which key survives.
    """

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What the token is for, e.g. the system using it.")
    )
    prefix = models.CharField(_("key prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(_("secret digest"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    # What the client may do, per resource family ("procedures:read", "workers:write", ...);
    # "write" includes "read". Who and where (provinces, operator) is on the user.
    scopes = models.JSONField(
        _("scopes"),
        default=list,
        blank=True,
        validators=[validate_scopes],
        help_text=_("Read, or read and write, per resource family."),
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    def allows(self, family: str, access: str) -> bool:
        """Whether the token's scopes let it ``access`` (read/write) the resource ``family``."""
        granted = set(self.scopes or ())
        if scope_name(family, Access.WRITE) in granted:
            return True
        return access == Access.READ and scope_name(family, Access.READ) in granted


class ApiClientHistory(models.Model):
    """What every audit-history row adds to simple-history's: the API token (so the client
    system, by name and key prefix) that made the change, if one did. Filled in by
    ``crisi_portal.history``."""

    history_api_token = models.ForeignKey(
        ApiToken,
        verbose_name=_("API client"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The API token the change was made with."),
    )

    class Meta:
        abstract = True


class NumberCounter(models.Model):
    """The last number given in a series (``series``: e.g. ``"procedure:BG"``) in one year.

    Numbers people read (BG-2026-0007) come from here, through
    :func:`crisi_portal.numbering.allocate`, which locks the row: never two alike, never one
    reused. Derived bookkeeping, not historied (the numbered rows are)."""

    series = models.CharField(_("series"), max_length=40)
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number given"), default=0)

    class Meta:
        verbose_name = _("number counter")
        verbose_name_plural = _("number counters")
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="number_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.year}: {self.last}"


# --- Notifications (issue #13) -------------------------------------------------------------------


class NotificationKind(models.TextChoices):
    """What a notification is about; each user chooses, per kind, how it reaches them."""

    PIP_SUBMITTED = "pip_submitted", _("A PIP is submitted for my review")
    PIP_RETURNED = "pip_returned", _("A PIP I filed is returned")
    PIP_APPROVED = "pip_approved", _("A PIP I filed is approved")
    REPORT_READY = "report_ready", _("A report is ready")
    DEADLINE = "deadline", _("A cruscotto deadline is near")
    MEETING = "meeting", _("A meeting is scheduled")


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the portal only")
    EMAIL = "email", _("In the portal and by e-mail at once")
    DIGEST = "digest", _("In the portal and in a daily e-mail digest")
    OFF = "off", _("Off")


class Notification(models.Model):
    """Something a user is told in the portal (the bell), and by e-mail if they chose so.

    ``params`` fill the kind's message when it is shown, in the reader's language; they never
    hold workers' personal data (the message links to the page instead). ``key`` makes a
    delivery idempotent: one notification per recipient and key. Not historied: a message,
    derived from historied changes."""

    recipient = models.ForeignKey(
        User, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind)
    key = models.CharField(_("key"), max_length=120)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=300)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_key"),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient}"


class NotificationPreference(models.Model):
    """How one user wants one kind of notification (no row: the default, e-mail at once)."""

    user = models.ForeignKey(
        User,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel)

    class Meta:
        ordering = ["user", "kind"]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()} → {self.get_channel_display()}"


# --- Webhooks (issue #16): events out to API clients -----------------------------------------


class WebhookEvent(models.TextChoices):
    """What an endpoint may subscribe to; ``ping`` is only sent on request (a test event)."""

    PROCEDURE_CREATED = "procedure.created", _("A procedure is created")
    PROCEDURE_UPDATED = "procedure.updated", _("A procedure is changed")
    INVOLVEMENT_TAKEN_IN_CHARGE = "involvement.taken_in_charge", _("A worker is taken in charge")
    INVOLVEMENT_STEP_MOVED = "involvement.step_moved", _("A worker moves to another step")
    PIP_DECIDED = "pip.decided", _("A PIP is approved or returned")
    REPORT_READY = "report.ready", _("A report is ready")
    PING = "ping", _("Test event")


SUBSCRIBABLE_EVENTS = frozenset(WebhookEvent.values) - {WebhookEvent.PING}


def validate_webhook_events(value) -> None:
    message = _("Events are a list of names such as 'procedure.created'.")
    unknown = unknown_names(value, SUBSCRIBABLE_EVENTS, message)
    if unknown:
        raise ValidationError(
            _("Unknown events: %(events)s.") % {"events": ", ".join(unknown)}, code="invalid"
        )


class WebhookEndpoint(models.Model):
    """A URL of an API client's system that is told, by signed POSTs, what happens in its
    scope (the client user's provinces or operator, and its tokens' read scopes).

    ``secret`` signs every delivery (HMAC-SHA256, see :mod:`crisi_portal.webhooks`): it is
    shown once, when the endpoint is created, and never returned again (the admin and the API
    only say that it exists). Not historied: the client's own configuration, not case data."""

    owner = models.ForeignKey(
        User,
        verbose_name=_("API client"),
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        help_text=_("The API-client account whose scope the events follow."),
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(_("signing secret"), max_length=80, editable=False)
    events = models.JSONField(
        _("events"),
        default=list,
        validators=[validate_webhook_events],
        help_text=_("The kinds of event sent to this URL."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    RETRYING = "retrying", _("retrying")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one endpoint, with its last attempt's outcome.

    The payload is what is POSTed, byte for byte on every attempt (a redelivery is a new
    row with the same event id, so the receiver can tell it has seen the event)."""

    RESPONSE_EXCERPT = 1024  # characters of the receiver's answer kept

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event_id = models.UUIDField(_("event id"))
    event = models.CharField(_("event"), max_length=40, choices=WebhookEvent)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_response_status = models.PositiveSmallIntegerField(
        _("last response status"), null=True, blank=True
    )
    last_response_body = models.TextField(_("last response (excerpt)"), blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"
