"""Demo agreements on procedures and competence certifications (issue #14 items 4 and 7).

Through the services (``user=None``: the system), once only: left as they are when demo
agreements already exist.
"""

import datetime
import itertools

from django.db.models import Sum

from cases.models import Agreement, CrisisProcedure
from cases.services import agreement_create
from crisi_portal.demo.reference import DEMO_PREFIX, EMPLOYERS, UNIONS
from pal.enums import PIPStatus
from pal.models import PIP, Qualification
from pal.services import certification_record

AGREEMENTS = 10
CERTIFICATIONS = 12

# (kind, goals, outplacement clause or "") cycled over the demo procedures: the 2010
# agreement's point 2 (CIGO: keep the job; CIGS: retrain and/or re-employ), point 3
# (outplacement in company agreements), points 4-5 (territorial and sectoral agreements).
PATTERNS = [
    ("aziendale", ["retrain", "reemploy"], ""),
    ("aziendale", ["keep_job", "retrain"], ""),
    (
        "aziendale",
        ["reemploy"],
        "Programma di outplacement per i lavoratori in mobilità, con società specializzata "
        "individuata dalle parti (accordo 2010, punto 3).",
    ),
    ("territoriale", ["retrain", "reemploy"], ""),
    ("ministeriale", ["reemploy"], ""),
    ("settoriale", ["retrain"], ""),
]


def seed_agreements_and_certifications(today: datetime.date) -> dict[str, int]:
    """Agreements on some demo procedures, certifications for some demo workers."""
    demo = CrisisProcedure.objects.filter(external_id__startswith=DEMO_PREFIX)
    if Agreement.objects.filter(procedure__in=demo).exists():
        return {"agreements": 0, "certifications": 0}
    procedures = (
        demo.annotate(workers=Sum("units__workers_involved"))
        .filter(workers__gt=0)
        .select_related("company", "lead_province")
        .order_by("opened_on", "pk")[:AGREEMENTS]
    )
    agreements = 0
    for procedure, (kind, goals, outplacement) in zip(
        procedures, itertools.cycle(PATTERNS), strict=False
    ):
        unions = UNIONS["industry"].split(", ")
        parties = [{"role": "company", "name": procedure.company.name}]
        parties += [{"role": "union", "name": name} for name in unions]
        if kind in ("territoriale", "settoriale"):
            parties.append(
                {"role": "employers", "name": EMPLOYERS.get(procedure.lead_province_id, "")}
            )
            parties.append({"role": "province", "name": procedure.lead_province.name})
        agreement_create(
            user=None,
            procedure=procedure,
            data={
                "kind": kind,
                "signed_on": min(procedure.opened_on + datetime.timedelta(days=20), today),
                "goals": goals,
                "parties": [p for p in parties if p["name"]],
                "outplacement": bool(outplacement),
                "outplacement_text": outplacement,
                "workers_covered": max(1, procedure.workers * 3 // 4),
            },
        )
        agreements += 1
    qualifications = list(Qualification.objects.filter(is_active=True).order_by("code"))
    pips = (
        PIP.objects.filter(
            dote__involvement__procedure__in=demo,
            dote__operator__accredited_for_training=True,
            status__in=[PIPStatus.IN_CORSO, PIPStatus.CONCLUSO],
        )
        .select_related("dote__operator", "dote__involvement__worker")
        .order_by("pk")[:CERTIFICATIONS]
    )
    certifications = 0
    for pip, qualification in zip(pips, itertools.cycle(qualifications), strict=False):
        certification_record(
            user=None,
            pip=pip,
            qualification=qualification,
            competences="Competenze del profilo certificate al termine del percorso formativo.",
            certified_on=today,
        )
        certifications += 1
    return {"agreements": agreements, "certifications": certifications}
