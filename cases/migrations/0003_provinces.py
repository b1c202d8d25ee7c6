"""Lombardy's provinces, in the order of the official tables (§1)."""

from django.db import migrations

PROVINCES = [
    ("BG", "Bergamo"),
    ("BS", "Brescia"),
    ("CO", "Como"),
    ("CR", "Cremona"),
    ("LC", "Lecco"),
    ("LO", "Lodi"),
    ("MN", "Mantova"),
    ("MI", "Milano (Città Metropolitana)"),
    ("MB", "Monza e Brianza"),
    ("PV", "Pavia"),
    ("SO", "Sondrio"),
    ("VA", "Varese"),
]


def load(apps, schema_editor):
    Province = apps.get_model("cases", "Province")
    for position, (code, name) in enumerate(PROVINCES, start=1):
        Province.objects.update_or_create(code=code, defaults={"name": name, "position": position})


def unload(apps, schema_editor):
    apps.get_model("cases", "Province").objects.filter(code__in=[c for c, _ in PROVINCES]).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_initial")]

    operations = [migrations.RunPython(load, unload)]
