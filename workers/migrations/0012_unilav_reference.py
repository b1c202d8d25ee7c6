"""Reference tables of the mandatory communications (issue #16 item 1).

Source: Ministero del Lavoro e delle Politiche Sociali, "Comunicazioni Obbligatorie – Modelli e
Regole", the UNILAV model (namespace http://servizi.lavoro.gov.it/unilav) and its workbook of
standard classifications ("Classificazioni Standard"), sheets "ST-Tipo contratti" (the
"tipologia contrattuale", codes like A.02.00) and "ST-Trasformazioni" (transformation codes).

Contract types: only the codes whose description could be checked against that sheet (as
reproduced by regional systems, e.g. Regione Piemonte's COMONL) are shipped; an unknown code
in a file is reported as such. ASSUMED: the description of A.03.00 (the generic apprenticeship
code of the model's earlier versions, still accepted in old communications); the mapping to the
monitoring's contracts (``maps_to``/``category``) is the portal's: agency work and domestic work
count as the employee contract of the same duration (ContractKind's docstring), intermittent
work, home work, collaborations, traineeships and the other non-employee kinds count as no
re-employment contract (no outcome proposed).

Communication kinds: the model tells the event by the section it carries (InizioRapporto alone
for a hiring, Proroga, Trasformazione, Cessazione). ASSUMED: the three-letter codes ASS, PRO,
CES name those events as regional systems do (COMONL's TIPO_COMUNICAZIONE_*); transformations
are stored under the model's own transformation codes. DI ("da tempo determinato a tempo
indeterminato": the model requires contract A.01.00 with it) and AI ("da apprendistato a tempo
indeterminato") make the contract permanent; PP (part-time to full-time), DL (distacco) and TL
(trasferimento) do not. ASSUMED: FI, II, FF, TP, PV and DP, listed by the model but whose
descriptions could not be checked, are accepted as transformations that do not make the
contract permanent.
"""

from django.db import migrations

CONTRACT_TYPES = [
    # code, description, category, maps_to
    ("A.01.00", "Lavoro a tempo indeterminato", "permanent", "indeterminato"),
    ("A.02.00", "Lavoro a tempo determinato", "fixed", ""),
    ("A.02.01", "Lavoro a tempo determinato per sostituzione", "fixed", ""),
    (
        "A.03.00",
        "Apprendistato (codice generico delle versioni precedenti)",
        "apprenticeship",
        "apprendistato",
    ),
    (
        "A.03.08",
        "Apprendistato per la qualifica e per il diploma professionale, il diploma di istruzione "
        "secondaria superiore e il certificato di specializzazione tecnica superiore",
        "apprenticeship",
        "apprendistato",
    ),
    (
        "A.03.09",
        "Apprendistato professionalizzante o contratto di mestiere",
        "apprenticeship",
        "apprendistato",
    ),
    ("A.03.10", "Apprendistato di alta formazione e ricerca", "apprenticeship", "apprendistato"),
    ("A.04.00", "Lavoro domestico a tempo indeterminato", "permanent", "indeterminato"),
    ("A.04.01", "Lavoro domestico a tempo determinato", "fixed", ""),
    ("A.05.02", "Lavoro intermittente", "other", ""),
    (
        "A.06.00",
        "Lavoro interinale (o a scopo di somministrazione) a tempo indeterminato",
        "permanent",
        "indeterminato",
    ),
    (
        "A.06.01",
        "Lavoro interinale (o a scopo di somministrazione) a tempo determinato",
        "fixed",
        "",
    ),
    ("A.08.02", "Lavoro a domicilio", "other", ""),
    ("B.01.00", "Lavoro a progetto / collaborazione coordinata e continuativa", "other", ""),
    ("B.02.00", "Lavoro occasionale", "other", ""),
    ("B.03.00", "Collaborazione coordinata e continuativa", "other", ""),
    ("C.01.00", "Tirocinio", "other", ""),
    ("N.01.00", "Lavoro a tempo indeterminato con piattaforma", "permanent", "indeterminato"),
    ("N.02.00", "Lavoro a tempo determinato con piattaforma", "fixed", ""),
    ("N.03.00", "Lavoro a tempo determinato per sostituzione con piattaforma", "fixed", ""),
]

COMMUNICATION_TYPES = [
    # code, description, event, to_permanent
    ("ASS", "Assunzione (InizioRapporto)", "hiring", False),
    ("PRO", "Proroga", "extension", False),
    ("CES", "Cessazione", "termination", False),
    ("DI", "Trasformazione da tempo determinato a tempo indeterminato", "transformation", True),
    ("AI", "Trasformazione da apprendistato a tempo indeterminato", "transformation", True),
    ("PP", "Trasformazione da tempo parziale a tempo pieno", "transformation", False),
    ("DL", "Distacco", "transformation", False),
    ("TL", "Trasferimento", "transformation", False),
    (
        "FI",
        "Trasformazione (codice FI del modello; descrizione non verificata)",
        "transformation",
        False,
    ),
    (
        "II",
        "Trasformazione (codice II del modello; descrizione non verificata)",
        "transformation",
        False,
    ),
    (
        "FF",
        "Trasformazione (codice FF del modello; descrizione non verificata)",
        "transformation",
        False,
    ),
    (
        "TP",
        "Trasformazione (codice TP del modello; descrizione non verificata)",
        "transformation",
        False,
    ),
    (
        "PV",
        "Trasformazione (codice PV del modello; descrizione non verificata)",
        "transformation",
        False,
    ),
    (
        "DP",
        "Trasformazione (codice DP del modello; descrizione non verificata)",
        "transformation",
        False,
    ),
]


def load(apps, schema_editor):
    contract = apps.get_model("workers", "UnilavContractType")
    for code, description, category, maps_to in CONTRACT_TYPES:
        contract.objects.update_or_create(
            code=code,
            defaults={"description": description, "category": category, "maps_to": maps_to},
        )
    kind = apps.get_model("workers", "UnilavCommunicationType")
    for code, description, event, to_permanent in COMMUNICATION_TYPES:
        kind.objects.update_or_create(
            code=code,
            defaults={"description": description, "event": event, "to_permanent": to_permanent},
        )


def unload(apps, schema_editor):
    apps.get_model("workers", "UnilavContractType").objects.all().delete()
    apps.get_model("workers", "UnilavCommunicationType").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("workers", "0011_communications")]

    operations = [migrations.RunPython(load, unload)]
