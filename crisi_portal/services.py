"""Helpers shared by the services of every app, and the API tokens' services."""

import datetime
import hashlib
import hmac
import logging
import secrets
from collections.abc import Collection, Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from crisi_portal.models import ApiToken, User, validate_scopes
from crisi_portal.scoping import UserOrSystem

logger = logging.getLogger(__name__)


def history_author(instance: models.Model, *, user: UserOrSystem, reason: str = "") -> None:
    """Name who changes ``instance`` (a signed-in user) and why in the history row its next
    save() or delete() writes; without one the row names the web request's user, if any."""
    # simple-history reads these two attributes of the instance; models do not declare them.
    if user is not None and user.is_authenticated:
        instance._history_user = user  # type: ignore[attr-defined]
    if reason:
        instance._change_reason = reason  # type: ignore[attr-defined]


def save_validated(
    instance: models.Model,
    *,
    user: UserOrSystem = None,
    reason: str = "",
    exclude: Collection[str] | None = None,
) -> None:
    """full_clean() then save(), recording who changed it and why in the audit history."""
    instance.full_clean(exclude=exclude)
    history_author(instance, user=user, reason=reason)
    instance.save()


def delete_recorded(instance: models.Model, *, user: UserOrSystem = None, reason: str = "") -> None:
    """delete() one object, recording who deleted it and why in the audit history.

    Use it instead of ``queryset.delete()`` on historied models: the history row would
    otherwise name no user outside a web request."""
    history_author(instance, user=user, reason=reason)
    instance.delete()


# --- API tokens ------------------------------------------------------------------------------

# A key is "<prefix>.<secret>": the prefix (public, unique) finds the row, the secret (256 bits
# of entropy, so a single SHA-256 is enough: nothing to brute-force) is checked against its digest.
TOKEN_PREFIX_BYTES = 6
TOKEN_SECRET_BYTES = 32
# last_used_at is written at most this often per token, not on every request.
TOKEN_LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_check(
    *, user: User, name: str, expires_at: datetime.datetime, scopes: Iterable[str]
) -> list[str]:
    """The checks of :func:`api_token_issue` (also run by the admin's form); returns the
    scopes, sorted, or raises a ValidationError naming the field."""
    scopes = sorted(set(scopes))
    try:
        validate_scopes(scopes)
    except ValidationError as exc:
        raise ValidationError({"scopes": exc.messages}) from exc
    if not scopes:
        raise ValidationError({"scopes": _("Give the token at least one scope.")})
    if not user.is_active:
        raise ValidationError({"user": _("The user is not active.")})
    if not name.strip():
        raise ValidationError({"name": _("Give the token a name.")})
    now = timezone.now()
    if expires_at <= now:
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    max_lifetime = datetime.timedelta(days=settings.API_TOKEN_MAX_LIFETIME_DAYS)
    if expires_at - now > max_lifetime:
        raise ValidationError(
            {
                "expires_at": _("A token may last at most %(days)d days.")
                % {"days": settings.API_TOKEN_MAX_LIFETIME_DAYS}
            }
        )
    return scopes


def api_token_issue(
    *, user: User, name: str, expires_at: datetime.datetime, scopes: Iterable[str]
) -> tuple[ApiToken, str]:
    """Create a token for ``user`` with ``scopes`` ("procedures:read", "workers:write", ...);
    returns it with its key, which is never available again."""
    scopes = api_token_check(user=user, name=name, expires_at=expires_at, scopes=scopes)
    prefix = secrets.token_urlsafe(TOKEN_PREFIX_BYTES)
    secret = secrets.token_urlsafe(TOKEN_SECRET_BYTES)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=prefix,
        secret_hash=_digest(secret),
        expires_at=expires_at,
        scopes=scopes,
    )
    logger.info("API token %s issued to user id %s", prefix, user.pk)
    return token, f"{prefix}.{secret}"


def api_token_revoke(*, tokens: models.QuerySet) -> int:
    """Revoke the still-unrevoked tokens among ``tokens``; returns how many."""
    revoked = list(tokens.filter(revoked_at__isnull=True).values_list("prefix", flat=True))
    count = tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    for prefix in revoked:
        logger.info("API token %s revoked", prefix)
    return count


def api_token_authenticate(key: str) -> ApiToken | None:
    """The active token whose key this is, with its user, or None (unknown, wrong, expired,
    revoked or of an inactive user: the caller cannot tell which)."""
    prefix, _dot, secret = key.partition(".")
    token = (
        ApiToken.objects.select_related("user").filter(prefix=prefix).first()
        if prefix and secret
        else None
    )
    # Digest even when nothing was found, so an unknown prefix costs the same.
    matches = hmac.compare_digest(_digest(secret), token.secret_hash if token else "0" * 64)
    if token is None or not matches or not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
