"""The API's JSON parser, bounded: a body larger than ``API_JSON_MAX_BYTES`` is a 413 problem
and one nested deeper than ``MAX_DEPTH`` a 400, before any serializer walks it.

DRF's parser reads the whole stream (Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` guards
``request.body`` and forms, not a stream read) and lets ``RecursionError`` from a deeply
nested document escape as a 500. No API body needs more than a few levels: 32 is generous.
"""

from django.conf import settings
from django.utils.http import parse_header_parameters
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.utils import json

MAX_DEPTH = 32


def nesting_depth(document) -> int:
    """How many arrays/objects deep ``document`` goes (a scalar is 0), without recursion."""
    deepest, pending = 0, [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            break
        pending.extend((child, depth + 1) for child in children)
    return deepest


def declared_length(request) -> int:
    """The body's length as ``Content-Length`` declares it (0 when absent or unreadable)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) if request else 0
    except ValueError:
        return 0


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        # Imported here: DRF loads this parser while crisi_portal.problems imports DRF's views.
        from crisi_portal.errors import BodyTooLarge, InvalidBody

        parser_context = parser_context or {}
        limit = settings.API_JSON_MAX_BYTES
        request = parser_context.get("request")
        too_large = BodyTooLarge(
            _("The request body is larger than %(size)d bytes.") % {"size": limit}
        )
        declared = declared_length(request)
        if declared > limit:
            raise too_large
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise too_large
        encoding = parsers.get_encoding(parser_context)
        try:
            parse_constant = json.strict_constant if self.strict else None
            document = json.loads(raw.decode(encoding), parse_constant=parse_constant)
        except RecursionError:
            document = None
            depth = MAX_DEPTH + 1
        except ValueError as exc:  # UnicodeDecodeError is one too
            raise InvalidBody(_("The body is not valid JSON: %(error)s") % {"error": exc}) from None
        else:
            depth = nesting_depth(document)
        if depth > MAX_DEPTH:
            raise InvalidBody(
                _("The JSON body is nested more than %(depth)d levels deep.") % {"depth": MAX_DEPTH}
            )
        return document


class MultiPartParser(parsers.MultiPartParser):
    """Multipart bodies (imports, meetings' minutes) whose content is in named parts.

    Django's parser skips a part without a ``Content-Disposition`` name: a body of such parts
    would read as "no fields" and, on a PATCH, change nothing with a 200. Content that reaches
    no field is a malformed body, a 400.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        from crisi_portal.errors import InvalidBody

        result = super().parse(stream, media_type, parser_context)
        if result.data or result.files:
            return result
        request = (parser_context or {}).get("request")
        declared = declared_length(request)
        boundary = parse_header_parameters(media_type or "")[1].get("boundary", "")
        closing_only = len(f"--{boundary}--\r\n\r\n")  # an empty body: the closing line alone
        if declared > closing_only:
            raise InvalidBody(_("The multipart body has no named part: nothing could be read."))
        return result
