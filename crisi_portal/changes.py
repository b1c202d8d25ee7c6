"""A changes feed per collection, so that syncing systems also learn of deletions.

``GET /api/v1/<collection>/changes/?since=…`` lists, oldest first, every creation, update and
deletion recorded in the audit history (simple-history: ``+``, ``~``, ``-``) since that
moment, in the caller's scope (:func:`crisi_portal.scoping.visible_changes`). A client syncs
with ``?updated_since=`` on the collection, and applies the ``deleted`` events of this feed
(tombstones) to drop what is gone. Paged like every list (``?paging=cursor`` for long feeds).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action

from crisi_portal import api_fields
from crisi_portal.errors import InvalidQuery
from crisi_portal.filtersets import UtcIsoDateTimeField
from crisi_portal.scoping import visible_changes

ACTIONS = {"+": "created", "~": "updated", "-": "deleted"}


class ChangeSerializer(serializers.Serializer):
    id = api_fields.IntegerField(help_text=_("The object's id."))
    action = serializers.SerializerMethodField(help_text=_("created, updated or deleted."))
    at = serializers.DateTimeField(source="history_date", help_text=_("When it happened."))
    change_id = api_fields.IntegerField(
        source="history_id", help_text=_("The change's own id (increasing).")
    )

    def get_action(self, obj) -> str:
        return ACTIONS[obj.history_type]


class ChangesFeedMixin:
    """Adds ``changes`` (a list action) to a viewset whose model keeps a simple history."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "since",
                OpenApiTypes.DATETIME,
                description=(
                    "Changes at or after this ISO 8601 date-time (any UTC offset); "
                    "default: from the beginning."
                ),
            ),
        ],
        responses={
            200: ChangeSerializer(many=True),
            400: OpenApiResponse(
                description="since is not a valid date-time (application/problem+json)"
            ),
        },
        summary="Creations, updates and deletions since a moment (tombstones for syncs)",
    )
    @action(detail=False, methods=["get"], filterset_class=None)
    def changes(self, request):
        model = self.get_queryset().model
        history = model.history.all()
        raw = request.query_params.get("since")
        if raw is not None:
            try:
                since = UtcIsoDateTimeField().clean(raw)
            except ValidationError as exc:
                raise InvalidQuery(
                    [{"field": "since", "message": message} for message in exc.messages]
                ) from None
            if since is not None:
                history = history.filter(history_date__gte=since)
        changes = visible_changes(model, request.user, history).order_by(
            "history_date", "history_id"
        )
        page = self.paginate_queryset(changes)
        return self.get_paginated_response(ChangeSerializer(page, many=True).data)
