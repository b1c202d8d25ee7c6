"""The two import profiles the portal ships with (issue #16 item 2), naming their source.

- The company's list: the nominal list of the workers concerned that the company sends with
  its CIGS application (D.Lgs. 148/2015, art. 25), with the headers companies write (those of
  the worker-list importer's first synonyms, as in tests/data/lista_lavoratori_sample.csv).
- The INPS extract: the CIGS beneficiaries of one authorisation as INPS extracts them for a
  Region. INPS publishes no file layout for it: the headers are the UniEmens individual
  return's names spelled out (CFLavoratore → "Codice fiscale lavoratore", CFAzienda →
  "Codice fiscale azienda"), the unit, the period and the hours cut; ISO dates as in UniEmens.
  An assumption, documented in the README: the admin adapts the profile to the real extract.
"""

from django.db import migrations

PROFILES = [
    {
        "slug": "lista-azienda-cigs",
        "name": "Lista lavoratori dell'azienda (domanda CIGS)",
        "source_kind": "company_list",
        "source": (
            "Elenco nominativo dei lavoratori interessati allegato dall'azienda alla domanda di "
            "CIGS (D.Lgs. 148/2015, art. 25): intestazioni come nelle liste che i Nuclei "
            "ricevono dalle aziende."
        ),
        "columns": {
            "fiscal_code": "Codice Fiscale",
            "last_name": "Cognome",
            "first_name": "Nome",
            "birth_date": "Data di nascita",
            "sex": "Sesso",
            "unit": "Unità produttiva",
            "income_support": "Tipo ammortizzatore",
            "hours_reduction_pct": "% riduzione orario",
            "period_start": "Data inizio",
            "period_end": "Data fine",
            "company_tax_code": "Codice fiscale azienda",
        },
        "date_formats": "dd/mm/yyyy, yyyy-mm-dd",
        "decimal_separator": ",",
        "delimiter": "",
        "encoding": "",
        "hours_format": "percent",
        "income_support": "",
    },
    {
        "slug": "estratto-inps-cigs",
        "name": "Estratto INPS beneficiari CIGS",
        "source_kind": "inps_extract",
        "source": (
            "Estratto INPS dei beneficiari di un'autorizzazione CIGS trasmesso alla Regione. "
            "Tracciato assunto (INPS non ne pubblica uno): i nomi dei campi della denuncia "
            "individuale UniEmens (CFLavoratore, CFAzienda) per esteso, unità produttiva, "
            "periodo e percentuale di riduzione; date ISO come in UniEmens."
        ),
        "columns": {
            "fiscal_code": "Codice fiscale lavoratore",
            "company_tax_code": "Codice fiscale azienda",
            "unit": "Unità produttiva",
            "period_start": "Periodo dal",
            "period_end": "Periodo al",
            "hours_reduction_pct": "Percentuale riduzione",
        },
        "date_formats": "yyyy-mm-dd, dd/mm/yyyy",
        "decimal_separator": ",",
        "delimiter": ";",
        "encoding": "",
        "hours_format": "percent",
        "income_support": "cigs",
    },
]


def seed(apps, schema_editor):
    profile_model = apps.get_model("workers", "ImportProfile")
    for data in PROFILES:
        profile_model.objects.update_or_create(slug=data["slug"], defaults=data)


def unseed(apps, schema_editor):
    profile_model = apps.get_model("workers", "ImportProfile")
    profile_model.objects.filter(slug__in=[p["slug"] for p in PROFILES]).delete()


class Migration(migrations.Migration):
    dependencies = [("workers", "0013_import_profiles")]

    operations = [migrations.RunPython(seed, unseed)]
