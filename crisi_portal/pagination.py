"""The API's pagination: ``?limit=`` (1–500, default PAGE_SIZE: 50) and ``?offset=`` (0 or more).

``limit`` above the maximum is brought down to it (DRF's habit, so clients asking for "all"
get full pages); a value that is not a whole number in range is a 400 problem naming the
parameter rather than a silent default. An offset past the end is an empty page, however
large it is (DRF never sends it to the database then).
"""

import re

from django.utils.translation import gettext as _
from rest_framework.pagination import LimitOffsetPagination

MAX_LIMIT = 500
WHOLE_NUMBER = re.compile(r"[0-9]+")


class Pagination(LimitOffsetPagination):
    max_limit = MAX_LIMIT
    limit_query_description = f"Number of results per page: 1 to {MAX_LIMIT} (default 50)."
    offset_query_description = "Index of the first result (0 or more)."

    def _whole_number(self, request, name: str, minimum: int) -> int | None:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return None
        raw = raw.strip()
        digits = raw.lstrip("0") or "0"
        # Past 18 digits the exact value does not matter (and int() refuses 4300+ digits).
        value = int(digits) if WHOLE_NUMBER.fullmatch(raw) and len(digits) <= 18 else 10**18
        if not WHOLE_NUMBER.fullmatch(raw) or value < minimum:
            from crisi_portal.problems import InvalidQuery  # DRF loads this module early

            message = _("Must be a whole number from %(minimum)d.") % {"minimum": minimum}
            raise InvalidQuery([{"field": name, "message": message}])
        return value

    def get_limit(self, request):
        limit = self._whole_number(request, self.limit_query_param, 1)
        return self.default_limit if limit is None else min(limit, self.max_limit)

    def get_offset(self, request):
        return self._whole_number(request, self.offset_query_param, 0) or 0
