"""The API of webhooks (issue #16): an API client manages its own endpoints and reads their
delivery log, under ``/api/v1/webhooks/``.

Every row is the requesting client's own: another client's endpoint (or delivery) id answers
404, like one that does not exist. The signing secret is in the answer to the creation (and
to ``rotate-secret``) only.
"""

from typing import Any, cast

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crisi_portal import api_fields, webhooks
from crisi_portal.filtersets import BaseFilterSet, yes_no_filter
from crisi_portal.models import (
    SUBSCRIBABLE_EVENTS,
    DeliveryStatus,
    ResourceFamily,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from crisi_portal.roles import Role
from crisi_portal.scoping_api import ClientScopedViewMixin, RolePermission

EVENT_CHOICES = sorted(SUBSCRIBABLE_EVENTS)


def _url_checked(value: str) -> str:
    try:
        webhooks.url_check(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.message_dict.get("url", exc.messages)) from exc
    return value


class WebhookEndpointSerializer(api_fields.ModelSerializer):
    url = serializers.URLField(
        max_length=500,
        help_text="Where the events are POSTed: https, on a public address.",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_CHOICES),
        min_length=1,
        max_length=len(EVENT_CHOICES),
        help_text="The kinds of event sent to this URL.",
    )
    deliveries_url = serializers.SerializerMethodField()

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "active",
            "created_at",
            "updated_at",
            "deliveries_url",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_url(self, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise serializers.ValidationError(_("Webhook URLs must use https."))
        return _url_checked(value)

    def validate_events(self, value: list[str]) -> list[str]:
        return sorted(set(value))

    def get_deliveries_url(self, endpoint: WebhookEndpoint) -> str:
        request = self.context.get("request")
        path = f"/api/v1/webhooks/{endpoint.pk}/deliveries/"
        return request.build_absolute_uri(path) if request else path


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret: shown in this answer only. Keep it to verify signatures.",
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookSecretSerializer(serializers.Serializer):
    secret = serializers.CharField(read_only=True, help_text="The new signing secret (shown once).")


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event",
            "status",
            "attempts",
            "next_attempt_at",
            "last_response_status",
            "last_response_body",
            "last_error",
            "delivered_at",
            "created_at",
            "updated_at",
            "payload",
        ]
        read_only_fields = fields


class WebhookEndpointFilterSet(BaseFilterSet):
    active = yes_no_filter(_("Active"))

    class Meta:
        model = WebhookEndpoint
        fields = ["active"]


class WebhookDeliveryFilterSet(BaseFilterSet):
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices, label=_("Status"))
    event = django_filters.ChoiceFilter(choices=WebhookEvent.choices, label=_("Event"))

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event"]


def problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(description=f"{description} (application/problem+json)")


NOT_YOURS = problem("No such endpoint (or delivery) of yours")


@extend_schema_view(
    list=extend_schema(summary="Your webhook endpoints"),
    retrieve=extend_schema(
        summary="One of your webhook endpoints",
        responses={200: WebhookEndpointSerializer, 404: NOT_YOURS},
    ),
    create=extend_schema(
        summary="Register a webhook endpoint; the answer holds its signing secret, once",
        responses={
            201: WebhookEndpointCreatedSerializer,
            422: problem("Refused: errors[].field names the input (url, events…)"),
        },
    ),
    update=extend_schema(summary="Change an endpoint (URL, events, active)"),
    partial_update=extend_schema(summary="Change some of an endpoint's fields"),
    destroy=extend_schema(summary="Remove an endpoint and its delivery log"),
)
class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ClientScopedViewMixin,
    viewsets.GenericViewSet,
):
    """Webhooks (issue #16): the events of the client's scope POSTed, signed, to its URLs.
    Each client sees and changes only its own endpoints."""

    serializer_class = WebhookEndpointSerializer
    filterset_class = WebhookEndpointFilterSet
    permission_classes = [RolePermission]
    resource_family = ResourceFamily.WEBHOOKS
    read_roles = frozenset({Role.API_CLIENT})
    write_roles = frozenset({Role.API_CLIENT})
    read_actions = ("deliveries",)
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def _endpoints(self) -> models.QuerySet:
        # An API client's own endpoints; administrators read every one (and change them in
        # the admin: an endpoint belongs to an API-client account).
        if getattr(self.request.user, "is_admin", False):
            return WebhookEndpoint.objects.all()
        return WebhookEndpoint.objects.filter(owner_id=getattr(self.request.user, "pk", None))

    def get_queryset(self) -> models.QuerySet:
        if self.action == "deliveries":
            # The log's rows (its filters and schema are the deliveries'), of one's endpoints.
            return WebhookDelivery.objects.filter(endpoint__in=self._endpoints())
        return self._endpoints()

    def _own_endpoint(self, pk: Any) -> WebhookEndpoint:
        try:
            return get_object_or_404(self._endpoints(), pk=int(pk))
        except (OverflowError, TypeError, ValueError) as exc:
            raise Http404 from exc

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        data = cast(dict[str, Any], serializer.validated_data)
        serializer.instance = webhooks.endpoint_create(owner=self.request.user, **data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        endpoint = cast(WebhookEndpoint, serializer.instance)
        body = WebhookEndpointCreatedSerializer(endpoint, context=self.get_serializer_context())
        return Response(body.data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        endpoint = cast(WebhookEndpoint, serializer.instance)
        data = cast(dict[str, Any], serializer.validated_data)
        serializer.instance = webhooks.endpoint_update(endpoint=endpoint, data=data)

    @extend_schema(
        summary="The delivery log of an endpoint, newest first, with each last response",
        responses={200: WebhookDeliverySerializer(many=True), 404: NOT_YOURS},
    )
    @action(
        detail=True,
        methods=["get"],
        filterset_class=WebhookDeliveryFilterSet,
        serializer_class=WebhookDeliverySerializer,
    )
    def deliveries(self, request, pk=None):
        # Not get_object(): this action's filters are the deliveries', not the endpoints'.
        endpoint = self._own_endpoint(pk)
        deliveries = self.get_queryset().filter(endpoint=endpoint).order_by("-created_at", "-id")
        queryset = self.filter_queryset(deliveries)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Send a delivery's event again (a new delivery, same event id)",
        parameters=[
            OpenApiParameter(
                "delivery_id", int, OpenApiParameter.PATH, description="The delivery's id."
            )
        ],
        request=None,
        responses={202: WebhookDeliverySerializer, 404: NOT_YOURS},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9]+)/redeliver",
        filterset_class=None,
        serializer_class=WebhookDeliverySerializer,
    )
    def redeliver(self, request, pk=None, delivery_id=None):
        endpoint = self._own_endpoint(pk)
        try:
            delivery = get_object_or_404(endpoint.deliveries, pk=int(delivery_id or 0))
        except (OverflowError, ValueError) as exc:
            raise Http404 from exc
        again = webhooks.redeliver(delivery)
        return Response(WebhookDeliverySerializer(again).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Send a test event (ping) to the endpoint",
        request=None,
        responses={202: WebhookDeliverySerializer, 404: NOT_YOURS},
    )
    @action(
        detail=True,
        methods=["post"],
        filterset_class=None,
        serializer_class=WebhookDeliverySerializer,
    )
    def ping(self, request, pk=None):
        delivery = webhooks.ping(self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Replace the signing secret; the answer holds the new one, once",
        request=None,
        responses={200: WebhookSecretSerializer, 404: NOT_YOURS},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="rotate-secret",
        filterset_class=None,
        serializer_class=WebhookSecretSerializer,
    )
    def rotate_secret(self, request, pk=None):
        secret = webhooks.endpoint_rotate_secret(endpoint=self.get_object())
        return Response({"secret": secret})
