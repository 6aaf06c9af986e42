"""Buildings (immeubles) and their lots, pure: addresses checked and normalised, the words a building
is found by while typing, and the checks on what a manager types or imports.

A building's id derives from its normalised address (`building_id_for`): the same address typed
twice, or imported twice, names the same building, so duplicates are recognised by their key.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from chalicelib.domain import contacts
from chalicelib.domain.errors import InvalidContact
from chalicelib.domain.text import N_

NAME_MAX = 200
STREET_MAX = 200
CITY_MAX = 100
NOTES_MAX = 2000
LOT_NUMBER_MAX = 20
FLOOR_MAX = 20
CONTACT_MAX = 254
WORD_MAX = 30  # a search word longer than this is cut: no street name needs more to be told apart
WORDS_MAX = 24  # per building: name, street, city and postal code

# How French addresses abbreviate their street types; expanded so "bd Voltaire" is "boulevard Voltaire".
STREET_TYPES = {
    "av": "avenue", "ave": "avenue", "bd": "boulevard", "bld": "boulevard", "blvd": "boulevard", "r": "rue",
    "pl": "place", "all": "allée", "imp": "impasse", "chem": "chemin", "ch": "chemin", "fg": "faubourg",
    "fbg": "faubourg", "sq": "square", "crs": "cours", "rte": "route", "qu": "quai", "pass": "passage",
    "res": "résidence", "sent": "sentier", "lot": "lotissement", "prom": "promenade",
}
POSTAL_CODE = re.compile(r"(?:0[1-9]|[1-8]\d|9[0-8])\d{3}")
# "14 rue des Lilas 69003 Lyon", "14 rue des Lilas, 69003 LYON": the street, the postal code, the city.
ONE_LINE_ADDRESS = re.compile(r"^(?P<street>.+?)[\s,]+(?P<postal>\d{2}\s?\d{3})\s+(?P<city>\D.*)$")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+")
_LOT_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ./-]*")


def plain(text: str) -> str:
    """Lower case without accents, for comparing and searching: 'Allée' → 'allee'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("œ", "oe").replace("æ", "ae")


def tidy(text: str) -> str:
    """One line, single spaces: what is kept of a typed or imported value."""
    return _SPACES.sub(" ", text).strip()


def words_of(text: str) -> list[str]:
    """The plain words of a text, in order, each at most WORD_MAX characters."""
    return [word[:WORD_MAX] for word in _WORD.findall(plain(text))]


@dataclass(frozen=True)
class Address:
    street: str  # "14 rue des Lilas"
    postal_code: str  # "69003"
    city: str  # "Lyon"

    def text(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}"

    def key(self) -> str:
        return address_key(self.street, self.postal_code)


def _street(raw: str) -> str:
    """Spaces tidied, '14,' → '14', abbreviated street types written out ('bd' → 'boulevard')."""
    words = tidy(raw.replace(",", " ")).split(" ")
    return " ".join(STREET_TYPES.get(plain(word).rstrip("."), word) if index <= 2 else word
                    for index, word in enumerate(words))


def street_key(street: str) -> str:
    """What two spellings of one street share: '14, Bd Voltaire' and '14 boulevard voltaire'."""
    return " ".join(plain(STREET_TYPES.get(word, word)) for word in words_of(_street(street)))


def address_key(street: str, postal_code: str) -> str:
    return f"{street_key(street)}|{postal_code}"


def _city(raw: str) -> str:
    """'LYON' or 'lyon' → 'Lyon', 'SAINT-ETIENNE' → 'Saint-Etienne'; a city typed in mixed case is kept."""
    city = tidy(raw)
    return city.title() if city.isupper() or city.islower() else city


def _postal_code(raw: str) -> str | None:
    digits = raw.replace(" ", "")
    if len(digits) == 4 and digits.isdigit():
        digits = "0" + digits  # a spreadsheet drops the leading zero of 01000-09999
    return digits if POSTAL_CODE.fullmatch(digits) else None


def validate_address(street: str, postal_code: str, city: str, errors: dict[str, str]) -> Address | None:
    """The address normalised, or errors under `street`, `postal_code`, `city`. A street, postal code
    and city typed together in the street field are split."""
    street, postal_code, city = tidy(street), tidy(postal_code), tidy(city)
    one_line = ONE_LINE_ADDRESS.match(street) if street and not postal_code and not city else None
    if one_line:
        street, postal_code, city = one_line["street"].strip(" ,"), one_line["postal"], one_line["city"]
    if not street:
        errors["street"] = N_("Indiquez l'adresse (numéro et rue).")
    elif len(street) > STREET_MAX or not any(c.isalpha() for c in street):
        errors["street"] = N_("Adresse invalide (exemple : 14 rue des Lilas).")
    code = _postal_code(postal_code)
    if not postal_code:
        errors["postal_code"] = N_("Indiquez le code postal.")
    elif code is None:
        errors["postal_code"] = N_("Code postal invalide (5 chiffres, exemple : 69003).")
    if not city:
        errors["city"] = N_("Indiquez la ville.")
    elif len(city) > CITY_MAX or not any(c.isalpha() for c in city):
        errors["city"] = N_("Ville invalide.")
    if {"street", "postal_code", "city"} & set(errors) or code is None:
        return None
    return Address(_street(street), code, _city(city))


def building_id_for(address: Address) -> str:
    """26 letters and digits (like every id here), the same for every spelling of one address."""
    digest = hashlib.sha256(address.key().encode()).digest()
    return base64.b32encode(digest).decode()[:26]


@dataclass(frozen=True)
class FreehandAddress:
    """A ticket's address as typed before buildings existed: '14 rue des Lilas, Lyon'."""

    street: str
    postal_code: str
    city_key: str


def read_freehand(text: str) -> FreehandAddress | None:
    """The street (before the first comma), a postal code if any, and the city's plain words."""
    head, _, rest = tidy(text).partition(",")
    postal = re.search(r"\b(\d{5})\b", rest)
    city = re.sub(r"\b\d{5}\b", " ", rest)
    if not head or not any(c.isalpha() for c in head):
        return None
    return FreehandAddress(street_key(head), postal.group(1) if postal else "", " ".join(words_of(city)))


def matches_freehand(address: Address, freehand: FreehandAddress) -> bool:
    """Same street, and the same postal code or the same city (a freehand address often has no code)."""
    if street_key(address.street) != freehand.street:
        return False
    if freehand.postal_code:
        return freehand.postal_code == address.postal_code
    return bool(freehand.city_key) and freehand.city_key == " ".join(words_of(address.city))


# -- a building and its lots ------------------------------------------------------------------------

@dataclass(frozen=True)
class Lot:
    number: str  # "12", "B12": the key within its building
    floor: str = ""
    occupant_name: str = ""
    occupant_phone: str | None = None  # E.164
    occupant_email: str | None = None


@dataclass(frozen=True)
class BuildingCard:
    """A building as a manager types it or a file imports it, checked and normalised."""

    name: str
    address: Address
    access_notes: str = ""
    caretaker_name: str = ""
    caretaker_phone: str | None = None
    caretaker_email: str | None = None
    notes: str = ""
    lots: tuple[Lot, ...] = field(default_factory=tuple)

    @cached_property
    def building_id(self) -> str:
        return building_id_for(self.address)

    def search_words(self) -> list[str]:
        """Every word the building is found by while typing: its name, street, postal code and city."""
        found = dict.fromkeys(w for w in words_of(f"{self.name} {self.address.text()}") if len(w) >= 2)
        return list(found)[:WORDS_MAX]


def lot_key(number: str) -> str:
    """'0012' and '12' are one lot; 'b12' is 'B12'."""
    text = tidy(number).upper()
    return str(int(text)) if text.isdigit() else text


def _limited(values: dict[str, str], name: str, limit: int, errors: dict[str, str], lines: bool = False) -> str:
    """A free text, on one line unless `lines` (notes keep theirs)."""
    value = (values.get(name) or "").strip() if lines else tidy(values.get(name) or "")
    if len(value) > limit:
        errors[name] = N_("Ce champ dépasse {limit} caractères.", limit=limit)
    return value


def _optional_contact(normalise: Callable[[str], str], values: dict[str, str], name: str,
                      errors: dict[str, str]) -> str | None:
    raw = tidy(values.get(name) or "")[:CONTACT_MAX]
    if not raw:
        return None
    try:
        return normalise(raw)
    except InvalidContact as invalid:
        errors[name] = str(invalid)
        return None


def validate_building(values: dict[str, str]) -> tuple[BuildingCard | None, dict[str, str]]:
    """A building's fields (name, street, postal_code, city, access_notes, caretaker_*, notes). The
    name defaults to the street. Errors are keyed by field, French msgids."""
    errors: dict[str, str] = {}
    address = validate_address(values.get("street") or "", values.get("postal_code") or "", values.get("city") or "",
                               errors)
    name = _limited(values, "name", NAME_MAX, errors)
    access_notes = _limited(values, "access_notes", NOTES_MAX, errors, lines=True)
    notes = _limited(values, "notes", NOTES_MAX, errors, lines=True)
    caretaker_name = _limited(values, "caretaker_name", NAME_MAX, errors)
    caretaker_phone = _optional_contact(contacts.normalise_phone, values, "caretaker_phone", errors)
    caretaker_email = _optional_contact(contacts.normalise_email, values, "caretaker_email", errors)
    if errors or address is None:
        return None, errors
    return BuildingCard(name or address.street, address, access_notes, caretaker_name, caretaker_phone, caretaker_email,
                        notes), errors


LOT_FIELDS = ("lot_number", "floor", "occupant_name", "occupant_phone", "occupant_email")


def validate_lot(values: dict[str, str]) -> tuple[Lot | None, dict[str, str]]:
    """A lot's fields: its number (required once any other lot field is filled), floor, occupant."""
    errors: dict[str, str] = {}
    number = tidy(values.get("lot_number") or "")
    floor = _limited(values, "floor", FLOOR_MAX, errors)
    occupant_name = _limited(values, "occupant_name", NAME_MAX, errors)
    phone = _optional_contact(contacts.normalise_phone, values, "occupant_phone", errors)
    email = _optional_contact(contacts.normalise_email, values, "occupant_email", errors)
    if not number:
        if any(tidy(values.get(name) or "") for name in LOT_FIELDS):
            errors["lot_number"] = N_("Indiquez le numéro du lot.")
        return None, errors
    if len(number) > LOT_NUMBER_MAX or not _LOT_NUMBER.fullmatch(number):
        errors["lot_number"] = N_("Numéro de lot invalide (lettres, chiffres, tirets : 20 caractères au plus).")
    if errors:
        return None, errors
    return Lot(lot_key(number), floor, occupant_name, phone, email), errors


# -- what typing finds -----------------------------------------------------------------------------

# Words most buildings have: asked for only when nothing else is typed (they select nothing).
COMMON_WORDS = frozenset({*(plain(kind) for kind in STREET_TYPES.values()), "rue", "de", "des", "du", "la", "le", "les",
                          "et", "residence", "saint", "sainte", "st"})


def search_plan(typed: str) -> tuple[str, list[str]] | None:
    """What one Query asks for while a manager types: the longest typed word as a prefix (the most
    selective; a common word like 'rue' only if nothing else is typed), and every typed word, which
    a building's words must each start with. None when too little is typed (fewer than 2 letters or digits)."""
    typed_words = words_of(typed[:200])
    if not typed_words or max(len(w) for w in typed_words) < 2:
        return None
    telling = [w for w in typed_words if w not in COMMON_WORDS and len(w) >= 2] or typed_words
    return max(telling, key=len), typed_words


def matches_all(typed_words: list[str], building_words: list[str]) -> bool:
    return all(any(word.startswith(typed) for word in building_words) for typed in typed_words)
