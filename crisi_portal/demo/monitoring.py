"""Demo report contacts: one mailbox per Nucleo and one for the Region (make run)."""

from cases.models import Province
from monitoring.models import ReportContact

REGION_CONTACT = ("Direzione Formazione e Lavoro", "monitoraggio.crisi@regione.lombardia.example")


def seed_contacts() -> int:
    """Create the contacts that are missing; return how many were created."""
    created = 0
    _contact, new = ReportContact.objects.get_or_create(
        province=None, email=REGION_CONTACT[1], defaults={"name": REGION_CONTACT[0]}
    )
    created += new
    for code, name in Province.objects.values_list("code", "name"):
        _contact, new = ReportContact.objects.get_or_create(
            province_id=code,
            email=f"nucleo.crisi.{code.lower()}@provincia.example",
            defaults={"name": f"Nucleo Crisi {name}"},
        )
        created += new
    return created
