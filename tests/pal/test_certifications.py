"""Competence certification against the qualifications catalogue (issue #14 item 7; source
000, point 6: competences certified as l.r. 19/2007, art. 10 provides)."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monitoring.dashboard import dashboard_data
from monitoring.periods import Period
from monitoring.reports import annual
from pal import services
from pal.enums import RuleCode
from pal.models import CompetenceCertification, Qualification
from pal.services import PALRuleRefused
from tests.pal.factories import operator_staff, pip_with_service
from tests.workers.factories import InvolvementFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2025, 9, 30)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def qualification(code="QRSP-PROV-01") -> Qualification:
    return Qualification.objects.get(code=code)


def running_pip(province="BG", *, training=True):
    involvement = InvolvementFactory(unit__procedure__lead=province)
    return pip_with_service(
        "in_corso",
        dote__involvement=involvement,
        dote__operator__accredited_for_training=training,
    )


def record(pip, user=None, **overrides):
    kwargs = {
        "qualification": qualification(),
        "competences": "Lavorazioni al tornio\nLettura del disegno tecnico",
        "certified_on": DAY,
        **overrides,
    }
    return services.certification_record(
        user=user or operator_staff(pip.dote.operator), pip=pip, **kwargs
    )


def test_the_catalogue_ships_with_levels_and_provisional_codes():
    levels = set(Qualification.objects.values_list("eqf_level", flat=True))
    assert levels == {3, 4, 5}
    assert Qualification.objects.filter(code__startswith="QRSP-PROV-").count() >= 10


def test_a_training_operator_certifies_the_pips_worker_against_a_qualification():
    pip = running_pip()
    certification = record(pip)
    assert certification.worker == pip.dote.involvement.worker
    assert certification.operator == pip.dote.operator
    assert certification.qualification == qualification()
    assert certification.title == "Operatore meccanico"  # the profile's title by default


def test_a_certification_needs_a_qualification_on_its_field():
    with pytest.raises(PALRuleRefused) as refused:
        record(running_pip(), qualification=None)
    assert (refused.value.code, refused.value.field) == (
        RuleCode.CERTIFICATION_QUALIFICATION,
        "qualification",
    )


def test_a_withdrawn_qualification_is_refused():
    item = qualification()
    item.is_active = False
    item.save()
    with pytest.raises(PALRuleRefused) as refused:
        record(running_pip(), qualification=item)
    assert refused.value.field == "qualification"


def test_only_an_operator_accredited_for_training_certifies():
    with pytest.raises(PALRuleRefused) as refused:
        record(running_pip(training=False))
    assert refused.value.code == RuleCode.CERTIFICATION_ACCREDITATION
    assert refused.value.field == "qualification"
    assert not CompetenceCertification.objects.exists()


def test_another_operators_staff_may_not_certify():
    from django.core.exceptions import PermissionDenied

    pip = running_pip()
    other = running_pip()
    with pytest.raises(PermissionDenied):
        record(pip, user=operator_staff(other.dote.operator))


def test_certified_today_is_accepted_tomorrow_refused():
    pip = running_pip()
    record(pip, certified_on=timezone.localdate())
    with pytest.raises(PALRuleRefused) as refused:
        record(pip, certified_on=timezone.localdate() + datetime.timedelta(days=1))
    assert refused.value.field == "certified_on"


def test_certifications_recorded_before_the_catalogue_stay_valid():
    pip = running_pip()
    old = CompetenceCertification(
        worker=pip.dote.involvement.worker,
        pip=pip,
        operator=pip.dote.operator,
        title="Carrellista",
        competences="Guida del carrello",
        certified_on=DAY,
    )
    old.full_clean()
    old.save()
    assert old.qualification is None


# --- The worker page -------------------------------------------------------------------------


def test_the_worker_page_lists_the_certifications_in_a_fixed_number_of_queries(
    staff_bg, django_assert_max_num_queries
):
    pip = running_pip()
    record(pip)
    worker = pip.dote.involvement.worker
    client = Client()
    client.force_login(staff_bg)
    url = reverse("workers:worker_detail", args=[worker.pk])
    with CaptureQueriesContext(connection) as one:
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Operatore meccanico" in html and "EQF level 3" in html
    record(pip, qualification=qualification("QRSP-PROV-07"))
    record(pip, qualification=qualification("QRSP-PROV-11"))
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "EQF level 5" in html


def test_another_province_does_not_see_the_worker_or_the_certification(staff_bg):
    pip = running_pip("MI")
    record(pip)
    client = Client()
    client.force_login(staff_bg)
    worker = pip.dote.involvement.worker
    assert client.get(reverse("workers:worker_detail", args=[worker.pk])).status_code == 404
    assert not CompetenceCertification.objects.visible_to(staff_bg).exists()


# --- The operator's form and the API ---------------------------------------------------------


def test_the_form_refuses_an_untrained_operator_on_the_qualification_field():
    pip = running_pip(training=False)
    client = Client()
    client.force_login(operator_staff(pip.dote.operator))
    response = client.post(
        reverse("pal:certification_create", args=[pip.pk]),
        {
            "qualification": qualification().pk,
            "competences": "Saldatura",
            "certified_on": DAY.isoformat(),
        },
    )
    assert response.status_code == 422
    assert response.context["form"].errors["qualification"]


def test_the_api_records_and_scopes_certifications(api_client_for, staff_bg):
    pip = running_pip()
    other = running_pip()
    client = api_client_for(operator_staff(pip.dote.operator))
    body = {
        "pip": pip.pk,
        "qualification": qualification().pk,
        "competences": "Saldatura",
        "certified_on": "2025-09-30",
    }
    response = client.post("/api/v1/certifications/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["worker"] == pip.dote.involvement.worker.pk
    # Another operator's PIP answers like one that does not exist.
    refused = client.post("/api/v1/certifications/", {**body, "pip": other.pk}, format="json")
    assert refused.status_code == 422
    assert CompetenceCertification.objects.count() == 1
    # Staff read the certifications of their province's workers, and do not write them.
    staff = api_client_for(staff_bg)
    assert len(staff.get("/api/v1/certifications/").json()["results"]) == 1
    assert staff.post("/api/v1/certifications/", body, format="json").status_code == 403


# --- Monitoring ------------------------------------------------------------------------------


def test_the_dashboard_counts_certifications_by_province_and_level(region, staff_bg):
    bg, mi = running_pip("BG"), running_pip("MI")
    record(bg)
    record(bg, qualification=qualification("QRSP-PROV-02"))
    record(bg, qualification=qualification("QRSP-PROV-07"))
    record(mi, qualification=qualification("QRSP-PROV-07"))

    rows = dashboard_data(region, live=True)["certifications"]
    assert rows == [
        {"province": "BG", "level": 3, "certifications": 2},
        {"province": "BG", "level": 4, "certifications": 1},
        {"province": "MI", "level": 4, "certifications": 1},
    ]
    assert [row["province"] for row in dashboard_data(staff_bg, live=True)["certifications"]] == [
        "BG",
        "BG",
    ]


def test_the_annual_notes_count_certifications_by_level():
    pip = running_pip()
    record(pip)
    record(pip, qualification=qualification("QRSP-PROV-11"))
    notes = annual(Period.parse("annual", "2025"))["notes"]
    assert notes["certifications"] == [
        {"eqf_level": 3, "certifications": 1},
        {"eqf_level": 5, "certifications": 1},
    ]


# --- The catalogue import --------------------------------------------------------------------


def test_the_region_imports_its_export(tmp_path):
    path = tmp_path / "qrsp.csv"
    path.write_text(
        "code,title,eqf_level\nQRSP-PROV-01,Operatore meccanico (agg.),3\nX-1,Nuovo profilo,4\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("import_qualifications", str(path), stdout=out)
    assert "2 qualifications imported" in out.getvalue()
    assert qualification().title == "Operatore meccanico (agg.)"
    assert qualification("X-1").eqf_level == 4


def test_a_bad_row_refuses_the_whole_file_naming_its_line(tmp_path):
    path = tmp_path / "qrsp.csv"
    path.write_text("code,title,eqf_level\nX-1,Buono,4\nX-2,Cattivo,9\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Line 3"):
        call_command("import_qualifications", str(path))
    assert not Qualification.objects.filter(code__in=["X-1", "X-2"]).exists()
