"""The one place where "who may see, and who may act on, what" is decided.

Roles and provinces are turned into decisions here and nowhere else:

- :func:`readable_provinces` / :func:`acting_provinces`: the provinces a user reads and the
  ones where they create or change things (``None`` = every province);
  :func:`may_act_in`, :func:`may_request_report`, :func:`figures_provinces`,
  :func:`sees_identity`, :func:`identity_reads_logged`, :func:`reviewable`.
- Rows: every scoped model's queryset subclasses :class:`ScopedQuerySet` and says, in
  ``in_provinces`` and ``for_operator`` (and the ``editable_*`` hooks), how its rows relate
  to a province and to an operator; :meth:`ScopedQuerySet.visible_to` and
  :meth:`ScopedQuerySet.editable_by` apply the roles.
- References: an id in a request body (``scoping_api.ScopedPrimaryKeyRelatedField``), or a natural
  key — a fiscal code, a tax code, an external id — (``visible_to`` / ``editable_by`` before
  the lookup, :func:`dote_involvements`) is resolved only among the rows in the caller's
  scope, so out of scope answers exactly like "does not exist".
- Views: HTML views go through :class:`ScopedViewMixin`, API viewsets through
  ``scoping_api.ScopedViewSetMixin``; neither repeats the rules. Out of scope means 404; visible but
  not editable means 403.
- API clients (issue #10): a token's scopes say which resource families it reads or writes
  (``scoping_api.ClientScopePermission``, before any object is looked up, so 403 whether or not
  the object exists); an API-client account restricted to an operator acts like that
  operator's staff (:func:`acts_as_operator`), one restricted to provinces like their staff.
"""

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeGuard, cast

from django.apps import apps
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import models
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import get_object_or_404

from crisi_portal.roles import Role

if TYPE_CHECKING:
    # Only for the checker: the models import this module (ScopedQuerySet), and DRF's views
    # import the authentication classes, which import the services, which import this.
    from django.contrib.auth.models import AnonymousUser

    from cases.models import Province
    from crisi_portal.models import User
    from pal.models import Operator

# Whom a decision is about (``User`` is AUTH_USER_MODEL). ``UserOrSystem``: the user a service
# acts for, ``None`` being the system itself (management commands, scheduled tasks).
# ``AnyUser``: whoever a request carries, signed in or not, or ``None`` (no request, or the
# system); the checks below answer "no" for anyone not signed in and active.
type UserOrSystem = User | None
type AnyUser = User | AnonymousUser | None

# --- Who: provinces and roles ---------------------------------------------------------------


def _active(user: AnyUser) -> TypeGuard["User"]:
    return bool(user is not None and user.is_authenticated and user.is_active)


def acts_as_operator(user: "User") -> bool:
    """Operator staff, and an API client restricted to one operator: it acts like that
    operator's staff (sees, and changes, what they do), whatever provinces it also has."""
    return user.role == Role.OPERATOR or (user.role == Role.API_CLIENT and bool(user.operator_id))


def effective_role(user: "User") -> str:
    """The role whose rules apply to ``user``: an operator-restricted API client's is
    ``operator``."""
    return Role.OPERATOR if acts_as_operator(user) else user.role


def has_role(user: AnyUser, roles: Iterable[str] | None) -> bool:
    """Whether an active ``user`` is an admin or plays one of ``roles`` (``None``: any)."""
    if not _active(user):
        return False
    return user.is_admin or roles is None or effective_role(user) in roles


def readable_provinces(user: AnyUser) -> frozenset[str] | None:
    """The provinces whose data ``user`` reads: ``None`` for the whole region.

    Region officials, admins and API clients without a province restriction read everything;
    province officers and restricted API clients their provinces; operators read by
    organisation (:meth:`ScopedQuerySet.for_operator`), so no province as such.
    """
    if not _active(user):
        return frozenset()
    if acts_as_operator(user) and not user.is_admin:
        return frozenset()
    if user.sees_all_provinces:
        return None
    if user.role in (Role.PROVINCE_STAFF, Role.API_CLIENT):
        return user.province_codes
    return frozenset()


def acting_provinces(user: AnyUser) -> frozenset[str] | None:
    """The provinces where ``user`` creates or changes things located there (``None``: any).

    ``user=None`` is the system itself (management commands, scheduled tasks).
    """
    if user is None:
        return None
    if not _active(user):
        return frozenset()
    if user.is_admin:
        return None
    if user.role == Role.PROVINCE_STAFF:
        return user.province_codes
    if user.role == Role.API_CLIENT and not acts_as_operator(user):
        # Another regional system writes within its province restriction, if it has one.
        return user.province_codes or None
    return frozenset()


def _code(province: "Province | str") -> str:
    return province if isinstance(province, str) else province.code


def may_act_in(user: AnyUser, province: "Province | str") -> bool:
    """Whether ``user`` may create or change things located in ``province`` (object or code)."""
    provinces = acting_provinces(user)
    return provinces is None or _code(province) in provinces


def may_request_report(user: AnyUser, province: str | None) -> bool:
    """Region officials and admins ask for any document; a Nucleo for its own province's; an
    API client within its province restriction (regional ones only without one). Operators
    never."""
    if not _active(user):
        return False
    if user.is_admin or user.role == Role.REGION_OFFICIAL:
        return True
    if effective_role(user) in (Role.PROVINCE_STAFF, Role.API_CLIENT):
        provinces = readable_provinces(user)
        return provinces is None or (province is not None and province in provinces)
    return False


def figures_provinces(user: AnyUser, province: str | None = None) -> list[str] | None:
    """The provinces aggregate figures are restricted to; ``None``: the whole region.

    Who reads every province sees the whole region or the one they pick; a province officer
    sees their own, and picking another leaves nothing; an operator sees none.
    """
    provinces = readable_provinces(user)
    if provinces is None:
        return None if province is None else [province]
    return sorted(code for code in provinces if province is None or code == province)


def sees_identity(user: AnyUser) -> bool:
    """Whether ``user`` sees fiscal codes and names of the workers in their scope.

    Province staff, API clients and operators see their own workers; Region officials only with
    the ``view_personal_data`` permission, and every such read is logged.
    """
    if not _active(user):
        return False
    if user.is_admin or user.role in (Role.PROVINCE_STAFF, Role.API_CLIENT, Role.OPERATOR):
        return True
    return user.is_region_official and user.has_perm("crisi_portal.view_personal_data")


# Whose reads of identities are their everyday work and need no record: the worker's own
# province officers and operator (scoping already limits them to their workers; an operator's
# look-up of a worker not yet its own is recorded by pal.selectors.log_operator_lookup).
UNLOGGED_ROLES = frozenset({Role.PROVINCE_STAFF, Role.OPERATOR})


def identity_reads_logged(user: AnyUser) -> TypeGuard["User"]:
    """Reads by anyone other than the worker's own province officers or operator are logged:
    Region officials, API clients (other systems) and administrators."""
    return _active(user) and (user.is_admin or user.role not in UNLOGGED_ROLES)


def may_act_for_operator(user: AnyUser, operator: "Operator") -> bool:
    """Whether ``user`` acts on behalf of an accredited operator: its own staff (admins, and
    the system, for any)."""
    if user is None:
        return True
    if not _active(user):
        return False
    return user.is_admin or (
        acts_as_operator(user) and user.operator_id == getattr(operator, "pk", None)
    )


def manages_reference_data(user: AnyUser) -> bool:
    """Measures, operators and networks are managed by the Region (admins, and the system)."""
    return user is None or (_active(user) and (user.is_admin or user.is_region_official))


def reviewable(queryset: "ScopedQuerySet", user: AnyUser) -> "ScopedQuerySet":
    """Rows whose approval belongs to ``user``: staff of the row's province (admins: all)."""
    if not _active(user):
        return queryset.none()
    if user.is_admin:
        return queryset.all()
    if user.role == Role.PROVINCE_STAFF:
        return queryset.in_provinces(user.province_codes)
    return queryset.none()


def province_officers(codes: Iterable[str]) -> models.QuerySet:
    """The active officers of the given provinces' crisis units: whom a province's events are
    told to (the reviewers of its PIPs, among others)."""
    user_model = apps.get_model("crisi_portal", "User")
    return user_model.objects.filter(
        is_active=True, role=Role.PROVINCE_STAFF, provinces__code__in=list(codes)
    ).distinct()


class ScopedQuerySet(models.QuerySet):
    # The path from a row to the province it belongs to, when one field says it (then
    # ``in_provinces`` is ``{province_path}__in``); None when belonging is more than a join.
    province_path: ClassVar[str | None] = None

    def in_provinces(self, codes: Iterable[str]) -> Self:
        """Rows that belong to one of the given provinces."""
        raise NotImplementedError

    def visible_through(self, user: AnyUser, relation: str) -> Q:
        """A condition, for a query on another model, that the rows it reaches through
        ``relation`` (e.g. a procedure's ``"involvements"``) are ones ``user`` sees: the rule of
        :meth:`visible_to`, written on the join where it can be. A count over the relation then
        needs no list of every visible id (an ``IN (subquery)`` over the whole table, which
        PostgreSQL re-scans per row once it outgrows ``work_mem``: the cruscotto took 31 s at
        300,000 workers)."""
        if _active(user) and not (acts_as_operator(user) and not user.is_admin):
            provinces = readable_provinces(user)
            if provinces is None:
                return Q()  # every row: no condition
            if self.province_path:
                return Q(**{f"{relation}__{self.province_path}__in": list(provinces)})
        return Q(**{f"{relation}__in": self.visible_to(user).values("pk")})

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

    def deleted_in_provinces(
        self, history: models.QuerySet, codes: Iterable[str]
    ) -> models.QuerySet:
        """Of the deletion records in ``history`` (the model's simple-history rows with
        ``history_type "-"``), those of rows that belonged to the given provinces, judged on
        the deleted row's own fields (by default none: only callers who read every province
        see deletions)."""
        return history.none()

    def visible_to(self, user: AnyUser) -> Self:
        if not _active(user):
            return self.none()
        if acts_as_operator(user) and not user.is_admin:
            return self.for_operator(user.operator_id) if user.operator_id else self.none()
        provinces = readable_provinces(user)
        return self.all() if provinces is None else self.in_provinces(provinces)

    def editable_by(self, user: AnyUser) -> Self:
        if not _active(user):
            return self.none()
        if user.is_admin:
            return self.all()
        if user.role == Role.REGION_OFFICIAL:
            return self.editable_by_region()
        if acts_as_operator(user):
            return self.editable_by_operator(user.operator_id) if user.operator_id else self.none()
        provinces = acting_provinces(user)
        return self.all() if provinces is None else self.editable_in_provinces(provinces)


def _scoped_rows(model: type[models.Model]) -> "ScopedQuerySet":
    """All rows of a scoped model (one whose default manager's queryset is a ScopedQuerySet)."""
    return cast(ScopedQuerySet, model._default_manager.all())


def visible_changes(
    model: type[models.Model], user: AnyUser, history: models.QuerySet
) -> models.QuerySet:
    """The change records (simple-history rows) of ``model`` that ``user`` may see.

    Creations and updates: of the rows the user sees now. Deletions: judged on the deleted
    row's last recorded fields (:meth:`ScopedQuerySet.deleted_in_provinces`); operators see
    no deletions. Out of scope, a change is as absent as its row.
    """
    if not _active(user):
        return history.none()
    live = _scoped_rows(model).visible_to(user).values("pk")
    changes = history.filter(history_type__in=["+", "~"], id__in=live)
    deleted = history.filter(history_type="-")
    if user.role == Role.OPERATOR and not user.is_admin:
        return changes
    provinces = readable_provinces(user)
    if provinces is not None:
        deleted = _scoped_rows(model).deleted_in_provinces(deleted, provinces)
    return changes | deleted


def visible_related(relation: str, queryset: "ScopedQuerySet", user: AnyUser) -> Prefetch:
    """A prefetch of a many-valued ``relation`` holding only the related rows ``user`` sees.

    A row in scope may point at rows that are not (a regional table discussed procedures of
    several provinces): lists, pages and the API read the relation through this, so what is
    out of scope is absent rather than named.
    """
    return Prefetch(relation, queryset=queryset.visible_to(user))


def prefetched(instance: models.Model, relation: str) -> bool:
    """Whether ``instance.<relation>`` was prefetched (then ``.all()`` reads no rows)."""
    return relation in getattr(instance, "_prefetched_objects_cache", {})


class ScopedViewMixin(LoginRequiredMixin):
    """HTML views: the queryset is always the user's visible rows; roles gate whole views."""

    roles: frozenset[str] | None = None  # None: any authenticated role
    require_edit = False
    # Set by the Django view this is mixed into (``model`` or ``queryset`` by the view itself).
    request: HttpRequest
    kwargs: Any
    model: type[models.Model] | None
    queryset: models.QuerySet | None
    pk_url_kwarg: str

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and not has_role(user, self.roles):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def base_queryset(self) -> ScopedQuerySet:
        queryset = getattr(self, "queryset", None)
        if queryset is not None:
            return cast(ScopedQuerySet, queryset.all())
        model = getattr(self, "model", None)
        if model is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a model or a queryset.")
        return _scoped_rows(model)

    def get_queryset(self) -> ScopedQuerySet:
        return self.base_queryset().visible_to(self.request.user)

    def get_object(self, queryset: models.QuerySet | None = None) -> models.Model:
        obj = get_object_or_404(self.get_queryset(), pk=self.kwargs[self.pk_url_kwarg])
        if self.require_edit:
            ensure_editable(obj, self.request.user)
        return obj


def ensure_editable(obj: models.Model, user: AnyUser) -> None:
    """Raise 403 unless ``user`` may change ``obj`` (which they already see)."""
    if not is_editable(obj, user):
        raise PermissionDenied


def scoped_get(queryset: ScopedQuerySet, user: AnyUser, **lookup: Any) -> models.Model:
    """Fetch one row in the user's scope or raise 404."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404 from exc


def is_editable(obj: models.Model, user: AnyUser) -> bool:
    return _scoped_rows(type(obj)).editable_by(user).filter(pk=obj.pk).exists()


def company_procedures(
    user: UserOrSystem, tax_code: str, start: date | None = None, end: date | None = None
) -> models.QuerySet:
    """The crisis procedures ``user`` sees (the system: all) of the company with ``tax_code``
    (normalised) whose income support period overlaps ``start``–``end`` (either may be open).

    A natural-key lookup (an income-support list names its company, issue #16): a procedure
    out of the user's scope is absent, so the answer is that of a tax code with no procedure.
    """
    procedure_model = apps.get_model("cases", "CrisisProcedure")
    rows = _scoped_rows(procedure_model)
    rows = rows.all() if user is None else rows.visible_to(user)
    rows = rows.filter(company__tax_code=tax_code)
    if end is not None:
        rows = rows.filter(start_date__lte=end)
    if start is not None:
        rows = rows.filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
    return rows.select_related("company").order_by("start_date", "pk")


def dote_involvements(user: AnyUser, fiscal_code: str) -> models.QuerySet:
    """The involvements ``user`` may open a Dote on, for the worker with this fiscal code.

    It is the worker who chooses the operator, walking in with their fiscal code before any
    Dote exists, so an operator's staff (or an admin) may name any involvement of *that*
    worker, and nothing else: without the worker's fiscal code an involvement id answers like
    one that does not exist. (The Dote service then refuses, by name, a closed procedure.)
    Everyone else: none.
    """
    involvement_model = apps.get_model("workers", "Involvement")
    if not (_active(user) and (user.is_admin or (acts_as_operator(user) and user.operator_id))):
        return involvement_model.objects.none()
    return involvement_model.objects.of_worker(fiscal_code)
