"""A report document as an HTTP download, the same for the pages and the API."""

import base64

from django.http import FileResponse, Http404

from monitoring.enums import CONTENT_TYPES, ReportFormat, RunStatus
from monitoring.models import ReportRun


def repr_digest(sha256_hex: str) -> str:
    """The ``Repr-Digest`` field value of RFC 9530: ``sha-256=:<base64 of the digest>:``."""
    return "sha-256=:{}:".format(base64.b64encode(bytes.fromhex(sha256_hex)).decode("ascii"))


def document_response(run: ReportRun) -> FileResponse:
    """The run's file as an attachment, with its checksum. Only ready runs have one."""
    if run.status != RunStatus.SUCCEEDED or not run.file:
        raise Http404
    try:
        handle = run.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=run.filename,
        content_type=CONTENT_TYPES[ReportFormat(run.format)],
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Repr-Digest"] = repr_digest(run.sha256)
    response["ETag"] = f'"{run.sha256}"'
    # Documents are personal to a scope: never kept by shared caches.
    response["Cache-Control"] = "private, no-cache"
    return response
