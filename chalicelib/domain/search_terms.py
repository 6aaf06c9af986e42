"""The words a ticket is found by, normalised the same way when stored and when typed (pure: no AWS).

"Allée des Lilas" and "lilas" meet as `allee`, `lilas`: accents and case go, French articles are
not stored, and a reference is found whole or in part ("2026-00001", "26-00001", "00001", "1").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from chalicelib.domain.text import N_

MIN_TERM = 2  # one letter would read half the index
TERM_MAX = 40  # characters of a stored word: keys stay small, and nobody types more of one word
TOKENS_MAX = 30  # words per ticket: a ticket's words are rewritten in one transaction (at most 100 items)
QUERY_MAX = 200  # characters of a search
QUERY_TERMS_MAX = 8
BUCKET = 2  # the leading characters a word is filed under in the index (see chalicelib/data/search.py)

# Short words that would file every ticket under them; typed alone, they still search as prefixes.
STOP_WORDS = frozenset({"au", "aux", "de", "des", "du", "en", "et", "la", "le", "les", "sur", "un", "une", "par",
                        "pour", "dans", "avec"})
_WORD = re.compile(r"\d+(?:-\d+)+|[^\W_]+")  # "26-00001" stays one word; "Saint-Denis" is two
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})


def normalise(text: str) -> str:
    """Lower case without accents: what both sides compare."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return _WORD.findall(normalise(text))


def reference_words(reference: str) -> list[str]:
    """`2026-00042` is found by `2026-00042`, `26-00042`, `00042` and `42`."""
    year, _, serial = reference.partition("-")
    found = [reference.casefold(), f"{year[-2:]}-{serial}", serial, serial.lstrip("0")]
    return [w for w in found if len(w) >= MIN_TERM]


def index_words(reference: str, texts: list[str | None]) -> list[str]:
    """The distinct words a ticket is stored under, in the order of `texts`, at most TOKENS_MAX."""
    chosen: dict[str, None] = {}
    for word in [*reference_words(reference), *(w for text in texts if text for w in words(text))]:
        word = word[:TERM_MAX]
        if len(word) >= MIN_TERM and word not in STOP_WORDS:
            chosen.setdefault(word)
        if len(chosen) == TOKENS_MAX:
            break
    return list(chosen)


@dataclass(frozen=True)
class Query:
    terms: list[str] = field(default_factory=list)
    error: str = ""  # why nothing was searched, for the page (French msgid)


def parse_query(text: str) -> Query:
    """The terms every found ticket has a word starting with; or why the search is not run."""
    if len(text) > QUERY_MAX:
        return Query(error=N_("La recherche est trop longue : {limit} caractères au plus.", limit=QUERY_MAX))
    typed = [w[:TERM_MAX] for w in dict.fromkeys(words(text)) if len(w) >= MIN_TERM]
    if not typed:
        return Query(error=N_("Tapez au moins deux lettres ou chiffres d'une adresse, d'un titre, d'un intervenant "
                              "ou d'une référence."))
    meaningful = [w for w in typed if w not in STOP_WORDS] or typed  # "de" alone still finds "dégât"
    if len(meaningful) > QUERY_TERMS_MAX:
        return Query(error=N_("Cherchez avec {limit} mots au plus.", limit=QUERY_TERMS_MAX))
    return Query(meaningful)
