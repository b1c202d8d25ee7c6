from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crisi_portal import webhooks
from crisi_portal.models import (
    SCOPE_CHOICES,
    SUBSCRIBABLE_EVENTS,
    ApiToken,
    Notification,
    NotificationPreference,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from crisi_portal.roles import Role
from crisi_portal.services import api_token_check, api_token_issue, api_token_revoke


def shown_once(model_admin, request, template: str, **context) -> TemplateResponse:
    """The page after an "add" that shows a secret (a key, a signing secret) this once:
    never cached, never in a message."""
    response = TemplateResponse(
        request,
        template,
        {**model_admin.admin_site.each_context(request), "opts": model_admin.opts, **context},
    )
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store"
    return response


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "get_full_name", "email", "role", "operator", "is_active"]
    list_filter = ["role", "provinces", "is_active"]
    filter_horizontal = ["provinces", "groups", "user_permissions"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("Role and scope"), {"fields": ["role", "provinces", "operator"]}),
        (_("Single sign-on"), {"fields": ["fiscal_number"]}),
        (_("Notifications"), {"fields": ["language"]}),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        (_("Role and scope"), {"fields": ["role", "provinces", "operator"]}),
    ]


class ApiTokenForm(forms.ModelForm):
    """Scopes as one checkbox per family and access; a new token also names its client user
    (an API-client account, whose provinces or operator restrict it) and its expiry."""

    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=SCOPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Write includes read. A client without a family's scopes gets 403 there."),
    )

    class Meta:
        model = ApiToken
        fields = ["user", "name", "scopes", "expires_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            self.fields["user"].queryset = User.objects.filter(
                role=Role.API_CLIENT, is_active=True
            ).order_by("username")
            self.fields["user"].help_text = _(
                "An API-client account: its provinces or its operator restrict what the token "
                "reaches (edit them on the user)."
            )

    def clean(self):
        data = super().clean()
        user = data.get("user") or getattr(self.instance, "user", None)
        if self.instance.pk is None and user and not self.errors:
            try:
                api_token_check(
                    user=user,
                    name=data["name"],
                    expires_at=data["expires_at"],
                    scopes=data["scopes"],
                )
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    self.add_error(field, messages)
        return data


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """API clients' tokens: issued here (the key is shown once, on the page that follows) or
    with ``manage.py issue_token``; scopes can be changed, tokens revoked, never deleted, so
    the record of who held which key stays. Only the prefix of a key is stored in clear.
    """

    form = ApiTokenForm
    list_display = [
        "prefix",
        "name",
        "user",
        "scope_list",
        "restriction",
        "expires_at",
        "last_used_at",
        "state",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "expires_at"]
    search_fields = ["prefix", "name", "user__username"]
    list_select_related = ["user", "user__operator"]
    readonly_fields = [
        "prefix",
        "user",
        "restriction",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "name", "scopes", "expires_at"]
        return [
            "prefix",
            "name",
            "user",
            "restriction",
            "scopes",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    @admin.display(description=_("scopes"))
    def scope_list(self, token: ApiToken) -> str:
        return ", ".join(token.scopes)

    @admin.display(description=_("restriction"))
    def restriction(self, token: ApiToken) -> str:
        user = token.user
        if user.operator_id:
            return _("operator: %(name)s") % {"name": user.operator}
        provinces = sorted(user.province_codes)
        if provinces:
            return _("provinces: %(codes)s") % {"codes": ", ".join(provinces)}
        return _("none (the whole region)")

    @admin.display(description=_("state"))
    def state(self, token: ApiToken) -> str:
        if token.revoked_at:
            return _("revoked")
        return _("active") if token.is_active else _("expired")

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request, queryset) -> None:
        count = api_token_revoke(tokens=queryset)
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        token, key = api_token_issue(
            user=data["user"],
            name=data["name"],
            expires_at=data["expires_at"],
            scopes=data["scopes"],
        )
        obj.pk, obj.prefix, obj._issued_key = token.pk, token.prefix, key

    def log_addition(self, request, obj, message):
        return super().log_addition(request, ApiToken.objects.get(pk=obj.pk), message)

    def response_add(self, request, obj, post_url_continue=None):
        # The key, once: on this page only, never in a message (messages may live in a cookie).
        return shown_once(
            self,
            request,
            "admin/crisi_portal/apitoken/issued.html",
            token=ApiToken.objects.select_related("user").get(pk=obj.pk),
            key=obj._issued_key,
            title=_("API token issued"),
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: notifications are written by the services, read (and marked) by their
    recipient."""

    list_display = ["recipient", "kind", "created_at", "read_at", "channel", "emailed_at"]
    list_filter = ["kind", "channel"]
    search_fields = ["recipient__username"]
    raw_id_fields = ["recipient"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "channel"]
    list_filter = ["kind", "channel"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]


# --- Webhooks (issue #16) --------------------------------------------------------------------


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=[
            (value, label) for value, label in WebhookEvent.choices if value in SUBSCRIBABLE_EVENTS
        ],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["owner", "url", "description", "events", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "owner" in self.fields:
            self.fields["owner"].queryset = User.objects.filter(role=Role.API_CLIENT).order_by(
                "username"
            )

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            webhooks.url_check(url)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["url"]) from exc
        return url


class WebhookDeliveryInline(admin.TabularInline):
    """The endpoint's latest deliveries, read-only (redeliver from the deliveries' list)."""

    model = WebhookDelivery
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-created_at", "-id"]
    fields = [
        "created_at",
        "event",
        "status",
        "attempts",
        "last_response_status",
        "last_error",
        "delivered_at",
    ]
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        endpoint_id = (request.resolver_match.kwargs if request.resolver_match else {}).get(
            "object_id"
        )
        latest = WebhookDelivery.objects.filter(endpoint_id=endpoint_id if endpoint_id else None)
        ids = list(latest.order_by("-created_at", "-id").values_list("pk", flat=True)[:20])
        return super().get_queryset(request).filter(pk__in=ids)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """API clients' webhook endpoints. The signing secret is shown once, on the page that
    follows the creation, and never again."""

    form = WebhookEndpointForm
    list_display = ["url", "owner", "event_list", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["url", "owner__username", "description"]
    list_select_related = ["owner"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [WebhookDeliveryInline]
    actions = ["send_ping"]

    @admin.display(description=_("events"))
    def event_list(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.events)

    @admin.action(description=_("Send a test event"), permissions=["change"])
    def send_ping(self, request, queryset) -> None:
        for endpoint in queryset:
            webhooks.ping(endpoint)
        self.message_user(request, _("Test events queued."), messages.SUCCESS)

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        if change:
            webhooks.endpoint_update(endpoint=obj, data=data)
            return
        endpoint = webhooks.endpoint_create(
            owner=data["owner"],
            url=data["url"],
            events=data["events"],
            description=data.get("description", ""),
            active=data.get("active", True),
        )
        obj.pk, obj.secret = endpoint.pk, endpoint.secret

    def get_inlines(self, request, obj=None):
        return self.inlines if obj is not None else []

    def log_addition(self, request, obj, message):
        return super().log_addition(request, WebhookEndpoint.objects.get(pk=obj.pk), message)

    def response_add(self, request, obj, post_url_continue=None):
        # The secret, once, like an API token's key.
        return shown_once(
            self,
            request,
            "admin/crisi_portal/webhookendpoint/created.html",
            endpoint=WebhookEndpoint.objects.select_related("owner").get(pk=obj.pk),
            secret=obj.secret,
            title=_("Webhook endpoint registered"),
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: what was sent where, the last answer; redeliver from here."""

    list_display = [
        "created_at",
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_response_status",
        "delivered_at",
    ]
    list_filter = ["status", "event"]
    search_fields = ["endpoint__url", "event_id"]
    list_select_related = ["endpoint"]
    readonly_fields = [
        "endpoint",
        "event_id",
        "event",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "last_response_status",
        "last_response_body",
        "last_error",
        "delivered_at",
        "created_at",
        "updated_at",
    ]
    actions = ["redeliver"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_redeliver_permission(self, request) -> bool:
        return request.user.has_perm("crisi_portal.change_webhookendpoint")

    @admin.action(description=_("Redeliver the selected events"), permissions=["redeliver"])
    def redeliver(self, request, queryset) -> None:
        deliveries = list(queryset.select_related("endpoint"))
        for delivery in deliveries:
            webhooks.redeliver(delivery)
        self.message_user(
            request,
            _("%(count)d deliveries queued again.") % {"count": len(deliveries)},
            messages.SUCCESS,
        )
