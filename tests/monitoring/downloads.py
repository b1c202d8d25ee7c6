"""Reading a streamed download in a test."""

from django.core.signals import request_finished
from django.db import close_old_connections


def downloaded(response) -> bytes:
    """The body of a FileResponse, its file closed (ResourceWarning is an error here).

    Closing a response sends request_finished, whose close_old_connections would close the
    test's own database connection on PostgreSQL: keep it out, as the test client does while
    it handles a request.
    """
    content = b"".join(response.streaming_content)
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    return content
