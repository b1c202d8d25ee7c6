"""Users of every role (§1). Provinces come from the data migration: fetched, never created."""

import factory
from factory.django import DjangoModelFactory

from cases.models import Province
from crisi_portal.models import User
from crisi_portal.roles import Role


def _new_operator_pk() -> int:
    from tests.cases.factories import OperatorFactory

    return OperatorFactory().pk


class UserFactory(DjangoModelFactory):
    """``UserFactory(province_staff=True, provinces=["BG"])``, ``UserFactory(operator=True)``…"""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    class Params:
        province_staff = factory.Trait(role=Role.PROVINCE_STAFF)
        region_official = factory.Trait(role=Role.REGION_OFFICIAL)
        # Pass operator_id=... to attach the user to a given organisation.
        operator = factory.Trait(
            role=Role.OPERATOR, operator_id=factory.LazyFunction(_new_operator_pk)
        )
        api_client = factory.Trait(role=Role.API_CLIENT)
        admin = factory.Trait(role=Role.ADMIN, is_staff=True, is_superuser=True)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    first_name = factory.Faker("first_name", locale="it_IT")
    last_name = factory.Faker("last_name", locale="it_IT")
    password = factory.django.Password("correct horse battery staple")
    role = Role.PROVINCE_STAFF

    @factory.post_generation
    def provinces(self, create, extracted, **kwargs):
        """Province codes (or Province objects) the user acts in."""
        if not create or not extracted:
            return
        self.provinces.set(
            p if isinstance(p, Province) else Province.objects.get(code=p) for p in extracted
        )
        # province_codes is cached on the instance.
        self.__dict__.pop("province_codes", None)


def log_in(client, username: str, password: str) -> bool:
    """Log in through the login page, as a person does (django-axes needs the request that
    ``client.login()`` does not pass); True when a session was opened."""
    from django.contrib.auth import SESSION_KEY
    from django.urls import reverse

    response = client.post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302 and SESSION_KEY in client.session
