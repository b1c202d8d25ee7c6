"""Measures of the current regional programmes (§4, §7): usable without demo data."""

from datetime import date
from decimal import Decimal

from django.db import migrations

MEASURES = [
    # code, name, funding source, from, until, per worker, per company, budget, exclusive
    ("dote-unica-lavoro", "Dote Unica Lavoro", "fse_plus_2021_27", date(2022, 1, 1), date(2027, 12, 31), Decimal("5000"), None, None, False),
    ("formazione-continua", "Formazione Continua – voucher", "fse_plus_2021_27", date(2023, 1, 1), date(2027, 12, 31), Decimal("2000"), Decimal("50000"), None, False),
    ("gol-percorso-3", "GOL Percorso 3 – Lavoro e inclusione", "pnrr_gol", date(2022, 6, 1), date(2026, 12, 31), Decimal("4500"), None, None, False),
    ("gol-percorso-5", "GOL Percorso 5 – Ricollocazione collettiva", "pnrr_gol", date(2022, 6, 1), date(2026, 12, 31), Decimal("4500"), None, None, True),
    ("azioni-di-rete", "Azioni di rete per il lavoro", "fse_plus_2021_27", date(2023, 3, 1), date(2027, 12, 31), Decimal("3500"), None, Decimal("8000000"), True),
    ("dote-lavoro-ammortizzatori", "Dote Lavoro Ammortizzatori", "regionale", date(2024, 1, 1), date(2027, 12, 31), Decimal("3000"), None, None, False),
    ("fondo-nuove-competenze", "Fondo Nuove Competenze", "fondo_nuove_competenze", date(2024, 1, 1), date(2026, 12, 31), None, None, None, False),
]


def load(apps, schema_editor):
    Measure = apps.get_model("pal", "Measure")
    for code, name, source, start, end, per_worker, per_company, budget, exclusive in MEASURES:
        Measure.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "funding_source": source,
                "valid_from": start,
                "valid_until": end,
                "max_per_worker": per_worker,
                "max_per_company": per_company,
                "total_budget": budget,
                "exclusive": exclusive,
            },
        )


def unload(apps, schema_editor):
    apps.get_model("pal", "Measure").objects.filter(code__in=[m[0] for m in MEASURES]).delete()


class Migration(migrations.Migration):
    dependencies = [("pal", "0002_historicalmeasure_measure")]

    operations = [migrations.RunPython(load, unload)]
