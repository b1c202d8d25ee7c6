"""Reference data of the demo and of synthetic data: the 2024 table, places, sectors, names,
the step model's reasons and outcomes. Plain data, no database access."""

import csv
import io
from dataclasses import dataclass

from cases.enums import Cause, ConcessionKind, Family
from workers.enums import (
    ContractKind,
    EducationLevel,
    OutcomeKind,
    Sex,
    Step,
)

DEMO_PREFIX = "DEMO-"
DEMO_PASSWORD = "demo-password"
CHANGE_REASON = "seed_demo"

# The Region's published 2024 table (shared/reference/annual_2024_lombardia.csv), units and
# workers only: the percentages follow from them.
ANNUAL_2024_CSV = """\
province,cigs_min_units,cigs_min_workers,cigs_reg_units,cigs_reg_workers,lic_units,lic_workers
BG,9,438,6,561,28,616
BS,6,71,3,75,15,410
CO,4,258,3,108,9,183
CR,4,353,0,0,5,94
LC,2,38,1,134,3,39
LO,0,0,1,18,4,64
MN,3,152,1,71,3,94
MI,41,673,18,487,107,2191
MB,6,116,4,390,22,625
PV,3,34,6,366,10,379
SO,1,2,1,59,1,59
VA,8,99,3,73,12,227
"""

FAMILY_COLUMNS = {
    Family.CIGS_MINISTERIALE: "cigs_min",
    Family.CIGS_REGIONALE: "cigs_reg",
    Family.LICENZIAMENTO_COLLETTIVO: "lic",
}


def annual_2024() -> dict[tuple[str, str], tuple[int, int]]:
    """``{(province, family): (units, workers)}`` of the 2024 table."""
    table = {}
    for row in csv.DictReader(io.StringIO(ANNUAL_2024_CSV)):
        for family, column in FAMILY_COLUMNS.items():
            table[row["province"], family.value] = (
                int(row[f"{column}_units"]),
                int(row[f"{column}_workers"]),
            )
    return table


# --- Places -----------------------------------------------------------------------------------

PROVINCE_ORDER = ("BG", "BS", "CO", "CR", "LC", "LO", "MN", "MI", "MB", "PV", "SO", "VA")

COMUNI = {
    "BG": ["Bergamo", "Dalmine", "Treviglio", "Seriate", "Romano di Lombardia", "Albino"],
    "BS": ["Brescia", "Lumezzane", "Desenzano del Garda", "Chiari", "Rovato", "Montichiari"],
    "CO": ["Como", "Cantù", "Erba", "Mariano Comense", "Olgiate Comasco"],
    "CR": ["Cremona", "Crema", "Casalmaggiore", "Soresina"],
    "LC": ["Lecco", "Merate", "Calolziocorte", "Valmadrera", "Oggiono"],
    "LO": ["Lodi", "Codogno", "Casalpusterlengo", "Sant'Angelo Lodigiano"],
    "MN": ["Mantova", "Castiglione delle Stiviere", "Suzzara", "Viadana", "Porto Mantovano"],
    "MI": [
        "Milano",
        "Sesto San Giovanni",
        "Rho",
        "Legnano",
        "Cinisello Balsamo",
        "San Donato Milanese",
        "Segrate",
        "Abbiategrasso",
    ],
    "MB": ["Monza", "Desio", "Seregno", "Lissone", "Cesano Maderno", "Vimercate", "Agrate Brianza"],
    "PV": ["Pavia", "Vigevano", "Voghera", "Mortara", "Stradella"],
    "SO": ["Sondrio", "Morbegno", "Tirano", "Chiavenna"],
    "VA": ["Varese", "Busto Arsizio", "Gallarate", "Saronno", "Malnate", "Tradate"],
}

# Code of the provincial tax office in digits 8-10 of a partita IVA (the ISTAT province code,
# 001-100). Monza e Brianza (ISTAT 108, a province since 2009) has no office code of its own:
# its companies keep Milan's, 015.
TAX_OFFICE = {
    "BG": "016",
    "BS": "017",
    "CO": "013",
    "CR": "019",
    "LC": "097",
    "LO": "098",
    "MN": "020",
    "MI": "015",
    "MB": "015",
    "PV": "018",
    "SO": "014",
    "VA": "012",
}

# Territorial adjective (feminine, masculine) for company names.
TERRITORY = {
    "BG": ("Orobica", "Orobico"),
    "BS": ("Bresciana", "Bresciano"),
    "CO": ("Comasca", "Comasco"),
    "CR": ("Cremonese", "Cremonese"),
    "LC": ("Lecchese", "Lecchese"),
    "LO": ("Lodigiana", "Lodigiano"),
    "MN": ("Mantovana", "Mantovano"),
    "MI": ("Milanese", "Milanese"),
    "MB": ("Brianzola", "Brianzolo"),
    "PV": ("Pavese", "Pavese"),
    "SO": ("Valtellinese", "Valtellinese"),
    "VA": ("Varesina", "Varesino"),
}
REGIONAL_ADJECTIVE = ("Lombarda", "Lombardo")

STREETS = [
    "Via Roma",
    "Via Milano",
    "Via dell'Industria",
    "Via dell'Artigianato",
    "Via Garibaldi",
    "Via Alessandro Volta",
    "Viale Europa",
    "Via Guglielmo Marconi",
    "Via Enrico Fermi",
    "Via dei Mille",
    "Via Leonardo da Vinci",
    "Via Papa Giovanni XXIII",
    "Via Provinciale",
    "Via Torino",
    "Via Lombardia",
    "Via Giacomo Matteotti",
    "Via Bergamo",
    "Via del Lavoro",
]

SURNAMES = (
    "Colombo Brambilla Ferrari Bianchi Villa Fumagalli Galli Sala Mariani Cattaneo Pozzi Riva "
    "Bonfanti Locatelli Rota Gritti Zanetti Cortesi Beretta Ghezzi Mauri Crippa Pirovano "
    "Maggioni Tagliabue Oldani Bertoni Gatti Redaelli Valsecchi"
).split()


@dataclass(frozen=True)
class Sector:
    noun: str
    feminine: bool
    ateco: str
    services: bool = False
    craft: bool = False  # small firms of the sector are often artigiane
    site: str = "Stabilimento"  # what a unit is called


SECTORS = [
    Sector("Meccanica", True, "25.62.00", craft=True),
    Sector("Tessitura", True, "13.20.00"),
    Sector("Fonderia", True, "24.51.00"),
    Sector("Cartiera", True, "17.12.00"),
    Sector("Trafileria", True, "24.34.00"),
    Sector("Carpenteria", True, "25.11.00", craft=True),
    Sector("Vetreria", True, "23.13.00"),
    Sector("Grafica", True, "18.12.00", craft=True),
    Sector("Plastica", True, "22.29.09"),
    Sector("Elettronica", True, "26.11.09"),
    Sector("Chimica", True, "20.59.90"),
    Sector("Calzaturificio", False, "15.20.10", craft=True),
    Sector("Mobilificio", False, "31.09.10", craft=True),
    Sector("Maglificio", False, "14.39.00", craft=True),
    Sector("Salumificio", False, "10.13.00"),
    Sector("Pastificio", False, "10.73.00"),
    Sector("Stampaggio", False, "25.50.00"),
    Sector("Logistica", True, "52.29.22", services=True, site="Magazzino"),
    Sector("Distribuzione", True, "46.90.00", services=True, site="Filiale"),
    Sector("Ristorazione", True, "56.29.10", services=True, site="Sede"),
]

CAUSES_CIGS = [
    (Cause.CRISI_AZIENDALE, 45),
    (Cause.RIORGANIZZAZIONE, 30),
    (Cause.CONTRATTO_SOLIDARIETA, 15),
    (Cause.CESSAZIONE, 7),
    (Cause.ALTRO, 3),
]
CAUSES_DISMISSAL = [
    (Cause.CRISI_AZIENDALE, 40),
    (Cause.CESSAZIONE, 35),
    (Cause.RIORGANIZZAZIONE, 22),
    (Cause.ALTRO, 3),
]
CONCESSIONS = [
    (ConcessionKind.PRIMA_CONCESSIONE, 60),
    (ConcessionKind.PRIMA_PROROGA, 22),
    (ConcessionKind.SECONDA_PROROGA, 12),
    (ConcessionKind.PROROGA_SUCCESSIVA, 6),
]
UNIONS = {
    "industry": "FIOM-CGIL, FIM-CISL, UILM-UIL",
    "textile": "FILCTEM-CGIL, FEMCA-CISL, UILTEC-UIL",
    "services": "FILCAMS-CGIL, FISASCAT-CISL, UILTuCS",
}
EMPLOYERS = {
    "BG": "Confindustria Bergamo",
    "BS": "Confindustria Brescia",
    "CO": "Confindustria Como",
    "CR": "Confindustria Cremona",
    "LC": "Confindustria Lecco e Sondrio",
    "LO": "Assolodi",
    "MN": "Confindustria Mantova",
    "MI": "Assolombarda",
    "MB": "Assolombarda",
    "PV": "Confindustria Pavia",
    "SO": "Confindustria Lecco e Sondrio",
    "VA": "Confindustria Varese",
}


# --- People ---------------------------------------------------------------------------------

LOMBARD_SURNAMES = (
    "Colombo Brambilla Ferrari Bianchi Villa Fumagalli Galli Sala Mariani Cattaneo Pozzi Riva "
    "Bonfanti Locatelli Rota Gritti Zanetti Cortesi Beretta Ghezzi Mauri Crippa Pirovano "
    "Maggioni Tagliabue Oldani Bertoni Gatti Redaelli Valsecchi Rossi Ravasi Sironi Monti "
    "Longoni Radaelli Meroni Cazzaniga Mapelli Perego Molteni Frigerio Spreafico Panzeri "
    "Bonacina Rusconi Vitali Magni Arrigoni Carminati Pesenti Previtali Belotti Bonomi "
    "Lazzari Moretti Barbieri Fontana Ferrario Marelli Banfi Gerosa Tremolada Zappa Castelli "
    "Agostoni Airoldi Bassi Bollini Cereda Corbetta Dossi Foglia Giussani Invernizzi Limonta "
    "Mascheroni Negri Pagani Rigamonti Scotti Terraneo Vergani Zucchi Ronchi Cremonesi"
).split()
SOUTHERN_SURNAMES = (
    "Esposito Russo Romano De Luca Greco Caruso Marino Rizzo Messina Lombardo Santoro "
    "Amato Palumbo Coppola D'Angelo Vitale Cirillo Mancuso Parisi Leone"
).split()
FIRST_NAMES = {
    Sex.M: (
        "Giuseppe Giovanni Antonio Mario Luigi Francesco Angelo Roberto Paolo Marco Andrea "
        "Stefano Luca Massimo Alberto Claudio Fabio Davide Simone Matteo Alessandro Daniele "
        "Gianluca Maurizio Enrico Sergio Riccardo Federico Cristian Emanuele Nicola Pietro"
    ).split(),
    Sex.F: (
        "Maria Anna Giuseppina Rosa Laura Paola Silvia Elena Francesca Chiara Barbara Monica "
        "Cristina Federica Valentina Sara Elisa Roberta Daniela Simona Manuela Alessandra "
        "Patrizia Raffaella Giovanna Lucia Marta Sabrina Claudia Serena Ilaria Michela"
    ).split(),
}
# Birthplaces in the rest of Italy (many Lombard workers born before the 1990s came from there).
ITALIAN_BIRTHPLACES = [
    "Napoli",
    "Palermo",
    "Bari",
    "Foggia",
    "Reggio di Calabria",
    "Catania",
    "Salerno",
    "Taranto",
    "Cosenza",
    "Lecce",
    "Torino",
    "Piacenza",
    "Verona",
]
# Country (as the fiscal code knows it), citizenship, surnames, male names, female names.
FOREIGN = [
    (
        "Romania",
        "romena",
        ["Popescu", "Ionescu", "Popa", "Stan", "Dumitru", "Munteanu"],
        ["Ion", "Andrei", "Mihai", "Gheorghe", "Florin"],
        ["Maria", "Elena", "Ioana", "Andreea", "Mihaela"],
    ),
    (
        "Albania",
        "albanese",
        ["Hoxha", "Shehu", "Leka", "Kola", "Dervishi", "Gjoka"],
        ["Arben", "Ilir", "Gentian", "Besnik", "Erion"],
        ["Elira", "Anila", "Mirela", "Blerina", "Eriola"],
    ),
    (
        "Marocco",
        "marocchina",
        ["El Amrani", "Benali", "Bouzid", "El Idrissi", "Chraibi", "Ouali"],
        ["Youssef", "Mohamed", "Rachid", "Karim", "Said"],
        ["Fatima", "Khadija", "Amina", "Nadia", "Samira"],
    ),
    (
        "Perù",
        "peruviana",
        ["Quispe", "Flores", "Mamani", "Huaman", "Rojas"],
        ["Luis", "Jorge", "Carlos", "Javier"],
        ["Rosa", "Carmen", "Maribel", "Lucia"],
    ),
    (
        "India",
        "indiana",
        ["Singh", "Kumar", "Sharma", "Gill"],
        ["Harpreet", "Gurpreet", "Rajesh", "Sandeep"],
        ["Manpreet", "Simran", "Priya", "Jasleen"],
    ),
    (
        "Senegal",
        "senegalese",
        ["Diop", "Ndiaye", "Fall", "Sow", "Gueye"],
        ["Mamadou", "Cheikh", "Ousmane", "Ibrahima"],
        ["Fatou", "Awa", "Aminata", "Mariama"],
    ),
    (
        "Egitto",
        "egiziana",
        ["Hassan", "Mahmoud", "Ibrahim", "Abdelrahman"],
        ["Ahmed", "Mostafa", "Tarek", "Mahmoud"],
        ["Mona", "Heba", "Yasmin", "Nour"],
    ),
]
FOREIGN_WEIGHTS = [30, 22, 20, 8, 8, 7, 5]
EDUCATION = [
    (EducationLevel.NONE, 2),
    (EducationLevel.LOWER_SECONDARY, 30),
    (EducationLevel.VOCATIONAL, 22),
    (EducationLevel.UPPER_SECONDARY, 35),
    (EducationLevel.BACHELOR, 6),
    (EducationLevel.MASTER, 5),
]
NEIGHBOURS = {
    "BG": ["MI", "BS", "LC", "CR"],
    "BS": ["BG", "CR", "MN"],
    "CO": ["VA", "LC", "MB"],
    "CR": ["LO", "BS", "BG", "MN"],
    "LC": ["CO", "BG", "MB", "SO"],
    "LO": ["MI", "CR", "PV"],
    "MN": ["CR", "BS"],
    "MI": ["MB", "PV", "LO", "VA", "BG"],
    "MB": ["MI", "CO", "LC"],
    "PV": ["MI", "LO"],
    "SO": ["LC", "CO"],
    "VA": ["CO", "MI"],
}

# --- The step model ---------------------------------------------------------------------------

# Measures named when a PAL is activated; dismissed workers more often get relocation measures,
# suspended ones with a partial hours reduction training measures.
MEASURE_WEIGHTS = {
    "cigs": {
        "gol-percorso-3": 30,
        "dote-unica-lavoro": 24,
        "formazione-continua": 18,
        "azioni-di-rete": 12,
        "dote-lavoro-ammortizzatori": 8,
        "fondo-nuove-competenze": 5,
        "gol-percorso-5": 3,
    },
    "cigs_partial": {
        "formazione-continua": 30,
        "gol-percorso-3": 22,
        "dote-unica-lavoro": 18,
        "fondo-nuove-competenze": 14,
        "azioni-di-rete": 8,
        "dote-lavoro-ammortizzatori": 8,
    },
    "dismissal": {
        "gol-percorso-3": 30,
        "azioni-di-rete": 25,
        "dote-unica-lavoro": 22,
        "gol-percorso-5": 12,
        "formazione-continua": 6,
        "dote-lavoro-ammortizzatori": 5,
    },
}
EXEMPTION_WEIGHTS = {
    "pensionamento_imminente": 10,
    "rientro_in_azienda": 18,
    "riduzione_orario_limitata": 0,  # only with a limited hours reduction, see below
    "malattia_maternita": 8,
    "gia_in_percorso": 9,
    "nuova_occupazione": 14,
    "dimissioni": 8,
    "irreperibile": 7,
    "rifiuto": 3,
    "altro": 3,
}
EXEMPTION_NOTES = {
    "pensionamento_imminente": [
        "Requisiti per la pensione anticipata maturati entro il periodo di sostegno.",
        "Pensione di vecchiaia prevista entro dodici mesi: estratto contributivo INPS acquisito.",
    ],
    "rientro_in_azienda": [
        "L'azienda ha comunicato il rientro al lavoro dal mese prossimo.",
        "Richiamato in servizio a tempo pieno sulla linea di produzione.",
    ],
    "riduzione_orario_limitata": [
        "Riduzione d'orario sotto la soglia che fa scattare l'obbligo di PAL.",
        "Sospensione limitata a pochi giorni al mese.",
    ],
    "malattia_maternita": [
        "Congedo di maternità in corso: da ricontattare al rientro.",
        "Malattia certificata di lunga durata.",
    ],
    "gia_in_percorso": [
        "Già inserito in un percorso GOL avviato in precedenza presso il CPI.",
        "Frequenta un corso di riqualificazione finanziato dal fondo interprofessionale.",
    ],
    "nuova_occupazione": [
        "Assunto da un'altra azienda del territorio: comunicazione obbligatoria ricevuta.",
        "Ha trovato lavoro autonomamente con un contratto a termine.",
    ],
    "dimissioni": [
        "Dimissioni con incentivo all'esodo previste dall'accordo sindacale.",
        "Risoluzione consensuale firmata in sede protetta.",
    ],
    "irreperibile": [
        "Non risponde a tre convocazioni (telefono, e-mail, raccomandata).",
        "Recapiti non più validi; segnalato all'azienda.",
    ],
    "rifiuto": [
        "Ha rifiutato il PAL per iscritto: segnalazione inviata all'INPS.",
        "Non intende partecipare al percorso; informato delle conseguenze sul sostegno al reddito.",
    ],
    "altro": [
        "Trasferito a un'altra sede dell'azienda fuori regione.",
        "Caso valutato dal Nucleo: vedi il verbale dell'incontro.",
    ],
}
DEFAULT_EXEMPTION_NOTE = "Esonero valutato dal Nucleo provinciale."
# Exemptions that are later revoked (a correction back into the path), with the reason.
REVOCABLE = {
    "rientro_in_azienda": "Rientro in azienda non confermato: l'azienda ha prorogato la CIGS.",
    "irreperibile": "Il lavoratore si è presentato al Centro per l'Impiego: riprende il percorso.",
    "malattia_maternita": "Rientrato dal congedo prima del previsto: riprende il percorso.",
}
CORRECTION_REASONS = {
    Step.STEP_1: [
        "Strumenti da ridefinire: il lavoratore è stato spostato in un'altra unità produttiva.",
        "Passaggio registrato per errore prima del colloquio individuale.",
    ],
    Step.STEP_2: [
        "Il lavoratore non era presente all'incontro di gruppo: da riconvocare.",
        "Incontro registrato per errore sul gruppo sbagliato.",
    ],
    Step.STEP_3: [
        "PAL attivato con la misura sbagliata: annullato e riattivato con quella corretta.",
        "Dote non ancora validata dall'operatore: PAL da riattivare.",
    ],
}
FORWARD = [Step.STEP_1, Step.STEP_2, Step.STEP_3, Step.STEP_4]

# --- Outcomes ---------------------------------------------------------------------------------

OUTCOMES_AFTER_PAL = [
    (OutcomeKind.RICOLLOCATO, 60),
    (OutcomeKind.REINTEGRATO, 22),
    (OutcomeKind.AUTOIMPIEGO, 10),
    (OutcomeKind.ALTRO_ESITO, 8),
]
NEW_CONTRACTS = [
    (ContractKind.PERMANENT, 32),
    (ContractKind.FIXED_TERM_6_PLUS, 34),
    (ContractKind.FIXED_TERM_UNDER_6, 26),
    (ContractKind.APPRENTICESHIP, 8),  # only under 30, see below
]
# For NO_PAL involvements: the exemption reason → (outcome, how often).
OUTCOMES_WITHOUT_PAL = {
    "pensionamento_imminente": (OutcomeKind.PENSIONAMENTO, 0.8),
    "nuova_occupazione": (OutcomeKind.RICOLLOCATO, 0.7),
    "rientro_in_azienda": (OutcomeKind.REINTEGRATO, 0.6),
}
OTHER_OUTCOME_NOTES = [
    "Trasferito in un'altra regione: seguito dal CPI di residenza.",
    "Percorso concluso senza collocazione: iscritto al CPI.",
    "Tirocinio extracurricolare in corso.",
]
SELF_EMPLOYMENT = [
    "Ditta individuale (impiantistica)",
    "Cooperativa di lavoratori (workers buy-out)",
    "Partita IVA come consulente tecnico",
    "Bar in gestione",
]
