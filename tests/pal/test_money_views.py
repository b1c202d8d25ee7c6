"""Money pages (issue #15): the spending report and its downloads scoped by role, a Dote's
ledger and the Region's payment form, the funding sources and a measure's shares."""

import csv
import io
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import load_workbook

from pal.models import Fund, MeasureFunding, Payment
from tests.pal.factories import measure, operator_staff
from tests.pal.test_money import world  # noqa: F401 - the hand-built world, as a fixture

pytestmark = pytest.mark.django_db

SPENDING = "/pal/spending/"


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_the_region_reads_sources_with_budgets_and_what_is_left(client, region, world):  # noqa: F811
    client.force_login(region)
    with translation.override("en"):
        page = client.get(SPENDING, {"by": "source"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Fondo A" in page and ("9,100.00" in page or "9.100,00" in page)


def test_the_csv_is_scoped_to_the_province_officer(client, staff_bg, world):  # noqa: F811
    client.force_login(staff_bg)
    rows = csv_rows(client.get(SPENDING, {"by": "province", "format": "csv"}))
    assert [row[0] for row in rows[1:]] == ["Bergamo"]
    assert rows[1][2:6] == ["3000,00", "1500,00", "800,00", "300,00"]
    assert rows[1][1] == "" and rows[1][6] == "", "no budget, nothing left, for a province"


def test_the_xlsx_has_the_operators_own_row(client, world):  # noqa: F811
    client.force_login(operator_staff(world["op_bg"]))
    response = client.get(SPENDING, {"by": "operator", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.values)
    assert [row[0] for row in values[1:]] == ["Ente BG"]
    assert values[1][3] == Decimal("1500.00") or values[1][3] == 1500


def test_a_bad_choice_is_refused_with_the_field_named(client, region, world):  # noqa: F811
    client.force_login(region)
    response = client.get(SPENDING, {"by": "comune"})
    assert response.status_code == 400
    assert b"id_by" in response.content


def test_the_region_records_a_payment_and_is_refused_beyond_delivered(client, region, world):  # noqa: F811
    client.force_login(region)
    dote = world["bg"]
    path = f"/pal/doti/{dote.pk}/payments/"
    refused = client.post(
        path,
        {"paid_on": "2025-09-01", "amount": "600.00", "reference": "DDS 2/2025"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 422
    assert "can still be paid" in refused.content.decode()
    assert Payment.objects.filter(dote=dote).count() == 1
    done = client.post(
        path, {"paid_on": "2025-09-01", "amount": "500.00", "reference": "DDS 2/2025"}
    )
    assert done.status_code == 302
    ledger = client.get(f"/pal/doti/{dote.pk}/ledger/").content.decode()
    assert "DDS 2/2025" in ledger


def test_the_operator_reads_its_ledger_without_the_payment_form(client, world):  # noqa: F811
    client.force_login(operator_staff(world["op_bg"]))
    page = client.get(f"/pal/doti/{world['bg'].pk}/ledger/")
    assert page.status_code == 200 and b"payment_create" not in page.content
    assert b'action="/pal/doti/' not in page.content
    assert client.get(f"/pal/doti/{world['mi'].pk}/ledger/").status_code == 404


def test_the_region_edits_a_source_and_the_shares(client, region, world):  # noqa: F811
    client.force_login(region)
    fund = world["fund_a"]
    response = client.post(
        f"/pal/funds/{fund.pk}/edit/",
        {
            "code": "fund-a",
            "name": "Fondo A",
            "kind": "regionale",
            "budget": "12000",
            "valid_from": "2026-01-01",
            "valid_until": "2025-12-31",
        },
    )
    assert response.status_code == 422, "the period ends before it starts"
    fund.refresh_from_db()
    assert fund.budget == Decimal("10000")
    fc = measure("formazione-continua")
    data = {
        "shares-TOTAL_FORMS": "2",
        "shares-INITIAL_FORMS": "0",
        "shares-MIN_NUM_FORMS": "0",
        "shares-MAX_NUM_FORMS": "1000",
        "shares-0-fund": str(world["fund_a"].pk),
        "shares-0-share": "50",
        "shares-1-fund": str(world["fund_b"].pk),
        "shares-1-share": "40",
    }
    refused = client.post(f"/pal/measures/{fc.pk}/funding/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 422 and "sum to 90 %" in refused.content.decode()
    data["shares-1-share"] = "50"
    assert client.post(f"/pal/measures/{fc.pk}/funding/", data).status_code == 302
    assert sorted(MeasureFunding.objects.filter(measure=fc).values_list("share", flat=True)) == [
        Decimal("50"),
        Decimal("50"),
    ]
    assert Fund.objects.get(pk=fund.pk).history.count() >= 1


def test_the_review_page_says_beforehand_that_approving_would_overdraw(client, staff_mi, world):  # noqa: F811
    Fund.objects.filter(pk=world["fund_b"].pk).update(budget=Decimal("800"))
    client.force_login(staff_mi)
    pip = world["mi"].pips.get()
    page = client.get(f"/pal/review/{pip.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Funding source Fondo B" in page and "over the budget" in page
