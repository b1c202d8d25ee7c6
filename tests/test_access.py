"""§1, §6: every URL pattern and API route × every role answers as the table below says.

The walker enumerates the project's URLconf. A route without a row in ``EXPECTATIONS`` fails
("route X has no access expectation in tests/test_access.py"), and so does a row whose route
is gone. Scoping follows the NetBox habit (STYLE.md): an object outside the caller's scope
answers **404**, an object they see but may not change answers **403**, a role that may not use
a page at all answers 403 before any object is looked up.
"""

import csv
import datetime
import hashlib
import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished
from django.db import close_old_connections
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from django.views import static
from rest_framework.test import APIClient

from cases.models import (
    AgendaItem,
    Agreement,
    CalendarFeed,
    CrisisProcedure,
    Meeting,
    MeetingDecision,
    MeetingParticipant,
    ProductionUnit,
)
from cases.services import calendar_feed_issue
from crisi_portal import webhooks
from crisi_portal.models import ALL_SCOPES, READ_SCOPES, ApiToken, Notification
from crisi_portal.services import api_token_issue
from monitoring.models import ReportRun
from monitoring.services import open_data_publish
from pal.enums import PIPStatus
from pal.models import (
    PIP,
    CompetenceCertification,
    Dote,
    Fund,
    Measure,
    Network,
    NetworkMember,
    Operator,
    PIPService,
    PIPTransition,
    Qualification,
    Step3Invitation,
    Step3Meeting,
)
from tests.cases.factories import (
    CrisisProcedureFactory,
    MeetingFactory,
    OperatorFactory,
    ProductionUnitFactory,
)
from tests.factories import UserFactory
from tests.monitoring import plan_factories
from tests.monitoring.factories import ReportRunFactory
from tests.pal.factories import (
    DoteFactory,
    NetworkFactory,
    NetworkMemberFactory,
    PIPFactory,
    PIPServiceFactory,
    measure,
)
from tests.pal.step3_factories import step3_meeting
from tests.workers.factories import CohortFactory, InvolvementFactory, WorkerFactory
from workers.models import (
    Cohort,
    CommunicationBatch,
    Involvement,
    Outcome,
    PersonalDataAccess,
    StepTransition,
    Worker,
)

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "province_staff", "region_official", "operator", "api_client", "admin")
# The user each role is played by: BG staff and an api_client restricted to BG, so that MI
# data is out of their scope.
ROLE_FIXTURES = {
    "province_staff": "staff_bg",
    "region_official": "region",
    "operator": "operator_user",
    "api_client": "api_client_bg",
    "admin": "admin_user",
}
PROBLEM = "application/problem+json"


# --- The walker ---------------------------------------------------------------------------

# Django's admin has its own login and staff flag: TestAdmin covers it as a whole.
EXCLUDED_NAMESPACES = frozenset({"admin"})
# Django's i18n ``set_language``: stores a language choice, no data behind it, open to all.
EXCLUDED_NAMES = frozenset({"set_language"})
# ``django.conf.urls.static.static()`` patterns (DEBUG only) serve files, not data. Static
# assets go through WhiteNoise and minutes through a scoped view, so none should exist.
EXCLUDED_VIEWS = frozenset({static.serve})


def walk(patterns, namespace="", prefix="", kwargs=()):
    """Yield ``(name, kwarg names)`` for every URL pattern, recursing into includes."""
    for entry in patterns:
        names = kwargs + tuple(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            if entry.namespace in EXCLUDED_NAMESPACES:
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, inner, prefix + str(entry.pattern), names)
            continue
        if entry.callback in EXCLUDED_VIEWS:
            continue
        # DRF's format-suffix twins (``.json``, ``.api``) share name and view with the plain
        # route, which is the one checked here.
        if "format" in names:
            continue
        name = f"{namespace}{entry.name}" if entry.name else f"<unnamed {prefix}{entry.pattern}>"
        if name not in EXCLUDED_NAMES:
            yield name, names


ROUTES: dict[str, tuple[str, ...]] = dict(walk(get_resolver().url_patterns))


# --- The objects a route's kwargs point at --------------------------------------------------

# What each object is to the BG officer and the BG-restricted API client.
OBJECTS = {
    "proc_bg": "procedure led by BG with a BG unit: in scope, editable",
    "proc_mi": "procedure led by MI with only MI units: out of scope",
    "proc_shared": "procedure led by MI with a BG unit: visible, not editable",
    "unit_bg": "BG unit of the BG procedure: in scope, editable",
    "unit_mi": "MI unit of the MI-only procedure: out of scope",
    "unit_mi_of_bg": "MI unit of the BG-led procedure: visible (BG leads), not editable",
    "unit_bg_of_shared": "BG unit of the MI-led procedure: in scope, editable",
    "unit_mi_of_shared": "MI unit of the MI-led procedure BG sees: visible, not editable",
    "meeting_bg": "convened by BG on the BG procedure: in scope, editable",
    "meeting_mi": "convened by MI on the MI-only procedure: out of scope",
    "meeting_shared": "convened by MI on the shared procedure: visible, not editable",
    "meeting_regional": "convened by the Region on the BG procedure: visible, Region edits",
    "calendar_feed_bg": "BG staff's calendar subscription: its secret is the credential",
    "company_bg": "company of the BG procedure: in scope",
    "company_mi": "company of the MI-only procedure: out of scope",
    "company_shared": "company of the shared procedure: in scope",
    # Workers are personal data: they are scoped by the province of the UNIT they are involved
    # through, never by the procedure. BG sees proc_shared but not its MI unit's workers.
    "worker_bg": "involved through unit_bg (and unit_bg_of_shared): in scope, editable",
    "worker_mi": "involved only through unit_mi: out of scope",
    "worker_shared_mi": "involved only through unit_mi_of_shared: out of scope (404)",
    "cohort_bg": "cohort on unit_bg: in scope, editable",
    "cohort_mi": "cohort on unit_mi: out of scope",
    "involvement_bg": "worker_bg in proc_bg through unit_bg, in cohort_bg: in scope, editable",
    "involvement_bg_of_shared": "worker_bg in proc_shared through unit_bg_of_shared: in scope",
    "involvement_mi": "worker_mi in proc_mi through unit_mi, in cohort_mi: out of scope",
    "involvement_shared_mi": "worker_shared_mi through unit_mi_of_shared: out of scope (404)",
    # Active policies (pal). Doti and PIPs follow the worker's unit province for staff and the
    # Dote's operator for operators; reference data (operators, measures) is read by all and
    # managed by the Region; networks follow their territory (staff) or membership (operators).
    "operator_op": "operator_user's organisation: reference data, everyone reads, Region edits",
    "operator_other": "another accredited operator: reference data, everyone reads",
    "measure_dul": "Dote Unica Lavoro: reference data, everyone reads, Region edits",
    "fund_fse": "the FSE+ funding source (migrated): reference data, Region edits",
    "dote_op": "operator_user's Dote on involvement_bg: BG's, the operator's",
    "dote_other": "operator_other's Dote on involvement_mi: out of scope for BG and operator_user",
    "pip_op": "draft PIP on dote_op: BG reviews it, operator_user files it",
    "pip_other": "draft PIP on dote_other: out of scope for BG and operator_user",
    "service_op": "service of pip_op",
    "service_other": "service of pip_other",
    "network_bg": "network on territory BG, operator_user a member: BG's, the operator's",
    "network_mi": "network on territory MI led by operator_other: out of scope",
    # --- monitoring: report archive ---
    # Report runs follow their scope: a Nucleo reads its province's and the regional ones.
    "report_bg": "ready quarterly document of BG: in scope",
    "report_mi": "ready quarterly document of MI: out of scope",
    "report_regional": "ready annual table of the Region: everyone with a role reads it",
    # Open data (issue #16 item 4): public aggregates, every role and nobody read them.
    "open_data_release": "version 1 of the annual open dataset of 2025: public",
    # Notifications (issue #13) are their recipient's only (someone else's: 404).
    "notification_op": "a notification of operator_user",
    # Webhooks (issue #16) are their API client's only (another client's: 404).
    "webhook_bg": "api_bg's webhook endpoint, with one delivery",
    "webhook_other": "another API client's webhook endpoint: 404 to api_bg",
    # STEP 3 meetings (issue #14): by the provinces of their cohorts; operators see those
    # they present.
    "step3_bg": "STEP 3 meeting of cohort_bg convened by BG, operator_op presents: BG's",
    "step3_mi": "STEP 3 meeting of cohort_mi convened by MI, operator_other presents: out",
    # Agreements (issue #14 item 4) follow their procedure: seen with it, changed by its lead.
    "agreement_bg": "agreement on proc_bg, with a document: in scope, editable",
    "agreement_mi": "agreement on proc_mi, with a document: out of scope",
    "agreement_shared": "agreement on proc_shared, with a document: visible, not editable",
    # Certifications (issue #14 item 7): the catalogue is reference data; a certification is
    # seen by the worker's provinces and by the operator that issued it.
    "qualification_q": "a qualification of the catalogue: everyone reads, Region edits",
    "certification_op": "operator_op's certification of worker_bg on pip_op: BG's, the operator's",
    "certification_other": "operator_other's certification of worker_mi: out of scope",
    # Re-employment plans (issue #14) follow their province: the Nucleo writes, the Region reads.
    "plan_bg": "re-employment plan of BG: in scope, BG staff edit it",
    "plan_mi": "re-employment plan of MI: out of scope",
    # Mandatory communications (issue #16): a batch's summary is its uploader's (a Nucleo
    # officer sees their own), the Region's and the admins'.
    "batch_bg": "communications batch uploaded by staff_bg: theirs",
    "batch_region": "communications batch imported by the system: Region and admins",
}


def minutes() -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "verbale.pdf", b"%PDF-1.4\n% verbale del tavolo\n%%EOF\n", "application/pdf"
    )


@pytest.fixture
def world(db, operator_user, staff_bg) -> dict:
    proc_bg = CrisisProcedureFactory(external_id="BG-LED", lead="BG")
    proc_mi = CrisisProcedureFactory(external_id="MI-ONLY", lead="MI")
    proc_shared = CrisisProcedureFactory(external_id="MI-LED-BG-UNIT", lead="MI")
    objects = {
        "proc_bg": proc_bg,
        "proc_mi": proc_mi,
        "proc_shared": proc_shared,
        "unit_bg": ProductionUnitFactory(procedure=proc_bg, external_id="U-BG"),
        "unit_mi": ProductionUnitFactory(procedure=proc_mi, external_id="U-MI"),
        "unit_mi_of_bg": ProductionUnitFactory(
            procedure=proc_bg, external_id="U-MI-OF-BG", in_province="MI"
        ),
        "unit_bg_of_shared": ProductionUnitFactory(
            procedure=proc_shared, external_id="U-BG-OF-SHARED", in_province="BG"
        ),
        "unit_mi_of_shared": ProductionUnitFactory(
            procedure=proc_shared,
            external_id="U-MI-OF-SHARED",
            in_province="MI",
            comune="Sesto San Giovanni",
        ),
        "meeting_bg": MeetingFactory(convened_by="BG", procedures=[proc_bg], minutes=minutes()),
        "meeting_mi": MeetingFactory(convened_by="MI", procedures=[proc_mi], minutes=minutes()),
        "meeting_shared": MeetingFactory(
            convened_by="MI", procedures=[proc_shared], minutes=minutes()
        ),
        "meeting_regional": MeetingFactory(regional=True, procedures=[proc_bg], minutes=minutes()),
        "company_bg": proc_bg.company,
        "company_mi": proc_mi.company,
        "company_shared": proc_shared.company,
    }
    # Cohorts on existing units (no new unit: ProductionUnit.objects.count() stays 5).
    objects["cohort_bg"] = CohortFactory(procedure=proc_bg, unit=objects["unit_bg"])
    objects["cohort_mi"] = CohortFactory(procedure=proc_mi, unit=objects["unit_mi"])
    for name, worker, unit, cohort in (
        ("involvement_bg", "worker_bg", "unit_bg", "cohort_bg"),
        ("involvement_bg_of_shared", "worker_bg", "unit_bg_of_shared", None),
        ("involvement_mi", "worker_mi", "unit_mi", "cohort_mi"),
        ("involvement_shared_mi", "worker_shared_mi", "unit_mi_of_shared", None),
    ):
        if worker not in objects:
            objects[worker] = WorkerFactory()
        objects[name] = InvolvementFactory(
            worker=objects[worker],
            unit=objects[unit],
            cohort=objects[cohort] if cohort else None,
        )
    # Active policies: operator_user's organisation on the BG worker, another on the MI one.
    operator_op = operator_user.operator
    operator_other = OperatorFactory()
    objects["operator_op"] = operator_op
    objects["operator_other"] = operator_other
    objects["measure_dul"] = measure("dote-unica-lavoro")
    objects["fund_fse"] = Fund.objects.get(code="fse_plus_2021_27")
    objects["dote_op"] = DoteFactory(involvement=objects["involvement_bg"], operator=operator_op)
    objects["dote_other"] = DoteFactory(
        involvement=objects["involvement_mi"], operator=operator_other
    )
    objects["pip_op"] = PIPFactory(dote=objects["dote_op"])
    objects["pip_other"] = PIPFactory(dote=objects["dote_other"])
    objects["service_op"] = PIPServiceFactory(pip=objects["pip_op"])
    objects["service_other"] = PIPServiceFactory(pip=objects["pip_other"])
    objects["network_bg"] = NetworkFactory(territory="BG", complete=True)
    NetworkMemberFactory(
        network=objects["network_bg"], kind="operatore_lavoro", operator=operator_op
    )
    objects["network_mi"] = NetworkFactory(territory="MI", lead=operator_other, complete=True)
    # --- monitoring: report archive ---
    objects["report_bg"] = ReportRunFactory(in_province="BG", ready=True)
    objects["report_mi"] = ReportRunFactory(in_province="MI", ready=True)
    objects["report_regional"] = ReportRunFactory(regional=True, ready=True)
    objects["open_data_release"] = open_data_publish("annual-provinces", "2025")[0]
    objects["notification_op"] = Notification.objects.create(
        recipient=operator_user, kind="pip_approved", key="k", url="/", channel="in_app"
    )
    objects["step3_bg"] = step3_meeting(
        [objects["cohort_bg"]], province="BG", presenters=[operator_op]
    )
    objects["step3_mi"] = step3_meeting(
        [objects["cohort_mi"]], province="MI", presenters=[operator_other]
    )
    for name, procedure in (
        ("agreement_bg", proc_bg),
        ("agreement_mi", proc_mi),
        ("agreement_shared", proc_shared),
    ):
        objects[name] = Agreement.objects.create(
            procedure=procedure,
            kind="aziendale",
            signed_on=datetime.date(2025, 5, 1),
            goal_retrain=True,
            parties=[{"role": "union", "name": "FIM-CISL"}],
            workers_covered=1,
            document=minutes(),
        )
    objects["qualification_q"] = Qualification.objects.get(code="QRSP-PROV-01")
    for name, pip in (("certification_op", "pip_op"), ("certification_other", "pip_other")):
        objects[name] = CompetenceCertification.objects.create(
            worker=objects[pip].dote.involvement.worker,
            pip=objects[pip],
            operator=objects[pip].dote.operator,
            qualification=objects["qualification_q"],
            title="Operatore meccanico",
            competences="Lavorazioni al tornio",
            certified_on=datetime.date(2025, 7, 1),
        )
    objects["plan_bg"] = plan_factories.plan("BG")
    plan_factories.partner(objects["plan_bg"], "Camera di Commercio di Bergamo")
    objects["plan_mi"] = plan_factories.plan("MI")
    # Ids no form of the BG plan could echo by chance (tests/test_access_references.py).
    plan_factories.partner(objects["plan_mi"], "Camera di Commercio di Milano", pk=900001)
    plan_factories.group(objects["plan_mi"], "Lavoratrici di Milano", sex="F", pk=900002)
    # The subscription's secret is only in the URL; the row stores its hash.
    token = calendar_feed_issue(user=staff_bg)
    objects["calendar_feed_bg"] = CalendarFeed.objects.get(user=staff_bg)
    objects["calendar_feed_bg"].token = token
    for name, uploader in (("batch_bg", staff_bg), ("batch_region", None)):
        objects[name] = CommunicationBatch.objects.create(
            file_name=f"{name}.zip",
            digest=hashlib.sha256(name.encode()).hexdigest(),
            file_format="zip",
            uploaded_by=uploader,
        )
    # Webhook endpoints: api_bg's (the api_client role's user) and another client's; each
    # carries the id of one of its deliveries for the redeliver route.
    for name, owner in (
        ("webhook_bg", UserFactory(username="api_bg", api_client=True, provinces=["BG"])),
        ("webhook_other", UserFactory(username="api_other", api_client=True)),
    ):
        endpoint = webhooks.endpoint_create(
            owner=owner, url="https://hooks.example.org/crisi", events=["procedure.created"]
        )
        endpoint.delivery_id = webhooks.ping(endpoint).pk
        objects[name] = endpoint
    assert set(objects) == set(OBJECTS)
    return objects


@pytest.fixture
def api_client_bg(db):
    """Another regional system whose token is restricted to Bergamo (an ApiToken of this
    user, issued by ``api_client_for`` as ``issue_token`` issues it)."""
    return UserFactory(username="api_bg", api_client=True, provinces=["BG"])


# --- The table ------------------------------------------------------------------------------

# A GET by each role, in the order of ROLES:
#   anonymous, province_staff (BG), region_official, operator, api_client (BG), admin
# Routes without kwargs have one row (key None); routes with kwargs one row per object.
# HTML: 302 to the login page for anonymous; API: 401 for anonymous.
OPEN = (200, 200, 200, 200, 200, 200)
LOGGED_IN = (302, 200, 200, 200, 200, 200)
HTML_STAFF_REGION = (302, 200, 200, 403, 403, 200)
HTML_STAFF = (302, 200, 403, 403, 403, 200)
API_READERS = (401, 200, 200, 403, 200, 200)
# Out of scope for BG: 404 for the BG officer (and the BG api_client, where its role passes).
HTML_STAFF_REGION_OUT = (302, 404, 200, 403, 403, 200)
HTML_STAFF_OUT = (302, 404, 403, 403, 403, 200)
HTML_STAFF_READONLY = (302, 403, 403, 403, 403, 200)
API_READERS_OUT = (401, 404, 200, 403, 404, 200)
# POST/PUT-only API actions: a GET that passes authentication and the role check is 405
# (before any object is looked up, so in and out of scope alike).
API_NO_GET = (401, 405, 405, 403, 405, 405)
# Active policies. The operator's area: operators (and admins) only.
HTML_OPERATOR = (302, 403, 403, 200, 403, 200)
HTML_OPERATOR_OUT = (302, 403, 403, 404, 403, 200)
HTML_OPERATOR_NO_GET = (302, 403, 403, 405, 403, 405)
HTML_REGION = (302, 403, 200, 403, 403, 200)
HTML_STAFF_REDIRECT = (302, 302, 403, 403, 403, 302)
HTML_STAFF_REDIRECT_OUT = (302, 404, 403, 403, 403, 302)
# The pal API is read by every role, operators included.
API_EVERYONE = (401, 200, 200, 200, 200, 200)
API_EVERYONE_OUT = (401, 404, 200, 404, 404, 200)
API_EVERYONE_NO_GET = (401, 405, 405, 405, 405, 405)

# Webhooks (issue #16): API clients manage their own endpoints (admins read every one);
# other roles are refused by role (403), another client's endpoint is 404.
API_CLIENTS = (401, 403, 403, 403, 200, 200)
API_CLIENTS_OTHER = (401, 403, 403, 403, 404, 200)
API_CLIENTS_NO_GET = (401, 403, 403, 403, 405, 405)

EXPECTATIONS: dict[str, dict[str | None, tuple[int, ...]]] = {
    # --- portal
    "home": {None: LOGGED_IN},
    "glossary": {None: LOGGED_IN},
    "healthz": {None: OPEN},
    # Open data (issue #16 item 4): public, no login.
    "open_data:catalog": {None: OPEN},
    "open_data:catalog_rdf": {None: OPEN},
    **{
        f"open_data:{name}": {"open_data_release": OPEN}
        for name in (
            "dataset",
            "period",
            "release_csv",
            "release_json",
            "latest_csv",
            "latest_json",
        )
    },
    "readyz": {None: OPEN},
    # A logged-in user is sent on to the home page.
    "login": {None: (200, 302, 302, 302, 302, 302)},
    # Logging out is a POST (CSRF-protected); GET is refused for everyone.
    "logout": {None: (405, 405, 405, 405, 405, 405)},
    # Everyone signed in changes their own password (and only their own: no kwargs).
    "password_change": {None: LOGGED_IN},
    "password_change_done": {None: LOGGED_IN},
    # Notifications (issue #13): everyone signed in has their own; opening one (and marking
    # all read) is a POST, so a GET past the login is 405 before any lookup.
    "notification_list": {None: LOGGED_IN},
    "notification_preferences": {None: LOGGED_IN},
    "notification_read_all": {None: (302, 405, 405, 405, 405, 405)},
    "notification_open": {"notification_op": (302, 405, 405, 405, 405, 405)},
    # Single sign-on (OpenID Connect) is off unless OIDC_ENABLED: both ends answer 404.
    # tests/test_oidc.py drives them against a provider when it is on.
    "oidc_authentication_init": {None: (404, 404, 404, 404, 404, 404)},
    "oidc_authentication_callback": {None: (404, 404, 404, 404, 404, 404)},
    # --- procedures (HTML)
    "cases:procedure_list": {None: HTML_STAFF_REGION},
    "cases:procedure_create": {None: HTML_STAFF},
    "cases:procedure_import": {None: HTML_STAFF},
    "cases:procedure_export": {None: HTML_STAFF_REGION},
    "cases:procedure_detail": {
        "proc_bg": HTML_STAFF_REGION,
        "proc_mi": HTML_STAFF_REGION_OUT,
        "proc_shared": HTML_STAFF_REGION,
    },
    "cases:procedure_update": {
        "proc_bg": HTML_STAFF,
        "proc_mi": HTML_STAFF_OUT,
        "proc_shared": HTML_STAFF_READONLY,  # procedure-level fields belong to the lead (MI)
    },
    "cases:unit_create": {
        # Any province the procedure reaches may add its own units to it.
        "proc_bg": HTML_STAFF,
        "proc_mi": HTML_STAFF_OUT,
        "proc_shared": HTML_STAFF,
    },
    "cases:unit_update": {
        "unit_bg": HTML_STAFF,
        "unit_mi": HTML_STAFF_OUT,
        "unit_mi_of_bg": HTML_STAFF_READONLY,
        "unit_bg_of_shared": HTML_STAFF,
        "unit_mi_of_shared": HTML_STAFF_READONLY,
    },
    # Stable links for other systems: login only, no role gate, so a role that sees nothing
    # (operator) or a procedure out of scope gets 404; in scope redirects to the detail page.
    "cases:procedure_by_external_id": {
        "proc_bg": (302, 302, 302, 404, 302, 302),
        "proc_mi": (302, 404, 302, 404, 404, 302),
        "proc_shared": (302, 302, 302, 404, 302, 302),
    },
    # --- meetings (HTML)
    "cases:meeting_list": {None: HTML_STAFF_REGION},
    "cases:meeting_create": {None: HTML_STAFF_REGION},
    # The meeting form's procedure picker (htmx POST only): GET past the role gate is 405.
    "cases:meeting_procedure_picker": {None: (302, 405, 405, 403, 403, 405)},
    "cases:meeting_detail": {
        "meeting_bg": HTML_STAFF_REGION,
        "meeting_mi": HTML_STAFF_REGION_OUT,
        "meeting_shared": HTML_STAFF_REGION,
        "meeting_regional": HTML_STAFF_REGION,
    },
    "cases:meeting_update": {
        "meeting_bg": HTML_STAFF,
        "meeting_mi": HTML_STAFF_OUT,
        "meeting_shared": HTML_STAFF_READONLY,
        # Region officials keep the record of the tables the Region convenes.
        "meeting_regional": (302, 403, 200, 403, 403, 200),
    },
    "cases:meeting_minutes": {
        "meeting_bg": HTML_STAFF_REGION,
        "meeting_mi": HTML_STAFF_REGION_OUT,
        "meeting_shared": HTML_STAFF_REGION,
        "meeting_regional": HTML_STAFF_REGION,
    },
    # --- agreements (HTML): added and changed by the procedure's lead province
    "cases:agreement_create": {
        "proc_bg": HTML_STAFF,
        "proc_mi": HTML_STAFF_OUT,
        "proc_shared": HTML_STAFF_READONLY,
    },
    "cases:agreement_update": {
        "agreement_bg": HTML_STAFF,
        "agreement_mi": HTML_STAFF_OUT,
        "agreement_shared": HTML_STAFF_READONLY,
    },
    "cases:agreement_document": {
        "agreement_bg": HTML_STAFF_REGION,
        "agreement_mi": HTML_STAFF_REGION_OUT,
        "agreement_shared": HTML_STAFF_REGION,
    },
    # The tables' agenda, participants and decisions: POST only (GET past the role gate is
    # 405); the POSTs' scoping is in HTML_WRITES below.
    **{
        name: {
            meeting: (302, 405, 405, 403, 403, 405)
            for meeting in ("meeting_bg", "meeting_mi", "meeting_shared", "meeting_regional")
        }
        for name in (
            "cases:meeting_agenda",
            "cases:meeting_participants",
            "cases:meeting_decisions",
        )
    },
    # The calendar and its download: the meetings each user sees (tests/cases/test_tables.py).
    "cases:meeting_calendar": {None: HTML_STAFF_REGION},
    "cases:meeting_calendar_list": {None: HTML_STAFF_REGION},
    "cases:meeting_calendar_ics": {None: HTML_STAFF_REGION},
    "cases:calendar_feed": {None: HTML_STAFF_REGION},
    # The subscription feed has no session: the secret in the URL says whose meetings it lists
    # (BG staff's, whoever fetches it); a revoked or unknown secret answers 404.
    "cases:calendar_feed_ics": {"calendar_feed_bg": (200, 200, 200, 200, 200, 200)},
    # --- workers (HTML)
    # The procedure's workers: the page of any procedure BG sees (rows scoped by unit).
    "workers:procedure_workers": {
        "proc_bg": HTML_STAFF_REGION,
        "proc_mi": HTML_STAFF_REGION_OUT,
        "proc_shared": HTML_STAFF_REGION,
    },
    # Import and cohorts: any province with a unit in the procedure (rows/units are checked
    # against the user's provinces by the importer and the service).
    "workers:procedure_workers_export": {
        "proc_bg": HTML_STAFF_REGION,
        "proc_mi": HTML_STAFF_REGION_OUT,
        "proc_shared": HTML_STAFF_REGION,
    },
    "workers:worker_import": {
        "proc_bg": HTML_STAFF,
        "proc_mi": HTML_STAFF_OUT,
        "proc_shared": HTML_STAFF,
    },
    # An income-support list: the procedure is found by the company's tax code among those the
    # user sees (tests/workers/test_import_profiles.py); who may import worker lists may.
    "workers:income_support_import": {None: HTML_STAFF},
    "workers:cohort_create": {
        "proc_bg": HTML_STAFF,
        "proc_mi": HTML_STAFF_OUT,
        "proc_shared": HTML_STAFF,
    },
    # Find a worker (POST; GET is the empty form): results are scoped, see
    # tests/workers/test_worker_search.py and tests/test_access_references.py.
    "workers:worker_search": {None: HTML_STAFF_REGION},
    # Mandatory communications (issue #16): the Nucleo, the Region and admins read; the Nucleo
    # and admins import (Region officials change no outcome); no operator.
    "workers:communications_queue": {None: HTML_STAFF_REGION},
    "workers:communications_import": {None: HTML_STAFF},
    "workers:communications_batch": {
        "batch_bg": HTML_STAFF_REGION,
        "batch_region": HTML_STAFF_REGION_OUT,
    },
    # A group's page: of any cohort the user sees (its rows scoped by unit).
    "workers:cohort_detail": {
        "cohort_bg": HTML_STAFF_REGION,
        "cohort_mi": HTML_STAFF_REGION_OUT,
    },
    "workers:worker_detail": {
        "worker_bg": HTML_STAFF_REGION,
        "worker_mi": HTML_STAFF_REGION_OUT,
        "worker_shared_mi": HTML_STAFF_REGION_OUT,
    },
    # Personal details: the Nucleo of a province the worker is involved in, and admins.
    "workers:worker_personal": {
        "worker_bg": HTML_STAFF,
        "worker_mi": HTML_STAFF_OUT,
        "worker_shared_mi": HTML_STAFF_OUT,
    },
    "workers:involvement_move": {
        "involvement_bg": HTML_STAFF,
        "involvement_bg_of_shared": HTML_STAFF,
        "involvement_mi": HTML_STAFF_OUT,
        "involvement_shared_mi": HTML_STAFF_OUT,
    },
    # Province staff, and the operator of a Dote of the worker (operator_user has one on
    # involvement_bg only): the rest is out of the operator's scope.
    "workers:outcome_record": {
        "involvement_bg": (302, 200, 403, 200, 403, 200),
        "involvement_bg_of_shared": (302, 200, 403, 404, 403, 200),
        "involvement_mi": (302, 404, 403, 404, 403, 200),
        "involvement_shared_mi": (302, 404, 403, 404, 403, 200),
    },
    # --- active policies: the operator's area (HTML)
    "pal:operator_home": {None: HTML_OPERATOR},
    "pal:worker_find": {None: HTML_OPERATOR},
    "pal:dote_detail": {"dote_op": HTML_OPERATOR, "dote_other": HTML_OPERATOR_OUT},
    "pal:pip_create": {"dote_op": HTML_OPERATOR, "dote_other": HTML_OPERATOR_OUT},
    # htmx POST only: GET past the role gate is 405, before any lookup.
    "pal:pip_budget": {"dote_op": HTML_OPERATOR_NO_GET, "dote_other": HTML_OPERATOR_NO_GET},
    "pal:pip_detail": {"pip_op": HTML_OPERATOR, "pip_other": HTML_OPERATOR_OUT},
    "pal:pip_update": {"pip_op": HTML_OPERATOR, "pip_other": HTML_OPERATOR_OUT},
    "pal:pip_print": {"pip_op": HTML_OPERATOR, "pip_other": HTML_OPERATOR_OUT},
    "pal:certification_create": {"pip_op": HTML_OPERATOR, "pip_other": HTML_OPERATOR_OUT},
    # POST only (EXTRA_KWARGS gives the action).
    "pal:pip_action": {"pip_op": HTML_OPERATOR_NO_GET, "pip_other": HTML_OPERATOR_NO_GET},
    "pal:service_report": {"service_op": HTML_OPERATOR, "service_other": HTML_OPERATOR_OUT},
    # --- active policies: the province's review of PIPs (HTML)
    "pal:review_queue": {None: HTML_STAFF},
    "pal:review_pip": {"pip_op": HTML_STAFF, "pip_other": HTML_STAFF_OUT},
    # A GET on a decision redirects to the review page of a PIP in scope (404 outside).
    "pal:review_pip_approve": {"pip_op": HTML_STAFF_REDIRECT, "pip_other": HTML_STAFF_REDIRECT_OUT},
    "pal:review_pip_return": {"pip_op": HTML_STAFF_REDIRECT, "pip_other": HTML_STAFF_REDIRECT_OUT},
    # --- active policies: the Region's reference data and networks (HTML)
    "pal:measure_list": {None: HTML_STAFF_REGION},
    "pal:measure_create": {None: HTML_REGION},
    "pal:measure_update": {"measure_dul": HTML_REGION},
    # --- money (issue #15): the spending report is scoped by role (operators: their own);
    # a Dote's ledger reads like the Dote; the Region edits sources and shares, pays.
    "pal:spending": {None: (302, 200, 200, 200, 403, 200)},
    "pal:fund_list": {None: HTML_STAFF_REGION},
    "pal:fund_create": {None: HTML_REGION},
    "pal:fund_update": {"fund_fse": HTML_REGION},
    "pal:measure_funding": {"measure_dul": HTML_REGION},
    "pal:dote_ledger": {
        "dote_op": (302, 200, 200, 200, 403, 200),
        "dote_other": (302, 404, 200, 404, 403, 200),
    },
    # POST only: a GET redirects the Region to the ledger.
    "pal:payment_create": {
        "dote_op": (302, 403, 302, 403, 403, 302),
        "dote_other": (302, 403, 302, 403, 403, 302),
    },
    "pal:operator_list": {None: HTML_STAFF_REGION},
    "pal:operator_create": {None: HTML_REGION},
    "pal:operator_update": {"operator_op": HTML_REGION, "operator_other": HTML_REGION},
    "pal:network_list": {None: HTML_STAFF_REGION},
    "pal:network_create": {None: HTML_REGION},
    "pal:network_detail": {
        "network_bg": HTML_STAFF_REGION,
        "network_mi": HTML_STAFF_REGION_OUT,
    },
    "pal:network_update": {"network_bg": HTML_REGION, "network_mi": HTML_REGION},
    # --- STEP 3 meetings (issue #14): Nucleo staff convene, the Region reads, operators read
    # the meetings they present; the buttons are POST only (GET past the role gate: 405).
    "pal:step3_list": {None: (302, 200, 200, 200, 403, 200)},
    "pal:step3_create": {None: HTML_STAFF},
    "pal:step3_detail": {
        "step3_bg": (302, 200, 200, 200, 403, 200),
        "step3_mi": (302, 404, 200, 404, 403, 200),
    },
    "pal:step3_update": {"step3_bg": HTML_STAFF, "step3_mi": HTML_STAFF_OUT},
    "pal:step3_letters": {"step3_bg": HTML_STAFF, "step3_mi": HTML_STAFF_OUT},
    **{
        f"pal:step3_{action}": {
            "step3_bg": (302, 405, 403, 403, 403, 405),
            "step3_mi": (302, 405, 403, 403, 403, 405),
        }
        for action in ("invite", "attendance", "move")
    },
    # Services delivered by a network's members (source 003): the Nucleo of the territory, the
    # Region, and the network's lead and members (operator_user is a member of network_bg).
    "pal:network_services": {
        "network_bg": (302, 200, 200, 200, 403, 200),
        "network_mi": (302, 404, 200, 404, 403, 200),
    },
    # A member's report form: operators of the network (and admins).
    "pal:network_service_report": {"network_bg": HTML_OPERATOR, "network_mi": HTML_OPERATOR_OUT},
    # The lead's shares: operator_user is a member of network_bg, not its lead (403).
    "pal:network_share": {
        "network_bg": (302, 403, 403, 403, 403, 200),
        "network_mi": HTML_OPERATOR_OUT,
    },
    # --- API
    "api-root": {None: (401, 200, 200, 200, 200, 200)},
    # The schema and its docs describe the interface, not data: public.
    "api-schema": {None: OPEN},
    "api-docs": {None: OPEN},
    # The guide to the API (docs/api.md) and the service status (AgID ModI): public too.
    "api-guide": {None: OPEN},
    "api-status": {None: OPEN},
    "procedure-list": {None: API_READERS},
    "procedure-export-csv": {None: API_READERS},
    # POST only: a GET that passes authentication and the read-role check is 405.
    "procedure-import-csv": {None: (401, 405, 405, 403, 405, 405)},
    # Upserts by external id (issue #10): POST only, for the procedure writers.
    "procedure-upsert": {None: (401, 405, 405, 403, 405, 405)},
    # Changes feeds (issue #10): read like the lists, scoped row by row.
    "procedure-changes": {None: API_READERS},
    "unit-changes": {None: API_READERS},
    "meeting-changes": {None: API_READERS},
    "procedure-bulk": {None: (401, 405, 405, 403, 405, 405)},
    "unit-upsert": {None: (401, 405, 405, 403, 405, 405)},
    "unit-bulk": {None: (401, 405, 405, 403, 405, 405)},
    "worker-bulk": {None: (401, 405, 405, 403, 405, 405)},
    "procedure-detail": {
        "proc_bg": API_READERS,
        "proc_mi": API_READERS_OUT,
        "proc_shared": API_READERS,
    },
    "unit-list": {None: API_READERS},
    "unit-detail": {
        "unit_bg": API_READERS,
        "unit_mi": API_READERS_OUT,
        "unit_mi_of_bg": API_READERS,
        "unit_bg_of_shared": API_READERS,
        "unit_mi_of_shared": API_READERS,
    },
    "company-list": {None: API_READERS},
    "company-detail": {
        "company_bg": API_READERS,
        "company_mi": API_READERS_OUT,
        "company_shared": API_READERS,
    },
    "meeting-list": {None: API_READERS},
    "meeting-detail": {
        "meeting_bg": API_READERS,
        "meeting_mi": API_READERS_OUT,
        "meeting_shared": API_READERS,
        "meeting_regional": API_READERS,
    },
    "agreement-list": {None: API_READERS},
    "agreement-detail": {
        "agreement_bg": API_READERS,
        "agreement_mi": API_READERS_OUT,
        "agreement_shared": API_READERS,
    },
    "agreement-changes": {None: API_READERS},
    "worker-list": {None: API_READERS},
    "worker-detail": {
        "worker_bg": API_READERS,
        "worker_mi": API_READERS_OUT,
        "worker_shared_mi": API_READERS_OUT,
    },
    # Fiscal codes are searched with POST (never in a URL): see test_worker_search_is_scoped.
    "worker-search": {None: API_NO_GET},
    # POST /api/v1/workers/import/ (multipart).
    "worker-import-list": {None: API_NO_GET},
    "cohort-list": {None: API_READERS},
    "cohort-detail": {
        "cohort_bg": API_READERS,
        "cohort_mi": API_READERS_OUT,
    },
    "cohort-move": {"cohort_bg": API_NO_GET, "cohort_mi": API_NO_GET},
    "cohort-assign": {"cohort_bg": API_NO_GET, "cohort_mi": API_NO_GET},
    "involvement-list": {None: API_READERS},
    "involvement-detail": {
        "involvement_bg": API_READERS,
        "involvement_bg_of_shared": API_READERS,
        "involvement_mi": API_READERS_OUT,
        "involvement_shared_mi": API_READERS_OUT,
    },
    "involvement-move": {
        "involvement_bg": API_NO_GET,
        "involvement_mi": API_NO_GET,
        "involvement_shared_mi": API_NO_GET,
    },
    "involvement-transitions": {
        "involvement_bg": API_READERS,
        "involvement_bg_of_shared": API_READERS,
        "involvement_mi": API_READERS_OUT,
        "involvement_shared_mi": API_READERS_OUT,
    },
    "involvement-outcome": {
        "involvement_bg": API_NO_GET,
        "involvement_mi": API_NO_GET,
        "involvement_shared_mi": API_NO_GET,
    },
    # --- active policies (API): reference data, everyone reads
    "operator-list": {None: API_EVERYONE},
    "operator-detail": {"operator_op": API_EVERYONE, "operator_other": API_EVERYONE},
    "measure-list": {None: API_EVERYONE},
    "measure-detail": {"measure_dul": API_EVERYONE},
    # Doti and PIPs: staff and api_client by the worker's unit, operators by the Dote's operator.
    "dote-list": {None: API_EVERYONE},
    "dote-detail": {"dote_op": API_EVERYONE, "dote_other": API_EVERYONE_OUT},
    "pip-list": {None: API_EVERYONE},
    "pip-detail": {"pip_op": API_EVERYONE, "pip_other": API_EVERYONE_OUT},
    # Workflow actions are POST only: a GET is 405 for every role, in and out of scope.
    **{
        f"pip-{action}": {"pip_op": API_EVERYONE_NO_GET, "pip_other": API_EVERYONE_NO_GET}
        for action in ("submit", "approve", "return", "withdraw", "start", "conclude")
    },
    # The qualifications catalogue: reference data. Certifications: staff and api_client by
    # the worker's unit, operators their own.
    "qualification-list": {None: API_EVERYONE},
    "qualification-detail": {"qualification_q": API_EVERYONE},
    "fund-list": {None: API_EVERYONE},
    "fund-detail": {"fund_fse": API_EVERYONE},
    "certification-list": {None: API_EVERYONE},
    "certification-detail": {
        "certification_op": API_EVERYONE,
        "certification_other": API_EVERYONE_OUT,
    },
    # Networks: staff and api_client by territory, operators as lead or member.
    "network-list": {None: API_EVERYONE},
    "network-detail": {"network_bg": API_EVERYONE, "network_mi": API_EVERYONE_OUT},
    # Members' shares and reported services: rows scoped like the network (a member: its own).
    "network-share-list": {None: API_EVERYONE},
    "network-service-list": {None: API_EVERYONE},
    # --- monitoring: dashboard ---
    # Region officials and province staff (their own figures); the API also serves API clients.
    "monitoring:dashboard": {None: HTML_STAFF_REGION},
    # Without ?chart= there is no table to download: 404 once the role check passes
    # (tests/monitoring/test_dashboard.py downloads every chart by name).
    "monitoring:dashboard_csv": {None: (302, 404, 404, 403, 403, 404)},
    "dashboard-list": {None: API_READERS},
    # --- monitoring: cruscotto ---
    # Region officials (all provinces) and province staff (their own); the CSV is the same list.
    "monitoring:cruscotto": {None: HTML_STAFF_REGION},
    "monitoring:cruscotto_csv": {None: HTML_STAFF_REGION},
    # --- monitoring: operators' results ---
    # The Region every operator, province staff the Doti of their provinces' workers, an
    # operator its own organisation; API clients have no page.
    "monitoring:operator_results": {None: (302, 200, 200, 200, 403, 200)},
    "monitoring:operator_results_export": {None: (302, 200, 200, 200, 403, 200)},
    # The API: the same figures, also for API clients.
    "operator-results-list": {None: API_EVERYONE},
    # --- monitoring: report archive ---
    # Province staff and Region officials (HTML); the API also serves API clients. Runs out of
    # scope (MI for BG) are 404; the rerun is POST only (a GET past the role check is 405).
    "monitoring:report_list": {None: HTML_STAFF_REGION},
    **{
        f"monitoring:{name}": {
            "report_bg": HTML_STAFF_REGION,
            "report_mi": HTML_STAFF_REGION_OUT,
            "report_regional": HTML_STAFF_REGION,
        }
        for name in ("report_detail", "report_status", "report_download")
    },
    "monitoring:report_rerun": {
        obj: (302, 405, 405, 403, 403, 405) for obj in ("report_bg", "report_mi", "report_regional")
    },
    "report-list": {None: API_READERS},
    # --- webhooks (issue #16) ---
    "webhook-list": {None: API_CLIENTS},
    **{
        name: {"webhook_bg": API_CLIENTS, "webhook_other": API_CLIENTS_OTHER}
        for name in ("webhook-detail", "webhook-deliveries")
    },
    **{
        name: {"webhook_bg": API_CLIENTS_NO_GET, "webhook_other": API_CLIENTS_NO_GET}
        for name in ("webhook-redeliver", "webhook-ping", "webhook-rotate-secret")
    },
    # --- monitoring: re-employment plans ---
    # Province staff and Region officials read (HTML; the API also serves API clients); the
    # Nucleo of the plan's province writes; operators have no plans (the role check: 403).
    "monitoring:plan_list": {None: HTML_STAFF_REGION},
    "monitoring:plan_create": {None: HTML_STAFF},
    "monitoring:plan_detail": {"plan_bg": HTML_STAFF_REGION, "plan_mi": HTML_STAFF_REGION_OUT},
    "monitoring:plan_update": {"plan_bg": HTML_STAFF, "plan_mi": HTML_STAFF_OUT},
    "plan-list": {None: API_READERS},
    "plan-detail": {"plan_bg": API_READERS, "plan_mi": API_READERS_OUT},
    **{
        name: {
            "report_bg": API_READERS,
            "report_mi": API_READERS_OUT,
            "report_regional": API_READERS,
        }
        for name in ("report-detail", "report-download")
    },
}


def access_cases():
    """One case per (route, object, role); routes missing from the table still get a case."""
    for route in sorted(ROUTES.keys() | EXPECTATIONS.keys()):
        for obj in EXPECTATIONS.get(route, {None: None}):
            for role in ROLES:
                case_id = f"{route}-{obj}-{role}" if obj else f"{route}-{role}"
                yield pytest.param(route, obj, role, id=case_id)


# --- Clients --------------------------------------------------------------------------------


@pytest.fixture
def client_for(request, api_client_for):
    """``client_for(role, path)``: token for the api_client on the API, a session otherwise."""

    def make(role: str, path: str) -> Client:
        is_api = path.startswith("/api/")
        client = APIClient() if is_api else Client()
        if role == "anonymous":
            return client
        user = request.getfixturevalue(ROLE_FIXTURES[role])
        if role == "api_client" and is_api:
            return api_client_for(user)
        client.force_login(user)
        return client

    return make


# Route kwargs that are not an attribute of the object: ``pal:pip_action`` takes the action.
EXTRA_KWARGS = {"action": "submit"}


def url_for(route: str, obj: str | None, world: dict, **extra) -> str:
    values = {**EXTRA_KWARGS, **extra}
    kwargs = (
        {
            name: values[name] if name in values else getattr(world[obj], name)
            for name in ROUTES[route]
        }
        if obj
        else {}
    )
    return reverse(route, kwargs=kwargs)


def fetch(client: Client, method: str, path: str, data=None, **extra):
    response = (
        getattr(client, method)(path, data, **extra)
        if data is not None
        else (getattr(client, method)(path, **extra))
    )
    # File downloads stream from an open file: close it (ResourceWarning is an error here).
    # HttpResponse.close() also sends request_finished, whose close_old_connections would
    # close the test's own database connection (PostgreSQL): keep it out, as the test client
    # itself does while it handles a request.
    request_finished.disconnect(close_old_connections)
    try:
        if response.streaming:
            # A streamed body (the CSV exports) is produced while it is read: read it before
            # closing, and keep it readable from streaming_content for the assertions.
            body = b"".join(response.streaming_content)
            response.close()
            response.streaming_content = [body]
            return response
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    return response


# --- The walk × roles -----------------------------------------------------------------------


class TestRouteTable:
    @pytest.mark.parametrize("route", sorted(ROUTES))
    def test_every_route_has_an_access_expectation(self, route):
        assert route in EXPECTATIONS, (
            f"route {route} has no access expectation in tests/test_access.py"
        )

    @pytest.mark.parametrize("route", sorted(EXPECTATIONS))
    def test_every_expectation_names_a_live_route(self, route):
        assert route in ROUTES, (
            f"route {route} is in tests/test_access.py but no URL pattern has that name"
        )

    @pytest.mark.parametrize("route", sorted(EXPECTATIONS.keys() & ROUTES.keys()))
    def test_routes_with_kwargs_are_checked_per_object(self, route):
        rows = EXPECTATIONS[route]
        if ROUTES[route]:
            assert None not in rows and set(rows) <= set(OBJECTS), (
                f"route {route} takes {ROUTES[route]}: give one row per object in OBJECTS"
            )
        else:
            assert list(rows) == [None], f"route {route} takes no kwargs: one row, key None"
        for row in rows.values():
            assert len(row) == len(ROLES)

    def test_the_walker_finds_html_and_router_routes(self):
        # Guards the walker itself: includes, the app namespace and the DRF router's actions.
        assert {"cases:procedure_detail", "procedure-list", "procedure-detail"} <= ROUTES.keys()
        assert {"procedure-import-csv", "procedure-export-csv", "api-root"} <= ROUTES.keys()
        assert ROUTES["cases:procedure_by_external_id"] == ("external_id",)
        assert not any(name.startswith("admin:") for name in ROUTES)


@pytest.mark.parametrize(("route", "obj", "role"), list(access_cases()))
def test_get_answers_as_the_table_says(route, obj, role, world, client_for):
    assert route in EXPECTATIONS, f"route {route} has no access expectation in tests/test_access.py"
    assert route in ROUTES, f"route {route} is in tests/test_access.py but no longer exists"
    expected = EXPECTATIONS[route][obj][ROLES.index(role)]
    path = url_for(route, obj, world)

    response = fetch(client_for(role, path), "get", path)

    assert response.status_code == expected, (
        f"GET {path} as {role}: {response.status_code}, expected {expected}"
    )
    if role == "anonymous" and expected == 302:
        assert response["Location"].startswith(resolve_url("login") + "?next=")
    if path.startswith("/api/") and expected in (401, 403, 404):
        assert response["Content-Type"].startswith(PROBLEM)


# --- API tokens: the api_client role's, and dead ones -----------------------------------------

API_ROUTE_CASES = [
    pytest.param(route, obj, id=f"{route}-{obj}" if obj else route)
    for route in sorted(EXPECTATIONS.keys() & ROUTES.keys())
    for obj in EXPECTATIONS[route]
    # A GET by anonymous on an API route answers 401 (or 200 for the public schema and docs).
    # The guide (an HTML page) and /status (ModI: no credentials, so a probe works while the
    # token store is down) read no token at all; test_api_status.py covers /status.
    if EXPECTATIONS[route][obj][0] == 401 or route in ("api-schema", "api-docs")
]


def dead_token_client(user, state: str) -> APIClient:
    token, key = api_token_issue(
        user=user,
        name="matrix",
        expires_at=timezone.now() + datetime.timedelta(days=1),
        scopes=ALL_SCOPES,
    )
    now = timezone.now()
    if state == "expired":
        ApiToken.objects.filter(pk=token.pk).update(
            created_at=now - datetime.timedelta(days=2), expires_at=now
        )
    else:
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=now)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_the_api_client_role_uses_a_real_token(world, client_for, api_client_bg):
    path = reverse("procedure-list")
    client = client_for("api_client", path)
    assert client._credentials["HTTP_AUTHORIZATION"].startswith("Token ")
    assert fetch(client, "get", path).status_code == 200
    token = ApiToken.objects.get(user=api_client_bg)
    assert token.last_used_at is not None
    # Scoped: the token acts with its user's provinces (BG), never more.
    assert fetch(client, "get", url_for("procedure-detail", "proc_mi", world)).status_code == 404


@pytest.mark.parametrize("state", ["expired", "revoked"])
@pytest.mark.parametrize(("route", "obj"), API_ROUTE_CASES)
def test_a_dead_token_is_refused_like_no_credentials(route, obj, state, world, api_client_bg):
    path = url_for(route, obj, world)
    anonymous = fetch(APIClient(), "get", path)

    response = fetch(dead_token_client(api_client_bg, state), "get", path)

    # 401 everywhere: a dead key is never taken for a live one, nor for no key at all on the
    # public schema and docs.
    assert response.status_code == 401, f"GET {path} with an {state} token: {response.status_code}"
    assert response["Content-Type"].startswith(PROBLEM)
    assert response["WWW-Authenticate"] == 'Token realm="api"'
    if anonymous.status_code == 401:
        assert response["WWW-Authenticate"] == anonymous["WWW-Authenticate"]
        assert response.json()["status"] == anonymous.json()["status"]


@pytest.mark.parametrize("state", ["expired", "revoked"])
def test_a_dead_token_writes_nothing(state, world, api_client_bg):
    before = CrisisProcedure.objects.count()
    client = dead_token_client(api_client_bg, state)
    response = fetch(client, "post", reverse("procedure-list"), {"external_id": "NEW"})
    assert response.status_code == 401
    assert CrisisProcedure.objects.count() == before


def test_the_external_id_link_redirects_to_the_detail_page(world, staff_bg):
    client = Client()
    client.force_login(staff_bg)
    path = reverse("cases:procedure_by_external_id", args=["BG-LED"])
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == world["proc_bg"].get_absolute_url()


# --- Writes by the BG officer and the BG api_client -----------------------------------------

# A step move every fixture involvement (at STEP_1 since 2025-04-02) could make.
MOVE = {"to": "STEP_2", "effective_date": "2025-05-02"}

# A payload, or a function of the world for payloads that name other objects.
WRITE_PAYLOADS = {
    "procedure-detail": {"notes": "Aggiornamento dal test di accesso."},
    "unit-detail": {"workers_involved": 41},
    "meeting-detail": {"participants": "Nucleo Crisi, RSU"},
    "agreement-detail": {"notes": "Verbale di accordo aggiornato."},
    "involvement-detail": {"hours_reduction_pct": 50},
    "involvement-move": {**MOVE, "expected_from": "STEP_1"},
    "involvement-outcome": {
        "kind": "ricollocato",
        "date": "2025-09-01",
        "contract_kind": "indeterminato",
        "source": "operatore",
        "employer": "Altra",
    },
    "cohort-move": MOVE,
    # BG may not pull a worker it cannot see (MI unit of the shared procedure) into a cohort.
    "cohort-assign": lambda world: {"involvements": [world["involvement_shared_mi"].pk]},
}

API_WRITES = [
    # (method, route, object, expected)
    ("patch", "procedure-detail", "proc_bg", 200),
    ("patch", "procedure-detail", "proc_mi", 404),
    ("patch", "procedure-detail", "proc_shared", 403),
    ("patch", "unit-detail", "unit_bg", 200),
    ("patch", "unit-detail", "unit_mi", 404),
    ("patch", "unit-detail", "unit_mi_of_bg", 403),
    ("patch", "unit-detail", "unit_bg_of_shared", 200),
    ("patch", "unit-detail", "unit_mi_of_shared", 403),
    ("delete", "unit-detail", "unit_mi", 404),
    ("delete", "unit-detail", "unit_mi_of_shared", 403),
    ("delete", "unit-detail", "unit_mi_of_bg", 403),
    ("patch", "meeting-detail", "meeting_bg", 200),
    ("patch", "meeting-detail", "meeting_mi", 404),
    ("patch", "meeting-detail", "meeting_shared", 403),
    ("patch", "meeting-detail", "meeting_regional", 403),
    ("delete", "meeting-detail", "meeting_mi", 404),
    ("delete", "meeting-detail", "meeting_shared", 403),
    ("delete", "meeting-detail", "meeting_regional", 403),
    ("patch", "agreement-detail", "agreement_bg", 200),
    ("patch", "agreement-detail", "agreement_mi", 404),
    ("patch", "agreement-detail", "agreement_shared", 403),
    ("delete", "agreement-detail", "agreement_mi", 404),
    ("delete", "agreement-detail", "agreement_shared", 403),
    ("patch", "involvement-detail", "involvement_bg", 200),
    ("patch", "involvement-detail", "involvement_mi", 404),
    ("patch", "involvement-detail", "involvement_shared_mi", 404),
    ("post", "involvement-move", "involvement_bg", 201),
    ("post", "involvement-move", "involvement_mi", 404),
    ("post", "involvement-move", "involvement_shared_mi", 404),
    ("put", "involvement-outcome", "involvement_bg", 201),
    ("put", "involvement-outcome", "involvement_mi", 404),
    ("put", "involvement-outcome", "involvement_shared_mi", 404),
    ("post", "cohort-move", "cohort_bg", 200),
    ("post", "cohort-move", "cohort_mi", 404),
    ("post", "cohort-assign", "cohort_mi", 404),
    ("post", "cohort-assign", "cohort_bg", 422),  # the MI worker is unknown to BG
]


def payload_for(payloads: dict, route: str, world: dict) -> dict:
    payload = payloads.get(route, {})
    return payload(world) if callable(payload) else payload


def snapshot(obj) -> dict | None:
    """The row as stored, or None once deleted."""
    row = type(obj)._default_manager.filter(pk=obj.pk).values().first()
    if row is not None:
        row.pop("updated_at", None)
    return row


def tables_state() -> tuple:
    return (
        list(AgendaItem.objects.order_by("pk").values_list("pk", "position", "topic")),
        MeetingParticipant.objects.count(),
        MeetingDecision.objects.count(),
    )


def workers_state() -> tuple:
    """Everything a refused workers write could have changed."""
    return (
        list(Involvement.objects.order_by("pk").values_list("pk", "current_step", "cohort_id")),
        list(
            Involvement.objects.order_by("pk").values_list("pk", "unit_id", "hours_reduction_pct")
        ),
        StepTransition.objects.count(),
        Outcome.objects.count(),
        Cohort.objects.count(),
        Worker.objects.count(),
    )


@pytest.mark.parametrize("role", ["province_staff", "api_client"])
@pytest.mark.parametrize(
    ("method", "route", "obj", "expected"),
    [pytest.param(*write, id="-".join(map(str, write))) for write in API_WRITES],
)
def test_api_writes_answer_404_out_of_scope_and_403_when_not_editable(
    method, route, obj, expected, role, world, client_for
):
    path = url_for(route, obj, world)
    before = snapshot(world[obj])
    before_workers = workers_state()
    client = client_for(role, path)
    # Workers' data needs If-Match (crisi_portal.concurrency): the ETag of a read, if any.
    detail = re.match(r"^/api/v1/[a-z-]+/[0-9]+/", path).group(0)
    etag = fetch(client, "get", detail).get("ETag", '"none"')

    response = fetch(
        client, method, path, payload_for(WRITE_PAYLOADS, route, world), HTTP_IF_MATCH=etag
    )

    assert response.status_code == expected, (
        f"{method.upper()} {path} as {role}: {response.status_code} {response.content!r}"
    )
    if expected >= 400:
        assert response["Content-Type"].startswith(PROBLEM)
        assert snapshot(world[obj]) == before, "a refused write changed the row"
        assert workers_state() == before_workers, "a refused write changed workers data"
    else:
        # A cohort move changes its involvements, not the cohort row.
        assert (snapshot(world[obj]), workers_state()) != (before, before_workers)


# --- A read-only scoped client (issue #10): reads as the api_client column, writes nothing ----


@pytest.fixture
def read_only_client_bg(api_client_bg, api_client_for) -> APIClient:
    """The BG api_client with a token that may read every resource family and change none."""
    return api_client_for(api_client_bg, scopes=READ_SCOPES, name="read-only")


@pytest.mark.parametrize(("route", "obj"), API_ROUTE_CASES)
def test_a_read_only_client_reads_as_the_table_says(route, obj, world, read_only_client_bg):
    expected = EXPECTATIONS[route][obj][ROLES.index("api_client")]
    path = url_for(route, obj, world)

    response = fetch(read_only_client_bg, "get", path)

    assert response.status_code == expected, (
        f"GET {path} read-only: {response.status_code}, expected {expected}"
    )


@pytest.mark.parametrize(
    ("method", "route", "obj", "expected"),
    [pytest.param(*write, id="-".join(map(str, write))) for write in API_WRITES],
)
def test_a_read_only_client_is_refused_every_write(
    method, route, obj, expected, world, read_only_client_bg
):
    path = url_for(route, obj, world)
    before = snapshot(world[obj])
    before_workers = workers_state()

    response = fetch(read_only_client_bg, method, path, payload_for(WRITE_PAYLOADS, route, world))

    # 403 before any object is looked up: in scope or not, existing or not, alike.
    assert response.status_code == 403, f"{method.upper()} {path}: {response.status_code}"
    assert response["Content-Type"].startswith(PROBLEM)
    assert snapshot(world[obj]) == before
    assert workers_state() == before_workers


@pytest.mark.parametrize("role", ["province_staff", "api_client"])
@pytest.mark.parametrize("obj", ["proc_bg", "proc_mi", "proc_shared"])
def test_procedures_cannot_be_deleted_through_the_api(obj, role, world, client_for):
    path = url_for("procedure-detail", obj, world)
    response = fetch(client_for(role, path), "delete", path)
    assert response.status_code == 405
    assert CrisisProcedure.objects.filter(pk=world[obj].pk).exists()


@pytest.mark.parametrize("role", ["province_staff", "api_client"])
def test_companies_are_read_only_through_the_api(role, world, client_for):
    path = url_for("company-detail", "company_bg", world)
    response = fetch(client_for(role, path), "patch", path, {"name": "Altro nome S.p.A."})
    assert response.status_code == 405


HTML_WRITES = [
    ("cases:procedure_update", "proc_mi", 404),
    ("cases:procedure_update", "proc_shared", 403),
    ("cases:unit_create", "proc_mi", 404),
    ("cases:unit_update", "unit_mi", 404),
    ("cases:unit_update", "unit_mi_of_bg", 403),
    ("cases:unit_update", "unit_mi_of_shared", 403),
    ("cases:meeting_update", "meeting_mi", 404),
    ("cases:meeting_update", "meeting_shared", 403),
    ("cases:meeting_update", "meeting_regional", 403),
    ("cases:agreement_create", "proc_mi", 404),
    ("cases:agreement_create", "proc_shared", 403),
    ("cases:agreement_update", "agreement_mi", 404),
    ("cases:agreement_update", "agreement_shared", 403),
    ("cases:meeting_agenda", "meeting_mi", 404),
    ("cases:meeting_agenda", "meeting_shared", 403),
    ("cases:meeting_agenda", "meeting_regional", 403),
    ("cases:meeting_participants", "meeting_mi", 404),
    ("cases:meeting_participants", "meeting_shared", 403),
    ("cases:meeting_participants", "meeting_regional", 403),
    ("cases:meeting_decisions", "meeting_mi", 404),
    ("cases:meeting_decisions", "meeting_shared", 403),
    ("cases:meeting_decisions", "meeting_regional", 403),
    ("workers:involvement_move", "involvement_mi", 404),
    ("workers:involvement_move", "involvement_shared_mi", 404),
    ("workers:outcome_record", "involvement_mi", 404),
    ("workers:outcome_record", "involvement_shared_mi", 404),
    ("workers:procedure_workers", "proc_mi", 404),
    # The bulk form only offers what BG sees: the MI worker of the shared procedure is an
    # invalid choice, nobody moves.
    ("workers:procedure_workers", "proc_shared", 422),
    ("workers:cohort_create", "proc_mi", 404),
    ("workers:worker_import", "proc_mi", 404),
    ("workers:worker_personal", "worker_mi", 404),
    ("workers:worker_personal", "worker_shared_mi", 404),
]

HTML_WRITE_PAYLOADS = {
    "cases:meeting_agenda": lambda world: {f"topic-{world['proc_bg'].pk}": "Esuberi"},
    "cases:meeting_participants": {"role": "sindacati", "organisation": "FIOM-CGIL"},
    "cases:meeting_decisions": lambda world: {
        "procedure": world["proc_bg"].pk,
        "kind": "altro",
        "text": "Aggiornamento",
    },
    "workers:involvement_move": {**MOVE, "expected_from": "STEP_1"},
    "workers:outcome_record": {
        "kind": "ricollocato",
        "date": "2025-09-01",
        "contract_kind": "indeterminato",
        "source": "operatore",
    },
    "workers:procedure_workers": lambda world: {
        **{f"bulk-{key}": value for key, value in MOVE.items()},
        "bulk-involvements": [
            world["involvement_mi"].pk,
            world["involvement_shared_mi"].pk,
        ],
    },
    "workers:cohort_create": lambda world: {
        "name": "Gruppo fuori ambito",
        "unit": world["unit_mi"].pk,
    },
    "workers:worker_personal": {"citizenship": "rumena", "phone": "+39 02 123456"},
}


@pytest.mark.parametrize(
    ("route", "obj", "expected"),
    [pytest.param(*write, id="-".join(map(str, write))) for write in HTML_WRITES],
)
def test_html_posts_answer_404_out_of_scope_and_403_when_not_editable(
    route, obj, expected, world, staff_bg
):
    client = Client()
    client.force_login(staff_bg)
    before = snapshot(world[obj])
    before_workers = workers_state()
    before_tables = tables_state()

    response = fetch(
        client, "post", url_for(route, obj, world), payload_for(HTML_WRITE_PAYLOADS, route, world)
    )

    assert response.status_code == expected
    assert snapshot(world[obj]) == before
    assert ProductionUnit.objects.count() == 5  # no unit added to the out-of-scope procedure
    # No step moved, no transition, cohort or outcome recorded.
    assert workers_state() == before_workers
    # No agenda topic, participant or decision recorded on the table.
    assert tables_state() == before_tables


# --- Active policies: writes by each role --------------------------------------------------


def pal_state() -> tuple:
    """Everything a refused active-policy write could have changed."""
    return (
        list(
            PIP.objects.order_by("pk").values_list(
                "pk", "dote_id", "status", "objectives", "return_note", "decided_by_id"
            )
        ),
        list(
            PIPService.objects.order_by("pk").values_list(
                "pk", "pip_id", "hours", "cost", "delivered_hours", "delivered_cost"
            )
        ),
        PIPTransition.objects.count(),
        list(Dote.objects.order_by("pk").values_list("pk", "operator_id", "status", "value")),
        list(Network.objects.order_by("pk").values_list("pk", "name", "lead_id", "province_id")),
        list(NetworkMember.objects.order_by("pk").values_list("pk", "network_id", "operator_id")),
        list(Step3Meeting.objects.order_by("pk").values_list("pk", "date", "capacity")),
        list(
            Step3Invitation.objects.order_by("pk").values_list(
                "pk", "involvement_id", "sent_at", "attendance"
            )
        ),
        list(Measure.objects.order_by("pk").values_list("pk", "name", "is_active")),
        list(Operator.objects.order_by("pk").values_list("pk", "name")),
        CompetenceCertification.objects.count(),
    )


def network_payload(world: dict) -> dict:
    return {
        "name": "Rete non autorizzata",
        "lead": world["operator_op"].pk,
        "province": "BG",
        "measure": "azioni-di-rete",
        "valid_from": "2025-01-01",
        "members": [
            {"kind": "operatore_lavoro", "name": "Capofila", "operator": world["operator_op"].pk}
        ],
    }


PAL_WRITE_PAYLOADS = {
    "pip-detail": {"objectives": "Obiettivi riscritti dal test di accesso."},
    "pip-approve": {"activate_step_4": False},
    "pip-return": {"note": "Manca il calendario del tirocinio."},
    "pip-withdraw": {"note": "Ritirato dal test di accesso."},
    "pip-list": lambda world: {
        "dote": world["dote_other"].pk,
        "objectives": "PIP sulla Dote di un altro ente.",
        "services": [
            {
                "kind": "orientamento",
                "hours": "10",
                "cost": "500.00",
                "delivery": "individuale",
                "planned_start": "2025-06-01",
                "planned_end": "2025-07-31",
            }
        ],
    },
    "network-list": network_payload,
    "network-detail": {"name": "Rete rinominata"},
    "measure-detail": {"name": "Misura rinominata"},
    "operator-detail": {"name": "Ente rinominato"},
}

PAL_API_WRITES = [
    # (role, method, route, object, expected)
    # operator_user on another operator's PIP: out of its scope.
    ("operator", "post", "pip-submit", "pip_other", 404),
    ("operator", "post", "pip-withdraw", "pip_other", 404),
    ("operator", "patch", "pip-detail", "pip_other", 404),
    ("operator", "post", "pip-list", None, 422),  # dote_other: not a Dote it sees
    # Its own draft: the operator files and submits it.
    ("operator", "patch", "pip-detail", "pip_op", 200),
    ("operator", "post", "pip-submit", "pip_op", 200),
    # Only province staff review, and only PIPs of their province's workers.
    ("operator", "post", "pip-approve", "pip_op", 403),
    ("region_official", "post", "pip-approve", "pip_op", 403),
    ("api_client", "post", "pip-approve", "pip_op", 403),
    ("province_staff", "post", "pip-approve", "pip_other", 404),
    ("province_staff", "post", "pip-return", "pip_other", 404),
    # Staff see the BG worker's PIP but do not write it.
    ("province_staff", "patch", "pip-detail", "pip_op", 403),
    ("province_staff", "post", "pip-submit", "pip_op", 403),
    ("province_staff", "post", "pip-withdraw", "pip_op", 403),
    # Networks and reference data are the Region's.
    ("operator", "post", "network-list", None, 403),
    ("operator", "patch", "network-detail", "network_bg", 403),
    ("province_staff", "post", "network-list", None, 403),
    ("province_staff", "patch", "network-detail", "network_bg", 403),
    ("api_client", "patch", "network-detail", "network_bg", 403),
    ("operator", "patch", "measure-detail", "measure_dul", 403),
    ("province_staff", "patch", "measure-detail", "measure_dul", 403),
    ("operator", "patch", "operator-detail", "operator_op", 403),
]


@pytest.mark.parametrize(
    ("role", "method", "route", "obj", "expected"),
    [pytest.param(*write, id="-".join(map(str, write))) for write in PAL_API_WRITES],
)
def test_pal_api_writes_answer_404_out_of_scope_and_403_when_not_allowed(
    role, method, route, obj, expected, world, client_for
):
    path = url_for(route, obj, world)
    before = snapshot(world[obj]) if obj else None
    before_pal, before_workers = pal_state(), workers_state()

    response = fetch(
        client_for(role, path), method, path, payload_for(PAL_WRITE_PAYLOADS, route, world)
    )

    assert response.status_code == expected, (
        f"{method.upper()} {path} as {role}: {response.status_code} {response.content!r}"
    )
    if expected >= 400:
        assert response["Content-Type"].startswith(PROBLEM)
        if obj:
            assert snapshot(world[obj]) == before, "a refused write changed the row"
        assert pal_state() == before_pal, "a refused write changed active-policy data"
        assert workers_state() == before_workers, "a refused write changed workers data"
    else:
        assert pal_state() != before_pal


PAL_HTML_WRITE_PAYLOADS = {
    "pal:pip_action": {"note": "Ritirato dal test di accesso."},
    "pal:review_pip_approve": {"approve-activate_step_4": ""},
    "pal:review_pip_return": {"return-note": "Manca il calendario del tirocinio."},
    "pal:service_report": {
        "delivered_hours": "10",
        "delivered_cost": "500.00",
        "delivered_on": "2025-07-31",
    },
    "pal:certification_create": {
        "qualification": "1",
        "title": "Operatore di magazzino",
        "competences": "Gestione delle scorte.",
        "certified_on": "2025-07-31",
    },
    "pal:pip_update": {
        "objectives": "Obiettivi riscritti.",
        "services-TOTAL_FORMS": "1",
        "services-INITIAL_FORMS": "0",
        "services-MIN_NUM_FORMS": "1",
        "services-MAX_NUM_FORMS": "1000",
        "services-0-kind": "orientamento",
        "services-0-delivery": "individuale",
        "services-0-hours": "10",
        "services-0-cost": "500.00",
        "services-0-planned_start": "2025-06-01",
        "services-0-planned_end": "2025-07-31",
    },
    "workers:outcome_record": {
        "kind": "ricollocato",
        "date": "2025-09-01",
        "contract_kind": "indeterminato",
        "source": "operatore",
    },
    "pal:payment_create": {"paid_on": "2025-09-01", "amount": "1.00", "reference": "DDS 1"},
    "pal:fund_update": {"code": "fse_plus_2021_27", "name": "FSE+", "kind": "altro"},
}
PAL_HTML_WRITE_PAYLOADS["pal:pip_create"] = PAL_HTML_WRITE_PAYLOADS["pal:pip_update"]
PAL_HTML_WRITE_PAYLOADS["pal:step3_attendance"] = lambda world: {
    f"attendance-{pk}": "present" for pk in Step3Invitation.objects.values_list("pk", flat=True)
}
PAL_HTML_WRITE_PAYLOADS["pal:step3_update"] = lambda world: {
    "province": "BG",
    "cohorts": [world["cohort_bg"].pk],
    "date": "2025-06-11",
    "start_time": "10:00",
    "place": "Altrove",
    "capacity": 9,
}

PAL_HTML_WRITES = [
    # (role, route, object, expected)
    ("operator", "pal:pip_create", "dote_other", 404),
    ("operator", "pal:pip_update", "pip_other", 404),
    ("operator", "pal:pip_action", "pip_other", 404),
    ("operator", "pal:service_report", "service_other", 404),
    ("operator", "pal:certification_create", "pip_other", 404),
    ("operator", "workers:outcome_record", "involvement_mi", 404),
    ("operator", "workers:outcome_record", "involvement_bg_of_shared", 404),
    ("operator", "pal:review_pip_approve", "pip_op", 403),
    ("province_staff", "pal:review_pip_approve", "pip_other", 404),
    ("province_staff", "pal:review_pip_return", "pip_other", 404),
    ("province_staff", "pal:pip_action", "pip_op", 403),
    ("province_staff", "pal:pip_update", "pip_op", 403),
    ("province_staff", "pal:network_update", "network_bg", 403),
    ("operator", "pal:network_create", None, 403),
    ("operator", "pal:measure_update", "measure_dul", 403),
    ("province_staff", "pal:payment_create", "dote_op", 403),
    ("operator", "pal:payment_create", "dote_op", 403),
    ("province_staff", "pal:fund_update", "fund_fse", 403),
    ("operator", "pal:measure_funding", "measure_dul", 403),
    # STEP 3 meetings: out of scope 404 for the Nucleo; the Region and the presenting
    # operator read the meeting but act on nothing.
    ("province_staff", "pal:step3_update", "step3_mi", 404),
    ("province_staff", "pal:step3_invite", "step3_mi", 404),
    ("province_staff", "pal:step3_attendance", "step3_mi", 404),
    ("province_staff", "pal:step3_move", "step3_mi", 404),
    ("region_official", "pal:step3_invite", "step3_bg", 403),
    ("operator", "pal:step3_attendance", "step3_bg", 403),
    ("operator", "pal:step3_move", "step3_bg", 403),
]


@pytest.mark.parametrize(
    ("role", "route", "obj", "expected"),
    [pytest.param(*write, id="-".join(map(str, write))) for write in PAL_HTML_WRITES],
)
def test_pal_html_posts_answer_404_out_of_scope_and_403_when_not_allowed(
    role, route, obj, expected, world, client_for
):
    path = url_for(route, obj, world, action="withdraw")
    before = snapshot(world[obj]) if obj else None
    before_pal, before_workers = pal_state(), workers_state()

    response = fetch(
        client_for(role, path), "post", path, payload_for(PAL_HTML_WRITE_PAYLOADS, route, world)
    )

    assert response.status_code == expected
    if obj:
        assert snapshot(world[obj]) == before
    assert pal_state() == before_pal
    assert workers_state() == before_workers


# --- Lists and exports are scoped -----------------------------------------------------------

ALL_PROCEDURES = {"BG-LED", "MI-ONLY", "MI-LED-BG-UNIT"}
ALL_UNITS = {"U-BG", "U-MI", "U-MI-OF-BG", "U-BG-OF-SHARED", "U-MI-OF-SHARED"}
ALL_MEETINGS = {"meeting_bg", "meeting_mi", "meeting_shared", "meeting_regional"}
ALL_COMPANIES = {"company_bg", "company_mi", "company_shared"}
ALL_WORKERS = {"worker_bg", "worker_mi", "worker_shared_mi"}
ALL_COHORTS = {"cohort_bg", "cohort_mi"}
ALL_INVOLVEMENTS = {
    "involvement_bg",
    "involvement_bg_of_shared",
    "involvement_mi",
    "involvement_shared_mi",
}
# What BG sees: all but the MI-only procedure and what hangs from it.
VISIBLE_TO = {
    "province_staff": {
        "procedures": ALL_PROCEDURES - {"MI-ONLY"},
        "units": ALL_UNITS - {"U-MI"},
        "meetings": ALL_MEETINGS - {"meeting_mi"},
        "companies": ALL_COMPANIES - {"company_mi"},
        # Workers follow the unit's province, not the procedure: no MI unit's worker.
        "workers": {"worker_bg"},
        "cohorts": {"cohort_bg"},
        "involvements": {"involvement_bg", "involvement_bg_of_shared"},
    },
    "region_official": {
        "procedures": ALL_PROCEDURES,
        "units": ALL_UNITS,
        "meetings": ALL_MEETINGS,
        "companies": ALL_COMPANIES,
        "workers": ALL_WORKERS,
        "cohorts": ALL_COHORTS,
        "involvements": ALL_INVOLVEMENTS,
    },
}
# Active policies: staff see the Doti and PIPs of their province's workers and the networks
# of their territory; the operator its organisation's Doti and PIPs and the networks it is in.
VISIBLE_TO["province_staff"].update(doti={"dote_op"}, pips={"pip_op"}, networks={"network_bg"})
VISIBLE_TO["region_official"].update(
    doti={"dote_op", "dote_other"},
    pips={"pip_op", "pip_other"},
    networks={"network_bg", "network_mi"},
)
VISIBLE_TO["operator"] = {"doti": {"dote_op"}, "pips": {"pip_op"}, "networks": {"network_bg"}}
VISIBLE_TO["api_client"] = VISIBLE_TO["province_staff"]
VISIBLE_TO["admin"] = VISIBLE_TO["region_official"]


def csv_external_ids(response) -> set[str]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    # The exports stream (StreamingHttpResponse): the body is read from streaming_content.
    body = b"".join(response.streaming_content).decode()
    return {row["external_id"] for row in csv.DictReader(io.StringIO(body))}


def api_results(response) -> list[dict]:
    assert response.status_code == 200
    return response.json()["results"]


def names_of(world: dict, names: set[str]) -> dict:
    return {name: world[name] for name in names}


class TestScopedLists:
    @pytest.mark.parametrize("role", ["province_staff", "region_official", "admin"])
    def test_html_procedure_list(self, role, world, client_for):
        body = fetch(client_for(role, "/procedures/"), "get", "/procedures/").content.decode()
        for external_id in ALL_PROCEDURES:
            # The list links each procedure by the number people read (BG-2026-0007).
            reference = CrisisProcedure.objects.get(external_id=external_id).reference
            assert (f">{reference}</a>" in body) == (
                external_id in VISIBLE_TO[role]["procedures"]
            ), external_id

    @pytest.mark.parametrize("role", ["province_staff", "region_official", "admin"])
    def test_html_meeting_list(self, role, world, client_for):
        path = reverse("cases:meeting_list")
        body = fetch(client_for(role, path), "get", path).content.decode()
        for name in ALL_MEETINGS:
            link = f'href="{world[name].get_absolute_url()}"'
            assert (link in body) == (name in VISIBLE_TO[role]["meetings"]), name

    @pytest.mark.parametrize("role", ["province_staff", "region_official", "admin"])
    def test_html_csv_export(self, role, world, client_for):
        # Bound with a filter parameter: see test_html_csv_export_without_filters.
        path = reverse("cases:procedure_export") + "?ordering=external_id&format=technical"
        response = fetch(client_for(role, path), "get", path)
        assert csv_external_ids(response) == VISIBLE_TO[role]["procedures"]

    def test_html_csv_export_without_filters(self, world, client_for):
        path = reverse("cases:procedure_export") + "?format=technical"
        response = fetch(client_for("province_staff", path), "get", path)
        assert csv_external_ids(response) == VISIBLE_TO["province_staff"]["procedures"]

    @pytest.mark.parametrize("role", ["province_staff", "api_client", "region_official", "admin"])
    def test_api_procedure_list(self, role, world, client_for):
        path = reverse("procedure-list")
        results = api_results(fetch(client_for(role, path), "get", path))
        assert {p["external_id"] for p in results} == VISIBLE_TO[role]["procedures"]

    @pytest.mark.parametrize("role", ["province_staff", "api_client", "region_official", "admin"])
    def test_api_csv_export(self, role, world, client_for):
        path = reverse("procedure-export-csv")
        response = fetch(client_for(role, path), "get", path)
        assert csv_external_ids(response) == VISIBLE_TO[role]["procedures"]

    @pytest.mark.parametrize("role", ["province_staff", "api_client", "region_official", "admin"])
    def test_api_unit_list(self, role, world, client_for):
        path = reverse("unit-list")
        results = api_results(fetch(client_for(role, path), "get", path))
        assert {u["external_id"] for u in results} == VISIBLE_TO[role]["units"]

    @pytest.mark.parametrize("role", ["province_staff", "api_client", "region_official", "admin"])
    def test_api_meeting_list(self, role, world, client_for):
        path = reverse("meeting-list")
        results = api_results(fetch(client_for(role, path), "get", path))
        expected = {m.pk for m in names_of(world, VISIBLE_TO[role]["meetings"]).values()}
        assert {m["id"] for m in results} == expected

    @pytest.mark.parametrize("role", ["province_staff", "api_client", "region_official", "admin"])
    def test_api_company_list(self, role, world, client_for):
        path = reverse("company-list")
        results = api_results(fetch(client_for(role, path), "get", path))
        expected = {c.tax_code for c in names_of(world, VISIBLE_TO[role]["companies"]).values()}
        assert {c["tax_code"] for c in results} == expected

    @pytest.mark.parametrize("role", ["province_staff", "api_client", "region_official", "admin"])
    @pytest.mark.parametrize(
        ("route", "kind"),
        [
            ("worker-list", "workers"),
            ("cohort-list", "cohorts"),
            ("involvement-list", "involvements"),
        ],
    )
    def test_api_workers_lists(self, route, kind, role, world, client_for):
        path = reverse(route)
        results = api_results(fetch(client_for(role, path), "get", path))
        expected = {obj.pk for obj in names_of(world, VISIBLE_TO[role][kind]).values()}
        assert {row["id"] for row in results} == expected

    @pytest.mark.parametrize(
        "role", ["province_staff", "api_client", "region_official", "operator", "admin"]
    )
    @pytest.mark.parametrize(
        ("route", "kind"),
        [("dote-list", "doti"), ("pip-list", "pips"), ("network-list", "networks")],
    )
    def test_api_pal_lists(self, route, kind, role, world, client_for):
        path = reverse(route)
        results = api_results(fetch(client_for(role, path), "get", path))
        expected = {obj.pk for obj in names_of(world, VISIBLE_TO[role][kind]).values()}
        assert {row["id"] for row in results} == expected

    @pytest.mark.parametrize("role", ["operator", "admin"])
    def test_html_operator_home(self, role, world, client_for):
        path = reverse("pal:operator_home")
        response = fetch(client_for(role, path), "get", path)
        assert response.status_code == 200
        body = response.content.decode()
        for kind, names in (("doti", {"dote_op", "dote_other"}), ("pips", {"pip_op", "pip_other"})):
            for name in names:
                link = f'href="{world[name].get_absolute_url()}"'
                assert (link in body) == (name in VISIBLE_TO[role][kind]), name

    @pytest.mark.parametrize("role", ["province_staff", "region_official", "admin"])
    def test_html_network_list(self, role, world, client_for):
        path = reverse("pal:network_list")
        body = fetch(client_for(role, path), "get", path).content.decode()
        for name in ("network_bg", "network_mi"):
            link = f'href="{world[name].get_absolute_url()}"'
            assert (link in body) == (name in VISIBLE_TO[role]["networks"]), name

    @pytest.mark.parametrize("role", ["province_staff", "admin"])
    def test_html_review_queue(self, role, world, client_for):
        # Drafts never reach the queue: both PIPs are submitted here.
        PIP.objects.filter(pk__in=[world["pip_op"].pk, world["pip_other"].pk]).update(
            status=PIPStatus.PRESENTATO
        )
        path = reverse("pal:review_queue")
        response = fetch(client_for(role, path), "get", path)
        assert response.status_code == 200
        body = response.content.decode()
        for name in ("pip_op", "pip_other"):
            link = f'href="{reverse("pal:review_pip", args=[world[name].pk])}"'
            assert (link in body) == (name in VISIBLE_TO[role]["pips"]), name

    def test_html_procedure_workers_of_the_shared_procedure(self, world, client_for):
        # BG sees proc_shared and its own unit's workers there, nobody of the MI unit.
        path = reverse("workers:procedure_workers", args=[world["proc_shared"].pk])
        response = fetch(client_for("province_staff", path), "get", path)
        assert response.status_code == 200
        body = response.content.decode()
        shown, hidden = world["worker_bg"], world["worker_shared_mi"]
        assert shown.fiscal_code in body
        assert f'href="{shown.get_absolute_url()}"' in body
        assert hidden.fiscal_code not in body
        assert hidden.masked_fiscal_code not in body
        assert f'href="{hidden.get_absolute_url()}"' not in body


# --- Workers' identities (§6) --------------------------------------------------------------


@pytest.fixture
def region_with_identities(db):
    user = UserFactory(username="region_pd", region_official=True)
    user.user_permissions.add(
        Permission.objects.get(
            codename="view_personal_data", content_type__app_label="crisi_portal"
        )
    )
    return user


class TestIdentities:
    def page(self, user, world) -> str:
        client = Client()
        client.force_login(user)
        path = reverse("workers:procedure_workers", args=[world["proc_bg"].pk])
        response = fetch(client, "get", path)
        assert response.status_code == 200
        return response.content.decode()

    def test_the_province_officer_sees_the_fiscal_code(self, world, staff_bg):
        assert world["worker_bg"].fiscal_code in self.page(staff_bg, world)
        assert not PersonalDataAccess.objects.exists()  # own province: not logged

    def test_a_region_official_sees_only_the_masked_form(self, world, region):
        worker = world["worker_bg"]
        body = self.page(region, world)
        assert worker.masked_fiscal_code in body
        assert worker.fiscal_code not in body
        assert not PersonalDataAccess.objects.exists()

    def test_a_region_official_with_the_permission_sees_it_and_the_read_is_logged(
        self, world, region_with_identities
    ):
        worker = world["worker_bg"]
        assert worker.fiscal_code in self.page(region_with_identities, world)
        assert PersonalDataAccess.objects.filter(
            user=region_with_identities, worker=worker
        ).exists()


@pytest.mark.parametrize("role", ["province_staff", "api_client"])
@pytest.mark.parametrize(
    ("worker", "expected"), [("worker_bg", 200), ("worker_mi", 404), ("worker_shared_mi", 404)]
)
def test_worker_search_is_scoped(worker, expected, role, world, client_for):
    path = reverse("worker-search")
    response = fetch(
        client_for(role, path), "post", path, {"fiscal_code": world[worker].fiscal_code}
    )
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["id"] == world[worker].pk
    else:
        assert response["Content-Type"].startswith(PROBLEM)


@pytest.mark.parametrize("role", ["province_staff", "api_client"])
@pytest.mark.parametrize("unit", ["unit_mi_of_bg"])
def test_an_involvement_cannot_be_moved_to_a_unit_of_another_province(
    unit, role, world, client_for
):
    # unit_mi_of_bg is visible to BG (BG leads the procedure) but MI's: moving BG's worker
    # there would hand the worker to MI, a change BG may not make in MI.
    involvement = world["involvement_bg"]
    path = url_for("involvement-detail", "involvement_bg", world)
    client = client_for(role, path)
    etag = fetch(client, "get", path)["ETag"]  # workers' data is written with If-Match
    response = fetch(client, "patch", path, {"unit": world[unit].pk}, HTTP_IF_MATCH=etag)
    assert response.status_code == 403, response.content
    involvement.refresh_from_db()
    assert involvement.unit == world["unit_bg"]


# --- The Django admin -----------------------------------------------------------------------


class TestAdmin:
    @pytest.mark.parametrize("role", [role for role in ROLES if role != "admin"])
    def test_everyone_but_admins_is_sent_to_the_admin_login(self, role, client_for):
        response = fetch(client_for(role, "/admin/"), "get", "/admin/")
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login") + "?next=/admin/")

    def test_admins_get_the_admin_index(self, client_for):
        response = fetch(client_for("admin", "/admin/"), "get", "/admin/")
        assert response.status_code == 200


def test_meeting_fixture_has_minutes(world):
    # The minutes route answers 404 without a file: every meeting here has one, so its rows
    # measure scope, not the missing file.
    assert all(world[name].minutes for name in ALL_MEETINGS)
    assert Meeting.objects.exclude(minutes="").count() == len(ALL_MEETINGS)


# --- Units of another province inside a procedure BG sees ----------------------------------


def unit_ids_shown(surface: str, world: dict, client_for) -> set[str] | bool:
    procedure = world["proc_shared"]
    if surface == "api-procedure-detail":
        path = reverse("procedure-detail", args=[procedure.pk])
        response = fetch(client_for("province_staff", path), "get", path)
        return {unit["external_id"] for unit in response.json()["units"]}
    if surface == "api-csv-export":
        path = reverse("procedure-export-csv")
        response = fetch(client_for("province_staff", path), "get", path)
    else:  # html-procedure-detail: units are shown by comune
        path = procedure.get_absolute_url()
        response = fetch(client_for("province_staff", path), "get", path)
        return {"U-MI-OF-SHARED"} if "Sesto San Giovanni" in response.content.decode() else set()
    # The export streams (StreamingHttpResponse): the body is read from streaming_content.
    rows = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    return {row["unit_external_id"] for row in rows if row["external_id"] == procedure.external_id}


def test_a_unit_of_a_visible_procedure_is_visible_but_not_editable(world, client_for):
    # Every province that sees a procedure sees all its sites; it edits only its own.
    path = reverse("unit-detail", args=[world["unit_mi_of_shared"].pk])
    client = client_for("province_staff", path)
    assert fetch(client, "get", path).status_code == 200
    assert fetch(client, "patch", path, {"workers_involved": 1}).status_code == 403


@pytest.mark.parametrize(
    "surface", ["api-procedure-detail", "html-procedure-detail", "api-csv-export"]
)
def test_a_procedure_shows_all_its_units_to_every_province_that_sees_it(surface, world, client_for):
    assert "U-MI-OF-SHARED" in unit_ids_shown(surface, world, client_for)


# --- monitoring: report archive ---


def report_runs() -> list:
    return list(ReportRun.objects.order_by("pk").values_list("pk", "version", "status", "sha256"))


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ("report_mi", 404),  # out of scope: not even seen
        ("report_regional", 403),  # seen, but a Nucleo does not ask for regional documents
    ],
)
def test_a_nucleo_cannot_rerun_a_document_it_may_not_request(obj, expected, world, staff_bg):
    client = Client()
    client.force_login(staff_bg)
    before = report_runs()

    response = fetch(client, "post", url_for("monitoring:report_rerun", obj, world), {})

    assert response.status_code == expected
    assert report_runs() == before


@pytest.mark.parametrize(
    ("role", "payload", "expected"),
    [
        ("api_client", {"kind": "quarterly", "period": "2025-Q3", "province": "MI"}, 422),
        ("province_staff", {"kind": "annual", "period": "2025", "province": None}, 422),
        ("operator", {"kind": "annual", "period": "2025", "province": None}, 403),
    ],
)
def test_report_requests_outside_the_callers_scope_create_nothing(
    role, payload, expected, world, client_for
):
    path = reverse("report-list")
    before = report_runs()

    response = fetch(client_for(role, path), "post", path, {**payload, "format": "json"})

    assert response.status_code == expected
    assert response["Content-Type"].startswith(PROBLEM)
    assert report_runs() == before
