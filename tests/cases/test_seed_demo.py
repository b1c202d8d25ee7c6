"""``manage.py seed_demo``: the demo data reproduce the Region's 2024 table (§5, §7)."""

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Sum
from django.utils import timezone

from cases.enums import Family
from cases.models import Company, CrisisProcedure, Meeting, ProductionUnit, Province
from cases.validators import partita_iva_is_valid
from crisi_portal.models import User
from crisi_portal.roles import Role
from pal.models import Operator
from tests.factories import log_in
from workers.models import Involvement, StepTransition, Worker

CSV_NAME = "annual_2024_lombardia.csv"
CSV_COPY = Path(__file__).resolve().parent.parent / "data" / CSV_NAME
CSV_SHARED = Path(django_settings.BASE_DIR).parent / "shared" / "reference" / CSV_NAME
FAMILY_COLUMNS = {
    Family.CIGS_MINISTERIALE: "cigs_min",
    Family.CIGS_REGIONALE: "cigs_reg",
    Family.LICENZIAMENTO_COLLETTIVO: "lic",
}
DEMO_USERNAMES = ["nucleo.bg", "nucleo.mi", "regione", "operatore.a", "operatore.b", "admin"]

pytestmark = pytest.mark.django_db


def published_2024() -> dict[str, dict[str, str]]:
    """The published table, by province code (and ``TOT``)."""
    path = CSV_COPY if CSV_COPY.exists() else CSV_SHARED
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["province"]: row for row in csv.DictReader(handle)}


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())


def counts() -> dict[str, int]:
    return {
        "procedures": CrisisProcedure.objects.count(),
        "units": ProductionUnit.objects.count(),
        "workers": ProductionUnit.objects.aggregate(n=Sum("workers_involved"))["n"] or 0,
        "companies": Company.objects.count(),
        "meetings": Meeting.objects.count(),
        "operators": Operator.objects.count(),
        "users": User.objects.count(),
        "procedure_history": CrisisProcedure.history.count(),
        "unit_history": ProductionUnit.history.count(),
        "worker_rows": Worker.objects.count(),
        "involvements": Involvement.objects.count(),
        "transitions": StepTransition.objects.count(),
    }


def test_copy_of_the_published_table_matches_the_shared_reference():
    if not CSV_SHARED.exists():
        pytest.skip("shared/reference is not checked out beside the repository")
    assert CSV_COPY.read_bytes() == CSV_SHARED.read_bytes()


def test_units_and_workers_of_2024_match_the_published_table_cell_for_cell(seeded):
    published = published_2024()
    rows = (
        ProductionUnit.objects.filter(procedure__opened_on__year=2024)
        .values("province_id", "procedure__family")
        .annotate(units=Count("id"), workers=Sum("workers_involved"))
        .order_by()
    )
    seeded_cells = {(r["province_id"], r["procedure__family"]): r for r in rows}
    provinces = [code for code in published if code != "TOT"]
    assert len(provinces) == 12

    mismatches = []
    for code in provinces:
        total_workers = 0
        for family, column in FAMILY_COLUMNS.items():
            cell = seeded_cells.pop((code, family.value), {"units": 0, "workers": 0})
            expected = (
                int(published[code][f"{column}_units"]),
                int(published[code][f"{column}_workers"]),
            )
            if (cell["units"], cell["workers"]) != expected:
                mismatches.append((code, family.value, (cell["units"], cell["workers"]), expected))
            total_workers += cell["workers"]
        if total_workers != int(published[code]["total_workers"]):
            mismatches.append(
                (code, "total_workers", total_workers, published[code]["total_workers"])
            )
    assert mismatches == []
    assert seeded_cells == {}, "units of 2024 outside the twelve provinces"

    totals = (
        ProductionUnit.objects.filter(procedure__opened_on__year=2024)
        .values("procedure__family")
        .annotate(units=Count("id"), workers=Sum("workers_involved"))
        .order_by()
    )
    by_family = {row["procedure__family"]: row for row in totals}
    tot = published["TOT"]
    for family, column in FAMILY_COLUMNS.items():
        assert by_family[family.value]["units"] == int(tot[f"{column}_units"]), family
        assert by_family[family.value]["workers"] == int(tot[f"{column}_workers"]), family
    assert sum(row["workers"] for row in totals) == int(tot["total_workers"])


def test_every_2024_unit_has_at_least_one_worker(seeded):
    units = ProductionUnit.objects.filter(procedure__opened_on__year=2024)
    assert units.exists()
    assert not units.filter(workers_involved__lt=1).exists()


def test_current_procedures_do_not_touch_2024_and_are_never_in_the_future(seeded):
    today = timezone.localdate()
    current = CrisisProcedure.objects.filter(opened_on__year__gte=2025)
    assert current.count() >= 20
    assert not CrisisProcedure.objects.filter(opened_on__gt=today).exists()
    assert not CrisisProcedure.objects.filter(opened_on__lt=date(2024, 1, 1)).exists()
    assert current.filter(status__in=["aperta", "in_corso"]).count() > current.count() / 2
    # Each current case belongs to the year of its external id, not to 2024.
    for external_id, opened_on in current.values_list("external_id", "opened_on"):
        assert external_id.startswith(f"DEMO-{opened_on.year}-")


def test_seeded_records_pass_model_validation(seeded):
    for company in Company.objects.all():
        assert partita_iva_is_valid(company.tax_code), company.tax_code
        company.full_clean()
    for procedure in CrisisProcedure.objects.select_related("company"):
        procedure.full_clean()
    for unit in ProductionUnit.objects.all():
        unit.full_clean()
    flagged = CrisisProcedure.objects.filter(high_complexity=True)
    assert 6 <= flagged.count() <= 12
    assert not flagged.filter(complexity_note="").exists()


def test_some_procedures_span_more_than_one_province(seeded):
    spread = CrisisProcedure.objects.annotate(
        provinces=Count("units__province", distinct=True)
    ).filter(provinces__gt=1)
    total = CrisisProcedure.objects.count()
    assert spread.count() >= total * 0.05
    assert spread.filter(provinces=3).exists()
    # The lead province is one of the procedure's own provinces.
    for procedure in spread.prefetch_related("units"):
        assert procedure.lead_province_id in {u.province_id for u in procedure.units.all()}


def test_meetings_are_linked_to_procedures_and_some_are_convened_by_the_region(seeded):
    meetings = Meeting.objects.annotate(n=Count("procedures"))
    assert meetings.count() >= 10
    assert not meetings.filter(n=0).exists()
    assert meetings.filter(province__isnull=True, kind="regionale").exists()
    assert meetings.filter(province__isnull=False).exists()


def test_the_audit_history_records_the_bulk_loaded_rows(seeded):
    assert CrisisProcedure.history.count() == CrisisProcedure.objects.count()
    assert ProductionUnit.history.count() == ProductionUnit.objects.count()
    assert Company.history.count() == Company.objects.count()


def test_running_twice_leaves_the_same_data(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    first = counts()
    assert first["procedures"] > 300
    assert first["involvements"] > 2000
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first


def test_running_again_resets_the_demo_passwords(settings, client):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    user = User.objects.get(username="nucleo.bg")
    user.set_password("changed")
    user.save()
    call_command("seed_demo", stdout=io.StringIO())
    assert log_in(client, "nucleo.bg", "demo-password")


def test_refuses_to_run_without_debug_and_creates_nothing(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert CrisisProcedure.objects.count() == 0
    assert Operator.objects.count() == 0
    assert not User.objects.filter(username__in=DEMO_USERNAMES).exists()


def test_one_demo_user_per_role_can_log_in(seeded, client):
    users = {user.username: user for user in User.objects.filter(username__in=DEMO_USERNAMES)}
    assert sorted(users) == sorted(DEMO_USERNAMES)

    def provinces(username):
        return sorted(users[username].provinces.values_list("code", flat=True))

    assert users["nucleo.bg"].role == Role.PROVINCE_STAFF and provinces("nucleo.bg") == ["BG"]
    assert users["nucleo.mi"].role == Role.PROVINCE_STAFF and provinces("nucleo.mi") == ["MI"]
    assert users["regione"].role == Role.REGION_OFFICIAL
    assert users["regione"].has_perm("crisi_portal.view_personal_data")
    assert not users["nucleo.bg"].has_perm("crisi_portal.view_personal_data")
    assert users["operatore.a"].role == Role.OPERATOR
    assert users["operatore.a"].operator.name == "Lavoro & Futuro Soc. Coop."
    assert users["operatore.b"].role == Role.OPERATOR
    assert users["operatore.b"].operator.name == "Formazione Lombarda S.r.l."
    assert users["admin"].role == Role.ADMIN
    assert users["admin"].is_staff and users["admin"].is_superuser
    for username, user in users.items():
        assert user.first_name and user.last_name and "@" in user.email, username
        assert log_in(client, username, "demo-password"), username
        client.logout()


def test_operators_include_two_private_and_a_cpi_in_every_province(seeded):
    assert Operator.objects.filter(is_public=False).count() == 2
    cpi_provinces = Operator.objects.filter(is_public=True).values_list(
        "offices__province", flat=True
    )
    assert sorted(cpi_provinces) == sorted(Province.objects.values_list("code", flat=True))


def test_the_demo_has_agreements_and_certifications(settings):
    """Issue #14 items 4 and 7: agreements on several demo procedures, certifications for
    some demo workers (crisi_portal/demo/agreements.py), through the services."""

    from cases.models import Agreement
    from pal.models import CompetenceCertification

    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    assert Agreement.objects.count() >= 6
    assert Agreement.objects.filter(outplacement=True).exists()
    assert Agreement.objects.values("kind").distinct().count() >= 3
    certifications = CompetenceCertification.objects.all()
    assert certifications.count() >= 3
    assert not certifications.filter(qualification__isnull=True).exists()
    # Run again: nothing is added.
    before = (Agreement.objects.count(), certifications.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Agreement.objects.count(), certifications.count()) == before


def test_the_demo_tables_have_agenda_participants_and_decisions(seeded):
    """#14 item 3: the current year has 2025's tables (4 regional, 21 bilateral), and every
    regional and bilateral table its agenda, participants by role and decisions."""
    today = timezone.localdate()
    held = Meeting.objects.filter(date__year=today.year)
    if today > date(today.year, 1, 15):
        assert held.filter(kind="regionale").count() >= 4
        assert held.filter(kind="bilaterale").count() >= 21
    tables = Meeting.objects.filter(kind__in=["regionale", "bilaterale"])
    assert tables.exists()
    assert not tables.filter(agenda__isnull=True).exists()
    assert not tables.filter(attendees__isnull=True).exists()
    assert not tables.filter(decisions__isnull=True).exists()
    roles = set(tables.values_list("attendees__role", flat=True))
    assert {"regione", "provincia", "cpi", "azienda", "sindacati"} <= roles
