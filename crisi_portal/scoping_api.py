"""The API half of :mod:`crisi_portal.scoping`: the same decisions, as DRF fields,
permissions and viewset mixins.

Apart from ``scoping`` because DRF is heavy to import (≈ 0.1 s: its serializers pull in
``requests``) and the models, services and management commands import ``scoping``: a process
such as ``run_report`` then starts without DRF (issue #12). The rules themselves stay in
``scoping``; this module only applies them.
"""

from typing import TYPE_CHECKING, Any, cast

from django.db import models
from django.utils.translation import gettext as _
from rest_framework import permissions, serializers
from rest_framework.relations import MANY_RELATION_KWARGS

from crisi_portal.scoping import ScopedQuerySet, ensure_editable, has_role, prefetched

if TYPE_CHECKING:
    from rest_framework import generics
    from rest_framework.permissions import _SupportsHasPermission
    from rest_framework.request import Request
    from rest_framework.views import APIView

    # The API mixins below are mixed into DRF's generic views; the checker reads them as such.
    _GenericAPIView = generics.GenericAPIView
else:
    _GenericAPIView = object


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id in a request body, resolved only among the rows the caller sees (``editable``:
    may change). An id out of scope gets DRF's "does not exist" answer, word for word."""

    def __init__(self, *, editable: bool = False, **kwargs: Any) -> None:
        self.editable = editable
        super().__init__(**kwargs)

    def get_queryset(self) -> ScopedQuerySet:
        # Declared with a scoped model's queryset (DRF's is None only for read-only fields).
        queryset = cast(ScopedQuerySet, super().get_queryset())
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return queryset.editable_by(user) if self.editable else queryset.visible_to(user)

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> "ScopedManyRelatedField":
        # DRF's many_init, building our list field around the scoped child.
        list_kwargs: dict[str, Any] = {"child_relation": cls(*args, **kwargs)}
        list_kwargs.update({k: v for k, v in kwargs.items() if k in MANY_RELATION_KWARGS})
        return ScopedManyRelatedField(**list_kwargs)


class ScopedManyRelatedField(serializers.ManyRelatedField):
    """The ids a row points at, as the caller may see them: a related row out of scope is left
    out of the answer (a regional table's procedures of other provinces), not named. A list
    prefetches the relation with ``scoping.visible_related``; a single row is filtered here."""

    def get_attribute(self, instance: models.Model) -> Any:
        related: Any = super().get_attribute(instance)
        if not hasattr(related, "visible_to") or prefetched(instance, self.source_attrs[-1]):
            return related
        request = self.context.get("request")
        return related.visible_to(getattr(request, "user", None))


class RolePermission(permissions.BasePermission):
    """API: reads for ``read_roles``, writes for ``write_roles`` (set on the viewset)."""

    def has_permission(self, request: "Request", view: "APIView") -> bool:
        if request.method in permissions.SAFE_METHODS:
            roles = getattr(view, "read_roles", None)
        else:
            roles = getattr(view, "write_roles", frozenset())
        return has_role(request.user, roles)


# --- API clients' scopes ---------------------------------------------------------------------


def request_access(request: "Request", view: "APIView") -> str:
    """``read`` for safe methods and the viewset's ``read_actions`` (a POSTed search), else
    ``write``."""
    if request.method in permissions.SAFE_METHODS:
        return "read"
    if getattr(view, "action", None) in getattr(view, "read_actions", ()):
        return "read"
    return "write"


def resource_family(view: "APIView") -> str | None:
    """The resource family an API view belongs to: its action's entry in
    ``action_resource_families``, else its ``resource_family``."""
    by_action = getattr(view, "action_resource_families", {})
    return by_action.get(getattr(view, "action", None), getattr(view, "resource_family", None))


class ClientScopePermission(permissions.BasePermission):
    """A request authenticated with an API token does what the token's scopes allow: reading
    a resource family needs its ``read`` (or ``write``) scope, changing it its ``write`` scope.
    A view with no resource family is closed to tokens. Sessions (people) are not scoped."""

    message = _("This API client's scopes do not allow this request.")

    def has_permission(self, request: "Request", view: "APIView") -> bool:
        token = request.auth
        if not hasattr(token, "allows"):
            return True
        family = resource_family(view)
        if family is None:
            return False
        access = request_access(request, view)
        if token.allows(family, access):
            return True
        if access == "write":
            self.message = _("This API client may not change %(family)s.") % {"family": family}
        else:
            self.message = _("This API client may not read %(family)s.") % {"family": family}
        return False


class ClientScopedViewMixin(_GenericAPIView):
    """Every API viewset: the token's scopes are checked before the viewset's own permissions.
    Set ``resource_family`` (and, for an action of another family, ``action_resource_families``).
    """

    resource_family: str | None = None
    action_resource_families: dict[str, str] = {}

    def get_permissions(self) -> list["_SupportsHasPermission"]:
        return [ClientScopePermission(), *super().get_permissions()]


class ScopedViewSetMixin(ClientScopedViewMixin):
    """API viewsets: list and retrieve in scope (404 outside), writes need edit rights (403)."""

    permission_classes = [RolePermission]
    read_roles: frozenset[str] | None = None
    write_roles: frozenset[str] = frozenset()

    def get_queryset(self) -> ScopedQuerySet:
        return cast(ScopedQuerySet, super().get_queryset()).visible_to(self.request.user)

    def get_object(self) -> models.Model:
        obj = super().get_object()
        if self.request.method not in permissions.SAFE_METHODS:
            ensure_editable(obj, self.request.user)
        return obj
