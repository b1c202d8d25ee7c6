"""Keep personal data out of log lines (GDPR art. 5(1)(c) and 32; ASVS V16).

``PersonalDataFilter`` sits on every handler of ``settings.LOGGING`` (and so on gunicorn's
loggers, which the settings route to the same handler). It rewrites each record in place,
before any handler formats it:

- Italian fiscal codes (omocodia included, any case) become ``[fiscal code]`` anywhere in
  the message or the exception text;
- in access records (``django.server``, ``django.request``, ``gunicorn.access``) the query
  string of every URL becomes ``?[redacted]``: searches used to carry names there;
- in exception text, model instances (``<Involvement: Rossi Chiara – P-1>``, as a
  ``ProtectedError`` lists them) lose their ``str()``, and the row values a database puts in
  an error (``Key (fiscal_code)=(…)``, ``Failing row contains (…)``) are dropped.

The record's ``exc_info`` is replaced by the redacted text, so no later handler can format
the original exception again. Names cannot be recognised in free text; they are kept out of
logs at the source instead: no name in a URL (searches are POSTed), no SQL parameter logging,
and the redactions above.
"""

import logging
import re

FISCAL_CODE = re.compile(
    r"(?<![A-Za-z0-9])"
    r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# A URL's query string: after "?" up to whitespace or a quote (request lines, referers).
QUERY_STRING = re.compile(r"\?[^\s\"']*")
# A URL with a scheme anywhere in a message, e.g. a referer or a redirect target.
URL_WITH_QUERY = re.compile(r"(https?://[^\s\"'?]*)\?[^\s\"']*")
# Django's repr of a model instance: "<ClassName: str(instance)>".
MODEL_REPR = re.compile(r"<([A-Z][A-Za-z0-9_]*): [^<>\n]*>")
# PostgreSQL's DETAIL of a unique or check violation carries the row's values.
DB_KEY_VALUES = re.compile(r"(Key \([^)]*\))=\(.*$", re.M)
DB_FAILING_ROW = re.compile(r"Failing row contains \(.*$", re.M)

ACCESS_LOGGERS = frozenset({"django.server", "django.request", "gunicorn.access"})

REDACTED = "[redacted]"
FISCAL_CODE_MASK = "[fiscal code]"


def mask_fiscal_codes(text: str) -> str:
    return FISCAL_CODE.sub(FISCAL_CODE_MASK, text)


def redact_query_strings(text: str) -> str:
    return QUERY_STRING.sub(f"?{REDACTED}", text)


def redact_exception_text(text: str) -> str:
    text = MODEL_REPR.sub(rf"<\1: {REDACTED}>", text)
    text = DB_KEY_VALUES.sub(rf"\1=({REDACTED})", text)
    text = DB_FAILING_ROW.sub(f"Failing row contains ({REDACTED})", text)
    return mask_fiscal_codes(text)


def redact_message(text: str, *, access_record: bool) -> str:
    text = (
        redact_query_strings(text) if access_record else URL_WITH_QUERY.sub(rf"\1?{REDACTED}", text)
    )
    return redact_exception_text(text)


class PersonalDataFilter(logging.Filter):
    """Rewrites every record so that no fiscal code, query string or model str() remains."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_personal_data_redacted", False):
            return True  # already rewritten by another handler's filter
        access_record = record.name in ACCESS_LOGGERS
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: log what we can, redacted
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact_message(message, access_record=access_record)
        record.args = None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = self._formatter.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact_exception_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_exception_text(record.stack_info)
        # django.request/django.server attach the request (and its query string) to the
        # record; a formatter naming it would print the full URL.
        if hasattr(record, "request"):
            record.request = None
        record._personal_data_redacted = True
        return True
