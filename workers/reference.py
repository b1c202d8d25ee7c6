"""Citizenship and education as people write them, mapped to the reference data (issue #15).

Worker lists say "ITALIANA", "Italia", "IT", "ITA", "italiano", "Romania", "rumena" or ISTAT's
"235"; :class:`CitizenshipMatcher` maps each to a :class:`~workers.models.Country` (by ISTAT
code, ISO alpha-2 code, Italian name or the usual adjectives of the nationalities most present
in Lombardy). :func:`education_level_of` maps "licenza media", "diploma", "laurea
triennale"… to an :class:`~workers.enums.EducationLevel`. What neither recognises is None: the
callers report it (the import as a warning naming the line and the value) and keep the text.
"""

from cases.models import fold_name as fold
from workers.enums import EducationLevel
from workers.models import Country

# The adjectives (and ISO alpha-3 codes) of the citizenships most common among workers in
# Lombardy, by ISTAT code; names, ISTAT and ISO alpha-2 codes come from the Country table.
CITIZENSHIP_ALIASES: dict[str, tuple[str, ...]] = {
    "100": ("ita", "italiana", "italiano", "italiane", "italiani", "italy", "italian"),
    "201": ("alb", "albanese", "albanesi"),
    "203": ("aut", "austriaca", "austriaco"),
    "206": ("bel", "belga"),
    "209": ("bgr", "bulgara", "bulgaro"),
    "215": ("fra", "francese", "france"),
    "216": ("deu", "tedesca", "tedesco", "germany", "german"),
    "219": ("gbr", "britannica", "britannico", "inglese", "united kingdom"),
    "220": ("grc", "greca", "greco"),
    "233": ("pol", "polacca", "polacco"),
    "234": ("prt", "portoghese"),
    "235": ("rou", "rom", "rumena", "rumeno", "romena", "romeno", "rumania"),
    "239": ("esp", "spagnola", "spagnolo", "spain"),
    "241": ("che", "svizzera", "svizzero"),
    "243": ("ukr", "ucraina", "ucraino"),
    "244": ("hun", "ungherese"),
    "245": ("rus", "russa", "russo", "russia"),
    "250": ("hrv", "croata", "croato"),
    "252": ("bih", "bosniaca", "bosniaco", "bosnia", "bosnia erzegovina"),
    "253": ("mkd", "macedone", "macedonia"),
    "254": ("mda", "moldava", "moldavo", "moldavia"),
    "257": ("cze", "ceca", "ceco", "repubblica ceca"),
    "270": ("mne", "montenegrina", "montenegrino"),
    "271": ("srb", "serba", "serbo"),
    "272": ("kosovara", "kosovaro"),
    "305": ("bgd", "bengalese", "bangladese"),
    "311": ("lka", "singalese", "srilankese", "cingalese"),
    "314": ("chn", "cinese", "cinesi", "china"),
    "323": ("phl", "filippina", "filippino", "filippine"),
    "330": ("ind", "indiana", "indiano"),
    "344": ("pak", "pakistana", "pakistano"),
    "351": ("tur", "turca", "turco"),
    "401": ("dza", "algerina", "algerino"),
    "404": ("civ", "ivoriana", "ivoriano"),
    "411": ("cmr", "camerunense"),
    "419": ("egy", "egiziana", "egiziano", "egypt"),
    "423": ("gha", "ghanese"),
    "436": ("mar", "marocchina", "marocchino", "morocco"),
    "443": ("nga", "nigeriana", "nigeriano"),
    "450": ("sen", "senegalese"),
    "460": ("tun", "tunisina", "tunisino"),
    "516": ("dom", "dominicana", "dominicano"),
    "536": ("usa", "statunitense", "americana", "americano", "stati uniti"),
    "605": ("bra", "brasiliana", "brasiliano"),
    "608": ("col", "colombiana", "colombiano"),
    "609": ("ecu", "ecuadoriana", "ecuadoriano", "ecuadoregna", "ecuadoregno"),
    "615": ("per", "peruviana", "peruviano", "peru"),
    "999": ("apolide",),
}

# Words people put before the value ("cittadinanza italiana", "nazionalità: rumena").
_PREFIXES = ("cittadinanza ", "nazionalita ", "cittadino ", "cittadina ")


class CitizenshipMatcher:
    """Maps citizenship text to an ISTAT country code; built with one query."""

    def __init__(self, using: str = "default") -> None:
        self.table: dict[str, str] = {}
        self._matched: dict[str, str | None] = {}
        countries = Country.objects.using(using).values_list("istat_code", "name", "iso_alpha2")
        for code, name, iso in countries:
            self.table[code] = code
            self.table[fold(name)] = code
            if iso:
                self.table.setdefault(fold(iso), code)
        for code, aliases in CITIZENSHIP_ALIASES.items():
            if code in self.table:
                for alias in aliases:
                    self.table.setdefault(fold(alias), code)

    def match(self, text: str) -> str | None:
        """The ISTAT code of the country ``text`` names, or None (memoised per text)."""
        if text not in self._matched:
            self._matched[text] = self._match(text)
        return self._matched[text]

    def _match(self, text: str) -> str | None:
        key = fold(text)
        if key.isdigit():
            key = key.zfill(3)
        for prefix in _PREFIXES:
            if key.startswith(prefix):
                key = key[len(prefix) :]
        return self.table.get(key)


_EDUCATION_SPELLINGS: dict[str, tuple[str, ...]] = {
    EducationLevel.NONE: (
        "nessuno",
        "nessun titolo",
        "nessun titolo di studio",
        "senza titolo",
        "licenza elementare",
        "elementare",
        "elementari",
        "scuola elementare",
        "scuola primaria",
        "primaria",
        "isced 0",
        "isced 1",
        "isced 0 1",
    ),
    EducationLevel.LOWER_SECONDARY: (
        "licenza media",
        "media",
        "medie",
        "scuola media",
        "terza media",
        "licenza di scuola media",
        "licenza media inferiore",
        "scuola secondaria di primo grado",
        "secondaria di primo grado",
        "secondaria di i grado",
        "isced 2",
    ),
    EducationLevel.VOCATIONAL: (
        "qualifica",
        "qualifica professionale",
        "diploma professionale",
        "iefp",
        "qualifica iefp",
        "diploma iefp",
        "attestato di qualifica",
        "qualifica regionale",
    ),
    EducationLevel.UPPER_SECONDARY: (
        "diploma",
        "maturita",
        "diploma di maturita",
        "diploma superiore",
        "diploma di scuola superiore",
        "diploma di scuola secondaria superiore",
        "scuola superiore",
        "superiori",
        "licenza media superiore",
        "scuola secondaria di secondo grado",
        "secondaria di secondo grado",
        "secondaria di ii grado",
        "isced 3",
    ),
    EducationLevel.POST_DIPLOMA: (
        "ifts",
        "post diploma",
        "diploma ifts",
        "certificato ifts",
        "specializzazione tecnica superiore",
        "isced 4",
    ),
    EducationLevel.ITS: (
        "its",
        "its academy",
        "diploma its",
        "istituto tecnico superiore",
        "isced 5",
    ),
    EducationLevel.BACHELOR: (
        "laurea",
        "laurea triennale",
        "triennale",
        "laurea breve",
        "laurea di primo livello",
        "laurea i livello",
        "diploma universitario",
        "isced 6",
    ),
    EducationLevel.MASTER: (
        "laurea magistrale",
        "magistrale",
        "laurea specialistica",
        "laurea a ciclo unico",
        "laurea vecchio ordinamento",
        "laurea di secondo livello",
        "master",
        "master universitario",
        "isced 7",
    ),
    EducationLevel.DOCTORATE: ("dottorato", "dottorato di ricerca", "phd", "isced 8"),
}

EDUCATION_SPELLINGS: dict[str, str] = {
    **{fold(level.value): level.value for level in EducationLevel},
    **{fold(text): level for level, texts in _EDUCATION_SPELLINGS.items() for text in texts},
}


def education_level_of(text: str) -> str | None:
    """The :class:`EducationLevel` code ``text`` names, or None."""
    return EDUCATION_SPELLINGS.get(fold(text))
