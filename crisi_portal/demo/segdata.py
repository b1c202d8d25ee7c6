"""The segmentation fields of the demo workers (issue #15, part 1), for ``manage.py seed_demo``.

Run after :mod:`crisi_portal.demo.workers`, which writes each worker's citizenship as text,
consistent with the name and the fiscal code (birthplace abroad). This module sets, in a fixed
number of UPDATE statements whatever the number of workers:

* **Citizenship country**: the text mapped by the import's own matcher
  (:class:`workers.reference.CitizenshipMatcher`). The demo generator draws 89 % Italians and
  11 % foreigners — ISTAT counts about 12 % foreign residents in Lombardy — split as the
  foreign communities there: Romania 30 %, Albania 22 %, Morocco 20 %, Peru 8 %, India 8 %,
  Senegal 7 %, Egypt 5 %. One worker in 97 has no citizenship recorded (text blank, no
  country: "unknown"). Seeded today: 87 % Italian, 4 % EU (Romania), 7 % non-EU, 1 % unknown.
* **Education**: the generator's levels (licenza elementare or none 2 %, licenza media 30 %,
  qualifica 22 %, diploma 35 %, laurea triennale 6 %, magistrale 5 % — roughly a third with
  at most a licenza media, as among Lombardy's industrial workers) refined with the levels it
  does not draw: one diploma in ten becomes an IFTS (5 %) or ITS (5 %) diploma, one
  magistrale in ten a doctorate; one worker in 33 has no level recorded.
* **CPI**: units got the CPI of their comune when created (``cases.models.assign_cpis``); one
  demo unit per province has an officer's choice instead (its province's second CPI), and a
  worker who lives in another province than the unit's is followed by the CPI of their own
  province's capoluogo (the involvement's override).
"""

from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Mod

from cases.models import Cpi, ProductionUnit
from crisi_portal.demo.reference import DEMO_PREFIX
from workers.enums import EducationLevel
from workers.models import Involvement, Worker
from workers.reference import CitizenshipMatcher


def _demo_workers():
    return Worker.objects.filter(
        involvements__procedure__external_id__startswith=DEMO_PREFIX
    ).distinct()


def seed_segdata() -> dict[str, int]:
    """Fill the demo's segmentation fields; safe to run again. Returns what was set."""
    workers = Worker.objects.filter(pk__in=_demo_workers().values("pk"))
    counts = {}
    # Citizenship: one UPDATE per distinct text (a handful in the demo).
    matcher = CitizenshipMatcher()
    texts = workers.order_by().values_list("citizenship", flat=True).distinct()
    mapped = 0
    for text in list(texts):
        code = matcher.match(text) if text else None
        mapped += workers.filter(citizenship=text).update(citizenship_country_id=code)
    counts["citizenship"] = mapped
    counts["unknown citizenship"] = (
        workers.alias(m=Mod(F("id"), 97))
        .filter(m=0)
        .update(citizenship="", citizenship_country=None)
    )
    # Education: the levels the generator does not draw, and some not recorded.
    by_id = workers.alias(m=Mod(F("id"), 10))
    diplomas = by_id.filter(education_level=EducationLevel.UPPER_SECONDARY)
    counts["ifts"] = diplomas.filter(m=3).update(education_level=EducationLevel.POST_DIPLOMA)
    counts["its"] = diplomas.filter(m=7).update(education_level=EducationLevel.ITS)
    counts["dottorato"] = by_id.filter(education_level=EducationLevel.MASTER, m=5).update(
        education_level=EducationLevel.DOCTORATE
    )
    counts["unknown education"] = (
        workers.alias(m=Mod(F("id"), 33)).filter(m=0).update(education_level="")
    )
    # CPIs: an officer's choice on one unit per province, the residence's CPI as override.
    units = ProductionUnit.objects.filter(procedure__external_id__startswith=DEMO_PREFIX)
    second_cpi = Cpi.objects.filter(province=OuterRef("province")).order_by("code")[1:2]
    first_units = units.filter(province=OuterRef("province")).order_by("pk").values("pk")[:1]
    chosen = units.filter(pk=Subquery(first_units))
    counts["units with a chosen CPI"] = chosen.update(
        cpi_id=Subquery(second_cpi.values("pk")), cpi_chosen=True
    )
    capoluogo_cpis = {}
    for cpi in Cpi.objects.order_by("-code"):  # the first of each province wins
        capoluogo_cpis[cpi.province_id] = cpi.pk
    elsewhere = (
        Involvement.objects.filter(procedure__external_id__startswith=DEMO_PREFIX)
        .exclude(worker__residence_province__isnull=True)
        .exclude(worker__residence_province=F("unit__province"))
    )
    followed = 0
    for province, cpi_id in capoluogo_cpis.items():  # twelve UPDATEs
        rows = elsewhere.filter(worker__residence_province=province).values("pk")
        followed += Involvement.objects.filter(pk__in=rows).update(cpi_id=cpi_id)
    counts["workers followed by another CPI"] = followed
    return counts
