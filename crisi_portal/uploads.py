"""Files kept between an import's preview and its confirmation.

The preview stores the uploaded bytes under a random token, remembered in the session
with what it was for; the confirmation takes them back once (and deletes them), so a
token cannot be replayed, guessed into another user's upload or used for another target.
"""

import uuid
from pathlib import Path

from django.conf import settings
from django.http import Http404


def _directory() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def stash_upload(request, raw: bytes, *, purpose: str, filename: str = "upload.csv") -> str:
    """Keep ``raw`` for the confirmation step; returns the token the confirm form posts."""
    token = uuid.uuid4().hex
    (_directory() / token).write_bytes(raw)
    request.session[f"upload-{token}"] = {
        "user": request.user.pk,
        "purpose": purpose,
        "filename": filename,
    }
    return token


def take_upload(request, token: str, *, purpose: str) -> tuple[bytes, str]:
    """The bytes and file name stashed under ``token`` for this user and purpose, once."""
    stored = request.session.pop(f"upload-{token}", None) if token.isalnum() else None
    if not stored or stored["user"] != request.user.pk or stored["purpose"] != purpose:
        raise Http404
    path = _directory() / token
    try:
        return path.read_bytes(), stored["filename"]
    except FileNotFoundError as exc:
        raise Http404 from exc
    finally:
        path.unlink(missing_ok=True)
