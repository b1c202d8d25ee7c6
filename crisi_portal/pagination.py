"""The API's pagination: ``?limit=`` (1–500, default PAGE_SIZE: 50) and ``?offset=`` (0 or more)
for small pages, or a cursor (``?paging=cursor``, then the ``next`` links) for full syncs.

Offset pages reach :data:`MAX_OFFSET` rows deep and count up to :data:`COUNT_CAP` rows (issue
#12). ``OFFSET n`` reads and drops n rows, and a count reads every row in scope: at a million
workers a page at offset 900,000 took seconds, and so did a province's count. A longer
collection's offset pages have no ``count`` (it is not required: cursor pages have none
either), and an offset past :data:`MAX_OFFSET` in it is a 400 problem naming ``offset`` that
points at cursor paging, which costs the same at any depth. Shorter collections are as before.

``limit`` above the maximum is brought down to it (DRF's habit, so clients asking for "all"
get full pages); a value that is not a whole number in range is a 400 problem naming the
parameter rather than a silent default. An offset past the end is an empty page, however
large it is (DRF never sends it to the database then).

Every page comes in a stable order: the list's own order with the id as the last tie-breaker,
so no row is repeated or skipped between pages of an unchanged collection.

Cursor paging (issue #10, sync) walks a collection by ``(updated_at, id)``: a row changed
during the walk moves behind the cursor and is met again on a later page, so a client that
follows ``next`` to the end has seen every row as it was at least once, whatever changed
meanwhile; it then keeps the time it started and next time asks ``?updated_since=`` it.
Offsets would skip rows when earlier ones change, and count every row on every page.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination, LimitOffsetPagination
from rest_framework.utils.urls import remove_query_param, replace_query_param

MAX_LIMIT = 500
MAX_OFFSET = 10_000
COUNT_CAP = MAX_OFFSET
WHOLE_NUMBER = re.compile(r"[0-9]+")
PAGING_MODES = ("offset", "cursor")


def _invalid(name: str, message: str):
    from crisi_portal.errors import InvalidQuery  # DRF loads this module early

    return InvalidQuery([{"field": name, "message": message}])


def stable_order(queryset):
    """The queryset's order, with the primary key as the last tie-breaker."""
    query = queryset.query
    ordering = list(query.order_by) or (
        list(queryset.model._meta.ordering) if query.default_ordering else []
    )
    names = {term.lstrip("-") for term in ordering if isinstance(term, str)}
    if names & {"pk", queryset.model._meta.pk.name}:
        return queryset
    return queryset.order_by(*ordering, "pk")


def cursor_ordering(model) -> tuple[str, ...]:
    names = {field.name for field in model._meta.get_fields()}
    if "history_date" in names:  # a changes feed (crisi_portal/changes.py)
        return ("history_date", "history_id")
    return ("updated_at", "id") if "updated_at" in names else ("id",)


class SyncCursorPagination(CursorPagination):
    """Cursor pages by ``(updated_at, id)`` (``id`` alone for rows without ``updated_at``)."""

    page_size_query_param = "limit"
    max_page_size = MAX_LIMIT
    invalid_cursor_message = gettext_lazy("The cursor is not valid: start again without one.")

    def __init__(self, page_size: int):
        self.page_size = page_size

    def get_page_size(self, request):
        return self.page_size

    def get_ordering(self, request, queryset, view):
        return cursor_ordering(queryset.model)

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise NotFound(self.invalid_cursor_message) from None
        if cursor is not None and cursor.position is not None:
            field = self._model._meta.get_field(self.ordering_field)
            try:
                field.to_python(cursor.position)
            except (ValidationError, ValueError, TypeError, OverflowError):
                raise NotFound(self.invalid_cursor_message) from None
        return cursor

    def encode_cursor(self, cursor):
        # A cursor page does not use ``offset``: its links do not carry one along.
        return remove_query_param(super().encode_cursor(cursor), "offset")

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        self.ordering_field = cursor_ordering(queryset.model)[0]
        return super().paginate_queryset(queryset, request, view)


class Pagination(LimitOffsetPagination):
    max_limit = MAX_LIMIT
    limit_query_description = f"Number of results per page: 1 to {MAX_LIMIT} (default 50)."
    offset_query_description = (
        f"Index of the first result (0 or more; at most {MAX_OFFSET:,} in a collection of more "
        f"than {COUNT_CAP:,} rows: walk those with paging=cursor)."
    )

    def _whole_number(self, request, name: str, minimum: int) -> int | None:
        raw = request.query_params.get(name)
        if raw is None:
            return None
        raw = raw.strip()
        if not raw:  # ``?limit=``: a value the client lost, not "the default"
            raise _invalid(name, _("This parameter cannot be empty."))
        digits = raw.lstrip("0") or "0"
        # Past 18 digits the exact value does not matter (and int() refuses 4300+ digits).
        value = int(digits) if WHOLE_NUMBER.fullmatch(raw) and len(digits) <= 18 else 10**18
        if not WHOLE_NUMBER.fullmatch(raw) or value < minimum:
            message = _("Must be a whole number from %(minimum)d.") % {"minimum": minimum}
            raise _invalid(name, message)
        return value

    def get_limit(self, request):
        limit = self._whole_number(request, self.limit_query_param, 1)
        return self.default_limit if limit is None else min(limit, self.max_limit)

    def get_offset(self, request):
        return self._whole_number(request, self.offset_query_param, 0) or 0

    def _mode(self, request) -> str:
        """``paging=cursor`` or a cursor: a cursor page, whose position is the cursor (an
        ``offset`` is then read but not used); ``paging=offset`` or neither: an offset page
        (a ``cursor`` is then not used). Each parameter is valid on its own, as the schema
        says; together, ``paging`` decides."""
        paging = request.query_params.get("paging")
        if paging is not None and paging not in PAGING_MODES:
            raise _invalid("paging", _("Must be offset or cursor."))
        if paging == "offset":
            return "offset"
        has_cursor = bool((request.query_params.get("cursor") or "").strip())
        if paging == "cursor" or has_cursor:
            self.get_offset(request)  # still a whole number, or a 400 naming it
            return "cursor"
        return "offset"

    def paginate_queryset(self, queryset, request, view=None):
        self.cursor = None
        mode = self._mode(request)
        queryset = stable_order(queryset)
        if mode == "cursor":
            self.cursor = SyncCursorPagination(self.get_limit(request))
            return self.cursor.paginate_queryset(queryset, request, view)
        return self._offset_page(queryset, request)

    def _offset_page(self, queryset, request) -> list:
        """DRF's offset page, with the count capped at COUNT_CAP (``None`` above it) and the
        offset at MAX_OFFSET in a collection that long. Two queries, as before."""
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        counted = queryset.order_by()[: COUNT_CAP + 1].count()
        self.count = counted if counted <= COUNT_CAP else None
        self.display_page_controls = False  # no HTML controls: the API renders JSON
        if self.count is None and self.offset > MAX_OFFSET:
            message = _(
                "The offset can be at most %(max)s in a collection of more than %(cap)s rows: "
                "walk it with paging=cursor (then follow next), or narrow it with filters."
            ) % {"max": f"{MAX_OFFSET:,}", "cap": f"{COUNT_CAP:,}"}
            raise _invalid(self.offset_query_param, message)
        if self.count is not None and (self.count == 0 or self.offset > self.count):
            return []
        # Without a count, one row more than the page says whether there is a next one.
        extra = 1 if self.count is None else 0
        rows = list(queryset[self.offset : self.offset + self.limit + extra])
        self.has_next = len(rows) > self.limit
        return rows[: self.limit]

    def get_next_link(self):
        if self.count is None and not self.has_next:
            return None
        if self.count is None:
            url = self.request.build_absolute_uri()
            url = replace_query_param(url, self.limit_query_param, self.limit)
            return replace_query_param(url, self.offset_query_param, self.offset + self.limit)
        return super().get_next_link()

    def get_paginated_response(self, data):
        if self.cursor is not None:
            return self.cursor.get_paginated_response(data)
        response = super().get_paginated_response(data)
        if self.count is None:
            del response.data["count"]
        return response

    def get_paginated_response_schema(self, schema):
        body = super().get_paginated_response_schema(schema)
        body["required"] = ["next", "previous", "results"]
        body["properties"]["count"]["description"] = (
            f"Total rows: offset pages of a collection of at most {COUNT_CAP:,} rows only."
        )
        return body

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": "paging",
                "required": False,
                "in": "query",
                "description": (
                    "offset (default): limit/offset pages with a count. cursor: pages by "
                    "(updated_at, id) for full syncs; follow next until it is null."
                ),
                "schema": {"type": "string", "enum": list(PAGING_MODES)},
            },
            {
                "name": "cursor",
                "required": False,
                "in": "query",
                "description": "An opaque position, from a cursor page's next/previous link.",
                "schema": {"type": "string"},
            },
        ]
