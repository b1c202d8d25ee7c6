"""The header's bell (unread notifications) and the menu's to-do counts (issue #13).

Both are lazy: a page that does not show the header (errors, partials) runs no query; one
that does runs one (``monitoring.todo.header_counts``: the to-do counts are cached per user).
"""

from functools import cache

from django.utils.functional import SimpleLazyObject

from monitoring.todo import header_counts


def todo(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    counts = cache(lambda: header_counts(user))
    return {
        "todo": SimpleLazyObject(lambda: counts()["todo"]),
        "unread_notifications": SimpleLazyObject(lambda: counts()["unread"]),
    }
