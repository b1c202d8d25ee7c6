"""Funding sources as rows (issue #15): one fund per former choice of ``Measure.funding_source``,
each measure drawing 100 % on the fund of its current source. No budget is known for them: the
Region records the budgets (and splits measures over several funds) in the portal."""

from django.db import migrations

# The choices of pal.models.FundingSource when funds became data (code, name).
FUNDS = [
    ("fse_plus_2021_27", "FSE+ 2021-27"),
    ("pnrr_gol", "PNRR GOL"),
    ("fondo_nuove_competenze", "Fondo nuove competenze"),
    ("regionale", "Fondi regionali"),
    ("altro", "Altro"),
]


def load(apps, schema_editor):
    Fund = apps.get_model("pal", "Fund")
    Measure = apps.get_model("pal", "Measure")
    MeasureFunding = apps.get_model("pal", "MeasureFunding")
    funds = {}
    for code, name in FUNDS:
        funds[code], _ = Fund.objects.get_or_create(code=code, defaults={"name": name, "kind": code})
    MeasureFunding.objects.bulk_create(
        [
            MeasureFunding(measure_id=pk, fund=funds[source], share=100)
            for pk, source in Measure.objects.values_list("pk", "funding_source")
            if source in funds
        ],
        ignore_conflicts=True,
    )


def unload(apps, schema_editor):
    apps.get_model("pal", "MeasureFunding").objects.all().delete()
    apps.get_model("pal", "Fund").objects.filter(code__in=[code for code, _ in FUNDS]).delete()


class Migration(migrations.Migration):
    dependencies = [("pal", "0014_funding_sources")]

    operations = [migrations.RunPython(load, unload)]
