"""§6 / issue #9: reads of identities outside the worker's own province staff or operator are
recorded, and the records cannot be changed or deleted by the application.

Runs on SQLite and on PostgreSQL (``DATABASE_URL=postgres://…``); the trigger tests need
PostgreSQL.
"""

import csv
import io

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.workers.factories import InvolvementFactory
from workers.models import AccessRecordImmutable, PersonalDataAccess

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's"
)


@pytest.fixture
def bg(db):
    procedure = CrisisProcedureFactory(lead="BG")
    unit = ProductionUnitFactory(procedure=procedure)
    involvements = [InvolvementFactory(unit=unit) for _ in range(3)]
    return procedure, unit, involvements


def records(user):
    return PersonalDataAccess.objects.filter(user=user)


# --- Who is recorded ---------------------------------------------------------------------------


def test_admin_reading_workers_through_the_api_is_recorded(bg, admin_user, api_client_for):
    _procedure, _unit, involvements = bg
    response = api_client_for(admin_user).get("/api/v1/workers/")
    assert response.status_code == 200
    shown = {row["id"] for row in response.json()["results"]}
    assert shown == {i.worker_id for i in involvements}
    assert set(records(admin_user).values_list("worker_id", flat=True)) == shown
    assert set(records(admin_user).values_list("path", flat=True)) == {"/api/v1/workers/"}


def test_admin_reading_one_worker_through_the_api_is_recorded(bg, admin_user, api_client_for):
    worker = bg[2][0].worker
    response = api_client_for(admin_user).get(f"/api/v1/workers/{worker.pk}/")
    assert response.json()["fiscal_code"] == worker.fiscal_code
    assert list(records(admin_user).values_list("worker_id", flat=True)) == [worker.pk]


def test_api_clients_reading_identities_are_recorded(bg, api_client, api_client_for):
    response = api_client_for(api_client).get("/api/v1/involvements/")
    assert response.status_code == 200
    assert records(api_client).count() == 3


def test_region_officials_with_the_permission_are_recorded(bg, region, api_client_for):
    from django.contrib.auth.models import Permission

    region.user_permissions.add(Permission.objects.get(codename="view_personal_data"))
    api_client_for(region).get("/api/v1/involvements/")
    assert records(region).count() == 3


def test_the_workers_own_province_staff_are_not_recorded(bg, staff_bg, api_client_for):
    assert api_client_for(staff_bg).get("/api/v1/workers/").json()["count"] == 3
    client = Client()
    client.force_login(staff_bg)
    worker = bg[2][0].worker
    page = client.get(reverse("workers:worker_detail", args=[worker.pk])).content.decode()
    assert worker.fiscal_code in page
    assert not PersonalDataAccess.objects.exists()


def test_admin_html_worker_page_is_recorded(bg, admin_user):
    worker = bg[2][0].worker
    client = Client()
    client.force_login(admin_user)
    assert client.get(reverse("workers:worker_detail", args=[worker.pk])).status_code == 200
    assert list(records(admin_user).values_list("worker_id", flat=True)) == [worker.pk]


@pytest.mark.parametrize(
    "admin_path",
    [
        "/admin/workers/worker/",
        "/admin/workers/worker/{worker}/change/",
        "/admin/workers/worker/{worker}/history/",
        "/admin/workers/worker/{worker}/delete/",
        "/admin/workers/involvement/",
        "/admin/workers/involvement/{involvement}/change/",
    ],
)
def test_django_admin_pages_showing_identities_are_recorded(bg, admin_user, admin_path):
    involvement = bg[2][0]
    client = Client()
    client.force_login(admin_user)
    path = admin_path.format(worker=involvement.worker_id, involvement=involvement.pk)
    assert client.get(path).status_code == 200
    seen = set(records(admin_user).values_list("worker_id", flat=True))
    is_list = path.endswith(("/worker/", "/involvement/"))
    assert seen == ({i.worker_id for i in bg[2]} if is_list else {involvement.worker_id})
    assert records(admin_user).first().purpose.startswith("admin: ")


def test_the_admin_finds_a_worker_by_post_only_and_the_read_is_recorded(bg, admin_user):
    worker = bg[2][0].worker
    client = Client()
    client.force_login(admin_user)
    response = client.post("/admin/workers/worker/find/", {"term": worker.fiscal_code.lower()})
    assert response.status_code == 200
    assert f"/admin/workers/worker/{worker.pk}/change/" in response.content.decode()
    assert list(records(admin_user).values_list("worker_id", flat=True)) == [worker.pk]


def test_the_django_admin_log_names_workers_by_id_only(bg, admin_user):
    from django.contrib.admin.models import LogEntry

    worker = bg[2][0].worker
    client = Client()
    client.force_login(admin_user)
    page = client.get(f"/admin/workers/worker/{worker.pk}/change/")
    form = page.context["adminform"].form
    data = {
        name: form[name].value() if form[name].value() is not None else "" for name in form.fields
    }
    data.update(phone="+39 035 123456", **{"_save": "Save"})
    response = client.post(f"/admin/workers/worker/{worker.pk}/change/", data, follow=True)
    assert response.redirect_chain, response.context["adminform"].form.errors
    entry = LogEntry.objects.get(object_id=str(worker.pk))
    assert entry.object_repr.endswith(f" #{worker.pk}")  # "worker #12" / "lavoratore #12"
    assert worker.last_name not in entry.object_repr
    index = client.get("/admin/").content.decode()  # "Recent actions"
    assert worker.last_name not in index and worker.fiscal_code not in index


def test_the_admin_change_list_has_no_search_by_name_or_fiscal_code(bg, admin_user):
    from django.contrib import admin

    from workers.models import Worker

    assert not admin.site._registry[Worker].get_search_fields(None)
    worker = bg[2][0].worker
    client = Client()
    client.force_login(admin_user)
    # ``?q=`` is not a search any more: the list is not narrowed to the name.
    response = client.get("/admin/workers/worker/", {"q": worker.last_name})
    assert response.context["cl"].result_count == 3


def test_the_access_log_admin_is_read_only_and_shows_workers_by_id(bg, admin_user, api_client_for):
    from django.contrib import admin

    api_client_for(admin_user).get(f"/api/v1/workers/{bg[2][0].worker_id}/")
    model_admin = admin.site._registry[PersonalDataAccess]
    client = Client()
    client.force_login(admin_user)
    request = client.get("/admin/").wsgi_request
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    before = PersonalDataAccess.objects.count()
    page = client.get("/admin/workers/personaldataaccess/").content.decode()
    assert bg[2][0].worker.last_name not in page
    assert PersonalDataAccess.objects.count() == before  # reading the log is not a read


def test_exports_carry_no_people(bg, staff_bg, region, api_client_for):
    """No export carries people today, so none needs an access record: prove the first part."""
    names = set()
    for involvement in bg[2]:
        worker = involvement.worker
        names |= {worker.fiscal_code, worker.last_name, worker.first_name}
    html = Client()
    html.force_login(staff_bg)

    def body(response) -> str:  # the exports stream: the body is read from streaming_content
        return b"".join(response.streaming_content).decode()

    outputs = [
        body(html.get(reverse("cases:procedure_export"))),
        body(api_client_for(staff_bg).get("/api/v1/procedures/export/")),
    ]
    regional = Client()
    regional.force_login(region)
    outputs.append(body(regional.get(reverse("monitoring:cruscotto_csv"))))
    assert all(list(csv.reader(io.StringIO(text))) for text in outputs)
    assert not [name for name in names if any(name in text for text in outputs)]


# --- Append-only -------------------------------------------------------------------------------


@pytest.fixture
def record(bg, admin_user, api_client_for):
    api_client_for(admin_user).get(f"/api/v1/workers/{bg[2][0].worker_id}/")
    return records(admin_user).get()


def test_a_record_cannot_be_changed(record):
    record.purpose = "nothing to see"
    with pytest.raises(AccessRecordImmutable):
        record.save()
    assert PersonalDataAccess.objects.get(pk=record.pk).purpose != "nothing to see"


def test_a_record_cannot_be_deleted(record):
    with pytest.raises(AccessRecordImmutable):
        record.delete()
    assert PersonalDataAccess.objects.filter(pk=record.pk).exists()


def test_records_cannot_be_updated_or_deleted_in_bulk(record):
    with pytest.raises(AccessRecordImmutable):
        PersonalDataAccess.objects.filter(pk=record.pk).update(purpose="x")
    with pytest.raises(AccessRecordImmutable):
        PersonalDataAccess.objects.all().delete()
    assert PersonalDataAccess.objects.get(pk=record.pk).purpose == record.purpose


def test_deleting_the_worker_does_not_erase_who_read_them(record):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        record.worker.involvements.all().delete()
        record.worker.delete()
    assert PersonalDataAccess.objects.filter(pk=record.pk).exists()


@postgres_only
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE workers_personaldataaccess SET purpose = 'x'",
        "DELETE FROM workers_personaldataaccess",
    ],
)
def test_the_database_refuses_raw_updates_and_deletes(record, sql):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert PersonalDataAccess.objects.get(pk=record.pk).purpose == record.purpose


@postgres_only
def test_the_database_lets_only_the_retention_path_delete(record):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL crisi.retention = 'on'")
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as inner:
            inner.execute("UPDATE workers_personaldataaccess SET purpose = 'x'")  # still not
        cursor.execute("DELETE FROM workers_personaldataaccess WHERE id = %s", [record.pk])
        cursor.execute("SET LOCAL crisi.retention = 'off'")
    assert not PersonalDataAccess.objects.filter(pk=record.pk).exists()


@postgres_only
def test_the_retention_purge_deletes_and_closes_the_door_behind_it(record):
    from django.utils import timezone

    PersonalDataAccess.objects.bulk_create(
        [PersonalDataAccess(user=record.user, worker=record.worker, purpose="kept")]
    )
    assert PersonalDataAccess.objects.filter(pk=record.pk).purge_older_than(timezone.now()) == 1
    # Even inside the same (test) transaction, raw deletes are refused again afterwards.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM workers_personaldataaccess")
    assert PersonalDataAccess.objects.filter(purpose="kept").count() == 1
