# ruff: noqa: F811 (the world fixture is imported from tests/test_access.py)
"""§1, §6: every reference a request carries is resolved in the caller's scope.

``tests/test_access.py`` proves the routes (an object named in the URL); this module proves the
*object references* in bodies and queries: ids, fiscal codes, tax codes and external ids. For
each operation that accepts one, a caller sends a reference to something of another province
or operator, and then the same request naming something that does not exist. The two answers
must be the same (status and body, the reference itself aside), nothing may be written, and
nothing of the out-of-scope object may appear in the answer.

The objects and roles are those of ``tests/test_access.py`` (the ``world`` fixture).
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cases.models import (
    Company,
    CompanyChangeProposal,
    CrisisProcedure,
    MeetingDecision,
    MeetingParticipant,
)
from pal.models import Dote
from tests.monitoring.plan_factories import plan_form_data
from tests.test_access import api_client_bg, world  # noqa: F401 (fixtures)
from tests.workers.factories import InvolvementFactory, WorkerFactory, unused_fiscal_code
from workers.models import Involvement, Worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(settings):
    """These tests read the English messages; the portal's default language is Italian."""
    settings.LANGUAGE_CODE = "en"


MISSING_ID = 987654321
# A valid fiscal code nobody in the world fixture has.
MISSING_FISCAL_CODE = unused_fiscal_code()
APPS = ("crisi_portal", "cases", "workers", "pal", "monitoring")


def row_counts() -> dict[str, int]:
    """Rows of every model of the project, history and access records included."""
    return {
        model._meta.label: model._default_manager.count()
        for app in APPS
        for model in apps.get_app_config(app).get_models()
    }


def secrets_of(obj) -> list[str]:
    """What an answer must never show of an out-of-scope object."""
    if isinstance(obj, Worker):
        return [
            obj.fiscal_code,
            f"{obj.last_name} {obj.first_name}",
            f"{obj.first_name} {obj.last_name}",
        ]
    if isinstance(obj, Involvement):
        return secrets_of(obj.worker)
    if isinstance(obj, CrisisProcedure):
        return [obj.company.name, obj.company.tax_code]
    if isinstance(obj, Dote):
        return secrets_of(obj.involvement.worker)
    return []


def body_of(response) -> str:
    if response.get("Content-Type", "").startswith(("application/json", "application/problem")):
        return json.dumps(response.json(), sort_keys=True)
    return response.content.decode()


def normalised(text: str, *references) -> str:
    """The answer with the references the caller sent (and per-response tokens) blanked out.

    A reference counts where a request's value is echoed: quoted, in a list, in a delivery's
    URL, or in the "is not one of the available choices" / "Unknown ...: 5." sentences, never
    inside prose (an id of 3 must not blank "STEP 3").
    """
    # The choices a form offers are the caller's own (in scope) and do not depend on what was
    # sent; an id among them must not be taken for the reference.
    text = re.sub(r"<option[^>]*>[^<]*</option>", "<option>", text)
    for reference in references:
        ref = re.escape(str(reference))
        for pattern in (
            rf'(?<=["\'\[]){ref}(?=\\?["\'\]])',
            rf"\b{ref}(?= is not one of)",
            rf"(?<=: ){ref}(?=\.)",
            rf"(?<=\[){ref}(?=[,\]])",
            # A delivery id in the URL, under one's own webhook endpoint, echoed as the
            # problem's ``instance``.
            rf"(?<=/deliveries/){ref}(?=/)",
        ):
            text = re.sub(pattern, "<ref>", text)
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    # Per-response secrets of the page itself: the CSP nonce and the CSRF meta token.
    return re.sub(r'(nonce="[^"]+"|content="[A-Za-z0-9+/=_-]{32,}")', "", text)


@dataclass
class Case:
    """One reference point: ``send(client, reference)`` with an out-of-scope and a missing one."""

    roles: tuple[str, ...]
    send: Callable
    out_of_scope: Callable  # world -> (the reference to send, the object it names)
    missing: object
    api: bool = True
    # Reads done before the rows are counted (e.g. the ETag a write needs): (client, world).
    prepare: Callable | None = None


def api_post(url: str, body: Callable):
    return lambda client, ref, w: client.post(url(w) if callable(url) else url, body(ref, w))


def api_patch(url: Callable, body: Callable):
    """A PATCH of an object with its current ETag (workers' data needs If-Match): the ETag is
    read first, outside the rows the test counts."""
    return lambda client, ref, w: client.patch(url(w), body(ref, w), **if_match(client, url(w)))


_etags: dict[tuple[int, str], str] = {}


def read_etag(client, url: str) -> None:
    _etags[(id(client), url)] = client.get(url)["ETag"]


def if_match(client, url: str) -> dict:
    return {"HTTP_IF_MATCH": _etags.get((id(client), url), '"none"')}


CASES = {
    # --- webhooks (issue #16): a delivery id in the URL, under one's own endpoint
    "webhook redeliver: another client's delivery id": Case(
        ("api_client_bg",),
        lambda client, ref, w: client.post(
            f"/api/v1/webhooks/{w['webhook_bg'].pk}/deliveries/{ref}/redeliver/"
        ),
        lambda w: (w["webhook_other"].delivery_id, w["webhook_other"]),
        MISSING_ID,
    ),
    # --- cases
    "unit create: procedure id": Case(
        ("staff_bg", "api_client_bg"),
        api_post(
            "/api/v1/units/",
            lambda ref, w: {"procedure": ref, "comune": "Dalmine", "province": "BG"},
        ),
        lambda w: (w["proc_mi"].pk, w["proc_mi"]),
        MISSING_ID,
    ),
    # Upserts (issue #10): the procedure id in the body, alone or as a bulk item.
    "unit upsert: procedure id": Case(
        ("staff_bg", "api_client_bg"),
        api_post(
            "/api/v1/units/upsert/",
            lambda ref, w: {
                "procedure": ref,
                "external_id": "U-REF",
                "comune": "Dalmine",
                "province": "BG",
            },
        ),
        lambda w: (w["proc_mi"].pk, w["proc_mi"]),
        MISSING_ID,
    ),
    "unit bulk: procedure id": Case(
        ("staff_bg", "api_client_bg"),
        api_post(
            "/api/v1/units/bulk/",
            lambda ref, w: {
                "items": [
                    {
                        "procedure": ref,
                        "external_id": "U-REF",
                        "comune": "Dalmine",
                        "province": "BG",
                    }
                ]
            },
        ),
        lambda w: (w["proc_mi"].pk, w["proc_mi"]),
        MISSING_ID,
    ),
    "worker bulk: procedure id": Case(
        ("staff_bg", "api_client_bg"),
        api_post(
            "/api/v1/workers/bulk/",
            lambda ref, w: {
                "procedure": ref,
                "items": [
                    {
                        "fiscal_code": MISSING_FISCAL_CODE,
                        "last_name": "Rossi",
                        "first_name": "Maria",
                        "birth_date": "1970-01-01",
                        "sex": "F",
                        "unit": "U-1",
                    }
                ],
            },
        ),
        lambda w: (w["proc_mi"].pk, w["proc_mi"]),
        MISSING_ID,
    ),
    "worker bulk: procedure external id": Case(
        ("staff_bg", "api_client_bg"),
        api_post(
            "/api/v1/workers/bulk/",
            lambda ref, w: {
                "procedure_external_id": ref,
                "items": [
                    {
                        "fiscal_code": MISSING_FISCAL_CODE,
                        "last_name": "Rossi",
                        "first_name": "Maria",
                        "birth_date": "1970-01-01",
                        "sex": "F",
                        "unit": "U-1",
                    }
                ],
            },
        ),
        lambda w: (w["proc_mi"].external_id, w["proc_mi"]),
        "NO-SUCH-PROCEDURE",
    ),
    "meeting create: procedure ids": Case(
        ("staff_bg", "api_client_bg"),
        api_post(
            "/api/v1/meetings/",
            lambda ref, w: {
                "kind": "tavolo_provinciale",
                "date": "2025-06-01",
                "province": "BG",
                "procedures": [ref],
            },
        ),
        lambda w: (w["proc_mi"].pk, w["proc_mi"]),
        MISSING_ID,
    ),
    "agreement create: procedure id": Case(
        ("staff_bg", "api_client_bg"),
        api_post(
            "/api/v1/agreements/",
            lambda ref, w: {
                "procedure": ref,
                "kind": "aziendale",
                "signed_on": "2025-05-01",
                "goals": ["retrain"],
                "workers_covered": 1,
            },
        ),
        lambda w: (w["proc_mi"].pk, w["proc_mi"]),
        MISSING_ID,
    ),
    # --- workers
    "cohort create: procedure id": Case(
        ("staff_bg", "api_client_bg"),
        api_post("/api/v1/cohorts/", lambda ref, w: {"procedure": ref, "name": "Gruppo X"}),
        lambda w: (w["proc_mi"].pk, w["proc_mi"]),
        MISSING_ID,
    ),
    "cohort create: unit id": Case(
        ("staff_bg", "api_client_bg"),
        api_post(
            "/api/v1/cohorts/",
            lambda ref, w: {"procedure": w["proc_bg"].pk, "unit": ref, "name": "Gruppo X"},
        ),
        lambda w: (w["unit_mi"].pk, w["unit_mi"]),
        MISSING_ID,
    ),
    "involvement update: unit id": Case(
        ("staff_bg", "api_client_bg"),
        api_patch(
            lambda w: f"/api/v1/involvements/{w['involvement_bg'].pk}/",
            lambda ref, w: {"unit": ref},
        ),
        lambda w: (w["unit_mi"].pk, w["unit_mi"]),
        MISSING_ID,
        prepare=lambda client, w: read_etag(
            client, f"/api/v1/involvements/{w['involvement_bg'].pk}/"
        ),
    ),
    "involvement update: cohort id": Case(
        ("staff_bg", "api_client_bg"),
        api_patch(
            lambda w: f"/api/v1/involvements/{w['involvement_bg'].pk}/",
            lambda ref, w: {"cohort": ref},
        ),
        lambda w: (w["cohort_mi"].pk, w["cohort_mi"]),
        MISSING_ID,
        prepare=lambda client, w: read_etag(
            client, f"/api/v1/involvements/{w['involvement_bg'].pk}/"
        ),
    ),
    "cohort assign: involvement ids": Case(
        ("staff_bg", "api_client_bg"),
        api_post(
            lambda w: f"/api/v1/cohorts/{w['cohort_bg'].pk}/assign/",
            lambda ref, w: {"involvements": [ref]},
        ),
        lambda w: (w["involvement_mi"].pk, w["involvement_mi"]),
        MISSING_ID,
    ),
    "cohort move: involvement ids": Case(
        ("staff_bg", "api_client_bg"),
        api_post(
            lambda w: f"/api/v1/cohorts/{w['cohort_bg'].pk}/move/",
            lambda ref, w: {"to": "STEP_2", "effective_date": "2025-06-01", "involvements": [ref]},
        ),
        lambda w: (w["involvement_mi"].pk, w["involvement_mi"]),
        MISSING_ID,
    ),
    "worker search: fiscal code": Case(
        ("staff_bg", "api_client_bg"),
        api_post("/api/v1/workers/search/", lambda ref, w: {"fiscal_code": ref}),
        lambda w: (w["worker_mi"].fiscal_code, w["worker_mi"]),
        MISSING_FISCAL_CODE,
    ),
    "worker search: fiscal code of a shared procedure's other unit": Case(
        ("staff_bg", "api_client_bg"),
        api_post("/api/v1/workers/search/", lambda ref, w: {"fiscal_code": ref}),
        lambda w: (w["worker_shared_mi"].fiscal_code, w["worker_shared_mi"]),
        MISSING_FISCAL_CODE,
    ),
    "worker search by an operator: fiscal code of a worker not its own": Case(
        ("operator_user",),
        api_post("/api/v1/workers/search/", lambda ref, w: {"fiscal_code": ref}),
        lambda w: (w["worker_mi"].fiscal_code, w["worker_mi"]),
        MISSING_FISCAL_CODE,
    ),
    "worker import: procedure id": Case(
        ("staff_bg", "api_client_bg"),
        lambda client, ref, w: client.post(
            "/api/v1/workers/import/",
            {"procedure": ref, "file": SimpleUploadedFile("l.csv", b"x"), "dry_run": True},
            format="multipart",
        ),
        lambda w: (w["proc_mi"].pk, w["proc_mi"]),
        MISSING_ID,
    ),
    "worker import: procedure external id": Case(
        ("api_client_bg", "staff_bg"),
        lambda client, ref, w: client.post(
            "/api/v1/workers/import/",
            {
                "procedure_external_id": ref,
                "file": SimpleUploadedFile("l.csv", b"x"),
                "dry_run": True,
            },
            format="multipart",
        ),
        lambda w: (w["proc_mi"].external_id, w["proc_mi"]),
        "NO-SUCH-PROCEDURE",
    ),
    # --- active policies
    "dote create: involvement id of another worker": Case(
        ("operator_user",),
        api_post(
            "/api/v1/doti/",
            lambda ref, w: {
                "involvement": ref,
                # The operator holds the fiscal code of its own worker, not of worker_mi.
                "fiscal_code": w["worker_bg"].fiscal_code,
                "measure": "dote-unica-lavoro",
                "value": "1000.00",
                "valid_from": "2025-05-01",
                "valid_until": "2026-04-30",
            },
        ),
        lambda w: (w["involvement_mi"].pk, w["involvement_mi"]),
        MISSING_ID,
    ),
    "dote create: involvement id with no fiscal code": Case(
        ("operator_user",),
        api_post(
            "/api/v1/doti/",
            lambda ref, w: {
                "involvement": ref,
                "fiscal_code": "",
                "measure": "dote-unica-lavoro",
                "value": "1000.00",
                "valid_from": "2025-05-01",
                "valid_until": "2026-04-30",
            },
        ),
        lambda w: (w["involvement_shared_mi"].pk, w["involvement_shared_mi"]),
        MISSING_ID,
    ),
    "pip create: dote id": Case(
        ("operator_user",),
        api_post("/api/v1/pips/", lambda ref, w: {"dote": ref, "objectives": "x"}),
        lambda w: (w["dote_other"].pk, w["dote_other"]),
        MISSING_ID,
    ),
    # --- a network's members (source 003): a Dote or a network outside the caller's networks
    "network share create: network id": Case(
        ("operator_user",),
        api_post(
            "/api/v1/network-shares/",
            lambda ref, w: {
                "network": ref,
                "operator": w["operator_op"].pk,
                "dote": w["dote_op"].pk,
                "amount": "10.00",
            },
        ),
        lambda w: (w["network_mi"].pk, w["network_mi"]),
        MISSING_ID,
    ),
    "network share create: dote id": Case(
        ("operator_user",),
        api_post(
            "/api/v1/network-shares/",
            lambda ref, w: {
                "network": w["network_bg"].pk,
                "operator": w["operator_op"].pk,
                "dote": ref,
                "amount": "10.00",
            },
        ),
        lambda w: (w["dote_other"].pk, w["dote_other"]),
        MISSING_ID,
    ),
    "network service create: dote ids": Case(
        ("operator_user",),
        api_post(
            "/api/v1/network-services/",
            lambda ref, w: {
                "network": w["network_bg"].pk,
                "kind": "orientamento",
                "delivery": "individuale",
                "delivered_on": "2026-01-10",
                "hours": "2.0",
                "cost": "10.00",
                "doti": [ref],
            },
        ),
        lambda w: (w["dote_other"].pk, w["dote_other"]),
        MISSING_ID,
    ),
    "network service create: network id": Case(
        ("operator_user",),
        api_post(
            "/api/v1/network-services/",
            lambda ref, w: {
                "network": ref,
                "kind": "orientamento",
                "delivery": "individuale",
                "delivered_on": "2026-01-10",
                "hours": "2.0",
                "cost": "10.00",
                "doti": [],
            },
        ),
        lambda w: (w["network_mi"].pk, w["network_mi"]),
        MISSING_ID,
    ),
    # --- HTML forms
    "HTML network service form: dote ids": Case(
        ("operator_user",),
        lambda client, ref, w: client.post(
            reverse("pal:network_service_report", args=[w["network_bg"].pk]),
            {
                "kind": "orientamento",
                "delivery": "individuale",
                "delivered_on": "2026-01-10",
                "hours": "2.0",
                "cost": "10.00",
                "doti": [ref],
            },
        ),
        lambda w: (w["dote_other"].pk, w["dote_other"]),
        MISSING_ID,
        api=False,
    ),
    # Mandatory communications (issue #16): a proposal of another province's worker.
    "communications queue: proposal ids": Case(
        ("staff_bg",),
        lambda client, ref, w: client.post(
            reverse("workers:communications_queue"), {"action": "confirm", "proposal": [ref]}
        ),
        lambda w: (proposal_of(w["involvement_mi"]).pk, w["involvement_mi"]),
        MISSING_ID,
        api=False,
    ),
    "HTML bulk move: involvement ids": Case(
        ("staff_bg",),
        lambda client, ref, w: client.post(
            reverse("workers:procedure_workers", args=[w["proc_bg"].pk]),
            {
                "bulk-involvements": [ref],
                "bulk-to": "STEP_2",
                "bulk-effective_date": "2025-06-01",
            },
        ),
        lambda w: (w["involvement_mi"].pk, w["involvement_mi"]),
        MISSING_ID,
        api=False,
    ),
    "HTML meeting form: procedure ids": Case(
        ("staff_bg",),
        lambda client, ref, w: client.post(
            reverse("cases:meeting_create"),
            {
                "kind": "tavolo_provinciale",
                "date": "2025-06-01",
                "province": "BG",
                "procedures": [ref],
            },
        ),
        lambda w: (w["proc_mi"].pk, w["proc_mi"]),
        MISSING_ID,
        api=False,
    ),
    # Certifications (issue #14 item 7): another operator's PIP (its worker) and a qualification
    # withdrawn from the catalogue answer like ones that do not exist. The worker is never
    # named by id: it is the PIP's.
    "certification create: PIP id of another operator's worker": Case(
        ("operator_user",),
        api_post(
            "/api/v1/certifications/",
            lambda ref, w: {
                "pip": ref,
                "qualification": w["qualification_q"].pk,
                "competences": "Saldatura",
                "certified_on": "2025-09-30",
            },
        ),
        lambda w: (w["pip_other"].pk, w["pip_other"].dote),
        MISSING_ID,
    ),
    "certification create: withdrawn qualification id": Case(
        ("operator_user",),
        api_post(
            "/api/v1/certifications/",
            lambda ref, w: {
                "pip": w["pip_op"].pk,
                "qualification": ref,
                "competences": "Saldatura",
                "certified_on": "2025-09-30",
            },
        ),
        lambda w: (withdrawn_qualification().pk, None),
        MISSING_ID,
    ),
    "HTML certification form: withdrawn qualification id": Case(
        ("operator_user",),
        lambda client, ref, w: client.post(
            reverse("pal:certification_create", args=[w["pip_op"].pk]),
            {"qualification": ref, "competences": "Saldatura", "certified_on": "2025-09-30"},
        ),
        lambda w: (withdrawn_qualification().pk, None),
        MISSING_ID,
        api=False,
    ),
    "HTML table decision: procedure id": Case(
        ("staff_bg",),
        lambda client, ref, w: client.post(
            reverse("cases:meeting_decisions", args=[w["meeting_bg"].pk]),
            {"procedure": ref, "kind": "altro", "text": "x"},
        ),
        lambda w: (w["proc_mi"].pk, w["proc_mi"]),
        MISSING_ID,
        api=False,
    ),
    "HTML table decision done: another meeting's decision id": Case(
        ("staff_bg",),
        lambda client, ref, w: client.post(
            reverse("cases:meeting_decisions", args=[w["meeting_bg"].pk]), {"done": ref}
        ),
        lambda w: (
            MeetingDecision.objects.create(
                meeting=w["meeting_mi"], procedure=w["proc_mi"], kind="altro"
            ).pk,
            w["proc_mi"],
        ),
        MISSING_ID,
        api=False,
    ),
    "HTML table participant removal: another meeting's participant id": Case(
        ("staff_bg",),
        lambda client, ref, w: client.post(
            reverse("cases:meeting_participants", args=[w["meeting_bg"].pk]), {"remove": ref}
        ),
        lambda w: (
            MeetingParticipant.objects.create(
                meeting=w["meeting_mi"], role="azienda", organisation=w["proc_mi"].company.name
            ).pk,
            w["proc_mi"],
        ),
        MISSING_ID,
        api=False,
    ),
    "HTML table agenda: procedure id": Case(
        ("staff_bg",),
        lambda client, ref, w: client.post(
            reverse("cases:meeting_agenda", args=[w["meeting_bg"].pk]),
            {f"topic-{ref}": "Esuberi", f"position-{ref}": "1"},
        ),
        lambda w: (w["proc_mi"].pk, w["proc_mi"]),
        MISSING_ID,
        api=False,
    ),
    "HTML operator lookup: fiscal code of a worker in no open procedure": Case(
        ("operator_user",),
        lambda client, ref, w: client.post(reverse("pal:worker_find"), {"fiscal_code": ref}),
        lambda w: (w["closed_worker"].fiscal_code, w["closed_worker"]),
        MISSING_FISCAL_CODE,
        api=False,
    ),
    "HTML worker search: another province's worker's fiscal code": Case(
        ("staff_bg",),
        lambda client, ref, w: client.post(reverse("workers:worker_search"), {"q": ref}),
        lambda w: (w["worker_mi"].fiscal_code, w["worker_mi"]),
        MISSING_FISCAL_CODE,
        api=False,
    ),
    "HTML worker search: another province's worker's name": Case(
        ("staff_bg",),
        lambda client, ref, w: client.post(reverse("workers:worker_search"), {"q": ref}),
        lambda w: (w["worker_mi"].last_name, w["worker_mi"]),
        "Nessunomaiqui",
        api=False,
    ),
    "HTML Dote form: involvement id of another worker": Case(
        ("operator_user",),
        lambda client, ref, w: client.post(
            reverse("pal:worker_find"),
            {
                "fiscal_code": w["worker_bg"].fiscal_code,
                "involvement": ref,
                "measure": w["measure_dul"].pk,
                "value": "1000.00",
                "valid_from": "2025-05-01",
                "valid_until": "2026-04-30",
            },
        ),
        lambda w: (w["involvement_mi"].pk, w["involvement_mi"]),
        MISSING_ID,
        api=False,
    ),
    # STEP 3 meetings (issue #14): the cohorts and the first meeting of a second one.
    "HTML STEP 3 form: cohort ids": Case(
        ("staff_bg",),
        lambda client, ref, w: client.post(
            reverse("pal:step3_create"),
            {
                "province": "BG",
                "cohorts": [ref],
                "date": "2025-06-01",
                "start_time": "10:00",
                "place": "Sala",
                "capacity": 10,
            },
        ),
        lambda w: (w["cohort_mi"].pk, w["cohort_mi"]),
        MISSING_ID,
        api=False,
    ),
    "HTML STEP 3 form: the meeting a second one follows": Case(
        ("staff_bg",),
        lambda client, ref, w: client.post(
            reverse("pal:step3_create"),
            {
                "follow_up_of": ref,
                "province": "BG",
                "cohorts": [w["cohort_bg"].pk],
                "date": "2025-06-01",
                "start_time": "10:00",
                "place": "Sala",
                "capacity": 10,
            },
        ),
        lambda w: (w["step3_mi"].pk, w["step3_mi"]),
        MISSING_ID,
        api=False,
    ),
    # Re-employment plans: an indicator names a target group, a formset row the part it
    # changes; those of another province's plan answer like ones that do not exist.
    "HTML plan form: target group id of another province's plan": Case(
        ("staff_bg",),
        lambda client, ref, w: client.post(
            reverse("monitoring:plan_update", args=[w["plan_bg"].pk]),
            plan_form_data(
                w["plan_bg"],
                indicators=[{"metric": "reemployed", "target": "5", "target_group": ref}],
            ),
        ),
        lambda w: (w["plan_mi"].target_groups.get().pk, w["plan_mi"]),
        MISSING_ID,
        api=False,
    ),
    "HTML plan form: partner row id of another province's plan": Case(
        ("staff_bg",),
        lambda client, ref, w: client.post(
            reverse("monitoring:plan_update", args=[w["plan_bg"].pk]),
            plan_form_data(
                w["plan_bg"], partners=[{"id": ref, "role": "cciaa", "name": "Cambiato"}]
            ),
        ),
        lambda w: (w["plan_mi"].partners.get().pk, w["plan_mi"]),
        MISSING_ID,
        api=False,
    ),
}


def withdrawn_qualification():
    from pal.models import Qualification

    return Qualification.objects.get_or_create(
        code="QRSP-RITIRATO",
        defaults={"title": "Profilo ritirato", "eqf_level": 3, "is_active": False},
    )[0]


def proposal_of(involvement):
    """A pending proposed outcome for ``involvement`` (from a stored communication)."""
    import datetime

    from workers.models import (
        CommunicationBatch,
        MandatoryCommunication,
        ProposedOutcome,
        UnilavCommunicationType,
    )

    batch = CommunicationBatch.objects.create(file_name="r.xml", digest="r" * 64, file_format="xml")
    communication = MandatoryCommunication.objects.create(
        code="1300025999999999",
        batch=batch,
        kind=UnilavCommunicationType.objects.get(pk="ASS"),
        worker_fiscal_code=involvement.worker.fiscal_code,
        employer_tax_code="02877740213",
        employer_name="Meccanica Orobica S.r.l.",
        event_date=datetime.date(2025, 6, 2),
        workplace_comune="A794",
    )
    return ProposedOutcome.objects.create(
        involvement=involvement,
        communication=communication,
        kind="ricollocato",
        date=datetime.date(2025, 6, 2),
        contract_kind="indeterminato",
    )


@pytest.fixture
def references_world(world):
    from cases.enums import Status

    closed = InvolvementFactory(
        unit__procedure__status=Status.CHIUSA, unit__procedure__lead="MI", unit__in_province="MI"
    )
    return {**world, "closed_worker": closed.worker}


def client_for(role: str, request, api: bool):
    user = request.getfixturevalue(role)
    if api:
        return request.getfixturevalue("api_client_for")(user)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("name", "role"), [(name, role) for name, case in CASES.items() for role in case.roles]
)
def test_a_reference_out_of_scope_answers_like_one_that_does_not_exist(
    name, role, request, references_world, english
):
    case = CASES[name]
    world = references_world
    reference, obj = case.out_of_scope(world)
    client = client_for(role, request, case.api)
    other_client = client_for(role, request, case.api)
    if case.prepare is not None:
        case.prepare(client, world)
        case.prepare(other_client, world)
    before = row_counts()

    out_of_scope = case.send(client, reference, world)
    after_out_of_scope = row_counts()
    missing = case.send(other_client, case.missing, world)

    assert out_of_scope.status_code < 500
    assert out_of_scope.status_code == missing.status_code, (
        out_of_scope.content,
        missing.content,
    )
    assert normalised(body_of(out_of_scope), reference) == normalised(
        body_of(missing), case.missing
    )
    assert after_out_of_scope == before, "a refused reference wrote something"
    answer = body_of(out_of_scope)
    for secret in secrets_of(obj):
        if secret != str(reference):  # the caller's own input may be shown back to them
            assert secret not in answer


def test_every_reference_case_is_refused_not_accepted(request, references_world, english):
    """The comparison above would pass if both answers were successes: they are refusals."""
    for name, case in CASES.items():
        reference, _obj = case.out_of_scope(references_world)
        client = client_for(case.roles[0], request, case.api)
        if case.prepare is not None:
            case.prepare(client, references_world)
        response = case.send(client, reference, references_world)
        if case.api:
            assert response.status_code in (400, 403, 404, 422), (name, response.status_code)
        else:
            # HTML forms answer with the form again (422) or a not-found result.
            assert response.status_code in (200, 404, 422), (name, response.status_code)


# --- Fiscal codes in a worker list (finding 2) ------------------------------------------------


def worker_list(*rows: tuple[str, str, str, str, str], unit: str) -> SimpleUploadedFile:
    header = "Codice Fiscale;Cognome;Nome;Data di nascita;Sesso;Unità produttiva\n"
    body = "".join(
        f"{cf};{last};{first};{born};{sex};{unit}\n" for cf, last, first, born, sex in rows
    )
    return SimpleUploadedFile("lista.csv", (header + body).encode())


@pytest.mark.parametrize("name", ["right", "wrong"])
def test_a_worker_list_is_no_oracle_on_other_provinces_people(
    name, staff_bg, api_client_for, world, english
):
    """A BG officer lists the fiscal code of a worker of MI with the right or a wrong name: the
    dry run answers exactly as it does once that worker is gone from the database."""
    stranger = WorkerFactory(email="stranger@example.org")
    involvement = InvolvementFactory(worker=stranger, unit=world["unit_mi"])
    born = stranger.birth_date.strftime("%d/%m/%Y")
    last = stranger.last_name if name == "right" else "Nessuno"
    row = (stranger.fiscal_code, last, "Tizia", born, stranger.sex)
    client = api_client_for(staff_bg)

    def dry_run():
        return client.post(
            "/api/v1/workers/import/",
            {
                "procedure": world["proc_bg"].pk,
                "file": worker_list(row, unit=world["unit_bg"].external_id),
                "dry_run": True,
            },
            format="multipart",
        )

    before = row_counts()
    with_stranger = dry_run()
    assert row_counts() == before
    answer = body_of(with_stranger)
    assert stranger.first_name not in answer
    assert stranger.birth_date.strftime("%d/%m/%Y") not in answer or born in row
    assert "email" not in answer.lower() or "stranger@example.org" not in answer
    Dote.objects.filter(involvement=involvement).delete()
    involvement.delete()
    stranger.delete()
    without_stranger = dry_run()
    assert with_stranger.status_code == without_stranger.status_code == 200
    assert with_stranger.json() == without_stranger.json()


def test_importing_another_provinces_worker_takes_them_in_charge_without_changing_them(
    staff_bg, api_client_for, world
):
    stranger = WorkerFactory()
    InvolvementFactory(worker=stranger, unit=world["unit_mi"])
    row = (
        stranger.fiscal_code,
        "Altrocognome",
        "Altronome",
        stranger.birth_date.strftime("%d/%m/%Y"),
        stranger.sex,
    )
    response = api_client_for(staff_bg).post(
        "/api/v1/workers/import/",
        {
            "procedure": world["proc_bg"].pk,
            "file": worker_list(row, unit=world["unit_bg"].external_id),
        },
        format="multipart",
    )
    assert response.status_code == 200, response.content
    stranger.refresh_from_db()
    assert (stranger.last_name, stranger.first_name) != ("Altrocognome", "Altronome")
    assert Involvement.objects.filter(worker=stranger, procedure=world["proc_bg"]).exists()


# --- Company tax codes (finding 3) ----------------------------------------------------------


def new_procedure_body(tax_code: str, name: str) -> dict:
    return {
        "company": {"name": name, "tax_code": tax_code},
        "family": "cigs_ministeriale",
        "opened_on": "2025-03-01",
        "start_date": "2025-03-01",
        "end_date": "2026-02-28",
        "lead_province": "BG",
        "units": [{"comune": "Dalmine", "province": "BG", "workers_involved": 10}],
    }


def test_a_province_cannot_rename_a_company_another_province_works_on(
    staff_bg, staff_mi, api_client_for, world
):
    company = world["company_mi"]
    old_name = company.name
    response = api_client_for(staff_bg).post(
        "/api/v1/procedures/",
        new_procedure_body(company.tax_code, "Nome Piantato =1+1"),
        format="json",
    )
    assert response.status_code == 201, response.content
    company.refresh_from_db()
    assert company.name == old_name
    # MI still reads the company under its name; the change waits for the Region.
    mi_view = api_client_for(staff_mi).get(f"/api/v1/companies/{company.pk}/").json()
    assert mi_view["name"] == old_name
    proposal = CompanyChangeProposal.objects.get(company=company)
    assert (proposal.name, proposal.proposed_by, proposal.decision) == (
        "Nome Piantato =1+1",
        staff_bg,
        CompanyChangeProposal.Decision.PENDING,
    )


def test_a_province_leading_every_procedure_renames_its_company(staff_bg, api_client_for, world):
    company = world["company_bg"]
    response = api_client_for(staff_bg).post(
        "/api/v1/procedures/", new_procedure_body(company.tax_code, "Nuovo Nome Srl"), format="json"
    )
    assert response.status_code == 201, response.content
    company.refresh_from_db()
    assert company.name == "Nuovo Nome Srl"
    assert not CompanyChangeProposal.objects.exists()


def test_the_company_api_refuses_a_rename_by_a_province_not_leading_all_procedures(
    staff_bg, api_client_for, world
):
    # BG sees the shared company (a BG unit) but MI leads its procedure.
    company = world["company_shared"]
    assert not Company.objects.editable_by(staff_bg).filter(pk=company.pk).exists()
    assert Company.objects.editable_by(staff_bg).filter(pk=world["company_bg"].pk).exists()


def test_an_admin_accepts_a_proposal(admin_user, staff_bg, api_client_for, world):
    from cases.services import company_proposal_decide

    company = world["company_mi"]
    api_client_for(staff_bg).post(
        "/api/v1/procedures/",
        new_procedure_body(company.tax_code, "Nome Corretto Spa"),
        format="json",
    )
    proposal = CompanyChangeProposal.objects.get()
    company_proposal_decide(user=admin_user, proposal=proposal, accept=True)
    company.refresh_from_db()
    proposal.refresh_from_db()
    assert company.name == "Nome Corretto Spa"
    assert proposal.decision == CompanyChangeProposal.Decision.ACCEPTED


def test_the_html_form_keeps_the_registered_name_and_says_so(staff_bg, world, english):
    company = world["company_mi"]
    client = Client()
    client.force_login(staff_bg)
    response = client.post(
        reverse("cases:procedure_create"),
        {
            "company_tax_code": company.tax_code,
            "company_name": "Rinominata",
            "family": "cigs_ministeriale",
            "opened_on": "2025-03-01",
            "start_date": "2025-03-01",
            "end_date": "2026-02-28",
            "lead_province": "BG",
            "status": "in_corso",
            "units-TOTAL_FORMS": "1",
            "units-INITIAL_FORMS": "0",
            "units-0-comune": "Dalmine",
            "units-0-province": "BG",
            "units-0-workers_involved": "5",
        },
        follow=True,
    )
    assert response.status_code == 200
    company.refresh_from_db()
    assert company.name != "Rinominata"
    assert "sent to the Region as a proposed change" in response.content.decode()


# --- External ids in a procedures file ------------------------------------------------------


def test_a_procedures_file_naming_another_provinces_procedure_reveals_nothing(
    staff_bg, api_client_for, world, english
):
    from cases.interchange import HEADER

    procedure = world["proc_mi"]
    row = {name: "" for name in HEADER}
    row.update(
        external_id=procedure.external_id,
        family="cigs_ministeriale",
        company_name="Qualsiasi",
        company_tax_code="01234560017"
        if procedure.company.tax_code != "01234560017"
        else "00743110157",
        opened_on="2025-03-01",
        start_date="2025-03-01",
        end_date="2026-02-28",
        unit_external_id="U-NEW",
        unit_comune="Dalmine",
        unit_province="BG",
        workers_involved="3",
    )
    content = ",".join(HEADER) + "\n" + ",".join(row[name] for name in HEADER) + "\n"
    client = api_client_for(staff_bg)
    before = row_counts()
    response = client.post(
        "/api/v1/procedures/import/",
        {"file": SimpleUploadedFile("p.csv", content.encode()), "dry_run": False},
        format="multipart",
    )
    assert response.status_code == 422, response.content
    assert row_counts() == before
    answer = body_of(response)
    for secret in secrets_of(procedure):
        assert secret not in answer
    assert "already in use" in answer


@pytest.mark.parametrize("url", ["/api/v1/procedures/upsert/", "/api/v1/procedures/bulk/"])
def test_upserting_another_provinces_external_id_reveals_and_changes_nothing(
    url, api_client_bg, api_client_for, world, english
):
    """An external id is unique, so another province's cannot be taken: the refusal says only
    that it is in use (what any clash says), nothing of that procedure, and writes nothing."""
    theirs = world["proc_mi"]
    item = {
        "external_id": theirs.external_id,
        "company": {"name": "Nuova S.r.l.", "tax_code": "01234560017"},
        "family": "cigs_ministeriale",
        "opened_on": "2025-05-02",
        "start_date": "2025-05-05",
        "lead_province": "BG",
        "notes": "Presa da BG",
    }
    client = api_client_for(api_client_bg)
    before = row_counts()
    body = item if url.endswith("upsert/") else {"items": [item]}
    response = client.post(url, body)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "external_id"
    assert "already in use" in error["message"]
    for secret in secrets_of(theirs):
        assert secret not in body_of(response)
    assert row_counts() == before
