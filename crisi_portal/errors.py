"""The domain's refusals: the exception types services raise (issue #12: without DRF).

``crisi_portal.problems`` turns them into ``application/problem+json`` (API) and forms turn
them into field errors (HTML). They live apart from it so that a service, and every process
that imports one (a management command such as ``run_report``), does not import Django REST
framework and drf-spectacular with it.
"""

from django.utils.translation import gettext as _


class DomainError(Exception):
    """A refusal by a domain rule; ``status`` is 422 for a rule, 409 for a conflict.

    ``echo_query = False``: the problem's ``instance`` is the path without the query string
    (when the query string holds what must not travel, such as personal data).
    """

    status = 422
    code = "rule_violated"
    echo_query = True

    def __init__(self, message: str, *, field: str | None = None, errors: list | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors or ([{"field": field, "message": message}] if field else [])


class ConflictError(DomainError):
    status = 409
    code = "conflict"


class InvalidQuery(DomainError):
    """Query parameters (filters, pagination) that cannot be read: 400, each one named."""

    status = 400
    code = "invalid_query"

    def __init__(self, errors: list[dict]):
        super().__init__(_("The query parameters are not valid."), errors=errors)


class InvalidBody(DomainError):
    """A request body that cannot be read at all (malformed or too deeply nested JSON)."""

    status = 400
    code = "parse_error"


class BodyTooLarge(DomainError):
    status = 413
    code = "too_large"
