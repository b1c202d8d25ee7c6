"""Service catalogues of the network measures.

Source 003 (Linee guida reti per la ricollocazione e riqualificazione collettiva), section
"Attivazione dei percorsi": the suspended workers of a network "siano associati al Percorso 5 in
modalità 'transitoria' e ... possano usufruire dei servizi previsti dal Percorso 3 di GOL, che
consente una presa in carico articolata di servizi al lavoro e alla formazione". So GOL
Percorso 5 is delivered with the catalogue of GOL Percorso 3, whose services are labour and
training services: reception, guidance, skills assessment, training, job-search support,
traineeship, skills certification. Work-life balance services (conciliazione) are not labour
or training services: the source names them among the resources "a valere su altri fondi"
("Principi e caratteristiche della misura"), so they are not admitted. Measures without a
catalogue admit every service kind.
"""

from django.db import migrations

PERCORSO_3_KINDS = [
    "accoglienza",
    "orientamento",
    "bilancio_competenze",
    "formazione",
    "accompagnamento_lavoro",
    "tirocinio",
    "certificazione_competenze",
]
SOURCE = "Source 003, Attivazione dei percorsi: Percorso 5 transitorio con i servizi del Percorso 3"


def load(apps, schema_editor):
    Measure = apps.get_model("pal", "Measure")
    AdmittedService = apps.get_model("pal", "AdmittedService")
    MeasureCatalogue = apps.get_model("pal", "MeasureCatalogue")
    percorso_3 = Measure.objects.filter(code="gol-percorso-3").first()
    percorso_5 = Measure.objects.filter(code="gol-percorso-5").first()
    if percorso_3 is None or percorso_5 is None:
        return
    for kind in PERCORSO_3_KINDS:
        AdmittedService.objects.get_or_create(measure=percorso_3, kind=kind)
    MeasureCatalogue.objects.update_or_create(
        measure=percorso_5, defaults={"services_from": percorso_3, "source": SOURCE}
    )


def unload(apps, schema_editor):
    apps.get_model("pal", "MeasureCatalogue").objects.filter(
        measure__code="gol-percorso-5"
    ).delete()
    apps.get_model("pal", "AdmittedService").objects.filter(
        measure__code="gol-percorso-3", kind__in=PERCORSO_3_KINDS
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("pal", "0010_network_services")]

    operations = [migrations.RunPython(load, unload)]
