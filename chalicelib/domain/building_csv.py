"""Reading a file of buildings and lots as French syndic software exports it, pure.

One line per lot (or per building without lots): the building's columns repeat on each of its
lines. Semicolons or commas, UTF-8 (with or without BOM) or Windows-1252; column titles are
recognised in their usual French spellings, accents and case aside. Everything is checked before
anything is written: the whole file is refused (`refused`) when it cannot be read as such a file,
and each line with a problem is reported with its number (`problems`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field, replace

from chalicelib.domain import buildings
from chalicelib.domain.buildings import BuildingCard, Lot, plain, tidy
from chalicelib.domain.text import N_

MAX_BYTES = 5_000_000
MAX_LINES = 20_000
CELL_MAX = 2_000

# Column titles, in plain form (no accents, lower case, anything but letters and digits a space).
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("immeuble", "nom immeuble", "nom de l immeuble", "nom", "residence", "nom residence", "copropriete",
             "nom copropriete", "nom de la copropriete", "batiment", "designation"),
    "street": ("adresse", "adresse immeuble", "adresse de l immeuble", "rue", "voie", "adresse 1", "adresse1"),
    "postal_code": ("code postal", "cp", "code postal immeuble"),
    "city": ("ville", "commune", "localite", "ville immeuble"),
    "access_notes": ("acces", "digicode", "code d acces", "codes d acces", "informations d acces", "notes d acces",
                     "cles", "code porte"),
    "caretaker_name": ("gardien", "nom gardien", "gardien nom", "concierge", "nom du gardien"),
    "caretaker_phone": ("telephone gardien", "tel gardien", "gardien telephone", "gardien tel", "portable gardien"),
    "caretaker_email": ("email gardien", "e mail gardien", "mail gardien", "gardien email", "courriel gardien"),
    "notes": ("notes", "remarques", "observations", "commentaire", "commentaires"),
    "lot_number": ("lot", "n lot", "no lot", "num lot", "numero lot", "numero de lot", "n de lot", "numero du lot"),
    "floor": ("etage", "niveau"),
    "occupant_name": ("occupant", "nom occupant", "nom de l occupant", "coproprietaire", "proprietaire", "locataire"),
    "occupant_phone": ("telephone", "tel", "telephone occupant", "tel occupant", "portable", "mobile"),
    "occupant_email": ("email", "e mail", "mail", "courriel", "email occupant", "e mail occupant"),
}
BY_TITLE = {title: name for name, titles in ALIASES.items() for title in titles}
# Several columns may feed these (a "Digicode" and a "Clés" column): joined, one per line.
JOINED = ("access_notes", "notes")
LABELS = {
    "name": N_("Immeuble"), "street": N_("Adresse"), "postal_code": N_("Code postal"), "city": N_("Ville"),
    "access_notes": N_("Accès"), "caretaker_name": N_("Gardien"), "caretaker_phone": N_("Téléphone du gardien"),
    "caretaker_email": N_("E-mail du gardien"), "notes": N_("Notes"), "lot_number": N_("Lot"), "floor": N_("Étage"),
    "occupant_name": N_("Occupant"), "occupant_phone": N_("Téléphone"), "occupant_email": N_("E-mail"),
}
BUILDING_FIELDS = ("name", "street", "postal_code", "city", "access_notes", "caretaker_name", "caretaker_phone",
                   "caretaker_email", "notes")
# A spreadsheet runs a cell starting with these as a formula (and DDE: "=cmd|' /C calc'!A0").
FORMULA_START = ("=", "@", "\t", "\r")
_SIGNED_FORMULA = re.compile(r"^[+-].*[(|!=]")
# UTF-8 read as Windows-1252: 'Ã©' for 'é'. A file that mixes both encodings reads like this.
_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]")


@dataclass(frozen=True)
class Problem:
    line: int  # as a spreadsheet numbers it: the titles are line 1
    field: str  # a LABELS key, or "" for the whole line
    message: str  # a French msgid (Text with its values)


@dataclass
class ImportFile:
    buildings: list[BuildingCard] = field(default_factory=list)
    first_line: dict[str, int] = field(default_factory=dict)  # building id → its first line
    problems: list[Problem] = field(default_factory=list)
    refused: str = ""  # why the whole file cannot be read (a French msgid)
    lines: int = 0  # lines of data read
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""

    @property
    def lot_count(self) -> int:
        return sum(len(b.lots) for b in self.buildings)


def _decode(data: bytes) -> tuple[str, str] | str:
    """(text, encoding), or why the bytes are not a text file we can read."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        return N_("Ce fichier est un classeur Excel, pas un CSV : dans Excel, « Enregistrer sous » puis « CSV (séparateur : "
                  "point-virgule) ».")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            return N_("Encodage illisible : enregistrez le fichier en UTF-8 ou en Windows-1252 (ANSI).")
    if b"\x00" in data:
        return N_("Ce fichier n'est pas un fichier texte CSV.")
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return N_("Encodage illisible : enregistrez le fichier en UTF-8 ou en Windows-1252 (ANSI).")
    if _MOJIBAKE.search(text):
        return N_("Ce fichier mélange deux encodages (UTF-8 et Windows-1252) : les accents seraient abîmés. "
                  "Enregistrez-le à nouveau en UTF-8.")
    return text, "Windows-1252"


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    return max(counts, key=lambda d: counts[d])


def _title(raw: str) -> str:
    return tidy(re.sub(r"[^a-z0-9]+", " ", plain(raw)))


def _columns(header: list[str], found: ImportFile) -> dict[int, str] | None:
    """Column index → field, or None with `found.refused` saying which titles are missing or twice."""
    columns: dict[int, str] = {}
    for index, raw in enumerate(header):
        name = BY_TITLE.get(_title(raw))
        if name is None:
            if tidy(raw):
                found.ignored_columns.append(tidy(raw)[:60])
            continue
        if name in columns.values() and name not in JOINED:
            found.refused = N_("La colonne « {title} » apparaît deux fois : gardez-en une.", title=tidy(raw)[:60])
            return None
        columns[index] = name
    missing = [LABELS[n] for n in ("street",) if n not in columns.values()]
    if missing or (("postal_code" in columns.values()) != ("city" in columns.values())):
        expected = ", ".join(LABELS[n] for n in ("name", "street", "postal_code", "city", "lot_number"))
        seen = ", ".join(tidy(h)[:40] for h in header if tidy(h))[:300] or "—"
        found.refused = N_("Colonnes non reconnues : il faut au moins une colonne Adresse, avec Code postal et Ville "
                           "(ou l'adresse complète dans la colonne Adresse). Colonnes attendues : {expected}. "
                           "Colonnes trouvées : {seen}.", expected=expected, seen=seen)
        return None
    return columns


def is_formula(value: str) -> bool:
    """A cell a spreadsheet would run: '=…', '@…', or '+…'/'-…' with a call in it ('+33 6…' and '-1' are fine)."""
    return value.startswith(FORMULA_START) or bool(_SIGNED_FORMULA.match(value))


def _cells(row: list[str], columns: dict[int, str], line: int, problems: list[Problem]) -> dict[str, str] | None:
    values: dict[str, str] = {}
    bad = False
    for index, name in columns.items():
        value = row[index].strip() if index < len(row) else ""
        if len(value) > CELL_MAX:
            problems.append(Problem(line, name, N_("Valeur trop longue ({limit} caractères au plus).", limit=CELL_MAX)))
            bad = True
        elif "\ufffd" in value:
            problems.append(Problem(line, name, N_("Caractères illisibles : le fichier a été abîmé à l'enregistrement.")))
            bad = True
        elif is_formula(value):
            problems.append(Problem(line, name, N_("Formule de tableur refusée : saisissez la valeur elle-même.")))
            bad = True
        elif value:
            values[name] = f"{values[name]}\n{value}" if name in values else value
    return None if bad else values


def read(data: bytes) -> ImportFile:
    """Every building and lot of the file, or what is wrong with it, line by line."""
    found = ImportFile()
    if not data.strip():
        found.refused = N_("Le fichier est vide.")
        return found
    if len(data) > MAX_BYTES:
        found.refused = N_("Fichier trop volumineux : {limit} Mo au plus. Découpez-le en plusieurs fichiers.",
                           limit=MAX_BYTES // 1_000_000)
        return found
    decoded = _decode(data)
    if isinstance(decoded, str):
        found.refused = decoded
        return found
    text, found.encoding = decoded
    found.delimiter = _delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=found.delimiter, strict=True)
    try:
        header = next(reader, [])
        columns = _columns(header, found)
        if columns is None:
            return found
        checked: Checked = {}
        by_id: dict[str, BuildingCard] = {}
        lots: dict[str, dict[str, tuple[Lot, int]]] = {}
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            found.lines += 1
            if found.lines > MAX_LINES:
                found.refused = N_("Trop de lignes : {limit} au plus par fichier. Découpez-le en plusieurs fichiers.",
                                   limit=MAX_LINES)
                return found
            _line(row, len(header), columns, reader.line_num, found, checked, by_id, lots)
    except csv.Error:
        found.refused = N_("Fichier CSV illisible à la ligne {line} : vérifiez les guillemets.", line=reader.line_num)
        return found
    found.buildings = [replace(card, lots=tuple(lot for lot, _ in lots.get(bid, {}).values()))
                       for bid, card in by_id.items()]
    if not found.buildings and not found.problems:
        found.refused = N_("Aucun immeuble dans ce fichier : seule la ligne des titres est remplie.")
    return found


Checked = dict[tuple[str, ...], tuple[BuildingCard | None, dict[str, str]]]


def _line(row: list[str], width: int, columns: dict[int, str], line: int, found: ImportFile, checked: Checked,
          by_id: dict[str, BuildingCard], lots: dict[str, dict[str, tuple[Lot, int]]]) -> None:
    """One line: its building (the first line of a building sets it), and its lot if any."""
    if len(row) > width and any(cell.strip() for cell in row[width:]):
        found.problems.append(Problem(line, "", N_("{count} valeurs pour {width} colonnes : un séparateur en trop ?",
                                                   count=len(row), width=width)))
        return
    values = _cells(row, columns, line, found.problems)
    if values is None:
        return
    building_values = tuple(values.get(name, "") for name in BUILDING_FIELDS)
    if building_values not in checked:  # a building's columns repeat on each of its lots' lines: checked once
        checked[building_values] = buildings.validate_building(values)
    card, building_errors = checked[building_values]
    lot, lot_errors = buildings.validate_lot(values)
    errors = {**building_errors, **lot_errors}
    if card is None or errors:
        for name, message in errors.items():
            found.problems.append(Problem(line, name if name in LABELS else "street", message))
        return
    known = by_id.setdefault(card.building_id, card)
    found.first_line.setdefault(card.building_id, line)
    if values.get("name") and plain(known.name) != plain(card.name):
        found.problems.append(Problem(line, "name", N_(
            "Même adresse que la ligne {first}, mais un autre nom d'immeuble (« {other} »).",
            first=found.first_line[card.building_id], other=known.name)))
        return
    if lot is not None:
        its_lots = lots.setdefault(card.building_id, {})
        if lot.number in its_lots:
            found.problems.append(Problem(line, "lot_number", N_("Lot {number} en double : déjà à la ligne {first}.",
                                                                 number=lot.number, first=its_lots[lot.number][1])))
            return
        its_lots[lot.number] = (lot, line)
