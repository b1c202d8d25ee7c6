"""The operator's area in the browser (§4, §6): scope, finding a worker, PIPs, reporting."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pal.enums import PIPStatus, ServiceKind
from pal.models import PIP, CompetenceCertification, Dote, PIPService, PIPTransition, Qualification
from pal.services import pip_approve, pip_save, pip_start, pip_submit
from tests.cases.factories import CrisisProcedureFactory, ProductionUnitFactory
from tests.factories import UserFactory
from tests.pal.factories import DoteFactory, PIPFactory, PIPServiceFactory, service
from tests.workers.factories import InvolvementFactory
from workers.models import PersonalDataAccess

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    """These tests read the English messages; the portal's default language is Italian."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def operator_a(db):
    return UserFactory(username="operatore_a", operator=True)


@pytest.fixture
def operator_b(db):
    return UserFactory(username="operatore_b", operator=True)


@pytest.fixture
def client_a(client, operator_a):
    client.force_login(operator_a)
    return client


@pytest.fixture
def dote_a(operator_a):
    return DoteFactory(operator=operator_a.operator)


@pytest.fixture
def dote_b(operator_b):
    return DoteFactory(operator=operator_b.operator)


def service_rows(*rows: dict, prefix: str = "services") -> dict:
    """The POST data of the services formset for the given rows."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "1",
        f"{prefix}-MAX_NUM_FORMS": "30",
    }
    for index, row in enumerate(rows):
        values = {
            "kind": ServiceKind.ORIENTAMENTO,
            "delivery": "individuale",
            "hours": "10",
            "cost": "500.00",
            "planned_start": "2025-06-01",
            "planned_end": "2025-07-31",
            **row,
        }
        data.update({f"{prefix}-{index}-{key}": value for key, value in values.items()})
    return data


# --- Scope -----------------------------------------------------------------------------------


def test_an_operator_never_reaches_another_operators_dote_or_pip(client_a, dote_b):
    pip_b = PIPFactory(dote=dote_b)
    item = PIPServiceFactory(pip=pip_b)
    for url in (
        reverse("pal:dote_detail", args=[dote_b.pk]),
        reverse("pal:pip_create", args=[dote_b.pk]),
        reverse("pal:pip_detail", args=[pip_b.pk]),
        reverse("pal:pip_update", args=[pip_b.pk]),
        reverse("pal:certification_create", args=[pip_b.pk]),
        reverse("pal:service_report", args=[item.pk]),
    ):
        assert client_a.get(url).status_code == 404, url
    for url in (
        reverse("pal:pip_budget", args=[dote_b.pk]),
        reverse("pal:pip_action", args=[pip_b.pk, "submit"]),
        reverse("pal:pip_action", args=[pip_b.pk, "withdraw"]),
    ):
        assert client_a.post(url, service_rows({})).status_code == 404, url
    pip_b.refresh_from_db()
    assert pip_b.status == PIPStatus.BOZZA


def test_the_home_shows_only_the_operators_own_doti_pips_and_workers(client_a, dote_a, dote_b):
    PIPFactory(dote=dote_a)
    PIPFactory(dote=dote_b)
    response = client_a.get(reverse("pal:operator_home"))
    assert response.status_code == 200
    assert response.context["workers"] == 1
    assert [d.pk for d in response.context["doti"]] == [dote_a.pk]
    assert [p.dote_id for p in response.context["pips"]] == [dote_a.pk]
    assert reverse("pal:dote_detail", args=[dote_b.pk]) not in response.text
    assert dote_b.involvement.worker.fiscal_code not in response.text


def test_the_home_counts_doti_and_pips_by_status_and_filters_by_tile(client_a, dote_a):
    PIPFactory(dote=dote_a)
    PIPFactory(dote=dote_a, status=PIPStatus.RITIRATO)
    response = client_a.get(reverse("pal:operator_home"), {"pip_status": PIPStatus.RITIRATO})
    counts = {status: n for status, _label, n in response.context["pips_by_status"]}
    assert counts[PIPStatus.BOZZA] == 1
    assert counts[PIPStatus.RITIRATO] == 1
    assert [p.status for p in response.context["pips"]] == [PIPStatus.RITIRATO]


def test_the_home_runs_a_fixed_number_of_queries(client_a, operator_a):
    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert client_a.get(reverse("pal:operator_home")).status_code == 200
        return len(context)

    dote = DoteFactory(operator=operator_a.operator)
    PIPServiceFactory(pip=PIPFactory(dote=dote))
    few = queries()
    for _ in range(4):
        dote = DoteFactory(operator=operator_a.operator)
        PIPServiceFactory(pip=PIPFactory(dote=dote))
        PIPServiceFactory(pip=PIPFactory(dote=dote))
    assert queries() == few


def test_province_staff_cannot_use_the_operator_area(client, staff_bg):
    client.force_login(staff_bg)
    assert client.get(reverse("pal:operator_home")).status_code == 403
    assert client.get(reverse("pal:worker_find")).status_code == 403


# --- Finding a worker by fiscal code ---------------------------------------------------------


def test_a_worker_in_an_active_procedure_is_found_by_exact_fiscal_code_via_post(client_a):
    involvement = InvolvementFactory()
    code = involvement.worker.fiscal_code
    typed = f" {code[:6].lower()} {code[6:]} "
    response = client_a.post(reverse("pal:worker_find"), {"fiscal_code": typed})
    assert response.status_code == 200
    assert response.context["worker"] == involvement.worker
    assert [i.pk for i in response.context["involvements"]] == [involvement.pk]
    assert involvement.procedure.company.name in response.text


def test_the_fiscal_code_search_answers_only_to_post(client_a):
    involvement = InvolvementFactory()
    response = client_a.get(
        reverse("pal:worker_find"), {"fiscal_code": involvement.worker.fiscal_code}
    )
    assert response.status_code == 200
    assert "worker" not in response.context
    assert involvement.worker.last_name not in response.text


def test_a_worker_only_in_closed_procedures_is_not_found(client_a):
    closed = CrisisProcedureFactory(closed=True)
    involvement = InvolvementFactory(unit=ProductionUnitFactory(procedure=closed))
    response = client_a.post(
        reverse("pal:worker_find"), {"fiscal_code": involvement.worker.fiscal_code}
    )
    assert response.context["not_found"] is True
    assert "worker" not in response.context


def test_a_partial_fiscal_code_finds_nobody(client_a):
    involvement = InvolvementFactory()
    response = client_a.post(
        reverse("pal:worker_find"), {"fiscal_code": involvement.worker.fiscal_code[:10]}
    )
    assert response.status_code == 422
    assert "worker" not in response.context


def test_looking_up_a_worker_outside_the_operators_scope_is_logged(client_a, operator_a):
    involvement = InvolvementFactory()
    client_a.post(reverse("pal:worker_find"), {"fiscal_code": involvement.worker.fiscal_code})
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.worker) == (operator_a, involvement.worker)


def test_assigning_a_dote_opens_it_with_the_users_operator(client_a, operator_a):
    involvement = InvolvementFactory()
    today = timezone.localdate()
    response = client_a.post(
        reverse("pal:worker_find"),
        {
            "fiscal_code": involvement.worker.fiscal_code,
            "involvement": involvement.pk,
            "measure": _measure_id("dote-unica-lavoro"),
            "value": "3000.00",
            "valid_from": today.isoformat(),
            "valid_until": (today + datetime.timedelta(days=300)).isoformat(),
        },
    )
    dote = Dote.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("pal:dote_detail", args=[dote.pk])
    assert (dote.operator_id, dote.involvement_id) == (operator_a.operator_id, involvement.pk)


def test_a_dote_above_the_measure_cap_is_refused_with_the_rule(client_a):
    involvement = InvolvementFactory()
    today = timezone.localdate()
    response = client_a.post(
        reverse("pal:worker_find"),
        {
            "fiscal_code": involvement.worker.fiscal_code,
            "involvement": involvement.pk,
            "measure": _measure_id("formazione-continua"),
            "value": "2500.00",
            "valid_from": today.isoformat(),
            "valid_until": (today + datetime.timedelta(days=300)).isoformat(),
        },
    )
    assert response.status_code == 422
    assert "cap per worker" in response.text
    assert not Dote.objects.exists()


def _measure_id(code: str) -> int:
    from tests.pal.factories import measure

    return measure(code).pk


# --- Filing a PIP ----------------------------------------------------------------------------


def test_filing_a_pip_with_two_services_saves_a_draft(client_a, dote_a):
    data = {
        "objectives": "Ricollocazione nella logistica.",
        **service_rows({"cost": "500.00"}, {"kind": ServiceKind.FORMAZIONE, "cost": "700.50"}),
    }
    response = client_a.post(reverse("pal:pip_create", args=[dote_a.pk]), data)
    pip = PIP.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("pal:pip_detail", args=[pip.pk])
    assert pip.status == PIPStatus.BOZZA
    assert sorted(pip.services.values_list("cost", flat=True)) == [
        Decimal("500.00"),
        Decimal("700.50"),
    ]


def test_the_budget_fragment_shows_what_the_edited_plan_leaves_on_the_dote(client_a, dote_a):
    committed = PIPFactory(dote=dote_a, status=PIPStatus.PRESENTATO)
    PIPServiceFactory(pip=committed, cost=Decimal("1000.00"))
    data = service_rows({"cost": "500.00"}, {"cost": "700.50"}, {"cost": "99"})
    data["services-2-DELETE"] = "on"  # a row being removed does not count
    response = client_a.post(
        reverse("pal:pip_budget", args=[dote_a.pk]), data, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.context["budget"]["total"] == Decimal("1200.50")
    assert response.context["budget"]["remaining"] == Decimal("799.50")  # 3000 − 1000 − 1200.50
    assert "799.50" in response.text  # English here (see the english fixture)


def test_the_budget_fragment_warns_when_the_plan_exceeds_the_dote(client_a, dote_a):
    response = client_a.post(
        reverse("pal:pip_budget", args=[dote_a.pk]), service_rows({"cost": "3500"})
    )
    assert response.context["budget"]["over"] is True
    assert "more than what is left" in response.text


def test_the_budget_endpoint_answers_only_to_post(client_a, dote_a):
    assert client_a.get(reverse("pal:pip_budget", args=[dote_a.pk])).status_code == 405


def test_a_pip_above_the_dote_is_refused_on_the_form_and_nothing_is_saved(client_a, dote_a):
    data = {"objectives": "", **service_rows({"cost": "2000"}, {"cost": "1500"})}
    response = client_a.post(reverse("pal:pip_create", args=[dote_a.pk]), data)
    assert response.status_code == 422
    assert "more than the Dote" in response.text
    assert not PIP.objects.exists()


def test_a_pip_without_services_is_refused(client_a, dote_a):
    data = {"objectives": "x", **service_rows({})}
    data["services-0-DELETE"] = "on"
    response = client_a.post(reverse("pal:pip_create", args=[dote_a.pk]), data)
    assert response.status_code == 422
    assert not PIP.objects.exists()


def test_editing_a_draft_replaces_its_services(client_a, dote_a, operator_a):
    pip = pip_save(user=operator_a, dote=dote_a, objectives="a", services=[service()])
    data = {"objectives": "b", **service_rows({"cost": "800"})}
    response = client_a.post(reverse("pal:pip_update", args=[pip.pk]), data)
    assert response.status_code == 302
    assert list(pip.services.values_list("cost", flat=True)) == [Decimal("800.00")]


def test_a_submitted_pip_cannot_be_edited(client_a, dote_a, operator_a):
    pip = pip_save(user=operator_a, dote=dote_a, objectives="a", services=[service()])
    pip_submit(user=operator_a, pip=pip)
    response = client_a.get(reverse("pal:pip_update", args=[pip.pk]))
    assert response.status_code == 302
    response = client_a.post(
        reverse("pal:pip_update", args=[pip.pk]), {"objectives": "b", **service_rows({})}
    )
    assert response.status_code == 422
    assert "only while it is a draft" in response.text


# --- The workflow ----------------------------------------------------------------------------


def test_full_happy_path_from_draft_to_submitted(client_a, dote_a):
    client_a.post(
        reverse("pal:pip_create", args=[dote_a.pk]),
        {"objectives": "x", **service_rows({"cost": "500"}, {"cost": "700"})},
    )
    pip = PIP.objects.get()
    detail = client_a.get(reverse("pal:pip_detail", args=[pip.pk]))
    assert detail.context["actions"] == ["submit", "withdraw"]
    response = client_a.post(reverse("pal:pip_action", args=[pip.pk, "submit"]), follow=True)
    pip.refresh_from_db()
    assert pip.status == PIPStatus.PRESENTATO
    assert pip.submitted_at is not None
    transition = PIPTransition.objects.get(pip=pip)
    assert (transition.from_status, transition.to_status) == (
        PIPStatus.BOZZA,
        PIPStatus.PRESENTATO,
    )
    assert response.context["actions"] == ["withdraw"]


def test_a_submission_refused_by_a_rule_names_it_and_changes_nothing(client_a, dote_a, operator_a):
    # The worker already has an active PIP (on another operator's Dote): one at a time.
    other = DoteFactory(involvement=dote_a.involvement)
    active = pip_save(user=None, dote=other, objectives="", services=[service()])
    pip_submit(user=None, pip=active)
    pip = pip_save(user=operator_a, dote=dote_a, objectives="", services=[service()])

    response = client_a.post(reverse("pal:pip_action", args=[pip.pk, "submit"]), follow=True)

    pip.refresh_from_db()
    assert pip.status == PIPStatus.BOZZA
    assert not pip.transitions.exists()
    text = [str(m) for m in response.context["messages"]]
    assert any("already has an active PIP" in m for m in text), text


def test_a_move_the_workflow_does_not_allow_is_refused(client_a, dote_a, operator_a):
    pip = pip_save(user=operator_a, dote=dote_a, objectives="", services=[service()])
    response = client_a.post(reverse("pal:pip_action", args=[pip.pk, "conclude"]), follow=True)
    pip.refresh_from_db()
    assert pip.status == PIPStatus.BOZZA
    assert any("cannot become" in str(m) for m in response.context["messages"])


def test_withdrawing_records_the_note(client_a, dote_a, operator_a):
    pip = pip_save(user=operator_a, dote=dote_a, objectives="", services=[service()])
    client_a.post(
        reverse("pal:pip_action", args=[pip.pk, "withdraw"]), {"note": "Il lavoratore rinuncia."}
    )
    pip.refresh_from_db()
    assert pip.status == PIPStatus.RITIRATO
    assert pip.transitions.get().note == "Il lavoratore rinuncia."


def test_workflow_actions_answer_only_to_post(client_a, dote_a):
    pip = PIPFactory(dote=dote_a)
    assert client_a.get(reverse("pal:pip_action", args=[pip.pk, "submit"])).status_code == 405


def test_a_returned_pip_shows_the_provinces_note(client_a, dote_a):
    pip = PIPFactory(
        dote=dote_a, status=PIPStatus.RESTITUITO, return_note="Mancano le date del tirocinio."
    )
    response = client_a.get(reverse("pal:pip_detail", args=[pip.pk]))
    assert "Mancano le date del tirocinio." in response.text
    assert response.context["actions"] == ["submit", "withdraw"]
    assert response.context["can_edit"] is True


# --- Rendicontazione and certifications ------------------------------------------------------


@pytest.fixture
def approved_pip(dote_a, operator_a, staff_bg):
    pip = pip_save(user=operator_a, dote=dote_a, objectives="", services=[service()])
    pip_submit(user=operator_a, pip=pip)
    pip_approve(user=staff_bg, pip=pip)
    return pip


def test_reporting_a_delivered_service(client_a, approved_pip):
    item = approved_pip.services.get()
    response = client_a.post(
        reverse("pal:service_report", args=[item.pk]),
        {"delivered_hours": "8", "delivered_cost": "400.00", "delivered_on": "2025-07-31"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.delivered_hours, item.delivered_cost) == (Decimal("8.0"), Decimal("400.00"))


def test_reporting_more_than_planned_is_refused(client_a, approved_pip):
    item = approved_pip.services.get()
    response = client_a.post(
        reverse("pal:service_report", args=[item.pk]),
        {"delivered_hours": "10", "delivered_cost": "600.00", "delivered_on": "2025-07-31"},
    )
    assert response.status_code == 422
    assert "cannot exceed what the PIP planned" in response.text
    item.refresh_from_db()
    assert item.delivered_cost == Decimal("0.00")


def test_services_of_a_draft_cannot_be_reported(client_a, dote_a, operator_a):
    pip = pip_save(user=operator_a, dote=dote_a, objectives="", services=[service()])
    item = pip.services.get()
    response = client_a.post(
        reverse("pal:service_report", args=[item.pk]),
        {"delivered_hours": "1", "delivered_cost": "10", "delivered_on": "2025-07-31"},
    )
    assert response.status_code == 422
    assert PIPService.objects.get().delivered_on is None


def test_a_certification_is_recorded_for_the_pips_worker(client_a, approved_pip, operator_a):
    pip_start(user=operator_a, pip=approved_pip)
    # Certifying competences needs the accreditation for training (issue #14 item 7).
    type(operator_a.operator).objects.filter(pk=operator_a.operator_id).update(
        accredited_for_training=True
    )
    response = client_a.post(
        reverse("pal:certification_create", args=[approved_pip.pk]),
        {
            "qualification": Qualification.objects.get(code="QRSP-PROV-03").pk,
            "title": "Operatore di magazzino",
            "competences": "Gestione scorte\nCarrello elevatore",
            "certified_on": "2025-09-30",
        },
    )
    assert response.status_code == 302
    certification = CompetenceCertification.objects.get()
    assert certification.worker == approved_pip.dote.involvement.worker
    assert certification.operator_id == operator_a.operator_id


def test_a_certification_dated_in_the_future_is_refused_on_its_field(
    client_a, approved_pip, operator_a
):
    pip_start(user=operator_a, pip=approved_pip)
    type(operator_a.operator).objects.filter(pk=operator_a.operator_id).update(
        accredited_for_training=True
    )
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client_a.post(
        reverse("pal:certification_create", args=[approved_pip.pk]),
        {
            "qualification": Qualification.objects.first().pk,
            "title": "x",
            "competences": "y",
            "certified_on": tomorrow.isoformat(),
        },
    )
    assert response.status_code == 422
    assert response.context["form"].errors["certified_on"]
    assert not CompetenceCertification.objects.exists()


def test_detail_pages_render_for_the_operator(client_a, approved_pip):
    dote = approved_pip.dote
    for url in (
        reverse("pal:operator_home"),
        reverse("pal:worker_find"),
        reverse("pal:dote_detail", args=[dote.pk]),
        reverse("pal:pip_create", args=[dote.pk]),
        reverse("pal:pip_detail", args=[approved_pip.pk]),
        reverse("pal:service_report", args=[approved_pip.services.get().pk]),
        reverse("pal:certification_create", args=[approved_pip.pk]),
    ):
        assert client_a.get(url).status_code == 200, url


def test_the_home_filters_doti_and_pips_by_measure_company_and_expiry(client_a, operator_a):
    from tests.pal.factories import measure

    today = timezone.localdate()
    dul = DoteFactory(
        operator=operator_a.operator,
        involvement__unit__procedure__company__name="Acciaierie Orobiche",
        valid_from=today - datetime.timedelta(days=300),
        valid_until=today + datetime.timedelta(days=10),
    )
    rete = DoteFactory(
        operator=operator_a.operator,
        measure=measure("azioni-di-rete"),
        involvement__unit__procedure__company__name="Tessiture Brembane",
        valid_from=today - datetime.timedelta(days=30),
        valid_until=today + datetime.timedelta(days=200),
    )
    PIPFactory(dote=dul)
    PIPFactory(dote=rete)
    home = reverse("pal:operator_home")

    def listed(**params):
        response = client_a.get(home, params)
        assert response.status_code == 200
        return (
            [d.pk for d in response.context["doti"]],
            [p.dote_id for p in response.context["pips"]],
        )

    assert listed(measure=rete.measure_id) == ([rete.pk], [rete.pk])
    assert listed(company="orobiche") == ([dul.pk], [dul.pk])
    assert listed(company=rete.involvement.procedure.external_id) == ([rete.pk], [rete.pk])
    assert listed(expiring="on") == ([dul.pk], [dul.pk])
    assert listed(company="nessuna") == ([], [])
    # The measures offered are those of the operator's own Doti; a foreign one is refused.
    response = client_a.get(home, {"measure": 987654})
    assert "Select a valid choice" in response.text
    assert set(response.context["filters"].fields["measure"].queryset) == {
        dul.measure,
        rete.measure,
    }
    # The status tiles keep the filters.
    page = client_a.get(home, {"company": "orobiche"}).text
    assert "company=orobiche" in page.split('aria-label="Doti by status"')[1].split("</ul>")[0]
    assert "No Dote matches these filters." in client_a.get(home, {"company": "zzz"}).text


def test_a_pip_prints_as_a_document_the_worker_signs(client_a, dote_a, dote_b, tmp_path):
    import subprocess

    pip = PIPFactory(dote=dote_a, objectives="Riqualificazione come magazziniere.")
    PIPServiceFactory(pip=pip, hours=Decimal("12.0"), cost=Decimal("480.00"))
    response = client_a.get(reverse("pal:pip_print", args=[pip.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    worker = dote_a.involvement.worker
    assert worker.last_name not in response["Content-Disposition"]
    path = tmp_path / "pip.pdf"
    path.write_bytes(response.content)
    text = " ".join(
        subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    for expected in (
        worker.fiscal_code,
        f"{worker.last_name} {worker.first_name}",
        "Riqualificazione come magazziniere.",
        dote_a.measure.name,
        "480.00",  # English (the autouse fixture); Italian writes 480,00
        "The worker's signature",
        "Place and date",
    ):
        assert expected in text, expected
    # The PIP page links to it; another operator's PIP is "not found".
    assert reverse("pal:pip_print", args=[pip.pk]) in client_a.get(pip.get_absolute_url()).text
    other = PIPFactory(dote=dote_b)
    assert client_a.get(reverse("pal:pip_print", args=[other.pk])).status_code == 404
