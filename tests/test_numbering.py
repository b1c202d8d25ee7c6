"""Numbers people read (issue #13, item 13): BG-2026-0007 for procedures, PIP BG-2026-0123.

Given once when the row is created, by province and year, never changed on edit, never given
twice — also when two writers take one at the same moment (PostgreSQL: real threads, each
with its own connection, released together)."""

import datetime
import importlib
import threading

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.models import CrisisProcedure, number_procedures
from crisi_portal import numbering
from crisi_portal.models import NumberCounter
from pal.models import PIP
from tests.cases.factories import CompanyFactory, CrisisProcedureFactory, province
from tests.pal.factories import PIPFactory

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.mark.django_db
def test_procedures_are_numbered_by_lead_province_and_year():
    first = CrisisProcedureFactory(lead="BG")
    second = CrisisProcedureFactory(lead="BG")
    milan = CrisisProcedureFactory(lead="MI")
    later = CrisisProcedureFactory(lead="BG", opened_on=datetime.date(2026, 1, 5))
    assert [first.number, second.number] == ["BG-2025-0001", "BG-2025-0002"]
    assert milan.number == "MI-2025-0001"
    assert later.number == "BG-2026-0001"
    assert first.reference == "BG-2025-0001"
    assert str(first).startswith("BG-2025-0001 – ")


@pytest.mark.django_db
def test_a_number_is_not_changed_by_an_edit_nor_reused(staff_bg):
    procedure = CrisisProcedureFactory(lead="BG")
    case_services.procedure_update(
        user=staff_bg,
        procedure=procedure,
        data={"opened_on": datetime.date(2024, 6, 1), "external_id": "ALTRO-1"},
    )
    procedure.refresh_from_db()
    assert procedure.number == "BG-2025-0001"
    procedure.delete()
    assert CrisisProcedureFactory(lead="BG").number == "BG-2025-0002"


@pytest.mark.django_db
def test_a_procedure_without_a_number_reads_its_external_id():
    procedure = CrisisProcedureFactory(lead="BG")
    CrisisProcedure.objects.filter(pk=procedure.pk).update(number=None)
    procedure.refresh_from_db()
    assert procedure.reference == procedure.external_id


@pytest.mark.django_db
def test_bulk_created_procedures_are_numbered_in_order():
    procedures = [
        CrisisProcedure(
            company=CompanyFactory(),
            lead_province=province(code),
            opened_on=datetime.date(2026, 2, 1),
            start_date=datetime.date(2026, 2, 1),
            family="cigs_ministeriale",
            external_id=f"X-{n}",
        )
        for n, code in enumerate(["BG", "MI", "BG"])
    ]
    procedures.append(CrisisProcedure(external_id="no-lead"))
    number_procedures(procedures)
    assert [p.number for p in procedures] == [
        "BG-2026-0001",
        "MI-2026-0001",
        "BG-2026-0002",
        None,
    ]
    assert numbering.allocate("procedure:BG", 2026, 0) == []


def test_a_ten_thousandth_keeps_its_digits():
    assert numbering.formatted("BG", 2026, 12345) == "BG-2026-12345"


@pytest.mark.django_db
def test_pips_are_numbered_by_the_workers_province_and_year():
    pip = PIPFactory()
    year = timezone.localdate().year
    assert pip.number == f"BG-{year}-0001"
    assert pip.reference == pip.number
    assert str(pip).startswith(f"PIP BG-{year}-0001 – ")
    assert PIPFactory().number == f"BG-{year}-0002"
    PIP.objects.filter(pk=pip.pk).update(number=None)
    pip.refresh_from_db()
    assert pip.reference == str(pip.pk)


@pytest.mark.django_db
def test_a_new_procedure_shows_its_number_and_the_api_a_read_only_field(
    client, staff_bg, api_client_for
):
    procedure = CrisisProcedureFactory(lead="BG")
    client.force_login(staff_bg)
    body = client.get(procedure.get_absolute_url(), **EN).content.decode()
    assert "BG-2025-0001" in body
    api = api_client_for(staff_bg)
    data = api.get(f"/api/v1/procedures/{procedure.pk}/").json()
    assert data["number"] == "BG-2025-0001"
    assert data["external_id"] == procedure.external_id
    etag = api.get(f"/api/v1/procedures/{procedure.pk}/")["ETag"]
    response = api.patch(
        f"/api/v1/procedures/{procedure.pk}/", {"number": "XX-1"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200
    procedure.refresh_from_db()
    assert procedure.number == "BG-2025-0001"
    listed = client.get(reverse("cases:procedure_list"), **EN).content.decode()
    assert "BG-2025-0001" in listed


@pytest.mark.django_db
def test_the_data_migrations_number_existing_rows_in_creation_order():
    procedures = [CrisisProcedureFactory(lead=code) for code in ("BG", "BG", "MI")]
    pips = [PIPFactory(), PIPFactory()]
    CrisisProcedure.objects.update(number=None)
    CrisisProcedure.history.update(number=None)
    PIP.objects.update(number=None)
    NumberCounter.objects.all().delete()
    for module in ("cases.migrations.0006_procedure_numbers", "pal.migrations.0006_pip_numbers"):
        importlib.import_module(module).number_existing(django_apps, None)
    numbers = dict(CrisisProcedure.objects.values_list("pk", "number"))
    assert [numbers[p.pk] for p in procedures] == ["BG-2025-0001", "BG-2025-0002", "MI-2025-0001"]
    assert set(CrisisProcedure.history.values_list("number", flat=True)) == set(numbers.values())
    year = pips[0].created_at.year
    assert list(PIP.objects.order_by("created_at", "id").values_list("number", flat=True)) == [
        f"BG-{year}-0001",
        f"BG-{year}-0002",
    ]
    # The counters go on from there (the two PIPs' workers are in two more BG procedures).
    assert CrisisProcedureFactory(lead="BG").number == "BG-2025-0005"
    assert PIPFactory().number == f"BG-{year}-0003"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_writers_never_get_the_same_number():
    writers, rounds = 4, 3
    numbers: list = []
    for _ in range(rounds):
        barrier = threading.Barrier(writers, timeout=10)

        def take(barrier: threading.Barrier = barrier) -> None:
            try:
                barrier.wait()
                numbers.append(numbering.next_number("procedure:BG", "BG", 2031))
            except Exception as exc:  # reported in the assertion, not lost in the thread
                numbers.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=take) for _ in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert sorted(map(str, numbers)) == [f"BG-2031-{n:04d}" for n in range(1, 13)]
