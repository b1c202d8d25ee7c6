"""A starting catalogue of qualifications to certify against (issue #14 item 7).

Source: the real codes of Lombardy's QRSP (Quadro Regionale degli Standard Professionali)
could not be verified when this was written, so the codes below are PROVISIONAL
("QRSP-PROV-nn") and are to be replaced by the Region's QRSP export (admin, or
``manage.py import_qualifications``). The titles and EQF levels are those of the national
repertoire of the IeFP figures (Accordo Stato-Regioni of 1 August 2019), which Lombardy's
QRSP takes in: the three-year "qualifica" is EQF level 3, the four-year "diploma
professionale" EQF level 4; the ITS Academy "Tecnico superiore" is EQF level 5 (D.Lgs.
99/2022 / DM 2023). They are the training paths crisis workers are retrained on in the
manufacturing provinces (mechanics, electrics, logistics, sales, office work).
"""

from django.db import migrations

CATALOGUE = [
    ("QRSP-PROV-01", "Operatore meccanico", 3),
    ("QRSP-PROV-02", "Operatore elettrico", 3),
    ("QRSP-PROV-03", "Operatore ai servizi di logistica", 3),
    ("QRSP-PROV-04", "Operatore ai servizi di vendita", 3),
    ("QRSP-PROV-05", "Operatore ai servizi di impresa", 3),
    ("QRSP-PROV-06", "Operatore delle produzioni chimiche", 3),
    ("QRSP-PROV-07", "Tecnico per l'automazione industriale", 4),
    ("QRSP-PROV-08", "Tecnico per la programmazione della produzione e la logistica", 4),
    ("QRSP-PROV-09", "Tecnico commerciale delle vendite", 4),
    ("QRSP-PROV-10", "Tecnico dei servizi di impresa", 4),
    ("QRSP-PROV-11", "Tecnico superiore per l'automazione e i sistemi meccatronici", 5),
]


def load(apps, schema_editor):
    qualification = apps.get_model("pal", "Qualification")
    for code, title, level in CATALOGUE:
        qualification.objects.update_or_create(
            framework="qrsp", code=code, defaults={"title": title, "eqf_level": level}
        )


def unload(apps, schema_editor):
    qualification = apps.get_model("pal", "Qualification")
    qualification.objects.filter(
        framework="qrsp", code__in=[code for code, _title, _level in CATALOGUE]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("pal", "0012_qualification")]

    operations = [migrations.RunPython(load, unload)]
