"""The exemption reasons in use when the portal started; the Region manages them in the admin."""

from django.db import migrations

REASONS = [
    ("pensionamento_imminente", "Prossimo al pensionamento (requisiti maturati entro il periodo)"),
    ("rientro_in_azienda", "Rientro in azienda previsto a breve"),
    ("riduzione_orario_limitata", "Riduzione d'orario limitata (sotto la soglia di obbligo)"),
    ("malattia_maternita", "Malattia, infortunio o maternità in corso"),
    ("gia_in_percorso", "Già inserito in un altro percorso di politica attiva"),
    ("nuova_occupazione", "Nuova occupazione trovata autonomamente"),
    ("dimissioni", "Dimissioni o risoluzione consensuale"),
    ("irreperibile", "Non reperibile dopo i contatti previsti"),
    ("rifiuto", "Rifiuto espresso del lavoratore (con segnalazione all'INPS)"),
    ("altro", "Altro (specificare nella nota)"),
]


def load(apps, schema_editor):
    ExemptionReason = apps.get_model("workers", "ExemptionReason")
    for position, (code, label) in enumerate(REASONS, start=1):
        ExemptionReason.objects.update_or_create(
            code=code, defaults={"label": label, "position": position}
        )


def unload(apps, schema_editor):
    apps.get_model("workers", "ExemptionReason").objects.filter(
        code__in=[code for code, _ in REASONS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("workers", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
