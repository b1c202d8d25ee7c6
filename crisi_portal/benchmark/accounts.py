"""The benchmark's own accounts: made once, never able to log in with a password."""

from cases.models import Province
from crisi_portal.models import User


def benchmark_user(username: str, role: str, province: str | None = None) -> User:
    """The user ``username`` with ``role`` (restricted to ``province`` when it is made), created
    on first use, its password made unusable."""
    user, created = User.objects.get_or_create(username=username, defaults={"role": role})
    if created and province:
        user.provinces.set(Province.objects.filter(code=province))
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
