"""A refused form answered to htmx: 200 with a marker header, not 422 (issue #13, item 10).

A form refused by validation or by a rule answers 422 (Unprocessable Content) with the form and
its errors: the right status for a browser without JavaScript, for the API and for the tests.
htmx swaps that answer in like a success. But a browser logs every 4xx answer to a script's
request as a console error ("Failed to load resource: … 422"), although nothing failed: the
person sees the form with its errors, as intended. So, for an htmx request only (``HX-Request``),
this middleware turns a 422 HTML answer into a 200 and names the refusal in ``X-Refused: 422``;
htmx swaps it and fires its usual events, and tests read the header. Other statuses (403, 404,
409, 5xx) are left alone: they are errors, and htmx does not swap them.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

REFUSED_HEADER = "X-Refused"
REFUSED_STATUS = 422


class RefusedFormStatusMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == REFUSED_STATUS
            and request.headers.get("HX-Request") == "true"
            and response.get("Content-Type", "").startswith("text/html")
        ):
            response.status_code = 200
            response[REFUSED_HEADER] = str(REFUSED_STATUS)
        return response
