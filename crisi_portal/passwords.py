"""Password rules beyond Django's own validators."""

import re
from functools import cached_property

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Words anyone guessing a Lombard public servant's password tries first: the region, its
# provinces and main towns, the office, and the usual Italian filler words.
LOCAL_WORDS = frozenset(
    """
    lombardia regione regionelombardia italia milano bergamo brescia como cremona lecco lodi
    mantova monza brianza monzabrianza pavia sondrio varese nucleo nuclei crisi nucleocrisi
    portale lavoro politiche attive dote provincia comune ufficio password passw0rd parola
    chiave parolachiave segreto benvenuto benvenuta ciao amore ciaociao qwerty asdfgh
    gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre
    lunedi martedi mercoledi giovedi venerdi sabato domenica estate inverno primavera autunno
    juventus inter milan atalanta
    """.split()
)
# Digits, punctuation and spaces around a word: "Lombardia2025!", "!!milano01".
DECORATION = re.compile(r"^[\W\d_]+|[\W\d_]+$")


class CommonWordWithDigitsValidator:
    """Refuse a common or local word dressed up with digits or symbols ("Lombardia2025").

    Django's CommonPasswordValidator checks the whole password against its list, so a common
    word with a year appended passes it; this one checks the word once the decoration is gone.
    """

    @cached_property
    def common(self) -> frozenset[str]:
        return frozenset(CommonPasswordValidator().passwords)

    def validate(self, password: str, user=None) -> None:
        word = DECORATION.sub("", password).lower().replace(" ", "")
        if word and word != password.lower() and (word in LOCAL_WORDS or word in self.common):
            raise ValidationError(
                _("This password is a common word with digits or symbols added."),
                code="password_common_word",
            )
        if word in LOCAL_WORDS:
            raise ValidationError(_("This password is a common word."), code="password_common_word")

    def get_help_text(self) -> str:
        return _("Your password can't be a common word with digits or symbols added.")
