"""Buildings, pure: addresses normalised, one id for every spelling, the words typing finds, and a
syndic's CSV read line by line."""

from __future__ import annotations

import json

import pytest

from chalicelib.domain import building_csv, buildings
from chalicelib.domain.buildings import Address, validate_address, validate_building, validate_lot


@pytest.mark.parametrize(("street", "postal", "city", "expected"), [
    ("14, r. des Lilas", "69003", "LYON", "14 rue des Lilas, 69003 Lyon"),
    ("3 bd  Voltaire", "75 011", "paris", "3 boulevard Voltaire, 75011 Paris"),
    ("2 av. de la Gare", "1000", "Bourg-en-Bresse", "2 avenue de la Gare, 01000 Bourg-en-Bresse"),  # Excel ate the 0
    ("7 chemin des Vignes 13100 AIX-EN-PROVENCE", "", "", "7 chemin des Vignes, 13100 Aix-En-Provence"),
])
def test_an_address_is_normalised(street: str, postal: str, city: str, expected: str) -> None:
    address = validate_address(street, postal, city, {})
    assert address is not None and address.text() == expected


def test_every_spelling_of_one_address_names_one_building() -> None:
    spellings = [("14 rue des Lilas", "69003", "Lyon"), ("14, R. DES LILAS", "69003", "LYON"),
                 ("14 rue des lilas", "69 003", "lyon")]
    ids = {buildings.building_id_for(validate_address(*s, {})) for s in spellings}  # type: ignore[arg-type]
    assert len(ids) == 1 and len(next(iter(ids))) == 26
    other = validate_address("14 rue des Lilas", "69004", "Lyon", {})
    assert other is not None and buildings.building_id_for(other) not in ids


@pytest.mark.parametrize(("street", "postal", "city", "field"), [
    ("", "69003", "Lyon", "street"), ("14", "69003", "Lyon", "street"), ("14 rue A", "123", "Lyon", "postal_code"),
    ("14 rue A", "00100", "Lyon", "postal_code"), ("14 rue A", "69003", "", "city"), ("x" * 300, "69003", "Lyon", "street"),
])
def test_a_bad_address_says_which_part(street: str, postal: str, city: str, field: str) -> None:
    errors: dict[str, str] = {}
    assert validate_address(street, postal, city, errors) is None and field in errors


def test_a_lot_needs_a_number_once_anything_of_it_is_given_and_its_contacts_are_checked() -> None:
    assert validate_lot({}) == (None, {})
    assert "lot_number" in validate_lot({"occupant_name": "Mme Martin"})[1]
    lot, errors = validate_lot({"lot_number": "0012", "occupant_phone": "06 12 34 56 78", "occupant_email": "A@Example.fr"})
    assert errors == {} and lot is not None
    assert (lot.number, lot.occupant_phone, lot.occupant_email) == ("12", "+33612345678", "A@example.fr")
    assert set(validate_lot({"lot_number": "12", "occupant_phone": "12", "occupant_email": "x"})[1]) == {
        "occupant_phone", "occupant_email"}


def test_a_building_is_found_by_the_start_of_any_word_of_its_name_street_or_city() -> None:
    card, _ = validate_building({"name": "Résidence Les Lilas", "street": "14 allée des Lilas", "postal_code": "69003",
                                 "city": "Lyon"})
    assert card is not None
    words = card.search_words()
    assert {"residence", "lilas", "allee", "69003", "lyon", "14"} <= set(words)
    for typed, found in [("lil", True), ("ALLÉE lil", True), ("res lyon", True), ("lilas paris", False)]:
        plan = buildings.search_plan(typed)
        assert plan is not None and buildings.matches_all(plan[1], words) is found
    assert buildings.search_plan("l") is None and buildings.search_plan("!!! ###") is None
    assert buildings.search_plan("rue des Lilas")[0] == "lilas"  # type: ignore[index]  # the longest word is asked


def test_a_freehand_address_matches_the_building_on_its_street_and_city_or_postal_code() -> None:
    lilas = Address("14 rue des Lilas", "69003", "Lyon")
    for typed, matches in [("14 rue des Lilas, Lyon", True), ("14 r. des lilas, 69003", True),
                           ("14 rue des Lilas, 69003 Lyon (bât. B)", True), ("14 rue des Lilas, Paris", False),
                           ("16 rue des Lilas, Lyon", False), ("14 rue des Lilas", False), (", Lyon", False)]:
        freehand = buildings.read_freehand(typed)
        assert (freehand is not None and buildings.matches_freehand(lilas, freehand)) is matches, typed


# -- the CSV file -------------------------------------------------------------------------------------

def test_a_comma_separated_utf8_file_with_a_bom_and_other_titles_is_read() -> None:
    data = ("\ufeffNom de la copropriété,Adresse de l'immeuble,CP,Commune,Numéro de lot,Niveau,Copropriétaire,Mail\n"
            'Les Lilas,"14, rue des Lilas",69003,Lyon,B12,RDC,"Martin, Anne",anne@example.fr\n').encode()
    found = building_csv.read(data)
    assert found.refused == "" and found.problems == [] and (found.encoding, found.delimiter) == ("UTF-8", ",")
    [building] = found.buildings
    assert building.address.text() == "14 rue des Lilas, 69003 Lyon"
    assert [(lot.number, lot.floor, lot.occupant_name) for lot in building.lots] == [("B12", "RDC", "Martin, Anne")]


def test_a_lot_twice_or_an_address_under_two_names_is_a_problem_of_its_line() -> None:
    data = (b"Immeuble;Adresse;CP;Ville;Lot\nA;1 rue X;69001;Lyon;1\nA;1 rue X;69001;Lyon;01\nB;1 rue X;69001;Lyon;2\n"
            b"A;1 rue X;69001;Lyon;3;de trop\n")
    found = building_csv.read(data)
    assert [(p.line, p.field) for p in found.problems] == [(3, "lot_number"), (4, "name"), (5, "")]


@pytest.mark.parametrize("value", ["=1+1", "@SUM(A1:A2)", "+cmd|' /C calc'!A0", "-2+3=5", "=HYPERLINK(\"x\")", "\t=1"])
def test_a_formula_is_refused(value: str) -> None:
    assert building_csv.is_formula(value)


@pytest.mark.parametrize("value", ["+33 6 12 34 56 78", "-1", "- clés chez le gardien", "12", "Résidence (bât. B)"])
def test_values_that_only_look_like_formulas_are_kept(value: str) -> None:
    assert not building_csv.is_formula(value)


def test_too_many_lines_or_bytes_are_refused_before_anything_is_checked() -> None:
    header = "Adresse;CP;Ville\n"
    many = (header + "1 rue X;69001;Lyon\n" * (building_csv.MAX_LINES + 1)).encode()
    assert "Trop de lignes" in building_csv.read(many).refused
    assert "trop volumineux" in building_csv.read(b"a" * (building_csv.MAX_BYTES + 1)).refused


def test_typing_asks_for_the_word_that_selects_most() -> None:
    assert buildings.search_plan("residence lilas")[0] == "lilas"  # type: ignore[index]
    assert buildings.search_plan("rue de la paix")[0] == "paix"  # type: ignore[index]
    assert buildings.search_plan("boulevard")[0] == "boulevard"  # type: ignore[index]  # nothing else typed


def test_a_chunk_of_an_import_fits_in_one_stored_item_whatever_its_notes() -> None:
    from chalicelib.usecases import building_import

    notes = "é" * 2000  # 12,000 bytes as stored (JSON escapes each accent)
    lines = ["Adresse;Code postal;Ville;Digicode;Notes"] + [f"{n} rue Neuve;69002;Lyon;{notes};{notes}" for n in range(1, 200)]
    file = building_csv.read("\n".join(lines).encode())
    chunks, _ = building_import.plan(file, {})
    assert len(chunks) > 1 and all(len(json.dumps(chunk)) <= building_import.PAGE_BYTES for chunk in chunks)
