import datetime
import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from crisi_portal.models import ALL_SCOPES, READ_SCOPES, ApiToken
from crisi_portal.services import api_token_issue, api_token_revoke

DURATION = re.compile(r"^(\d+)d$")


def parse_expiry(value: str) -> datetime.datetime:
    """``90d`` (days from now) or an ISO date ``2026-12-31`` (end of that day, Rome time)."""
    value = value.strip()
    if match := DURATION.match(value):
        return timezone.now() + datetime.timedelta(days=int(match[1]))
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            f"--expires: {value!r} is neither a number of days (90d) nor a date (2026-12-31)."
        ) from exc
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


class Command(BaseCommand):
    help = (
        "Issue an API token to USERNAME and print its key (Authorization: Token <key>). "
        "The key is shown once: only its digest is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for (default: 'api').")
        parser.add_argument(
            "--expires",
            default=f"{settings.API_TOKEN_DEFAULT_LIFETIME_DAYS}d",
            help="Days from now (90d) or a date (2026-12-31); "
            f"default {settings.API_TOKEN_DEFAULT_LIFETIME_DAYS}d, "
            f"at most {settings.API_TOKEN_MAX_LIFETIME_DAYS} days.",
        )
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            metavar="FAMILY:ACCESS",
            help="A scope such as procedures:read or workers:write (repeat for more); "
            "'all' for every scope. Default: read on every resource family. "
            f"Known: {', '.join(sorted(ALL_SCOPES))}.",
        )
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Revoke the user's other tokens once the new one is issued.",
        )

    def handle(
        self, *args, username: str, name: str, expires: str, rotate: bool, scopes, **options
    ):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user named {username!r}.") from exc
        try:
            if not scopes:
                scopes = READ_SCOPES
            elif "all" in scopes:
                scopes = ALL_SCOPES
            token, key = api_token_issue(
                user=user, name=name or "api", expires_at=parse_expiry(expires), scopes=scopes
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if rotate:
            revoked = api_token_revoke(
                tokens=ApiToken.objects.filter(user=user).exclude(pk=token.pk)
            )
            self.stderr.write(f"Revoked {revoked} earlier token(s) of {username!r}.")
        self.stderr.write(
            f"Token {token.prefix} ({token.name}) for {username!r}, "
            f"scopes {' '.join(token.scopes)}, expires "
            f"{timezone.localtime(token.expires_at):%Y-%m-%d %H:%M}. "
            "Store the key now: it cannot be shown again."
        )
        self.stdout.write(key)
