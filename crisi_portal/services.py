"""Helpers shared by the services of every app."""

from django.db import models


def save_validated(instance: models.Model, *, user=None, reason: str = "", exclude=None) -> None:
    """full_clean() then save(), recording who changed it and why in the audit history."""
    instance.full_clean(exclude=exclude)
    if user is not None and getattr(user, "is_authenticated", False):
        instance._history_user = user
    if reason:
        instance._change_reason = reason
    instance.save()
