import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from cases.models import Company, CrisisProcedure, Meeting, ProductionUnit
from crisi_portal.demo import (
    accounts,
    agreements,
    eligibility,
    money,
    monitoring,
    netsvc,
    opendata,
    opresults,
    pal,
    plans,
    procedures,
    segdata,
    step3,
    unilav,
    workers,
)
from crisi_portal.demo.reference import DEMO_PASSWORD, DEMO_PREFIX
from crisi_portal.demo.tables import seed_tables
from crisi_portal.models import User
from monitoring.services import dashboard_refresh
from pal.models import Operator


class Command(BaseCommand):
    help = (
        "Load demo data (only with DEBUG on): the Region's 2024 figures as procedures and "
        "production units, a few current procedures and meetings, workers in the step model with "
        "their moves and outcomes, accredited operators and one user per role (password "
        f"'{DEMO_PASSWORD}'). Safe to run again: procedures and workers are loaded once, "
        "operators and users are brought up to date and their passwords reset."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo loads fake data and demo accounts with a known password: it only runs "
                "with DEBUG on (set DJANGO_DEBUG=1). Refusing to touch this database."
            )
        started = time.monotonic()
        today = timezone.localdate()
        with transaction.atomic():
            result = procedures.seed(today)
            # After the users: the province officers are recorded as the authors of the moves.
            loaded = workers.seed_workers(today)
            segdata.seed_segdata()
            # After the workers: Doti and PIPs on them, through the services, with the demo users.
            policies = pal.seed_pal(today)
            self.stdout.write(netsvc.seed_network_services(today))
            self.stdout.write(money.seed_money(today))
            contacts = monitoring.seed_contacts()
            step3.seed_step3(today)
            agreements.seed_agreements_and_certifications(today)
            plans.seed_plan(today)
            seed_tables(today)
            operator_outcomes = opresults.seed_operator_outcomes(today)
            # After every outcome: communications propose outcomes for workers without one.
            self.stdout.write(unilav.seed_unilav(today))
        # The demo data is loaded behind the services' back: the dashboard's figures at once.
        dashboard_refresh()
        # After the data: the open datasets of the latest periods (issue #16 item 4).
        open_data = opendata.seed_open_data(today)
        if result.procedures_skipped:
            self.stdout.write(
                "Demo procedures already present: procedures, companies and meetings left as is."
            )
        else:
            self.stdout.write(f"Loaded {result.procedures_created} demo procedures.")
        self.stdout.write(
            "Operators: {created} created, {updated} updated. ".format(**result.operators)
            + "Users: {created} created, {updated} updated (password reset).".format(**result.users)
        )
        demo_procedures = CrisisProcedure.objects.filter(external_id__startswith=DEMO_PREFIX)
        units = ProductionUnit.objects.filter(procedure__in=demo_procedures)
        counts = {
            "procedures": demo_procedures.count(),
            "  opened in 2024": demo_procedures.filter(opened_on__year=2024).count(),
            "production units": units.count(),
            "companies": Company.objects.filter(procedures__in=demo_procedures).distinct().count(),
            "meetings": Meeting.objects.filter(procedures__in=demo_procedures).distinct().count(),
            "operators": Operator.objects.filter(
                accreditation_number__in=[row[0] for row in accounts.OPERATORS]
            ).count(),
            "users": User.objects.filter(username__in=[row[0] for row in accounts.USERS]).count(),
        }
        for label, count in counts.items():
            self.stdout.write(f"  {label}: {count}")
        if loaded.skipped:
            self.stdout.write("Demo workers already present: workers and their steps left as is.")
        else:
            self.stdout.write(
                f"Loaded {loaded.workers} demo workers in {loaded.cohorts} cohorts (at most "
                f"{loaded.cap_per_unit} per unit): {loaded.transitions} step moves, "
                f"{loaded.corrections} of them corrections, {loaded.outcomes} outcomes."
            )
        self.stdout.write(loaded.summary())
        if policies.skipped:
            self.stdout.write("Demo Doti already present: Doti, PIPs and networks left as is.")
        self.stdout.write(policies.summary())
        self.stdout.write(operator_outcomes)
        self.stdout.write(eligibility.seed_eligibility(today))
        self.stdout.write(open_data)
        self.stdout.write(f"Report contacts: {contacts} created (one per Nucleo, one regional).")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready in {time.monotonic() - started:.1f}s. Accounts: "
                + ", ".join(row[0] for row in accounts.USERS)
                + f" (password: {DEMO_PASSWORD})."
            )
        )
