"""The one place where "who sees what" is decided.

Every scoped model's queryset subclasses :class:`ScopedQuerySet` and says, in
``in_provinces`` and ``for_operator``, how its rows relate to a province and to an
operator. HTML views go through :class:`ScopedViewMixin`, API viewsets through
:class:`ScopedViewSetMixin`; neither repeats the rules. Out of scope means 404;
visible but not editable means 403.
"""

from collections.abc import Iterable
from typing import Self

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.shortcuts import get_object_or_404
from rest_framework import permissions

from crisi_portal.roles import Role


class ScopedQuerySet(models.QuerySet):
    def in_provinces(self, codes: Iterable[str]) -> Self:
        """Rows that belong to one of the given provinces."""
        raise NotImplementedError

    def editable_in_provinces(self, codes: Iterable[str]) -> Self:
        """Rows that staff of the given provinces may change (by default: those they see)."""
        return self.in_provinces(codes)

    def for_operator(self, operator_id: int) -> Self:
        """Rows an accredited operator's staff may see (by default none)."""
        return self.none()

    def editable_by_region(self) -> Self:
        """Rows Region officials may change (by default none: they read and report)."""
        return self.none()

    def editable_by_operator(self, operator_id: int) -> Self:
        """Rows an operator's staff may change (by default none)."""
        return self.none()

    def visible_to(self, user) -> Self:
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.sees_all_provinces:
            return self.all()
        if user.role in (Role.PROVINCE_STAFF, Role.API_CLIENT):
            return self.in_provinces(user.province_codes)
        if user.role == Role.OPERATOR and user.operator_id:
            return self.for_operator(user.operator_id)
        return self.none()

    def editable_by(self, user) -> Self:
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_admin:
            return self.all()
        if user.role == Role.PROVINCE_STAFF:
            return self.editable_in_provinces(user.province_codes)
        if user.role == Role.REGION_OFFICIAL:
            return self.editable_by_region()
        if user.role == Role.OPERATOR and user.operator_id:
            return self.editable_by_operator(user.operator_id)
        if user.role == Role.API_CLIENT:
            # Another regional system upserts within its province restriction, if any.
            if not user.province_codes:
                return self.all()
            return self.editable_in_provinces(user.province_codes)
        return self.none()


class ScopedViewMixin(LoginRequiredMixin):
    """HTML views: the queryset is always the user's visible rows; roles gate whole views."""

    roles: frozenset[str] | None = None  # None: any authenticated role
    require_edit = False

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and self.roles is not None:
            if not (user.is_admin or user.role in self.roles):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def base_queryset(self) -> ScopedQuerySet:
        if getattr(self, "queryset", None) is not None:
            return self.queryset.all()
        return self.model._default_manager.all()

    def get_queryset(self):
        return self.base_queryset().visible_to(self.request.user)

    def get_object(self, queryset=None):
        obj = get_object_or_404(self.get_queryset(), pk=self.kwargs[self.pk_url_kwarg])
        if self.require_edit:
            ensure_editable(obj, self.request.user)
        return obj


def ensure_editable(obj: models.Model, user) -> None:
    """Raise 403 unless ``user`` may change ``obj`` (which they already see)."""
    manager = type(obj)._default_manager
    if not manager.all().editable_by(user).filter(pk=obj.pk).exists():
        raise PermissionDenied


def scoped_get(queryset: ScopedQuerySet, user, **lookup) -> models.Model:
    """Fetch one row in the user's scope or raise 404."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404 from exc


class RolePermission(permissions.BasePermission):
    """API: reads for ``read_roles``, writes for ``write_roles`` (set on the viewset)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if user.is_admin:
            return True
        if request.method in permissions.SAFE_METHODS:
            roles = getattr(view, "read_roles", None)
        else:
            roles = getattr(view, "write_roles", frozenset())
        return roles is None or user.role in roles


class ScopedViewSetMixin:
    """API viewsets: list and retrieve in scope (404 outside), writes need edit rights (403)."""

    permission_classes = [RolePermission]
    read_roles: frozenset[str] | None = None
    write_roles: frozenset[str] = frozenset()

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)

    def get_object(self):
        obj = super().get_object()
        if self.request.method not in permissions.SAFE_METHODS:
            ensure_editable(obj, self.request.user)
        return obj
