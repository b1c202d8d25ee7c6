"""The workers list is written field by field (issue #12): the same JSON, key for key and in
the same order, as DRF's generic path, for callers who see identities and for those who do
not, and the reads of identities are still collected for the access log."""

import datetime
import json

import pytest
from django.db.models import Prefetch
from django.test import RequestFactory

from tests.cases.factories import ProductionUnitFactory
from tests.factories import UserFactory
from tests.workers.factories import CohortFactory, InvolvementFactory, WorkerFactory
from workers.api.serializers import WorkerListSerializer, WorkerSerializer
from workers.models import Involvement, Worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def workers():
    unit = ProductionUnitFactory(in_province="MI")
    cohort = CohortFactory(procedure=unit.procedure, unit=unit)
    plain = InvolvementFactory(unit=unit).worker
    moved = InvolvementFactory(unit=unit, cohort=cohort)
    Involvement.objects.filter(pk=moved.pk).update(
        current_step="STEP_2", current_step_since=datetime.date(2025, 5, 6)
    )
    other = ProductionUnitFactory(in_province="BG")
    InvolvementFactory(worker=moved.worker, unit=other)
    lone = WorkerFactory(email="a@example.org", phone="02 123", education_level="")
    Worker.objects.filter(pk=lone.pk).update(residence_province_id="MI")
    Worker.objects.filter(pk=plain.pk).update(
        updated_at=datetime.datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=datetime.UTC)
    )
    return [plain, moved.worker, lone]


def context_for(user) -> dict:
    request = RequestFactory().get("/api/v1/workers/")
    request.user = user
    return {"request": request, "identity_reads": {}}


def page(user) -> list[Worker]:
    """The workers ``user`` sees, read as the list view reads them."""
    involvements = Involvement.objects.visible_to(user).select_related("procedure").order_by("pk")
    workers = Worker.objects.visible_to(user).select_related("residence_province")
    return list(workers.prefetch_related(Prefetch("involvements", involvements)).order_by("pk"))


@pytest.mark.parametrize(
    "traits",
    [
        {"province_staff": True, "provinces": ["MI"]},
        {"region_official": True},  # identities masked
        {"api_client": True},
        {"api_client": True, "provinces": ["BG"]},
        {"admin": True},
    ],
)
def test_the_fast_list_is_the_generic_list(workers, traits):
    user = UserFactory(**traits)
    rows = page(user)
    assert rows

    fast_context, generic_context = context_for(user), context_for(user)
    fast = WorkerSerializer(rows, many=True, context=fast_context).data
    generic = [WorkerSerializer(context=generic_context).to_representation(w) for w in rows]

    assert json.dumps(fast) == json.dumps(generic)
    assert fast_context["identity_reads"].keys() == generic_context["identity_reads"].keys()


def test_the_list_serializer_is_the_fast_one():
    assert isinstance(WorkerSerializer(many=True), WorkerListSerializer)


def test_a_subclass_with_other_fields_takes_the_generic_path(workers):
    class Shorter(WorkerSerializer):
        class Meta(WorkerSerializer.Meta):
            fields = ["id", "updated_at"]

    user = UserFactory(admin=True)
    data = Shorter(page(user), many=True, context=context_for(user)).data

    assert len(data) == 3 and all(set(row) == {"id", "updated_at"} for row in data)
